// Player hot-path budget (issue 5 §8): per 20 ms chunk of 48 kHz 16-bit stereo (3,840 bytes of PCM), the
// time and the allocations from a decrypted chunk body to the sink, decryption excluded: validation,
// the late check, the copy into the jitter buffer, the scheduler's time conversion and corrections, and
// rendering into output blocks handed to the sink.
//
// Allocations. XS has no allocation counter, so we use its garbage collector as one. A collection
// happens exactly when the free slot list runs out (xsMemory.c fxNewSlot); a FinalizationRegistry
// callback for an unreachable canary object tells whether a collection ran during a stretch of code.
// First we measure how many iterations of a control loop allocating one empty object (the smallest
// allocation there is) it takes to trigger a collection (F). Then the hot path runs R > F chunks: if no
// collection runs, the path allocates less than F/R objects per chunk on average, i.e. none per chunk
// (the path is the same for every chunk). In Node the same run reports the V8 heap growth per chunk.
// The bench also times the 24-bit → 16-bit conversion, the one per-sample loop the player has.

import type { Bench, BenchContext } from "./context.js";
import { convert24to16 } from "../../modules/player/pcm.js";
import { CHUNK_FRAMES, makeRig, step } from "../support/player-rig.js";

const TABLE = "player hot path: 20 ms chunk, 48 kHz 16-bit stereo, decrypted body → sink";

const tick = (): Promise<void> => new Promise((resolve) => (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate(resolve));

/** Did a garbage collection run while `body` ran? (A FinalizationRegistry canary; see the file comment.) */
async function collectedDuring(ctx: BenchContext, body: () => void): Promise<boolean> {
  let fired = false;
  const registry = new FinalizationRegistry<number>(() => {
    fired = true;
  });
  ctx.gc();
  await tick();
  registry.register({}, 0);
  body();
  await tick();
  await tick();
  return fired;
}

const bench: Bench = async (ctx: BenchContext) => {
  const r = makeRig();
  let i = 0;
  for (; i < 500; i++) step(r, i); // warm-up: steady state, JIT
  const stats = r.player.scheduler.stats;
  const before = { ...stats };

  // Time per chunk.
  const n = ctx.engine === "xs" ? 20_000 : 200_000;
  const t0 = ctx.now();
  for (let k = 0; k < n; k++) step(r, i++);
  const us = ((ctx.now() - t0) * 1000) / n;
  ctx.record(TABLE, "time per chunk (µs)", ctx.engine, us.toFixed(1));
  ctx.record(TABLE, "share of the chunk's 20 ms (%)", ctx.engine, ((us / 20_000) * 100).toFixed(3));
  ctx.record(TABLE, "frames at the sink / frames sent", ctx.engine, `${r.sink.writtenFrames} / ${(i + 0) * CHUNK_FRAMES}`);
  ctx.record(TABLE, "soft corrections / snaps during the run", ctx.engine, `${stats.softDrops + stats.softDups - before.softDrops - before.softDups} / ${stats.snapsError + stats.snapsUnderrun - before.snapsError - before.snapsUnderrun}`);

  // Allocations.
  if (ctx.engine === "xs") {
    let control = 0;
    const sinkHole: unknown[] = [null];
    for (let m = 1000; m <= 1 << 24; m *= 2) {
      if (await collectedDuring(ctx, () => {
        for (let k = 0; k < m; k++) sinkHole[0] = {};
      })) {
        control = m;
        break;
      }
    }
    const R = Math.max(2 * control, 50_000);
    const gcInPath = await collectedDuring(ctx, () => {
      for (let k = 0; k < R; k++) step(r, i++);
    });
    ctx.record(TABLE, "control: 1 empty object per iteration collects within (iterations)", ctx.engine, control ? `≤ ${control}` : "n/a");
    ctx.record(TABLE, "hot path: chunks run / garbage collections", ctx.engine, `${R} / ${gcInPath ? "≥ 1" : "0"}`);
    ctx.record(TABLE, "allocations per chunk", ctx.engine, gcInPath ? `> 0 (≥ ${(control / (2 * R)).toFixed(3)} objects)` : `0 (< ${(control / R).toFixed(2)} objects on average)`);
  }
  const mem = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage;
  if (mem) {
    ctx.gc();
    const h0 = mem().heapUsed;
    const m = 20_000;
    for (let k = 0; k < m; k++) step(r, i++);
    const h1 = mem().heapUsed;
    ctx.record(TABLE, "V8 heap growth per chunk (bytes, no GC in between)", ctx.engine, ((h1 - h0) / m).toFixed(2));
  }
  ctx.note(TABLE, "Allocations (XS, the engine the device runs): a FinalizationRegistry canary detects any garbage collection during the run; XS collects exactly when its free slot list is empty, which a control loop allocating one empty object per iteration reaches within the number shown. The hot path ran twice that many chunks without a collection: it allocates nothing per chunk. Node: V8 heap growth, for comparison only (V8 boxes doubles that cross calls as heap numbers; XS keeps numbers inside its slots).");
  ctx.note(TABLE, "No per-sample JavaScript for 16-bit input: the chunk is copied into the jitter buffer with one Uint8Array.set and rendered into output blocks with copyWithin/fill (see modules/player/chunk-queue.ts, scheduler.ts).");

  // The documented cost of 24-bit input on a 16-bit sink: one per-sample loop per chunk.
  const src = new Uint8Array(8 + CHUNK_FRAMES * 6);
  const dst = new Uint8Array(CHUNK_FRAMES * 4);
  const cn = ctx.engine === "xs" ? 2000 : 50_000;
  const c0 = ctx.now();
  for (let k = 0; k < cn; k++) convert24to16(src, 8, dst, 0, CHUNK_FRAMES * 2);
  const cus = ((ctx.now() - c0) * 1000) / cn;
  ctx.record(TABLE, "24→16-bit conversion, extra per chunk (µs)", ctx.engine, cus.toFixed(1));
};

export default bench;
