// Tests only the native XS host can run (after the shared, parameterised ones): the native backend against the
// portable one on random inputs, the transport path's allocations counted by the engine itself, key lifetime.

import { assert, describe, report, test } from "../harness.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import { CipherState } from "../../crypto/noise.js";
import { SUITES } from "../../crypto/provider.js";
import { toHex } from "../../modules/util/bytes.js";
import { SeededRandom } from "../support/random.js";
import { NATIVE_BACKEND } from "./register-native.js";
import { XsMemory } from "./memory.js";
import { checkUnmasker } from "../support/unmask-check.js";


const native = NATIVE_BACKEND.create(new SeededRandom(1));
const portable = createPortableCrypto(new SeededRandom(1));

describe("native backend (XS host)", () => {
  test("agrees with the portable backend on random inputs: AEAD both ways, X25519, SHA-2, HMAC, HKDF", () => {
    const rnd = new SeededRandom(99);
    let cases = 0;
    for (let i = 0; i < 60; i++) {
      for (const suite of SUITES) {
        const key = rnd.bytes(32);
        const len = (i * 97) % 1500;
        const ad = i % 3 === 0 ? null : rnd.bytes(i % 50);
        const hi = rnd.nextInt32(), lo = rnd.nextInt32();
        const plain = rnd.bytes(len);
        const a = new Uint8Array(len + 16 + 4), b = new Uint8Array(len + 16 + 4);
        a.set(plain, 2);
        b.set(plain, 2);
        const na = native.aead(suite, key), pa = portable.aead(suite, key);
        assert.equal(na.seal(hi, lo, ad, a, 2, len), len + 16);
        assert.equal(pa.seal(hi, lo, ad, b, 2, len), len + 16);
        assert.equal(toHex(a), toHex(b), `${suite} ciphertext ${i}`);
        assert.equal(pa.open(hi, lo, ad, a, 2, len + 16), len, "portable opens native");
        assert.equal(na.open(hi, lo, ad, b, 2, len + 16), len, "native opens portable");
        assert.equal(toHex(b.subarray(2, 2 + len)), toHex(plain));
        na.dispose();
        pa.dispose();
        cases++;
      }
      const s = rnd.bytes(32), u = portable.x25519Base(rnd.bytes(32));
      assert.equal(toHex(native.x25519Base(s)), toHex(portable.x25519Base(s)), `x25519 base ${i}`);
      assert.equal(toHex(native.x25519(s, u)), toHex(portable.x25519(s, u)), `x25519 ${i}`);
      const m = rnd.bytes(i * 13), k = rnd.bytes(i % 140);
      assert.equal(toHex(native.sha256(m)), toHex(portable.sha256(m)));
      assert.equal(toHex(native.sha512(m, k)), toHex(portable.sha512(m, k)));
      assert.equal(toHex(native.hmacSha256(k, m)), toHex(portable.hmacSha256(k, m)));
      assert.equal(toHex(native.hmacSha512(k, m, k)), toHex(portable.hmacSha512(k, m, k)));
      const ck = rnd.bytes(32);
      assert.equal(toHex(native.hkdfSha256(ck, m, 3)[2]), toHex(portable.hkdfSha256(ck, m, 3)[2]));
      cases++;
    }
    report(`native backend: ${cases} random cases agree with the portable backend`);
  });

  test("the transport path allocates nothing in XS: 2,000 Noise frames of 20 ms audio sealed and opened", () => {
    for (const suite of SUITES) {
      const key = new SeededRandom(5).bytes(32);
      const tx = new CipherState(native.aead(suite, key)), rx = new CipherState(native.aead(suite, key));
      const frame = new Uint8Array(3849 + 16);
      const step = () => {
        const n = tx.encryptInPlace(null, frame, 0, 3849);
        if (rx.decryptInPlace(null, frame, 0, n) !== 3849) throw new Error("frame did not open");
      };
      for (let i = 0; i < 10; i++) step(); // warm-up: every property cache and integer path exercised
      const before = new XsMemory(), after = new XsMemory();
      before.read(true);
      for (let i = 0; i < 2000; i++) step();
      after.read(); // no collection in between: anything allocated would still be counted
      assert.equal(after.slots - before.slots, 0, `${suite}: slots allocated`);
      assert.equal(after.chunks - before.chunks, 0, `${suite}: chunk bytes allocated`);
      tx.dispose();
      rx.dispose();
    }
    report("native backend: 2 × 2,000 seal+open of a 20 ms frame: 0 slots and 0 chunk bytes allocated");
  });

  test("dispose forgets the key: the AEAD refuses to work afterwards; disposing twice is harmless", () => {
    const aead = native.aead("25519_ChaChaPoly_SHA256", new Uint8Array(32).fill(9));
    const buf = new Uint8Array(32);
    assert.equal(aead.seal(0, 0, null, buf, 0, 16), 32);
    aead.dispose();
    aead.dispose();
    assert.throws(() => aead.seal(0, 1, null, buf, 0, 16), /disposed/);
    assert.throws(() => aead.open(0, 0, null, buf, 0, 32), /disposed/);
  });

  test("AEADs dropped without dispose give their library keys back when XS collects them", () => {
    // Mbed TLS's key store has 32 slots here; 300 bindings only succeed if lost ones are reclaimed.
    const key = new Uint8Array(32).fill(4);
    for (let i = 0; i < 300; i++) native.aead(SUITES[i & 1], key);
    const buf = new Uint8Array(16);
    assert.equal(native.aead("25519_AESGCM_SHA256", key).seal(0, 0, null, buf, 0, 0), 16);
    report("native backend: 300 undisposed AEADs bound in a row (key store reclaimed by GC)");
  });

  test("seal with no room for the tag throws; open of a bad range returns -1", () => {
    const aead = native.aead("25519_AESGCM_SHA256", new Uint8Array(32));
    const buf = new Uint8Array(20);
    assert.throws(() => aead.seal(0, 0, null, buf, 0, 5), /room/);
    assert.throws(() => aead.seal(0, 0, null, buf, 25, 0), /room/);
    assert.equal(aead.open(0, 0, null, buf, 10, 16), -1, "past the end");
    assert.equal(aead.open(0, 0, null, buf, -1, 16), -1, "negative offset");
    assert.equal(aead.open(0, 0, null, buf, 0, 15), -1, "shorter than a tag");
    aead.dispose();
  });

  test("the native WebSocket unmasking decodes every split of masked frames exactly as the JavaScript one", () => {
    const unmask = NATIVE_BACKEND.unmask!;
    const n = checkUnmasker(unmask, new SeededRandom(23), 80);
    // direct: every phase and misalignment against a byte-by-byte reference
    const rnd = new SeededRandom(8);
    for (let i = 0; i < 200; i++) {
      const buf = rnd.bytes(1 + rnd.below(64)), mask = rnd.bytes(4);
      const from = rnd.below(buf.length), to = from + rnd.below(buf.length - from + 1), phase = rnd.below(4);
      const expected = buf.slice();
      for (let k = from; k < to; k++) expected[k] ^= mask[(phase + k - from) & 3];
      unmask(buf, from, to, mask, phase);
      assert.equal(toHex(buf), toHex(expected), `range ${from}..${to} phase ${phase}`);
    }
    assert.throws(() => unmask(new Uint8Array(4), 2, 5, new Uint8Array(4), 0), /range/);
    report(`native backend: xorMask: ${n} messages over random splits + 200 ranges agree with JavaScript`);
  });
});
