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
  let o = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const a = dec(s, i), b = dec(s, i + 1), c = dec(s, i + 2), d = dec(s, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (rem === 2) {
    const a = dec(s, i), b = dec(s, i + 1);
    if ((a | b) < 0 || (b & 15) !== 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
  } else if (rem === 3) {
    const a = dec(s, i), b = dec(s, i + 1), c = dec(s, i + 2);
    if ((a | b | c) < 0 || (c & 3) !== 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

function dec(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? DECODE[c] : -1;
}
