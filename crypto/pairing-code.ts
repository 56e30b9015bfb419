// The current revision's pairing derivations (reference/sendspin-spec-current.md §Dynamic Pairing Code
// Flow, §PAKE, §Wrapping): the commitment to nonce_B, the pairing code, the CPace sid with pairing_index
// and round, and the key that seals nonce_B and the new long-term PSK under the CPace output. Labels are
// UTF-8 literals; `||` is concatenation; nothing here touches the network.

import { concatBytes, wipe } from "../modules/util/bytes.js";
import { utf8Encode } from "../modules/util/utf8.js";
import { decimalDigits } from "./pin.js";
import type { CryptoProvider, SuiteName } from "./provider.js";

const COMMIT_LABEL = utf8Encode("sendspin-pair-commit-v1");
const CODE_LABEL = utf8Encode("sendspin-pairing-code-derive-v1");
const SID_LABEL = utf8Encode("sendspin-pair-pake-v1");
export const PSK_WRAP_LABEL = utf8Encode("sendspin-pair-psk-wrap-v1");
export const NONCE_WRAP_LABEL = utf8Encode("sendspin-pair-nonce-wrap-v1");
/** CPace associated data of the server (role A) and the client (role B). */
export const AD_SERVER = utf8Encode("server");
export const AD_CLIENT = utf8Encode("client");

/** The dynamic code is 6 digits; the static code 8. */
export const DYNAMIC_CODE_DIGITS = 6;
/** The QR format's code: the digest's first 24 bytes. */
export const QR_CODE_BYTES = 24;
const WRAP_TAG_BYTES = 16;

/** commit_B = SHA-256("sendspin-pair-commit-v1" || nonce_B). */
export function commitBCurrent(crypto: CryptoProvider, nonceB: Uint8Array): Uint8Array {
  return crypto.sha256(COMMIT_LABEL, nonceB);
}

/** digest = SHA-256("sendspin-pairing-code-derive-v1" || h || nonce_A || nonce_B). */
export function pairingCodeDigest(crypto: CryptoProvider, h: Uint8Array, nonceA: Uint8Array, nonceB: Uint8Array): Uint8Array {
  if (h.length !== 32 || nonceA.length !== 32 || nonceB.length !== 32) throw new RangeError("pairing code: h and nonces are 32 bytes");
  return crypto.sha256(CODE_LABEL, h, nonceA, nonceB);
}

/** The `digits` format: uint256_be(digest) mod 10^6, zero-padded to 6 digits (PRS: their ASCII bytes). */
export function dynamicCodeDigits(crypto: CryptoProvider, h: Uint8Array, nonceA: Uint8Array, nonceB: Uint8Array): string {
  const d = pairingCodeDigest(crypto, h, nonceA, nonceB);
  const code = decimalDigits(d, DYNAMIC_CODE_DIGITS);
  wipe(d);
  return code;
}

/** The `qr_code` format: digest[0..23] (PRS: these raw bytes). */
export function dynamicCodeQr(crypto: CryptoProvider, h: Uint8Array, nonceA: Uint8Array, nonceB: Uint8Array): Uint8Array {
  const d = pairingCodeDigest(crypto, h, nonceA, nonceB);
  const code = d.slice(0, QR_CODE_BYTES);
  wipe(d);
  return code;
}

/** uint32 big-endian (values 0 .. 2^32-1). */
function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = Math.floor(v / 16777216) & 255;
  b[1] = (v >> 16) & 255;
  b[2] = (v >> 8) & 255;
  b[3] = v & 255;
  return b;
}

/** sid = "sendspin-pair-pake-v1" || h || uint32be(pairing_index) || uint32be(round). */
export function cpaceSidCurrent(h: Uint8Array, pairingIndex: number, round: number): Uint8Array {
  return concatBytes(SID_LABEL, h, u32be(pairingIndex), u32be(round));
}

/** K_wrap = SHA-256(label || sid || ISK). */
export function wrapKey(crypto: CryptoProvider, label: Uint8Array, sid: Uint8Array, isk: Uint8Array): Uint8Array {
  return crypto.sha256(label, sid, isk);
}

/** Seal a 32-byte value under K_wrap: the suite's AEAD, 12 zero bytes as nonce, empty AD → 48 bytes. */
export function wrapValue(crypto: CryptoProvider, suite: SuiteName, key: Uint8Array, value: Uint8Array): Uint8Array {
  const buf = new Uint8Array(value.length + WRAP_TAG_BYTES);
  buf.set(value);
  const aead = crypto.aead(suite, key);
  aead.seal(0, 0, null, buf, 0, value.length);
  aead.dispose();
  return buf;
}

/** Open a wrapped value (the server's side; tests and the reference peers): the 32 bytes, or null. */
export function unwrapValue(crypto: CryptoProvider, suite: SuiteName, key: Uint8Array, wrapped: Uint8Array): Uint8Array | null {
  const buf = wrapped.slice();
  const aead = crypto.aead(suite, key);
  const n = aead.open(0, 0, null, buf, 0, buf.length);
  aead.dispose();
  return n < 0 ? null : buf.slice(0, n);
}
