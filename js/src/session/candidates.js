// Trickled ICE candidates from the other side of a link: checked, then held
// or taken, with the same bounds as avacollab/peer/candidates.py.
//
// A peer that trickles sends its description at once and each candidate
// after it in a `candidate` signaling message (docs/protocol.md), then null
// for end-of-candidates. Signaling delivers them in order, but applying a
// description takes a while, and a browser refuses a candidate before its
// remote description: those are held (at most MAX_EARLY_CANDIDATES) and
// added with it. A link takes at most MAX_REMOTE_CANDIDATES in all, since
// ICE checks each against every local candidate. No I/O here: the link
// (link.js) adds what `receive` and `described` return.

export const MAX_EARLY_CANDIDATES = 32;
export const MAX_REMOTE_CANDIDATES = 64;
/** The signaling server's bounds (docs/protocol.md, Limits). */
export const MAX_CANDIDATE = 1024;
export const MAX_MID = 64;
const MAX_INDEX = 1023;

/** A candidate message that is malformed, or comes when none is taken. */
export class CandidateError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "CandidateError";
  }
}

/** @param {unknown} value */
const short = (value) => {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
};

/**
 * A `candidate` message's `candidate`, checked: an RTCIceCandidateInit with
 * only the fields the protocol carries, or null for end-of-candidates (null,
 * or an empty line as in the browser API). The line itself is left to the
 * browser's addIceCandidate. Throws CandidateError with the reason.
 * @param {unknown} body
 * @returns {RTCIceCandidateInit | null}
 */
export function checkCandidate(body) {
  if (body === null) return null;
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new CandidateError(`'candidate' is ${Array.isArray(body) ? "an array" : typeof body}, not an object or null`);
  }
  const { candidate: line, sdpMid: mid, sdpMLineIndex: index } = /** @type {any} */ (body);
  if (typeof line !== "string") throw new CandidateError(`'candidate.candidate' is ${typeof line}, not a string`);
  if (line.length > MAX_CANDIDATE) {
    throw new CandidateError(`candidate line of ${line.length} characters, at most ${MAX_CANDIDATE}`);
  }
  if (mid != null && (typeof mid !== "string" || mid.length > MAX_MID)) {
    throw new CandidateError(`'sdpMid' ${short(mid)} is not a string of at most ${MAX_MID}`);
  }
  if (index != null && (!Number.isInteger(index) || index < 0 || index > MAX_INDEX)) {
    throw new CandidateError(`'sdpMLineIndex' ${short(index)} is not an integer 0-${MAX_INDEX}`);
  }
  if (line.trim() === "") return null;
  if (mid == null && index == null) throw new CandidateError("neither 'sdpMid' nor 'sdpMLineIndex' says which m-line");
  /** @type {RTCIceCandidateInit} */
  const init = { candidate: line };
  if (mid != null) init.sdpMid = mid;
  if (index != null) init.sdpMLineIndex = index;
  return init;
}

/**
 * One link's trickled candidates: what to add now, what to hold, what to
 * refuse. End-of-candidates is held apart, so it always comes last.
 */
export class RemoteCandidates {
  constructor({ maxEarly = MAX_EARLY_CANDIDATES, maxTotal = MAX_REMOTE_CANDIDATES } = {}) {
    this.maxEarly = maxEarly;
    this.maxTotal = maxTotal;
    this.isDescribed = false;
    this.taken = 0; // held ones included
    this.ended = false;
    /** @type {RTCIceCandidateInit[]} */
    this.held = [];
  }

  /**
   * Candidates to add now: `[candidate]`, or `[]` while they are held. Throws
   * CandidateError after end-of-candidates, past maxTotal, or past maxEarly
   * held ones (that one is dropped; those held stay).
   * @param {RTCIceCandidateInit | null} candidate
   * @returns {Array<RTCIceCandidateInit | null>}
   */
  receive(candidate) {
    if (this.ended) throw new CandidateError("after end-of-candidates");
    if (candidate === null) {
      this.ended = true;
      return this.isDescribed ? [null] : [];
    }
    if (this.taken >= this.maxTotal) throw new CandidateError(`more than ${this.maxTotal} candidates on one connection`);
    if (!this.isDescribed) {
      if (this.held.length >= this.maxEarly) {
        throw new CandidateError(`more than ${this.maxEarly} candidates before the remote description`);
      }
      this.held.push(candidate);
      this.taken++;
      return [];
    }
    this.taken++;
    return [candidate];
  }

  /**
   * The remote description is applied: the held candidates, to add now.
   * @returns {Array<RTCIceCandidateInit | null>}
   */
  described() {
    if (this.isDescribed) return [];
    this.isDescribed = true;
    /** @type {Array<RTCIceCandidateInit | null>} */
    const ready = this.held.splice(0);
    if (this.ended) ready.push(null);
    return ready;
  }
}
