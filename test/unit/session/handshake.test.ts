// The connection state machine up to client/hello: client/init, server/init validation, psk_id look-up
// over every PSK category, prologue binding, silent closes and the handshake deadlines.

import { assert, describe, test } from "../../harness.js";
import { SENTINEL_PSK, pskId } from "../../../crypto/ids.js";
import { encodeJson } from "../../../modules/protocol/json.js";
import { utf8Decode, utf8Encode } from "../../../modules/util/utf8.js";
import { InitiatorHandshake } from "../../../modules/channel/handshake.js";
import { concatBytes } from "../../../modules/util/bytes.js";
import { makeRig } from "../../support/session-parts.js";
import { TestPeer } from "../../support/session-peer.js";

function psk(rig: ReturnType<typeof makeRig>): Uint8Array {
  return rig.random.bytes(32);
}

describe("session handshake", () => {
  test("client/init carries client_id, version 1 and the provider's first suite", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto).connect();
    const init = JSON.parse(utf8Decode(peer.clientInit!)!);
    assert.deepEqual(Object.keys(init), ["type", "payload"]);
    assert.equal(init.type, "client/init");
    assert.equal(init.payload.client_id, rig.sessions.clientId);
    assert.equal(init.payload.version, 1);
    assert.equal(init.payload.suite, rig.crypto.suites[0]);
  });

  test("Sentinel handshake: client/hello with trust none, descriptors, unpaired_access and the player support", () => {
    const rig = makeRig();
    const hello = new TestPeer(rig.sessions, rig.crypto).open(SENTINEL_PSK);
    assert.equal(hello.trust_level, "none");
    assert.equal(hello.name, rig.config.name);
    assert.deepEqual(hello.device_info, { product_name: rig.config.productName, manufacturer: rig.config.manufacturer, software_version: rig.config.softwareVersion });
    assert.deepEqual(hello.supported_roles, ["player@v1"]);
    assert.deepEqual(hello["player@v1_support"], rig.player.supportObject());
    assert.deepEqual(hello.supported_pair_methods, [
      { method: "pairing_psk" },
      { method: "static_pin", locked_out: false },
      { method: "dynamic_pin", out_channels: ["speaker"], min_pin_length: 6, locked_out: false },
    ]);
    assert.deepEqual(hello.unpaired_access, { enabled: false });
  });

  test("descriptors follow the device's methods and the enabled settings", () => {
    const rig = makeRig({ config: { staticPin: false }, settings: { pairingPskEnabled: false, minPinLength: 8 } });
    const hello = new TestPeer(rig.sessions, rig.crypto).open(SENTINEL_PSK);
    assert.deepEqual(hello.supported_pair_methods, [{ method: "dynamic_pin", out_channels: ["speaker"], min_pin_length: 8, locked_out: false }]);
    const rig2 = makeRig({ player: false, settings: { dynamicPinEnabled: false, unpairedAccess: true } });
    const h2 = new TestPeer(rig2.sessions, rig2.crypto).open(SENTINEL_PSK);
    assert.deepEqual(h2.supported_roles, []);
    assert.equal(h2["player@v1_support"], undefined);
    assert.deepEqual(h2.supported_pair_methods, [{ method: "pairing_psk" }, { method: "static_pin", locked_out: false }]);
    assert.deepEqual(h2.unpaired_access, { enabled: true });
  });

  test("stored-pubkey record: trust user when server_id matches, handshake fails silently otherwise", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const k = psk(rig);
    rig.store.addRecord(k, peer.serverId);
    assert.equal(peer.open(k).trust_level, "user");
    const other = new TestPeer(rig.sessions, rig.crypto).connect();
    assert.equal(other.handshake(k), false);
    assert.ok(other.closed);
    assert.equal(other.sock.outbox.length, 0, "no message on a handshake failure");
  });

  test("shared-PSK record: any server_id is accepted at face value", () => {
    const rig = makeRig();
    const k = psk(rig);
    rig.store.addRecord(k);
    assert.equal(new TestPeer(rig.sessions, rig.crypto).open(k).trust_level, "user");
    assert.equal(new TestPeer(rig.sessions, rig.crypto).open(k).trust_level, "user");
  });

  test("the record's used flag is set by the first authenticated transport message, once", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const k = psk(rig);
    rig.store.addRecord(k, peer.serverId);
    const id = pskId(rig.crypto, k);
    peer.connect();
    assert.ok(peer.handshake(k));
    assert.equal(rig.store.findByPskId(id)!.used, false, "message 2 alone proves nothing about the server");
    peer.hello();
    assert.equal(rig.store.findByPskId(id)!.used, true);
    const writes = rig.flash.mutations;
    new TestPeer(rig.sessions, rig.crypto, peer.identity).open(k);
    assert.equal(rig.flash.mutations, writes, "no flash write once used");
  });

  test("pairing PSK matches only while pairing_psk is enabled", () => {
    const rig = makeRig();
    assert.equal(new TestPeer(rig.sessions, rig.crypto).open(rig.store.settings.pairingPsk).trust_level, "none");
    rig.store.updateSettings({ pairingPskEnabled: false });
    const p = new TestPeer(rig.sessions, rig.crypto).connect();
    assert.equal(p.handshake(rig.store.settings.pairingPsk), false);
  });

  test("unknown psk_id: closed with no message", () => {
    const rig = makeRig();
    const p = new TestPeer(rig.sessions, rig.crypto).connect();
    assert.equal(p.handshake(psk(rig)), false);
    assert.ok(p.closed);
    assert.equal(p.sock.outbox.length, 0);
  });

  test("malformed or unsupported server/init closes silently", () => {
    const rig = makeRig();
    const bad = [
      "not json",
      JSON.stringify({ type: "server/init", payload: { server_id: "x", version: 1 } }),
      JSON.stringify({ type: "server/init", payload: { version: 1 } }),
      JSON.stringify({ type: "server/init" }),
      JSON.stringify({ type: "server/hello", payload: { name: "a" } }),
    ];
    const peer0 = new TestPeer(rig.sessions, rig.crypto);
    bad.push(JSON.stringify({ type: "server/init", payload: { server_id: peer0.serverId, version: 2 } }));
    bad.push(JSON.stringify({ type: "server/init", payload: { server_id: peer0.serverId, version: "1" } }));
    bad.push(JSON.stringify({ type: "server/init", payload: { server_id: peer0.serverId + "=", version: 1 } }));
    for (const b of bad) {
      const p = new TestPeer(rig.sessions, rig.crypto).connect();
      p.sock.deliverText(utf8Encode(b));
      assert.ok(p.closed, b);
      assert.equal(p.sock.outbox.length, 0);
    }
    const p = new TestPeer(rig.sessions, rig.crypto).connect();
    p.sock.deliverBinary(new Uint8Array(40));
    assert.ok(p.closed, "binary frame during the cleartext phase");
    assert.equal(rig.sessions.internalErrors, 0);
  });

  test("extra fields in server/init are ignored", () => {
    const rig = makeRig();
    const p = new TestPeer(rig.sessions, rig.crypto).connect();
    const init = encodeJson({ type: "server/init", payload: { server_id: p.serverId, version: 1, extra: [1, 2] }, also: true });
    assert.ok(p.handshake(SENTINEL_PSK, init));
  });

  test("the prologue binds the exact server/init bytes", () => {
    const rig = makeRig();
    const p = new TestPeer(rig.sessions, rig.crypto).connect();
    // the speaker sees one spelling, the server's handshake binds another: message 1 cannot authenticate
    const seen = utf8Encode(`{"type":"server/init","payload":{"server_id":"${p.serverId}","version":1}}`);
    const bound = utf8Encode(`{"payload":{"version":1,"server_id":"${p.serverId}"},"type":"server/init"}`);
    p.sock.deliverText(seen);
    assert.equal(tamperedHandshake(p, rig, seen, bound), false);
    assert.ok(p.closed);
  });

  test("timeouts: 5 s (authTimeoutMs) for server/init and noise message 1 together, 30 s for the provisional first activation", () => {
    const rig = makeRig();
    const a = new TestPeer(rig.sessions, rig.crypto).connect();
    rig.clock.advanceMs(4_999);
    assert.ok(!a.closed);
    rig.clock.advanceMs(1);
    assert.ok(a.closed, "no server/init");
    const b = new TestPeer(rig.sessions, rig.crypto).connect();
    rig.clock.advanceMs(4_000);
    b.sock.deliverText(b.serverInitBytes());
    assert.ok(!b.closed);
    rig.clock.advanceMs(1_000);
    assert.ok(b.closed, "server/init does not restart the deadline: no message 1 within 5 s of the upgrade");
    const c = new TestPeer(rig.sessions, rig.crypto);
    c.open(SENTINEL_PSK);
    rig.clock.advanceMs(29_000);
    assert.ok(!c.closed);
    rig.clock.advanceMs(1_000);
    assert.ok(c.closed, "provisional: no server/activate in 30 s");
    assert.equal(c.recv(), null, "dropped without a message");
    assert.equal(rig.clock.pendingTimers(), 0);
    assert.equal(rig.sessions.openConnections, 0);
  });

  test("nothing is sent before the first server/activate", () => {
    const rig = makeRig();
    const k = psk(rig);
    const p = new TestPeer(rig.sessions, rig.crypto);
    rig.store.addRecord(k, p.serverId);
    p.open(k);
    p.send("management/list-records", {});
    p.send("server/time", { client_transmitted: 1, server_received: 2, server_transmitted: 3 });
    p.send("server/pair-auth", { pake_msg_1: "x" });
    p.send("server/hello", { name: "again" });
    assert.equal(p.recv(), null);
    assert.ok(!p.closed);
    p.send("server/activate", { activities: ["management"], active_roles: [] });
    p.send("management/list-records", {});
    assert.equal(p.expect("management/result").result, "ok");
  });

  test("transport: a message other than server/hello first, a text frame, or a malformed envelope closes silently", () => {
    const rig = makeRig();
    const a = new TestPeer(rig.sessions, rig.crypto);
    a.connect();
    a.handshake(SENTINEL_PSK);
    a.send("server/activate", { activities: [], active_roles: [] });
    assert.ok(a.closed);
    const b = new TestPeer(rig.sessions, rig.crypto);
    b.open(SENTINEL_PSK);
    b.sock.deliverText(utf8Encode("{}"));
    assert.ok(b.closed);
    const c = new TestPeer(rig.sessions, rig.crypto);
    c.open(SENTINEL_PSK);
    c.sendBytes(0, utf8Encode("[1,2,3]"));
    assert.ok(c.closed);
    assert.equal(c.recv(), null);
  });
});

/** Deliver message 1 built over a prologue with `bound` instead of the `seen` server/init bytes. */
function tamperedHandshake(p: TestPeer, rig: ReturnType<typeof makeRig>, _seen: Uint8Array, bound: Uint8Array): boolean {
  const hs = new InitiatorHandshake({ crypto: rig.crypto, suite: p.suite, s: p.identity, rs: p.clientKey!, psk: SENTINEL_PSK, prologue: concatBytes(p.clientInit!, bound) });
  p.sock.deliverText(encodeJson(hs.message1()));
  return !p.closed;
}

describe("session admission (pre-authentication work and trust)", () => {
  function psk(rig: ReturnType<typeof makeRig>): Uint8Array {
    const k = new Uint8Array(32);
    rig.random.fill(k);
    return k;
  }

  test("the socket is trusted once a real key is proven or the connection is admitted; never for the bare Sentinel", () => {
    const rig = makeRig();
    const keyed = new TestPeer(rig.sessions, rig.crypto);
    const k = psk(rig);
    rig.store.addRecord(k, keyed.serverId);
    keyed.connect();
    assert.ok(!keyed.sock.trusted, "nothing proven at the upgrade");
    assert.ok(keyed.handshake(k));
    assert.ok(keyed.sock.trusted, "a long-term key proven in message 1");
    const anon = new TestPeer(rig.sessions, rig.crypto);
    anon.open(SENTINEL_PSK);
    assert.ok(!anon.sock.trusted, "the Sentinel PSK is public: provisional Sentinel connections stay droppable");
    anon.send("server/activate", { activities: [], active_roles: [] });
    assert.ok(!anon.closed);
    assert.ok(anon.sock.trusted, "admitted");
  });

  test("while a server plays, a spent budget closes a peer with no key silently, before any Noise work", () => {
    const rig = makeRig();
    const keyed = new TestPeer(rig.sessions, rig.crypto);
    const k = psk(rig);
    rig.store.addRecord(k, keyed.serverId);
    keyed.open(k);
    // another host's flood has spent the global budget (2 s of work against a 0.2 s burst)
    assert.ok(rig.sessions.preAuthBudget.run("10.9.9.9", () => rig.clock.advanceMs(2_000)));
    const idle = new TestPeer(rig.sessions, rig.crypto).connect();
    assert.ok(idle.handshake(SENTINEL_PSK), "no server holds the player role: nothing to protect, no ration");
    idle.close();
    keyed.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.equal(rig.sessions.admitted?.serverId, keyed.serverId);
    const late = new TestPeer(rig.sessions, rig.crypto).connect();
    assert.equal(late.handshake(SENTINEL_PSK), false);
    assert.ok(late.closed);
    assert.equal(late.sock.outbox.length, 0, "no message 2, no application message");
    assert.ok(rig.sessions.preAuthBudget.stats.refused >= 1);
    keyed.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(!keyed.closed, "the keyed connection's messages are not rationed");
    // 10 % of wall time, counted from the start of that work, repays the 1.8 s debt in 18 s; then a newcomer gets in
    rig.clock.advanceMs(15_500);
    const early = new TestPeer(rig.sessions, rig.crypto).connect();
    assert.equal(early.handshake(SENTINEL_PSK), false, "still in debt");
    rig.clock.advanceMs(1_000);
    const again = new TestPeer(rig.sessions, rig.crypto).connect();
    assert.ok(again.handshake(SENTINEL_PSK));
  });
});
