// The current revision's pairing derivations as the server computes them, written from the current
// spec text (§Dynamic Pairing Code Flow, §PAKE, §Wrapping, §Pairing Token); checked against the
// known-answer values in test/unit/fixtures/current-revision-vectors.json, which a second, independent
// implementation produced.

import type { CryptoProvider, SuiteName } from "../../../crypto/provider.js";
import { concatBytes } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";

const COMMIT_LABEL = utf8Encode("sendspin-pair-commit-v1");
const CODE_LABEL = utf8Encode("sendspin-pairing-code-derive-v1");
const SID_LABEL = utf8Encode("sendspin-pair-pake-v1");
export const PSK_WRAP_LABEL = utf8Encode("sendspin-pair-psk-wrap-v1");
export const NONCE_WRAP_LABEL = utf8Encode("sendspin-pair-nonce-wrap-v1");
/** CPace associated data of role A (the server) and role B (the client). */
export const AD_SERVER = utf8Encode("server");
export const AD_CLIENT = utf8Encode("client");
const TAG_BYTES = 16;

/** commit_B = SHA-256("sendspin-pair-commit-v1" || nonce_B). */
export function commitB(crypto: CryptoProvider, nonceB: Uint8Array): Uint8Array {
  return crypto.sha256(COMMIT_LABEL, nonceB);
}

/** digest = SHA-256("sendspin-pairing-code-derive-v1" || h || nonce_A || nonce_B). */
export function codeDigest(crypto: CryptoProvider, h: Uint8Array, nonceA: Uint8Array, nonceB: Uint8Array): Uint8Array {
  return crypto.sha256(CODE_LABEL, h, nonceA, nonceB);
}

/** The `digits` code: uint256_be(digest) mod 10^6, zero-padded to 6 ASCII digits. */
export function digitsCode(digest: Uint8Array): string {
  let n = 0n;
  for (const b of digest) n = (n << 8n) | BigInt(b);
  return (n % 1_000_000n).toString().padStart(6, "0");
}

/** The `qr_code` code: the digest's first 24 bytes. */
export function qrCode(digest: Uint8Array): Uint8Array {
  return digest.slice(0, 24);
}

/** CPace sid = "sendspin-pair-pake-v1" || h || uint32_be(pairing_index) || uint32_be(round). */
export function pakeSid(h: Uint8Array, pairingIndex: number, round: number): Uint8Array {
  const tail = new Uint8Array(8);
  const v = new DataView(tail.buffer);
  v.setUint32(0, pairingIndex >>> 0, false);
  v.setUint32(4, round >>> 0, false);
  return concatBytes(SID_LABEL, h, tail);
}

/** K_wrap = SHA-256(label || sid || ISK). */
export function wrapKey(crypto: CryptoProvider, label: Uint8Array, sid: Uint8Array, isk: Uint8Array): Uint8Array {
  return crypto.sha256(label, sid, isk);
}

/** Seal a 32-byte value: the suite's AEAD, key K_wrap, 12 zero nonce bytes, empty AD → 48 bytes. */
export function wrap(crypto: CryptoProvider, suite: SuiteName, key: Uint8Array, value: Uint8Array): Uint8Array {
  const buf = new Uint8Array(value.length + TAG_BYTES);
  buf.set(value);
  const aead = crypto.aead(suite, key);
  aead.seal(0, 0, null, buf, 0, value.length);
  aead.dispose();
  return buf;
}

/** Open a wrapped value; undefined when it does not authenticate (a protocol error for the caller). */
export function unwrap(crypto: CryptoProvider, suite: SuiteName, key: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  const buf = sealed.slice();
  const aead = crypto.aead(suite, key);
  const n = aead.open(0, 0, null, buf, 0, buf.length);
  aead.dispose();
  return n < 0 ? undefined : buf.slice(0, n);
}
