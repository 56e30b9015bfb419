// Bounded JSON for hostile input. Every JSON text the speaker receives goes through parseJsonObject:
// a linear pre-scan over the raw bytes bounds size, nesting depth and the number of values before the
// engine's JSON.parse sees anything (deep nesting would otherwise exhaust the XS native stack, and a
// 64 KiB array of zeros would allocate tens of thousands of values), then strict UTF-8 decoding, then
// JSON.parse inside a try. Nothing here throws.

import { utf8Decode, utf8Encode } from "../util/utf8.js";

export interface JsonLimits {
  /** Largest JSON text in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of objects/arrays (the top-level object is depth 1). */
  readonly maxDepth: number;
  /** Most values (object members + array elements, counted by separators and openers). */
  readonly maxValues: number;
}

/**
 * Defaults sized for the Sendspin messages the speaker accepts: the deepest legitimate one is
 * management/set-pairing-config (envelope → payload → method object: depth 3); server/state metadata
 * and stream/start objects reach depth 4. Anything past these bounds is not a message we act on.
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 65536, maxDepth: 8, maxValues: 512 };

export type JsonObject = Record<string, unknown>;

/** Parse UTF-8 bytes holding a JSON object. Returns undefined for anything else or past a limit. */
export function parseJsonObject(bytes: Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonObject | undefined {
  if (bytes.length > limits.maxBytes || !withinStructuralLimits(bytes, limits)) return undefined;
  const text = utf8Decode(bytes);
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isPlainObject(v) ? v : undefined;
}

/** Serialize an outbound message (built by this module's builders: plain data, no cycles). */
export function encodeJson(value: unknown): Uint8Array {
  return utf8Encode(JSON.stringify(value));
}

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property (never an inherited one such as "constructor" or "toString"). */
export function own(o: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function hasOwn(o: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

const QUOTE = 0x22, BACKSLASH = 0x5c, OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d, COMMA = 0x2c;

/** Byte-level scan: nesting depth and value count outside strings. Syntax is left to JSON.parse. */
function withinStructuralLimits(b: Uint8Array, limits: JsonLimits): boolean {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      i = closingQuote(b, i);
      if (i < 0) return true; // an unterminated string: JSON.parse rejects it
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (++depth > limits.maxDepth || ++values > limits.maxValues) return false;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      depth--;
      if (depth < 0) return false;
    } else if (c === COMMA) {
      if (++values > limits.maxValues) return false;
    }
  }
  return true;
}

/**
 * Index of the quote closing the string opened at `open`, or -1: the first later quote not escaped, i.e.
 * not preceded by an odd run of backslashes. The search is native (indexOf): a byte inside a string then
 * costs XS a fraction of a loop iteration in JavaScript.
 */
function closingQuote(b: Uint8Array, open: number): number {
  let q = b.indexOf(QUOTE, open + 1);
  while (q > 0) {
    let k = q - 1;
    while (k > open && b[k] === BACKSLASH) k--;
    if (((q - 1 - k) & 1) === 0) return q;
    q = b.indexOf(QUOTE, q + 1);
  }
  return -1;
}
