"""Small helpers shared by the tests."""

from __future__ import annotations

from avacollab_editing import Component, Document


def sync_pair(a: Document, b: Document) -> None:
    """Exchange what each side lacks, the way sync step 1/2 does."""
    b.apply_update(a.get_update(b.state_vector()), "a")
    a.apply_update(b.get_update(a.state_vector()), "b")


def shape(components: tuple[Component, ...]) -> list[object]:
    """The tree as nested (id, children) pairs, for compact assertions."""
    return [(c.id, shape(c.children)) if c.children else c.id for c in components]
