"""``avacollab join`` as a person meets it: errors, help, settings (issue 16).

Every test drives the real command line: ``CliRunner`` where the command
fails before connecting, a real process against a real signaling server on
127.0.0.1 where it joins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avacollab.cli.app import app
from avacollab.settings import config_path
from avacollab.signaling.server import SignalingServer

from .clikit import environment
from .conftest import Connect, Peer

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"AVACOLLAB_PLUGINS": "", **(env or {})})
    return result.exit_code, result.output


@dataclass
class Ran:
    code: int
    out: str
    err: str


async def run_join(
    url: str, *args: str, stdin: str = "/quit\n", env: dict[str, str] | None = None
) -> Ran:
    """``avacollab join`` as its own process in room ``cli``, fed ``stdin``; bounded."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "avacollab", "join", "cli", "--server", url,
        "--ice-address", "127.0.0.1", *args,
        cwd=Path.cwd(), env=environment(**{"AVACOLLAB_PLUGINS": "", **(env or {})}),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(WAIT):
            out, err = await proc.communicate(stdin.encode())
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode(), err.decode())


# -- 4: no traceback for a bad log level; debug says more than info ---------


def test_an_unknown_log_level_is_one_clear_line() -> None:
    code, out = invoke("join", "room", "--log-level", "verbose")
    assert code == 2, out
    assert "Traceback" not in out and "ValueError" not in out
    assert out.strip() == "error: --log-level 'verbose': expected debug, info, warning, error"


async def test_debug_prints_more_than_info(server: SignalingServer) -> None:
    info = await run_join(server.url, "--log-level", "info")
    debug = await run_join(server.url, "--log-level", "DEBUG")
    assert info.code == debug.code == 0, (info.err, debug.err)
    assert "Traceback" not in info.err + debug.err
    assert " info joined " in info.err and " debug " not in info.err
    assert " debug " in debug.err
    assert len(debug.err.splitlines()) > len(info.err.splitlines())


# -- 10: help and wording ---------------------------------------------------


def test_help_placeholders_are_capitals_everywhere() -> None:
    from .test_cli_examples import commands

    for name, _ in commands():
        code, out = invoke(*name.split(), "--help")
        assert code == 0, out
        # Typer's defaults would show <list[str]>, <int>, {room}.
        assert not re.search(r"<[\w\[\]]+>", out), (name, out)
        assert not re.search(r"\{[a-z]", out), (name, out)


async def test_join_counts_the_others_in_english(server: SignalingServer, connect: Connect) -> None:
    other = await connect(server.url)
    await other.join("cli")
    ran = await run_join(server.url)
    assert ran.code == 0, ran.err
    assert "(1 other peer)" in ran.out
    await other.ws.close()


def test_a_clean_goodbye_is_not_explained_twice() -> None:
    from avacollab.cli.join import describe

    assert describe({"event": "peer-left", "peer": "p1", "name": "bob", "reason": "left"}) == (
        "* bob (p1) left"
    )
    assert describe({"event": "joined", "room": "r", "peer": "p0", "peers": []}) == (
        "* joined r as p0 (alone so far)"
    )


# -- 6: the server URL, ICE addresses, errors in the user's words ------------


async def test_the_base_url_of_a_server_is_enough(server: SignalingServer) -> None:
    base = server.url.removesuffix("/ws")
    for url in (base, base + "/"):
        ran = await run_join(url)
        assert ran.code == 0, ran.out + ran.err
        assert "* joined cli as " in ran.out


async def test_a_wrong_path_suggests_the_right_one(server: SignalingServer) -> None:
    base = server.url.removesuffix("/ws")
    ran = await run_join(base + "/signal")
    assert ran.code == 1
    assert ran.out.strip().endswith(f"did you mean {base}/ws?"), ran.out
    assert "Traceback" not in ran.err


def test_an_ice_address_not_on_this_machine_is_refused_at_once(unused_tcp_port: int) -> None:
    # 192.0.2.1 is TEST-NET-1: documentation only, never a local address.
    url = f"ws://127.0.0.1:{unused_tcp_port}/ws"
    code, out = invoke("join", "room", "--server", url, "--ice-address", "192.0.2.1")
    assert code == 2
    assert out.startswith("error: --ice-address 192.0.2.1: not an address of this machine")
    code, out = invoke(
        "join", "room", "--server", url, env={"AVACOLLAB_ICE_ADDRESSES": "192.0.2.1"}
    )
    assert code == 2 and out.startswith("error: ice_addresses 192.0.2.1: not an address")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["join", "room", "--connect-timeout", "-1"], "error: --connect-timeout must be positive"),
        (["join", "room", "--server", "http://x"], "error: --server must start with ws://"),
        (["serve", "--max-room-size", "0"], "error: --max-room-size must be at least 1"),
        # The server's rules, checked before connecting (the property test found --name).
        (["join", "room", "--name", "a\x1ab"], "error: --name: at most 64 characters, no control"),
        (["join", "no room"], "error: 'no room' is not a valid room name"),
        (["serve", "--allowed-host", "a/b"], "error: --allowed-host: 'a/b' is not a host name"),
    ],
)
def test_errors_name_the_flag_the_user_typed(args: list[str], message: str) -> None:
    code, out = invoke(*args)
    assert code == 2 and out.startswith(message), out


# -- 2: plugin options in the layered settings ------------------------------


def write_config(text: str) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(text)


async def test_plugin_options_come_from_file_env_and_flags(server: SignalingServer) -> None:
    write_config('[voice]\nsource = "tone:440"\n')
    voice = {"AVACOLLAB_PLUGINS": "voice"}
    from_file = await run_join(server.url, stdin="/links\n/quit\n", env=voice)
    assert from_file.code == 0, from_file.out + from_file.err
    assert "voice: tone (live)" in from_file.out
    write_config('[voice]\nsource = "tone:nope"\n')  # a bad value is refused where it is
    bad = await run_join(server.url, env=voice)
    assert bad.code == 2 and bad.out == ""
    assert bad.err.strip() == f"error: {config_path()}: voice.source: " + (
        "voice.source tone needs a frequency in Hz, like tone:440, not 'tone:nope'"
    )
    write_config('[voice]\nsource = "tone:440"\n')
    env = await run_join(server.url, "--set", "voice.source=none", stdin="/links\n/quit\n",
                         env={**voice, "AVACOLLAB_VOICE_SOURCE": "none"})  # fmt: skip
    assert env.code == 0 and "voice: not sending" in env.out, env.out + env.err


def test_config_show_lists_plugin_options_and_their_sources() -> None:
    write_config('[voice]\nsource = "none"\n[editing]\npoll = 2\n')
    code, out = invoke(
        "config", "show", env={"AVACOLLAB_PLUGINS": "voice,editing", "AVACOLLAB_VOICE_MUTED": "on"}
    )
    assert code == 0, out
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in out.splitlines()}
    assert rows["voice.source"] == ["'none'", f"file {config_path()}"]
    assert rows["editing.poll"] == ["'2'", f"file {config_path()}"]
    assert rows["voice.muted"] == ["'on'", "env AVACOLLAB_VOICE_MUTED"]
    assert rows["voice.threshold"][1] == "default"
    assert rows["port"][1] == "default"  # the core's settings are there too


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[voic]\nsource = 'none'\n", "[voic]: unknown feature 'voic' (did you mean 'voice'?)"),
        ("[voice]\nsorce = 'none'\n", "voice.sorce: unknown option 'sorce' (did you mean"),
        ("[voice]\nsource = ['none']\n", "voice.source must be a string, a number or true/false"),
    ],
)
def test_bad_plugin_tables_are_one_clear_line(text: str, message: str) -> None:
    write_config(text)
    for args in (["config", "show"], ["join", "room"]):
        code, out = invoke(*args, env={"AVACOLLAB_PLUGINS": "voice"})
        assert code == 2 and out == f"error: {config_path()}: {message}" + out.split(message)[1]
        assert len(out.splitlines()) == 1


# -- 1 and 3: every option checked before joining, one line, status 2 -------


async def watch_joiners(other: Peer, joiners: asyncio.Queue[str]) -> None:
    """Put the id of every peer-joined the raw peer ``other`` receives into ``joiners``.

    Reading all along also answers the server's pings, which keeps ``other`` in the room."""
    while True:
        message = await other.recv(timeout=3600)
        if message["type"] == "peer-joined":
            joiners.put_nowait(str(message["peer"]))


BAD_OPTIONS = [
    ("editing.dco=foo.json", "--set editing.dco: unknown option 'dco' (did you mean 'doc'?)"),
    ("nosuchplugin.x=1", "--set nosuchplugin.x: unknown feature 'nosuchplugin'"),
    ("editing.poll=-1", "--set editing.poll=-1: must be seconds between 0 and 3600"),
    ("presence.color=blue", "--set presence.color=blue: user.color must be a #rrggbb"),
    ("editing.doc=/nonexistent/d/x.json", "directory '/nonexistent/d' does not exist"),
    ("presence.cursor_from=/nonexistent/c.jsonl", "cannot read /nonexistent/c.jsonl: No such"),
    # Options checked against each other (Feature.check_options), found by the property test.
    ("presence.idle_after=400", "error: presence: away_after must be longer than idle_after"),
]


async def test_a_bad_option_never_shows_a_peer_to_the_room(
    server: SignalingServer, connect: Connect, tmp_path: Path
) -> None:
    other = await connect(server.url)
    await other.join("cli")
    joiners: asyncio.Queue[str] = asyncio.Queue()
    watcher = asyncio.create_task(watch_joiners(other, joiners))
    plugins = {"AVACOLLAB_PLUGINS": "editing,presence"}
    for setting, message in BAD_OPTIONS:
        bad = await run_join(server.url, "--set", setting, env=plugins)
        assert bad.code == 2 and bad.out == "", (setting, bad.out)
        assert bad.err.startswith("error: ") and message in bad.err, (setting, bad.err)
        assert len(bad.err.splitlines()) == 1  # no traceback, no "never awaited" warning
    # The next peer the room sees is a good one: no bad one ever joined.
    doc = f"editing.doc={tmp_path / 'doc.json'}"
    good = asyncio.create_task(run_join(server.url, "--set", doc, "--events", "-", env=plugins))
    ran = await good
    assert ran.code == 0, ran.err
    watcher.cancel()
    joined = json.loads(ran.out.splitlines()[0])
    assert (
        joined["event"] == "joined"
        and await asyncio.wait_for(joiners.get(), WAIT) == joined["peer"]
    )
    assert joiners.empty()
    await other.ws.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["join", "room", "--connect-timeout", "x"],
            "error: Invalid value for '--connect-timeout'",
        ),
        (["join"], "error: Missing argument 'ROOM'."),
        (["serve", "--port", "http"], "error: Invalid value for '--port'"),
        (["join", "room", "--no-such-flag"], "error: No such option: --no-such-flag"),
    ],
)
def test_a_usage_mistake_is_one_line(args: list[str], message: str) -> None:
    code, out = invoke(*args)
    assert code == 2 and out.startswith(message) and len(out.splitlines()) == 1, out


# -- 9: machine output ------------------------------------------------------


async def test_tree_and_presence_print_json_for_scripts(
    server: SignalingServer, tmp_path: Path
) -> None:
    lines = "/add - Button label=Buy\n/tree --json\n/presence --json\n/quit\n"
    ran = await run_join(
        server.url, "--name", "ada", "--set", f"editing.doc={tmp_path / 'doc.json'}",
        stdin=lines, env={"AVACOLLAB_PLUGINS": "editing,presence"},
    )  # fmt: skip
    assert ran.code == 0, ran.err
    parsed = [json.loads(line) for line in ran.out.splitlines() if line.startswith("[")]
    tree, presence = parsed
    assert [(c["type"], c["properties"]) for c in tree] == [("Button", {"label": "Buy"})]
    assert tree[0]["children"] == [] and len(tree[0]["id"]) > 0
    assert len(presence) == 1 and presence[0]["you"] is True
    assert presence[0]["user"]["name"] == "ada" and presence[0]["status"] == "active"


# -- 5: media is opt-in, each error printed once ----------------------------


async def test_voice_sends_nothing_until_asked_and_says_each_error_once(
    server: SignalingServer,
) -> None:
    lines = "/links\n/mic on tone:440\n/links\n/mic off\n/links\n/mic on\n/mic sideways\n/quit\n"
    ran = await run_join(server.url, stdin=lines, env={"AVACOLLAB_PLUGINS": "builtin,voice"})
    assert ran.code == 0, ran.err
    out = ran.out.splitlines()
    # The quick start greets with no error: nothing is opened until /mic on.
    assert out[1:4] == ["you: " + out[0].split(" as ")[1].split(" ")[0] + " in cli",
                        "room cli: 0 other peers", "voice: not sending"]  # fmt: skip
    assert "sending tone" in out and "voice: tone (live); speaking: -" in out
    assert "mic off" in out and out.count("voice: not sending") == 2
    assert "usage: /mic on [mic|tone:HZ|file:PATH] | /mic off" in out
    # /mic on opens this machine's microphone: sent once, or one error saying why not.
    replies = [line for line in out if line == "sending mic" or "no microphone" in line]
    assert len(replies) == 1, ran.out + ran.err
    assert "no microphone" not in ran.err


async def test_a_plugin_error_is_one_line_without_traceback(server: SignalingServer) -> None:
    lines = "/break-status\n/links\n/quit\n"
    ran = await run_join(server.url, "--plugin", "tests.e2e_plugin", stdin=lines)
    assert ran.code == 0, ran.err
    assert "Traceback" not in ran.out + ran.err
    assert (ran.out + ran.err).count("status is broken") == 1
    assert "! e2e: status failed: RuntimeError: status is broken" in ran.out.splitlines()


# -- 11: colour where a terminal is attached, never in pipes ----------------


async def run_in_terminal(url: str, stdin: str, env: dict[str, str]) -> str:
    """``join`` with its output on a pseudo-terminal; everything it wrote there."""
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "avacollab", "join", "cli", "--server", url,
        "--ice-address", "127.0.0.1",
        cwd=Path.cwd(), env=environment(**{"AVACOLLAB_PLUGINS": "", "TERM": "xterm", **env}),
        stdin=asyncio.subprocess.PIPE, stdout=slave, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    try:
        async with asyncio.timeout(WAIT):
            await proc.communicate(stdin.encode())
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    output = b""
    with contextlib.suppress(OSError):  # EIO once everything written is read
        while chunk := os.read(master, 65536):
            output += chunk
    os.close(master)
    assert proc.returncode == 0, output
    return output.decode(errors="replace")


COLOUR = re.compile(r"\x1b\[[0-9;]*3[1-7]m")  # an SGR foreground colour


async def test_colour_only_on_a_terminal_and_never_with_no_color(
    server: SignalingServer,
) -> None:
    coloured = await run_in_terminal(server.url, "/nope\n/quit\n", {})
    assert COLOUR.search(coloured) and "joined cli" in coloured
    assert f"connecting to {server.url}" in coloured  # the spinner while joining
    plain = await run_in_terminal(server.url, "/nope\n/quit\n", {"NO_COLOR": "1"})
    assert not COLOUR.search(plain) and "joined cli" in plain
    piped = await run_join(server.url, stdin="/nope\n/quit\n")
    assert "\x1b" not in piped.out + piped.err and "* joined cli" in piped.out


def test_plugin_tables_fit_a_hundred_columns() -> None:
    env = {"AVACOLLAB_PLUGINS": "builtin,editing,presence,screenshare,voice"}
    code, out = invoke("plugins", "--options", env=env)
    assert code == 0 and "cursor_from" in out
    assert max(len(line) for line in out.splitlines()) <= 100, out
