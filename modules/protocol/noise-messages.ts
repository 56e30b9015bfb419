// Wire vocabulary of the Noise handshake (spec §Client ↔ Server: noise/handshake, §Pre-Shared Key):
// the `noise/handshake` envelope and the JSON payloads carried inside Noise messages 1 and 2.
// Everything parsed here is hostile: strict types, strict base64url, bounded sizes, never throws.

import { base64urlDecode, base64urlEncode } from "../util/base64url.js";
import { utf8Encode } from "../util/utf8.js";
import { parseJsonObject } from "./json.js";
import { PSK_CATEGORY_CODES, type PskCategoryCode } from "./revision.js";

export const NOISE_HANDSHAKE = "noise/handshake";

/** A KKpsk2 handshake message is an ephemeral key (32) plus an AEAD tag (16) at least; Noise caps it at 65535. */
const MIN_HANDSHAKE_BYTES = 48;
const MAX_HANDSHAKE_BYTES = 65535;

export interface NoiseHandshakeMessage {
  readonly type: "noise/handshake";
  readonly payload: { readonly data: string };
}

/** The `noise/handshake` message carrying one Noise handshake message (base64url, no padding). */
export function noiseHandshakeMessage(noiseMessage: Uint8Array): NoiseHandshakeMessage {
  return { type: NOISE_HANDSHAKE, payload: { data: base64urlEncode(noiseMessage) } };
}

/** The Noise message bytes of a received `noise/handshake` payload object, or undefined when malformed. */
export function parseNoiseHandshakePayload(payload: unknown): Uint8Array | undefined {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  const data = (payload as { data?: unknown }).data;
  if (typeof data !== "string" || data.length > 87380 /* base64url of 65535 bytes */) return undefined;
  const bytes = base64urlDecode(data);
  if (bytes === undefined || bytes.length < MIN_HANDSHAKE_BYTES || bytes.length > MAX_HANDSHAKE_BYTES) return undefined;
  return bytes;
}

/**
 * Noise message 1 payload (server → client): {"psk_id": "<43 chars>"}, plus `psk_category` in the current
 * revision (the reference peers of the tests use it; the speaker only reads message 1).
 */
export function message1Payload(pskId: string, pskCategory?: PskCategoryCode): Uint8Array {
  return utf8Encode(JSON.stringify(pskCategory === undefined ? { psk_id: pskId } : { psk_id: pskId, psk_category: pskCategory }));
}

/** Noise message 2 payload (client → server): the empty object. */
export function message2Payload(): Uint8Array {
  return utf8Encode("{}");
}

/** Bounded parse (json.ts): the payload of message 1 is chosen by an unauthenticated peer in the first handshake. */
function parseObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  return parseJsonObject(bytes);
}

/**
 * The psk_id of a decrypted message 1 payload: a JSON object whose `psk_id` is the canonical 43-character
 * base64url of 32 bytes (other members are ignored). Undefined when malformed.
 */
export function parseMessage1Payload(bytes: Uint8Array): string | undefined {
  const o = parseObject(bytes);
  if (o === undefined) return undefined;
  const id = Object.prototype.hasOwnProperty.call(o, "psk_id") ? o.psk_id : undefined;
  return typeof id === "string" && base64urlDecode(id, 32) !== undefined ? id : undefined;
}

/** A decrypted message 1 payload: the psk_id, and `psk_category` (null when absent: the baseline revision). */
export interface Message1 {
  readonly pskId: string;
  readonly category: PskCategoryCode | null;
}

/**
 * Message 1 of either revision. Undefined when malformed: no canonical psk_id, or a `psk_category` that
 * is present but not one of 'lt', 'pr', 'sn' (the current text's silent failure). Its absence is not an
 * error here: it marks a baseline server (the connection latches its revision on it).
 */
export function parseMessage1(bytes: Uint8Array): Message1 | undefined {
  const o = parseObject(bytes);
  if (o === undefined) return undefined;
  const id = Object.prototype.hasOwnProperty.call(o, "psk_id") ? o.psk_id : undefined;
  if (typeof id !== "string" || base64urlDecode(id, 32) === undefined) return undefined;
  if (!Object.prototype.hasOwnProperty.call(o, "psk_category")) return { pskId: id, category: null };
  const c = o.psk_category;
  return typeof c === "string" && PSK_CATEGORY_CODES.indexOf(c as PskCategoryCode) >= 0 ? { pskId: id, category: c as PskCategoryCode } : undefined;
}

/** A decrypted message 2 payload is a JSON object (`{}`; members a later revision may add are ignored). */
export function parseMessage2Payload(bytes: Uint8Array): boolean {
  return parseObject(bytes) !== undefined;
}
