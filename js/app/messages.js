// What the editor tells a person when something goes wrong (pure: codes to sentences).

/**
 * A readable sentence for a refused or failed join.
 * @param {unknown} error what joinRoom threw
 * @param {string} room
 * @returns {string}
 */
export function joinFailure(error, room) {
  const code = error !== null && typeof error === "object" && "code" in error ? String(error.code) : "";
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "token-required":
      return `Room “${room}” needs a join token. Open the full link you were given (it ends in #token=…).`;
    case "token-invalid":
      return "The server refused the join token in this link: it is not valid. Ask for a new link.";
    case "token-expired":
      return "The join token in this link has expired. Ask for a new link.";
    case "token-wrong-room":
      return `The join token in this link is for another room, not “${room}”.`;
    case "room-full":
      return `Room “${room}” is full. Try again when someone leaves.`;
    case "too-many-rooms":
      return "The server holds as many rooms as it allows. Join an existing room, or try later.";
    case "unreachable":
      return "Cannot reach the server. Check that it is running, then try again.";
    case "rate-limited":
      return "The server is busy with this connection; wait a moment and try again.";
    case "":
      if (error instanceof Error && error.name === "InvalidState") return `That name cannot be used: ${detail}`;
      return `Could not join: ${detail}`;
    default:
      return `The server refused to join (${code}): ${detail}`;
  }
}

/**
 * A readable sentence for a peer link that failed, from a `link-failed` event.
 * @param {string} name the peer's display name
 * @param {Record<string, unknown>} event
 */
export function linkFailure(name, event) {
  const reason = String(event.reason ?? "failed");
  const why = reason === "timeout" ? "no connection in time" : reason === "gave-up" ? "too many failures" : reason;
  return event.final || reason === "gave-up"
    ? `Cannot reach ${name} (${why}); gave up. They may be behind a network that blocks direct links.`
    : `Cannot reach ${name} yet (${why}); retrying…`;
}

/**
 * A readable sentence for a `media-unavailable` event: the peer left a
 * renegotiation unanswered, so screen and voice do not reach it for now;
 * editing goes on over the same link.
 * @param {string} name the peer's display name
 * @param {Record<string, unknown>} event
 */
export function mediaUnavailable(name, event) {
  const retry = Number(event.retry_in);
  const when = Number.isFinite(retry) ? ` in ${Math.max(1, Math.round(retry))} s` : " later";
  return `Screen and voice cannot reach ${name} for now (${String(event.reason ?? "no answer")}); editing goes on. Trying again${when}.`;
}

/** A readable sentence for the signaling link's state. @param {"connected" | "reconnecting" | "closed"} state */
export function linkState(state) {
  switch (state) {
    case "reconnecting":
      return "The link to the server dropped; reconnecting… Edits keep flowing to peers already connected.";
    case "connected":
      return "Reconnected to the server.";
    case "closed":
      return "Disconnected from the server. Reload the page to join again.";
  }
}
