// Renegotiation of one link as a state machine without I/O: the JavaScript
// twin of avacollab/peer/negotiation.py (docs/session.md, "Renegotiation").
//
// Once a link is open, renegotiation runs over the pair's bus: the answerer
// asks with `session.renegotiate` (`seq`, the kinds it wants to send), the
// offerer sends `session.offer` (`serves`: the newest `seq` it has read) and
// gets `session.answer`. A Negotiation holds what one side of one link knows
// about that; the session feeds it events and carries out the actions it
// returns (./negotiation.js). It never waits, sends or touches the
// RTCPeerConnection, so tests drive it directly.
//
// A peer that never answers (a hostile peer, a client without renegotiation)
// costs only its media: an exchange not finished within `timeout` seconds is
// reported (`media-unavailable`) and tried again after a backoff that doubles
// up to a cap and starts over when an exchange finishes. The offerer keeps
// its offer pending meanwhile (aiortc peers cannot roll one back, and the
// Python side behaves the same) and sends the same offer again, which an
// answer can still meet at any time. The data channels are unaffected.

export const RENEGOTIATE = "session.renegotiate";
export const OFFER = "session.offer";
export const ANSWER = "session.answer";
/** Largest `seq` or `serves`: the largest integer JavaScript keeps exact. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/** Largest `session.renegotiate` payload read (negotiation.py's MAX_REQUEST_BYTES); a real one is under 200 bytes. */
export const MAX_REQUEST_BYTES = 1024;
/** Seconds an unanswered renegotiation waits before it is tried again: about
 * 15, doubling with each unanswered try up to 5 minutes (jittered). */
export const RENEGOTIATION_BACKOFF = Object.freeze({ initial: 15, maximum: 300, factor: 2 });

/**
 * @typedef {{ initial: number, maximum: number, factor?: number }} Backoff
 * @typedef {{ type: "send", topic: string, body: Record<string, unknown> }} Send
 *   publish `body` as JSON on `topic` to the peer (losing it to a bus error is fine)
 * @typedef {{ type: "make-offer", receive: string[], serves: number }} MakeOffer
 *   offerer: make an offer receiving `receive`, then report offerSent(sdp) or failed(error)
 * @typedef {{ type: "apply-answer", sdp: string }} ApplyAnswer
 *   offerer: apply this answer, then report answerApplied() or answerFailed(error)
 * @typedef {{ type: "accept-offer", sdp: string, serves: number }} AcceptOffer
 *   answerer: apply this offer and report offerAccepted(answer, serves, wanted)
 * @typedef {{ type: "refused", reason: string }} Refused
 *   a peer's message broke a rule: log it; nothing else changes
 * @typedef {{ type: "renegotiated" }} Renegotiated an exchange finished
 * @typedef {{ type: "arm", delay: number, token: number }} Arm
 *   call expired(token) after `delay` seconds; a new timer replaces the one before
 * @typedef {{ type: "media-unavailable", reason: string, retryIn: number }} MediaUnavailable
 *   the peer did not renegotiate: report it; tried again in `retryIn` seconds
 * @typedef {{ type: "replace", error: string }} Replace
 *   the link cannot offer any more (making an offer failed here): replace it
 * @typedef {Send | MakeOffer | ApplyAnswer | AcceptOffer | Refused | Renegotiated | Arm | MediaUnavailable | Replace} Action
 */

/**
 * A delay of the backoff for the `attempt`-th try in a row (0 first): full
 * jitter over the upper half, as the Python side does.
 * @param {Backoff} backoff
 * @param {number} attempt
 */
export function backoffDelay(backoff, attempt) {
  const ceiling = Math.min(backoff.maximum, backoff.initial * (backoff.factor ?? 2) ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/** @param {unknown} value */
function isCounter(value) {
  return Number.isSafeInteger(value) && /** @type {number} */ (value) >= 0;
}

// Offerer states. STALLED: the offer is pending and unanswered, waiting to be sent again.
const IDLE = "idle";
const OFFERING = "offering";
const AWAITING = "awaiting";
const STALLED = "stalled";
const APPLYING = "applying";

/** One side of one link's renegotiation. */
export class Negotiation {
  /**
   * @param {boolean} offerer this side makes the offers
   * @param {object} [options]
   * @param {number} [options.timeout] seconds the peer has to answer an offer or serve a request (15)
   * @param {Backoff} [options.backoff] how long an unanswered exchange waits before it is tried again
   * @param {(receive: string[]) => string[]} [options.fits] the part of a request the link can take
   */
  constructor(offerer, { timeout = 15, backoff = RENEGOTIATION_BACKOFF, fits = (r) => r } = {}) {
    this.offerer = offerer;
    this._timeout = timeout;
    this._backoff = backoff;
    this._fits = fits;
    this._open = false;
    this._token = 0; // of the timer that counts; older ones are ignored
    this._unanswered = 0; // exchanges unanswered in a row: the backoff's step
    // Offerer: the newest request, whether an offer is due, and the offer in flight.
    /** @type {string[]} */
    this._receive = [];
    this._serves = 0;
    this._dirty = false;
    this._offer = IDLE;
    /** @type {{ sdp: string, serves: number } | null} the offer sent, to send again */
    this._pending = null;
    /** @type {unknown} a request that beat our own open event */
    this._early = undefined;
    this._offeringServes = 0;
    // Answerer: our outstanding request (0: none), whether its answer is
    // overdue, and whether to ask again after it.
    this._asked = 0;
    this._askStalled = false;
    this._askAgain = false;
    this._requests = 0;
  }

  /** An exchange is under way or asked for. */
  get busy() {
    return this._offer !== IDLE || this._dirty || this._asked > 0;
  }

  /** Answerer: the `seq` of the outstanding request (0: none). */
  get asked() {
    return this._asked;
  }

  /** Exchanges the peer has left unanswered in a row (0 once one finishes). */
  get unanswered() {
    return this._unanswered;
  }

  // -- events ----------------------------------------------------------------

  /**
   * The link's channels are open: serve a request that came before.
   * @returns {Action[]}
   */
  opened() {
    this._open = true;
    const early = this._early;
    this._early = undefined;
    return early === undefined ? [] : this.received(RENEGOTIATE, early);
  }

  /** The link is gone: nothing more happens on it. */
  closed() {
    this._open = false;
    this._offer = IDLE;
    this._dirty = false;
    this._token++;
  }

  /**
   * Local tracks were added or removed. `wanted`: the answerer's
   * PeerLink.wantedReceivers() (the offerer's is not asked).
   * @param {string[]} [wanted]
   * @returns {Action[]}
   */
  tracksChanged(wanted = []) {
    if (!this._open) return []; // opened() looks again
    if (this.offerer) {
      this._dirty = true;
      return this._nextOffer();
    }
    if (this._asked) {
      this._askAgain = true;
      return [];
    }
    return this._ask(wanted);
  }

  /**
   * A bus message from the peer on one of the renegotiation topics, its
   * body parsed (undefined when it was not JSON). SDPs are checked by the
   * caller (checkSdp), which passes null for one that is not acceptable.
   * @param {string} topic
   * @param {unknown} body
   * @returns {Action[]}
   */
  received(topic, body) {
    if (topic === RENEGOTIATE) return this.offerer ? this._onRequest(body) : [];
    if (topic === ANSWER) return this.offerer ? this._onAnswer(body) : [];
    if (topic === OFFER && !this.offerer && this._open) {
      const fields = /** @type {Record<string, unknown>} */ (isObject(body) ? body : {});
      const serves = "serves" in fields ? fields.serves : 0; // null is refused, as in Python
      if (typeof fields.sdp !== "string") return [{ type: "refused", reason: "session.offer: 'sdp' must be a string" }];
      if (!isCounter(serves)) return [{ type: "refused", reason: `session.offer: 'serves' must be an integer from 0 to ${MAX_SEQ}` }];
      return [{ type: "accept-offer", sdp: fields.sdp, serves: /** @type {number} */ (serves) }];
    }
    return [];
  }

  /**
   * Offerer: the MakeOffer offer is made: send it and wait for the answer.
   * @param {string} sdp
   * @returns {Action[]}
   */
  offerSent(sdp) {
    if (this._offer !== OFFERING || !this._open) return [];
    this._pending = { sdp, serves: this._offeringServes };
    return this._sendOffer();
  }

  /**
   * Offerer: the ApplyAnswer answer is applied; the link is stable.
   * @returns {Action[]}
   */
  answerApplied() {
    if (this._offer !== APPLYING) return [];
    this._offer = IDLE;
    this._pending = null;
    this._unanswered = 0;
    return [{ type: "renegotiated" }, ...this._nextOffer()];
  }

  /**
   * Offerer: the ApplyAnswer answer could not be applied. The offer stays
   * pending: it is sent again after the backoff.
   * @param {string} error
   * @returns {Action[]}
   */
  answerFailed(error) {
    if (this._offer !== APPLYING || !this._open) return [];
    return this._stall(`its session.answer could not be applied: ${error}`);
  }

  /**
   * Offerer: making the MakeOffer offer failed on this side. The link may be
   * left with a half-made offer: it must go.
   * @param {string} error
   * @returns {Action[]}
   */
  failed(error) {
    if (this._offer === IDLE || !this._open) return [];
    this.closed();
    return [{ type: "replace", error: `renegotiation failed: ${error || "no reason given"}` }];
  }

  /**
   * The Arm timer with `token` went off. `wanted`: the answerer's
   * PeerLink.wantedReceivers() now, should it ask again.
   * @param {number} token
   * @param {string[]} [wanted]
   * @returns {Action[]}
   */
  expired(token, wanted = []) {
    if (token !== this._token || !this._open) return []; // an exchange that has moved on
    if (this.offerer) {
      if (this._offer === AWAITING) return this._stall(`no session.answer within ${this._timeout} s`);
      if (this._offer === STALLED) return this._sendOffer();
      return [];
    }
    if (!this._asked) return [];
    if (!this._askStalled) {
      return this._stall(`no session.offer serving session.renegotiate ${this._asked} within ${this._timeout} s`);
    }
    // Asked again with a new seq: any later offer that serves it will do.
    this._askStalled = this._askAgain = false;
    return this._ask(wanted);
  }

  /**
   * Answerer: the AcceptOffer offer is applied and `answer` made. `wanted` is
   * PeerLink.wantedReceivers() now: tracks the offer gave no m-line are
   * asked for again. If the offer served our request and, with no track
   * added since, some of what it asked for still has no m-line, the offerer
   * refused it (its limit of m-lines of a kind): that is reported and asked
   * again after the backoff, not at once, which would repeat the same
   * exchange without end.
   * @param {string} answer
   * @param {number} serves
   * @param {string[]} wanted
   * @returns {Action[]}
   */
  offerAccepted(answer, serves, wanted) {
    /** @type {Action[]} */
    const actions = [{ type: "send", topic: ANSWER, body: { sdp: answer } }, { type: "renegotiated" }];
    if (this._asked && serves >= this._asked && wanted.length && !this._askAgain) {
      const refused = wanted.length;
      return [...actions, ...this._stall(
        `the session.offer serving session.renegotiate ${this._asked} left ${refused} track${refused > 1 ? "s" : ""} without an m-line`,
      )];
    }
    if (this._asked && serves >= this._asked) {
      this._asked = 0;
      this._askStalled = false;
      this._unanswered = 0;
      this._token++; // its timer is moot
    }
    if (!this._asked && (this._askAgain || wanted.length)) {
      this._askAgain = false;
      actions.push(...this._ask(wanted));
    }
    return actions;
  }

  // -- inside ------------------------------------------------------------------

  /** @param {number} delay @returns {Arm} */
  _arm(delay) {
    this._token++;
    return { type: "arm", delay, token: this._token };
  }

  /**
   * The peer left an exchange unanswered: report it, try again after the backoff.
   * @param {string} reason
   * @returns {Action[]}
   */
  _stall(reason) {
    const delay = backoffDelay(this._backoff, this._unanswered);
    this._unanswered++;
    if (this.offerer) this._offer = STALLED;
    else this._askStalled = true;
    return [{ type: "media-unavailable", reason, retryIn: delay }, this._arm(delay)];
  }

  /** @returns {Action[]} */
  _sendOffer() {
    this._offer = AWAITING;
    return [{ type: "send", topic: OFFER, body: { ...this._pending } }, this._arm(this._timeout)];
  }

  /** @param {string[]} wanted @returns {Action[]} */
  _ask(wanted) {
    this._requests++;
    this._asked = this._requests;
    return [{ type: "send", topic: RENEGOTIATE, body: { seq: this._asked, receive: [...wanted] } }, this._arm(this._timeout)];
  }

  /**
   * Offerer: one exchange at a time, coalescing what was asked meanwhile.
   * @returns {Action[]}
   */
  _nextOffer() {
    if (!this._dirty || this._offer !== IDLE || !this._open) return [];
    this._dirty = false;
    const receive = this._fits(this._receive);
    this._receive = [];
    this._offer = OFFERING;
    this._offeringServes = this._serves;
    return [{ type: "make-offer", receive, serves: this._serves }];
  }

  /** @param {unknown} body @returns {Action[]} */
  _onRequest(body) {
    if (!this._open) {
      // The answerer's channels opened first and it asked at once; serve
      // it when ours are open too.
      this._early = body;
      return [];
    }
    const request = /** @type {Record<string, unknown>} */ (isObject(body) ? body : {});
    const { seq, receive } = request;
    if (!isObject(body)) return [{ type: "refused", reason: "session.renegotiate is not a JSON object" }];
    if (!isCounter(seq)) return [{ type: "refused", reason: `session.renegotiate: 'seq' must be an integer from 0 to ${MAX_SEQ}` }];
    if (!Array.isArray(receive) || !receive.every((kind) => typeof kind === "string")) {
      return [{ type: "refused", reason: "session.renegotiate: 'receive' must be a list of track kinds" }];
    }
    /** @type {Action[]} */
    const actions = [];
    // The newest request lists every track still waiting: it replaces older ones.
    this._receive = this._fits(receive);
    if (this._receive.length < receive.length) {
      actions.push({ type: "refused", reason: `session.renegotiate: ${receive.length - this._receive.length} of ${receive.length} receivers refused` });
    }
    this._serves = Math.max(this._serves, /** @type {number} */ (seq));
    this._dirty = true;
    return [...actions, ...this._nextOffer()];
  }

  /** @param {unknown} body @returns {Action[]} */
  _onAnswer(body) {
    if (this._offer !== AWAITING && this._offer !== STALLED) return []; // a late or repeated answer
    const sdp = isObject(body) ? /** @type {Record<string, unknown>} */ (body).sdp : undefined;
    // The offer stays pending on a bad answer: the timer sends it again.
    if (typeof sdp !== "string") return [{ type: "refused", reason: "session.answer: 'sdp' must be a string" }];
    // A late answer (after the timeout) still meets the offer, which is the
    // same one each time it is sent.
    this._offer = APPLYING;
    this._token++;
    return [{ type: "apply-answer", sdp }];
  }
}

/** @param {unknown} value @returns {value is object} */
function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
