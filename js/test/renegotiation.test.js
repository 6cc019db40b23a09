// The renegotiation state machine, driven directly: no timers, no peer
// connection. The same cases as tests/test_negotiation.py on the Python side.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ANSWER, MAX_SEQ, Negotiation, OFFER, RENEGOTIATE, backoffDelay } from "../src/session/renegotiation.js";

const TIMEOUT = 15;
// Jitter draws between half and the whole of each step: 8, then 16, 32, 64, capped at 40.
const BACKOFF = { initial: 8, maximum: 40 };
const MAX_MEDIA_PER_KIND = 8;

/** What a link with no media m-lines yet takes (PeerLink.receivable). @param {string[]} receive */
function fits(receive) {
  const room = new Map([["audio", MAX_MEDIA_PER_KIND], ["video", MAX_MEDIA_PER_KIND]]);
  return receive.filter((kind) => {
    const left = room.get(kind) ?? 0;
    if (left <= 0) return false;
    room.set(kind, left - 1);
    return true;
  });
}

const offerer = () => {
  const neg = new Negotiation(true, { timeout: TIMEOUT, backoff: BACKOFF, fits });
  assert.deepEqual(neg.opened(), []);
  return neg;
};
const answerer = () => {
  const neg = new Negotiation(false, { timeout: TIMEOUT, backoff: BACKOFF, fits });
  assert.deepEqual(neg.opened(), []);
  return neg;
};
const makeOffer = (/** @type {string[]} */ receive, /** @type {number} */ serves) => ({ type: "make-offer", receive, serves });
const renegotiated = { type: "renegotiated" };

/**
 * Report the offer made; check it is sent with a timer; return the timer.
 * @param {Negotiation} neg @param {string} sdp @param {number} [serves]
 */
function sent(neg, sdp, serves = 0) {
  return resent(neg.offerSent(sdp), sdp, serves);
}

/**
 * Check `actions` send the offer with a timer; return the timer.
 * @param {import("../src/session/renegotiation.js").Action[]} actions @param {string} sdp @param {number} [serves]
 */
function resent(actions, sdp, serves = 0) {
  return sentWithTimer(actions, OFFER, { sdp, serves });
}

/**
 * Check `actions` are the request `seq` with its timer; return the timer.
 * @param {import("../src/session/renegotiation.js").Action[]} actions @param {number} seq @param {string[]} receive
 */
function asked(actions, seq, receive) {
  return sentWithTimer(actions, RENEGOTIATE, { seq, receive });
}

/**
 * Check `actions` send `body` on `topic`, then arm the answer's timer; return the timer.
 * @param {import("../src/session/renegotiation.js").Action[]} actions @param {string} topic @param {unknown} body
 */
function sentWithTimer(actions, topic, body) {
  const [send, arm] = actions;
  assert.equal(actions.length, 2);
  assert.deepEqual(send, { type: "send", topic, body });
  assert.ok(arm.type === "arm" && arm.delay === TIMEOUT);
  return arm;
}

/**
 * Check `actions` report the media unavailable and arm the retry at backoff
 * `step`; return the timer.
 * @param {import("../src/session/renegotiation.js").Action[]} actions @param {string} reason @param {number} step
 */
function unavailable(actions, reason, step) {
  const [report, arm] = actions;
  assert.equal(actions.length, 2);
  assert.ok(report.type === "media-unavailable");
  assert.equal(report.reason, reason);
  const ceiling = Math.min(BACKOFF.maximum, BACKOFF.initial * 2 ** step);
  assert.ok(ceiling / 2 <= report.retryIn && report.retryIn <= ceiling, `${report.retryIn} at step ${step}`);
  assert.ok(arm.type === "arm" && arm.delay === report.retryIn);
  return arm;
}

test("the backoff doubles up to its cap, jittered over the upper half", () => {
  for (let attempt = 0; attempt < 8; attempt++) {
    const ceiling = Math.min(40, 8 * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(BACKOFF, attempt);
      assert.ok(ceiling / 2 <= delay && delay <= ceiling);
    }
  }
});

test("offerer: one exchange at a time, coalescing what comes meanwhile", () => {
  const neg = offerer();
  assert.deepEqual(neg.tracksChanged(), [makeOffer([], 0)]);
  sent(neg, "o1");
  // Asked twice while the first offer is out: one more offer, the newest request.
  assert.deepEqual(neg.received(RENEGOTIATE, { seq: 1, receive: ["audio"] }), []);
  assert.deepEqual(neg.received(RENEGOTIATE, { seq: 2, receive: ["video"] }), []);
  assert.deepEqual(neg.tracksChanged(), []);
  assert.ok(neg.busy);
  assert.deepEqual(neg.received(ANSWER, { sdp: "v=0 a" }), [{ type: "apply-answer", sdp: "v=0 a" }]);
  // A repeated answer while the first is being applied is not applied twice.
  assert.deepEqual(neg.received(ANSWER, { sdp: "v=0 b" }), []);
  assert.deepEqual(neg.answerApplied(), [renegotiated, makeOffer(["video"], 2)]);
  sent(neg, "o2", 2);
  assert.deepEqual(neg.received(ANSWER, { sdp: "v=0 c" }), [{ type: "apply-answer", sdp: "v=0 c" }]);
  assert.deepEqual(neg.answerApplied(), [renegotiated]);
  assert.ok(!neg.busy);
});

test("offerer: an answer no offer waits for is ignored", () => {
  const neg = offerer();
  assert.deepEqual(neg.received(ANSWER, { sdp: "v=0" }), []);
  assert.deepEqual(neg.tracksChanged(), [makeOffer([], 0)]);
  assert.deepEqual(neg.received(ANSWER, { sdp: "v=0" }), []); // not sent yet
  assert.deepEqual(neg.answerApplied(), []);
});

test("offerer: serves the highest seq; a stale request does not lower it", () => {
  const neg = offerer();
  assert.deepEqual(neg.received(RENEGOTIATE, { seq: 5, receive: [] }), [makeOffer([], 5)]);
  sent(neg, "o", 5);
  neg.received(RENEGOTIATE, { seq: 3, receive: ["audio"] }); // crossed, older
  neg.received(ANSWER, { sdp: "x" });
  assert.deepEqual(neg.answerApplied(), [renegotiated, makeOffer(["audio"], 5)]);
});

test("offerer: a request that beats its own open event is served on open", () => {
  const neg = new Negotiation(true, { fits });
  assert.deepEqual(neg.received(RENEGOTIATE, { seq: 1, receive: ["audio"] }), []);
  assert.deepEqual(neg.tracksChanged(), []); // not open: opened() decides
  assert.deepEqual(neg.opened(), [makeOffer(["audio"], 1)]);
});

test("offerer: what it reads is checked; the valid part of a request is served", () => {
  const neg = offerer();
  for (const seq of ["1", true, -1, MAX_SEQ + 2, 1.5]) {
    assert.deepEqual(neg.received(RENEGOTIATE, { seq, receive: [] }), [
      { type: "refused", reason: `session.renegotiate: 'seq' must be an integer from 0 to ${MAX_SEQ}` },
    ]);
  }
  assert.deepEqual(neg.received(RENEGOTIATE, { seq: 1, receive: "audio" }), [
    { type: "refused", reason: "session.renegotiate: 'receive' must be a list of track kinds" },
  ]);
  assert.deepEqual(neg.received(RENEGOTIATE, ["not", "an", "object"]), [
    { type: "refused", reason: "session.renegotiate is not a JSON object" },
  ]);
  const wanted = [...Array(MAX_MEDIA_PER_KIND + 2).fill("audio"), "text"];
  const [refused, offer] = neg.received(RENEGOTIATE, { seq: 1, receive: wanted });
  assert.deepEqual(refused, { type: "refused", reason: `session.renegotiate: 3 of ${wanted.length} receivers refused` });
  assert.deepEqual(offer, makeOffer(Array(MAX_MEDIA_PER_KIND).fill("audio"), 1));
  sent(neg, "o", 1);
  assert.deepEqual(neg.received(ANSWER, { sdp: 1 }), [{ type: "refused", reason: "session.answer: 'sdp' must be a string" }]);
  assert.deepEqual(neg.received(ANSWER, undefined), [{ type: "refused", reason: "session.answer: 'sdp' must be a string" }]);
  assert.ok(neg.busy); // still waiting for a real answer
});

test("offerer: the link is replaced only when it cannot make an offer", () => {
  let neg = offerer();
  assert.deepEqual(neg.tracksChanged(), [makeOffer([], 0)]);
  assert.deepEqual(neg.failed("making an offer: boom"), [{ type: "replace", error: "renegotiation failed: making an offer: boom" }]);
  // The link is gone: nothing more happens on it.
  assert.deepEqual(neg.failed("again"), []);
  assert.deepEqual(neg.tracksChanged(), []);
  assert.deepEqual(neg.received(RENEGOTIATE, { seq: 1, receive: [] }), []);
  neg = offerer();
  neg.tracksChanged();
  assert.deepEqual(neg.failed(""), [{ type: "replace", error: "renegotiation failed: no reason given" }]);
});

test("offerer: an answer that never comes keeps the link, and the same offer goes again", () => {
  const neg = offerer();
  assert.deepEqual(neg.tracksChanged(), [makeOffer([], 0)]);
  let timer = sent(neg, "o1");
  const noAnswer = `no session.answer within ${TIMEOUT} s`;
  let backoff = unavailable(neg.expired(timer.token), noAnswer, 0);
  assert.deepEqual(neg.expired(timer.token), []); // a timer goes off once
  assert.ok(neg.busy && neg.unanswered === 1);
  // Meanwhile a request is remembered, not served: the offer is still pending.
  assert.deepEqual(neg.received(RENEGOTIATE, { seq: 3, receive: ["audio"] }), []);
  timer = resent(neg.expired(backoff.token), "o1");
  // Unanswered again: the backoff doubles, up to its cap.
  for (const step of [1, 2, 3]) {
    backoff = unavailable(neg.expired(timer.token), noAnswer, step);
    timer = resent(neg.expired(backoff.token), "o1");
  }
  assert.equal(neg.unanswered, 4);
  // The answer comes at last: the remembered request is served next, the backoff starts over.
  assert.deepEqual(neg.received(ANSWER, { sdp: "a1" }), [{ type: "apply-answer", sdp: "a1" }]);
  assert.deepEqual(neg.expired(timer.token), []); // its timer is moot
  assert.deepEqual(neg.answerApplied(), [renegotiated, makeOffer(["audio"], 3)]);
  assert.equal(neg.unanswered, 0);
  timer = sent(neg, "o2", 3);
  unavailable(neg.expired(timer.token), noAnswer, 0);
});

test("offerer: a late answer is taken while it waits to send again", () => {
  const neg = offerer();
  neg.tracksChanged();
  const timer = sent(neg, "o1");
  const backoff = unavailable(neg.expired(timer.token), `no session.answer within ${TIMEOUT} s`, 0);
  assert.deepEqual(neg.received(ANSWER, { sdp: "late" }), [{ type: "apply-answer", sdp: "late" }]);
  assert.deepEqual(neg.expired(backoff.token), []); // not sent again
  assert.deepEqual(neg.answerApplied(), [renegotiated]);
  assert.ok(!neg.busy && neg.unanswered === 0);
});

test("offerer: an offer whose answer could not be applied is sent again", () => {
  const neg = offerer();
  neg.tracksChanged();
  sent(neg, "o1");
  assert.deepEqual(neg.received(ANSWER, { sdp: "bad" }), [{ type: "apply-answer", sdp: "bad" }]);
  const backoff = unavailable(neg.answerFailed("bad SDP"), "its session.answer could not be applied: bad SDP", 0);
  assert.deepEqual(neg.answerFailed("twice"), []); // nothing is being applied any more
  resent(neg.expired(backoff.token), "o1");
});

test("the timers of a closed link do nothing", () => {
  const neg = offerer();
  neg.tracksChanged();
  const timer = sent(neg, "o1");
  neg.closed();
  assert.deepEqual(neg.expired(timer.token), []);
  assert.deepEqual(neg.offerSent("late"), []);
});

test("the offerer ignores offers and the answerer requests and answers", () => {
  assert.deepEqual(offerer().received(OFFER, { sdp: "x" }), []);
  assert.deepEqual(answerer().received(RENEGOTIATE, { seq: 1, receive: [] }), []);
  assert.deepEqual(answerer().received(ANSWER, { sdp: "x" }), []);
});

test("answerer: asks once, and again after the offer that serves it", () => {
  const neg = answerer();
  asked(neg.tracksChanged(["audio"]), 1, ["audio"]);
  assert.equal(neg.asked, 1);
  // Another track while the first request is out: asked again only afterwards.
  assert.deepEqual(neg.tracksChanged(["audio", "video"]), []);
  // An offer made before our request (serves 0) does not answer it.
  assert.deepEqual(neg.received(OFFER, { sdp: "o1" }), [{ type: "accept-offer", sdp: "o1", serves: 0 }]);
  assert.deepEqual(neg.offerAccepted("a1", 0, ["audio", "video"]), [{ type: "send", topic: ANSWER, body: { sdp: "a1" } }, renegotiated]);
  assert.equal(neg.asked, 1);
  assert.deepEqual(neg.received(OFFER, { sdp: "o2", serves: 1 }), [{ type: "accept-offer", sdp: "o2", serves: 1 }]);
  const [answer, done, ...again] = neg.offerAccepted("a2", 1, ["video"]);
  assert.deepEqual([answer, done], [{ type: "send", topic: ANSWER, body: { sdp: "a2" } }, renegotiated]);
  asked(again, 2, ["video"]);
  neg.received(OFFER, { sdp: "o3", serves: 2 });
  assert.deepEqual(neg.offerAccepted("a3", 2, []), [{ type: "send", topic: ANSWER, body: { sdp: "a3" } }, renegotiated]);
  assert.ok(!neg.busy);
});

test("answerer: a bad offer is refused, and one before open ignored", () => {
  assert.deepEqual(new Negotiation(false).received(OFFER, { sdp: "x" }), []);
  const neg = answerer();
  assert.deepEqual(neg.received(OFFER, { sdp: 1 }), [{ type: "refused", reason: "session.offer: 'sdp' must be a string" }]);
  assert.deepEqual(neg.received(OFFER, { sdp: "x", serves: null }), [
    { type: "refused", reason: `session.offer: 'serves' must be an integer from 0 to ${MAX_SEQ}` },
  ]);
  assert.deepEqual(neg.received(OFFER, { sdp: "x", serves: -1 }), [
    { type: "refused", reason: `session.offer: 'serves' must be an integer from 0 to ${MAX_SEQ}` },
  ]);
  assert.deepEqual(neg.received(OFFER, []), [{ type: "refused", reason: "session.offer: 'sdp' must be a string" }]);
});

test("answerer: an unserved request is reported and asked again after the backoff", () => {
  const neg = answerer();
  let timer = asked(neg.tracksChanged(["video"]), 1, ["video"]);
  let backoff = unavailable(neg.expired(timer.token), `no session.offer serving session.renegotiate 1 within ${TIMEOUT} s`, 0);
  assert.deepEqual(neg.tracksChanged(["video", "audio"]), []); // still one request at a time
  // Asked again with what is wanted now, under a new seq.
  timer = asked(neg.expired(backoff.token, ["video", "audio"]), 2, ["video", "audio"]);
  backoff = unavailable(neg.expired(timer.token), `no session.offer serving session.renegotiate 2 within ${TIMEOUT} s`, 1);
  timer = asked(neg.expired(backoff.token, ["video", "audio"]), 3, ["video", "audio"]);
  // An offer serving it: the timer is moot and the backoff starts over.
  assert.deepEqual(neg.received(OFFER, { sdp: "o", serves: 3 }), [{ type: "accept-offer", sdp: "o", serves: 3 }]);
  assert.deepEqual(neg.offerAccepted("a", 3, []), [{ type: "send", topic: ANSWER, body: { sdp: "a" } }, renegotiated]);
  assert.deepEqual(neg.expired(timer.token), []);
  assert.ok(!neg.busy && neg.unanswered === 0);
  timer = asked(neg.tracksChanged(["audio"]), 4, ["audio"]);
  unavailable(neg.expired(timer.token), `no session.offer serving session.renegotiate 4 within ${TIMEOUT} s`, 0);
});

test("answerer: an offer serving an older request does not stop the timer", () => {
  const neg = answerer();
  const timer = asked(neg.tracksChanged(["video"]), 1, ["video"]);
  neg.received(OFFER, { sdp: "o", serves: 0 });
  neg.offerAccepted("a", 0, ["video"]);
  unavailable(neg.expired(timer.token), `no session.offer serving session.renegotiate 1 within ${TIMEOUT} s`, 0);
});

test("answerer: an offer that leaves asked-for tracks without m-lines is reported, asked again after the backoff", () => {
  // The offerer serves the request but refuses its receivers (its limit of
  // m-lines of a kind): asking again at once would repeat that exchange
  // without end.
  const neg = answerer();
  const timer = asked(neg.tracksChanged(["video"]), 1, ["video"]);
  assert.deepEqual(neg.received(OFFER, { sdp: "o1", serves: 1 }), [{ type: "accept-offer", sdp: "o1", serves: 1 }]);
  const [answer, done, ...rest] = neg.offerAccepted("a1", 1, ["video"]);
  assert.deepEqual([answer, done], [{ type: "send", topic: ANSWER, body: { sdp: "a1" } }, renegotiated]);
  let backoff = unavailable(rest, "the session.offer serving session.renegotiate 1 left 1 track without an m-line", 0);
  assert.deepEqual(neg.expired(timer.token), []); // the request's own timer is moot
  asked(neg.expired(backoff.token, ["video", "video"]), 2, ["video", "video"]);
  neg.received(OFFER, { sdp: "o2", serves: 2 });
  const [, , ...again] = neg.offerAccepted("a2", 2, ["video", "video"]);
  backoff = unavailable(again, "the session.offer serving session.renegotiate 2 left 2 tracks without an m-line", 1);
  // A track added meanwhile is asked for at the end of the backoff as usual.
  assert.deepEqual(neg.tracksChanged(["video", "video", "audio"]), []);
  asked(neg.expired(backoff.token, ["video", "video", "audio"]), 3, ["video", "video", "audio"]);
  neg.received(OFFER, { sdp: "o3", serves: 3 });
  assert.deepEqual(neg.offerAccepted("a3", 3, []), [{ type: "send", topic: ANSWER, body: { sdp: "a3" } }, renegotiated]);
  assert.ok(!neg.busy && neg.unanswered === 0);
});

test("an offerer at its limit and an answerer that keeps wanting do not loop", () => {
  // The two state machines wired together, the offerer refusing every
  // receiver: one exchange, then nothing until the backoff's timer.
  const off = new Negotiation(true, { timeout: TIMEOUT, backoff: BACKOFF, fits: () => [] });
  const ans = answerer();
  off.opened();
  let messages = 0;
  /** @type {import("../src/session/renegotiation.js").Action[]} */
  let pending = ans.tracksChanged(["video"]);
  for (let round = 0; round < 20 && pending.length; round++) {
    /** @type {import("../src/session/renegotiation.js").Action[]} */
    const next = [];
    for (const action of pending) {
      if (action.type === "send") {
        messages++;
        const to = action.topic === OFFER ? ans : off; // requests and answers go to the offerer
        next.push(...to.received(action.topic, action.body));
      } else if (action.type === "make-offer") next.push(...off.offerSent(`offer ${messages}`));
      else if (action.type === "apply-answer") next.push(...off.answerApplied());
      else if (action.type === "accept-offer") next.push(...ans.offerAccepted("answer", action.serves, ["video"]));
    }
    pending = next;
  }
  assert.equal(messages, 3); // the request, the offer, the answer
  assert.equal(ans.unanswered, 1);
});
