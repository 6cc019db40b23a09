"""Running ``avacollab join`` as a person would, for the CLI tests.

:class:`Joiner` is one ``join`` process whose commands are written while it
runs and whose output is read as it comes, from a pipe or, with
``terminal=True``, from a pseudo-terminal (where colour shows). Every wait
is bounded, and every process started is ended by :meth:`Joiner.stop`.
Processes run in a temporary directory, never in the checkout: a file a
command names (``editing.doc``, ``/save``) lands there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0


def environment(**extra: str) -> dict[str, str]:
    """The test's environment, with the checkout importable (``--plugin tests.x``)
    from any working directory."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


class Joiner:
    """``avacollab join ROOM --server URL --ice-address 127.0.0.1 ARGS`` in ``cwd``."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int | None) -> None:
        self.proc = proc
        self.output = ""
        """Everything written so far (stdout, or the terminal's stdout and stderr)."""
        self.errors = ""
        """What it wrote on stderr, once it ended (not on a terminal)."""
        self._changed = asyncio.Event()
        self._master = master
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(
        cls, url: str, room: str, *args: str, cwd: Path, terminal: bool = False, **env: str
    ) -> Joiner:
        master = slave = None
        if terminal:
            master, slave = pty.openpty()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "avacollab", "join", room, "--server", url,
            "--ice-address", "127.0.0.1", *args,
            cwd=cwd, env=environment(**env), stdin=asyncio.subprocess.PIPE,
            stdout=slave if terminal else asyncio.subprocess.PIPE,
            stderr=slave if terminal else asyncio.subprocess.PIPE,
        )  # fmt: skip
        if slave is not None:
            os.close(slave)
        return cls(proc, master)

    async def _read(self) -> None:
        if self._master is None:
            assert self.proc.stdout is not None and self.proc.stderr is not None
            errors = asyncio.ensure_future(self.proc.stderr.read())
            while chunk := await self.proc.stdout.read(65536):
                self._add(chunk)
            self.errors = (await errors).decode(errors="replace")
            return
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        master = self._master

        def readable() -> None:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                chunk = b""
            if chunk:
                self._add(chunk)
            else:
                loop.remove_reader(master)
                done.set()

        loop.add_reader(master, readable)
        try:
            await done.wait()
        finally:
            loop.remove_reader(master)

    def _add(self, chunk: bytes) -> None:
        self.output += chunk.decode(errors="replace")
        self._changed.set()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")

    async def expect(self, pattern: str, *, since: int = 0, timeout: float = WAIT) -> re.Match[str]:
        """The first match of ``pattern`` in the output after offset ``since``."""
        async with asyncio.timeout(timeout):
            while True:
                found = re.compile(pattern, re.M).search(self.output, since)
                if found:
                    return found
                if self._reader.done():
                    raise AssertionError(f"join ended without {pattern!r}:\n{self.output}")
                self._changed.clear()
                await self._changed.wait()

    async def ask(self, command: str, pattern: str, *, timeout: float = WAIT) -> re.Match[str]:
        """Send ``command`` until its reply matches ``pattern``: state another peer sends
        arrives when it arrives. Each try waits for its reply, then for something
        new to be printed (an event) or half a second, before the next."""
        async with asyncio.timeout(timeout):
            while True:
                since = len(self.output)
                self.send(command)
                self.send("/help")  # its last line marks the end of the reply to command
                end = await self.expect(r"^/who ", since=since)
                found = re.compile(pattern, re.M).search(self.output[: end.end()], since)
                if found:
                    return found
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.5)

    async def stop(self) -> int:
        """``/quit``, then the exit status (killed if it does not leave in time)."""
        if self.proc.returncode is None:
            with contextlib.suppress(ConnectionError):
                self.send("/quit")
        try:
            async with asyncio.timeout(WAIT):
                await self.proc.wait()
                await self._reader
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
            self._reader.cancel()
            if self._master is not None:
                os.close(self._master)
                self._master = None
        assert self.proc.returncode is not None
        return self.proc.returncode
