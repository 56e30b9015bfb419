// A power cut at every write and erase step of every mutation type, in every situation of the journal
// (the head block has room / a block must be opened / the generation is full and is compacted), and of
// the first-boot format: after the cut the next mount must find exactly the old state, or exactly the
// new one when the cut came after the commit write, and the store must keep working from there.

import { assert, describe, report, test } from "../../harness.js";
import { keyId } from "../../../crypto/ids.js";
import { bytesEqual } from "../../../modules/util/bytes.js";
import { ERASE_CUT_MODES, MemoryFlash, PowerCut, type CutPlan } from "../../../storage/flash-memory.js";
import { Store } from "../../../storage/store.js";
import {
  applyToModel, applyToStore, DEFAULTS, DEVICE, describeMutation, rig, SMALL, stateKey, TracingFlash, viewOf,
  type FlashOp, type Geometry, type Mutation, type StoreView,
} from "../../support/storage.js";
import type { SeededRandom } from "../../support/random.js";

type MutationType = "add stored-pubkey" | "add shared-PSK" | "remove" | "used" | "settings" | "last-playback" | "pair: replace" | "pair: evict";
const TYPES: MutationType[] = ["add stored-pubkey", "add shared-PSK", "remove", "used", "settings", "last-playback", "pair: replace", "pair: evict"];
type Situation = "append" | "open block" | "compaction";

interface Tally {
  writes: number;
  erases: number;
}

function target(type: MutationType, v: StoreView, r: SeededRandom): Mutation {
  const records = v.slots.filter((x) => x !== null);
  const notRecordMode = records.filter((x) => x.pskId !== v.settings.recordModePskId);
  switch (type) {
    case "add stored-pubkey": return { op: "add", psk: r.bytes(32), serverId: keyId(r.bytes(32)) };
    case "add shared-PSK": return { op: "add", psk: r.bytes(32) };
    case "remove": return { op: "remove", pskId: notRecordMode[0].pskId };
    case "used": return { op: "used", pskId: records.filter((x) => !x.used)[0].pskId };
    case "settings": return { op: "settings", patch: { minPinLength: v.settings.minPinLength === 4 ? 5 : 4, unpairedAccess: !v.settings.unpairedAccess, staticPin: "01234567", pairingPsk: r.bytes(32) } };
    case "last-playback": return { op: "settings", patch: { lastPlaybackServerId: keyId(r.bytes(32)), staticDelayMs: 4321 } };
    // the current revision's pairing: the server that already has a record gets a new one in its slot
    case "pair: replace": return { op: "pair", psk: r.bytes(32), serverId: records.filter((x) => x.kind === "stored_pubkey")[0].serverId!, inUse: [] };
    // at capacity: a victim is evicted (the first stored-pubkey record backs an open connection: kept)
    case "pair: evict": return { op: "pair", psk: r.bytes(32), serverId: keyId(r.bytes(32)), inUse: [records.filter((x) => x.kind === "stored_pubkey")[0].pskId] };
  }
}

/** The ways a cut can strike one operation. */
function plans(op: FlashOp, step: number): CutPlan[] {
  if (op.erase) return ERASE_CUT_MODES.map((eraseMode) => ({ afterOps: step, eraseMode }));
  return [
    { afterOps: step, bytes: 0 },
    { afterOps: step, bytes: op.length >> 1, partialByte: true },
    { afterOps: step, bytes: op.length - 1, partialByte: true },
    { afterOps: step, bytes: op.length }, // complete, then the cut
  ];
}

/** Build one base state per situation for a mutation type (fillers move the journal's head). */
function baseStates(g: Geometry, type: MutationType, seed: number): Map<Situation, { image: MemoryFlash; view: StoreView }> {
  const r = rig(g, seed);
  const flash = r.blank();
  const store = r.mount(flash);
  let view = viewOf(store);
  const prep: Mutation[] = [
    { op: "add", psk: r.random.bytes(32), serverId: keyId(r.random.bytes(32)) },
    { op: "add", psk: r.random.bytes(32) },
  ];
  // eviction needs a full table: the remaining slots get stored-pubkey records
  if (type === "pair: evict") for (let i = 3; i < g.slots; i++) prep.push({ op: "add", psk: r.random.bytes(32), serverId: keyId(r.random.bytes(32)) });
  for (const m of prep) {
    assert.equal(applyToStore(store, m), "ok");
    view = applyToModel(r.crypto, view, m)[1];
  }
  const out = new Map<Situation, { image: MemoryFlash; view: StoreView }>();
  for (let i = 0; out.size < 3 && i < 1000; i++) {
    const st = store.journalStatus();
    const s: Situation = st.headRoom > 0 ? "append" : st.generationBlocks < st.maxGenerationBlocks ? "open block" : "compaction";
    if (!out.has(s)) out.set(s, { image: flash.clone(), view });
    const filler: Mutation = { op: "settings", patch: { staticDelayMs: 1 + (i % 4999) } };
    applyToStore(store, filler);
    view = applyToModel(r.crypto, view, filler)[1];
  }
  assert.equal(out.size, 3, "reached every situation");
  return out;
}

function cutEveryStep(g: Geometry, type: MutationType, seed: number, tally: Tally): void {
  const r = rig(g, seed + 1000);
  for (const [situation, base] of baseStates(g, type, seed)) {
    const m = target(type, base.view, r.random);
    const [result, after] = applyToModel(r.crypto, base.view, m);
    assert.equal(result, "ok", describeMutation(m));
    if (type === "pair: evict") assert.equal(base.view.slots.indexOf(null), -1, "the table was full");
    const oldKey = stateKey(base.view), newKey = stateKey(after);
    // Dry run: which operations this mutation performs from this state.
    const traced = new TracingFlash(base.image.clone());
    const dryStore = Store.mount(traced, { slots: g.slots, crypto: r.crypto, defaults: DEFAULTS, log: () => {} });
    traced.ops.length = 0;
    applyToStore(dryStore, m);
    assert.equal(stateKey(viewOf(dryStore)), newKey, "dry run reaches the model's state");
    const ops = traced.ops.slice();
    const dryImage = traced.inner.image;
    const erases = ops.filter((o) => o.erase).length;
    if (situation === "append") assert.ok(ops.length === 1 && erases === 0, `append: ${ops.length} ops`);
    if (situation === "open block") assert.ok(ops.length === 3 && erases === 1, `open: ${ops.length} ops`);
    if (situation === "compaction") assert.ok(erases >= 1 && ops.length >= g.slots + 5, `compaction: ${ops.length} ops`);
    for (let step = 0; step < ops.length; step++) {
      for (const plan of plans(ops[step], step)) {
        const flash = base.image.clone();
        const store = r.mount(flash);
        flash.armCut(plan);
        let cut = false;
        try {
          applyToStore(store, m);
        } catch (e) {
          if (!(e instanceof PowerCut)) throw e;
          cut = true;
        }
        assert.ok(cut, `${situation} step ${step}: the cut struck`);
        flash.revive();
        r.logs.length = 0;
        const after1 = r.mount(flash);
        assert.ok(r.logs.length <= 1, "at most one log line per mount");
        // New state exactly when the commit write (the last) landed whole: a write torn at its last byte
        // may still have left every byte (nothing left to clear, or the half-programmed byte completed).
        const committed = step === ops.length - 1 && bytesEqual(flash.image, dryImage);
        if (plan.bytes === ops[step].length && step === ops.length - 1) assert.ok(committed);
        const got = stateKey(viewOf(after1));
        assert.ok(got === (committed ? newKey : oldKey), `${g.name}, ${type}, ${situation}: cut at step ${step}/${ops.length} (${ops[step].erase ? "erase " + plan.eraseMode : `write ${plan.bytes}/${ops[step].length}`}) gave neither the expected ${committed ? "new" : "old"} state`);
        // The store goes on from there: another mutation lands and survives a remount.
        const follow: Mutation = { op: "settings", patch: { staticDelayMs: 4999, dynamicPinEnabled: !after1.settings.dynamicPinEnabled } };
        const expected = applyToModel(r.crypto, committed ? after : base.view, follow)[1];
        assert.equal(applyToStore(after1, follow), "ok");
        assert.equal(stateKey(viewOf(r.mount(flash))), stateKey(expected), "a mutation after the cut persists");
        if (ops[step].erase) tally.erases++;
        else tally.writes++;
      }
    }
  }
}

describe("storage › power cut at every step", () => {
  TYPES.forEach((type, i) => {
    test(`${type}: every step, in each journal situation (append, open block, compaction), two geometries`, () => {
      const tally: Tally = { writes: 0, erases: 0 };
      for (const g of [SMALL, DEVICE]) cutEveryStep(g, type, (i + 1) * 7919 + g.blockSize, tally);
      report(`storage power cuts, ${type}: ${tally.writes + tally.erases} cut points tried (${tally.writes} in writes, ${tally.erases} in erases; append, open block and compaction; ${SMALL.name} and ${DEVICE.name}): every remount gave exactly the old or the new state`);
    }, { slow: true });
  });

  test("first-boot format: a cut at any step formats again on the next boot; after the commit the store is kept", () => {
    const tally: Tally = { writes: 0, erases: 0 };
    for (const g of [SMALL, DEVICE]) {
      const dry = rig(g, 77);
      const traced = new TracingFlash(dry.blank());
      const reference = stateKey(viewOf(Store.mount(traced, { slots: g.slots, crypto: dry.crypto, defaults: DEFAULTS, log: () => {} })));
      const ops = traced.ops.slice();
      const dryImage = traced.inner.image;
      for (let step = 0; step < ops.length; step++) {
        for (const plan of plans(ops[step], step)) {
          const r = rig(g, 77); // same random draws as the dry run
          const flash = r.blank();
          flash.armCut(plan);
          let cut = false;
          try {
            r.mount(flash);
          } catch (e) {
            if (!(e instanceof PowerCut)) throw e;
            cut = true;
          }
          assert.ok(cut);
          flash.revive();
          r.logs.length = 0;
          const store = r.mount(flash);
          const committed = step === ops.length - 1 && bytesEqual(flash.image, dryImage);
          if (committed) {
            assert.equal(stateKey(viewOf(store)), reference);
            assert.equal(r.logs.length, 0);
          } else {
            assert.equal(r.logs.length, 1);
            assert.ok(/formatted/.test(r.logs[0]), r.logs[0]);
            assert.notEqual(stateKey(viewOf(store)), reference, "fresh secrets");
            assert.equal(store.list().length, 1);
          }
          assert.equal(stateKey(viewOf(r.mount(flash))), stateKey(viewOf(store)));
          if (ops[step].erase) tally.erases++;
          else tally.writes++;
        }
      }
    }
    report(`storage power cuts, first-boot format: ${tally.writes + tally.erases} cut points tried (${tally.writes} in writes, ${tally.erases} in erases; both geometries): unfinished formats are redone, a committed one is kept`);
  }, { slow: true });
});
