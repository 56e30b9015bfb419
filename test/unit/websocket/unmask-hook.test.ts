import { assert, describe, report, test } from "../../harness.js";
import type { Unmasker } from "../../../modules/websocket/frames.js";
import { SeededRandom } from "../../support/random.js";
import { checkUnmasker } from "../../support/unmask-check.js";

/** A plain byte-by-byte unmasking, as a replacement would be written in C (the device's is native). */
const reference: Unmasker = (buf, from, to, mask, phase) => {
  for (let i = from; i < to; i++) buf[i] ^= mask[(phase + i - from) & 3];
};

describe("websocket unmask hook", () => {
  test("a decoder given an Unmasker decodes every split of masked frames exactly as its own unmasking", () => {
    const n = checkUnmasker(reference, new SeededRandom(17), 60);
    assert.ok(n >= 60);
    report(`websocket: ${n} messages decoded identically with a replacement unmasker over random TCP splits`);
  });

  test("the decoder hands the unmasker the current mask phase across reads", () => {
    const calls: number[] = [];
    const spy: Unmasker = (buf, from, to, mask, phase) => {
      calls.push(phase, to - from);
      reference(buf, from, to, mask, phase);
    };
    assert.ok(checkUnmasker(spy, new SeededRandom(3), 5) > 0);
    assert.ok(calls.some((v, i) => i % 2 === 0 && v !== 0), "some reads start mid-mask");
  });
});
