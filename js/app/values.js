// What the editor shows of a component and how it reads typed values (pure).

/** Property names shown as a box's name, the first one present wins. */
export const NAME_KEYS = ["name", "label", "title", "text"];
/** How many other properties a box shows under its name. */
export const KEY_PROPS = 3;
/** Characters of a shown value kept. */
const SHOWN = 24;

/**
 * A box's name: the first of NAME_KEYS it has, as text ("" if none).
 * @param {Record<string, unknown>} props
 */
export function displayName(props) {
  for (const key of NAME_KEYS) {
    const value = props[key];
    if (value !== undefined && value !== null && value !== "") return clip(typeof value === "string" ? value : JSON.stringify(value));
  }
  return "";
}

/**
 * The key properties a box shows: up to KEY_PROPS `name=value`, the name property left out.
 * @param {Record<string, unknown>} props
 */
export function keyProps(props) {
  const named = NAME_KEYS.find((k) => props[k] !== undefined && props[k] !== null && props[k] !== "");
  return Object.keys(props)
    .filter((k) => k !== named)
    .sort()
    .slice(0, KEY_PROPS)
    .map((k) => `${k}=${clip(shown(props[k]))}`)
    .join(" ");
}

/** A value as the property panel shows it: strings bare, the rest as JSON. @param {unknown} value */
export function shown(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * A typed value: JSON when it reads as a number, boolean, null, array or
 * object; else the text itself (so `Pay` is a string and `120` a number;
 * `"120"` with quotes is the string 120).
 * @param {string} text
 * @returns {unknown}
 */
export function parseValue(text) {
  const trimmed = text.trim();
  if (/^(-?\d|true$|false$|null$|\[|\{|")/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/** @param {string} text */
function clip(text) {
  return text.length > SHOWN ? text.slice(0, SHOWN - 1) + "…" : text;
}
