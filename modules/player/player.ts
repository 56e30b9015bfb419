// The player@v1 role: clock synchronization, stream lifecycle, the audio chunk path, volume/mute and the
// static delay, and the client/state it reports. One Player per speaker: it preallocates its audio
// memory (buffer_capacity and the output blocks) at construction, then serves one connection at a time
// between activate() and deactivate().
//
// Audio path per chunk (no allocation, no per-sample JavaScript for formats the sink takes natively):
//   onAudioChunk(body) → validate (state, stream, length, timestamp) → drop if already late → copy into
//   the jitter buffer's ring (chunk-queue.ts) → the scheduler renders it into output blocks at its local
//   time with drift corrections (scheduler.ts) → sink.

import type { AudioSinkPort, ClockPort, LogPort, PcmFormat } from "../platform.js";
import type { SpeakerConfig } from "../config.js";
import {
  AUDIO_CHUNK_HEADER_BYTES,
  CODEC_PCM,
  MSG_CLIENT_STATE,
  MSG_CLIENT_TIME,
  MSG_SERVER_COMMAND,
  MSG_SERVER_TIME,
  MSG_STREAM_CLEAR,
  MSG_STREAM_END,
  MSG_STREAM_REQUEST_FORMAT,
  MSG_STREAM_START,
  STATE_SYNCHRONIZED,
  addressesPlayer,
  audioChunkTimestamp,
  clientStatePayload,
  clientTimePayload,
  parsePlayerCommand,
  parseServerTime,
  parseStreamStartPlayer,
  playerSupportObject,
  requestFormatPayload,
  type PlayerStateFields,
} from "../protocol/player-messages.js";
import { clientStatePayloadCurrent, parsePlayerCommandCurrent } from "../protocol/current-player.js";
import type { Revision } from "../protocol/revision.js";
import { ChunkQueue, PUSH_OK, PUSH_OVER_CAPACITY } from "./chunk-queue.js";
import { ClockSync, type ClockSyncOptions } from "./clock-sync.js";
import { planFormat, type PlayFormat } from "./pcm.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";
import { TimeFilter, type TimeFilterConfig } from "./time-filter.js";
import { DEFAULT_TIMING_MARGINS, DebouncedValue, leadTimeMs, minBufferMs, type TimingInputs, type TimingMargins } from "./timing.js";
import { volumeToGain } from "./volume.js";

export interface PlayerHost {
  clock: ClockPort;
  audio: AudioSinkPort;
  log: LogPort;
  /** Send a JSON message on the session (encrypted there). */
  sendJson(type: string, payload: Record<string, unknown>): void;
  /** The persisted static delay (settings), and its update. */
  staticDelayMs(): number;
  persistStaticDelayMs(ms: number): void;
}

export interface PlayerOptions {
  filter: Partial<TimeFilterConfig>;
  sync: Partial<ClockSyncOptions>;
  scheduler: Partial<SchedulerOptions>;
  margins: TimingMargins;
  /** Volume at power-on (RAM only; servers set it). */
  initialVolume: number;
}

/** Server chunks are at most 150 ms long (spec); the ring keeps room to waste one at its end. */
const MAX_CHUNK_MS = 150;
/** One chunk descriptor per this many bytes of buffer_capacity (chunks down to ~2.7 ms at 48 kHz stereo). */
const BYTES_PER_DESCRIPTOR = 512;
/** How long an observed stall keeps min_buffer_ms raised. */
const STALL_HOLD_US = 300_000_000;

export type RejectReason = "inactive" | "unsynchronized" | "no_stream" | "malformed" | "late" | "overflow";

export interface PlayerStats {
  accepted: number;
  rejected: Record<RejectReason, number>;
}

export class Player {
  readonly filter: TimeFilter;
  readonly clockSync: ClockSync;
  readonly scheduler: Scheduler;
  readonly queue: ChunkQueue;
  /** Formats advertised in player@v1_support, preferred first. */
  readonly formats: readonly PcmFormat[];
  readonly counters: PlayerStats = {
    accepted: 0,
    rejected: { inactive: 0, unsynchronized: 0, no_stream: 0, malformed: 0, late: 0, overflow: 0 },
  };

  private readonly sink: AudioSinkPort;
  private readonly clock: ClockPort;
  private readonly margins: TimingMargins;
  private active = false;
  /** The wire revision of the connection that activated the role (client/state shape, commands). */
  private revision: Revision = "baseline";
  private streamPlan: PlayFormat | undefined;
  private streamGen = 0;
  private streamFrameUs = 0;
  private staticDelayUs = 0;
  private volume: number;
  private muted = false;
  private initialSent = false;
  private readonly sent: PlayerStateFields = {};
  private readonly leadValue = new DebouncedValue();
  private readonly bufferValue = new DebouncedValue();
  private readonly loggedReject: Record<string, boolean> = {};
  /** Longest arrival gap that caused an underrun, held for STALL_HOLD_US (a stall tends to recur). */
  private stallUs = 0;
  private stallAtUs = 0;
  /**
   * The counters as they were when the stream in progress started, and the chunks its stream/clears
   * dropped: the stream-end line reports the difference (a test or an operator reads there whether every
   * chunk of a stream was taken). Written at stream start and clear only, never per chunk.
   */
  private readonly streamBase = { accepted: 0, late: 0, overflow: 0, malformed: 0, lateAtOutput: 0, underruns: 0, cleared: 0 };

  constructor(
    private readonly host: PlayerHost,
    private readonly config: SpeakerConfig,
    options: Partial<PlayerOptions> = {},
  ) {
    this.sink = host.audio;
    this.clock = host.clock;
    this.margins = options.margins ?? DEFAULT_TIMING_MARGINS;
    this.volume = options.initialVolume ?? 100;

    // Advertise only what the sink plays natively, or by the documented 24→16 conversion when listed.
    const formats: PcmFormat[] = [];
    let maxChunkBytes = 0, blockMaxBytes = 0;
    const blockMs = { ...options.scheduler }.blockMs ?? 10;
    for (const f of config.audioFormats) {
      const plan = planFormat(this.sink.nativeFormats, f);
      if (!plan) {
        host.log.log("warn", `player: format ${f.sampleRate}/${f.bitsPerSample}/${f.channels} is not playable on this sink; not advertised`);
        continue;
      }
      formats.push({ sampleRate: f.sampleRate, channels: f.channels, bitsPerSample: f.bitsPerSample });
      maxChunkBytes = Math.max(maxChunkBytes, Math.ceil((f.sampleRate * MAX_CHUNK_MS) / 1000) * plan.outFrameBytes);
      blockMaxBytes = Math.max(blockMaxBytes, Scheduler.blockFrames(f.sampleRate, blockMs) * plan.outFrameBytes);
    }
    this.formats = formats;
    if (formats.length === 0) {
      host.log.log("error", "player: no configured audio format is playable on this sink");
      blockMaxBytes = 4;
    }

    // Preallocate the jitter buffer (buffer_capacity) and the output blocks, once.
    const capacity = config.bufferCapacity;
    const maxChunks = Math.max(32, Math.min(16384, Math.ceil(capacity / BYTES_PER_DESCRIPTOR)));
    const ringBytes = ChunkQueue.ringBytesFor(capacity, maxChunks, maxChunkBytes);
    const blocks = { ...options.scheduler }.blocks ?? 4;
    const total = ringBytes + blocks * blockMaxBytes;
    const mem = this.sink.allocate ? this.sink.allocate(total) : allocateShared(total);
    this.queue = new ChunkQueue(mem, ringBytes, maxChunks, capacity);

    this.filter = new TimeFilter(options.filter);
    this.clockSync = new ClockSync(
      this.clock,
      this.filter,
      (t1) => this.host.sendJson(MSG_CLIENT_TIME, clientTimePayload(t1)),
      () => this.onSynchronized(),
      options.sync,
      () => this.onBurst(),
    );
    this.scheduler = new Scheduler(this.clock, this.sink, this.queue, (ts) => this.filter.toClient(ts) - this.staticDelayUs, ringBytes, blockMaxBytes, options.scheduler);
  }

  /** player@v1_support for client/hello. */
  supportObject(): Record<string, unknown> {
    return playerSupportObject(this.formats, this.config.bufferCapacity);
  }

  get synchronized(): boolean {
    return this.clockSync.synchronized;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** player@v1 became active on a connection of `revision`: synchronize, then report state and accept audio. */
  activate(revision: Revision = "baseline"): void {
    if (this.active) return;
    this.active = true;
    this.revision = revision;
    this.initialSent = false;
    this.staticDelayUs = clampDelayMs(this.host.staticDelayMs()) * 1000;
    this.stallUs = 0;
    this.sink.setGain(volumeToGain(this.volume, this.muted));
    this.clockSync.start();
  }

  /** Role removed, connection quiesced or closed: stop output, drop buffers, cancel timers. */
  deactivate(): void {
    if (!this.active) return;
    if (this.streamPlan) this.logStreamEnd();
    this.active = false;
    this.clockSync.stop();
    this.scheduler.close();
    this.streamPlan = undefined;
    this.initialSent = false;
  }

  /** A JSON message for the player role (others are ignored). Inputs are validated here. */
  onMessage(type: string, payload: unknown): void {
    if (!this.active) return;
    switch (type) {
      case MSG_SERVER_TIME: {
        const t = parseServerTime(payload);
        if (t) this.clockSync.onServerTime(t.clientTransmitted, t.serverReceived, t.serverTransmitted);
        else this.host.log.log("warn", "player: malformed server/time ignored");
        return;
      }
      case MSG_STREAM_START:
        this.onStreamStart(payload);
        return;
      case MSG_STREAM_CLEAR: {
        const p = addressesPlayer(payload);
        if (p === undefined) this.host.log.log("warn", "player: malformed stream/clear ignored");
        else if (p && this.streamPlan) {
          this.streamBase.cleared += this.queue.count;
          this.scheduler.clear("clear");
        }
        return;
      }
      case MSG_STREAM_END: {
        const p = addressesPlayer(payload);
        if (p === undefined) this.host.log.log("warn", "player: malformed stream/end ignored");
        else if (p) this.endStream();
        return;
      }
      case MSG_SERVER_COMMAND:
        this.onCommand(payload);
        return;
      default:
        return;
    }
  }

  /**
   * A binary audio chunk body (after the type byte: 8-byte big-endian timestamp + PCM). `data` is only
   * read during the call. Returns false when it is not queued (the reason is counted in `counters`).
   */
  onAudioChunk(data: Uint8Array): boolean {
    const plan = this.streamPlan;
    if (!this.active) return this.reject("inactive");
    if (!this.clockSync.synchronized || !this.initialSent) return this.reject("unsynchronized");
    if (!plan) return this.reject("no_stream");
    const ts = audioChunkTimestamp(data);
    const pcm = data.length - AUDIO_CHUNK_HEADER_BYTES;
    const fb = plan.inFrameBytes;
    if (ts !== ts || pcm <= 0 || pcm % fb !== 0) return this.reject("malformed");
    const frames = pcm / fb;
    const end = this.filter.toClient(ts) - this.staticDelayUs + frames * this.streamFrameUs;
    if (end <= this.scheduler.playPositionUs()) return this.reject("late");
    const r = this.queue.push(data, ts, frames, fb, plan.outFrameBytes, this.streamGen);
    if (r !== PUSH_OK) {
      if (r !== PUSH_OVER_CAPACITY) this.host.log.log("error", "player: jitter buffer ring exhausted below buffer_capacity");
      return this.reject("overflow");
    }
    this.counters.accepted++;
    this.scheduler.onChunk();
    return true;
  }

  /** Ask the server for another format (e.g. after CPU or network trouble). */
  requestFormat(f: PcmFormat): void {
    if (this.active) this.host.sendJson(MSG_STREAM_REQUEST_FORMAT, requestFormatPayload(f));
  }

  /** Volume from device controls (0–100); reported to the server. */
  setVolume(volume: number): void {
    const v = Math.max(0, Math.min(100, Math.round(volume)));
    this.volume = v;
    this.applyGain();
    this.reportChanges();
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.applyGain();
    this.reportChanges();
  }

  get volumeLevel(): number {
    return this.volume;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  get staticDelayMs(): number {
    return this.staticDelayUs / 1000;
  }

  /** The timing values reported (or to be reported) in client/state. */
  timingValues(): { requiredLeadTimeMs: number; minBufferMs: number } {
    const i = this.timingInputs();
    return { requiredLeadTimeMs: leadTimeMs(i, this.margins), minBufferMs: minBufferMs(i, this.margins) };
  }

  // ---- internals -----------------------------------------------------------------------------------

  private reject(reason: RejectReason): boolean {
    this.counters.rejected[reason]++;
    if (!this.loggedReject[reason]) {
      this.loggedReject[reason] = true;
      this.host.log.log("warn", `player: audio chunk rejected (${reason}); further ones are only counted`);
    }
    return false;
  }

  private onStreamStart(payload: unknown): void {
    const p = parseStreamStartPlayer(payload);
    if (p.kind === "absent") return;
    if (p.kind === "invalid") {
      this.host.log.log("warn", "player: malformed stream/start ignored");
      return;
    }
    const f = p.format;
    const plan = f.codec === CODEC_PCM ? planFormat(this.sink.nativeFormats, { sampleRate: f.sampleRate, channels: f.channels, bitsPerSample: f.bitDepth }) : undefined;
    if (!plan) {
      // Not playable here: stop this stream and ask for our preferred format.
      this.host.log.log("warn", `player: stream format ${f.codec} ${f.sampleRate}/${f.bitDepth}/${f.channels} is not supported; requesting another`);
      this.endStream();
      // the current revision has no stream/request-format: the server chose outside supported_formats
      if (this.formats.length > 0 && this.revision === "baseline") this.requestFormat(this.formats[0]);
      return;
    }
    if (!this.streamPlan) this.markStreamStart();
    this.streamGen = this.scheduler.setFormat(plan);
    this.streamPlan = plan;
    this.streamFrameUs = 1_000_000 / plan.input.sampleRate;
    for (const k in this.loggedReject) this.loggedReject[k] = false;
  }

  private endStream(): void {
    if (this.streamPlan) this.logStreamEnd();
    this.streamPlan = undefined;
    this.scheduler.clear("start");
  }

  private markStreamStart(): void {
    const b = this.streamBase, c = this.counters, r = c.rejected, s = this.scheduler.stats;
    b.accepted = c.accepted;
    b.late = r.late;
    b.overflow = r.overflow;
    b.malformed = r.malformed;
    b.lateAtOutput = s.lateChunks;
    b.underruns = s.underruns;
    b.cleared = 0;
  }

  /**
   * One line per stream, at its end (stream/end, or the role or connection gone): chunks accepted, of
   * them dropped late at the output, dropped by stream/clear and still queued (not played to their end); chunks
   * refused on arrival by reason; underruns. Every chunk of a stream was taken and played when the
   * accepted count is the number sent and every other figure is 0.
   */
  private logStreamEnd(): void {
    const b = this.streamBase, c = this.counters, r = c.rejected, s = this.scheduler.stats;
    const late = r.late - b.late, overflow = r.overflow - b.overflow, malformed = r.malformed - b.malformed;
    this.host.log.log(
      "info",
      `player: stream end: ${c.accepted - b.accepted} chunks accepted, ${s.lateChunks - b.lateAtOutput} dropped late, ${b.cleared} cleared, ` +
        `${this.queue.count} still queued; ${late + overflow + malformed} rejected (late ${late}, overflow ${overflow}, malformed ${malformed}); ` +
        `${s.underruns - b.underruns} underruns`,
    );
  }

  private onCommand(payload: unknown): void {
    const c = this.revision === "current" ? parsePlayerCommandCurrent(payload) : parsePlayerCommand(payload);
    if (!c) {
      if (payload !== null && typeof payload === "object" && "player" in payload) this.host.log.log("warn", "player: malformed server/command ignored");
      return;
    }
    switch (c.command) {
      case "volume":
        this.volume = c.volume;
        this.applyGain();
        break;
      case "mute":
        this.muted = c.mute;
        this.applyGain();
        break;
      case "set_static_delay":
        this.staticDelayUs = c.staticDelayMs * 1000;
        this.host.persistStaticDelayMs(c.staticDelayMs);
        break;
      default:
        return; // not in supported_commands: ignored (spec)
    }
    this.reportChanges();
  }

  private applyGain(): void {
    this.sink.setGain(volumeToGain(this.volume, this.muted));
  }

  private timingInputs(): TimingInputs {
    const r = this.clockSync.rttStats();
    return {
      maxBestRttUs: r.maxBestUs,
      minRttUs: r.minUs,
      maxRttUs: r.maxUs,
      stallUs: this.stallUs,
      renderLeadUs: this.scheduler.leadUs,
      sinkLatencyUs: this.sink.latencyUs(),
    };
  }

  private onSynchronized(): void {
    const t = this.timingValues();
    this.leadValue.reset(t.requiredLeadTimeMs);
    this.bufferValue.reset(t.minBufferMs);
    const full: PlayerStateFields = {
      volume: this.volume,
      muted: this.muted,
      staticDelayMs: this.staticDelayUs / 1000,
      requiredLeadTimeMs: t.requiredLeadTimeMs,
      minBufferMs: t.minBufferMs,
      supportedCommands: true,
    };
    this.remember(full);
    this.initialSent = true;
    if (this.revision === "current") this.host.sendJson(MSG_CLIENT_STATE, clientStatePayloadCurrent(true, this.fullState()));
    else this.host.sendJson(MSG_CLIENT_STATE, clientStatePayload(STATE_SYNCHRONIZED, full));
  }

  /** After each clock-sync burst: re-derive the timing values and report sustained changes. */
  private onBurst(): void {
    const now = this.clock.nowUs();
    const gap = this.scheduler.stats.underrunGapUs;
    this.scheduler.stats.underrunGapUs = 0;
    if (now - this.stallAtUs > STALL_HOLD_US) this.stallUs = 0;
    if (gap > this.stallUs) {
      this.stallUs = gap;
      this.stallAtUs = now;
    }
    if (!this.initialSent) return;
    const t = this.timingValues();
    const lead = this.leadValue.offer(t.requiredLeadTimeMs);
    const buf = this.bufferValue.offer(t.minBufferMs);
    if (lead !== undefined || buf !== undefined) this.reportChanges();
  }

  /** Send a client/state delta with the fields that differ from what the server last heard. */
  private reportChanges(): void {
    if (!this.initialSent || !this.active) return;
    const now: PlayerStateFields = {
      volume: this.volume,
      muted: this.muted,
      staticDelayMs: this.staticDelayUs / 1000,
      requiredLeadTimeMs: this.leadValue.value,
      minBufferMs: this.bufferValue.value,
    };
    const delta: PlayerStateFields = {};
    let any = false;
    if (now.volume !== this.sent.volume) (delta.volume = now.volume), (any = true);
    if (now.muted !== this.sent.muted) (delta.muted = now.muted), (any = true);
    if (now.staticDelayMs !== this.sent.staticDelayMs) (delta.staticDelayMs = now.staticDelayMs), (any = true);
    if (now.requiredLeadTimeMs !== this.sent.requiredLeadTimeMs) (delta.requiredLeadTimeMs = now.requiredLeadTimeMs), (any = true);
    if (now.minBufferMs !== this.sent.minBufferMs) (delta.minBufferMs = now.minBufferMs), (any = true);
    if (!any) return;
    this.remember(delta);
    // the current revision sends no deltas: `available` and the complete player object every time
    if (this.revision === "current") this.host.sendJson(MSG_CLIENT_STATE, clientStatePayloadCurrent(true, this.fullState()));
    else this.host.sendJson(MSG_CLIENT_STATE, clientStatePayload(undefined, delta));
  }

  /** Every reported field, as last remembered (the current revision's complete player object). */
  private fullState() {
    const s = this.sent;
    return { volume: s.volume ?? this.volume, muted: s.muted ?? this.muted, staticDelayMs: s.staticDelayMs ?? 0, requiredLeadTimeMs: s.requiredLeadTimeMs ?? 0, minBufferMs: s.minBufferMs ?? 0 };
  }

  private remember(f: PlayerStateFields): void {
    if (f.volume !== undefined) this.sent.volume = f.volume;
    if (f.muted !== undefined) this.sent.muted = f.muted;
    if (f.staticDelayMs !== undefined) this.sent.staticDelayMs = f.staticDelayMs;
    if (f.requiredLeadTimeMs !== undefined) this.sent.requiredLeadTimeMs = f.requiredLeadTimeMs;
    if (f.minBufferMs !== undefined) this.sent.minBufferMs = f.minBufferMs;
  }
}

function clampDelayMs(ms: number): number {
  return Number.isInteger(ms) && ms >= 0 && ms <= 5000 ? ms : 0;
}

/** Audio memory outside the XS chunk heap where the engine has SharedArrayBuffer. */
function allocateShared(bytes: number): Uint8Array {
  const SAB = (globalThis as { SharedArrayBuffer?: new (n: number) => ArrayBufferLike }).SharedArrayBuffer;
  return new Uint8Array(SAB ? new SAB(bytes) : new ArrayBuffer(bytes));
}

