// The post-handshake transport (spec §Communication, §Binary Message ID Structure, §Fragmentation,
// §Re-handshake): every WebSocket binary frame is one Noise transport ciphertext; its plaintext starts
// with the message type byte; messages whose payload exceeds 65,518 bytes travel as fragments.
//
// Buffer ownership (no per-message allocation on the receive path):
// - receive(frame) decrypts in place in the caller's frame; an unfragmented message is returned as a view
//   into that frame, a reassembled one as a view into the channel's reassembly buffer. Either view is valid
//   until the next receive() (and no longer than the frame itself): copy what must outlive it.
// - send() builds each frame in the channel's scratch buffer and hands `emit` a view valid only during
//   the call: the emitter writes it out (or copies it) before returning.
//
// Any receive error is fatal (spec §Failure Handling: the connection closes): the channel then refuses
// everything, so a caller that keeps feeding it cannot get past a broken frame.

import { NOISE_MAX_MESSAGE, type CipherState, type HandshakeResult } from "../../crypto/noise.js";
import { utf8Encode } from "../util/utf8.js";
import type { Revision } from "../protocol/revision.js";
import {
  FLAGS_RESERVED,
  FLAG_FIRST,
  FLAG_LAST,
  MAX_FRAME_PAYLOAD,
  Reassembler,
  TYPE_FRAGMENT,
  TYPE_FRAGMENT_END,
  TYPE_FRAGMENT_MORE,
  TYPE_JSON,
  isFragmentType,
} from "./fragments.js";

const TAG = 16;

export type ChannelInbound =
  | { kind: "message"; type: number; data: Uint8Array } // data: a view valid until the next receive()
  | { kind: "pending" } // a fragment was absorbed
  | { kind: "error"; reason: string }; // protocol or authentication error: close the connection

/** Receives each outbound frame (a view valid during the call). Returning `false` means it was not sent. */
export type FrameEmitter = (frame: Uint8Array) => unknown;

export interface SecureChannelOptions {
  /** Largest message payload (bytes after the type byte) accepted, reassembled or not; bounds the reassembly buffer. */
  maxMessageBytes: number;
  /** Fragment layout: the baseline's types 2/3 (default) or the current revision's type 1 with flags. */
  framing?: Revision;
}

const PENDING: ChannelInbound = Object.freeze({ kind: "pending" });

export class SecureChannel {
  private sendCs: CipherState;
  private recvCs: CipherState;
  private h: Uint8Array;
  private readonly maxMessageBytes: number;
  private readonly reassembly: Reassembler;
  private readonly current: boolean;
  /** Reused result of receive() for messages: the audio path allocates no result object per chunk. */
  private readonly delivered: { kind: "message"; type: number; data: Uint8Array } = { kind: "message", type: 0, data: new Uint8Array(0) };
  private scratch: Uint8Array = new Uint8Array(256);
  private receiveError: string | null = null;
  private sendBroken = false;
  private sending = false;

  constructor(keys: HandshakeResult, opts: SecureChannelOptions) {
    const max = opts.maxMessageBytes;
    if (!Number.isInteger(max) || max < 1) throw new RangeError("channel: maxMessageBytes must be a positive integer");
    this.sendCs = keys.send;
    this.recvCs = keys.recv;
    this.h = keys.h.slice();
    this.maxMessageBytes = max;
    this.reassembly = new Reassembler(max);
    this.current = opts.framing === "current";
  }

  /** The fragment layout in use. */
  get framing(): Revision {
    return this.current ? "current" : "baseline";
  }

  /** The current handshake hash h (a copy): the prologue of the next re-handshake. */
  get handshakeHash(): Uint8Array {
    return this.h.slice();
  }

  /** Size of the reassembly buffer (grows on demand, bounded by maxMessageBytes). */
  get reassemblyCapacity(): number {
    return this.reassembly.capacity;
  }

  /** True once a receive error happened (the connection must close). */
  get failed(): boolean {
    return this.receiveError !== null;
  }

  private fail(reason: string): ChannelInbound {
    if (this.receiveError === null) this.receiveError = reason;
    this.reassembly.reset();
    return { kind: "error", reason };
  }

  private deliver(type: number, data: Uint8Array): ChannelInbound {
    const d = this.delivered;
    d.type = type;
    d.data = data;
    return d;
  }

  /** One received binary frame (decrypted in place: its bytes are overwritten). */
  receive(frame: Uint8Array): ChannelInbound {
    if (this.receiveError !== null) return { kind: "error", reason: "channel already failed: " + this.receiveError };
    const len = frame.length;
    if (len > NOISE_MAX_MESSAGE) return this.fail("frame larger than a Noise message (65535 bytes)");
    if (len < TAG) return this.fail("undersized frame");
    const n = this.recvCs.decryptInPlace(null, frame, 0, len);
    if (n < 0) return this.fail(this.recvCs.exhausted ? "receive nonce exhausted" : "authentication failed");
    if (n === 0) return this.fail("empty frame");
    const type = frame[0];
    const r = this.reassembly;
    if (this.current) return this.receiveCurrent(type, frame, n);
    if (type === TYPE_FRAGMENT_MORE) {
      if (!r.inFlight) {
        if (n < 2) return this.fail("opening fragment without orig_type");
        if (!r.begin(frame[1])) return this.fail("fragment orig_type is a fragment type");
        if (!r.append(frame, 2, n)) return this.fail("fragmented message larger than the cap");
      } else if (!r.append(frame, 1, n)) return this.fail("fragmented message larger than the cap");
      return PENDING;
    }
    if (type === TYPE_FRAGMENT_END) {
      if (!r.inFlight) return this.fail("fragment-end with no message in flight");
      if (!r.append(frame, 1, n)) return this.fail("fragmented message larger than the cap");
      return this.deliver(r.finish(), r.view());
    }
    if (r.inFlight) return this.fail("message interleaved with a fragmented message");
    if (n - 1 > this.maxMessageBytes) return this.fail("message larger than the cap");
    return this.deliver(type, frame.subarray(1, n));
  }

  /** The current revision's framing: type 1 with a flags byte; every other type is a message. */
  private receiveCurrent(type: number, frame: Uint8Array, n: number): ChannelInbound {
    const r = this.reassembly;
    if (type !== TYPE_FRAGMENT) {
      if (r.inFlight) return this.fail("message interleaved with a fragmented message");
      if (n - 1 > this.maxMessageBytes) return this.fail("message larger than the cap");
      return this.deliver(type, frame.subarray(1, n));
    }
    if (n < 2) return this.fail("fragment without a flags byte");
    const flags = frame[1];
    if ((flags & FLAGS_RESERVED) !== 0) return this.fail("fragment with a reserved flag bit set");
    if ((flags & FLAG_FIRST) !== 0) {
      if (r.inFlight) return this.fail("first fragment while a fragmented message is in flight");
      if (n < 3) return this.fail("first fragment without orig_type");
      if (!r.begin(frame[2], true)) return this.fail("fragment orig_type is 1");
      if (!r.append(frame, 3, n)) return this.fail("fragmented message larger than the cap");
    } else {
      if (!r.inFlight) return this.fail("non-first fragment with no message in flight");
      if (!r.append(frame, 2, n)) return this.fail("fragmented message larger than the cap");
    }
    if ((flags & FLAG_LAST) === 0) return PENDING;
    return this.deliver(r.finish(), r.view());
  }

  /**
   * Send one message: a single frame when the payload fits (≤ 65,518 bytes), else fragments, all emitted
   * before returning (one message in flight). Returns false when a frame could not be produced (send nonce
   * exhausted) or the emitter refused one; the send side is then unusable and the connection must close
   * (the peer's nonce would no longer match). Types 2 and 3 belong to the framing and are refused.
   */
  send(type: number, payload: Uint8Array, emit: FrameEmitter): boolean {
    if (!Number.isInteger(type) || type < 0 || type > 255 || (this.current ? type === TYPE_FRAGMENT : isFragmentType(type))) {
      throw new RangeError(`channel: message type must be 0..255 and not ${this.current ? "1" : "2 or 3"}`);
    }
    if (this.sending) throw new Error("channel: send() re-entered from its emitter");
    if (this.sendBroken) return false;
    this.sending = true;
    try {
      const total = payload.length;
      if (total <= MAX_FRAME_PAYLOAD) return this.frame(type, -1, -1, payload, 0, total, emit);
      if (this.current) return this.sendFragmentsCurrent(type, payload, emit);
      // [2][orig_type][data] opens, [2][data] continues, [3][data] closes; each frame is as full as allowed.
      let at = MAX_FRAME_PAYLOAD - 1;
      if (!this.frame(TYPE_FRAGMENT_MORE, type, -1, payload, 0, at, emit)) return false;
      while (total - at > MAX_FRAME_PAYLOAD) {
        if (!this.frame(TYPE_FRAGMENT_MORE, -1, -1, payload, at, at + MAX_FRAME_PAYLOAD, emit)) return false;
        at += MAX_FRAME_PAYLOAD;
      }
      return this.frame(TYPE_FRAGMENT_END, -1, -1, payload, at, total, emit);
    } finally {
      this.sending = false;
    }
  }

  /** [1][first][orig_type][data], [1][0][data]..., [1][last][data]: every frame as full as allowed. */
  private sendFragmentsCurrent(type: number, payload: Uint8Array, emit: FrameEmitter): boolean {
    const total = payload.length;
    const room = MAX_FRAME_PAYLOAD - 1; // the flags byte takes one byte of every fragment
    let at = room - 1; // and the first one carries orig_type too
    if (!this.frame(TYPE_FRAGMENT, FLAG_FIRST, type, payload, 0, at, emit)) return false;
    while (total - at > room) {
      if (!this.frame(TYPE_FRAGMENT, 0, -1, payload, at, at + room, emit)) return false;
      at += room;
    }
    return this.frame(TYPE_FRAGMENT, FLAG_LAST, -1, payload, at, total, emit);
  }

  /** A type-0 message: `value` as UTF-8 JSON. */
  sendJson(value: unknown, emit: FrameEmitter): boolean {
    return this.send(TYPE_JSON, utf8Encode(JSON.stringify(value)), emit);
  }

  /** Build, encrypt and emit one frame: [type][second byte if ≥ 0][third byte if ≥ 0][payload[from, to)]. */
  private frame(type: number, second: number, third: number, payload: Uint8Array, from: number, to: number, emit: FrameEmitter): boolean {
    const head = second < 0 ? 1 : third < 0 ? 2 : 3;
    const plain = head + to - from;
    if (plain + TAG > this.scratch.length) {
      let cap = this.scratch.length;
      while (cap < plain + TAG) cap *= 2;
      this.scratch = new Uint8Array(cap > NOISE_MAX_MESSAGE ? NOISE_MAX_MESSAGE : cap);
    }
    const buf = this.scratch;
    buf[0] = type;
    if (second >= 0) buf[1] = second;
    if (third >= 0) buf[2] = third;
    buf.set(payload.subarray(from, to), head);
    const n = this.sendCs.encryptInPlace(null, buf, 0, plain);
    if (n < 0 || emit(buf.subarray(0, n)) === false) {
      this.sendBroken = true;
      return false;
    }
    return true;
  }

  /**
   * Switch both directions to the keys of a completed re-handshake, at once. Call it right after the last
   * handshake message went out (responder) or came in (initiator) under the old keys; the old keys are wiped.
   */
  rekey(keys: HandshakeResult): void {
    this.sendCs.dispose();
    this.recvCs.dispose();
    this.sendCs = keys.send;
    this.recvCs = keys.recv;
    this.h = keys.h.slice();
    this.reassembly.reset();
  }

  /** Wipe the keys (connection closed). */
  dispose(): void {
    this.sendCs.dispose();
    this.recvCs.dispose();
    this.sendBroken = true;
    if (this.receiveError === null) this.receiveError = "closed";
  }
}
