// The page's side of bench/web_bus.py and bench/web_editing.py.
//
// bench/web_rig.py adds this script to a page of the signaling server's own
// origin and drives it through `window.bench`. The page joins a room with the
// shipped bundle (/client/avacollab.js): its `Session` and bus, and a
// `Document` kept in sync by `Editing`, the lower-level classes a web editor
// is built on. Times are read as `performance.timeOrigin + performance.now()`
// (milliseconds since the epoch); the Python side calibrates them against its
// own clock (web_rig.calibrate).
"use strict";

window.bench = (() => {
  const TOPIC = "bench.data";
  const clock = () => performance.timeOrigin + performance.now();
  /** @type {any} */
  let session = null;
  /** @type {any} */
  let doc = null;
  let expect = 0;
  let seen = 0;
  /** @type {(last: number) => void} */
  let finished = () => {};
  /** @type {Promise<number> | null} */
  let done = null;
  /** @type {number[]} */
  let sends = [];
  let restore = () => {};

  return {
    now: clock,

    // Join `room`; resolve with our id once the bus to the first peer is open.
    async join(bundle, url, room) {
      const client = await import(bundle);
      doc = new client.Document();
      let connected;
      const opened = new Promise((resolve) => (connected = resolve));
      let editing = null;
      session = new client.Session(url, room, {
        name: "bench-page",
        onEvent: (e) => {
          if (e.event !== "peer-connected") return;
          editing.peerJoined(e.peer); // what a web editor does: sync step 1 to each new peer
          connected(e.peer);
        },
      });
      editing = new client.Editing(session.bus, doc);
      session.bus.subscribe(TOPIC, () => {
        seen += 1;
        if (seen === expect) finished(clock());
      });
      await session.start();
      const peer = await opened;
      return { id: session.peerId, peer };
    },

    // Count the next `count` bench.data messages; received() resolves at the last.
    arm(count) {
      seen = 0;
      expect = count;
      done = new Promise((resolve) => (finished = resolve));
    },

    received() {
      return done;
    },

    // `count` messages of `size` bytes to `to`, as fast as the bus takes them
    // (send() waits whenever the peer's reliable queue is full).
    async flood(to, count, size) {
      const payload = new Uint8Array(size).fill(0x73);
      for (let i = 0; i < count; i++) await session.bus.send(TOPIC, payload, { to });
    },

    // Add a node, then `count` property edits paced at `rate` a second, each
    // property `p<i % keys>` set to [i, the time of the edit]. Resolves with
    // the node's id once the last edit is made.
    async edits(count, rate, keys) {
      // When each frame is handed to the hub's reliable channel: sent() splits
      // the latency into the page's part and the rest.
      const channel = session.link(session.connected[0]).reliable;
      const send = channel.send;
      sends = [];
      channel.send = (data) => {
        sends.push(clock());
        return send.call(channel, data);
      };
      restore = () => (channel.send = send);
      const id = doc.add("Box", { label: "bench" });
      const start = clock() + 1000 / rate;
      for (let i = 0; i < count; i++) {
        const wait = start + (i * 1000) / rate - clock();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        doc.setProp(id, `p${i % keys}`, [i, clock()]);
      }
      return id;
    },

    sent() {
      restore();
      return sends;
    },

    async leave() {
      await session.close();
    },
  };
})();
