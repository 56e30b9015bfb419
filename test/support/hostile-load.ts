// Hostile load against the simulator binary, over real sockets on loopback (issue 14): the simulator as a
// child process, attackers that bind their sockets to other loopback addresses (127.0.0.2, 127.0.0.3, …;
// Linux routes all of 127.0.0.0/8 to lo), a real server that measures how long it needs to get in, and
// a frame-numbered signal whose WAV recording tells exactly which frames were skipped or repeated.
// Used by test/node/sim/admission.e2e.test.ts and test/bench/admission.bench.ts (with SimProcess,
// test/support/sim-process.ts).

import { connect, type Socket } from "node:net";
import { SENTINEL_PSK, decodeKeyId, generateKeyPair, keyId } from "../../crypto/ids.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import { parseWav } from "../../modules/audio/wav.js";
import { InitiatorHandshake } from "../../modules/channel/handshake.js";
import { buildClientInit } from "../../modules/protocol/handshake-messages.js";
import { encodeJson } from "../../modules/protocol/json.js";
import { concatBytes } from "../../modules/util/bytes.js";
import { nodeRandom } from "../reference/random.js";
import { HandshakeFailed, ReferenceServer } from "../reference/index.js";
import type { ServerConnection } from "../reference/index.js";
import { clientFrame, upgradeRequest } from "./ws-peer.js";

// ------------------------------------------------------------------ the frame-numbered signal

const RATE = 48000;
/** Frames per step of the right channel's counter (the left counts within a step). */
const STEP = 30000;

/**
 * 16-bit stereo PCM whose frame i carries i itself: left 1 + (i mod 30000), right 1 + floor(i / 30000).
 * Never silent, never periodic: every output frame names the input frame it came from.
 */
export function numberedPcm(frames: number): Uint8Array {
  const pcm = new Uint8Array(frames * 4);
  const v = new DataView(pcm.buffer);
  for (let i = 0; i < frames; i++) {
    v.setInt16(4 * i, 1 + (i % STEP), true);
    v.setInt16(4 * i + 2, 1 + Math.floor(i / STEP), true);
  }
  return pcm;
}

export const NUMBERED_FORMAT = { sample_rate: RATE, channels: 2, bit_depth: 16 } as const;

export interface Discontinuity {
  /** The input frame after which it happened. */
  at: number;
  /** Frames skipped (positive) or replayed (negative) relative to the next expected one; silence counts as skipped time. */
  frames: number;
  kind: "skip" | "repeat" | "silence" | "foreign";
}

export interface OutputCheck {
  /** Non-silent frames in the output. */
  frames: number;
  first: number;
  last: number;
  /** One frame dropped or repeated: the player's sync corrections (spec: at most 1 frame at 48 kHz). */
  corrections: number;
  /** Everything else: skips, repeats, silence inside the stream, frames that are not the signal's. */
  discontinuities: Discontinuity[];
}

/** Compare a WAV recording with numberedPcm, sample-exactly. */
export function checkNumberedOutput(wav: Uint8Array): OutputCheck {
  const clip = parseWav(wav);
  if (!clip || clip.channels !== 2 || clip.sampleRate !== RATE) throw new Error("not a 48 kHz stereo WAV");
  const v = new DataView(wav.buffer, wav.byteOffset + clip.dataOffset, clip.frames * 4);
  const out: OutputCheck = { frames: 0, first: -1, last: -1, corrections: 0, discontinuities: [] };
  let prev = -1;
  let silence = 0;
  for (let k = 0; k < clip.frames; k++) {
    const l = v.getInt16(4 * k, true);
    const r = v.getInt16(4 * k + 2, true);
    if (l === 0 && r === 0) {
      if (prev >= 0) silence++;
      continue;
    }
    if (l < 1 || l > STEP || r < 1) {
      out.discontinuities.push({ at: prev, frames: 1, kind: "foreign" });
      continue;
    }
    const i = (r - 1) * STEP + (l - 1);
    out.frames++;
    if (prev < 0) out.first = i;
    else {
      if (silence > 0) out.discontinuities.push({ at: prev, frames: silence, kind: "silence" });
      const d = i - prev;
      if (d !== 1) {
        if (silence === 0 && (d === 2 || d === 0)) out.corrections++;
        else out.discontinuities.push({ at: prev, frames: d - 1, kind: d > 1 ? "skip" : "repeat" });
      }
    }
    silence = 0;
    prev = i;
  }
  out.last = prev;
  return out;
}

// ------------------------------------------------------------------ attackers

export type AttackKind = "idle TCP" | "silent WebSocket" | "half-done upgrade" | "handshake flood";

export interface AttackOptions {
  port: number;
  /** Loopback addresses the attacker's sockets are bound to (127.0.0.2, …). */
  addresses: string[];
  /** Sockets each address keeps open (the holding attacks); default 4. */
  perAddress?: number;
  /** New connections per second over all addresses (handshake flood); default 20. */
  ratePerSecond?: number;
  /** Upgrade + server/init + Noise message 1, ready to send (handshake flood); see floodPayloads. */
  payloads?: Uint8Array[];
}

/**
 * One attack, running until stop(). The holding attacks keep `perAddress` sockets per address open
 * and reconnect each as soon as the speaker drops it; the flood opens connections at a fixed rate, each
 * sending a complete upgrade, server/init and a Noise message 1 (Sentinel PSK) and leaving once the
 * speaker answered or dropped it.
 */
export class Attack {
  connects = 0;
  /** Connections the speaker ended (dropped or closed). */
  dropped = 0;
  /** Flood connections that got Noise message 2 back (work the speaker did). */
  answered = 0;
  private stopped = false;
  private readonly sockets = new Set<Socket>();
  private timer: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(readonly kind: AttackKind, private readonly o: AttackOptions) {}

  start(): void {
    if (this.kind === "handshake flood") {
      const every = 1000 / (this.o.ratePerSecond ?? 20);
      this.timer = setInterval(() => this.floodOne(), every);
    } else {
      for (const a of this.o.addresses) for (let i = 0; i < (this.o.perAddress ?? 4); i++) this.hold(a);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private open(address: string): Socket {
    const s = connect({ host: "127.0.0.1", port: this.o.port, localAddress: address });
    this.connects++;
    this.sockets.add(s);
    s.on("error", () => {});
    return s;
  }

  private hold(address: string): void {
    if (this.stopped) return;
    const s = this.open(address);
    s.resume(); // read (and discard) what the speaker sends, so that its close is seen
    s.on("connect", () => {
      if (this.kind === "silent WebSocket") s.write(upgradeRequest());
      else if (this.kind === "half-done upgrade") s.write(upgradeRequest().subarray(0, 40));
    });
    s.on("close", () => {
      this.sockets.delete(s);
      if (this.stopped) return;
      this.dropped++;
      setTimeout(() => this.hold(address), 20); // straight back in
    });
  }

  private floodOne(): void {
    if (this.stopped || this.sockets.size >= 64) return;
    const n = this.next++;
    const address = this.o.addresses[n % this.o.addresses.length];
    const payloads = this.o.payloads!;
    const s = this.open(address);
    const giveUp = setTimeout(() => s.destroy(), 2000);
    let seen = "";
    s.on("connect", () => s.write(payloads[n % payloads.length]));
    s.on("data", (b: Buffer) => {
      seen += b.toString("latin1");
      if (seen.includes("noise/handshake")) {
        this.answered++;
        s.destroy();
      }
    });
    s.on("close", () => {
      clearTimeout(giveUp);
      this.sockets.delete(s);
      if (!this.stopped && !seen.includes("noise/handshake")) this.dropped++;
    });
  }
}

/**
 * `count` flood payloads, each from a fresh server key: the upgrade request, server/init and a Noise
 * message 1 under the Sentinel PSK (which any host may use), as masked text frames. client/init is the
 * same on every connection (client_id and suite), so message 1 can be prepared before connecting and the
 * attacker spends nothing per attempt while the speaker runs five X25519 operations for each.
 */
export function floodPayloads(clientId: string, suite: string, count: number): Uint8Array[] {
  const crypto = createPortableCrypto(nodeRandom);
  const clientKey = decodeKeyId(clientId);
  if (!clientKey) throw new Error("bad client_id");
  const clientInit = buildClientInit(clientId, suite);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const kp = generateKeyPair(crypto);
    const serverInit = encodeJson({ type: "server/init", payload: { server_id: keyId(kp.publicKey), version: 1 } });
    const hs = new InitiatorHandshake({ crypto, suite: suite as never, s: kp, rs: clientKey, psk: SENTINEL_PSK, prologue: concatBytes(clientInit, serverInit) });
    out.push(concatBytes(upgradeRequest(), clientFrame(1, serverInit), clientFrame(1, encodeJson(hs.message1()))));
  }
  return out;
}

/**
 * A real server (one holding a pairing record) trying to get in: a fresh connection and Noise
 * handshake every `retryMs` until one completes (message 2 received), which is then closed. Resolves
 * with the milliseconds from the first try, or -1 after `limitMs`.
 */
export async function timeToGetIn(server: ReferenceServer, url: string, limitMs: number, retryMs = 100): Promise<number> {
  const t0 = performance.now();
  const c = await connectWithin(server, url, { psk: "record", timeoutMs: 3000 }, limitMs, retryMs);
  if (!c) return -1;
  c.close(1000);
  return performance.now() - t0;
}

/**
 * Connect as a real server does under attack: a new connection every `retryMs` while the last one was
 * dropped before it proved its key (an upgrading connection may be the one that makes room), up to `limitMs`.
 * Null when none got through.
 */
export async function connectWithin(server: ReferenceServer, url: string, opts: Parameters<ReferenceServer["connect"]>[1], limitMs: number, retryMs = 100): Promise<ServerConnection | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    try {
      return await server.connect(url, opts);
    } catch (e) {
      if (!(e instanceof HandshakeFailed) && !(e instanceof Error && /cannot open|socket|closed/i.test(e.message))) throw e;
    }
    await new Promise((r) => setTimeout(r, retryMs));
  }
  return null;
}
