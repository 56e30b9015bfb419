// The reference server's own transport framing (spec §Binary Message ID Structure, §Fragmentation),
// written from the spec text and deliberately independent of the speaker's modules/channel: a framing
// bug on one side cannot hide behind the same bug on the other.
//
// One transport frame = one Noise transport message = AEAD(plaintext), plaintext = [type][payload].
// A Noise transport message is at most 65,535 bytes, the tag takes 16 and the type byte 1, so a single
// frame carries at most 65,518 payload bytes. Larger messages travel as
//   [2][orig_type][data]  (opening fragment-more)
//   [2][data]             (continuation fragment-more, zero or more)
//   [3][data]             (fragment-end)
// and only one message may be in flight on the connection at a time.

/** What crypto/noise.ts's CipherState offers (structural, so the framing needs no Noise import). */
export interface TransportCipher {
  encryptInPlace(ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number;
  decryptInPlace(ad: Uint8Array | null, buf: Uint8Array, off: number, len: number): number;
}

export const NOISE_MAX_MESSAGE = 65535;
export const TAG_BYTES = 16;
/** Payload bytes a single (non-fragmented) frame carries at most: 65535 − 16 − 1. */
export const MAX_FRAME_PAYLOAD = NOISE_MAX_MESSAGE - TAG_BYTES - 1;
export const TYPE_JSON = 0;
export const TYPE_FRAGMENT_MORE = 2;
export const TYPE_FRAGMENT_END = 3;
export const TYPE_AUDIO = 4;

/**
 * The plaintexts of the frames that carry one message, as a spec-conforming sender produces them:
 * one frame when the payload fits, otherwise an opening fragment filled to the limit, full
 * continuations, and a fragment-end with the rest.
 */
export function messageFrames(type: number, payload: Uint8Array): Uint8Array[] {
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError("message type is a uint8");
  if (type === TYPE_FRAGMENT_MORE || type === TYPE_FRAGMENT_END) throw new RangeError("types 2 and 3 are the fragment types");
  if (payload.length <= MAX_FRAME_PAYLOAD) return [withType(type, payload)];
  const sizes: number[] = [MAX_FRAME_PAYLOAD - 1]; // the opening fragment also carries orig_type
  let left = payload.length - sizes[0];
  while (left > MAX_FRAME_PAYLOAD) {
    sizes.push(MAX_FRAME_PAYLOAD);
    left -= MAX_FRAME_PAYLOAD;
  }
  sizes.push(left);
  return fragmentFrames(type, payload, sizes);
}

/**
 * Fragment plaintexts with caller-chosen data sizes (the last size goes into the fragment-end frame).
 * For edge-case and hostile tests: empty fragments, fragmenting a message that would fit, oversized
 * frames (the caller then gets frames the speaker must refuse). Sizes must add up to payload.length.
 */
export function fragmentFrames(type: number, payload: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  if (sizes.length < 2) throw new RangeError("a fragmented message has at least a fragment-more and a fragment-end");
  checkFragmentSizes(payload, sizes);
  const frames: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; i < sizes.length; i++) {
    const data = payload.subarray(off, off + sizes[i]);
    off += sizes[i];
    if (i === 0) {
      const f = new Uint8Array(2 + data.length);
      f[0] = TYPE_FRAGMENT_MORE;
      f[1] = type;
      f.set(data, 2);
      frames.push(f);
    } else {
      frames.push(withType(i === sizes.length - 1 ? TYPE_FRAGMENT_END : TYPE_FRAGMENT_MORE, data));
    }
  }
  return frames;
}

/** Caller-chosen fragment data sizes: non-negative integers adding up to the payload (throws otherwise). */
export function checkFragmentSizes(payload: Uint8Array, sizes: readonly number[]): void {
  let total = 0;
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 0) throw new RangeError("fragment sizes are non-negative integers");
    total += s;
  }
  if (total !== payload.length) throw new RangeError(`fragment sizes add up to ${total}, payload has ${payload.length}`);
}

/** [type][data]: one frame plaintext. */
export function withType(type: number, data: Uint8Array): Uint8Array {
  const f = new Uint8Array(1 + data.length);
  f[0] = type;
  f.set(data, 1);
  return f;
}

/** AEAD-seal one frame plaintext into a fresh ciphertext buffer (plaintext + 16-byte tag). */
export function sealFrame(cipher: TransportCipher, plaintext: Uint8Array): Uint8Array {
  const buf = new Uint8Array(plaintext.length + TAG_BYTES);
  buf.set(plaintext);
  const n = cipher.encryptInPlace(null, buf, 0, plaintext.length);
  if (n !== buf.length) throw new Error("transport cipher refused to encrypt");
  return buf;
}

export type FrameError =
  | "frame-too-large" // ciphertext longer than a Noise transport message can be
  | "auth" // AEAD authentication failed (tampering, replay, wrong keys, counter exhausted)
  | "empty-frame" // plaintext has no type byte
  | "fragment-without-orig-type" // opening fragment-more frame of 1 byte
  | "fragment-nested" // opening fragment declares orig_type 2 or 3
  | "fragment-end-without-start" // fragment-end with no fragmented message in flight
  | "interleaved" // a non-fragment frame while a fragmented message is in flight
  | "message-too-large"; // the reassembled message exceeds the receiver's limit

export type Inbound<E extends string = FrameError> =
  | { kind: "message"; type: number; data: Uint8Array; fragments: number } // data is a fresh copy
  | { kind: "pending" } // a fragment was absorbed
  | { kind: "error"; reason: E };

/** What FrameReceiver needs from a revision's reassembler: decrypted plaintexts in, messages out. */
export interface PlaintextReassembler {
  readonly inFlight: boolean;
  push(plain: Uint8Array): Inbound<string>;
}

/**
 * The spec's receiver: one reassembly buffer and the in-flight orig_type. After an error the
 * connection is to be closed; the reassembler refuses everything afterwards.
 */
export class Reassembler implements PlaintextReassembler {
  private origType = -1; // -1: nothing in flight
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private count = 0;
  private failed: FrameError | null = null;

  constructor(private readonly maxMessageBytes: number) {}

  get inFlight(): boolean {
    return this.origType >= 0;
  }

  /** Feed one decrypted frame plaintext. */
  push(plain: Uint8Array): Inbound {
    if (this.failed) return { kind: "error", reason: this.failed };
    if (plain.length === 0) return this.fail("empty-frame");
    const type = plain[0];
    if (type === TYPE_FRAGMENT_MORE) {
      if (this.origType < 0) {
        if (plain.length < 2) return this.fail("fragment-without-orig-type");
        const orig = plain[1];
        if (orig === TYPE_FRAGMENT_MORE || orig === TYPE_FRAGMENT_END) return this.fail("fragment-nested");
        this.origType = orig;
        this.parts = [];
        this.bytes = 0;
        this.count = 0;
        return this.append(plain.subarray(2)) ?? { kind: "pending" };
      }
      return this.append(plain.subarray(1)) ?? { kind: "pending" };
    }
    if (type === TYPE_FRAGMENT_END) {
      if (this.origType < 0) return this.fail("fragment-end-without-start");
      const err = this.append(plain.subarray(1));
      if (err) return err;
      const data = new Uint8Array(this.bytes);
      let o = 0;
      for (const p of this.parts) {
        data.set(p, o);
        o += p.length;
      }
      const out: Inbound = { kind: "message", type: this.origType, data, fragments: this.count };
      this.origType = -1;
      this.parts = [];
      this.bytes = 0;
      this.count = 0;
      return out;
    }
    if (this.origType >= 0) return this.fail("interleaved");
    if (plain.length - 1 > this.maxMessageBytes) return this.fail("message-too-large");
    return { kind: "message", type, data: plain.slice(1), fragments: 0 };
  }

  private append(data: Uint8Array): Inbound | undefined {
    if (this.bytes + data.length > this.maxMessageBytes) return this.fail("message-too-large");
    this.parts.push(data.slice());
    this.bytes += data.length;
    this.count++;
    return undefined;
  }

  private fail(reason: FrameError): Inbound {
    this.failed = reason;
    this.parts = [];
    return { kind: "error", reason };
  }
}

/** Decrypts transport frames (fresh copies: the caller's buffer is not touched) and reassembles them. */
export class FrameReceiver {
  private readonly reassembler: PlaintextReassembler;

  /** `reassembler`: another revision's fragment rules (default: the baseline's, with this limit). */
  constructor(private cipher: TransportCipher, maxMessageBytes: number, reassembler?: PlaintextReassembler) {
    this.reassembler = reassembler ?? new Reassembler(maxMessageBytes);
  }

  /** Switch to the keys of a re-handshake (the frame that completed it was opened with the old ones). */
  setCipher(cipher: TransportCipher): void {
    this.cipher = cipher;
  }

  get inFlight(): boolean {
    return this.reassembler.inFlight;
  }

  /** Decrypt only (for callers that want the raw plaintext); null on failure. */
  open(frame: Uint8Array): Uint8Array | null {
    if (frame.length > NOISE_MAX_MESSAGE) return null;
    const buf = frame.slice();
    const n = this.cipher.decryptInPlace(null, buf, 0, buf.length);
    return n < 0 ? null : buf.subarray(0, n);
  }

  receive(frame: Uint8Array): Inbound<string> {
    if (frame.length > NOISE_MAX_MESSAGE) return { kind: "error", reason: "frame-too-large" };
    const plain = this.open(frame);
    if (!plain) return { kind: "error", reason: "auth" };
    return this.reassembler.push(plain);
  }
}
