// What the speaker costs an ESP32, estimated from XS on this machine (issue 7): per byte of AEAD open for each
// suite and crypto backend, the responder's Noise handshake plus CPace role B, the whole receive path per
// 20 ms chunk of PCM 48 kHz 16-bit stereo (TCP bytes → WebSocket → channel → player → sink), and XS's own
// memory counters over a simulated 10-minute session.
//
// Runs in the native XS host only (engine xs-native): the xsnap CLI's engine with the native crypto module
// linked in, so both backends run in one engine. Instruction counts come from callgrind (a first pass under
// valgrind); times from this machine. The ESP32 estimates convert x86-64 instructions to Xtensa cycles with the
// factors below (stated in the notes under each table).

import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import type { CryptoBackend } from "../support/backends.js";
import { SeededRandom } from "../support/random.js";
import { cpaceRoleBWork, noiseResponderWork } from "../support/handshake-work.js";
import { CHUNK_PCM_BYTES, ReceivePath } from "../support/receive-path.js";
import type { Bench, BenchContext, Engine } from "./context.js";

export const engines: readonly Engine[] = ["xs-native"];

const CORE_HZ = 240e6;
const CHUNKS_PER_S = 50; // 20 ms chunks: 50 × 3,840 B = 192,000 B/s of PCM
/**
 * rv32imc / x86-64 instruction ratios, from `npm run bench:chip` (issue 8's exact rv32imc counter, XS 13.3 built
 * with Moddable's ESP32 flags) over the same portable workloads counted here on x86-64 with callgrind:
 * ChaCha20-Poly1305 open 15,672 / 11,368 per byte = 1.38; AES-256-GCM 35,204 / 23,129 = 1.52; CPace role B
 * 243.9 M / 124 M = 1.97 and the Noise responder 487 M / 294 M = 1.66 (BigInt arithmetic: 32-bit limbs).
 */
const R_XS = 1.38; // JavaScript in XS (typed arrays, integers, calls): the receive path outside the AEAD
const R_XS_AESGCM = 1.52;
const R_BIGINT = 2.0; // handshake work (BigInt Elligator 2, HKDF/JSON glue), the highest ratio measured
/** For the native C (Mbed TLS), not countable on rv32 here: 32×32→64-bit products (Poly1305) and 64-bit words split in two. */
const R_C = 1.5;
/** Xtensa LX6 cycles per instruction: 1 (ideal single issue) to 1.5 (cache misses, flash-resident code, loads). */
const CPI_LOW = 1.0, CPI_HIGH = 1.5;

const FRAME_PLAIN = 1 + 8 + CHUNK_PCM_BYTES; // type byte + timestamp + PCM: 3,849 bytes
const FRAME_SEALED = FRAME_PLAIN + 16;

const T_AEAD = "ESP32 estimate: AEAD open per byte in XS (20 ms audio frame: 3,849 B + 16 B tag)";
const T_HS = "ESP32 estimate: the speaker's handshake work (Noise KKpsk2 responder, CPace role B)";
const T_PATH = "ESP32 estimate: whole receive path per 20 ms chunk (PCM 48 kHz 16-bit stereo), TCP bytes to sink";
const T_MEM = "XS memory during steady playback (native backend, simulated 10-minute session)";

function short(suite: SuiteName): string {
  return suite === "25519_ChaChaPoly_SHA256" ? "ChaChaPoly" : "AESGCM";
}

function range(a: number, b: number, digits: number, unit = ""): string {
  const f = (x: number) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(digits));
  return `${f(a)}–${f(b)}${unit}`;
}

/** x86-64 instructions → ESP32 cycles at both CPI bounds. */
function cycles(instr: number, r: number): [number, number] {
  return [instr * r * CPI_LOW, instr * r * CPI_HIGH];
}

function frames(crypto: CryptoProvider, suite: SuiteName, key: Uint8Array, n: number): Uint8Array[] {
  const aead = crypto.aead(suite, key);
  const rnd = new SeededRandom(11);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const b = new Uint8Array(FRAME_SEALED);
    b.set(rnd.bytes(FRAME_PLAIN));
    aead.seal(0, i, null, b, 0, FRAME_PLAIN);
    out.push(b);
  }
  aead.dispose();
  return out;
}

/** AEAD open: x86 ns/B and instructions per frame, per backend and suite. Returns instructions per frame by key. */
function aeadTable(ctx: BenchContext): Map<string, number> {
  const perFrame = new Map<string, number>();
  for (const backend of ctx.backends) {
    const crypto = backend.create(new SeededRandom(1));
    for (const suite of crypto.suites) {
      const native = backend.name !== "portable";
      const key = new SeededRandom(5).bytes(32);
      const aead = crypto.aead(suite, key);
      const label = `aead ${backend.name} ${suite}`;
      const nCount = native ? 20 : 1;
      const nTime = ctx.counting ? 0 : native ? 2000 : 24;
      const all = frames(crypto, suite, key, Math.max(nCount, nTime));
      let k = 0;
      const openNext = () => {
        if (aead.open(0, k, null, all[k], 0, FRAME_SEALED) !== FRAME_PLAIN) throw new Error("bench: open failed");
        k++;
      };
      const count = ctx.count(label, () => {
        for (let i = 0; i < nCount; i++) openNext();
      });
      if (ctx.counting) continue;
      k = 0;
      const t0 = ctx.now();
      for (let i = 0; i < nTime; i++) openNext();
      const ns = ((ctx.now() - t0) * 1e6) / (nTime * FRAME_PLAIN);
      aead.dispose();
      const row = `${backend.name} ${short(suite)}`;
      ctx.record(T_AEAD, row, "x86 ns/B", ns);
      if (count === undefined) continue;
      const instr = count / nCount;
      perFrame.set(`${backend.name} ${suite}`, instr);
      const r = native ? R_C : suite === "25519_AESGCM_SHA256" ? R_XS_AESGCM : R_XS;
      const [lo, hi] = cycles(instr / FRAME_PLAIN, r);
      ctx.record(T_AEAD, row, "x86 instr/B", instr / FRAME_PLAIN);
      const nativeGcm = native && suite === "25519_AESGCM_SHA256";
      ctx.record(T_AEAD, row, "ESP32 cycles/B", nativeGcm ? "(AES-NI here)" : range(lo, hi, 1));
      ctx.record(T_AEAD, row, "share of a 240 MHz core at 192 KB/s", nativeGcm ? "n/a" : range(((lo * FRAME_PLAIN * CHUNKS_PER_S) / CORE_HZ) * 100, ((hi * FRAME_PLAIN * CHUNKS_PER_S) / CORE_HZ) * 100, 2, " %"));
    }
  }
  if (!ctx.counting) {
    ctx.note(T_AEAD, `Per byte of a 20 ms frame's plaintext, opened in place through the provider (Aead.open), nonce per frame, per-call overhead included. ESP32 cycles = x86-64 instructions (callgrind, inside XS) × R × CPI, with R = rv32imc/x86-64 instructions: ${R_XS} for the portable ChaCha20-Poly1305 and ${R_XS_AESGCM} for the portable AES-GCM (measured: bench:chip's exact rv32imc counts of the same workloads ÷ these x86 counts), ${R_C} for the native C (assumed: its 64-bit products and words split in two on a 32-bit core), and CPI ${CPI_LOW}–${CPI_HIGH} for the Xtensa LX6 (rv32imc and LX6 are both 32-bit single-issue RISC; their instruction counts are taken as equal). Share = cycles per frame × 50 frames/s ÷ 240 MHz.`);
    ctx.note(T_AEAD, "Native AES-GCM: Debian's Mbed TLS uses AES-NI and PCLMULQDQ on this x86, so its count says nothing about the ESP32 (whose ESP-IDF PSA driver uses the AES accelerator, GHASH in software); the native backend therefore names ChaChaPoly first (constant-time software, estimated above).");
  }
  return perFrame;
}

/** Noise responder (ResponderHandshake as the session runs it) and CPace role B, per backend, its first suite. */
function handshakeTable(ctx: BenchContext): void {
  for (const backend of ctx.backends) {
    const crypto = backend.create(new SeededRandom(1));
    const suite = crypto.suites[0];
    const native = backend.name !== "portable";
    const runs = ctx.counting ? 1 : native ? 20 : 3;
    // Message 1 from fresh initiators and CPace role A's part, prepared outside the measurement (test/support/handshake-work.ts).
    const respond = noiseResponderWork(crypto, suite, runs + 1);
    const cpace = cpaceRoleBWork(crypto);
    respond(); // warm-up
    cpace();
    const cHs = ctx.count(`handshake ${backend.name}`, respond);
    const cCp = ctx.count(`cpace ${backend.name}`, cpace);
    if (ctx.counting) continue;
    const time = (fn: () => void) => {
      const t0 = ctx.now();
      for (let i = 0; i < runs; i++) fn();
      return (ctx.now() - t0) / runs;
    };
    const msHs = time(respond);
    const msCp = time(cpace);
    const rows: [string, number, number | undefined][] = [
      [`${backend.name}: Noise responder (${short(suite)})`, msHs, cHs],
      [`${backend.name}: CPace role B`, msCp, cCp],
      [`${backend.name}: handshake + CPace`, msHs + msCp, cHs !== undefined && cCp !== undefined ? cHs + cCp : undefined],
    ];
    for (const [row, ms, instr] of rows) {
      ctx.record(T_HS, row, "x86 ms", ms);
      if (instr === undefined) continue;
      ctx.record(T_HS, row, "x86 instr (M)", instr / 1e6);
      const [lo, hi] = cycles(instr, R_BIGINT); // the whole at the BigInt ratio (native X25519 inside included): an upper estimate
      ctx.record(T_HS, row, "ESP32 ms", range((lo / CORE_HZ) * 1000, (hi / CORE_HZ) * 1000, 1));
    }
  }
  if (!ctx.counting)
    ctx.note(T_HS, `Noise responder = ResponderHandshake as the session runs it: readMessage1 (JSON payload, 2 DH) + respond (ephemeral key, 2 DH, split), message 1 from a fresh initiator each run (not measured). CPace role B = respond (generator: SHA-512 + elligator2 in BigInt, 2 X25519) + verify Ta + Tb. ESP32 ms = x86-64 instructions × ${R_BIGINT} × CPI ${CPI_LOW}–${CPI_HIGH} ÷ 240 MHz: the highest rv32/x86 ratio measured (CPace role B, BigInt-bound: 1.97), applied to everything, native X25519 included. Cross-check: bench:chip counts the portable Noise responder at 487 M rv32 instructions and CPace role B at 244 M. Target: handshake + CPace within 1 s.`);
}

/** The whole receive path per chunk, per backend, its first suite; AEAD share from the AEAD table. */
function pathTable(ctx: BenchContext, aeadPerFrame: Map<string, number>): void {
  for (const backend of ctx.backends) {
    const crypto = backend.create(new SeededRandom(1));
    const native = backend.name !== "portable";
    // The portable backend: its announced suite, JavaScript unmasking (the simulator). The native backend: each
    // suite with the native unmasking (the device), and its first suite once more with JavaScript unmasking.
    const variants: [SuiteName, boolean][] = native ? [...crypto.suites.map((s): [SuiteName, boolean] => [s, true]), [crypto.suites[0], false]] : [[crypto.suites[0], false]];
    for (const [suite, fastUnmask] of variants) {
      const rig = new ReceivePath({ crypto, suite, unmask: fastUnmask ? backend.unmask : undefined });
      for (let i = 0; i < 100; i++) rig.step(); // steady state: buffer filled, sink refilled every period
      const nCount = native ? 40 : 2;
      const nTime = ctx.counting ? 0 : native ? 1000 : 24;
      rig.prepare(Math.max(nCount, nTime));
      const played = rig.framesPlayed;
      const count = ctx.count(`path ${backend.name} ${suite}${fastUnmask ? "" : " js-unmask"}`, () => {
        for (let i = 0; i < nCount; i++) rig.stepPrepared();
      });
      let us = 0;
      if (!ctx.counting) {
        const t0 = ctx.now();
        for (let i = 0; i < nTime; i++) rig.stepPrepared();
        us = ((ctx.now() - t0) * 1000) / nTime;
        if (rig.rejected !== 0 || rig.framesPlayed - played < (nTime - 2) * 960) throw new Error(`bench: receive path unhealthy (${rig.rejected} rejected)`);
      }
      rig.close();
      if (ctx.counting) continue;
      const row = `${backend.name} ${short(suite)}${fastUnmask ? ", unmask in C" : ", unmask in JS"}`;
      ctx.record(T_PATH, row, "x86 µs/chunk", us);
      if (count === undefined) continue;
      const instr = count / nCount;
      const aead = aeadPerFrame.get(`${backend.name} ${suite}`) ?? 0;
      const rA = native ? R_C : suite === "25519_AESGCM_SHA256" ? R_XS_AESGCM : R_XS;
      const nativeGcm = native && suite === "25519_AESGCM_SHA256";
      const [aLo, aHi] = cycles(aead, rA);
      const [rLo, rHi] = cycles(instr - aead, R_XS);
      ctx.record(T_PATH, row, "x86 instr/chunk", instr);
      ctx.record(T_PATH, row, "of which AEAD open", aead);
      ctx.record(T_PATH, row, "ESP32 Mcycles/s", nativeGcm ? "(AES-NI here)" : range(((aLo + rLo) * CHUNKS_PER_S) / 1e6, ((aHi + rHi) * CHUNKS_PER_S) / 1e6, 1));
      ctx.record(T_PATH, row, "share of a 240 MHz core", nativeGcm ? `${range((rLo * CHUNKS_PER_S * 100) / CORE_HZ, (rHi * CHUNKS_PER_S * 100) / CORE_HZ, 1, " %")} + AES-GCM` : range(((aLo + rLo) * CHUNKS_PER_S * 100) / CORE_HZ, ((aHi + rHi) * CHUNKS_PER_S * 100) / CORE_HZ, 1, " %"));
    }
  }
  if (!ctx.counting)
    ctx.note(T_PATH, `Per 20 ms chunk: a masked WebSocket binary frame (3,865 B of ciphertext + 8 B of header) handed to the WebSocket server as one TCP read → frame parsing and unmasking → SecureChannel.receive (AEAD open in place, framing) → the dispatch of Connection.onBinary → Player.onAudioChunk (validation, jitter buffer copy) → scheduler → sink (test/support/receive-path.ts). Included: the test doubles' own work per chunk (one ManualClock advance, one CountingSink drain). "unmask in C": the WebSocket server unmasks with the native module's xorMask (WebSocketServerOptions.unmask, what the device wires); "in JS": the portable loop of frames.ts. The engine copies with memcpy in Uint8Array.set as XS 17.9 does (test/native/native.mk). ESP32 cycles = AEAD instructions × its R (table above) + the rest × ${R_XS} (JavaScript in XS), × CPI ${CPI_LOW}–${CPI_HIGH}. Target: within 25 % of one 240 MHz core.`);
}

/** Live XS memory after a collection, each simulated minute of steady playback (native backend). */
function memoryTable(ctx: BenchContext): void {
  const backend: CryptoBackend | undefined = ctx.backends.find((b) => b.name === "native");
  if (!backend || !ctx.memory || ctx.counting) return;
  const crypto = backend.create(new SeededRandom(1));
  let base = { chunks: 0, slots: 0 };
  const rig = new ReceivePath({ crypto, suite: crypto.suites[0], unmask: backend.unmask, beforeSpeaker: () => (base = ctx.memory!(true)) });
  // Readings go into preallocated arrays: anything the bench kept per reading would show as growth.
  const perMinute = 60 * CHUNKS_PER_S;
  const chunks = new Float64Array(11), slots = new Float64Array(11);
  const read = (i: number) => {
    const m = ctx.memory!(true);
    chunks[i] = m.chunks - base.chunks;
    slots[i] = m.slots - base.slots;
  };
  read(0);
  for (let minute = 1; minute <= 10; minute++) {
    for (let i = 0; i < perMinute; i++) rig.step();
    read(minute);
  }
  const expected = 10 * perMinute * 960;
  for (let i = 0; i <= 10; i++) {
    const label = i === 0 ? "stream started (synchronized)" : `after ${i} min`;
    ctx.record(T_MEM, label, "chunk heap (B)", chunks[i]);
    ctx.record(T_MEM, label, "slots", slots[i]);
    ctx.record(T_MEM, label, "slot heap, 32-bit (B)", slots[i] * 16);
    ctx.record(T_MEM, label, "total, 32-bit (KB)", (chunks[i] + slots[i] * 16) / 1024);
  }
  ctx.record(T_MEM, "growth from minute 1 to minute 10", "chunk heap (B)", chunks[10] - chunks[1]);
  ctx.record(T_MEM, "growth from minute 1 to minute 10", "slots", slots[10] - slots[1]);
  if (rig.framesPlayed < expected - 50 * 960) throw new Error("bench: the simulated session did not play");
  const shared = typeof (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer === "function";
  ctx.note(
    T_MEM,
    `XS's own counters (live chunk bytes and live slots after a full collection), minus a baseline taken once every module was loaded and the simulated server existed, before the speaker's objects: WebSocket server and connection, SecureChannel, Player (clock sync, filter, scheduler, queue descriptors), plus the test doubles for the clock, sink and TCP. The player's audio memory (jitter buffer ring and output blocks: buffer_capacity 262,144 B here) is ${shared ? "a SharedArrayBuffer, outside the XS heap, so not in these figures" : "an ArrayBuffer here (no SharedArrayBuffer), so inside these figures"}. Slots are 32 B on this x86-64 host and 16 B on the ESP32 (the 32-bit column); chunk bytes are taken as they are (an upper bound: arrays of slots in chunks also halve). Simulated time: ${(expected / 48000 / 60).toFixed(0)} minutes of audio, ${rig.timeReplies} clock-sync replies, ${rig.rejected} chunks refused. Target: at most 64 KB in steady state, no growth.`,
  );
  rig.close();
}

const bench: Bench = (ctx) => {
  const perFrame = aeadTable(ctx);
  handshakeTable(ctx);
  pathTable(ctx, perFrame);
  memoryTable(ctx);
};

export default bench;
