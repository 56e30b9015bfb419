// Runs one portable benchmark inside XS; results travel to the runner as "# rec"/"# note" lines.

import type { Bench, BenchContext } from "./context.js";

declare function print(...args: unknown[]): void;
declare const performance: { now(): number };
declare function gc(): void;

export async function runBenchInXs(bench: Bench): Promise<void> {
  const ctx: BenchContext = {
    engine: "xs",
    now: () => performance.now(),
    record: (table, row, column, value) => print("# rec " + JSON.stringify([table, row, column, value])),
    note: (table, text) => print("# note " + JSON.stringify([table, text])),
    gc: () => gc(),
  };
  try {
    await bench(ctx);
    print("# bench-done");
  } catch (e) {
    print("# bench-error " + String((e as Error)?.stack ?? e));
  }
}
