// UTF-8 without TextEncoder/TextDecoder (Moddable has neither unless an extra module is linked).
// Works on code points, so it is correct both where string length counts UTF-16 units (V8) and where
// it counts code points (XS).

/**
 * UTF-8 bytes of `s`. Strings are walked with for-of only: on XS (UTF-8 strings inside) charCodeAt(i) and
 * codePointAt(i) find the i-th character from the start, so an indexed loop is quadratic. ASCII text (almost
 * every message) takes one pass into a buffer of s.length bytes (both engines count an ASCII string's length
 * in bytes); anything else is measured first, then encoded.
 */
export function utf8Encode(s: string): Uint8Array {
  const ascii = new Uint8Array(s.length);
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80) return encodeText(s);
    ascii[n++] = c;
  }
  return ascii;
}

function encodeText(s: string): Uint8Array {
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
 *
 * Cost on XS (which runs every inbound JSON text through here): one JavaScript pass over the bytes; the
 * characters become strings natively, String.fromCodePoint.apply over at most APPLY_MAX of them at a time
 * (long ASCII runs straight from the bytes, everything else from a code point queue), and the pieces are
 * joined in linear time (TextJoin). Appending each character to a string instead is quadratic on XS.
 */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string | undefined {
  const q = (queue ??= new Int32Array(APPLY_MAX));
  const text = new TextJoin(q);
  let n = 0; // code points in the queue
  let i = start;
  while (i < end) {
    const run = i;
    while (i < end && bytes[i] < 0x80) i++;
    if (i - run >= DIRECT_RUN) {
      if (n > 0) text.queued(n);
      n = 0;
      text.ascii(bytes, run, i);
    } else {
      for (let k = run; k < i; k++) {
        q[n++] = bytes[k];
        if (n === APPLY_MAX) n = text.queued(n);
      }
    }
    // Then the characters of 2 to 4 bytes up to the next ASCII byte.
    while (i < end && bytes[i] >= 0x80) {
      const c = decodeSequence(bytes, i, end);
      if (c < 0) return undefined;
      q[n++] = c;
      if (n === APPLY_MAX) n = text.queued(n);
      i += c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
  }
  if (n > 0) text.queued(n);
  return text.result();
}

/**
 * Arguments per String.fromCodePoint.apply: XS pushes each one on its stack, whose whole size is a few
 * hundred slots on the device (manifest creation.stack).
 */
const APPLY_MAX = 128;
/** ASCII runs at least this long become strings straight from the bytes; shorter ones join the queue. */
const DIRECT_RUN = 32;
/** Pieces gather in a tail of about this many characters before joining the text. */
const TAIL_CHARS = 1024;
/**
 * Decoded code points waiting to become a string (one module buffer: no allocation per character). Made on
 * first use, not at module load: the firmware preloads its modules, and a buffer made at load time would be
 * frozen into flash, read-only (manifest.json "preload"; test/node/platform/preload.test.ts).
 */
let queue: Int32Array | undefined;

/**
 * The decoded text, assembled in linear time: XS copies the whole left operand on every `+=`, so the pieces
 * (up to APPLY_MAX characters each) first gather in a short tail, which joins the text every TAIL_CHARS.
 */
class TextJoin {
  private readonly queue: Int32Array;
  private text = "";
  private tail = "";
  private tailChars = 0;

  constructor(queue: Int32Array) {
    this.queue = queue;
  }

  /** The first n queued code points; returns 0 (the queue is empty again). */
  queued(n: number): number {
    const q = this.queue;
    this.add(String.fromCodePoint.apply(null, (n === APPLY_MAX ? q : q.subarray(0, n)) as unknown as number[]), n);
    return 0;
  }

  /** bytes[from, to), all below 0x80. */
  ascii(bytes: Uint8Array, from: number, to: number): void {
    for (let i = from; i < to; i += APPLY_MAX) {
      const stop = to - i > APPLY_MAX ? i + APPLY_MAX : to;
      this.add(String.fromCodePoint.apply(null, bytes.subarray(i, stop) as unknown as number[]), stop - i);
    }
  }

  result(): string {
    return this.text + this.tail;
  }

  private add(piece: string, chars: number): void {
    this.tail += piece;
    this.tailChars += chars;
    if (this.tailChars >= TAIL_CHARS) {
      this.text += this.tail;
      this.tail = "";
      this.tailChars = 0;
    }
  }
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
    const c = decodeSequence(bytes, i, end);
    if (c < 0) return false;
    i += c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return true;
}

/**
 * The code point of the well-formed multi-byte sequence that starts at bytes[i] (a byte >= 0x80; its length
 * follows from the code point: 2 bytes below U+0800, 3 below U+10000, else 4), or -1 when it is malformed:
 * a bad lead byte, a missing or bad continuation byte, an overlong form, a surrogate or a code point above
 * U+10FFFF.
 */
function decodeSequence(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i];
  let c: number;
  let need: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) { c = b0 & 0x1f; need = 1; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { c = b0 & 0x0f; need = 2; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { c = b0 & 0x07; need = 3; min = 0x10000; }
  else return -1;
  if (i + need >= end) return -1; // truncated sequence
  for (let k = 1; k <= need; k++) {
    const b = bytes[i + k];
    if ((b & 0xc0) !== 0x80) return -1;
    c = (c << 6) | (b & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return -1;
  return c;
}
