import { assert, describe, test } from "../../harness.js";
import { PinSpeech } from "../../../modules/audio/pin-speech.js";
import { parseWav, type WavClip } from "../../../modules/audio/wav.js";
import { makeWav, samples16 } from "./support.js";

/** Digit d's clip: 100 + d frames, sample i = d*1000 + i (easy to recognise). */
function clips(rate = 16000, channels = 1): (d: number) => WavClip | undefined {
  const table: WavClip[] = [];
  for (let d = 0; d < 10; d++) {
    const s: number[] = [];
    for (let i = 0; i < 100 + d; i++) for (let c = 0; c < channels; c++) s.push(d * 1000 + i + c * 10);
    table.push(parseWav(makeWav(rate, channels, s))!);
  }
  return (d) => table[d];
}

function renderAll(sp: PinSpeech, frameBytes: number, block: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(block * frameBytes);
  for (;;) {
    const n = sp.render(buf, block);
    if (n === 0) break;
    parts.push(buf.slice(0, n * frameBytes));
  }
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const ms = (n: number, rate: number) => Math.round((n * rate) / 1000);

describe("pin speech", () => {
  test("at the clips' own rate the digits come out sample for sample, with the pauses between", () => {
    const sp = new PinSpeech(clips());
    sp.setPin("42");
    sp.start({ sampleRate: 16000, channels: 1, bitsPerSample: 16 });
    const out = samples16(renderAll(sp, 2, 256));
    const lead = ms(300, 16000), gap = ms(250, 16000), tail = ms(200, 16000);
    assert.equal(out.length, lead + 104 + gap + 102 + gap + tail);
    for (let i = 0; i < lead; i++) assert.equal(out[i], 0);
    for (let i = 0; i < 104; i++) assert.equal(out[lead + i], 4000 + i);
    const two = lead + 104 + gap;
    for (let i = 0; i < gap; i++) assert.equal(out[lead + 104 + i], 0);
    for (let i = 0; i < 102; i++) assert.equal(out[two + i], 2000 + i);
  });
  test("block size does not change the result", () => {
    const a = new PinSpeech(clips()), b = new PinSpeech(clips());
    const f = { sampleRate: 44100, channels: 2, bitsPerSample: 16 };
    a.setPin("907");
    b.setPin("907");
    a.start(f);
    b.start(f);
    assert.deepEqual(renderAll(a, 4, 1), renderAll(b, 4, 512));
  });
  test("upsampling to 48 kHz stereo: three frames per source frame, interpolated, both channels equal", () => {
    const sp = new PinSpeech(clips());
    sp.setPin("1");
    sp.start({ sampleRate: 48000, channels: 2, bitsPerSample: 16 });
    const out = samples16(renderAll(sp, 4, 300));
    const lead = ms(300, 48000);
    const clipFrames = out.length / 2 - lead - ms(250, 48000) - ms(200, 48000);
    assert.ok(Math.abs(clipFrames - 101 * 3) <= 3, `clip frames ${clipFrames}`);
    for (let i = 0; i < clipFrames; i++) {
      const l = out[2 * (lead + i)], r = out[2 * (lead + i) + 1];
      assert.equal(l, r);
      const ideal = 1000 + i / 3;
      assert.ok(Math.abs(l - Math.min(ideal, 1100)) <= 1, `frame ${i}: ${l} vs ${ideal}`);
    }
  });
  test("a stereo clip is averaged into a mono output", () => {
    const sp = new PinSpeech(clips(16000, 2));
    sp.setPin("3");
    sp.start({ sampleRate: 16000, channels: 1, bitsPerSample: 16 });
    const out = samples16(renderAll(sp, 2, 64));
    const lead = ms(300, 16000);
    assert.equal(out[lead], 3005); // (3000 + 3010) / 2
  });
  test("24-bit output carries the sample in the top two bytes", () => {
    const sp = new PinSpeech(clips());
    sp.setPin("5");
    sp.start({ sampleRate: 16000, channels: 1, bitsPerSample: 24 });
    const out = renderAll(sp, 3, 128);
    const p = ms(300, 16000) * 3;
    assert.deepEqual([out[p], out[p + 1] | (out[p + 2] << 8)], [0, 5000]);
  });
  test("characters other than digits are skipped; a missing clip leaves its pause", () => {
    const sp = new PinSpeech((d) => (d === 7 ? undefined : clips()(d)));
    sp.setPin("7-1");
    sp.start({ sampleRate: 8000, channels: 1, bitsPerSample: 16 });
    const frames = renderAll(sp, 2, 1000).length / 2;
    // lead, (no clip 7) gap, clip 1 at half rate (~51 frames), gap, tail
    const expect = ms(300, 8000) + ms(250, 8000) + 51 + ms(250, 8000) + ms(200, 8000);
    assert.ok(Math.abs(frames - expect) <= 1, `${frames} vs ${expect}`);
  });
  test("start() rewinds: the same PIN renders again identically", () => {
    const sp = new PinSpeech(clips());
    const f = { sampleRate: 32000, channels: 1, bitsPerSample: 16 };
    sp.setPin("12");
    sp.start(f);
    const a = renderAll(sp, 2, 100);
    sp.start(f);
    assert.deepEqual(renderAll(sp, 2, 100), a);
  });
});
