import { assert, describe, report, test } from "../../harness.js";
import { ChunkQueue, PUSH_NO_SPACE, PUSH_OK, PUSH_OVER_CAPACITY, PUSH_TABLE_FULL } from "../../../modules/player/chunk-queue.js";
import { SeededRandom } from "../../support/random.js";

function body(frames: number, fb: number, seed: number): Uint8Array {
  const b = new Uint8Array(8 + frames * fb);
  for (let i = 8; i < b.length; i++) b[i] = (seed * 7 + i * 13) & 255;
  return b;
}

describe("jitter buffer (chunk queue)", () => {
  test("holds exactly buffer_capacity bytes of PCM, refuses more, frees on pop", () => {
    const cap = 4000 * 4;
    const maxChunks = 64;
    const q = new ChunkQueue(new Uint8Array(ChunkQueue.ringBytesFor(cap, maxChunks, 1000 * 4)), ChunkQueue.ringBytesFor(cap, maxChunks, 1000 * 4), maxChunks, cap);
    for (let i = 0; i < 4; i++) assert.equal(q.push(body(1000, 4, i), i * 1000, 1000, 4, 4, 0), PUSH_OK);
    assert.equal(q.queuedBytes, cap);
    assert.equal(q.push(body(1, 4, 9), 9, 1, 4, 4, 0), PUSH_OVER_CAPACITY);
    q.pop();
    assert.equal(q.queuedBytes, cap - 4000);
    assert.equal(q.push(body(1000, 4, 5), 5000, 1000, 4, 4, 0), PUSH_OK);
    assert.equal(q.count, 4);
    assert.equal(q.headTs(), 1000);
  });

  test("descriptor table bounds the number of chunks", () => {
    const q = new ChunkQueue(new Uint8Array(10_000), 10_000, 4, 8000);
    for (let i = 0; i < 4; i++) assert.equal(q.push(body(10, 4, i), i, 10, 4, 4, 0), PUSH_OK);
    assert.equal(q.push(body(10, 4, 4), 4, 10, 4, 4, 0), PUSH_TABLE_FULL);
    const tiny = new ChunkQueue(new Uint8Array(100), 100, 4, 8000);
    assert.equal(tiny.push(body(40, 4, 0), 0, 40, 4, 4, 0), PUSH_NO_SPACE);
  });

  test("wraps around the ring with contiguous chunks and intact contents (randomized)", () => {
    const rng = new SeededRandom(3);
    const cap = 20_000, maxChunks = 64, maxChunk = 600 * 4;
    const ring = ChunkQueue.ringBytesFor(cap, maxChunks, maxChunk);
    const q = new ChunkQueue(new Uint8Array(ring + 100), ring, maxChunks, cap);
    const expected: { ts: number; data: Uint8Array }[] = [];
    let pushed = 0, popped = 0, refusedWhileRoom = 0;
    for (let step = 0; step < 3000; step++) {
      if (rng.below(2) === 0 || q.count === 0) {
        const frames = 1 + rng.below(600);
        const b = body(frames, 4, step);
        const r = q.push(b, step, frames, 4, 4, step & 255);
        if (r === PUSH_OK) {
          expected.push({ ts: step, data: b.subarray(8).slice() });
          pushed++;
        } else if (q.queuedBytes + frames * 4 <= cap && q.count < maxChunks) refusedWhileRoom++;
      } else {
        const e = expected.shift()!;
        assert.equal(q.headTs(), e.ts);
        assert.equal(q.headGen(), e.ts & 255);
        const off = q.headOff();
        const got = q.mem.subarray(off, off + q.headFrames() * 4);
        assert.deepEqual(got, e.data, `chunk ${e.ts}`);
        q.pop();
        popped++;
      }
    }
    assert.equal(refusedWhileRoom, 0, "a chunk within buffer_capacity was refused");
    report(`chunk queue: ${pushed} chunks pushed, ${popped} popped and verified byte for byte across ring wraps`);
  });

  test("converts 24-bit to 16-bit (top bytes) while copying", () => {
    const q = new ChunkQueue(new Uint8Array(1000), 1000, 8, 1000);
    const b = new Uint8Array(8 + 2 * 6);
    b.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc], 8);
    assert.equal(q.push(b, 0, 2, 6, 4, 0), PUSH_OK);
    assert.equal(q.queuedBytes, 12, "capacity counts bytes as received");
    assert.deepEqual(q.mem.subarray(q.headOff(), q.headOff() + 8), new Uint8Array([0x22, 0x33, 0x55, 0x66, 0x88, 0x99, 0xbb, 0xcc]));
  });
});
