"""Two sessions joined with relay_only (`join --relay-only`) through a real coturn.

The signaling server hands out TURN credentials made with the same secret as
the generated coturn config; the peers may use only relay candidates, and
the test proves the bus really went through coturn: the selected local
candidate is a relay one, and coturn's log shows both allocations, the
channel bindings and relayed bytes both ways.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from avacollab.bus import Message
from avacollab.peer.session import Session, SessionConfig
from avacollab.testing import EventLog
from avacollab.turn.credentials import ice_servers_provider

from .conftest import ServerFactory
from .coturn import coturn_fixture  # noqa: F401 (`coturn` fixture)
from .test_join_e2e import ROOT, JoinProcess
from .test_turn_coturn import SECRET, WAIT, Start, generated_config, wait_for_log


async def test_relay_only_sessions_talk_over_the_bus_through_coturn(
    coturn: Start, make_server: ServerFactory
) -> None:
    turn = coturn(generated_config(), allow_loopback_peers=True)
    server = await make_server(ice_servers=ice_servers_provider([turn.url], SECRET, ttl=600))
    sessions: list[Session] = []
    try:
        events = [EventLog(), EventLog()]
        for name, sink in zip(("alice", "bob"), events, strict=True):
            config = SessionConfig(
                server.url, "relay", name=name, relay_only=True, ice_addresses=["127.0.0.1"]
            )
            session = Session(config, events=sink)
            await session.start()
            sessions.append(session)
        alice, bob = sessions
        await events[0].wait_for("peer-connected", timeout=WAIT * 2, peer=bob.peer_id)
        await events[1].wait_for("peer-connected", timeout=WAIT * 2, peer=alice.peer_id)

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


async def test_join_relay_only_processes_connect_through_coturn(
    coturn: Start, make_server: ServerFactory, tmp_path: Path
) -> None:
    turn = coturn(generated_config(), allow_loopback_peers=True)
    server = await make_server(ice_servers=ice_servers_provider([turn.url], SECRET, ttl=600))
    peers: list[JoinProcess] = []
    try:
        for name in ("alice", "bob"):
            stderr = (tmp_path / f"{name}.stderr").open("wb")
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "avacollab", "join", "relay", "--relay-only",
                "--server", server.url, "--name", name, "--ice-address", "127.0.0.1",
                "--events", "-", "--plugin", "tests.e2e_plugin",
                cwd=ROOT, env={**os.environ, "AVACOLLAB_PLUGINS": ""},
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )  # fmt: skip
            stderr.close()
            peers.append(JoinProcess(proc, name))
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
