// What a benchmark is given, in both engines. Benchmarks print figures; they never pass or fail.

export type Engine = "node" | "xs";

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
