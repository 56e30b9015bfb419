// Checks an Unmasker (modules/websocket/frames.ts) where it is used: a FrameDecoder given it must decode every
// message exactly as the decoder's own JavaScript unmasking does, for messages of any length (fragments and
// control frames mixed in) delivered in random TCP splits, so every mask phase and alignment is crossed.
// Pure ECMAScript: the core's tests run it with a reference unmasker, the native host's with the C one.

import { FrameDecoder, OP_BINARY, OP_CONTINUATION, OP_PING, type Unmasker } from "../../modules/websocket/frames.js";
import { concatBytes, toHex } from "../../modules/util/bytes.js";
import type { SeededRandom } from "./random.js";
import { clientFrame } from "./ws-peer.js";

function decodeAll(stream: Uint8Array, splits: number[], unmask: Unmasker | undefined): string[] {
  const out: string[] = [];
  const d = new FrameDecoder(
    { maxMessageBytes: 1 << 16, maxTextBytes: 1 << 12, expectMasked: true, unmask },
    {
      onMessage: (text, data) => void out.push(`${text ? "t" : "b"}:${toHex(data)}`),
      onControl: (op, p) => void out.push(`c${op}:${toHex(p)}`),
      onViolation: (code, reason) => void out.push(`v${code}:${reason}`),
    },
  );
  let at = 0;
  for (const n of splits) {
    d.push(stream.subarray(at, Math.min(stream.length, at + n)));
    at += n;
  }
  if (at < stream.length) d.push(stream.subarray(at));
  return out;
}

/** Run `cases` random streams through both decoders; returns the number of messages compared (throws on a difference). */
export function checkUnmasker(unmask: Unmasker, rnd: SeededRandom, cases: number): number {
  let messages = 0;
  for (let c = 0; c < cases; c++) {
    const frames: Uint8Array[] = [];
    const count = 1 + rnd.below(4);
    for (let m = 0; m < count; m++) {
      const len = rnd.below(c % 5 === 0 ? 5000 : 300);
      const payload = rnd.bytes(len);
      const mask: [number, number, number, number] = [rnd.below(256), rnd.below(256), rnd.below(256), rnd.below(256)];
      if (len > 10 && rnd.below(3) === 0) {
        // a fragmented message with a ping between its fragments
        const cut = 1 + rnd.below(len - 1);
        frames.push(clientFrame(OP_BINARY, payload.subarray(0, cut), { fin: false, mask }));
        frames.push(clientFrame(OP_PING, rnd.bytes(rnd.below(20)), { mask }));
        frames.push(clientFrame(OP_CONTINUATION, payload.subarray(cut), { mask }));
      } else frames.push(clientFrame(OP_BINARY, payload, { mask }));
      messages++;
    }
    const stream = concatBytes(...frames);
    const splits: number[] = [];
    for (let left = stream.length; left > 0; ) {
      const n = 1 + rnd.below(Math.min(left, 700));
      splits.push(n);
      left -= n;
    }
    const expected = decodeAll(stream, splits, undefined);
    const actual = decodeAll(stream, splits, unmask);
    if (expected.length !== actual.length || expected.some((e, i) => e !== actual[i])) throw new Error(`unmasker differs from the JavaScript unmasking (case ${c})`);
  }
  return messages;
}
