// UTF-8 without TextEncoder/TextDecoder (Moddable has neither unless an extra module is linked).
// Works on code points, so it is correct both where string length counts UTF-16 units (V8) and where
// it counts code points (XS).

export function utf8Encode(s: string): Uint8Array {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const ch of s) {
    let c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate: encode the replacement character
    if (c < 0x80) out[o++] = c;
    else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    } else {
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 63);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    }
  }
  return out.length === o ? out : out.subarray(0, o);
}

/**
 * Strict UTF-8 decoding of bytes[start, end). Returns undefined on any malformed sequence (overlong
 * forms, surrogates, code points above U+10FFFF, truncation): inbound text is hostile.
 */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string | undefined {
  let s = "";
  let run = start; // start of the current pure-ASCII run, flushed in one call
  let i = start;
  while (i < end) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      i++;
      continue;
    }
    if (i > run) s += asciiRun(bytes, run, i);
    const n = sequenceLength(bytes, i, end);
    if (n === 0) return undefined;
    let c = b0 & (n === 2 ? 0x1f : n === 3 ? 0x0f : 0x07);
    for (let k = 1; k < n; k++) c = (c << 6) | (bytes[i + k] & 0x3f);
    s += String.fromCodePoint(c);
    i += n;
    run = i;
  }
  if (end > run) s += asciiRun(bytes, run, end);
  return s;
}

/**
 * Whether bytes[start, end) is well-formed UTF-8 under the same strict rules as utf8Decode, without
 * building a string (WebSocket text frames are validated, then handed on as their exact bytes).
 */
export function utf8Valid(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  let i = start;
  while (i < end) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const n = sequenceLength(bytes, i, end);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/**
 * Length (2..4) of the well-formed multi-byte sequence that starts at bytes[i] (a byte >= 0x80), or 0
 * when it is malformed: a bad lead byte, a missing or bad continuation byte, an overlong form, a
 * surrogate or a code point above U+10FFFF.
 */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i];
  let c: number;
  let need: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) { c = b0 & 0x1f; need = 1; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { c = b0 & 0x0f; need = 2; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { c = b0 & 0x07; need = 3; min = 0x10000; }
  else return 0;
  if (i + need >= end) return 0; // truncated sequence
  for (let k = 1; k <= need; k++) {
    const b = bytes[i + k];
    if ((b & 0xc0) !== 0x80) return 0;
    c = (c << 6) | (b & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  return need + 1;
}

function asciiRun(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  // fromCharCode.apply on bounded slices keeps the call stack small on XS
  for (let i = from; i < to; i += 1024) {
    const stop = Math.min(to, i + 1024);
    s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, stop)));
  }
  return s;
}
