import { assert, describe, test } from "../../harness.js";
import { MemoryFlash, PowerCut, type EraseCutMode } from "../../../storage/flash-memory.js";
import { checkProgrammable, NorViolation } from "../../../storage/nor.js";
import { SeededRandom } from "../../support/random.js";

function flash(seed = 1): MemoryFlash {
  return new MemoryFlash({ blockSize: 256, blocks: 4, random: new SeededRandom(seed) });
}

describe("storage › NOR flash emulation", () => {
  test("starts erased; a write stores data; erase restores 0xFF on that block only", () => {
    const f = flash();
    assert.equal(f.byteLength, 1024);
    assert.equal(f.blockSize, 256);
    assert.ok(f.read(0, 1024).every((b) => b === 255));
    f.write(10, new Uint8Array([0x12, 0x34]));
    f.write(300, new Uint8Array([0x00]));
    assert.deepEqual(f.read(10, 2), new Uint8Array([0x12, 0x34]));
    f.eraseBlock(0);
    assert.equal(f.read(10, 1)[0], 255);
    assert.equal(f.read(300, 1)[0], 0, "block 1 untouched");
  });

  test("a write may clear more bits of already written bytes (result = old AND new)", () => {
    const f = flash();
    f.write(0, new Uint8Array([0xf0]));
    f.write(0, new Uint8Array([0xb0]));
    assert.equal(f.read(0, 1)[0], 0xb0);
  });

  test("setting a cleared bit is a caller bug: NorViolation, and nothing of that write lands", () => {
    const f = flash();
    f.write(0, new Uint8Array([0x0f]));
    const before = f.image.slice();
    assert.throws(() => f.write(0, new Uint8Array([0xf0, 0x00])), /set a cleared bit/);
    let caught: unknown;
    try {
      f.write(0, new Uint8Array([0x1f]));
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof NorViolation);
    assert.deepEqual(f.image, before);
    assert.throws(() => checkProgrammable(new Uint8Array([0x7f]), new Uint8Array([0xff]), 5), /byte 5/);
  });

  test("ranges, block indexes and geometry are checked", () => {
    const f = flash();
    assert.throws(() => f.read(1020, 8), /outside/);
    assert.throws(() => f.write(-1, new Uint8Array(1)), /outside/);
    assert.throws(() => f.eraseBlock(4), /out of range/);
    assert.throws(() => f.eraseBlock(1.5), /out of range/);
    assert.throws(() => new MemoryFlash({ blockSize: 0, blocks: 2 }), /block size/);
    const into = new Uint8Array(8);
    assert.equal(f.read(0, 4, into), into, "reads into the given buffer");
  });

  test("counters: writes, bytes, erases and erases per block", () => {
    const f = flash();
    f.write(0, new Uint8Array(16));
    f.write(256, new Uint8Array(3));
    f.eraseBlock(1);
    f.eraseBlock(1);
    f.read(0, 10);
    const c = f.counters;
    assert.deepEqual([c.writes, c.bytesWritten, c.erases, c.reads, c.bytesRead], [2, 19, 2, 1, 10]);
    assert.deepEqual(Array.from(c.blockErases), [0, 2, 0, 0]);
    assert.equal(f.mutations, 4);
  });

  test("a write cut after its k-th byte keeps bytes 0..k-1, then the flash is dead until revived", () => {
    for (let k = 0; k <= 8; k++) {
      const f = flash();
      f.write(0, new Uint8Array([0xaa]));
      f.armCut({ afterOps: 1, bytes: k });
      f.write(100, new Uint8Array([0xfe])); // let through
      assert.throws(() => f.write(8, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /power cut during a write/);
      assert.ok(f.isDead);
      assert.throws(() => f.read(0, 1), /no power/);
      f.revive();
      const got = f.read(8, 8);
      for (let i = 0; i < 8; i++) assert.equal(got[i], i < k ? i + 1 : 255, `k=${k} byte ${i}`);
      assert.equal(f.read(0, 1)[0], 0xaa);
      assert.equal(f.read(100, 1)[0], 0xfe);
    }
  });

  test("a half-programmed byte only has a subset of the bits the write was clearing", () => {
    let partial = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const f = flash(seed);
      f.write(0, new Uint8Array([0b11110000 | 0b1010])); // 0xfa
      f.armCut({ afterOps: 0, bytes: 0, partialByte: true });
      let cut: unknown;
      try {
        f.write(0, new Uint8Array([0x30]));
      } catch (e) {
        cut = e;
      }
      assert.ok(cut instanceof PowerCut);
      f.revive();
      const b = f.read(0, 1)[0];
      assert.equal(b & 0x30, 0x30, "bits the write keeps at 1 stay 1");
      assert.equal(b | 0xfa, 0xfa, "no bit was set");
      if (b !== 0xfa && b !== 0x30) partial++;
    }
    assert.ok(partial > 100, "most cuts leave a byte between old and new");
  });

  test("an erase cut leaves the block with arbitrary content, other blocks untouched", () => {
    const modes: EraseCutMode[] = ["random", "prefix", "partial-bits", "untouched"];
    for (const mode of modes) {
      const f = flash(7);
      f.write(256, new Uint8Array(256).fill(0x5a));
      f.write(0, new Uint8Array([0x11]));
      f.armCut({ afterOps: 0, eraseMode: mode });
      assert.throws(() => f.eraseBlock(1), /during an erase/);
      assert.ok(f.lastCutWasErase);
      f.revive();
      const block = f.read(256, 256);
      const erased = block.filter((b) => b === 255).length;
      const old = block.filter((b) => b === 0x5a).length;
      if (mode === "untouched") assert.equal(old, 256);
      if (mode === "random") assert.ok(erased < 32 && old < 32, "random bytes");
      if (mode === "prefix") assert.equal(erased + old, 256);
      if (mode === "partial-bits") assert.ok(block.every((b) => (b & 0x5a) === 0x5a));
      assert.equal(f.read(0, 1)[0], 0x11);
    }
  });

  test("clone copies the image; the copy is independent", () => {
    const f = flash();
    f.write(0, new Uint8Array([1]));
    const g = f.clone();
    g.write(1, new Uint8Array([2]));
    assert.equal(f.read(1, 1)[0], 255);
    assert.equal(g.read(0, 1)[0], 1);
  });
});
