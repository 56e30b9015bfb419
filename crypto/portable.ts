// The portable crypto backend: every primitive from @noble/* (audited, pure JavaScript, runs on XS).
// It is the reference every other backend is tested against, and what the simulator uses.
// Randomness comes from the platform's random port (XS has no crypto.getRandomValues).

import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { gcm } from "@noble/ciphers/aes.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { x25519 } from "@noble/curves/ed25519.js";
import type { RandomPort } from "../modules/platform.js";
import type { Aead, CryptoProvider, KeyedMac, SuiteName } from "./provider.js";

type CipherFactory = (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => {
  encrypt(plaintext: Uint8Array, output?: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array, output?: Uint8Array): Uint8Array;
};

const EMPTY = new Uint8Array(0);
/** HKDF's output counters (1-byte inputs, never written). */
const COUNTER = [EMPTY, new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];

/**
 * A keyed AEAD with the Noise nonce layout: 4 zero bytes then the 64-bit counter (LE for ChaChaPoly, BE for AESGCM).
 *
 * noble's ChaCha20-Poly1305 writes into a caller-supplied output (so seal/open run in the caller's buffer);
 * noble's AES-GCM has no output parameter (it rejects one), so its result is copied back into the caller's
 * buffer. Either way the caller sees in-place semantics; the native backend avoids the copies.
 */
class NobleAead implements Aead {
  private readonly key: Uint8Array;
  private readonly nonce = new Uint8Array(12);
  private readonly nonceView = new DataView(this.nonce.buffer);

  constructor(private readonly factory: CipherFactory, private readonly littleEndian: boolean, private readonly writesIntoOutput: boolean, key: Uint8Array) {
    if (key.length !== 32) throw new Error("aead: key must be 32 bytes");
    this.key = key.slice();
  }

  private setNonce(hi: number, lo: number): Uint8Array {
    // Counter halves are int32 values; DataView stores their bit patterns (setInt32 keeps ints, no doubles).
    if (this.littleEndian) {
      this.nonceView.setInt32(4, lo, true);
      this.nonceView.setInt32(8, hi, true);
    } else {
      this.nonceView.setInt32(4, hi, false);
      this.nonceView.setInt32(8, lo, false);
    }
    return this.nonce;
  }

  seal(nonceHi: number, nonceLo: number, ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number {
    const c = this.factory(this.key, this.setNonce(nonceHi, nonceLo), ad ?? EMPTY);
    const plain = buf.subarray(off, off + len);
    if (this.writesIntoOutput) c.encrypt(plain, buf.subarray(off, off + len + 16));
    else buf.set(c.encrypt(plain), off);
    return len + 16;
  }

  open(nonceHi: number, nonceLo: number, ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number {
    if (len < 16) return -1;
    const c = this.factory(this.key, this.setNonce(nonceHi, nonceLo), ad ?? EMPTY);
    const sealed = buf.subarray(off, off + len);
    try {
      if (this.writesIntoOutput) c.decrypt(sealed, buf.subarray(off, off + len - 16));
      else {
        const plain = c.decrypt(sealed);
        buf.set(plain, off);
        plain.fill(0);
      }
    } catch {
      return -1; // authentication failure (noble throws on a bad tag)
    }
    return len - 16;
  }

  dispose(): void {
    this.key.fill(0);
  }
}

function digest(fn: typeof sha256 | typeof sha512, parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return fn(parts[0]);
  const h = fn.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

function mac(fn: typeof sha256 | typeof sha512, key: Uint8Array, parts: Uint8Array[]): Uint8Array {
  const m = hmac.create(fn, key);
  for (const p of parts) m.update(p);
  return m.digest();
}

export function createPortableCrypto(random: RandomPort): CryptoProvider {
  return {
    name: "portable",
    // In XS the ChaCha20-Poly1305 code is about twice as fast as AES-GCM (no tables, no FPU-bound math).
    suites: ["25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA256"],
    aead(suite: SuiteName, key: Uint8Array): Aead {
      if (suite === "25519_ChaChaPoly_SHA256") return new NobleAead(chacha20poly1305 as unknown as CipherFactory, true, true, key);
      if (suite === "25519_AESGCM_SHA256") return new NobleAead(gcm as unknown as CipherFactory, false, false, key);
      throw new Error("aead: unknown suite");
    },
    x25519: (scalar, u) => x25519.getSharedSecret(scalar, u),
    x25519Base: (scalar) => x25519.getPublicKey(scalar),
    sha256: (...parts) => digest(sha256, parts),
    sha512: (...parts) => digest(sha512, parts),
    hmacSha256: (key, ...parts) => mac(sha256, key, parts),
    hmacSha512: (key, ...parts) => mac(sha512, key, parts),
    hmacSha512Keyed(key): KeyedMac {
      // noble's HMAC absorbs the padded key into its inner and outer hashes at creation; each message
      // then starts from a copy of them.
      const keyed = hmac.create(sha512, key);
      return {
        mac(...parts) {
          const m = keyed.clone(); // throws once destroyed
          for (const p of parts) m.update(p);
          return m.digest();
        },
        dispose: () => keyed.destroy(),
      };
    },
    hkdfSha256(chainingKey, ikm, count) {
      // Noise HKDF (§4.3): temp = HMAC(ck, ikm); out_i = HMAC(temp, out_{i-1} || i). The outputs share
      // the key temp: it is hashed into the HMAC's inner and outer states once and each output starts
      // from a copy of them (two SHA-256 blocks fewer per output after the first).
      const temp = mac(sha256, chainingKey, [ikm]);
      const keyed = hmac.create(sha256, temp);
      temp.fill(0);
      const o1 = keyed.clone().update(COUNTER[1]).digest();
      const o2 = keyed.clone().update(o1).update(COUNTER[2]).digest();
      const out = count === 2 ? [o1, o2] : [o1, o2, keyed.clone().update(o2).update(COUNTER[3]).digest()];
      keyed.destroy();
      return out;
    },
    randomBytes: (out) => random.fill(out),
  };
}
