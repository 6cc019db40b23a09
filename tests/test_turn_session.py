"""Two sessions joined with relay_only (`join --relay-only`) through a real coturn.

The signaling server hands out TURN credentials made with the same secret as
the generated coturn config; the peers may use only relay candidates, and
the test proves the bus really went through coturn: the selected local
candidate is a relay one, and coturn's log shows both allocations, the
channel bindings and relayed bytes both ways.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import pytest

from avacollab.bus import Message
from avacollab.peer.session import Session, SessionConfig
from avacollab.signaling.server import SignalingServer
from avacollab.testing import EventLog
from avacollab.turn.credentials import ice_servers_provider

from .clikit import environment
from .conftest import Serve, ServerFactory
from .coturn import Coturn, coturn_fixture  # noqa: F401 (`coturn` fixture)
from .test_join_e2e import JoinProcess
from .test_turn_coturn import SECRET, WAIT, Start, generated_config, wait_for_log

LOCAL = ["127.0.0.1"]  # coturn listens and relays on 127.0.0.1


Relayed = tuple[Coturn, SignalingServer]


@pytest.fixture
async def relayed(coturn: Start, make_server: ServerFactory) -> Relayed:
    """A coturn, and a signaling server that hands out credentials for it."""
    turn = coturn(generated_config(), allow_loopback_peers=True)
    server = await make_server(ice_servers=ice_servers_provider([turn.url], SECRET, ttl=600))
    return turn, server


async def relay_sessions(url: str, sessions: list[Session]) -> list[EventLog]:
    """Alice and Bob join room ``relay`` with relay_only and connect; their event logs.

    Each session is put in ``sessions`` once started, for the test to close.
    """
    logs = [EventLog(), EventLog()]
    for name, events in zip(("alice", "bob"), logs, strict=True):
        config = SessionConfig(url, "relay", name=name, relay_only=True, ice_addresses=LOCAL)
        session = Session(config, events=events)
        await session.start()
        sessions.append(session)
    alice, bob = sessions
    await logs[0].wait_for("peer-connected", timeout=WAIT * 2, peer=bob.peer_id)
    await logs[1].wait_for("peer-connected", timeout=WAIT * 2, peer=alice.peer_id)
    return logs


async def test_relay_only_sessions_talk_over_the_bus_through_coturn(relayed: Relayed) -> None:
    turn, server = relayed
    sessions: list[Session] = []
    try:
        await relay_sessions(server.url, sessions)
        alice, bob = sessions

        got: asyncio.Queue[Message] = asyncio.Queue()
        bob.bus.subscribe("test.hello", got.put_nowait)
        alice.bus.publish_json("test.hello", {"via": "relay"})
        message = await asyncio.wait_for(got.get(), WAIT)
        assert message.json() == {"via": "relay"} and message.sender == alice.peer_id

        for me, other in ((alice, bob), (bob, alice)):
            link = me.link(other.peer_id)
            assert link is not None and link.pc.sctp is not None
            ice = link.pc.sctp.transport.transport
            # aiortc has no getSelectedCandidatePair(); aioice keeps the nominated pair.
            selected = ice._connection._nominated[1].local_candidate
            assert selected.type == "relay" and link.route == "relay"
            assert {c.type for c in ice.iceGatherer.getLocalCandidates()} == {"relay"}
    finally:
        for session in sessions:
            await session.close()

    # coturn logs an allocation's relayed ("peer") traffic when it is deleted.
    log = await wait_for_log(turn, r"peer usage: .*", count=2)
    assert len(re.findall(r"ALLOCATE processed, success", log)) == 2  # max-bundle: one each
    assert len(re.findall(r"CHANNEL_BIND processed, success", log)) >= 2
    usage = re.findall(r"peer usage: .*rb=(\d+), .*sb=(\d+)", log)
    assert len(usage) == 2 and all(int(rb) > 0 and int(sb) > 0 for rb, sb in usage)


async def test_a_dead_turn_server_holds_up_neither_a_lost_link_nor_closing(
    relayed: Relayed,
) -> None:
    turn, server = relayed
    sessions: list[Session] = []
    try:
        logs = await relay_sessions(server.url, sessions)
        turn.process.kill()
        turn.process.wait(WAIT)
        # The silent link is given up and reported at once, not when aiortc
        # is done deleting its allocation.
        for events in logs:
            failed = await events.wait_for("link-failed", timeout=WAIT)
            left = await events.wait_for("peer-left", timeout=2.0)
            assert left["ts"] - failed["ts"] < 1.0
        await server.stop()
        loop = asyncio.get_running_loop()
        for session in sessions:
            started = loop.time()
            # aiortc alone would wait 63 s for each TURN allocation's deletion.
            async with asyncio.timeout(WAIT):
                await session.close()
            took = loop.time() - started
            print(f"{session.name}: close() took {took:.2f} s")
            assert took < session.config.leave_timeout + 0.5
    finally:
        for session in sessions:
            await session.close()


async def relay_peer(url: str, name: str, tmp_path: Path, *extra: str) -> JoinProcess:
    """A ``join --relay-only`` process in room ``relay``; its stderr goes to NAME.stderr."""
    stderr = (tmp_path / f"{name}.stderr").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "avacollab", "join", "relay", "--relay-only",
        "--server", url, "--name", name, "--ice-address", "127.0.0.1",
        "--events", "-", "--plugin", "tests.e2e_plugin", *extra,
        cwd=tmp_path, env=environment(AVACOLLAB_PLUGINS=""),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
    )  # fmt: skip
    stderr.close()
    return JoinProcess(proc, name)


async def test_join_relay_only_processes_connect_through_coturn(
    relayed: Relayed, tmp_path: Path
) -> None:
    turn, server = relayed
    peers: list[JoinProcess] = []
    try:
        for name in ("alice", "bob"):
            peers.append(await relay_peer(server.url, name, tmp_path))
        alice, bob = peers
        for peer in peers:
            connected = await peer.events.wait_for("peer-connected", timeout=WAIT * 2)
            assert connected["route"] == "relay"
        await alice.command("/send through coturn")
        await bob.events.wait(
            lambda: any(e.get("text") == "through coturn" for e in bob.events.items), timeout=WAIT
        )
        for peer in peers:
            await peer.command("/quit")
        for peer in peers:
            assert await peer.exited() == 0
    finally:
        for peer in peers:
            peer.kill()
            await peer.proc.wait()

    log = await wait_for_log(turn, r"peer usage: .*", count=2)
    assert len(re.findall(r"ALLOCATE processed, success", log)) == 2
    usage = re.findall(r"peer usage: .*rb=(\d+), .*sb=(\d+)", log)
    assert len(usage) == 2 and all(int(rb) > 0 and int(sb) > 0 for rb, sb in usage)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
async def test_join_leaves_within_seconds_when_turn_and_signaling_are_gone(
    coturn: Start,
    serve: Serve,
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    """The plugins save first, then leaving gives up on what the dead network holds up.

    aiortc deletes each TURN allocation before its close returns, and aioice
    retries an unanswered deletion for 63 s; the signaling client would retry
    its server forever.
    """
    turn = coturn(generated_config(), allow_loopback_peers=True)
    secret = tmp_path / "turn.secret"
    secret.write_text(SECRET)
    secret.chmod(0o600)  # serve refuses a secret others can read
    server, url = await serve("--turn-url", turn.url, "--turn-secret-file", str(secret))
    peers: list[JoinProcess] = []
    try:
        for name in ("alice", "bob"):
            save = f"e2e.save={tmp_path / name}.json"
            peer = await relay_peer(url, name, tmp_path, "--set", save, "--log-level", "info")
            peers.append(peer)
        alice, bob = peers
        for peer in peers:
            connected = await peer.events.wait_for("peer-connected", timeout=WAIT * 2)
            assert connected["route"] == "relay"
        for peer, other in ((alice, bob), (bob, alice)):
            await peer.command(f"/send from {peer.name}")
            await other.events.wait_for("e2e.received", text=f"from {peer.name}", timeout=WAIT)

        for process in (turn.process, server):
            process.kill()  # SIGKILL: no goodbye from either
        turn.process.wait(WAIT)
        await server.wait()
        loop = asyncio.get_running_loop()
        # Alice leaves at once; Bob once he has given the silent link up and
        # is trying to replace it (the second state the issue saw).
        for peer, other in ((alice, bob), (bob, alice)):
            if peer is bob:
                await bob.events.wait_for("link-failed", peer=alice.id, timeout=WAIT * 2)
            signalled = loop.time()
            peer.proc.send_signal(sig)
            assert await peer.exited() == 0
            took = loop.time() - signalled
            print(f"{peer.name}: exited {took:.2f} s after {sig.name}")
            # "About 2 s" on an idle machine; the bound leaves room for a loaded one.
            assert took < 5.0
            # The plugin saved what it held before anything else closed.
            names = [e["event"] for e in peer.events.items]
            assert names.index("e2e.saved") < names.index("closed")
            saved = json.loads((tmp_path / f"{peer.name}.json").read_text())
            assert saved == {"received": [f"from {other.name}"]}
            log = (tmp_path / f"{peer.name}.stderr").read_text()
            assert "leave-abandoned" in log  # what the deadline gave up is said
    finally:
        for peer in peers:
            peer.kill()
            await peer.proc.wait()
