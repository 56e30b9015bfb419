// Field readers shared by the validators of this folder. Each returns undefined when the field is absent
// or not exactly what the spec says (wrong type, out of range, non-canonical base64url, too long): the
// caller decides what a missing or bad field means for its message. Only own properties are read.

import { base64urlDecode, base64urlLength } from "../util/base64url.js";
import { hasOwn, isPlainObject, own, type JsonObject } from "./json.js";

/**
 * A string of at most `maxChars` characters. (`length` counts UTF-16 units in V8 and code points in XS;
 * as an upper bound on free text that difference is harmless. Exact lengths are only checked on
 * base64url, which is ASCII.)
 */
export function readString(o: JsonObject, key: string, maxChars: number): string | undefined {
  const v = own(o, key);
  return typeof v === "string" && v.length <= maxChars ? v : undefined;
}

/** An integer (a JSON number with no fraction, exactly representable) in [min, max]. */
export function readInt(o: JsonObject, key: string, min: number, max: number): number | undefined {
  const v = own(o, key);
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined;
}

export function readBool(o: JsonObject, key: string): boolean | undefined {
  const v = own(o, key);
  return typeof v === "boolean" ? v : undefined;
}

export function readObject(o: JsonObject, key: string): JsonObject | undefined {
  const v = own(o, key);
  return isPlainObject(v) ? v : undefined;
}

/** Strict unpadded base64url of exactly `bytes` bytes (32 → 43 chars, 64 → 86 chars). */
export function readFixedBase64url(o: JsonObject, key: string, bytes: number): Uint8Array | undefined {
  const v = own(o, key);
  if (typeof v !== "string" || v.length !== base64urlLength(bytes)) return undefined;
  return base64urlDecode(v, bytes);
}

/** An array of at most `maxItems` strings, each at most `maxChars` characters. */
export function readStringArray(o: JsonObject, key: string, maxItems: number, maxChars: number): string[] | undefined {
  const v = own(o, key);
  if (!Array.isArray(v) || v.length > maxItems) return undefined;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== "string" || (v[i] as string).length > maxChars) return undefined;
  return v as string[];
}

/** True when every own key of `o` is one of `allowed` (strict payloads: management requests). */
export function onlyKeys(o: JsonObject, allowed: readonly string[]): boolean {
  for (const k of Object.keys(o)) if (allowed.indexOf(k) < 0) return false;
  return true;
}

export { hasOwn, own };
