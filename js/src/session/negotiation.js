// Offers and answers: a link's first negotiation over the signaling server,
// and renegotiation (a track added or removed) over the pair's bus.
//
// The functions take the Session whose peers they negotiate with; the rules
// are in session.js and docs/session.md.

import { BusError, messageJson } from "../bus/bus.js";
import { LinkError, Peer, checkSdp, isOfferer, sleep } from "./link.js";

/** @typedef {import("./session.js").Session} Session */
/** @typedef {import("./link.js").PeerLink} PeerLink */

export const RENEGOTIATE = "session.renegotiate";
export const OFFER = "session.offer";
export const ANSWER = "session.answer";
/** Kinds a renegotiation request may ask to receive. */
const KINDS = new Set(["audio", "video"]);

/**
 * A peer's `session.renegotiate` body, checked: `seq` a positive integer,
 * `receive` at most `maxReceive` kinds (only audio and video are kept).
 * Returns null for anything else.
 * @param {unknown} body
 * @param {number} maxReceive
 * @returns {{ seq: number, receive: string[] } | null}
 */
export function parseRenegotiate(body, maxReceive) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const { seq, receive } = /** @type {any} */ (body);
  if (!Number.isSafeInteger(seq) || seq < 0 || !Array.isArray(receive) || receive.length > maxReceive) return null;
  return { seq, receive: receive.filter((kind) => typeof kind === "string" && KINDS.has(kind)) };
}

/**
 * Offerer: connect, and replace the connection each time it fails.
 * @param {Session} session
 * @param {Peer} peer
 */
export async function connect(session, peer) {
  if (peer.connecting) return;
  peer.connecting = true;
  try {
    while (!peer.gone && !session._closing) {
      if (peer.failures > session.maxRetries) {
        session._emit("link-failed", {
          peer: peer.id, reason: "gave-up", attempt: peer.failures, final: true,
          error: `no connection after ${peer.failures} attempts`,
        });
        return;
      }
      if (peer.failures) {
        const ceiling = Math.min(session.retryBackoff.maximum, session.retryBackoff.initial * 2 ** (peer.failures - 1));
        await sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
        if (peer.gone || session._closing) return;
      }
      session._dropLink(peer);
      const link = session._newLink(peer);
      try {
        const sdp = await link.createOffer();
        if (peer.link !== link) throw new LinkError("replaced", "failed");
        session.signaling.relay("offer", peer.id, { sdp });
        link.descriptionSent();
        await link.waitOpen(session.connectTimeout);
      } catch (error) {
        if (peer.gone || session._closing) return;
        peer.failures++;
        session._reportFailure(peer, error);
        continue;
      }
      session._opened(peer, link);
      return;
    }
  } finally {
    peer.connecting = false;
  }
}

/**
 * Answerer: report an offerer that stays silent.
 * @param {Session} session
 * @param {Peer} peer
 */
export function awaitOffer(session, peer) {
  clearTimeout(peer.offerTimer);
  peer.offerTimer = setTimeout(() => {
    session._emit("link-failed", {
      peer: peer.id, reason: "timeout", attempt: 0, final: false,
      error: `no offer from ${peer.id} within ${session.connectTimeout} s`,
    });
  }, session.connectTimeout * 1000);
}

/**
 * @param {Session} session
 * @param {string} sender
 * @param {unknown} body
 */
export async function onOffer(session, sender, body) {
  const sdp = checkSdp(body, session.maxSdpBytes);
  let peer = session._peers.get(sender);
  if (sdp === null || !sender) {
    console.warn("session: offer refused from", sender);
    return;
  }
  if (peer === undefined) {
    // The offer overtook the peer-joined.
    peer = new Peer(sender, "", isOfferer(session.peerId, sender));
    session._peers.set(sender, peer);
  }
  if (peer.offerer || peer.gone) {
    console.warn("session: offer ignored from", sender);
    return;
  }
  clearTimeout(peer.offerTimer);
  session._dropLink(peer);
  const link = session._newLink(peer);
  try {
    const answer = await link.acceptOffer(sdp);
    if (peer.link !== link) return; // a newer offer replaced it meanwhile
    session.signaling.relay("answer", peer.id, { sdp: answer });
    link.descriptionSent();
    await link.waitOpen(session.connectTimeout);
  } catch (error) {
    if (peer.link === link) {
      session._reportFailure(peer, error);
      session._dropLink(peer);
      if (!peer.gone && !session._closing) awaitOffer(session, peer);
    }
    return;
  }
  if (peer.link === link) session._opened(peer, link);
}

/**
 * @param {Session} session
 * @param {string} sender
 * @param {unknown} body
 */
export async function onAnswer(session, sender, body) {
  const link = session._peers.get(sender)?.link;
  const sdp = checkSdp(body, session.maxSdpBytes);
  if (link == null || !link.offerer || link.pc.signalingState !== "have-local-offer" || sdp === null) {
    console.warn("session: answer ignored from", sender);
    return;
  }
  try {
    await link.acceptAnswer(sdp);
  } catch (error) {
    console.warn("session: answer rejected from", sender, error);
    link.close(); // _connect's waitOpen sees it and retries
  }
}

/**
 * A candidate the peer trickled (browsers do; aiortc peers put theirs in
 * the SDP). Whatever is wrong with it is logged and costs that candidate only.
 * @param {Session} session
 * @param {string} sender
 * @param {unknown} candidate
 */
export async function onCandidate(session, sender, candidate) {
  const link = session._peers.get(sender)?.link;
  if (link == null) {
    console.warn("session: candidate ignored from", sender, "(no connection to that peer)");
    return;
  }
  try {
    await link.addCandidate(candidate);
  } catch (error) {
    console.warn("session: candidate refused from", sender, String(error instanceof Error ? error.message : error));
  }
}

/**
 * Make the peer's link send exactly the session's tracks; renegotiate if
 * anything changed (unless `renegotiate` is false). Returns whether it did.
 * @param {Session} session
 * @param {Peer} peer
 * @param {boolean} [renegotiate]
 */
export function syncTracks(session, peer, renegotiate = true) {
  const link = peer.link;
  if (link === null || !peer.connected) return false; // _opened adds them
  let changed = false;
  for (const [track, sender] of [...link.senders]) {
    if (!session._tracks.has(track)) {
      link.pc.removeTrack(sender);
      link.senders.delete(track);
      changed = true;
    }
  }
  for (const [track, streams] of session._tracks) {
    if (!link.senders.has(track)) {
      link.senders.set(track, link.pc.addTrack(track, ...streams));
      changed = true;
    }
  }
  if (changed && renegotiate) negotiationNeeded(session, peer, link);
  return changed;
}

/**
 * @param {Session} session
 * @param {Peer} peer
 * @param {PeerLink} link
 */
export function negotiationNeeded(session, peer, link) {
  if (peer.link !== link || !peer.connected) return;
  if (peer.offerer) scheduleOffer(session, peer);
  else if (peer.asked) peer.askAgain = true;
  else ask(session, peer, link);
}

/**
 * Answerer: ask the offerer for an offer.
 * @param {Session} session
 * @param {Peer} peer
 * @param {PeerLink} link
 */
export function ask(session, peer, link) {
  peer.requests++;
  peer.asked = peer.requests;
  try {
    session.bus.publishJson(RENEGOTIATE, { seq: peer.asked, receive: link.wantedReceivers() }, { to: peer.id });
  } catch (error) {
    if (!(error instanceof BusError)) throw error;
  }
}

/**
 * @param {Session} session
 * @param {import("../bus/bus.js").Message} message
 */
export function onRenegotiate(session, message) {
  const peer = session._peers.get(message.sender);
  if (peer === undefined || !peer.offerer || peer.link === null) return;
  if (!peer.connected) {
    // The answerer's channels opened first and it asked at once.
    peer.early = message;
    return;
  }
  let request = null;
  try {
    request = parseRenegotiate(messageJson(message), session.maxReceive);
  } catch {
    // not JSON
  }
  if (request === null) {
    console.warn("session: invalid renegotiation request from", peer.id);
    return;
  }
  // The newest request lists every track still waiting: it replaces older ones.
  peer.receive = request.receive;
  peer.serves = Math.max(peer.serves, request.seq);
  scheduleOffer(session, peer);
}

/**
 * @param {Session} session
 * @param {Peer} peer
 */
export function scheduleOffer(session, peer) {
  peer.dirty = true;
  if (!peer.negotiating) negotiate(session, peer);
}

/**
 * Offerer: one renegotiation at a time, coalescing requests that arrive meanwhile.
 * @param {Session} session
 * @param {Peer} peer
 */
export async function negotiate(session, peer) {
  peer.negotiating = true;
  try {
    while (peer.dirty && peer.connected && peer.link !== null) {
      peer.dirty = false;
      const link = peer.link;
      const receive = peer.receive;
      const serves = peer.serves;
      peer.receive = [];
      /** @type {Promise<string | null>} */
      const answered = new Promise((resolve) => (peer.answer = resolve));
      let timer;
      try {
        const sdp = await link.createOffer(receive);
        session.bus.publishJson(OFFER, { sdp, serves }, { to: peer.id });
        const answer = await Promise.race([
          answered,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new LinkError(`no answer within ${session.connectTimeout} s`, "timeout")), session.connectTimeout * 1000);
          }),
        ]);
        if (answer === null) throw new LinkError("renegotiation abandoned", "failed");
        await link.acceptAnswer(/** @type {string} */ (answer));
      } catch (error) {
        if (peer.link === link) {
          // A link stuck with a pending offer cannot offer again: replace it.
          session._lost(peer, link, "failed", `renegotiation: ${error instanceof Error ? error.message : error}`);
        }
        return;
      } finally {
        clearTimeout(timer);
        peer.answer = null;
      }
      session._emit("renegotiated", { peer: peer.id });
    }
  } finally {
    peer.negotiating = false;
  }
}

/**
 * @param {Session} session
 * @param {import("../bus/bus.js").Message} message
 */
export function onBusAnswer(session, message) {
  const peer = session._peers.get(message.sender);
  if (peer === undefined || peer.answer === null) return;
  let sdp = null;
  try {
    sdp = checkSdp(messageJson(message).sdp, session.maxSdpBytes);
  } catch {
    // not JSON
  }
  if (sdp !== null) peer.answer(sdp);
  else console.warn("session: invalid renegotiation answer from", peer.id);
}

/**
 * @param {Session} session
 * @param {import("../bus/bus.js").Message} message
 */
export async function onBusOffer(session, message) {
  const peer = session._peers.get(message.sender);
  if (peer === undefined || peer.offerer || peer.link === null || !peer.connected || session._closing) return;
  const link = peer.link;
  let answer;
  let serves = 0;
  try {
    const body = messageJson(message);
    const sdp = checkSdp(body?.sdp, session.maxSdpBytes);
    serves = Number.isSafeInteger(body.serves) ? body.serves : 0;
    if (sdp === null) throw new LinkError("no valid sdp");
    answer = await link.acceptOffer(sdp);
  } catch (error) {
    console.warn("session: renegotiation offer rejected from", peer.id, error);
    return;
  }
  if (peer.link !== link) return;
  try {
    session.bus.publishJson(ANSWER, { sdp: answer }, { to: peer.id });
  } catch (error) {
    if (!(error instanceof BusError)) throw error;
  }
  session._emit("renegotiated", { peer: peer.id });
  if (peer.asked && serves >= peer.asked) peer.asked = 0;
  if (!peer.asked && (peer.askAgain || link.wantedReceivers().length)) {
    peer.askAgain = false;
    ask(session, peer, link);
  }
}
