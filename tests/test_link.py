"""Real aiortc peer links on loopback, alone and carrying the bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from avacollab.bus import Bus
from avacollab.peer.ice import LOOPBACK, restrict_host_addresses
from avacollab.peer.link import MAX_MEDIA_PER_KIND, LinkConfig, LinkError, LinkTimeout, PeerLink
from avacollab.signaling.protocol import MAX_SDP

from .buskit import Inbox

WAIT = 10.0
LOCAL = LinkConfig(host_addresses=LOOPBACK, open_timeout=WAIT)


async def negotiate(
    offerer: PeerLink, answerer: PeerLink, receive: list[str] | None = None
) -> None:
    answer = await answerer.accept_offer(await offerer.create_offer(receive or ()))
    await offerer.accept_answer(answer)


async def connected_pair(
    on_negotiation_needed: Callable[[PeerLink], Any] | None = None,
) -> tuple[PeerLink, PeerLink]:
    offerer = PeerLink("answerer", offerer=True, config=LOCAL)
    answerer = PeerLink(
        "offerer", offerer=False, config=LOCAL, on_negotiation_needed=on_negotiation_needed
    )
    await negotiate(offerer, answerer)
    await asyncio.gather(offerer.wait_open(), answerer.wait_open())
    return offerer, answerer


@pytest.fixture
async def pair() -> AsyncIterator[tuple[PeerLink, PeerLink]]:
    a, b = await connected_pair()
    yield a, b
    await a.close()
    await b.close()


def other_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


async def received(channel: Any) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_message(data: Any) -> None:
        if not future.done():
            future.set_result(data)

    channel.on("message", on_message)
    return future


async def test_both_channels_open_and_carry_data_both_ways(
    pair: tuple[PeerLink, PeerLink],
) -> None:
    a, b = pair
    assert a.is_open and b.is_open and a.state == b.state == "connected"
    assert (a.reliable.id, a.unordered.id) == (0, 1)
    assert a.reliable.ordered and not a.unordered.ordered and a.unordered.maxRetransmits == 0
    for sender, receiver in ((a, b), (b, a)):
        for channel in ("reliable", "unordered"):
            future = await received(getattr(receiver, channel))
            getattr(sender, channel).send(b"hello " + channel.encode())
            assert await asyncio.wait_for(future, WAIT) == b"hello " + channel.encode()


async def test_sdp_holds_only_loopback_candidates_and_both_channels() -> None:
    link = PeerLink("peer", offerer=True, config=LOCAL)
    try:
        sdp = await link.create_offer()
    finally:
        await link.close()
    candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate:")]
    assert candidates and all(" 127.0.0.1 " in c and "typ host" in c for c in candidates)
    assert "a=end-of-candidates" in sdp  # no trickle: everything is in the SDP
    assert sdp.count("m=application") == 1


async def test_relay_only_without_turn_gathers_nothing() -> None:
    link = PeerLink("peer", offerer=True, config=LinkConfig(relay_only=True))
    try:
        sdp = await link.create_offer()
    finally:
        await link.close()
    assert "a=candidate:" not in sdp


async def test_a_missing_answer_times_out_clearly() -> None:
    link = PeerLink("silent-peer", offerer=True, config=LOCAL)
    try:
        await link.create_offer()
        with pytest.raises(LinkTimeout, match=r"silent-peer not open after 0.3 s") as info:
            await link.wait_open(timeout=0.3)
        assert "signaling have-local-offer" in str(info.value)
        assert isinstance(info.value, TimeoutError)
    finally:
        await link.close()


async def test_wait_open_fails_fast_on_a_closed_link() -> None:
    link = PeerLink("peer", offerer=True, config=LOCAL)
    await link.close()
    with pytest.raises(LinkError, match="closed"):
        await link.wait_open(timeout=WAIT)


async def test_negotiation_steps_out_of_turn_are_refused() -> None:
    offerer = PeerLink("b", offerer=True, config=LOCAL)
    answerer = PeerLink("a", offerer=False, config=LOCAL)
    try:
        with pytest.raises(LinkError, match="only the offerer makes offers"):
            await answerer.create_offer()
        with pytest.raises(LinkError, match="does not accept offers"):
            await offerer.accept_offer("v=0")
        with pytest.raises(LinkError, match="only the offerer accepts answers"):
            await answerer.accept_answer("v=0")
        with pytest.raises(LinkError, match="no offer is pending"):
            await offerer.accept_answer("v=0")
        await offerer.create_offer()
        with pytest.raises(LinkError, match="already pending"):
            await offerer.create_offer()
        with pytest.raises(LinkError, match="kind 'text'"):
            await PeerLink("c", offerer=True).create_offer(["text"])
    finally:
        await offerer.close()
        await answerer.close()


@pytest.mark.parametrize("sdp", ["", "garbage", "v=0\r\nm=application nonsense\r\n"])
async def test_bad_sdp_is_a_link_error(sdp: str) -> None:
    offerer = PeerLink("b", offerer=True, config=LOCAL)
    answerer = PeerLink("a", offerer=False, config=LOCAL)
    try:
        with pytest.raises(LinkError, match="offer rejected"):
            await answerer.accept_offer(sdp)
        await offerer.create_offer()
        with pytest.raises(LinkError, match="answer rejected"):
            await offerer.accept_answer(sdp)
    finally:
        await offerer.close()
        await answerer.close()


async def test_close_cleans_up() -> None:
    before = other_tasks()
    a, b = await connected_pair()
    closed = asyncio.Event()
    b.reliable.on("close", closed.set)
    await a.close()
    await b.close()
    await a.close()  # twice is fine
    async with asyncio.timeout(WAIT):
        await closed.wait()
    leftover = other_tasks() - before
    if leftover:  # aiortc's own tasks finish shortly after close()
        await asyncio.wait(leftover, timeout=WAIT)
    assert not other_tasks() - before
    assert a.state == b.state == "closed"
    assert a.reliable.readyState == b.unordered.readyState == "closed"


async def test_answerer_track_is_added_through_the_offerer() -> None:
    requests: list[PeerLink] = []
    a, b = await connected_pair(on_negotiation_needed=requests.append)
    try:
        tracks: asyncio.Queue[Any] = asyncio.Queue()
        a.pc.on("track", tracks.put_nowait)
        b.add_track(AudioStreamTrack())
        assert requests == [b]  # the session would now ask the offerer over the bus
        assert b.wanted_receivers() == ["audio"]
        await negotiate(a, b, receive=b.wanted_receivers())
        track = await asyncio.wait_for(tracks.get(), WAIT)
        assert track.kind == "audio"
        frame = await asyncio.wait_for(track.recv(), WAIT)
        assert frame.sample_rate > 0
        assert b.wanted_receivers() == []
        assert a.is_open and b.is_open  # renegotiation kept the data channels
    finally:
        await a.close()
        await b.close()


async def test_remove_track_asks_for_negotiation() -> None:
    requests: list[PeerLink] = []
    link = PeerLink("peer", offerer=True, config=LOCAL, on_negotiation_needed=requests.append)
    try:
        sender = link.add_track(AudioStreamTrack())
        link.remove_track(sender)
        assert requests == [link, link]
        assert sender.track is None
        with pytest.raises(LinkError, match="does not belong"):
            link.remove_track(object())
    finally:
        await link.close()


async def rogue_offer(kind: str, count: int) -> str:
    """An offer with ``count`` m-lines of ``kind``, made by aiortc without PeerLink's rule."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.createDataChannel("bus", negotiated=True, id=0)
        for _ in range(count):
            pc.addTransceiver(kind, direction="recvonly")
        with restrict_host_addresses(LOOPBACK):
            await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()


def padded(sdp: str, size: int) -> str:
    """``sdp`` made ``size`` characters or more by attributes nobody reads."""
    pad = "a=x-padding:" + "x" * 60 + "\r\n"
    return sdp + pad * (1 + (size - len(sdp)) // len(pad))


async def test_an_offer_with_too_many_media_sections_is_refused_whole() -> None:
    answerer = PeerLink("a", offerer=False, config=LOCAL)
    try:
        with pytest.raises(LinkError, match="offer rejected: 9 m=video sections, at most 8"):
            await answerer.accept_offer(await rogue_offer("video", MAX_MEDIA_PER_KIND + 1))
        assert answerer.pc.getTransceivers() == []  # nothing was made for it
        assert answerer.pc.signalingState == "stable"
        # As many as the rule allows are taken.
        await answerer.accept_offer(await rogue_offer("audio", MAX_MEDIA_PER_KIND))
        assert len(answerer.pc.getTransceivers()) == MAX_MEDIA_PER_KIND
    finally:
        await answerer.close()


async def test_an_sdp_longer_than_the_signaling_limit_is_refused() -> None:
    offerer = PeerLink("b", offerer=True, config=LOCAL)
    answerer = PeerLink("a", offerer=False, config=LOCAL)
    try:
        offer = await offerer.create_offer()
        with pytest.raises(LinkError, match=f"offer rejected: SDP of .* at most {MAX_SDP}"):
            await answerer.accept_offer(padded(offer, MAX_SDP + 1))
        answer = await answerer.accept_offer(padded(offer, MAX_SDP - 100))  # under it is fine
        with pytest.raises(LinkError, match=f"answer rejected: SDP of .* at most {MAX_SDP}"):
            await offerer.accept_answer(padded(answer, MAX_SDP + 1))
        await offerer.accept_answer(answer)
        await asyncio.gather(offerer.wait_open(), answerer.wait_open())
    finally:
        await offerer.close()
        await answerer.close()


async def test_the_offerer_adds_at_most_a_handful_of_media_sections_per_kind() -> None:
    offerer = PeerLink("b", offerer=True, config=LOCAL)
    tracks = [VideoStreamTrack() for _ in range(MAX_MEDIA_PER_KIND + 1)]
    try:
        with pytest.raises(LinkError, match=f"more than {MAX_MEDIA_PER_KIND} m-lines"):
            await offerer.create_offer(["video"] * (MAX_MEDIA_PER_KIND + 1))
        assert offerer.pc.getTransceivers() == []  # refused whole
        request = ["video"] * 10 + ["text", "audio"]
        assert offerer.receivable(request) == ["video"] * MAX_MEDIA_PER_KIND + ["audio"]
        # Local tracks count: with two of its own, six more video m-lines fit.
        for track in tracks[:2]:
            offerer.add_track(track)
        await offerer.create_offer(["video"] * MAX_MEDIA_PER_KIND)
        assert len(offerer.pc.getTransceivers()) == MAX_MEDIA_PER_KIND
        for track in tracks[2:-1]:
            offerer.add_track(track)  # these ride on the receiving m-lines
        with pytest.raises(LinkError, match="already 8 video tracks, at most 8"):
            offerer.add_track(tracks[-1])
        assert len(offerer.pc.getTransceivers()) == MAX_MEDIA_PER_KIND
    finally:
        for track in tracks:
            track.stop()
        await offerer.close()


async def test_bus_over_real_links_to_all_to_one_and_one_megabyte() -> None:
    a_to_b, b_to_a = await connected_pair()
    a_to_c, c_to_a = await connected_pair()
    buses = a, b, c = Bus(), Bus(), Bus()
    try:
        a.add_peer("b", a_to_b.reliable, a_to_b.unordered)
        a.add_peer("c", a_to_c.reliable, a_to_c.unordered)
        b.add_peer("a", b_to_a.reliable, b_to_a.unordered)
        c.add_peer("a", c_to_a.reliable, c_to_a.unordered)
        at_a, at_b, at_c = (
            Inbox(a, "chat.say", timeout=WAIT),
            Inbox(b, "chat.say", timeout=WAIT),
            Inbox(c, "chat.say", timeout=WAIT),
        )
        big_at_c = Inbox(c, "file.data", timeout=WAIT)

        assert a.publish_json("chat.say", {"text": "hi all"}) == 2
        a.publish("chat.say", b"just c", to="c")
        payload = bytes(range(256)) * 4096
        a.publish("file.data", payload, to="c")
        b.publish("chat.say", b"reply")  # answers travel back too

        assert (await at_c.wait(1))[0].json() == {"text": "hi all"}
        assert [m.payload for m in await at_c.wait(2)][1:] == [b"just c"]
        assert (await big_at_c.wait(1))[0].payload == payload
        assert [(m.sender, m.payload) for m in await at_a.wait(1)] == [("b", b"reply")]
        # The reliable channel is ordered: once a later marker reached b, a
        # stray "just c" would have arrived before it.
        a.publish("chat.say", b"marker", to="b")
        assert [m.payload for m in await at_b.wait(2)] == [b'{"text":"hi all"}', b"marker"]
    finally:
        for bus in buses:
            await bus.close()
        for link in (a_to_b, b_to_a, a_to_c, c_to_a):
            await link.close()


async def test_bus_notices_a_closed_link() -> None:
    a_link, b_link = await connected_pair()
    lost = asyncio.Event()
    bus = Bus(on_peer_dead=lambda *_: lost.set())
    try:
        bus.add_peer("b", a_link.reliable, a_link.unordered)
        await b_link.close()
        async with asyncio.timeout(WAIT):
            await lost.wait()
        assert bus.peers == ()
    finally:
        await bus.close()
        await a_link.close()
