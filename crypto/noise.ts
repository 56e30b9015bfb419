// Noise_KKpsk2_25519_{ChaChaPoly,AESGCM}_SHA256 (Noise Protocol Framework, revision 34), both roles.
//
//   KKpsk2:
//     -> s
//     <- s
//     ...
//     -> e, es, ss
//     <- e, ee, se, psk
//
// The speaker is the responder. It must read message 1's payload ({"psk_id": ...}) before it knows which
// PSK to mix at the end of message 2, so the responder API is split: readMessage1 → setPsk → writeMessage2.
// Because of the psk modifier, every `e` token also runs MixKey(e.pub) (Noise §9.2).
//
// Failures on received bytes return null (handshake) or -1 (transport) and never throw: every inbound
// byte is hostile. Misuse by the caller (wrong order, wrong key sizes) throws.

import type { Aead, CryptoProvider, SuiteName } from "./provider.js";
import { generateKeyPair, type KeyPair } from "./ids.js";
import { utf8Encode } from "../modules/util/utf8.js";

const DHLEN = 32;
const TAGLEN = 16;
/** Noise §3: every Noise message (handshake or transport) is at most 65535 bytes. */
export const NOISE_MAX_MESSAGE = 65535;
const EMPTY = new Uint8Array(0);

/**
 * One direction of a Noise cipher: a key and a 64-bit nonce kept as two int32 halves (no doubles, no BigInt).
 * Nonce 2^64−1 is reserved (Noise §5.1): when the counter reaches it the state refuses to encrypt or decrypt,
 * so a nonce is never reused and the counter never wraps.
 */
export class CipherState {
  private aead: Aead | null;
  private hi = 0;
  private lo = 0;

  constructor(aead: Aead | null) {
    this.aead = aead;
  }

  hasKey(): boolean {
    return this.aead !== null;
  }

  /** True once the counter has reached the reserved value 2^64−1: nothing more can be sent or received. */
  get exhausted(): boolean {
    return (this.hi & this.lo) === -1;
  }

  /** Current nonce as int32 halves (bit patterns of the high and low 32 bits). */
  get nonceHi(): number {
    return this.hi;
  }
  get nonceLo(): number {
    return this.lo;
  }

  /** Noise SetNonce: jump the counter (the halves are int32 bit patterns: -1 is 0xffffffff). */
  setNonce(hi: number, lo: number): void {
    this.hi = hi | 0;
    this.lo = lo | 0;
  }

  private advance(): void {
    this.lo = (this.lo + 1) | 0;
    if (this.lo === 0) this.hi = (this.hi + 1) | 0;
  }

  /**
   * Encrypt buf[off, off+len) in place and append the 16-byte tag (the caller leaves room for it).
   * Returns len + 16; or -1 when the counter is exhausted, the result would exceed the Noise limit of
   * 65535 bytes, or the buffer has no room for the tag. Without a key (handshake only) the bytes pass unchanged.
   */
  encryptInPlace(ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number {
    const aead = this.aead;
    if (aead === null) return len;
    if (this.exhausted || len < 0 || len + TAGLEN > NOISE_MAX_MESSAGE || off < 0 || off + len + TAGLEN > buf.length) return -1;
    const n = aead.seal(this.hi, this.lo, ad, buf, off, len);
    this.advance();
    return n;
  }

  /**
   * Verify and decrypt buf[off, off+len) (ciphertext then tag) in place. Returns len − 16, or -1 on an
   * authentication failure, an exhausted counter, a message shorter than a tag or longer than 65535 bytes.
   * A failure does not advance the counter (Noise §5.1).
   */
  decryptInPlace(ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number {
    const aead = this.aead;
    if (aead === null) return len;
    if (this.exhausted || len < TAGLEN || len > NOISE_MAX_MESSAGE || off < 0 || off + len > buf.length) return -1;
    const n = aead.open(this.hi, this.lo, ad, buf, off, len);
    if (n < 0) return -1;
    this.advance();
    return n;
  }

  /** Forget the key (the state refuses everything afterwards). */
  dispose(): void {
    if (this.aead !== null) this.aead.dispose();
    this.aead = null;
    this.hi = -1;
    this.lo = -1;
  }
}

/** What a completed handshake yields: one cipher state per direction, and the handshake hash h. */
export interface HandshakeResult {
  readonly send: CipherState;
  readonly recv: CipherState;
  /** The handshake hash: PIN derivation, CPace sid, and the prologue of the next re-handshake. */
  readonly h: Uint8Array;
}

export interface HandshakeOptions {
  crypto: CryptoProvider;
  suite: SuiteName;
  /** Bound into h before message 1: client/init || server/init bytes, or the previous h on a re-handshake. */
  prologue: Uint8Array;
  /** Our static keypair. */
  s: KeyPair;
  /** The peer's static public key (KK: known in advance). */
  rs: Uint8Array;
  /** Fixed ephemeral keypair: known-answer tests only. Normally drawn from the provider's CSPRNG. */
  e?: KeyPair;
}

type Step = "write1" | "read1" | "psk" | "write2" | "read2" | "split" | "done" | "failed";

/** The Noise HandshakeState for KKpsk2 (with its SymmetricState inlined: ck, h, k). */
export class NoiseKKpsk2 {
  private readonly crypto: CryptoProvider;
  private readonly suite: SuiteName;
  private readonly s: KeyPair;
  private readonly rs: Uint8Array;
  private readonly initiator: boolean;
  private e: KeyPair | null;
  private re: Uint8Array | null = null;
  private psk: Uint8Array | null = null;
  private ck: Uint8Array;
  private h: Uint8Array;
  private k: CipherState = new CipherState(null);
  private step: Step;

  private constructor(o: HandshakeOptions, initiator: boolean, psk: Uint8Array | null) {
    if (o.s.privateKey.length !== DHLEN || o.s.publicKey.length !== DHLEN || o.rs.length !== DHLEN) throw new Error("noise: keys are 32 bytes");
    if (o.suite !== "25519_ChaChaPoly_SHA256" && o.suite !== "25519_AESGCM_SHA256") throw new Error("noise: unknown suite");
    this.crypto = o.crypto;
    this.suite = o.suite;
    this.s = o.s;
    this.rs = o.rs.slice();
    this.initiator = initiator;
    // A fixed ephemeral is copied: the state wipes its private key when done.
    this.e = o.e ? { publicKey: o.e.publicKey.slice(), privateKey: o.e.privateKey.slice() } : null;
    this.psk = psk;
    // InitializeSymmetric: h = name padded to HASHLEN if it fits, else HASH(name); ck = h.
    const name = utf8Encode("Noise_KKpsk2_" + o.suite);
    if (name.length <= 32) {
      this.h = new Uint8Array(32);
      this.h.set(name);
    } else this.h = o.crypto.sha256(name);
    this.ck = this.h.slice();
    this.mixHash(o.prologue);
    // Pre-messages: -> s, <- s (initiator's static first).
    this.mixHash(initiator ? o.s.publicKey : o.rs);
    this.mixHash(initiator ? o.rs : o.s.publicKey);
    this.step = initiator ? "write1" : "read1";
  }

  static initiator(o: HandshakeOptions & { psk: Uint8Array }): NoiseKKpsk2 {
    if (o.psk.length !== 32) throw new Error("noise: a PSK is 32 bytes");
    return new NoiseKKpsk2(o, true, o.psk.slice());
  }

  static responder(o: HandshakeOptions): NoiseKKpsk2 {
    return new NoiseKKpsk2(o, false, null);
  }

  /** The handshake hash so far (after split: the final h). */
  get handshakeHash(): Uint8Array {
    return this.h.slice();
  }

  // ---- SymmetricState ----

  private mixHash(data: Uint8Array): void {
    this.h = this.crypto.sha256(this.h, data);
  }

  private setKey(key: Uint8Array): void {
    this.k.dispose();
    this.k = new CipherState(this.crypto.aead(this.suite, key));
    key.fill(0);
  }

  private mixKey(ikm: Uint8Array): void {
    const [ck, k] = this.crypto.hkdfSha256(this.ck, ikm, 2);
    this.ck.fill(0);
    this.ck = ck;
    this.setKey(k);
  }

  private mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, th, k] = this.crypto.hkdfSha256(this.ck, ikm, 3);
    this.ck.fill(0);
    this.ck = ck;
    this.mixHash(th);
    this.setKey(k);
  }

  private encryptAndHash(payload: Uint8Array, out: Uint8Array, off: number): number {
    out.set(payload, off);
    const n = this.k.encryptInPlace(this.h, out, off, payload.length);
    if (n < 0) throw new Error("noise: payload too large");
    this.mixHash(out.subarray(off, off + n));
    return n;
  }

  /** Returns the payload or null; `msg` is not modified. */
  private decryptAndHash(msg: Uint8Array, off: number): Uint8Array | null {
    const ct = msg.slice(off);
    const n = this.k.decryptInPlace(this.h, ct, 0, ct.length);
    if (n < 0) return null;
    this.mixHash(msg.subarray(off));
    return ct.subarray(0, n);
  }

  /** DH with a peer-supplied point: null when it is low-order (all-zero result) or malformed. */
  private dh(priv: Uint8Array, pub: Uint8Array): Uint8Array | null {
    try {
      return this.crypto.x25519(priv, pub);
    } catch {
      return null;
    }
  }

  private mixDh(priv: Uint8Array, pub: Uint8Array): boolean {
    const shared = this.dh(priv, pub);
    if (shared === null) return false;
    this.mixKey(shared);
    shared.fill(0);
    return true;
  }

  private fail(): null {
    this.step = "failed";
    this.k.dispose();
    this.ck.fill(0);
    if (this.e !== null) this.e.privateKey.fill(0);
    return null;
  }

  private expect(step: Step, what: string): void {
    if (this.step !== step) throw new Error(`noise: ${what} out of order (state ${this.step})`);
  }

  private ephemeral(): KeyPair {
    if (this.e === null) this.e = generateKeyPair(this.crypto);
    return this.e;
  }

  // ---- message 1: -> e, es, ss ----

  /** Initiator: message 1 = e.pub || AEAD(payload). */
  writeMessage1(payload: Uint8Array): Uint8Array {
    this.expect("write1", "writeMessage1");
    if (DHLEN + payload.length + TAGLEN > NOISE_MAX_MESSAGE) throw new Error("noise: payload too large");
    const e = this.ephemeral();
    const out = new Uint8Array(DHLEN + payload.length + TAGLEN);
    out.set(e.publicKey, 0);
    this.mixHash(e.publicKey);
    this.mixKey(e.publicKey); // psk modifier
    if (!this.mixDh(e.privateKey, this.rs) || !this.mixDh(this.s.privateKey, this.rs)) throw new Error("noise: invalid remote static key");
    this.encryptAndHash(payload, out, DHLEN);
    this.step = "read2";
    return out;
  }

  /** Responder: the payload of message 1 (read before any PSK is chosen), or null when it does not authenticate. */
  readMessage1(msg: Uint8Array): Uint8Array | null {
    if (this.step !== "read1") return this.fail();
    if (msg.length < DHLEN + TAGLEN || msg.length > NOISE_MAX_MESSAGE) return this.fail();
    const re = msg.slice(0, DHLEN);
    this.re = re;
    this.mixHash(re);
    this.mixKey(re); // psk modifier
    if (!this.mixDh(this.s.privateKey, re) || !this.mixDh(this.s.privateKey, this.rs)) return this.fail(); // es, ss
    const payload = this.decryptAndHash(msg, DHLEN);
    if (payload === null) return this.fail();
    this.step = "psk";
    return payload;
  }

  /** Responder: the PSK selected from message 1's psk_id, mixed at the end of message 2. */
  setPsk(psk: Uint8Array): void {
    this.expect("psk", "setPsk");
    if (psk.length !== 32) throw new Error("noise: a PSK is 32 bytes");
    this.psk = psk.slice();
    this.step = "write2";
  }

  // ---- message 2: <- e, ee, se, psk ----

  /** Responder: message 2 = e.pub || AEAD(payload). */
  writeMessage2(payload: Uint8Array): Uint8Array {
    this.expect("write2", "writeMessage2");
    if (DHLEN + payload.length + TAGLEN > NOISE_MAX_MESSAGE) throw new Error("noise: payload too large");
    const e = this.ephemeral();
    const out = new Uint8Array(DHLEN + payload.length + TAGLEN);
    out.set(e.publicKey, 0);
    this.mixHash(e.publicKey);
    this.mixKey(e.publicKey); // psk modifier
    // ee: DH(e, re); se: the responder holds the initiator's static as rs and its own ephemeral.
    if (!this.mixDh(e.privateKey, this.re!) || !this.mixDh(e.privateKey, this.rs)) throw new Error("noise: DH failed");
    this.mixKeyAndHash(this.psk!);
    this.encryptAndHash(payload, out, DHLEN);
    this.step = "split";
    return out;
  }

  /** Initiator: the payload of message 2, or null (wrong PSK, tampering, low-order key...). */
  readMessage2(msg: Uint8Array): Uint8Array | null {
    if (this.step !== "read2") return this.fail();
    if (msg.length < DHLEN + TAGLEN || msg.length > NOISE_MAX_MESSAGE) return this.fail();
    const re = msg.slice(0, DHLEN);
    this.re = re;
    this.mixHash(re);
    this.mixKey(re); // psk modifier
    if (!this.mixDh(this.e!.privateKey, re) || !this.mixDh(this.s.privateKey, re)) return this.fail(); // ee, se
    this.mixKeyAndHash(this.psk!);
    const payload = this.decryptAndHash(msg, DHLEN);
    if (payload === null) return this.fail();
    this.step = "split";
    return payload;
  }

  /** Both roles, after message 2: the transport cipher states (initiator→responder is the first key) and h. */
  split(): HandshakeResult {
    this.expect("split", "split");
    const [k1, k2] = this.crypto.hkdfSha256(this.ck, EMPTY, 2);
    const c1 = new CipherState(this.crypto.aead(this.suite, k1));
    const c2 = new CipherState(this.crypto.aead(this.suite, k2));
    k1.fill(0);
    k2.fill(0);
    // Wipe what the transport no longer needs.
    this.k.dispose();
    this.ck.fill(0);
    if (this.e !== null) this.e.privateKey.fill(0);
    if (this.psk !== null) this.psk.fill(0);
    this.step = "done";
    return this.initiator ? { send: c1, recv: c2, h: this.h.slice() } : { send: c2, recv: c1, h: this.h.slice() };
  }
}
