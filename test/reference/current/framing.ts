// The current revision's transport framing (current spec §Binary Message ID Structure, §Fragmentation),
// written from that text: one fragment type, 1, with a flags byte.
//   first fragment:       [1][flags][orig_type][data]
//   subsequent fragments: [1][flags][data]
// flags bit 1 = first, bit 0 = last, bits 2–7 reserved (zero). A lone fragment carries 0x03. At most one
// fragmented message per direction; orig_type 1 is forbidden. Sealing and decryption are the baseline
// reference's (framing.ts): only the plaintext layout differs.

import { checkFragmentSizes, MAX_FRAME_PAYLOAD, withType, type Inbound, type PlaintextReassembler } from "../framing.js";

export const TYPE_FRAGMENT = 1;
export const FLAG_LAST = 0x01;
export const FLAG_FIRST = 0x02;
const RESERVED_FLAGS = 0xfc;
/** Binary audio chunk: [4][int64 BE timestamp][uint32 BE send_ahead][audio]. */
export const AUDIO_HEADER_BYTES = 13;

/** Plaintexts of one message as a conforming sender produces them: one frame when it fits, else fragments. */
export function messageFrames(type: number, payload: Uint8Array): Uint8Array[] {
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError("message type is a uint8");
  if (type === TYPE_FRAGMENT) throw new RangeError("type 1 is the fragment type");
  if (payload.length <= MAX_FRAME_PAYLOAD) return [withType(type, payload)];
  // Each fragment frame carries at most 65,518 bytes after its type byte: the flags byte takes one of
  // them, and the first fragment's orig_type another.
  const sizes: number[] = [MAX_FRAME_PAYLOAD - 2];
  let left = payload.length - sizes[0];
  while (left > MAX_FRAME_PAYLOAD - 1) {
    sizes.push(MAX_FRAME_PAYLOAD - 1);
    left -= MAX_FRAME_PAYLOAD - 1;
  }
  sizes.push(left);
  return fragmentFrames(type, payload, sizes);
}

/**
 * Fragment plaintexts with caller-chosen data sizes (one size: a lone fragment with flags 0x03). For
 * edge-case tests: fragmenting a message that fits, empty fragments. Sizes must add up to payload.length.
 */
export function fragmentFrames(type: number, payload: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  if (sizes.length < 1) throw new RangeError("a fragmented message has at least one fragment");
  checkFragmentSizes(payload, sizes);
  const frames: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; i < sizes.length; i++) {
    const first = i === 0;
    const flags = (first ? FLAG_FIRST : 0) | (i === sizes.length - 1 ? FLAG_LAST : 0);
    const head = first ? 3 : 2;
    const f = new Uint8Array(head + sizes[i]);
    f[0] = TYPE_FRAGMENT;
    f[1] = flags;
    if (first) f[2] = type;
    f.set(payload.subarray(off, off + sizes[i]), head);
    off += sizes[i];
    frames.push(f);
  }
  return frames;
}

export type CurrentFrameError =
  | "empty-frame" // plaintext has no type byte
  | "fragment-truncated" // a fragment without its flags byte, or a first fragment without orig_type
  | "fragment-reserved-flags" // a reserved flag bit set
  | "fragment-orig-type-1" // orig_type 1
  | "fragment-first-in-flight" // a first fragment while a fragmented message is in flight
  | "fragment-none-in-flight" // a non-first fragment with none in flight
  | "interleaved" // a non-fragment binary message while a fragmented message is in flight
  | "message-too-large"; // the reassembled message exceeds the receiver's limit

/** The spec's receiver: one reassembly buffer and the in-flight orig_type; every malformed sequence is fatal. */
export class CurrentReassembler implements PlaintextReassembler {
  private origType = -1;
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private count = 0;
  private failed: CurrentFrameError | null = null;

  constructor(private readonly maxMessageBytes: number) {}

  get inFlight(): boolean {
    return this.origType >= 0;
  }

  push(plain: Uint8Array): Inbound<CurrentFrameError> {
    if (this.failed) return { kind: "error", reason: this.failed };
    if (plain.length === 0) return this.fail("empty-frame");
    if (plain[0] !== TYPE_FRAGMENT) {
      if (this.origType >= 0) return this.fail("interleaved");
      if (plain.length - 1 > this.maxMessageBytes) return this.fail("message-too-large");
      return { kind: "message", type: plain[0], data: plain.slice(1), fragments: 0 };
    }
    if (plain.length < 2) return this.fail("fragment-truncated");
    const flags = plain[1];
    if (flags & RESERVED_FLAGS) return this.fail("fragment-reserved-flags");
    let data: Uint8Array;
    if (flags & FLAG_FIRST) {
      if (this.origType >= 0) return this.fail("fragment-first-in-flight");
      if (plain.length < 3) return this.fail("fragment-truncated");
      if (plain[2] === TYPE_FRAGMENT) return this.fail("fragment-orig-type-1");
      this.origType = plain[2];
      this.parts = [];
      this.bytes = 0;
      this.count = 0;
      data = plain.subarray(3);
    } else {
      if (this.origType < 0) return this.fail("fragment-none-in-flight");
      data = plain.subarray(2);
    }
    if (this.bytes + data.length > this.maxMessageBytes) return this.fail("message-too-large");
    this.parts.push(data.slice());
    this.bytes += data.length;
    this.count++;
    if (!(flags & FLAG_LAST)) return { kind: "pending" };
    const out = new Uint8Array(this.bytes);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    const m: Inbound<CurrentFrameError> = { kind: "message", type: this.origType, data: out, fragments: this.count };
    this.origType = -1;
    this.parts = [];
    this.bytes = 0;
    this.count = 0;
    return m;
  }

  private fail(reason: CurrentFrameError): Inbound<CurrentFrameError> {
    this.failed = reason;
    this.parts = [];
    return { kind: "error", reason };
  }
}

/** One audio chunk's body after the type byte: timestamp (µs, BE int64), send_ahead (µs, BE uint32, saturating), data. */
export function audioChunkBody(timestampUs: number | bigint, sendAheadUs: number, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(AUDIO_HEADER_BYTES - 1 + data.length);
  const v = new DataView(body.buffer);
  v.setBigInt64(0, BigInt(timestampUs), false);
  // "The field saturates rather than wrapping": 0 at or after the timestamp, 0xFFFFFFFF above its range.
  const ahead = sendAheadUs <= 0 ? 0 : sendAheadUs >= 0xffffffff ? 0xffffffff : Math.floor(sendAheadUs);
  v.setUint32(8, ahead, false);
  body.set(data, 12);
  return body;
}
