// avacollab-client: the browser (and Node) client of avacollab.
//
// joinRoom (room.js) is the high-level entry point a web editor uses: a
// Session with the shared Document and Presence on it, wired as the Python
// plugins are. Below it, layers mirror the Python package, each usable alone:
//   wire       the bus frame format (docs/protocol.md part 2)
//   Bus        the data-channel bus over each peer's two RTCDataChannels
//   signaling  the signaling client (docs/protocol.md part 1)
//   Session    the mesh: one RTCPeerConnection per peer, the bus on top (docs/session.md)
//   order      fractional order keys of the editing plugin
//   schema     the node-record checks of the editing plugin
//   Document   the editing model: the component tree on a Y.Doc
//   Editing    the editing.sync exchange of a Document over the Bus
//   colors     presence colors
//   Presence   presence on y-protocols awareness (presenceOnBus: over the Bus)
export { Room, joinRoom } from "./room.js";
export * as wire from "./bus/wire.js";
export { Bus, BusFull, messageJson } from "./bus/bus.js";
export * as bus from "./bus/bus.js";
export { SignalingClient, SignalingError } from "./signaling/client.js";
export * as signaling from "./signaling/client.js";
export { Session } from "./session/session.js";
export * as session from "./session/session.js";
export * as order from "./editing/order.js";
export * as schema from "./editing/schema.js";
export { ValidationError } from "./editing/schema.js";
export { Document, EditError, CycleError } from "./editing/model.js";
export * as model from "./editing/model.js";
export * as tree from "./editing/tree.js";
export { Editing } from "./editing/sync.js";
export * as editingSync from "./editing/sync.js";
export * as colors from "./presence/colors.js";
export { Presence, presenceOnBus } from "./presence/presence.js";
export * as presence from "./presence/presence.js";
export * as presenceState from "./presence/state.js";
