// Pairing messages (spec §Pairing › Messages, §PAKE table of sizes). Inbound values are strictly decoded
// to their exact byte sizes: pake_msg_1 32 bytes (43 chars), server_kc 64 bytes (86 chars), nonce_A
// 32 bytes (43 chars). Extra fields are ignored.

import { base64urlEncode } from "../util/base64url.js";
import { envelope } from "./envelope.js";
import { own, readFixedBase64url, readString } from "./fields.js";
import type { JsonObject } from "./json.js";
import { MSG, type PairAbortReason } from "./names.js";

/** client/pair-init: `commit_B` only in dynamic PIN pairing. */
export function buildClientPairInit(commitB?: Uint8Array): JsonObject {
  return envelope(MSG.clientPairInit, commitB ? { commit_B: base64urlEncode(commitB) } : {});
}

export interface ServerPairInit {
  readonly nonceA: Uint8Array;
  /**
   * The declared length when it is an integer (range checking is the client's pin_length rule), or
   * NaN when `pin_length` is missing or not an integer (also unacceptable).
   */
  readonly pinLength: number;
}

/** server/pair-init; undefined when nonce_A is not 32 bytes of strict base64url. */
export function parseServerPairInit(p: JsonObject): ServerPairInit | undefined {
  const nonceA = readFixedBase64url(p, "nonce_A", 32);
  if (!nonceA) return undefined;
  const n = own(p, "pin_length");
  return { nonceA, pinLength: typeof n === "number" && Number.isSafeInteger(n) ? n : NaN };
}

/** server/pair-auth → Ya (32 bytes), or undefined when malformed. */
export function parseServerPairAuth(p: JsonObject): Uint8Array | undefined {
  return readFixedBase64url(p, "pake_msg_1", 32);
}

export function buildClientPairAuth(yb: Uint8Array): JsonObject {
  return envelope(MSG.clientPairAuth, { pake_msg_2: base64urlEncode(yb) });
}

/** server/pair-confirm → Ta (64 bytes), or undefined when malformed. */
export function parseServerPairConfirm(p: JsonObject): Uint8Array | undefined {
  return readFixedBase64url(p, "server_kc", 64);
}

/** client/pair-confirm: `nonce_B` only in dynamic PIN pairing. */
export function buildClientPairConfirm(tb: Uint8Array, nonceB?: Uint8Array): JsonObject {
  const p: JsonObject = { client_kc: base64urlEncode(tb) };
  if (nonceB) p.nonce_B = base64urlEncode(nonceB);
  return envelope(MSG.clientPairConfirm, p);
}

export function buildClientPairFinalize(longTermPsk: Uint8Array): JsonObject {
  return envelope(MSG.clientPairFinalize, { long_term_psk: base64urlEncode(longTermPsk) });
}

export function buildPairAbort(reason: PairAbortReason): JsonObject {
  return envelope(MSG.pairAbort, { reason });
}

/** Inbound pair/abort: the reason when it is a short string (kept for logs only). */
export function parsePairAbort(p: JsonObject): string {
  return readString(p, "reason", 64) ?? "";
}
