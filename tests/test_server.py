"""The signaling server end to end: real aiohttp clients against a server on port 0."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time

import aiohttp
import pytest

from avacollab.settings import SettingsError
from avacollab.signaling.server import SignalingServer, host_allowed, origin_allowed
from avacollab.signaling.tokens import issue_join_token

from .conftest import Connect, Peer, ServerFactory, settings_for_test


async def pair(
    connect: Connect, server: SignalingServer | str, room: str = "room"
) -> tuple[Peer, Peer]:
    """Alice and Bob in ``room`` of a server (or the server at a URL)."""
    url = server if isinstance(server, str) else server.url
    a = await connect(url)
    await a.join(room, name="alice")
    b = await connect(url)
    await b.join(room, name="bob")
    joined = await a.expect("peer-joined")
    assert joined == {"type": "peer-joined", "peer": b.id, "name": "bob"}
    return a, b


async def test_welcome_lists_members_limits_and_empty_ice_servers(
    server: SignalingServer, connect: Connect
) -> None:
    a, b = await pair(connect, server)
    welcome = b.welcome
    assert welcome["room"] == "room"
    assert welcome["name"] == "bob"
    assert welcome["resumed"] is False
    assert welcome["peers"] == [{"peer": a.id, "name": "alice"}]
    assert welcome["iceServers"] == []  # never a public STUN server by default
    assert welcome["limits"]["maxFrameBytes"] == 65536
    assert welcome["resume"].startswith("r2.")
    assert a.id != b.id and len(a.id) >= 16  # random, unguessable


async def test_relay_offer_answer_and_candidates(server: SignalingServer, connect: Connect) -> None:
    a, b = await pair(connect, server)
    await a.send({"type": "offer", "to": b.id, "sdp": "v=0 offer", "id": 7})
    assert await b.recv() == {"type": "offer", "from": a.id, "sdp": "v=0 offer"}
    await b.send({"type": "answer", "to": a.id, "sdp": "v=0 answer"})
    assert await a.recv() == {"type": "answer", "from": b.id, "sdp": "v=0 answer"}
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
    await a.send({"type": "candidate", "to": b.id, "candidate": candidate})
    assert await b.recv() == {"type": "candidate", "from": a.id, "candidate": candidate}
    # End of candidates, as browsers send it.
    await a.send({"type": "candidate", "to": b.id, "candidate": None})
    assert await b.recv() == {"type": "candidate", "from": a.id, "candidate": None}


async def test_forged_sender_and_extra_fields_are_not_relayed(
    server: SignalingServer, connect: Connect
) -> None:
    a, b = await pair(connect, server)
    await a.send({"type": "offer", "to": b.id, "sdp": "x", "from": "someone-else", "admin": True})
    assert await b.recv() == {"type": "offer", "from": a.id, "sdp": "x"}


async def test_relay_to_another_rooms_peer_is_refused(
    server: SignalingServer, connect: Connect
) -> None:
    a, _ = await pair(connect, server, "one")
    c = await connect(server.url)
    await c.join("two")
    await a.send({"type": "offer", "to": c.id, "sdp": "x", "id": "q1"})
    error = await a.expect("error")
    assert error["code"] == "unknown-peer" and error["id"] == "q1"
    await c.silent()
    # Nor to oneself.
    await a.send({"type": "offer", "to": a.id, "sdp": "x"})
    assert (await a.expect("error"))["code"] == "unknown-peer"


async def test_leave_announces_and_connection_can_join_again(
    server: SignalingServer, connect: Connect
) -> None:
    a, b = await pair(connect, server)
    await b.send({"type": "leave", "id": 3})
    assert await b.recv() == {"type": "left", "id": 3}
    assert await a.recv() == {"type": "peer-left", "peer": b.id, "reason": "left"}
    await b.send({"type": "join", "room": "elsewhere"})
    welcome = await b.expect("welcome")
    assert welcome["peer"] != b.id


def transport(peer: Peer) -> asyncio.Transport:
    """The TCP connection under a client's WebSocket, to misbehave on."""
    connection = peer.ws._response.connection
    assert connection is not None and connection.transport is not None
    return connection.transport


@pytest.mark.parametrize("code", [1000, 1001, 3000, None])
async def test_every_close_frame_is_a_leave(
    make_server: ServerFactory, connect: Connect, code: int | None
) -> None:
    # A grace far beyond the wait below: a close taken for a network drop
    # would be announced only after it.
    server = await make_server(resume_grace=60.0)
    a, b = await pair(connect, server)
    if code is None:
        # What a browser's ws.close() sends: a masked close frame with no
        # payload, so no status code (1005 on the receiving side).
        transport(b).write(b"\x88\x80" + os.urandom(4))
    else:
        await b.ws.close(code=code)
    assert await a.recv(timeout=3) == {"type": "peer-left", "peer": b.id, "reason": "left"}


async def test_close_with_4000_keeps_the_place_for_a_resume(
    server: SignalingServer, connect: Connect
) -> None:
    a, b = await pair(connect, server)
    await b.ws.close(code=4000)
    async with asyncio.timeout(5):
        await server.until(lambda: server.core.rooms["room"].peers[b.id].conn is None)
    b2 = await connect(server.url)
    welcome = await b2.join("room", resume=b.welcome["resume"])
    assert welcome["resumed"] is True and welcome["peer"] == b.id
    await a.silent(0.2)  # neither peer-left nor peer-joined


async def test_ping_pong_and_hello_rules(server: SignalingServer, connect: Connect) -> None:
    c = await connect(server.url)
    await c.send({"type": "ping", "id": 1})
    assert await c.recv() == {"type": "pong", "id": 1}
    await c.send({"type": "join", "room": "r"})
    assert (await c.expect("error"))["code"] == "hello-required"
    await c.send({"type": "hello", "version": 99})
    assert (await c.expect("error"))["code"] == "unsupported-version"
    await c.send({"type": "offer", "to": "x", "sdp": "y"})
    assert (await c.expect("error"))["code"] == "hello-required"
    await c.send({"type": "hello", "version": 1})
    hello = await c.expect("hello")
    assert hello["version"] == 1 and hello["server"].startswith("avacollab/")
    await c.send({"type": "offer", "to": "x", "sdp": "y"})
    assert (await c.expect("error"))["code"] == "not-joined"
    await c.join("r")
    await c.send({"type": "join", "room": "r"})
    assert (await c.expect("error"))["code"] == "already-joined"


MALFORMED = [
    ("not json at all", "bad-json"),
    ('{"type": ', "bad-json"),
    ("[" * 100_000 + "]" * 100_000, "too-large"),
    ("[" * 20_000 + "]" * 20_000, "bad-json"),  # nesting deeper than the parser allows
    ('{"a":' * 5_000 + "1" + "}" * 5_000, "bad-json"),
    ("[1, 2, 3]", "invalid"),
    ('"just a string"', "invalid"),
    ("{}", "invalid"),
    ('{"type": 5}', "invalid"),
    ('{"type": "teleport"}', "unknown-type"),
    ('{"type": "hello", "version": "1"}', "invalid"),
    ('{"type": "hello", "version": true}', "invalid"),
    ('{"type": "ping", "id": {"nested": 1}}', "invalid"),
    ('{"type": "ping", "id": "' + "x" * 65 + '"}', "invalid"),
]


@pytest.mark.parametrize(("frame", "code"), MALFORMED)
async def test_malformed_frames_get_an_error_and_the_connection_survives(
    server: SignalingServer, connect: Connect, frame: str, code: str
) -> None:
    a, b = await pair(connect, server)
    await a.ws.send_str(frame)
    error = await a.expect("error")
    assert error["code"] == code and error["message"]
    # Still usable, and the neighbour never noticed.
    await a.send({"type": "offer", "to": b.id, "sdp": "after"})
    assert (await b.recv())["sdp"] == "after"


WRONG_FIELDS = [
    {"type": "join", "room": ""},
    {"type": "join", "room": "a b"},
    {"type": "join", "room": "x" * 129},
    {"type": "join", "room": 42},
    {"type": "join", "room": "r", "name": 5},
    {"type": "join", "room": "r", "name": "x" * 65},
    {"type": "join", "room": "r", "name": "bell\x07"},
    {"type": "join", "room": "r", "token": ["t"]},
]


@pytest.mark.parametrize("message", WRONG_FIELDS)
async def test_join_with_wrong_field_types(
    server: SignalingServer, connect: Connect, message: dict[str, object]
) -> None:
    c = await connect(server.url)
    await c.send({"type": "hello", "version": 1})
    await c.expect("hello")
    await c.send({**message, "id": "j"})
    error = await c.expect("error")
    assert error["code"] == "invalid" and error["id"] == "j"


RELAY_FIELDS = [
    {"type": "offer"},
    {"type": "offer", "to": 5, "sdp": "x"},
    {"type": "offer", "to": "PEER", "sdp": ""},
    {"type": "offer", "to": "PEER", "sdp": {"x": 1}},
    {"type": "answer", "to": "PEER"},
    {"type": "candidate", "to": "PEER"},
    {"type": "candidate", "to": "PEER", "candidate": "a string"},
    {"type": "candidate", "to": "PEER", "candidate": {"candidate": 5}},
    {"type": "candidate", "to": "PEER", "candidate": {"candidate": "c", "sdpMid": 1}},
    {"type": "candidate", "to": "PEER", "candidate": {"candidate": "c", "sdpMLineIndex": -1}},
]


@pytest.mark.parametrize("message", RELAY_FIELDS)
async def test_relay_with_wrong_fields(
    server: SignalingServer, connect: Connect, message: dict[str, object]
) -> None:
    a, b = await pair(connect, server)
    await a.send({k: (b.id if v == "PEER" else v) for k, v in message.items()})
    assert (await a.expect("error"))["code"] == "invalid"
    await b.silent()


async def test_binary_frames_and_garbage_bytes(server: SignalingServer, connect: Connect) -> None:
    a, b = await pair(connect, server)
    await a.ws.send_bytes(bytes(range(256)) * 4)
    assert (await a.expect("error"))["code"] == "bad-frame"
    await a.send({"type": "ping"})
    assert (await a.expect("pong"))["id"] is None
    # Raw garbage on a TCP socket: no WebSocket at all. The server answers
    # HTTP 400 and goes on serving everyone else.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"\x00\xff\x13garbage\r\n\r\n" * 10)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(100), 5)
    assert reply == b"" or reply.startswith(b"HTTP/1.")
    writer.close()
    # A WebSocket frame with invalid UTF-8 in a text frame is a protocol
    # violation: the server closes that one connection (1007) only.
    raw = await connect(server.url)
    await raw.join("room")
    await a.expect("peer-joined")
    await b.expect("peer-joined")
    await raw.ws._writer.send_frame(b"\xff\xfe", aiohttp.WSMsgType.TEXT)
    assert await raw.closed() in (1007, 1002)
    await a.send({"type": "offer", "to": b.id, "sdp": "still fine"})
    assert (await b.recv())["sdp"] == "still fine"


async def test_frames_over_the_limit(make_server: ServerFactory, connect: Connect) -> None:
    server = await make_server(max_frame_bytes=1024)
    a, b = await pair(connect, server)
    await a.send({"type": "offer", "to": b.id, "sdp": "x" * 2000})
    error = await a.expect("error")
    assert error["code"] == "too-large"
    await a.send({"type": "offer", "to": b.id, "sdp": "small"})
    assert (await b.recv())["sdp"] == "small"
    # Far over the limit (4x): the frame is not even buffered; closed with 1009.
    await a.ws.send_str("x" * 5000)
    assert await a.closed() == 1009


async def test_rate_limit(make_server: ServerFactory, connect: Connect) -> None:
    server = await make_server(rate=1.0, burst=5, max_frame_bytes=65536)
    c = await connect(server.url)
    for i in range(8):
        await c.send({"type": "ping", "id": i})
    replies = [await c.recv() for _ in range(8)]
    assert [r["type"] for r in replies[:5]] == ["pong"] * 5
    assert {r["code"] for r in replies[5:]} == {"rate-limited"}


async def test_flood_of_refused_frames_closes_with_policy_violation(
    make_server: ServerFactory, connect: Connect
) -> None:
    server = await make_server()
    c = await connect(server.url)
    for _ in range(60):
        await c.ws.send_str("garbage")
    assert await c.closed() == 1008


async def test_room_full_and_too_many_rooms(make_server: ServerFactory, connect: Connect) -> None:
    server = await make_server(max_room_size=2, max_rooms=2)
    await pair(connect, server, "full")
    c = await connect(server.url)
    await c.send({"type": "hello", "version": 1})
    await c.expect("hello")
    await c.send({"type": "join", "room": "full"})
    assert (await c.expect("error"))["code"] == "room-full"
    await c.join("second")
    d = await connect(server.url)
    await d.send({"type": "hello", "version": 1})
    await d.expect("hello")
    await d.send({"type": "join", "room": "third"})
    assert (await d.expect("error"))["code"] == "too-many-rooms"


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://evil.example", 403),
        ("null", 403),
        ("http://localhost:3000", 101),
        ("http://127.0.0.1:5173", 101),
        ("http://[::1]:8080", 101),
        (None, 101),
    ],
)
async def test_origin_allowlist_default(
    server: SignalingServer, origin: str | None, status: int
) -> None:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session:
        if status == 403:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(server.url, headers=headers)
            assert info.value.status == 403
        else:
            ws = await session.ws_connect(server.url, headers=headers)
            await ws.close()


async def test_origin_allowlist_configured(make_server: ServerFactory) -> None:
    server = await make_server(allowed_origins=["https://editor.example"])
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(server.url, headers={"Origin": "https://editor.example"})
        await ws.close()
        # With an explicit list, loopback pages are no longer trusted by default.
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(server.url, headers={"Origin": "http://localhost:3000"})


def test_origin_rules_unit() -> None:
    assert origin_allowed("http://app.test:8765", "app.test:8765", [])
    assert not origin_allowed("http://app.test:8766", "app.test:8765", [])
    assert origin_allowed("https://anything", "h", ["*"])
    assert not origin_allowed("https://localhost.evil.com", "h", [])


async def test_dns_rebinding_is_refused_on_every_endpoint(make_server: ServerFactory) -> None:
    # What a browser sends from a page at http://rebind.example:PORT once the
    # attacker has pointed rebind.example at 127.0.0.1: its own origin, and
    # the name in Host.
    server = await make_server()
    netloc = f"rebind.example:{server.port}"
    rebound = {"Host": netloc, "Origin": f"http://{netloc}"}
    http = server.url.replace("ws://", "http://").removesuffix("/ws")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(server.url, headers=rebound)
        assert info.value.status == 403
        for path in ("/healthz", "/metrics", "/"):
            async with session.get(http + path, headers=rebound) as response:
                assert response.status == 403, path
                assert "allowed_hosts" in await response.text()
        # Names the server serves, and addresses, are answered.
        for host in ("localhost", f"LocalHost:{server.port}", "127.0.0.1", f"[::1]:{server.port}"):
            async with session.get(http + "/healthz", headers={"Host": host}) as response:
                assert response.status == 200, host
    assert server.core.connections == set()
    # A deployment names its public host; then the same request is let in.
    public = await make_server(allowed_hosts=["Rebind.Example"])
    async with aiohttp.ClientSession() as session:
        netloc = f"rebind.example:{public.port}"
        headers = {"Host": netloc, "Origin": f"http://{netloc}"}
        ws = await session.ws_connect(public.url, headers=headers)
        await ws.close()


@pytest.mark.parametrize(
    ("host", "names", "allowed"),
    [
        ("localhost:8765", {"localhost"}, True),
        ("localhost.:8765", {"localhost"}, True),
        ("127.0.0.1:8765", set(), True),
        ("10.1.2.3", set(), True),  # a server on 0.0.0.0, reached by address
        ("[::1]:8765", set(), True),
        ("[fe80::1]", set(), True),
        ("signal.example.com:443", {"signal.example.com"}, True),
        ("anything.test", {"*"}, True),
        ("rebind.example:8765", {"localhost"}, False),
        ("localhost.rebind.example", {"localhost"}, False),
        ("127.0.0.1.rebind.example", set(), False),
        ("2130706433", set(), False),  # browsers send 127.0.0.1; this is a name
        ("[not-an-address]:80", {"not-an-address"}, False),
        ("evil.test@localhost", {"localhost"}, False),
        ("localhost:80:80", {"localhost"}, False),
        ("", {"localhost"}, False),
    ],
)
def test_host_rules_unit(host: str, names: set[str], allowed: bool) -> None:
    assert host_allowed(host, names) is allowed


def test_allowed_hosts_setting_takes_bare_names() -> None:
    assert settings_for_test(allowed_hosts=["signal.example.com", "*"]).allowed_hosts
    for bad in ("https://signal.example.com", "signal.example.com:443", "a/b", ""):
        with pytest.raises(SettingsError, match="allowed_hosts"):
            settings_for_test(allowed_hosts=[bad])


async def token_join(c: Peer, room: str, token: str | None) -> dict[str, object]:
    await c.send({"type": "hello", "version": 1})
    await c.expect("hello")
    message: dict[str, object] = {"type": "join", "room": room}
    if token is not None:
        message["token"] = token
    await c.send(message)
    return await c.recv()


async def test_join_tokens(make_server: ServerFactory, connect: Connect) -> None:
    server = await make_server(token_secret="s3cret")
    now = time.time()
    good = issue_join_token("s3cret", "room", "alice", 60, now, ("edit",))
    cases = {
        None: "token-required",
        "not-a-jwt": "token-invalid",
        issue_join_token("s3cret", "room", "alice", 60, now - 120): "token-expired",
        issue_join_token("s3cret", "other", "alice", 60, now): "token-wrong-room",
        issue_join_token("wrong-secret", "room", "alice", 60, now): "token-invalid",
        good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"): "token-invalid",
    }
    # A token with its claims edited (room changed) but the old signature.
    head, _, sig = good.split(".")
    forged_body = issue_join_token("x", "room", "mallory", 60, now).split(".")[1]
    cases[f"{head}.{forged_body}.{sig}"] = "token-invalid"
    for token, code in cases.items():
        c = await connect(server.url)
        reply = await token_join(c, "room", token)
        assert reply["type"] == "error" and reply["code"] == code, (token, reply)
    c = await connect(server.url)
    reply = await token_join(c, "room", good)
    assert reply["type"] == "welcome"
    d = await connect(server.url)
    await token_join(d, "room", issue_join_token("s3cret", "room", "bob", 60, now))
    # Peers see the verified identity and permissions, not just a display name.
    joined = await c.expect("peer-joined")
    assert joined["identity"] == "bob" and joined["name"] == "bob"


async def test_silent_peer_is_announced_left_within_bound(
    make_server: ServerFactory, connect: Connect
) -> None:
    server = await make_server(heartbeat=0.2, resume_grace=0.3)
    a = await connect(server.url)
    await a.join("room")
    # autoping off: this client never answers the server's pings, like a
    # frozen process whose TCP connection is still up.
    silent = await connect(server.url, autoping=False)
    await silent.join("room")
    await a.expect("peer-joined")
    started = time.monotonic()
    left = await a.expect("peer-left", timeout=5)
    assert left == {"type": "peer-left", "peer": silent.id, "reason": "timeout"}
    # heartbeat (0.2) + pong wait (0.1) + grace (0.3), plus scheduling slack.
    assert time.monotonic() - started < 3.0


async def drop(peer: Peer) -> None:
    """Lose the connection without a WebSocket close: like a network drop."""
    transport(peer).abort()


async def test_resume_within_grace_keeps_id_and_peers_see_nothing(
    make_server: ServerFactory, connect: Connect
) -> None:
    server = await make_server(resume_grace=5.0)
    a, b = await pair(connect, server)
    token = b.welcome["resume"]
    await drop(b)
    # Wait until the server has seen the drop (an offer sent before that
    # goes down the dead socket, as it would in any server).
    async with asyncio.timeout(5):
        await server.until(lambda: server.core.rooms["room"].peers[b.id].conn is None)
    # While b is away, a's offer waits for it instead of being lost.
    await a.send({"type": "offer", "to": b.id, "sdp": "while away"})
    b2 = await connect(server.url)
    welcome = await b2.join("room", resume=token)
    assert welcome["peer"] == b.id and welcome["resumed"] is True
    assert welcome["peers"] == [{"peer": a.id, "name": "alice"}]
    assert (await b2.recv())["sdp"] == "while away"
    await a.silent(0.3)  # no peer-left, no peer-joined
    await b2.send({"type": "answer", "to": a.id, "sdp": "back"})
    assert await a.recv() == {"type": "answer", "from": b.id, "sdp": "back"}


async def test_resume_after_grace_gets_a_new_id(
    make_server: ServerFactory, connect: Connect
) -> None:
    server = await make_server(resume_grace=0.2)
    a, b = await pair(connect, server)
    token = b.welcome["resume"]
    await drop(b)
    assert await a.recv() == {"type": "peer-left", "peer": b.id, "reason": "timeout"}
    b2 = await connect(server.url)
    welcome = await b2.join("room", resume=token)
    assert welcome["peer"] != b.id and welcome["resumed"] is False
    assert (await a.expect("peer-joined"))["peer"] == welcome["peer"]


async def test_resume_token_is_bound_to_its_room(server: SignalingServer, connect: Connect) -> None:
    a, b = await pair(connect, server)
    b2 = await connect(server.url)
    welcome = await b2.join("another-room", resume=b.welcome["resume"])
    assert welcome["peer"] != b.id and welcome["resumed"] is False
    # a's id in a well-formed payload, with a MAC made up.
    claims = json.dumps({"p": a.id, "t": int(time.time())}).encode()
    payload = base64.urlsafe_b64encode(claims).decode().rstrip("=")
    forged = await connect(server.url)
    welcome = await forged.join("room", resume=f"r2.{payload}.{'A' * 24}")
    assert welcome["peer"] != a.id


async def test_resume_while_old_socket_still_open_replaces_it(
    server: SignalingServer, connect: Connect
) -> None:
    a, b = await pair(connect, server)
    b2 = await connect(server.url)
    welcome = await b2.join("room", resume=b.welcome["resume"])
    assert welcome["peer"] == b.id
    assert await b.closed() == 4001
    await a.silent(0.2)


async def test_resume_after_server_restart_keeps_id(
    make_server: ServerFactory, connect: Connect
) -> None:
    first = await make_server()
    a, b = await pair(connect, first)
    await first.stop()
    assert await a.closed() == 1001 and await b.closed() == 1001
    second = await make_server()  # same secret, new process state
    a2 = await connect(second.url)
    assert (await a2.join("room", resume=a.welcome["resume"]))["peer"] == a.id
    b2 = await connect(second.url)
    welcome = await b2.join("room", resume=b.welcome["resume"])
    assert welcome["peer"] == b.id and welcome["resumed"] is True
    assert welcome["peers"] == [{"peer": a.id, "name": ""}] or welcome["peers"][0]["peer"] == a.id
    await b2.send({"type": "offer", "to": a.id, "sdp": "after restart"})
    # a first hears that b is (back) in the room, then the offer.
    assert (await a2.expect("peer-joined"))["peer"] == b.id
    assert (await a2.recv())["sdp"] == "after restart"


JOIN_SECRET = "join-secret-of-at-least-32-bytes!"


async def test_resume_with_join_tokens_keeps_the_grant_and_dies_with_the_secret(
    make_server: ServerFactory, connect: Connect
) -> None:
    first = await make_server(token_secret=JOIN_SECRET)
    now = time.time()
    a, b = (await connect(first.url), await connect(first.url))
    await a.join("room", token=issue_join_token(JOIN_SECRET, "room", "alice", 600, now, ("edit",)))
    await b.join("room", token=issue_join_token(JOIN_SECRET, "room", "bob", 600, now))
    await first.stop()
    # Restarted with the same secrets: the resume token alone brings alice
    # back with her verified identity and permissions.
    second = await make_server(token_secret=JOIN_SECRET)
    a2 = await connect(second.url)
    assert (await a2.join("room", resume=a.welcome["resume"]))["peer"] == a.id
    b2 = await connect(second.url)
    welcome = await b2.join("room", resume=b.welcome["resume"])
    assert welcome["peers"] == [
        {"peer": a.id, "name": "alice", "identity": "alice", "permissions": ["edit"]}
    ]
    await second.stop()
    # Restarted with a rotated join secret: every resume token is void, and
    # without a join token under the new secret nobody gets in.
    third = await make_server(token_secret=JOIN_SECRET[::-1])
    a3 = await connect(third.url)
    await a3.send({"type": "hello", "version": 1})
    await a3.expect("hello")
    await a3.send({"type": "join", "room": "room", "resume": a2.welcome["resume"]})
    refused = await a3.expect("error")
    assert refused["code"] == "token-required"
    assert third.core.peer_count == 0


async def test_graceful_shutdown_closes_with_going_away(
    make_server: ServerFactory, connect: Connect
) -> None:
    server = await make_server()
    a, b = await pair(connect, server)
    await server.stop()
    assert await a.closed() == 1001
    assert await b.closed() == 1001


async def test_health_and_metrics(server: SignalingServer, connect: Connect) -> None:
    a, b = await pair(connect, server)
    await a.send({"type": "offer", "to": b.id, "sdp": "x"})
    await b.recv()
    await a.ws.send_str("nope")
    await a.expect("error")
    http = server.url.replace("ws://", "http://").removesuffix("/ws")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{http}/healthz") as response:
            health = await response.json()
        async with session.get(f"{http}/metrics") as response:
            text = await response.text()
    assert health == {
        "status": "ok",
        "version": health["version"],
        "rooms": 1,
        "peers": 2,
        "connections": 2,
    }
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert lines["avacollab_rooms"] == "1"
    assert lines["avacollab_peers"] == "2"
    assert lines["avacollab_relayed_total"] == "1"
    assert lines['avacollab_refused_total{code="bad-json"}'] == "1"


async def test_churn_leaves_no_rooms_or_peers(make_server: ServerFactory) -> None:
    # 100 clients at once, all from 127.0.0.1: past the per-address default.
    server = await make_server(max_room_size=20, max_connections_per_address=100)
    async with aiohttp.ClientSession() as session:

        async def member(i: int) -> None:
            ws = await session.ws_connect(server.url)
            await ws.send_str(json.dumps({"type": "hello", "version": 1}))
            await ws.send_str(json.dumps({"type": "join", "room": f"room-{i % 50}"}))
            while (json.loads((await ws.receive()).data))["type"] != "welcome":
                pass
            if i % 2:
                await ws.send_str(json.dumps({"type": "leave"}))
            await ws.close()

        for batch in range(5):
            await asyncio.gather(*(member(batch * 100 + i) for i in range(100)))
    async with asyncio.timeout(10):
        await server.until(lambda: not server.core.connections)
    assert server.core.rooms == {}
    assert server.core.peer_count == 0
    assert server.core.stats.joins == 500


async def test_turn_credentials_in_welcome_and_refreshed_before_expiry(
    make_server: ServerFactory, connect: Connect
) -> None:
    from avacollab.turn.credentials import ice_servers_provider

    provider = ice_servers_provider(["turn:127.0.0.1:3478"], "0123456789abcdef-secret", ttl=120)
    server = await make_server(ice_servers=provider, ice_refresh=0.05)
    a = await connect(server.url)
    welcome = await a.join("room")
    first = welcome["iceServers"][1]
    assert first["username"].endswith(":" + a.id) and first["credential"]
    # Pushed again on a timer (half the TTL in `serve`), with the same shape.
    update = await a.expect("ice-servers")
    assert update["iceServers"][1]["username"].endswith(":" + a.id)
    assert update["iceServers"][0] == {"urls": ["stun:127.0.0.1:3478"]}
    # A resumed peer gets fresh ones in its welcome too.
    again = await connect(server.url)
    resumed = await again.join("room", resume=welcome["resume"])
    assert resumed["peer"] == a.id and resumed["iceServers"][1]["username"].endswith(a.id)
