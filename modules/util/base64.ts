// Standard base64 (RFC 4648 §4: `+` `/` alphabet, `=` padding), as HTTP carries it (the WebSocket
// handshake's Sec-WebSocket-Key and Sec-WebSocket-Accept). It reuses the strict base64url codec and only
// translates the two alphabet differences and the padding, so there is one base64 loop in the project.

import { base64urlDecode, base64urlEncode } from "./base64url.js";

export function base64Encode(bytes: Uint8Array): string {
  const url = base64urlEncode(bytes);
  let s = "";
  for (let i = 0; i < url.length; i++) {
    const c = url[i];
    s += c === "-" ? "+" : c === "_" ? "/" : c;
  }
  return s + ["", "==", "="][bytes.length % 3];
}

/**
 * Strict decode: length a multiple of 4, padding only as the last one or two characters and exactly as
 * many as the byte count needs, only the standard alphabet, canonical trailing bits, and (when asked)
 * an exact decoded length. Returns undefined on anything else; never throws.
 */
export function base64Decode(s: unknown, expectedBytes?: number): Uint8Array | undefined {
  if (typeof s !== "string" || (s.length & 3) !== 0) return undefined;
  let pad = 0;
  if (s.length > 0 && s[s.length - 1] === "=") pad = s[s.length - 2] === "=" ? 2 : 1;
  const body = s.length - pad;
  let url = "";
  for (let i = 0; i < body; i++) {
    const c = s[i];
    if (c === "-" || c === "_" || c === "=") return undefined; // URL-safe characters or misplaced padding
    url += c === "+" ? "-" : c === "/" ? "_" : c;
  }
  return base64urlDecode(url, expectedBytes);
}
