// The simulator's own parts: command line, WAV output, PCM conversion, QR rendering.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import decodeQR from "qr/decode.js";
import { parseArgs, UsageError } from "../../../sim/args.js";
import { convertPcm } from "../../../sim/pcm.js";
import { SimAudioOutput } from "../../../sim/audio.js";
import { qrLines } from "../../../sim/qr.js";
import { parseWav } from "../../../modules/audio/wav.js";
import { ManualClock } from "../../support/clock.js";

const quiet = { log() {} };

test("flags and their defaults", () => {
  const o = parseArgs([]);
  assert.equal(o.config.port, 8928);
  assert.equal(o.config.path, "/sendspin");
  assert.equal(o.flashFile, "./sim-flash.bin");
  assert.equal(o.audioFile, undefined);
  assert.equal(o.events, false);
  assert.equal(o.mdns, true);
  const p = parseArgs(["--port", "9000", "--path=/x", "--name", "Den", "--flash", "f.bin", "--audio", "a.wav", "--events", "--no-mdns"]);
  assert.deepEqual([p.config.port, p.config.path, p.config.name, p.flashFile, p.audioFile, p.events, p.mdns], [9000, "/x", "Den", "f.bin", "a.wav", true, false]);
});

test("--config takes any manifest option through the firmware's parsers; the specific flags win", () => {
  const o = parseArgs(["--config", "staticPin=true", "--config", "recordSlots=12", "--config", "audioFormats=44100/16/2", "--config", "buttonPin=4", "--config", "port=1234", "--port", "4321"]);
  assert.equal(o.config.staticPin, true);
  assert.equal(o.config.recordSlots, 12);
  assert.deepEqual(o.config.audioFormats, [{ codec: "pcm", sampleRate: 44100, bitsPerSample: 16, channels: 2 }]);
  assert.equal(o.device.buttonPin, 4);
  assert.equal(o.config.port, 4321);
  assert.equal(parseArgs(["--port", "0"]).config.port, 0, "0: any free port");
});

test("--protocol sets the revision served (as --config protocol does); default auto; other values are refused", () => {
  assert.equal(parseArgs([]).config.protocol, "auto");
  assert.equal(parseArgs(["--protocol", "current"]).config.protocol, "current");
  assert.equal(parseArgs(["--config", "protocol=baseline"]).config.protocol, "baseline");
  assert.equal(parseArgs(["--config", "protocol=baseline", "--protocol=current"]).config.protocol, "current", "the specific flag wins");
  for (const argv of [["--protocol", "v2"], ["--protocol"], ["--config", "protocol=newest"]]) assert.throws(() => parseArgs(argv), UsageError, argv.join(" "));
});

test("bad arguments are usage errors", () => {
  const bad = [["--bogus"], ["--port"], ["--port", "70000"], ["--config", "nokey"], ["--config", "colour=red"], ["--config", "recordSlots=4"], ["--events=yes"], ["--path", "no-slash"], ["positional"], ["--config", "staticPin=maybe"]];
  for (const argv of bad) assert.throws(() => parseArgs(argv), UsageError, argv.join(" "));
});

test("PCM conversion: identity, channels, width, rate, gain", () => {
  const f16s = { sampleRate: 48000, channels: 2, bitsPerSample: 16 };
  const pcm = new Uint8Array(new Int16Array([100, -100, 2000, -2000]).buffer);
  assert.equal(convertPcm(pcm, f16s, f16s), pcm, "same format: no copy");
  const mono = new Int16Array(convertPcm(pcm, f16s, { ...f16s, channels: 1 }).buffer);
  assert.deepEqual([...mono], [0, 0]);
  const half = new Int16Array(convertPcm(pcm, f16s, f16s, 0.5).buffer);
  assert.deepEqual([...half], [50, -50, 1000, -1000]);
  const w24 = convertPcm(pcm, f16s, { ...f16s, bitsPerSample: 24 });
  assert.deepEqual([...w24.subarray(0, 6)], [0, 100, 0, 0, 0x9c, 0xff]);
  const up = convertPcm(new Uint8Array(new Int16Array([0, 300]).buffer), { sampleRate: 16000, channels: 1, bitsPerSample: 16 }, { sampleRate: 48000, channels: 1, bitsPerSample: 16 });
  assert.deepEqual([...new Int16Array(up.buffer)], [0, 100, 200, 300, 300, 300]);
});

test("the played audio lands in the WAV file, byte for byte at unity gain, valid while it grows", () => {
  const dir = mkdtempSync(join(tmpdir(), "sim-audio-"));
  const file = join(dir, "out.wav");
  const clock = new ManualClock(0);
  const f = { sampleRate: 48000, channels: 2, bitsPerSample: 16 };
  const out = new SimAudioOutput(clock, quiet, { nativeFormats: [f], wavFile: file, sound: false });
  out.sink.open(f);
  const block = new Uint8Array(480 * 4);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7) & 255;
  let accepted = 0;
  for (let n = 0; n < 10; n++) {
    if (out.sink.write(block, 480)) accepted++;
    clock.advanceMs(10);
  }
  clock.advanceMs(500);
  assert.equal(accepted, 10);
  const wav = new Uint8Array(readFileSync(file));
  const clip = parseWav(wav);
  assert.ok(clip);
  assert.equal(clip.frames, 4800);
  assert.deepEqual(wav.subarray(clip.dataOffset, clip.dataOffset + block.length), block);
  out.sink.setGain(0.5);
  out.sink.write(new Uint8Array(new Int16Array([1000, -1000]).buffer), 1);
  clock.advanceMs(100);
  const again = new Uint8Array(readFileSync(file));
  const c2 = parseWav(again)!;
  assert.equal(c2.frames, 4801);
  assert.deepEqual([...new Int16Array(again.slice(again.length - 4).buffer)], [500, -500]);
  out.close();
});

test("the terminal QR code decodes to the pairing token", () => {
  const token = "SP:0AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYP6BYPC4PSOLZXH5DU6V97M5XXO74HR6LZ7J5PW674PT6X37T6757Y";
  const lines = qrLines(token);
  // Back to pixels: each character is one module wide and two tall; blocks are light. Scale 4×.
  const S = 4;
  const rows: boolean[][] = [];
  for (const line of lines) {
    const top: boolean[] = [], bottom: boolean[] = [];
    for (const ch of line) {
      top.push(ch === "\u2588" || ch === "\u2580");
      bottom.push(ch === "\u2588" || ch === "\u2584");
    }
    rows.push(top, bottom);
  }
  const width = rows[0].length * S, height = rows.length * S;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(rows[Math.floor(y / S)][Math.floor(x / S)] ? 255 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  assert.equal(decodeQR({ width, height, data }), token);
});
