// CPACE-X25519-SHA512 (draft-irtf-cfrg-cpace), initiator-responder mode with explicit mutual
// confirmation (MCF): the PAKE of Sendspin's PIN pairing (spec §PAKE). The server is role A (initiator),
// the speaker role B (responder).
//
// Formulas (draft-irtf-cfrg-cpace-12 through -21 agree on every one of them; they reproduce the project's
// vectors, while the key confirmation of drafts -06..-11, mac_key = H("CPaceMac" || ISK), does not):
//   gen_str  = lv_cat("CPace255", PRS, zero_bytes(len_zpad), CI, sid),
//              len_zpad = max(0, 128 - 1 - len(prepend_len(PRS)) - len(prepend_len("CPace255")))
//   g        = map_to_curve_elligator2(decodeUCoordinate(SHA-512(gen_str)[0..32], 255))
//   Y        = X25519(y, g);  K = X25519(y, Y_peer), abort when K is all zero (low-order Y_peer)
//   ISK      = SHA-512(lv_cat("CPace255_ISK", sid, K) || lv_cat(Ya, ADa) || lv_cat(Yb, ADb))
//   mac_key  = SHA-512("CPaceMac" || sid || ISK)
//   Ta       = HMAC-SHA-512(mac_key, lv_cat(Ya, ADa)),  Tb = HMAC-SHA-512(mac_key, lv_cat(Yb, ADb))
//
// The hashes, HMAC and X25519 come from the CryptoProvider (a native backend can serve them); only the
// Elligator 2 map is ours, over @noble/curves' field arithmetic (BigInt). It runs once per pairing attempt.

import { Field, pow2 } from "@noble/curves/abstract/modular.js";
import { concatBytes, constantTimeEqual, wipe } from "../modules/util/bytes.js";
import { utf8Encode } from "../modules/util/utf8.js";
import { keyedHmacSha512, type CryptoProvider, type KeyedMac } from "./provider.js";

const DSI = utf8Encode("CPace255");
const DSI_ISK = utf8Encode("CPace255_ISK");
const MAC_LABEL = utf8Encode("CPaceMac");
const SID_LABEL = utf8Encode("sendspin-pair-pake-v1");
/** SHA-512's input block size: the generator string's zero padding fills the first block. */
const SHA512_BLOCK_BYTES = 128;
const EMPTY = new Uint8Array(0);

/** A share (Ya, Yb) and an X25519 scalar are 32 bytes; an MCF tag (HMAC-SHA-512) is 64. */
export const CPACE_SHARE_BYTES = 32;
export const CPACE_TAG_BYTES = 64;

// ---- encodings (draft §Notation: prepend_len is LEB128, lv_cat concatenates length-prefixed fields) ----

function lebLength(n: number): number {
  let k = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    k++;
  }
  return k;
}

/** lv_cat(parts...): each part preceded by its length in LEB128. */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += lebLength(p.length) + p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    let n = p.length;
    while (n >= 128) {
      out[o++] = (n & 127) | 128;
      n = Math.floor(n / 128);
    }
    out[o++] = n;
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** generator_string(DSI, PRS, CI, sid, s_in_bytes) for the X25519/SHA-512 suite. */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const used = lebLength(prs.length) + prs.length + lebLength(DSI.length) + DSI.length;
  const zpad = Math.max(0, SHA512_BLOCK_BYTES - 1 - used);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

// ---- Elligator 2 to Curve25519 (RFC 9380 §6.7.1 with Z = 2, the draft's appendix) ----

const P = (1n << 255n) - 19n;
const Fp = Field(P);
const A = 486662n;
const Z = 2n;

/**
 * x^(2^252 − 3) by the usual Curve25519 addition chain (254 squarings, 11 multiplications), and x³ on
 * the way. Both exponents the map needs derive from it: p − 2 = 8·(2^252 − 3) + 3 (inverse) and
 * (p − 1)/2 = 4·(2^252 − 3) + 2 (Legendre symbol). A fixed chain instead of the generic
 * square-and-multiply, which also multiplies for each of the ~250 set bits of those exponents: on the
 * rv32imc count it halves the map's cost (docs/chip-cost.md).
 */
function powP58(x: bigint): { t: bigint; x3: bigint } {
  const sq = (a: bigint, n: bigint) => pow2(a, n, P);
  const x3 = Fp.mul(Fp.sqr(x), x); // 2^2 − 1
  const b4 = Fp.mul(sq(x3, 2n), x3); // 2^4 − 1
  const b5 = Fp.mul(sq(b4, 1n), x); // 2^5 − 1
  const b10 = Fp.mul(sq(b5, 5n), b5);
  const b20 = Fp.mul(sq(b10, 10n), b10);
  const b40 = Fp.mul(sq(b20, 20n), b20);
  const b80 = Fp.mul(sq(b40, 40n), b40);
  const b160 = Fp.mul(sq(b80, 80n), b80);
  const b240 = Fp.mul(sq(b160, 80n), b80);
  const b250 = Fp.mul(sq(b240, 10n), b10); // 2^250 − 1
  return { t: Fp.mul(sq(b250, 2n), x), x3 }; // 2^252 − 3
}

/** decodeUCoordinate(bytes, 255) from RFC 7748: little-endian, bit 255 cleared, reduced mod p. */
function decodeUCoordinate(b: Uint8Array): bigint {
  let n = BigInt(b[31] & 127);
  for (let i = 30; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return Fp.create(n);
}

function encodeUCoordinate(u: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let n = u;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 255n);
    n >>= 8n;
  }
  return out;
}

/**
 * Map 32 bytes to the u-coordinate of a Curve25519 point: decodeUCoordinate, then Elligator 2.
 * x1 = -A / (1 + Z r²); x = x1 when x1³ + A x1² + x1 is a square, else -x1 - A. The denominator is never
 * zero (-1/2 is not a square mod p) and neither is the curve expression (A² - 4 is not a square), so the
 * Legendre symbol is ±1. Inversion by Fermat (fixed addition chains) and a select instead of a branch
 * keep the work independent of the (PIN-derived) input, as far as BigInt arithmetic allows.
 */
export function elligator2Curve25519(rBytes: Uint8Array): Uint8Array {
  if (rBytes.length !== 32) throw new RangeError("elligator2: input must be 32 bytes");
  const r = decodeUCoordinate(rBytes);
  const den = Fp.add(Fp.ONE, Fp.mul(Fp.sqr(r), Z));
  const d = powP58(den);
  const x1 = Fp.neg(Fp.mul(Fp.mul(pow2(d.t, 3n, P), d.x3), A)); // -A · den^(p-2)
  const gx1 = Fp.mul(x1, Fp.add(Fp.mul(x1, Fp.add(x1, A)), Fp.ONE));
  // gx1^((p-1)/2), the Legendre symbol: 1 or p - 1. Tested with `<`, not Fp.eql (`===`): in XS 17.9 (SDK 8.2.3)
  // `===` between a BigInt made at run time and one made during preload (noble's ONE, in flash) is always
  // false; its relational operators handle both kinds. Found in the firmware's preloaded build (docs/moddable-checks.md).
  const isSquare = Fp.mul(pow2(powP58(gx1).t, 2n, P), Fp.sqr(gx1)) < 2n;
  const x2 = Fp.sub(Fp.neg(x1), A);
  return encodeUCoordinate(Fp.cmov(x2, x1, isSquare));
}

/** calculate_generator: the PRS-bound base point g (u-coordinate, 32 bytes). */
export function cpaceGenerator(crypto: CryptoProvider, prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const hash = crypto.sha512(generatorString(prs, ci, sid));
  const g = elligator2Curve25519(hash.subarray(0, 32));
  wipe(hash);
  return g;
}

/** Sendspin's CPace sid: "sendspin-pair-pake-v1" || h (the Noise handshake hash). */
export function cpaceSid(h: Uint8Array): Uint8Array {
  return concatBytes(SID_LABEL, h);
}

// ---- the two roles ----

export interface CPaceOptions {
  /** The password-related string: for Sendspin the PIN's ASCII digits. */
  prs: Uint8Array;
  sid: Uint8Array;
  /** Channel identifier; Sendspin: empty. */
  ci?: Uint8Array;
  /** Associated data of A and of B (both sides need both for the transcript); Sendspin: empty. */
  ada?: Uint8Array;
  adb?: Uint8Array;
  /** Fixed 32-byte scalar (tests and vectors only); otherwise drawn from the provider's CSPRNG. */
  scalar?: Uint8Array;
}

/** Life of a party: fresh → share made → keyed, or failed (terminal: every secret wiped). */
const FRESH = 0;
const SHARE_MADE = 1;
const KEYED = 2;
const FAILED = 3;

/** State and derivations both roles share; the subclasses fix the message order. */
abstract class CPaceParty {
  protected phase: number = FRESH;
  private readonly prs: Uint8Array;
  private readonly ci: Uint8Array;
  protected readonly sid: Uint8Array;
  protected readonly ada: Uint8Array;
  protected readonly adb: Uint8Array;
  private readonly y: Uint8Array;
  protected ownShare: Uint8Array = EMPTY;
  private iskValue: Uint8Array = EMPTY;
  /** HMAC-SHA-512 under mac_key, keyed once for both tags (mac_key itself is not kept). */
  private tagMac: KeyedMac | null = null;
  protected ya: Uint8Array = EMPTY;
  protected yb: Uint8Array = EMPTY;

  protected constructor(protected readonly crypto: CryptoProvider, o: CPaceOptions) {
    this.prs = o.prs.slice();
    this.ci = (o.ci ?? EMPTY).slice();
    this.sid = o.sid.slice();
    this.ada = (o.ada ?? EMPTY).slice();
    this.adb = (o.adb ?? EMPTY).slice();
    this.y = new Uint8Array(32);
    if (o.scalar) {
      if (o.scalar.length !== 32) throw new RangeError("cpace: a scalar is 32 bytes");
      this.y.set(o.scalar);
    } else crypto.randomBytes(this.y);
  }

  /** Y = X25519(y, g). The PRS and the generator are forgotten once the share exists. */
  protected makeShare(): Uint8Array {
    const g = cpaceGenerator(this.crypto, this.prs, this.ci, this.sid);
    wipe(this.prs);
    this.ownShare = this.crypto.x25519(this.y, g);
    wipe(g);
    return this.ownShare;
  }

  /** K = X25519(y, peer), ISK and mac_key; false (and the party is dead) for a malformed or low-order share. */
  protected deriveKeys(peer: unknown, selfIsA: boolean): boolean {
    if (!(peer instanceof Uint8Array) || peer.length !== CPACE_SHARE_BYTES) return this.fail();
    let k: Uint8Array;
    try {
      k = this.crypto.x25519(this.y, peer);
    } catch {
      return this.fail(); // the portable backend refuses an all-zero result itself
    } finally {
      wipe(this.y);
    }
    let acc = 0;
    for (let i = 0; i < k.length; i++) acc |= k[i];
    if (k.length !== 32 || acc === 0) {
      wipe(k);
      return this.fail(); // K = identity: the peer sent a low-order point
    }
    this.ya = selfIsA ? this.ownShare : peer.slice();
    this.yb = selfIsA ? peer.slice() : this.ownShare;
    this.iskValue = this.crypto.sha512(lvCat(DSI_ISK, this.sid, k), lvCat(this.ya, this.ada), lvCat(this.yb, this.adb));
    wipe(k);
    const macKey = this.crypto.sha512(MAC_LABEL, this.sid, this.iskValue);
    this.tagMac = keyedHmacSha512(this.crypto, macKey);
    wipe(macKey);
    this.phase = KEYED;
    return true;
  }

  protected tag(y: Uint8Array, ad: Uint8Array): Uint8Array {
    if (this.phase !== KEYED) throw new Error("cpace: no key established");
    return (this.tagMac as KeyedMac).mac(lvCat(y, ad));
  }

  /** Constant-time check of the peer's tag; one chance: a wrong tag kills the party. */
  protected checkTag(received: unknown, y: Uint8Array, ad: Uint8Array): boolean {
    if (this.phase !== KEYED) return false;
    if (!(received instanceof Uint8Array) || received.length !== CPACE_TAG_BYTES) return this.fail();
    const expected = (this.tagMac as KeyedMac).mac(lvCat(y, ad));
    const ok = constantTimeEqual(expected, received);
    wipe(expected);
    return ok ? true : this.fail();
  }

  protected fail(): false {
    this.phase = FAILED;
    wipe(this.y);
    wipe(this.prs);
    wipe(this.iskValue);
    this.tagMac?.dispose();
    this.tagMac = null;
    return false;
  }

  /** The intermediate session key (64 bytes, a copy); throws unless the exchange succeeded. */
  get isk(): Uint8Array {
    if (this.phase !== KEYED) throw new Error("cpace: no key established");
    return this.iskValue.slice();
  }

  /** Forget every secret (call when the attempt ends, whatever its outcome). */
  dispose(): void {
    this.fail();
  }
}

/**
 * Role B (the speaker). Order of use: respond(Ya) → Yb; verifyInitiatorTag(Ta) before sending
 * responderTag() (the spec's client verifies server_kc first).
 */
export class CPaceResponder extends CPaceParty {
  constructor(crypto: CryptoProvider, o: CPaceOptions) {
    super(crypto, o);
  }

  /** Compute Yb and the keys from Ya; null (abort, the attempt is dead) for a malformed or low-order Ya. */
  respond(ya: unknown): Uint8Array | null {
    if (this.phase !== FRESH || !(ya instanceof Uint8Array) || ya.length !== CPACE_SHARE_BYTES) {
      this.fail();
      return null;
    }
    try {
      this.makeShare();
    } catch {
      this.fail(); // a provider failure (the generator is never low-order in practice): abort, never throw
      return null;
    }
    return this.deriveKeys(ya, false) ? this.ownShare.slice() : null;
  }

  /** Ta = HMAC(mac_key, lv_cat(Ya, ADa)), compared in constant time. */
  verifyInitiatorTag(ta: unknown): boolean {
    return this.checkTag(ta, this.ya, this.ada);
  }

  /** Tb = HMAC(mac_key, lv_cat(Yb, ADb)), 64 bytes. */
  responderTag(): Uint8Array {
    return this.tag(this.yb, this.adb);
  }
}

/** Role A (the server; the reference server uses it). start() → Ya; receive(Yb); initiatorTag(); verifyResponderTag(Tb). */
export class CPaceInitiator extends CPaceParty {
  constructor(crypto: CryptoProvider, o: CPaceOptions) {
    super(crypto, o);
  }

  /** Ya (32 bytes). Once only. */
  start(): Uint8Array {
    if (this.phase !== FRESH) throw new Error("cpace: already started");
    this.phase = SHARE_MADE;
    return this.makeShare().slice();
  }

  /** Keys from Yb; false (abort) for a malformed or low-order Yb or a call out of order. */
  receive(yb: unknown): boolean {
    if (this.phase !== SHARE_MADE) return this.fail();
    return this.deriveKeys(yb, true);
  }

  /** Ta = HMAC(mac_key, lv_cat(Ya, ADa)), 64 bytes. */
  initiatorTag(): Uint8Array {
    return this.tag(this.ya, this.ada);
  }

  /** Tb, compared in constant time. */
  verifyResponderTag(tb: unknown): boolean {
    return this.checkTag(tb, this.yb, this.adb);
  }
}
