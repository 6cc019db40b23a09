// A JavaScript presence peer for the Python interop tests
// (plugins/avacollab-presence/tests/test_js_client.py): runs the client's
// Presence on a hand-driven clock through the steps given as JSON on stdin
// and writes what it sent, refused and sees as JSON on stdout.
//
//   {"peer": id, "name": ..., "steps": [{"op": "start" | "cursor" | "select" | "receive" | "advance" | "forget" | "leave", ...}]}
//   -> {"clientId": n, "local": state, "sent": [{"reliable": bool, "data": hex}], "refused": [...], "states": {peer: state}}
import { Presence } from "../src/presence/presence.js";
import { ManualClock, readJson } from "./testing.mjs";

const input = await readJson();
const clock = new ManualClock();

/** @type {Array<{ reliable: boolean, data: string }>} */
const sent = [];
/** @type {Array<{ clientId: number | null, reason: string }>} */
const refused = [];
const presence = new Presence(
  input.peer,
  { name: input.name, color: input.color ?? null },
  (data, reliable) => sent.push({ reliable, data: Buffer.from(data).toString("hex") }),
  { clock, wallClock: () => 1_700_000_000_000 + clock.now() },
);
for (const step of input.steps) {
  if (step.op === "start") presence.start();
  else if (step.op === "cursor") presence.setCursor(step.x, step.y, step.component ?? null);
  else if (step.op === "select") presence.setSelection(step.ids);
  else if (step.op === "advance") clock.advance(step.ms);
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
