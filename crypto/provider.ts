// The crypto provider port: every primitive the speaker uses, behind one interface, so that a native
// backend (device) can replace any of them while the portable backend (@noble/*) stays the reference.
//
// Shape rules that let a native backend run without hidden allocations on the transport path:
// - AEAD works in place on the caller's buffer (open/seal), with the 64-bit Noise nonce passed as two
//   int32 halves (no BigInt, no per-message nonce array).
// - Keys are bound once per cipher state (`aead(suite, key)`), so a backend can expand them once.

export type SuiteName = "25519_ChaChaPoly_SHA256" | "25519_AESGCM_SHA256";
export const SUITES: readonly SuiteName[] = ["25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA256"];

/** A keyed AEAD with the Noise nonce layout of its suite (ChaChaPoly: 4 zero bytes + LE64; AESGCM: 4 zero bytes + BE64). */
export interface Aead {
  /**
   * Encrypt buf[off, off+len) in place and write the 16-byte tag at buf[off+len, off+len+16).
   * The caller guarantees the room for the tag. Returns len + 16.
   */
  seal(nonceHi: number, nonceLo: number, ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number;
  /**
   * Verify and decrypt buf[off, off+len) (ciphertext followed by its 16-byte tag) in place.
   * Returns the plaintext length (len - 16), or -1 when authentication fails (buf content is then unspecified).
   */
  open(nonceHi: number, nonceLo: number, ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number;
  /** Forget the key material. */
  dispose(): void;
}

/** An HMAC bound to one key; each mac() is HMAC(key, parts concatenated). */
export interface KeyedMac {
  mac(...parts: Uint8Array[]): Uint8Array;
  /** Forget the key (and any state derived from it); mac() throws afterwards. */
  dispose(): void;
}

export interface CryptoProvider {
  /** Name for logs and benchmarks ("portable", "native"...). */
  readonly name: string;
  /** Suites this backend can serve, fastest first: the speaker announces the first one unless configured otherwise. */
  readonly suites: readonly SuiteName[];
  aead(suite: SuiteName, key: Uint8Array): Aead;

  /**
   * X25519(scalar, u); returns 32 bytes. Throws when the result is all zero (u is a low-order point) or an
   * input is not 32 bytes: callers fed by the network (Noise, CPace) catch it and fail the exchange.
   */
  x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array;
  /** X25519(scalar, 9): the public key of a private scalar. */
  x25519Base(scalar: Uint8Array): Uint8Array;

  /**
   * Optional: SHA-1, used only for the WebSocket handshake's Sec-WebSocket-Accept (RFC 6455), never for
   * security. The native backend offers it because the WebSocket server's fallback, @noble/hashes' sha1,
   * keeps its message schedule in a module-level buffer, which the firmware's preload freezes into flash.
   */
  sha1?(...parts: Uint8Array[]): Uint8Array;
  sha256(...parts: Uint8Array[]): Uint8Array;
  sha512(...parts: Uint8Array[]): Uint8Array;
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  hmacSha512(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  /**
   * Optional: HMAC-SHA-512 keyed once for several messages (CPace's two tags). A backend whose HMAC
   * hashes the padded key on every call (the portable one: two SHA-512 blocks, ~16 M rv32 instructions
   * in XS) keeps the keyed state instead. Callers use keyedHmacSha512(), which falls back to hmacSha512.
   */
  hmacSha512Keyed?(key: Uint8Array): KeyedMac;
  /** Noise's HKDF (HMAC-SHA-256 based, empty info): returns `count` (2 or 3) 32-byte outputs. */
  hkdfSha256(chainingKey: Uint8Array, ikm: Uint8Array, count: 2 | 3): Uint8Array[];

  /** Fill `out` from the platform's CSPRNG (the random port). */
  randomBytes(out: Uint8Array): void;
}

/** HMAC-SHA-512 under `key` for several messages: the backend's keyed HMAC, or hmacSha512 over a copy of the key. */
export function keyedHmacSha512(crypto: CryptoProvider, key: Uint8Array): KeyedMac {
  if (crypto.hmacSha512Keyed) return crypto.hmacSha512Keyed(key);
  let k: Uint8Array | null = key.slice();
  return {
    mac(...parts) {
      if (!k) throw new Error("hmac: disposed");
      return crypto.hmacSha512(k, ...parts);
    },
    dispose() {
      k?.fill(0);
      k = null;
    },
  };
}
