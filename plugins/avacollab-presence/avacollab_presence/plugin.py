"""The ``presence`` entry point of the ``avacollab`` plugin group.

It registers :class:`~.session.PresenceSession`, the ``presence`` feature:
each session makes its own. A test or an embedding program may run it on a
hand-driven clock with ``PresenceSession.with_clock(scheduler, wall_clock)``.
docs/presence.md lists the topic, options, commands and events.
"""

from __future__ import annotations

from avacollab.hookspecs import Register, hookimpl

from .session import PresenceSession

__all__ = ["PresenceSession", "avacollab_register_features"]


@hookimpl
def avacollab_register_features(register: Register) -> None:
    """The ``presence`` feature."""
    register(PresenceSession)
