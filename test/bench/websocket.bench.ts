// The WebSocket receive path's cost per byte in Node and XS: frame decoding (header, native copy, in-place
// unmasking) of masked client frames the size of Sendspin audio messages, delivered in TCP-sized reads.
// Compare with the AEAD figures of crypto.bench.ts: every received frame pays both.

import { FrameDecoder, OP_BINARY } from "../../modules/websocket/frames.js";
import { concatBytes } from "../../modules/util/bytes.js";
import { SeededRandom } from "../support/random.js";
import { clientFrame } from "../support/ws-peer.js";
import { timePerCall, type Bench } from "./context.js";

const TABLE = "WebSocket frame decoding (masked client frames, 1,460-byte reads): payload bytes/s and multiple of PCM 48 kHz/16-bit/stereo";
const PCM = 192000;

const bench: Bench = (ctx) => {
  const rnd = new SeededRandom(3);
  for (const [label, size] of [["3,865 B (20 ms chunk, encrypted)", 3865], ["16 KiB", 16384], ["65,535 B", 65535]] as [string, number][]) {
    const frames = concatBytes(...[0, 1, 2, 3].map(() => clientFrame(OP_BINARY, rnd.bytes(size), { mask: [rnd.below(256), rnd.below(256), rnd.below(256), rnd.below(256)] })));
    let received = 0;
    const d = new FrameDecoder({ maxMessageBytes: 65535 + 1024, maxTextBytes: 4096, expectMasked: true }, {
      onMessage: (_t, data) => {
        received += data.length;
      },
      onControl: () => {},
      onViolation: (code, reason) => {
        throw new Error(`${code} ${reason}`);
      },
    });
    const reads: Uint8Array[] = [];
    for (let o = 0; o < frames.length; o += 1460) reads.push(frames.subarray(o, o + 1460));
    const ms = timePerCall(ctx, () => {
      for (const r of reads) d.push(r);
    }, ctx.engine === "xs" ? 600 : 300);
    const perSecond = (4 * size) / (ms / 1000);
    ctx.record(TABLE, label, `${ctx.engine} bytes/s`, Math.round(perSecond));
    ctx.record(TABLE, label, `${ctx.engine} × PCM`, perSecond / PCM);
    if (received === 0) throw new Error("nothing decoded");
  }
};

export default bench;
