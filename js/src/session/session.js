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
// * Trickle (the default): each description goes out at once and every
//   local candidate follows it in a `candidate` message as it is gathered,
//   then null for end-of-candidates; aiortc peers take them
//   (avacollab/peer/candidates.py). With `trickle: false` a description is
//   sent once ICE gathering has completed (or `gatherTimeout` has passed),
//   candidates included. Either way the candidates peers trickle are taken,
//   held until the remote description is applied (./candidates.js).
// * Renegotiation (a track added or removed) runs over the pair's bus:
//   `session.renegotiate` from the answerer, `session.offer` and
//   `session.answer` (./renegotiation.js). Peers' requests are bounded
//   before they are used. A peer that leaves an exchange unanswered within
//   `renegotiationTimeout` costs only the media: `media-unavailable`, the
//   link kept, the exchange tried again after `renegotiationBackoff`.
// * A link not open within `connectTimeout` is replaced by the offerer, with
//   backoff and at most `maxRetries` failures in a row; so is a link that
//   fails, whose channel closes, or whose peer the bus finds silent.
// * close() publishes `session.bye`, drains the bus, closes the links and
//   leaves the room.

import { Bus, BusError } from "../bus/bus.js";
import { SignalingClient } from "../signaling/client.js";

import { ANSWER, OFFER, RENEGOTIATE, act, awaitOffer, connect, endNegotiation, negotiationNeeded, onAnswer, onCandidate, onOffer, onRenegotiation, syncTracks } from "./negotiation.js";
import { LinkError, Peer, PeerLink, errorText, isOfferer, route, sleep } from "./link.js";
import { Negotiation, RENEGOTIATION_BACKOFF } from "./renegotiation.js";

// The names this module has always offered (the `session` namespace of index.js).
export { ANSWER, OFFER, RENEGOTIATE } from "./negotiation.js";
export { LinkError, PeerLink, RELIABLE, UNORDERED, acceptedIceServers, checkSdp, isOfferer } from "./link.js";

export const BYE = "session.bye";

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
 * @property {number} [renegotiationTimeout] seconds a peer has to answer a media
 *   renegotiation (default: connectTimeout)
 * @property {{ initial?: number, maximum?: number }} [renegotiationBackoff] seconds an
 *   unanswered renegotiation waits before it is tried again (about 15, doubling to 300)
 * @property {boolean} [trickle] send each description at once and the candidates after it
 *   as they are gathered (true); false: wait for gathering and send complete descriptions
 * @property {number} [gatherTimeout] without trickle, seconds to wait for ICE gathering
 *   before sending a description (5)
 * @property {boolean} [relayOnly] connect through TURN relays only
 * @property {number} [maxSdpBytes] largest SDP taken from a peer (65,536)
 * @property {number} [maxReceive] most kinds one renegotiation request may list (16)
 * @property {(sdp: string, peerId: string) => string} [localSdp] rewrites each local
 *   description before it is sent (with trickle, it holds no candidates)
 * @property {Partial<import("../bus/bus.js").BusConfig>} [bus]
 * @property {import("../signaling/client.js").ResumeStorage | null} [resumeStorage] where the
 *   resume token waits across a page reload, so the reloaded page keeps its peer id
 *   (default: sessionStorage when there is one; null: a reload joins as a new peer)
 * @property {Partial<import("../signaling/client.js").SignalingOptions>} [signaling] more signaling options
 */



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
    this.renegotiationTimeout = options.renegotiationTimeout ?? this.connectTimeout;
    this.renegotiationBackoff = { ...RENEGOTIATION_BACKOFF, ...options.renegotiationBackoff };
    this.trickle = options.trickle ?? true;
    this.gatherTimeout = options.gatherTimeout ?? 5;
    this.relayOnly = options.relayOnly ?? false;
    this.maxSdpBytes = options.maxSdpBytes ?? 65_536;
    this.maxReceive = options.maxReceive ?? 16;
    this._rewrite = options.localSdp;
    if (!(this.connectTimeout > 0)) throw new RangeError("connectTimeout must be positive");
    if (!(this.maxRetries >= 0)) throw new RangeError("maxRetries must not be negative");
    if (!(this.renegotiationTimeout > 0)) throw new RangeError("renegotiationTimeout must be positive");
    const backoff = this.renegotiationBackoff;
    if (!(backoff.initial > 0 && backoff.initial <= backoff.maximum && backoff.factor >= 1)) {
      throw new RangeError("renegotiationBackoff needs 0 < initial <= maximum and a factor of at least 1");
    }
    /** @type {import("../signaling/client.js").SignalingOptions} */
    const signalingOptions = {
      ...options.signaling,
      name: options.name ?? "",
      onMessage: (message) => this._onSignal(message),
    };
    if (options.token !== undefined) signalingOptions.token = options.token;
    if (options.WebSocket !== undefined) signalingOptions.WebSocket = options.WebSocket;
    if (options.resumeStorage !== undefined) signalingOptions.resumeStorage = options.resumeStorage;
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
    for (const topic of [RENEGOTIATE, OFFER, ANSWER]) this.bus.subscribe(topic, (m) => onRenegotiation(this, m));
    this.bus.subscribe(BYE, (m) => this._onBye(m));
    const others = (Array.isArray(welcome.peers) ? welcome.peers : []).filter((p) => p !== null && typeof p === "object");
    this._emit("joined", {
      room: this.room,
      peer: this.peerId,
      name: String(welcome.name ?? ""),
      peers: others.map((p) => String(p.peer)),
      resumed: Boolean(welcome.resumed), // a reloaded page that kept its id
    });
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
      endNegotiation(peer);
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
    for (const peer of this._peers.values()) syncTracks(this, peer);
  }

  /**
   * Stop sending a track added with addTrack; renegotiates.
   * @param {MediaStreamTrack} track
   */
  removeTrack(track) {
    this._tracks.delete(track);
    for (const peer of this._peers.values()) syncTracks(this, peer);
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

  /**
   * Trickle a local candidate of `link` to its peer; a replaced link's go nowhere.
   * @param {import("./link.js").PeerLink} link
   * @param {RTCIceCandidateInit | null} candidate
   */
  _sendCandidate(link, candidate) {
    if (this._closing || this._peers.get(link.peerId)?.link !== link) return;
    this.signaling.relay("candidate", link.peerId, { candidate });
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
        onOffer(this, sender, message.sdp);
        break;
      case "answer":
        onAnswer(this, sender, message.sdp);
        break;
      case "candidate":
        onCandidate(this, sender, message.candidate);
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
        connect(this, known);
      }
      return;
    }
    const peer = new Peer(peerId, name, isOfferer(this.peerId, peerId));
    this._peers.set(peerId, peer);
    this._emit("peer-joined", { peer: peerId, name, offerer: peer.offerer });
    if (peer.offerer) connect(this, peer);
    else awaitOffer(this, peer);
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
    peer.negotiation = new Negotiation(peer.offerer, {
      timeout: this.renegotiationTimeout,
      backoff: this.renegotiationBackoff,
      fits: (receive) => link.receivable(receive),
    });
    return link;
  }

  /**
   * @param {Peer} peer
   * @param {unknown} error
   */
  _reportFailure(peer, error) {
    const reason = error instanceof LinkError ? error.reason : "error";
    this._emit("link-failed", { peer: peer.id, reason, attempt: peer.failures, final: false, error: errorText(error) });
  }

  /**
   * @param {Peer} peer
   * @param {PeerLink} link
   */
  _opened(peer, link) {
    peer.failures = 0;
    peer.connected = true;
    peer.lost = false;
    // Tracks join once the channels are open (see docs/session.md): the
    // first offer carries data channels only.
    const added = syncTracks(this, peer, false);
    if (peer.negotiation !== null) act(this, peer, link, peer.negotiation.opened());
    if (added) negotiationNeeded(this, peer, link);
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
    endNegotiation(peer);
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
    if (peer.offerer) connect(this, peer);
    else awaitOffer(this, peer);
  }

  /** @param {import("../bus/bus.js").Message} message */
  _onBye(message) {
    const peer = this._peers.get(message.sender);
    if (peer !== undefined) this._peerLeft(peer.id, "left");
  }

}
