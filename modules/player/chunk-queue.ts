// The jitter buffer: audio chunks waiting to be rendered, in one preallocated byte ring.
//
// Memory. The ring is part of one buffer allocated once (by the sink port's `allocate` when it has
// one: on the device a SharedArrayBuffer, outside the XS heap and non-relocatable). A chunk is copied
// into the ring with one native `set` (its 8-byte timestamp header comes along and is skipped: copying
// a sub-range would need a view, i.e. an allocation); 24-bit streams on a 16-bit sink are converted
// while copying. Per-chunk metadata lives in fixed typed arrays. Nothing is allocated per chunk.
//
// Bounds. `capacityBytes` is the advertised buffer_capacity: the PCM bytes of queued chunks, as received,
// never exceed it (a chunk that would is refused). The ring itself is larger by the per-chunk header
// bytes and by one maximal chunk, the space a chunk can waste at the ring's end (chunks are contiguous),
// so whatever the server may legitimately send fits. A chunk's space is free as soon as it has been
// rendered into an output block.

import { AUDIO_CHUNK_HEADER_BYTES } from "../protocol/player-messages.js";
import { convert24to16 } from "./pcm.js";

export const PUSH_OK = 0;
export const PUSH_OVER_CAPACITY = 1;
export const PUSH_NO_SPACE = 2;
export const PUSH_TABLE_FULL = 3;

export class ChunkQueue {
  private readonly ts: Float64Array;
  private readonly off: Int32Array; // PCM start in mem
  private readonly frames: Int32Array;
  private readonly region: Int32Array; // start of the chunk's ring region
  private readonly inBytes: Int32Array; // PCM bytes as received (capacity accounting)
  private readonly gen: Uint8Array; // stream format generation
  private head = 0;
  private n = 0;
  private wr = 0; // next free byte
  private rd = 0; // region start of the oldest chunk
  private wrapped = false; // data occupies [rd, end) ∪ [0, wr)
  private bytes = 0;
  private totalFrames = 0;

  constructor(
    readonly mem: Uint8Array,
    /** Ring size in bytes, at the start of `mem`. */
    readonly ringBytes: number,
    readonly maxChunks: number,
    readonly capacityBytes: number,
  ) {
    this.ts = new Float64Array(maxChunks);
    this.off = new Int32Array(maxChunks);
    this.frames = new Int32Array(maxChunks);
    this.region = new Int32Array(maxChunks);
    this.inBytes = new Int32Array(maxChunks);
    this.gen = new Uint8Array(maxChunks);
  }

  /** Ring bytes needed so that `capacityBytes` of chunks always fit (see the file comment). */
  static ringBytesFor(capacityBytes: number, maxChunks: number, maxChunkBytes: number): number {
    return capacityBytes + maxChunks * AUDIO_CHUNK_HEADER_BYTES + maxChunkBytes + AUDIO_CHUNK_HEADER_BYTES;
  }

  get count(): number {
    return this.n;
  }

  /** PCM bytes (as received) of the queued chunks. */
  get queuedBytes(): number {
    return this.bytes;
  }

  get queuedFrames(): number {
    return this.totalFrames;
  }

  /**
   * Queue the chunk `body` (8-byte timestamp + PCM of `frames` frames at `inFrameBytes`), stored at
   * `outFrameBytes` per frame (3→2 bytes per sample when converting 24-bit to 16-bit).
   */
  push(body: Uint8Array, tsUs: number, frames: number, inFrameBytes: number, outFrameBytes: number, gen: number): number {
    const pcmIn = frames * inFrameBytes;
    if (this.bytes + pcmIn > this.capacityBytes) return PUSH_OVER_CAPACITY;
    if (this.n >= this.maxChunks) return PUSH_TABLE_FULL;
    const convert = inFrameBytes !== outFrameBytes;
    const need = convert ? frames * outFrameBytes : body.length;
    const pos = this.allocate(need);
    if (pos < 0) return PUSH_NO_SPACE;
    let pcm: number;
    if (convert) {
      convert24to16(body, AUDIO_CHUNK_HEADER_BYTES, this.mem, pos, (frames * inFrameBytes) / 3);
      pcm = pos;
    } else {
      this.mem.set(body, pos);
      pcm = pos + AUDIO_CHUNK_HEADER_BYTES;
    }
    const i = (this.head + this.n) % this.maxChunks;
    this.ts[i] = tsUs;
    this.off[i] = pcm;
    this.frames[i] = frames;
    this.region[i] = pos;
    this.inBytes[i] = pcmIn;
    this.gen[i] = gen;
    this.n++;
    this.bytes += pcmIn;
    this.totalFrames += frames;
    return PUSH_OK;
  }

  headTs(): number {
    return this.ts[this.head];
  }
  headOff(): number {
    return this.off[this.head];
  }
  headFrames(): number {
    return this.frames[this.head];
  }
  headGen(): number {
    return this.gen[this.head];
  }

  /** Timestamp of the newest chunk (NaN when empty). */
  tailTs(): number {
    return this.n ? this.ts[(this.head + this.n - 1) % this.maxChunks] : NaN;
  }
  tailFrames(): number {
    return this.n ? this.frames[(this.head + this.n - 1) % this.maxChunks] : 0;
  }

  pop(): void {
    if (this.n === 0) return;
    const h = this.head;
    this.bytes -= this.inBytes[h];
    this.totalFrames -= this.frames[h];
    this.head = (h + 1) % this.maxChunks;
    this.n--;
    if (this.n === 0) {
      this.wr = this.rd = 0;
      this.wrapped = false;
      return;
    }
    const next = this.region[this.head];
    if (next < this.rd) this.wrapped = false; // the read side crossed the ring's end
    this.rd = next;
  }

  clear(): void {
    this.head = this.n = 0;
    this.wr = this.rd = 0;
    this.wrapped = false;
    this.bytes = this.totalFrames = 0;
  }

  private allocate(len: number): number {
    if (this.n === 0) {
      if (len > this.ringBytes) return -1;
      this.wr = len;
      this.rd = 0;
      this.wrapped = false;
      return 0;
    }
    if (!this.wrapped) {
      if (this.wr + len <= this.ringBytes) {
        const p = this.wr;
        this.wr += len;
        return p;
      }
      if (len <= this.rd) {
        this.wr = len;
        this.wrapped = true;
        return 0;
      }
      return -1;
    }
    if (this.wr + len <= this.rd) {
      const p = this.wr;
      this.wr += len;
      return p;
    }
    return -1;
  }
}
