// A Player in steady state for measuring its audio path (pure ECMAScript: the hot-path bench runs it in
// Node and XS, the chip bench on the emulated rv32 chip): synchronized with a perfect 1 ms round trip,
// a 48 kHz 16-bit stereo stream started, chunks of 20 ms arriving 200 ms ahead, and a sink that
// allocates nothing and releases blocks as the loop's time passes. Nothing here allocates per step.

import { DEFAULT_CONFIG } from "../../modules/config.js";
import type { AudioSinkPort, ClockPort, PcmFormat, TimerHandle } from "../../modules/platform.js";
import { Player } from "../../modules/player/player.js";
import { writeAudioChunkTimestamp } from "../../modules/protocol/player-messages.js";

export const RATE = 48000;
export const CHUNK_FRAMES = 960;
export const CHUNK_US = 20_000;

/** A clock whose timers never fire on their own (the loop drives everything). */
export class StillClock implements ClockPort {
  now = 5_000_000;
  timers: { at: number; cb: () => void; live: boolean; _timer: null }[] = [];
  nowUs(): number {
    return this.now;
  }
  setTimeout(cb: () => void, ms: number): TimerHandle {
    const t = { at: this.now + ms * 1000, cb, live: true, _timer: null };
    this.timers.push(t);
    return t;
  }
  setInterval(cb: () => void, ms: number): TimerHandle {
    return this.setTimeout(cb, ms);
  }
  clear(t: TimerHandle | undefined): void {
    if (t) (t as unknown as { live: boolean }).live = false;
  }
  /** Setup only: run the earliest live timer. */
  fireNext(): boolean {
    let best: (typeof this.timers)[number] | undefined;
    for (const t of this.timers) if (t.live && (!best || t.at < best.at)) best = t;
    if (!best) return false;
    best.live = false;
    if (best.at > this.now) this.now = best.at;
    best.cb();
    return true;
  }
}

/** A sink with no allocation of its own: a ring of frame counts, released as the loop's time passes. */
export class CountingSink implements AudioSinkPort {
  readonly nativeFormats: readonly PcmFormat[] = [{ sampleRate: RATE, channels: 2, bitsPerSample: 16 }];
  onWritable: (() => void) | undefined;
  private readonly frames = new Int32Array(64);
  private readonly dones: ((() => void) | undefined)[] = [];
  private head = 0;
  private n = 0;
  private endUs = 0;
  private headEndUs = 0;
  writtenFrames = 0;
  checksum = 0;
  /** Any ClockPort (the receive-path rig drives it with a ManualClock). */
  constructor(private readonly clock: ClockPort) {
    for (let i = 0; i < 64; i++) this.dones.push(undefined);
  }
  open(): void {
    this.flush();
  }
  close(): void {
    this.flush();
  }
  write(buf: Uint8Array, frames: number, done?: () => void): boolean {
    if (this.n === 64) return false;
    const now = this.clock.nowUs();
    if (this.n === 0) this.endUs = this.headEndUs = now;
    this.frames[(this.head + this.n) % 64] = frames;
    this.dones[(this.head + this.n) % 64] = done;
    if (this.n === 0) this.headEndUs = this.endUs + (frames * 1e6) / RATE;
    this.n++;
    this.endUs += (frames * 1e6) / RATE;
    this.writtenFrames += frames;
    this.checksum = (this.checksum + buf[0] + buf[buf.length - 1]) | 0;
    return true;
  }
  /** Release what has played by now. */
  drain(): void {
    while (this.n > 0 && this.headEndUs <= this.clock.nowUs()) {
      const done = this.dones[this.head];
      this.dones[this.head] = undefined;
      this.head = (this.head + 1) % 64;
      this.n--;
      if (this.n > 0) this.headEndUs += (this.frames[this.head] * 1e6) / RATE;
      done?.();
    }
  }
  queuedFrames(): number {
    return this.n === 0 ? 0 : Math.round(((this.endUs - this.clock.nowUs()) * RATE) / 1e6);
  }
  nextPlayTimeUs(): number {
    return this.n === 0 || this.endUs < this.clock.nowUs() ? this.clock.nowUs() : this.endUs;
  }
  latencyUs(): number {
    return 0;
  }
  flush(): void {
    while (this.n > 0) {
      const done = this.dones[this.head];
      this.dones[this.head] = undefined;
      this.head = (this.head + 1) % 64;
      this.n--;
      done?.();
    }
  }
  setGain(): void {}
}

export interface Rig {
  clock: StillClock;
  sink: CountingSink;
  player: Player;
  chunks: Uint8Array[];
  nextTs: number;
  serverOffset: number;
}

/** A synchronized player with a 16-bit stereo stream started, chunks 200 ms ahead. */
export function makeRig(): Rig {
  const clock = new StillClock();
  const sink = new CountingSink(clock);
  const serverOffset = 1_000_000_000;
  let pendingT1 = NaN;
  const player = new Player(
    {
      clock,
      audio: sink,
      log: { log: () => {} },
      sendJson: (type, payload) => {
        if (type === "client/time") pendingT1 = payload.client_transmitted as number;
      },
      staticDelayMs: () => 0,
      persistStaticDelayMs: () => {},
    },
    { ...DEFAULT_CONFIG, bufferCapacity: 262_144, audioFormats: [{ codec: "pcm", sampleRate: RATE, channels: 2, bitsPerSample: 16 }] },
  );
  player.activate();
  // Clock sync with a perfect 1 ms round trip until synchronized.
  for (let guard = 0; guard < 10_000 && !player.synchronized; guard++) {
    if (pendingT1 === pendingT1) {
      const t1 = pendingT1;
      pendingT1 = NaN;
      clock.now += 500;
      const t2 = clock.now + serverOffset;
      clock.now += 500;
      player.onMessage("server/time", { client_transmitted: t1, server_received: t2, server_transmitted: t2 });
    } else if (!clock.fireNext()) break;
  }
  if (!player.synchronized) throw new Error("bench: player did not synchronize");
  clock.timers.length = 0; // the next burst never comes during the measurement
  player.onMessage("stream/start", { server_transmitted: clock.now + serverOffset, player: { codec: "pcm", sample_rate: RATE, channels: 2, bit_depth: 16 } });
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 32; i++) {
    const c = new Uint8Array(8 + CHUNK_FRAMES * 4);
    for (let j = 8; j < c.length; j++) c[j] = (i * 31 + j) & 255;
    chunks.push(c);
  }
  return { clock, sink, player, chunks, nextTs: clock.now + serverOffset + 200_000, serverOffset };
}

/** One chunk period: time passes, the sink releases played blocks (the scheduler refills them), a chunk arrives. */
export function step(r: Rig, i: number): void {
  r.clock.now += CHUNK_US;
  r.sink.drain();
  const c = r.chunks[i & 31];
  writeAudioChunkTimestamp(c, 0, r.nextTs);
  r.nextTs += CHUNK_US;
  if (!r.player.onAudioChunk(c)) throw new Error("bench: chunk rejected");
}

