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
applied, a timer it armed expired) and carries out the actions it returns
(send this bus message, make an offer with these receivers, apply this
answer or offer, arm a timer, report the peer's media unavailable, replace
the link). It never waits, sends or touches aiortc, so tests drive it
directly, like a websockets protocol object.

A peer that never answers (a browser page without renegotiation, a hostile
peer) costs only its media: an exchange not finished within ``timeout``
seconds is reported (:class:`MediaUnavailable`) and tried again after a
backoff that doubles up to a cap and starts over when an exchange finishes.
The offerer keeps its offer pending meanwhile (aiortc cannot roll one back)
and sends the same offer again, which an answer can still meet at any time;
the data channels are unaffected by either.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..signaling.protocol import MAX_SDP
from .link import MAX_MEDIA_PER_KIND
from .signaling_client import Backoff

__all__ = [
    "ANSWER",
    "MAX_REQUEST_BYTES",
    "MAX_SDP_PAYLOAD",
    "MAX_SEQ",
    "OFFER",
    "RENEGOTIATE",
    "RENEGOTIATION_BACKOFF",
    "AcceptOffer",
    "Action",
    "ApplyAnswer",
    "Arm",
    "MakeOffer",
    "MediaUnavailable",
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
RENEGOTIATION_BACKOFF = Backoff(initial=15.0, maximum=300.0)
"""How long an unanswered renegotiation waits before it is tried again: about
15 s, doubling with each unanswered try up to 5 minutes (jittered)."""


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
    """Offerer: make an offer receiving ``receive``, then report its SDP to
    :meth:`Negotiation.offer_sent` (which sends it) or :meth:`Negotiation.failed`."""

    receive: tuple[str, ...]
    serves: int


@dataclass(frozen=True, slots=True)
class ApplyAnswer:
    """Offerer: apply this answer to the pending offer, then report
    :meth:`Negotiation.answer_applied` or :meth:`Negotiation.answer_failed`."""

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
class Arm:
    """Call :meth:`Negotiation.expired` with ``token`` after ``delay`` seconds.

    One timer per link: a new one replaces the one armed before (an older
    token is ignored anyway)."""

    delay: float
    token: int


@dataclass(frozen=True, slots=True)
class MediaUnavailable:
    """The peer did not renegotiate: report the ``media-unavailable`` event.

    ``reason`` says what failed; the exchange is tried again in ``retry_in``
    seconds. The link and its data channels stay as they are."""

    reason: str
    retry_in: float


@dataclass(frozen=True, slots=True)
class Replace:
    """The link cannot offer any more (making an offer failed here): replace it."""

    error: str


Action = (
    Send
    | MakeOffer
    | ApplyAnswer
    | AcceptOffer
    | Refused
    | Renegotiated
    | Arm
    | MediaUnavailable
    | Replace
)


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

# Offerer states. _STALLED: the offer is pending and unanswered, waiting to be sent again.
_IDLE, _OFFERING, _AWAITING, _STALLED, _APPLYING = (
    "idle",
    "offering",
    "awaiting",
    "stalled",
    "applying",
)


class Negotiation:
    """One side of one link's renegotiation.

    ``offerer``: this side makes the offers. ``fits(receive)``: the part of a
    receive request the link can take (:meth:`PeerLink.receivable`).
    ``timeout``: seconds the peer has to answer an offer or serve a request.
    ``backoff``: how long an unanswered exchange waits before it is tried again.
    """

    def __init__(
        self,
        offerer: bool,
        fits: Callable[[Sequence[str]], list[str]],
        *,
        timeout: float = 15.0,
        backoff: Backoff = RENEGOTIATION_BACKOFF,
    ) -> None:
        self.offerer = offerer
        self._fits = fits
        self._timeout = timeout
        self._backoff = backoff
        self._open = False
        self._token = 0  # of the timer that counts; older ones are ignored
        self._unanswered = 0  # exchanges unanswered in a row: the backoff's step
        # Offerer: the newest request, whether an offer is due, and the offer in flight.
        self._receive: list[str] = []
        self._serves = 0
        self._dirty = False
        self._offer = _IDLE
        self._pending: dict[str, Any] = {}  # the offer sent, to send again
        self._early: bytes | None = None  # a request that beat our own open event
        # Answerer: our outstanding request (0: none), whether its answer is
        # overdue, and whether to ask again after it.
        self._asked = 0
        self._ask_stalled = False
        self._ask_again = False
        self._requests = 0
        self._offering_serves = 0

    @property
    def busy(self) -> bool:
        """An exchange is under way or asked for."""
        return self._offer != _IDLE or self._dirty or bool(self._asked)

    @property
    def asked(self) -> int:
        """Answerer: the ``seq`` of the outstanding request (0: none)."""
        return self._asked

    @property
    def unanswered(self) -> int:
        """Exchanges the peer has left unanswered in a row (0 once one finishes)."""
        return self._unanswered

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
        self._token += 1

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
        return self._ask(wanted)

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

    def offer_sent(self, sdp: str) -> list[Action]:
        """Offerer: the :class:`MakeOffer` offer is made: send it and wait for the answer."""
        if self._offer != _OFFERING or not self._open:
            return []
        self._pending = {"sdp": sdp, "serves": self._offering_serves}
        return self._send_offer()

    def answer_applied(self) -> list[Action]:
        """Offerer: the :class:`ApplyAnswer` answer is applied; the link is stable."""
        if self._offer != _APPLYING:
            return []
        self._offer = _IDLE
        self._pending = {}
        self._unanswered = 0
        return [Renegotiated(), *self._next_offer()]

    def answer_failed(self, error: str) -> list[Action]:
        """Offerer: the :class:`ApplyAnswer` answer could not be applied. The offer
        stays pending: it is sent again after the backoff."""
        if self._offer != _APPLYING or not self._open:
            return []
        return self._stall(f"its session.answer could not be applied: {error}")

    def failed(self, error: str) -> list[Action]:
        """Offerer: making the :class:`MakeOffer` offer failed on this side. The link
        may be left with a half-made offer it cannot undo: it must go."""
        if self._offer == _IDLE or not self._open:
            return []
        self.closed()
        return [Replace(f"renegotiation failed: {error or 'no reason given'}")]

    def expired(self, token: int, wanted: Sequence[str] = ()) -> list[Action]:
        """The :class:`Arm` timer with ``token`` went off. ``wanted``: the answerer's
        :meth:`PeerLink.wanted_receivers` now, should it ask again."""
        if token != self._token or not self._open:
            return []  # a timer for an exchange that has moved on
        if self.offerer:
            if self._offer == _AWAITING:
                return self._stall(f"no session.answer within {self._timeout:g} s")
            if self._offer == _STALLED:
                return self._send_offer()
            return []
        if not self._asked:
            return []
        if not self._ask_stalled:
            return self._stall(
                f"no session.offer serving session.renegotiate {self._asked} "
                f"within {self._timeout:g} s"
            )
        # Asked again with a new seq: any later offer that serves it will do.
        self._ask_stalled = self._ask_again = False
        return self._ask(wanted)

    def offer_accepted(self, answer: str, serves: int, wanted: Sequence[str]) -> list[Action]:
        """Answerer: the :class:`AcceptOffer` offer is applied and ``answer`` made.

        ``wanted`` is :meth:`PeerLink.wanted_receivers` now: tracks the offer
        did not give an m-line are asked for again. If the offer served our
        request and, with no track added since, some of what it asked for
        still has no m-line, the offerer refused it (its limit of m-lines of
        a kind): that is reported and asked again after the backoff, not at
        once, which would repeat the same exchange without end."""
        actions: list[Action] = [Send(ANSWER, {"sdp": answer}), Renegotiated()]
        if self._asked and serves >= self._asked:
            if wanted and not self._ask_again:
                refused = len(wanted)
                return actions + self._stall(
                    f"the session.offer serving session.renegotiate {self._asked} "
                    f"left {refused} track{'s' if refused > 1 else ''} without an m-line"
                )
            self._asked = 0
            self._ask_stalled = False
            self._unanswered = 0
            self._token += 1  # its timer is moot
        if not self._asked and (self._ask_again or wanted):
            self._ask_again = False
            actions += self._ask(wanted)
        return actions

    # -- inside -------------------------------------------------------------

    def _arm(self, delay: float) -> Arm:
        self._token += 1
        return Arm(delay, self._token)

    def _stall(self, reason: str) -> list[Action]:
        """The peer left an exchange unanswered: report it, try again after the backoff."""
        delay = self._backoff.delay(self._unanswered)
        self._unanswered += 1
        if self.offerer:
            self._offer = _STALLED
        else:
            self._ask_stalled = True
        return [MediaUnavailable(reason, delay), self._arm(delay)]

    def _send_offer(self) -> list[Action]:
        self._offer = _AWAITING
        return [Send(OFFER, dict(self._pending)), self._arm(self._timeout)]

    def _ask(self, wanted: Sequence[str]) -> list[Action]:
        self._requests += 1
        self._asked = self._requests
        request = Send(RENEGOTIATE, {"seq": self._asked, "receive": list(wanted)})
        return [request, self._arm(self._timeout)]

    def _next_offer(self) -> list[Action]:
        """Offerer: one exchange at a time, coalescing what was asked meanwhile."""
        if not self._dirty or self._offer != _IDLE or not self._open:
            return []
        self._dirty = False
        # Checked again against the link as it is now (see PeerLink.receivable).
        receive = self._fits(self._receive)
        self._receive = []
        self._offer = _OFFERING
        self._offering_serves = self._serves
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
        if self._offer not in (_AWAITING, _STALLED):
            return []  # no offer waits for one (a late or repeated answer)
        try:
            sdp = _sdp(_body(ANSWER, payload, MAX_SDP_PAYLOAD))
        except _Bad as exc:
            # The offer stays pending: the timer sends it again.
            return [Refused("renegotiation-answer-refused", str(exc))]
        # A late answer (after the timeout) still meets the offer, which is
        # the same one each time it is sent.
        self._offer = _APPLYING
        self._token += 1
        return [ApplyAnswer(sdp)]
