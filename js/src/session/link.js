// One connection to one other peer: its RTCPeerConnection and the bus's two
// negotiated data channels, what the session knows about that peer, and the
// check on a peer's SDP.
//
// The JavaScript twin of avacollab/peer/link.py (docs/session.md).

import { CandidateError, RemoteCandidates, checkCandidate } from "./candidates.js";

/** @typedef {import("./session.js").Session} Session */

/** The bus's channels, exactly as avacollab/peer/link.py creates them. */
export const RELIABLE = Object.freeze({ label: "bus", options: { negotiated: true, id: 0 } });
export const UNORDERED = Object.freeze({
  label: "bus-unordered",
  options: { negotiated: true, id: 1, ordered: false, maxRetransmits: 0 },
});

/** Most m-lines of one kind (audio, video) a link negotiates, as on the Python side. */
export const MAX_MEDIA_PER_KIND = 8;

/**
 * The ICE servers a browser takes, each tried alone; the others are dropped
 * with a warning.
 * @param {new (config: RTCConfiguration) => RTCPeerConnection} PC
 * @param {RTCIceServer[]} servers
 * @returns {RTCIceServer[]}
 */
export function acceptedIceServers(PC, servers) {
  return servers.filter((server) => {
    try {
      new PC({ iceServers: [server] }).close();
      return true;
    } catch (error) {
      console.warn("session: ice server refused by the browser, skipped:", String(server.urls), errorText(error));
      return false;
    }
  });
}

/** What a caught error says, for a log line or an event. @param {unknown} error */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

export const sleep = (/** @type {number} */ seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const utf8 = new TextEncoder();

/** A link that did not open, failed, or was given up. */
export class LinkError extends Error {
  /**
   * @param {string} message
   * @param {"timeout" | "error" | "failed"} reason
   */
  constructor(message, reason = "error") {
    super(message);
    this.name = "LinkError";
    this.reason = reason;
  }
}

/**
 * The offerer of a pair: the peer whose id sorts first (ids are ASCII, so
 * JavaScript's comparison and Python's agree).
 * @param {string} ours
 * @param {string} theirs
 */
export function isOfferer(ours, theirs) {
  return ours < theirs;
}

/**
 * A peer's SDP, checked as avacollab/peer/link.py checks it: a string of at
 * most `maxBytes` UTF-8 bytes with a data-channel section (without one the
 * link would hang until its timeout), at most MAX_MEDIA_PER_KIND audio and
 * video sections each and one of any other kind. The browser makes a
 * transceiver, and the page a player, for every media section an offer
 * carries: a hostile offer of 700 of them must cost nothing.
 * @param {unknown} sdp
 * @param {number} maxBytes
 * @returns {string | null}
 */
export function checkSdp(sdp, maxBytes) {
  if (typeof sdp !== "string" || sdp.length > maxBytes || utf8.encode(sdp).length > maxBytes) return null;
  /** @type {Map<string, number>} */
  const sections = new Map();
  for (const [, kind] of sdp.matchAll(/^m=(\S*)/gm)) sections.set(kind, (sections.get(kind) ?? 0) + 1);
  if (!sections.has("application")) return null;
  for (const [kind, count] of sections) {
    if (count > (kind === "audio" || kind === "video" ? MAX_MEDIA_PER_KIND : 1)) return null;
  }
  return sdp;
}

/**
 * How a link goes: the selected local ICE candidate's type (`host`, `srflx`,
 * `prflx`, `relay`), or null when the stats do not say within a second.
 * @param {PeerLink} link
 * @returns {Promise<string | null>}
 */
export async function route(link) {
  try {
    /** @type {RTCStatsReport | null} */
    const stats = await Promise.race([link.pc.getStats(), sleep(1).then(() => null)]);
    /** @type {string | null} */
    let found = null;
    stats?.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) {
        const pair = stats.get(report.selectedCandidatePairId);
        found = stats.get(pair?.localCandidateId)?.candidateType ?? null;
      }
    });
    return found;
  } catch {
    return null; // no stats (a fake connection)
  }
}

/** The connection to one other peer: an RTCPeerConnection and the bus's two channels. */
export class PeerLink {
  /**
   * @param {Session} session
   * @param {string} peerId
   * @param {boolean} offerer
   */
  constructor(session, peerId, offerer) {
    this.peerId = peerId;
    this.offerer = offerer;
    this.session = session;
    const PC = session._RTCPeerConnection;
    const config = (/** @type {RTCIceServer[]} */ iceServers) => ({
      iceServers,
      iceTransportPolicy: /** @type {RTCIceTransportPolicy} */ (session.relayOnly ? "relay" : "all"),
      bundlePolicy: /** @type {RTCBundlePolicy} */ ("max-bundle"),
    });
    try {
      this.pc = new PC(config(session.iceServers));
    } catch (error) {
      // Browsers refuse the whole configuration for one entry they cannot
      // parse (a TURN URL without credentials, a typo): a server's mistake
      // should cost that relay, not every link. Keep what they accept, once
      // a connection is made with it: when the cause was something else (too
      // many connections), every entry fails alone too, and none is dropped.
      const accepted = acceptedIceServers(PC, session.iceServers);
      if (accepted.length === session.iceServers.length) throw error;
      this.pc = new PC(config(accepted));
      session.iceServers = accepted;
    }
    this.reliable = this.pc.createDataChannel(RELIABLE.label, RELIABLE.options);
    this.unordered = this.pc.createDataChannel(UNORDERED.label, UNORDERED.options);
    /** @type {Map<MediaStreamTrack, RTCRtpSender>} */
    this.senders = new Map();
    this.closed = false;
    /** @type {Set<() => void>} waitOpen() checks, woken by close() */
    this._waiters = new Set();
    this._remoteCandidates = new RemoteCandidates();
    // Trickle: our candidates wait until the first description has gone out
    // (descriptionSent), so that no peer gets a candidate before it.
    this._sent = false;
    /** @type {Array<RTCIceCandidateInit | null>} */
    this._outgoing = [];
    if (session.trickle) {
      this.pc.addEventListener("icecandidate", (event) => this._localCandidate(/** @type {RTCPeerConnectionIceEvent} */ (event).candidate));
    }
  }

  get isOpen() {
    return this.reliable.readyState === "open" && this.unordered.readyState === "open";
  }

  /**
   * Make an offer (offerer only), with a receiving m-line for each kind in
   * `receive` that no unnegotiated local track provides; resolve with its SDP.
   * @param {string[]} [receive]
   */
  async createOffer(receive = []) {
    if (!this.offerer) throw new LinkError("only the offerer makes offers");
    if (this.pc.signalingState !== "stable") throw new LinkError("an offer is already pending");
    /** @type {Map<string, number>} */
    const unmatched = new Map();
    for (const kind of this.wantedReceivers()) unmatched.set(kind, (unmatched.get(kind) ?? 0) + 1);
    for (const kind of receive) {
      const left = unmatched.get(kind) ?? 0;
      if (left > 0) unmatched.set(kind, left - 1);
      else this.pc.addTransceiver(kind, { direction: "recvonly" });
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this._localDescription();
  }

  /**
   * Apply the offerer's SDP (answerer only); resolve with the answer's SDP.
   * @param {string} sdp
   */
  async acceptOffer(sdp) {
    if (this.offerer) throw new LinkError("the offerer does not accept offers");
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    await this._described();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this._localDescription();
  }

  /**
   * Start sending `track`; returns its sender, or null when the link already
   * has MAX_MEDIA_PER_KIND transceivers of the track's kind and none is free
   * to take it (as add_track in link.py). A transceiver of the kind that
   * sends nothing takes the track, as aiortc's addTrack does: a browser's
   * addTrack never reuses one that has sent, so a camera turned off and on
   * would otherwise add an m-line each time, until the peers refuse the
   * offer. The caller renegotiates.
   * @param {MediaStreamTrack} track
   * @param {MediaStream[]} streams
   * @returns {RTCRtpSender | null}
   */
  addTrack(track, streams) {
    const same = this.pc.getTransceivers().filter((t) => t.receiver.track.kind === track.kind && t.direction !== "stopped");
    const free = same.find((t) => t.sender.track === null);
    if (free === undefined) return same.length >= MAX_MEDIA_PER_KIND ? null : this.pc.addTrack(track, ...streams);
    free.sender.replaceTrack(track).catch((error) => console.warn("session: cannot send a track:", errorText(error)));
    free.sender.setStreams?.(...streams);
    free.direction = free.direction === "recvonly" || free.direction === "sendrecv" ? "sendrecv" : "sendonly";
    return free.sender;
  }

  /**
   * Apply the answerer's SDP (offerer only, after createOffer).
   * @param {string} sdp
   */
  async acceptAnswer(sdp) {
    if (!this.offerer || this.pc.signalingState !== "have-local-offer") throw new LinkError("no offer is pending");
    await this.pc.setRemoteDescription({ type: "answer", sdp });
    await this._described();
  }

  /**
   * Take a candidate the peer trickled (the `candidate` of its message; null
   * for end-of-candidates): checked, held until the remote description is
   * applied, then added. Throws CandidateError when it is malformed, past
   * the bounds, or refused by the browser; the link goes on either way.
   * @param {unknown} body
   */
  async addCandidate(body) {
    for (const ready of this._remoteCandidates.receive(checkCandidate(body))) await this._addCandidate(ready);
  }

  /** Our first description has been sent: our candidates may follow it. */
  descriptionSent() {
    if (this._sent) return;
    this._sent = true;
    for (const candidate of this._outgoing.splice(0)) this.session._sendCandidate(this, candidate);
  }

  /**
   * The part of an answerer's request `receive` that createOffer takes: kinds
   * other than audio and video are left out, and so is every entry that
   * would take its kind past MAX_MEDIA_PER_KIND m-lines; the order of the
   * rest is kept.
   * @param {string[]} receive
   */
  receivable(receive) {
    /** @type {Map<string, number>} */
    const room = new Map([["audio", MAX_MEDIA_PER_KIND], ["video", MAX_MEDIA_PER_KIND]]);
    for (const t of this.pc.getTransceivers()) {
      const kind = t.receiver.track.kind; // a browser's receiver has its track from the start
      // A transceiver without an m-line (a local track not yet offered)
      // takes a request of its kind without adding anything.
      if (t.mid !== null && room.has(kind)) room.set(kind, /** @type {number} */ (room.get(kind)) - 1);
    }
    return receive.filter((kind) => {
      const left = room.get(kind) ?? 0;
      if (left <= 0) return false;
      room.set(kind, left - 1);
      return true;
    });
  }

  /** Kinds of local tracks not yet in any negotiated m-line (the answerer's request). */
  wantedReceivers() {
    return this.pc
      .getTransceivers()
      .filter((t) => t.mid === null && t.direction !== "stopped" && t.sender.track !== null)
      .map((t) => /** @type {MediaStreamTrack} */ (t.sender.track).kind);
  }

  /**
   * Resolve when both channels are open; reject when the connection fails or
   * closes, or after `timeout` seconds.
   * @param {number} timeout
   * @returns {Promise<void>}
   */
  waitOpen(timeout) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.isOpen) finish(null);
        else if (this.closed || this.pc.connectionState === "failed" || this.pc.connectionState === "closed") {
          finish(new LinkError(`connection to ${this.peerId} ${this.closed ? "closed" : this.pc.connectionState}`, "failed"));
        }
      };
      const timer = setTimeout(() => {
        const pc = this.pc;
        finish(
          new LinkError(
            `connection to ${this.peerId} not open after ${timeout} s (signaling ${pc.signalingState}, ` +
              `ICE ${pc.iceConnectionState}, connection ${pc.connectionState})`,
            "timeout",
          ),
        );
      }, timeout * 1000);
      /** @type {Array<[EventTarget, string]>} */
      const sources = [
        [this.reliable, "open"],
        [this.unordered, "open"],
        [this.reliable, "close"],
        [this.pc, "connectionstatechange"],
      ];
      /** @param {Error | null} error */
      const finish = (error) => {
        clearTimeout(timer);
        for (const [target, type] of sources) target.removeEventListener(type, check);
        this._waiters.delete(check);
        if (error === null) resolve();
        else reject(error);
      };
      for (const [target, type] of sources) target.addEventListener(type, check);
      this._waiters.add(check);
      check();
    });
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    try {
      this.pc.close();
    } catch {
      // already closed
    }
    for (const check of [...this._waiters]) check();
  }

  /**
   * The local description to send: at once when trickling (the candidates
   * follow it), else once gathering is complete or given up on.
   */
  async _localDescription() {
    if (!this.session.trickle) return this._gathered();
    if (this.closed) throw new LinkError(`connection to ${this.peerId} closed`, "failed");
    const sdp = /** @type {RTCSessionDescription} */ (this.pc.localDescription).sdp;
    return this.session._localSdp(sdp, this.peerId);
  }

  /** @param {RTCIceCandidate | null} candidate */
  _localCandidate(candidate) {
    if (this.closed) return;
    // An empty line ends one generation in some browsers; null, which ends
    // gathering, follows and is what the peer gets as end-of-candidates.
    if (candidate !== null && !candidate.candidate) return;
    const init = candidate === null ? null : { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
    if (this._sent) this.session._sendCandidate(this, init);
    else this._outgoing.push(init);
  }

  /** The remote description is applied: add the candidates held until now. */
  async _described() {
    for (const held of this._remoteCandidates.described()) {
      try {
        await this._addCandidate(held);
      } catch (error) {
        console.warn("session: held candidate refused from", this.peerId, String(error));
      }
    }
  }

  /** @param {RTCIceCandidateInit | null} candidate */
  async _addCandidate(candidate) {
    try {
      // No argument is end-of-candidates (null means it too, but not in every browser).
      await (candidate === null ? this.pc.addIceCandidate() : this.pc.addIceCandidate(candidate));
    } catch (error) {
      throw new CandidateError(`the browser refused it: ${errorText(error)}`);
    }
  }

  /** The local description once gathering is complete (or given up on). */
  async _gathered() {
    const pc = this.pc;
    if (pc.iceGatheringState !== "complete") {
      await new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          pc.removeEventListener("icegatheringstatechange", changed);
          this._waiters.delete(changed);
          resolve(undefined);
        };
        const changed = () => {
          if (pc.iceGatheringState === "complete" || this.closed) finish();
        };
        // Without STUN or TURN, gathering is quick; a server that does not
        // answer should cost its candidates, not the connection: at the
        // deadline the description goes out with what was gathered.
        const timer = setTimeout(finish, this.session.gatherTimeout * 1000);
        pc.addEventListener("icegatheringstatechange", changed);
        this._waiters.add(changed); // close() ends the wait too
      });
    }
    if (this.closed) throw new LinkError(`connection to ${this.peerId} closed`, "failed");
    const sdp = /** @type {RTCSessionDescription} */ (pc.localDescription).sdp;
    return this.session._localSdp(sdp, this.peerId);
  }
}

/** What the session knows about one other member of the room. */
export class Peer {
  /**
   * @param {string} id
   * @param {string} name
   * @param {boolean} offerer
   */
  constructor(id, name, offerer) {
    this.id = id;
    this.name = name;
    this.offerer = offerer; // we make the offers to this peer
    /** @type {PeerLink | null} */
    this.link = null;
    this.connected = false;
    this.lost = false; // peer-left already reported for the current outage
    this.gone = false; // said goodbye: never reconnect
    this.failures = 0;
    this.connecting = false; // the offerer's connect loop runs
    /** @type {ReturnType<typeof setTimeout> | undefined} the answerer's wait for an offer */
    this.offerTimer = undefined;
    /** @type {import("./renegotiation.js").Negotiation | null} the current link's renegotiation */
    this.negotiation = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} its one timer */
    this.negotiationTimer = undefined;
  }
}

