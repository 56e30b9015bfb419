// Pairing tokens as the server decodes operator input (current spec §Pairing Token): lenient by rule
// (trim, upper-case, optional "SP:", version character, every "9" back to "2", re-pad, base32), and
// strict about the rest (an unknown version, a bad character or a short payload is refused; bytes beyond
// the version's payload are ignored). Version 0: client key (32) || pairing PSK (32); version 1: the
// 24-byte dynamic pairing code of the qr_code format.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const PAYLOAD_BYTES: Record<string, number> = { "0": 64, "1": 24 };

function base32Decode(s: string): Uint8Array | undefined {
  let end = s.length;
  while (end > 0 && s[end - 1] === "=") end--;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const v = ALPHABET.indexOf(s[i]);
    if (v < 0) return undefined;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 255);
    }
  }
  return Uint8Array.from(out);
}

/** Decode a token; `expect` restricts the version (an interface expecting one rejects the others). */
export function decodeToken(input: string, expect?: "0" | "1"): { version: string; payload: Uint8Array } | undefined {
  let t = input.trim().toUpperCase();
  if (t.startsWith("SP:")) t = t.slice(3);
  const version = t[0];
  if (version === undefined || !(version in PAYLOAD_BYTES) || (expect && version !== expect)) return undefined;
  let body = t.slice(1).replaceAll("9", "2");
  while (body.length % 8 !== 0) body += "=";
  const bytes = base32Decode(body);
  const need = PAYLOAD_BYTES[version];
  if (!bytes || bytes.length < need) return undefined;
  return { version, payload: bytes.slice(0, need) };
}

/** The version-0 token's halves, as the PSK choice of a pairing-PSK handshake. */
export function pairingPskFromTokenCurrent(token: string): { pairingPsk: Uint8Array; clientKey: Uint8Array } {
  const t = decodeToken(token, "0");
  if (!t) throw new Error(`not a version-0 pairing token: ${JSON.stringify(token)}`);
  return { clientKey: t.payload.slice(0, 32), pairingPsk: t.payload.slice(32) };
}

/** Encode a payload as a token (the server never needs to, but tests build operator input with it). */
export function encodeToken(version: "0" | "1", payload: Uint8Array): string {
  let s = "";
  let acc = 0;
  let bits = 0;
  for (const b of payload) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) s += ALPHABET[(acc << (5 - bits)) & 31];
  return "SP:" + version + s.replaceAll("2", "9");
}
