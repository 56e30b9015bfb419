// The native crypto backend: the CryptoProvider port over the C core in this folder (sendspin_crypto.h over
// Mbed TLS's PSA API), reached through XS's native()/Native(). A thin wrapper: argument shapes and errors
// here, all arithmetic in C.
//
// Why it lives in drivers/ and not in crypto/: like every other driver it implements a port with something
// only the host has (here C linked into the firmware), and it cannot run in Node or in a plain XS engine.
// The core (crypto/, modules/) stays host-free; this file imports only the port's types and SUITES. Its
// native()/Native() declarations are local to this module (no global typing leaks into the core), and on the
// device xsc compiles each native("xs_...") into a direct reference to the host function.
//
// The transport path (Aead.seal/open) allocates nothing: one call into C on the caller's buffer, the key bound
// once per cipher state. Handshake-time primitives return fresh arrays, as the port specifies.

import type { RandomPort } from "../../modules/platform.js";
import { SUITES, type Aead, type CryptoProvider, type SuiteName } from "../../crypto/provider.js";
import { suitesToServe } from "../../crypto/suite-report.js";

// XS's host-function hooks (see Moddable's "XS in C", Native/native): compiled by xsc on the device; the
// test host (test/native/host) provides them as globals resolving the same C symbols.
declare function native(name: string): (...args: any[]) => any;
declare function Native(destructor: string): new () => object;

const suiteReport: () => string = native("xs_ssc_suites");
const aeadInit = native("xs_ssc_aead_init");
const aeadSeal = native("xs_ssc_aead_seal");
const aeadOpen = native("xs_ssc_aead_open");
const aeadClose = native("xs_ssc_aead_close");
const x25519Into: (out: Uint8Array, scalar: Uint8Array, u: Uint8Array) => boolean = native("xs_ssc_x25519");
const x25519BaseInto: (out: Uint8Array, scalar: Uint8Array) => void = native("xs_ssc_x25519_base");
const sha1Into: (out: Uint8Array, ...parts: Uint8Array[]) => void = native("xs_ssc_sha1");
const sha256Into: (out: Uint8Array, ...parts: Uint8Array[]) => void = native("xs_ssc_sha256");
const sha512Into: (out: Uint8Array, ...parts: Uint8Array[]) => void = native("xs_ssc_sha512");
const hmacSha256Into: (out: Uint8Array, key: Uint8Array, ...parts: Uint8Array[]) => void = native("xs_ssc_hmac_sha256");
const hmacSha512Into: (out: Uint8Array, key: Uint8Array, ...parts: Uint8Array[]) => void = native("xs_ssc_hmac_sha512");
const hkdfInto: (out: Uint8Array, ck: Uint8Array, ikm: Uint8Array, count: number) => void = native("xs_ssc_hkdf");

/** The C core can take at most this many parts in one hash/MAC call (MAX_PARTS in xs_sendspin_crypto.c). */
const MAX_PARTS = 16;

/** A keyed AEAD: a host object holding the library's key handle (freed by dispose() or, failing that, by GC). */
class NativeAead extends Native("xs_ssc_aead_destructor") implements Aead {
  constructor(suite: SuiteName, key: Uint8Array) {
    super();
    aeadInit.call(this, SUITES.indexOf(suite), key);
  }

  seal(nonceHi: number, nonceLo: number, ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number {
    return aeadSeal.call(this, nonceHi, nonceLo, ad, buf, off, len);
  }

  open(nonceHi: number, nonceLo: number, ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number {
    return aeadOpen.call(this, nonceHi, nonceLo, ad, buf, off, len);
  }

  dispose(): void {
    aeadClose.call(this);
  }
}

function digest(size: number, into: (out: Uint8Array, ...parts: Uint8Array[]) => void, parts: Uint8Array[]): Uint8Array {
  if (parts.length > MAX_PARTS) throw new RangeError("crypto: too many parts");
  const out = new Uint8Array(size);
  into(out, ...parts);
  return out;
}

function mac(size: number, into: (out: Uint8Array, key: Uint8Array, ...parts: Uint8Array[]) => void, key: Uint8Array, parts: Uint8Array[]): Uint8Array {
  if (parts.length > MAX_PARTS) throw new RangeError("crypto: too many parts");
  const out = new Uint8Array(size);
  into(out, key, ...parts);
  return out;
}

export function createNativeCrypto(random: RandomPort): CryptoProvider {
  // What the build compiled in and what works, preferred first (crypto/suite-report.ts); throws when nothing does.
  const suites = suitesToServe(suiteReport());
  return {
    name: "native",
    suites,
    aead(suite: SuiteName, key: Uint8Array): Aead {
      if (!suites.includes(suite)) throw new Error(`aead: ${suite} not served by the native backend`);
      if (key.length !== 32) throw new Error("aead: key must be 32 bytes");
      return new NativeAead(suite, key);
    },
    x25519(scalar, u) {
      if (scalar.length !== 32 || u.length !== 32) throw new Error("x25519: inputs must be 32 bytes");
      const out = new Uint8Array(32);
      if (!x25519Into(out, scalar, u)) throw new Error("x25519: low-order point");
      return out;
    },
    x25519Base(scalar) {
      if (scalar.length !== 32) throw new Error("x25519: scalar must be 32 bytes");
      const out = new Uint8Array(32);
      x25519BaseInto(out, scalar);
      return out;
    },
    sha1: (...parts) => digest(20, sha1Into, parts),
    sha256: (...parts) => digest(32, sha256Into, parts),
    sha512: (...parts) => digest(64, sha512Into, parts),
    hmacSha256: (key, ...parts) => mac(32, hmacSha256Into, key, parts),
    hmacSha512: (key, ...parts) => mac(64, hmacSha512Into, key, parts),
    hkdfSha256(chainingKey, ikm, count) {
      const out = new Uint8Array(32 * count);
      hkdfInto(out, chainingKey, ikm, count);
      const o1 = out.subarray(0, 32), o2 = out.subarray(32, 64);
      return count === 2 ? [o1, o2] : [o1, o2, out.subarray(64, 96)];
    },
    randomBytes: (out) => random.fill(out),
  };
}
