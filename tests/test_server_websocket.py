"""The server's own WebSocket layer against a real server, on raw sockets.

The upgrade handshake (answered by the server itself when clean,
handshake.py, and by aiohttp otherwise, server.py's ``_accept``), frames as they arrive on
the wire (fragments, control frames, protocol errors and their close codes),
closes in both directions and the heartbeat, each seen from a client that
writes every byte itself. Frames are built by test_frames.py's encoder,
written from RFC 6455 independently of the server's codec.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from avacollab.signaling.frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
)
from avacollab.signaling.server import CLOSE_LINGER, SignalingServer

from .conftest import Connect, Peer, ServerFactory
from .test_frames import client_frame

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 1.3's example key
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WAIT = 5.0  # the bound on every wait for something that should happen


def expected_accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def upgrade_headers(**changes: str | None) -> dict[str, str]:
    """A good upgrade request's headers; ``None`` leaves a header out."""
    headers: dict[str, str | None] = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    headers.update({name.replace("_", "-"): value for name, value in changes.items()})
    return {name: value for name, value in headers.items() if value is not None}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class Ws:
    """A WebSocket client on a bare TCP connection: every byte is the test's."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.peer = ""

    @classmethod
    async def request(
        cls,
        port: int,
        headers: dict[str, str],
        tail: bytes = b"",
        *,
        line: str = "GET /ws HTTP/1.1",
        pieces: int = 1,
    ) -> tuple[Ws, Reply]:
        """Send an upgrade request (and ``tail`` in the same write, or in
        ``pieces`` writes a round trip apart); read the answer."""
        async with asyncio.timeout(WAIT):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            lines = [line, f"Host: 127.0.0.1:{port}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            data = ("\r\n".join(lines) + "\r\n\r\n").encode() + tail
            size = -(-len(data) // pieces)
            for start in range(0, len(data), size):
                writer.write(data[start : start + size])
                await writer.drain()
                if start + size < len(data):
                    # Apart in time, so that the server most likely reads each
                    # piece on its own; the result must not depend on it
                    # (test_handshake.py reads every split deterministically).
                    await asyncio.sleep(0.01)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            status_line, *header_lines = head.split("\r\n")[:-2]
            fields = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
            status = int(status_line.split()[1])
            body = b""
            if status != 101:
                body = await reader.readexactly(int(fields.get("content-length", "0")))
        return cls(reader, writer), Reply(status, fields, body)

    @classmethod
    async def open(cls, port: int) -> Ws:
        ws, reply = await cls.request(port, upgrade_headers())
        assert reply.status == 101, reply
        return ws

    # -- sending ----------------------------------------------------------------

    def send_frame(
        self, opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = None
    ) -> None:
        self.writer.write(client_frame(opcode, payload, fin=fin, mask=mask or os.urandom(4)))

    def send(self, message: dict[str, Any]) -> None:
        self.send_frame(OP_TEXT, json.dumps(message).encode())

    def send_close(self, payload: bytes) -> None:
        self.send_frame(OP_CLOSE, payload)

    # -- reading ----------------------------------------------------------------

    async def recv_frame(self, timeout: float = WAIT) -> tuple[int, bytes]:
        """The next frame, checked to be as a server must send it."""
        async with asyncio.timeout(timeout):
            first, second = await self.reader.readexactly(2)
            assert first & 0x80 and not first & 0x70, f"fragmented or reserved bits: {first:#x}"
            assert not second & 0x80, "a server frame is masked"
            size = second & 0x7F
            if size == 126:
                size = int.from_bytes(await self.reader.readexactly(2), "big")
            elif size == 127:
                size = int.from_bytes(await self.reader.readexactly(8), "big")
            return first & 0x0F, await self.reader.readexactly(size)

    async def recv(self, timeout: float = WAIT, *, pong: bool = False) -> dict[str, Any]:
        """The next text message; pings are skipped, and answered only if ``pong``."""
        async with asyncio.timeout(timeout):
            while True:
                opcode, payload = await self.recv_frame()
                if opcode == OP_TEXT:
                    data: dict[str, Any] = json.loads(payload)
                    return data
                assert opcode == OP_PING, (opcode, payload)
                if pong:
                    self.send_frame(OP_PONG, payload)

    async def answer_pings_for(self, seconds: float) -> tuple[int, list[tuple[int, bytes]]]:
        """Read for a bounded while, answering each ping with its payload;
        the pings seen and every other frame."""
        pings, others = 0, []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                opcode, payload = await self.recv_frame(timeout=left)
            except TimeoutError:
                break
            if opcode == OP_PING:
                pings += 1
                self.send_frame(OP_PONG, payload)
            else:
                others.append((opcode, payload))
        return pings, others

    async def expect(self, kind: str, timeout: float = WAIT) -> dict[str, Any]:
        message = await self.recv(timeout)
        assert message["type"] == kind, message
        return message

    async def join(self, room: str, name: str = "") -> dict[str, Any]:
        self.send({"type": "hello", "version": 1})
        await self.expect("hello")
        self.send({"type": "join", "room": room, "name": name})
        welcome = await self.expect("welcome")
        self.peer = welcome["peer"]
        return welcome

    async def close_frame(self, timeout: float = WAIT) -> bytes:
        """Read up to the server's close frame (skipping pings); its payload."""
        async with asyncio.timeout(timeout):
            while True:
                opcode, payload = await self.recv_frame()
                if opcode == OP_CLOSE:
                    return payload
                assert opcode == OP_PING, (opcode, payload)

    async def ended(self, timeout: float = WAIT) -> bytes:
        """Wait until the server ends the TCP connection; what came before it."""
        data = b""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    chunk = await self.reader.read(65536)
                except ConnectionResetError:
                    return data
                if not chunk:
                    return data
                data += chunk

    def abort(self) -> None:
        self.writer.transport.abort()


def close_payload(code: int, reason: str = "") -> bytes:
    return code.to_bytes(2, "big") + reason.encode()


OpenClient = Callable[[int], Awaitable[Ws]]


@pytest.fixture
async def clients() -> AsyncIterator[OpenClient]:
    """Raw clients made in a test, all cut at its end."""
    made: list[Ws] = []

    async def open_client(port: int) -> Ws:
        ws = await Ws.open(port)
        made.append(ws)
        return ws

    yield open_client
    for ws in made:
        ws.abort()


async def member_and_raw(
    server: SignalingServer, connect: Connect, clients: OpenClient
) -> tuple[Peer, Ws]:
    """An aiohttp member (alice) and a raw client (bob) in one room."""
    a = await connect(server.url)
    await a.join("room", name="alice")
    b = await clients(server.port)
    await b.join("room", name="bob")
    joined = await a.expect("peer-joined")
    assert joined["peer"] == b.peer
    return a, b


async def place_kept(server: SignalingServer, peer: str) -> None:
    """Wait until the server holds ``peer``'s place with no connection."""
    async with asyncio.timeout(WAIT):
        await server.until(lambda: server.core.rooms["room"].peers[peer].conn is None)


# -- the upgrade -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"Upgrade": None}, "WebSocket endpoint"),
        ({"Upgrade": "h2c"}, "WebSocket endpoint"),
        ({"Connection": None}, "WebSocket endpoint"),
        ({"Connection": "keep-alive"}, "WebSocket endpoint"),
        ({"Sec-WebSocket-Version": "8"}, "speaks 13"),
        ({"Sec-WebSocket-Version": None}, "speaks 13"),
        ({"Sec-WebSocket-Key": None}, "Sec-WebSocket-Key"),
        ({"Sec-WebSocket-Key": "short"}, "Sec-WebSocket-Key"),
        ({"Sec-WebSocket-Key": base64.b64encode(bytes(15)).decode()}, "Sec-WebSocket-Key"),
        ({"Sec-WebSocket-Key": base64.b64encode(bytes(17)).decode()}, "Sec-WebSocket-Key"),
        ({"Sec-WebSocket-Key": "!!!!not*base64!!!!!!!!=="}, "Sec-WebSocket-Key"),
    ],
    ids=[
        "no-upgrade",
        "upgrade-h2c",
        "no-connection",
        "connection-keep-alive",
        "version-8",
        "no-version",
        "no-key",
        "key-short",
        "key-15-bytes",
        "key-17-bytes",
        "key-not-base64",
    ],
)
async def test_a_bad_upgrade_request_gets_a_readable_400(
    make_server: ServerFactory, changes: dict[str, str | None], says: str
) -> None:
    server = await make_server()
    ws, reply = await Ws.request(server.port, upgrade_headers(**changes))
    try:
        assert reply.status == 400
        assert reply.headers["content-type"].startswith("text/plain")
        assert says in reply.body.decode()
        if "Sec-WebSocket-Version" in changes:
            assert reply.headers["sec-websocket-version"] == "13"
        else:
            assert "sec-websocket-version" not in reply.headers
        assert "sec-websocket-accept" not in reply.headers
        assert not server.core.connections
    finally:
        ws.abort()


async def test_a_good_upgrade_answers_101_and_declines_extensions(
    server: SignalingServer,
) -> None:
    # As a browser sends it: mixed case, a list in Connection, deflate offered.
    headers = upgrade_headers(
        Upgrade="WebSocket",
        Connection="keep-alive, Upgrade",
        **{
            "Sec-WebSocket-Key": RFC_KEY,
            "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
            "Origin": "http://localhost:3000",
        },
    )
    ws, reply = await Ws.request(server.port, headers)
    try:
        assert reply.status == 101
        assert reply.headers["sec-websocket-accept"] == expected_accept(RFC_KEY)
        assert reply.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert reply.headers["upgrade"].lower() == "websocket"
        assert "upgrade" in reply.headers["connection"].lower()
        assert "sec-websocket-extensions" not in reply.headers
        assert "sec-websocket-protocol" not in reply.headers
        # No deflate: a frame with RSV1 (a compressed one) is a protocol error.
        ws.send({"type": "ping", "id": 1})
        assert await ws.recv() == {"type": "pong", "id": 1}
        ws.writer.write(client_frame(OP_TEXT, b"\x00", rsv=4))
        assert (await ws.close_frame())[:2] == (1002).to_bytes(2, "big")
    finally:
        ws.abort()


async def test_frames_pipelined_with_the_upgrade_request_are_answered(
    server: SignalingServer,
) -> None:
    hello = client_frame(OP_TEXT, json.dumps({"type": "hello", "version": 1}).encode())
    join = client_frame(OP_TEXT, json.dumps({"type": "join", "room": "r"}).encode())
    ws, reply = await Ws.request(server.port, upgrade_headers(), tail=hello + join)
    try:
        assert reply.status == 101
        assert (await ws.expect("hello"))["version"] == 1
        assert (await ws.expect("welcome"))["room"] == "r"
    finally:
        ws.abort()


async def test_an_upgrade_in_pieces_is_answered(server: SignalingServer) -> None:
    hello = client_frame(OP_TEXT, json.dumps({"type": "hello", "version": 1}).encode())
    ws, reply = await Ws.request(server.port, upgrade_headers(), tail=hello, pieces=12)
    try:
        assert reply.status == 101
        assert "server" not in reply.headers  # answered by the server itself, not aiohttp
        assert (await ws.expect("hello"))["version"] == 1
    finally:
        ws.abort()


@pytest.mark.parametrize(
    ("line", "extra"),
    [
        ("GET http://127.0.0.1/ws HTTP/1.1", {}),
        ("GET /ws HTTP/1.1", {"Content-Length": "0"}),
        ("GET /ws HTTP/1.1", {"X-Pad-1": "p" * 5000, "X-Pad-2": "p" * 5000}),
    ],
    ids=["absolute-form", "content-length-0", "long-head"],
)
async def test_an_unusual_upgrade_is_answered_by_aiohttp_and_works(
    server: SignalingServer, line: str, extra: dict[str, str]
) -> None:
    ws, reply = await Ws.request(server.port, upgrade_headers(**extra), line=line)
    try:
        assert reply.status == 101, reply
        assert reply.headers["server"].startswith("Python/")  # aiohttp's answer
        await ws.join("room")
        assert server.connections_from("127.0.0.1") == 1
        ws.send_close(close_payload(1000))
        assert await ws.close_frame() == close_payload(1000)
        async with asyncio.timeout(WAIT):
            await server.until(lambda: not server.connections_from("127.0.0.1"))
        assert not server.core.rooms
    finally:
        ws.abort()


async def test_a_clean_upgrade_counts_under_its_address_until_it_ends(
    server: SignalingServer, clients: OpenClient
) -> None:
    first, second = await clients(server.port), await clients(server.port)
    await first.join("room")
    assert server.connections_from("127.0.0.1") == 2
    first.abort()
    second.send_close(close_payload(1000))
    async with asyncio.timeout(WAIT):
        await server.until(lambda: not server.connections_from("127.0.0.1"))
    assert not server.core.connections


async def test_stop_cuts_clients_that_never_take_the_goodbye(
    make_server: ServerFactory, clients: OpenClient
) -> None:
    server = await make_server()
    ws = await clients(server.port)
    await ws.join("room")
    # The client reads nothing more; stop says goodbye, waits its bound, then cuts.
    async with asyncio.timeout(2.0 + WAIT):
        await server.stop()
    data = await ws.ended()
    assert close_payload(1001) in data
    assert not server.core.connections and not server.connections_from("127.0.0.1")


# -- fragments and control frames ----------------------------------------------------------


async def test_a_fragmented_join_with_a_ping_in_between(
    server: SignalingServer, clients: OpenClient
) -> None:
    ws = await clients(server.port)
    ws.send({"type": "hello", "version": 1})
    await ws.expect("hello")
    join = json.dumps(
        {"type": "join", "room": "reunion", "name": "r\u00e9my"}, ensure_ascii=False
    ).encode()
    # Cut inside the "\u00e9" of the name (its two UTF-8 bytes apart).
    cut = join.index("\u00e9".encode()) + 1
    ws.send_frame(OP_TEXT, join[:cut], fin=False)
    ws.send_frame(OP_PING, b"ping \x00\xff payload")
    ws.send_frame(OP_CONTINUATION, join[cut : cut + 10], fin=False)
    ws.send_frame(OP_PONG, b"unsolicited")  # ignored, as RFC 6455 5.5.3 allows
    ws.send_frame(OP_CONTINUATION, join[cut + 10 :])
    # The pong comes first: the ping was read before the message ended.
    assert await ws.recv_frame() == (OP_PONG, b"ping \x00\xff payload")
    welcome = await ws.expect("welcome")
    assert welcome["room"] == "reunion" and welcome["name"] == "r\u00e9my"


async def test_a_binary_message_is_refused_politely(
    server: SignalingServer, clients: OpenClient
) -> None:
    ws = await clients(server.port)
    ws.send_frame(OP_BINARY, b"\x00\x01", fin=False)
    ws.send_frame(OP_CONTINUATION, b"\x02")
    assert (await ws.expect("error"))["code"] == "bad-frame"
    ws.send({"type": "ping", "id": "still"})
    assert await ws.recv() == {"type": "pong", "id": "still"}


# -- protocol errors -------------------------------------------------------------------------


async def test_an_unmasked_frame_closes_with_1002_and_the_place_is_kept(
    make_server: ServerFactory, connect: Connect, clients: OpenClient
) -> None:
    grace = 1.0
    server = await make_server(resume_grace=grace)
    a, b = await member_and_raw(server, connect, clients)
    b.writer.write(client_frame(OP_TEXT, b'{"type": "ping"}', mask=None))
    payload = await b.close_frame()
    closed = time.monotonic()  # the server counts the grace from a little after this
    assert payload[:2] == (1002).to_bytes(2, "big")
    assert b"masked" in payload[2:]
    # A drop, not a leave: the others hear nothing within the grace...
    await place_kept(server, b.peer)
    await a.silent(max(0.05, grace / 2 - (time.monotonic() - closed)))
    # ...and then that b left, by timeout.
    assert await a.recv(timeout=grace + WAIT) == {
        "type": "peer-left",
        "peer": b.peer,
        "reason": "timeout",
    }
    # Nothing followed the close frame, and the connection ended.
    assert await b.ended(CLOSE_LINGER + WAIT) == b""


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (client_frame(OP_TEXT, b'{"type": "ping", "id": "\xff"}'), 1007),
        (client_frame(OP_TEXT, b'{"type": "ping"', fin=False) + client_frame(0, b"\xc0}"), 1007),
        (client_frame(OP_CLOSE, close_payload(1000) + b"\xff"), 1007),
        (client_frame(OP_CONTINUATION, b"x"), 1002),
        (client_frame(0x3, b"x"), 1002),
        (client_frame(OP_PING, bytes(126)), 1002),
        (client_frame(OP_CLOSE, close_payload(1005)), 1002),
        (client_frame(OP_CLOSE, b"\x03"), 1002),
    ],
    ids=[
        "bad-utf8",
        "bad-utf8-fragments",
        "bad-utf8-close-reason",
        "lone-continuation",
        "opcode-3",
        "long-ping",
        "close-1005",
        "close-one-byte",
    ],
)
async def test_protocol_errors_close_with_their_code(
    server: SignalingServer, clients: OpenClient, frame: bytes, code: int
) -> None:
    ws = await clients(server.port)
    ws.send({"type": "ping", "id": "before"})
    ws.writer.write(frame)
    # What came before the bad frame is answered; then the close, then the end.
    assert await ws.recv() == {"type": "pong", "id": "before"}
    assert (await ws.close_frame())[:2] == code.to_bytes(2, "big")
    assert await ws.ended(CLOSE_LINGER + WAIT) == b""


async def test_after_a_protocol_error_the_close_reply_ends_the_connection(
    server: SignalingServer, clients: OpenClient
) -> None:
    ws = await clients(server.port)
    ws.writer.write(client_frame(OP_TEXT, b"\xff"))
    payload = await ws.close_frame()
    assert payload[:2] == (1007).to_bytes(2, "big")
    ws.send_close(payload[:2])
    # Both closes sent: the server ends TCP at once (RFC 6455 7.1.1), long
    # before the CLOSE_LINGER cut-off for clients that never answer.
    assert await ws.ended(CLOSE_LINGER / 2) == b""


async def test_a_huge_frame_is_closed_with_1009_from_its_header(
    make_server: ServerFactory, clients: OpenClient
) -> None:
    server = await make_server(max_frame_bytes=1024)
    ws = await clients(server.port)
    # Just past 4x max_frame_bytes: the header and mask, and no payload ever.
    ws.writer.write(client_frame(OP_TEXT, b"", length=4 * 1024 + 1))
    assert (await ws.close_frame())[:2] == (1009).to_bytes(2, "big")
    assert await ws.ended(CLOSE_LINGER + WAIT) == b""


@pytest.mark.parametrize("size", [1025, 2000, 4 * 1024])
async def test_a_frame_up_to_4x_the_limit_gets_an_error_and_the_connection_stays(
    make_server: ServerFactory, clients: OpenClient, size: int
) -> None:
    server = await make_server(max_frame_bytes=1024)
    ws = await clients(server.port)
    text = json.dumps({"type": "ping", "id": "big", "pad": ""}).encode()
    ws.send_frame(OP_TEXT, text[:-2] + b"x" * (size - len(text)) + text[-2:])
    error = await ws.expect("error")
    assert error["code"] == "too-large"
    ws.send({"type": "ping", "id": "after"})
    assert await ws.recv() == {"type": "pong", "id": "after"}


# -- closes from the client --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "echo", "leaves"),
    [
        (close_payload(1000, "bye"), close_payload(1000), True),
        (close_payload(1001), close_payload(1001), True),
        (close_payload(3000, "app"), close_payload(3000), True),
        (b"", b"", True),  # a browser's ws.close()
        (close_payload(4000, "back soon"), close_payload(4000), False),
    ],
    ids=["1000", "1001", "3000", "empty", "4000"],
)
async def test_a_client_close_is_echoed_and_decides_leave_or_keep(
    make_server: ServerFactory,
    connect: Connect,
    clients: OpenClient,
    payload: bytes,
    echo: bytes,
    leaves: bool,
) -> None:
    # A grace far longer than any wait here: only a leave is announced in time.
    server = await make_server(resume_grace=60.0)
    a, b = await member_and_raw(server, connect, clients)
    b.send_close(payload)
    assert await b.recv_frame() == (OP_CLOSE, echo)
    assert await b.ended() == b""
    if leaves:
        assert await a.recv() == {"type": "peer-left", "peer": b.peer, "reason": "left"}
        assert b.peer not in server.core.rooms["room"].peers
    else:
        await place_kept(server, b.peer)
        await a.silent(0.3)


async def test_frames_after_the_client_close_are_not_handled(
    server: SignalingServer, connect: Connect, clients: OpenClient
) -> None:
    a, b = await member_and_raw(server, connect, clients)
    offer = json.dumps({"type": "offer", "to": a.id, "sdp": "too late"}).encode()
    b.writer.write(client_frame(OP_CLOSE, close_payload(1000)) + client_frame(OP_TEXT, offer))
    assert await b.recv_frame() == (OP_CLOSE, close_payload(1000))
    assert await b.ended() == b""
    assert await a.recv() == {"type": "peer-left", "peer": b.peer, "reason": "left"}
    await a.silent(0.2)


# -- heartbeat -----------------------------------------------------------------------------------


async def two_raw(server: SignalingServer, clients: OpenClient) -> tuple[Ws, Ws]:
    a = await clients(server.port)
    await a.join("room", name="alice")
    b = await clients(server.port)
    await b.join("room", name="bob")
    assert (await a.recv(pong=True))["peer"] == b.peer
    return a, b


async def test_a_client_answering_pings_stays(
    make_server: ServerFactory, clients: OpenClient
) -> None:
    server = await make_server(heartbeat=0.2, resume_grace=0.3)
    a, b = await two_raw(server, clients)
    # A bounded while of nothing but pings, each answered, on both sides.
    (a_pings, a_other), (b_pings, b_other) = await asyncio.gather(
        a.answer_pings_for(1.2), b.answer_pings_for(1.2)
    )
    # Pinged when silent for a heartbeat, so more than once in 1.2 s; and
    # nothing else came: no close, no peer-left.
    assert a_pings >= 2 and b_pings >= 2
    assert a_other == b_other == []
    assert server.core.rooms["room"].peers[b.peer].conn is not None
    b.send({"type": "ping", "id": "alive"})
    assert await b.recv(pong=True) == {"type": "pong", "id": "alive"}


async def test_a_client_that_never_answers_pings_is_dropped(
    make_server: ServerFactory, clients: OpenClient
) -> None:
    server = await make_server(heartbeat=0.2, resume_grace=0.3)
    a, b = await two_raw(server, clients)

    async def read_till_cut() -> list[tuple[int, bytes]]:
        # b reads but never answers.
        frames: list[tuple[int, bytes]] = []
        async with asyncio.timeout(WAIT):
            while True:
                try:
                    frames.append(await b.recv_frame())
                except (asyncio.IncompleteReadError, ConnectionResetError):
                    return frames

    frames, left = await asyncio.gather(read_till_cut(), a.recv(pong=True))
    # Pings came, then the connection was cut without a close frame (a drop)...
    assert frames and {opcode for opcode, _ in frames} == {OP_PING}
    # ...so b's place was kept for the grace, and then a heard it timed out.
    assert left == {"type": "peer-left", "peer": b.peer, "reason": "timeout"}


# -- closes from the server ----------------------------------------------------------------------


async def test_a_server_close_ends_tcp_even_if_never_answered(
    make_server: ServerFactory, clients: OpenClient
) -> None:
    server = await make_server(hello_timeout=0.3)
    ws = await clients(server.port)
    payload = await ws.close_frame()
    assert payload == close_payload(1008, "no hello within 0.3 s")
    # The client never answers the close, and the server cuts it within CLOSE_LINGER.
    assert await ws.ended(CLOSE_LINGER + WAIT) == b""
    async with asyncio.timeout(WAIT):
        await server.until(lambda: not server.core.connections)


async def test_a_server_close_answered_ends_tcp_at_once(
    make_server: ServerFactory, clients: OpenClient
) -> None:
    server = await make_server(hello_timeout=0.3)
    ws = await clients(server.port)
    payload = await ws.close_frame()
    assert payload[:2] == (1008).to_bytes(2, "big")
    ws.send_close(payload[:2])
    # The server does not wait for CLOSE_LINGER once both closes are sent.
    assert await ws.ended(CLOSE_LINGER / 2) == b""


async def test_after_the_server_close_pings_get_no_pong_and_data_is_ignored(
    make_server: ServerFactory, clients: OpenClient
) -> None:
    server = await make_server(hello_timeout=0.3)
    ws = await clients(server.port)
    await ws.close_frame()
    ws.send_frame(OP_PING, b"anyone?")
    ws.send({"type": "hello", "version": 1})
    ws.send_close(close_payload(1000))
    # Only the end follows: no pong, no hello, no second close.
    assert await ws.ended(CLOSE_LINGER / 2) == b""
