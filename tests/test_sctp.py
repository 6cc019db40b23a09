"""Delayed SCTP acknowledgements (avacollab.peer.sctp) on real aiortc links over loopback.

Packets are counted with aiortc's own DTLS transport statistics, so each test
sees what went on the wire; the same traffic over a link with aiortc's stock
acknowledgements shows what the change saves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiortc.rtcsctptransport import (
    SCTP_MAX_PACKET_LENGTH,
    USERDATA_MAX_LENGTH,
    DataChunk,
    RTCSctpTransport,
)

from avacollab.peer.ice import LOOPBACK
from avacollab.peer.link import LinkConfig, PeerLink
from avacollab.peer.sctp import SACK_IMMEDIATELY, DelayedAckTransport

from .linkkit import FORWARD_TSN, Inbox, chunk_types, watch_packets

WAIT = 10.0
DELAYED = LinkConfig(host_addresses=LOOPBACK, open_timeout=WAIT)
STOCK = LinkConfig(host_addresses=LOOPBACK, open_timeout=WAIT, delayed_acks=False)


@pytest.fixture
async def links() -> AsyncIterator[Callable[[LinkConfig], Awaitable[tuple[PeerLink, PeerLink]]]]:
    made: list[PeerLink] = []

    async def connect(config: LinkConfig) -> tuple[PeerLink, PeerLink]:
        a = PeerLink("b", offerer=True, config=config)
        b = PeerLink("a", offerer=False, config=config)
        made.extend((a, b))
        await a.accept_answer(await b.accept_offer(await a.create_offer()))
        await asyncio.gather(a.wait_open(), b.wait_open())
        watch_sacks(a)
        watch_sacks(b)
        return a, b

    yield connect
    for link in made:
        SACKS.pop(link, None)
        await link.close()


def sctp(link: PeerLink) -> RTCSctpTransport:
    assert link.pc.sctp is not None
    return link.pc.sctp


async def packets_sent(link: PeerLink) -> int:
    """UDP packets the link's DTLS transport has sent (aiortc's counter)."""
    # RTCPeerConnection.getStats() leaves the transport out when there is no media.
    stats = sctp(link).transport._get_stats()
    return sum(s.packetsSent for s in stats.values() if s.type == "transport")


SACKS: dict[PeerLink, asyncio.Event] = {}  # set whenever the link receives a SACK


def watch_sacks(link: PeerLink) -> None:
    transport = sctp(link)
    receive = transport._receive_sack_chunk
    SACKS[link] = event = asyncio.Event()

    async def watched(chunk: Any) -> None:
        await receive(chunk)
        event.set()

    transport._receive_sack_chunk = watched  # type: ignore[method-assign]


async def settled(link: PeerLink) -> None:
    """Wait until everything ``link`` sent has been acknowledged."""
    transport, event = sctp(link), SACKS[link]
    async with asyncio.timeout(WAIT):
        while transport._sent_queue or transport._outbound_queue:
            event.clear()
            await event.wait()


async def ping_pong(a: PeerLink, b: PeerLink, rounds: int) -> tuple[int, int]:
    """``rounds`` messages each way, each answered before the next: packets sent by a and b."""
    a_inbox, b_inbox = Inbox(a.unordered, WAIT), Inbox(b.unordered, WAIT)
    await asyncio.gather(settled(a), settled(b))
    a_before, b_before = await packets_sent(a), await packets_sent(b)
    for i in range(rounds):
        a.unordered.send(b"ping %d" % i)
        await b_inbox.count(i + 1)
        b.unordered.send(b"pong %d" % i)
        await a_inbox.count(i + 1)
    await asyncio.gather(settled(a), settled(b))
    return await packets_sent(a) - a_before, await packets_sent(b) - b_before


async def test_links_use_delayed_acks_unless_told_not_to(links: Any) -> None:
    a, b = await links(DELAYED)
    assert isinstance(sctp(a), DelayedAckTransport) and isinstance(sctp(b), DelayedAckTransport)
    c, d = await links(STOCK)
    assert type(sctp(c)) is RTCSctpTransport and type(sctp(d)) is RTCSctpTransport


async def test_data_the_other_way_carries_the_acks(links: Any) -> None:
    rounds = 30
    # Each message's SACK rides in the answer; only the last answer's is sent alone
    # (a few more if the event loop stalls past the delay on a busy machine).
    a, b = await links(DELAYED)
    a_sent, b_sent = await ping_pong(a, b, rounds)
    limit = rounds + rounds // 5 + 1
    assert a_sent <= limit and b_sent <= limit, (a_sent, b_sent)
    # aiortc alone sends a SACK packet for every data packet.
    c, d = await links(STOCK)
    a_stock, b_stock = await ping_pong(c, d, rounds)
    assert a_stock >= 2 * rounds - 1 and b_stock >= 2 * rounds - 1, (a_stock, b_stock)


async def test_one_way_data_is_acked_every_second_packet(links: Any) -> None:
    a, b = await links(DELAYED)
    inbox = Inbox(b.reliable, WAIT)
    await asyncio.gather(settled(a), settled(b))
    before = await packets_sent(b)
    messages = [b"%d" % i for i in range(40)]
    for message in messages:
        a.reliable.send(message)
    assert await inbox.count(len(messages)) == messages
    await settled(a)  # every message acknowledged, the last one after the delay at most
    acks = await packets_sent(b) - before
    assert len(messages) // 2 <= acks <= len(messages) // 2 + 4, acks


async def test_a_lone_message_is_acked_when_the_delay_runs_out(links: Any) -> None:
    a, b = await links(DELAYED)
    inbox = Inbox(b.reliable, WAIT)
    await asyncio.gather(settled(a), settled(b))
    before = await packets_sent(b)
    a.reliable.send(b"alone")
    assert await inbox.count(1) == [b"alone"]
    # aiortc would have sent the SACK by now, in the same step that delivered the message.
    assert await packets_sent(b) == before
    await settled(a)  # only the held SACK, sent by its timer, can settle it
    assert await packets_sent(b) - before == 1


async def send_losing_one(a: PeerLink, b: PeerLink, lost: int) -> list[bytes]:
    """Send 12 reliable messages from a to b, losing data packet ``lost``; b's arrivals."""
    inbox = Inbox(b.reliable, WAIT)
    await asyncio.gather(settled(a), settled(b))
    watch_packets(sctp(a), drop=frozenset({lost}))
    for i in range(12):
        a.reliable.send(b"%d" % i)
    return await inbox.count(12)


async def test_a_lost_packet_is_resent_and_everything_arrives_in_order(links: Any) -> None:
    a, b = await links(DELAYED)
    assert await send_losing_one(a, b, lost=2) == [b"%d" % i for i in range(12)]
    await settled(a)


async def test_the_packet_that_fills_a_gap_is_acked_at_once(links: Any) -> None:
    a, b = await links(DELAYED)
    # Lost among the last four (fast retransmit waits for three reports of the gap),
    # the resent 9th message comes after the others: it fills the gap and delivers
    # the last four at once ...
    assert await send_losing_one(a, b, lost=8) == [b"%d" % i for i in range(12)]
    acks = await packets_sent(b)
    await settled(a)
    # ... and its SACK went out with that delivery, not after the delay.
    assert await packets_sent(b) == acks


def watch_acks_after_forward_tsn(link: PeerLink) -> list[bool]:
    """For each received packet with a FORWARD TSN: was a SACK still held after it?"""
    transport = sctp(link)
    handle = transport._handle_data
    held: list[bool] = []

    async def watched(data: bytes) -> None:
        await handle(data)
        if FORWARD_TSN in chunk_types(data):
            held.append(transport._sack_needed)

    transport._handle_data = watched  # type: ignore[method-assign]
    return held


async def test_unordered_data_after_a_loss_still_arrives(links: Any) -> None:
    a, b = await links(DELAYED)
    inbox = Inbox(b.unordered, WAIT)
    await asyncio.gather(settled(a), settled(b))
    watch_packets(sctp(a), drop=frozenset({1}))
    held = watch_acks_after_forward_tsn(b)
    for i in range(6):
        a.unordered.send(b"%d" % i)
    received = await inbox.count(5)
    assert sorted(received) == [b"0", b"2", b"3", b"4", b"5"]
    await settled(a)  # the lost chunk is abandoned (FORWARD TSN), not left outstanding
    assert held and not any(held)  # and each FORWARD TSN was acknowledged at once
    a.unordered.send(b"after")
    await inbox.count(6)
    assert inbox.items[5:] == [b"after"]  # nothing resent on this channel


async def test_full_size_chunks_both_ways_leave_the_ack_out(links: Any) -> None:
    a, b = await links(DELAYED)
    a_inbox, b_inbox = Inbox(a.reliable, WAIT), Inbox(b.reliable, WAIT)
    # A chunk of the largest size fills its packet, so its SACK cannot come along.
    messages = [bytes([i]) * USERDATA_MAX_LENGTH for i in range(20)]
    a_packets, b_packets = watch_packets(sctp(a)), watch_packets(sctp(b))
    for message in messages:
        a.reliable.send(message)
        b.reliable.send(message)
    assert await a_inbox.count(20) == messages and await b_inbox.count(20) == messages
    await asyncio.gather(settled(a), settled(b))
    assert max(map(len, a_packets + b_packets)) <= SCTP_MAX_PACKET_LENGTH


def ask_for_immediate_sacks(link: PeerLink) -> None:
    """Set the I bit (RFC 7053) on every DATA chunk ``link`` sends, as Chromium may."""
    transport = sctp(link)
    send = transport._send_chunk

    async def flagged(chunk: Any) -> None:
        if isinstance(chunk, DataChunk):
            chunk.flags |= SACK_IMMEDIATELY
        await send(chunk)

    transport._send_chunk = flagged  # type: ignore[method-assign]


async def test_a_chunk_with_the_i_bit_is_acked_at_once(links: Any) -> None:
    a, b = await links(DELAYED)
    inbox = Inbox(b.reliable, WAIT)
    await asyncio.gather(settled(a), settled(b))
    ask_for_immediate_sacks(a)
    before = await packets_sent(b)
    a.reliable.send(b"alone, in a hurry")
    assert await inbox.count(1) == [b"alone, in a hurry"]
    # Unlike a lone message without the bit, its SACK is already out: in the
    # same step that delivered it, not after the delay.
    assert await packets_sent(b) - before == 1
    await settled(a)
    assert await packets_sent(b) - before == 1
