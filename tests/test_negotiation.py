"""The renegotiation state machine, driven directly: no event loop, no aiortc."""

from __future__ import annotations

import json
from collections.abc import Sequence

from avacollab.peer.link import MAX_MEDIA_PER_KIND
from avacollab.peer.negotiation import (
    ANSWER,
    MAX_REQUEST_BYTES,
    MAX_SDP_PAYLOAD,
    MAX_SEQ,
    OFFER,
    RENEGOTIATE,
    AcceptOffer,
    Action,
    ApplyAnswer,
    Arm,
    MakeOffer,
    MediaUnavailable,
    Negotiation,
    Refused,
    Renegotiated,
    Replace,
    Send,
    offers,
)
from avacollab.peer.signaling_client import Backoff

TIMEOUT = 15.0
# Jitter draws between half and the whole of each step: 8, then 16, 32, 64, capped at 40.
BACKOFF = Backoff(initial=8.0, maximum=40.0)


def fits(receive: Sequence[str]) -> list[str]:
    """What a link with no media m-lines yet takes (PeerLink.receivable)."""
    room = dict.fromkeys(("audio", "video"), MAX_MEDIA_PER_KIND)
    taken = []
    for kind in receive:
        if room.get(kind, 0) > 0:
            room[kind] -= 1
            taken.append(kind)
    return taken


def payload(body: object) -> bytes:
    return json.dumps(body).encode()


def offerer() -> Negotiation:
    negotiation = Negotiation(True, fits, timeout=TIMEOUT, backoff=BACKOFF)
    assert negotiation.opened() == []
    return negotiation


def answerer() -> Negotiation:
    negotiation = Negotiation(False, fits, timeout=TIMEOUT, backoff=BACKOFF)
    assert negotiation.opened() == []
    return negotiation


def sent(neg: Negotiation, sdp: str, serves: int = 0) -> Arm:
    """Report the offer made; check it is sent with a timer; return the timer."""
    send, arm = neg.offer_sent(sdp)
    assert send == Send(OFFER, {"sdp": sdp, "serves": serves})
    assert isinstance(arm, Arm) and arm.delay == TIMEOUT
    return arm


def asked(actions: list[Action], seq: int, receive: list[str]) -> Arm:
    """Check ``actions`` are the request ``seq`` with its timer; return the timer."""
    request, arm = actions
    assert request == Send(RENEGOTIATE, {"seq": seq, "receive": receive})
    assert isinstance(arm, Arm) and arm.delay == TIMEOUT
    return arm


def test_the_smaller_id_offers() -> None:
    assert offers("a", "b") and not offers("b", "a")


def test_offerer_one_exchange_at_a_time_coalescing_what_comes_meanwhile() -> None:
    neg = offerer()
    assert neg.tracks_changed() == [MakeOffer((), 0)]
    sent(neg, "o1")
    # Asked twice while the first offer is out: one more offer, the newest request.
    assert neg.received(RENEGOTIATE, payload({"seq": 1, "receive": ["audio"]})) == []
    assert neg.received(RENEGOTIATE, payload({"seq": 2, "receive": ["video"]})) == []
    assert neg.tracks_changed() == []
    assert neg.busy
    assert neg.received(ANSWER, payload({"sdp": "v=0 a"})) == [ApplyAnswer("v=0 a")]
    # A repeated answer while the first is being applied is not applied twice.
    assert neg.received(ANSWER, payload({"sdp": "v=0 b"})) == []
    assert neg.answer_applied() == [Renegotiated(), MakeOffer(("video",), 2)]
    sent(neg, "o2", 2)
    assert neg.received(ANSWER, payload({"sdp": "v=0 c"})) == [ApplyAnswer("v=0 c")]
    assert neg.answer_applied() == [Renegotiated()]
    assert not neg.busy


def test_offerer_ignores_an_answer_no_offer_waits_for() -> None:
    neg = offerer()
    assert neg.received(ANSWER, payload({"sdp": "v=0"})) == []
    assert neg.tracks_changed() == [MakeOffer((), 0)]
    # Not sent yet: an answer cannot be for it.
    assert neg.received(ANSWER, payload({"sdp": "v=0"})) == []
    assert neg.answer_applied() == []


def test_offerer_serves_the_highest_seq_and_stale_requests_do_not_lower_it() -> None:
    neg = offerer()
    assert neg.received(RENEGOTIATE, payload({"seq": 5, "receive": []})) == [MakeOffer((), 5)]
    sent(neg, "o", 5)
    neg.received(RENEGOTIATE, payload({"seq": 3, "receive": ["audio"]}))  # crossed, older
    neg.received(ANSWER, payload({"sdp": "x"}))
    assert neg.answer_applied() == [Renegotiated(), MakeOffer(("audio",), 5)]


def test_offerer_keeps_a_request_that_beats_its_own_open_event() -> None:
    neg = Negotiation(True, fits)
    assert neg.received(RENEGOTIATE, payload({"seq": 1, "receive": ["audio"]})) == []
    assert neg.tracks_changed() == []  # not open: opened() decides
    assert neg.opened() == [MakeOffer(("audio",), 1)]


def test_offerer_bounds_what_it_reads() -> None:
    neg = offerer()
    long = b'{"seq": 1, "receive": [], "pad": "' + b"x" * MAX_REQUEST_BYTES + b'"}'
    assert neg.received(RENEGOTIATE, long) == [
        Refused("renegotiate-refused", f"session.renegotiate of {len(long)} bytes, at most 1024")
    ]
    for bad in ('"1"', "true", "-1", str(MAX_SEQ + 1)):
        (refused,) = neg.received(RENEGOTIATE, b'{"seq": ' + bad.encode() + b', "receive": []}')
        assert refused == Refused(
            "renegotiate-refused", f"'seq' must be an integer from 0 to {MAX_SEQ}"
        )
    (refused,) = neg.received(RENEGOTIATE, payload({"seq": 1, "receive": "audio"}))
    assert refused == Refused("renegotiate-refused", "'receive' must be a list of track kinds")
    (refused,) = neg.received(RENEGOTIATE, b"{")
    assert isinstance(refused, Refused) and "not JSON" in refused.reason
    # Too many receivers, or kinds that are not media: the rest is still served.
    asked = ["audio"] * (MAX_MEDIA_PER_KIND + 2) + ["text"]
    refused, offer = neg.received(RENEGOTIATE, payload({"seq": 1, "receive": asked}))
    assert refused == Refused(
        "renegotiate-refused",
        f"3 of {len(asked)} receivers: only audio and video, "
        f"at most {MAX_MEDIA_PER_KIND} m-lines of each",
    )
    assert offer == MakeOffer(("audio",) * MAX_MEDIA_PER_KIND, 1)
    sent(neg, "o", 1)
    (refused,) = neg.received(ANSWER, b'{"sdp": "' + b"x" * MAX_SDP_PAYLOAD + b'"}')
    assert isinstance(refused, Refused) and refused.event == "renegotiation-answer-refused"
    (refused,) = neg.received(ANSWER, b"[" * 100_000)  # nested too deep for json
    assert isinstance(refused, Refused) and "not JSON" in refused.reason
    assert neg.received(ANSWER, payload({"sdp": 1})) == [
        Refused("renegotiation-answer-refused", "'sdp' must be a string")
    ]
    assert neg.busy  # still waiting for a real answer


def test_offerer_replaces_the_link_only_when_it_cannot_make_an_offer() -> None:
    neg = offerer()
    assert neg.tracks_changed() == [MakeOffer((), 0)]
    assert neg.failed("making an offer: boom") == [
        Replace("renegotiation failed: making an offer: boom")
    ]
    # The link is gone: nothing more happens on it.
    assert neg.failed("again") == []
    assert neg.tracks_changed() == []
    assert neg.received(RENEGOTIATE, payload({"seq": 1, "receive": []})) == []
    # An error with no text still says something.
    neg = offerer()
    neg.tracks_changed()
    assert neg.failed("") == [Replace("renegotiation failed: no reason given")]


def resent(actions: list[Action], sdp: str, serves: int = 0) -> Arm:
    """Check ``actions`` send the pending offer again with a timer; return the timer."""
    send, arm = actions
    assert send == Send(OFFER, {"sdp": sdp, "serves": serves})
    assert isinstance(arm, Arm) and arm.delay == TIMEOUT
    return arm


def unavailable(actions: list[Action], reason: str, step: int) -> Arm:
    """Check ``actions`` report the media unavailable and arm the retry at backoff
    ``step``; return the timer."""
    report, arm = actions
    assert isinstance(report, MediaUnavailable) and report.reason == reason
    ceiling = min(BACKOFF.maximum, BACKOFF.initial * 2**step)
    assert ceiling / 2 <= report.retry_in <= ceiling
    assert isinstance(arm, Arm) and arm.delay == report.retry_in
    return arm


def test_offerer_keeps_the_link_when_the_answer_never_comes_and_sends_the_offer_again() -> None:
    neg = offerer()
    assert neg.tracks_changed() == [MakeOffer((), 0)]
    timer = sent(neg, "o1")
    no_answer = f"no session.answer within {TIMEOUT:g} s"
    backoff = unavailable(neg.expired(timer.token), no_answer, 0)
    assert neg.expired(timer.token) == []  # a timer goes off once
    assert neg.busy and neg.unanswered == 1
    # Meanwhile a request is remembered, not served: the offer is still pending.
    assert neg.received(RENEGOTIATE, payload({"seq": 3, "receive": ["audio"]})) == []
    # After the backoff, the same offer again, with the same serves.
    timer = resent(neg.expired(backoff.token), "o1")
    # Unanswered again: the backoff doubles, up to its cap.
    for step in (1, 2, 3):
        backoff = unavailable(neg.expired(timer.token), no_answer, step)
        timer = resent(neg.expired(backoff.token), "o1")
    assert neg.unanswered == 4
    # The answer comes at last: the remembered request is served next, the backoff starts over.
    assert neg.received(ANSWER, payload({"sdp": "a1"})) == [ApplyAnswer("a1")]
    assert neg.expired(timer.token) == []  # its timer is moot
    assert neg.answer_applied() == [Renegotiated(), MakeOffer(("audio",), 3)]
    assert neg.unanswered == 0
    timer = sent(neg, "o2", 3)
    unavailable(neg.expired(timer.token), no_answer, 0)


def test_offerer_takes_a_late_answer_while_it_waits_to_send_again() -> None:
    neg = offerer()
    neg.tracks_changed()
    timer = sent(neg, "o1")
    backoff = unavailable(neg.expired(timer.token), f"no session.answer within {TIMEOUT:g} s", 0)
    assert neg.received(ANSWER, payload({"sdp": "late"})) == [ApplyAnswer("late")]
    assert neg.expired(backoff.token) == []  # not sent again
    assert neg.answer_applied() == [Renegotiated()]
    assert not neg.busy and neg.unanswered == 0


def test_offerer_sends_again_an_offer_whose_answer_could_not_be_applied() -> None:
    neg = offerer()
    neg.tracks_changed()
    sent(neg, "o1")
    assert neg.received(ANSWER, payload({"sdp": "bad"})) == [ApplyAnswer("bad")]
    reason = "its session.answer could not be applied: bad SDP"
    backoff = unavailable(neg.answer_failed("bad SDP"), reason, 0)
    assert neg.answer_failed("twice") == []  # nothing is being applied any more
    resent(neg.expired(backoff.token), "o1")


def test_timers_of_a_closed_link_do_nothing() -> None:
    neg = offerer()
    neg.tracks_changed()
    timer = sent(neg, "o1")
    neg.closed()
    assert neg.expired(timer.token) == []
    assert neg.offer_sent("late") == []


def test_offerer_ignores_offers_and_the_answerer_ignores_requests() -> None:
    assert offerer().received(OFFER, payload({"sdp": "x"})) == []
    assert answerer().received(RENEGOTIATE, payload({"seq": 1, "receive": []})) == []
    assert answerer().received(ANSWER, payload({"sdp": "x"})) == []


def test_answerer_asks_once_and_again_after_the_offer_that_serves_it() -> None:
    neg = answerer()
    asked(neg.tracks_changed(["audio"]), 1, ["audio"])
    assert neg.asked == 1
    # Another track while the first request is out: asked again only afterwards.
    assert neg.tracks_changed(["audio", "video"]) == []
    # An offer made before our request (serves 0) does not answer it.
    assert neg.received(OFFER, payload({"sdp": "o1"})) == [AcceptOffer("o1", 0)]
    assert neg.offer_accepted("a1", 0, ["audio", "video"]) == [
        Send(ANSWER, {"sdp": "a1"}),
        Renegotiated(),
    ]
    assert neg.asked == 1
    assert neg.received(OFFER, payload({"sdp": "o2", "serves": 1})) == [AcceptOffer("o2", 1)]
    answer, done, *again = neg.offer_accepted("a2", 1, ["video"])
    assert (answer, done) == (Send(ANSWER, {"sdp": "a2"}), Renegotiated())
    asked(again, 2, ["video"])
    assert neg.received(OFFER, payload({"sdp": "o3", "serves": 2})) == [AcceptOffer("o3", 2)]
    assert neg.offer_accepted("a3", 2, []) == [Send(ANSWER, {"sdp": "a3"}), Renegotiated()]
    assert not neg.busy


def test_answerer_refuses_a_bad_offer_and_ignores_one_before_open() -> None:
    assert Negotiation(False, fits).received(OFFER, payload({"sdp": "x"})) == []
    neg = answerer()
    for bad, reason in (
        (payload({"sdp": 1}), "'sdp' must be a string"),
        (payload({"sdp": "x", "serves": -1}), f"'serves' must be an integer from 0 to {MAX_SEQ}"),
        (b"[]", "session.offer is not a JSON object"),
    ):
        assert neg.received(OFFER, bad) == [
            Refused("renegotiation-offer-rejected", reason, "error")
        ]


def test_answerer_reports_an_unserved_request_and_asks_again_after_the_backoff() -> None:
    neg = answerer()
    timer = asked(neg.tracks_changed(["video"]), 1, ["video"])
    reason = f"no session.offer serving session.renegotiate 1 within {TIMEOUT:g} s"
    backoff = unavailable(neg.expired(timer.token), reason, 0)
    assert neg.tracks_changed(["video", "audio"]) == []  # still one request at a time
    # Asked again with what is wanted now, under a new seq.
    timer = asked(neg.expired(backoff.token, ["video", "audio"]), 2, ["video", "audio"])
    reason = f"no session.offer serving session.renegotiate 2 within {TIMEOUT:g} s"
    backoff = unavailable(neg.expired(timer.token), reason, 1)
    timer = asked(neg.expired(backoff.token, ["video", "audio"]), 3, ["video", "audio"])
    # An offer serving it: the timer is moot and the backoff starts over.
    assert neg.received(OFFER, payload({"sdp": "o", "serves": 3})) == [AcceptOffer("o", 3)]
    assert neg.offer_accepted("a", 3, []) == [Send(ANSWER, {"sdp": "a"}), Renegotiated()]
    assert neg.expired(timer.token) == []
    assert not neg.busy and neg.unanswered == 0
    timer = asked(neg.tracks_changed(["audio"]), 4, ["audio"])
    reason = f"no session.offer serving session.renegotiate 4 within {TIMEOUT:g} s"
    unavailable(neg.expired(timer.token), reason, 0)


def test_an_offer_serving_an_older_request_does_not_stop_the_timer() -> None:
    neg = answerer()
    timer = asked(neg.tracks_changed(["video"]), 1, ["video"])
    neg.received(OFFER, payload({"sdp": "o", "serves": 0}))
    neg.offer_accepted("a", 0, ["video"])
    reason = f"no session.offer serving session.renegotiate 1 within {TIMEOUT:g} s"
    unavailable(neg.expired(timer.token), reason, 0)


def test_answerer_asks_again_after_the_backoff_when_the_offer_left_tracks_without_m_lines() -> None:
    # The offerer serves the request but refuses its receivers (its limit of
    # m-lines of a kind): asking again at once would repeat that exchange
    # without end, so it is reported and asked again after the backoff.
    neg = answerer()
    timer = asked(neg.tracks_changed(["video"]), 1, ["video"])
    assert neg.received(OFFER, payload({"sdp": "o1", "serves": 1})) == [AcceptOffer("o1", 1)]
    answer, done, *rest = neg.offer_accepted("a1", 1, ["video"])
    assert (answer, done) == (Send(ANSWER, {"sdp": "a1"}), Renegotiated())
    reason = "the session.offer serving session.renegotiate 1 left 1 track without an m-line"
    backoff = unavailable(rest, reason, 0)
    assert neg.expired(timer.token) == []  # the request's own timer is moot
    timer = asked(neg.expired(backoff.token, ["video", "video"]), 2, ["video", "video"])
    # Refused again: reported with the next step of the backoff.
    neg.received(OFFER, payload({"sdp": "o2", "serves": 2}))
    _, _, *rest = neg.offer_accepted("a2", 2, ["video", "video"])
    backoff = unavailable(
        rest, "the session.offer serving session.renegotiate 2 left 2 tracks without an m-line", 1
    )
    # A track added meanwhile is asked for at the end of the backoff as usual.
    assert neg.tracks_changed(["video", "video", "audio"]) == []
    asked(neg.expired(backoff.token, ["video", "video", "audio"]), 3, ["video", "video", "audio"])
    neg.received(OFFER, payload({"sdp": "o3", "serves": 3}))
    assert neg.offer_accepted("a3", 3, []) == [Send(ANSWER, {"sdp": "a3"}), Renegotiated()]
    assert not neg.busy and neg.unanswered == 0
