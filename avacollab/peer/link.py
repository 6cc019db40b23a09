"""One aiortc peer connection between two peers, with the bus's two channels.

aiortc has no SDP rollback (a second offer while one is pending raises), so
the browser "perfect negotiation" pattern cannot work: one side of each pair
is the *offerer* and makes every offer, the other only answers. When the
answerer adds or removes a track it cannot offer; ``on_negotiation_needed``
fires on both sides and the session routes a request to the offerer (over
the bus), which calls :meth:`PeerLink.create_offer` with the kinds from
:meth:`PeerLink.wanted_receivers`.

Both data channels are *negotiated* (fixed ids 0 and 1, created on both
sides before the offer), so neither side waits for the other to announce
them and they exist in the very first SDP.

aiortc does no trickle ICE: every local candidate is in the SDP returned by
:meth:`create_offer` and :meth:`accept_offer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy
from aiortc.sdp import SessionDescription

from ..tasks import TaskSet
from .ice import restrict_host_addresses
from .sctp import delay_acks

__all__ = ["RELIABLE_ID", "UNORDERED_ID", "LinkConfig", "LinkError", "LinkTimeout", "PeerLink"]

logger = logging.getLogger(__name__)

RELIABLE_ID = 0
UNORDERED_ID = 1


class LinkError(Exception):
    """A negotiation step used out of turn, bad SDP, or a connection that failed."""


class LinkTimeout(LinkError, TimeoutError):
    """The connection did not come up in time."""


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """How a link connects."""

    ice_servers: Sequence[RTCIceServer] = ()
    """STUN/TURN servers. Always passed to aiortc as an explicit list: given
    ``None`` it would quietly use a public STUN server."""
    relay_only: bool = False
    """Use only TURN relay candidates (``iceTransportPolicy="relay"``)."""
    host_addresses: Sequence[str] | None = None
    """Gather host candidates only on these IP addresses (see :mod:`avacollab.peer.ice`);
    ``None`` keeps whatever restriction is in force around the call."""
    open_timeout: float = 15.0
    """Default for :meth:`PeerLink.wait_open`, in seconds."""
    delayed_acks: bool = True
    """Delay SCTP acknowledgements and send them with data (:mod:`avacollab.peer.sctp`);
    ``False`` keeps aiortc's one SACK packet per packet received."""


NegotiationCallback = Callable[["PeerLink"], Awaitable[None] | None]


class PeerLink:
    """The connection to one other peer: an ``RTCPeerConnection`` and two channels.

    ``reliable`` (id 0, ordered, retransmitted) and ``unordered`` (id 1,
    unordered, no retransmits) are aiortc ``RTCDataChannel`` objects that can
    be given straight to :meth:`avacollab.bus.Bus.add_peer`.
    """

    def __init__(
        self,
        peer_id: str,
        *,
        offerer: bool,
        config: LinkConfig | None = None,
        on_negotiation_needed: NegotiationCallback | None = None,
    ) -> None:
        self.peer_id = peer_id
        self.offerer = offerer
        self.config = config = config or LinkConfig()
        self.on_negotiation_needed = on_negotiation_needed
        policy = RTCIceTransportPolicy.RELAY if config.relay_only else RTCIceTransportPolicy.ALL
        self.pc = RTCPeerConnection(
            RTCConfiguration(
                iceServers=list(config.ice_servers),
                iceTransportPolicy=policy,
                bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
            )
        )
        self.reliable = self.pc.createDataChannel("bus", negotiated=True, id=RELIABLE_ID)
        self.unordered = self.pc.createDataChannel(
            "bus-unordered", negotiated=True, id=UNORDERED_ID, ordered=False, maxRetransmits=0
        )
        if config.delayed_acks and self.pc.sctp is not None:
            delay_acks(self.pc.sctp)
        self._changed = asyncio.Event()
        for emitter, event in (
            (self.pc, "connectionstatechange"),
            (self.reliable, "open"),
            (self.unordered, "open"),
        ):
            emitter.on(event, self._changed.set)
        self._tasks = TaskSet(self._callback_failed)

    @property
    def state(self) -> str:
        """The peer connection's ``connectionState``."""
        return str(self.pc.connectionState)

    @property
    def is_open(self) -> bool:
        """Both data channels are open."""
        return self.reliable.readyState == "open" and self.unordered.readyState == "open"

    @property
    def route(self) -> str | None:
        """How the connection goes: the selected local ICE candidate's type.

        ``host`` (direct), ``srflx``/``prflx`` (through a NAT) or ``relay``
        (through TURN); ``None`` before ICE has chosen. aiortc has no
        ``getSelectedCandidatePair()``, so this reads aioice's nominated pair.
        """
        sctp = self.pc.sctp
        if sctp is None:
            return None
        try:
            ice: Any = sctp.transport.transport
            pair = ice._connection._nominated.get(1)
            return str(pair.local_candidate.type) if pair is not None else None
        except AttributeError:
            return None

    # -- negotiation ------------------------------------------------------

    async def create_offer(self, receive: Sequence[str] = ()) -> str:
        """Make an offer (offerer only) and return its SDP, candidates included.

        ``receive`` lists track kinds the answerer wants to send, one entry per
        track (from its :meth:`wanted_receivers`); the offer gets an m-line for
        each that no local track already provides.
        """
        self._require(self.offerer, "only the offerer makes offers")
        self._require(self.pc.signalingState == "stable", "an offer is already pending")
        unmatched = Counter(t.kind for t in self.pc.getTransceivers() if t.mid is None)
        for kind, count in Counter(receive).items():
            if kind not in ("audio", "video"):
                raise LinkError(f"cannot receive a track of kind {kind!r}")
            for _ in range(count - unmatched[kind]):
                self.pc.addTransceiver(kind, direction="recvonly")
        async with self._gathering():
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept_offer(self, sdp: str) -> str:
        """Apply the offerer's SDP (answerer only) and return the answer's SDP."""
        self._require(not self.offerer, "the offerer does not accept offers")
        await self._set_remote(sdp, "offer")
        async with self._gathering():
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        """Apply the answerer's SDP (offerer only, after :meth:`create_offer`)."""
        self._require(self.offerer, "only the offerer accepts answers")
        self._require(self.pc.signalingState == "have-local-offer", "no offer is pending")
        await self._set_remote(sdp, "answer")

    def wanted_receivers(self) -> list[str]:
        """Kinds of local tracks not yet in any negotiated m-line (answerer's request)."""
        return [t.kind for t in self.pc.getTransceivers() if t.mid is None and not t.stopped]

    # -- media ------------------------------------------------------------

    def add_track(self, track: Any) -> Any:
        """Send a media track to the peer; returns the ``RTCRtpSender``.

        Fires ``on_negotiation_needed``: the new track flows after the next
        offer/answer exchange.
        """
        sender = self.pc.addTrack(track)
        self._negotiation_needed()
        return sender

    def remove_track(self, sender: Any) -> None:
        """Stop sending the track of ``sender`` (aiortc has no ``removeTrack``)."""
        for transceiver in self.pc.getTransceivers():
            if transceiver.sender is sender:
                transceiver.sender.replaceTrack(None)
                transceiver.direction = {"sendrecv": "recvonly", "sendonly": "inactive"}.get(
                    transceiver.direction, transceiver.direction
                )
                self._negotiation_needed()
                return
        raise LinkError("that sender does not belong to this link")

    # -- life cycle -------------------------------------------------------

    # The deadline is part of the link's contract (a config default the
    # session overrides per call), hence a parameter and not asyncio.timeout.
    async def wait_open(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until both data channels are open.

        Raises :class:`LinkTimeout` after ``timeout`` seconds (default
        ``config.open_timeout``) and :class:`LinkError` as soon as the
        connection fails or closes. Expired TURN credentials, an answer that
        never arrives or a blocked path otherwise leave a link pending forever.
        """
        limit = self.config.open_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                while not self.is_open:
                    if self.pc.connectionState in ("failed", "closed"):
                        raise LinkError(f"connection to {self.peer_id} {self.pc.connectionState}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise LinkTimeout(
                f"connection to {self.peer_id} not open after {limit:g} s "
                f"(signaling {self.pc.signalingState}, ICE {self.pc.iceConnectionState}, "
                f"connection {self.pc.connectionState})"
            ) from None

    async def close(self) -> None:
        """Close the connection and both channels; safe to call twice."""
        await self._tasks.cancel()
        await self.pc.close()

    async def __aenter__(self) -> PeerLink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- internals --------------------------------------------------------

    def _require(self, condition: bool, reason: str) -> None:
        if not condition:
            raise LinkError(f"link to {self.peer_id}: {reason}")

    async def _set_remote(self, sdp: str, kind: str) -> None:
        try:
            # aiortc takes an SDP without any media (even "") as valid; such a
            # description would leave the link pending until the timeout.
            if not any(m.kind == "application" for m in SessionDescription.parse(sdp).media):
                raise ValueError("no data channel (m=application) section")
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        except Exception as exc:  # aiortc raises ValueError, InvalidStateError, ...
            raise LinkError(f"link to {self.peer_id}: {kind} rejected: {exc}") from exc

    @contextlib.asynccontextmanager
    async def _gathering(self) -> Any:
        # Candidates are gathered inside setLocalDescription, in tasks that
        # inherit this context, which is what restrict_host_addresses scopes.
        if self.config.host_addresses is None:
            yield
        else:
            with restrict_host_addresses(self.config.host_addresses):
                yield

    def _negotiation_needed(self) -> None:
        callback = self.on_negotiation_needed
        if callback is None:
            return
        self._tasks.spawn(callback(self))

    def _callback_failed(self, exc: BaseException) -> None:
        logger.error("negotiation callback failed", exc_info=exc)
