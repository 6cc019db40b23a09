// avacollab-client: the browser (and Node) client of avacollab.
//
// Layers mirror the Python package, each usable alone:
//   wire       the bus frame format (docs/protocol.md part 2)
//   signaling  the signaling client (docs/protocol.md part 1)
//   order      fractional order keys of the editing plugin
//   colors     presence colors
export * as wire from "./bus/wire.js";
export { SignalingClient, SignalingError } from "./signaling/client.js";
export * as signaling from "./signaling/client.js";
export * as order from "./editing/order.js";
export * as colors from "./presence/colors.js";
