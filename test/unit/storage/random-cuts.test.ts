// Random mutation sequences with random power cuts, checked against the reference model: every result
// the Store returns equals the model's, a remount after a cut finds the old or the new state of the
// interrupted mutation (never anything else), and every sequence ends with a remount equal to the model.
// The store's history carries over from one sequence to the next, so long runs cross many compactions.

import { assert, describe, report, test } from "../../harness.js";
import { PowerCut, type CutPlan } from "../../../storage/flash-memory.js";
import { applyToModel, applyToStore, DEVICE, describeMutation, randomMutation, rig, SMALL, stateKey, viewOf, type Geometry } from "../../support/storage.js";

interface Counts {
  sequences: number;
  mutations: number;
  cuts: number;
  cutsInErase: number;
  newState: number;
}

function runSequences(g: Geometry, seed: number, sequences: number): Counts {
  const r = rig(g, seed);
  const counts: Counts = { sequences: 0, mutations: 0, cuts: 0, cutsInErase: 0, newState: 0 };
  let flash = r.blank();
  let store = r.mount(flash);
  let view = viewOf(store);
  for (let s = 0; s < sequences; s++) {
    if (r.random.below(40) === 0) {
      // Now and then a new device (first boot again).
      flash = r.blank();
      store = r.mount(flash);
      view = viewOf(store);
    }
    const length = 1 + r.random.below(10);
    // A quarter of the cuts come right after a complete write (the new state when it was the commit).
    const plan: CutPlan = { afterOps: r.random.below(length), bytes: r.random.below(4) === 0 ? 1 << 20 : r.random.below(128), partialByte: r.random.below(2) === 0 };
    flash.armCut(plan);
    for (let i = 0; i < length; i++) {
      const m = randomMutation(r.random, view);
      const [expected, next] = applyToModel(r.crypto, view, m);
      let result: string | undefined;
      try {
        result = applyToStore(store, m);
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
      }
      counts.mutations++;
      if (result !== undefined) {
        assert.equal(result, expected, `${g.name} sequence ${s}: ${describeMutation(m)}`);
        view = next;
        continue;
      }
      counts.cuts++;
      if (flash.lastCutWasErase) counts.cutsInErase++;
      flash.revive();
      r.logs.length = 0;
      store = r.mount(flash);
      assert.ok(r.logs.length <= 1, "one log line at most");
      const got = stateKey(viewOf(store));
      const isOld = got === stateKey(view), isNew = got === stateKey(next);
      assert.ok(isOld || isNew, `${g.name} sequence ${s}: after a cut in "${describeMutation(m)}" the state is neither the old nor the new one`);
      if (isNew && !isOld) counts.newState++;
      view = isNew ? next : view;
    }
    flash.disarm();
    store = r.mount(flash);
    assert.equal(stateKey(viewOf(store)), stateKey(view), `${g.name} sequence ${s}: remount equals the model`);
    counts.sequences++;
  }
  return counts;
}

describe("storage › random mutation sequences with random power cuts", () => {
  const plans: [Geometry, number][] = [
    [SMALL, 101],
    [SMALL, 202],
    [DEVICE, 303],
    [DEVICE, 404],
  ];
  for (const [g, seed] of plans) {
    test(`${g.name}, seed ${seed}: results, cuts and remounts match the reference model`, () => {
      const c = runSequences(g, seed, 500);
      assert.ok(c.cuts > c.sequences / 2, "most sequences are cut");
      report(`storage random sequences (${g.name}, seed ${seed}): ${c.sequences} sequences, ${c.mutations} mutations, ${c.cuts} power cuts (${c.cutsInErase} during erases; ${c.newState} remounts found the new state, the rest the old one), all checked against the reference model`);
    }, { slow: true });
  }
});
