// An in-memory NOR flash with fault injection, for tests and benchmarks. A power cut is armed to strike
// the n-th mutating operation (write or erase) from now:
// - a write is cut after its k-th byte: bytes 0..k-1 are programmed, optionally byte k is half-programmed
//   (a random subset of the bits it was clearing), the rest is untouched;
// - an erase is cut midway: the block is left with arbitrary content (random bytes, a partly erased
//   prefix, old bits partly set to 1, or untouched).
// The operation then throws PowerCut and the flash stays dead (every call throws) until `revive()`, the
// next boot. The image survives, exactly as the cut left it.

import { NorFlash } from "./nor.js";

export class PowerCut extends Error {
  override get name(): string {
    return "PowerCut";
  }
}

/** Randomness for the arbitrary content a cut leaves (test/support/random.ts SeededRandom fits). */
export interface FaultRandom {
  /** Uniform integer in [0, n). */
  below(n: number): number;
}

/** How an interrupted erase leaves its block. */
export type EraseCutMode = "random" | "prefix" | "partial-bits" | "untouched";
export const ERASE_CUT_MODES: readonly EraseCutMode[] = ["random", "prefix", "partial-bits", "untouched"];

export interface CutPlan {
  /** Mutating operations (writes and erases) to let through before the cut one: 0 = the next one. */
  afterOps: number;
  /** A cut write keeps this many leading bytes (clamped to the write's length: then the cut follows the complete write). */
  bytes?: number;
  /** The byte at the cut is half-programmed (needs a random source). */
  partialByte?: boolean;
  /** What a cut erase leaves; default: drawn at random (or "prefix" without a random source). */
  eraseMode?: EraseCutMode;
}

export class MemoryFlash extends NorFlash {
  readonly image: Uint8Array;
  /** Mutating operations performed since creation (cut ones included): the step counter tests enumerate. */
  mutations = 0;
  /** The last power cut struck an erase (true) or a write (false). */
  lastCutWasErase = false;
  private plan: CutPlan | null = null;
  private dead = false;
  private readonly random: FaultRandom | undefined;

  constructor(o: { blockSize: number; blocks: number; random?: FaultRandom; image?: Uint8Array }) {
    super(o.blockSize, o.blockSize * o.blocks);
    if (o.image && o.image.length !== this.byteLength) throw new RangeError("flash: image size does not match the geometry");
    this.image = o.image ? o.image.slice() : new Uint8Array(this.byteLength).fill(255);
    this.random = o.random;
  }

  /** A new flash with a copy of this image (same geometry and random source), alive and unarmed. */
  clone(): MemoryFlash {
    return new MemoryFlash({ blockSize: this.blockSize, blocks: this.blocks, random: this.random, image: this.image });
  }

  armCut(plan: CutPlan): void {
    this.plan = { ...plan };
  }

  disarm(): void {
    this.plan = null;
  }

  /** True while an armed cut has not struck yet. */
  get armed(): boolean {
    return this.plan !== null;
  }

  get isDead(): boolean {
    return this.dead;
  }

  /** Power is back (the next boot): the flash works again, with whatever content the cut left. */
  revive(): void {
    this.dead = false;
    this.plan = null;
  }

  override read(offset: number, length: number, into?: Uint8Array): Uint8Array {
    if (this.dead) throw new PowerCut("flash: no power");
    return super.read(offset, length, into);
  }

  override write(offset: number, data: Uint8Array): void {
    if (this.dead) throw new PowerCut("flash: no power");
    super.write(offset, data);
  }

  override eraseBlock(index: number): void {
    if (this.dead) throw new PowerCut("flash: no power");
    super.eraseBlock(index);
  }

  protected readRaw(offset: number, into: Uint8Array): void {
    into.set(this.image.subarray(offset, offset + into.length));
  }

  protected writeRaw(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.image[offset + i] &= data[i];
  }

  protected eraseRaw(index: number): void {
    this.image.fill(255, index * this.blockSize, (index + 1) * this.blockSize);
  }

  protected override program(offset: number, data: Uint8Array): void {
    const plan = this.strikes();
    if (!plan) {
      super.program(offset, data);
      return;
    }
    const keep = Math.min(Math.max(0, plan.bytes ?? 0), data.length);
    if (keep > 0) super.program(offset, data.subarray(0, keep));
    if (keep < data.length && plan.partialByte && this.random) {
      const at = offset + keep;
      const clearing = this.image[at] & ~data[keep] & 255;
      this.image[at] &= ~(clearing & this.random.below(256)) & 255;
    }
    this.die(false);
  }

  protected override erase(index: number): void {
    const plan = this.strikes();
    if (!plan) {
      super.erase(index);
      return;
    }
    const r = this.random;
    const mode = plan.eraseMode ?? (r ? ERASE_CUT_MODES[r.below(ERASE_CUT_MODES.length)] : "prefix");
    const start = index * this.blockSize;
    const end = start + this.blockSize;
    if (mode === "random" && r) {
      for (let i = start; i < end; i++) this.image[i] = r.below(256);
    } else if (mode === "partial-bits" && r) {
      for (let i = start; i < end; i++) this.image[i] |= r.below(256);
    } else if (mode !== "untouched") {
      const cut = start + (r ? r.below(this.blockSize) : this.blockSize >> 1);
      this.image.fill(255, start, cut);
    }
    this.die(true);
  }

  /** Counts one mutating operation; returns the plan when the armed cut strikes it. */
  private strikes(): CutPlan | null {
    this.mutations++;
    const plan = this.plan;
    if (!plan) return null;
    if (plan.afterOps > 0) {
      plan.afterOps--;
      return null;
    }
    this.plan = null;
    return plan;
  }

  private die(erase: boolean): never {
    this.dead = true;
    this.lastCutWasErase = erase;
    throw new PowerCut(erase ? "flash: power cut during an erase" : "flash: power cut during a write");
  }
}
