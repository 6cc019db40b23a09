// Running a callback as a task of its own, soon: the end of the current task.
//
// The bus sends what was published in one task together, once the task is
// over. setTimeout(fn, 0) is not that in a browser: it is clamped to 4 ms
// once timers are nested five deep (so every message of a page driven by
// timers waited 4 ms), and throttled to once a second in a background tab.
// A message posted to ourselves is neither; Node has setImmediate.

/**
 * A way to run `run` in a task of its own, as often as asked.
 * @param {() => void} run
 * @returns {{ post(): void, close(): void }}
 */
export function taskPoster(run) {
  if (typeof setImmediate === "function") {
    return { post: () => void setImmediate(run), close() {} };
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = () => run();
  return {
    post: () => channel.port2.postMessage(null),
    close: () => channel.port1.close(),
  };
}
