"""The signaling server: aiohttp under :class:`~avacollab.signaling.core.SignalingCore`.

This module only moves frames and timers. Each connection gets a writer task
fed from a queue bounded in bytes, so one slow client can never stall the
relay for the others: when its queue is full it is disconnected (and may
resume). All queues together are bounded too, and so are the connections
from one address, so a crowd of clients that never read cannot grow the
server's memory either.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler

from .. import __version__, logs
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
from .heap import HeapTrimmer
from .protocol import FRAME_OVERHEAD, CloseCode, encode_utf8

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
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name)
        return True
    return name in names


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


@dataclass(slots=True)
class _Total:
    """Bytes queued for sending over all connections of a server."""

    bytes: int = 0


class _Client:
    """One connection's outgoing side: a queue bounded in bytes and a writer task.

    ``queued`` counts what waits in ``out``, each frame at its size plus
    FRAME_OVERHEAD. A frame leaves the queue when it is handed to the
    transport, whose buffer aiohttp keeps near its writer limit (64 KiB) by
    waiting for the client to read; so a connection holds at most its bound
    plus about that much, whatever the client does.
    """

    def __init__(
        self,
        conn: Connection,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport,
        limit: int,
        total: _Total,
        on_release: Callable[[], None],
    ) -> None:
        self.conn = conn
        self.ws = ws
        self.transport = transport
        self.limit = limit
        self.total = total
        self.on_release = on_release  # called when the queue empties
        self.out: deque[bytes] = deque()
        self.queued = 0
        self.wake = asyncio.Event()
        self.close_with: tuple[int, str] | None = None
        self.task = asyncio.create_task(self._write())

    def send(self, data: bytes) -> bool:
        """Queue one frame; False if it would take the queue past its bound."""
        if self.close_with is not None:
            return True  # going away; nothing more will be written
        cost = len(data) + FRAME_OVERHEAD
        if self.queued + cost > self.limit:
            return False
        self.out.append(data)
        self.queued += cost
        self.total.bytes += cost
        self.wake.set()
        return True

    def close(self, code: int, reason: str, *, drop_queue: bool = False) -> None:
        """Close after what is queued, or at once with ``drop_queue``.

        Either way the socket is cut if the close is not done within
        CLOSE_LINGER, so no connection outlives its close by more.
        """
        if drop_queue:
            self._drop_queue()
        if self.close_with is not None:
            return
        self.close_with = (code, reason)
        self.wake.set()
        asyncio.get_running_loop().call_later(CLOSE_LINGER, self.transport.abort)

    def _drop_queue(self) -> None:
        if self.queued:
            self.out.clear()
            self.total.bytes -= self.queued
            self.queued = 0
            self.on_release()

    async def _write(self) -> None:
        ws, out = self.ws, self.out
        try:
            while True:
                while out:
                    data = out.popleft()
                    cost = len(data) + FRAME_OVERHEAD
                    self.queued -= cost
                    self.total.bytes -= cost
                    await ws.send_frame(data, WSMsgType.TEXT)
                if self.close_with is not None:
                    break
                self.on_release()
                self.wake.clear()
                await self.wake.wait()
            code, reason = self.close_with
            await ws.close(code=code, message=reason.encode())
        except Exception as exc:
            # A send that fails finishes this connection, and only it: cut
            # it, so it is never left open with nothing writing to it (it
            # would still answer pings). A client that went away is routine.
            if not isinstance(exc, ConnectionError):
                logs.event("send-failed", logging.ERROR, error=repr(exc))
            self.close_with = self.close_with or (1011, "send failed")
            self.transport.abort()
        finally:
            self._drop_queue()


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
        self._queued = _Total()
        self._heap = HeapTrimmer(TRIM_AFTER, CLOSE_LINGER + 0.5)
        self._per_address: Counter[str] = Counter()
        self._expiry_wake = asyncio.Event()
        self._changed = asyncio.Event()  # pulsed when a connection opens or closes
        self._runner: web.AppRunner | None = None
        self._expiry_task: asyncio.Task[None] | None = None
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
        site = web.TCPSite(
            self._runner,
            self.settings.host,
            self.settings.port,
            reuse_port=self.settings.reuse_port or None,
        )
        await site.start()
        # With port 0 the kernel picks the port; the runner reports the bound sockets.
        addresses = self._runner.addresses
        self.port = addresses[0][1] if addresses else self.settings.port
        self._expiry_task = asyncio.create_task(self._expire_loop())
        if self._ice_refresh is not None:
            self._refresh_task = asyncio.create_task(self._refresh_loop(self._ice_refresh))
        logs.event("server-started", url=self.url, version=__version__)

    async def stop(self) -> None:
        """Close every connection with going-away (1001) and stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for task in (self._expiry_task, self._refresh_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._expiry_task = self._refresh_task = None
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
        self._per_address[remote] += 1
        try:
            return await self._serve_websocket(request)
        finally:
            self._per_address[remote] -= 1
            if not self._per_address[remote]:
                del self._per_address[remote]
            self._changed.set()

    async def _serve_websocket(self, request: web.Request) -> web.StreamResponse:
        # aiohttp itself closes (1009) frames over 4x the limit, so a frame
        # between the limit and that gets a polite error and the connection
        # stays, while a flood of huge frames cannot make us buffer them.
        ws = web.WebSocketResponse(
            heartbeat=self.settings.heartbeat,
            max_msg_size=self.settings.max_frame_bytes * 4,
            # Signaling frames are small and mostly unique SDP: deflate halves
            # relay throughput (measured, bench/signaling.py) and saves little.
            compress=False,
        )
        await ws.prepare(request)
        transport = request.transport
        if transport is None:  # the client left during the upgrade
            return ws
        conn = self.core.open(time.time())
        client = _Client(
            conn, ws, transport, self.core.limits.send_queue_bytes, self._queued, self._note_queued
        )
        self._clients[conn] = client
        self._changed.set()
        if self._expiry_due is None:
            self._expiry_wake.set()  # the hello deadline may be the only one
        left = False
        try:
            while True:
                msg = await ws.receive()
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    self._apply(self.core.receive(conn, msg.data, time.time()))
                    continue
                # A close frame from the client is its decision (see
                # close_is_leave); CLOSED and ERROR are drops, and CLOSING
                # means we closed it, and the peer keeps its place for both.
                left = msg.type == WSMsgType.CLOSE and close_is_leave(msg.data)
                break
        finally:
            self._apply(self.core.closed(conn, time.time(), left=left))
            self._clients.pop(conn, None)
            self._changed.set()
            # Nobody is reading any more: what is still queued can only go
            # to a closed socket.
            client.close(CloseCode.NORMAL, "", drop_queue=True)
            # Bounded: a close cuts the socket after CLOSE_LINGER, which ends
            # any send the writer is stuck in.
            await asyncio.wait([client.task], timeout=CLOSE_LINGER + 1.0)
            client.task.cancel()
            self._expiry_wake.set()
        return ws

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
        encoded: dict[int, bytes] = {}  # a broadcast is encoded once
        for action in actions:
            if isinstance(action, External):
                self._effect(action)
                continue
            client = self._clients.get(action.conn)
            if client is None:
                continue
            if isinstance(action, Send):
                key = id(action.message)
                data = encoded.get(key)
                if data is None:
                    data = encoded[key] = encode_utf8(action.message)
                self._deliver(client, data)
            elif isinstance(action, Close):
                logs.event("closing", code=action.code, reason=action.reason)
                client.close(action.code, action.reason)
        self._note_queued()

    def _note_queued(self) -> None:
        self._heap.note(self._queued.bytes + self.core.pending_bytes)

    def _deliver(self, client: _Client, data: bytes) -> None:
        """Queue ``data`` for ``client`` within the server's bounds.

        Past its own bound the client is the slow reader and goes. Past the
        server's bound, whoever has the most queued goes first: a client
        that reads keeps its queue near empty, so that is the one that does
        not.
        """
        cost = len(data) + FRAME_OVERHEAD
        total, limit = self._queued, self.core.limits.max_queued_bytes
        while total.bytes + cost > limit:
            hog = max(self._clients.values(), key=lambda c: c.queued, default=None)
            if hog is None or not hog.queued:
                break  # nothing left to free; settings keep a frame below the bound
            self._drop_slow(hog, "server send queues full")
        if not client.send(data):
            self._drop_slow(client, "send queue full")

    def _drop_slow(self, client: _Client, why: str) -> None:
        logs.event("slow-client-dropped", logging.WARNING, queued=client.queued, why=why)
        client.close(CloseCode.SLOW, "too slow reading messages", drop_queue=True)
        # Gone as far as the room is concerned, now and not when the socket
        # is: what is relayed to the peer from here on waits for its resume
        # instead of being written to a connection that is closing.
        self._apply(self.core.closed(client.conn, time.time(), left=False))

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
        tasks = [client.task for client in self._clients.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)

    def describe(self) -> dict[str, Any]:
        return {"url": self.url, "rooms": len(self.core.rooms), "peers": self.core.peer_count}
