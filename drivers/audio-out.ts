// The audio sink on Moddable: ECMA-419 `embedded:io/audio/out` (I2S on ESP32, with pins, slot and
// format from the manifest `defines.audioOut`; ALSA in the Linux simulator).
//
// Buffers wait in a bounded JavaScript queue (modules/audio/playout-queue.ts) and are copied into the
// driver's DMA buffers from its onWritable callback; a buffer's `done` runs once it is fully copied.
// The hardware reports no play position, so queuedFrames/nextPlayTimeUs come from the playout model:
// the I2S clock and the µs timer share the ESP32's crystal, and the modelled pipeline delay is two DMA
// buffers (one waiting for the next onWritable, one in flight; to be confirmed on a board, a fixed error
// is what static_delay_ms absorbs). Volume is applied by the
// driver (AudioOut.volume, native). When the output cannot be opened, or never asks for data (Linux
// simulator without a sound card: ALSA fails in the driver's thread and only prints), the sink plays
// by the clock alone from then on, so the speaker still runs.

import AudioOut from "embedded:io/audio/out";
import type { AudioSinkPort, ClockPort, LogPort, PcmFormat, TimerHandle } from "../modules/platform.js";
import { PlayoutQueue } from "../modules/audio/playout-queue.js";
import { TimedSink } from "../modules/audio/timed-sink.js";

/** ESP32 driver: 6 DMA buffers of 4092 bytes, one of them in flight (modules/io/audioout/esp32). */
const DMA_BUFFER_BYTES = 4092;
/** A started output asks for data within this time, or it is taken as broken. */
const WATCHDOG_MS = 1000;

export interface AudioOutOptions {
  /** Formats to offer; those the driver cannot take (not 16-bit, rate outside 8–48 kHz) are left out. */
  formats: readonly PcmFormat[];
  /** Most audio held in the JavaScript queue and the DMA buffers together (ms). */
  capacityMs?: number;
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
  private out: AudioOut | undefined;
  private fallback: TimedSink | undefined;
  private format: PcmFormat | null = null;
  private gain = 1;
  private hwWritable = 0;
  private refused = false;
  private failures = 0;
  private broken = false;
  private heard = false;
  private watchdog: TimerHandle | undefined;

  constructor(clock: ClockPort, log: LogPort, o: AudioOutOptions) {
    this.clock = clock;
    this.log = log;
    this.capacityMs = o.capacityMs ?? 150;
    this.nativeFormats = o.formats.filter((f) => f.bitsPerSample === 16 && (f.channels === 1 || f.channels === 2) && f.sampleRate >= 8000 && f.sampleRate <= 48000);
    const first = this.nativeFormats[0] ?? { sampleRate: 48000, channels: 2, bitsPerSample: 16 };
    this.queue = new PlayoutQueue(clock, { capacityMs: this.capacityMs, latencyUs: this.dmaLatencyUs(first), maxItems: 48 });
  }

  open(format: PcmFormat): void {
    this.shutHardware();
    this.fallback?.close();
    this.fallback = undefined;
    this.format = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
    this.queue.reset(format);
    this.startHardware();
  }

  close(): void {
    this.shutHardware();
    this.fallback?.close();
    this.fallback = undefined;
    this.queue.drop();
    this.format = null;
  }

  write(buf: Uint8Array, frames: number, done?: () => void): boolean {
    if (this.fallback) return this.fallback.write(buf, frames, done);
    if (!this.format || !this.queue.push(buf, frames, done)) {
      this.refused = true;
      return false;
    }
    // No feeding from here: `done` must never run inside write (port contract). The driver's
    // onWritable comes once per DMA buffer sent (ESP32: about every 21 ms at 48 kHz stereo, the
    // channel runs continuously) or per ALSA period (Linux), and feeds the queue.
    return true;
  }

  queuedFrames(): number {
    if (this.fallback) return this.fallback.queuedFrames();
    return this.format ? this.queue.queuedFrames() : 0;
  }

  nextPlayTimeUs(): number {
    return this.fallback ? this.fallback.nextPlayTimeUs() : this.queue.nextPlayTimeUs();
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
    if (this.fallback) return this.fallback.flush();
    this.queue.drop();
    // The DMA buffers still hold up to ~100 ms of the old audio: reopen the channel to cut it.
    if (this.out) {
      this.shutHardware();
      this.startHardware();
    }
  }

  setGain(gain: number): void {
    this.gain = gain < 0 ? 0 : gain > 1 ? 1 : gain;
    this.fallback?.setGain(this.gain);
    if (this.out) this.out.volume = this.gain;
  }

  private startHardware(): void {
    const f = this.format;
    if (!f) return;
    this.hwWritable = 0;
    if (this.broken) return this.startFallback(f);
    try {
      const sink = this;
      const out = new AudioOut({
        sampleRate: f.sampleRate,
        channels: f.channels === 1 ? 1 : 2,
        bitsPerSample: 16,
        onWritable(bytes: number) {
          if (sink.out !== out) return;
          sink.heard = true;
          sink.hwWritable = bytes;
          sink.feed();
        },
      });
      out.volume = this.gain;
      out.start();
      this.out = out;
      this.heard = false;
      this.watchdog = this.clock.setTimeout(() => {
        this.watchdog = undefined;
        if (this.out !== out || this.heard) return;
        this.log.log("error", "audio: the output never asked for data (no sound device?); playing silently by the clock");
        this.broken = true;
        this.shutHardware();
        this.startFallback(f);
        this.queue.drop(); // what was queued for the hardware is released; its owners write again
      }, WATCHDOG_MS);
    } catch (e) {
      this.out = undefined;
      this.broken = true;
      this.log.log("error", `audio: cannot open ${f.sampleRate}/${f.bitsPerSample}/${f.channels} (${String(e)}); playing silently by the clock`);
      this.startFallback(f);
    }
  }

  private startFallback(f: PcmFormat): void {
    const fb = new TimedSink(this.clock, { nativeFormats: this.nativeFormats, capacityMs: this.capacityMs, latencyUs: this.queue.latencyUs });
    fb.onWritable = () => this.onWritable?.();
    fb.open(f);
    fb.setGain(this.gain);
    this.fallback = fb;
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

  /** Copy queued audio into the driver's free DMA space. */
  private feed(): void {
    const out = this.out;
    if (!out) return;
    const frameBytes = this.queue.frameBytes;
    let released = false;
    for (;;) {
      const item = this.queue.head();
      if (!item) break;
      let n = item.end - item.off;
      if (n > this.hwWritable) n = this.hwWritable - (this.hwWritable % frameBytes);
      if (n <= 0) break;
      try {
        out.write(new Uint8Array(item.buf.buffer, item.buf.byteOffset + item.off, n));
      } catch (e) {
        if (this.failures++ < 3) this.log.log("warn", `audio: write: ${String(e)}`);
        this.hwWritable = 0;
        break;
      }
      this.hwWritable -= n;
      const before = this.queue.items();
      this.queue.consume(n);
      if (this.queue.items() < before) released = true;
    }
    if (released && this.refused) {
      this.refused = false;
      this.onWritable?.();
    }
  }

  private dmaLatencyUs(f: PcmFormat): number {
    return Math.round(((2 * DMA_BUFFER_BYTES) / (f.channels * 2) / f.sampleRate) * 1e6);
  }
}
