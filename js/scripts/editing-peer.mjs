// A JavaScript editing peer for the Python interop tests
// (plugins/avacollab-editing/tests/test_js_client.py): runs the client's
// Editing over a recording bus, through the steps given as JSON on stdin,
// and writes what it sent, refused and shows as JSON on stdout.
//
//   {"state": base64 | null, "steps": [{"op": "join" | "receive" | "add" | "move" | "set" | "delete" | "undo", ...}]}
//   -> {"sent": [{"to": peer | null, "compress": bool, "data": hex}], "refused": [...], "export": {...}, "state": base64}
import * as Y from "yjs";

import { Editing, TOPIC } from "../src/editing/sync.js";
import { readJson } from "./testing.mjs";

const input = await readJson();
const ydoc = new Y.Doc();
if (input.state) Y.applyUpdate(ydoc, Buffer.from(input.state, "base64"));

/** @type {Array<{ to: string | null, compress: boolean, data: string }>} */
const sent = [];
/**
 * @param {string} topic
 * @param {Uint8Array} payload
 * @param {{ to?: string, compress?: boolean }} [options]
 */
function record(topic, payload, { to, compress = false } = {}) {
  if (topic !== TOPIC) throw new Error(`unexpected topic ${topic}`);
  sent.push({ to: to ?? null, compress, data: Buffer.from(payload).toString("hex") });
  return 1;
}
const bus = {
  subscribe: () => () => {},
  publish: record,
  /** @param {string} topic @param {Uint8Array} payload @param {{ to?: string, compress?: boolean }} [options] */
  send: async (topic, payload, options) => record(topic, payload, options),
};
/** @type {string[]} */
const refused = [];
const editing = new Editing(bus, ydoc, { onRejected: (peer, reason) => refused.push(`${peer}: ${reason}`) });
console.warn = () => {}; // refusals are reported in the output
const document = editing.document;
for (const step of input.steps) {
  if (step.op === "join") editing.peerJoined(step.peer);
  else if (step.op === "receive") editing.receive(step.peer, Uint8Array.from(Buffer.from(step.data, "hex")));
  else if (step.op === "add") document.add(step.type, step.props ?? {}, { id: step.id, parent: step.parent ?? null });
  else if (step.op === "move") document.move(step.id, step.parent ?? null, step.index);
  else if (step.op === "set") document.setProp(step.id, step.name, step.value);
  else if (step.op === "delete") document.delete(step.id);
  else if (step.op === "undo") document.undo();
  else throw new Error(`unknown step ${step.op}`);
}
await new Promise((resolve) => setImmediate(resolve)); // send() settles
process.stdout.write(
  JSON.stringify({
    sent,
    refused,
    export: document.export(),
    state: Buffer.from(Y.encodeStateAsUpdate(ydoc)).toString("base64"),
  }),
);
