// Smoke test of the whole product stack against the reference server: startSpeaker (real Store on an
// emulated flash, sessions, Player, WebSocket server) on a loopback TCP listener, the simulator's clock,
// a recording DAC. The reference server pairs from the `ready` event's token, manages, then plays PCM
// that must come out of the DAC. The full suites belong to the session, player and platform helpers.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../../modules/config.js";
import type { ButtonPort, ButtonPress, Platform } from "../../../modules/platform.js";
import { startSpeaker, type Speaker, type SpeakerEvent } from "../../../modules/speaker.js";
import { SimClock } from "../../../sim/clock.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import { RecordingSink } from "../../support/recording-sink.js";
import { RecordingIndicator, RecordingLog, RecordingOutChannel } from "../../support/session-parts.js";
import { ReferenceServer, nodeRandom, pairingPskFromToken, pairWithDynamicPin, pairWithPairingPsk } from "../../reference/index.js";
import { NodeListener } from "../../../sim/listener.js";

class Button implements ButtonPort {
  private cbs: ((p: ButtonPress) => void)[] = [];
  onPress(cb: (p: ButtonPress) => void): void {
    this.cbs.push(cb);
  }
  press(p: ButtonPress): void {
    for (const cb of this.cbs) cb(p);
  }
}

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

async function boot(config: Partial<SpeakerConfig> = {}) {
  const clock = new SimClock();
  const listener = new NodeListener({ host: "127.0.0.1" });
  const sink = new RecordingSink(clock);
  const out = new RecordingOutChannel();
  const log = new RecordingLog();
  const platform: Platform = {
    clock,
    random: nodeRandom,
    flash: new MemoryFlash({ blockSize: 4096, blocks: 4 }),
    listener,
    announcer: { advertise: () => ({ close() {} }) },
    audio: sink,
    button: new Button(),
    outChannel: out,
    indicator: new RecordingIndicator(),
    crypto: createPortableCrypto(nodeRandom),
    log,
  };
  const events: SpeakerEvent[] = [];
  const speaker: Speaker = startSpeaker(platform, { ...DEFAULT_CONFIG, port: 0, recordSlots: 5, ...config }, (e) => events.push(e));
  cleanups.push(() => speaker.stop());
  const port = await listener.bound();
  const ready = events.find((e) => e.event === "ready") as Extract<SpeakerEvent, { event: "ready" }>;
  assert.ok(ready, "ready event");
  assert.equal(speaker.port, port);
  return { speaker, sink, out, log, events, ready, url: `ws://127.0.0.1:${port}${ready.path}` };
}

test("startSpeaker ↔ reference server: pair from the token, manage, play PCM out of the DAC", async () => {
  const sp = await boot();
  const server = new ReferenceServer({ name: "smoke", timeoutMs: 8000 });
  cleanups.push(() => server.closeAll());

  const p = await server.connect(sp.url, { psk: pairingPskFromToken(sp.ready.pairing_token), hello: true });
  assert.equal(p.clientId, sp.ready.client_id);
  const r = await pairWithPairingPsk(p);
  assert.ok(r.finalized);
  assert.ok(sp.events.some((e) => e.event === "paired" && e.server_id === server.serverId));
  p.activate({ activities: ["management"], active_roles: [] });
  const list = await p.manage("list-records");
  assert.equal(list.result, "ok");
  assert.ok((list.data!.records as { psk_id: string }[]).some((x) => x.psk_id === r.pskId));
  assert.deepEqual(p.violations, []);
  p.close();
  await p.closed();

  const c = await server.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
  assert.equal(c.pskKind, "long-term");
  await c.until(() => c.clientState?.state === "synchronized", { what: "the player synchronized", timeoutMs: 8000 }).catch((e) => {
    // Say why: the player's clock-sync figures (round trips far above a loopback's suggest Nagle delays).
    const cs = (sp.speaker.sessions.player as unknown as { clockSync: { stats: unknown; rttStats(): unknown } }).clockSync;
    throw new Error(`${String(e)}; clock sync ${JSON.stringify(cs.stats)}, round trips ${JSON.stringify(cs.rttStats())}`);
  });
  // 400 ms of a 16-bit stereo ramp at 48 kHz (each frame distinct enough to be recognised)
  const frames = 48 * 400;
  const pcm = new Uint8Array(frames * 4);
  const dv = new DataView(pcm.buffer);
  for (let i = 0; i < frames; i++) {
    dv.setInt16(i * 4, (i % 30000) - 15000, true);
    dv.setInt16(i * 4 + 2, 15000 - (i % 30000), true);
  }
  const s = c.playPcm({ pcm, format: { sample_rate: 48000, channels: 2, bit_depth: 16 }, chunkMs: 20 });
  const stats = await s.done;
  assert.equal(stats.chunks, 20);
  const endUs = stats.endTimestampUs;
  await c.until(() => c.server.clock.nowUs() > endUs + 100_000, { what: "the stream played out", timeoutMs: 5000 });
  const played = sp.sink.segments.reduce((n, seg) => n + seg.frames, 0);
  assert.ok(played >= frames * 0.9, `the DAC played ${played} of ${frames} frames`);
  c.streamEnd();
  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.errors, []);
  assert.equal(sp.speaker.sessions.internalErrors, 0);
  c.close();
  await c.closed();
});

test("startSpeaker ↔ reference server: dynamic PIN read from the out-channel, then the speaker's shutdown goodbye", async () => {
  const sp = await boot({ dynamicPin: true, minPinLength: 8 });
  const server = new ReferenceServer({ name: "smoke-dyn", timeoutMs: 8000 });
  cleanups.push(() => server.closeAll());
  const c = await server.connect(sp.url, { hello: true });
  const before = sp.out.pins.length;
  const r = await pairWithDynamicPin(c, {
    getPin: async () => {
      await c.until(() => sp.out.pins.length > before, { what: "the PIN on the out-channel" });
      return sp.out.pins[sp.out.pins.length - 1];
    },
  });
  assert.equal(r.pinLength, 8);
  assert.ok(r.finalized);
  c.activate({ activities: [], active_roles: [] });
  await c.until(() => sp.speaker.sessions.admitted !== null, { what: "admitted" });
  sp.speaker.stop("shutdown");
  const info = await c.closed(5000);
  assert.equal(info.goodbye, "shutdown");
  assert.deepEqual(c.violations, []);
});
