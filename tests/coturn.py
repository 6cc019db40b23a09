"""Run a real coturn for tests: on loopback, on free ports, with its own files.

The Debian package may also run coturn as a system service on the default
ports; this helper never touches it. Each instance gets a free port, its own
pid file, SQLite user database and verbose log under the test's tmp_path.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0

_STUN_MAGIC = 0x2112A442


def turnserver_binary(search_path: str | None = None) -> str:
    """The coturn binary; skips the test locally and fails it in CI when missing.

    ``search_path`` defaults to PATH plus the sbin directories, which a plain
    user's PATH may lack.
    """
    if search_path is None:
        search_path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])
    found = shutil.which("turnserver", path=search_path)
    if found is None:
        reason = "coturn is not installed (apt-get install coturn)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def free_port(host: str) -> int:
    """A port that is free for both UDP and TCP on ``host`` (coturn binds both)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port: int = udp.getsockname()[1]
            with socket.socket(family, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both UDP and TCP")


def stun_binding_answered(host: str, port: int, timeout: float) -> bool:
    """Whether a STUN Binding request to (host, port) gets a STUN answer."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    txid = secrets.token_bytes(12)
    request = struct.pack("!HHI", 0x0001, 0, _STUN_MAGIC) + txid
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, (host, port))
            data = sock.recv(2048)
        except OSError:  # timeout, or ICMP port unreachable while coturn starts
            return False
    return len(data) >= 20 and data[8:20] == txid


@dataclass
class Coturn:
    """A running coturn process."""

    host: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    output_path: Path
    extra_args: list[str] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def url(self) -> str:
        """The ``turn:`` URL of this server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"turn:{host}:{self.port}"

    def log(self) -> str:
        """Everything coturn has logged so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)


def start_coturn(
    config: str,
    directory: Path,
    *,
    host: str = "127.0.0.1",
    allow_loopback_peers: bool = False,
) -> Coturn:
    """Start coturn with ``config`` plus loopback-only test overrides; wait until it answers.

    The overrides are command-line options, so ``config`` itself is used exactly
    as generated: they only move the listener and relay to ``host`` and a free
    port, turn off TLS (no certificate here), keep every file in ``directory``,
    and, when asked, allow loopback peers (``--allow-loopback-peers`` and an
    ``--allowed-peer-ip`` for ``host``, which the config's deny list would
    otherwise still refuse).
    """
    binary = turnserver_binary()
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "turnserver.conf"
    conf.write_text(config, encoding="utf-8")
    port = free_port(host)
    log_path = directory / "turnserver.log"
    args = [
        binary,
        "-c",
        str(conf),
        f"--listening-ip={host}",
        f"--relay-ip={host}",
        f"--listening-port={port}",
        "--no-tls",
        "--no-dtls",
        f"--pidfile={directory / 'turnserver.pid'}",
        f"--userdb={directory / 'turndb'}",
        f"--log-file={log_path}",
        "--simple-log",
        "--no-stdout-log",
        "--verbose",
    ]
    if ":" in host:
        # aioice asks for no address family, and coturn's default is IPv4.
        args.append("--allocation-default-address-family=keep")
    if allow_loopback_peers:
        # The config's deny list covers loopback too; an allowed-peer-ip wins over it.
        args += ["--allow-loopback-peers", f"--allowed-peer-ip={host}"]
    output_path = directory / "turnserver.out"
    with output_path.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    server = Coturn(host, port, log_path, process, output_path, args)
    deadline = time.monotonic() + START_TIMEOUT
    while not stun_binding_answered(host, port, 0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            output = output_path.read_text(errors="replace")
            raise RuntimeError(f"coturn did not start:\n{output}\n{server.log()}")
    return server


@pytest.fixture(name="coturn")
def coturn_fixture(tmp_path: Path) -> Iterator[Callable[..., Coturn]]:
    """A factory: ``coturn(config, host=..., allow_loopback_peers=...)``; all stopped after."""
    started: list[Coturn] = []

    def start(
        config: str, *, host: str = "127.0.0.1", allow_loopback_peers: bool = False
    ) -> Coturn:
        directory = tmp_path / f"coturn{len(started)}"
        server = start_coturn(
            config, directory, host=host, allow_loopback_peers=allow_loopback_peers
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
