// The message envelope: {"type": string, "payload": object}. Inbound envelopes are parsed from raw
// UTF-8 bytes with the bounded parser; outbound ones are built here and encoded once.
//
// Reading: the spec says every message has a `payload` object, so an envelope without one (or with a
// non-object payload) is malformed. Extra top-level keys are ignored (forward compatibility).

import { encodeJson, parseJsonObject, own, isPlainObject, type JsonLimits, type JsonObject, DEFAULT_JSON_LIMITS } from "./json.js";

export interface Envelope {
  readonly type: string;
  readonly payload: JsonObject;
}

/** Longest message type name accepted (the longest defined one has 31 characters). */
const MAX_TYPE_CHARS = 64;

export function parseEnvelope(bytes: Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): Envelope | undefined {
  const o = parseJsonObject(bytes, limits);
  if (!o) return undefined;
  const type = own(o, "type");
  const payload = own(o, "payload");
  if (typeof type !== "string" || type.length === 0 || type.length > MAX_TYPE_CHARS || !isPlainObject(payload)) return undefined;
  return { type, payload };
}

/** The outbound envelope object (what SecureChannel.sendJson serializes). */
export function envelope(type: string, payload: JsonObject): JsonObject {
  return { type, payload };
}

/** The outbound envelope as UTF-8 bytes (cleartext handshake frames: their exact bytes feed the prologue). */
export function encodeEnvelope(type: string, payload: JsonObject): Uint8Array {
  return encodeJson({ type, payload });
}
