// The audio sink on Moddable: ECMA-419 `embedded:io/audio/out` (I2S on ESP32, with pins, slot and
// format from the manifest `defines.audioOut`; ALSA in the Linux simulator).
//
// Buffers wait in a bounded JavaScript queue (modules/audio/playout-queue.ts) and are copied into the
// driver's DMA buffers from its onWritable callback; a buffer's `done` runs once it is fully copied.
// The hardware reports no play position, so queuedFrames/nextPlayTimeUs come from the playout model:
// the I2S clock and the µs timer share the ESP32's crystal, and the modelled pipeline delay is two DMA
// buffers (one waiting for the next onWritable, one in flight; to be confirmed on a board, a fixed error
// is what static_delay_ms absorbs). Volume is applied by the driver (AudioOut.volume, native).
//
// Playing by the clock. The clock runs beside the output for as long as the sink is open and releases
// each queued buffer the output has not taken by the time the model says it has played: an output that
// keeps up takes every buffer ahead of that (the DMA ring is fed ~2 buffers early), so for it the clock
// releases nothing; an output that falls behind (not yet asking after start, a stalled I2S channel, the
// JavaScript of a handshake holding the task longer than the DMA ring lasts) loses to the clock exactly the
// audio the DAC did not play, and the player's blocks come back on time, so its jitter buffer neither
// overflows nor plays late. An output that never asks (Linux simulator without a sound card: ALSA fails
// in the driver's thread and only prints) or stops asking while audio waits (QEMU's ESP32-C3 has no I2S:
// its DMA never completes after the driver's first request) is then closed by the watchdog, and the clock
// plays the queue alone, one DMA buffer ahead, as the device's driver holds one in flight: the speaker
// runs on, silently, with the timing the hardware would have had, and nothing is dropped on the way.

import AudioOut from "embedded:io/audio/out";
import type { AudioSinkPort, ClockPort, LogPort, PcmFormat, TimerHandle } from "../modules/platform.js";
import { PlayoutQueue } from "../modules/audio/playout-queue.js";

/** ESP32 driver: 6 DMA buffers of 4092 bytes, one of them in flight (modules/io/audioout/esp32). */
const DMA_BUFFER_BYTES = 4092;
/** A started output asks for data within this time, or it is taken as broken. */
const WATCHDOG_MS = 1000;
/** Once it has asked, it asks again within this time while audio waits (ESP32: every DMA buffer, ~21 ms), or it has stalled. */
const STALL_MS = 250;
/** How often the watchdog looks (ms). */
const WATCHDOG_TICK_MS = 100;
/** How often the clock releases what has played and the output has not taken (ms). */
const CLOCK_TICK_MS = 5;
/** A tick later than this (µs) while the clock plays alone is logged: about what the player keeps queued beyond one block. */
const STALL_REPORT_US = 25_000;

export interface AudioOutOptions {
  /** Formats to offer; those the driver cannot take (not 16-bit, rate outside 8–48 kHz) are left out. */
  formats: readonly PcmFormat[];
  /** Most audio held in the JavaScript queue and the DMA buffers together (ms). */
  capacityMs?: number;
  /**
   * Receives every frame handed to the output, in order, as it is handed over (to the driver, or to the
   * clock; before the gain): the simulator's PCM tap.
   */
  tap?: (pcm: Uint8Array) => void;
}

/** The driver also has close(), which the SDK's typing of AudioOut leaves out. */
type Closable = { close?: () => void };

export class I2sAudioSink implements AudioSinkPort {
  readonly nativeFormats: readonly PcmFormat[];
  onWritable: (() => void) | undefined = undefined;
  private readonly clock: ClockPort;
  private readonly log: LogPort;
  private readonly queue: PlayoutQueue;
  private readonly capacityMs: number;
  private readonly tap: ((pcm: Uint8Array) => void) | undefined;
  private out: AudioOut | undefined;
  private format: PcmFormat | null = null;
  private frameUs = 0;
  /** Play time of one DMA buffer in the open format (µs): how far ahead the clock plays alone. */
  private dmaBufferUs = 0;
  private gain = 1;
  private hwWritable = 0;
  /** Bytes written to the driver since it was opened, modulo its DMA buffer. */
  private staged = 0;
  /** Silence for completing the driver's last partial DMA buffer (written in pieces this size). */
  private readonly zeros = new Uint8Array(512);
  private refused = false;
  private failures = 0;
  private broken = false;
  private heard = false;
  private lastHeardUs = 0;
  private watchdog: TimerHandle | undefined;
  private clockTimer: TimerHandle | undefined;
  private lastClockUs = 0;

  constructor(clock: ClockPort, log: LogPort, o: AudioOutOptions) {
    this.clock = clock;
    this.log = log;
    this.capacityMs = o.capacityMs ?? 150;
    this.tap = o.tap;
    this.nativeFormats = o.formats.filter((f) => f.bitsPerSample === 16 && (f.channels === 1 || f.channels === 2) && f.sampleRate >= 8000 && f.sampleRate <= 48000);
    const first = this.nativeFormats[0] ?? { sampleRate: 48000, channels: 2, bitsPerSample: 16 };
    this.queue = new PlayoutQueue(clock, { capacityMs: this.capacityMs, latencyUs: this.dmaLatencyUs(first), maxItems: 48 });
  }

  open(format: PcmFormat): void {
    this.shutHardware();
    this.format = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
    this.frameUs = 1e6 / format.sampleRate;
    this.dmaBufferUs = this.dmaLatencyUs(format) / 2;
    this.queue.reset(format);
    this.startHardware();
  }

  close(): void {
    this.shutHardware();
    this.stopClock();
    this.queue.drop();
    this.format = null;
  }

  write(buf: Uint8Array, frames: number, done?: () => void): boolean {
    if (!this.format || !this.queue.push(buf, frames, done)) {
      this.refused = true;
      return false;
    }
    // No feeding from here: `done` must never run inside write (port contract). The driver's
    // onWritable comes once per DMA buffer sent (ESP32: about every 21 ms at 48 kHz stereo, the
    // channel runs continuously) or per ALSA period (Linux), and feeds the queue; or the clock plays it.
    return true;
  }

  queuedFrames(): number {
    return this.format ? this.queue.queuedFrames() : 0;
  }

  nextPlayTimeUs(): number {
    return this.queue.nextPlayTimeUs();
  }

  latencyUs(): number {
    return this.queue.latencyUs;
  }

  /**
   * The player's audio memory: a SharedArrayBuffer, which XS allocates with malloc outside its chunk
   * heap (non-relocatable; in PSRAM for large blocks when the board enables CONFIG_SPIRAM_USE_MALLOC).
   */
  allocate(bytes: number): Uint8Array {
    return new Uint8Array(new SharedArrayBuffer(bytes));
  }

  flush(): void {
    this.queue.drop();
    // The DMA buffers still hold up to ~100 ms of the old audio: reopen the channel to cut it.
    if (this.out) {
      this.shutHardware();
      this.startHardware();
    }
  }

  setGain(gain: number): void {
    this.gain = gain < 0 ? 0 : gain > 1 ? 1 : gain;
    if (this.out) this.out.volume = this.gain;
  }

  private startHardware(): void {
    const f = this.format;
    if (!f) return;
    this.hwWritable = 0;
    this.staged = 0;
    // Beside the output (for good once it is known not to play), the clock releases what has played.
    this.startClock();
    if (this.broken) return;
    try {
      const sink = this;
      const out = new AudioOut({
        sampleRate: f.sampleRate,
        channels: f.channels === 1 ? 1 : 2,
        bitsPerSample: 16,
        onWritable(bytes: number) {
          if (sink.out !== out) return;
          sink.lastHeardUs = sink.clock.nowUs();
          sink.heard = true;
          sink.hwWritable = bytes;
          sink.feed();
        },
      });
      out.volume = this.gain;
      out.start();
      this.out = out;
      this.heard = false;
      // Time the output has had to ask: it restarts after a JavaScript stall (the watchdog's own tick came
      // late), during which the output's request could not be delivered (the Noise responder holds the task
      // 0.36-0.54 s on an ESP32, longer than STALL_MS): only silence in running time counts.
      let sinceUs = this.clock.nowUs();
      let tickUs = sinceUs;
      this.watchdog = this.clock.setInterval(() => {
        if (this.out !== out) return;
        const now = this.clock.nowUs();
        if (now - tickUs > 2 * WATCHDOG_TICK_MS * 1000) sinceUs = now;
        tickUs = now;
        const silentUs = now - (this.heard && this.lastHeardUs > sinceUs ? this.lastHeardUs : sinceUs);
        if (this.heard ? !this.queue.head() || silentUs < STALL_MS * 1000 : silentUs < WATCHDOG_MS * 1000) return;
        this.log.log("error", this.heard
          ? "audio: the output stopped asking for data while audio waits (a stalled channel?); playing silently by the clock"
          : "audio: the output never asked for data (no sound device?); playing silently by the clock");
        this.broken = true;
        this.shutHardware(); // the clock plays the queue alone from here
        this.startClock();
      }, WATCHDOG_TICK_MS);
    } catch (e) {
      this.out = undefined;
      this.broken = true;
      this.log.log("error", `audio: cannot open ${f.sampleRate}/${f.bitsPerSample}/${f.channels} (${String(e)}); playing silently by the clock`);
    }
  }

  private startClock(): void {
    if (this.clockTimer !== undefined) return;
    this.lastClockUs = 0;
    this.clockTimer = this.clock.setInterval(() => this.playByClock(), CLOCK_TICK_MS);
  }

  private stopClock(): void {
    this.clock.clear(this.clockTimer);
    this.clockTimer = undefined;
  }

  /**
   * Release, in order, each queued buffer the output would have taken by now. Beside an output that may
   * still play: once its last frame has played by the model. With the output closed: once it fits in one
   * DMA buffer ahead of the play position, as the device's driver holds one in flight, which gives the
   * player its device margin against a stall. (Not the whole DMA ring, ~128 ms: the player counts the
   * blocks it has at the sink, and with its chunks arriving only the send-ahead, ~105-150 ms, before they
   * play, blocks taken that early left it with one or none, and it padded the next with silence as for an
   * underrun.)
   */
  private playByClock(): void {
    if (!this.format) return;
    const ahead = this.broken ? this.dmaBufferUs : 0;
    const now = this.clock.nowUs();
    // A JavaScript stall longer than what is queued is heard as a skip: say when one happened.
    const late = now - this.lastClockUs - CLOCK_TICK_MS * 1000;
    if ((this.broken || !this.heard) && this.lastClockUs > 0 && late > STALL_REPORT_US) this.log.log("warn", `audio: the clock tick came ${Math.round(late / 1000)} ms late (JavaScript stalled)`);
    this.lastClockUs = now;
    this.resumeWriter(this.releaseUntil(now + ahead));
  }

  /** Buffers were released: a writer the sink refused for want of room hears that there is some. */
  private resumeWriter(released: boolean): void {
    if (released && this.refused) {
      this.refused = false;
      this.onWritable?.();
    }
  }

  /** Release, in order, the queued buffers that end by `limitUs` (model time); true if any was. */
  private releaseUntil(limitUs: number): boolean {
    let released = false;
    for (;;) {
      const item = this.queue.head();
      if (!item || item.startUs + item.frames * this.frameUs > limitUs) return released;
      this.tap?.(item.buf.subarray(item.off, item.end));
      this.queue.release();
      released = true;
    }
  }

  private shutHardware(): void {
    const out = this.out;
    this.out = undefined;
    this.hwWritable = 0;
    this.clock.clear(this.watchdog);
    this.watchdog = undefined;
    if (!out) return;
    try {
      out.stop();
      (out as unknown as Closable).close?.();
    } catch (e) {
      this.log.log("warn", `audio: close: ${String(e)}`);
    }
  }

  /**
   * Copy queued audio into the driver's free DMA space, each buffer once it is due within the modelled
   * pipeline (two DMA buffers): the driver would take as much as its whole ring (six buffers: 128 ms
   * stereo, 256 ms mono) that early, more than the player's send-ahead (~150 ms), and its blocks came back
   * faster than the chunks arrived, so it padded with silence as for an underrun; and the model, which
   * times every block the player schedules, would be off by the difference.
   */
  private feed(): void {
    const out = this.out;
    if (!out) return;
    const frameBytes = this.queue.frameBytes;
    const now = this.clock.nowUs();
    const dueUs = now + this.queue.latencyUs;
    // What has played by the model while the task was held is gone (the DAC played silence in its place):
    // written now it would play late, and everything after it. So is the tail the driver still holds in
    // its partial DMA buffer: the channel is restarted without it (it asks again at once).
    let released = this.releaseUntil(now);
    if (released && this.staged !== 0) {
      try {
        out.stop();
        out.start();
      } catch (e) {
        this.log.log("warn", `audio: restart: ${String(e)}`);
      }
      this.staged = 0;
      this.hwWritable = 0;
    }
    for (;;) {
      const item = this.queue.head();
      if (!item || item.startUs > dueUs) break;
      let n = item.end - item.off;
      if (n > this.hwWritable) n = this.hwWritable - (this.hwWritable % frameBytes);
      if (n <= 0) break;
      try {
        // The player's output blocks are views made once per format: a whole block goes as it is (no
        // allocation on the audio path); only a block split by the driver's free space needs a view.
        const pcm = item.off === 0 && n === item.buf.length ? item.buf : new Uint8Array(item.buf.buffer, item.buf.byteOffset + item.off, n);
        out.write(pcm);
        this.tap?.(pcm);
      } catch (e) {
        if (this.failures++ < 3) this.log.log("warn", `audio: write: ${String(e)}`);
        this.hwWritable = 0;
        break;
      }
      this.hwWritable -= n;
      this.staged = (this.staged + n) % DMA_BUFFER_BYTES;
      const before = this.queue.items();
      this.queue.consume(n);
      if (this.queue.items() < before) released = true;
    }
    // Ran dry: the driver sends a DMA buffer only once it is full, so the tail of the audio would wait in
    // it (and play late, before the next audio) until more came; silence completes it and it plays now.
    if (!this.queue.head()) this.padStaged(out);
    this.resumeWriter(released);
  }

  private padStaged(out: AudioOut): void {
    while (this.staged > 0 && this.hwWritable > 0) {
      let n = DMA_BUFFER_BYTES - this.staged;
      if (n > this.zeros.length) n = this.zeros.length;
      if (n > this.hwWritable) break;
      try {
        out.write(n === this.zeros.length ? this.zeros : this.zeros.subarray(0, n));
      } catch {
        this.hwWritable = 0;
        return;
      }
      this.hwWritable -= n;
      this.staged = (this.staged + n) % DMA_BUFFER_BYTES;
    }
  }

  private dmaLatencyUs(f: PcmFormat): number {
    return Math.round(((2 * DMA_BUFFER_BYTES) / (f.channels * 2) / f.sampleRate) * 1e6);
  }
}
