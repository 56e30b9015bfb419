// Damage anywhere in the image: single bit flips, bursts, whole blocks replaced by garbage, copied or
// swapped. The mount must never throw, must say what it did in at most one log line, and must never
// surface a record or a setting that was not, at some point, really stored (no corrupted record):
// damage may only make it fall back to an older stored value, lose a record, or reformat. The store
// must then keep working: a mutation after the damaged mount persists across a remount.

import { assert, describe, report, test } from "../../harness.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import type { Store } from "../../../storage/store.js";
import type { SeededRandom } from "../../support/random.js";
import {
  applyToModel, applyToStore, DEVICE, randomMutation, rig, SMALL, unorderedStateKey, viewOf,
  type Geometry, type Mutation, type Rig, type StoreView,
} from "../../support/storage.js";

/** Everything that was ever stored in one device's history. */
interface History {
  records: Set<string>;
  identities: Set<string>;
  configs: Set<string>;
  images: MemoryFlash[];
}

function configKey(v: StoreView): string {
  const s = v.settings;
  return JSON.stringify([s.pairingPsk, s.staticPin, s.pairingPskEnabled, s.staticPinEnabled, s.dynamicPinEnabled, s.minPinLength, s.unpairedAccess, s.staticDelayMs, s.lastPlaybackServerId]);
}

function remember(h: History, v: StoreView): void {
  for (const r of v.slots) if (r) h.records.add(JSON.stringify(r));
  h.identities.add(v.settings.privateKey + v.settings.publicKey);
  h.configs.add(configKey(v));
}

/** A device history: many mutations, an image kept every few of them. */
function history(r: Rig, steps: number): History {
  const h: History = { records: new Set(), identities: new Set(), configs: new Set(), images: [] };
  const flash = r.blank();
  const store = r.mount(flash);
  let view = viewOf(store);
  remember(h, view);
  for (let i = 0; i < steps; i++) {
    const m = randomMutation(r.random, view);
    applyToStore(store, m);
    view = applyToModel(r.crypto, view, m)[1];
    remember(h, view);
    if (i % 7 === 6) h.images.push(flash.clone());
  }
  return h;
}

type Damage = "bit" | "bits" | "burst" | "random block" | "zero block" | "copy block" | "swap blocks";

/** Damage the image; returns the number of bits flipped one by one (0 for bursts and block damage). */
function damage(image: MemoryFlash, kind: Damage, rnd: SeededRandom): number {
  const img = image.image;
  const bs = image.blockSize, blocks = image.blocks;
  switch (kind) {
    case "bit": {
      const at = rnd.below(img.length);
      img[at] ^= 1 << rnd.below(8);
      return 1;
    }
    case "bits": {
      const n = 2 + rnd.below(7);
      for (let i = 0; i < n; i++) img[rnd.below(img.length)] ^= 1 << rnd.below(8);
      return n;
    }
    case "burst": {
      const at = rnd.below(img.length - 16);
      for (let i = 0; i < 1 + rnd.below(16); i++) img[at + i] = rnd.below(256);
      break;
    }
    case "random block": {
      const b = rnd.below(blocks);
      for (let i = 0; i < bs; i++) img[b * bs + i] = rnd.below(256);
      break;
    }
    case "zero block": {
      const b = rnd.below(blocks);
      img.fill(0, b * bs, (b + 1) * bs);
      break;
    }
    case "copy block": {
      const from = rnd.below(blocks), to = rnd.below(blocks);
      img.copyWithin(to * bs, from * bs, (from + 1) * bs);
      break;
    }
    case "swap blocks": {
      const a = rnd.below(blocks), b = rnd.below(blocks);
      const tmp = img.slice(a * bs, (a + 1) * bs);
      img.copyWithin(a * bs, b * bs, (b + 1) * bs);
      img.set(tmp, b * bs);
      break;
    }
  }
  return 0;
}

const KINDS: Damage[] = ["bit", "bit", "bit", "bit", "bit", "bit", "bits", "burst", "random block", "zero block", "copy block", "swap blocks"];

function checkAgainstHistory(h: History, store: Store, logs: string[]): "kept" | "recovered" | "formatted" {
  const v = viewOf(store);
  const formatted = logs.some((l) => /formatted/.test(l));
  if (formatted) {
    assert.equal(v.slots.filter((x) => x !== null).length, 1, "a formatted store holds its one shared-PSK record");
    return "formatted";
  }
  // The one record allowed to be new: record_mode lost its shared-PSK record and was given a fresh one.
  const fresh = logs.some((l) => /record_mode given a new shared-PSK record/.test(l)) ? v.settings.recordModePskId : null;
  for (const rec of v.slots) {
    if (!rec) continue;
    if (rec.pskId === fresh) assert.ok(rec.kind === "shared_psk" && !rec.used, "the fresh record_mode record");
    else assert.ok(h.records.has(JSON.stringify(rec)), `a record that was never stored surfaced: ${JSON.stringify(rec)} (${logs.join(" | ")})`);
  }
  assert.ok(h.identities.has(v.settings.privateKey + v.settings.publicKey), "identity was stored");
  const reset = logs.some((l) => /reset to first-boot values/.test(l));
  if (!reset) assert.ok(h.configs.has(configKey(v)), "pairing config was stored at some point");
  const rm = v.settings.recordModePskId;
  if (rm !== null) assert.ok(v.slots.some((x) => x !== null && x.pskId === rm && x.kind === "shared_psk"), "record_mode names a shared-PSK record");
  return logs.length > 0 ? "recovered" : "kept";
}

function flipTrials(g: Geometry, seed: number, trials: number): Record<string, number> {
  const r = rig(g, seed);
  const h = history(r, 160);
  const counts: Record<string, number> = { kept: 0, recovered: 0, formatted: 0, flips: 0 };
  for (let t = 0; t < trials; t++) {
    const image = h.images[r.random.below(h.images.length)].clone();
    const kind = KINDS[r.random.below(KINDS.length)];
    counts.flips += damage(image, kind, r.random);
    r.logs.length = 0;
    let store: Store;
    try {
      store = r.mount(image);
    } catch (e) {
      throw new Error(`${g.name} trial ${t} (${kind}): mount threw ${String(e)}`);
    }
    assert.ok(r.logs.length <= 1, `one log line at most: ${r.logs.join(" | ")}`);
    const outcome = checkAgainstHistory(h, store, r.logs);
    counts[outcome]++;
    counts[kind] = (counts[kind] ?? 0) + 1;
    counts[kind + ":" + outcome] = (counts[kind + ":" + outcome] ?? 0) + 1;
    // The damaged store keeps working (checked on every third image: a mutation and a remount).
    if (t % 3 !== 0) continue;
    const view = viewOf(store);
    const m: Mutation = t % 2 === 1 ? randomMutation(r.random, view) : { op: "settings", patch: { staticDelayMs: 1 + r.random.below(5000) } };
    const [expected, next] = applyToModel(r.crypto, view, m);
    assert.equal(applyToStore(store, m), expected);
    r.logs.length = 0;
    const again = r.mount(image);
    assert.equal(unorderedStateKey(viewOf(again)), unorderedStateKey(next), `${g.name} trial ${t} (${kind}): the mutation after damage persists`);
  }
  return counts;
}

describe("storage › damage: bit flips and garbage never crash the mount nor surface a corrupted record", () => {
  const plans: [Geometry, number][] = [
    [SMALL, 11],
    [SMALL, 12],
    [DEVICE, 13],
    [DEVICE, 14],
  ];
  for (const [g, seed] of plans) {
    test(`${g.name}, seed ${seed}`, () => {
      const trials = 700;
      const c = flipTrials(g, seed, trials);
      const n = (k: string) => c[k] ?? 0;
      assert.equal(n("bit:formatted"), 0, "a single bit flip never costs the store");
      report(`storage damage (${g.name}, seed ${seed}): ${trials} damaged images mounted (${c.flips} bit flips tried), no throw, no corrupted record: ${n("bit")} images with a single bit flip (${n("bit:kept")} unaffected, ${n("bit:recovered")} recovered, 0 reformatted), ${n("bits")} with 2–8 flipped bits, ${n("burst")} byte bursts, ${n("random block") + n("zero block")} blocks of garbage, ${n("copy block") + n("swap blocks")} copied/swapped blocks; overall ${c.kept} unaffected, ${c.recovered} recovered, ${c.formatted} reformatted`);
    }, { slow: true });
  }

  test("whole images of garbage, and valid-looking headers over garbage, are reformatted", () => {
    const r = rig(SMALL, 15);
    const good = history(r, 30).images[0];
    let n = 0;
    for (let t = 0; t < 200; t++) {
      const img = good.clone();
      // keep the block headers, replace every unit with random bytes (or the reverse)
      for (let b = 0; b < img.blocks; b++) {
        for (let i = 0; i < img.blockSize; i++) {
          const header = i < 128;
          if (header === (t % 2 === 1)) img.image[b * img.blockSize + i] = r.random.below(256);
        }
      }
      r.logs.length = 0;
      const store = r.mount(img);
      assert.equal(r.logs.length, 1);
      assert.ok(/formatted/.test(r.logs[0]) || /recovery/.test(r.logs[0]), r.logs[0]);
      assert.ok(store.list().length >= 1);
      n++;
    }
    report(`storage garbage: ${n} images with random units under valid headers or random headers over valid units, mounted without a throw`);
  });
});
