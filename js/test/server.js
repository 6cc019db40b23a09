// A real `avacollab serve` for the tests: started on 127.0.0.1, port 0, with
// its own config directory; the port is read from its `server-started` log line.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const AVACOLLAB = process.env.AVACOLLAB_BIN ?? path.join(ROOT, ".venv", "bin", "avacollab");

/**
 * Why the server cannot run here, or null. Under CI=true a missing server is
 * a failure, not a skip: CI must run these tests.
 * @returns {string | false}
 */
export function serverMissing() {
  if (existsSync(AVACOLLAB)) return false;
  const reason = `needs ${AVACOLLAB} (make setup) or AVACOLLAB_BIN`;
  if (process.env.CI === "true") throw new Error(`CI must run the signaling tests: ${reason}`);
  return reason;
}

/**
 * @typedef {{ url: string, port: number, pid: number, log: () => string,
 *   pause(): void, resume(): void, stop(): Promise<void> }} Server
 */

/**
 * Start a server; resolves once it listens.
 * @param {string[]} [args] extra `avacollab serve` options
 * @returns {Promise<Server>}
 */
export function startServer(args = []) {
  const config = mkdtempSync(path.join(tmpdir(), "avacollab-js-"));
  const child = spawn(AVACOLLAB, ["serve", "--host", "127.0.0.1", "--port", "0", ...args], {
    env: { ...process.env, AVACOLLAB_CONFIG_DIR: config, PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`avacollab serve did not start within 30 s:\n${output}`));
    }, 30_000);
    /** @param {Buffer} data */
    const read = (data) => {
      output += data.toString();
      const match = /server-started url=(ws:\/\/127\.0\.0\.1:(\d+)\/ws)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        port: Number(match[2]),
        pid: /** @type {number} */ (child.pid),
        log: () => output,
        pause: () => child.kill("SIGSTOP"),
        resume: () => child.kill("SIGCONT"),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGCONT");
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(killer);
          }
          rmSync(config, { recursive: true, force: true });
        },
      });
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`avacollab serve exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Messages as they arrive, and a way to wait for the next one that matches.
 * @template T
 */
export class Inbox {
  constructor() {
    /** @type {T[]} */
    this.items = [];
    /** @type {Array<{ match: (item: T) => boolean, resolve: (item: T) => void }>} */
    this._waiters = [];
  }

  /** @param {T} item */
  push = (item) => {
    this.items.push(item);
    this._waiters = this._waiters.filter((waiter) => {
      if (!waiter.match(item)) return true;
      waiter.resolve(item);
      return false;
    });
  };

  /**
   * The first item (already here or still to come) that matches, within `seconds`.
   * @param {(item: T) => boolean} match
   * @param {number} [seconds]
   * @returns {Promise<T>}
   */
  wait(match, seconds = 10) {
    const found = this.items.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._waiters = this._waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`nothing matched within ${seconds} s; got ${JSON.stringify(this.items).slice(0, 2000)}`));
      }, seconds * 1000);
      /** @param {T} item */
      const done = (item) => {
        clearTimeout(timer);
        resolve(item);
      };
      this._waiters.push({ match, resolve: done });
    });
  }
}
