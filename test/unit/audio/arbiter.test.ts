import { assert, describe, test } from "../../harness.js";
import { AudioArbiter } from "../../../modules/audio/arbiter.js";
import { SpokenPin } from "../../../modules/audio/spoken-pin.js";
import { TimedSink } from "../../../modules/audio/timed-sink.js";
import { parseWav } from "../../../modules/audio/wav.js";
import type { PcmFormat } from "../../../modules/platform.js";
import { ManualClock } from "../../support/clock.js";
import { makeWav } from "./support.js";

const F48 = { sampleRate: 48000, channels: 2, bitsPerSample: 16 };
const F16 = { sampleRate: 16000, channels: 1, bitsPerSample: 16 };
const tone = parseWav(makeWav(16000, 1, new Array(1600).fill(1000)))!; // 100 ms per digit

function setup() {
  const clock = new ManualClock(0);
  const opens: PcmFormat[] = [];
  const played: { frames: number; format: PcmFormat; gain: number }[] = [];
  const sink = new TimedSink(clock, {
    nativeFormats: [F16, F48],
    capacityMs: 50,
    latencyUs: 1000,
    tickMs: 1,
    onPlay: (pcm, format, gain) => played.push({ frames: pcm.length / ((format.channels * format.bitsPerSample) >> 3), format, gain }),
  });
  const open = sink.open.bind(sink);
  sink.open = (f) => {
    opens.push(f);
    open(f);
  };
  const arbiter = new AudioArbiter(sink, clock);
  const voice = new SpokenPin(arbiter, () => tone);
  return { clock, sink, arbiter, voice, opens, played };
}

describe("audio arbiter", () => {
  test("with the player idle a prompt opens the first native format, plays, then closes the output", () => {
    const { clock, sink, arbiter, voice, opens, played } = setup();
    voice.emit("12");
    assert.ok(arbiter.speaking());
    assert.deepEqual(opens, [F16]);
    clock.advanceMs(3000);
    assert.equal(arbiter.speaking(), false);
    assert.equal(sink.currentFormat(), null, "closed again");
    const frames = played.reduce((n, p) => n + p.frames, 0);
    // lead 300 + 2 × (100 + 250) + tail 200 ms at 16 kHz
    assert.equal(frames, Math.round(0.3 * 16000) + 2 * (1600 + 4000) + 3200);
    assert.equal(clock.pendingTimers(), 0);
  });
  test("a prompt takes over from the player and gives the output back in the player's format", () => {
    const { clock, sink, arbiter, voice, opens, played } = setup();
    const player = arbiter.player;
    let writable = 0;
    player.onWritable = () => writable++;
    player.open(F48);
    player.setGain(0.1);
    const released: number[] = [];
    const b = new Uint8Array(480 * 4);
    assert.ok(player.write(b, 480, () => released.push(1)));
    voice.emit("5");
    assert.deepEqual(released, [1], "the player's queued audio was dropped and released");
    assert.equal(player.write(b, 480), false, "refused while speaking");
    assert.equal(player.queuedFrames(), 0);
    clock.advanceMs(5);
    assert.equal(played[0].format.sampleRate, 48000, "prompt in the player's format");
    assert.equal(played[0].gain, 0.5, "prompt at least at half volume");
    clock.advanceMs(2000);
    assert.equal(arbiter.speaking(), false);
    assert.equal(writable, 1, "the player is told it may write again");
    assert.deepEqual(opens, [F48], "no reopen: same format");
    assert.ok(player.write(b, 480));
    clock.advanceMs(20);
    assert.equal(played[played.length - 1].gain, 0.1, "the player's gain is back");
    assert.deepEqual(sink.currentFormat(), F48);
  });
  test("the player opening another format during a prompt gets it once the prompt ends", () => {
    const { clock, sink, arbiter, voice, opens } = setup();
    voice.emit("1");
    arbiter.player.open(F48);
    assert.deepEqual(sink.currentFormat(), F16);
    clock.advanceMs(2000);
    assert.deepEqual(opens, [F16, F48]);
    assert.deepEqual(sink.currentFormat(), F48);
  });
  test("clear() cuts the prompt short; a new PIN replaces the one being spoken", () => {
    const { clock, arbiter, voice, played } = setup();
    voice.emit("123456");
    clock.advanceMs(400);
    voice.clear();
    assert.equal(arbiter.speaking(), false);
    const cut = played.reduce((n, p) => n + p.frames, 0);
    clock.advanceMs(3000);
    assert.equal(played.reduce((n, p) => n + p.frames, 0), cut, "nothing more played");
    voice.emit("99");
    clock.advanceMs(200);
    voice.emit("1");
    assert.ok(arbiter.speaking());
    clock.advanceMs(3000);
    assert.equal(arbiter.speaking(), false);
    assert.equal(clock.pendingTimers(), 0);
  });
});
