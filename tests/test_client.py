"""SignalingClient against a real server: join, relay, reconnect and resume, refusals."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from avacollab.peer.signaling_client import Backoff, SignalingClient, SignalingError
from avacollab.signaling.tokens import issue_join_token

from .conftest import Connect, ServerFactory

FAST = Backoff(initial=0.02, maximum=0.2)


class Inbox:
    """Collects what a client's on_message receives; wait for a kind."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()

    def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self._arrived.set()

    async def get(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                for message in self.messages:
                    if message.get("type") == kind:
                        self.messages.remove(message)
                        return message
                self._arrived.clear()
                await self._arrived.wait()


ClientFactory = Callable[..., tuple[SignalingClient, Inbox]]


@pytest.fixture
async def client() -> AsyncIterator[ClientFactory]:
    made: list[SignalingClient] = []

    def factory(url: str, room: str = "room", **kwargs: Any) -> tuple[SignalingClient, Inbox]:
        inbox = Inbox()
        c = SignalingClient(url, room, on_message=inbox, backoff=FAST, **kwargs)
        made.append(c)
        return c, inbox

    yield factory
    for c in made:
        await c.close()


async def test_join_and_relay(make_server: ServerFactory, client: ClientFactory) -> None:
    server = await make_server()
    alice, alice_inbox = client(server.url, name="alice")
    bob, bob_inbox = client(server.url, name="bob")
    welcome = await alice.connect()
    assert welcome["peers"] == [] and alice.peer_id == welcome["peer"] and alice.connected
    await bob.connect()
    assert (await alice_inbox.get("peer-joined"))["name"] == "bob"
    await alice.relay("offer", bob.peer_id, sdp="v=0")
    assert await bob_inbox.get("offer") == {"type": "offer", "from": alice.peer_id, "sdp": "v=0"}
    await bob.close()
    assert (await alice_inbox.get("peer-left"))["reason"] == "left"


async def test_server_restart_resumes_with_the_same_id(
    make_server: ServerFactory, client: ClientFactory
) -> None:
    first = await make_server()
    alice, alice_inbox = client(first.url)
    bob, _ = client(first.url)
    await alice.connect()
    await bob.connect()
    await alice_inbox.get("peer-joined")
    ids = alice.peer_id, bob.peer_id
    await first.stop()
    # Sent while the server is down: buffered, sent after the resume. (A relay
    # would race bob's own re-registration: see "Resume" in docs/protocol.md.)
    await alice.send({"type": "ping", "id": "sent while down"})
    second = await make_server(port=first.port)  # same resume secret
    async with asyncio.timeout(10):
        await alice.wait_connected()
        await bob.wait_connected()
    assert (alice.peer_id, bob.peer_id) == ids
    assert alice.reconnects == 1 and bob.reconnects == 1
    assert (await alice_inbox.get("pong"))["id"] == "sent while down"
    # The client tells its owner it is back, with the (resumed) welcome.
    assert (await alice_inbox.get("welcome"))["peer"] == ids[0]
    assert second.core.peer_count == 2


async def test_dropped_connection_resumes_silently(
    server: Any, client: ClientFactory, connect: Connect
) -> None:
    alice, alice_inbox = client(server.url)
    bob, bob_inbox = client(server.url)
    await alice.connect()
    await bob.connect()
    await alice_inbox.get("peer-joined")
    bob_id = bob.peer_id
    # Cut bob's TCP connection under it, like a network drop.
    transport = bob._ws._response.connection.transport  # type: ignore[union-attr]
    assert transport is not None
    transport.abort()
    welcome = await bob_inbox.get("welcome", timeout=10)
    assert welcome["resumed"] is True and welcome["peer"] == bob_id
    assert bob.peer_id == bob_id and bob.reconnects == 1 and bob.connected
    assert [m["type"] for m in alice_inbox.messages] == []  # no peer-left, no peer-joined


async def test_refused_token_is_reported_not_retried(
    make_server: ServerFactory, client: ClientFactory
) -> None:
    server = await make_server(token_secret="a-long-enough-join-token-secret!")
    c, _ = client(server.url)
    with pytest.raises(SignalingError) as info:
        await c.connect()
    assert info.value.code == "token-required"
    c2, _ = client(server.url, token="not.a.jwt")
    with pytest.raises(SignalingError) as info:
        await c2.connect()
    assert info.value.code == "token-invalid"


async def test_unreachable_server_is_a_clear_error(client: ClientFactory) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens here once closed
    c, _ = client(f"ws://127.0.0.1:{port}/ws")
    with pytest.raises(SignalingError, match="cannot reach") as info:
        await c.connect()
    assert info.value.code == "unreachable"


async def test_replaced_connection_does_not_fight_back(
    server: Any, client: ClientFactory, connect: Connect
) -> None:
    alice, _ = client(server.url)
    welcome = await alice.connect()
    # Someone resumes as alice (her token leaked, or a second copy of her app).
    other = await connect(server.url)
    assert (await other.join("room", resume=welcome["resume"]))["peer"] == alice.peer_id
    async with asyncio.timeout(5):
        await server.until(lambda: len(server.core.connections) == 1)
    assert not alice.connected
    # The newer connection keeps the id: alice did not reconnect and resume.
    await other.send({"type": "ping", "id": 1})
    assert (await other.expect("pong"))["id"] == 1
    assert alice.reconnects == 0


async def test_close_without_leaving_keeps_the_place(
    server: Any, client: ClientFactory, connect: Connect
) -> None:
    watcher = await connect(server.url)
    await watcher.join("room")
    alice, _ = client(server.url)
    await alice.connect()
    await watcher.expect("peer-joined")
    await alice.close(leave=False)  # closes with 4000: back soon, with the resume token
    async with asyncio.timeout(5):
        await server.until(lambda: len(server.core.connections) == 1)
    assert server.core.rooms["room"].peers[alice.peer_id].conn is None  # detached, not gone
    await watcher.silent(0.2)


async def test_a_resume_whose_welcome_is_late_keeps_the_place() -> None:
    """A reconnect that gives up waiting for its welcome closes with 4000.

    The join may have gone through unseen; a leave would throw away the
    place the next attempt is about to resume. The server here is a script,
    because the real one cannot be made to answer late.
    """
    joins: list[dict[str, Any]] = []
    close_codes: list[int | None] = []
    closed = asyncio.Event()

    async def script(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:  # ends at the client's close frame
            message = json.loads(msg.data)
            if message["type"] != "join":
                continue
            joins.append(message)
            if len(joins) == 1:
                welcome = {"type": "welcome", "id": message["id"], "peer": "p", "resume": "r"}
                await ws.send_json(welcome)
                await ws.close(code=1001)  # "shutting down": the client reconnects
                return ws
            # A resume: never answered.
        close_codes.append(ws.close_code)
        closed.set()
        return ws

    app = web.Application()
    app.router.add_get("/ws", script)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    c = SignalingClient(f"ws://127.0.0.1:{port}/ws", "room", backoff=FAST, connect_timeout=0.3)
    try:
        await c.connect()
        async with asyncio.timeout(5):
            await closed.wait()
        assert joins[1]["resume"] == "r"
        assert close_codes[0] == 4000
    finally:
        await c.close()
        await runner.cleanup()


async def test_a_reconnect_refused_for_its_token_stops_for_good(
    make_server: ServerFactory, client: ClientFactory
) -> None:
    secret = "a-long-enough-join-token-secret!"
    first = await make_server(token_secret=secret)
    alice, _ = client(first.url, token=issue_join_token(secret, "room", "alice", 3600, time.time()))
    await alice.connect()
    await first.stop()
    # Back with a rotated join secret: neither alice's join token nor the
    # resume token it earned verifies, and trying again cannot change that.
    await make_server(port=first.port, token_secret="a-rotated-long-enough-join-secret")
    task = alice._task
    assert task is not None
    with pytest.raises(SignalingError) as info:
        await asyncio.wait_for(asyncio.shield(task), 10)
    assert info.value.code == "token-invalid"
    assert not alice.connected and alice.reconnects == 0
    await alice.close()  # and closing after that is quiet
