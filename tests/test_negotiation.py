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
    ApplyAnswer,
    MakeOffer,
    Negotiation,
    Refused,
    Renegotiated,
    Replace,
    Send,
    offers,
)


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
    negotiation = Negotiation(True, fits)
    assert negotiation.opened() == []
    return negotiation


def answerer() -> Negotiation:
    negotiation = Negotiation(False, fits)
    assert negotiation.opened() == []
    return negotiation


def test_the_smaller_id_offers() -> None:
    assert offers("a", "b") and not offers("b", "a")


def test_offerer_one_exchange_at_a_time_coalescing_what_comes_meanwhile() -> None:
    neg = offerer()
    assert neg.tracks_changed() == [MakeOffer((), 0)]
    neg.offer_sent()
    # Asked twice while the first offer is out: one more offer, the newest request.
    assert neg.received(RENEGOTIATE, payload({"seq": 1, "receive": ["audio"]})) == []
    assert neg.received(RENEGOTIATE, payload({"seq": 2, "receive": ["video"]})) == []
    assert neg.tracks_changed() == []
    assert neg.busy
    assert neg.received(ANSWER, payload({"sdp": "v=0 a"})) == [ApplyAnswer("v=0 a")]
    # A repeated answer while the first is being applied is not applied twice.
    assert neg.received(ANSWER, payload({"sdp": "v=0 b"})) == []
    assert neg.answer_applied() == [Renegotiated(), MakeOffer(("video",), 2)]
    neg.offer_sent()
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
    neg.offer_sent()
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
    neg.offer_sent()
    (refused,) = neg.received(ANSWER, b'{"sdp": "' + b"x" * MAX_SDP_PAYLOAD + b'"}')
    assert isinstance(refused, Refused) and refused.event == "renegotiation-answer-refused"
    (refused,) = neg.received(ANSWER, b"[" * 100_000)  # nested too deep for json
    assert isinstance(refused, Refused) and "not JSON" in refused.reason
    assert neg.received(ANSWER, payload({"sdp": 1})) == [
        Refused("renegotiation-answer-refused", "'sdp' must be a string")
    ]
    assert neg.busy  # still waiting for a real answer


def test_offerer_replaces_a_link_stuck_with_a_pending_offer() -> None:
    neg = offerer()
    assert neg.tracks_changed() == [MakeOffer((), 0)]
    neg.offer_sent()
    assert neg.failed("no answer") == [Replace("renegotiation: no answer")]
    # The link is gone: nothing more happens on it.
    assert neg.failed("again") == []
    assert neg.tracks_changed() == []
    assert neg.received(RENEGOTIATE, payload({"seq": 1, "receive": []})) == []


def test_offerer_ignores_offers_and_the_answerer_ignores_requests() -> None:
    assert offerer().received(OFFER, payload({"sdp": "x"})) == []
    assert answerer().received(RENEGOTIATE, payload({"seq": 1, "receive": []})) == []
    assert answerer().received(ANSWER, payload({"sdp": "x"})) == []


def test_answerer_asks_once_and_again_after_the_offer_that_serves_it() -> None:
    neg = answerer()
    assert neg.tracks_changed(["audio"]) == [Send(RENEGOTIATE, {"seq": 1, "receive": ["audio"]})]
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
    assert neg.offer_accepted("a2", 1, ["video"]) == [
        Send(ANSWER, {"sdp": "a2"}),
        Renegotiated(),
        Send(RENEGOTIATE, {"seq": 2, "receive": ["video"]}),
    ]
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
