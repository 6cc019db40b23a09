"""Trickled ICE candidates from the other side of a link: checked, then held or taken.

aiortc gathers all of its own candidates before it returns a description, so
Python peers never trickle; browsers do (docs/browser.md): they send the offer
or answer at once and each candidate after it in a ``candidate`` signaling
message (docs/protocol.md), ending with ``null`` for end-of-candidates. This
module, without any I/O, turns such a message into what aiortc's
``addIceCandidate`` takes (:func:`parse_candidate`) and keeps one link's
count (:class:`RemoteCandidates`): candidates that come before the remote
description are held until it is applied, at most
:data:`MAX_EARLY_CANDIDATES`; a link takes at most
:data:`MAX_REMOTE_CANDIDATES` trickled candidates in all, since aioice pairs
every one with each local candidate and checks each pair.

Whatever is refused raises :class:`CandidateError` with the reason, which the
session logs; the link and every other link go on.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Final

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

from ..signaling.protocol import MAX_CANDIDATE, MAX_MID

__all__ = [
    "MAX_EARLY_CANDIDATES",
    "MAX_REMOTE_CANDIDATES",
    "CandidateError",
    "RemoteCandidates",
    "parse_candidate",
]

MAX_EARLY_CANDIDATES: Final = 32
"""Most candidates a link holds while it waits for the remote description.

Signaling delivers a peer's candidates after its description, so only a
peer that sends them first (or a slow description) needs any room here; a
browser on a machine with a few interfaces sends fewer than a dozen."""

MAX_REMOTE_CANDIDATES: Final = 64
"""Most trickled candidates one link takes (held ones included)."""

MAX_INDEX: Final = 1023  # sdpMLineIndex, as the signaling server bounds it
TYPES: Final = frozenset({"host", "srflx", "prflx", "relay"})
PROTOCOLS: Final = frozenset({"udp", "tcp"})
# ice-char from RFC 8839: ALPHA / DIGIT / "+" / "/"
FOUNDATION: Final = re.compile(r"[A-Za-z0-9+/]{1,32}")
# Browsers hide their addresses behind mDNS names: a UUID and ".local".
MDNS_NAME: Final = re.compile(r"[A-Za-z0-9-]{1,63}\.local")
DIGITS: Final = re.compile(r"[0-9]{1,10}")


class CandidateError(ValueError):
    """A candidate message that is malformed or comes when none is taken."""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(text: str, what: str, high: int) -> int:
    # int() would take "+1", " 1" and "1_000"; a candidate line has plain digits.
    if not DIGITS.fullmatch(text) or int(text) > high:
        raise CandidateError(f"{what} {_short(text)} is not an integer 0-{high}")
    return int(text)


def _check_line(line: str) -> None:
    """Raise :class:`CandidateError` unless ``line`` (without its ``candidate:``
    prefix) is a candidate attribute aioice can use."""
    bits = line.split()
    if len(bits) < 8 or len(bits) % 2:
        raise CandidateError(f"candidate line has {len(bits)} fields, not 8 or more in pairs")
    foundation, component, protocol, priority, address, port, typ, kind = bits[:8]
    if not FOUNDATION.fullmatch(foundation):
        raise CandidateError(f"foundation {_short(foundation)} is not 1-32 ice-chars")
    if _number(component, "component", 256) == 0:
        raise CandidateError("component 0 (components count from 1)")
    if protocol.lower() not in PROTOCOLS:
        raise CandidateError(f"transport {_short(protocol)} is neither udp nor tcp")
    _number(priority, "priority", 2**32 - 1)
    _address(address)
    _number(port, "port", 65535)
    if typ != "typ":
        raise CandidateError(f"field 7 is {_short(typ)}, not 'typ'")
    if kind not in TYPES:
        raise CandidateError(f"type {_short(kind)} is not one of {', '.join(sorted(TYPES))}")
    for name, value in zip(bits[8::2], bits[9::2], strict=True):
        if name == "raddr":
            _address(value)
        elif name == "rport":
            _number(value, "rport", 65535)


def _address(text: str) -> None:
    if MDNS_NAME.fullmatch(text):
        return
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise CandidateError(f"address {_short(text)} is neither an IP address nor mDNS") from None


def parse_candidate(message: Mapping[str, Any]) -> RTCIceCandidate | None:
    """The candidate in a ``candidate`` signaling message; ``None`` for end-of-candidates.

    The message's ``candidate`` is an ``RTCIceCandidateInit`` (``candidate``,
    the line, with or without its ``candidate:`` prefix; ``sdpMid`` and
    ``sdpMLineIndex``, at least one of them) or ``null``; an empty line also
    means end-of-candidates, as in the browser API. Raises
    :class:`CandidateError` with the reason for anything else.
    """
    if "candidate" not in message:
        raise CandidateError("no 'candidate' field (an object, or null for end-of-candidates)")
    init = message["candidate"]
    if init is None:
        return None
    if not isinstance(init, Mapping):
        raise CandidateError(f"'candidate' is {type(init).__name__}, not an object or null")
    line = init.get("candidate")
    if not isinstance(line, str):
        raise CandidateError(f"'candidate.candidate' is {type(line).__name__}, not a string")
    if len(line) > MAX_CANDIDATE:
        raise CandidateError(f"candidate line of {len(line)} characters, at most {MAX_CANDIDATE}")
    mid = init.get("sdpMid")
    if mid is not None and (not isinstance(mid, str) or len(mid) > MAX_MID):
        raise CandidateError(f"'sdpMid' {_short(mid)} is not a string of at most {MAX_MID}")
    index = init.get("sdpMLineIndex")
    # bool is an int subclass: True must not pass for index 1.
    if index is not None and (type(index) is not int or not 0 <= index <= MAX_INDEX):
        raise CandidateError(f"'sdpMLineIndex' {_short(index)} is not an integer 0-{MAX_INDEX}")
    line = line.removeprefix("a=").removeprefix("candidate:").strip()
    if not line:
        return None
    if mid is None and index is None:
        raise CandidateError("neither 'sdpMid' nor 'sdpMLineIndex' says which m-line")
    _check_line(line)
    try:
        candidate = candidate_from_sdp(line)
    except (AssertionError, ValueError, IndexError) as exc:  # checked above; a backstop
        raise CandidateError(f"aiortc cannot read the candidate line: {exc!r}") from None
    candidate.protocol = candidate.protocol.lower()
    candidate.sdpMid = mid
    candidate.sdpMLineIndex = index
    return candidate


class RemoteCandidates:
    """One link's trickled candidates: what to add now, what to hold, what to refuse.

    :meth:`receive` takes each parsed candidate (``None``: end-of-candidates)
    and returns those to hand to ``addIceCandidate`` now; until
    :meth:`described` is called they are held. ``None`` is held apart, so it
    always comes last and never takes a candidate's place.
    """

    def __init__(
        self,
        *,
        max_early: int = MAX_EARLY_CANDIDATES,
        max_total: int = MAX_REMOTE_CANDIDATES,
    ) -> None:
        self.max_early = max_early
        self.max_total = max_total
        self.is_described = False
        self.taken = 0
        """Candidates taken so far, held ones included."""
        self.ended = False
        self._held: list[RTCIceCandidate] = []

    @property
    def held(self) -> int:
        return len(self._held)

    def receive(self, candidate: RTCIceCandidate | None) -> list[RTCIceCandidate | None]:
        """Candidates to add now: ``[candidate]``, or ``[]`` while they are held.

        Raises :class:`CandidateError` for a candidate after end-of-candidates,
        past :attr:`max_total`, or past :attr:`max_early` held ones (that one
        is dropped; those held already stay)."""
        if self.ended:
            raise CandidateError("after end-of-candidates")
        if candidate is None:
            self.ended = True
            return [None] if self.is_described else []
        if self.taken >= self.max_total:
            raise CandidateError(f"more than {self.max_total} candidates on one connection")
        if not self.is_described:
            if len(self._held) >= self.max_early:
                raise CandidateError(
                    f"more than {self.max_early} candidates before the remote description"
                )
            self._held.append(candidate)
            self.taken += 1
            return []
        self.taken += 1
        return [candidate]

    def described(self) -> list[RTCIceCandidate | None]:
        """The remote description is applied: the held candidates, to add now."""
        if self.is_described:
            return []
        self.is_described = True
        ready: list[RTCIceCandidate | None] = list(self._held)
        self._held.clear()
        if self.ended:
            ready.append(None)
        return ready
