// A stand-in for RTCPeerConnection in Node (which has no WebRTC): two fakes
// whose descriptions have been exchanged join their data channels by id,
// over in-memory channels (./memory-channel.js). Enough for the session's
// own logic (the offerer rule, relays, retries, the bus on top, bye,
// renegotiation bounds); the real thing is tested in Chromium
// (tests/test_web_session_chromium.py).
//
// ICE as far as the session sees it: the first setLocalDescription gathers
// one candidate a moment later (an `icecandidate` event, and from then on a
// line in localDescription), then completes (null). Two fakes connect only
// once each knows a candidate of the other, from the SDP or trickled with
// addIceCandidate, which, as in browsers, fails before a remote description.
import { MemoryChannel } from "./memory-channel.js";

/** @type {Map<string, FakePeerConnection>} */
const registry = new Map();

/**
 * An RTCRtpSender's part the session uses.
 * @param {unknown} track
 */
function fakeSender(track) {
  const sender = {
    track,
    /** @param {unknown} next */
    async replaceTrack(next) {
      sender.track = next;
    },
    setStreams() {},
  };
  return sender;
}
let counter = 0;

export class FakePeerConnection extends EventTarget {
  /** Every connection made, for tests that look at them. @type {FakePeerConnection[]} */
  static made = [];
  /** Set to false to make new connections that never open (a blocked path). */
  static opens = true;
  /** Set to false to make new connections whose ICE gathering never completes
   * (a STUN or TURN server that does not answer). */
  static gathers = true;
  /** Milliseconds setRemoteDescription takes (candidates may arrive meanwhile). */
  static remoteDelay = 0;

  /** @param {any} config */
  constructor(config) {
    super();
    this.config = config;
    this.token = `fake-${++counter}`;
    registry.set(this.token, this);
    this.opens = FakePeerConnection.opens;
    this.gathers = FakePeerConnection.gathers;
    this.signalingState = "stable";
    this.iceGatheringState = "new";
    this.iceConnectionState = "new";
    this.connectionState = "new";
    /** @type {{ type: string, sdp: string } | null} */
    this._local = null;
    /** @type {{ type: string, sdp: string } | null} */
    this.remoteDescription = null;
    /** @type {string[]} candidate lines gathered */
    this.gathered = [];
    /** @type {Array<RTCIceCandidateInit | null>} what addIceCandidate took */
    this.remoteCandidates = [];
    /** @type {Map<number, MemoryChannel>} */
    this.channels = new Map();
    /** @type {any[]} */
    this.transceivers = [];
    /** @type {FakePeerConnection | null} */
    this.remote = null;
    FakePeerConnection.made.push(this);
  }

  /**
   * @param {string} label
   * @param {{ id: number }} options
   */
  createDataChannel(label, options) {
    const channel = new MemoryChannel(label);
    channel.readyState = "connecting";
    Object.assign(channel, { options });
    this.channels.set(options.id, channel);
    return channel;
  }

  _sdp() {
    const media = this.transceivers.map((t) => `m=${t.kind} 9 UDP/TLS/RTP/SAVPF 96\r\n`).join("");
    return `v=0\r\na=fake:${this.token}\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n${media}`;
  }

  async createOffer() {
    return { type: "offer", sdp: this._sdp() };
  }

  async createAnswer() {
    return { type: "answer", sdp: this._sdp() };
  }

  /** The local description with the candidates gathered so far, as in a browser. */
  get localDescription() {
    if (this._local === null) return null;
    return { type: this._local.type, sdp: this._local.sdp + this.gathered.map((c) => `a=${c}\r\n`).join("") };
  }

  /** @param {{ type: string, sdp: string }} description */
  async setLocalDescription(description) {
    this._local = description;
    this.signalingState = description.type === "offer" ? "have-local-offer" : "stable";
    if (this.iceGatheringState === "new") {
      // Gathering runs a moment later, as in a browser, and only once.
      this.iceGatheringState = "gathering";
      setTimeout(() => {
        if (this.connectionState === "closed") return;
        const line = `candidate:1 1 udp 2122260223 127.0.0.1 ${40000 + counter} typ host`;
        this.gathered.push(line);
        this._candidate({ candidate: line, sdpMid: "0", sdpMLineIndex: 0 });
        if (!this.gathers) return;
        this.iceGatheringState = "complete";
        this.dispatchEvent(new Event("icegatheringstatechange"));
        this._candidate(null);
      }, 5);
    }
    this._connect();
  }

  /** @param {RTCIceCandidateInit | null} candidate */
  _candidate(candidate) {
    this.dispatchEvent(Object.assign(new Event("icecandidate"), { candidate }));
  }

  /** @param {{ type: string, sdp: string }} description */
  async setRemoteDescription(description) {
    if (FakePeerConnection.remoteDelay) await new Promise((resolve) => setTimeout(resolve, FakePeerConnection.remoteDelay));
    const token = /a=fake:(\S+)/.exec(description.sdp)?.[1];
    const remote = token === undefined ? undefined : registry.get(token);
    if (remote === undefined) throw new Error("not a fake description");
    this.remoteDescription = description;
    this.remote = remote;
    this.signalingState = description.type === "offer" ? "have-remote-offer" : "stable";
    for (const t of this.transceivers) t.mid ??= String(this.transceivers.indexOf(t));
    this._connect();
  }

  /** Whether this side knows a candidate of its remote one. */
  _knowsCandidate() {
    return /^a=candidate:/m.test(this.remoteDescription?.sdp ?? "") || this.remoteCandidates.some((c) => c !== null);
  }

  /** Both descriptions set on both sides, and a candidate known: join the channels and open them. */
  _connect() {
    const remote = this.remote;
    if (!this.opens || remote === null || remote.remote !== this || this._local === null) return;
    if (remote._local === null || this.connectionState === "connected") return;
    if (!this._knowsCandidate() || !remote._knowsCandidate()) return;
    for (const [id, channel] of this.channels) {
      const other = remote.channels.get(id);
      if (other === undefined) continue;
      channel.remote = other;
      other.remote = channel;
      for (const end of [channel, other]) {
        end.readyState = "open";
        setTimeout(() => end.dispatchEvent(new Event("open")), 0);
      }
    }
    for (const pc of [this, remote]) {
      pc.connectionState = "connected";
      pc.dispatchEvent(new Event("connectionstatechange"));
    }
  }

  /**
   * @param {string} kind
   * @param {{ direction: string }} init
   */
  addTransceiver(kind, init) {
    // As in browsers, the receiver's track exists (and says the kind) from the start.
    const transceiver = { kind, mid: null, direction: init.direction, sender: fakeSender(null), receiver: { track: { kind } } };
    this.transceivers.push(transceiver);
    return transceiver;
  }

  getTransceivers() {
    return this.transceivers;
  }

  /**
   * A local track: a transceiver without an m-line until a description gives it one.
   * @param {{ kind: string }} track
   */
  addTrack(track) {
    // As in browsers, never on a transceiver that has sent before.
    const transceiver = { kind: track.kind, mid: null, direction: "sendrecv", sender: fakeSender(track), receiver: { track: { kind: track.kind } } };
    this.transceivers.push(transceiver);
    return transceiver.sender;
  }

  /** @param {{ track: unknown }} sender */
  removeTrack(sender) {
    sender.track = null;
    // As in browsers: the transceiver stops sending and keeps receiving.
    const transceiver = this.transceivers.find((t) => t.sender === sender);
    if (transceiver !== undefined) transceiver.direction = transceiver.direction === "sendrecv" ? "recvonly" : "inactive";
  }

  async getStats() {
    return new Map();
  }

  /** @param {RTCIceCandidateInit} [candidate] none: end-of-candidates */
  async addIceCandidate(candidate) {
    if (this.remoteDescription === null) throw new Error("InvalidStateError: no remote description");
    if (candidate !== undefined && !/^candidate:\S+ \d+ udp \d+ \S+ \d+ typ \w+/.test(candidate.candidate ?? "")) {
      throw new Error("OperationError: not a candidate line");
    }
    this.remoteCandidates.push(candidate ?? null);
    this._connect();
  }

  close() {
    if (this.connectionState === "closed") return;
    this.connectionState = "closed";
    this.signalingState = "closed";
    registry.delete(this.token);
    for (const channel of this.channels.values()) {
      for (const end of [channel, channel.remote]) {
        if (end !== null && end.readyState !== "closed") {
          end.readyState = "closed";
          end.dispatchEvent(new Event("close"));
        }
      }
    }
  }
}
