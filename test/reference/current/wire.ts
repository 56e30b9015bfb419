// The current revision's vocabulary as the reference server reads it, written from the current spec
// text (not from modules/protocol): the names and shapes of every speaker-originated message, and a
// checker listing each departure. The envelope and helpers are the baseline reference's (../wire.ts).

import { checkClientInit, checkDeviceInfo, isB64, isInt, isObject } from "../wire.js";

type Out = string[];

export const GOODBYE_REASONS = ["another_server", "shutdown", "restart", "user_request", "unauthorized", "pairing_required", "concurrent_attempt", "unpaired"] as const;
export const PAIR_ABORT_REASONS = ["attempt_timeout", "concurrent_attempt", "method_not_supported", "pairing_code_mismatch", "user_cancelled"] as const;
export const PAIR_METHODS = ["pairing_psk", "static_pairing_code", "dynamic_pairing_code"] as const;
export const CODE_FORMATS = ["digits", "qr_code"] as const;
export const OUT_CHANNELS = ["display", "speaker"] as const;
export const LOCATIONS = ["device", "leaflet", "operator"] as const;
export const CODECS = ["opus", "flac", "pcm"] as const;
export const PLAYER_COMMANDS = ["volume", "mute", "set_output_delay"] as const;
/** Noise message 1's psk_category codes: long-term, pairing, Sentinel. */
export const PSK_CATEGORIES = ["lt", "pr", "sn"] as const;
export type PskCategory = (typeof PSK_CATEGORIES)[number];

function oneOf(v: unknown, set: readonly string[]): boolean {
  return typeof v === "string" && set.includes(v);
}

/** Fields not defined for the message (application-specific `_…` keys are allowed). */
function noExtra(out: Out, where: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k) && !k.startsWith("_")) out.push(`${where}: field \`${k}\` is not defined by the current revision`);
}

function checkFormat(out: Out, where: string, f: unknown): void {
  if (!isObject(f) || !oneOf(f.codec, CODECS) || !isInt(f.channels) || f.channels < 1 || !isInt(f.sample_rate) || f.sample_rate < 1 || !isInt(f.bit_depth) || f.bit_depth < 1)
    out.push(`${where}: malformed format ${JSON.stringify(f)}`);
  else noExtra(out, where, f, ["codec", "channels", "sample_rate", "bit_depth"]);
}

function checkPlayerSupport(out: Out, s: unknown): void {
  const w = "client/hello player@v1_support";
  if (!isObject(s)) return void out.push(`${w}: missing or not an object (required when player@v1 is listed)`);
  if (!Array.isArray(s.supported_formats) || s.supported_formats.length === 0) out.push(`${w}: \`supported_formats\` is not a non-empty array`);
  else {
    for (const f of s.supported_formats) checkFormat(out, w, f);
    if (!s.supported_formats.some((f) => isObject(f) && (f.codec === "pcm" || f.codec === "flac"))) out.push(`${w}: lists neither flac nor pcm`);
  }
  if (!isInt(s.buffer_capacity) || s.buffer_capacity < 1) out.push(`${w}: \`buffer_capacity\` is not a positive integer`);
  noExtra(out, w, s, ["supported_formats", "buffer_capacity"]);
}

function checkLocations(out: Out, where: string, d: Record<string, unknown>): void {
  if ("locations" in d && (!Array.isArray(d.locations) || !d.locations.every((l) => oneOf(l, LOCATIONS)))) out.push(`${where}: bad \`locations\``);
}

function checkPairMethods(out: Out, v: unknown): void {
  const w = "client/hello supported_pair_methods";
  if (!isObject(v) || Array.isArray(v)) return void out.push(`${w}: not an object keyed by method`);
  if (!isObject(v.pairing_psk)) out.push(`${w}: \`pairing_psk\` missing (every client offers it)`);
  if ("static_pairing_code" in v && "dynamic_pairing_code" in v) out.push(`${w}: more than one pairing-code method`);
  for (const [m, d] of Object.entries(v)) {
    if (!oneOf(m, PAIR_METHODS)) {
      out.push(`${w}: unknown method \`${m}\``);
      continue;
    }
    if (!isObject(d)) {
      out.push(`${w}: ${m}: descriptor is not an object`);
      continue;
    }
    if (m === "dynamic_pairing_code") {
      if (!Array.isArray(d.out_channels) || d.out_channels.length === 0 || !d.out_channels.every((c) => oneOf(c, OUT_CHANNELS))) out.push(`${w}: ${m}: bad \`out_channels\``);
      if (!Array.isArray(d.formats) || d.formats.length === 0 || !d.formats.every((f) => oneOf(f, CODE_FORMATS))) out.push(`${w}: ${m}: \`formats\` is not a non-empty list of digits/qr_code`);
      noExtra(out, `${w} ${m}`, d, ["out_channels", "formats"]);
    } else {
      checkLocations(out, `${w} ${m}`, d);
      noExtra(out, `${w} ${m}`, d, ["locations"]);
    }
  }
}

function checkHello(out: Out, p: Record<string, unknown>): void {
  const w = "client/hello";
  if (typeof p.name !== "string") out.push(`${w}: \`name\` is not a string`);
  if ("device_info" in p) checkDeviceInfo(out, p.device_info);
  const roles = p.supported_roles;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === "string")) out.push(`${w}: \`supported_roles\` is not a string array`);
  else {
    if (roles.includes("player@v1")) checkPlayerSupport(out, p["player@v1_support"]);
    else if ("player@v1_support" in p) out.push(`${w}: player@v1_support without player@v1`);
  }
  checkPairMethods(out, p.supported_pair_methods);
  if (!isObject(p.unpaired_access) || typeof p.unpaired_access.enabled !== "boolean") out.push(`${w}: \`unpaired_access.enabled\` is not a boolean`);
  const supportKeys = Object.keys(p).filter((k) => k.endsWith("_support"));
  noExtra(out, w, p, ["name", "device_info", "supported_roles", "supported_pair_methods", "unpaired_access", ...supportKeys]);
}

/** The player object of client/state (every message carries it whole). */
export function checkStatePlayer(out: Out, pl: unknown): void {
  const w = "client/state player";
  if (!isObject(pl)) return void out.push(`${w}: not an object`);
  if ("volume" in pl && (!isInt(pl.volume) || pl.volume < 0 || pl.volume > 100)) out.push(`${w}: \`volume\` not an integer 0–100`);
  if ("muted" in pl && typeof pl.muted !== "boolean") out.push(`${w}: \`muted\` not a boolean`);
  if (!isInt(pl.output_delay_ms) || pl.output_delay_ms < 0 || pl.output_delay_ms > 5000) out.push(`${w}: \`output_delay_ms\` not an integer 0–5000`);
  for (const k of ["required_lead_time_ms", "min_buffer_ms"]) if (!isInt(pl[k]) || (pl[k] as number) < 0) out.push(`${w}: \`${k}\` not a non-negative integer`);
  const cmds = pl.supported_commands;
  if (!Array.isArray(cmds) || !cmds.every((c) => oneOf(c, PLAYER_COMMANDS))) out.push(`${w}: \`supported_commands\` not a subset of volume, mute, set_output_delay`);
  else {
    if (cmds.includes("volume") && !("volume" in pl)) out.push(`${w}: \`volume\` missing although 'volume' is a supported command`);
    if (cmds.includes("mute") && !("muted" in pl)) out.push(`${w}: \`muted\` missing although 'mute' is a supported command`);
  }
  if ("format" in pl) checkFormat(out, `${w} format`, pl.format);
  noExtra(out, w, pl, ["volume", "muted", "output_delay_ms", "required_lead_time_ms", "min_buffer_ms", "supported_commands", "format"]);
}

/** Violations of one speaker-originated message judged on its own; unknown types are violations unless `_…`. */
export function checkClientMessageCurrent(type: string, p: Record<string, unknown>): Out {
  const out: Out = [];
  const only = (allowed: readonly string[]) => noExtra(out, type, p, allowed);
  switch (type) {
    case "client/init": // the same message in both revisions
      return checkClientInit(p);
    case "noise/handshake":
      if (typeof p.data !== "string" || !/^[A-Za-z0-9_-]+$/.test(p.data)) out.push("noise/handshake: `data` is not base64url");
      only(["data"]);
      break;
    case "client/hello":
      checkHello(out, p);
      break;
    case "client/time":
      if (!isInt(p.client_transmitted)) out.push("client/time: `client_transmitted` is not an integer");
      only(["client_transmitted"]);
      break;
    case "client/state":
      if (typeof p.available !== "boolean") out.push("client/state: `available` missing or not a boolean (required in every message)");
      if ("player" in p) checkStatePlayer(out, p.player);
      only(["available", "player", "source", "artwork", "visualizer"]);
      break;
    case "client/command":
      only(["controller"]);
      break;
    case "client/leave":
    case "client/pair-retry":
      only([]);
      break;
    case "client/goodbye":
      if (!oneOf(p.reason, GOODBYE_REASONS)) out.push(`client/goodbye: unknown reason ${JSON.stringify(p.reason)}`);
      only(["reason"]);
      break;
    case "pair/abort":
      if (!oneOf(p.reason, PAIR_ABORT_REASONS)) out.push(`pair/abort: unknown reason ${JSON.stringify(p.reason)}`);
      only(["reason"]);
      break;
    case "client/pair-pending":
      if (!isInt(p.pairing_index) || p.pairing_index < 0) out.push("client/pair-pending: `pairing_index` is not a non-negative integer");
      if ("message" in p && (typeof p.message !== "string" || p.message.length > 200)) out.push("client/pair-pending: `message` is not a string of at most 200 characters");
      only(["pairing_index", "message"]);
      break;
    case "client/pair-init":
      if (!isInt(p.pairing_index) || p.pairing_index < 0) out.push("client/pair-init: `pairing_index` is not a non-negative integer");
      if ("commit_B" in p && !isB64(p.commit_B, 32)) out.push("client/pair-init: `commit_B` is not 32 bytes base64url");
      only(["pairing_index", "commit_B"]);
      break;
    case "client/pair-auth":
      if (!isB64(p.pake_msg_2, 32)) out.push("client/pair-auth: `pake_msg_2` is not 32 bytes base64url");
      only(["pake_msg_2"]);
      break;
    case "client/pair-confirm":
      if (!isB64(p.client_kc, 64)) out.push("client/pair-confirm: `client_kc` is not 64 bytes base64url");
      if ("wrapped_nonce_B" in p && !isB64(p.wrapped_nonce_B, 48)) out.push("client/pair-confirm: `wrapped_nonce_B` is not 48 bytes base64url");
      only(["client_kc", "wrapped_nonce_B"]);
      break;
    case "client/pair-finalize": {
      const lt = "long_term_psk" in p, wr = "wrapped_psk" in p;
      if (lt === wr) out.push("client/pair-finalize: not exactly one of `long_term_psk` and `wrapped_psk`");
      if (lt && !isB64(p.long_term_psk, 32)) out.push("client/pair-finalize: `long_term_psk` is not 32 bytes base64url");
      if (wr && !isB64(p.wrapped_psk, 48)) out.push("client/pair-finalize: `wrapped_psk` is not 48 bytes base64url");
      only(["long_term_psk", "wrapped_psk"]);
      break;
    }
    default:
      if (!type.startsWith("_")) out.push(`unknown message type ${JSON.stringify(type)}`);
  }
  return out;
}
