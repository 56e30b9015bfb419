// PINs (spec §Dynamic PIN Pairing Flow, §Static PIN Pairing Flow): the dynamic PIN's derivation and
// commitment, and the per-device static PIN drawn on first boot (project decision: no shared default).

import { utf8Encode } from "../modules/util/utf8.js";
import type { CryptoProvider } from "./provider.js";

const PIN_LABEL = utf8Encode("sendspin-pin-derive-v1");

/** Dynamic PIN lengths the spec allows (pin_length is clamped to 4–12). */
export const MIN_PIN_LENGTH = 4;
export const MAX_PIN_LENGTH = 12;
/** The static PIN's length. */
export const STATIC_PIN_LENGTH = 8;

/** The remainder is kept as hi·10^6 + lo, so every intermediate value stays below 2^21 (int32, exact). */
const LO_DIGITS = 6;

function pow10(n: number): number {
  let v = 1;
  for (let i = 0; i < n; i++) v *= 10;
  return v;
}

function digits(v: number, width: number): string {
  let s = String(v);
  while (s.length < width) s = "0" + s;
  return s;
}

/**
 * PIN = decimal(uint256_be(SHA-256("sendspin-pin-derive-v1" || h || nonce_A || nonce_B)) mod 10^L),
 * zero-padded to L digits. The 256-bit reduction runs bit by bit (double, add the bit, subtract the
 * modulus) on two base-10^6 limbs: no BigInt, no division, no value above 2^21.
 * Throws on misuse (a length outside 4–12, or h / nonces that are not 32 bytes): callers validate first.
 */
export function derivePin(crypto: CryptoProvider, h: Uint8Array, nonceA: Uint8Array, nonceB: Uint8Array, length: number): string {
  if (!Number.isInteger(length) || length < MIN_PIN_LENGTH || length > MAX_PIN_LENGTH) throw new RangeError("derivePin: length must be 4–12");
  if (h.length !== 32 || nonceA.length !== 32 || nonceB.length !== 32) throw new RangeError("derivePin: h and nonces are 32 bytes");
  const digest = crypto.sha256(PIN_LABEL, h, nonceA, nonceB);
  const pin = decimalDigits(digest, length);
  digest.fill(0);
  return pin;
}

/**
 * decimal(uint256_be(digest) mod 10^length), zero-padded to `length` (1–12) digits: the reduction both
 * revisions' code derivations share (the current revision's dynamic code is 6 digits).
 */
export function decimalDigits(digest: Uint8Array, length: number): string {
  const loDigits = length < LO_DIGITS ? length : LO_DIGITS;
  const hiDigits = length - loDigits;
  const loMod = pow10(loDigits);
  const hiMod = pow10(hiDigits);
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < digest.length; i++) {
    const byte = digest[i];
    for (let bit = 7; bit >= 0; bit--) {
      lo = (lo << 1) | ((byte >> bit) & 1);
      let carry = 0;
      if (lo >= loMod) {
        lo -= loMod;
        carry = 1;
      }
      hi = (hi << 1) | carry;
      if (hi >= hiMod) hi -= hiMod;
    }
  }
  return (hiDigits > 0 ? digits(hi, hiDigits) : "") + digits(lo, loDigits);
}

/** commit_B = SHA-256(nonce_B): sent in client/pair-init before the server's nonce is known. */
export function commitB(crypto: CryptoProvider, nonceB: Uint8Array): Uint8Array {
  return crypto.sha256(nonceB);
}

/** Random bytes drawn per batch, and the batches allowed before the random port is declared broken. */
const BATCH = 16;
const MAX_BATCHES = 64;

/**
 * Eight uniform decimal digits from the CSPRNG: bytes ≥ 250 are rejected, so byte % 10 is exactly
 * uniform. Throws if the random port keeps producing rejected bytes (a broken RNG, never a valid draw).
 */
export function randomStaticPin(crypto: CryptoProvider): string {
  const buf = new Uint8Array(BATCH);
  let pin = "";
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    crypto.randomBytes(buf);
    for (let i = 0; i < BATCH; i++) {
      const b = buf[i];
      if (b >= 250) continue;
      pin += String.fromCharCode(48 + (b % 10));
      if (pin.length === STATIC_PIN_LENGTH) {
        buf.fill(0);
        return pin;
      }
    }
  }
  buf.fill(0);
  throw new Error("randomStaticPin: the random port produced no usable bytes");
}

/** The PRS CPace takes for a PIN: its ASCII digits. */
export function pinPrs(pin: string): Uint8Array {
  return utf8Encode(pin);
}
