// Helpers shared by the interop peer scripts (run by the Python tests) and
// the Node tests: JSON on stdin, and a clock moved by hand.

/**
 * The JSON value read from all of stdin.
 * @returns {Promise<any>}
 */
export function readJson() {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk));
    process.stdin.on("end", () => resolve(JSON.parse(text)));
  });
}

/** A clock (milliseconds) that stands still until advance() moves it, firing timers in order. */
export class ManualClock {
  constructor() {
    this.t = 0;
    /** @type {Array<{ at: number, fn: () => void, id: number }>} */
    this.timers = [];
    this.nextId = 1;
  }

  now() {
    return this.t;
  }

  /** @param {() => void} fn @param {number} ms */
  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }

  /** @param {unknown} id */
  clearTimeout(id) {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** @param {number} ms */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}
