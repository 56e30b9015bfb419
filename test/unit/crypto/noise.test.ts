import { assert, report, test } from "../../harness.js";
import { CipherState, NoiseKKpsk2, type HandshakeResult } from "../../../crypto/noise.js";
import { generateKeyPair, keyPairFromPrivate, pskId, SENTINEL_PSK, SENTINEL_PSK_ID, type KeyPair } from "../../../crypto/ids.js";
import { SUITES, type CryptoProvider, type SuiteName } from "../../../crypto/provider.js";
import { bytesEqual, fromHex, toHex } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";
import { describeEachBackend } from "../../support/backends.js";
import { NOISE_KKPSK2_VECTORS } from "./fixtures/noise-kkpsk2.js";

function suiteOf(protocolName: string): SuiteName {
  const suite = protocolName.slice("Noise_KKpsk2_".length);
  assert.ok(suite === "25519_ChaChaPoly_SHA256" || suite === "25519_AESGCM_SHA256", protocolName);
  return suite;
}

/** Encrypt a copy of `plain` with `cs` (as a sender would); returns the ciphertext. */
function seal(cs: CipherState, plain: Uint8Array): Uint8Array {
  const buf = new Uint8Array(plain.length + 16);
  buf.set(plain);
  const n = cs.encryptInPlace(null, buf, 0, plain.length);
  assert.equal(n, plain.length + 16);
  return buf;
}

/** Decrypt a copy of `ct`; null when it fails. */
function open(cs: CipherState, ct: Uint8Array): Uint8Array | null {
  const buf = ct.slice();
  const n = cs.decryptInPlace(null, buf, 0, buf.length);
  return n < 0 ? null : buf.subarray(0, n);
}

interface Pair {
  init: HandshakeResult;
  resp: HandshakeResult;
}

/** A full handshake: the responder picks the PSK from message 1's psk_id in `known`. */
function handshake(crypto: CryptoProvider, suite: SuiteName, server: KeyPair, client: KeyPair, psk: Uint8Array, known: Map<string, Uint8Array>, prologue = utf8Encode("p")): Pair | null {
  const i = NoiseKKpsk2.initiator({ crypto, suite, prologue, s: server, rs: client.publicKey, psk });
  const r = NoiseKKpsk2.responder({ crypto, suite, prologue, s: client, rs: server.publicKey });
  const m1 = i.writeMessage1(utf8Encode(JSON.stringify({ psk_id: pskId(crypto, psk) })));
  const p1 = r.readMessage1(m1);
  assert.ok(p1 !== null, "message 1 authenticates under the static keys alone");
  const chosen = known.get((JSON.parse(String.fromCharCode(...p1)) as { psk_id: string }).psk_id);
  assert.ok(chosen !== undefined, "psk_id found");
  r.setPsk(chosen);
  const m2 = r.writeMessage2(utf8Encode("{}"));
  const p2 = i.readMessage2(m2);
  if (p2 === null) return null;
  assert.equal(String.fromCharCode(...p2), "{}");
  return { init: i.split(), resp: r.split() };
}

describeEachBackend("noise KKpsk2", (crypto) => {
  for (const v of NOISE_KKPSK2_VECTORS) {
    test(`vector ${v.protocol_name}: handshake hash and every message`, () => {
      const suite = suiteOf(v.protocol_name);
      const iS = keyPairFromPrivate(crypto, fromHex(v.init_static));
      const rS = keyPairFromPrivate(crypto, fromHex(v.resp_static));
      assert.equal(toHex(iS.publicKey), v.resp_remote_static);
      assert.equal(toHex(rS.publicKey), v.init_remote_static);
      const init = NoiseKKpsk2.initiator({
        crypto, suite, prologue: fromHex(v.init_prologue), s: iS, rs: fromHex(v.init_remote_static),
        psk: fromHex(v.init_psks[0]), e: keyPairFromPrivate(crypto, fromHex(v.init_ephemeral)),
      });
      const resp = NoiseKKpsk2.responder({
        crypto, suite, prologue: fromHex(v.resp_prologue), s: rS, rs: fromHex(v.resp_remote_static),
        e: keyPairFromPrivate(crypto, fromHex(v.resp_ephemeral)),
      });
      const [m0, m1] = v.messages;
      const c0 = init.writeMessage1(fromHex(m0.payload));
      assert.equal(toHex(c0), m0.ciphertext, "message 1");
      assert.equal(toHex(resp.readMessage1(c0)!), m0.payload, "message 1 payload");
      resp.setPsk(fromHex(v.resp_psks[0]));
      const c1 = resp.writeMessage2(fromHex(m1.payload));
      assert.equal(toHex(c1), m1.ciphertext, "message 2");
      assert.equal(toHex(init.readMessage2(c1)!), m1.payload, "message 2 payload");
      const a = init.split();
      const b = resp.split();
      assert.equal(toHex(a.h), v.handshake_hash, "initiator h");
      assert.equal(toHex(b.h), v.handshake_hash, "responder h");
      let transport = 0;
      for (let k = 2; k < v.messages.length; k++) {
        const m = v.messages[k];
        // Transport messages alternate, initiator first (cacophony layout).
        const [tx, rx] = k % 2 === 0 ? [a.send, b.recv] : [b.send, a.recv];
        assert.equal(toHex(seal(tx, fromHex(m.payload))), m.ciphertext, `transport message ${k}`);
        assert.equal(toHex(open(rx, fromHex(m.ciphertext))!), m.payload, `transport payload ${k}`);
        transport++;
      }
      report(`noise vector ${v.protocol_name}: h, 2 handshake + ${transport} transport messages match`);
    });
  }

  for (const suite of SUITES) {
    test(`${suite}: initiator and responder interoperate for the Sentinel, a pairing PSK and a long-term PSK`, () => {
      const rnd = new SeededRandom(11);
      const server = generateKeyPair(crypto);
      const client = generateKeyPair(crypto);
      const pairing = rnd.bytes(32);
      const longTerm = rnd.bytes(32);
      const known = new Map<string, Uint8Array>([
        [SENTINEL_PSK_ID, SENTINEL_PSK],
        [pskId(crypto, pairing), pairing],
        [pskId(crypto, longTerm), longTerm],
      ]);
      const hashes: string[] = [];
      for (const psk of [SENTINEL_PSK, pairing, longTerm]) {
        const p = handshake(crypto, suite, server, client, psk, known);
        assert.ok(p !== null, "message 2 authenticates");
        assert.deepEqual(p.init.h, p.resp.h, "both sides agree on h");
        hashes.push(toHex(p.init.h));
        for (let k = 0; k < 3; k++) {
          const up = rnd.bytes(1 + k * 50);
          assert.deepEqual(open(p.resp.recv, seal(p.init.send, up)), up, "initiator → responder");
          const down = rnd.bytes(2 + k * 70);
          assert.deepEqual(open(p.init.recv, seal(p.resp.send, down)), down, "responder → initiator");
        }
      }
      assert.equal(new Set(hashes).size, 3, "each PSK (and fresh ephemerals) yields its own h");
    });

    test(`${suite}: a wrong PSK fails message 2; the responder's keys do not match the initiator's`, () => {
      const server = generateKeyPair(crypto);
      const client = generateKeyPair(crypto);
      const psk = new SeededRandom(3).bytes(32);
      const wrong = new SeededRandom(4).bytes(32);
      // The responder holds a different PSK under the psk_id the initiator sent.
      assert.equal(handshake(crypto, suite, server, client, psk, new Map([[pskId(crypto, psk), wrong]])), null);
    });

    test(`${suite}: a different prologue or a wrong static key fails message 1`, () => {
      const server = generateKeyPair(crypto);
      const client = generateKeyPair(crypto);
      const other = generateKeyPair(crypto);
      const i = NoiseKKpsk2.initiator({ crypto, suite, prologue: utf8Encode("a"), s: server, rs: client.publicKey, psk: SENTINEL_PSK });
      const m1 = i.writeMessage1(utf8Encode("{}"));
      const r1 = NoiseKKpsk2.responder({ crypto, suite, prologue: utf8Encode("b"), s: client, rs: server.publicKey });
      assert.equal(r1.readMessage1(m1), null, "prologue mismatch");
      const r2 = NoiseKKpsk2.responder({ crypto, suite, prologue: utf8Encode("a"), s: client, rs: other.publicKey });
      assert.equal(r2.readMessage1(m1), null, "unexpected initiator static key");
      const r3 = NoiseKKpsk2.responder({ crypto, suite, prologue: utf8Encode("a"), s: client, rs: server.publicKey });
      assert.ok(r3.readMessage1(m1) !== null, "the right responder accepts it");
    });

    test(`${suite}: tampered, truncated, low-order and oversized handshake messages return null, never throw`, () => {
      const server = generateKeyPair(crypto);
      const client = generateKeyPair(crypto);
      const pro = utf8Encode("x");
      const fresh = () => NoiseKKpsk2.responder({ crypto, suite, prologue: pro, s: client, rs: server.publicKey });
      const i = NoiseKKpsk2.initiator({ crypto, suite, prologue: pro, s: server, rs: client.publicKey, psk: SENTINEL_PSK });
      const m1 = i.writeMessage1(utf8Encode('{"psk_id":"x"}'));
      let cases = 0;
      for (const bit of [0, 7, 31 * 8, 32 * 8, m1.length * 8 - 1]) {
        const t = m1.slice();
        t[bit >> 3] ^= 1 << (bit & 7);
        assert.equal(fresh().readMessage1(t), null, `bit ${bit}`);
        cases++;
      }
      assert.equal(fresh().readMessage1(m1.subarray(0, 47)), null, "shorter than e + tag");
      assert.equal(fresh().readMessage1(new Uint8Array(0)), null, "empty");
      assert.equal(fresh().readMessage1(new Uint8Array(65536)), null, "above the Noise limit");
      const zero = m1.slice();
      zero.fill(0, 0, 32);
      assert.equal(fresh().readMessage1(zero), null, "all-zero (low-order) ephemeral");
      const one = m1.slice();
      one.fill(0, 0, 32);
      one[0] = 1;
      assert.equal(fresh().readMessage1(one), null, "order-1 point ephemeral");
      cases += 5;
      // A failed state stays failed.
      const r = fresh();
      assert.equal(r.readMessage1(zero), null);
      assert.equal(r.readMessage1(m1), null, "no second chance after a failure");
      assert.throws(() => r.setPsk(SENTINEL_PSK), /out of order/);
      // Message 2 tampering on the initiator side.
      const r2 = fresh();
      assert.ok(r2.readMessage1(m1) !== null);
      r2.setPsk(SENTINEL_PSK);
      const m2 = r2.writeMessage2(utf8Encode("{}"));
      const t2 = m2.slice();
      t2[40] ^= 0x80;
      assert.equal(i.readMessage2(t2), null, "tampered message 2");
      report(`noise ${suite}: ${cases + 1} hostile handshake messages rejected`);
    });
  }

  test("misuse throws: out-of-order calls, bad key and PSK sizes", () => {
    const suite = "25519_ChaChaPoly_SHA256";
    const a = generateKeyPair(crypto);
    const b = generateKeyPair(crypto);
    const r = NoiseKKpsk2.responder({ crypto, suite, prologue: new Uint8Array(0), s: a, rs: b.publicKey });
    assert.throws(() => r.writeMessage2(new Uint8Array(0)), /out of order/);
    assert.throws(() => r.split(), /out of order/);
    assert.throws(() => r.writeMessage1(new Uint8Array(0)), /out of order/);
    assert.throws(() => NoiseKKpsk2.initiator({ crypto, suite, prologue: new Uint8Array(0), s: a, rs: b.publicKey, psk: new Uint8Array(31) }), /32 bytes/);
    assert.throws(() => NoiseKKpsk2.responder({ crypto, suite, prologue: new Uint8Array(0), s: a, rs: new Uint8Array(31) }), /32 bytes/);
    const i = NoiseKKpsk2.initiator({ crypto, suite, prologue: new Uint8Array(0), s: a, rs: b.publicKey, psk: SENTINEL_PSK });
    assert.equal(i.readMessage1(new Uint8Array(48)), null, "reading as the wrong role fails, without throwing");
  });

  for (const suite of SUITES) {
    test(`${suite}: transport rejects a flipped bit, a replayed frame and a reordered frame`, () => {
      const server = generateKeyPair(crypto);
      const client = generateKeyPair(crypto);
      const p = handshake(crypto, suite, server, client, SENTINEL_PSK, new Map([[SENTINEL_PSK_ID, SENTINEL_PSK]]))!;
      const rnd = new SeededRandom(5);
      const frames = [0, 1, 2, 3].map(() => seal(p.init.send, rnd.bytes(40)));
      // Flipped bit (in the body, then in the tag): fails; the receiver's counter does not move.
      for (const bit of [3, 40 * 8 + 5]) {
        const t = frames[0].slice();
        t[bit >> 3] ^= 1 << (bit & 7);
        assert.equal(open(p.resp.recv, t), null, `flipped bit ${bit}`);
      }
      assert.equal(p.resp.recv.nonceLo, 0, "failure does not advance the counter");
      assert.ok(open(p.resp.recv, frames[0]) !== null, "the genuine frame 0");
      assert.equal(open(p.resp.recv, frames[0]), null, "frame 0 replayed");
      assert.equal(open(p.resp.recv, frames[2]), null, "frame 2 before frame 1 (reordered)");
      assert.ok(open(p.resp.recv, frames[1]) !== null, "frame 1 in order");
      assert.ok(open(p.resp.recv, frames[2]) !== null, "frame 2 in order");
      // Direction matters: a frame cannot be reflected back to its sender.
      const back = seal(p.resp.send, rnd.bytes(10));
      assert.equal(open(p.resp.recv, back), null, "reflected frame");
      assert.ok(open(p.init.recv, back) !== null);
    });

    test(`${suite}: 64-bit counter carries across the halves and refuses 2^64−1`, () => {
      const server = generateKeyPair(crypto);
      const client = generateKeyPair(crypto);
      const p = handshake(crypto, suite, server, client, SENTINEL_PSK, new Map([[SENTINEL_PSK_ID, SENTINEL_PSK]]))!;
      const tx = p.init.send, rx = p.resp.recv;
      // Low half 0xffffffff → carry into the high half.
      tx.setNonce(0, -1);
      rx.setNonce(0, -1);
      const m = utf8Encode("carry");
      assert.deepEqual(open(rx, seal(tx, m)), m);
      assert.equal(tx.nonceHi, 1);
      assert.equal(tx.nonceLo, 0);
      assert.deepEqual(open(rx, seal(tx, m)), m, "nonce 2^32 agrees on both sides");
      // The receiver's nonce must match: a sender one ahead fails.
      tx.setNonce(5, 5);
      rx.setNonce(5, 4);
      assert.equal(open(rx, seal(tx, m)), null);
      // 2^64−2 is the last usable nonce; 2^64−1 is reserved: refused, never wrapped to 0.
      tx.setNonce(-1, -2);
      rx.setNonce(-1, -2);
      assert.deepEqual(open(rx, seal(tx, m)), m, "nonce 2^64−2");
      assert.ok(tx.exhausted && rx.exhausted);
      const buf = new Uint8Array(m.length + 16);
      buf.set(m);
      assert.equal(tx.encryptInPlace(null, buf, 0, m.length), -1, "send refuses at 2^64−1");
      assert.equal(tx.encryptInPlace(null, buf, 0, m.length), -1, "and keeps refusing");
      assert.equal(tx.nonceHi, -1);
      assert.equal(tx.nonceLo, -1);
      // The receiver at 2^64−1 refuses any frame (before any AEAD work).
      const rogue = new Uint8Array(m.length + 16);
      rogue.set(m);
      assert.equal(rx.decryptInPlace(null, rogue, 0, rogue.length), -1, "receive refuses at 2^64−1");
    });

    test(`${suite}: in-place transport at an offset, Noise size limit, no room for the tag`, () => {
      const server = generateKeyPair(crypto);
      const client = generateKeyPair(crypto);
      const p = handshake(crypto, suite, server, client, SENTINEL_PSK, new Map([[SENTINEL_PSK_ID, SENTINEL_PSK]]))!;
      const buf = new Uint8Array(100);
      for (let i = 0; i < 100; i++) buf[i] = i;
      const n = p.init.send.encryptInPlace(null, buf, 10, 50);
      assert.equal(n, 66);
      assert.equal(buf[9], 9, "bytes before untouched");
      assert.equal(buf[76], 76, "bytes after the tag untouched");
      assert.equal(p.resp.recv.decryptInPlace(null, buf, 10, 66), 50);
      for (let i = 0; i < 50; i++) assert.equal(buf[10 + i], 10 + i);
      const big = new Uint8Array(65536);
      assert.equal(p.init.send.encryptInPlace(null, big, 0, 65520), -1, "65520 + 16 > 65535");
      assert.equal(p.init.send.encryptInPlace(null, big, 0, 65519), 65535, "65519 + 16 = 65535 is allowed");
      assert.equal(p.resp.recv.decryptInPlace(null, big, 0, 65536), -1, "over the limit");
      assert.equal(p.resp.recv.decryptInPlace(null, big, 0, 65535), 65519);
      assert.equal(p.init.send.encryptInPlace(null, new Uint8Array(20), 0, 5), -1, "no room for the tag");
      assert.equal(p.resp.recv.decryptInPlace(null, new Uint8Array(15), 0, 15), -1, "shorter than a tag");
    });
  }

  test("the handshake hash is exposed and equals split().h", () => {
    const suite = "25519_AESGCM_SHA256";
    const a = generateKeyPair(crypto);
    const b = generateKeyPair(crypto);
    const i = NoiseKKpsk2.initiator({ crypto, suite, prologue: utf8Encode("h"), s: a, rs: b.publicKey, psk: SENTINEL_PSK });
    const r = NoiseKKpsk2.responder({ crypto, suite, prologue: utf8Encode("h"), s: b, rs: a.publicKey });
    const m1 = i.writeMessage1(new Uint8Array(0));
    assert.ok(r.readMessage1(m1) !== null);
    assert.deepEqual(i.handshakeHash, r.handshakeHash, "h agrees after message 1");
    r.setPsk(SENTINEL_PSK);
    assert.ok(i.readMessage2(r.writeMessage2(new Uint8Array(0))) !== null);
    const ri = i.split();
    assert.ok(bytesEqual(ri.h, i.handshakeHash) && bytesEqual(ri.h, r.split().h));
  });
}, 7);
