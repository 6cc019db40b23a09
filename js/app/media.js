// Voice and screen share over the room's session: this user's microphone
// (echo cancellation on) and screen go to every peer as tracks; the peers'
// tracks are played (audio) or listed in the shares panel (video), a Python
// peer's test pattern or X11 share included.

import { messageJson } from "../src/index.js";
import { h } from "./dom.js";

/** Input level (RMS of the samples, 0 to 1) above which someone counts as speaking. */
const SPEAKING_LEVEL = 0.02;
/** Milliseconds between speaking checks. */
const SPEAKING_EVERY = 150;
/** The screen share plugin's notices (docs/media.md, "On the wire and in events"). */
export const STARTED = "screenshare.started";
export const STOPPED = "screenshare.stopped";
/** Characters kept of a peer's share description, as the Python plugin keeps. */
const MAX_TEXT = 200;

/**
 * A share notice's number and text, or null when it is malformed (the
 * plugin's rules: a positive share number below 2^31, a string).
 * @param {unknown} body
 * @param {"source" | "reason"} key
 * @returns {{ share: number, text: string } | null}
 */
export function parseNotice(body, key) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const { share } = /** @type {Record<string, unknown>} */ (body);
  const text = /** @type {Record<string, unknown>} */ (body)[key] ?? "";
  if (typeof share !== "number" || !Number.isInteger(share) || share <= 0 || share >= 2 ** 31) return null;
  if (typeof text !== "string") return null;
  return { share, text: text.slice(0, MAX_TEXT) };
}

export class Media {
  /**
   * @param {import("../src/room.js").Room} room
   * @param {{ voice: HTMLButtonElement, mute: HTMLButtonElement, share: HTMLButtonElement,
   *   shares: HTMLElement, viewer: HTMLVideoElement, audio: HTMLElement }} ui
   * @param {{ say: (text: string) => void, speaking: () => void }} hooks
   */
  constructor(room, ui, hooks) {
    this.room = room;
    this.ui = ui;
    this.hooks = hooks;
    /** @type {MediaStreamTrack | null} */
    this.mic = null;
    /** @type {MediaStreamTrack | null} */
    this.screen = null;
    /** Peers' video tracks, by peer id. @type {Map<string, MediaStreamTrack>} */
    this.shares = new Map();
    /**
     * The newest share notice of each peer that sends them (Python peers,
     * other editor pages): a track is a share only between started and
     * stopped, since aiortc keeps a removed track alive (docs/media.md).
     * @type {Map<string, { share: number, running: boolean, source: string }>}
     */
    this.notices = new Map();
    /** Our own shares so far (the notices' number). */
    this._shareCount = 0;
    /** @type {string | null} whose share the viewer shows */
    this.viewing = null;
    /** Speaking meters by peer id (this page's own under its peer id). @type {Map<string, () => number>} */
    this._meters = new Map();
    /** Who is speaking now. @type {Set<string>} */
    this.speaking = new Set();
    /** @type {AudioContext | null} */
    this._audio = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._timer = undefined;
    ui.voice.addEventListener("click", () => (this.mic === null ? this.startVoice() : this.stopVoice()));
    ui.mute.addEventListener("click", () => this.toggleMute());
    ui.share.addEventListener("click", () => (this.screen === null ? this.startShare() : this.stopShare()));
    room.on("event", (event) => {
      if (event.event === "track") this._track(String(event.peer), /** @type {MediaStreamTrack} */ (event.track));
      if (event.event === "peer-left") this._peerGone(String(event.peer));
      if (event.event === "peer-connected" && this.screen !== null) this._announce(String(event.peer));
    });
    room.bus.subscribe(STARTED, (m) => this._notice(m.sender, messageJson(m), true));
    room.bus.subscribe(STOPPED, (m) => this._notice(m.sender, messageJson(m), false));
    this._renderShares();
  }

  async startVoice() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      this.mic = stream.getAudioTracks()[0];
      this.room.session.addTrack(this.mic, stream);
      this._meter(this.room.peerId, this.mic);
      this._voiceUi();
      this.hooks.say("Voice on: the others hear you.");
    } catch (error) {
      this.hooks.say(`No microphone: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  stopVoice() {
    if (this.mic === null) return;
    this.room.session.removeTrack(this.mic);
    this.mic.stop();
    this.mic = null;
    this._meters.delete(this.room.peerId);
    this._voiceUi();
    this.hooks.say("Voice off.");
  }

  toggleMute() {
    if (this.mic === null) return;
    this.mic.enabled = !this.mic.enabled;
    this._voiceUi();
    this.hooks.say(this.mic.enabled ? "Microphone on." : "Microphone muted.");
  }

  async startShare() {
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const track = stream.getVideoTracks()[0];
      this.screen = track;
      this._shareCount += 1;
      track.addEventListener("ended", () => this.stopShare());
      this.room.session.addTrack(track, stream);
      this._announce();
      this._shareUi();
      this.hooks.say("You are sharing your screen.");
    } catch (error) {
      this.hooks.say(`Screen share not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  stopShare() {
    if (this.screen === null) return;
    this.room.bus.publishJson(STOPPED, { share: this._shareCount, reason: "stopped" });
    this.room.session.removeTrack(this.screen);
    this.screen.stop();
    this.screen = null;
    this._shareUi();
    this.hooks.say("Screen share stopped.");
  }

  /** Show peer `peer`'s share in the viewer (null: none). @param {string | null} peer */
  view(peer) {
    const track = peer === null || !this._visible().includes(peer) ? undefined : this.shares.get(peer);
    this.viewing = track === undefined ? null : peer;
    this.ui.viewer.srcObject = track === undefined ? null : new MediaStream([track]);
    this.ui.viewer.hidden = track === undefined;
    if (track !== undefined) this.ui.viewer.play().catch(() => undefined);
    this._renderShares();
  }

  // -- internals ------------------------------------------------------------

  /** Tell everyone (or one peer that just connected) about our running share. @param {string} [peer] */
  _announce(peer) {
    if (this.screen === null) return;
    const { width, height } = this.screen.getSettings();
    const body = { share: this._shareCount, source: `browser screen ${width ?? "?"}x${height ?? "?"}` };
    this.room.bus.publishJson(STARTED, body, peer === undefined ? {} : { to: peer });
  }

  /**
   * A peer's share notice: a malformed one changes nothing; a late stopped
   * (an older share's) never ends a newer share.
   * @param {string} peer
   * @param {unknown} body
   * @param {boolean} started
   */
  _notice(peer, body, started) {
    const notice = parseNotice(body, started ? "source" : "reason");
    if (notice === null) {
      console.warn(`avacollab editor: malformed share notice from ${peer}`);
      return;
    }
    const known = this.notices.get(peer);
    if (known !== undefined && notice.share < known.share) return;
    this.notices.set(peer, { share: notice.share, running: started, source: started ? notice.text : known?.source ?? "" });
    if (!started && this.viewing === peer) this.view(this._visible()[0] ?? null);
    else if (started && this.viewing === null && this.shares.has(peer)) this.view(peer);
    else this._renderShares();
  }

  /** Peers whose share can be shown: a video track, and no notice saying it stopped. */
  _visible() {
    return [...this.shares.keys()].filter((peer) => this.notices.get(peer)?.running ?? true);
  }

  /** @param {string} peer @param {MediaStreamTrack} track */
  _track(peer, track) {
    if (track.kind === "audio") {
      // A peer that stops and starts its voice sends it on the same
      // transceiver again: the same track comes back, and must not play twice.
      for (const el of this.ui.audio.querySelectorAll("audio")) {
        if (/** @type {MediaStream | null} */ (/** @type {HTMLAudioElement} */ (el).srcObject)?.getTracks()[0] === track) return;
      }
      const player = h("audio", { autoplay: true, "data-peer": peer });
      player.srcObject = new MediaStream([track]);
      this.ui.audio.append(player);
      player.play().catch(() => undefined); // autoplay may wait for a click
      this._meter(peer, track);
      track.addEventListener("ended", () => {
        player.remove();
        this._meters.delete(peer);
      });
      return;
    }
    this.shares.set(peer, track);
    track.addEventListener("ended", () => {
      if (this.shares.get(peer) === track) this._peerGone(peer);
    });
    if (this.viewing === null && (this.notices.get(peer)?.running ?? true)) this.view(peer);
    else this._renderShares();
  }

  /** @param {string} peer */
  _peerGone(peer) {
    this.shares.delete(peer);
    this.notices.delete(peer);
    this._meters.delete(peer);
    for (const el of this.ui.audio.querySelectorAll("audio")) if (el.dataset.peer === peer) el.remove();
    if (this.viewing === peer) this.view(this._visible()[0] ?? null);
    else this._renderShares();
  }

  _renderShares() {
    const peers = this.room.peers;
    const items = this._visible().map((peer) => {
      const name = peers.get(peer)?.name || peer.slice(0, 8);
      return h(
        "li",
        {},
        h("button", {
          type: "button",
          "aria-pressed": String(this.viewing === peer),
          title: this.notices.get(peer)?.source || null,
          text: `${name}’s screen`,
          onclick: () => this.view(peer),
        }),
      );
    });
    this.ui.shares.replaceChildren(...(items.length ? items : [h("li", { class: "hint", text: "Nobody is sharing." })]));
  }

  /** Measure a track's level for the speaking indicator. @param {string} peer @param {MediaStreamTrack} track */
  _meter(peer, track) {
    try {
      if (this._audio === null) {
        const context = new AudioContext();
        this._audio = context;
        // Made without a click (a peer's voice arrived), a context waits
        // suspended until the user does something on the page.
        const resume = () => void context.resume().catch(() => undefined);
        for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, resume, { once: true });
      }
      const source = this._audio.createMediaStreamSource(new MediaStream([track]));
      const analyser = this._audio.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this._meters.set(peer, () => {
        if (!track.enabled || track.readyState === "ended") return 0;
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        return Math.sqrt(sum / samples.length);
      });
    } catch {
      return; // no Web Audio: no indicator, the sound still plays
    }
    this._timer ??= setInterval(() => this._checkSpeaking(), SPEAKING_EVERY);
  }

  _checkSpeaking() {
    const now = new Set([...this._meters].filter(([, level]) => level() > SPEAKING_LEVEL).map(([peer]) => peer));
    const changed = now.size !== this.speaking.size || [...now].some((p) => !this.speaking.has(p));
    this.speaking = now;
    if (changed) this.hooks.speaking();
  }

  _voiceUi() {
    const on = this.mic !== null;
    this.ui.voice.textContent = on ? "Leave voice" : "Join voice";
    this.ui.voice.setAttribute("aria-pressed", String(on));
    this.ui.mute.disabled = !on;
    const muted = on && !(/** @type {MediaStreamTrack} */ (this.mic).enabled);
    this.ui.mute.textContent = muted ? "Unmute" : "Mute";
    this.ui.mute.setAttribute("aria-pressed", String(muted));
  }

  _shareUi() {
    const on = this.screen !== null;
    this.ui.share.textContent = on ? "Stop sharing" : "Share screen";
    this.ui.share.setAttribute("aria-pressed", String(on));
  }
}
