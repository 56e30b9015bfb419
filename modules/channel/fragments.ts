// Message types and fragmentation of the transport (spec §Binary Message ID Structure, §Fragmentation).
// The reassembler is the receiver's single in-flight message: one bounded buffer and its orig_type.
// Two layouts, one per revision (modules/protocol/revision.ts): the baseline's types 2 (more) and 3
// (end), and the current revision's type 1 with a flags byte (bit 1 first, bit 0 last, bits 2-7 zero).

/** Type byte 0: a UTF-8 JSON message. */
export const TYPE_JSON = 0;
/** Fragment-more: `[2][orig_type][data]` when it opens a message, `[2][data]` when it continues one. */
export const TYPE_FRAGMENT_MORE = 2;
/** Fragment-end: `[3][data]` closes the message in flight. */
export const TYPE_FRAGMENT_END = 3;

/** Noise transport message limit (65535) minus the 16-byte tag minus the type byte. */
export const MAX_FRAME_PAYLOAD = 65518;
/** Largest frame plaintext (type byte included). */
export const MAX_FRAME_PLAINTEXT = MAX_FRAME_PAYLOAD + 1;

/** Current revision: `[1][flags][orig_type][data]` opens a message, `[1][flags][data]` continues it. */
export const TYPE_FRAGMENT = 1;
export const FLAG_FIRST = 2;
export const FLAG_LAST = 1;
/** Bits 2-7 of the flags byte are reserved and must be zero. */
export const FLAGS_RESERVED = 0xfc;

/** A baseline fragment type (2 or 3). */
export function isFragmentType(t: number): boolean {
  return t === TYPE_FRAGMENT_MORE || t === TYPE_FRAGMENT_END;
}

/**
 * Receiver state of a fragmented message. The buffer grows on demand (doubling) and never beyond
 * `maxBytes`; it is kept between messages so a stream of fragmented messages (high-rate audio chunks)
 * does not allocate once it has reached its working size.
 */
export class Reassembler {
  private buf: Uint8Array = new Uint8Array(0);
  private len = 0;
  /** orig_type of the message in flight, or -1 when none is. */
  private type = -1;

  constructor(private readonly maxBytes: number) {}

  /** Bytes the reassembly buffer holds right now (never more than the cap). */
  get capacity(): number {
    return this.buf.length;
  }

  get inFlight(): boolean {
    return this.type >= 0;
  }

  /** Start a message of `origType`; false when origType is itself a fragment type of the framing in use. */
  begin(origType: number, current = false): boolean {
    if (current ? origType === TYPE_FRAGMENT : isFragmentType(origType)) return false;
    this.type = origType;
    this.len = 0;
    return true;
  }

  /** Append src[from, to); false when the message would exceed the cap. */
  append(src: Uint8Array, from: number, to: number): boolean {
    const n = to - from;
    const need = this.len + n;
    if (need > this.maxBytes) return false;
    if (need > this.buf.length) {
      let cap = this.buf.length < 1024 ? 1024 : this.buf.length;
      while (cap < need) cap *= 2;
      if (cap > this.maxBytes) cap = this.maxBytes;
      const grown = new Uint8Array(cap);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(src.subarray(from, to), this.len);
    this.len = need;
    return true;
  }

  /** orig_type of the completed message. The data is `view()` until the next begin/append/reset. */
  finish(): number {
    const t = this.type;
    this.type = -1;
    return t;
  }

  /** The completed message's bytes (a view into the reassembly buffer). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Drop any message in flight (the buffer is kept). */
  reset(): void {
    this.type = -1;
    this.len = 0;
  }
}
