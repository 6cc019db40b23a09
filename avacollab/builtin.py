"""The built-in plugin: ``/who`` and the peer count in the status display.

It registers its feature through the same hook as any installed plugin, so
the core needs no special cases and ``AVACOLLAB_PLUGINS=-builtin`` can leave
it out. (``/help`` belongs to every session's command table, see
:class:`avacollab.featureset.FeatureSet`.)
"""

from __future__ import annotations

from .feature import Feature, JoinCommand, Session
from .hookspecs import Register, hookimpl
from .shortids import peer_label

__all__ = ["Builtin", "avacollab_register_features", "who"]


def who(session: Session) -> str:
    """Who is in the room: us first, then every other member, by name and short id
    (what ``/links PEER`` and other commands taking a peer accept)."""
    me = f"{peer_label(session, session.peer_id)} (you)"
    others = sorted(session.peers.items(), key=lambda item: (item[1], item[0]))
    return "\n".join([me, *(peer_label(session, peer) for peer, _ in others)])


class Builtin(Feature):
    """``/who``, and ``room design: 2 other peers`` in the status display."""

    name = "builtin"

    def commands(self) -> list[JoinCommand]:
        return [JoinCommand("who", "List who is in the room.", lambda _: who(self.session))]

    def status(self) -> list[str]:
        count = len(self.session.peers)
        return [f"room {self.session.room}: {count} other peer{'' if count == 1 else 's'}"]


@hookimpl
def avacollab_register_features(register: Register) -> None:
    """The built-in feature."""
    register(Builtin)
