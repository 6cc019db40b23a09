"""Small helpers shared by the tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from avacollab_editing import Component, Document


def sync_pair(a: Document, b: Document) -> None:
    """Exchange what each side lacks, the way sync step 1/2 does."""
    b.apply_update(a.get_update(b.state_vector()), "a")
    a.apply_update(b.get_update(a.state_vector()), "b")


def shape(components: tuple[Component, ...]) -> list[object]:
    """The tree as nested (id, children) pairs, for compact assertions."""
    return [(c.id, shape(c.children)) if c.children else c.id for c in components]


def node_or_skip(directory: Path, package: str) -> str:
    """The ``node`` executable, once ``package`` is installed in ``directory``/node_modules.

    Skips the test when either is missing, except under CI=true, where it fails.
    """
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (directory / "node_modules" / package).is_dir():
        missing = f"{package} is not installed: run `npm ci --prefix {directory}`"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"interop test cannot run in CI: {missing}")
        pytest.skip(missing)
    assert node is not None
    return node
