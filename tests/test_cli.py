"""The command line: version, config layering, tokens, and `serve` as a real process."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from avacollab import __version__
from avacollab.cli.app import app
from avacollab.settings import config_path
from avacollab.signaling.tokens import verify_join_token

from .conftest import Serve

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_version() -> None:
    code, out = invoke("--version")
    assert code == 0 and out.strip() == f"avacollab {__version__}"


def test_every_option_of_every_command_has_an_example() -> None:
    import typer.main

    seen = 0

    def walk(group: object, prefix: str) -> None:
        nonlocal seen
        for name, sub in getattr(group, "commands", {}).items():
            if hasattr(sub, "commands"):
                walk(sub, f"{prefix} {name}")
                continue
            assert sub.help and sub.help.strip(), f"{prefix} {name} has no help"
            for param in sub.params:
                if isinstance(param, typer.core.TyperOption) and not param.is_flag:
                    seen += 1
                    assert param.help and ("Example" in param.help or "e.g." in param.help), (
                        f"{prefix} {name} {param.opts} has no help with an example"
                    )
                    # An example of this option names this option's own flag.
                    if example := re.match(r".*Example: (--[\w-]+) ", param.help):
                        assert example[1] in param.opts, (param.opts, example[1])

    walk(typer.main.get_command(app), "avacollab")
    assert seen > 20


def test_config_show_reports_each_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text('[server]\nport = 9001\nmax_rooms = 7\n[turn]\nturn_ttl = "30m"\n')
    code, out = invoke("config", "show", env={"AVACOLLAB_MAX_ROOMS": "9"})
    assert code == 0, out
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert "9001" in rows["port"] and f"file {config_path()}" in rows["port"]
    assert "9" in rows["max_rooms"] and "env AVACOLLAB_MAX_ROOMS" in rows["max_rooms"]
    assert "1800.0" in rows["turn_ttl"] and "file" in rows["turn_ttl"]
    assert "8765" not in rows["port"] and rows["host"].rstrip().endswith("default")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[server]\nport = 'many'\n", "server.port must be of type int"),
        ("[server]\nnot_a_setting = 1\n", "unknown setting server.not_a_setting"),
        ("port = 1\n", "must be a table"),
        ("[server\n", "cannot read config file"),
        ("[turn]\nturn_ttl = 'soon'\n", "not a duration"),
        ("[server]\nlog_format = 'xml'\n", "log_format must be"),
    ],
)
def test_bad_config_files_give_clear_errors(text: str, message: str) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(text)
    code, out = invoke("config", "show")
    assert code == 2 and message in out, out


def test_bad_environment_value_names_the_variable() -> None:
    code, out = invoke("config", "show", env={"AVACOLLAB_PORT": "eighty"})
    assert code == 2 and "AVACOLLAB_PORT='eighty' is not a valid int" in out


def test_config_init_writes_a_commented_file_that_loads(tmp_path: Path) -> None:
    code, out = invoke("config", "init")
    assert code == 0 and str(config_path()) in out
    text = config_path().read_text()
    assert "# Precedence" in text and "[server]" in text and "[turn]" in text
    # Uncommenting every value gives a file that loads to the defaults.
    uncommented = "\n".join(
        line[2:] if re.match(r"# [a-z_]+ = ", line) else line for line in text.splitlines()
    )
    tomllib.loads(uncommented)
    config_path().write_text(uncommented)
    code, out = invoke("config", "show")
    assert code == 0 and "8765" in out
    code, out = invoke("config", "init")
    assert code == 2 and "already exists" in out
    code, out = invoke("config", "init", "--force")
    assert code == 0


def test_config_path_follows_the_environment(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.toml"
    code, out = invoke("config", "path", env={"AVACOLLAB_CONFIG": str(target)})
    assert code == 0 and out.strip() == str(target)


def test_token_is_signed_for_its_room(tmp_path: Path) -> None:
    secret_file = tmp_path / "join.secret"
    code, out = invoke(
        "token", "design", "--identity", "alice", "--ttl", "2h",
        "--permission", "edit", "--secret-file", str(secret_file),
    )  # fmt: skip
    assert code == 0, out
    assert secret_file.stat().st_mode & 0o077 == 0
    grant = verify_join_token(secret_file.read_text().strip(), out.strip(), "design", time.time())
    assert grant.identity == "alice" and grant.permissions == ("edit",)
    assert grant.expires == pytest.approx(time.time() + 7200, abs=5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad room!", "--identity", "a", "--secret-file", "s"], "not a valid room name"),
        (["room", "--identity", "a", "--ttl", "forever", "--secret-file", "s"], "not a duration"),
        (["room", "--identity", "a"], "no secret"),
    ],
)
def test_token_errors(args: list[str], message: str, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    code, out = invoke("token", *args)
    assert code == 2 and message in out, out


# -- serve as a real process -------------------------------------------------------------


async def join(
    session: aiohttp.ClientSession, url: str
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, object]]:
    ws = await session.ws_connect(url)
    await ws.send_json({"type": "hello", "version": 1})
    assert (await ws.receive_json(timeout=5))["type"] == "hello"
    await ws.send_json({"type": "join", "room": "cli"})
    welcome = await ws.receive_json(timeout=5)
    assert welcome["type"] == "welcome", welcome
    return ws, welcome


async def test_serve_stops_on_sigterm_with_going_away(serve: Serve) -> None:
    proc, url = await serve()
    async with aiohttp.ClientSession() as session:
        ws, _ = await join(session, url)
        proc.send_signal(signal.SIGTERM)
        msg = await ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
    async with asyncio.timeout(10):
        assert await proc.wait() == 0


async def test_serve_hands_out_turn_credentials(serve: Serve, tmp_path: Path) -> None:
    secret = "s3cret-for-the-cli-test-0123456789"
    secret_file = tmp_path / "turn.secret"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    _, url = await serve(
        "--turn-url", "turn:127.0.0.1:3478", "--turn-url", "turns:127.0.0.1:5349",
        "--turn-secret-file", str(secret_file), "--turn-ttl", "10m",
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        _, welcome = await join(session, url)
    servers = welcome["iceServers"]
    assert isinstance(servers, list)
    assert servers[0] == {"urls": ["stun:127.0.0.1:3478"]}
    entry = servers[1]
    assert entry["urls"] == ["turn:127.0.0.1:3478", "turns:127.0.0.1:5349"]
    expiry, peer = entry["username"].split(":")
    assert peer == welcome["peer"]
    assert int(expiry) == pytest.approx(time.time() + 600, abs=10)
    mac = hmac.new(secret.encode(), entry["username"].encode(), hashlib.sha1).digest()
    assert entry["credential"] == base64.b64encode(mac).decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--turn-url", "http://x"], "TURN URL"),
        (["--turn-url", "turn:h:3478", "--turn-secret-file", "/nonexistent"], "does not exist"),
        (["--turn-url", "turn:h:3478", "--turn-ttl", "soon"], "not a duration"),
        (["--turn-ttl", "5s"], "at least 60 seconds"),
        (["--port", "70000"], "port must be between"),
        (["--log-format", "xml"], "error: --log-format must be 'text' or 'json'"),
        (["--max-rooms", "0"], "error: --max-rooms must be at least 1"),
        (["--send-queue-bytes", "100000"], "--send-queue-bytes must be at least twice"),
        (["--max-queued-bytes", "100"], "--max-queued-bytes must be at least send_queue_bytes"),
        (["--hello-timeout", "0"], "--hello-timeout must be positive"),
        (["--max-connections-per-address", "-1"], "must not be negative"),
    ],
)
def test_serve_refuses_bad_options(args: list[str], message: str) -> None:
    code, out = invoke("serve", *args)
    assert code == 2 and message in out, out


def _open_secret(path: Path) -> Path:
    path.write_text("an-open-secret-of-some-length-0123456789\n")
    path.chmod(0o644)
    return path


@pytest.mark.parametrize("option", ["--secret-file", "--token-secret-file", "--turn-secret-file"])
def test_serve_refuses_a_secret_file_others_can_read(option: str, tmp_path: Path) -> None:
    path = _open_secret(tmp_path / "open.secret")
    args = [option, str(path)]
    if option == "--turn-secret-file":
        args += ["--turn-url", "turn:127.0.0.1:3478"]
    # A process, bounded: a server that took the file would run on.
    done = subprocess.run(
        [sys.executable, "-m", "avacollab", "serve", "--port", "0", *args],
        capture_output=True, text=True, timeout=30,
        env={**os.environ, "AVACOLLAB_CONFIG_DIR": str(tmp_path / "config")},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"is open to its group and other users (mode 0644): chmod 600 {path}" in done.stderr


async def test_serve_uses_open_secret_files_when_allowed_and_says_so(
    serve: Serve, tmp_path: Path
) -> None:
    files = [_open_secret(tmp_path / name) for name in ("resume", "token", "turn")]
    lines: list[str] = []
    await serve(
        "--secret-file", str(files[0]), "--token-secret-file", str(files[1]),
        "--turn-url", "turn:127.0.0.1:3478", "--turn-secret-file", str(files[2]),
        "--allow-open-secret-files", lines=lines,
    )  # fmt: skip
    warned = [line for line in lines if "warning secret-file-open" in line]
    assert [any(f"chmod 600 {path}" in line for line in warned) for path in files] == [True] * 3


def test_token_refuses_an_open_secret_file_unless_allowed(tmp_path: Path) -> None:
    path = _open_secret(tmp_path / "join.secret")
    args = ["token", "design", "--identity", "alice", "--secret-file", str(path)]
    code, out = invoke(*args)
    assert code == 2 and f"chmod 600 {path}" in out, out
    code, out = invoke(*args, "--allow-open-secret-files")
    assert code == 0 and f"warning: secret file {path} is open" in out
    [token] = [line for line in out.splitlines() if not line.startswith("warning:")]
    assert verify_join_token(path.read_text().strip(), token, "design", time.time())


def test_serve_cannot_listen_on_a_taken_port() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "avacollab", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert done.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_turn_config_is_registered() -> None:
    code, out = invoke("turn-config", "--help")
    assert code == 0 and "coturn" in out


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AVACOLLAB_ICE_ADDRESSES": "127.0.0.1,bogus"}, "'bogus' is not an IP address"),
        ({"AVACOLLAB_SERVER_URL": "http://example.invalid"}, "server_url must start with ws://"),
        ({"AVACOLLAB_CONNECT_TIMEOUT": "0"}, "connect_timeout must be positive"),
        ({"AVACOLLAB_LEAVE_TIMEOUT": "0"}, "leave_timeout must be positive"),
    ],
)
def test_join_settings_come_from_the_environment_too(env: dict[str, str], message: str) -> None:
    code, out = invoke("join", "room", env=env)
    assert code == 2 and message in out, out


def test_join_timeouts_given_as_flags_are_checked_in_flag_terms() -> None:
    code, out = invoke("join", "room", "--leave-timeout", "0")
    assert code == 2 and "--leave-timeout must be positive" in out, out
    code, out = invoke("join", "room", "--connect-timeout", "-1")
    assert code == 2 and "--connect-timeout must be positive" in out, out


def test_join_flags_beat_the_config_file() -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text('[join]\nice_addresses = ["not-an-ip"]\n')
    code, out = invoke("join", "room")
    assert code == 2 and "'not-an-ip' is not an IP address" in out
    code, out = invoke("join", "room", "--ice-address", "nope")
    assert code == 2 and "--ice-address 'nope' is not an IP address" in out


def test_join_terminal_shows_people_what_is_meant_for_them() -> None:
    from avacollab.cli.join import describe

    def line(**event: object) -> str:
        return describe({"ts": 1.0, **event})

    assert line(event="peer-connected", peer="p1", name="bob", route="relay") == (
        "* bob (p1) connected via relay"
    )
    assert line(event="peer-left", peer="p1", name="bob", reason="timeout") == (
        "* bob (p1) left (timeout)"
    )
    # Chat text and errors reach the terminal; state dumps stay in --events.
    assert line(event="hello.message", peer="p1", name="bob", text="hi") == "<bob (p1)> hi"
    assert line(event="voice.error", error="no microphone") == "! voice.error: no microphone"
    assert line(event="presence.updated", origin="remote", peers={"p1": {}}) == ""


def test_join_terminal_wants_data_events_only_with_events_output() -> None:
    import io

    from avacollab.cli.join import Terminal

    quiet = Terminal(io.StringIO(), None)
    assert not quiet.wants("presence.updated")
    recorded = io.StringIO()
    terminal = Terminal(io.StringIO(), recorded)
    assert terminal.wants("presence.updated")
    terminal({"event": "presence.updated", "ts": 1.0})
    assert recorded.getvalue() == '{"event":"presence.updated","ts":1.0}\n'
