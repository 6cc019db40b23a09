// The people list: everyone in the room with their color, status
// (active, idle, away, connecting) and whether they are speaking.

import { h } from "./dom.js";

/**
 * Redraw `list` from presence and the room's peers.
 * @param {HTMLElement} list
 * @param {import("../src/room.js").Room} room
 * @param {Set<string>} speaking peer ids speaking now
 */
export function renderPeople(list, room, speaking) {
  const states = room.presence.states();
  const peers = room.peers;
  const ids = [room.peerId, ...[...new Set([...states.keys(), ...peers.keys()])].filter((id) => id !== room.peerId)];
  const items = ids.map((id) => {
    const state = states.get(id)?.state;
    const peer = peers.get(id);
    const name = state?.user.name ?? peer?.name ?? id.slice(0, 8);
    const color = state?.user.color ?? "#888888";
    const status = id !== room.peerId && peer !== undefined && !peer.connected ? "connecting" : state?.status ?? "connecting";
    const talking = speaking.has(id);
    const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.setProperty("--color", color);
    return h(
      "li",
      { class: `person status-${status}${talking ? " speaking" : ""}`, "data-peer": id },
      swatch,
      h("span", { class: "person-name", text: id === room.peerId ? `${name} (you)` : name }),
      h("span", { class: "person-status", text: status }),
      h("span", { class: "person-speaking", text: talking ? "speaking" : "", "aria-live": "off" }),
    );
  });
  list.replaceChildren(...items);
}
