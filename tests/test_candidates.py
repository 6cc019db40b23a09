"""Trickled ICE candidates: checked, held before the description, and used by real aiortc.

The unit tests cover every refusal of :mod:`avacollab.peer.candidates`; the
others run real aiortc links on loopback whose descriptions carry no
candidates at all (they are stripped, as a trickling browser sends them),
the candidates following as ``candidate`` messages, first between two
links, then through a real signaling server to a :class:`Session` in each
role. Hostile candidates reach a connected session without breaking its
link.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc import RTCIceCandidate

from avacollab.peer.candidates import (
    MAX_EARLY_CANDIDATES,
    MAX_REMOTE_CANDIDATES,
    CandidateError,
    RemoteCandidates,
    parse_candidate,
)
from avacollab.peer.link import LinkTimeout, PeerLink
from avacollab.signaling.protocol import MAX_CANDIDATE
from avacollab.signaling.server import SignalingServer

from .conftest import Connect
from .sessionkit import WAIT
from .test_link import LOCAL
from .test_session import Logged, MakeSession, full_mesh, logged, make_session, roles

__all__ = ["logged", "make_session"]  # fixtures used here

HOST = "candidate:842163049 1 udp 2122260223 192.168.1.7 46154 typ host generation 0 ufrag EEtu"
SRFLX = (
    "candidate:1 1 UDP 1677729535 203.0.113.9 3478 typ srflx raddr 192.168.1.7 rport 46154"
    " network-id 3 network-cost 10"
)


def message(line: Any, mid: Any = "0", index: Any = 0, **extra: Any) -> dict[str, Any]:
    init: dict[str, Any] = {"candidate": line, **extra}
    if mid is not None:
        init["sdpMid"] = mid
    if index is not None:
        init["sdpMLineIndex"] = index
    return {"type": "candidate", "from": "x", "candidate": init}


# -- parsing ----------------------------------------------------------------


def test_a_browser_candidate_becomes_an_aiortc_candidate() -> None:
    candidate = parse_candidate(message(HOST))
    assert isinstance(candidate, RTCIceCandidate)
    assert (candidate.ip, candidate.port, candidate.type) == ("192.168.1.7", 46154, "host")
    assert (candidate.protocol, candidate.component, candidate.priority) == ("udp", 1, 2122260223)
    assert (candidate.sdpMid, candidate.sdpMLineIndex) == ("0", 0)

    srflx = parse_candidate(message(SRFLX, mid=None))
    assert srflx is not None and srflx.protocol == "udp"  # Firefox writes UDP
    assert (srflx.relatedAddress, srflx.relatedPort) == ("192.168.1.7", 46154)
    assert (srflx.sdpMid, srflx.sdpMLineIndex) == (None, 0)


@pytest.mark.parametrize(
    "line",
    [
        HOST.removeprefix("candidate:"),  # aiortc's own form
        "a=" + HOST,
        HOST.replace("192.168.1.7", "::1"),
        HOST.replace("192.168.1.7", "2b2ab42c-2a19-4b4f-a1c2-4a0e1f1b5f9c.local"),
        "candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active",
    ],
)
def test_other_candidate_forms_are_taken(line: str) -> None:
    assert parse_candidate(message(line, mid="0", index=None)) is not None


@pytest.mark.parametrize("body", [None, {"candidate": "", "sdpMid": "0"}, {"candidate": ""}])
def test_null_or_an_empty_line_is_end_of_candidates(body: Any) -> None:
    assert parse_candidate({"type": "candidate", "candidate": body}) is None


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        ({"type": "candidate"}, "no 'candidate' field"),
        ({"candidate": [HOST]}, "'candidate' is list, not an object or null"),
        ({"candidate": HOST}, "'candidate' is str, not an object or null"),
        ({"candidate": 7}, "'candidate' is int, not an object or null"),
        (message(None), "'candidate.candidate' is NoneType, not a string"),
        (message(42), "'candidate.candidate' is int, not a string"),
        (message({"line": HOST}), "'candidate.candidate' is dict, not a string"),
        (message(HOST, mid=0), "'sdpMid' 0 is not a string of at most 64"),
        (message(HOST, mid="m" * 65), "'sdpMid' 'mmmm"),
        (message(HOST, index=True), "'sdpMLineIndex' True is not an integer 0-1023"),
        (message(HOST, index="0"), "'sdpMLineIndex' '0' is not an integer 0-1023"),
        (message(HOST, index=-1), "'sdpMLineIndex' -1 is not an integer 0-1023"),
        (message(HOST, index=1024), "'sdpMLineIndex' 1024 is not an integer 0-1023"),
        (message(HOST, index=0.0), "'sdpMLineIndex' 0.0 is not an integer 0-1023"),
        (message(HOST, mid=None, index=None), "neither 'sdpMid' nor 'sdpMLineIndex'"),
    ],
)
def test_wrong_types_are_refused_with_the_reason(msg: dict[str, Any], reason: str) -> None:
    with pytest.raises(CandidateError) as refused:
        parse_candidate(msg)
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize("size", [MAX_CANDIDATE + 1, 1_000_000])
def test_a_huge_line_is_refused_by_its_length_alone(size: int) -> None:
    line = (HOST + " x y" * size)[:size]
    with pytest.raises(CandidateError, match=f"line of {size} characters, at most 1024"):
        parse_candidate(message(line))


def swap(index: int, value: str) -> str:
    bits = HOST.removeprefix("candidate:").split()
    bits[index] = value
    return "candidate:" + " ".join(bits)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("candidate:garbage", "candidate line has 1 fields"),
        ("candidate:1 1 udp 5 1.2.3.4 5 typ", "candidate line has 7 fields"),
        (HOST + " generation", "candidate line has 13 fields"),
        (swap(0, "f\u00f6\u00f6"), "foundation 'föö' is not 1-32 ice-chars"),
        (swap(1, "0"), "component 0"),
        (swap(1, "x"), "component 'x' is not an integer 0-256"),
        (swap(2, "sctp"), "transport 'sctp' is neither udp nor tcp"),
        (swap(3, "+12"), "priority '+12' is not an integer"),
        (swap(3, "1_000"), "priority '1_000' is not an integer"),
        (swap(3, str(2**32)), "priority '4294967296' is not an integer 0-4294967295"),
        (swap(4, "example.com"), "address 'example.com' is neither an IP address nor mDNS"),
        (swap(4, "999.1.1.1"), "address '999.1.1.1'"),
        (swap(5, "65536"), "port '65536' is not an integer 0-65535"),
        (swap(5, "-1"), "port '-1'"),
        (swap(6, "type"), "field 7 is 'type', not 'typ'"),
        (swap(7, "local"), "type 'local' is not one of host, prflx, relay, srflx"),
        (HOST + " raddr nowhere rport 1", "address 'nowhere'"),
        (HOST + " raddr 1.2.3.4 rport 99999", "rport '99999'"),
    ],
)
def test_malformed_lines_are_refused_with_the_reason(line: str, reason: str) -> None:
    with pytest.raises(CandidateError) as refused:
        parse_candidate(message(line))
    assert str(refused.value).startswith(reason)


# -- holding ------------------------------------------------------------------


def candidates(n: int) -> list[RTCIceCandidate]:
    found = [parse_candidate(message(swap(5, str(1000 + i)))) for i in range(n)]
    return [c for c in found if c is not None]


def test_candidates_before_the_description_are_held_then_released_in_order() -> None:
    remote = RemoteCandidates()
    first, second, third = candidates(3)
    assert remote.receive(first) == []
    assert remote.receive(second) == []
    assert remote.receive(None) == []  # end-of-candidates comes last, whatever its place
    assert remote.described() == [first, second, None]
    assert remote.described() == []  # a renegotiation's description releases nothing twice
    with pytest.raises(CandidateError, match="after end-of-candidates"):
        remote.receive(third)


def test_once_described_candidates_pass_straight_through() -> None:
    remote = RemoteCandidates()
    assert remote.described() == []
    (first,) = candidates(1)
    assert remote.receive(first) == [first]
    assert remote.receive(None) == [None]


def test_too_many_early_candidates_are_dropped_and_the_held_ones_kept() -> None:
    remote = RemoteCandidates()
    many = candidates(MAX_EARLY_CANDIDATES + 3)
    for candidate in many[:MAX_EARLY_CANDIDATES]:
        assert remote.receive(candidate) == []
    for candidate in many[MAX_EARLY_CANDIDATES:]:
        with pytest.raises(CandidateError, match="more than 32 candidates before the remote"):
            remote.receive(candidate)
    assert remote.described() == many[:MAX_EARLY_CANDIDATES]


def test_a_link_takes_a_bounded_number_of_candidates_in_all() -> None:
    remote = RemoteCandidates()
    remote.described()
    many = candidates(MAX_REMOTE_CANDIDATES + 1)
    for candidate in many[:-1]:
        assert remote.receive(candidate) == [candidate]
    with pytest.raises(CandidateError, match="more than 64 candidates on one connection"):
        remote.receive(many[-1])
    assert remote.receive(None) == [None]  # end-of-candidates is still taken


# -- real aiortc ----------------------------------------------------------------


def strip(sdp: str) -> tuple[str, list[dict[str, Any]]]:
    """``sdp`` without candidates, and its candidates as a browser trickles them."""
    kept: list[str] = []
    found: list[dict[str, Any]] = []
    mid, index = None, -1
    for line in sdp.splitlines():
        if line.startswith("m="):
            index += 1
        elif line.startswith("a=mid:"):
            mid = line.removeprefix("a=mid:")
        if line.startswith("a=candidate:"):
            found.append(
                {"candidate": line.removeprefix("a="), "sdpMid": mid, "sdpMLineIndex": index}
            )
            continue
        if line == "a=end-of-candidates":
            continue
        kept.append(line)
    assert found, "aiortc gathered no candidate"
    return "\r\n".join(kept) + "\r\n", found


def remote_hosts(link: Any) -> set[tuple[str, int]]:
    """The host candidates a link's ICE transport has from its peer.

    Checks alone would connect the pair too (the side that knows the other's
    candidates sends them and is learnt peer-reflexive): this shows the
    trickled candidates themselves were taken."""
    ice = link.pc.sctp.transport.transport
    return {(c.ip, c.port) for c in ice.getRemoteCandidates() if c.type == "host"}


def addresses(found: list[dict[str, Any]]) -> set[tuple[str, int]]:
    parsed = [parse_candidate({"candidate": init}) for init in found]
    return {(c.ip, c.port) for c in parsed if c is not None}


async def trickle(link: PeerLink, found: list[dict[str, Any]]) -> None:
    for init in [*found, None]:
        await link.add_candidate(parse_candidate({"candidate": init}))


async def test_links_whose_descriptions_carry_no_candidates_connect_on_trickled_ones() -> None:
    async with (
        PeerLink("answerer", offerer=True, config=LOCAL) as offerer,
        PeerLink("offerer", offerer=False, config=LOCAL) as answerer,
    ):
        offer, offered = strip(await offerer.create_offer())
        assert "a=candidate" not in offer
        # The offer's candidates come first: the answerer holds them.
        await trickle(answerer, offered)
        answer, answered = strip(await answerer.accept_offer(offer))
        await offerer.accept_answer(answer)
        await trickle(offerer, answered)
        async with asyncio.timeout(WAIT):
            await asyncio.gather(offerer.wait_open(), answerer.wait_open())
        assert offerer.route == answerer.route == "host"
        assert remote_hosts(answerer) == addresses(offered)
        assert remote_hosts(offerer) == addresses(answered)


async def test_a_link_given_no_candidates_at_all_does_not_connect() -> None:
    """The control: without the trickled candidates, the stripped descriptions
    do not connect (a negative, so a short bound: nothing could make it open)."""
    async with (
        PeerLink("answerer", offerer=True, config=LOCAL) as offerer,
        PeerLink("offerer", offerer=False, config=LOCAL) as answerer,
    ):
        offer, _ = strip(await offerer.create_offer())
        answer, _ = strip(await answerer.accept_offer(offer))
        await offerer.accept_answer(answer)
        for link in (offerer, answerer):
            await link.add_candidate(None)
        with pytest.raises(LinkTimeout):
            await offerer.wait_open(2)
        assert answerer.state != "connected"


async def test_end_of_candidates_is_noted_but_not_given_to_aioice() -> None:
    """aioice would declare ICE failed at end-of-candidates once every pair so
    far failed, before the peer's checks reveal a peer-reflexive address."""
    async with (
        PeerLink("answerer", offerer=True, config=LOCAL) as offerer,
        PeerLink("offerer", offerer=False, config=LOCAL) as answerer,
    ):
        offer, offered = strip(await offerer.create_offer())
        await answerer.accept_offer(offer)
        await trickle(answerer, offered)  # ends with end-of-candidates
        connection = answerer.pc.sctp.transport.transport._connection  # type: ignore[union-attr]
        assert connection._remote_candidates_end is False
        assert len(remote_hosts(answerer)) == len(offered)
        with pytest.raises(CandidateError, match="after end-of-candidates"):
            await answerer.add_candidate(parse_candidate(message(HOST)))


async def join_as(
    connect: Connect, server: SignalingServer, room: str, other: str, offerer: bool
) -> Any:
    """A raw signaling client in ``room``, joined again until the offerer rule
    makes it the offerer (or the answerer) toward ``other``; None if 60 joins
    did not (``other`` may be near either end of the id order: then few ids
    are on its far side, and the caller starts over with another)."""
    for _ in range(60):
        raw = await connect(server.url)
        await raw.join(room)
        if (raw.id < other) == offerer:
            return raw
        await raw.send({"type": "leave"})
        await raw.ws.close()
    return None


async def next_of(raw: Any, kind: str) -> dict[str, Any]:
    while True:
        got: dict[str, Any] = await raw.recv(WAIT)
        if got["type"] == kind:
            return got


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_trickling_peer_connects_to_a_session_in_either_role(
    server: SignalingServer, connect: Connect, make_session: MakeSession, role: str
) -> None:
    """A peer like a browser: its description has no candidates, they follow it
    through the signaling server one by one, then end-of-candidates."""
    for attempt in range(5):
        room = f"trickle-{attempt}"
        session, events, _ = await make_session(server.url, room=room)
        raw = await join_as(connect, server, room, session.peer_id, role == "offerer")
        if raw is not None:
            break
    else:
        raise AssertionError("no pair of ids in the wanted order")
    async with PeerLink(session.peer_id, offerer=role == "offerer", config=LOCAL) as link:
        if role == "offerer":
            sdp, found = strip(await link.create_offer())
            await raw.send({"type": "offer", "to": session.peer_id, "sdp": sdp})
        else:
            offer = await next_of(raw, "offer")
            sdp, found = strip(await link.accept_offer(offer["sdp"]))
            await raw.send({"type": "answer", "to": session.peer_id, "sdp": sdp})
        for init in [*found, None]:
            await raw.send({"type": "candidate", "to": session.peer_id, "candidate": init})
        if role == "offerer":
            await link.accept_answer((await next_of(raw, "answer"))["sdp"])
        async with asyncio.timeout(WAIT):
            await link.wait_open()
        connected = await events.wait_for("peer-connected", peer=raw.id)
        assert connected["offerer"] == (role == "answerer")
        assert remote_hosts(session.link(raw.id)) == addresses(found)


async def test_hostile_candidates_are_logged_and_leave_the_links_working(
    server: SignalingServer, make_session: MakeSession, logged: Logged
) -> None:
    pair = [await make_session(server.url), await make_session(server.url)]
    await full_mesh(pair)
    (a, _, ra), (b, _, _) = roles(*pair)
    # What a server passing anything along (or a peer through one) could send
    # as b: the session's receive loop takes each, as it takes every message.
    hostile: list[dict[str, Any]] = [
        {"type": "candidate", "from": b.peer_id},
        {"type": "candidate", "from": b.peer_id, "candidate": ["x"]},
        {"type": "candidate", "from": b.peer_id, "candidate": {"candidate": 5, "sdpMid": "0"}},
        {**message("candidate:" + "9" * 2_000_000), "from": b.peer_id},
        {**message("candidate:nonsense"), "from": b.peer_id},
        {**message(HOST, index=True), "from": b.peer_id},
        {**message(HOST), "from": "nobody-here"},
    ]
    for msg in hostile:
        await a._on_signal(msg)
    # Well formed but too many: the first ones reach aioice (unreachable
    # ports on loopback), the rest are refused.
    for i in range(MAX_REMOTE_CANDIDATES + 5):
        line = f"candidate:{i} 1 udp 100 127.0.0.1 {9 + i} typ host"
        await a._on_signal({**message(line), "from": b.peer_id})
    refused = [r["reason"] for r in logged.named("candidate-refused")]
    assert refused[:6] == [
        "no 'candidate' field (an object, or null for end-of-candidates)",
        "'candidate' is list, not an object or null",
        "'candidate.candidate' is int, not a string",
        "candidate line of 2000010 characters, at most 1024",
        "candidate line has 1 fields, not 8 or more in pairs",
        "'sdpMLineIndex' True is not an integer 0-1023",
    ]
    assert refused[6:] == ["more than 64 candidates on one connection"] * 5
    assert logged.named("candidate-ignored") == [{"peer": "nobody-here", "reason": "unknown peer"}]
    # The link between them goes on carrying the bus.
    b.bus.publish_json("test.note", "still here", to=a.peer_id)
    assert await ra.messages(1) == ["still here"]
    assert set(a.connected) == {b.peer_id}
