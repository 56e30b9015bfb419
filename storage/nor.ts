// NOR flash rules, enforced in our code for every FlashPort we build (the in-memory emulation, the
// simulator's file image, the Moddable file image for the `lin` build, the ESP32 partition): erase sets a
// whole block to 0xFF; a write can only clear bits. Writing a 1 over a 0 is never a power event: it is a
// bug in the caller (on real NOR the bit would silently stay 0 and the data would be wrong), so it throws
// NorViolation before anything is written. Every implementation also counts what it did, for the wear
// figures.

import type { FlashPort } from "./flash.js";

export class NorViolation extends Error {
  override get name(): string {
    return "NorViolation";
  }
}

/** What was done to a flash since creation (or the last reset): the wear and cost figures. */
export class FlashCounters {
  reads = 0;
  bytesRead = 0;
  writes = 0;
  bytesWritten = 0;
  erases = 0;
  /** Erases per block: how evenly the wear is spread. */
  readonly blockErases: Int32Array;

  constructor(blocks: number) {
    this.blockErases = new Int32Array(blocks);
  }

  reset(): void {
    this.reads = this.bytesRead = this.writes = this.bytesWritten = this.erases = 0;
    this.blockErases.fill(0);
  }
}

function hex2(v: number): string {
  return (v < 16 ? "0" : "") + v.toString(16);
}

/** Throws NorViolation when programming `data` over `current` would turn a 0 bit back into 1. */
export function checkProgrammable(current: Uint8Array, data: Uint8Array, offset: number): void {
  for (let i = 0; i < data.length; i++) {
    if ((data[i] & ~current[i] & 255) !== 0) {
      throw new NorViolation(`flash: write at byte ${offset + i} would set a cleared bit (0x${hex2(current[i])} -> 0x${hex2(data[i])})`);
    }
  }
}

/** Bytes compared per step of the read-before-write check (a fixed scratch buffer, whatever the write size). */
const CHECK_CHUNK = 128;

/**
 * A FlashPort over a raw byte store. Subclasses provide the raw access; this class checks ranges and
 * the NOR rule, and counts. Writes and erases go through `program` and `erase`, which a fault-injecting
 * subclass wraps.
 */
export abstract class NorFlash implements FlashPort {
  readonly blockSize: number;
  readonly byteLength: number;
  readonly blocks: number;
  readonly counters: FlashCounters;
  private readonly scratch = new Uint8Array(CHECK_CHUNK);

  constructor(blockSize: number, byteLength: number) {
    if (!Number.isInteger(blockSize) || blockSize <= 0 || !Number.isInteger(byteLength) || byteLength <= 0 || byteLength % blockSize !== 0) {
      throw new RangeError(`flash: size ${byteLength} is not a positive multiple of the block size ${blockSize}`);
    }
    this.blockSize = blockSize;
    this.byteLength = byteLength;
    this.blocks = byteLength / blockSize;
    this.counters = new FlashCounters(this.blocks);
  }

  /** Raw read of `into.length` bytes at `offset` (range already checked). */
  protected abstract readRaw(offset: number, into: Uint8Array): void;
  /** Raw program of `data` at `offset` (range and NOR rule already checked). */
  protected abstract writeRaw(offset: number, data: Uint8Array): void;
  /** Raw erase of block `index` to 0xFF (index already checked). */
  protected abstract eraseRaw(index: number): void;

  read(offset: number, length: number, into?: Uint8Array): Uint8Array {
    this.checkRange(offset, length);
    const out = into ?? new Uint8Array(length);
    if (out.length < length) throw new RangeError("flash: read buffer too small");
    this.readRaw(offset, out.length === length ? out : out.subarray(0, length));
    this.counters.reads++;
    this.counters.bytesRead += length;
    return out;
  }

  write(offset: number, data: Uint8Array): void {
    this.checkRange(offset, data.length);
    this.checkRule(offset, data);
    this.program(offset, data);
  }

  eraseBlock(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.blocks) throw new RangeError(`flash: block ${index} out of range`);
    this.erase(index);
  }

  /** Programs checked data and counts it (a fault-injecting subclass overrides this to cut it short). */
  protected program(offset: number, data: Uint8Array): void {
    this.writeRaw(offset, data);
    this.counters.writes++;
    this.counters.bytesWritten += data.length;
  }

  /** Erases a checked block index and counts it (a fault-injecting subclass overrides this). */
  protected erase(index: number): void {
    this.eraseRaw(index);
    this.counters.erases++;
    this.counters.blockErases[index]++;
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.byteLength) {
      throw new RangeError(`flash: range ${offset}+${length} outside 0..${this.byteLength}`);
    }
  }

  private checkRule(offset: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; done += CHECK_CHUNK) {
      const n = Math.min(CHECK_CHUNK, data.length - done);
      const current = n === CHECK_CHUNK ? this.scratch : this.scratch.subarray(0, n);
      this.readRaw(offset + done, current);
      checkProgrammable(current, data.subarray(done, done + n), offset + done);
    }
  }
}
