// The web editor `avacollab serve` hosts at /app/ROOM: join the room with a
// display name (remembered) and the join token from the link's fragment
// (#token=...), then edit the shared component tree with everyone in it,
// Python peers included. Built on joinRoom (docs/browser.md); docs/editor.md
// says what the page does.

import { joinRoom } from "../src/index.js";
import { Canvas } from "./canvas.js";
import { byId, isTextField } from "./dom.js";
import { Inspector } from "./inspector.js";
import { Media } from "./media.js";
import { joinFailure, linkFailure, linkState, mediaUnavailable } from "./messages.js";
import { Outline } from "./outline.js";
import { renderPeople } from "./people.js";

/** localStorage key of the remembered display name. */
const NAME_KEY = "avacollab.name";
/** Change records kept for measurement (`window.avacollabEditor.renders`). */
const RENDERS_KEPT = 1000;

const roomName = document.body.dataset.room ?? "";
const wsPath = document.body.dataset.ws ?? "/ws";
const form = byId("join", HTMLFormElement);
const nameInput = byId("name", HTMLInputElement);
const joinError = byId("join-error", HTMLElement);
const status = byId("status", HTMLElement);
const alertBox = byId("alert", HTMLElement);

/** Tell the user something (a polite live region). @param {string} text */
function say(text) {
  status.textContent = text;
}

/** Tell the user something that went wrong and stays until it is fixed (an alert). @param {string} text */
function warn(text) {
  alertBox.textContent = text;
  alertBox.hidden = !text;
}

/** The join token from the URL fragment (`#token=...`), if any. */
function tokenFromFragment() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  return token || undefined;
}

function remembered() {
  try {
    return localStorage.getItem(NAME_KEY) ?? "";
  } catch {
    return ""; // storage disabled: the name is asked every time
  }
}

/** @param {string} name */
function remember(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // storage disabled: nothing to remember it in
  }
}

nameInput.value = remembered();
form.addEventListener("submit", (e) => {
  e.preventDefault();
  void join(nameInput.value.trim());
});
if (nameInput.value) void join(nameInput.value.trim());

/** @param {string} name */
async function join(name) {
  const button = form.querySelector("button");
  if (button !== null) button.disabled = true;
  joinError.textContent = "";
  document.body.dataset.state = "joining";
  try {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${wsPath}`;
    const room = await joinRoom(url, roomName, {
      name,
      token: tokenFromFragment(),
      signaling: { onState: (state) => onLinkState(state) },
    });
    remember(name);
    form.hidden = true;
    start(room);
  } catch (error) {
    joinError.textContent = joinFailure(error, roomName);
    document.body.dataset.state = "refused";
    if (button !== null) button.disabled = false;
    nameInput.focus();
  }
}

/** @param {"connected" | "reconnecting" | "closed"} state */
function onLinkState(state) {
  if (document.body.dataset.state === "left") return;
  if (state === "connected") {
    warn("");
    say(linkState(state));
  } else {
    warn(linkState(state));
  }
  document.body.dataset.link = state;
}

/** @param {import("../src/room.js").Room} room */
function start(room) {
  byId("editor", HTMLElement).hidden = false;
  byId("me", HTMLElement).textContent = room.presence.state.user.name;
  const content = byId("canvas-content", HTMLElement);
  const undo = byId("undo", HTMLButtonElement);
  const redo = byId("redo", HTMLButtonElement);
  const del = byId("delete", HTMLButtonElement);
  const people = byId("people", HTMLElement);

  /** @type {string | null} */
  let selected = null;
  /** @param {string | null} id */
  const select = (id) => {
    if (id === selected) return;
    selected = id;
    canvas.markSelected(id);
    outline.markSelected(id);
    inspector.show(id);
    del.disabled = id === null;
    room.presence.setSelection(id === null ? [] : [id]);
  };
  const hooks = { select, say };
  const canvas = new Canvas(room, content, hooks);
  const outline = new Outline(room, byId("outline", HTMLElement), select);
  const inspector = new Inspector(room, { palette: byId("palette", HTMLElement), props: byId("props", HTMLElement) }, hooks);
  const media = new Media(
    room,
    {
      voice: byId("voice", HTMLButtonElement),
      mute: byId("mute", HTMLButtonElement),
      share: byId("share", HTMLButtonElement),
      shares: byId("shares", HTMLElement),
      viewer: byId("viewer", HTMLVideoElement),
      audio: byId("audio", HTMLElement),
    },
    { say, speaking: () => renderPeople(people, room, media.speaking) },
  );
  const undoState = () => {
    undo.disabled = !room.doc.canUndo;
    redo.disabled = !room.doc.canRedo;
  };

  /** What each change cost to draw, for tests and bench/web_editor.py. @type {Array<{origin: string | null, ids: string[], painted: string[], arrived: number, drawn: number}>} */
  const renders = [];
  room.on("change", (change) => {
    const arrived = performance.timeOrigin + performance.now();
    const painted = canvas.update(change);
    outline.update(change);
    if (selected !== null && change.nodes.some((n) => n.id === selected)) inspector.render();
    canvas.drawPresence(room.presence.states()); // outlines of boxes just drawn
    undoState();
    const record = { origin: change.origin, ids: change.nodes.map((n) => n.id), painted, arrived, drawn: performance.timeOrigin + performance.now() };
    renders.push(record);
    if (renders.length > RENDERS_KEPT) renders.splice(0, renders.length - RENDERS_KEPT);
    // The frame that shows it: a test compares it with the peer's edit time.
    requestAnimationFrame(() => {
      /** @type {any} */ (record).shown = performance.timeOrigin + performance.now();
    });
  });
  room.on("presence", () => {
    canvas.drawPresence(room.presence.states());
    renderPeople(people, room, media.speaking);
  });
  room.on("peers", () => renderPeople(people, room, media.speaking));
  /** @type {string | null} the peer the media warning shown is about */
  let mediaWarning = null;
  /** The warning about `peer`'s media goes: it answered at last, or left. @param {unknown} peer */
  const mediaSettled = (peer) => {
    if (peer !== null && peer === mediaWarning) {
      mediaWarning = null;
      warn("");
    }
  };
  room.on("event", (event) => {
    const name = () => room.peers.get(String(event.peer))?.name || String(event.peer).slice(0, 8);
    if (event.event === "link-failed") {
      mediaWarning = null;
      warn(linkFailure(name(), event));
    } else if (event.event === "media-unavailable") {
      mediaWarning = String(event.peer);
      warn(mediaUnavailable(name(), event));
    } else if (event.event === "renegotiated") {
      mediaSettled(event.peer);
    } else if (event.event === "peer-connected") {
      warn("");
      say(`${event.name || "A peer"} is connected.`);
    } else if (event.event === "peer-left") {
      mediaSettled(event.peer);
      say(`${event.name || "A peer"} left.`);
    }
  });

  undo.addEventListener("click", () => room.doc.undo());
  redo.addEventListener("click", () => room.doc.redo());
  del.addEventListener("click", () => deleteSelected());
  const deleteSelected = () => {
    if (selected === null) return;
    const id = selected;
    try {
      keepFocus(() => room.doc.delete(id));
      say("Deleted. Undo brings it back.");
    } catch (error) {
      say(`Not deleted: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  /**
   * Run an edit that may move or remove the focused box or tree item (a
   * moved element loses the focus): give the focus back to the same panel.
   * @param {() => void} edit
   */
  const keepFocus = (edit) => {
    const active = document.activeElement;
    const panel = active instanceof Element ? active.closest("#outline, #canvas") : null;
    edit();
    if (panel === null || (document.activeElement !== document.body && document.activeElement !== null)) return;
    if (panel.id === "outline") outline.focusSelected();
    else if (selected !== null) canvas.focusSelected();
    else byId("canvas", HTMLElement).focus();
  };

  /** Visible node ids in document order. */
  const order = () => {
    /** @type {string[]} */
    const ids = [];
    /** @param {string | null} parent */
    const walk = (parent) => {
      for (const id of room.doc.children(parent)) {
        ids.push(id);
        walk(id);
      }
    };
    walk(null);
    return ids;
  };

  /** Keyboard moves: Alt+Up/Down among siblings, Alt+Left out of the parent, Alt+Right into the previous sibling. @param {string} key */
  const moveByKey = (key) => {
    if (selected === null) return;
    const node = room.doc.node(selected);
    if (node === null) return;
    const parent = node.parent ?? null;
    const siblings = room.doc.children(parent);
    const at = siblings.indexOf(selected);
    const id = selected;
    try {
      keepFocus(() => {
        if (key === "ArrowUp" && at > 0) room.doc.reorder(id, at - 1);
        else if (key === "ArrowDown" && at < siblings.length - 1) room.doc.reorder(id, at + 1);
        else if (key === "ArrowLeft" && parent !== null) {
          const grand = room.doc.node(parent)?.parent ?? null;
          room.doc.move(id, grand, room.doc.children(grand).indexOf(parent) + 1);
        } else if (key === "ArrowRight" && at > 0) room.doc.move(id, siblings[at - 1]);
      });
    } catch (error) {
      say(`Cannot move: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") canvas.cancelDrag();
    if (isTextField(e.target)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === "z") {
      e.preventDefault();
      keepFocus(() => (e.shiftKey ? room.doc.redo() : room.doc.undo()));
    } else if (mod && key === "y") {
      e.preventDefault();
      room.doc.redo();
    } else if ((e.key === "Delete" || e.key === "Backspace") && selected !== null) {
      e.preventDefault();
      deleteSelected();
    } else if (e.key === "Escape") {
      select(null);
    } else if (e.key.startsWith("Arrow") && e.target instanceof Element && e.target.closest("#canvas, #outline")) {
      e.preventDefault();
      if (e.altKey) {
        moveByKey(e.key);
        return;
      }
      if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
      const ids = order();
      if (!ids.length) return;
      const at = selected === null ? -1 : ids.indexOf(selected);
      const next = e.key === "ArrowDown" ? ids[Math.min(ids.length - 1, at + 1)] : ids[Math.max(0, at - 1)];
      select(next);
      if (e.target.closest("#outline")) outline.focusSelected();
      else canvas.focusSelected();
    }
  });
  addEventListener("pagehide", () => {
    document.body.dataset.state = "left";
    void room.leave();
  });

  canvas.renderAll();
  outline.renderAll();
  renderPeople(people, room, media.speaking);
  undoState();
  del.disabled = true;
  document.body.dataset.state = "joined";
  say(`Joined room ${room.name} as ${room.presence.state.user.name}.`);
  // For tests, benchmarks and debugging from the console.
  Object.assign(window, { avacollabEditor: { room, canvas, outline, inspector, media, renders, select: (/** @type {string | null} */ id) => select(id) } });
}
