// The wire as the reference server reads it, written from the spec text (not from modules/protocol):
// the message envelope, the names of the speaker-originated messages, and a checker that lists every
// way an inbound message departs from the spec. The checker never throws; its findings become the
// connection's `violations`, which the end-to-end tests assert to be empty.

import { base64urlDecode } from "../../modules/util/base64url.js";
import { utf8Decode, utf8Encode } from "../../modules/util/utf8.js";
import { SUITES } from "../../crypto/provider.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface Envelope {
  type: string;
  payload: JsonObject;
}

/** `{"type":…,"payload":…}` as UTF-8 bytes, exactly what goes on the wire. */
export function encodeEnvelope(type: string, payload: unknown): Uint8Array {
  return utf8Encode(JSON.stringify({ type, payload }));
}

/** Strict UTF-8, JSON, and the envelope shape; a string describing the fault otherwise. */
export function decodeEnvelope(bytes: Uint8Array): Envelope | string {
  const text = utf8Decode(bytes);
  if (text === undefined) return "message is not valid UTF-8";
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "message is not JSON";
  }
  if (!isObject(v)) return "message is not a JSON object";
  if (typeof v.type !== "string") return "message has no string `type`";
  if (!isObject(v.payload)) return `${v.type}: \`payload\` is not an object`;
  return { type: v.type, payload: v.payload as JsonObject };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

/** A base64url string that decodes (strictly) to exactly `bytes` bytes. */
export function isB64(v: unknown, bytes: number): v is string {
  return base64urlDecode(v, bytes) !== undefined;
}

// ---- vocabulary (spec sections cited by name) ----

export const GOODBYE_REASONS = [
  "another_server", "shutdown", "restart", "user_request", "unauthorized", "pairing_required", "concurrent_attempt", "unpaired",
] as const;
/**
 * The spec's seven reasons, plus `storage_exhausted`: issue 4 has the speaker abort with it when a pairing
 * cannot be stored (record table full, no record_mode fallback); the baseline text has no reason for it.
 */
export const PAIR_ABORT_REASONS = [
  "attempt_timeout", "concurrent_attempt", "locked_out", "method_not_supported", "pin_length_unacceptable", "pin_mismatch", "user_cancelled",
  "storage_exhausted",
] as const;
export const MANAGEMENT_RESULTS = ["ok", "permission_denied", "already_exists", "invalid", "not_found", "storage_exhausted"] as const;
export const PAIR_METHODS = ["dynamic_pin", "pairing_psk", "static_pin"] as const;
export const ACTIVITIES = ["playback", "pairing", "management"] as const;
export const OUT_CHANNELS = ["display", "speaker", "other"] as const;
export const CODECS = ["opus", "flac", "pcm"] as const;
export const CLIENT_STATES = ["synchronized", "external_source"] as const;

export type PairMethod = (typeof PAIR_METHODS)[number];
export type Activity = (typeof ACTIVITIES)[number];

/** Messages a client may send, by the spec's "Client → Server" / "Client ↔ Server" headings. */
export const CLIENT_MESSAGE_TYPES = [
  "client/init", "noise/handshake", "client/hello", "client/time", "client/state", "client/command", "client/goodbye",
  "stream/request-format", "management/result", "pair/abort", "client/pair-init", "client/pair-auth", "client/pair-confirm",
  "client/pair-finalize",
] as const;

// ---- the checker ----

type Out = string[];

function oneOf(v: unknown, set: readonly string[]): boolean {
  return typeof v === "string" && set.includes(v);
}

function noExtra(out: Out, where: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k) && !k.startsWith("_")) out.push(`${where}: unexpected field \`${k}\``);
}

/** client/init; returns violations (empty when valid). */
export function checkClientInit(p: Record<string, unknown>): Out {
  const out: Out = [];
  if (!isB64(p.client_id, 32)) out.push("client/init: `client_id` is not a 43-character base64url key");
  if (p.version !== 1) out.push("client/init: `version` is not 1");
  if (!oneOf(p.suite, SUITES)) out.push("client/init: `suite` is not a defined suite");
  noExtra(out, "client/init", p, ["client_id", "version", "suite"]);
  return out;
}

function checkPlayerSupport(out: Out, s: unknown): void {
  const w = "client/hello player@v1_support";
  if (!isObject(s)) {
    out.push(`${w}: not an object`);
    return;
  }
  if (!Array.isArray(s.supported_formats) || s.supported_formats.length === 0) out.push(`${w}: \`supported_formats\` is not a non-empty array`);
  else
    for (const f of s.supported_formats) {
      if (!isObject(f) || !oneOf(f.codec, CODECS) || !isInt(f.channels) || f.channels < 1 || !isInt(f.sample_rate) || f.sample_rate < 1 || !isInt(f.bit_depth) || f.bit_depth < 1)
        out.push(`${w}: malformed format ${JSON.stringify(f)}`);
    }
  if (!isInt(s.buffer_capacity) || s.buffer_capacity < 1) out.push(`${w}: \`buffer_capacity\` is not a positive integer`);
  if (!Array.isArray(s.supported_commands) || !s.supported_commands.every((c) => oneOf(c, ["volume", "mute"])))
    out.push(`${w}: \`supported_commands\` is not a subset of volume, mute`);
}

function checkPairMethods(out: Out, v: unknown): void {
  const w = "client/hello supported_pair_methods";
  if (!Array.isArray(v)) {
    out.push(`${w}: not an array`);
    return;
  }
  const seen = new Set<string>();
  for (const d of v) {
    if (!isObject(d) || !oneOf(d.method, PAIR_METHODS)) {
      out.push(`${w}: malformed descriptor ${JSON.stringify(d)}`);
      continue;
    }
    const m = d.method as string;
    if (seen.has(m)) out.push(`${w}: ${m} listed twice`);
    seen.add(m);
    const pin = m !== "pairing_psk";
    if ("out_channels" in d && (m !== "dynamic_pin" || !Array.isArray(d.out_channels) || !d.out_channels.every((c) => oneOf(c, OUT_CHANNELS))))
      out.push(`${w}: ${m}: bad \`out_channels\``);
    if (m === "dynamic_pin") {
      if (!isInt(d.min_pin_length) || d.min_pin_length < 4 || d.min_pin_length > 12) out.push(`${w}: dynamic_pin: \`min_pin_length\` not an integer in 4–12`);
    } else if ("min_pin_length" in d) out.push(`${w}: ${m}: \`min_pin_length\` present`);
    if (pin) {
      if (typeof d.locked_out !== "boolean") out.push(`${w}: ${m}: \`locked_out\` is not a boolean`);
    } else if ("locked_out" in d) out.push(`${w}: pairing_psk: \`locked_out\` present`);
    noExtra(out, `${w} ${m}`, d, ["method", "out_channels", "min_pin_length", "locked_out"]);
  }
}

/** client/hello `device_info` (the same in both revisions). */
export function checkDeviceInfo(out: Out, d: unknown): void {
  const w = "client/hello";
  if (!isObject(d)) return void out.push(`${w}: \`device_info\` is not an object`);
  for (const k of ["product_name", "manufacturer", "software_version", "mac_address"]) if (k in d && typeof d[k] !== "string") out.push(`${w}: device_info.${k} is not a string`);
  if (typeof d.mac_address === "string" && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(d.mac_address)) out.push(`${w}: device_info.mac_address is not lowercase colon-separated`);
  noExtra(out, `${w} device_info`, d, ["product_name", "manufacturer", "software_version", "mac_address"]);
}

function checkHello(out: Out, p: Record<string, unknown>): void {
  const w = "client/hello";
  if (typeof p.name !== "string") out.push(`${w}: \`name\` is not a string`);
  if ("device_info" in p) checkDeviceInfo(out, p.device_info);
  if (!oneOf(p.trust_level, ["user", "none"])) out.push(`${w}: \`trust_level\` is not 'user' | 'none'`);
  const roles = p.supported_roles;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === "string")) out.push(`${w}: \`supported_roles\` is not a string array`);
  else {
    if (roles.includes("player@v1")) checkPlayerSupport(out, p["player@v1_support"]);
    else if ("player@v1_support" in p) out.push(`${w}: player@v1_support without player@v1`);
  }
  if ("supported_pair_methods" in p) checkPairMethods(out, p.supported_pair_methods);
  if (!isObject(p.unpaired_access) || typeof p.unpaired_access.enabled !== "boolean") out.push(`${w}: \`unpaired_access.enabled\` is not a boolean`);
}

function checkStatePlayer(out: Out, pl: unknown): void {
  const w = "client/state player";
  if (!isObject(pl)) {
    out.push(`${w}: not an object`);
    return;
  }
  if ("volume" in pl && (!isInt(pl.volume) || pl.volume < 0 || pl.volume > 100)) out.push(`${w}: \`volume\` not an integer 0–100`);
  if ("muted" in pl && typeof pl.muted !== "boolean") out.push(`${w}: \`muted\` not a boolean`);
  if ("static_delay_ms" in pl && (!isInt(pl.static_delay_ms) || pl.static_delay_ms < 0 || pl.static_delay_ms > 5000)) out.push(`${w}: \`static_delay_ms\` not an integer 0–5000`);
  for (const k of ["required_lead_time_ms", "min_buffer_ms"]) if (k in pl && (!isInt(pl[k]) || (pl[k] as number) < 0)) out.push(`${w}: \`${k}\` not a non-negative integer`);
  if ("supported_commands" in pl && (!Array.isArray(pl.supported_commands) || !pl.supported_commands.every((c) => c === "set_static_delay")))
    out.push(`${w}: \`supported_commands\` not a subset of set_static_delay`);
}

/**
 * Violations of one speaker-originated message, judged on its own (ordering and state are judged by
 * the connection). Unknown types are violations unless application-specific (`_…`).
 */
export function checkClientMessage(type: string, p: Record<string, unknown>): Out {
  const out: Out = [];
  switch (type) {
    case "client/init":
      return checkClientInit(p);
    case "noise/handshake":
      if (typeof p.data !== "string" || base64urlDecode(p.data) === undefined) out.push("noise/handshake: `data` is not base64url");
      break;
    case "client/hello":
      checkHello(out, p);
      break;
    case "client/time":
      if (!isInt(p.client_transmitted)) out.push("client/time: `client_transmitted` is not an integer");
      break;
    case "client/state":
      if ("state" in p && !oneOf(p.state, CLIENT_STATES)) out.push("client/state: bad `state`");
      if ("player" in p) checkStatePlayer(out, p.player);
      break;
    case "client/command":
    case "stream/request-format":
      break;
    case "client/goodbye":
      if (!oneOf(p.reason, GOODBYE_REASONS)) out.push(`client/goodbye: unknown reason ${JSON.stringify(p.reason)}`);
      break;
    case "management/result":
      if (!oneOf(p.result, MANAGEMENT_RESULTS)) out.push(`management/result: unknown result ${JSON.stringify(p.result)}`);
      if ("data" in p && (p.result !== "ok" || !isObject(p.data))) out.push("management/result: `data` present on a non-ok result or not an object");
      if ("storage" in p) {
        if (p.result === "permission_denied") out.push("management/result: `storage` on permission_denied");
        const s = p.storage;
        if (!isObject(s) || !isInt(s.free)) out.push("management/result: `storage.free` is not an integer");
        else for (const k of ["capacity", "cost_individual", "cost_shared"]) if (k in s && !isInt(s[k])) out.push(`management/result: storage.${k} not an integer`);
      }
      break;
    case "pair/abort":
      if (!oneOf(p.reason, PAIR_ABORT_REASONS)) out.push(`pair/abort: unknown reason ${JSON.stringify(p.reason)}`);
      break;
    case "client/pair-init":
      if ("commit_B" in p && !isB64(p.commit_B, 32)) out.push("client/pair-init: `commit_B` is not 32 bytes base64url");
      break;
    case "client/pair-auth":
      if (!isB64(p.pake_msg_2, 32)) out.push("client/pair-auth: `pake_msg_2` is not 32 bytes base64url");
      break;
    case "client/pair-confirm":
      if (!isB64(p.client_kc, 64)) out.push("client/pair-confirm: `client_kc` is not 64 bytes base64url");
      if ("nonce_B" in p && !isB64(p.nonce_B, 32)) out.push("client/pair-confirm: `nonce_B` is not 32 bytes base64url");
      break;
    case "client/pair-finalize":
      if (!isB64(p.long_term_psk, 32)) out.push("client/pair-finalize: `long_term_psk` is not 32 bytes base64url");
      break;
    default:
      if (!type.startsWith("_")) out.push(`unknown message type ${JSON.stringify(type)}`);
  }
  return out;
}
