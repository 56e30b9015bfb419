// A simulated Sendspin server, network and speaker clock around a real Player (pure ECMAScript: runs in
// XS). Used by the player's unit tests and by the sync benchmark.
//
// Time. The ManualClock is the speaker's local clock. True time is the server's clock; the local clock
// runs `driftPpm` fast relative to it (local = L0 + true·(1 + ppm)). The sink's DAC runs `dacPpm` off
// the local clock. Network. Each direction is one ordered byte stream (TCP): a message is delivered at
// max(previous delivery, send + base + uniform jitter + size/bandwidth); during a stall nothing is
// delivered until the stall ends, then everything queued arrives in a burst.
//
// Audio. The server produces frames whose samples encode their own index (frame i: left = i & 0xffff,
// right = (i >> 16) + 1, so silence is recognisable), in chunks of `chunkMs`, timestamped from a start
// time that satisfies the player's reported timing values, sent ahead by `sendAheadMs` (buffered
// source) or by max(lead, min buffer) + static delay (live source), in bursts every `sendPeriodMs`,
// never exceeding the advertised buffer_capacity.

import { DEFAULT_CONFIG, type SpeakerConfig } from "../../modules/config.js";
import type { LogLevel } from "../../modules/platform.js";
import { Player, type PlayerOptions } from "../../modules/player/player.js";
import { writeAudioChunkTimestamp } from "../../modules/protocol/player-messages.js";
import { ManualClock } from "./clock.js";
import { SeededRandom } from "./random.js";
import { RecordingSink, type RecordingSinkOptions } from "./recording-sink.js";

export interface PlaybackSimOptions {
  seed: number;
  driftPpm: number;
  dacPpm: number;
  baseDelayUs: number;
  jitterUs: number;
  /** A stall of `stallMs` starts every `stallEveryMs` (0: none). */
  stallEveryMs: number;
  stallMs: number;
  bandwidthBps: number;
  /** Buffered source: this far ahead; 0: live source (the player's reported values). */
  sendAheadMs: number;
  sendPeriodMs: number;
  chunkMs: number;
  sampleRate: number;
  channels: number;
  sinkLatencyUs: number;
  staticDelayMs: number;
  bufferCapacity: number;
  /** Server processing time between server_received and server_transmitted (µs). */
  serverProcessingUs: number;
  keepSamples: boolean;
  /** Start the stream this long after the initial client/state arrives (−1: the test starts it). */
  autoStartMs: number;
  player: Partial<PlayerOptions>;
  sink: Partial<RecordingSinkOptions>;
  /** PCM (16-bit, `channels`) to stream instead of index-coded frames; the stream ends with it. */
  signal: Uint8Array | undefined;
}

export const DEFAULT_SIM: Readonly<PlaybackSimOptions> = {
  seed: 1,
  driftPpm: 100,
  dacPpm: 0,
  baseDelayUs: 500,
  jitterUs: 2000,
  stallEveryMs: 0,
  stallMs: 0,
  bandwidthBps: 50_000_000,
  sendAheadMs: 0,
  sendPeriodMs: 20,
  chunkMs: 20,
  sampleRate: 48000,
  channels: 2,
  sinkLatencyUs: 2000,
  staticDelayMs: 0,
  bufferCapacity: 262_144,
  serverProcessingUs: 30,
  keepSamples: false,
  autoStartMs: -1,
  player: {},
  sink: {},
  signal: undefined,
};

interface Pending {
  at: number; // local µs
  run: () => void;
}

export class PlaybackSim {
  readonly o: PlaybackSimOptions;
  readonly clock = new ManualClock(1_000_000);
  readonly sink: RecordingSink;
  readonly player: Player;
  readonly rng: SeededRandom;
  readonly log: string[] = [];
  /** JSON messages the player sent, in order. */
  readonly sent: { type: string; payload: Record<string, unknown>; atUs: number }[] = [];
  readonly config: SpeakerConfig;
  /** Every buffer the DAC finished (the sync meter installs itself here). */
  onPlayed: ((buf: Uint8Array, frames: number, startUs: number, frameUs: number) => void) | undefined;
  persistedDelayMs: number;

  // server state
  private readonly L0 = 1_000_000;
  private readonly S0 = 7_300_000_000_000; // the server's clock reads ~84 days of uptime
  private lastUp = 0; // last delivery (local µs) per direction
  private lastDown = 0;
  streaming = false;
  streamStartTs = 0; // server µs of frame 0
  nextFrame = 0;
  private producer: ReturnType<ManualClock["setInterval"]> | undefined;
  reportedLeadMs = 0;
  reportedBufferMs = 0;
  reportedDelayMs = 0;
  stateMessages = 0;
  chunksSent = 0;
  chunksAccepted = 0;
  chunksRejected = 0;
  private readonly frameBytes: number;
  private readonly frameServerUs: number;

  constructor(options: Partial<PlaybackSimOptions> = {}) {
    this.o = { ...DEFAULT_SIM, ...options };
    this.rng = new SeededRandom(this.o.seed);
    this.frameBytes = this.o.channels * 2;
    this.frameServerUs = 1e6 / this.o.sampleRate;
    this.persistedDelayMs = this.o.staticDelayMs;
    this.sink = new RecordingSink(this.clock, {
      latencyUs: this.o.sinkLatencyUs,
      ppm: this.o.dacPpm,
      keepSamples: this.o.keepSamples,
      onPlayed: (b, f, s, u) => this.onPlayed?.(b, f, s, u),
      ...this.o.sink,
    });
    this.config = {
      ...DEFAULT_CONFIG,
      bufferCapacity: this.o.bufferCapacity,
      audioFormats: [{ codec: "pcm", sampleRate: this.o.sampleRate, channels: this.o.channels, bitsPerSample: 16 }],
    };
    this.player = new Player(
      {
        clock: this.clock,
        audio: this.sink,
        log: { log: (level: LogLevel, m: string) => void this.log.push(`${level}: ${m}`) },
        sendJson: (type, payload) => this.fromPlayer(type, payload),
        staticDelayMs: () => this.persistedDelayMs,
        persistStaticDelayMs: (ms) => void (this.persistedDelayMs = ms),
      },
      this.config,
      this.o.player,
    );
  }

  /** Server clock reading (µs, fractional) at the current local time. */
  serverNow(): number {
    return this.S0 + (this.clock.nowUs() - this.L0) / (1 + this.o.driftPpm * 1e-6);
  }

  /** Local time (µs, fractional) at which the server clock reads `s`. */
  localAt(s: number): number {
    return this.L0 + (s - this.S0) * (1 + this.o.driftPpm * 1e-6);
  }

  /** Server time of frame `i` of the current stream (µs, fractional). */
  frameServerTime(i: number): number {
    return this.streamStartTs + i * this.frameServerUs;
  }

  start(): void {
    this.player.activate();
  }

  runMs(ms: number): void {
    this.clock.advanceMs(ms);
  }

  /** Deliver a message to the player (server → client direction). */
  toPlayer(bytes: number, deliver: () => void): void {
    const at = this.deliveryTime(bytes, false);
    this.lastDown = at;
    this.schedule({ at, run: deliver });
  }

  sendJsonToPlayer(type: string, payload: Record<string, unknown>): void {
    const bytes = 40 + JSON.stringify(payload).length;
    this.toPlayer(bytes, () => this.player.onMessage(type, JSON.parse(JSON.stringify(payload))));
  }

  /** Start a stream: stream/start, then audio from the first timestamp the player can take in full. */
  startStream(): void {
    const now = this.serverNow();
    const firstMs = (this.o.sendAheadMs > 0 ? this.reportedLeadMs : Math.max(this.reportedLeadMs, this.reportedBufferMs)) + this.reportedDelayMs;
    this.streamStartTs = Math.round(now + firstMs * 1000);
    this.nextFrame = 0;
    this.streaming = true;
    this.sendJsonToPlayer("stream/start", { server_transmitted: Math.round(now), player: { codec: "pcm", sample_rate: this.o.sampleRate, channels: this.o.channels, bit_depth: 16 } });
    this.clock.clear(this.producer);
    this.produce();
    this.producer = this.clock.setInterval(() => this.produce(), this.o.sendPeriodMs);
  }

  /**
   * stream/clear, then the stream goes on from frame `nextFrame + skipFrames` timestamped as a new start
   * (the first frame after the clear at now + the send-ahead), as a server seeking within a track does.
   */
  clearAndContinue(skipFrames: number): void {
    this.sendJsonToPlayer("stream/clear", { roles: ["player"] });
    this.nextFrame += skipFrames;
    this.streamStartTs = Math.round(this.serverNow() + this.sendAheadUs()) - this.nextFrame * this.frameServerUs;
  }

  stopProducing(): void {
    this.clock.clear(this.producer);
    this.producer = undefined;
  }

  private sendAheadUs(): number {
    const ms = this.o.sendAheadMs > 0 ? Math.max(this.o.sendAheadMs, this.reportedLeadMs) : Math.max(this.reportedLeadMs, this.reportedBufferMs);
    return (ms + this.reportedDelayMs) * 1000;
  }

  /** Send every chunk due within the send-ahead window that fits within buffer_capacity. */
  private produce(): void {
    if (!this.streaming) return;
    const now = this.serverNow();
    const chunkFrames = Math.round((this.o.sampleRate * this.o.chunkMs) / 1000);
    const chunkBytes = chunkFrames * this.frameBytes;
    const sig = this.o.signal;
    for (;;) {
      if (sig && this.nextFrame * this.frameBytes >= sig.length) break;
      const ts = Math.round(this.frameServerTime(this.nextFrame));
      if (ts > now + this.sendAheadUs()) break;
      // Bytes the player still holds by the server's account: chunks not yet played.
      const playedFrames = Math.max(0, Math.floor((now - this.streamStartTs + this.reportedDelayMs * 1000) / this.frameServerUs));
      const queued = (this.nextFrame - playedFrames) * this.frameBytes;
      if (queued + chunkBytes > this.o.bufferCapacity) break;
      const frames = sig ? Math.min(chunkFrames, sig.length / this.frameBytes - this.nextFrame) : chunkFrames;
      const body = new Uint8Array(8 + frames * this.frameBytes);
      writeAudioChunkTimestamp(body, 0, ts);
      if (sig) body.set(sig.subarray(this.nextFrame * this.frameBytes, (this.nextFrame + frames) * this.frameBytes), 8);
      else for (let f = 0; f < chunkFrames; f++) {
        const i = this.nextFrame + f;
        const o = 8 + f * this.frameBytes;
        body[o] = i & 255;
        body[o + 1] = (i >> 8) & 255;
        if (this.o.channels === 2) {
          const hi = (i >> 16) + 1;
          body[o + 2] = hi & 255;
          body[o + 3] = (hi >> 8) & 255;
        }
      }
      this.nextFrame += frames;
      this.chunksSent++;
      this.toPlayer(body.length + 9 + 16, () => {
        if (this.player.onAudioChunk(body)) this.chunksAccepted++;
        else this.chunksRejected++;
      });
    }
  }

  private fromPlayer(type: string, payload: Record<string, unknown>): void {
    const atUs = this.clock.nowUs();
    this.sent.push({ type, payload, atUs });
    const bytes = 40 + JSON.stringify(payload).length;
    const at = this.deliveryTime(bytes, true);
    this.lastUp = at;
    this.schedule({ at, run: () => this.serverReceive(type, payload) });
  }

  private serverReceive(type: string, payload: Record<string, unknown>): void {
    if (type === "client/time") {
      const t2 = Math.round(this.serverNow());
      const t3 = t2 + this.o.serverProcessingUs;
      const reply = { client_transmitted: payload.client_transmitted, server_received: t2, server_transmitted: t3 };
      // The reply leaves after the processing time.
      this.schedule({ at: this.clock.nowUs() + this.o.serverProcessingUs, run: () => this.sendJsonToPlayer("server/time", reply) });
    } else if (type === "client/state") {
      this.stateMessages++;
      const p = payload.player as Record<string, unknown> | undefined;
      if (p && typeof p.required_lead_time_ms === "number") this.reportedLeadMs = p.required_lead_time_ms;
      if (p && typeof p.min_buffer_ms === "number") this.reportedBufferMs = p.min_buffer_ms;
      if (p && typeof p.static_delay_ms === "number") this.reportedDelayMs = p.static_delay_ms;
      if (this.stateMessages === 1 && this.o.autoStartMs >= 0) this.clock.setTimeout(() => this.startStream(), this.o.autoStartMs);
    }
  }

  private deliveryTime(bytes: number, up: boolean): number {
    const now = this.clock.nowUs();
    const scale = 1 + this.o.driftPpm * 1e-6;
    let t = now + (this.o.baseDelayUs + this.rng.below(this.o.jitterUs + 1) + (bytes * 8 * 1e6) / this.o.bandwidthBps) * scale;
    if (this.o.stallEveryMs > 0) {
      const period = this.o.stallEveryMs * 1000;
      const phase = (now - this.L0) % period;
      const stallStart = period - this.o.stallMs * 1000;
      if (phase >= stallStart) t = Math.max(t, now - phase + period + this.o.baseDelayUs);
    }
    const last = up ? this.lastUp : this.lastDown;
    return Math.max(t, last);
  }

  private schedule(p: Pending): void {
    const delayUs = Math.max(0, Math.ceil(p.at - this.clock.nowUs()));
    this.clock.setTimeout(p.run, delayUs / 1000);
  }
}
