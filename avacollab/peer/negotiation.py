"""Renegotiation of one link as a state machine without I/O (docs/session.md).

Of each pair the peer with the smaller id offers (:func:`offers`); aiortc
cannot roll back a crossed offer, so the other side never does. Once the
link is open, renegotiation runs over the pair's bus: the answerer asks with
``session.renegotiate`` (``seq``, the track kinds it wants to send), the
offerer sends ``session.offer`` (``serves``: the newest ``seq`` it has read)
and gets ``session.answer``.

A :class:`Negotiation` holds what one side of one link knows about that: what
was asked, what is pending, what comes next. The session feeds it events (the
link opened, local tracks changed, a bus message came, an offer was made or
applied, an answer timed out) and carries out the actions it returns (send
this bus message, make an offer with these receivers, apply this answer or
offer, replace the link). It never waits, sends or touches aiortc, so tests
drive it directly, like a websockets protocol object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..signaling.protocol import MAX_SDP
from .link import MAX_MEDIA_PER_KIND

__all__ = [
    "ANSWER",
    "MAX_REQUEST_BYTES",
    "MAX_SDP_PAYLOAD",
    "MAX_SEQ",
    "OFFER",
    "RENEGOTIATE",
    "AcceptOffer",
    "Action",
    "ApplyAnswer",
    "MakeOffer",
    "Negotiation",
    "Refused",
    "Renegotiated",
    "Replace",
    "Send",
    "offers",
]

RENEGOTIATE = "session.renegotiate"
OFFER = "session.offer"
ANSWER = "session.answer"

# What the session takes from a peer in its own topics (docs/session.md, "Limits").
MAX_REQUEST_BYTES = 1024
"""Largest ``session.renegotiate`` payload read; a real one is under 200 bytes."""
MAX_SDP_PAYLOAD = 2 * MAX_SDP + 1024
"""Largest ``session.offer`` or ``session.answer`` payload read: an SDP of
:data:`~avacollab.signaling.protocol.MAX_SDP` characters, whose line ends JSON writes
as four bytes each, and the rest of the object."""
MAX_SEQ = 2**53 - 1
"""Largest ``seq`` or ``serves``: the largest integer a JavaScript peer keeps exact."""


def offers(me: str, other: str) -> bool:
    """Whether ``me`` makes the offers to ``other``: the smaller id offers."""
    return me < other


# -- actions ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Publish ``body`` as JSON on ``topic`` to the peer (losing it to a bus error is fine)."""

    topic: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MakeOffer:
    """Offerer: make an offer receiving ``receive``, send it with ``serves``, then
    report :meth:`Negotiation.offer_sent` or :meth:`Negotiation.failed`."""

    receive: tuple[str, ...]
    serves: int


@dataclass(frozen=True, slots=True)
class ApplyAnswer:
    """Offerer: apply this answer to the pending offer, then report
    :meth:`Negotiation.answer_applied` or :meth:`Negotiation.failed`."""

    sdp: str


@dataclass(frozen=True, slots=True)
class AcceptOffer:
    """Answerer: apply this offer, send the answer (:meth:`Negotiation.offer_accepted`
    makes the message), or log it rejected."""

    sdp: str
    serves: int


@dataclass(frozen=True, slots=True)
class Refused:
    """A peer's message broke a rule: log ``event`` with ``reason``; nothing else changes."""

    event: str
    reason: str
    field: str = "reason"


@dataclass(frozen=True, slots=True)
class Renegotiated:
    """An offer/answer exchange finished: report the ``renegotiated`` event."""


@dataclass(frozen=True, slots=True)
class Replace:
    """The link is stuck with a pending offer and can never offer again: replace it."""

    error: str


Action = Send | MakeOffer | ApplyAnswer | AcceptOffer | Refused | Renegotiated | Replace


# -- reading the peer's messages ---------------------------------------------


class _Bad(ValueError):
    """A core message from a peer breaks a rule; the text says which."""


def _body(topic: str, payload: bytes, limit: int) -> dict[str, Any]:
    """The JSON object a core message carries, read only if it is at most ``limit`` bytes."""
    if len(payload) > limit:
        raise _Bad(f"{topic} of {len(payload)} bytes, at most {limit}")
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise _Bad(f"{topic} is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _Bad(f"{topic} is not a JSON object")
    return body


def _counter(body: dict[str, Any], key: str, default: int | None = None) -> int:
    """A sequence number: a JSON integer from 0 to :data:`MAX_SEQ`."""
    value = body.get(key, default)
    if type(value) is not int or not 0 <= value <= MAX_SEQ:
        raise _Bad(f"{key!r} must be an integer from 0 to {MAX_SEQ}")
    return value


def _sdp(body: dict[str, Any]) -> str:
    sdp = body.get("sdp")
    if not isinstance(sdp, str):
        raise _Bad("'sdp' must be a string")
    return sdp  # PeerLink checks its length and its m-lines


# -- the state machine -------------------------------------------------------

_IDLE, _OFFERING, _AWAITING, _APPLYING = "idle", "offering", "awaiting", "applying"


class Negotiation:
    """One side of one link's renegotiation.

    ``offerer``: this side makes the offers. ``fits(receive)``: the part of a
    receive request the link can take (:meth:`PeerLink.receivable`).
    """

    def __init__(self, offerer: bool, fits: Callable[[Sequence[str]], list[str]]) -> None:
        self.offerer = offerer
        self._fits = fits
        self._open = False
        # Offerer: the newest request, whether an offer is due, and the offer in flight.
        self._receive: list[str] = []
        self._serves = 0
        self._dirty = False
        self._offer = _IDLE
        self._early: bytes | None = None  # a request that beat our own open event
        # Answerer: our outstanding request (0: none), and whether to ask again after it.
        self._asked = 0
        self._ask_again = False
        self._requests = 0

    @property
    def busy(self) -> bool:
        """An exchange is under way or asked for."""
        return self._offer != _IDLE or self._dirty or bool(self._asked)

    @property
    def asked(self) -> int:
        """Answerer: the ``seq`` of the outstanding request (0: none)."""
        return self._asked

    # -- events ------------------------------------------------------------

    def opened(self) -> list[Action]:
        """The link's channels are open: serve a request that came before."""
        self._open = True
        early, self._early = self._early, None
        return [] if early is None else self.received(RENEGOTIATE, early)

    def closed(self) -> None:
        """The link is gone: nothing more happens on it."""
        self._open = False
        self._offer = _IDLE
        self._dirty = False

    def tracks_changed(self, wanted: Sequence[str] = ()) -> list[Action]:
        """Local tracks were added or removed. ``wanted``: the answerer's
        :meth:`PeerLink.wanted_receivers` (the offerer's is not asked)."""
        if not self._open:
            return []  # opened() looks again
        if self.offerer:
            self._dirty = True
            return self._next_offer()
        if self._asked:
            self._ask_again = True
            return []
        return [self._ask(wanted)]

    def received(self, topic: str, payload: bytes) -> list[Action]:
        """A bus message from the peer on one of the renegotiation topics."""
        if topic == RENEGOTIATE:
            return self._on_request(payload) if self.offerer else []
        if topic == ANSWER:
            return self._on_answer(payload) if self.offerer else []
        if topic == OFFER and not self.offerer and self._open:
            try:
                body = _body(topic, payload, MAX_SDP_PAYLOAD)
                return [AcceptOffer(_sdp(body), _counter(body, "serves", 0))]
            except _Bad as exc:
                return [Refused("renegotiation-offer-rejected", str(exc), "error")]
        return []

    def offer_sent(self) -> None:
        """Offerer: the :class:`MakeOffer` offer is made and sent; an answer may come."""
        if self._offer == _OFFERING:
            self._offer = _AWAITING

    def answer_applied(self) -> list[Action]:
        """Offerer: the :class:`ApplyAnswer` answer is applied; the link is stable."""
        if self._offer != _APPLYING:
            return []
        self._offer = _IDLE
        return [Renegotiated(), *self._next_offer()]

    def failed(self, error: str) -> list[Action]:
        """Offerer: making the offer, sending it or applying its answer failed, or no
        answer came in time. The link keeps a pending offer: it must go."""
        if self._offer == _IDLE or not self._open:
            return []
        self.closed()
        return [Replace(f"renegotiation: {error}")]

    def offer_accepted(self, answer: str, serves: int, wanted: Sequence[str]) -> list[Action]:
        """Answerer: the :class:`AcceptOffer` offer is applied and ``answer`` made.

        ``wanted`` is :meth:`PeerLink.wanted_receivers` now: tracks the offer
        did not give an m-line are asked for again."""
        actions: list[Action] = [Send(ANSWER, {"sdp": answer}), Renegotiated()]
        if self._asked and serves >= self._asked:
            self._asked = 0
        if not self._asked and (self._ask_again or wanted):
            self._ask_again = False
            actions.append(self._ask(wanted))
        return actions

    # -- inside -------------------------------------------------------------

    def _ask(self, wanted: Sequence[str]) -> Send:
        self._requests += 1
        self._asked = self._requests
        return Send(RENEGOTIATE, {"seq": self._asked, "receive": list(wanted)})

    def _next_offer(self) -> list[Action]:
        """Offerer: one exchange at a time, coalescing what was asked meanwhile."""
        if not self._dirty or self._offer != _IDLE or not self._open:
            return []
        self._dirty = False
        # Checked again against the link as it is now (see PeerLink.receivable).
        receive = self._fits(self._receive)
        self._receive = []
        self._offer = _OFFERING
        return [MakeOffer(tuple(receive), self._serves)]

    def _on_request(self, payload: bytes) -> list[Action]:
        if not self._open:
            # The answerer's channels opened first and it asked at once;
            # serve it when ours are open too.
            self._early = payload
            return []
        try:
            request = _body(RENEGOTIATE, payload, MAX_REQUEST_BYTES)
            seq = _counter(request, "seq")
            receive = request.get("receive")
            if not isinstance(receive, list) or not all(isinstance(k, str) for k in receive):
                raise _Bad("'receive' must be a list of track kinds")
        except _Bad as exc:
            return [Refused("renegotiate-refused", str(exc))]
        actions: list[Action] = []
        # The newest request lists every track still waiting: it replaces older ones.
        self._receive = self._fits(receive)
        if len(self._receive) < len(receive):
            actions.append(
                Refused(
                    "renegotiate-refused",
                    f"{len(receive) - len(self._receive)} of {len(receive)} receivers: "
                    f"only audio and video, at most {MAX_MEDIA_PER_KIND} m-lines of each",
                )
            )
        self._serves = max(self._serves, seq)
        self._dirty = True
        return actions + self._next_offer()

    def _on_answer(self, payload: bytes) -> list[Action]:
        if self._offer != _AWAITING:
            return []  # no offer waits for one (a late or repeated answer)
        try:
            sdp = _sdp(_body(ANSWER, payload, MAX_SDP_PAYLOAD))
        except _Bad as exc:
            # The offer stays pending; the answer timeout replaces the link.
            return [Refused("renegotiation-answer-refused", str(exc))]
        self._offer = _APPLYING
        return [ApplyAnswer(sdp)]
