// The version-0 pairing token (project decision, reference/README.md item 3): how the pairing PSK is
// shown to an operator (label, QR code, console):
//   "SP:0" + base32(client public key (32 bytes) || pairing PSK (32 bytes))
// RFC 4648 base32 alphabet, "=" padding stripped, every "2" written as "9". Decoders upper-case, map "9"
// back to "2", re-pad and decode strictly.

const PREFIX = "SP:0";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const KEY_BYTES = 32;
const TOKEN_BYTES = 2 * KEY_BYTES;
/** Characters of the unpadded base32 text of 64 bytes: ceil(512 / 5). */
const BODY_CHARS = Math.ceil((TOKEN_BYTES * 8) / 5);

/** RFC 4648 §6 base32 with padding (the token strips it afterwards). */
function base32Encode(bytes: Uint8Array): string {
  let s = "";
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]) & 0xfff; // at most 12 live bits: 4 left over + 8 new
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) s += ALPHABET[(acc << (5 - bits)) & 31];
  while (s.length % 8 !== 0) s += "=";
  return s;
}

/** Padded base32 → bytes; undefined for any character outside the alphabet, bad padding or non-zero trailing bits. */
function base32DecodeStrict(s: string): Uint8Array | undefined {
  if (s.length % 8 !== 0) return undefined;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  const pad = s.length - end;
  // Valid pad counts for the last 8-character group: 0 (5 bytes), 1 (4), 3 (3), 4 (2), 6 (1).
  if (pad !== 0 && pad !== 1 && pad !== 3 && pad !== 4 && pad !== 6) return undefined;
  const out = new Uint8Array(Math.floor((end * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const v = ALPHABET.indexOf(s[i]);
    if (v < 0) return undefined;
    acc = ((acc << 5) | v) & 0xfff; // at most 12 live bits: 7 left over + 5 new
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined; // canonical encodings only
  return out;
}

export function encodePairingToken(clientPublicKey: Uint8Array, pairingPsk: Uint8Array): string {
  if (clientPublicKey.length !== KEY_BYTES || pairingPsk.length !== KEY_BYTES) throw new RangeError("pairing token: key and PSK are 32 bytes");
  const both = new Uint8Array(TOKEN_BYTES);
  both.set(clientPublicKey, 0);
  both.set(pairingPsk, KEY_BYTES);
  const out = tokenText(PREFIX, both);
  both.fill(0);
  return out;
}

/** Bytes of a version-1 token's payload: the QR format's 24-byte dynamic pairing code. */
const CODE_TOKEN_BYTES = 24;

/**
 * The current revision's version-1 token (sendspin-spec-current.md §Pairing Token): "SP:1" + the same
 * body transform over the 24-byte dynamic pairing code of the `qr_code` emission format.
 */
export function encodeCodeToken(code: Uint8Array): string {
  if (code.length !== CODE_TOKEN_BYTES) throw new RangeError("pairing token: a version-1 code is 24 bytes");
  return tokenText("SP:1", code);
}

/** prefix + base32(payload) with "=" stripped and every "2" written as "9". */
function tokenText(prefix: string, payload: Uint8Array): string {
  const body = base32Encode(payload);
  let out = prefix;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "=") break;
    out += c === "2" ? "9" : c;
  }
  return out;
}

/**
 * Strict decoding of a version-0 token; undefined (never throws) for anything else: another prefix or
 * version, a wrong length, padding or whitespace in the text, a character outside the alphabet, or
 * non-zero trailing bits. Letters may come in either case. Following the decoding rule literally
 * (upper-case, "9" → "2", re-pad, base32), a literal "2" decodes like the "9" an encoder writes.
 */
export function decodePairingToken(s: unknown): { clientPublicKey: Uint8Array; pairingPsk: Uint8Array } | undefined {
  if (typeof s !== "string" || s.length !== PREFIX.length + BODY_CHARS) return undefined;
  // ASCII-only upper-casing: String.prototype.toUpperCase would turn "ı" into "I" or "ß" into "SS".
  let text = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return undefined;
    text += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c);
  }
  if (text.slice(0, PREFIX.length) !== PREFIX) return undefined;
  let body = "";
  for (let i = PREFIX.length; i < text.length; i++) {
    const c = text[i];
    body += c === "9" ? "2" : c;
  }
  while (body.length % 8 !== 0) body += "=";
  const bytes = base32DecodeStrict(body);
  if (!bytes || bytes.length !== TOKEN_BYTES) return undefined;
  return { clientPublicKey: bytes.slice(0, KEY_BYTES), pairingPsk: bytes.slice(KEY_BYTES) };
}
