// The ESP32-C3 profile (manifest-c3.json over manifest.json): valid options, pins a C3 has, and XS heaps sized
// against the live heap measured so far. The RAM budget below is a MODEL: the two figures marked "measured" come
// from Moddable's simulator (README: Memory) and from an emulated C3 that booted the firmware without Wi-Fi or
// audio (issue 15); everything marked "estimate" is ESP-IDF's typical cost, not measured on a chip. It prints
// the budget so that docs/esp32.md quotes one set of figures.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, type SpeakerConfig } from "../../../modules/config.js";
import { parseDeviceConfig } from "../../../modules/board/device-config.js";
import { Player } from "../../../modules/player/player.js";
import { projectRoot } from "../../xs/engine.js";
import { ManualClock } from "../../support/clock.js";
import { RecordingSink } from "../../support/recording-sink.js";

interface Creation {
  chunk: { initial: number };
  heap: { initial: number };
  stack: number;
}
interface Profile {
  include?: string | string[];
  creation: Creation;
  config: Record<string, unknown>;
  platforms?: Record<string, { defines?: { audioOut?: { i2s?: Record<string, number> } } }>;
}
const load = (n: string) => JSON.parse(readFileSync(join(projectRoot, n), "utf8")) as Profile;
const base = load("manifest.json");
const c3 = load("manifest-c3.json");

const SLOT_BYTES = 16; // a 32-bit XS slot
/** measured, simulator (64-bit) built as the no-PSRAM profile: live heap during 48 kHz stereo playback. */
const SIM_PEAK = { chunks: 26_584, slots: 3_130 };
/** measured, emulated C3 after boot vs the simulator after boot: chunks 14,312 B vs 16,976 B (32-bit is smaller). */
const CHUNKS_DEVICE_PER_SIM = 14_312 / 16_976;
/** measured, emulated C3: system heap free after boot with manifest.json's heaps, before Wi-Fi and audio. */
const C3_FREE_AFTER_BOOT = 120_360;
/** estimates (ESP-IDF defaults for a C3, Moddable's sdkconfig): costs still to come on a real board. */
const ESTIMATE = {
  wifiLinked: 45_000, // Wi-Fi/PHY code kept in IRAM and static data, absent from the emulator build
  wifiRunning: 40_000, // station with Moddable's 5 static + 6 dynamic RX buffers, TX buffers under load
  lwipAndSockets: 15_000, // pbufs, a 5,744 B TCP window per live connection, mDNS
  i2sDma: 6 * 4_092, // Moddable's audio out: 6 DMA buffers of at most 4,092 B
};

/** What the real Player allocates at boot for a configuration (jitter ring for buffer_capacity, room for one
 *  largest chunk, the output blocks): one block of memory outside the XS heap. */
function playerBytes(config: SpeakerConfig): number {
  const clock = new ManualClock();
  const sink = new RecordingSink(clock, { nativeFormats: config.audioFormats.map((f) => ({ sampleRate: f.sampleRate, channels: f.channels, bitsPerSample: f.bitsPerSample })) });
  let bytes = 0;
  sink.allocate = (n: number) => {
    bytes += n;
    return new Uint8Array(new SharedArrayBuffer(n));
  };
  new Player({ clock, audio: sink, log: { log: () => {} }, sendJson: () => {}, staticDelayMs: () => 0, persistStaticDelayMs: () => {} }, config);
  return bytes;
}

function xsBytes(c: Creation): number {
  return c.chunk.initial + (c.heap.initial + c.stack) * SLOT_BYTES;
}

test("the C3 profile's options parse, and its pins exist on a C3 and are free for I2S and a button", () => {
  assert.equal(c3.include, "./manifest.json");
  const merged = { ...base.config, ...c3.config };
  const speaker = parseConfig(merged);
  const device = parseDeviceConfig(merged);
  assert.equal(speaker.bufferCapacity, 16_384);
  const audioOut = c3.platforms?.esp32?.defines?.audioOut as { numChannels?: number } | undefined;
  for (const f of speaker.audioFormats) assert.equal(f.channels, audioOut?.numChannels, "audioFormats match audioOut.numChannels");
  const i2s = c3.platforms?.esp32?.defines?.audioOut?.i2s ?? {};
  const pins = [i2s.bck_pin, i2s.lr_pin, i2s.dataout_pin, device.buttonPin];
  assert.equal(new Set(pins).size, pins.length, "distinct pins");
  for (const pin of pins) {
    assert.ok(Number.isInteger(pin) && pin >= 0 && pin <= 21, `GPIO ${pin}: a C3 has GPIO 0-21`);
    assert.ok(pin < 12 || pin > 17, `GPIO ${pin}: 12-17 are the flash's SPI`);
    assert.ok(pin !== 18 && pin !== 19, `GPIO ${pin}: USB D-/D+`);
  }
  for (const pin of [i2s.bck_pin, i2s.lr_pin, i2s.dataout_pin]) assert.ok(![2, 8, 9].includes(pin), `GPIO ${pin}: a strapping pin`);
});

test("the C3's XS heaps hold the measured live peaks with headroom, and by the model what is left stays positive", () => {
  const chunkPeak = SIM_PEAK.chunks * CHUNKS_DEVICE_PER_SIM;
  const chunkHeadroom = c3.creation.chunk.initial / chunkPeak;
  const slotHeadroom = c3.creation.heap.initial / SIM_PEAK.slots;
  assert.ok(chunkHeadroom >= 1.5, `chunks: ${c3.creation.chunk.initial} B for a ${chunkPeak.toFixed(0)} B peak`);
  assert.ok(slotHeadroom >= 1.3, `slots: ${c3.creation.heap.initial} for a ${SIM_PEAK.slots} peak`);
  const saved = xsBytes(base.creation) - xsBytes(c3.creation);
  const c3Config = parseConfig({ ...base.config, ...c3.config });
  const audio = playerBytes(c3Config);
  const baseAudio = playerBytes(parseConfig(base.config));
  const left = C3_FREE_AFTER_BOOT + saved - ESTIMATE.wifiLinked - ESTIMATE.wifiRunning - ESTIMATE.lwipAndSockets - ESTIMATE.i2sDma - audio;
  const withBaseAudio = left + audio - baseAudio;
  const withBaseHeaps = left - saved;
  console.log(
    `# c3 budget (model): XS ${xsBytes(c3.creation)} B (chunks ${c3.creation.chunk.initial}, ${c3.creation.heap.initial} slots, stack ${c3.creation.stack}); ` +
      `headroom over the measured peak: chunks ${chunkHeadroom.toFixed(2)}x, slots ${slotHeadroom.toFixed(2)}x; ` +
      `player memory ${audio} B (${c3Config.audioFormats.map((f) => `${f.sampleRate}/${f.bitsPerSample}/${f.channels}`).join(",")}, buffer ${c3Config.bufferCapacity}); ` +
      `system heap left with Wi-Fi, lwIP and I2S DMA: ${left} B ` +
      `(with manifest.json's audio settings, ${baseAudio} B: ${withBaseAudio} B; with manifest.json's XS heaps: ${withBaseHeaps} B)`,
  );
  assert.ok(left > 0, `estimated ${left} B left: the profile does not fit a C3 by this model`);
  assert.ok(withBaseHeaps < 0 && withBaseAudio < 0, "by the model manifest.json's heaps or audio settings would not fit a C3 (else the C3 profile is not needed)");
});
