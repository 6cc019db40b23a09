// What a Document reports after a transaction: which nodes changed, how, by whom.
//
// The JavaScript twin of avacollab_editing/changes.py.

/**
 * What happened to one node in one transaction: `added`, `removed` (an add
 * was undone), `deleted`, `restored`, `moved`, `props` (names in `keys`) or
 * `type` (only foreign writers change a type).
 * @typedef {{ id: string, kind: string, keys: string[] }} NodeChange
 */
/**
 * One transaction's changes: `origin` null for this Document's own edits
 * (undo and redo included), else the label given to applyUpdate.
 * @typedef {{ origin: string | null, local: boolean, nodes: NodeChange[] }} Change
 */

/** The origin of a transaction applying an update from elsewhere. */
export class RemoteOrigin {
  /** @param {string} label the peer id, or e.g. "storage" */
  constructor(label) {
    this.label = label;
  }
}

/**
 * The Change that the nodes map's events of one transaction describe, if any.
 * @param {Array<import("yjs").YEvent<any>>} events
 * @param {import("yjs").Transaction} transaction
 * @returns {Change | null}
 */
export function changeOf(events, transaction) {
  /** @type {Map<string, NodeChange>} */
  const changes = new Map();
  /** @param {string} id @param {string} kind @param {string} [key] */
  const note = (id, kind, key) => {
    const k = `${kind}\u0000${id}`;
    let change = changes.get(k);
    if (change === undefined) changes.set(k, (change = { id, kind, keys: [] }));
    if (key !== undefined && !change.keys.includes(key)) change.keys.push(key);
  };
  for (const event of events) {
    const path = event.path.map(String);
    for (const [key, { action }] of event.changes.keys) {
      if (path.length === 0) note(key, action === "delete" ? "removed" : "added");
      else if (path.length > 1) note(path[0], "props", key);
      else if (key === "pos") note(path[0], "moved");
      else if (key === "deleted") note(path[0], event.target.get("deleted") ? "deleted" : "restored");
      else if (key === "type") note(path[0], "type");
      else note(path[0], "props");
    }
  }
  if (!changes.size) return null;
  const origin = transaction.origin instanceof RemoteOrigin ? transaction.origin.label : null;
  const nodes = [...changes.values()].map((c) => ({ ...c, keys: c.keys.sort() }));
  return { origin, local: origin === null, nodes };
}
