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

aiortc does not trickle its own candidates: every local candidate is in the
SDP returned by :meth:`create_offer` and :meth:`accept_offer`. A browser
peer trickles its candidates; :meth:`add_candidate` takes them, holding
those that come before the remote description (:mod:`avacollab.peer.candidates`).

A link takes at most :data:`MAX_MEDIA_PER_KIND` audio and as many video
m-lines, and SDP of at most :data:`~avacollab.signaling.protocol.MAX_SDP` characters,
from the other side: aiortc makes a transceiver for every m-line it is
given or asked for, about 0.15 MB and some milliseconds each, so a long
list from a hostile peer would otherwise cost gigabytes and block the event
loop for tens of seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiortc import (
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy
from aiortc.sdp import SessionDescription

from ..signaling.protocol import MAX_SDP
from ..tasks import TaskSet
from .candidates import CandidateError, RemoteCandidates
from .ice import restrict_host_addresses
from .sctp import delay_acks

__all__ = [
    "MAX_MEDIA_PER_KIND",
    "MEDIA_KINDS",
    "RELIABLE_ID",
    "UNORDERED_ID",
    "Link",
    "LinkConfig",
    "LinkError",
    "LinkFactory",
    "LinkTimeout",
    "PeerLink",
]

logger = logging.getLogger(__name__)

RELIABLE_ID = 0
UNORDERED_ID = 1

MEDIA_KINDS = ("audio", "video")
MAX_MEDIA_PER_KIND = 8
"""Most m-lines of one kind (audio, video) a link negotiates.

A handful covers every real use (a voice, a screen, a camera or two, and the
inactive m-line a crossed request can leave behind); both sides apply the
same number, so an honest answerer never asks for more than the offerer adds.
"""


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

# Closings still running (the event loop keeps only weak references to tasks).
_CLOSING = TaskSet(lambda exc: logger.warning("closing a peer connection failed", exc_info=exc))


class Link(Protocol):
    """What a session needs of a connection to one peer: :class:`PeerLink`, or an
    in-memory one (:mod:`avacollab.peer.memory`) for tests without a network."""

    peer_id: str
    offerer: bool
    reliable: Any
    unordered: Any

    @property
    def state(self) -> str: ...
    @property
    def route(self) -> str | None: ...
    @property
    def offer_pending(self) -> bool: ...
    @property
    def stable(self) -> bool: ...
    async def create_offer(self, receive: Sequence[str] = ()) -> str: ...
    async def accept_offer(self, sdp: str) -> str: ...
    async def accept_answer(self, sdp: str) -> None: ...
    async def add_candidate(self, candidate: RTCIceCandidate | None) -> None: ...
    def receivable(self, receive: Sequence[str]) -> list[str]: ...
    def wanted_receivers(self) -> list[str]: ...
    def unoffered(self) -> bool: ...
    def add_track(self, track: Any) -> Any: ...
    def remove_track(self, sender: Any) -> None: ...
    def on_track(self, callback: Callable[[Any], None]) -> None: ...
    def on_failed(self, callback: Callable[[], None]) -> None: ...
    async def wait_open(self, timeout: float | None = None) -> None: ...  # noqa: ASYNC109
    async def close(self) -> None: ...


class LinkFactory(Protocol):
    """Makes a :class:`Link`; :class:`PeerLink` itself is one."""

    def __call__(
        self,
        peer_id: str,
        *,
        offerer: bool,
        config: LinkConfig,
        on_negotiation_needed: Callable[[Any], Awaitable[None] | None],
    ) -> Link: ...


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
        self._remote_candidates = RemoteCandidates()
        self._closer: asyncio.Task[None] | None = None

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
        each that no local track already provides. Raises :class:`LinkError`,
        adding nothing, when that would make more than :data:`MAX_MEDIA_PER_KIND`
        m-lines of a kind (:meth:`receivable` says how many fit).
        """
        self._require(self.offerer, "only the offerer makes offers")
        self._require(self.pc.signalingState == "stable", "an offer is already pending")
        wanted = Counter(receive)
        for kind in wanted:
            if kind not in MEDIA_KINDS:
                raise LinkError(f"cannot receive a track of kind {kind!r}")
        fits = Counter(self.receivable(receive))
        if fits != wanted:
            raise LinkError(
                f"link to {self.peer_id}: receiving {dict(wanted)} would make more than "
                f"{MAX_MEDIA_PER_KIND} m-lines of a kind"
            )
        unmatched = Counter(t.kind for t in self.pc.getTransceivers() if t.mid is None)
        for kind, count in wanted.items():
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

    async def add_candidate(self, candidate: RTCIceCandidate | None) -> None:
        """Take a candidate the peer trickled (``None``: end-of-candidates).

        Before the remote description is applied it is held, and added with
        it. End-of-candidates is noted (later candidates are refused) but not
        given to aioice (see :meth:`_add_candidate`). Raises
        :class:`~avacollab.peer.candidates.CandidateError` when the link takes
        no more candidates (see :class:`RemoteCandidates`) or aiortc refuses
        it; the link goes on either way.
        """
        for ready in self._remote_candidates.receive(candidate):
            await self._add_candidate(ready)

    def receivable(self, receive: Sequence[str]) -> list[str]:
        """The part of an answerer's request ``receive`` that :meth:`create_offer` takes.

        Entries of a kind other than audio or video are left out, and so is
        every entry that would take its kind past :data:`MAX_MEDIA_PER_KIND`
        m-lines; the order of the rest is kept.
        """
        transceivers = self.pc.getTransceivers()
        # A transceiver without an m-line (a local track not yet offered)
        # takes a request of its kind without adding anything.
        room = {
            kind: MAX_MEDIA_PER_KIND
            - sum(1 for t in transceivers if t.kind == kind and t.mid is not None)
            for kind in MEDIA_KINDS
        }
        taken: list[str] = []
        for kind in receive:
            if room.get(kind, 0) > 0:
                room[kind] -= 1
                taken.append(kind)
        return taken

    @property
    def offer_pending(self) -> bool:
        """This side has made an offer whose answer is not applied yet."""
        return bool(self.pc.signalingState == "have-local-offer")

    @property
    def stable(self) -> bool:
        """No offer/answer exchange is half done."""
        return bool(self.pc.signalingState == "stable")

    def unoffered(self) -> bool:
        """Whether a local track waits for an m-line (it flows after the next offer)."""
        return any(t.mid is None and not t.stopped for t in self.pc.getTransceivers())

    def on_track(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(track)`` for each media track the peer sends."""
        self.pc.on("track", callback)

    def on_failed(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the connection fails (ICE or DTLS gave up)."""

        def changed() -> None:
            if self.pc.connectionState == "failed":
                callback()

        self.pc.on("connectionstatechange", changed)

    def wanted_receivers(self) -> list[str]:
        """Kinds of local tracks not yet in any negotiated m-line (answerer's request).

        At most as many per kind as :meth:`receivable` on the offerer takes: a
        request the offerer must refuse would be asked again after every offer.
        """
        local = [t.kind for t in self.pc.getTransceivers() if t.mid is None and not t.stopped]
        return self.receivable(local)

    # -- media ------------------------------------------------------------

    def add_track(self, track: Any) -> Any:
        """Send a media track to the peer; returns the ``RTCRtpSender``.

        Fires ``on_negotiation_needed``: the new track flows after the next
        offer/answer exchange. Raises :class:`LinkError` when the link already
        has :data:`MAX_MEDIA_PER_KIND` transceivers of the track's kind and
        none of them is free to take it.
        """
        transceivers = self.pc.getTransceivers()
        same = [t for t in transceivers if t.kind == track.kind]
        # aiortc reuses a transceiver whose sender has no track.
        if len(same) >= MAX_MEDIA_PER_KIND and all(t.sender.track is not None for t in same):
            raise LinkError(
                f"link to {self.peer_id}: already {len(same)} {track.kind} tracks, "
                f"at most {MAX_MEDIA_PER_KIND}"
            )
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
        """Close the connection and both channels; safe to call twice.

        This can take a minute: aiortc deletes a TURN allocation before it
        returns, and aioice retries an unanswered deletion for 63 s. So the
        closing runs in a task of its own, and cancelling a caller (a deadline
        giving up on the wait) leaves it to finish in the background instead
        of breaking it off half way.
        """
        await self._tasks.cancel()
        if self._closer is None:
            self._closer = _CLOSING.spawn(self.pc.close())
        assert self._closer is not None
        await asyncio.shield(self._closer)

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
            if len(sdp) > MAX_SDP:
                raise ValueError(f"SDP of {len(sdp)} characters, at most {MAX_SDP}")
            media = Counter(m.kind for m in SessionDescription.parse(sdp).media)
            # aiortc takes an SDP without any media (even "") as valid; such a
            # description would leave the link pending until the timeout.
            if not media["application"]:
                raise ValueError("no data channel (m=application) section")
            for media_kind, count in media.items():
                # One data channel section; aiortc makes a transceiver per media one.
                limit = MAX_MEDIA_PER_KIND if media_kind in MEDIA_KINDS else 1
                if count > limit:
                    raise ValueError(f"{count} m={media_kind} sections, at most {limit}")
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        except Exception as exc:  # aiortc raises ValueError, InvalidStateError, ...
            raise LinkError(f"link to {self.peer_id}: {kind} rejected: {exc}") from exc
        for held in self._remote_candidates.described():
            try:
                await self._add_candidate(held)
            except CandidateError as exc:
                logger.warning("link to %s: held candidate refused: %s", self.peer_id, exc)

    async def _add_candidate(self, candidate: RTCIceCandidate | None) -> None:
        if candidate is None:
            # End-of-candidates is not passed on. Told it, aioice declares
            # ICE failed once every pair so far has failed, before the
            # peer's own checks have shown it a peer-reflexive address that
            # works. On loopback that is the rule, not a corner: a page's
            # host candidate is the machine's address, and aioice's check to
            # it is answered from 127.0.0.1 ("source address mismatch"); with
            # a page as offerer, about one join in ten hung until
            # connect_timeout. A link that never connects is still replaced
            # after connect_timeout, as with a browser sending complete SDP.
            return
        try:
            await self.pc.addIceCandidate(candidate)
        except Exception as exc:  # aioice raises ValueError, aiortc InvalidStateError, ...
            raise CandidateError(f"aiortc refused it: {exc}") from exc

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
