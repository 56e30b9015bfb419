// Management through a live session: every request and result code, storage accounting, the
// permission rules, removing one's own record, server/unpair, and the remaining goodbye reasons.

import { assert, describe, test } from "../../harness.js";
import { keyId, pskId, SENTINEL_PSK } from "../../../crypto/ids.js";
import { base64urlEncode } from "../../../modules/util/base64url.js";
import { decodePairingToken } from "../../../crypto/pairing-token.js";
import { makeRig, pairings, storeView, provisionedShared, type Rig } from "../../support/session-parts.js";
import { TestPeer } from "../../support/session-peer.js";
import type { JsonObject } from "../../../modules/protocol/json.js";

function manager(rig: Rig, shared = false): { peer: TestPeer; psk: Uint8Array } {
  const peer = new TestPeer(rig.sessions, rig.crypto);
  const psk = rig.random.bytes(32);
  rig.store.addRecord(psk, shared ? undefined : peer.serverId);
  peer.open(psk);
  peer.send("server/activate", { activities: ["management"], active_roles: [] });
  return { peer, psk };
}

function ask(peer: TestPeer, type: string, payload: JsonObject = {}): JsonObject {
  peer.send(type, payload);
  const r = peer.expect("management/result");
  assert.equal(peer.recv(), null, "exactly one management/result");
  return r;
}

const b64 = (b: Uint8Array) => base64urlEncode(b);

describe("management", () => {
  test("list-records: records with psk_id, server_id (stored-pubkey only), used; full storage accounting", () => {
    const rig = makeRig({ slots: 6 });
    const provisioned = provisionedShared(rig.store);
    const shared = rig.random.bytes(32);
    rig.store.addRecord(shared);
    const { peer, psk } = manager(rig);
    const r = ask(peer, "management/list-records");
    assert.equal(r.result, "ok");
    assert.deepEqual(r.data, {
      records: [
        { psk_id: provisioned.pskId, used: false },
        { psk_id: pskId(rig.crypto, shared), used: false },
        { psk_id: pskId(rig.crypto, psk), server_id: peer.serverId, used: true },
      ],
    });
    assert.deepEqual(r.storage, { free: 3, capacity: 6, cost_individual: 1, cost_shared: 1 });
  });

  test("add-record: ok, already_exists, invalid, storage_exhausted; storage carries free only", () => {
    const rig = makeRig({ slots: 6 });
    const { peer } = manager(rig);
    const k = rig.random.bytes(32);
    let r = ask(peer, "management/add-record", { psk: b64(k), server_id: keyId(rig.random.bytes(32)) });
    assert.deepEqual(r, { result: "ok", storage: { free: 3 } });
    assert.equal(ask(peer, "management/add-record", { psk: b64(k) }).result, "already_exists");
    for (const bad of [{}, { psk: "short" }, { psk: b64(k) + "A" }, { psk: b64(rig.random.bytes(32)), server_id: "nope" }, { psk: b64(rig.random.bytes(32)), extra: 1 }, { psk: 42 }, { psk: b64(SENTINEL_PSK) }]) {
      r = ask(peer, "management/add-record", bad as JsonObject);
      assert.equal(r.result, "invalid", JSON.stringify(bad));
      assert.deepEqual(r.storage, { free: 3 });
    }
    assert.deepEqual(ask(peer, "management/add-record", { psk: b64(rig.store.settings.pairingPsk) }), { result: "already_exists", storage: { free: 3 } }, "the pairing PSK is an existing entry");
    for (let i = 0; i < 3; i++) assert.equal(ask(peer, "management/add-record", { psk: b64(rig.random.bytes(32)) }).result, "ok");
    r = ask(peer, "management/add-record", { psk: b64(rig.random.bytes(32)) });
    assert.deepEqual(r, { result: "storage_exhausted", storage: { free: 0 } });
    const shared = rig.store.findByPskId(pskId(rig.crypto, k));
    assert.equal(shared!.serverId !== undefined, true);
    assert.equal(rig.store.list().filter((x) => x.kind === "shared_psk").length, 4);
  });

  test("remove-record: ok, not_found, invalid (record_mode reference, malformed)", () => {
    const rig = makeRig();
    const { peer } = manager(rig);
    const a = rig.random.bytes(32);
    const s = rig.random.bytes(32);
    rig.store.addRecord(a, "A".repeat(43));
    rig.store.addRecord(s);
    assert.equal(ask(peer, "management/set-pairing-config", { record_mode: { psk_id: pskId(rig.crypto, s) } }).result, "ok");
    assert.equal(ask(peer, "management/remove-record", { psk_id: pskId(rig.crypto, s) }).result, "invalid");
    assert.equal(ask(peer, "management/remove-record", { psk_id: pskId(rig.crypto, a) }).result, "ok");
    assert.equal(ask(peer, "management/remove-record", { psk_id: pskId(rig.crypto, a) }).result, "not_found");
    assert.equal(ask(peer, "management/remove-record", { psk_id: "x" }).result, "invalid");
    assert.equal(ask(peer, "management/remove-record", {}).result, "invalid");
  });

  test("removing the requester's own record answers, then closes with goodbye unauthorized", () => {
    const rig = makeRig();
    const { peer, psk } = manager(rig);
    peer.send("management/remove-record", { psk_id: pskId(rig.crypto, psk) });
    assert.equal(peer.expect("management/result").result, "ok");
    assert.equal(peer.expect("client/goodbye").reason, "unauthorized");
    assert.ok(peer.closed);
    assert.equal(pairings(rig.store).length, 0);
  });

  test("get-pairing-config: methods the device offers, lockout, record_mode, unpaired_access; no secrets", () => {
    const rig = makeRig({ config: { staticPin: false } });
    const { peer } = manager(rig);
    const r = ask(peer, "management/get-pairing-config");
    assert.deepEqual(r.data, {
      pairing_psk: { enabled: true },
      dynamic_pin: { enabled: true, min_pin_length: 6, locked_out: false },
      record_mode: { psk_id: rig.store.settings.recordModePskId },
      unpaired_access: { enabled: false },
    });
    assert.deepEqual(r.storage, { free: 3, capacity: 5, cost_individual: 1, cost_shared: 1 });
    assert.equal(ask(peer, "management/get-pairing-config", { x: 1 }).result, "invalid");
  });

  test("set-pairing-config: patch semantics, every field, validation, atomicity", () => {
    const rig = makeRig();
    const { peer } = manager(rig);
    const shared = rig.random.bytes(32);
    rig.store.addRecord(shared);
    const newPsk = rig.random.bytes(32);
    let r = ask(peer, "management/set-pairing-config", {
      pairing_psk: { enabled: false, psk: b64(newPsk) },
      static_pin: { enabled: false, pin: "87654321", locked_out: false },
      dynamic_pin: { enabled: true, min_pin_length: 8, locked_out: false },
      record_mode: { psk_id: pskId(rig.crypto, shared) },
      unpaired_access: { enabled: true },
    });
    assert.deepEqual(r, { result: "ok", storage: { free: 2 } });
    const s = rig.store.settings;
    assert.equal(s.pairingPskEnabled, false);
    assert.deepEqual(s.pairingPsk, newPsk);
    assert.equal(s.staticPinEnabled, false);
    assert.equal(s.staticPin, "87654321");
    assert.equal(s.minPinLength, 8);
    assert.equal(s.recordModePskId, pskId(rig.crypto, shared));
    assert.equal(s.unpairedAccess, true);
    const tok = rig.events.filter((e) => e.event === "pairing_token");
    assert.equal(tok.length, 1, "the rotated pairing PSK is announced as a new token");
    assert.deepEqual(decodePairingToken((tok[0] as { pairing_token: string }).pairing_token)!.pairingPsk, newPsk);
    r = ask(peer, "management/get-pairing-config");
    assert.deepEqual(r.data, {
      pairing_psk: { enabled: false },
      static_pin: { enabled: false, locked_out: false },
      dynamic_pin: { enabled: true, min_pin_length: 8, locked_out: false },
      record_mode: { psk_id: pskId(rig.crypto, shared) },
      unpaired_access: { enabled: true },
    });
    // an empty patch changes nothing
    const before = storeView(rig.store);
    assert.equal(ask(peer, "management/set-pairing-config", {}).result, "ok");
    assert.equal(ask(peer, "management/set-pairing-config", { unpaired_access: {} }).result, "ok");
    assert.equal(storeView(rig.store), before);
    const invalid: JsonObject[] = [
      { static_pin: { pin: "1234567" } },
      { static_pin: { pin: "123456789" } },
      { static_pin: { pin: "1234567a" } },
      { static_pin: { locked_out: true } },
      { dynamic_pin: { min_pin_length: 3 } },
      { dynamic_pin: { min_pin_length: 13 } },
      { dynamic_pin: { min_pin_length: 6.5 } },
      { dynamic_pin: { enabled: "yes" } },
      { pairing_psk: { psk: "short" } },
      { pairing_psk: { psk: b64(SENTINEL_PSK) } },
      { pairing_psk: null },
      { record_mode: { psk_id: pairings(rig.store)[0].pskId } },
      { record_mode: { psk_id: b64(rig.random.bytes(32)) } },
      { record_mode: {} },
      { unpaired_access: { enabled: 1 } },
      { unknown: {} },
      { dynamic_pin: { min_pin_length: 7, bogus: true } },
      { unpaired_access: { enabled: false }, static_pin: { pin: "12" } },
    ];
    for (const p of invalid) assert.equal(ask(peer, "management/set-pairing-config", p).result, "invalid", JSON.stringify(p));
    assert.equal(storeView(rig.store), before, "a rejected request writes nothing, not even its valid parts");
    assert.equal(ask(peer, "management/set-pairing-config", { pairing_psk: { psk: b64(shared) } }).result, "already_exists");
  });

  test("set-pairing-config fields of a method the device does not offer are invalid", () => {
    const rig = makeRig({ config: { staticPin: false, dynamicPin: false } });
    const { peer } = manager(rig);
    assert.equal(ask(peer, "management/set-pairing-config", { static_pin: { enabled: true } }).result, "invalid");
    assert.equal(ask(peer, "management/set-pairing-config", { dynamic_pin: {} }).result, "invalid");
    const d = ask(peer, "management/get-pairing-config").data as JsonObject;
    assert.equal(d.static_pin, undefined);
    assert.equal(d.dynamic_pin, undefined);
  });

  test("unknown management request: invalid; outside a management activity: permission_denied without storage", () => {
    const rig = makeRig();
    const { peer } = manager(rig);
    assert.deepEqual(ask(peer, "management/reboot"), { result: "invalid", storage: { free: 3 } });
    peer.send("server/activate", { activities: ["playback"], active_roles: [] });
    assert.deepEqual(ask(peer, "management/list-records"), { result: "permission_denied" });
    const s = new TestPeer(rig.sessions, rig.crypto);
    peer.close();
    s.open(SENTINEL_PSK);
    s.send("server/activate", { activities: [], active_roles: [] });
    assert.deepEqual(ask(s, "management/set-pairing-config", { unpaired_access: { enabled: true } }), { result: "permission_denied" });
    assert.equal(rig.store.settings.unpairedAccess, false);
  });

  test("declaring management without a long-term PSK: goodbye unauthorized", () => {
    const rig = makeRig();
    for (const psk of [SENTINEL_PSK, rig.store.settings.pairingPsk]) {
      const p = new TestPeer(rig.sessions, rig.crypto);
      p.open(psk);
      p.send("server/activate", { activities: ["management"], active_roles: [] });
      assert.equal(p.expect("client/goodbye").reason, "unauthorized");
      assert.ok(p.closed);
    }
  });

  test("a shared-PSK session may manage too", () => {
    const rig = makeRig();
    const { peer } = manager(rig, true);
    assert.equal(ask(peer, "management/list-records").result, "ok");
  });

  test("lockout clear from management emits the lockout event", () => {
    const rig = makeRig();
    for (let i = 0; i < 10; i++) rig.sessions.lockout.recordFailure("dynamic_pin");
    const { peer } = manager(rig);
    assert.deepEqual((ask(peer, "management/get-pairing-config").data as JsonObject).dynamic_pin, { enabled: true, min_pin_length: 6, locked_out: true });
    assert.equal(ask(peer, "management/set-pairing-config", { dynamic_pin: { locked_out: false } }).result, "ok");
    assert.deepEqual(rig.events.filter((e) => e.event === "lockout").map((e) => (e as { locked_out: boolean }).locked_out), [true, false]);
  });
});

describe("server/unpair and goodbye reasons", () => {
  test("stored-pubkey: record removed, goodbye unpaired, closed", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const psk = rig.random.bytes(32);
    rig.store.addRecord(psk, peer.serverId);
    peer.open(psk);
    peer.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    peer.send("server/unpair", {});
    assert.equal(peer.expect("client/goodbye").reason, "unpaired");
    assert.ok(peer.closed);
    assert.equal(pairings(rig.store).length, 0);
    assert.ok(!rig.player.active);
  });

  test("shared-PSK: the record stays; goodbye unpaired", () => {
    const rig = makeRig();
    const { peer } = manager(rig, true);
    peer.send("server/unpair", {});
    assert.equal(peer.expect("client/goodbye").reason, "unpaired");
    assert.equal(rig.store.list().length, 2, "the provisioned and the session's shared records stay");
  });

  test("trust none (Sentinel, pairing PSK): ignored, the session continues", () => {
    const rig = makeRig();
    const p = new TestPeer(rig.sessions, rig.crypto);
    p.open(SENTINEL_PSK);
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    p.expect("client/pair-init");
    p.send("server/unpair", {});
    assert.equal(p.recv(), null);
    assert.ok(!p.closed);
    const q = new TestPeer(rig.sessions, rig.crypto);
    p.close();
    q.open(rig.store.settings.pairingPsk);
    q.send("server/unpair", {});
    assert.equal(q.recv(), null);
    assert.ok(!q.closed);
  });

  test("unpair before the first activation is honoured (user trust)", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const psk = rig.random.bytes(32);
    rig.store.addRecord(psk, peer.serverId);
    peer.open(psk);
    peer.send("server/unpair", {});
    assert.equal(peer.expect("client/goodbye").reason, "unpaired");
  });

  test("speaker stop: goodbye shutdown / restart to activated connections, silent close for the others", () => {
    for (const reason of ["shutdown", "restart"] as const) {
      const rig = makeRig();
      const a = new TestPeer(rig.sessions, rig.crypto);
      a.open(SENTINEL_PSK);
      a.send("server/activate", { activities: [], active_roles: [] });
      const b = new TestPeer(rig.sessions, rig.crypto);
      b.open(SENTINEL_PSK);
      const c = new TestPeer(rig.sessions, rig.crypto).connect();
      rig.sessions.stop(reason);
      assert.equal(a.expect("client/goodbye").reason, reason);
      assert.ok(a.closed && b.closed && c.closed);
      assert.equal(b.recv(), null);
      assert.equal(rig.clock.pendingTimers(), 0);
      assert.equal(rig.sessions.openConnections, 0);
      const late = new TestPeer(rig.sessions, rig.crypto);
      rig.sessions.accept(late.sock);
      assert.ok(late.closed, "a stopped speaker accepts nothing");
    }
  });

  test("re-handshake: key rotation on a long-term session, unknown psk_id closes, old keys no longer accepted", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const psk = rig.random.bytes(32);
    rig.store.addRecord(psk, peer.serverId);
    peer.open(psk);
    peer.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(peer.rehandshake(psk));
    assert.ok(!rig.player.active, "quiesced until the next activation");
    assert.equal(peer.hello().trust_level, "user");
    peer.send("server/activate", { activities: ["playback"] });
    assert.ok(rig.player.active, "active_roles persisted across the re-handshake");
    assert.ok(!peer.rehandshake(rig.random.bytes(32)));
    assert.ok(peer.closed);
  });

  test("after a re-handshake, hello and activation must come within 30 s", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const psk = rig.random.bytes(32);
    rig.store.addRecord(psk, peer.serverId);
    peer.open(psk);
    peer.send("server/activate", { activities: [], active_roles: [] });
    assert.ok(peer.rehandshake(psk));
    rig.clock.advanceMs(30_000);
    assert.ok(peer.closed);
  });

  test("a stored-pubkey record bound to another server cannot be reached by re-handshake", () => {
    const rig = makeRig();
    const other = rig.random.bytes(32);
    rig.store.addRecord(other, "B".repeat(43));
    const p = new TestPeer(rig.sessions, rig.crypto);
    p.open(SENTINEL_PSK);
    assert.ok(!p.rehandshake(other));
    assert.ok(p.closed);
  });
});
