// Cleartext handshake messages (spec §client/init, §server/init, §noise/handshake) and the JSON carried
// inside the two Noise handshake payloads.
//
// Readings: unknown extra fields are ignored (the exact bytes are bound by the prologue anyway);
// `version` must be the integer 1; identifiers must be strict 43-character base64url of 32 bytes.

import { decodeKeyId } from "../../crypto/ids.js";
import { base64urlDecode, base64urlEncode } from "../util/base64url.js";
import { utf8Encode } from "../util/utf8.js";
import { encodeEnvelope, envelope } from "./envelope.js";
import { readFixedBase64url, readInt, own } from "./fields.js";
import { parseJsonObject, type JsonObject } from "./json.js";
import { MSG, PROTOCOL_VERSION } from "./names.js";

/** client/init as the exact bytes sent (they are the first half of the prologue). */
export function buildClientInit(clientId: string, suite: string): Uint8Array {
  return encodeEnvelope(MSG.clientInit, { client_id: clientId, version: PROTOCOL_VERSION, suite });
}

export interface ServerInit {
  readonly serverId: string;
  readonly serverKey: Uint8Array;
}

export function parseServerInit(p: JsonObject): ServerInit | undefined {
  const id = own(p, "server_id");
  const key = decodeKeyId(id);
  if (!key || readInt(p, "version", PROTOCOL_VERSION, PROTOCOL_VERSION) === undefined) return undefined;
  return { serverId: id as string, serverKey: key };
}

/**
 * Largest Noise handshake message accepted, in bytes. KKpsk2 message 1 is an ephemeral key (32) plus the
 * encrypted {"psk_id":…} payload (54 + 16); 1 KiB leaves room for whitespace and extra JSON fields.
 */
export const MAX_NOISE_HANDSHAKE_BYTES = 1024;

/** The base64url `data` of a noise/handshake payload, strictly decoded. */
export function parseNoiseHandshake(p: JsonObject): Uint8Array | undefined {
  const v = own(p, "data");
  if (typeof v !== "string" || v.length === 0 || v.length > Math.ceil((MAX_NOISE_HANDSHAKE_BYTES * 4) / 3)) return undefined;
  return base64urlDecode(v);
}

/** noise/handshake as UTF-8 bytes (cleartext: a text frame). */
export function buildNoiseHandshakeText(data: Uint8Array): Uint8Array {
  return encodeEnvelope(MSG.noiseHandshake, { data: base64urlEncode(data) });
}

/** noise/handshake as an envelope object (re-handshake: sent inside the secure channel). */
export function buildNoiseHandshake(data: Uint8Array): JsonObject {
  return envelope(MSG.noiseHandshake, { data: base64urlEncode(data) });
}

/** psk_id from the decrypted payload of Noise message 1: {"psk_id": 43-char base64url}. */
export function parseMessage1Payload(bytes: Uint8Array): string | undefined {
  const o = parseJsonObject(bytes);
  if (!o || !readFixedBase64url(o, "psk_id", 32)) return undefined;
  return own(o, "psk_id") as string;
}

/** Noise message 2 payload: the empty object. */
export const MESSAGE2_PAYLOAD: Uint8Array = utf8Encode("{}");
