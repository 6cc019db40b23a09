"""``avacollab serve --workers N``: N server processes on one port.

Each worker is an ordinary ``avacollab serve --redis ...`` listening with
SO_REUSEPORT, so the kernel spreads new connections over them; they share
rooms through Redis (docs/scaling.md). This process only starts them,
restarts one that dies, and stops them all on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType

from .. import logs
from ..settings import Settings

RESTART_AFTER = 1.0
"""Seconds before a worker that died is started again (a worker that cannot
start at all would otherwise spin)."""


def _reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound with SO_REUSEPORT, never listening: it picks the port
    when ``port`` is 0, and holds it while the workers bind it too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


_PR_SET_PDEATHSIG = 1


def _dies_with(parent: int) -> Callable[[], None] | None:
    """What a worker runs before it starts so that it gets SIGTERM (and stops
    as on Ctrl-C) when ``parent``, this supervisor, dies, even by SIGKILL:
    otherwise its workers would go on serving, unsupervised, on the port.
    Linux only (prctl); elsewhere, None."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before the prctl
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def run_workers(settings: Settings, argv: list[str]) -> int:
    """Run ``settings.workers`` copies of ``avacollab serve`` (``argv`` being
    this command's arguments) until stopped; the exit code."""
    try:
        holder = _reserve_port(settings.host, settings.port)
    except OSError as exc:
        print(f"error: cannot bind {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    port = holder.getsockname()[1]
    # click takes the last of repeated options: these win over argv's.
    command = [
        sys.executable, "-m", "avacollab", *argv,
        "--port", str(port), "--workers", "1", "--reuse-port",
    ]  # fmt: skip
    stopping = False
    workers: dict[int, subprocess.Popen[bytes]] = {}
    preexec = _dies_with(os.getpid())

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers.values():
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(settings.workers):
        workers[index] = subprocess.Popen(command, preexec_fn=preexec)
    logs.event("workers-started", count=settings.workers, port=port)
    try:
        while workers:
            pid, status = os.wait()
            found = next((i for i, w in workers.items() if w.pid == pid), None)
            if found is None:
                continue
            del workers[found]
            if stopping:
                continue
            logs.event("worker-exited", pid=pid, status=os.waitstatus_to_exitcode(status))
            time.sleep(RESTART_AFTER)
            if not stopping:
                workers[found] = subprocess.Popen(command, preexec_fn=preexec)
    finally:
        holder.close()
    return 0
