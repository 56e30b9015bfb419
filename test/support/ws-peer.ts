// The client side of RFC 6455 for unit tests, byte by byte under the test's control: it builds upgrade
// requests and (masked, or deliberately broken) client frames, and reads what the server sent back.
// Pure ECMAScript, so the WebSocket unit tests run in XS too.

import { FrameDecoder, OP_CLOSE } from "../../modules/websocket/frames.js";
import { utf8Decode, utf8Encode } from "../../modules/util/utf8.js";

export const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ=="; // RFC 6455 §1.3

export function upgradeRequest(path = "/sendspin", o: { key?: string; version?: string; extra?: string; method?: string } = {}): Uint8Array {
  return utf8Encode(
    `${o.method ?? "GET"} ${path} HTTP/1.1\r\nHost: 127.0.0.1:8928\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${o.key ?? SAMPLE_KEY}\r\nSec-WebSocket-Version: ${o.version ?? "13"}\r\n${o.extra ?? ""}\r\n`,
  );
}

export interface FrameOptions {
  fin?: boolean;
  /** Reserved bits (0..7), placed in bits 6..4 of the first byte. */
  rsv?: number;
  /** Send unmasked (a violation from a client). */
  unmasked?: boolean;
  mask?: [number, number, number, number];
  /** Force the length form: 7-bit, 16-bit or 64-bit (non-minimal forms are violations). */
  lengthForm?: 7 | 16 | 64;
  /** Claim this payload length in the header instead of the real one (the payload itself is not sent if it differs). */
  claimedLength?: number;
}

/** One client frame. */
export function clientFrame(opcode: number, payload: Uint8Array, o: FrameOptions = {}): Uint8Array {
  const len = o.claimedLength ?? payload.length;
  const form = o.lengthForm ?? (len < 126 ? 7 : len < 0x10000 ? 16 : 64);
  const masked = !o.unmasked;
  const hlen = 2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (masked ? 4 : 0);
  const out = new Uint8Array(hlen + payload.length);
  out[0] = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  let p = 2;
  if (form === 7) out[1] = len;
  else if (form === 16) {
    out[1] = 126;
    out[2] = (len >> 8) & 255;
    out[3] = len & 255;
    p = 4;
  } else {
    out[1] = 127;
    const hi = Math.floor(len / 0x100000000);
    const lo = len - hi * 0x100000000;
    out[2] = (hi >> 24) & 255;
    out[3] = (hi >> 16) & 255;
    out[4] = (hi >> 8) & 255;
    out[5] = hi & 255;
    out[6] = Math.floor(lo / 0x1000000) & 255;
    out[7] = (lo >> 16) & 255;
    out[8] = (lo >> 8) & 255;
    out[9] = lo & 255;
    p = 10;
  }
  const m = o.mask ?? [0x37, 0xfa, 0x21, 0x3d];
  if (masked) {
    out[1] |= 0x80;
    for (let k = 0; k < 4; k++) out[p + k] = m[k];
    p += 4;
  }
  for (let i = 0; i < payload.length; i++) out[p + i] = masked ? payload[i] ^ m[i & 3] : payload[i];
  return out;
}

export function closePayload(code: number, reason = ""): Uint8Array {
  const r = utf8Encode(reason);
  const p = new Uint8Array(2 + r.length);
  p[0] = code >> 8;
  p[1] = code & 255;
  p.set(r, 2);
  return p;
}

export type ServerEvent =
  | { kind: "text"; data: Uint8Array }
  | { kind: "binary"; data: Uint8Array }
  | { kind: "control"; opcode: number; data: Uint8Array }
  | { kind: "violation"; code: number; reason: string };

/** Reads the server's byte stream: the HTTP response head, then (unmasked) frames. */
export class ServerStreamReader {
  status = 0;
  responseHead = "";
  readonly events: ServerEvent[] = [];
  private pending: number[] = [];
  private readonly decoder: FrameDecoder;

  constructor(maxMessageBytes = 1 << 24) {
    this.decoder = new FrameDecoder(
      { maxMessageBytes, maxTextBytes: maxMessageBytes, expectMasked: false },
      {
        onMessage: (text, data) => this.events.push({ kind: text ? "text" : "binary", data: data.slice() }),
        onControl: (opcode, data) => this.events.push({ kind: "control", opcode, data: data.slice() }),
        onViolation: (code, reason) => this.events.push({ kind: "violation", code, reason }),
      },
    );
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    if (this.status === 0) {
      for (; i < bytes.length && this.status === 0; i++) {
        this.pending.push(bytes[i]);
        const n = this.pending.length;
        if (n >= 4 && this.pending[n - 4] === 13 && this.pending[n - 3] === 10 && this.pending[n - 2] === 13 && this.pending[n - 1] === 10) {
          this.responseHead = utf8Decode(Uint8Array.from(this.pending)) ?? "";
          this.status = Number(this.responseHead.split(" ")[1]);
          this.pending = [];
        }
      }
    }
    if (i < bytes.length) this.decoder.push(bytes.subarray(i));
  }

  /** The close frames' codes the server sent. */
  closeCodes(): number[] {
    return this.events
      .filter((e): e is { kind: "control"; opcode: number; data: Uint8Array } => e.kind === "control" && e.opcode === OP_CLOSE)
      .map((e) => (e.data.length >= 2 ? (e.data[0] << 8) | e.data[1] : 1005));
  }

  header(name: string): string | undefined {
    for (const line of this.responseHead.split("\r\n")) {
      const c = line.indexOf(":");
      if (c > 0 && line.slice(0, c).toLowerCase() === name.toLowerCase()) return line.slice(c + 1).trim();
    }
    return undefined;
  }
}
