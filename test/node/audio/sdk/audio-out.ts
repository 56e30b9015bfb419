// Stand-in for Moddable's ECMA-419 `embedded:io/audio/out` on ESP32 (the SDK is not installed here),
// following modules/io/audioout/esp32/audioout-esp32.c: six DMA buffers of 4092 bytes; start() makes all
// of them writable and posts one onWritable(bytes); write() stages the bytes, hands each full DMA buffer
// to the channel and throws "insufficient space" beyond what is writable; each DMA buffer the channel
// finishes (the channel runs continuously, playing zeros when it has nothing) makes its bytes writable
// again and posts onWritable, unless one is already pending. What the channel plays is recorded with its
// play time. The behaviours of the outputs met in the field are selectable:
//   "healthy"   the I2S channel of a board;
//   "asks-once" QEMU's ESP32-C3 (no I2S: the first request comes, the DMA never completes);
//   "never"     Moddable's Linux simulator without a sound card (ALSA fails in the driver's thread).

export type OutputBehaviour = "healthy" | "asks-once" | "never";

export interface AudioOutHost {
  nowUs(): number;
  /** Run `cb` at `atUs` as a message to the JavaScript task (after whatever holds it now). */
  post(atUs: number, cb: () => void): void;
  /** Run `cb` at `atUs` in the hardware (the DMA runs on while the JavaScript task is held). */
  interrupt(atUs: number, cb: () => void): void;
  behaviour: OutputBehaviour;
  /** Filled by the stand-in: every 16-bit sample the channel played (zeros for what it was not given). */
  played: number[];
  /** Play time (µs) of played[0]. */
  playedStartUs: number;
}

export const host: { current: AudioOutHost | undefined } = { current: undefined };

const DMA_BUFFER = 4092;
const DMA_BUFFERS = 6;

interface Options {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  onWritable?: (bytes: number) => void;
}

export default class AudioOut {
  volume = 1;
  private readonly h: AudioOutHost;
  private readonly o: Options;
  private started = false;
  private closed = false;
  private writable = 0;
  private readonly staging = new Uint8Array(DMA_BUFFER);
  private stagingOffset = 0;
  /** DMA buffers handed to the channel and not played yet. */
  private readonly ring: Uint8Array[] = [];
  private callbackPending = false;
  private generation = 0;

  constructor(o: Options) {
    const h = host.current;
    if (!h) throw new Error("audio-out stand-in: no host");
    this.h = h;
    this.o = o;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.writable = DMA_BUFFER * DMA_BUFFERS;
    if (this.h.behaviour !== "never") this.deliver();
    if (this.h.behaviour === "healthy") this.runChannel(this.generation);
  }

  stop(): void {
    this.started = false;
    this.generation++;
    this.writable = DMA_BUFFER * DMA_BUFFERS;
    this.stagingOffset = 0;
  }

  close(): void {
    this.stop();
    this.closed = true;
  }

  write(samples: Uint8Array): void {
    if (this.closed) throw new Error("closed");
    if (samples.length > this.writable - this.stagingOffset) throw new Error("insufficient space");
    if (samples.length & 1) throw new Error("full samples only");
    let off = 0;
    while (off < samples.length) {
      const n = Math.min(samples.length - off, DMA_BUFFER - this.stagingOffset);
      this.staging.set(samples.subarray(off, off + n), this.stagingOffset);
      this.stagingOffset += n;
      off += n;
      if (this.stagingOffset === DMA_BUFFER) {
        this.ring.push(this.staging.slice());
        this.writable -= DMA_BUFFER;
        this.stagingOffset = 0;
      }
    }
  }

  /**
   * The channel: at each DMA-buffer boundary the next buffer starts playing (zeros when none was given)
   * and the one before it is done, which frees its bytes and asks for more.
   */
  private runChannel(gen: number): void {
    const bufferUs = ((DMA_BUFFER / (2 * this.o.channels)) * 1e6) / this.o.sampleRate;
    let atUs = this.h.nowUs();
    const h = this.h;
    if (h.played.length === 0) h.playedStartUs = atUs;
    // the recording is one continuous timeline: a gap (the channel reopened) is filled with zeros
    for (let t = h.playedStartUs + (h.played.length / this.o.channels) * (1e6 / this.o.sampleRate); t < atUs; t += 1e6 / this.o.sampleRate) {
      for (let c = 0; c < this.o.channels; c++) h.played.push(0);
    }
    let first = true;
    const step = () => {
      if (gen !== this.generation) return;
      const buf = this.ring.shift() ?? new Uint8Array(DMA_BUFFER);
      for (let i = 0; i + 1 < buf.length; i += 2) h.played.push(((buf[i] | (buf[i + 1] << 8)) << 16) >> 16);
      if (!first) {
        this.writable = Math.min(this.writable + DMA_BUFFER, DMA_BUFFER * DMA_BUFFERS);
        this.deliver();
      }
      first = false;
      atUs += bufferUs;
      h.interrupt(atUs, step);
    };
    step();
  }

  private deliver(): void {
    if (this.callbackPending) return;
    this.callbackPending = true;
    this.h.post(this.h.nowUs(), () => {
      this.callbackPending = false;
      if (this.started && this.writable - this.stagingOffset > 0) this.o.onWritable?.(this.writable - this.stagingOffset);
    });
  }
}
