// Strict base64url (RFC 4648 §5, no padding), as every Sendspin identifier, key and nonce is carried.
// Decoding is strict because every inbound string is hostile: only the URL-safe alphabet, no padding,
// no whitespace, canonical trailing bits, and (when asked) an exact decoded length.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const DECODE: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

export function base64urlEncode(bytes: Uint8Array): string {
  let s = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63] + ALPHABET[(v >> 6) & 63] + ALPHABET[v & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    s += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63];
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63] + ALPHABET[(v >> 6) & 63];
  }
  return s;
}

/** Number of characters an unpadded base64url encoding of `n` bytes has. */
export function base64urlLength(n: number): number {
  return Math.floor(n / 3) * 4 + [0, 2, 3][n % 3];
}

/**
 * Strict decode. Returns undefined (never throws) on any non-canonical input: a character outside the
 * URL-safe alphabet, padding, a length that no byte count produces, non-zero unused trailing bits, or
 * (when `expectedBytes` is given) a decoded length other than `expectedBytes`.
 */
export function base64urlDecode(s: unknown, expectedBytes?: number): Uint8Array | undefined {
  if (typeof s !== "string") return undefined;
  const len = s.length;
  if (expectedBytes !== undefined && len !== base64urlLength(expectedBytes)) return undefined;
  const rem = len & 3;
  if (rem === 1) return undefined;
  const out = new Uint8Array((len >> 2) * 3 + (rem === 0 ? 0 : rem - 1));
  // for-of, not s.charCodeAt(i): XS keeps strings in UTF-8 and finds the i-th character from the start,
  // so an indexed loop is quadratic (a hostile 16 K-character handshake `data` cost 1.2·10^9 rv32 instructions).
  let o = 0;
  let acc = 0;
  let k = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    if (++k === 4) {
      out[o++] = acc >> 16;
      out[o++] = (acc >> 8) & 255;
      out[o++] = acc & 255;
      acc = 0;
      k = 0;
    }
  }
  // k === len & 3 here (every character was ASCII). Unused trailing bits must be zero (canonical form).
  if (k === 2) {
    if ((acc & 15) !== 0) return undefined;
    out[o++] = acc >> 4;
  } else if (k === 3) {
    if ((acc & 3) !== 0) return undefined;
    out[o++] = acc >> 10;
    out[o++] = (acc >> 2) & 255;
  }
  return out;
}
