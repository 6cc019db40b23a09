"""The built-in plugin: ``/help``, ``/who`` and the peer count in the status display.

It uses the same hooks as any installed plugin, so the core needs no special
cases and ``AVACOLLAB_PLUGINS=-builtin`` can leave it out.
"""

from __future__ import annotations

import pluggy

from .hookspecs import JoinCommand, Session, hookimpl
from .plugins import join_commands

__all__ = ["Builtin", "who"]


def who(session: Session) -> str:
    """Who is in the room: us first, then every other member by name."""
    me = f"{session.name or '(no name)'} {session.peer_id} (you)"
    others = sorted(session.peers.items(), key=lambda item: (item[1], item[0]))
    return "\n".join([me, *(f"{name or '(no name)'} {peer}" for peer, name in others)])


class Builtin:
    """The built-in plugin; it holds the manager so ``/help`` can list every plugin's commands."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm

    @hookimpl
    def avacollab_join_commands(self, session: Session) -> list[JoinCommand]:
        """``/help`` and ``/who``."""

        def show_help(_: str) -> str:
            commands = join_commands(self._pm, session)
            width = max(len(name) for name in commands)
            return "\n".join(
                f"/{name:<{width}}  {commands[name].help}" for name in sorted(commands)
            )

        return [
            JoinCommand("help", "List the commands.", show_help),
            JoinCommand("who", "List who is in the room.", lambda _: who(session)),
        ]

    @hookimpl
    def avacollab_status(self, session: Session) -> list[str]:
        """``room design: 2 other peers``."""
        count = len(session.peers)
        return [f"room {session.room}: {count} other peer{'' if count == 1 else 's'}"]
