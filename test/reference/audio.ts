// The reference server's audio sender (spec §Server Audio Send Constraints, §Player messages): PCM cut
// into chunks of whole frames, each sent as a type-4 binary message (BE int64 server timestamp + data)
// a send-ahead before its timestamp, in real time on the server clock.
//
// Defaults follow the spec's server behaviour: no binary before the speaker's initial client/state;
// send-ahead = max(required_lead_time_ms, min_buffer_ms) + static_delay_ms from that state; the queued
// bytes (chunks not yet finished playing) kept within the player's buffer_capacity.

import type { ServerConnection } from "./connection.js";
import { isObject, type JsonObject } from "./wire.js";

export interface PcmStreamFormat {
  codec?: "pcm";
  sample_rate: number;
  channels: number;
  bit_depth: number;
}

export interface AudioStreamOptions {
  /** Interleaved little-endian signed samples (24-bit packed in 3 bytes), whole frames. */
  pcm: Uint8Array;
  format: PcmStreamFormat;
  /** Chunk duration, ms (default 20; the spec allows 15–150, the last chunk may be shorter). */
  chunkMs?: number;
  /** Send-ahead, ms (default: from the speaker's client/state, else 500). */
  sendAheadMs?: number;
  /** Timestamp of the first chunk, server µs (default: now + send-ahead). */
  startAtUs?: number;
  /** Send stream/start with the format first (default true). */
  streamStart?: boolean;
  /** Wait for the speaker's initial client/state before any binary (default true). */
  awaitState?: boolean;
  /** Keep queued bytes within player@v1_support.buffer_capacity (default true). */
  respectBufferCapacity?: boolean;
  /** Repeat the PCM until stop() (default false). */
  loop?: boolean;
  /** Send each chunk up to this much later than its send-ahead says, uniformly at random (default 0): network jitter, order kept. */
  sendJitterMs?: number;
  /** Seed of that jitter (default 1). */
  jitterSeed?: number;
}

export interface SentChunk {
  timestampUs: number;
  frames: number;
  bytes: number;
  sentAtUs: number;
}

export interface AudioStats {
  chunks: number;
  bytes: number;
  firstTimestampUs: number;
  /** Timestamp just after the last sample sent. */
  endTimestampUs: number;
  sendAheadMs: number;
  /** True when the connection closed before the PCM was all sent. */
  interrupted: boolean;
}

/** Send-ahead from a merged client/state, per the spec's live-source rule; undefined without one. */
export function sendAheadFromState(state: JsonObject | null): number | undefined {
  const pl = state?.player;
  if (!isObject(pl)) return undefined;
  const lead = typeof pl.required_lead_time_ms === "number" ? pl.required_lead_time_ms : 0;
  const buf = typeof pl.min_buffer_ms === "number" ? pl.min_buffer_ms : 0;
  // The baseline's static_delay_ms, the current revision's output_delay_ms (a state carries one of them).
  const d = pl.static_delay_ms ?? pl.output_delay_ms;
  const delay = typeof d === "number" ? d : 0;
  return Math.max(lead, buf) + delay;
}

export class AudioSender {
  readonly sent: SentChunk[] = [];
  /** Resolves once every chunk is sent (or the connection closed / stop() was called). */
  readonly done: Promise<AudioStats>;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(private readonly conn: ServerConnection, private readonly o: AudioStreamOptions) {
    const frameBytes = (o.format.channels * o.format.bit_depth) / 8;
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError("format: channels × bit_depth must be whole bytes");
    if (o.pcm.length % frameBytes !== 0) throw new RangeError("pcm must hold whole frames");
    this.done = this.run(frameBytes);
  }

  /** Stop after the chunk in progress; `done` resolves. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, Math.max(0, ms));
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  private async run(frameBytes: number): Promise<AudioStats> {
    const { conn, o } = this;
    const clock = conn.server.clock;
    if (o.awaitState ?? true) {
      const deadline = Date.now() + conn.server.timeoutMs;
      while (!conn.readyForStream && conn.isOpen && !this.stopped) {
        if (Date.now() > deadline) throw new Error("audio: no client/state from the speaker");
        await this.sleep(5);
      }
    }
    const sendAheadMs = o.sendAheadMs ?? sendAheadFromState(conn.clientState) ?? 500;
    const rate = o.format.sample_rate;
    if (o.streamStart ?? true)
      conn.streamStart({ player: { codec: o.format.codec ?? "pcm", sample_rate: rate, channels: o.format.channels, bit_depth: o.format.bit_depth } });
    const chunkFrames = Math.max(1, Math.round(((o.chunkMs ?? 20) * rate) / 1000));
    const totalFrames = o.pcm.length / frameBytes;
    const start = o.startAtUs ?? clock.nowUs() + sendAheadMs * 1000;
    const support = conn.clientHello?.["player@v1_support"];
    const capacity = (o.respectBufferCapacity ?? true) && isObject(support) && typeof support.buffer_capacity === "number" ? support.buffer_capacity : Infinity;
    const tsOf = (frame: number) => start + Math.floor((frame * 1e6) / rate);

    let seed = (o.jitterSeed ?? 1) >>> 0 || 1;
    const jitterUs = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return (seed / 4294967296) * (o.sendJitterMs ?? 0) * 1000;
    };
    let delayUs = jitterUs();
    let frame = 0; // frames sent since start (across loops)
    let bytes = 0;
    let interrupted = false;
    for (;;) {
      if (this.stopped || totalFrames === 0) break;
      if (!conn.isOpen) {
        interrupted = true;
        break;
      }
      const pos = frame % totalFrames;
      if (!o.loop && frame >= totalFrames) break;
      const n = Math.min(chunkFrames, totalFrames - pos);
      const ts = tsOf(frame);
      // Pace: send each chunk a send-ahead before it plays.
      const wait = clock.msUntil(ts - sendAheadMs * 1000 + delayUs);
      if (wait > 1) {
        await this.sleep(wait);
        continue;
      }
      // Buffer capacity: bytes of chunks that have not finished playing yet.
      const size = n * frameBytes + conn.audioHeaderBytes;
      const now = clock.nowUs();
      let queued = 0;
      let firstEnd = Infinity;
      for (let i = this.sent.length - 1; i >= 0; i--) {
        const c = this.sent[i];
        const end = c.timestampUs + Math.floor((c.frames * 1e6) / rate);
        if (end <= now) break;
        queued += c.bytes;
        firstEnd = end;
      }
      if (queued > 0 && queued + size > capacity) {
        await this.sleep(Math.max(1, clock.msUntil(firstEnd)));
        continue;
      }
      const data = o.pcm.subarray(pos * frameBytes, (pos + n) * frameBytes);
      conn.sendAudioChunk(ts, data);
      this.sent.push({ timestampUs: ts, frames: n, bytes: size, sentAtUs: clock.nowUs() });
      delayUs = jitterUs();
      frame += n;
      bytes += data.length;
    }
    return {
      chunks: this.sent.length,
      bytes,
      firstTimestampUs: start,
      endTimestampUs: tsOf(frame),
      sendAheadMs,
      interrupted,
    };
  }
}
