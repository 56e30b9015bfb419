// The portable provider with X25519 delegated to Node's native implementation (Node only, tests only):
// the fuzz test runs thousands of Noise handshakes, which the pure-JavaScript curve makes slow. Any
// case Node refuses (low-order points) falls back to the portable code, so results and failures are
// exactly the portable provider's.

import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import { createPortableCrypto } from "../../../crypto/portable.js";
import type { CryptoProvider } from "../../../crypto/provider.js";
import type { RandomPort } from "../../../modules/platform.js";

// Keys are imported as JWK (about 25 µs; OpenSSL 3's DER decoders take over 1 ms). Node's JWK import of
// an X25519 private key needs an `x` member but derives the public key from `d` alone, so a placeholder
// is given; the result is checked against the portable code once at load. Recent keys are cached
// (statics and a handshake's ephemerals are used two or three times each).
const PLACEHOLDER_X = Buffer.alloc(32).toString("base64url");
const privCache = new Map<string, KeyObject>();
const pubCache = new Map<string, KeyObject>();

function cached(cache: Map<string, KeyObject>, bytes: Uint8Array, make: () => KeyObject): KeyObject {
  const k = Buffer.from(bytes).toString("hex");
  let v = cache.get(k);
  if (!v) {
    v = make();
    if (cache.size >= 256) cache.delete(cache.keys().next().value as string);
    cache.set(k, v);
  }
  return v;
}

function privateKey(scalar: Uint8Array): KeyObject {
  return cached(privCache, scalar, () => createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: Buffer.from(scalar).toString("base64url"), x: PLACEHOLDER_X }, format: "jwk" }));
}

function publicKey(u: Uint8Array): KeyObject {
  return cached(pubCache, u, () => createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(u).toString("base64url") }, format: "jwk" }));
}

export function createFastCrypto(random: RandomPort): CryptoProvider {
  const portable = createPortableCrypto(random);
  const fast: CryptoProvider = {
    ...portable,
    name: "portable+node-x25519",
    x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
      if (scalar.length === 32 && u.length === 32) {
        try {
          const out = diffieHellman({ privateKey: privateKey(scalar), publicKey: publicKey(u) });
          if (out.some((b) => b !== 0)) return new Uint8Array(out);
        } catch {
          // fall through: the portable code decides (throws or returns) exactly as the product would
        }
      }
      return portable.x25519(scalar, u);
    },
    x25519Base(scalar: Uint8Array): Uint8Array {
      if (scalar.length !== 32) return portable.x25519Base(scalar);
      const jwk = createPublicKey(privateKey(scalar)).export({ format: "jwk" });
      return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
    },
  };
  // The shortcut must agree with the portable code: public keys and a shared secret.
  const a = new Uint8Array(32).fill(3), b = new Uint8Array(32).fill(4);
  const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
  if (!same(fast.x25519Base(a), portable.x25519Base(a)) || !same(fast.x25519(a, portable.x25519Base(b)), portable.x25519(a, portable.x25519Base(b)))) {
    throw new Error("fast-crypto: Node's X25519 disagrees with the portable provider");
  }
  return fast;
}
