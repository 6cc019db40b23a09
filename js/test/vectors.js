// Loads the conformance vectors shared with the Python tests (conformance/ at
// the repository root) and the small helpers the tests need to read them.
import { readFileSync } from "node:fs";

/**
 * @param {string} name a file in conformance/
 * @returns {any}
 */
export function vectors(name) {
  const url = new URL(`../../conformance/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8"));
}

/** @param {string} hex */
export function fromHex(hex) {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** @param {Uint8Array} bytes */
export function toHex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

/**
 * A vector's value with its `$repeat` and `$nest` markers written out
 * (conformance/generate.py writes large values that way).
 * @param {any} value
 * @returns {any}
 */
export function expand(value) {
  if (Array.isArray(value)) return value.map(expand);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$repeat") return value.$repeat[0].repeat(value.$repeat[1]);
    if (keys.length === 1 && keys[0] === "$nest") {
      let out = expand(value.$nest[1]);
      for (let i = 0; i < value.$nest[0]; i++) out = [out];
      return out;
    }
    return Object.fromEntries(keys.map((key) => [key, expand(value[key])]));
  }
  return value;
}
