// The current Sendspin revision through live sessions (reference/sendspin-spec-current.md): the latch on
// Noise message 1, the protocol option, the look-up by declared category and the Sentinel fallback,
// client/hello and server/activate of the current text, the three pairing flows (pairing PSK, static
// code with its window, dynamic code with rounds, wrapped nonce and PSK), pairing_index, records
// (replacement, eviction), and that neither revision can be switched after the latch.

import { assert, describe, test } from "../../harness.js";
import { pskId, SENTINEL_PSK, keyId } from "../../../crypto/ids.js";
import { commitBCurrent, dynamicCodeDigits } from "../../../crypto/pairing-code.js";
import { base64urlDecode, base64urlEncode } from "../../../modules/util/base64url.js";
import { bytesEqual } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { ROUND_LIMIT } from "../../../modules/pairing/rounds.js";
import { makeRig, pairings, storeView, type Rig } from "../../support/session-parts.js";
import { TestPeer } from "../../support/session-peer.js";
import { codeRound, currentPeer, digitsPrs, handshakeWithFallback } from "../../support/current-peer.js";
import type { PskCategoryCode } from "../../../modules/protocol/revision.js";

/** A current-revision peer through the hellos. */
function openCurrent(rig: Rig, psk: Uint8Array, category: PskCategoryCode): { p: TestPeer; hello: Record<string, unknown> } {
  const p = currentPeer(rig.sessions, rig.crypto, category);
  p.connect();
  if (!p.handshake(psk)) throw new Error("handshake refused");
  return { p, hello: p.hello() };
}

function activatePairing(p: TestPeer, method: string, format?: string): void {
  p.send("server/activate", { activities: ["pairing"], active_roles: [], pairing: format ? { method, format } : { method } });
}

/** Dynamic code: pair-init → server/pair-init{nonce_A} → the code the speaker emitted. */
function dynamicStart(rig: Rig, p: TestPeer, index = 1) {
  const init = p.expect("client/pair-init");
  assert.equal(init.pairing_index, index, "pairing_index counts the pairing activations");
  const commit = base64urlDecode(init.commit_B, 32)!;
  assert.ok(commit, "commit_B is 32 bytes of base64url");
  const nonceA = rig.random.bytes(32);
  p.send("server/pair-init", { nonce_A: base64urlEncode(nonceA) });
  const code = rig.out.pins[rig.out.pins.length - 1];
  return { commit, nonceA, code };
}

function wrongCode(code: string): string {
  return code === "000000" ? "000001" : "000000";
}

describe("current revision › the latch on Noise message 1", () => {
  test("psk_category in message 1: client/hello of the current text; without it: the baseline's", () => {
    const rig = makeRig();
    const { hello } = openCurrent(rig, SENTINEL_PSK, "sn");
    assert.equal(hello.trust_level, undefined, "no trust_level in the current text");
    const methods = hello.supported_pair_methods as Record<string, Record<string, unknown>>;
    assert.ok(!Array.isArray(methods), "supported_pair_methods is an object keyed by method");
    assert.deepEqual(Object.keys(methods).sort(), ["dynamic_pairing_code", "pairing_psk"], "pairing_psk and at most one code method");
    assert.deepEqual(methods.dynamic_pairing_code, { out_channels: ["speaker"], formats: ["digits"] });
    const support = hello["player@v1_support"] as Record<string, unknown>;
    assert.equal(support.supported_commands, undefined, "supported_commands moved into client/state");
    assert.ok(Array.isArray(support.supported_formats));
    assert.deepEqual(hello.unpaired_access, { enabled: false });
    const b = new TestPeer(rig.sessions, rig.crypto).open(SENTINEL_PSK);
    assert.equal(b.trust_level, "none");
    assert.ok(Array.isArray(b.supported_pair_methods), "the baseline's array");
  });

  test("protocol=baseline refuses a current message 1, protocol=current a baseline one: closed silently", () => {
    for (const [setting, category] of [["baseline", "sn"], ["current", undefined]] as const) {
      const rig = makeRig({ config: { protocol: setting } });
      const p = new TestPeer(rig.sessions, rig.crypto);
      p.category = category;
      p.connect();
      assert.equal(p.handshake(SENTINEL_PSK), false, `${setting}: handshake refused`);
      assert.ok(p.closed);
      assert.equal(p.sock.outbox.length, 0, "nothing sent");
      assert.equal(rig.sessions.internalErrors, 0);
    }
    // and each pinned setting still serves its own revision
    const rig = makeRig({ config: { protocol: "current" } });
    assert.ok(openCurrent(rig, SENTINEL_PSK, "sn").hello.supported_pair_methods);
    const rigB = makeRig({ config: { protocol: "baseline" } });
    assert.equal(new TestPeer(rigB.sessions, rigB.crypto).open(SENTINEL_PSK).trust_level, "none");
  });

  test("server/error in place of server/init: logged, the connection closes without a message", () => {
    const rig = makeRig();
    const p = currentPeer(rig.sessions, rig.crypto, "sn");
    p.connect();
    p.sock.deliverText(utf8Encode('{"type":"server/error","payload":{"reason":"unsupported_suite"}}'));
    assert.ok(p.closed);
    assert.equal(p.sock.outbox.length, 0);
    assert.ok(rig.log.lines.some((l) => /server\/error unsupported_suite/.test(l)), "the reason reaches the log");
  });

  test("a psk_category outside lt/pr/sn closes silently", () => {
    const rig = makeRig();
    const p = currentPeer(rig.sessions, rig.crypto, "xx" as PskCategoryCode);
    p.connect();
    assert.equal(p.handshake(SENTINEL_PSK), false);
    assert.ok(p.closed);
  });

  test("a baseline connection refuses a current re-handshake and a current connection a baseline one", () => {
    const rig = makeRig({ settings: { unpairedAccess: true } });
    const b = new TestPeer(rig.sessions, rig.crypto);
    b.open(SENTINEL_PSK);
    b.send("server/activate", { activities: [], active_roles: [] });
    const before = storeView(rig.store);
    assert.equal(b.rehandshake(SENTINEL_PSK, "sn"), false, "current message 1 on a baseline connection");
    assert.ok(b.closed);
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    p.send("server/activate", { activities: [], active_roles: [] });
    p.category = undefined; // message 1 without psk_category from here on
    assert.equal(p.rehandshake(SENTINEL_PSK), false, "baseline message 1 on a current connection");
    assert.ok(p.closed);
    assert.equal(storeView(rig.store), before, "nothing stored");
    assert.equal(rig.sessions.internalErrors, 0);
  });

  test("after the latch the baseline vocabulary means nothing on a current connection, and the reverse", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    // baseline activation shape: selected_pair_method is not the current text's `pairing`
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    assert.deepEqual(p.expect("pair/abort"), { reason: "method_not_supported" });
    assert.ok(!p.closed, "the current text keeps the connection open");
    // management is not an activity of the current text
    p.send("server/activate", { activities: ["management"], active_roles: [] });
    assert.deepEqual(p.expect("client/goodbye"), { reason: "unauthorized" });
    // a baseline connection does not understand `pairing{method}`
    const b = new TestPeer(rig.sessions, rig.crypto);
    b.open(SENTINEL_PSK);
    b.send("server/activate", { activities: ["pairing"], active_roles: [], pairing: { method: "dynamic_pairing_code", format: "digits" } });
    assert.deepEqual(b.expect("pair/abort"), { reason: "method_not_supported" });
    assert.ok(b.closed, "the baseline closes after method_not_supported");
  });
});

describe("current revision › PSK look-up and the Sentinel fallback", () => {
  test("an unknown psk_id in the initial handshake completes under the Sentinel (an unpaired session)", () => {
    const rig = makeRig();
    const p = currentPeer(rig.sessions, rig.crypto, "lt");
    p.connect();
    assert.equal(handshakeWithFallback(p, rig.crypto, rig.random.bytes(32), "lt"), "sentinel");
    const hello = p.hello();
    assert.ok(hello.supported_pair_methods);
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.deepEqual(p.expect("client/goodbye"), { reason: "pairing_required" }, "Sentinel-keyed: unpaired");
  });

  test("the pairing PSK declared as 'lt' (another category) is a miss: Sentinel fallback", () => {
    const rig = makeRig();
    const p = currentPeer(rig.sessions, rig.crypto, "lt");
    p.connect();
    assert.equal(handshakeWithFallback(p, rig.crypto, rig.store.settings.pairingPsk, "lt"), "sentinel");
  });

  test("a record's psk_id with another server_id fails the handshake (no fallback)", () => {
    const rig = makeRig();
    const ltk = rig.random.bytes(32);
    assert.equal(rig.store.addRecord(ltk, keyId(rig.random.bytes(32))), "ok");
    const p = currentPeer(rig.sessions, rig.crypto, "lt");
    p.connect();
    assert.equal(handshakeWithFallback(p, rig.crypto, ltk, "lt"), "closed");
  });

  test("a baseline shared-PSK record is not a long-term PSK of the current revision", () => {
    const rig = makeRig();
    const shared = rig.store.findByPskId(rig.store.settings.recordModePskId!)!;
    const p = currentPeer(rig.sessions, rig.crypto, "lt");
    p.connect();
    assert.equal(handshakeWithFallback(p, rig.crypto, shared.psk, "lt"), "sentinel");
  });

  test("a miss during a re-handshake fails it (no fallback there)", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    p.send("server/activate", { activities: [], active_roles: [] });
    assert.equal(p.rehandshake(rig.random.bytes(32), "lt"), false);
    assert.ok(p.closed);
  });
});

describe("current revision › server/activate", () => {
  test("pairing PSK session: ['playback','pairing'] needs unpaired access; long-term: [] or ['playback'] only", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, rig.store.settings.pairingPsk, "pr");
    p.send("server/activate", { activities: ["playback", "pairing"], active_roles: ["player@v1"], pairing: { method: "pairing_psk" } });
    assert.deepEqual(p.expect("client/goodbye"), { reason: "pairing_required" }, "unpaired session (pairing PSK), not only Sentinel");
    const ltk = rig.random.bytes(32);
    const q = currentPeer(rig.sessions, rig.crypto, "lt");
    assert.equal(rig.store.addRecord(ltk, q.serverId), "ok");
    q.connect();
    assert.ok(q.handshake(ltk));
    q.hello();
    q.send("server/activate", { activities: ["pairing"], active_roles: [], pairing: { method: "dynamic_pairing_code", format: "digits" } });
    assert.deepEqual(q.expect("client/goodbye"), { reason: "unauthorized" }, "no pairing on a long-term session");
  });

  test("an unoffered format, or a method the PSK disallows: pair/abort method_not_supported, the connection stays open", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    activatePairing(p, "dynamic_pairing_code", "qr_code");
    assert.deepEqual(p.expect("pair/abort"), { reason: "method_not_supported" });
    activatePairing(p, "dynamic_pairing_code");
    assert.deepEqual(p.expect("pair/abort"), { reason: "method_not_supported" }, "format required for the dynamic method");
    activatePairing(p, "pairing_psk");
    assert.deepEqual(p.expect("pair/abort"), { reason: "method_not_supported" }, "pairing_psk iff the pairing PSK matched");
    activatePairing(p, "static_pairing_code");
    assert.deepEqual(p.expect("pair/abort"), { reason: "method_not_supported" }, "not offered (dynamic is)");
    assert.ok(!p.closed);
    // and a valid one still works on the same connection: pairing_index counted all four before it
    activatePairing(p, "dynamic_pairing_code", "digits");
    const init = p.expect("client/pair-init");
    assert.equal(init.pairing_index, 5);
  });

  test("a first activation without active_roles counts as []; roles persist; a Sentinel session with unpaired access plays", () => {
    const rig = makeRig({ settings: { unpairedAccess: true } });
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    p.send("server/activate", { activities: [] });
    assert.equal(p.recv(), null);
    assert.ok(!p.closed);
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(rig.player.active);
    // pairing alongside playback keeps the role
    p.send("server/activate", { activities: ["playback", "pairing"], pairing: { method: "dynamic_pairing_code", format: "digits" } });
    assert.ok(rig.player.active, "pairing runs alongside playback");
    assert.equal(p.expect("client/pair-init").pairing_index, 1);
  });
});

describe("current revision › pairing PSK flow", () => {
  test("pair-init{pairing_index} + pair-finalize{long_term_psk} back to back; record after server/pair-finalize; re-handshake then server/activate without hellos", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, rig.store.settings.pairingPsk, "pr");
    activatePairing(p, "pairing_psk");
    assert.deepEqual(p.expect("client/pair-init"), { pairing_index: 1 });
    const fin = p.expect("client/pair-finalize");
    assert.deepEqual(Object.keys(fin), ["long_term_psk"]);
    const ltk = base64urlDecode(fin.long_term_psk, 32)!;
    assert.equal(pairings(rig.store).length, 0, "nothing before server/pair-finalize");
    p.send("server/pair-finalize", {});
    const rec = rig.store.findByPskId(pskId(rig.crypto, ltk))!;
    assert.equal(rec.kind, "stored_pubkey");
    assert.equal(rec.serverId, p.serverId);
    assert.ok(rig.events.some((e) => e.event === "paired"));
    assert.ok(p.rehandshake(ltk, "lt"));
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(!p.closed);
    assert.ok(rig.player.active, "the paired session plays");
    assert.equal(p.recv(), null, "no client/hello after the re-handshake");
    // a later pairing of the same server replaces its record
    assert.ok(p.rehandshake(rig.store.settings.pairingPsk, "pr"));
    activatePairing(p, "pairing_psk");
    assert.equal(p.expect("client/pair-init").pairing_index, 1, "pairing_index restarts at every handshake");
    const ltk2 = base64urlDecode(p.expect("client/pair-finalize").long_term_psk, 32)!;
    p.send("server/pair-finalize", {});
    assert.equal(pairings(rig.store).length, 1, "replaced, not added");
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, ltk2)));
    assert.equal(rig.store.findByPskId(pskId(rig.crypto, ltk)), undefined);
  });

  test("server/activate in place of server/pair-finalize persists nothing", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, rig.store.settings.pairingPsk, "pr");
    activatePairing(p, "pairing_psk");
    p.recvAll();
    const before = storeView(rig.store);
    p.send("server/activate", { activities: [], active_roles: [] });
    assert.equal(storeView(rig.store), before);
    p.send("server/pair-finalize", {});
    assert.ok(p.closed, "a pairing message with no attempt is a protocol error");
    assert.equal(storeView(rig.store), before);
  });
});

describe("current revision › dynamic pairing code", () => {
  test("commit, 6-digit code, a wrong round then client/pair-retry, the code again, wrapped nonce_B and PSK", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    activatePairing(p, "dynamic_pairing_code", "digits");
    const { commit, nonceA, code } = dynamicStart(rig, p);
    assert.ok(/^[0-9]{6}$/.test(code), `a 6-digit code: ${code}`);
    const h = p.channel!.handshakeHash;
    // round 1: a wrong code
    const r1 = codeRound(p, rig.crypto, digitsPrs(wrongCode(code)), 1, 1);
    assert.deepEqual(r1.replies.map((m) => m.type), ["client/pair-retry"]);
    assert.deepEqual(r1.replies[0].payload, {});
    assert.ok(!p.closed);
    // round 2: server/pair-init without nonce_A; the code is emitted again, unchanged
    const emitted = rig.out.pins.length;
    p.send("server/pair-init", {});
    assert.equal(rig.out.pins.length, emitted + 1);
    assert.equal(rig.out.pins[emitted], code);
    const r2 = codeRound(p, rig.crypto, digitsPrs(code), 1, 2);
    assert.ok(r2.clientTagOk, "client_kc verifies");
    assert.deepEqual(r2.replies.map((m) => m.type), ["client/pair-confirm", "client/pair-finalize"]);
    assert.equal((r2.replies[0].payload.wrapped_nonce_B as string).length, 64);
    assert.equal((r2.replies[1].payload.wrapped_psk as string).length, 64);
    assert.equal(r2.replies[1].payload.long_term_psk, undefined);
    const nonceB = r2.nonceB!;
    assert.ok(nonceB, "wrapped_nonce_B unwraps under K_wrap(nonce label, sid, ISK)");
    assert.ok(bytesEqual(commitBCurrent(rig.crypto, nonceB), commit), "the commitment opens");
    assert.equal(dynamicCodeDigits(rig.crypto, h, nonceA, nonceB), code, "the code binds h, nonce_A, nonce_B");
    assert.ok(r2.psk, "wrapped_psk unwraps");
    assert.equal(pairings(rig.store).length, 0);
    p.send("server/pair-finalize", {});
    const rec = rig.store.findByPskId(pskId(rig.crypto, r2.psk!))!;
    assert.equal(rec.serverId, p.serverId);
    assert.ok(rig.out.clears > 0, "the code is no longer emitted");
    assert.ok(p.rehandshake(r2.psk!, "lt"));
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(rig.player.active);
  });

  test("round limit: the 20th failed round aborts; later attempts are held back (client/pair-pending) until the button", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    activatePairing(p, "dynamic_pairing_code", "digits");
    const { code } = dynamicStart(rig, p);
    for (let round = 1; round <= ROUND_LIMIT; round++) {
      if (round > 1) p.send("server/pair-init", {});
      const r = codeRound(p, rig.crypto, digitsPrs(wrongCode(code)), 1, round);
      if (round < ROUND_LIMIT) assert.deepEqual(r.replies.map((m) => m.type), ["client/pair-retry"], `round ${round}`);
      else assert.deepEqual(r.replies, [{ type: "pair/abort", payload: { reason: "pairing_code_mismatch" } }], "at the limit: abort");
    }
    assert.ok(!p.closed, "the connection stays open");
    p.send("server/pair-auth", { pake_msg_1: base64urlEncode(rig.random.bytes(32)) });
    assert.ok(!p.closed, "in-flight pairing messages after our abort are dropped silently");
    // a new connection (another server) is held back too: the count is the device's
    p.close();
    const q = openCurrent(rig, SENTINEL_PSK, "sn").p;
    activatePairing(q, "dynamic_pairing_code", "digits");
    const pending = q.expect("client/pair-pending");
    assert.equal(pending.pairing_index, 1);
    assert.ok(typeof pending.message === "string" && (pending.message as string).length <= 200);
    assert.equal(q.recv(), null);
    rig.sessions.onButton("short");
    const init = q.expect("client/pair-init");
    assert.equal(init.pairing_index, 1);
    assert.ok(init.commit_B, "the operator's press starts the attempt");
  });

  test("attempt timeout: pair/abort attempt_timeout, the connection stays open", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    activatePairing(p, "dynamic_pairing_code", "digits");
    dynamicStart(rig, p);
    rig.clock.advanceMs(2 * 60 * 1000 + 1);
    assert.deepEqual(p.expect("pair/abort"), { reason: "attempt_timeout" });
    assert.ok(!p.closed);
  });

  test("protocol errors close without a message: bad nonce_A, low-order share, a message out of sequence", () => {
    const cases: ((rig: Rig, p: TestPeer) => void)[] = [
      (_rig, p) => p.send("server/pair-init", { nonce_A: "short" }),
      (rig, p) => {
        p.send("server/pair-init", { nonce_A: base64urlEncode(rig.random.bytes(32)) });
        p.send("server/pair-auth", { pake_msg_1: base64urlEncode(new Uint8Array(32)) });
      },
      (_rig, p) => p.send("server/pair-confirm", { server_kc: base64urlEncode(new Uint8Array(64)) }),
      (_rig, p) => p.send("server/pair-finalize", {}),
    ];
    for (const c of cases) {
      const rig = makeRig();
      const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
      activatePairing(p, "dynamic_pairing_code", "digits");
      p.expect("client/pair-init");
      const before = storeView(rig.store);
      c(rig, p);
      assert.equal(p.recv(), null, "no message");
      assert.ok(p.closed);
      assert.equal(storeView(rig.store), before);
      assert.equal(rig.sessions.internalErrors, 0);
    }
  });

  test("the server's pair/abort ends the attempt and leaves the connection open", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    activatePairing(p, "dynamic_pairing_code", "digits");
    dynamicStart(rig, p);
    p.send("pair/abort", { reason: "user_cancelled" });
    assert.ok(!p.closed);
    assert.ok(rig.out.clears > 0);
    p.send("pair/abort", { reason: "user_cancelled" });
    assert.ok(!p.closed, "an abort after the attempt ended has no effect");
  });
});

describe("current revision › static pairing code", () => {
  function staticRig(): Rig {
    return makeRig({ config: { dynamicPin: false } });
  }

  test("held back until the window opens; the window admits several attempts on its connection and closes at the 5th failure", () => {
    const rig = staticRig();
    const { p, hello } = openCurrent(rig, SENTINEL_PSK, "sn");
    assert.deepEqual(Object.keys(hello.supported_pair_methods as object).sort(), ["pairing_psk", "static_pairing_code"]);
    activatePairing(p, "static_pairing_code");
    const pending = p.expect("client/pair-pending");
    assert.equal(pending.pairing_index, 1);
    rig.sessions.onButton("short");
    assert.deepEqual(p.expect("client/pair-init"), { pairing_index: 1 });
    const pin = rig.store.settings.staticPin;
    const wrong = pin === "00000000" ? "00000001" : "00000000";
    for (let i = 1; i <= 5; i++) {
      if (i > 1) {
        activatePairing(p, "static_pairing_code");
        assert.deepEqual(p.expect("client/pair-init"), { pairing_index: i }, `attempt ${i} starts under the same window`);
      }
      const r = codeRound(p, rig.crypto, digitsPrs(wrong), i, 1);
      assert.deepEqual(r.replies, [{ type: "pair/abort", payload: { reason: "pairing_code_mismatch" } }]);
      assert.ok(!p.closed);
    }
    assert.equal(rig.sessions.window.state, "closed", "the 5th failure closes the window");
    activatePairing(p, "static_pairing_code");
    assert.equal(p.expect("client/pair-pending").pairing_index, 6);
  });

  test("the right code: wrapped PSK, no wrapped_nonce_B; a completed pairing closes the window", () => {
    const rig = staticRig();
    rig.sessions.onButton("short"); // opened before the activation: the attempt starts at once
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    activatePairing(p, "static_pairing_code");
    assert.deepEqual(p.expect("client/pair-init"), { pairing_index: 1 });
    const r = codeRound(p, rig.crypto, digitsPrs(rig.store.settings.staticPin), 1, 1);
    assert.ok(r.clientTagOk);
    assert.deepEqual(r.replies.map((m) => m.type), ["client/pair-confirm", "client/pair-finalize"]);
    assert.equal(r.replies[0].payload.wrapped_nonce_B, undefined);
    assert.ok(r.psk);
    p.send("server/pair-finalize", {});
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, r.psk!)));
    assert.equal(rig.sessions.window.state, "closed");
  });

  test("a window held by one connection does not serve another; its connection's drop closes it", () => {
    const rig = staticRig();
    rig.sessions.onButton("short");
    const a = openCurrent(rig, SENTINEL_PSK, "sn").p;
    activatePairing(a, "static_pairing_code");
    a.expect("client/pair-init");
    a.send("server/activate", { activities: [], active_roles: [] }); // cancels the attempt; the window stays with `a`
    assert.equal(rig.sessions.window.state, "held");
    a.close();
    assert.equal(rig.sessions.window.state, "closed", "the holder's connection dropped");
  });
});

describe("current revision › records", () => {
  test("at capacity a pairing evicts a record that backs no open connection (never the record_mode shared record)", () => {
    const rig = makeRig(); // 5 slots: the provisioned shared-PSK record + 4 free
    const open = currentPeer(rig.sessions, rig.crypto, "lt");
    const used = rig.random.bytes(32);
    assert.equal(rig.store.addRecord(used, open.serverId), "ok");
    const others: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const k = rig.random.bytes(32);
      others.push(k);
      assert.equal(rig.store.addRecord(k, keyId(rig.random.bytes(32))), "ok");
    }
    assert.equal(rig.store.accounting().free, 0);
    open.connect();
    assert.ok(open.handshake(used));
    open.hello();
    open.send("server/activate", { activities: [], active_roles: [] });
    rig.store.markUsed(pskId(rig.crypto, others[0]));
    const { p } = openCurrent(rig, rig.store.settings.pairingPsk, "pr");
    activatePairing(p, "pairing_psk");
    p.expect("client/pair-init");
    const ltk = base64urlDecode(p.expect("client/pair-finalize").long_term_psk, 32)!;
    p.send("server/pair-finalize", {});
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, ltk)), "the pairing persisted at capacity");
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, used)), "the open connection's record stays");
    assert.ok(rig.store.findByPskId(rig.store.settings.recordModePskId!), "the baseline's record_mode record stays");
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, others[0])), "a used record goes after unused ones");
    assert.equal(rig.store.findByPskId(pskId(rig.crypto, others[1])), undefined, "the first unused record is evicted");
    assert.equal(rig.store.accounting().free, 0);
  });

  test("a baseline pairing and a current pairing coexist; server/unpair on a current paired session removes its record", () => {
    const rig = makeRig();
    // baseline pairing PSK flow
    const b = new TestPeer(rig.sessions, rig.crypto);
    b.open(rig.store.settings.pairingPsk);
    b.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" });
    const bl = base64urlDecode(b.expect("client/pair-finalize").long_term_psk, 32)!;
    b.send("server/pair-finalize", {});
    b.close();
    // current pairing PSK flow
    const { p } = openCurrent(rig, rig.store.settings.pairingPsk, "pr");
    activatePairing(p, "pairing_psk");
    p.expect("client/pair-init");
    const cl = base64urlDecode(p.expect("client/pair-finalize").long_term_psk, 32)!;
    p.send("server/pair-finalize", {});
    assert.equal(pairings(rig.store).length, 2);
    // the baseline record serves its baseline server; the current one its current server
    const b2 = new TestPeer(rig.sessions, rig.crypto, b.identity);
    assert.equal(b2.open(bl).trust_level, "user");
    assert.ok(p.rehandshake(cl, "lt"));
    p.send("server/activate", { activities: [], active_roles: [] });
    p.send("server/unpair", {});
    assert.deepEqual(p.expect("client/goodbye"), { reason: "unpaired" });
    assert.equal(rig.store.findByPskId(pskId(rig.crypto, cl)), undefined);
    assert.ok(rig.store.findByPskId(pskId(rig.crypto, bl)), "the baseline record stays");
  });

  test("server/unpair on an unpaired current session is ignored", () => {
    const rig = makeRig();
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    p.send("server/activate", { activities: [], active_roles: [] });
    const before = storeView(rig.store);
    p.send("server/unpair", {});
    assert.equal(p.recv(), null);
    assert.ok(!p.closed);
    assert.equal(storeView(rig.store), before);
  });
});

describe("current revision › transport", () => {
  test("a type-1 fragmented message from the server is reassembled; a 13-byte chunk reaches the player as timestamp + PCM", () => {
    const rig = makeRig({ settings: { unpairedAccess: true } });
    const { p } = openCurrent(rig, SENTINEL_PSK, "sn");
    p.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    // a large JSON (ignored type) goes through type-1 fragments: the connection survives and keeps working
    const big = utf8Encode(JSON.stringify({ type: "server/unknown-large", payload: { pad: "x".repeat(65480) } }));
    assert.ok(big.length > 65518 && big.length <= 65536, "needs two fragments, fits the cap");
    p.sendBytes(0, big);
    assert.ok(!p.closed);
    const chunk = new Uint8Array(12 + 8);
    chunk.set([0, 0, 0, 0, 0, 0x0f, 0x42, 0x40], 0); // timestamp 1,000,000 µs
    chunk.set([0, 0, 0x27, 0x10], 8); // send_ahead 10,000 µs
    chunk.set([1, 2, 3, 4, 5, 6, 7, 8], 12);
    p.sendBytes(4, chunk);
    assert.ok(rig.player.calls.indexOf("audio 16") >= 0, "8-byte timestamp + 8 bytes of PCM");
    assert.ok(!p.closed);
  });
});
