"""The ``editing`` entry point of the ``avacollab`` plugin group.

It registers :class:`~.session.EditingSession`, the ``editing`` feature:
each session makes its own, holding that session's document.
docs/editing.md lists the topics, options, commands and events.
"""

from __future__ import annotations

from avacollab.hookspecs import Register, hookimpl

from .session import EditingSession

__all__ = ["EditingSession", "avacollab_register_features"]


@hookimpl
def avacollab_register_features(register: Register) -> None:
    """The ``editing`` feature."""
    register(EditingSession)
