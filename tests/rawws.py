"""A WebSocket client on a bare TCP socket, for what a polite client never does.

aiohttp's client reads everything the server sends as soon as it arrives, so
it cannot play a peer that stops reading. This one speaks just enough of RFC
6455 to upgrade, send masked text frames and read the server's frames, and
can then stop reading altogether, with a small receive buffer, so that what
the server sends piles up on the server's side.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from typing import Any

TEXT = 0x1
CLOSE = 0x8
PING = 0x9


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One masked client frame. The mask key is zero, so the payload goes as
    it is: legal on the wire, and it keeps an attacker's CPU cost near nothing."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return header + b"\0\0\0\0" + payload


class RawSocket:
    """One raw WebSocket connection: upgrade, send, read, stop reading."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.peer = ""

    @classmethod
    async def connect(
        cls, host: str, port: int, path: str = "/ws", *, rcvbuf: int | None = 4096
    ) -> RawSocket:
        """Open and upgrade; raise ConnectionError with the status line if refused."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Before connect, so the window the server sees stays small.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
        except OSError:
            sock.close()
            raise
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            writer.close()
            raise ConnectionError(status)
        return cls(reader, writer)

    def send_text(self, text: str | bytes) -> None:
        """Queue one text frame (no flow control: an attacker does not wait)."""
        self.writer.write(frame(text.encode() if isinstance(text, str) else text))

    def send(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message))

    async def recv_frame(self) -> tuple[int, bytes]:
        """The next frame's opcode and payload (server frames are unmasked)."""
        first, second = await self.reader.readexactly(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(size)

    async def recv(self) -> dict[str, Any]:
        """The next text message; pings are skipped, a close raises ConnectionError."""
        while True:
            opcode, payload = await self.recv_frame()
            if opcode == TEXT:
                data: dict[str, Any] = json.loads(payload)
                return data
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionError(f"closed by the server with {code}")

    async def expect(self, kind: str) -> dict[str, Any]:
        while True:
            message = await self.recv()
            if message["type"] == kind:
                return message

    async def join(self, room: str, **extra: Any) -> dict[str, Any]:
        self.send({"type": "hello", "version": 1})
        await self.expect("hello")
        self.send({"type": "join", "room": room, **extra})
        welcome = await self.expect("welcome")
        self.peer = welcome["peer"]
        return welcome

    def stop_reading(self) -> None:
        """Read nothing more: what the server sends stays in its buffers."""
        self._transport().pause_reading()

    def resume_reading(self) -> None:
        self._transport().resume_reading()

    def _transport(self) -> asyncio.Transport:
        transport = self.writer.transport
        assert isinstance(transport, asyncio.Transport)
        return transport

    def abort(self) -> None:
        self.writer.transport.abort()
