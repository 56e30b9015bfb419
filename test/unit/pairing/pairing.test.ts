// Pairing through live sessions: the Pairing PSK flow, static PIN with its window, dynamic PIN with its
// commitment, CPace confirmation both ways, record_mode, every pair/abort reason, the button, timeouts,
// and the re-handshake that promotes the session to `user`.

import { assert, describe, test } from "../../harness.js";
import { keyId, pskId, SENTINEL_PSK } from "../../../crypto/ids.js";
import { commitB, derivePin } from "../../../crypto/pin.js";
import { base64urlDecode, base64urlEncode } from "../../../modules/util/base64url.js";
import { bytesEqual } from "../../../modules/util/bytes.js";
import { makeRig, pairings, storeView, withoutRecordMode, type Rig } from "../../support/session-parts.js";
import { TestPeer, type Message } from "../../support/session-peer.js";
import { pinRound } from "../../support/pairing-peer.js";

function pairingPeer(rig: Rig, method: string, psk = SENTINEL_PSK): TestPeer {
  const p = new TestPeer(rig.sessions, rig.crypto);
  p.open(method === "pairing_psk" ? rig.store.settings.pairingPsk : psk);
  p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: method });
  return p;
}

/** Dynamic PIN up to the PIN: returns the PIN the speaker conveyed and the nonces. */
function dynamicToPin(rig: Rig, p: TestPeer, pinLength = 6) {
  const init = p.expect("client/pair-init");
  const commit = base64urlDecode(init.commit_B, 32)!;
  const nonceA = rig.random.bytes(32);
  p.send("server/pair-init", { nonce_A: base64urlEncode(nonceA), pin_length: pinLength });
  return { commit, nonceA, pin: rig.out.pins[rig.out.pins.length - 1] };
}

function finalize(rig: Rig, p: TestPeer, replies: Message[]): Uint8Array {
  const fin = replies.find((m) => m.type === "client/pair-finalize");
  assert.ok(fin, "client/pair-finalize follows client/pair-confirm");
  const ltk = base64urlDecode(fin.payload.long_term_psk, 32)!;
  assert.equal(pairings(rig.store).length, 0, "nothing persisted before server/pair-finalize");
  p.send("server/pair-finalize", {});
  return ltk;
}

describe("pairing PSK flow", () => {
  test("client/pair-finalize right after the activation; persist after server/pair-finalize; re-handshake promotes to user", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "pairing_psk");
    const fin = p.expect("client/pair-finalize");
    const ltk = base64urlDecode(fin.long_term_psk, 32)!;
    assert.ok(ltk);
    assert.equal(pairings(rig.store).length, 0);
    p.send("server/pair-finalize", {});
    const rec = rig.store.findByPskId(pskId(rig.crypto, ltk))!;
    assert.equal(rec.kind, "stored_pubkey");
    assert.equal(rec.serverId, p.serverId);
    assert.equal(rec.used, false);
    assert.ok(rig.events.some((e) => e.event === "paired" && e.server_id === p.serverId));
    assert.ok(rig.indicator.cues.indexOf("paired") >= 0);
    assert.ok(p.rehandshake(ltk));
    assert.equal(p.hello().trust_level, "user");
    assert.ok(rig.store.findByPskId(rec.pskId)!.used);
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(!p.closed);
    assert.ok(rig.player.active);
  });

  test("server/activate in place of server/pair-finalize persists nothing", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "pairing_psk");
    const first = p.expect("client/pair-finalize").long_term_psk;
    // on the pairing PSK only ['pairing'] is allowed: a new activation restarts the attempt
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" });
    const second = p.expect("client/pair-finalize").long_term_psk;
    assert.notEqual(first, second);
    assert.equal(pairings(rig.store).length, 0);
    // after a PIN round on the Sentinel, leaving pairing instead of finalizing
    p.close();
    const q = pairingPeer(rig, "dynamic_pin");
    const { pin } = dynamicToPin(rig, q);
    const r = pinRound(q, rig.crypto, pin);
    assert.ok(r.replies.some((m) => m.type === "client/pair-finalize"));
    q.send("server/activate", { activities: [], active_roles: [] });
    assert.equal(pairings(rig.store).length, 0);
    assert.ok(!q.closed);
    q.send("server/pair-finalize", {});
    assert.ok(q.closed, "a late server/pair-finalize is a protocol violation");
    assert.equal(pairings(rig.store).length, 0);
  });

  test("table full: the record_mode shared-PSK record's PSK is delivered; without one, storage_exhausted", () => {
    const rig = makeRig({ slots: 5 });
    const shared = rig.store.findByPskId(rig.store.settings.recordModePskId!)!.psk;
    for (let i = 0; i < 4; i++) assert.equal(rig.store.addRecord(rig.random.bytes(32), keyId(rig.random.bytes(32))), "ok");
    assert.equal(rig.store.accounting().free, 0);
    const q = pairingPeer(rig, "pairing_psk");
    const ltk = base64urlDecode(q.expect("client/pair-finalize").long_term_psk, 32)!;
    assert.ok(bytesEqual(ltk, shared), "the shared-PSK record becomes this server's long-term PSK");
    const before = storeView(rig.store);
    q.send("server/pair-finalize", {});
    assert.equal(storeView(rig.store), before, "the shared record already exists: nothing new is written");
    assert.ok(q.rehandshake(ltk));
    assert.equal(q.hello().trust_level, "user");
    q.close();
    // no fallback (the Store only loses its record_mode to flash damage)
    const bare = makeRig({ slots: 5, view: withoutRecordMode });
    for (let i = 0; i < 4; i++) bare.store.addRecord(bare.random.bytes(32), keyId(bare.random.bytes(32)));
    const p = pairingPeer(bare, "pairing_psk");
    assert.equal(p.expect("pair/abort").reason, "storage_exhausted");
    assert.ok(p.closed);
    const d = pairingPeer(bare, "dynamic_pin");
    assert.equal(d.expect("pair/abort").reason, "storage_exhausted", "checked before any PIN is shown");
    assert.equal(bare.out.pins.length, 0);
  });

  test("a Sentinel connection re-handshakes to the pairing PSK first, then pairs", () => {
    const rig = makeRig();
    const p = new TestPeer(rig.sessions, rig.crypto);
    p.open(SENTINEL_PSK);
    p.send("server/activate", { activities: [], active_roles: [] });
    assert.ok(p.rehandshake(rig.store.settings.pairingPsk));
    assert.equal(p.hello().trust_level, "none");
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" });
    const ltk = base64urlDecode(p.expect("client/pair-finalize").long_term_psk, 32)!;
    p.send("server/pair-finalize", {});
    assert.ok(p.rehandshake(ltk));
    assert.equal(p.hello().trust_level, "user");
    p.send("server/activate", { activities: ["management"], active_roles: [] });
    assert.ok(!p.closed);
  });

  test("the 2-minute attempt timeout also bounds the wait for server/pair-finalize", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "pairing_psk");
    p.expect("client/pair-finalize");
    rig.clock.advanceMs(120_000);
    assert.equal(p.expect("pair/abort").reason, "attempt_timeout");
    assert.ok(p.closed);
  });
});

describe("static PIN flow", () => {
  test("waits for the window; a short press opens it and sends client/pair-init; correct PIN pairs", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "static_pin");
    assert.equal(p.recv(), null, "no client/pair-init before the window opens");
    rig.sessions.onButton("short");
    assert.deepEqual(rig.events.filter((e) => e.event === "pairing_window"), [{ event: "pairing_window", open: true }]);
    assert.deepEqual(p.expect("client/pair-init"), {});
    const r = pinRound(p, rig.crypto, rig.store.settings.staticPin);
    assert.deepEqual(r.replies.map((m) => m.type), ["client/pair-confirm", "client/pair-finalize"]);
    assert.ok(r.clientTagOk);
    assert.equal(r.replies[0].payload.nonce_B, undefined);
    const ltk = finalize(rig, p, r.replies);
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, ltk)));
    assert.deepEqual(rig.events.filter((e) => e.event === "pairing_window").map((e) => (e as { open: boolean }).open), [true, false]);
    assert.ok(p.rehandshake(ltk));
    assert.equal(p.hello().trust_level, "user");
  });

  test("a window opened first is used by the next static-PIN activation; it expires after 5 minutes otherwise", () => {
    const rig = makeRig();
    rig.sessions.onButton("short");
    const p = pairingPeer(rig, "static_pin");
    p.expect("client/pair-init");
    p.close();
    assert.equal(rig.sessions.window.state, "closed", "connection drop closes the window");
    rig.sessions.onButton("short");
    rig.clock.advanceMs(5 * 60_000);
    assert.equal(rig.sessions.window.state, "closed");
    const q = pairingPeer(rig, "static_pin");
    assert.equal(q.recv(), null, "expired window: waiting for a fresh gesture");
  });

  test("nobody opens the window: the wait is bounded by the window lifetime (attempt_timeout), the slot is freed", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "static_pin");
    rig.clock.advanceMs(5 * 60_000 - 1);
    assert.equal(p.recv(), null, "still waiting just before the bound");
    assert.ok(!p.closed);
    rig.clock.advanceMs(1);
    assert.equal(p.expect("pair/abort").reason, "attempt_timeout");
    assert.ok(p.closed);
    assert.equal(rig.sessions.lockout.failureCount("static_pin"), 0, "no PIN was tested");
  });

  test("a gesture during the wait starts the 2-minute attempt timeout instead", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "static_pin");
    rig.clock.advanceMs(4 * 60_000);
    rig.sessions.onButton("short");
    p.expect("client/pair-init");
    rig.clock.advanceMs(2 * 60_000 - 1);
    assert.ok(!p.closed, "the window-lifetime bound no longer applies");
    rig.clock.advanceMs(1);
    assert.equal(p.expect("pair/abort").reason, "attempt_timeout");
  });

  test("wrong PIN: pair/abort pin_mismatch, window closed, one lockout failure; the next attempt needs a new gesture", () => {
    const rig = makeRig();
    rig.sessions.onButton("short");
    const p = pairingPeer(rig, "static_pin");
    p.expect("client/pair-init");
    const r = pinRound(p, rig.crypto, "00000000");
    assert.deepEqual(r.replies.map((m) => `${m.type}:${m.payload.reason}`), ["pair/abort:pin_mismatch"]);
    assert.ok(p.closed);
    assert.equal(rig.sessions.lockout.failureCount("static_pin"), 1);
    assert.equal(rig.sessions.window.state, "closed");
    assert.equal(pairings(rig.store).length, 0);
    const q = pairingPeer(rig, "static_pin");
    assert.equal(q.recv(), null);
  });

  test("ten failures lock the method out: descriptor, get-pairing-config, refusal; management unlock", () => {
    const rig = makeRig();
    for (let i = 0; i < 10; i++) {
      rig.sessions.onButton("short");
      const p = pairingPeer(rig, "static_pin");
      p.expect("client/pair-init");
      pinRound(p, rig.crypto, "99999999");
    }
    assert.ok(rig.sessions.lockout.isLockedOut("static_pin"));
    assert.deepEqual(rig.events.filter((e) => e.event === "lockout"), [{ event: "lockout", method: "static_pin", locked_out: true }]);
    rig.sessions.onButton("short");
    assert.equal(rig.sessions.window.state, "closed", "no window while locked out");
    const p = new TestPeer(rig.sessions, rig.crypto);
    const hello = p.open(SENTINEL_PSK);
    assert.deepEqual((hello.supported_pair_methods as unknown[])[1], { method: "static_pin", locked_out: true });
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "static_pin" });
    assert.equal(p.expect("pair/abort").reason, "locked_out");
    assert.ok(p.closed);
    assert.ok(rig.indicator.cues.indexOf("refused") >= 0);
    assert.ok(!rig.sessions.lockout.isLockedOut("dynamic_pin"), "dynamic_pin is independent");
    const m = new TestPeer(rig.sessions, rig.crypto);
    const k = rig.random.bytes(32);
    rig.store.addRecord(k, m.serverId);
    m.open(k);
    m.send("server/activate", { activities: ["management"], active_roles: [] });
    m.send("management/get-pairing-config", {});
    assert.deepEqual((m.expect("management/result").data as Record<string, unknown>).static_pin, { enabled: true, locked_out: true });
    m.send("management/set-pairing-config", { static_pin: { locked_out: false } });
    assert.equal(m.expect("management/result").result, "ok");
    assert.ok(!rig.sessions.lockout.isLockedOut("static_pin"));
    assert.equal(rig.sessions.lockout.failureCount("static_pin"), 0);
    assert.equal(rig.events.filter((e) => e.event === "lockout").length, 2);
  });

  test("success resets the failure counter", () => {
    const rig = makeRig();
    for (const pin of ["11111111", rig.store.settings.staticPin]) {
      rig.sessions.onButton("short");
      const p = pairingPeer(rig, "static_pin");
      p.expect("client/pair-init");
      pinRound(p, rig.crypto, pin);
      p.close();
    }
    assert.equal(rig.sessions.lockout.failureCount("static_pin"), 0);
  });

  test("long press cancels (user_cancelled); attempt timeout after client/pair-init (attempt_timeout)", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "static_pin");
    rig.sessions.onButton("long");
    assert.equal(p.expect("pair/abort").reason, "user_cancelled");
    assert.ok(p.closed);
    rig.sessions.onButton("short");
    const q = pairingPeer(rig, "static_pin");
    q.expect("client/pair-init");
    rig.clock.advanceMs(119_000);
    assert.ok(!q.closed);
    rig.clock.advanceMs(1_000);
    assert.equal(q.expect("pair/abort").reason, "attempt_timeout");
    assert.equal(rig.sessions.window.state, "closed");
    assert.equal(rig.sessions.lockout.failureCount("static_pin"), 0);
  });

  test("long press with an unused window closes it; with no pairing it disconnects the server (user_request)", () => {
    const rig = makeRig();
    rig.sessions.onButton("short");
    rig.sessions.onButton("long");
    assert.equal(rig.sessions.window.state, "closed");
    const p = new TestPeer(rig.sessions, rig.crypto);
    p.open(SENTINEL_PSK);
    p.send("server/activate", { activities: [], active_roles: [] });
    rig.sessions.onButton("long");
    assert.equal(p.expect("client/goodbye").reason, "user_request");
  });

  test("low-order or malformed pake_msg_1: pin_mismatch without a lockout failure", () => {
    const rig = makeRig();
    const one = new Uint8Array(32);
    one[0] = 1;
    for (const ya of [new Uint8Array(32), one]) {
      rig.sessions.onButton("short");
      const p = pairingPeer(rig, "static_pin");
      p.expect("client/pair-init");
      p.send("server/pair-auth", { pake_msg_1: base64urlEncode(ya) });
      assert.equal(p.expect("pair/abort").reason, "pin_mismatch");
    }
    rig.sessions.onButton("short");
    const p = pairingPeer(rig, "static_pin");
    p.expect("client/pair-init");
    p.send("server/pair-auth", { pake_msg_1: "short" });
    assert.equal(p.expect("pair/abort").reason, "pin_mismatch");
    assert.equal(rig.sessions.lockout.failureCount("static_pin"), 0);
  });

  test("pairing messages out of order close silently", () => {
    const rig = makeRig();
    rig.sessions.onButton("short");
    const p = pairingPeer(rig, "static_pin");
    p.expect("client/pair-init");
    p.send("server/pair-confirm", { server_kc: base64urlEncode(new Uint8Array(64)) });
    assert.ok(p.closed);
    assert.equal(p.recv(), null);
    const q = new TestPeer(rig.sessions, rig.crypto);
    q.open(SENTINEL_PSK);
    q.send("server/activate", { activities: [], active_roles: [] });
    q.send("server/pair-auth", { pake_msg_1: base64urlEncode(new Uint8Array(32)) });
    assert.ok(q.closed, "pairing message with no attempt in progress");
  });
});

describe("dynamic PIN flow", () => {
  test("commit_B, nonce_A/pin_length, PIN to the out-channel, CPace, nonce_B revealed, persisted", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "dynamic_pin");
    const { commit, nonceA, pin } = dynamicToPin(rig, p, 6);
    assert.equal(pin.length, 6);
    const r = pinRound(p, rig.crypto, pin);
    assert.ok(r.clientTagOk);
    const nonceB = base64urlDecode(r.replies[0].payload.nonce_B, 32)!;
    assert.ok(bytesEqual(commitB(rig.crypto, nonceB), commit), "commit opens");
    assert.equal(derivePin(rig.crypto, p.channel!.handshakeHash, nonceA, nonceB, 6), pin, "PIN binding");
    assert.ok(rig.out.clears >= 1, "the out-channel stops conveying the PIN");
    const ltk = finalize(rig, p, r.replies);
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, ltk)));
    assert.ok(p.rehandshake(ltk));
    assert.equal(p.hello().trust_level, "user");
  });

  test("pin_length outside [min_pin_length, 12] or not an integer: pin_length_unacceptable", () => {
    for (const len of [5, 13, 3, 6.5, "8", null]) {
      const rig = makeRig();
      const p = pairingPeer(rig, "dynamic_pin");
      p.expect("client/pair-init");
      p.send("server/pair-init", { nonce_A: base64urlEncode(rig.random.bytes(32)), pin_length: len });
      assert.equal(p.expect("pair/abort").reason, "pin_length_unacceptable", String(len));
      assert.equal(rig.out.pins.length, 0);
    }
    const rig = makeRig({ settings: { minPinLength: 4 } });
    const p = pairingPeer(rig, "dynamic_pin");
    dynamicToPin(rig, p, 12);
    assert.equal(rig.out.pins[0].length, 12);
  });

  test("a short press repeats the PIN being conveyed", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "dynamic_pin");
    const { pin } = dynamicToPin(rig, p);
    rig.sessions.onButton("short");
    assert.deepEqual(rig.out.pins, [pin, pin]);
    assert.equal(rig.sessions.window.state, "closed", "the press repeated the PIN instead of opening a window");
  });

  test("wrong PIN counts a dynamic_pin failure only; a malformed server_kc counts too", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "dynamic_pin");
    dynamicToPin(rig, p);
    const r = pinRound(p, rig.crypto, "000000");
    assert.equal(r.replies[0].payload.reason, "pin_mismatch");
    assert.equal(rig.sessions.lockout.failureCount("dynamic_pin"), 1);
    assert.equal(rig.sessions.lockout.failureCount("static_pin"), 0);
    const q = pairingPeer(rig, "dynamic_pin");
    dynamicToPin(rig, q);
    q.send("server/pair-auth", { pake_msg_1: base64urlEncode(rig.crypto.x25519Base(rig.random.bytes(32))) });
    q.expect("client/pair-auth");
    q.send("server/pair-confirm", { server_kc: "A".repeat(85) });
    assert.equal(q.expect("pair/abort").reason, "pin_mismatch");
    assert.equal(rig.sessions.lockout.failureCount("dynamic_pin"), 2);
  });

  test("attempt timeout two minutes after client/pair-init; PIN cleared", () => {
    const rig = makeRig();
    const p = pairingPeer(rig, "dynamic_pin");
    dynamicToPin(rig, p);
    rig.clock.advanceMs(120_000);
    assert.equal(p.expect("pair/abort").reason, "attempt_timeout");
    assert.ok(rig.out.clears >= 1);
    assert.equal(rig.clock.pendingTimers(), 0);
  });

  test("locked-out dynamic_pin refuses the activation", () => {
    const rig = makeRig();
    for (let i = 0; i < 10; i++) rig.sessions.lockout.recordFailure("dynamic_pin");
    const p = pairingPeer(rig, "dynamic_pin");
    assert.equal(p.expect("pair/abort").reason, "locked_out");
  });

  test("leaving pairing mid-attempt persists nothing and clears the PIN; the player was quiesced on entry", () => {
    const rig = makeRig();
    const p = new TestPeer(rig.sessions, rig.crypto);
    const k = rig.random.bytes(32);
    rig.store.addRecord(k, p.serverId);
    p.open(k);
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(rig.player.active);
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    assert.ok(!rig.player.active, "pairing starts with no live stream");
    dynamicToPin(rig, p);
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(rig.out.clears >= 1);
    assert.ok(rig.player.active);
    assert.equal(pairings(rig.store).length, 1);
    assert.ok(!p.closed);
  });
});
