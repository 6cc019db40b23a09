"""Liveness: pings, round-trip times, and peers that fall silent.

On every beat (``ping_interval``) each peer is checked: it is pinged if we
have sent it nothing for a beat, or nothing but data for ``rtt_interval``
(to keep its RTT fresh), and reported once when nothing has been heard from
it for ``dead_after``. Chunked messages left incomplete past their timeout
are given up on the same beat.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .clock import Clock
from .config import BusConfig, BusCounters
from .outbox import PeerState, send_control
from .wire import ping_frame

logger = logging.getLogger(__name__)

SILENT = "silent"
"""Nothing heard from the peer for ``dead_after`` seconds (the bus keeps it)."""
CLOSED = "closed"
"""One of the peer's channels closed or failed (the bus forgets it)."""
SEND_FAILED = "send-failed"
"""A channel refused a send (the bus forgets the peer)."""


@dataclass(frozen=True, slots=True)
class PeerLost:
    """Why the bus reports a peer dead: ``cause`` (:data:`SILENT`, :data:`CLOSED`
    or :data:`SEND_FAILED`) and a sentence for people."""

    cause: str
    detail: str


class Liveness:
    """The beat of one bus; ``on_dead(peer_id, why)`` hears of peers gone silent."""

    def __init__(
        self,
        config: BusConfig,
        counters: BusCounters,
        clock: Clock,
        on_dead: Callable[[str, PeerLost], None],
    ) -> None:
        self.config = config
        self.counters = counters
        self.clock = clock
        self.on_dead = on_dead

    def pong(self, peer: PeerState, token: float) -> None:
        """A pong arrived: fold its round trip into the peer's smoothed RTT."""
        self.counters.pongs_received += 1
        sample = self.clock.now() - token
        # The token is our own clock echoed back; a peer could send anything.
        if not math.isfinite(sample) or not 0 <= sample < 600:
            return
        peer.rtt = sample if peer.rtt is None else 0.875 * peer.rtt + 0.125 * sample

    async def run(self, peers: Mapping[str, PeerState]) -> None:
        """Check ``peers`` (as they are at each beat) until cancelled."""
        config = self.config
        counters = self.counters
        while True:
            await self.clock.sleep(config.ping_interval)
            now = self.clock.now()
            for peer in list(peers.values()):
                for reassembler in peer.reassemblers:
                    counters.partials_evicted += reassembler.expire()
                unordered = peer.unordered.channel
                if unordered.readyState != "open":
                    # Still connecting (the session added it early so that no
                    # first frame is missed): silence only counts once open.
                    peer.last_heard = now
                    continue
                # A peer we sent frames to lately has heard from us: a ping
                # would only cost a frame each way (a tenth of the frames of
                # eight peers moving cursors at 20 Hz), so it waits for the RTT.
                if (
                    now - peer.last_sent >= config.ping_interval
                    or now - peer.last_ping >= config.rtt_interval
                ) and send_control(unordered, ping_frame(now), config.high_water):
                    peer.last_ping = now
                    counters.pings_sent += 1
                if not peer.dead and now - peer.last_heard > config.dead_after:
                    peer.dead = True
                    logger.info("bus: nothing heard from %s for %.1f s", peer.id, config.dead_after)
                    self.on_dead(peer.id, PeerLost(SILENT, f"silent for {config.dead_after:g} s"))
