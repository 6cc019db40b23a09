// The data-channel bus: topics, batching, chunking, backpressure, liveness.
//
// The JavaScript twin of avacollab/bus/core.py, on the wire format of
// ./wire.js (docs/protocol.md part 2). Each peer contributes two channels:
// `bus` (reliable, ordered) and `bus-unordered` (no retransmits). Messages
// published in one task leave in as few frames as fit, per peer and channel.
//
// Queue policy, per peer: the reliable queue is bounded in bytes and never
// drops (publish throws BusFull; `await send()` waits for room); the
// unordered queue keeps the newest message per topic, at most
// `unorderedQueueMessages` topics, the oldest dropped beyond. Frames go to a
// channel only while its bufferedAmount is under `highWater`.
//
// Compressed payloads inflate asynchronously (DecompressionStream): messages
// that arrive after one on the same channel wait for it, so subscribers see
// each channel's messages in arrival order.

import {
  FLAG_DEFLATE,
  FLAG_JSON,
  FrameError,
  HEADER_SIZE,
  MessageTooLarge,
  chunkFrames,
  decodeFrame,
  deflate,
  encodeEntry,
  encodeJson,
  entryPrefix,
  entrySize,
  inflate,
  pingFrame,
  pongFrame,
} from "./wire.js";

import { BusClosed, BusFull, DEFAULTS, UnknownPeer, now } from "./config.js";
import { Peer } from "./outbox.js";
import { taskPoster } from "./task.js";

// The names this module has always offered (the `bus` namespace of index.js).
export { BusClosed, BusError, BusFull, DEFAULTS, UnknownPeer, messageJson } from "./config.js";

/**
 * @typedef {import("./config.js").BusConfig} BusConfig
 * @typedef {import("./config.js").Message} Message
 * @typedef {import("./config.js").Handler} Handler
 * @typedef {import("./config.js").ChannelLike} ChannelLike
 * @typedef {import("./config.js").PublishOptions} PublishOptions
 * @typedef {import("./outbox.js").Outbox} Outbox
 */

/** The bus over every peer's pair of channels. */
export class Bus {
  /**
   * @param {Partial<BusConfig>} [config]
   * @param {{ onPeerDead?: (peerId: string) => void }} [options]
   */
  constructor(config = {}, options = {}) {
    /** @type {Readonly<BusConfig>} */
    this.config = Object.freeze({ ...DEFAULTS, ...config });
    if (this.config.maxFrameSize < 64) throw new RangeError("maxFrameSize must be at least 64 bytes");
    if (!(this.config.lowWater >= 0 && this.config.lowWater < this.config.highWater)) {
      throw new RangeError("lowWater must be below highWater");
    }
    this.onPeerDead = options.onPeerDead;
    this.counters = {
      framesSent: 0,
      framesReceived: 0,
      messagesSent: 0,
      messagesReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      pingsSent: 0,
      pongsReceived: 0,
      unknownTopics: 0,
      malformedFrames: 0,
      oversizedFrames: 0,
      partialsEvicted: 0,
      replaced: 0,
      overflowed: 0,
      handlerErrors: 0,
      sendErrors: 0,
    };
    /** @type {Map<string, Peer>} */
    this._peers = new Map();
    /** @type {Map<string, Handler[]>} */
    this._subscribers = new Map();
    /** @type {Set<Outbox>} */
    this._dirty = new Set();
    this._flushQueued = false;
    this._flushTask = taskPoster(() => this._flush());
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._ticker = undefined;
    /** @type {Array<() => void>} woken when frames leave a queue */
    this._progress = [];
    this._messageId = 0;
    this._closed = false;
    this._warned = false;
  }

  /** Ids of the peers on the bus. */
  get peers() {
    return [...this._peers.keys()];
  }

  /**
   * Put a peer on the bus (replacing an earlier registration of the same id).
   * Call it as soon as the channels exist, before they open, so that no
   * frame the other side sends the moment its end opens is missed.
   * @param {string} peerId
   * @param {ChannelLike} reliable the `bus` channel (negotiated, id 0)
   * @param {ChannelLike} unordered the `bus-unordered` channel (negotiated, id 1)
   */
  addPeer(peerId, reliable, unordered) {
    if (this._closed) throw new BusClosed("the bus is closed");
    this.removePeer(peerId);
    const peer = new Peer(this, peerId, reliable, unordered);
    this._peers.set(peerId, peer);
    peer.outboxes.forEach((outbox, index) => {
      const channel = outbox.channel;
      channel.binaryType = "arraybuffer";
      channel.bufferedAmountLowThreshold = this.config.lowWater;
      /** @param {string} type @param {(event: any) => void} listener */
      const listen = (type, listener) => {
        channel.addEventListener(type, listener);
        peer.listeners.push([channel, type, listener]);
      };
      listen("message", (event) => this._receive(peer, index, event.data));
      const wake = () => {
        if (channel.readyState === "open" && index === 0) peer.lastHeard = Math.max(peer.lastHeard, now());
        outbox.flush();
        this._wake();
      };
      listen("bufferedamountlow", wake);
      listen("open", () => {
        peer.lastHeard = now(); // silence counts from the moment the channels are open
        wake();
      });
    });
    if (this._ticker === undefined) this._ticker = setInterval(() => this._tick(), this.config.pingInterval * 1000);
  }

  /**
   * Take a peer off the bus, discarding what is queued for it. Idempotent.
   * @param {string} peerId
   */
  removePeer(peerId) {
    const peer = this._peers.get(peerId);
    if (peer === undefined) return;
    this._peers.delete(peerId);
    for (const [channel, type, listener] of peer.listeners) channel.removeEventListener(type, listener);
    for (const outbox of peer.outboxes) this._dirty.delete(outbox);
    this._wake();
  }

  /**
   * Smoothed round-trip time to a peer in seconds; null before the first pong.
   * @param {string} peerId
   */
  rtt(peerId) {
    return this._known(peerId).rtt;
  }

  /**
   * Subscribe to a topic; returns the function that unsubscribes.
   * @param {string} topic
   * @param {Handler} handler
   */
  subscribe(topic, handler) {
    entryPrefix(topic); // validates
    this._subscribers.set(topic, [...(this._subscribers.get(topic) ?? []), handler]);
    return () => {
      const left = (this._subscribers.get(topic) ?? []).filter((h) => h !== handler);
      if (left.length) this._subscribers.set(topic, left);
      else this._subscribers.delete(topic);
    };
  }

  /**
   * Queue a message for every peer (or only `to`); return how many peers.
   * It leaves at the end of the current task, batched with the other
   * messages of the task. Throws BusFull (reliable; nothing queued),
   * UnknownPeer, MessageTooLarge, or TypeError for a bad topic.
   * @param {string} topic
   * @param {Uint8Array} payload
   * @param {PublishOptions} [options]
   */
  publish(topic, payload, { to, reliable = true, flags = 0 } = {}) {
    if (flags & FLAG_DEFLATE) throw new TypeError("use send(..., { compress: true }) instead of FLAG_DEFLATE");
    return this._publish(topic, payload, to, reliable, flags);
  }

  /**
   * @param {string} topic
   * @param {Uint8Array} payload
   * @param {string | undefined} to
   * @param {boolean} reliable
   * @param {number} flags FLAG_DEFLATE when send() compressed the payload
   */
  _publish(topic, payload, to, reliable, flags) {
    if (this._closed) throw new BusClosed("the bus is closed");
    const prefix = entryPrefix(topic, flags);
    const size = entrySize(prefix, payload.length);
    if (size > this.config.maxMessageSize) {
      throw new MessageTooLarge(`a message of ${size} bytes exceeds the limit of ${this.config.maxMessageSize}`);
    }
    const peers = to === undefined ? [...this._peers.values()] : [this._known(to)];
    const small = size <= this.config.maxFrameSize - HEADER_SIZE;
    const frames = small ? null : chunkFrames(encodeEntry(topic, payload, flags), this._nextId(), this.config.maxFrameSize);
    if (!reliable) {
      for (const peer of peers) {
        peer.unordered.put(topic, { prefix, payload, frames });
        this._dirty.add(peer.unordered);
      }
    } else {
      const bytes = frames === null ? size : frames.reduce((n, f) => n + f.length, 0);
      for (const peer of peers) {
        const queued = peer.reliable.writer.size;
        if (queued && queued + bytes > this.config.reliableQueueBytes) {
          throw new BusFull(`the reliable queue to ${peer.id} holds ${queued} bytes`);
        }
      }
      for (const peer of peers) {
        if (frames === null) peer.reliable.writer.add(prefix, payload);
        else peer.reliable.writer.addFrames(frames);
        this._dirty.add(peer.reliable);
      }
    }
    this._scheduleFlush();
    return peers.length;
  }

  /**
   * publish() a JSON value, flagged as JSON on the wire.
   * @param {string} topic
   * @param {unknown} value
   * @param {PublishOptions} [options]
   */
  publishJson(topic, value, options = {}) {
    return this.publish(topic, encodeJson(value), { ...options, flags: (options.flags ?? 0) | FLAG_JSON });
  }

  /**
   * Reliable publish that waits for queue room instead of throwing BusFull;
   * `compress` deflates the payload on the wire (worth it for large,
   * repetitive payloads such as document states). Compressing takes a
   * while: a message published meanwhile may leave first; await send()
   * before publishing what must follow it.
   * @param {string} topic
   * @param {Uint8Array} payload
   * @param {{ to?: string, flags?: number, compress?: boolean }} [options]
   */
  async send(topic, payload, { to, flags = 0, compress = false } = {}) {
    if (compress) {
      if (flags & FLAG_DEFLATE) throw new TypeError("compress already sets FLAG_DEFLATE");
      payload = await deflate(payload);
      flags |= FLAG_DEFLATE;
    }
    for (;;) {
      try {
        return this._publish(topic, payload, to, true, flags);
      } catch (error) {
        if (!(error instanceof BusFull)) throw error;
        await new Promise((resolve) => this._progress.push(() => resolve(undefined)));
      }
    }
  }

  /**
   * Wait until the reliable queues (all, or `to`'s) are handed to their channels.
   * @param {string} [to]
   */
  async drain(to) {
    for (;;) {
      const peers = to === undefined ? [...this._peers.values()] : [this._known(to)];
      if (peers.every((peer) => peer.reliable.writer.size === 0)) return;
      await new Promise((resolve) => this._progress.push(() => resolve(undefined)));
    }
  }

  /** Forget every peer and stop the liveness check. */
  close() {
    this._closed = true;
    for (const id of [...this._peers.keys()]) this.removePeer(id);
    this._flushTask.close();
    clearInterval(this._ticker);
    this._ticker = undefined;
  }

  // -- internals ---------------------------------------------------------

  _nextId() {
    const id = this._messageId;
    this._messageId = (this._messageId + 1) >>> 0;
    return id;
  }

  /** @param {string} peerId */
  _known(peerId) {
    const peer = this._peers.get(peerId);
    if (peer === undefined) throw new UnknownPeer(`no peer ${peerId} on the bus`);
    return peer;
  }

  _scheduleFlush() {
    // The end of the task: everything published until then shares frames
    // (a task of its own, not a timer: see task.js).
    if (this._flushQueued) return;
    this._flushQueued = true;
    this._flushTask.post();
  }

  _flush() {
    this._flushQueued = false;
    if (this._closed) return;
    const dirty = [...this._dirty];
    this._dirty.clear();
    const at = now();
    for (const outbox of dirty) {
      const before = this.counters.framesSent;
      outbox.flush();
      if (this.counters.framesSent !== before) {
        for (const peer of this._peers.values()) if (peer.outboxes.includes(outbox)) peer.lastSent = at;
      }
    }
    this._wake();
  }

  _wake() {
    for (const wake of this._progress.splice(0)) wake();
  }

  /**
   * @param {Peer} peer
   * @param {number} index 0 reliable, 1 unordered
   * @param {unknown} data
   */
  _receive(peer, index, data) {
    peer.lastHeard = now();
    peer.dead = false;
    if (typeof data === "string") return this._reject(peer, "text frame", true);
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(/** @type {ArrayBuffer} */ (data));
    if (bytes.length > this.config.maxIncomingFrame) return this._reject(peer, `frame of ${bytes.length} bytes`, false);
    let entries;
    try {
      const frame = decodeFrame(bytes);
      if (frame.kind === "ping" || frame.kind === "pong") {
        if (frame.kind === "ping") {
          peer.outboxes[index].sendControl(pongFrame(frame.token));
          return;
        }
        this.counters.pongsReceived++;
        const sample = now() - frame.token;
        if (sample >= 0 && sample < 60) peer.rtt = peer.rtt === null ? sample : 0.875 * peer.rtt + 0.125 * sample;
        return;
      }
      this.counters.framesReceived++;
      this.counters.bytesReceived += bytes.length;
      if (frame.kind === "batch") entries = frame.entries;
      else {
        const reassembler = peer.reassemblers[index];
        const evicted = reassembler.evicted;
        try {
          const entry = reassembler.add(frame);
          entries = entry === null ? [] : [entry];
        } finally {
          this.counters.partialsEvicted += reassembler.evicted - evicted;
        }
      }
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      return this._reject(peer, error.message, true);
    }
    for (const entry of entries) this._deliver(peer, index, entry);
  }

  /**
   * Deliver one entry, after any earlier one of the channel still inflating.
   * @param {Peer} peer
   * @param {number} index
   * @param {import("./wire.js").Entry} entry
   */
  _deliver(peer, index, entry) {
    this.counters.messagesReceived++;
    const handlers = this._subscribers.get(entry.topic);
    if (handlers === undefined) {
      this.counters.unknownTopics++;
      return;
    }
    const reliable = index === 0;
    const pending = peer.pending[index];
    if (!(entry.flags & FLAG_DEFLATE) && pending === null) {
      this._call(handlers, { topic: entry.topic, payload: entry.payload, sender: peer.id, reliable, flags: entry.flags });
      return;
    }
    const done = (pending ?? Promise.resolve()).then(async () => {
      let payload = entry.payload;
      if (entry.flags & FLAG_DEFLATE) {
        try {
          payload = await inflate(payload, this.config.maxMessageSize);
        } catch (error) {
          if (!(error instanceof FrameError)) throw error;
          this._reject(peer, `${entry.topic}: ${error.message}`, true);
          return;
        }
      }
      const now = this._subscribers.get(entry.topic) ?? [];
      this._call(now, { topic: entry.topic, payload, sender: peer.id, reliable, flags: entry.flags & ~FLAG_DEFLATE });
    });
    peer.pending[index] = done;
    done.finally(() => {
      if (peer.pending[index] === done) peer.pending[index] = null;
    });
  }

  /**
   * @param {Handler[]} handlers
   * @param {Message} message
   */
  _call(handlers, message) {
    for (const handler of handlers) {
      try {
        const result = handler(message);
        if (result instanceof Promise) {
          result.catch((error) => {
            this.counters.handlerErrors++;
            console.error("bus: handler failed", error);
          });
        }
      } catch (error) {
        this.counters.handlerErrors++;
        console.error("bus: handler failed", error);
      }
    }
  }

  /**
   * @param {Peer} peer
   * @param {string} reason
   * @param {boolean} malformed
   */
  _reject(peer, reason, malformed) {
    if (malformed) this.counters.malformedFrames++;
    else this.counters.oversizedFrames++;
    if (!this._warned) {
      this._warned = true; // only the first: a hostile peer must not flood the console
      console.warn(`bus: dropped a frame from ${peer.id}: ${reason}`);
    }
  }

  _tick() {
    const at = now();
    const config = this.config;
    for (const peer of this._peers.values()) {
      const unordered = peer.unordered.channel;
      if (unordered.readyState !== "open") continue;
      if (!peer.dead && at - peer.lastHeard > config.deadAfter) {
        peer.dead = true;
        try {
          this.onPeerDead?.(peer.id);
        } catch (error) {
          console.error("bus: onPeerDead failed", error);
        }
      }
      // A peer we sent frames to lately has heard from us: a ping then only
      // keeps the round-trip time fresh.
      if (at - peer.lastSent >= config.pingInterval || at - peer.lastPing >= config.rttInterval) {
        if (peer.unordered.sendControl(pingFrame(at))) {
          peer.lastPing = at;
          this.counters.pingsSent++;
        }
      }
    }
  }
}
