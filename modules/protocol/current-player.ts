// The player's wire vocabulary in the current revision (sendspin-spec-current.md §Player messages,
// §client/state, §Audio Chunks) where it differs from the baseline's (player-messages.ts): the 13-byte
// audio chunk header, client/state with `available` and full objects, output_delay_ms and
// set_output_delay, and no supported_commands in player@v1_support. The Player speaks both through these.

import {
  AUDIO_CHUNK_HEADER_BYTES,
  COMMAND_MUTE,
  COMMAND_SET_STATIC_DELAY,
  COMMAND_VOLUME,
  PLAYER_KEY,
  parsePlayerCommand,
  type PlayerCommand,
  type PlayerStateFields,
} from "./player-messages.js";

/** Bytes after the type byte before the audio: int64 timestamp, then uint32 send_ahead. */
export const CURRENT_AUDIO_HEADER_BYTES = 12;
export const COMMAND_SET_OUTPUT_DELAY = "set_output_delay";
export const MAX_OUTPUT_DELAY_MS = 5000;

const EMPTY = new Uint8Array(0);

/**
 * Reads current-revision chunk bodies ([timestamp 8][send_ahead 4][audio]) as baseline bodies ([timestamp 8]
 * [audio]) in place, so the Player's one chunk path serves both without copying the audio: the timestamp
 * moves over send_ahead and the body is seen from 4 bytes in. The view is kept and reused while chunks
 * arrive at the same place of the same receive buffer with the same length (the WebSocket layer reuses
 * one message buffer), so a steady stream allocates nothing per chunk. send_ahead carries no scheduling
 * meaning and the Player measures its buffer needs itself, so it is dropped. A body too short for the
 * header comes back empty (the Player counts it as malformed).
 */
export class CurrentChunkReader {
  private view: Uint8Array = EMPTY;

  asBaseline(body: Uint8Array): Uint8Array {
    if (body.length < CURRENT_AUDIO_HEADER_BYTES) return EMPTY;
    body.copyWithin(4, 0, AUDIO_CHUNK_HEADER_BYTES);
    const v = this.view;
    if (v.buffer === body.buffer && v.byteOffset === body.byteOffset + 4 && v.length === body.length - 4) return v;
    return (this.view = body.subarray(4));
  }

  /** Let go of the receive buffer (the connection closed). */
  release(): void {
    this.view = EMPTY;
  }
}

/** player@v1_support of the current revision: supported_commands moved into client/state. */
export function playerSupportCurrent(baseline: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in baseline) if (k !== "supported_commands") out[k] = baseline[k];
  return out;
}

/**
 * client/state of the current revision: `available` in every message and the complete player object
 * (volume, muted, output_delay_ms, required_lead_time_ms, min_buffer_ms, supported_commands).
 */
export function clientStatePayloadCurrent(available: boolean, p: Required<Pick<PlayerStateFields, "volume" | "muted" | "staticDelayMs" | "requiredLeadTimeMs" | "minBufferMs">>): Record<string, unknown> {
  return {
    available,
    [PLAYER_KEY]: {
      volume: p.volume,
      muted: p.muted,
      output_delay_ms: p.staticDelayMs,
      required_lead_time_ms: p.requiredLeadTimeMs,
      min_buffer_ms: p.minBufferMs,
      supported_commands: [COMMAND_VOLUME, COMMAND_MUTE, COMMAND_SET_OUTPUT_DELAY],
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * server/command's `player` object in the current revision: volume and mute as in the baseline (the same
 * parser), set_output_delay mapped on the Player's one delay setting (the baseline's static delay is the
 * same quantity) and clamped; the baseline's set_static_delay is not a command here. Undefined when absent
 * or malformed; other commands come back "unsupported" (ignored).
 */
export function parsePlayerCommandCurrent(payload: unknown): PlayerCommand | undefined {
  const p = isObject(payload) ? payload[PLAYER_KEY] : undefined;
  if (!isObject(p) || typeof p.command !== "string") return undefined;
  if (p.command === COMMAND_SET_OUTPUT_DELAY) {
    const d = p.output_delay_ms;
    if (typeof d !== "number" || !Number.isSafeInteger(d)) return undefined;
    // "clients MUST clamp output_delay_ms to 0-5000"
    return { command: "set_static_delay", staticDelayMs: d < 0 ? 0 : d > MAX_OUTPUT_DELAY_MS ? MAX_OUTPUT_DELAY_MS : d };
  }
  if (p.command === COMMAND_SET_STATIC_DELAY) return { command: "unsupported", name: p.command };
  return parsePlayerCommand(payload);
}
