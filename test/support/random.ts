// A deterministic RandomPort for tests (pure ECMAScript, runs in XS): reproducible keys, nonces and
// fuzz cases from a seed. NOT a CSPRNG: tests only.

import type { RandomPort } from "../../modules/platform.js";

/** xoshiro128** seeded by splitmix32; int32 arithmetic throughout. */
export class SeededRandom implements RandomPort {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed = 1) {
    let x = seed | 0;
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next 32 random bits as an int32. */
  nextInt32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r | 0;
  }

  /** Uniform integer in [0, n) for n ≤ 2^31. */
  below(n: number): number {
    return Math.floor(((this.nextInt32() >>> 0) / 4294967296) * n);
  }

  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.nextInt32() & 255;
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    this.fill(b);
    return b;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
