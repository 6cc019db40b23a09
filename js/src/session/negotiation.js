// Offers and answers: a link's first negotiation over the signaling server,
// and renegotiation (a track added or removed) over the pair's bus, whose
// rules are the state machine of ./renegotiation.js.
//
// The functions take the Session whose peers they negotiate with; the rules
// are in session.js and docs/session.md.

import { BusError, messageJson } from "../bus/bus.js";
import { LinkError, MAX_MEDIA_PER_KIND, Peer, checkSdp, errorText, isOfferer, sleep } from "./link.js";
import { ANSWER, MAX_REQUEST_BYTES, OFFER, RENEGOTIATE } from "./renegotiation.js";

/** @typedef {import("./session.js").Session} Session */
/** @typedef {import("./link.js").PeerLink} PeerLink */
/** @typedef {import("./renegotiation.js").Action} Action */

export { ANSWER, OFFER, RENEGOTIATE };

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
      /** @type {PeerLink} */
      let link;
      try {
        link = session._newLink(peer);
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
  let link;
  try {
    link = session._newLink(peer);
  } catch (error) {
    // No connection can be made (the browser refuses its configuration):
    // reported, and the next offer tries again.
    session._reportFailure(peer, error);
    if (!peer.gone && !session._closing) awaitOffer(session, peer);
    return;
  }
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
    console.warn("session: candidate refused from", sender, errorText(error));
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
    if (link.senders.has(track)) continue;
    const sender = link.addTrack(track, streams);
    if (sender === null) {
      console.warn("session: track refused for", peer.id, `: already ${MAX_MEDIA_PER_KIND} ${track.kind} tracks`);
      continue;
    }
    link.senders.set(track, sender);
    changed = true;
  }
  if (changed && renegotiate) negotiationNeeded(session, peer, link);
  return changed;
}

/**
 * Local tracks changed on an open link: renegotiate.
 * @param {Session} session
 * @param {Peer} peer
 * @param {PeerLink} link
 */
export function negotiationNeeded(session, peer, link) {
  if (peer.link !== link || peer.negotiation === null) return;
  act(session, peer, link, peer.negotiation.tracksChanged(link.wantedReceivers()));
}

/**
 * A bus message on one of the renegotiation topics, from a peer we have a
 * link to: read, checked, and fed to the link's Negotiation.
 * @param {Session} session
 * @param {import("../bus/bus.js").Message} message
 */
export function onRenegotiation(session, message) {
  const peer = session._peers.get(message.sender);
  const link = peer?.link ?? null;
  if (peer === undefined || link === null || peer.negotiation === null || session._closing) return;
  // Sized before it is parsed, as in Python: an SDP of maxSdpBytes whose line
  // ends JSON writes as four bytes each, and the rest of the object.
  const limit = message.topic === RENEGOTIATE ? MAX_REQUEST_BYTES : 2 * session.maxSdpBytes + 1024;
  if (message.payload.length > limit) {
    console.warn("session:", message.topic, "of", message.payload.length, "bytes refused unread from", peer.id, "at most", limit);
    return;
  }
  /** @type {unknown} */
  let body;
  try {
    body = messageJson(message);
  } catch {
    console.warn("session: renegotiation message is not JSON, from", peer.id, message.topic);
    return;
  }
  if (message.topic === RENEGOTIATE) {
    // Bounded before anything is done with it; the Negotiation checks the rest.
    const receive = /** @type {any} */ (body)?.receive;
    if (Array.isArray(receive) && receive.length > session.maxReceive) {
      console.warn("session: renegotiation request of", receive.length, "receivers refused from", peer.id, "at most", session.maxReceive);
      return;
    }
  } else if (message.topic === OFFER || message.topic === ANSWER) {
    // An SDP past the bounds, or without the bus's m-line, is refused here.
    const sdp = checkSdp(/** @type {any} */ (body)?.sdp, session.maxSdpBytes);
    if (sdp === null) {
      console.warn("session: invalid", message.topic, "from", peer.id);
      return;
    }
  }
  act(session, peer, link, peer.negotiation.received(message.topic, body));
}

/**
 * The peer's link is going: its renegotiation ends, timer included.
 * @param {Peer} peer
 */
export function endNegotiation(peer) {
  peer.negotiation?.closed();
  peer.negotiation = null;
  clearTimeout(peer.negotiationTimer);
}

/**
 * Carry out what a link's Negotiation asks for. Every step that awaits
 * reports back to it, and its answer is carried out in turn; a link that has
 * been replaced meanwhile is left alone.
 * @param {Session} session
 * @param {Peer} peer
 * @param {PeerLink} link
 * @param {Action[]} actions
 */
export function act(session, peer, link, actions) {
  const negotiation = peer.negotiation;
  if (negotiation === null || peer.link !== link) return;
  const current = () => peer.link === link && peer.negotiation === negotiation && !session._closing;
  for (const action of actions) {
    switch (action.type) {
      case "send":
        try {
          session.bus.publishJson(action.topic, action.body, { to: peer.id });
        } catch (error) {
          // Lost like a message to a peer that went away; the timer armed
          // next tries again. Nothing may escape: this runs in callbacks.
          if (!(error instanceof BusError)) console.warn("session: renegotiation message not sent to", peer.id, errorText(error));
        }
        break;
      case "make-offer":
        link.createOffer(action.receive).then(
          (sdp) => current() && act(session, peer, link, negotiation.offerSent(sdp)),
          (error) => current() && act(session, peer, link, negotiation.failed(errorText(error))),
        );
        break;
      case "apply-answer":
        link.acceptAnswer(action.sdp).then(
          () => current() && act(session, peer, link, negotiation.answerApplied()),
          (error) => current() && act(session, peer, link, negotiation.answerFailed(errorText(error))),
        );
        break;
      case "accept-offer":
        link.acceptOffer(action.sdp).then(
          (answer) => current() && act(session, peer, link, negotiation.offerAccepted(answer, action.serves, link.wantedReceivers())),
          (error) => console.warn("session: renegotiation offer rejected from", peer.id, errorText(error)),
        );
        break;
      case "arm":
        clearTimeout(peer.negotiationTimer);
        peer.negotiationTimer = setTimeout(() => {
          if (current()) act(session, peer, link, negotiation.expired(action.token, link.wantedReceivers()));
        }, action.delay * 1000);
        break;
      case "media-unavailable":
        session._emit("media-unavailable", { peer: peer.id, name: peer.name, reason: action.reason, retry_in: Math.round(action.retryIn * 10) / 10 });
        break;
      case "renegotiated":
        session._emit("renegotiated", { peer: peer.id });
        break;
      case "refused":
        console.warn("session: renegotiation message refused from", peer.id, action.reason);
        break;
      case "replace":
        session._lost(peer, link, "failed", action.error);
        break;
    }
  }
}
