// The current revision's session and pairing vocabulary (reference/sendspin-spec-current.md §client/hello,
// §server/activate, §Pairing › Messages), next to the baseline's in session-messages.ts and
// pairing-messages.ts. Only what differs lives here: message names shared by both revisions stay in
// names.ts (MSG). Every parser takes hostile input and returns a value or undefined, never throws.

import { base64urlEncode } from "../util/base64url.js";
import { envelope } from "./envelope.js";
import { own, readFixedBase64url } from "./fields.js";
import type { JsonObject } from "./json.js";
import { MSG, type GoodbyeReason } from "./names.js";
import { parseActivitySet, parseRoles } from "./session-messages.js";

/** Message types the current revision adds. */
export const MSG_CURRENT = {
  serverError: "server/error",
  clientLeave: "client/leave",
  clientPairPending: "client/pair-pending",
  clientPairRetry: "client/pair-retry",
} as const;

export type CurrentActivity = "playback" | "pairing";
export const CURRENT_ACTIVITIES: readonly CurrentActivity[] = ["playback", "pairing"];

export type CodeMethod = "static_pairing_code" | "dynamic_pairing_code";
export type CurrentPairMethod = "pairing_psk" | CodeMethod;
export const CURRENT_PAIR_METHODS: readonly CurrentPairMethod[] = ["pairing_psk", "static_pairing_code", "dynamic_pairing_code"];

export type CodeFormat = "digits" | "qr_code";
export const CODE_FORMATS: readonly CodeFormat[] = ["digits", "qr_code"];

export type CurrentPairAbortReason = "attempt_timeout" | "concurrent_attempt" | "method_not_supported" | "pairing_code_mismatch" | "user_cancelled";

/** Every goodbye reason is the same in both revisions. */
export type CurrentGoodbyeReason = GoodbyeReason;

// ---------------------------------------------------------------- server/error

const SERVER_ERROR_REASONS = ["unsupported_version", "unsupported_suite", "malformed"];

/** server/error's reason for the log: one of the text's three, else "(unknown reason)". Never trusted. */
export function describeServerError(p: JsonObject): string {
  const r = own(p, "reason");
  return typeof r === "string" && SERVER_ERROR_REASONS.indexOf(r) >= 0 ? r : "(unknown reason)";
}

// ---------------------------------------------------------------- client/hello

/** What the client offers, as the speaker decides it (sessions.ts). At most one code method. */
export interface CurrentPairOffer {
  readonly pairingPsk: boolean;
  readonly code: CodeMethod | null;
  /** dynamic_pairing_code only: out_channels and formats (both non-empty). */
  readonly outChannels: readonly string[];
  readonly formats: readonly CodeFormat[];
}

export interface CurrentHelloInfo {
  readonly name: string;
  readonly productName: string;
  readonly manufacturer: string;
  readonly softwareVersion: string;
  readonly supportedRoles: readonly string[];
  /** player@v1_support (present exactly when player@v1 is listed). */
  readonly playerSupport?: Record<string, unknown>;
  readonly offer: CurrentPairOffer;
  readonly unpairedAccess: boolean;
}

/** client/hello of the current revision: no trust_level, supported_pair_methods keyed by method. */
export function buildClientHelloCurrent(h: CurrentHelloInfo): JsonObject {
  const payload: JsonObject = {
    name: h.name,
    device_info: { product_name: h.productName, manufacturer: h.manufacturer, software_version: h.softwareVersion },
    supported_roles: h.supportedRoles.slice(),
  };
  if (h.playerSupport) payload["player@v1_support"] = h.playerSupport;
  const methods: JsonObject = {};
  // The text requires pairing_psk in every client/hello: it is listed even when the device maker
  // disabled it through the baseline's management, and then refused (method_not_supported) if selected.
  methods.pairing_psk = { locations: ["device"] };
  if (h.offer.code === "static_pairing_code") methods.static_pairing_code = { locations: ["device"] };
  if (h.offer.code === "dynamic_pairing_code") methods.dynamic_pairing_code = { out_channels: h.offer.outChannels.slice(), formats: h.offer.formats.slice() };
  payload.supported_pair_methods = methods;
  payload.unpaired_access = { enabled: h.unpairedAccess };
  return envelope(MSG.clientHello, payload);
}

// ---------------------------------------------------------------- server/activate

export interface CurrentActivate {
  /** The declared set, or null when it is not a set of known activities. */
  readonly activities: readonly CurrentActivity[] | null;
  /** Absent (undefined), a valid list, or null when present but malformed. */
  readonly activeRoles: readonly string[] | undefined | null;
  /** pairing.method: "absent" without a pairing object, "unknown" when malformed or not a method name. */
  readonly method: CurrentPairMethod | "absent" | "unknown";
  /** pairing.format: "absent", a format, or "unknown". */
  readonly format: CodeFormat | "absent" | "unknown";
}

/** server/activate of the current revision, parsed without judging admissibility (session/current-admission.ts). */
export function parseServerActivateCurrent(p: JsonObject): CurrentActivate {
  const activities = parseActivitySet(own(p, "activities"), CURRENT_ACTIVITIES);
  const pairing = own(p, "pairing");
  let method: CurrentActivate["method"] = "absent";
  let format: CurrentActivate["format"] = "absent";
  if (pairing !== undefined) {
    if (typeof pairing !== "object" || pairing === null || Array.isArray(pairing)) method = "unknown";
    else {
      const m = own(pairing as JsonObject, "method");
      method = typeof m === "string" && CURRENT_PAIR_METHODS.indexOf(m as CurrentPairMethod) >= 0 ? (m as CurrentPairMethod) : "unknown";
      const f = own(pairing as JsonObject, "format");
      format = f === undefined ? "absent" : typeof f === "string" && CODE_FORMATS.indexOf(f as CodeFormat) >= 0 ? (f as CodeFormat) : "unknown";
    }
  }
  return { activities, activeRoles: parseRoles(p), method, format };
}

// ---------------------------------------------------------------- pairing

/** Longest client/pair-pending message (the text's bound). */
export const PAIR_PENDING_MAX_CHARS = 200;

export function buildClientPairPending(pairingIndex: number, message?: string): JsonObject {
  const p: JsonObject = { pairing_index: pairingIndex };
  if (message !== undefined) p.message = message.length > PAIR_PENDING_MAX_CHARS ? message.slice(0, PAIR_PENDING_MAX_CHARS) : message;
  return envelope(MSG_CURRENT.clientPairPending, p);
}

/** client/pair-init: pairing_index always, commit_B in the dynamic flow only. */
export function buildClientPairInitCurrent(pairingIndex: number, commitB?: Uint8Array): JsonObject {
  const p: JsonObject = { pairing_index: pairingIndex };
  if (commitB) p.commit_B = base64urlEncode(commitB);
  return envelope(MSG.clientPairInit, p);
}

/**
 * server/pair-init of the current revision: `nonce_A` (32 bytes) is required in the first round. In a
 * later round the value is not used (the code stays the same), so whatever the field holds is ignored.
 * Undefined: a first round without a valid nonce_A (a protocol error).
 */
export function parseServerPairInitCurrent(p: JsonObject, firstRound: boolean): { nonceA: Uint8Array | null } | undefined {
  if (!firstRound) return { nonceA: null };
  const nonceA = readFixedBase64url(p, "nonce_A", 32);
  return nonceA ? { nonceA } : undefined;
}

export function buildClientPairRetry(): JsonObject {
  return envelope(MSG_CURRENT.clientPairRetry, {});
}

/** Bytes of a wrapped 32-byte value: the AEAD ciphertext and its 16-byte tag (64 base64url characters). */
export const WRAPPED_BYTES = 48;

export function buildClientPairConfirmCurrent(tb: Uint8Array, wrappedNonceB?: Uint8Array): JsonObject {
  const p: JsonObject = { client_kc: base64urlEncode(tb) };
  if (wrappedNonceB) p.wrapped_nonce_B = base64urlEncode(wrappedNonceB);
  return envelope(MSG.clientPairConfirm, p);
}

/** client/pair-finalize: long_term_psk in the pairing-PSK flow, wrapped_psk in the code flows (exactly one). */
export function buildClientPairFinalizeCurrent(v: { longTermPsk: Uint8Array } | { wrappedPsk: Uint8Array }): JsonObject {
  return envelope(MSG.clientPairFinalize, "longTermPsk" in v ? { long_term_psk: base64urlEncode(v.longTermPsk) } : { wrapped_psk: base64urlEncode(v.wrappedPsk) });
}

export function buildPairAbortCurrent(reason: CurrentPairAbortReason): JsonObject {
  return envelope(MSG.pairAbort, { reason });
}

/** client/leave: no payload fields. */
export function buildClientLeave(): JsonObject {
  return envelope(MSG_CURRENT.clientLeave, {});
}
