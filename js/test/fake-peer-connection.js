// A stand-in for RTCPeerConnection in Node (which has no WebRTC): two fakes
// whose descriptions have been exchanged join their data channels by id,
// over in-memory channels (./memory-channel.js). Enough for the session's
// own logic (the offerer rule, relays, retries, the bus on top, bye,
// renegotiation bounds); the real thing is tested in Chromium
// (tests/test_web_session_chromium.py).
import { MemoryChannel } from "./memory-channel.js";

/** @type {Map<string, FakePeerConnection>} */
const registry = new Map();
let counter = 0;

export class FakePeerConnection extends EventTarget {
  /** Every connection made, for tests that look at them. @type {FakePeerConnection[]} */
  static made = [];
  /** Set to false to make new connections that never open (a blocked path). */
  static opens = true;
  /** Set to false to make new connections whose ICE gathering never completes
   * (a STUN or TURN server that does not answer). */
  static gathers = true;

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
    this.localDescription = null;
    /** @type {{ type: string, sdp: string } | null} */
    this.remoteDescription = null;
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

  /** @param {{ type: string, sdp: string }} description */
  async setLocalDescription(description) {
    this.localDescription = description;
    this.signalingState = description.type === "offer" ? "have-local-offer" : "stable";
    // Gathering completes a moment later, as in a browser.
    this.iceGatheringState = "gathering";
    setTimeout(() => {
      if (!this.gathers) return;
      this.iceGatheringState = "complete";
      this.dispatchEvent(new Event("icegatheringstatechange"));
    }, 5);
    this._connect();
  }

  /** @param {{ type: string, sdp: string }} description */
  async setRemoteDescription(description) {
    const token = /a=fake:(\S+)/.exec(description.sdp)?.[1];
    const remote = token === undefined ? undefined : registry.get(token);
    if (remote === undefined) throw new Error("not a fake description");
    this.remoteDescription = description;
    this.remote = remote;
    this.signalingState = description.type === "offer" ? "have-remote-offer" : "stable";
    for (const t of this.transceivers) t.mid ??= String(this.transceivers.indexOf(t));
    this._connect();
  }

  /** Both descriptions set on both sides: join the channels and open them. */
  _connect() {
    const remote = this.remote;
    if (!this.opens || remote === null || remote.remote !== this || this.localDescription === null) return;
    if (remote.localDescription === null || this.connectionState === "connected") return;
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
    const transceiver = { kind, mid: null, direction: init.direction, sender: { track: null } };
    this.transceivers.push(transceiver);
    return transceiver;
  }

  getTransceivers() {
    return this.transceivers;
  }

  async getStats() {
    return new Map();
  }

  async addIceCandidate() {}

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
