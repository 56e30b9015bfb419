// The player's wire vocabulary: message names, field names, the binary audio chunk layout, and the
// validation of every inbound player payload. The only place that spells these; the player (modules/
// player/) works with the validated, typed values this file returns. Every parser takes hostile input
// and returns `undefined` (or an "invalid" result) instead of throwing.

/** The role this speaker implements, and the key of its support object in client/hello. */
export const PLAYER_ROLE = "player@v1";
export const PLAYER_SUPPORT_KEY = "player@v1_support";
/** Unversioned role name used in message objects and in `roles` arrays. */
export const PLAYER_KEY = "player";

export const MSG_CLIENT_TIME = "client/time";
export const MSG_SERVER_TIME = "server/time";
export const MSG_CLIENT_STATE = "client/state";
export const MSG_STREAM_START = "stream/start";
export const MSG_STREAM_CLEAR = "stream/clear";
export const MSG_STREAM_END = "stream/end";
export const MSG_STREAM_REQUEST_FORMAT = "stream/request-format";
export const MSG_SERVER_COMMAND = "server/command";

/** Binary message type of a player audio chunk (role 1, slot 0). */
export const BINARY_AUDIO_CHUNK = 4;
/** Bytes before the audio in a chunk body (after the type byte): big-endian int64 timestamp. */
export const AUDIO_CHUNK_HEADER_BYTES = 8;

/** client/state `state` once the clock is synchronized. */
export const STATE_SYNCHRONIZED = "synchronized";

/** Commands in player@v1_support.supported_commands (server/command player.command). */
export const COMMAND_VOLUME = "volume";
export const COMMAND_MUTE = "mute";
/** Command advertised in client/state player.supported_commands. */
export const COMMAND_SET_STATIC_DELAY = "set_static_delay";

export const CODEC_PCM = "pcm";
export const MAX_STATIC_DELAY_MS = 5000;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JSON integer we can hold exactly (|v| < 2^53). */
function isExactInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

// ---- inbound ---------------------------------------------------------------------------------------

export interface ServerTime {
  clientTransmitted: number;
  serverReceived: number;
  serverTransmitted: number;
}

/** server/time: three exact integers (µs). */
export function parseServerTime(payload: unknown): ServerTime | undefined {
  if (!isObject(payload)) return undefined;
  const t1 = payload.client_transmitted, t2 = payload.server_received, t3 = payload.server_transmitted;
  if (!isExactInt(t1) || !isExactInt(t2) || !isExactInt(t3)) return undefined;
  return { clientTransmitted: t1, serverReceived: t2, serverTransmitted: t3 };
}

/** The `player` object of stream/start (shape only; whether the format is playable is the player's call). */
export interface StreamFormat {
  codec: string;
  sampleRate: number;
  channels: number;
  bitDepth: number;
}

export type StreamStartPlayer =
  | { kind: "absent" } // stream/start for other roles only
  | { kind: "invalid" }
  | { kind: "ok"; format: StreamFormat };

/** stream/start: `player` must carry codec (string), sample_rate, channels, bit_depth (positive integers). */
export function parseStreamStartPlayer(payload: unknown): StreamStartPlayer {
  if (!isObject(payload)) return { kind: "invalid" };
  const p = payload[PLAYER_KEY];
  if (p === undefined) return { kind: "absent" };
  if (!isObject(p)) return { kind: "invalid" };
  const { codec, sample_rate, channels, bit_depth, codec_header } = p;
  if (typeof codec !== "string" || codec.length === 0 || codec.length > 32) return { kind: "invalid" };
  if (!isExactInt(sample_rate) || sample_rate <= 0 || sample_rate > 1_000_000) return { kind: "invalid" };
  if (!isExactInt(channels) || channels <= 0 || channels > 32) return { kind: "invalid" };
  if (!isExactInt(bit_depth) || bit_depth <= 0 || bit_depth > 64) return { kind: "invalid" };
  if (codec_header !== undefined && typeof codec_header !== "string") return { kind: "invalid" };
  return { kind: "ok", format: { codec, sampleRate: sample_rate, channels, bitDepth: bit_depth } };
}

/**
 * stream/clear and stream/end: whether the player role is addressed. `roles` omitted means every role;
 * a malformed `roles` (not an array of strings) is `undefined` (ignore the message).
 */
export function addressesPlayer(payload: unknown): boolean | undefined {
  if (!isObject(payload)) return undefined;
  const roles = payload.roles;
  if (roles === undefined) return true;
  if (!Array.isArray(roles) || roles.length > 16) return undefined;
  let player = false;
  for (const r of roles) {
    if (typeof r !== "string") return undefined;
    if (r === PLAYER_KEY) player = true;
  }
  return player;
}

export type PlayerCommand =
  | { command: "volume"; volume: number }
  | { command: "mute"; mute: boolean }
  | { command: "set_static_delay"; staticDelayMs: number }
  | { command: "unsupported"; name: string };

/**
 * server/command's `player` object. `undefined`: no player object, or a malformed one (a known command
 * with a missing or out-of-range value). Unknown commands come back as "unsupported" (ignored by spec).
 */
export function parsePlayerCommand(payload: unknown): PlayerCommand | undefined {
  if (!isObject(payload)) return undefined;
  const p = payload[PLAYER_KEY];
  if (!isObject(p)) return undefined;
  const c = p.command;
  if (typeof c !== "string") return undefined;
  if (c === COMMAND_VOLUME) {
    const v = p.volume;
    return isExactInt(v) && v >= 0 && v <= 100 ? { command: "volume", volume: v } : undefined;
  }
  if (c === COMMAND_MUTE) {
    const m = p.mute;
    return typeof m === "boolean" ? { command: "mute", mute: m } : undefined;
  }
  if (c === COMMAND_SET_STATIC_DELAY) {
    const d = p.static_delay_ms;
    return isExactInt(d) && d >= 0 && d <= MAX_STATIC_DELAY_MS ? { command: "set_static_delay", staticDelayMs: d } : undefined;
  }
  return { command: "unsupported", name: c.length > 40 ? c.slice(0, 40) : c };
}

/**
 * Timestamp of an audio chunk body (the bytes after the type byte): big-endian int64 µs. NaN when the
 * body is too short or the value is not exactly representable (|t| ≥ 2^53: centuries of uptime).
 * Allocation-free: it runs once per chunk on the audio path.
 */
export function audioChunkTimestamp(body: Uint8Array): number {
  if (body.length < AUDIO_CHUNK_HEADER_BYTES) return NaN;
  const hi = (body[0] << 24) | (body[1] << 16) | (body[2] << 8) | body[3]; // signed int32
  const lo = body[4] * 16777216 + ((body[5] << 16) | (body[6] << 8) | body[7]); // 0 .. 2^32-1
  if (hi > 0x1fffff || hi < -0x200000) return NaN; // outside ±2^53
  return hi * 4294967296 + lo;
}

/** Write a big-endian int64 timestamp (tests and the reference sender); `t` must be a safe integer. */
export function writeAudioChunkTimestamp(out: Uint8Array, offset: number, t: number): void {
  const hi = Math.floor(t / 4294967296);
  const lo = t - hi * 4294967296;
  out[offset] = (hi >> 24) & 255;
  out[offset + 1] = (hi >> 16) & 255;
  out[offset + 2] = (hi >> 8) & 255;
  out[offset + 3] = hi & 255;
  out[offset + 4] = Math.floor(lo / 16777216) & 255;
  out[offset + 5] = Math.floor(lo / 65536) & 255;
  out[offset + 6] = Math.floor(lo / 256) & 255;
  out[offset + 7] = lo & 255;
}

// ---- outbound --------------------------------------------------------------------------------------

export function clientTimePayload(clientTransmittedUs: number): Record<string, unknown> {
  return { client_transmitted: clientTransmittedUs };
}

export interface SupportedFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

/** player@v1_support for client/hello. */
export function playerSupportObject(formats: readonly SupportedFormat[], bufferCapacity: number): Record<string, unknown> {
  return {
    supported_formats: formats.map((f) => ({ codec: CODEC_PCM, channels: f.channels, sample_rate: f.sampleRate, bit_depth: f.bitsPerSample })),
    buffer_capacity: bufferCapacity,
    supported_commands: [COMMAND_VOLUME, COMMAND_MUTE],
  };
}

/** Player state fields; every one optional so that deltas use the same shape. */
export interface PlayerStateFields {
  volume?: number;
  muted?: boolean;
  staticDelayMs?: number;
  requiredLeadTimeMs?: number;
  minBufferMs?: number;
  /** Include supported_commands (the full state does). */
  supportedCommands?: boolean;
}

/** client/state payload: `state` (when given) and the player fields present in `p`. */
export function clientStatePayload(state: string | undefined, p: PlayerStateFields): Record<string, unknown> {
  const player: Record<string, unknown> = {};
  if (p.volume !== undefined) player.volume = p.volume;
  if (p.muted !== undefined) player.muted = p.muted;
  if (p.staticDelayMs !== undefined) player.static_delay_ms = p.staticDelayMs;
  if (p.requiredLeadTimeMs !== undefined) player.required_lead_time_ms = p.requiredLeadTimeMs;
  if (p.minBufferMs !== undefined) player.min_buffer_ms = p.minBufferMs;
  if (p.supportedCommands) player.supported_commands = [COMMAND_SET_STATIC_DELAY];
  const out: Record<string, unknown> = {};
  if (state !== undefined) out.state = state;
  out[PLAYER_KEY] = player;
  return out;
}

/** stream/request-format for the player role. */
export function requestFormatPayload(f: SupportedFormat): Record<string, unknown> {
  return { [PLAYER_KEY]: { codec: CODEC_PCM, sample_rate: f.sampleRate, channels: f.channels, bit_depth: f.bitsPerSample } };
}
