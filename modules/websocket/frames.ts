// RFC 6455 framing: an incremental frame decoder that takes bytes in whatever pieces TCP delivers them
// and assembles whole messages, and the frame header encoder for the sending side.
//
// The decoder keeps its own small state (a 14-byte header accumulator, a 125-byte control buffer) and
// one message buffer that grows to the largest message seen (never beyond the cap) and is reused: the
// receive path allocates nothing per frame. Payload bytes are copied into the message buffer natively
// and unmasked in place, four bytes at a time where aligned.

import { utf8Valid } from "../util/utf8.js";

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close status codes (RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_NO_STATUS = 1005; // never sent: reported when a close frame carried no code
export const CLOSE_ABNORMAL = 1006; // never sent: reported when the TCP connection ended without a close frame
export const CLOSE_INVALID_DATA = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;

/** Largest control frame payload (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** Largest frame header: 2 + 8 (64-bit length) + 4 (mask). */
export const MAX_HEADER_BYTES = 14;

/** A close code a peer may send (RFC 6455 §7.4.1/§7.4.2 and the IANA registry). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Where the decoder delivers what it assembles. Calls happen synchronously inside `push`. */
export interface FrameSink {
  /**
   * A whole data message. `data` is a view of the decoder's buffer, valid only during the call; text
   * has already been validated as strict UTF-8.
   */
  onMessage(text: boolean, data: Uint8Array): void;
  /** A ping, pong or (validated) close frame; `payload` is valid only during the call. */
  onControl(opcode: number, payload: Uint8Array): void;
  /** A protocol violation: the connection must be failed with `code`. No call follows. */
  onViolation(code: number, reason: string): void;
}

export interface FrameDecoderOptions {
  /** Largest binary message (the sum of its fragments), in bytes. */
  maxMessageBytes: number;
  /** Largest text message, in bytes. */
  maxTextBytes: number;
  /** Server side: every frame must be masked. Client side (tests): no frame may be masked. */
  expectMasked: boolean;
  /** A faster unmasking (native on the device); default: the JavaScript loop below. */
  unmask?: Unmasker;
}

/**
 * XOR buf[from, to) in place with the 4-byte mask, starting at mask byte `phase` (0..3): byte i gets
 * mask[(phase + i - from) & 3]. Unmasking is the one per-byte loop of the receive path; in XS it costs about
 * as much as everything else on the path together, so the device passes a native implementation.
 */
export type Unmasker = (buf: Uint8Array, from: number, to: number, mask: Uint8Array, phase: number) => void;

const S_HEADER = 0;
const S_PAYLOAD = 1;
const S_HALTED = 2;

export class FrameDecoder {
  private readonly sink: FrameSink;
  private readonly maxMessage: number;
  private readonly maxText: number;
  private readonly expectMasked: boolean;
  private readonly fastUnmask: Unmasker | undefined;

  private state = S_HEADER;
  private readonly header = new Uint8Array(MAX_HEADER_BYTES);
  private headerLen = 0;
  private headerNeed = 2;

  // the frame being read
  private fin = false;
  private opcode = 0;
  private masked = false;
  private remaining = 0; // payload bytes still to come
  private readonly mask = new Uint8Array(4);
  private maskPhase = 0;
  /** The four mask bytes rotated to the current phase, read back as one int32 in platform byte order. */
  private readonly maskWordBytes = new Uint8Array(4);
  private readonly maskWord = new Int32Array(this.maskWordBytes.buffer);

  // the message being assembled (data frames) and the control frame being read
  private messageOpcode = 0; // OP_TEXT / OP_BINARY while a message is in progress, else 0
  private buf: Uint8Array = new Uint8Array(0);
  private words: Int32Array = new Int32Array(0);
  private length = 0; // bytes of the message assembled so far
  private readonly control = new Uint8Array(MAX_CONTROL_PAYLOAD);
  private controlLength = 0;

  constructor(o: FrameDecoderOptions, sink: FrameSink) {
    this.sink = sink;
    this.maxMessage = o.maxMessageBytes;
    this.maxText = Math.min(o.maxTextBytes, o.maxMessageBytes);
    this.expectMasked = o.expectMasked;
    this.fastUnmask = o.unmask;
  }

  /** Stop decoding: every later byte is ignored (the connection is going away). */
  halt(): void {
    this.state = S_HALTED;
  }

  get halted(): boolean {
    return this.state === S_HALTED;
  }

  /** Bytes of message buffer held (for memory accounting in tests and logs). */
  get bufferBytes(): number {
    return this.buf.length;
  }

  /** Consume `data` (any split of the stream). Never throws on hostile input. */
  push(data: Uint8Array): void {
    const n = data.length;
    let i = 0;
    while (i < n && this.state !== S_HALTED) {
      if (this.state === S_HEADER) {
        const take = Math.min(this.headerNeed - this.headerLen, n - i);
        for (let k = 0; k < take; k++) this.header[this.headerLen++] = data[i++];
        if (this.headerLen === this.headerNeed) this.headerStep();
      } else {
        const take = Math.min(this.remaining, n - i);
        this.payloadStep(data, i, take);
        i += take;
      }
    }
  }

  private violation(code: number, reason: string): void {
    this.state = S_HALTED;
    this.sink.onViolation(code, reason);
  }

  /** The header accumulator holds `headerNeed` bytes: validate what they allow, or ask for more. */
  private headerStep(): void {
    const h = this.header;
    if (this.headerNeed === 2) {
      const b0 = h[0], b1 = h[1];
      this.fin = (b0 & 0x80) !== 0;
      this.opcode = b0 & 0x0f;
      this.masked = (b1 & 0x80) !== 0;
      const len7 = b1 & 0x7f;
      if ((b0 & 0x70) !== 0) return this.violation(CLOSE_PROTOCOL_ERROR, "reserved bits set");
      if (this.masked !== this.expectMasked) return this.violation(CLOSE_PROTOCOL_ERROR, this.expectMasked ? "unmasked client frame" : "masked server frame");
      const op = this.opcode;
      if (op >= 0x8) {
        if (op > OP_PONG) return this.violation(CLOSE_PROTOCOL_ERROR, "reserved opcode");
        if (!this.fin) return this.violation(CLOSE_PROTOCOL_ERROR, "fragmented control frame");
        if (len7 > MAX_CONTROL_PAYLOAD) return this.violation(CLOSE_PROTOCOL_ERROR, "control frame too long");
      } else if (op === OP_CONTINUATION) {
        if (this.messageOpcode === 0) return this.violation(CLOSE_PROTOCOL_ERROR, "continuation without a message");
      } else if (op === OP_TEXT || op === OP_BINARY) {
        if (this.messageOpcode !== 0) return this.violation(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
      } else return this.violation(CLOSE_PROTOCOL_ERROR, "reserved opcode");
      const extra = (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.masked ? 4 : 0);
      if (extra > 0) {
        this.headerNeed = 2 + extra;
        return;
      }
    }
    // the whole header is here
    const len7 = h[1] & 0x7f;
    let length: number;
    let o = 2;
    if (len7 === 126) {
      length = (h[2] << 8) | h[3];
      if (length < 126) return this.violation(CLOSE_PROTOCOL_ERROR, "non-minimal length");
      o = 4;
    } else if (len7 === 127) {
      if ((h[2] & 0x80) !== 0) return this.violation(CLOSE_PROTOCOL_ERROR, "64-bit length with the top bit set");
      if ((h[2] | h[3] | h[4] | h[5]) !== 0) return this.violation(CLOSE_TOO_BIG, "message too big");
      length = h[6] * 0x1000000 + ((h[7] << 16) | (h[8] << 8) | h[9]); // < 2^32, exact as a double
      if (length < 0x10000) return this.violation(CLOSE_PROTOCOL_ERROR, "non-minimal length");
      o = 10;
    } else length = len7;
    if (this.masked) {
      this.mask[0] = h[o];
      this.mask[1] = h[o + 1];
      this.mask[2] = h[o + 2];
      this.mask[3] = h[o + 3];
    }
    this.maskPhase = 0;
    this.headerLen = 0;
    this.headerNeed = 2;
    this.remaining = length;
    if (this.opcode >= 0x8) {
      this.controlLength = 0;
    } else {
      if (this.opcode !== OP_CONTINUATION) {
        this.messageOpcode = this.opcode;
        this.length = 0;
      }
      const cap = this.messageOpcode === OP_TEXT ? this.maxText : this.maxMessage;
      if (length > cap - this.length) return this.violation(CLOSE_TOO_BIG, "message too big");
      this.reserve(this.length + length);
    }
    this.state = S_PAYLOAD;
    if (length === 0) this.frameDone();
  }

  /** Make the message buffer hold at least `need` bytes (need <= the cap, checked by the caller). */
  private reserve(need: number): void {
    if (need <= this.buf.length) return;
    const cap = this.messageOpcode === OP_TEXT ? this.maxText : this.maxMessage;
    // grow geometrically for fragmented messages, never beyond the cap; whole words for the XOR loop
    let size = Math.max(need, Math.min(cap, this.buf.length * 2));
    size = (size + 3) & ~3;
    const next = new Uint8Array(size);
    if (this.length > 0) next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.words = new Int32Array(next.buffer);
  }

  private payloadStep(data: Uint8Array, from: number, take: number): void {
    if (take > 0) {
      const src = from === 0 && take === data.length ? data : data.subarray(from, from + take);
      if (this.opcode >= 0x8) {
        const at = this.controlLength;
        this.control.set(src, at);
        this.controlLength += take;
        if (this.masked) this.unmask(this.control, null, at, at + take);
      } else {
        const at = this.length;
        this.buf.set(src, at);
        this.length += take;
        if (this.masked) this.unmask(this.buf, this.words, at, at + take);
      }
      this.remaining -= take;
    }
    if (this.remaining === 0) this.frameDone();
  }

  /** XOR buf[from, to) with the mask, continuing at the current mask phase. */
  private unmask(buf: Uint8Array, words: Int32Array | null, from: number, to: number): void {
    const m = this.mask;
    let p = this.maskPhase;
    if (this.fastUnmask !== undefined) {
      this.fastUnmask(buf, from, to, m, p);
      this.maskPhase = (p + to - from) & 3;
      return;
    }
    let i = from;
    while (i < to && (i & 3) !== 0) {
      buf[i] ^= m[p];
      i++;
      p = (p + 1) & 3;
    }
    if (words !== null && to - i >= 4) {
      const wb = this.maskWordBytes;
      wb[0] = m[p];
      wb[1] = m[(p + 1) & 3];
      wb[2] = m[(p + 2) & 3];
      wb[3] = m[(p + 3) & 3];
      const k = this.maskWord[0];
      const end = to >> 2;
      for (let w = i >> 2; w < end; w++) words[w] ^= k;
      i = end << 2;
    }
    while (i < to) {
      buf[i] ^= m[p];
      i++;
      p = (p + 1) & 3;
    }
    this.maskPhase = p;
  }

  private frameDone(): void {
    this.state = S_HEADER;
    const op = this.opcode;
    if (op >= 0x8) {
      const payload = this.control.subarray(0, this.controlLength);
      if (op === OP_CLOSE && !this.validClose(payload)) return;
      this.sink.onControl(op, payload);
      return;
    }
    if (!this.fin) return; // more fragments to come
    const text = this.messageOpcode === OP_TEXT;
    const len = this.length;
    this.messageOpcode = 0;
    this.length = 0;
    if (text && !utf8Valid(this.buf, 0, len)) return this.violation(CLOSE_INVALID_DATA, "invalid UTF-8 in a text message");
    this.sink.onMessage(text, this.buf.subarray(0, len));
  }

  private validClose(p: Uint8Array): boolean {
    if (p.length === 0) return true;
    if (p.length === 1) {
      this.violation(CLOSE_PROTOCOL_ERROR, "close frame with a one-byte payload");
      return false;
    }
    if (!isValidCloseCode((p[0] << 8) | p[1])) {
      this.violation(CLOSE_PROTOCOL_ERROR, "invalid close code");
      return false;
    }
    if (!utf8Valid(p, 2, p.length)) {
      this.violation(CLOSE_INVALID_DATA, "invalid UTF-8 in a close reason");
      return false;
    }
    return true;
  }
}

/**
 * Write a frame header for a `length`-byte payload into `out` (at least 10 bytes; a server never masks)
 * and return its size: 2, 4 or 10 bytes.
 */
export function encodeFrameHeader(out: Uint8Array, fin: boolean, opcode: number, length: number): number {
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (length < 126) {
    out[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    out[1] = 126;
    out[2] = length >> 8;
    out[3] = length & 255;
    return 4;
  }
  out[1] = 127;
  const hi = Math.floor(length / 0x100000000);
  const lo = length - hi * 0x100000000;
  out[2] = (hi >> 24) & 255;
  out[3] = (hi >> 16) & 255;
  out[4] = (hi >> 8) & 255;
  out[5] = hi & 255;
  out[6] = Math.floor(lo / 0x1000000) & 255;
  out[7] = (lo >> 16) & 255;
  out[8] = (lo >> 8) & 255;
  out[9] = lo & 255;
  return 10;
}
