"""The signaling client: join a room, relay to peers, survive reconnects.

A :class:`SignalingClient` keeps one room membership alive. When the
WebSocket drops it reconnects with exponential backoff and jitter and joins
again with its resume token, so it keeps its peer id: to the other members,
and to the peer connections they hold, nothing happened. Frames sent while
reconnecting are buffered (boundedly) and sent after the new welcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from .. import logs
from ..signaling.protocol import VERSION, CloseCode, ErrorCode, encode

Handler = Callable[[dict[str, Any]], Awaitable[None] | None]


class SignalingError(Exception):
    """The server refused us (``code`` is the protocol's error code) or is unreachable."""

    def __init__(self, message: str, code: str = "unreachable") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter, so a restarted server is not stampeded."""

    initial: float = 0.25
    maximum: float = 10.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.maximum, self.initial * self.factor**attempt)
        return random.uniform(ceiling / 2, ceiling)


# Errors after which retrying the same join is pointless (StrEnum members
# compare and hash as their strings, so the codes read off the wire match).
FATAL_CODES: frozenset[str] = frozenset(
    {
        ErrorCode.TOKEN_REQUIRED,
        ErrorCode.TOKEN_INVALID,
        ErrorCode.TOKEN_EXPIRED,
        ErrorCode.TOKEN_WRONG_ROOM,
        ErrorCode.UNSUPPORTED_VERSION,
        ErrorCode.INVALID,
        ErrorCode.ROOM_FULL,
        ErrorCode.TOO_MANY_ROOMS,
    }
)


class Signaling(Protocol):
    """What a session needs of its signaling: :class:`SignalingClient`, or an
    in-memory hub's client (:mod:`avacollab.peer.memory`) for tests."""

    welcome: dict[str, Any]
    on_lost: Callable[[int | None], None] | None
    """Called with the close code when the connection to the server drops."""

    @property
    def peer_id(self) -> str: ...
    async def connect(self) -> dict[str, Any]: ...
    async def relay(self, kind: str, to: str, **body: Any) -> None: ...
    async def close(self, *, leave: bool = True) -> None: ...


class SignalingClient:
    """One peer's membership of one room on a signaling server."""

    def __init__(
        self,
        url: str,
        room: str,
        *,
        name: str = "",
        token: str | None = None,
        on_message: Handler | None = None,
        heartbeat: float = 10.0,
        backoff: Backoff = Backoff(),
        connect_timeout: float = 10.0,
        max_buffered: int = 256,
    ) -> None:
        self.url = url
        self.room = room
        self.name = name
        self.token = token
        self.on_message = on_message
        self.heartbeat = heartbeat
        self.backoff = backoff
        self.connect_timeout = connect_timeout
        self.welcome: dict[str, Any] = {}
        self.reconnects = 0
        self.on_lost: Callable[[int | None], None] | None = None
        """Called with the close code when the connection drops, before reconnecting;
        its owner reports the loss (then it is logged at info, not as a warning)."""
        self._resume: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._session: aiohttp.ClientSession | None = None
        self._buffer: deque[str] = deque(maxlen=max_buffered)
        self._task: asyncio.Task[None] | None = None
        self._joined = asyncio.Event()
        self._closing = False
        self._next_id = 0

    @property
    def peer_id(self) -> str:
        """Our id in the room (the same across reconnects when resume works)."""
        return str(self.welcome.get("peer", ""))

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed and self._joined.is_set()

    async def connect(self) -> dict[str, Any]:
        """Join the room and keep the membership alive; return the welcome.

        Raises :class:`SignalingError` if the first join fails: a wrong URL or
        a refused token should be reported now, not retried forever.
        """
        self._session = aiohttp.ClientSession()
        try:
            ws = await self._open()
            self._task = asyncio.create_task(self._run(ws))
        except BaseException:
            await self._session.close()
            raise
        return self.welcome

    async def close(self, *, leave: bool = True) -> None:
        """Leave the room (unless ``leave`` is false) and stop reconnecting.

        Cancelled (a caller's deadline), it still stops reconnecting and
        releases the HTTP session; only the goodbye to the server is lost.
        """
        self._closing = True
        try:
            ws = self._ws
            if ws is not None and not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    if leave:
                        await ws.send_str(encode({"type": "leave"}))
                    # Any close frame is a leave but 4000, which asks the server
                    # to keep our place for the resume grace period.
                    await ws.close(code=CloseCode.NORMAL if leave else CloseCode.KEEP_PLACE)
        finally:
            try:
                if self._task is not None:
                    self._task.cancel()
                    # A task that ended on a refused reconnect (logged as
                    # signaling-refused when it happened) is not this call's error.
                    with contextlib.suppress(asyncio.CancelledError, SignalingError):
                        await self._task
            finally:
                if self._session is not None:
                    await self._session.close()

    async def send(self, message: dict[str, Any]) -> None:
        """Send a message, or buffer it until the next welcome if we are reconnecting."""
        text = encode(message)
        ws = self._ws
        if ws is None or ws.closed or not self._joined.is_set():
            self._buffer.append(text)
            return
        try:
            await ws.send_str(text)
        except (ConnectionError, RuntimeError):
            self._buffer.append(text)

    async def relay(self, kind: str, to: str, **body: Any) -> None:
        """Send an offer, answer or candidate to one member of the room."""
        await self.send({"type": kind, "to": to, **body})

    async def wait_connected(self) -> None:
        """Wait until joined (again); bound it with ``asyncio.timeout``."""
        await self._joined.wait()

    # -- internals -------------------------------------------------------

    async def _open(self) -> aiohttp.ClientWebSocketResponse:
        assert self._session is not None
        try:
            ws = await self._session.ws_connect(
                self.url, heartbeat=self.heartbeat, timeout=aiohttp.ClientWSTimeout(ws_close=2.0)
            )
        except (aiohttp.ClientError, OSError) as exc:
            raise SignalingError(f"cannot reach {self.url}: {exc}") from None
        try:
            self._next_id += 1
            join: dict[str, Any] = {"type": "join", "room": self.room, "id": self._next_id}
            if self.name:
                join["name"] = self.name
            if self.token:
                join["token"] = self.token
            if self._resume:
                join["resume"] = self._resume
            # hello and join go out together: one round trip to a welcome.
            await ws.send_str(encode({"type": "hello", "version": VERSION}))
            await ws.send_str(encode(join))
            async with asyncio.timeout(self.connect_timeout):
                while True:
                    message = await self._receive(ws)
                    if message is None:
                        raise SignalingError(f"{self.url} closed the connection while joining")
                    if message.get("type") == "welcome":
                        break
                    if message.get("type") == "error":
                        raise SignalingError(
                            f"join refused: {message.get('message')}", str(message.get("code"))
                        )
        except BaseException:
            # When resuming, the join may have gone through unseen (the
            # welcome was late): keep that place for the next attempt.
            await ws.close(code=CloseCode.KEEP_PLACE if self._resume else CloseCode.NORMAL)
            raise
        self.welcome = message
        self._resume = message.get("resume")
        self._ws = ws
        self._joined.set()
        while self._buffer:
            await ws.send_str(self._buffer.popleft())
        logs.event(
            "signaling-joined",
            room=self.room,
            peer=self.peer_id,
            resumed=message.get("resumed", False),
        )
        return ws

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any] | None:
        while True:
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    logs.event("signaling-bad-frame", logging.WARNING)
                    continue
                if isinstance(data, dict):
                    return data
                continue
            if msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.ERROR,
            ):
                return None

    async def _run(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            while (message := await self._receive(ws)) is not None:
                if message.get("type") == "ice-servers":
                    self.welcome["iceServers"] = message.get("iceServers", [])
                if self.on_message is not None:
                    result = self.on_message(message)
                    if result is not None:
                        await result
            self._joined.clear()
            self._ws = None
            if self._closing:
                return
            if ws.close_code == CloseCode.REPLACED:
                # Another connection resumed as us; reconnecting would only
                # take the peer id back from it, and so on forever.
                logs.event("signaling-replaced", logging.WARNING, url=self.url)
                return
            level = logging.WARNING if self.on_lost is None else logging.INFO
            logs.event("signaling-lost", level, url=self.url, code=ws.close_code)
            if self.on_lost is not None:
                self.on_lost(ws.close_code)
            ws = await self._reconnect()

    async def _reconnect(self) -> aiohttp.ClientWebSocketResponse:
        attempt = 0
        while True:
            await asyncio.sleep(self.backoff.delay(attempt))
            attempt += 1
            try:
                ws = await self._open()
            except SignalingError as exc:
                if exc.code in FATAL_CODES:
                    logs.event("signaling-refused", logging.ERROR, code=exc.code, error=str(exc))
                    # A token that expired while we were away: nothing more
                    # to try; the session sees `connected` stay false.
                    if exc.code.startswith("token"):
                        raise
                logs.event("signaling-retry", attempt=attempt, error=str(exc))
                continue
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                logs.event("signaling-retry", attempt=attempt, error=str(exc))
                continue
            self.reconnects += 1
            welcome = dict(self.welcome, type="welcome")
            if self.on_message is not None:
                result = self.on_message(welcome)
                if result is not None:
                    await result
            return ws
