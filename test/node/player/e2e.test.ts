// End to end (issue 5 §9): the reference server pairs with the speaker (pairing PSK), activates playback
// over the encrypted channel and streams a known PCM signal; the speaker is the real session core
// (Sessions, WebSocketServer on a loopback TCP listener) with the real Player on a recording sink, on
// real time. Every frame that reaches the sink is checked against the frame sent, and its play time
// against the time filter's prediction (spec §Sync Accuracy), while it plays.
//
// The signal: frame i carries its own identity, left = i & 0xffff, right = ((i >> 16) + 1) | (check(i) << 6)
// with a 10-bit check of i, so a frame is recognised exactly, silence (0/0) is recognisable, and any
// altered sample shows. The server's clock drifts 100 ppm against the speaker's.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { keyId } from "../../../crypto/ids.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { encodePairingToken } from "../../../crypto/pairing-token.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../../modules/config.js";
import { Player } from "../../../modules/player/player.js";
import type { SessionSocket } from "../../../modules/session/connection.js";
import { Sessions } from "../../../modules/session/sessions.js";
import { WebSocketServer } from "../../../modules/websocket/server.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import { Store } from "../../../storage/store.js";
import { frameIdOf, frameIdSignal } from "../../support/frame-id-signal.js";
import { RecordingSink } from "../../support/recording-sink.js";
import { RecordingIndicator, RecordingLog, RecordingOutChannel } from "../../support/session-parts.js";
import { ReferenceServer, nodeRandom, pairingPskFromToken, pairWithPairingPsk } from "../../reference/index.js";
import { SimClock } from "../../../sim/clock.js";
import { DESKTOP_OUTPUT_MS } from "../../../sim/audio.js";
import { NodeListener } from "../../../sim/listener.js";

const realClock = new SimClock();

const RATE = 48000;
const CHUNK_FRAMES = 960;
const SECONDS = 8;

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

test("reference server → encrypted channel → Player → sink: every frame is the frame sent, on time, except at reported corrections", async () => {
  // The speaker.
  const crypto = createPortableCrypto(nodeRandom);
  const store = Store.mount(new MemoryFlash({ blockSize: 4096, blocks: 4 }), {
    slots: 5,
    crypto,
    defaults: { staticPinEnabled: false, dynamicPinEnabled: true, minPinLength: 6, unpairedAccess: false },
    log: () => {},
  });
  const config: SpeakerConfig = { ...DEFAULT_CONFIG, bufferCapacity: 262_144, audioFormats: [{ codec: "pcm", sampleRate: RATE, channels: 2, bitsPerSample: 16 }] };
  let delayMs = 0;
  const m = {
    frames: 0, silence: 0, foreign: 0, soft: 0, jumps: [] as { delta: number; silence: number }[],
    errors: [] as number[], prev: -1, silenceRun: 0, start: NaN,
  };
  let player!: Player;
  const sink = new RecordingSink(realClock, {
    latencyUs: 2000,
    keepSamples: false,
    nativeFormats: config.audioFormats,
    onPlayed: (buf, frames, startUs, frameUs) => {
      // Runs as each block finishes playing: decode, check, and measure against the filter now.
      let first = -1, last = -1, lastIdx = 0;
      for (let f = 0; f < frames; f++) {
        const o = f * 4;
        const lo = buf[o] | (buf[o + 1] << 8), r = buf[o + 2] | (buf[o + 3] << 8);
        m.frames++;
        if (r === 0 && lo === 0) {
          m.silence++;
          m.silenceRun++;
          continue;
        }
        const idx = frameIdOf(lo, r);
        if (idx < 0) {
          m.foreign++;
          continue;
        }
        if (m.prev >= 0 && (idx !== m.prev + 1 || m.silenceRun > 0)) {
          const j = m.jumps[m.jumps.length - 1];
          if (idx === m.prev && j && j.delta < 0 && m.silenceRun === 0) j.delta--; // an N-frame duplicate
          else m.jumps.push({ delta: idx - m.prev - 1, silence: m.silenceRun });
        }
        m.prev = idx;
        m.silenceRun = 0;
        if (first < 0) first = f;
        last = f;
        lastIdx = idx;
        if (f === first) measure(idx, startUs + f * frameUs);
      }
      if (last > first) measure(lastIdx, startUs + last * frameUs);
    },
  });
  const measure = (idx: number, playUs: number) => {
    if (Number.isNaN(m.start)) return;
    const cs = idx - (idx % CHUNK_FRAMES);
    const ts = m.start + Math.floor((cs * 1e6) / RATE) + ((idx - cs) * 1e6) / RATE;
    m.errors.push(Math.abs(playUs - (player.filter.toClientExact(ts) - delayMs * 1000)));
  };
  player = new Player(
    { clock: realClock, audio: sink, log: new RecordingLog(), sendJson: (type, payload) => sessions.sendFromPlayer({ type, payload }), staticDelayMs: () => delayMs, persistStaticDelayMs: (ms) => void (delayMs = ms) },
    config,
    // On real time in a desktop process: the simulator's output queue, which rides through the host's
    // scheduling delays (the device's 40 ms does not on a loaded desktop).
    { scheduler: { blocks: Math.ceil(DESKTOP_OUTPUT_MS / 10) } },
  );
  const sessions: Sessions = new Sessions({
    config,
    crypto,
    clock: realClock,
    log: new RecordingLog(),
    store,
    identity: store.settings.identity,
    clientId: keyId(store.settings.identity.publicKey),
    suite: crypto.suites[0],
    player,
    outChannel: new RecordingOutChannel(),
    indicator: new RecordingIndicator(),
    emit: () => {},
  });
  const listener = new NodeListener({ host: "127.0.0.1" });
  const wss = new WebSocketServer(listener, {
    port: 0,
    path: "/sendspin",
    maxMessageBytes: sessions.maxMessageBytes + 64,
    maxConnections: 3,
    clock: realClock,
    onConnection: (c) => sessions.accept(c as unknown as SessionSocket),
  });
  cleanups.push(() => (sessions.stop("shutdown"), wss.close()));
  const url = `ws://127.0.0.1:${await listener.bound()}/sendspin`;

  // The reference server: pair with the pairing PSK, then playback under the new long-term PSK.
  const server = new ReferenceServer({ timeoutMs: 8000, clock: { driftPpm: 100 } });
  cleanups.push(() => server.closeAll());
  const token = encodePairingToken(store.settings.identity.publicKey, store.settings.pairingPsk);
  const c = await server.connect(url, { psk: pairingPskFromToken(token), hello: true });
  await pairWithPairingPsk(c);
  const activatedAt = realClock.nowUs();
  c.activate({ activities: ["playback"], active_roles: ["player@v1"] });
  await c.until(() => c.clientState?.state === "synchronized", { timeoutMs: 8000, what: "synchronized" });
  const syncedAt = realClock.nowUs();

  const frames = SECONDS * RATE;
  const s = c.playPcm({ pcm: frameIdSignal(frames), format: { sample_rate: RATE, channels: 2, bit_depth: 16 }, chunkMs: 20 });
  const wait = setInterval(() => {
    if (Number.isNaN(m.start) && s.sent.length) m.start = s.sent[0].timestampUs;
  }, 1);
  const stats = await s.done;
  clearInterval(wait);
  await new Promise((r) => setTimeout(r, stats.sendAheadMs + 300));

  // Every frame sent reached the sink, in order, except where the pipeline says it corrected.
  const st = player.scheduler.stats;
  assert.equal(m.foreign, 0, "no altered or foreign frame");
  assert.equal(stats.chunks, frames / CHUNK_FRAMES);
  const soft = m.jumps.filter((j) => j.silence === 0 && Math.abs(j.delta) <= 1);
  const other = m.jumps.filter((j) => !(j.silence === 0 && Math.abs(j.delta) <= 1));
  assert.equal(soft.length, st.softDrops + st.softDups, "each soft correction at the sink is one the scheduler reported");
  const snaps = st.snapsError + st.snapsUnderrun + st.snapsClear + st.snapsFormat;
  assert.equal(other.length, snaps, "every other discontinuity is a reported snap");
  const dropped = soft.filter((j) => j.delta > 0).length + other.reduce((n, j) => n + Math.max(0, j.delta), 0);
  const repeated = soft.filter((j) => j.delta < 0).length;
  assert.equal(m.frames - m.silence, frames - dropped + repeated, "frames played = sent − dropped + repeated");
  assert.equal(sink.ownershipViolations, 0);
  assert.deepEqual(c.violations, []);

  // Accuracy against the filter's prediction (steady state: all of it when no snap happened).
  const e = m.errors.slice().sort((a, b) => a - b);
  const p50 = e[Math.floor(e.length * 0.5)], p99 = e[Math.floor(e.length * 0.99)], max = e[e.length - 1];
  const line = `e2e over the encrypted channel: synchronized ${((syncedAt - activatedAt) / 1e6).toFixed(2)} s after activation; ${stats.chunks} chunks, send-ahead ${stats.sendAheadMs} ms, ` +
    `${m.frames - m.silence} frames played, ${st.softDrops} drops / ${st.softDups} duplicates, snaps start/error/underrun ${st.snapsStart}/${st.snapsError}/${st.snapsUnderrun}, ` +
    `|play − predicted| p50 ${p50.toFixed(0)} µs, p99 ${p99.toFixed(0)} µs, max ${max.toFixed(0)} µs over ${e.length} measurements`;
  console.log(`# ${line}`);
  if (snaps === 0) {
    assert.ok(p99 <= 500, `p99 ${p99}`);
    assert.ok(max <= 1000, `max ${max}`);
  } else {
    // A one-shot resynchronization (the machine stalled the event loop): allowed, reported, and rare.
    assert.ok(snaps <= 2, `${snaps} snaps`);
  }
});
