"""A smoke run for the lowest dependency versions the pyproject files allow.

``tests/test_lowest_versions.py`` runs this file in a throwaway venv that
holds avacollab, every plugin and example, and the lowest version of each
dependency they declare, and no test tools: so it uses nothing but those
packages and the standard library.

It renders the help of every command of the CLI, loads every installed
plugin (importing a module that relies on private parts of a dependency runs
that module's start-up check), then joins two real sessions with all of them
to a signaling server on 127.0.0.1 and sends a bus message from one to the
other over aiortc with delayed SCTP acknowledgements.
The plugin names it must find are its arguments. Exits non-zero, with the
reason on stderr, on any failure.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import google_crc32c
import typer.main

from avacollab.bus import Handler, Message
from avacollab.cli.app import app
from avacollab.feature import Feature
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.sctp import DelayedAckTransport
from avacollab.peer.session import Session, SessionConfig
from avacollab.plugins import features, installed, load
from avacollab.settings import Settings
from avacollab.signaling.server import SignalingServer

TOPIC = "smoke.ping"
TIMEOUT = 30.0
"""Bound, in seconds, on the whole run."""
OPTIONS = {"voice.source": "tone:440", "voice.output": "none"}
"""The voice plugin sends a tone (PyAV makes it) instead of using sound devices."""


class Probe(Feature):
    """Reports each message on ``TOPIC`` as a ``smoke.received`` event."""

    name = "smoke"

    def topics(self) -> dict[str, Handler]:
        return {TOPIC: self.received}

    def received(self, message: Message) -> None:
        self.session.emit("smoke.received", peer=message.sender, text=message.json()["text"])


class Events:
    """A session's events, with a wait for a condition on them."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        self.items.append(event)
        self.changed.set()

    def seen(self, name: str, **fields: Any) -> bool:
        return any(
            e["event"] == name and all(e.get(k) == v for k, v in fields.items()) for e in self.items
        )

    async def until(self, condition: Callable[[], bool]) -> None:
        while not condition():
            self.changed.clear()
            await self.changed.wait()


def cli_help() -> None:
    """Render every command's help: typer and click build each parameter for it."""
    # Only typer's own names: newer typer releases do not install click.
    group: Any = typer.main.get_command(app)
    context = group.context_class(group, info_name="avacollab")
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        command.get_help(command.context_class(command, info_name=name, parent=context))


async def smoke(expected_plugins: set[str]) -> None:
    if google_crc32c.implementation != "c":  # every SCTP packet's checksum in pure Python
        raise SystemExit("google-crc32c runs without its compiled extension")
    found = set(installed())
    if not expected_plugins <= found:
        raise SystemExit(f"plugins not installed: {sorted(expected_plugins - found)}")
    settings = replace(Settings(), host="127.0.0.1", port=0)
    server = SignalingServer(settings, resume_secret=secrets.token_bytes(32))
    await server.start()
    sessions: list[Session] = []
    logs: list[Events] = []
    try:
        async with asyncio.timeout(TIMEOUT):
            for name in ("a", "b"):
                classes = features(load(None), [Probe])  # every installed plugin
                config = SessionConfig(
                    server.url, "smoke", name=name, ice_addresses=LOOPBACK, options=OPTIONS
                )
                log = Events()
                session = Session(config, features=classes, events=log)
                sessions.append(session)
                logs.append(log)
                await session.start()
            a, b = sessions
            await logs[0].until(lambda: b.peer_id in a.connected)
            await logs[1].until(lambda: a.peer_id in b.connected)
            link = a.link(b.peer_id)
            assert link is not None
            if not isinstance(link.pc.sctp, DelayedAckTransport):
                raise SystemExit(f"no delayed acknowledgements: {type(link.pc.sctp)}")
            if link.route != "host":  # read from aioice's nominated pair
                raise SystemExit(f"route {link.route!r}, expected 'host'")
            if a.bus.publish_json(TOPIC, {"text": "hello"}) != 1:
                raise SystemExit("the bus message reached no peer")
            await logs[1].until(lambda: logs[1].seen("smoke.received", text="hello"))
            if "voice" in found:  # a's tone went through PyAV and aiortc's sender
                await logs[1].until(lambda: logs[1].seen("voice.speaking", peer=a.peer_id))
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await server.stop()
    failures = [
        event
        for log in logs
        for event in log.items
        if event["event"] == "plugin-error" or event["event"].endswith((".error", ".rejected"))
    ]
    if failures:
        raise SystemExit(f"plugins failed: {failures}")
    print(f"smoke passed with plugins {sorted(found)}")


if __name__ == "__main__":
    cli_help()
    asyncio.run(smoke(set(sys.argv[1:])))
