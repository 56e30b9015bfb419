// The simulator's `stats` command: admission figures and the process's memory, for the hostile-load
// bench (test/bench/admission.bench.ts) and anyone watching a speaker under load. The heap's high-water
// mark is sampled every 50 ms and, like the sockets' one, covers the time since the previous report (V8's own counter, no allocation of ours); with node --expose-gc the
// command collects garbage first so that `heap_bytes` is the live heap.

import { getHeapStatistics } from "node:v8";
import type { Speaker } from "../modules/speaker.js";

export class SimStats {
  private heapHigh = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
  }

  /** The `stats` event. */
  report(speaker: Speaker | undefined): { event: "stats"; [k: string]: unknown } {
    const gc = (globalThis as { gc?: () => void }).gc;
    this.sample();
    if (gc) gc();
    const heap = getHeapStatistics().used_heap_size;
    const a = speaker?.admission;
    const b = speaker?.sessions.preAuthBudget.stats;
    const e = {
      event: "stats" as const,
      sockets: a ? a.openSockets : 0,
      sockets_high: a ? a.connectionHighWater : 0,
      evictions: a ? a.evictions : 0,
      preauth_runs: b ? b.runs : 0,
      preauth_refused: b ? b.refused : 0,
      preauth_work_ms: b ? Math.round(b.workUs / 1000) : 0,
      cpu_ms: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
      heap_bytes: heap,
      heap_high_bytes: this.heapHigh,
      gc: gc !== undefined,
    };
    // high-water marks restart: each report covers the time since the previous one
    a?.resetHighWater();
    this.heapHigh = heap;
    return e;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const h = getHeapStatistics().used_heap_size;
    if (h > this.heapHigh) this.heapHigh = h;
  }
}
