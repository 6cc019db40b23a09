"""``avacollab join`` end to end: each peer its own process, driven through stdin.

Every peer gathers ICE candidates on 127.0.0.1 only, loads the test plugin
``tests.e2e_plugin`` with ``--plugin``, and reports with ``--events -``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from avacollab.cli import join as join_cli
from avacollab.feature import Feature, JoinCommand
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.session import SessionConfig
from avacollab.shortids import PEER_SHORT, short_ids
from avacollab.signaling.server import SignalingServer
from avacollab.testing import EventLog

from .clikit import environment
from .conftest import ServerFactory
from .e2e_plugin import payload
from .sessionkit import WAIT

ROOT = Path(__file__).resolve().parent.parent


class JoinProcess:
    """One ``python -m avacollab.cli.join`` process and its event stream."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str) -> None:
        self.proc = proc
        self.name = name
        self.events = EventLog()
        self.id = ""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            event = json.loads(line)
            if event["event"] == "joined":
                self.id = event["peer"]
            self.events(event)

    async def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def connected_to(self, count: int) -> None:
        await self.events.wait(
            lambda: len({e["peer"] for e in self.events.named("peer-connected")}) >= count
        )

    async def exited(self) -> int:
        async with asyncio.timeout(WAIT):
            code = await self.proc.wait()
            await self._reader
        return code

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


Spawn = Callable[..., Awaitable[JoinProcess]]


@pytest.fixture
async def spawn(server: SignalingServer, tmp_path: Path) -> AsyncIterator[Spawn]:
    processes: list[JoinProcess] = []

    async def factory(name: str, *extra: str, room: str = "e2e") -> JoinProcess:
        stderr = (tmp_path / f"{name}.stderr").open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "avacollab.cli.join", room,
            "--server", server.url, "--name", name, "--ice-address", "127.0.0.1",
            "--events", "-", "--connect-timeout", "10", "--plugin", "tests.e2e_plugin",
            *extra,
            cwd=tmp_path, env=environment(AVACOLLAB_PLUGINS=""),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
            # An event line may be long: a command's reply event repeats its
            # command, and the renegotiation bomb's is 90 KB.
            limit=1 << 20,
        )  # fmt: skip
        stderr.close()
        process = JoinProcess(proc, name)
        processes.append(process)
        await process.events.wait_for("joined")
        return process

    yield factory
    for process in processes:
        process.kill()
    for process in processes:
        await process.proc.wait()
        process._reader.cancel()


async def quit_all(peers: list[JoinProcess]) -> None:
    for peer in peers:
        await peer.command("/quit")
    codes = await asyncio.gather(*(p.exited() for p in peers))
    assert codes == [0] * len(peers)


def received(peer: JoinProcess, text: str) -> list[dict[str, Any]]:
    return [e for e in peer.events.named("e2e.received") if e["text"] == text]


async def got(peer: JoinProcess, text: str, timeout: float = WAIT) -> None:
    await peer.events.wait(lambda: bool(received(peer, text)), timeout=timeout)


@pytest.mark.parametrize("count", [2, 3, 6])
async def test_peers_reach_full_mesh_and_exchange_messages(spawn: Spawn, count: int) -> None:
    peers = list(await asyncio.gather(*(spawn(f"p{i}") for i in range(count))))
    async with asyncio.timeout(30):
        await asyncio.gather(*(p.connected_to(count - 1) for p in peers))
    first, second = peers[:2]
    await first.command("/send hello all")
    await first.command(f"/send --to {second.id} hello {second.name}")
    await first.command("/send the end")
    for peer in peers[1:]:
        await got(peer, "the end")
    for peer in peers[1:]:
        # One channel per pair is ordered, so "the end" came after anything else.
        texts = [e["text"] for e in peer.events.named("e2e.received")]
        expected = ["hello all", f"hello {second.name}", "the end"] if peer is second else [
            "hello all", "the end"]  # fmt: skip
        assert texts == expected
        assert {e["sender"] for e in peer.events.named("e2e.received")} == {first.id}
    assert not first.events.named("e2e.received")
    await quit_all([first])
    for peer in peers[1:]:
        await peer.events.wait_for("peer-left", peer=first.id, reason="left")
    await quit_all(peers[1:])


async def test_a_killed_peer_is_seen_gone_within_ten_seconds(spawn: Spawn) -> None:
    peers = list(await asyncio.gather(*(spawn(f"k{i}") for i in range(3))))
    async with asyncio.timeout(30):
        await asyncio.gather(*(p.connected_to(2) for p in peers))
    victim, *survivors = peers
    victim.proc.send_signal(signal.SIGKILL)
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    for peer in survivors:
        left = await peer.events.wait_for("peer-left", timeout=10.0, peer=victim.id)
        assert left["reason"] in ("timeout", "failed")
    assert loop.time() - killed_at < 10.0
    # The survivors still talk to each other.
    await survivors[0].command("/send still here")
    await got(survivors[1], "still here")
    await quit_all(survivors)


async def test_a_megabyte_arrives_intact_and_hostile_frames_are_survived(spawn: Spawn) -> None:
    sender = await spawn("sender")
    target = await spawn("target", "--set", "e2e.max-incoming-frame=65536")
    async with asyncio.timeout(30):
        await asyncio.gather(sender.connected_to(1), target.connected_to(1))
    await sender.command("/big 1000000")
    big = await target.events.wait_for("e2e.received", size=1_000_000)
    assert big["sha256"] == hashlib.sha256(payload(1_000_000)).hexdigest()

    for command in ("garbage", "oversized", "unknown"):
        await sender.command(f"/{command} {target.id}")
    await sender.events.wait(lambda: len(sender.events.named("e2e.raw-sent")) == 3)
    await sender.command("/send after the storm")
    await got(target, "after the storm")
    await target.command("/counters")
    counters = await target.events.wait_for("e2e.counters")
    assert counters["malformed_frames"] >= 1
    assert counters["oversized_frames"] == 1
    assert counters["unknown_topics"] == 1
    for peer in (sender, target):
        assert not peer.events.named("peer-left") and not peer.events.named("link-failed")
    await quit_all([sender, target])


def memory(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak so far) of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return fields


MIB = 1024 * 1024
RSS_BUDGET = 24 * MIB
"""How much the attacked peer's memory may grow under the renegotiation bomb."""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
async def test_a_renegotiation_bomb_is_refused_and_the_room_talks_on(
    spawn: Spawn, tmp_path: Path
) -> None:
    peers = list(await asyncio.gather(*(spawn(f"b{i}") for i in range(3))))
    async with asyncio.timeout(30):
        await asyncio.gather(*(p.connected_to(2) for p in peers))
    # The smallest id makes the offers to both others: only an answerer may
    # ask it to renegotiate, so the attacker is the largest.
    target, honest, attacker = sorted(peers, key=lambda p: p.id)
    before = memory(target.proc.pid)
    # About 90 kB asking for 10,000 video m-lines (the bomb), and a
    # request small enough to be read that still asks for 100.
    bomb = json.dumps({"seq": 1, "receive": ["video"] * 10_000})
    many = json.dumps({"seq": 2, "receive": ["video"] * 100})
    peak_rss = 0
    for i, request in enumerate([bomb, many] * 3):
        await attacker.command(f"/publish {target.id} session.renegotiate {request}")
        # The attacked link stays up: what follows the request on the same
        # ordered channel arrives, so the request has been dealt with.
        await attacker.command(f"/send --to {target.id} after {i}")
        await got(target, f"after {i}")
        # The others keep talking to the attacked peer, and it to them.
        for j in range(5):
            await honest.command(f"/send --to {target.id} during {i}.{j}")
            await got(target, f"during {i}.{j}", timeout=5.0)
            await target.command(f"/send --to {honest.id} reply {i}.{j}")
            await got(honest, f"reply {i}.{j}", timeout=5.0)
            peak_rss = max(peak_rss, memory(target.proc.pid)["VmRSS"])
    await target.command(f"/send --to {attacker.id} still here")
    await got(attacker, "still here")
    after = memory(target.proc.pid)
    print(
        f"target RSS before {before['VmRSS'] / MIB:.1f} MiB, highest during "
        f"{peak_rss / MIB:.1f} MiB, after {after['VmRSS'] / MIB:.1f} MiB; "
        f"peak {before['VmHWM'] / MIB:.1f} -> {after['VmHWM'] / MIB:.1f} MiB"
    )
    assert peak_rss - before["VmRSS"] < RSS_BUDGET
    assert after["VmHWM"] - max(before["VmHWM"], before["VmRSS"]) < RSS_BUDGET
    for peer in peers:
        assert not peer.events.named("link-failed") and not peer.events.named("peer-left")
    # Each refusal is logged with its reason (the bomb's unread).
    log = (tmp_path / f"{target.name}.stderr").read_text()
    assert f"renegotiate-refused peer={attacker.id} reason=session.renegotiate of " in log
    assert "bytes, at most 1024" in log
    assert "of 100 receivers: only audio and video, at most 8 m-lines of each" in log
    await quit_all(peers)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_signals_leave_cleanly_with_status_zero(spawn: Spawn, sig: signal.Signals) -> None:
    stay, leave = await spawn("stay"), await spawn("leave")
    async with asyncio.timeout(30):
        await asyncio.gather(stay.connected_to(1), leave.connected_to(1))
    leave.proc.send_signal(sig)
    assert await leave.exited() == 0
    assert leave.events.named("closed")
    await stay.events.wait_for("peer-left", peer=leave.id, reason="left")
    await quit_all([stay])


async def test_a_signal_while_the_server_never_answers_the_join_leaves_at_once(
    tmp_path: Path,
) -> None:
    # A server that takes the TCP connection and then says nothing.
    accepted = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    async def mute(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        accepted.set()

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with (tmp_path / "stderr").open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "avacollab.cli.join", "room",
            "--server", f"ws://127.0.0.1:{port}/ws", "--plugin", "tests.e2e_plugin",
            cwd=tmp_path, env=environment(AVACOLLAB_PLUGINS=""),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        async with asyncio.timeout(WAIT):
            await accepted.wait()
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(5.0):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_who_help_and_unknown_commands(spawn: Spawn, tmp_path: Path) -> None:
    a, b = await spawn("ann"), await spawn("bob")
    async with asyncio.timeout(30):
        await asyncio.gather(a.connected_to(1), b.connected_to(1))
    for line in ("/links", "/who", "/help", "/nope", "no slash", "/big nope"):
        await a.command(line)
    await a.command("/quit")
    assert await a.exited() == 0
    status = (tmp_path / "ann.stderr").read_text()
    short = short_ids([a.id, b.id], PEER_SHORT)[b.id]  # as every line names a peer
    assert f"bob ({short}): connected, link connected, rtt" in status  # /links
    assert "room e2e: 1 other peer" in status  # /links shows the plugins' status lines
    assert f"\nbob ({short})\n" in status  # /who
    # /help lists the core, built-in and plugin commands alike.
    assert all(f"/{c}" in status for c in ("garbage", "quit", "links", "who", "help"))
    assert "/big failed: ValueError" in status  # a plugin's error, the session goes on
    assert "unknown command /nope; try /help" in status
    assert "commands start with /" in status
    await quit_all([b])


def cli_app() -> typer.Typer:
    app = typer.Typer()
    join_cli.register(app)
    app.command("noop")(lambda: None)  # two commands, so "join" is named as in avacollab
    return app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "nodot=1"], "expected feature.option=value"),
        (["--set", "a.b"], "expected feature.option=value"),
        (["--ice-address", "localhost"], "is not an IP address"),
        (["--connect-timeout", "0"], "error: --connect-timeout must be positive"),
        (["--plugin", "no_such_module_here"], "cannot import it"),
        (["--events", "/nonexistent-dir/x.jsonl"], "--events"),
    ],
)
def test_bad_options_are_refused_clearly(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVACOLLAB_PLUGINS", "")
    result = CliRunner().invoke(cli_app(), ["join", "room", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("e2f.send=1", "--set e2f.send: unknown feature 'e2f' (did you mean 'e2e'?)"),
        ("e2e.max-frame=1", "--set e2e.max-frame: unknown option 'max-frame' (did you mean"),
        ("e2e.max-incoming-frame=big", "--set e2e.max-incoming-frame=big: expected a whole"),
    ],
)
def test_bad_feature_options_are_refused_before_connecting(
    setting: str, message: str, unused_tcp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens at the URL: reaching it would fail with status 1 instead.
    monkeypatch.setenv("AVACOLLAB_PLUGINS", "")
    url = f"ws://127.0.0.1:{unused_tcp_port}/ws"
    args = ["join", "room", "--server", url, "--plugin", "tests.e2e_plugin", "--set", setting]
    result = CliRunner().invoke(cli_app(), args)
    assert result.exit_code == 2, result.output
    assert f"error: {message}" in result.output
    assert "cannot reach" not in result.output


async def test_a_feature_taking_a_join_command_is_refused(server: SignalingServer) -> None:
    class Quitter(Feature):
        name = "quitter"

        def commands(self) -> list[JoinCommand]:
            return [JoinCommand("quit", "Never leave.", lambda _: "no")]

    out = io.StringIO()
    config = SessionConfig(server.url, "room", ice_addresses=LOOPBACK)
    code = await join_cli.run(config, [Quitter], join_cli.Terminal(out, None))
    assert code == 2
    assert "error: join: command /quit is already defined" in out.getvalue()
    async with asyncio.timeout(WAIT):  # and it left the room
        await server.until(lambda: server.core.peer_count == 0)


def test_a_misspelled_plugin_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVACOLLAB_PLUGINS", "buitlin")
    result = CliRunner().invoke(cli_app(), ["join", "room"])
    assert result.exit_code == 2
    assert "unknown plugin 'buitlin' (did you mean 'builtin'?)" in result.output


def test_an_unreachable_server_is_an_error(
    unused_tcp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVACOLLAB_PLUGINS", "")
    url = f"ws://127.0.0.1:{unused_tcp_port}/ws"
    result = CliRunner().invoke(cli_app(), ["join", "room", "--server", url])
    assert result.exit_code == 1
    assert f"error: cannot reach {url}" in result.output


def test_help_explains_every_option() -> None:
    result = CliRunner().invoke(cli_app(), ["join", "--help"])
    assert result.exit_code == 0
    for option in ("--server", "--name", "--token", "--ice-address", "--relay-only",
                   "--connect-timeout", "--events", "--set", "--plugin", "Example:"):  # fmt: skip
        assert option in result.output


def test_parse_options() -> None:
    assert join_cli.parse_options(["editing.doc=a=b.json", "x.y="]) == {
        "editing.doc": "a=b.json",
        "x.y": "",
    }


async def test_others_edits_are_one_line_and_replies_are_events(
    spawn: Spawn, tmp_path: Path
) -> None:
    def editing(name: str) -> list[str]:
        return ["--plugin", "avacollab_editing.plugin", "--set",
                f"editing.doc={tmp_path / name}.json"]  # fmt: skip

    ann = await spawn("ann", *editing("ann"))
    bob = await spawn("bob", *editing("bob"))
    async with asyncio.timeout(30):
        await asyncio.gather(ann.connected_to(1), bob.connected_to(1))
    await bob.command("/add - Button label=Buy")
    await bob.command("/tree --json")
    changed = await ann.events.wait_for("editing.changed", origin=bob.id)
    short = short_ids([ann.id, bob.id], PEER_SHORT)[bob.id]
    assert changed["note"] == f"bob ({short}) edited 1 component"
    reply = await bob.events.wait_for("reply", command="/tree --json")
    (button,) = json.loads(reply["output"])
    assert button["type"] == "Button" and button["properties"] == {"label": "Buy"}
    await quit_all([ann, bob])
    status = (tmp_path / "ann.stderr").read_text().splitlines()
    assert f"* bob ({short}) edited 1 component" in status


async def test_select_names_existing_components_by_any_unique_prefix(
    spawn: Spawn, tmp_path: Path
) -> None:
    doc = f"editing.doc={tmp_path / 'a.json'}"
    plugins = ["--plugin", "avacollab_editing.plugin", "--plugin", "avacollab_presence.plugin"]
    ann = await spawn("ann", *plugins, "--set", doc)
    await ann.command("/add - Button label=Buy")
    added = await ann.events.wait_for("reply", command="/add - Button label=Buy")
    button = added["output"].removeprefix("added ")
    for line in ("/select nonexistent", f"/select {button[:6]}"):
        await ann.command(line)
    refused = await ann.events.wait_for("reply", command="/select nonexistent")
    assert refused["output"] == "error: no component 'nonexistent'; /tree lists them"
    chosen = await ann.events.wait_for("reply", command=f"/select {button[:6]}")
    assert chosen["output"] == f"selected Buy ({button[:8]})"  # its label and short id
    await quit_all([ann])


async def test_signaling_lost_and_regained_are_one_line_each(
    spawn: Spawn, server: SignalingServer, make_server: ServerFactory, tmp_path: Path
) -> None:
    ann = await spawn("ann")
    await server.stop()
    lost = await ann.events.wait_for("signaling-lost")
    assert "code" in lost
    await make_server(port=server.port)  # the same secret: ann resumes its id
    await ann.events.wait_for("rejoined")
    await quit_all([ann])
    status = (tmp_path / "ann.stderr").read_text().splitlines()
    assert status.count("! signaling lost, reconnecting (links to peers stay up)") == 1
    assert status.count("* signaling reconnected") == 1
    assert not [line for line in status if "warning signaling-lost" in line]
