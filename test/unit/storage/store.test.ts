import { assert, describe, report, test } from "../../harness.js";
import { keyId, pskId, SENTINEL_PSK, SENTINEL_PSK_ID } from "../../../crypto/ids.js";
import type { CryptoProvider } from "../../../crypto/provider.js";
import { toHex } from "../../../modules/util/bytes.js";
import { MemoryFlash, PowerCut } from "../../../storage/flash-memory.js";
import { Store, StoreConfigError } from "../../../storage/store.js";
import { SeededRandom } from "../../support/random.js";
import { applyToModel, applyToStore, DEFAULTS, DEVICE, randomMutation, rig, SMALL, stateKey, viewOf, type Geometry } from "../../support/storage.js";

const SERVER = keyId(new Uint8Array(32).fill(7));

function bytes(n: number, v: number): Uint8Array {
  return new Uint8Array(n).fill(v);
}

/** The wear bound of storage/journal.ts for a geometry. */
function bound(g: Geometry): { K: number; S: number; C: number; G: number; maxWrites: number; amortized: number } {
  const C = g.blockSize / 128 - 1;
  const S = g.slots + 3;
  const K = Math.ceil((S + 2) / C);
  const G = Math.min(g.blocks - Math.ceil((S + 1) / C), 255);
  return { K, S, C, G, maxWrites: S + 2 + K, amortized: G / (G * C - S - 1) };
}

describe("storage › Store", () => {
  test("first boot formats blank flash: identity, pairing PSK, static PIN, a shared-PSK record as record_mode", () => {
    const r = rig(DEVICE, 11);
    const store = r.mount(r.blank());
    assert.equal(r.logs.length, 1);
    assert.ok(/blank flash: formatted 8 record slots/.test(r.logs[0]), r.logs[0]);
    const s = store.settings;
    assert.equal(toHex(s.identity.publicKey), toHex(r.crypto.x25519Base(s.identity.privateKey)));
    assert.equal(s.pairingPsk.length, 32);
    assert.ok(/^[0-9]{8}$/.test(s.staticPin), s.staticPin);
    assert.equal(store.pairingPskId, pskId(r.crypto, s.pairingPsk));
    assert.deepEqual(
      [s.pairingPskEnabled, s.staticPinEnabled, s.dynamicPinEnabled, s.minPinLength, s.unpairedAccess, s.staticDelayMs, s.lastPlaybackServerId],
      [true, DEFAULTS.staticPinEnabled, DEFAULTS.dynamicPinEnabled, DEFAULTS.minPinLength, DEFAULTS.unpairedAccess, 0, null],
    );
    const list = store.list();
    assert.equal(list.length, 1);
    assert.equal(list[0].kind, "shared_psk");
    assert.equal(list[0].used, false);
    assert.equal(list[0].serverId, undefined);
    assert.equal(s.recordModePskId, list[0].pskId);
    assert.ok(toHex(list[0].psk) !== toHex(s.pairingPsk));
    assert.deepEqual(store.accounting(), { free: 7, capacity: 8, cost_individual: 1, cost_shared: 1 });
  });

  test("secrets differ per device (drawn from the CSPRNG), defaults come from the config", () => {
    const a = rig(DEVICE, 1), b = rig(DEVICE, 2);
    const sa = a.mount(a.blank()), sb = b.mount(b.blank());
    assert.notEqual(toHex(sa.settings.pairingPsk), toHex(sb.settings.pairingPsk));
    assert.notEqual(toHex(sa.settings.identity.privateKey), toHex(sb.settings.identity.privateKey));
    assert.notEqual(sa.list()[0].pskId, sb.list()[0].pskId);
    const c = rig(DEVICE, 3);
    const custom = Store.mount(c.blank(), { slots: 6, crypto: c.crypto, defaults: { staticPinEnabled: false, dynamicPinEnabled: false, minPinLength: 9, unpairedAccess: true }, log: () => {} });
    const s = custom.settings;
    assert.deepEqual([s.staticPinEnabled, s.dynamicPinEnabled, s.minPinLength, s.unpairedAccess], [false, false, 9, true]);
    assert.equal(custom.accounting().capacity, 6);
  });

  test("remount finds the same state and says nothing", () => {
    const r = rig(DEVICE, 4);
    const flash = r.blank();
    const store = r.mount(flash);
    assert.equal(store.addRecord(bytes(32, 1), SERVER), "ok");
    assert.equal(store.updateSettings({ staticDelayMs: 120, lastPlaybackServerId: SERVER }), "ok");
    r.logs.length = 0;
    const again = r.mount(flash);
    assert.equal(stateKey(viewOf(again)), stateKey(viewOf(store)));
    assert.equal(r.logs.length, 0, r.logs.join("|"));
  });

  test("a table below 5 slots, above 64, or a partition too small is refused with a clear error", () => {
    const r = rig(DEVICE, 5);
    const opts = (slots: number) => ({ slots, crypto: r.crypto, defaults: DEFAULTS, log: () => {} });
    for (const bad of [4, 0, -1, 2.5]) {
      let err: unknown;
      try {
        Store.mount(r.blank(), opts(bad));
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof StoreConfigError, `slots ${bad}`);
      if (Number.isInteger(bad)) assert.ok(/below the guaranteed minimum of 5/.test((err as Error).message), (err as Error).message);
    }
    assert.throws(() => Store.mount(r.blank(), opts(65)), /above the supported maximum of 64/);
    assert.throws(() => Store.mount(new MemoryFlash({ blockSize: 4096, blocks: 1 }), opts(8)), /too small for 8 record slots: it needs 2 blocks/);
    assert.throws(() => Store.mount(new MemoryFlash({ blockSize: 4096, blocks: 4 }), opts(64)), /too small for 64 record slots: it needs 6 blocks of 4096 bytes \(24576 bytes\)/);
    assert.throws(() => Store.mount(new MemoryFlash({ blockSize: 100, blocks: 40 }), opts(8)), /block size 100/);
    assert.ok(Store.mount(new MemoryFlash({ blockSize: 4096, blocks: 6 }), opts(64)).accounting().capacity === 64);
  });

  test("records: add, find by psk_id, list, used flag, remove, and every refusal", () => {
    const r = rig(DEVICE, 6);
    const store = r.mount(r.blank());
    const shared0 = store.list()[0].pskId;
    const psk = bytes(32, 9);
    const id = pskId(r.crypto, psk);
    assert.equal(store.addRecord(psk, SERVER), "ok");
    assert.equal(store.addRecord(psk), "already_exists", "same psk_id");
    assert.equal(store.addRecord(store.settings.pairingPsk), "already_exists", "the pairing PSK's psk_id");
    assert.equal(store.addRecord(SENTINEL_PSK), "invalid", "the public sentinel");
    assert.equal(store.addRecord(bytes(31, 1)), "invalid");
    assert.equal(store.addRecord(bytes(32, 2), "not-a-key"), "invalid");
    assert.equal(store.addRecord(bytes(32, 2), SERVER + "A"), "invalid");
    const rec = store.findByPskId(id);
    assert.ok(rec);
    assert.deepEqual([rec.kind, rec.serverId, rec.used, toHex(rec.psk)], ["stored_pubkey", SERVER, false, toHex(psk)]);
    rec.psk.fill(0);
    assert.equal(toHex(store.findByPskId(id)!.psk), toHex(psk), "callers get copies");
    assert.equal(store.findByPskId(SENTINEL_PSK_ID), undefined);
    store.markUsed(id);
    assert.equal(store.findByPskId(id)!.used, true);
    store.markUsed("unknown");
    assert.equal(store.removeRecord("unknown"), "not_found");
    assert.equal(store.removeRecord(shared0), "invalid", "record_mode target");
    assert.equal(store.removeRecord(id), "ok");
    assert.equal(store.findByPskId(id), undefined);
    assert.equal(store.removeRecord(id), "not_found");
    for (let i = 0; i < 7; i++) assert.equal(store.addRecord(bytes(32, 100 + i), i % 2 ? SERVER : undefined), "ok");
    assert.deepEqual(store.accounting(), { free: 0, capacity: 8, cost_individual: 1, cost_shared: 1 });
    assert.equal(store.addRecord(bytes(32, 50)), "storage_exhausted");
    assert.equal(store.addRecord(bytes(32, 100)), "already_exists", "already_exists wins over storage_exhausted");
    const ids = store.list().map((x) => x.pskId);
    assert.equal(ids.length, 8);
    assert.equal(ids[0], shared0, "slot order");
    assert.equal(store.removeRecord(ids[3]), "ok");
    assert.equal(store.addRecord(bytes(32, 51)), "ok");
    assert.equal(store.list()[3].pskId, pskId(r.crypto, bytes(32, 51)), "lowest free slot reused");
  });

  test("settings: patches are validated, record_mode follows shared-PSK records only, no write when unchanged", () => {
    const r = rig(DEVICE, 7);
    const flash = r.blank();
    const store = r.mount(flash);
    const shared0 = store.list()[0].pskId;
    assert.equal(store.addRecord(bytes(32, 1), SERVER), "ok");
    assert.equal(store.addRecord(bytes(32, 2)), "ok");
    const stored = pskId(r.crypto, bytes(32, 1)), shared1 = pskId(r.crypto, bytes(32, 2));
    for (const bad of [
      { minPinLength: 3 }, { minPinLength: 13 }, { minPinLength: 6.5 }, { staticDelayMs: -1 }, { staticDelayMs: 5001 },
      { staticPin: "1234567" }, { staticPin: "1234567a" }, { staticPin: "123456789" }, { pairingPsk: bytes(16, 1) },
      { pairingPsk: SENTINEL_PSK }, { recordModePskId: stored }, { recordModePskId: "nope" }, { recordModePskId: null },
      { lastPlaybackServerId: "short" }, { unpairedAccess: "yes" as unknown as boolean }, { identity: store.settings.identity } as object,
    ]) {
      assert.equal(store.updateSettings(bad as never), "invalid", JSON.stringify(bad));
    }
    assert.equal(store.updateSettings({ pairingPsk: bytes(32, 2) }), "already_exists");
    const writes = flash.counters.writes;
    assert.equal(store.updateSettings({ staticDelayMs: 0, minPinLength: DEFAULTS.minPinLength }), "ok");
    assert.equal(flash.counters.writes, writes, "unchanged values are not written");
    const newPsk = bytes(32, 77);
    assert.equal(store.updateSettings({ recordModePskId: shared1, staticPin: "00001234", pairingPsk: newPsk, minPinLength: 12, staticDelayMs: 5000, unpairedAccess: true, dynamicPinEnabled: false, staticPinEnabled: false, pairingPskEnabled: false, lastPlaybackServerId: SERVER }), "ok");
    assert.equal(flash.counters.writes, writes + 1, "a whole patch is one unit write");
    const s = store.settings;
    assert.deepEqual(
      [s.recordModePskId, s.staticPin, toHex(s.pairingPsk), s.minPinLength, s.staticDelayMs, s.unpairedAccess, s.dynamicPinEnabled, s.staticPinEnabled, s.pairingPskEnabled, s.lastPlaybackServerId],
      [shared1, "00001234", toHex(newPsk), 12, 5000, true, false, false, false, SERVER],
    );
    assert.equal(store.pairingPskId, pskId(r.crypto, newPsk));
    assert.equal(store.removeRecord(shared1), "invalid");
    assert.equal(store.removeRecord(shared0), "ok", "no longer referenced");
    assert.equal(store.updateSettings({ lastPlaybackServerId: null }), "ok");
    const again = r.mount(flash);
    assert.equal(stateKey(viewOf(again)), stateKey(viewOf(store)));
    assert.equal(again.settings.lastPlaybackServerId, null);
  });

  test("pairRecord (current revision): replaces the server's record, else a free slot, else evicts in the documented order; survives a remount", () => {
    const r = rig(SMALL, 41); // 5 slots: the record_mode shared record + 4
    const flash = r.blank();
    const store = r.mount(flash);
    const other = (i: number) => keyId(bytes(32, 40 + i));
    const first = store.pairRecord(bytes(32, 1), SERVER, () => false);
    assert.deepEqual(first, { result: "ok", replaced: null, evicted: null });
    const again = store.pairRecord(bytes(32, 2), SERVER, () => false);
    assert.deepEqual(again, { result: "ok", replaced: pskId(r.crypto, bytes(32, 1)), evicted: null }, "one record per server");
    assert.equal(store.list().filter((x) => x.serverId === SERVER).length, 1);
    for (let i = 0; i < 3; i++) assert.equal(store.pairRecord(bytes(32, 10 + i), other(i), () => false).result, "ok");
    assert.equal(store.accounting().free, 0);
    // order: never-used before used; then the least recently used in this boot; then the lowest slot
    const ids = [2, 10, 11, 12].map((v) => pskId(r.crypto, bytes(32, v)));
    store.markUsed(ids[1]);
    store.noteUse(ids[0]);
    store.noteUse(ids[2]);
    store.noteUse(ids[3]);
    store.noteUse(ids[2]);
    const e1 = store.pairRecord(bytes(32, 20), other(5), (id) => id === ids[0]);
    assert.equal(e1.result === "ok" && e1.evicted, ids[3], "unused, not in use, used longest ago among the unused");
    const e2 = store.pairRecord(bytes(32, 21), other(6), (id) => id === ids[0]);
    assert.equal(e2.result === "ok" && e2.evicted, ids[2]);
    const e3 = store.pairRecord(bytes(32, 22), other(7), (id) => id === ids[0]);
    assert.ok(e3.result === "ok" && e3.evicted !== ids[0] && e3.evicted !== store.settings.recordModePskId, "never the one in use or the record_mode record");
    assert.ok(store.findByPskId(store.settings.recordModePskId!), "record_mode's shared record stays");
    assert.equal(store.pairRecord(bytes(32, 23), other(8), () => true).result, "storage_exhausted", "every record backs a connection");
    assert.equal(store.pairRecord(bytes(32, 22), other(9), () => false).result, "already_exists");
    assert.equal(store.pairRecord(SENTINEL_PSK, other(9), () => false).result, "invalid");
    assert.equal(store.pairRecord(bytes(32, 24), "not-a-key", () => false).result, "invalid");
    assert.equal(stateKey(viewOf(r.mount(flash))), stateKey(viewOf(store)), "every change persisted");
  });

  test("findByPskId hashes nothing (ids live in RAM)", () => {
    const r = rig(DEVICE, 8);
    let hashes = 0;
    const counting: CryptoProvider = { ...r.crypto, sha256: (...parts: Uint8Array[]) => (hashes++, r.crypto.sha256(...parts)) };
    const store = Store.mount(r.blank(), { slots: 8, crypto: counting, defaults: DEFAULTS, log: () => {} });
    for (let i = 0; i < 7; i++) store.addRecord(bytes(32, i + 1), SERVER);
    const ids = store.list().map((x) => x.pskId);
    hashes = 0;
    for (let round = 0; round < 10; round++) for (const id of ids) assert.ok(store.findByPskId(id));
    assert.equal(store.findByPskId(keyId(bytes(32, 200))), undefined);
    assert.equal(hashes, 0);
  });

  test("wear: every mutation stays within the stated bound; erases spread evenly over the blocks", () => {
    for (const g of [SMALL, DEVICE, { name: "4 KiB x6, 64 slots", blockSize: 4096, blocks: 6, slots: 64 }]) {
      const r = rig(g, 9);
      const flash = r.blank();
      const store = r.mount(flash);
      const b = bound(g);
      let view = viewOf(store);
      let maxW = 0, maxE = 0;
      const n = g.slots === 64 ? 400 : 1500;
      flash.counters.reset();
      for (let i = 0; i < n; i++) {
        const m = randomMutation(r.random, view);
        const w0 = flash.counters.writes, e0 = flash.counters.erases;
        applyToStore(store, m);
        view = applyToModel(r.crypto, view, m)[1];
        maxW = Math.max(maxW, flash.counters.writes - w0);
        maxE = Math.max(maxE, flash.counters.erases - e0);
      }
      assert.ok(maxE <= b.K, `${g.name}: ${maxE} erases in one mutation > K=${b.K}`);
      assert.ok(maxW <= b.maxWrites, `${g.name}: ${maxW} writes in one mutation > ${b.maxWrites}`);
      const perMutation = flash.counters.erases / n;
      // The first generation starts half full of the format's snapshot: allow one generation of slack.
      assert.ok(flash.counters.erases <= Math.ceil(n * b.amortized) + b.G + b.K, `${g.name}: ${flash.counters.erases} erases over ${n} mutations`);
      const per = Array.from(flash.counters.blockErases);
      assert.ok(Math.max(...per) - Math.min(...per) <= 1, `${g.name}: uneven erases ${per.join(",")}`);
      assert.equal(stateKey(viewOf(r.mount(flash))), stateKey(view));
      report(`storage wear (${g.name}, ${n} random mutations): max ${maxW} writes and ${maxE} erases in one mutation (bound ${b.maxWrites} / ${b.K}); ${perMutation.toFixed(4)} erases per mutation (amortized bound ${b.amortized.toFixed(4)}); erases per block ${per.join(",")}`);
    }
  });

  test("a flash failure mid-mutation leaves the store usable: it re-reads the flash on the next call", () => {
    const r = rig(SMALL, 10);
    const flash = r.blank();
    const store = r.mount(flash);
    let view = viewOf(store);
    let cuts = 0;
    for (let i = 0; i < 60; i++) {
      const m = randomMutation(r.random, view);
      const [, next] = applyToModel(r.crypto, view, m);
      flash.armCut({ afterOps: r.random.below(3), bytes: r.random.below(128) });
      try {
        applyToStore(store, m);
        flash.disarm();
        view = next;
      } catch (e) {
        assert.ok(e instanceof PowerCut);
        cuts++;
        flash.revive();
        const got = stateKey(viewOf(store));
        assert.ok(got === stateKey(view) || got === stateKey(next), "old or new state");
        view = viewOf(store);
      }
      assert.equal(stateKey(viewOf(store)), stateKey(view));
    }
    assert.ok(cuts > 10);
  });

  test("the slot count follows the config: a table grows, shrinks when its records fit, else keeps its size", () => {
    const r = rig(DEVICE, 12);
    const flash = r.blank();
    const mountWith = (slots: number) => Store.mount(flash, { slots, crypto: r.crypto, defaults: DEFAULTS, log: (m) => r.logs.push(m) });
    const five = mountWith(5);
    assert.equal(five.addRecord(bytes(32, 1), SERVER), "ok");
    assert.equal(five.addRecord(bytes(32, 2)), "ok");
    assert.equal(five.updateSettings({ recordModePskId: pskId(r.crypto, bytes(32, 2)) }), "ok");
    const before = five.list();
    const eight = mountWith(8);
    assert.equal(eight.accounting().capacity, 8);
    assert.deepEqual(eight.list(), before);
    for (let i = 0; i < 5; i++) assert.equal(eight.addRecord(bytes(32, 10 + i)), "ok");
    assert.equal(eight.removeRecord(before[0].pskId), "ok");
    assert.equal(eight.removeRecord(before[1].pskId), "ok");
    r.logs.length = 0;
    const six = mountWith(6); // 6 records live, slots 6 and 7 among them: they move down
    assert.equal(six.accounting().capacity, 6);
    assert.equal(six.accounting().free, 0);
    assert.equal(six.settings.recordModePskId, pskId(r.crypto, bytes(32, 2)));
    assert.ok(/resized from 8 to 6/.test(r.logs.join("|")), r.logs.join("|"));
    r.logs.length = 0;
    const stillSix = mountWith(5);
    assert.equal(stillSix.accounting().capacity, 6, "6 records do not fit in 5 slots");
    assert.ok(/kept 6 slots/.test(r.logs.join("|")));
    assert.equal(stateKey(viewOf(mountWith(6))), stateKey(viewOf(six)));
  });

  test("garbage never throws: random, zeroed and foreign images are reformatted with one log line", () => {
    const r = rig(SMALL, 13);
    const rnd = new SeededRandom(14);
    const images: [string, Uint8Array][] = [
      ["zeros", new Uint8Array(5120)],
      ["random", rnd.bytes(5120)],
      ["pattern", new Uint8Array(5120).map((_, i) => (i * 37) & 255)],
    ];
    for (const [name, image] of images) {
      r.logs.length = 0;
      const store = r.mount(new MemoryFlash({ blockSize: 1024, blocks: 5, image, random: rnd }));
      assert.equal(r.logs.length, 1, name);
      assert.ok(/no valid store in 5 block\(s\) holding data: formatted/.test(r.logs[0]), r.logs[0]);
      assert.equal(store.list().length, 1);
      assert.equal(store.addRecord(bytes(32, 3)), "ok", "usable after the format");
    }
  });
});
