// Runs one benchmark inside XS (xsnap, or the native XS host); results travel to the runner as "# rec"/"# note"
// lines, instruction marks as "# count <label>" lines around callgrind dumps (see BenchContext.count).

import type { Bench, BenchContext, Engine } from "./context.js";
import { PORTABLE_BACKEND, type CryptoBackend } from "../support/backends.js";

declare function print(...args: unknown[]): void;
declare const performance: { now(): number };
declare function gc(): void;
declare function instructionMark(label: string): void;
declare function xsMemory(bytes: Uint8Array): void;

export interface XsBenchOptions {
  engine: Engine;
  backends: readonly CryptoBackend[];
  /** Counting pass (under callgrind). */
  counting: boolean;
  /** Counts from the counting pass, by label. */
  counts: Record<string, number>;
}

export async function runBenchInXs(bench: Bench, options: XsBenchOptions = { engine: "xs", backends: [PORTABLE_BACKEND], counting: false, counts: {} }): Promise<void> {
  const values = new Float64Array(5);
  const bytes = new Uint8Array(values.buffer);
  const ctx: BenchContext = {
    engine: options.engine,
    now: () => performance.now(),
    record: (table, row, column, value) => print("# rec " + JSON.stringify([table, row, column, value])),
    note: (table, text) => print("# note " + JSON.stringify([table, text])),
    gc: () => gc(),
    backends: options.backends,
    counting: options.counting,
    count(label, fn) {
      if (!options.counting) return options.counts[label];
      instructionMark("before " + label);
      fn();
      instructionMark(label);
      return undefined;
    },
    memory:
      options.engine === "xs-native"
        ? (collect) => {
            if (collect) gc();
            xsMemory(bytes);
            return { chunks: values[0], chunksPeak: values[1], slots: values[2], slotsPeak: values[3] };
          }
        : undefined,
  };
  try {
    await bench(ctx);
    print("# bench-done");
  } catch (e) {
    print("# bench-error " + String((e as Error)?.stack ?? e));
  }
}
