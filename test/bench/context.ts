// What a benchmark is given, in every engine. Benchmarks print figures; they never pass or fail.

import type { CryptoBackend } from "../support/backends.js";

/**
 * node: Node. xs: the xsnap CLI (XS 13.3). xs-native: the same XS engine with the native crypto module linked in
 * (test/native/host), which also exposes XS's memory counters and, under valgrind, instruction counts.
 * A bench runs in node and xs unless its module exports `engines`.
 */
export type Engine = "node" | "xs" | "xs-native";

/** XS's own memory counters (bytes in the chunk heap, slots), live and peak. */
export interface XsMemoryReading {
  chunks: number;
  chunksPeak: number;
  slots: number;
  slotsPeak: number;
}

export interface BenchContext {
  readonly engine: Engine;
  /** Milliseconds, sub-millisecond resolution (performance.now in both engines). */
  now(): number;
  /** One cell of a named table; the runner renders every table once all engines have run. */
  record(table: string, row: string, column: string, value: string | number): void;
  /** A line printed under a table (assumptions, conversions). */
  note(table: string, text: string): void;
  /** Force a garbage collection when the engine allows it (memory figures). */
  gc(): void;
  /** Crypto backends this engine runs: portable everywhere; xs-native adds the native one. */
  readonly backends: readonly CryptoBackend[];
  /**
   * x86-64 instructions counted by callgrind (xs-native with valgrind installed). The runner runs such a bench
   * twice: first under callgrind (`counting` true: count() runs fn once between two marks; times are meaningless
   * and records are discarded), then normally, where count() returns what fn took in the first run without
   * running it. Undefined wherever there is no count.
   */
  count(label: string, fn: () => void): number | undefined;
  readonly counting: boolean;
  /** XS's memory counters (xs-native only): read after an optional full collection. */
  readonly memory?: (collect: boolean) => XsMemoryReading;
}

/** A portable benchmark: `test/bench/*.bench.ts` default-exports one of these. */
export type Bench = (ctx: BenchContext) => void | Promise<void>;

/** Run `fn` repeatedly for at least `minMs`; returns milliseconds per call. */
export function timePerCall(ctx: BenchContext, fn: () => void, minMs = 300, minCalls = 3): number {
  fn(); // warm-up
  let calls = 0;
  const t0 = ctx.now();
  let t = t0;
  while (calls < minCalls || t - t0 < minMs) {
    fn();
    calls++;
    t = ctx.now();
  }
  return (t - t0) / calls;
}
