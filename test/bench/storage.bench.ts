// Storage: what each kind of mutation costs the flash (writes, erases, bytes: the same in both engines,
// they are counts), the amortized cost over long random runs, and the time of a mount of a full table
// (and of the mutations) in Node and in XS. Geometry of the device: 4 KiB erase blocks; the "pairing"
// partition of partitions.csv is 64 KiB (16 blocks).

import { keyId } from "../../crypto/ids.js";
import { MemoryFlash } from "../../storage/flash-memory.js";
import { Store } from "../../storage/store.js";
import { applyToModel, applyToStore, DEFAULTS, randomMutation, rig, viewOf, type Geometry, type Mutation } from "../support/storage.js";
import { timePerCall, type Bench, type BenchContext } from "./context.js";

const COST = "Storage: flash operations per mutation (4 KiB blocks; counts, identical in both engines)";
const AMORTIZED = "Storage: amortized flash cost over 5,000 random mutations";
const TIME = "Storage: time per operation, ms (portable SHA-256)";

const PARTITION_8: Geometry = { name: "8 slots, 64 KiB partition", blockSize: 4096, blocks: 16, slots: 8 };
const SMALL_8: Geometry = { name: "8 slots, 16 KiB partition", blockSize: 4096, blocks: 4, slots: 8 };
const FULL_64: Geometry = { name: "64 slots, 24 KiB partition", blockSize: 4096, blocks: 6, slots: 64 };

type Situation = "append" | "open block" | "compaction";

function situation(store: Store): Situation {
  const s = store.journalStatus();
  return s.headRoom > 0 ? "append" : s.generationBlocks < s.maxGenerationBlocks ? "open block" : "compaction";
}

/** Flash operations one mutation costs, measured on a copy of the image (the state is not changed). */
function costOf(flash: MemoryFlash, g: Geometry, seed: number, m: Mutation): { writes: number; erases: number; bytes: number } {
  const copy = flash.clone();
  const store = rig(g, seed).mount(copy);
  copy.counters.reset();
  applyToStore(store, m);
  return { writes: copy.counters.writes, erases: copy.counters.erases, bytes: copy.counters.bytesWritten };
}

function recordCost(ctx: BenchContext, row: string, c: { writes: number; erases: number; bytes: number }): void {
  ctx.record(COST, row, "writes", c.writes);
  ctx.record(COST, row, "erases", c.erases);
  ctx.record(COST, row, "bytes written", c.bytes);
}

/** A store with `records` records, its head moved to `where` by settings updates. */
function prepared(g: Geometry, seed: number, records: number, where: Situation) {
  const r = rig(g, seed);
  const flash = r.blank();
  const store = r.mount(flash);
  for (let i = 0; i < records; i++) store.addRecord(r.random.bytes(32), i % 2 ? keyId(r.random.bytes(32)) : undefined);
  for (let i = 0; situation(store) !== where && i < 100_000; i++) store.updateSettings({ staticDelayMs: 1 + (i % 4999) });
  return { r, flash, store };
}

const bench: Bench = (ctx) => {
  // ---- counts per mutation type (engine-independent; recorded by each engine, same values) ----------
  {
    const first = rig(PARTITION_8, 1);
    const flash = first.blank();
    first.mount(flash);
    recordCost(ctx, "first boot (format), 8 slots", { writes: flash.counters.writes, erases: flash.counters.erases, bytes: flash.counters.bytesWritten });
    const { r, flash: f, store } = prepared(PARTITION_8, 2, 3, "append");
    const v = viewOf(store);
    const other = v.slots.find((x) => x !== null && x.pskId !== v.settings.recordModePskId)!;
    recordCost(ctx, "add record", costOf(f, PARTITION_8, 2, { op: "add", psk: r.random.bytes(32), serverId: keyId(r.random.bytes(32)) }));
    recordCost(ctx, "remove record", costOf(f, PARTITION_8, 2, { op: "remove", pskId: other.pskId }));
    recordCost(ctx, "mark used", costOf(f, PARTITION_8, 2, { op: "used", pskId: other.pskId }));
    recordCost(ctx, "settings patch (any fields)", costOf(f, PARTITION_8, 2, { op: "settings", patch: { staticDelayMs: 4000, unpairedAccess: true, minPinLength: 8 } }));
    recordCost(ctx, "last-playback server", costOf(f, PARTITION_8, 2, { op: "settings", patch: { lastPlaybackServerId: keyId(r.random.bytes(32)) } }));
    recordCost(ctx, "refused or unchanged (no write)", costOf(f, PARTITION_8, 2, { op: "settings", patch: { staticDelayMs: v.settings.staticDelayMs } }));
    const open = prepared(PARTITION_8, 3, 3, "open block");
    recordCost(ctx, "any mutation that opens a block", costOf(open.flash, PARTITION_8, 3, { op: "settings", patch: { staticDelayMs: 4321 } }));
    for (const g of [PARTITION_8, FULL_64]) {
      const c = prepared(g, 4, g.slots - 1, "compaction");
      recordCost(ctx, `any mutation that compacts, ${g.slots} slots`, costOf(c.flash, g, 4, { op: "settings", patch: { staticDelayMs: 4321 } }));
    }
    ctx.note(COST, "A unit is 128 bytes; a block header 64 (two copies). Bound per mutation: 1 write when the head block has room; 1 erase + 2 writes when it opens a block; at most K = ceil((S+2)/31) erases and S+2+K writes when it compacts (S = slots + 3 keys: 11 for 8 slots, 67 for 64).");
  }

  // ---- amortized over long random runs ---------------------------------------------------------------
  for (const g of [SMALL_8, PARTITION_8, FULL_64]) {
    const r = rig(g, 5);
    const flash = r.blank();
    const store = r.mount(flash);
    let view = viewOf(store);
    flash.counters.reset();
    const n = 5000;
    let writing = 0;
    for (let i = 0; i < n; i++) {
      const m = randomMutation(r.random, view);
      const w = flash.counters.writes;
      applyToStore(store, m);
      view = applyToModel(r.crypto, view, m)[1];
      if (flash.counters.writes > w) writing++;
    }
    const c = flash.counters;
    const per = Array.from(c.blockErases);
    ctx.record(AMORTIZED, g.name, "mutations that wrote", writing);
    ctx.record(AMORTIZED, g.name, "writes / mutation", (c.writes / writing).toFixed(3));
    ctx.record(AMORTIZED, g.name, "erases / mutation", (c.erases / writing).toFixed(4));
    ctx.record(AMORTIZED, g.name, "bytes / mutation", Math.round(c.bytesWritten / writing));
    ctx.record(AMORTIZED, g.name, "erases per block (min–max)", `${Math.min(...per)}–${Math.max(...per)}`);
    ctx.record(AMORTIZED, g.name, "mutations between two erases of a block", Math.round((writing * g.blocks) / Math.max(1, c.erases)));
  }
  ctx.note(AMORTIZED, "Random mix of adds, removes, used flags and settings patches (refused ones excluded from the per-mutation figures). Blocks are opened in ring order, so every block wears alike: at 100,000 erase cycles per block, the last column times 100,000 is roughly the number of mutations the partition outlives.");

  // ---- time: mount of a full table (the generation at its longest), mutations ----------------------------
  const col = ctx.engine;
  const minMs = ctx.engine === "xs" ? 600 : 300;
  for (const g of [PARTITION_8, FULL_64]) {
    const { flash, r } = prepared(g, 6, g.slots - 1, "compaction");
    ctx.record(TIME, `mount, full table, ${g.name} (longest log)`, col, timePerCall(ctx, () => Store.mount(flash, { slots: g.slots, crypto: r.crypto, defaults: DEFAULTS, log: () => {} }), minMs));
  }
  {
    const r = rig(PARTITION_8, 7);
    ctx.record(TIME, "first boot (format + identity keypair), 8 slots", col, timePerCall(ctx, () => r.mount(r.blank()), minMs));
    const flash = r.blank();
    const store = r.mount(flash);
    const ids: string[] = [];
    ctx.record(TIME, "add record (pskId hash + 1 unit; a full table is emptied now and then)", col, timePerCall(ctx, () => {
      const psk = r.random.bytes(32);
      if (store.addRecord(psk) === "storage_exhausted") {
        for (const id of ids.splice(0)) store.removeRecord(id);
        store.addRecord(psk);
      }
      ids.push(store.list()[store.list().length - 1].pskId);
    }, minMs));
    let d = 0;
    ctx.record(TIME, "settings patch (1 unit; compactions included)", col, timePerCall(ctx, () => store.updateSettings({ staticDelayMs: (d = (d + 1) % 5000) }), minMs));
    const id = store.list()[0].pskId;
    ctx.record(TIME, "findByPskId (RAM)", col, timePerCall(ctx, () => store.findByPskId(id), minMs / 3));
  }
  ctx.note(TIME, "Mount reads every unit of the current generation but verifies only the newest one of each key (about S SHA-256) and the headers it uses; psk_ids are stored, not recomputed. On the device the native crypto backend does the hashing.");
};

export default bench;
