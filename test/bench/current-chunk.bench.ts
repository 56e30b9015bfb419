// The current revision's 13-byte audio chunk header on the audio path: what reading it in place costs per
// 20 ms chunk of 48 kHz 16-bit stereo (3,840 bytes of PCM) before the Player's own path (player-hotpath),
// and how many views it allocates over a steady stream in one reused receive buffer (the WebSocket layer
// keeps one message buffer): the reader moves the 8-byte timestamp over send_ahead and reuses its view.

import type { Bench, BenchContext } from "./context.js";
import { timePerCall } from "./context.js";
import { CurrentChunkReader } from "../../modules/protocol/current-player.js";
import { writeAudioChunkTimestamp } from "../../modules/protocol/player-messages.js";

const TABLE = "current revision: 13-byte chunk header read in place (20 ms, 48 kHz 16-bit stereo)";

const bench: Bench = (ctx: BenchContext) => {
  const receive = new Uint8Array(8192); // the WebSocket layer's reused message buffer
  const body = receive.subarray(1, 1 + 12 + 3840);
  const reader = new CurrentChunkReader();
  let ts = 1_000_000;
  let views = 0;
  let last: Uint8Array | null = null;
  const one = () => {
    writeAudioChunkTimestamp(body, 0, ts);
    ts += 20_000;
    const v = reader.asBaseline(body);
    if (v !== last) {
      views++;
      last = v;
    }
  };
  const ms = timePerCall(ctx, () => {
    for (let k = 0; k < 1000; k++) one();
  });
  ctx.record(TABLE, "time per chunk (µs), timestamp write included", ctx.engine, ((ms * 1000) / 1000).toFixed(3));
  const before = views;
  for (let k = 0; k < 100_000; k++) one();
  ctx.record(TABLE, "views allocated over 100,000 chunks", ctx.engine, String(views - before));
};

export default bench;
