// The handshake helpers, the initial handshake's psk_id flow and the in-band re-handshake end to end.

import { assert, test } from "../../harness.js";
import { pskId, SENTINEL_PSK, SENTINEL_PSK_ID } from "../../../crypto/ids.js";
import { SUITES, type SuiteName } from "../../../crypto/provider.js";
import { InitiatorHandshake, ResponderHandshake } from "../../../modules/channel/handshake.js";
import type { ChannelInbound, SecureChannel } from "../../../modules/channel/secure-channel.js";
import { NOISE_HANDSHAKE } from "../../../modules/protocol/noise-messages.js";
import { bytesEqual } from "../../../modules/util/bytes.js";
import { utf8Decode, utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";
import { collect, connectWith, pattern, type Peers } from "./peers.js";
import { describeEachBackend } from "../../support/backends.js";

/** Deliver every frame of `frames` to `to` and return the single JSON message they carry. */
function receiveJson(to: SecureChannel, frames: Uint8Array[]): { type: string; payload: unknown } {
  assert.equal(frames.length, 1);
  const r = to.receive(frames[0]);
  if (r.kind !== "message") assert.fail(`expected a message, got ${r.kind}${r.kind === "error" ? ": " + r.reason : ""}`);
  assert.equal(r.type, 0);
  return JSON.parse(utf8Decode(r.data)!) as { type: string; payload: unknown };
}

function roundTrip(a: SecureChannel, b: SecureChannel, salt: number): void {
  for (const [from, to] of [[a, b], [b, a]]) {
    const { frames, emit } = collect();
    assert.ok(from.send(4, pattern(100, salt), emit));
    const r = to.receive(frames[0]);
    assert.ok(r.kind === "message" && bytesEqual(r.data, pattern(100, salt)), "message under the current keys");
  }
}

/** Server-initiated re-handshake with `psk`; the speaker looks the psk_id up in `store`. */
function rehandshake(p: Peers, psk: Uint8Array, store: Map<string, Uint8Array>): boolean {
  const init = InitiatorHandshake.rehandshake(p.server, { ...p.serverId, psk });
  const out = collect();
  assert.ok(p.server.sendJson(init.message1(), out.emit), "message 1 goes out under the current keys");
  const m1 = receiveJson(p.speaker, out.frames);
  assert.equal(m1.type, NOISE_HANDSHAKE);
  const resp = ResponderHandshake.rehandshake(p.speaker, p.speakerId);
  const id = resp.readMessage1(m1.payload);
  assert.equal(id, pskId(p.speakerId.crypto, psk));
  const chosen = store.get(id!);
  assert.ok(chosen !== undefined);
  const back = collect();
  assert.ok(resp.respondOn(p.speaker, chosen, back.emit));
  const m2 = receiveJson(p.server, back.frames); // the server still runs on the old keys: message 2 decrypts
  assert.equal(m2.type, NOISE_HANDSHAKE);
  return init.finishOn(p.server, m2.payload);
}

describeEachBackend("handshake helpers and re-handshake", (crypto) => {
  const connect = (suite: SuiteName, psk: Uint8Array, maxMessageBytes?: number, seed?: number) => connectWith(crypto, suite, psk, maxMessageBytes, seed);
  for (const suite of SUITES) {
    test(`${suite}: re-handshake end to end: keys switch, old keys rejected, new h is the next prologue`, () => {
      const rnd = new SeededRandom(31);
      const pairing = rnd.bytes(32);
      const longTerm = rnd.bytes(32);
      const store = new Map([[SENTINEL_PSK_ID, SENTINEL_PSK], [pskId(crypto, pairing), pairing], [pskId(crypto, longTerm), longTerm]]);
      // A shadow server with the very same initial keys (fixed ephemerals) keeps sending under the old keys.
      const p = connect(suite, SENTINEL_PSK, 1 << 20, 77);
      const shadow = connect(suite, SENTINEL_PSK, 1 << 20, 77);
      assert.deepEqual(p.server.handshakeHash, shadow.server.handshakeHash, "shadow has the same keys");
      roundTrip(p.server, p.speaker, 1);
      roundTrip(shadow.server, shadow.speaker, 1);
      const h0 = p.speaker.handshakeHash;

      // 1st re-handshake: Sentinel → pairing PSK.
      assert.ok(rehandshake(p, pairing, store), "initiator accepts message 2");
      // The shadow pair does the same exchanges (so its old-key counters match what the speaker saw).
      const sm1 = collect();
      shadow.server.sendJson({ type: NOISE_HANDSHAKE, payload: { data: "" } }, sm1.emit);
      const h1 = p.speaker.handshakeHash;
      assert.deepEqual(p.server.handshakeHash, h1, "both sides share the new h");
      assert.ok(!bytesEqual(h1, h0), "h changed");
      roundTrip(p.server, p.speaker, 2);

      // Old keys are no longer accepted: the shadow's next frame (old key, the very nonce the old state expected).
      const old = collect();
      shadow.server.send(4, pattern(100, 2), old.emit);
      assert.equal(shadow.speaker.receive(sm1.frames[0]).kind, "message");
      assert.equal(shadow.speaker.receive(old.frames[0].slice()).kind, "message", "the frame is genuine under the old keys");
      const stray: ChannelInbound = p.speaker.receive(old.frames[0]);
      assert.equal(stray.kind, "error", "a frame under the old keys fails");

      // 2nd re-handshake, with an initiator built by hand on prologue = rh1 (the h of a 1st re-handshake):
      // the speaker accepts it, pairing → long-term PSK.
      const r = connect(suite, SENTINEL_PSK);
      assert.ok(rehandshake(r, pairing, store));
      const rh1 = r.speaker.handshakeHash;
      const explicit = new InitiatorHandshake({ ...r.serverId, psk: longTerm, prologue: rh1 });
      const e1 = collect();
      assert.ok(r.server.sendJson(explicit.message1(), e1.emit));
      const resp = ResponderHandshake.rehandshake(r.speaker, r.speakerId);
      assert.equal(resp.readMessage1(receiveJson(r.speaker, e1.frames).payload), pskId(crypto, longTerm));
      const e2 = collect();
      assert.ok(resp.respondOn(r.speaker, longTerm, e2.emit));
      assert.ok(explicit.finishOn(r.server, receiveJson(r.server, e2.frames).payload));
      assert.ok(!bytesEqual(r.speaker.handshakeHash, rh1));
      assert.deepEqual(r.server.handshakeHash, r.speaker.handshakeHash);
      roundTrip(r.server, r.speaker, 3);

      // A stale prologue (the h before the last re-handshake) fails message 1.
      const q = connect(suite, SENTINEL_PSK);
      const q0 = q.speaker.handshakeHash;
      assert.ok(rehandshake(q, pairing, store));
      const stale = new InitiatorHandshake({ ...q.serverId, psk: longTerm, prologue: q0 });
      const s1 = collect();
      assert.ok(q.server.sendJson(stale.message1(), s1.emit));
      const m = receiveJson(q.speaker, s1.frames);
      assert.equal(ResponderHandshake.rehandshake(q.speaker, q.speakerId).readMessage1(m.payload), null, "prologue other than the current h");
    });

    test(`${suite}: a re-handshake whose PSK the speaker does not hold fails at the initiator, which keeps its keys`, () => {
      const p = connect(suite, SENTINEL_PSK);
      const psk = new SeededRandom(8).bytes(32);
      const wrong = new SeededRandom(9).bytes(32);
      const h = p.server.handshakeHash;
      assert.equal(rehandshake(p, psk, new Map([[pskId(crypto, psk), wrong]])), false);
      assert.deepEqual(p.server.handshakeHash, h, "no rekey on failure");
    });
  }

  test("initial handshake: prologue binds client/init and server/init; psk_id reaches the responder before the PSK", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    const suite = "25519_ChaChaPoly_SHA256";
    const prologue = utf8Encode("client/init server/init");
    const init = new InitiatorHandshake({ ...p.serverId, prologue, psk: SENTINEL_PSK });
    const m1 = init.message1();
    assert.equal(m1.type, "noise/handshake");
    const tampered = new ResponderHandshake({ ...p.speakerId, suite, prologue: utf8Encode("client/init server/inix") });
    assert.equal(tampered.readMessage1(m1.payload), null, "tampered init exchange");
    const resp = new ResponderHandshake({ ...p.speakerId, prologue });
    assert.throws(() => resp.respond(SENTINEL_PSK), /before a valid message 1/);
    assert.equal(resp.readMessage1(m1.payload), SENTINEL_PSK_ID);
    const { message, keys } = resp.respond(SENTINEL_PSK);
    const ik = init.readMessage2(message.payload);
    assert.ok(ik !== null);
    assert.deepEqual(ik.h, keys.h);
  });

  test("hostile noise/handshake payloads are rejected without throwing", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    const prologue = new Uint8Array(0);
    const good = new InitiatorHandshake({ ...p.serverId, prologue, psk: SENTINEL_PSK }).message1().payload.data;
    const bad: unknown[] = [
      undefined, null, 7, "x", [], {}, { data: 5 }, { data: good + "=" }, { data: good.slice(0, 63) /* 47 bytes */ },
      { data: "A".repeat(87384) }, { data: good.replace(/.$/, "+") },
    ];
    for (const payload of bad) {
      const r = new ResponderHandshake({ ...p.speakerId, prologue });
      assert.equal(r.readMessage1(payload), null, JSON.stringify(payload)?.slice(0, 40));
    }
    assert.equal(new ResponderHandshake({ ...p.speakerId, prologue }).readMessage1({ data: good }), SENTINEL_PSK_ID, "the genuine payload");
  });
}, 21);
