// Every crypto backend (portable; native in the native XS host) against independent computations: noble called
// directly with explicit Noise nonces (ChaChaPoly: 4 zero bytes + LE64, AESGCM: 4 zero bytes + BE64), RFC 5869
// HKDF, RFC 7748 X25519, RFC 4231 HMAC.

import { assert, report, test } from "../../harness.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { acceptValue } from "../../../modules/websocket/handshake.js";
import { keyedHmacSha512, SUITES, type CryptoProvider } from "../../../crypto/provider.js";
import { concatBytes, fromHex, toHex } from "../../../modules/util/bytes.js";
import { SeededRandom } from "../../support/random.js";
import { describeEachBackend } from "../../support/backends.js";

/** The 12-byte nonce of counter hi:lo for a suite, written out byte by byte. */
function noiseNonce(chacha: boolean, hi: number, lo: number): Uint8Array {
  const n = new Uint8Array(12);
  for (let i = 0; i < 4; i++) {
    const h = (hi >>> (8 * i)) & 255, l = (lo >>> (8 * i)) & 255;
    if (chacha) {
      n[4 + i] = l; // little-endian 64-bit: low word first, least significant byte first
      n[8 + i] = h;
    } else {
      n[11 - i] = l; // big-endian 64-bit: high word first, most significant byte first
      n[7 - i] = h;
    }
  }
  return n;
}

describeEachBackend("crypto provider", (crypto) => {
  for (const suite of SUITES) {
    const chacha = suite === "25519_ChaChaPoly_SHA256";
    test(`${suite}: in-place seal/open at an offset equals the library with the Noise nonce layout`, () => {
      const rnd = new SeededRandom(9);
      const key = rnd.bytes(32);
      const ad = rnd.bytes(13);
      const aead = crypto.aead(suite, key);
      for (const [hi, lo] of [[0, 0], [0, 1], [0x01020304, 0x05060708], [0, -1], [-1, -2]]) {
        for (const len of [0, 1, 17, 300]) {
          const plain = rnd.bytes(len);
          const expected = (chacha ? chacha20poly1305 : gcm)(key, noiseNonce(chacha, hi, lo), ad).encrypt(plain);
          const buf = new Uint8Array(len + 16 + 7);
          buf.fill(0xee);
          buf.set(plain, 3);
          assert.equal(aead.seal(hi, lo, ad, buf, 3, len), len + 16);
          assert.equal(toHex(buf.subarray(3, 3 + len + 16)), toHex(expected), `seal ${hi}:${lo} len ${len}`);
          assert.equal(buf[2], 0xee);
          assert.equal(buf[3 + len + 16], 0xee);
          assert.equal(aead.open(hi, lo, ad, buf, 3, len + 16), len, `open ${hi}:${lo} len ${len}`);
          assert.equal(toHex(buf.subarray(3, 3 + len)), toHex(plain));
        }
      }
    });

    test(`${suite}: open returns -1 on a wrong nonce, AD, tag or length (never throws)`, () => {
      const aead = crypto.aead(suite, new Uint8Array(32).fill(1));
      const buf = new Uint8Array(40);
      aead.seal(0, 5, null, buf, 0, 24);
      const copy = () => buf.slice();
      assert.equal(aead.open(0, 6, null, copy(), 0, 40), -1, "nonce");
      assert.equal(aead.open(1, 5, null, copy(), 0, 40), -1, "high half of the nonce");
      assert.equal(aead.open(0, 5, new Uint8Array(1), copy(), 0, 40), -1, "AD");
      const t = copy();
      t[39] ^= 1;
      assert.equal(aead.open(0, 5, null, t, 0, 40), -1, "tag");
      assert.equal(aead.open(0, 5, null, copy(), 0, 15), -1, "shorter than a tag");
      assert.equal(aead.open(0, 5, null, copy(), 0, 40), 24, "the genuine one");
    });
  }

  test("HKDF is RFC 5869 HKDF-SHA-256 with the chaining key as salt and empty info", () => {
    const rnd = new SeededRandom(4);
    const ck = rnd.bytes(32);
    for (const ikm of [new Uint8Array(0), rnd.bytes(32)]) {
      const expected = hkdf(sha256, ikm, ck, new Uint8Array(0), 96);
      const [a, b, c] = crypto.hkdfSha256(ck, ikm, 3);
      assert.equal(toHex(concatBytes(a, b, c)), toHex(expected));
      const two = crypto.hkdfSha256(ck, ikm, 2);
      assert.equal(two.length, 2);
      assert.equal(toHex(concatBytes(two[0], two[1])), toHex(expected.subarray(0, 64)));
    }
  });

  test("X25519: RFC 7748 §6.1, and a low-order point throws", () => {
    const a = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const b = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    assert.equal(toHex(crypto.x25519Base(a)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    assert.equal(toHex(crypto.x25519Base(b)), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    assert.equal(toHex(crypto.x25519(a, crypto.x25519Base(b))), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert.throws(() => crypto.x25519(a, new Uint8Array(32)));
  });

  test("SHA-256/512 over parts equal the one-shot digest; HMAC-SHA-256 RFC 4231 case 2", () => {
    const x = fromHex("00010203040506070809");
    assert.equal(toHex(crypto.sha256(x.subarray(0, 3), x.subarray(3))), toHex(crypto.sha256(x)));
    assert.equal(toHex(crypto.sha512(x.subarray(0, 4), x.subarray(4))), toHex(crypto.sha512(x)));
    const key = fromHex("4a656665"); // "Jefe"
    const data = fromHex("7768617420646f2079612077616e7420666f72206e6f7468696e673f");
    assert.equal(toHex(crypto.hmacSha256(key, data.subarray(0, 5), data.subarray(5))), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert.equal(
      toHex(crypto.hmacSha512(key, data)),
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    );
  });

  test("SHA-1, when the backend has it (native): FIPS 180 examples, parts, random inputs against noble, the RFC 6455 accept key", () => {
    const backendSha1 = crypto.sha1;
    if (!backendSha1) {
      assert.equal(crypto.name, "portable", "only the portable backend leaves SHA-1 to the WebSocket server's default");
      return;
    }
    const h = (...parts: Uint8Array[]) => toHex(backendSha1(...parts));
    const abc = fromHex("616263");
    assert.equal(h(abc), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert.equal(h(abc.subarray(0, 1), abc.subarray(1)), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert.equal(h(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const rnd = new SeededRandom(13);
    for (let i = 0; i < 20; i++) {
      const msg = rnd.bytes((i * 41) % 200);
      const cut = msg.length >> 1;
      assert.equal(h(msg.subarray(0, cut), msg.subarray(cut)), toHex(sha1(msg)), `sha1 ${i}`);
    }
    assert.equal(acceptValue("dGhlIHNhbXBsZSBub25jZQ==", (d) => backendSha1(d)), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  test("keyed HMAC-SHA-512 (the backend's, and the fallback over hmacSha512): each message equals a fresh HMAC, the key is copied, dispose ends it", () => {
    const rnd = new SeededRandom(9);
    const keys = [fromHex("4a656665"), rnd.bytes(64), rnd.bytes(200)]; // short, CPace's mac_key size, longer than a block
    const withoutKeyed: CryptoProvider = { ...crypto, hmacSha512Keyed: undefined };
    let cases = 0;
    for (const provider of [crypto, withoutKeyed]) {
      for (const k of keys) {
        const m = keyedHmacSha512(provider, k);
        const original = k.slice();
        k.fill(0); // the caller may wipe its key once keyed
        for (const msg of [rnd.bytes(34), rnd.bytes(200), new Uint8Array(0)]) {
          assert.equal(toHex(m.mac(msg)), toHex(hmac(sha512, original, msg)));
          assert.equal(toHex(m.mac(msg.subarray(0, 7), msg.subarray(7))), toHex(hmac(sha512, original, msg)), "parts");
          cases += 2;
        }
        k.set(original);
        m.dispose();
        assert.throws(() => m.mac(keys[0]));
      }
    }
    report(`crypto provider: keyed HMAC-SHA-512 ${cases} messages (${crypto.hmacSha512Keyed ? "the backend's own and " : ""}the fallback) agree with noble`);
  });

  test("SHA-256/512 and HMAC agree with noble on random inputs, empty and over-long keys, up to 8 parts", () => {
    const rnd = new SeededRandom(12);
    let cases = 0;
    for (let i = 0; i < 40; i++) {
      const msg = rnd.bytes((i * 37) % 300);
      const key = rnd.bytes(i === 0 ? 0 : (i * 53) % 200); // 0, short, and beyond the 64/128-byte block sizes
      const parts: Uint8Array[] = [];
      for (let at = 0, k = 0; k < 1 + (i % 8); k++) {
        const next = k === i % 8 ? msg.length : Math.min(msg.length, at + rnd.below(60));
        parts.push(msg.subarray(at, next));
        at = next;
      }
      assert.equal(toHex(crypto.sha256(...parts)), toHex(sha256(msg)), `sha256 ${i}`);
      assert.equal(toHex(crypto.sha512(...parts)), toHex(sha512(msg)), `sha512 ${i}`);
      assert.equal(toHex(crypto.hmacSha256(key, ...parts)), toHex(hmac(sha256, key, msg)), `hmac-sha256 ${i} (key ${key.length} B)`);
      assert.equal(toHex(crypto.hmacSha512(key, ...parts)), toHex(hmac(sha512, key, msg)), `hmac-sha512 ${i}`);
      cases++;
    }
    report(`crypto provider: ${cases} random SHA-2/HMAC cases agree with noble`);
  });

  test("X25519: RFC 7748 §5.2 (the top bit of u is masked); wrong sizes throw", () => {
    const k = fromHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
    const u = fromHex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
    assert.equal(toHex(crypto.x25519(k, u)), "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    assert.throws(() => crypto.x25519(k.subarray(0, 31), u));
    assert.throws(() => crypto.x25519(k, u.subarray(1)));
    assert.throws(() => crypto.aead("25519_ChaChaPoly_SHA256", new Uint8Array(16)));
  });

  test("HKDF with two outputs equals the first two of three", () => {
    const rnd = new SeededRandom(6);
    const ck = rnd.bytes(32), ikm = rnd.bytes(32);
    const [a, b] = crypto.hkdfSha256(ck, ikm, 2);
    const three = crypto.hkdfSha256(ck, ikm, 3);
    assert.equal(three.length, 3);
    assert.equal(toHex(a), toHex(three[0]));
    assert.equal(toHex(b), toHex(three[1]));
    assert.equal(a.length + b.length + three[2].length, 96);
  });
}, 2);
