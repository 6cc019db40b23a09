"""The signaling server: aiohttp under :class:`~avacollab.signaling.core.SignalingCore`.

This module only moves frames and timers. A clean WebSocket upgrade is
answered at once by the first read of its connection (handshake.py); every
other request goes to aiohttp, which serves HTTP and answers the odd
upgrade as well. From the 101 on, each connection's bytes go to a
:class:`_Client`, which reads frames (frames.py), hands each message to the
core at once and writes what the core answers straight to the transports. Each transport's
buffer is bounded in bytes, so one slow client can never stall the relay
for the others: past its bound it is disconnected (and may resume). All
buffers together are bounded too, and so are the connections from one
address, so a crowd of clients that never read cannot grow the server's
memory either.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Collection
from typing import Any, cast
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestHandler

from .. import __version__, logs
from ..internals import require_uses
from ..settings import Settings
from . import metrics
from .app import EditorRoutes, asset_response
from .bundle import CLIENT_PATH, load_bundle
from .core import (
    Action,
    Close,
    Connection,
    External,
    IceServers,
    Limits,
    Send,
    SignalingCore,
    close_is_leave,
)
from .frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    FrameReader,
    accept_key,
    close_code,
    close_frame,
    frame,
    text_frame,
    valid_key,
)
from .handshake import MORE, OTHER, Upgrade, read_upgrade, switching_protocols
from .heap import HeapTrimmer
from .protocol import CloseCode, encode_utf8

# After the upgrade, aiohttp's connection protocol hands the bytes it holds to
# the "payload parser" set with set_parser and tells it when the connection is
# lost; a _Client is that parser (see _Client.take_over). Checked here, as for every private part
# (docs/session.md, "Private parts of dependencies").
require_uses("avacollab", "aiohttp", RequestHandler, "set_parser", ["_payload_parser", "feed_data"])
require_uses(
    "avacollab", "aiohttp", RequestHandler, "connection_lost", ["_payload_parser", "feed_eof"]
)

CLOSE_LINGER = 2.0
"""Seconds a close may take before the socket is cut (a TCP reset). A client
that stops reading never takes its close frame, and until the socket is gone
its unread frames stay in the server's buffers."""
TRIM_AFTER = 8 << 20
"""Queued bytes (send queues and messages kept for reconnecting peers) whose
fall back to a quarter makes the server return freed memory (see heap.py)."""
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
WS_PATH = "/ws"
# A Host header: a name or IPv4 address, or an IPv6 address in brackets; a port.
_HOST_HEADER = re.compile(r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[^\s:\[\]/@]+))(?::\d{1,5})?")


def host_allowed(host: str, names: Collection[str]) -> bool:
    """The Host check on every request, which is what defeats DNS rebinding.

    A page at http://rebind.example:8765 whose name the attacker then points
    at 127.0.0.1 is, to the browser, the same origin as this server: it
    passes the Origin check and sends ``Host: rebind.example:8765``. So the
    server answers only to the names it serves (``names``: localhost, its
    own host setting and the allowed_hosts setting; '*' is any) and to IP
    addresses, which need no check: rebinding always goes through a name,
    and a server listening on 0.0.0.0 is often reached by address.
    """
    if "*" in names:
        return True
    match = _HOST_HEADER.fullmatch(host.strip())
    if match is None:
        return False
    name = (match["ip6"] or match["name"]).lower().removesuffix(".")
    if name in names:
        return True
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name)
        return True
    return False


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """The Origin check on the WebSocket upgrade.

    Browsers always send Origin and cannot fake it, so this is what stops a
    page on some other site from using a visitor's browser to join rooms.
    Programs send none and are let in: they could send anything anyway.
    """
    if origin is None:
        return True
    if "*" in allowed or origin in allowed:
        return True
    parts = urlsplit(origin)
    if host is not None and parts.netloc.lower() == host.lower():
        return True  # same origin as the server itself
    return not allowed and (parts.hostname or "") in LOOPBACK_HOSTS


class _Client(asyncio.Protocol):
    """One WebSocket connection, from the handshake to the end.

    After the handshake it takes the connection over from aiohttp
    (:meth:`take_over`): every byte read comes to :meth:`data_received`, and
    frames go straight to the transport. There is no task and no queue per
    connection: aiohttp's WebSocketResponse puts each frame read in a queue
    for a task to pick up, and a writer task per connection used to take
    frames from a second queue; those task switches and the per-frame
    machinery around them were most of the server's CPU per relayed message
    (docs/benchmarks.md). Here a frame is parsed, handled by the core and
    its answers written, all in one call.

    The transport's buffer is the send queue: a frame that would take it
    past ``limit`` makes the server drop the client as too slow, and the
    server bounds all buffers together.
    """

    __slots__ = (
        "active",
        "buffered",
        "closing",
        "conn",
        "ended",
        "http",
        "limit",
        "on_end",
        "on_message",
        "paused",
        "reader",
        "remote",
        "silent",
        "transport",
    )  # fmt: skip

    def __init__(
        self,
        conn: Connection,
        transport: asyncio.Transport,
        max_message: int,
        limit: int,
        remote: str,
        on_message: Callable[[_Client, str | bytes], None],
        on_end: Callable[[_Client, bool], None],
    ) -> None:
        self.conn = conn
        self.transport = transport
        self.remote = remote  # the address the per-address limit counts it under
        self.on_end = on_end
        self.reader = FrameReader(max_message)
        self.limit = limit
        self.on_message = on_message
        # True when the client closed on purpose (a leave), False for a drop.
        self.ended: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closing = False  # a close frame was sent: nothing more goes out
        self.active = True  # something arrived since the last heartbeat tick
        self.silent = 0  # heartbeat ticks in a row with nothing from the client
        self.buffered = 0  # the transport's buffer when the server last looked
        self.paused = False  # not read for now (pause): the server's doing, not the client's
        self.http: asyncio.BaseProtocol | None = None  # aiohttp's, if it did the upgrade

    def take_over(self, http: RequestHandler) -> None:
        """Read this connection from now on, starting with what came with the upgrade.

        aiohttp's protocol hands over the bytes it holds (set_parser), then
        the client becomes the transport's protocol, so that each read
        reaches it without going through aiohttp's ``data_received``.
        aiohttp's protocol still hears of the connection's end (and then
        calls :meth:`feed_eof`), so it forgets the connection as usual.
        """
        http.set_parser(self)  # type: ignore[arg-type]
        self.http = http
        self.transport.set_protocol(self)

    # -- the transport's protocol, once taken over -----------------------------

    def connection_lost(self, exc: Exception | None) -> None:
        if self.http is not None:
            self.http.connection_lost(exc)
        self.feed_eof()

    def pause_writing(self) -> None:
        if self.http is not None:
            self.http.pause_writing()

    def resume_writing(self) -> None:
        if self.http is not None:
            self.http.resume_writing()

    # -- aiohttp's payload parser interface, until taken over ----------------

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.data_received(data)
        return False, b""

    def data_received(self, data: bytes) -> None:
        self.active = True
        reader = self.reader
        for opcode, value in reader.feed(data):
            if opcode <= OP_BINARY:
                # After a close frame is sent, data is ignored (RFC 6455 1.4).
                if not self.closing:
                    self.on_message(self, value)
            elif isinstance(value, str):
                pass  # text is only ever a message's
            elif opcode == OP_PING:
                self._write_control(frame(OP_PONG, value))
            elif opcode == OP_CLOSE:
                code = close_code(value)
                # The client's own close is its decision (see close_is_leave);
                # a reply to ours is not.
                left = not self.closing and close_is_leave(code)
                self._write_control(close_frame(code))
                self.closing = True
                self._finish(left)
                self.transport.close()
                return
        error = reader.error
        if error is not None and not self.ended.done():
            logs.event("bad-frame", logging.WARNING, code=error.code, why=error.reason)
            # Failing the connection (RFC 6455 7.1.7): the close frame, then
            # the socket, with no wait for a reply that nothing would read.
            self.close(error.code, error.reason)
            self.transport.close()
            self._finish(False)

    def feed_eof(self) -> None:
        self.closing = True
        self._finish(False)  # the connection is gone without a close frame: a drop

    def pause(self) -> None:
        """Read nothing more from the client for now: what it sends waits in
        its socket (and then in its own buffers), not in the server's memory."""
        if not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()

    # -- writing -------------------------------------------------------------

    def cut(self) -> None:
        """End the connection at once, without a close frame."""
        self.closing = True
        self.transport.abort()

    def ping(self) -> None:
        self._write_control(frame(OP_PING, b""))

    def close(self, code: int, reason: str) -> None:
        """Send a close frame after what is buffered.

        The socket is cut if the client has not completed the close within
        CLOSE_LINGER (a client that stops reading never takes it), so no
        connection outlives its close by more.
        """
        if self.closing:
            return
        self._write_control(close_frame(code, reason))
        self.closing = True
        asyncio.get_running_loop().call_later(CLOSE_LINGER, self.transport.abort)

    def _write_control(self, data: bytes) -> None:
        if not self.closing:
            self.transport.write(data)

    def _finish(self, left: bool) -> None:
        if not self.ended.done():
            self.ended.set_result(left)
            self.on_end(self, left)


class _Front(asyncio.Protocol):
    """Every connection's first protocol: it answers a clean WebSocket
    upgrade itself, in the read that completes the request, and hands any
    other connection to aiohttp with the bytes read so far (handshake.py)."""

    __slots__ = ("head", "server", "transport")

    def __init__(self, server: SignalingServer) -> None:
        self.server = server
        self.head = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        head = self.head + data if self.head else data
        request = read_upgrade(head, WS_PATH)
        if request is MORE:
            self.head = head
            return
        self.head = b""
        if request is OTHER or not self.server._upgrade(self.transport, request):
            self.server._to_aiohttp(self.transport, head)


async def _accept(request: web.Request) -> web.StreamResponse:
    """Check a WebSocket upgrade request and answer it with 101 (RFC 6455 4.2).

    No extension is agreed (browsers offer permessage-deflate, which on
    signaling's small, mostly unique frames halves relay throughput for
    little saving, bench/signaling.py) and no subprotocol.
    """
    headers = request.headers
    connection = {token.strip().lower() for token in headers.get("Connection", "").split(",")}
    if headers.get("Upgrade", "").strip().lower() != "websocket" or "upgrade" not in connection:
        raise web.HTTPBadRequest(
            text=f"this is a WebSocket endpoint: connect with a WebSocket client to ws://HOST:PORT{WS_PATH}\n"
        )
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        raise web.HTTPBadRequest(
            text="unsupported WebSocket version; this server speaks 13 (RFC 6455)\n",
            headers={"Sec-WebSocket-Version": "13"},
        )
    key = headers.get("Sec-WebSocket-Key", "").strip()
    if not valid_key(key):
        raise web.HTTPBadRequest(text="Sec-WebSocket-Key must be 16 bytes in base64\n")
    response = web.StreamResponse(
        status=101,
        headers={
            "Upgrade": "websocket",
            "Connection": "upgrade",
            "Sec-WebSocket-Accept": accept_key(key),
        },
    )
    await response.prepare(request)
    # The connection is the WebSocket's from now on: no second HTTP request.
    request.protocol.keep_alive(False)
    return response


def _remote(transport: asyncio.BaseTransport) -> str:
    """The client's address, as aiohttp's ``request.remote`` has it."""
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, (list, tuple)) else str(peer or "")


class SignalingServer:
    """A running (or ready to run) signaling server."""

    def __init__(
        self,
        settings: Settings,
        *,
        resume_secret: bytes,
        token_secret: str | None = None,
        ice_servers: IceServers | None = None,
        ice_refresh: float | None = None,
    ) -> None:
        self.settings = settings
        limits = Limits(
            max_frame_bytes=settings.max_frame_bytes,
            rate=settings.rate,
            burst=settings.burst,
            max_room_size=settings.max_room_size,
            max_rooms=settings.max_rooms,
            resume_grace=settings.resume_grace,
            send_queue_bytes=settings.send_queue_bytes,
            max_queued_bytes=settings.max_queued_bytes,
            hello_timeout=settings.hello_timeout,
        )
        self.core = self._make_core(
            limits,
            server_name=f"avacollab/{__version__}",
            resume_secret=resume_secret,
            heartbeat=settings.heartbeat,
            token_secret=token_secret,
            ice_servers=ice_servers,
        )
        self._hosts = frozenset(
            name.lower().removesuffix(".")
            for name in ("localhost", settings.host, *settings.allowed_hosts)
        )
        self._clients: dict[Connection, _Client] = {}
        # Clients whose transport held unsent bytes when last looked at, and
        # those bytes summed: what max_queued_bytes bounds.
        self._backlog: set[_Client] = set()
        self._backlog_bytes = 0
        self._heap = HeapTrimmer(TRIM_AFTER, CLOSE_LINGER + 0.5)
        self._per_address: Counter[str] = Counter()
        self._expiry_wake = asyncio.Event()
        self._changed = asyncio.Event()  # pulsed when a connection opens or closes
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._expiry_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._expiry_due: float | None = None  # what the expiry loop sleeps until
        # Seconds between pushes of fresh TURN credentials (None: never).
        self._ice_refresh = ice_refresh if ice_servers is not None else None
        self._refresh_task: asyncio.Task[None] | None = None
        self.port = 0
        self.app = web.Application(middlewares=[self._check_host])
        self.app.add_routes(
            [
                web.get(WS_PATH, self._websocket),
                web.get("/healthz", self._healthz),
                web.get("/metrics", self._metrics),
                web.get(CLIENT_PATH, self._client_bundle),
                *EditorRoutes(WS_PATH).routes(),
            ]
        )
        self.app.on_shutdown.append(self._on_shutdown)

    def _make_core(self, limits: Limits, **options: Any) -> SignalingCore:
        """The protocol core; a cluster server makes a ClusterCore instead."""
        return SignalingCore(limits, **options)

    def _effect(self, action: External) -> None:
        """Carry out an action beyond this process; a single process has none."""
        raise TypeError(f"no way to carry out {action!r} here")

    @property
    def url(self) -> str:
        """The WebSocket URL clients connect to."""
        host = self.settings.host
        host = f"[{host}]" if ":" in host else host
        return f"ws://{host}:{self.port}{WS_PATH}"

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds, checked whenever a connection opens
        or closes (for tests and embedding code; bound it with a timeout)."""
        while not predicate():
            self._changed.clear()
            await self._changed.wait()

    def connections_from(self, address: str) -> int:
        """Open WebSocket connections from ``address``, as the per-address
        limit counts them (for tests and embedding code)."""
        return self._per_address[address]

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.app, handle_signals=False, access_log=None, shutdown_timeout=2.0
        )
        await self._runner.setup()
        # Listening here rather than through an aiohttp site: each connection
        # starts with a _Front, which passes it to aiohttp unless it is a
        # clean upgrade. Backlog and address reuse as aiohttp's TCPSite has them.
        self._listener = await asyncio.get_running_loop().create_server(
            lambda: _Front(self),
            self.settings.host,
            self.settings.port,
            backlog=128,
            reuse_address=True,
            reuse_port=self.settings.reuse_port or None,
        )
        # With port 0 the kernel picks the port.
        self.port = self._listener.sockets[0].getsockname()[1]
        self._expiry_task = asyncio.create_task(self._expire_loop())
        if self.settings.heartbeat > 0:
            self._heartbeat_task = asyncio.create_task(self._heartbeat_loop())
        if self._ice_refresh is not None:
            self._refresh_task = asyncio.create_task(self._refresh_loop(self._ice_refresh))
        logs.event("server-started", url=self.url, version=__version__)

    async def stop(self) -> None:
        """Close every connection with going-away (1001) and stop listening."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()  # says goodbye to the clients (_on_shutdown)
            self._runner = None
        for client in list(self._clients.values()):
            client.cut()  # those that did not take their close in time
        for task in (self._expiry_task, self._refresh_task, self._heartbeat_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._expiry_task = self._refresh_task = self._heartbeat_task = None
        self._heap.cancel()
        logs.event("server-stopped")

    # -- handlers --------------------------------------------------------

    @web.middleware
    async def _check_host(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host")
        # No Host at all is an HTTP/1.0 program: browsers always send one.
        if host is not None and not host_allowed(host, self._hosts):
            logs.event("host-refused", logging.WARNING, host=host[:200], remote=request.remote)
            raise web.HTTPForbidden(
                text=f"this server does not answer to host {host[:200]!r}; if it should, add "
                "the name to its allowed_hosts setting (--allowed-host)\n"
            )
        return await handler(request)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, request.host, self.settings.allowed_origins):
            logs.event("origin-refused", logging.WARNING, origin=origin, remote=request.remote)
            raise web.HTTPForbidden(text=f"origin {origin} is not allowed\n")
        remote = request.remote or ""
        limit = self.settings.max_connections_per_address
        if limit and self._per_address[remote] >= limit:
            # Refused before the upgrade: a WebSocket costs buffers, a 429 nothing.
            logs.event("too-many-connections", logging.WARNING, remote=remote, limit=limit)
            raise web.HTTPTooManyRequests(
                text=f"more than {limit} connections from {remote}; close some first\n"
            )
        response = await _accept(request)
        transport = request.transport
        if transport is None or transport.is_closing():  # the client left during the upgrade
            return response
        client = self._open(transport, remote)
        # From here on every byte the client sends goes to `client`,
        # starting with any that came with the handshake.
        client.take_over(request.protocol)
        try:
            await client.ended
        finally:
            # A handler cancelled by shutdown still says goodbye (a no-op
            # after a client's close or a drop).
            client.close(CloseCode.NORMAL, "")
        return response

    def _upgrade(self, transport: asyncio.Transport, request: Upgrade) -> bool:
        """Answer a clean upgrade read by a _Front, if it passes every check
        of the aiohttp path; False leaves it to aiohttp, which then refuses
        it with the reason."""
        remote = _remote(transport)
        limit = self.settings.max_connections_per_address
        if (
            not host_allowed(request.host, self._hosts)
            or not origin_allowed(request.origin, request.host, self.settings.allowed_origins)
            or (limit and self._per_address[remote] >= limit)
        ):
            return False
        transport.write(switching_protocols(request.key))
        client = self._open(transport, remote)
        transport.set_protocol(client)
        if request.rest:
            client.data_received(request.rest)
        return True

    def _to_aiohttp(self, transport: asyncio.Transport, head: bytes) -> None:
        """Give a connection to aiohttp, with what it has sent so far."""
        assert self._runner is not None and self._runner.server is not None
        http = self._runner.server()
        http.connection_made(transport)
        transport.set_protocol(http)
        http.data_received(head)

    def _open(self, transport: asyncio.Transport, remote: str) -> _Client:
        """A WebSocket connection after its 101."""
        self._per_address[remote] += 1
        limits = self.core.limits
        # aiohttp itself used to close (1009) frames over 4x the limit; so
        # does the frame reader: a frame between the limit and that gets a
        # polite error and the connection stays, while a flood of huge frames
        # cannot make the server buffer them.
        client = _Client(
            self.core.open(time.time()),
            transport,
            limits.max_frame_bytes * 4,
            limits.send_queue_bytes,
            remote,
            self._on_message,
            self._on_end,
        )
        self._clients[client.conn] = client
        self._changed.set()
        if self._expiry_due is None:
            self._expiry_wake.set()  # the hello deadline may be the only one
        return client

    def _on_end(self, client: _Client, left: bool) -> None:
        """A client's connection is over: ``left`` on purpose, or dropped."""
        self._apply(self.core.closed(client.conn, time.time(), left=left))
        self._clients.pop(client.conn, None)
        self._forget_backlog(client)
        remote = client.remote
        self._per_address[remote] -= 1
        if not self._per_address[remote]:
            del self._per_address[remote]
        self._changed.set()
        self._expiry_wake.set()

    def _on_message(self, client: _Client, data: str | bytes) -> None:
        self._apply(self.core.receive(client.conn, data, time.time()))

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "shutting-down" if self.core.closing else "ok",
                "version": __version__,
                "rooms": len(self.core.rooms),
                "peers": self.core.peer_count,
                "connections": len(self.core.connections),
            },
            status=503 if self.core.closing else 200,
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            text=metrics.render(self.core), content_type="text/plain", charset="utf-8"
        )

    async def _client_bundle(self, request: web.Request) -> web.Response:
        bundle = load_bundle()
        if bundle is None:
            raise web.HTTPNotFound(text="this installation ships no browser client (make web)\n")
        # The URL carries no version, so browsers revalidate every time (a
        # 304 costs a round trip, not the body) and an upgrade is seen at once.
        headers = {"Vary": "Origin"}
        # Module scripts are fetched with CORS: a page on another origin may
        # load the client if it may also join rooms here (the same allowlist).
        origin = request.headers.get("Origin")
        if origin is not None and origin_allowed(
            origin, request.host, self.settings.allowed_origins
        ):
            headers["Access-Control-Allow-Origin"] = origin
        return asset_response(request, bundle, "text/javascript", headers)

    # -- plumbing --------------------------------------------------------

    def _apply(self, actions: list[Action]) -> None:
        # A broadcast is a run of Sends of one message: encoded once.
        last: dict[str, Any] | None = None
        data = b""
        for action in actions:
            if type(action) is Send:
                client = self._clients.get(action.conn)
                if client is None:
                    continue
                if action.message is not last:
                    last = action.message
                    data = text_frame(encode_utf8(last))
                self._deliver(client, data)
            elif isinstance(action, External):
                self._effect(action)
            elif isinstance(action, Close) and (client := self._clients.get(action.conn)):
                logs.event("closing", code=action.code, reason=action.reason)
                client.close(action.code, action.reason)
        self._note_queued()

    def _note_queued(self) -> None:
        used = self._backlog_bytes + self.core.pending_bytes
        if used or self._heap.peak:  # nothing to note, by far the most often
            self._heap.note(used)

    def _deliver(self, client: _Client, data: bytes) -> None:
        """Write the frame ``data`` to ``client`` within the server's bounds.

        Past its own bound the client is the slow reader and goes. Past the
        server's bound, whoever has the most unsent goes first: a client
        that reads keeps its buffer near empty, so that is the one that does
        not.
        """
        if self._backlog_bytes + len(data) > self.core.limits.max_queued_bytes:
            self._make_room(len(data))
        if client.closing:
            return  # going away; nothing more will be written
        transport = client.transport
        # What the buffer held after the last write is an upper bound (it
        # only drains since), so the buffer is read again only near the bound.
        if client.buffered + len(data) > client.limit and (
            transport.get_write_buffer_size() + len(data) > client.limit
        ):
            self._drop_slow(client, "send queue full")
            return
        transport.write(data)
        size = transport.get_write_buffer_size()
        if size or client.buffered:
            self._note_buffered(client, size)

    def _note_buffered(self, client: _Client, size: int) -> None:
        self._backlog_bytes += size - client.buffered
        client.buffered = size
        if size:
            self._backlog.add(client)
        else:
            self._backlog.discard(client)

    def _forget_backlog(self, client: _Client) -> None:
        self._note_buffered(client, 0)

    def _refresh_backlog(self) -> None:
        """Read again what each backlogged transport holds: buffers drain
        without telling the server."""
        for client in list(self._backlog):
            transport = client.transport
            self._note_buffered(
                client, 0 if transport.is_closing() else transport.get_write_buffer_size()
            )

    def _make_room(self, cost: int) -> None:
        self._refresh_backlog()
        limit = self.core.limits.max_queued_bytes
        while self._backlog and self._backlog_bytes + cost > limit:
            hog = max(self._backlog, key=lambda c: c.buffered)
            self._drop_slow(hog, "server send queues full")

    def _drop_slow(self, client: _Client, why: str) -> None:
        logs.event("slow-client-dropped", logging.WARNING, queued=client.buffered, why=why)
        client.close(CloseCode.SLOW, "too slow reading messages")
        self._forget_backlog(client)
        # Gone as far as the room is concerned, now and not when the socket
        # is: what is relayed to the peer from here on waits for its resume
        # instead of being written to a connection that is closing.
        self._apply(self.core.closed(client.conn, time.time(), left=False))

    async def _heartbeat_loop(self) -> None:
        """Ping clients that went quiet and drop those that stay silent.

        One task for the whole server, ticking four times a heartbeat,
        instead of a timer per connection reset on every frame: a client
        silent for a heartbeat gets a ping (browsers answer pings by
        themselves), and one silent for 1.5 heartbeats (1.75 at most, by the
        ticks) is a drop and keeps its place for the resume grace.
        """
        tick = self.settings.heartbeat / 4
        while True:
            await asyncio.sleep(tick)
            for client in list(self._clients.values()):
                # A paused client cannot be heard: its silence is not its own.
                if client.active or client.paused:
                    client.active = False
                    client.silent = 0
                    continue
                client.silent += 1
                if client.silent == 4:
                    client.ping()
                elif client.silent >= 6:
                    logs.event("heartbeat-missed", logging.INFO)
                    client.cut()
            self._refresh_backlog()
            self._note_queued()

    async def _expire_loop(self) -> None:
        while True:
            due = self._expiry_due = self.core.next_expiry()
            timeout = None if due is None else max(0.0, due - time.time())
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
            # cancel that races a wake-up, which would make stop() hang.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._expiry_wake.wait()
            self._expiry_wake.clear()
            self._apply(self.core.expire(time.time()))

    async def _refresh_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._apply(self.core.refresh_ice_servers(time.time()))

    async def _on_shutdown(self, app: web.Application) -> None:
        self._apply(self.core.shutdown())
        ended = [client.ended for client in self._clients.values()]
        if ended:
            await asyncio.wait(ended, timeout=2.0)

    def describe(self) -> dict[str, Any]:
        return {"url": self.url, "rooms": len(self.core.rooms), "peers": self.core.peer_count}
