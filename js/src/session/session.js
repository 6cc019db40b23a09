// A room membership: one RTCPeerConnection per other member, and the bus.
//
// The JavaScript twin of avacollab/peer/session.py and avacollab/peer/link.py
// (docs/session.md), so a page and `avacollab join` peers share one mesh:
//
// * Of each pair, the peer whose id sorts first is the offerer and makes every
//   offer (aiortc cannot roll back a crossed offer). First offers go through
//   the signaling server; an offer received there always means a new
//   connection.
// * Both data channels are negotiated (`bus` id 0 ordered and reliable,
//   `bus-unordered` id 1 unordered without retransmits) and exist before the
//   first offer, which carries no media.
// * aiortc takes no trickled candidates, so every description is sent once
//   ICE gathering has completed (or `gatherTimeout` has passed), candidates
//   included.
// * Renegotiation (a track added or removed) runs over the pair's bus:
//   `session.renegotiate` from the answerer, `session.offer` and
//   `session.answer`. Peers' requests are bounded before they are used.
// * A link not open within `connectTimeout` is replaced by the offerer, with
//   backoff and at most `maxRetries` failures in a row; so is a link that
//   fails, whose channel closes, or whose peer the bus finds silent.
// * close() publishes `session.bye`, drains the bus, closes the links and
//   leaves the room.

import { Bus, BusError, messageJson } from "../bus/bus.js";
import { SignalingClient } from "../signaling/client.js";

export const RENEGOTIATE = "session.renegotiate";
export const OFFER = "session.offer";
export const ANSWER = "session.answer";
export const BYE = "session.bye";
/** The bus's channels, exactly as avacollab/peer/link.py creates them. */
export const RELIABLE = Object.freeze({ label: "bus", options: { negotiated: true, id: 0 } });
export const UNORDERED = Object.freeze({
  label: "bus-unordered",
  options: { negotiated: true, id: 1, ordered: false, maxRetransmits: 0 },
});
/** Kinds a renegotiation request may ask to receive. */
const KINDS = new Set(["audio", "video"]);

/**
 * @typedef {{ [key: string]: any, event: string, ts: number }} SessionEvent
 *   the events of docs/session.md, with the same names and fields
 * @typedef {{ urls: string | string[], username?: string, credential?: string }} IceServer
 * @typedef {new (config: any) => RTCPeerConnection} PeerConnectionClass
 * @typedef {object} SessionOptions
 * @property {string} [name] display name shown to the others
 * @property {string} [token] a join token, when the server demands one
 * @property {(event: SessionEvent) => void} [onEvent] every event (joined, peer-joined, ...)
 * @property {PeerConnectionClass} [RTCPeerConnection] default: the global one
 * @property {import("../signaling/client.js").WebSocketClass} [WebSocket] default: the global one
 * @property {number} [connectTimeout] seconds a connection may take to open (15)
 * @property {number} [maxRetries] failed attempts in a row before giving up on a peer (5)
 * @property {{ initial?: number, maximum?: number }} [retryBackoff] seconds (0.5, doubling to 8)
 * @property {number} [gatherTimeout] seconds to wait for ICE gathering before sending a description (5)
 * @property {boolean} [relayOnly] connect through TURN relays only
 * @property {number} [maxSdpBytes] largest SDP taken from a peer (65,536)
 * @property {number} [maxReceive] most kinds one renegotiation request may list (16)
 * @property {(sdp: string, peerId: string) => string} [localSdp] rewrites each local
 *   description before it is sent (tests use it to keep candidates on loopback)
 * @property {Partial<import("../bus/bus.js").BusConfig>} [bus]
 * @property {Partial<import("../signaling/client.js").SignalingOptions>} [signaling] more signaling options
 */

const sleep = (/** @type {number} */ seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
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
 * A welcome's `iceServers` as RTCIceServer dicts; malformed entries are skipped.
 * @param {unknown} entries
 * @returns {IceServer[]}
 */
export function iceServersFromWelcome(entries) {
  /** @type {IceServer[]} */
  const servers = [];
  for (const entry of Array.isArray(entries) ? entries : []) {
    let urls = entry !== null && typeof entry === "object" ? entry.urls : undefined;
    if (typeof urls === "string") urls = [urls];
    if (!Array.isArray(urls) || !urls.length || !urls.every((u) => typeof u === "string")) {
      console.warn("session: ice server skipped", String(JSON.stringify(entry)).slice(0, 200));
      continue;
    }
    /** @type {IceServer} */
    const server = { urls };
    if (typeof entry.username === "string") server.username = entry.username;
    if (typeof entry.credential === "string") server.credential = entry.credential;
    servers.push(server);
  }
  return servers;
}

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
 * A peer's SDP, checked: a string of at most `maxBytes` UTF-8 bytes with a
 * data-channel section (without one the link would hang until its timeout).
 * @param {unknown} sdp
 * @param {number} maxBytes
 * @returns {string | null}
 */
export function checkSdp(sdp, maxBytes) {
  if (typeof sdp !== "string" || sdp.length > maxBytes || utf8.encode(sdp).length > maxBytes) return null;
  return /^m=application /m.test(sdp) ? sdp : null;
}

/**
 * How a link goes: the selected local ICE candidate's type (`host`, `srflx`,
 * `prflx`, `relay`), or null when the stats do not say within a second.
 * @param {PeerLink} link
 * @returns {Promise<string | null>}
 */
async function route(link) {
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
    this.pc = new PC({
      iceServers: session.iceServers,
      iceTransportPolicy: session.relayOnly ? "relay" : "all",
      bundlePolicy: "max-bundle",
    });
    this.reliable = this.pc.createDataChannel(RELIABLE.label, RELIABLE.options);
    this.unordered = this.pc.createDataChannel(UNORDERED.label, UNORDERED.options);
    /** @type {Map<MediaStreamTrack, RTCRtpSender>} */
    this.senders = new Map();
    this.closed = false;
    /** @type {Set<() => void>} waitOpen() checks, woken by close() */
    this._waiters = new Set();
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
    return this._gathered();
  }

  /**
   * Apply the offerer's SDP (answerer only); resolve with the answer's SDP.
   * @param {string} sdp
   */
  async acceptOffer(sdp) {
    if (this.offerer) throw new LinkError("the offerer does not accept offers");
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this._gathered();
  }

  /**
   * Apply the answerer's SDP (offerer only, after createOffer).
   * @param {string} sdp
   */
  async acceptAnswer(sdp) {
    if (!this.offerer || this.pc.signalingState !== "have-local-offer") throw new LinkError("no offer is pending");
    await this.pc.setRemoteDescription({ type: "answer", sdp });
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
class Peer {
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
    // Offerer side of renegotiation.
    this.negotiating = false;
    this.dirty = false;
    /** @type {string[]} */
    this.receive = [];
    this.serves = 0;
    /** @type {import("../bus/bus.js").Message | null} a request that beat our own open event */
    this.early = null;
    /** @type {((sdp: string | null) => void) | null} */
    this.answer = null;
    // Answerer side of renegotiation.
    this.asked = 0; // sequence number of our outstanding request (0: none)
    this.askAgain = false;
    this.requests = 0;
  }
}

/** One page's membership of a room: the signaling client, the mesh and the bus. */
export class Session {
  /**
   * @param {string} url the signaling server's WebSocket URL
   * @param {string} room
   * @param {SessionOptions} [options]
   */
  constructor(url, room, options = {}) {
    this.room = room;
    this.onEvent = options.onEvent;
    const PC = options.RTCPeerConnection ?? /** @type {any} */ (globalThis).RTCPeerConnection;
    if (typeof PC !== "function") throw new TypeError("no RTCPeerConnection: pass options.RTCPeerConnection");
    /** @type {PeerConnectionClass} */
    this._RTCPeerConnection = PC;
    this.connectTimeout = options.connectTimeout ?? 15;
    this.maxRetries = options.maxRetries ?? 5;
    this.retryBackoff = { initial: 0.5, maximum: 8, ...options.retryBackoff };
    this.gatherTimeout = options.gatherTimeout ?? 5;
    this.relayOnly = options.relayOnly ?? false;
    this.maxSdpBytes = options.maxSdpBytes ?? 65_536;
    this.maxReceive = options.maxReceive ?? 16;
    this._rewrite = options.localSdp;
    if (!(this.connectTimeout > 0)) throw new RangeError("connectTimeout must be positive");
    if (!(this.maxRetries >= 0)) throw new RangeError("maxRetries must not be negative");
    /** @type {import("../signaling/client.js").SignalingOptions} */
    const signalingOptions = {
      ...options.signaling,
      name: options.name ?? "",
      onMessage: (message) => this._onSignal(message),
    };
    if (options.token !== undefined) signalingOptions.token = options.token;
    if (options.WebSocket !== undefined) signalingOptions.WebSocket = options.WebSocket;
    this.signaling = new SignalingClient(url, room, signalingOptions);
    this.bus = new Bus(options.bus ?? {}, { onPeerDead: (id) => this._onPeerDead(id) });
    /** @type {IceServer[]} */
    this.iceServers = [];
    /** @type {Map<string, Peer>} */
    this._peers = new Map();
    /** @type {Map<MediaStreamTrack, MediaStream[]>} tracks sent to every peer */
    this._tracks = new Map();
    this._ready = false;
    /** @type {import("../signaling/client.js").SignalingMessage[]} messages that came before the welcome was handled */
    this._held = [];
    this._closing = false;
  }

  /** Our id in the room. */
  get peerId() {
    return this.signaling.peerId;
  }

  /** Members other than us that are not known lost: id to name. */
  get peers() {
    return new Map([...this._peers.values()].filter((p) => !p.lost).map((p) => [p.id, p.name]));
  }

  /** Ids of the peers whose bus is open. */
  get connected() {
    return [...this._peers.values()].filter((p) => p.connected).map((p) => p.id);
  }

  /**
   * The current connection to a peer (for status displays and tests).
   * @param {string} peerId
   */
  link(peerId) {
    return this._peers.get(peerId)?.link ?? null;
  }

  /**
   * Join the room and connect to every member; resolve with the welcome.
   * Rejects with a SignalingError when the first join fails.
   */
  async start() {
    const welcome = await this.signaling.connect();
    this.iceServers = iceServersFromWelcome(welcome.iceServers);
    this.bus.subscribe(RENEGOTIATE, (m) => this._onRenegotiate(m));
    this.bus.subscribe(OFFER, (m) => this._onBusOffer(m));
    this.bus.subscribe(ANSWER, (m) => this._onBusAnswer(m));
    this.bus.subscribe(BYE, (m) => this._onBye(m));
    const others = (Array.isArray(welcome.peers) ? welcome.peers : []).filter((p) => p !== null && typeof p === "object");
    this._emit("joined", { room: this.room, peer: this.peerId, name: String(welcome.name ?? ""), peers: others.map((p) => String(p.peer)) });
    for (const other of others) this._peerJoined(String(other.peer ?? ""), String(other.name ?? ""));
    this._ready = true;
    for (const message of this._held.splice(0)) this._onSignal(message);
    return welcome;
  }

  /** Leave: say goodbye on the bus, flush it (up to 5 s), close the links, leave the room. */
  async close() {
    if (this._closing) return;
    this._closing = true;
    // Goodbye to the peers whose channels are open; a link still connecting
    // would hold the drain for its whole bound.
    const open = [...this._peers.values()].filter((p) => p.connected && p.link !== null);
    for (const peer of open) {
      try {
        this.bus.publish(BYE, new Uint8Array(), { to: peer.id });
      } catch (error) {
        if (!(error instanceof BusError)) throw error;
      }
    }
    // Up to 5 s for the queues to reach the channels, and for what was
    // handed to a channel to leave it before the connection closes.
    const deadline = Date.now() + 5000;
    let timer;
    await Promise.race([
      Promise.all(open.map((p) => this.bus.drain(p.id).catch(() => undefined))),
      new Promise((resolve) => (timer = setTimeout(resolve, 5000))),
    ]);
    clearTimeout(timer);
    const links = open.map((p) => p.link).filter((l) => l !== null);
    while (Date.now() < deadline && links.some((l) => l.isOpen && l.reliable.bufferedAmount > 0)) await sleep(0.02);
    for (const peer of this._peers.values()) {
      clearTimeout(peer.offerTimer);
      peer.answer?.(null);
      peer.link?.close();
      peer.link = null;
      peer.connected = false;
    }
    this.bus.close();
    this.signaling.close({ leave: true });
    this._emit("closed", { peer: this.peerId });
  }

  /**
   * Send a media track to every peer (now and later ones); renegotiates.
   * @param {MediaStreamTrack} track
   * @param {...MediaStream} streams
   */
  addTrack(track, ...streams) {
    this._tracks.set(track, streams);
    for (const peer of this._peers.values()) this._syncTracks(peer);
  }

  /**
   * Stop sending a track added with addTrack; renegotiates.
   * @param {MediaStreamTrack} track
   */
  removeTrack(track) {
    this._tracks.delete(track);
    for (const peer of this._peers.values()) this._syncTracks(peer);
  }

  // -- events -------------------------------------------------------------

  /**
   * @param {string} event
   * @param {Record<string, unknown>} fields
   */
  _emit(event, fields) {
    try {
      this.onEvent?.({ event, ts: Math.round(Date.now()) / 1000, ...fields });
    } catch (error) {
      console.error("session: event handler failed", error);
    }
  }

  /**
   * @param {string} sdp
   * @param {string} peerId
   */
  _localSdp(sdp, peerId) {
    return this._rewrite === undefined ? sdp : this._rewrite(sdp, peerId);
  }

  // -- signaling ----------------------------------------------------------

  /** @param {import("../signaling/client.js").SignalingMessage} message */
  _onSignal(message) {
    if (!this._ready) {
      // Messages that raced our welcome wait for it to be taken in, so
      // members are known before their offers are.
      this._held.push(message);
      return;
    }
    if (this._closing) return;
    const sender = String(message.from ?? "");
    switch (message.type) {
      case "peer-joined":
        this._peerJoined(String(message.peer ?? ""), String(message.name ?? ""));
        break;
      case "peer-left":
        this._peerLeft(String(message.peer ?? ""), String(message.reason ?? "left"));
        break;
      case "offer":
        this._onOffer(sender, message.sdp);
        break;
      case "answer":
        this._onAnswer(sender, message.sdp);
        break;
      case "candidate":
        this._onCandidate(sender, message.candidate);
        break;
      case "welcome": {
        // A reconnect: our id was resumed, links stay as they are.
        const servers = iceServersFromWelcome(message.iceServers);
        if (servers.length) this.iceServers = servers;
        this._emit("rejoined", { peer: this.peerId, resumed: Boolean(message.resumed) });
        for (const other of Array.isArray(message.peers) ? message.peers : []) {
          if (other !== null && typeof other === "object") this._peerJoined(String(other.peer ?? ""), String(other.name ?? ""));
        }
        break;
      }
      case "ice-servers":
        this.iceServers = iceServersFromWelcome(message.iceServers);
        break;
      case "error":
        console.warn("session: signaling error", message.code, message.message);
        break;
    }
  }

  /**
   * @param {string} peerId
   * @param {string} name
   */
  _peerJoined(peerId, name) {
    if (!peerId || peerId === this.peerId) return;
    const known = this._peers.get(peerId);
    if (known !== undefined && !known.gone) {
      known.name = name || known.name;
      if (known.lost && known.offerer && !known.connecting) {
        // Back in the room after we gave up: try again from scratch.
        known.failures = 0;
        this._connect(known);
      }
      return;
    }
    const peer = new Peer(peerId, name, isOfferer(this.peerId, peerId));
    this._peers.set(peerId, peer);
    this._emit("peer-joined", { peer: peerId, name, offerer: peer.offerer });
    if (peer.offerer) this._connect(peer);
    else this._awaitOffer(peer);
  }

  /**
   * @param {string} peerId
   * @param {string} reason
   */
  _peerLeft(peerId, reason) {
    const peer = this._peers.get(peerId);
    if (peer === undefined) return;
    this._peers.delete(peerId);
    peer.gone = true;
    clearTimeout(peer.offerTimer);
    this._dropLink(peer);
    if (!peer.lost) {
      peer.lost = true;
      this._emit("peer-left", { peer: peerId, name: peer.name, reason });
    }
  }

  // -- making connections -------------------------------------------------

  /** @param {Peer} peer */
  _newLink(peer) {
    const link = new PeerLink(this, peer.id, peer.offerer);
    link.pc.addEventListener("connectionstatechange", () => {
      if (link.pc.connectionState === "failed" && peer.link === link && peer.connected) {
        this._lost(peer, link, "failed", "peer connection failed");
      }
    });
    link.reliable.addEventListener("close", () => {
      // The JavaScript bus does not watch for closed channels; we do.
      if (peer.link === link && peer.connected) this._lost(peer, link, "failed", "data channel closed");
    });
    link.pc.addEventListener("track", (event) => {
      this._emit("track", { peer: peer.id, kind: event.track.kind, track: event.track, streams: event.streams });
    });
    // On the bus before the channels open: the other side may send its first
    // frames the moment its end opens.
    // (RTCDataChannel.send's DOM typing wants ArrayBuffer-backed views; the
    // bus sends plain Uint8Arrays, which every browser takes.)
    const asChannel = (/** @type {RTCDataChannel} */ c) => /** @type {import("../bus/bus.js").ChannelLike} */ (/** @type {unknown} */ (c));
    this.bus.addPeer(peer.id, asChannel(link.reliable), asChannel(link.unordered));
    peer.link = link;
    return link;
  }

  /**
   * Offerer: connect, and replace the connection each time it fails.
   * @param {Peer} peer
   */
  async _connect(peer) {
    if (peer.connecting) return;
    peer.connecting = true;
    try {
      while (!peer.gone && !this._closing) {
        if (peer.failures > this.maxRetries) {
          this._emit("link-failed", {
            peer: peer.id, reason: "gave-up", attempt: peer.failures, final: true,
            error: `no connection after ${peer.failures} attempts`,
          });
          return;
        }
        if (peer.failures) {
          const ceiling = Math.min(this.retryBackoff.maximum, this.retryBackoff.initial * 2 ** (peer.failures - 1));
          await sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
          if (peer.gone || this._closing) return;
        }
        this._dropLink(peer);
        const link = this._newLink(peer);
        try {
          const sdp = await link.createOffer();
          if (peer.link !== link) throw new LinkError("replaced", "failed");
          this.signaling.relay("offer", peer.id, { sdp });
          await link.waitOpen(this.connectTimeout);
        } catch (error) {
          if (peer.gone || this._closing) return;
          peer.failures++;
          this._reportFailure(peer, error);
          continue;
        }
        this._opened(peer, link);
        return;
      }
    } finally {
      peer.connecting = false;
    }
  }

  /**
   * Answerer: report an offerer that stays silent.
   * @param {Peer} peer
   */
  _awaitOffer(peer) {
    clearTimeout(peer.offerTimer);
    peer.offerTimer = setTimeout(() => {
      this._emit("link-failed", {
        peer: peer.id, reason: "timeout", attempt: 0, final: false,
        error: `no offer from ${peer.id} within ${this.connectTimeout} s`,
      });
    }, this.connectTimeout * 1000);
  }

  /**
   * @param {string} sender
   * @param {unknown} body
   */
  async _onOffer(sender, body) {
    const sdp = checkSdp(body, this.maxSdpBytes);
    let peer = this._peers.get(sender);
    if (sdp === null || !sender) {
      console.warn("session: offer refused from", sender);
      return;
    }
    if (peer === undefined) {
      // The offer overtook the peer-joined.
      peer = new Peer(sender, "", isOfferer(this.peerId, sender));
      this._peers.set(sender, peer);
    }
    if (peer.offerer || peer.gone) {
      console.warn("session: offer ignored from", sender);
      return;
    }
    clearTimeout(peer.offerTimer);
    this._dropLink(peer);
    const link = this._newLink(peer);
    try {
      const answer = await link.acceptOffer(sdp);
      if (peer.link !== link) return; // a newer offer replaced it meanwhile
      this.signaling.relay("answer", peer.id, { sdp: answer });
      await link.waitOpen(this.connectTimeout);
    } catch (error) {
      if (peer.link === link) {
        this._reportFailure(peer, error);
        this._dropLink(peer);
        if (!peer.gone && !this._closing) this._awaitOffer(peer);
      }
      return;
    }
    if (peer.link === link) this._opened(peer, link);
  }

  /**
   * @param {string} sender
   * @param {unknown} body
   */
  async _onAnswer(sender, body) {
    const link = this._peers.get(sender)?.link;
    const sdp = checkSdp(body, this.maxSdpBytes);
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
   * A trickled candidate (from a browser peer that sends them); aiortc peers
   * and this client put every candidate in the SDP instead.
   * @param {string} sender
   * @param {unknown} candidate
   */
  async _onCandidate(sender, candidate) {
    const link = this._peers.get(sender)?.link;
    if (link == null || link.pc.remoteDescription === null) return;
    try {
      await link.pc.addIceCandidate(/** @type {RTCIceCandidateInit | null} */ (candidate) ?? undefined);
    } catch {
      // A bad candidate costs that candidate only.
    }
  }

  /**
   * @param {Peer} peer
   * @param {unknown} error
   */
  _reportFailure(peer, error) {
    const reason = error instanceof LinkError ? error.reason : "error";
    this._emit("link-failed", { peer: peer.id, reason, attempt: peer.failures, final: false, error: String(error instanceof Error ? error.message : error) });
  }

  /**
   * @param {Peer} peer
   * @param {PeerLink} link
   */
  _opened(peer, link) {
    peer.failures = 0;
    peer.connected = true;
    peer.lost = false;
    peer.asked = 0;
    peer.askAgain = false;
    peer.serves = 0;
    // Tracks join once the channels are open (see docs/session.md): the
    // first offer carries data channels only.
    const added = this._syncTracks(peer, false);
    const early = peer.early;
    peer.early = null;
    if (early !== null) this._onRenegotiate(early);
    if (added) this._negotiationNeeded(peer, link);
    route(link).then((route) => {
      if (peer.link === link) this._emit("peer-connected", { peer: peer.id, name: peer.name, offerer: peer.offerer, route });
    });
  }

  /** @param {Peer} peer */
  _dropLink(peer) {
    const link = peer.link;
    peer.link = null;
    peer.connected = false;
    this.bus.removePeer(peer.id);
    peer.answer?.(null);
    link?.close();
  }

  // -- losing connections -------------------------------------------------

  /** @param {string} peerId */
  _onPeerDead(peerId) {
    const peer = this._peers.get(peerId);
    if (peer !== undefined && peer.connected && peer.link !== null) {
      this._lost(peer, peer.link, "timeout", `silent for ${this.bus.config.deadAfter} s`);
    }
  }

  /**
   * @param {Peer} peer
   * @param {PeerLink} link
   * @param {string} reason
   * @param {string} error
   */
  _lost(peer, link, reason, error) {
    if (peer.link !== link || this._closing) return;
    peer.failures++;
    this._emit("link-failed", { peer: peer.id, reason, attempt: peer.failures, final: false, error });
    this._dropLink(peer);
    if (!peer.lost) {
      peer.lost = true;
      this._emit("peer-left", { peer: peer.id, name: peer.name, reason });
    }
    if (peer.gone || !this._peers.has(peer.id)) return;
    if (peer.offerer) this._connect(peer);
    else this._awaitOffer(peer);
  }

  /** @param {import("../bus/bus.js").Message} message */
  _onBye(message) {
    const peer = this._peers.get(message.sender);
    if (peer !== undefined) this._peerLeft(peer.id, "left");
  }

  // -- renegotiation --------------------------------------------------------

  /**
   * Make the peer's link send exactly the session's tracks; renegotiate if
   * anything changed (unless `renegotiate` is false). Returns whether it did.
   * @param {Peer} peer
   * @param {boolean} [renegotiate]
   */
  _syncTracks(peer, renegotiate = true) {
    const link = peer.link;
    if (link === null || !peer.connected) return false; // _opened adds them
    let changed = false;
    for (const [track, sender] of [...link.senders]) {
      if (!this._tracks.has(track)) {
        link.pc.removeTrack(sender);
        link.senders.delete(track);
        changed = true;
      }
    }
    for (const [track, streams] of this._tracks) {
      if (!link.senders.has(track)) {
        link.senders.set(track, link.pc.addTrack(track, ...streams));
        changed = true;
      }
    }
    if (changed && renegotiate) this._negotiationNeeded(peer, link);
    return changed;
  }

  /**
   * @param {Peer} peer
   * @param {PeerLink} link
   */
  _negotiationNeeded(peer, link) {
    if (peer.link !== link || !peer.connected) return;
    if (peer.offerer) this._scheduleOffer(peer);
    else if (peer.asked) peer.askAgain = true;
    else this._ask(peer, link);
  }

  /**
   * Answerer: ask the offerer for an offer.
   * @param {Peer} peer
   * @param {PeerLink} link
   */
  _ask(peer, link) {
    peer.requests++;
    peer.asked = peer.requests;
    try {
      this.bus.publishJson(RENEGOTIATE, { seq: peer.asked, receive: link.wantedReceivers() }, { to: peer.id });
    } catch (error) {
      if (!(error instanceof BusError)) throw error;
    }
  }

  /** @param {import("../bus/bus.js").Message} message */
  _onRenegotiate(message) {
    const peer = this._peers.get(message.sender);
    if (peer === undefined || !peer.offerer || peer.link === null) return;
    if (!peer.connected) {
      // The answerer's channels opened first and it asked at once.
      peer.early = message;
      return;
    }
    let request = null;
    try {
      request = parseRenegotiate(messageJson(message), this.maxReceive);
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
    this._scheduleOffer(peer);
  }

  /** @param {Peer} peer */
  _scheduleOffer(peer) {
    peer.dirty = true;
    if (!peer.negotiating) this._negotiate(peer);
  }

  /**
   * Offerer: one renegotiation at a time, coalescing requests that arrive meanwhile.
   * @param {Peer} peer
   */
  async _negotiate(peer) {
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
          this.bus.publishJson(OFFER, { sdp, serves }, { to: peer.id });
          const answer = await Promise.race([
            answered,
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new LinkError(`no answer within ${this.connectTimeout} s`, "timeout")), this.connectTimeout * 1000);
            }),
          ]);
          if (answer === null) throw new LinkError("renegotiation abandoned", "failed");
          await link.acceptAnswer(/** @type {string} */ (answer));
        } catch (error) {
          if (peer.link === link) {
            // A link stuck with a pending offer cannot offer again: replace it.
            this._lost(peer, link, "failed", `renegotiation: ${error instanceof Error ? error.message : error}`);
          }
          return;
        } finally {
          clearTimeout(timer);
          peer.answer = null;
        }
        this._emit("renegotiated", { peer: peer.id });
      }
    } finally {
      peer.negotiating = false;
    }
  }

  /** @param {import("../bus/bus.js").Message} message */
  _onBusAnswer(message) {
    const peer = this._peers.get(message.sender);
    if (peer === undefined || peer.answer === null) return;
    let sdp = null;
    try {
      sdp = checkSdp(messageJson(message).sdp, this.maxSdpBytes);
    } catch {
      // not JSON
    }
    if (sdp !== null) peer.answer(sdp);
    else console.warn("session: invalid renegotiation answer from", peer.id);
  }

  /** @param {import("../bus/bus.js").Message} message */
  async _onBusOffer(message) {
    const peer = this._peers.get(message.sender);
    if (peer === undefined || peer.offerer || peer.link === null || !peer.connected || this._closing) return;
    const link = peer.link;
    let answer;
    let serves = 0;
    try {
      const body = messageJson(message);
      const sdp = checkSdp(body?.sdp, this.maxSdpBytes);
      serves = Number.isSafeInteger(body.serves) ? body.serves : 0;
      if (sdp === null) throw new LinkError("no valid sdp");
      answer = await link.acceptOffer(sdp);
    } catch (error) {
      console.warn("session: renegotiation offer rejected from", peer.id, error);
      return;
    }
    if (peer.link !== link) return;
    try {
      this.bus.publishJson(ANSWER, { sdp: answer }, { to: peer.id });
    } catch (error) {
      if (!(error instanceof BusError)) throw error;
    }
    this._emit("renegotiated", { peer: peer.id });
    if (peer.asked && serves >= peer.asked) peer.asked = 0;
    if (!peer.asked && (peer.askAgain || link.wantedReceivers().length)) {
      peer.askAgain = false;
      this._ask(peer, link);
    }
  }
}
