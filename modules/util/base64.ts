// Standard base64 (RFC 4648 §4: `+` `/` alphabet, `=` padding), as HTTP carries it (the WebSocket
// handshake's Sec-WebSocket-Key and Sec-WebSocket-Accept). It reuses the strict base64url codec and only
// translates the two alphabet differences and the padding, so there is one base64 loop in the project.

import { base64urlDecode, base64urlEncode } from "./base64url.js";

export function base64Encode(bytes: Uint8Array): string {
  return base64urlEncode(bytes).replace(/-/g, "+").replace(/_/g, "/") + ["", "==", "="][bytes.length % 3];
}

/**
 * Strict decode: length a multiple of 4, padding only as the last one or two characters and exactly as
 * many as the byte count needs, only the standard alphabet, canonical trailing bits, and (when asked)
 * an exact decoded length. Returns undefined on anything else; never throws.
 */
export function base64Decode(s: unknown, expectedBytes?: number): Uint8Array | undefined {
  if (typeof s !== "string" || (s.length & 3) !== 0) return undefined;
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const body = s.slice(0, s.length - pad);
  // URL-safe characters or misplaced padding. Native searches and replaces: indexing a string character
  // by character is quadratic on XS (UTF-8 strings), and headers come from anyone on the network.
  if (/[-_=]/.test(body)) return undefined;
  return base64urlDecode(body.replace(/\+/g, "-").replace(/\//g, "_"), expectedBytes);
}
