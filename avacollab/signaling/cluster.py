"""One server process of many sharing rooms through Redis (``serve --redis``).

:class:`ClusterServer` is the aiohttp server with a
:class:`~avacollab.signaling.clustercore.ClusterCore` and three tasks:

* the *outbox* writes what the core asks of the shared state (relays to
  other processes, leaves, joins) in the order the core asked, pipelined on
  one connection: that order is what keeps a sender's messages in order;
* the *listener* reads this process's channel and feeds the core;
* the *heartbeat* refreshes this process's key every third of the TTL,
  removes the members of processes whose key expired (any process may), and
  when Redis lost this process's members (a restart, or an outage longer
  than the TTL) puts them back and re-reads the rooms' members.

While Redis is unreachable, joins are refused with ``unavailable``, relays
to other processes are lost and peers on this process keep working with
each other; all of it recovers by itself when Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from .. import logs
from ..settings import Settings
from . import metrics
from .clustercore import (
    LOST,
    ClusterCore,
    Confirm,
    Confirmed,
    Depart,
    Flow,
    Forward,
    Outcome,
    Reserve,
    mark_envelope,
    read_envelope,
)
from .core import External, IceServers, Limits, SignalingCore
from .protocol import ErrorCode
from .redisstate import LEAVE, RedisState
from .server import SignalingServer, _Client

CONNECT_TIMEOUT = 2.0
"""Seconds to open a connection to Redis; a join waits at most about this
much longer than usual before ``unavailable`` when Redis is down."""
COMMAND_TIMEOUT = 5.0
RETRY_AFTER = 0.5
"""Seconds between attempts to subscribe again after losing Redis."""
OUTBOX_BYTES = 4 << 20
"""Bytes of relays waiting to be published to other processes past which a
client that relays more is not read until they are down to half: a flood
toward members on other processes waits in its senders' sockets, not here."""
PIPELINE_BYTES = 1 << 20
"""Bytes of relays published in one pipeline (one relay more at most)."""
WINDOW_BYTES = 4 << 20
"""Bytes of relays a process may have published to another that the other
has not yet confirmed reading; past that its outbox waits. Redis holds what
a process has yet to read, and disconnects it past 32 MB (or 8 MB for a
minute): its `client-output-buffer-limit pubsub`, by default."""
FLOW_TIMEOUT = 2.0
"""Seconds the outbox waits for a process to confirm reading before taking
it as read (the confirmation was lost, or the process is gone)."""
_FAILURES = (RedisError, OSError, TimeoutError)


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def cluster_metrics(core: ClusterCore, *, reachable: bool) -> str:
    """The /metrics lines a process of a cluster adds."""
    stats = core.cluster
    rows = [
        ("remote_peers", "gauge", "Peers of this process's rooms on other processes.",
         core.remote_count),
        ("redis_reachable", "gauge", "1 while Redis answers and this process reads its channel.",
         int(reachable)),
        ("forwarded_total", "counter", "Relays published to another process.", stats.forwarded),
        ("delivered_total", "counter", "Envelopes read from other processes.", stats.delivered),
        ("dropped_total", "counter", "Envelopes refused, or for no peer here.", stats.dropped),
        ("unavailable_total", "counter", "Joins refused while Redis was unreachable.",
         stats.unavailable),
    ]  # fmt: skip
    lines = []
    for name, kind, about, value in rows:
        lines += [
            f"# HELP avacollab_cluster_{name} {about}",
            f"# TYPE avacollab_cluster_{name} {kind}",
            f"avacollab_cluster_{name} {value}",
        ]
    return "\n".join(lines) + "\n"


class ClusterError(Exception):
    """The cluster cannot start (Redis unreachable, or not installed)."""


class ClusterServer(SignalingServer):
    """A signaling server process whose rooms live in Redis."""

    core: ClusterCore

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        self.proc = secrets.token_urlsafe(9)
        super().__init__(settings, **kwargs)
        self.redis: Redis | None = None
        self.state: RedisState | None = None
        self._outbox: deque[External] = deque()
        self._outbox_bytes = 0  # of the Forwards in the outbox or being written
        self._paused: set[_Client] = set()  # not read until the outbox is written
        self._flow = Flow()
        self._read_wake = asyncio.Event()  # set when another process confirms reading
        self._aside: set[asyncio.Task[None]] = set()  # confirmations being published
        self._outbox_wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while the outbox is empty and written
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._dirty = False  # some write may be lost: put our members back
        self._resync_at: float | None = None
        self._reachable = True
        self._subscribed = False  # the listener reads our channel

    def _make_core(self, limits: Limits, **options: Any) -> SignalingCore:
        return ClusterCore(limits, proc=self.proc, **options)

    @property
    def ttl(self) -> float:
        return self.settings.redis_ttl

    async def start(self) -> None:
        self.redis = Redis.from_url(
            self.settings.redis,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
        )
        self.state = RedisState(self.redis, self.proc)
        try:
            await self.state.heartbeat(self.ttl, LOST)
        except _FAILURES as exc:
            await self.redis.aclose()
            where = redacted(self.settings.redis)
            raise ClusterError(f"cannot reach Redis at {where}: {exc}") from exc
        self._tasks = [
            asyncio.create_task(self._write_loop()),
            asyncio.create_task(self._listen_loop()),
            asyncio.create_task(self._heartbeat_loop()),
        ]
        await super().start()
        logs.event("cluster-joined", proc=self.proc, ttl=self.ttl)

    async def stop(self) -> None:
        """Stop serving. Our members stay in Redis: their peers resume on
        another process, or the TTL announces them left."""
        await super().stop()
        await self._flush()
        tasks = [*self._tasks, *self._aside]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.redis is not None:
            await self.redis.aclose()

    async def _flush(self) -> None:
        """Let the outbox write what the closing connections left (bounded)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(COMMAND_TIMEOUT):
                await self._idle.wait()

    # -- the core's actions ----------------------------------------------

    def _effect(self, action: External) -> None:
        if isinstance(action, Confirm):
            # Beside the outbox, which may itself wait for the asker to read.
            self._publish_aside(action.proc, read_envelope(self.proc, action.count))
            return
        if isinstance(action, Confirmed):
            self._flow.confirmed(action.proc, action.count)
            self._read_wake.set()
            return
        self._outbox.append(action)
        self._idle.clear()
        self._outbox_wake.set()
        if isinstance(action, Forward):
            self._outbox_bytes += len(action.envelope)
            if self._outbox_bytes > OUTBOX_BYTES and action.sender is not None:
                client = self._clients.get(action.sender)
                if client is not None and not client.paused:
                    client.pause()
                    self._paused.add(client)
                    self._heap.burst()

    def _written(self, size: int) -> None:
        """``size`` bytes of relays are out of the outbox, written or lost:
        read the paused clients again once it is down to half its bound."""
        self._outbox_bytes -= size
        if self._paused and self._outbox_bytes <= OUTBOX_BYTES // 2:
            for client in self._paused:
                client.resume()
            self._paused.clear()
        self._note_queued()

    def _note_queued(self) -> None:
        used = self._backlog_bytes + self.core.pending_bytes + self._outbox_bytes
        if used or self._heap.peak:
            self._heap.note(used)

    def _publish_aside(self, proc: str, envelope: bytes) -> None:
        task = asyncio.create_task(self._publish(proc, envelope))
        self._aside.add(task)
        task.add_done_callback(self._aside.discard)

    async def _publish(self, proc: str, envelope: bytes) -> None:
        assert self.redis is not None and self.state is not None
        with contextlib.suppress(*_FAILURES):
            await self.redis.publish(self.state.channel_of(proc), envelope)

    def _next_batch(self) -> tuple[list[Forward | Depart], dict[str, int]]:
        """Relays and leaves from the head of the outbox, up to the next join,
        PIPELINE_BYTES, or a relay to a process whose window is full; and
        the bytes of relays in it for each process."""
        outbox, batch, size = self._outbox, list[Forward | Depart](), 0
        adding: dict[str, int] = {}
        while outbox and size < PIPELINE_BYTES:
            action = outbox[0]
            if isinstance(action, Reserve):
                break
            if isinstance(action, Forward):
                proc, length = action.proc, len(action.envelope)
                if self._flow.unread(proc) + adding.get(proc, 0) >= WINDOW_BYTES:
                    break
                adding[proc] = adding.get(proc, 0) + length
                size += length
            assert isinstance(action, Forward | Depart)
            batch.append(action)
            outbox.popleft()
        return batch, adding

    async def _until_read(self, proc: str) -> None:
        """Wait until ``proc`` has read enough of ours to take more (bounded)."""
        try:
            async with asyncio.timeout(FLOW_TIMEOUT):
                while self._flow.unread(proc) >= WINDOW_BYTES:
                    self._read_wake.clear()
                    await self._read_wake.wait()
        except TimeoutError:
            logs.event("flow-timeout", logging.WARNING, proc=proc, unread=self._flow.unread(proc))
            self._flow.forget(proc)

    async def _drain(self) -> None:
        outbox = self._outbox
        while True:
            await self._outbox_wake.wait()
            self._outbox_wake.clear()
            while outbox:
                # Relays and leaves up to the next join go in one pipeline;
                # a join waits for them, so everything stays in order.
                head = outbox[0]
                if isinstance(head, Reserve):
                    outbox.popleft()
                    await self._reserve(head)
                    continue
                batch, sizes = self._next_batch()
                if not batch:
                    assert isinstance(head, Forward)
                    await self._until_read(head.proc)
                    continue
                # More may be queued while this is written: the loop takes
                # it next, relays first if they came first.
                try:
                    await self._write(batch, sizes)
                finally:
                    self._written(sum(sizes.values()))
            self._idle.set()

    async def _write_loop(self) -> None:
        while True:
            try:
                await self._drain()
            except Exception as exc:
                # A bug here must not stop every relay to other processes.
                self._dirty = True
                logs.event("outbox-failed", logging.ERROR, error=repr(exc))
            self._idle.set()

    async def _write(self, batch: list[Forward | Depart], sizes: dict[str, int]) -> None:
        """Publish and run ``batch`` in one pipeline; ``sizes``: the bytes of
        its relays to each process, after which a mark goes if one is due."""
        assert self.redis is not None and self.state is not None
        state = self.state
        gone_ttl = int(self.core.limits.resume_max_age)
        pipe = self.redis.pipeline(transaction=False)
        for action in batch:
            if isinstance(action, Forward):
                pipe.publish(state.channel_of(action.proc), action.envelope)
            else:
                ttl = gone_ttl if action.gone else 0
                pipe.eval(LEAVE, 0, *state.leave_args(action.room, action.peer, action.reason, ttl))
        for proc, size in sizes.items():
            mark = self._flow.published(proc, size)
            if mark is not None:  # after the relays: confirmed once they are read
                pipe.publish(state.channel_of(proc), mark_envelope(self.proc, mark))
        try:
            results: list[Any] = await pipe.execute(raise_on_error=False)
        except _FAILURES as exc:
            self._flow.forget()
            self._lost(exc)
            return
        if any(isinstance(result, Exception) for result in results):
            self._dirty = True
        for action, result in zip(batch, results, strict=False):
            if isinstance(action, Forward) and result == 0:
                # Nobody reads that process's channel (gone, or subscribing
                # again): nothing it was sent will be confirmed.
                self._flow.forget(action.proc)

    async def _reserve(self, action: Reserve) -> None:
        assert self.state is not None
        ticket, limits = action.ticket, self.core.limits
        try:
            outcome = await self.state.join(
                ticket.join.room,
                ticket.peer,
                resume=ticket.resume,
                info=ticket.info,
                max_room_size=limits.max_room_size,
                max_rooms=limits.max_rooms,
            )
        except _FAILURES as exc:
            self._lost(exc)
            outcome = Outcome(ErrorCode.UNAVAILABLE)
        self._apply(self.core.reserved(action.conn, ticket, outcome, time.time()))

    def _lost(self, exc: BaseException) -> None:
        self._dirty = True
        if self._reachable:
            self._reachable = False
            logs.event("redis-unreachable", logging.ERROR, error=repr(exc))

    def _found(self) -> None:
        """Redis answers, our members are back in it and our channel is read."""
        if not self._reachable:
            self._reachable = True
            logs.event("redis-reachable")

    # -- what other processes send ---------------------------------------

    async def _listen_loop(self) -> None:
        assert self.redis is not None and self.state is not None
        first = True
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.state.channel)
                self._subscribed = True
                if not first:
                    # Whatever was published meanwhile is lost: re-read.
                    self._dirty = True
                first = False
                # listen(), not get_message(timeout=...) in a loop: no timeout
                # to arm per message (about 4 us less per relay that crosses).
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._apply(self.core.deliver(message["data"], time.time()))
                self._subscribed = False  # listen() ends only when unsubscribed
            except _FAILURES as exc:
                self._subscribed = False
                self._lost(exc)
            except Exception as exc:
                # A bug here must not silence the process: log it, read on.
                self._subscribed = False
                logs.event("listener-failed", logging.ERROR, error=repr(exc))
            finally:
                with contextlib.suppress(*_FAILURES):
                    await pubsub.aclose()
            await asyncio.sleep(RETRY_AFTER)

    async def _heartbeat_loop(self) -> None:
        assert self.state is not None
        state, interval = self.state, self.ttl / 3
        while True:
            await asyncio.sleep(interval)
            try:
                present = await state.heartbeat(self.ttl, LOST)
                if not present or self._dirty:
                    self._dirty = False
                    await state.restore(self.core.local_members(), LOST)
                    # Other processes put theirs back within one interval.
                    self._resync_at = time.time() + interval
                    logs.event("cluster-restored", members=len(self.core.local_members()))
                if self._subscribed:
                    self._found()
                if self._resync_at is not None and time.time() >= self._resync_at:
                    self._resync_at = None
                    for room in list(self.core.rooms):
                        members = await state.members(room)
                        self._apply(self.core.resync(room, members))
            except _FAILURES as exc:
                self._lost(exc)
            except Exception as exc:
                # A bug must not stop the heartbeat: the others would reap us.
                logs.event("heartbeat-failed", logging.ERROR, error=repr(exc))

    async def _metrics(self, request: web.Request) -> web.Response:
        text = metrics.render(self.core) + cluster_metrics(self.core, reachable=self._reachable)
        return web.Response(text=text, content_type="text/plain", charset="utf-8")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "proc": self.proc, "remote": self.core.remote_count}


__all__ = ["ClusterError", "ClusterServer", "IceServers"]
