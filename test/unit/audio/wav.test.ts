import { assert, describe, test } from "../../harness.js";
import { parseWav } from "../../../modules/audio/wav.js";
import { makeWav } from "./support.js";

describe("wav", () => {
  test("reads a mono 16-bit clip", () => {
    const c = parseWav(makeWav(16000, 1, [1, -2, 3, 32767, -32768]));
    assert.ok(c);
    assert.equal(c.sampleRate, 16000);
    assert.equal(c.channels, 1);
    assert.equal(c.frames, 5);
    assert.equal(c.dataOffset, 44);
  });
  test("skips unknown chunks, honouring odd-size padding", () => {
    const extra = new Uint8Array([0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 1, 2, 3, 0]); // "LIST", 3 bytes + pad
    const c = parseWav(makeWav(22050, 2, [1, 2, 3, 4], { extra }));
    assert.ok(c);
    assert.equal(c.channels, 2);
    assert.equal(c.frames, 2);
    assert.equal(c.dataOffset, 44 + extra.length);
  });
  test("a data chunk longer than the file is cut to the whole frames present", () => {
    const w = makeWav(16000, 2, [1, 2, 3, 4, 5, 6]);
    const c = parseWav(w.subarray(0, w.length - 3));
    assert.ok(c);
    assert.equal(c.frames, 2);
  });
  test("refuses what it cannot play", () => {
    assert.equal(parseWav(makeWav(16000, 1, [1], { bits: 8 })), undefined, "8-bit");
    assert.equal(parseWav(makeWav(16000, 1, [1], { format: 3 })), undefined, "float");
    assert.equal(parseWav(makeWav(16000, 3, [1, 2, 3])), undefined, "3 channels");
    assert.equal(parseWav(makeWav(4000, 1, [1])), undefined, "rate");
    assert.equal(parseWav(makeWav(16000, 1, [])), undefined, "no frames");
    assert.equal(parseWav(new Uint8Array(0)), undefined, "empty");
    const bad = makeWav(16000, 1, [1, 2]);
    bad[8] = 0x58; // not WAVE
    assert.equal(parseWav(bad), undefined, "not WAVE");
    const cut = makeWav(16000, 1, [1, 2]).subarray(0, 30); // fmt chunk cut short
    assert.equal(parseWav(cut), undefined, "truncated fmt");
  });
  test("never throws on arbitrary bytes", () => {
    let x = 12345;
    for (let n = 0; n < 300; n++) {
      const len = n % 80;
      const b = makeWav(16000, 1, [1, 2, 3, 4]).slice(0, 12 + len);
      for (let i = 12; i < b.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) | 0;
        if ((x & 7) === 0) b[i] = (x >> 8) & 255;
      }
      parseWav(b);
    }
  });
});
