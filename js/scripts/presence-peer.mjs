// A JavaScript presence peer for the Python interop tests
// (plugins/avacollab-presence/tests/test_js_client.py): runs the client's
// Presence on a hand-driven clock through the steps given as JSON on stdin
// and writes what it sent, refused and sees as JSON on stdout.
//
//   {"peer": id, "name": ..., "steps": [{"op": "start" | "cursor" | "select" | "receive" | "advance" | "forget" | "leave", ...}]}
//   -> {"clientId": n, "local": state, "sent": [{"reliable": bool, "data": hex}], "refused": [...], "states": {peer: state}}
import { Presence } from "../src/presence/presence.js";

/** @returns {Promise<string>} */
function readStdin() {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk));
    process.stdin.on("end", () => resolve(text));
  });
}

const input = JSON.parse(await readStdin());
/** @type {Array<{ at: number, fn: () => void, id: number }>} */
let timers = [];
let now = 0;
let nextId = 1;
const clock = {
  now: () => now,
  /** @param {() => void} fn @param {number} ms */
  setTimeout: (fn, ms) => {
    const id = nextId++;
    timers.push({ at: now + ms, fn, id });
    return id;
  },
  /** @param {unknown} id */
  clearTimeout: (id) => {
    timers = timers.filter((t) => t.id !== id);
  },
};
/** @param {number} ms */
function advance(ms) {
  const end = now + ms;
  for (;;) {
    const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
    if (!due) break;
    timers = timers.filter((t) => t !== due);
    now = Math.max(now, due.at);
    due.fn();
  }
  now = end;
}

/** @type {Array<{ reliable: boolean, data: string }>} */
const sent = [];
/** @type {Array<{ clientId: number | null, reason: string }>} */
const refused = [];
const presence = new Presence(
  input.peer,
  { name: input.name, color: input.color ?? null },
  (data, reliable) => sent.push({ reliable, data: Buffer.from(data).toString("hex") }),
  { clock, wallClock: () => 1_700_000_000_000 + now },
);
for (const step of input.steps) {
  if (step.op === "start") presence.start();
  else if (step.op === "cursor") presence.setCursor(step.x, step.y, step.component ?? null);
  else if (step.op === "select") presence.setSelection(step.ids);
  else if (step.op === "advance") advance(step.ms);
  else if (step.op === "forget") presence.forgetPeer(step.peer);
  else if (step.op === "leave") presence.leave();
  else if (step.op === "receive") {
    for (const r of presence.receive(step.peer, Uint8Array.from(Buffer.from(step.data, "hex")))) {
      refused.push({ clientId: r.clientId, reason: r.reason });
    }
  } else throw new Error(`unknown step ${step.op}`);
}
const states = Object.fromEntries([...presence.states()].map(([peer, p]) => [peer, { clientId: p.clientId, ...p.state }]));
const clientId = presence.clientId;
const count = sent.length;
presence.leave(); // stops y-protocols' interval timer; its null state is not reported
process.stdout.write(JSON.stringify({ clientId, local: presence.state, sent: sent.slice(0, count), refused, states }));
