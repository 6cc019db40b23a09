// The signaling client: join a room, relay to peers, survive reconnects.
//
// The JavaScript twin of avacollab/peer/signaling_client.py, speaking
// docs/protocol.md part 1. A SignalingClient keeps one room membership alive:
// when the WebSocket drops it reconnects with exponential backoff and jitter
// and joins again with its resume token, so it keeps its peer id (to the other
// members, and to the peer connections they hold, nothing happened). Messages
// sent while reconnecting are buffered (boundedly) and sent after the new
// welcome. Browsers cannot see WebSocket pings, so the client also sends the
// protocol's `ping` every `heartbeat` seconds and treats a server it has not
// heard from for twice that as gone.
//
// A page reload keeps the peer id too: on `pagehide` the client puts its
// resume token in `resumeStorage` (sessionStorage by default) and closes with
// 4000, which keeps its place for the server's resume grace; the reloaded
// page takes the token out again and joins with it. The token is written only
// then, never while the page lives, so a duplicated tab (which copies
// sessionStorage) joins as a new peer instead of taking this one's id. A
// token the server no longer honours gives an ordinary join with a new id;
// one it refuses outright is dropped and the join made again without it.

/** The protocol version this client speaks. */
export const VERSION = 1;
/** The server closes a connection with this code when the same peer resumed elsewhere. */
export const CLOSE_REPLACED = 4001;
/** Closing with 1000 (or 1001) is a leave; 4000 asks the server to keep our place. */
export const CLOSE_LEAVE = 1000;
export const CLOSE_KEEP_PLACE = 4000;

/** Errors after which retrying the same join is pointless. */
export const FATAL_CODES = Object.freeze(
  new Set([
    "token-required",
    "token-invalid",
    "token-expired",
    "token-wrong-room",
    "unsupported-version",
    "invalid",
    "room-full",
    "too-many-rooms",
  ]),
);

/** The server refused us (`code` is the protocol's error code) or is unreachable. */
export class SignalingError extends Error {
  /**
   * @param {string} message
   * @param {string} [code]
   */
  constructor(message, code = "unreachable") {
    super(message);
    this.name = "SignalingError";
    this.code = code;
  }
}

/**
 * Where a page keeps its resume token across a reload: sessionStorage, or
 * anything with the same three methods.
 * @typedef {{
 *   getItem(key: string): string | null,
 *   setItem(key: string, value: string): void,
 *   removeItem(key: string): void,
 * }} ResumeStorage
 * @typedef {{
 *   addEventListener(type: string, listener: (event: any) => void): void,
 *   removeEventListener(type: string, listener: (event: any) => void): void,
 * }} PageEvents
 * @typedef {{ [key: string]: any, type: string }} SignalingMessage
 * @typedef {{ initial?: number, maximum?: number, factor?: number }} BackoffOptions
 *   seconds: the first delay (0.25), the largest (10), growth a retry (2)
 * @typedef {{
 *   readonly readyState: number,
 *   send(data: string): void,
 *   close(code?: number, reason?: string): void,
 *   addEventListener(type: string, listener: (event: any) => void): void,
 * }} WebSocketLike
 * @typedef {new (url: string) => WebSocketLike} WebSocketClass
 * @typedef {object} SignalingOptions
 * @property {string} [name] display name shown to the others
 * @property {string} [token] a join token, when the server demands one
 * @property {(message: SignalingMessage) => void | Promise<void>} [onMessage]
 *   every message from the server after the welcome; after a reconnect, a copy
 *   of the new welcome (`type: "welcome"`) so the session can catch up
 * @property {(state: "connected" | "reconnecting" | "closed") => void} [onState]
 * @property {WebSocketClass} [WebSocket] the WebSocket class (default: the global one;
 *   in Node 20, the `ws` package's)
 * @property {number} [heartbeat] seconds between `ping` messages (10); silent for twice this is a drop
 * @property {BackoffOptions} [backoff]
 * @property {number} [connectTimeout] seconds to reach a welcome (10)
 * @property {number} [maxBuffered] messages kept while reconnecting (256); the oldest go first
 * @property {ResumeStorage | null} [resumeStorage] where the resume token waits across a
 *   page reload (default: sessionStorage when there is one; null: a reload joins as a new peer)
 * @property {PageEvents | null} [pageEvents] what fires `pagehide` (default: the window, when
 *   there is one)
 */

/**
 * The page's sessionStorage, or null where there is none (Node) or it may not
 * be used (a sandboxed frame, storage blocked: reading it throws).
 * @returns {ResumeStorage | null}
 */
export function defaultResumeStorage() {
  try {
    const storage = /** @type {any} */ (globalThis).sessionStorage;
    return storage !== undefined && storage !== null ? storage : null;
  } catch {
    return null;
  }
}

/**
 * The storage key of the resume token for one server and room.
 * @param {string} url
 * @param {string} room
 */
export function resumeKey(url, room) {
  return `avacollab.resume ${url} ${room}`;
}

const OPEN = 1;
const HEARTBEAT_ID = "avacollab-heartbeat";

/**
 * Exponential backoff with full jitter, so a restarted server is not stampeded.
 * @param {Required<BackoffOptions>} backoff
 * @param {number} attempt
 */
export function backoffDelay(backoff, attempt) {
  const ceiling = Math.min(backoff.maximum, backoff.initial * backoff.factor ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/** One peer's membership of one room on a signaling server. */
export class SignalingClient {
  /**
   * @param {string} url the server's WebSocket URL, e.g. ws://127.0.0.1:8765/ws
   * @param {string} room
   * @param {SignalingOptions} [options]
   */
  constructor(url, room, options = {}) {
    this.url = url;
    this.room = room;
    this.name = options.name ?? "";
    this.token = options.token;
    this.onMessage = options.onMessage;
    this.onState = options.onState;
    const socketClass = options.WebSocket ?? /** @type {any} */ (globalThis).WebSocket;
    if (typeof socketClass !== "function") {
      throw new TypeError("no WebSocket class: pass options.WebSocket (in Node 20, the ws package's)");
    }
    /** @type {WebSocketClass} */
    this._WebSocket = socketClass;
    this.heartbeat = options.heartbeat ?? 10;
    this.backoff = { initial: 0.25, maximum: 10, factor: 2, ...options.backoff };
    this.connectTimeout = options.connectTimeout ?? 10;
    this.maxBuffered = options.maxBuffered ?? 256;
    /** @type {ResumeStorage | null} */
    this.resumeStorage = options.resumeStorage === undefined ? defaultResumeStorage() : options.resumeStorage;
    const page = /** @type {any} */ (globalThis);
    /** @type {PageEvents | null} */
    this._pageEvents =
      options.pageEvents !== undefined
        ? options.pageEvents
        : typeof page.addEventListener === "function" && typeof page.removeEventListener === "function"
          ? page
          : null;
    this._onPageHide = () => this._pageHidden();
    /** @type {SignalingMessage} the latest welcome (iceServers kept fresh by `ice-servers`) */
    this.welcome = { type: "welcome" };
    /** Times the membership was re-established after a drop. */
    this.reconnects = 0;
    /** @type {string | undefined} */
    this._resume = undefined;
    /** @type {WebSocketLike | null} */
    this._ws = null;
    /** @type {string[]} */
    this._buffer = [];
    this._joined = false;
    this._closing = false;
    this._nextId = 0;
    this._lastHeard = 0;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._heartbeatTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this._retryTimer = undefined;
    /** @type {Array<() => void>} */
    this._joinedWaiters = [];
  }

  /** Our id in the room (the same across reconnects when resume works). */
  get peerId() {
    return String(this.welcome.peer ?? "");
  }

  /** Joined, with an open connection. */
  get connected() {
    return this._joined && this._ws !== null && this._ws.readyState === OPEN;
  }

  /**
   * Join the room and keep the membership alive; resolve with the welcome.
   * Rejects with a SignalingError if the first join fails: a wrong URL or a
   * refused token should be reported now, not retried forever.
   * @returns {Promise<SignalingMessage>}
   */
  async connect() {
    this._closing = false;
    const stored = this._takeStoredToken();
    if (stored !== null) this._resume = stored;
    try {
      await this._open();
    } catch (error) {
      if (stored === null || !(error instanceof SignalingError) || error.code === "unreachable") throw error;
      // Refused with the token of an earlier page (malformed, too long, from
      // another server): a fresh join is what the page would have done without it.
      this._resume = undefined;
      await this._open();
    }
    this._startHeartbeat();
    if (this.resumeStorage !== null) this._pageEvents?.addEventListener("pagehide", this._onPageHide);
    return this.welcome;
  }

  /**
   * Leave the room (unless `leave` is false: then the server keeps our place
   * for its resume grace) and stop reconnecting.
   * @param {{ leave?: boolean }} [options]
   */
  close({ leave = true } = {}) {
    this._closing = true;
    this._pageEvents?.removeEventListener("pagehide", this._onPageHide);
    // A page that left must not come back as the peer it was.
    if (leave) this._forgetStoredToken();
    clearTimeout(this._retryTimer);
    this._stopHeartbeat();
    const ws = this._ws;
    this._ws = null;
    this._joined = false;
    if (ws !== null && ws.readyState === OPEN) {
      if (leave) ws.send(JSON.stringify({ type: "leave" }));
      ws.close(leave ? CLOSE_LEAVE : CLOSE_KEEP_PLACE);
    }
    this.onState?.("closed");
  }

  /**
   * Send a message, or buffer it until the next welcome if we are reconnecting.
   * @param {SignalingMessage} message
   */
  send(message) {
    const text = JSON.stringify(message);
    const ws = this._ws;
    if (ws === null || ws.readyState !== OPEN || !this._joined) {
      this._buffer.push(text);
      if (this._buffer.length > this.maxBuffered) this._buffer.shift();
      return;
    }
    ws.send(text);
  }

  /**
   * Send an offer, answer or candidate to one member of the room.
   * @param {"offer" | "answer" | "candidate"} type
   * @param {string} to
   * @param {Record<string, unknown>} body `sdp`, or `candidate`
   */
  relay(type, to, body) {
    this.send({ ...body, type, to });
  }

  /**
   * Resolve once joined (again). Bound it with a timeout of your own.
   * @returns {Promise<void>}
   */
  waitConnected() {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this._joinedWaiters.push(resolve));
  }

  // -- internals ---------------------------------------------------------

  /** The page is going away (a reload, a navigation, the tab closing). */
  _pageHidden() {
    if (this._closing || this.resumeStorage === null) return;
    const token = this._resume;
    if (token !== undefined) {
      try {
        this.resumeStorage.setItem(resumeKey(this.url, this.room), token);
      } catch (error) {
        // Storage full or blocked: the next page joins as a new peer.
        console.warn("signaling: cannot keep the resume token", error);
      }
    }
    // 4000: the server keeps our place (and queues what is relayed to us)
    // for its resume grace, for the next page to take over.
    this.close({ leave: false });
  }

  /** The token an earlier page of this tab left, removed from the storage (or null). */
  _takeStoredToken() {
    if (this.resumeStorage === null) return null;
    try {
      const token = this.resumeStorage.getItem(resumeKey(this.url, this.room));
      this._forgetStoredToken();
      return typeof token === "string" && token !== "" ? token : null;
    } catch {
      return null;
    }
  }

  _forgetStoredToken() {
    try {
      this.resumeStorage?.removeItem(resumeKey(this.url, this.room));
    } catch {
      // blocked storage: nothing was kept there either
    }
  }

  /**
   * Open a connection and join; resolve with it once welcomed.
   * @returns {Promise<WebSocketLike>}
   */
  _open() {
    return new Promise((resolve, reject) => {
      /** @type {WebSocketLike} */
      let ws;
      try {
        ws = new this._WebSocket(this.url);
      } catch (error) {
        reject(new SignalingError(`cannot reach ${this.url}: ${error}`));
        return;
      }
      let settled = false;
      /** @param {Error} error */
      const fail = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          ws.close();
        } catch {
          // already closing
        }
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new SignalingError(`no welcome from ${this.url} within ${this.connectTimeout} s`)),
        this.connectTimeout * 1000,
      );
      ws.addEventListener("open", () => {
        const join = /** @type {SignalingMessage} */ ({ type: "join", room: this.room, id: ++this._nextId });
        if (this.name) join.name = this.name;
        if (this.token) join.token = this.token;
        if (this._resume) join.resume = this._resume;
        // hello and join go out together: one round trip to a welcome.
        ws.send(JSON.stringify({ type: "hello", version: VERSION }));
        ws.send(JSON.stringify(join));
      });
      ws.addEventListener("error", () => fail(new SignalingError(`cannot reach ${this.url}`)));
      ws.addEventListener("close", (event) => {
        if (!settled) fail(new SignalingError(`${this.url} closed the connection while joining (${event.code})`));
        else this._lost(ws, event.code);
      });
      ws.addEventListener("message", (event) => {
        this._lastHeard = Date.now();
        const message = parse(event.data);
        if (message === null) return;
        if (!settled) {
          if (message.type === "welcome") {
            settled = true;
            clearTimeout(timer);
            this._welcomed(ws, message);
            resolve(ws);
          } else if (message.type === "error") {
            fail(new SignalingError(`join refused: ${message.message}`, String(message.code)));
          }
          return;
        }
        if (ws !== this._ws) return; // a connection we gave up on
        if (message.type === "ice-servers") this.welcome.iceServers = message.iceServers ?? [];
        // Our heartbeat's answer: hearing it was the point. A pong to the
        // application's own ping (another id) is passed on.
        if (message.type === "pong" && message.id === HEARTBEAT_ID) return;
        this._deliver(message);
      });
    });
  }

  /**
   * @param {WebSocketLike} ws
   * @param {SignalingMessage} welcome
   */
  _welcomed(ws, welcome) {
    this.welcome = welcome;
    this._resume = welcome.resume;
    this._ws = ws;
    this._joined = true;
    for (const text of this._buffer.splice(0)) ws.send(text);
    for (const wake of this._joinedWaiters.splice(0)) wake();
    this.onState?.("connected");
  }

  _startHeartbeat() {
    this._stopHeartbeat();
    this._lastHeard = Date.now();
    this._heartbeatTimer = setInterval(() => {
      const ws = this._ws;
      if (ws === null || ws.readyState !== OPEN) return;
      if (Date.now() - this._lastHeard > 2 * this.heartbeat * 1000) {
        // Nothing, not even a pong, for two heartbeats: the connection is
        // dead even if the socket does not know yet. Keep our place.
        this._lost(ws, 1006);
        ws.close(CLOSE_KEEP_PLACE);
        return;
      }
      ws.send(JSON.stringify({ type: "ping", id: HEARTBEAT_ID }));
    }, this.heartbeat * 1000);
  }

  _stopHeartbeat() {
    clearInterval(this._heartbeatTimer);
    this._heartbeatTimer = undefined;
  }

  /**
   * The connection ended without close() being called.
   * @param {WebSocketLike} ws
   * @param {number} code
   */
  _lost(ws, code) {
    // Only the current connection counts: a late close event of one already
    // given up (by the heartbeat, or replaced by a reconnect) changes nothing.
    if (this._closing || ws !== this._ws) return;
    this._ws = null;
    this._joined = false;
    this._stopHeartbeat();
    if (code === CLOSE_REPLACED) {
      // Another connection resumed as us; reconnecting would only take the
      // peer id back from it, and so on forever.
      this._closing = true;
      this.onState?.("closed");
      return;
    }
    this.onState?.("reconnecting");
    this._retry(0);
  }

  /** @param {number} attempt */
  _retry(attempt) {
    if (this._closing) return;
    this._retryTimer = setTimeout(async () => {
      if (this._closing) return;
      let ws;
      try {
        ws = await this._open();
      } catch (error) {
        if (this._closing) return;
        const code = error instanceof SignalingError ? error.code : "unreachable";
        // A token that expired while we were away: nothing more to try.
        if (code.startsWith("token")) {
          this._closing = true;
          this.onState?.("closed");
          return;
        }
        this._retry(attempt + 1);
        return;
      }
      if (this._closing) {
        ws.close(CLOSE_LEAVE);
        return;
      }
      this.reconnects++;
      this._startHeartbeat();
      this._deliver({ ...this.welcome, type: "welcome" });
    }, backoffDelay(this.backoff, attempt) * 1000);
  }

  /** @param {SignalingMessage} message */
  _deliver(message) {
    try {
      const result = this.onMessage?.(message);
      if (result instanceof Promise) result.catch((error) => console.error("signaling: handler failed", error));
    } catch (error) {
      console.error("signaling: handler failed", error);
    }
  }
}

/**
 * A server frame as a message; null for anything that is not a JSON object.
 * @param {unknown} data
 * @returns {SignalingMessage | null}
 */
function parse(data) {
  if (typeof data !== "string") return null;
  try {
    const value = JSON.parse(data);
    return value !== null && typeof value === "object" && !Array.isArray(value) && typeof value.type === "string"
      ? value
      : null;
  } catch {
    return null;
  }
}
