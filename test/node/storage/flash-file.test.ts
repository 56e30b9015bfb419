// The simulator's file-backed flash (sim/flash-file.ts): NOR rules, persistence, a Store across restarts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileFlash, SIM_FLASH_GEOMETRY } from "../../../sim/flash-file.js";
import { NorViolation } from "../../../storage/nor.js";
import { DEFAULTS, rig, stateKey, viewOf } from "../../support/storage.js";
import { Store } from "../../../storage/store.js";

const dir = mkdtempSync(join(tmpdir(), "sendspin-flash-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

test("a new image is erased flash of the device partition's geometry", () => {
  const path = join(dir, "new.bin");
  const f = FileFlash.open(path);
  assert.equal(f.blockSize, SIM_FLASH_GEOMETRY.blockSize);
  assert.equal(f.byteLength, SIM_FLASH_GEOMETRY.blockSize * SIM_FLASH_GEOMETRY.blocks);
  f.close();
  const bytes = readFileSync(path);
  assert.equal(bytes.length, 65536);
  assert.ok(bytes.every((b) => b === 255));
});

test("NOR rules: writes clear bits, setting a cleared bit throws and writes nothing, erase restores 0xFF", () => {
  const path = join(dir, "rules.bin");
  const f = FileFlash.open(path, { blockSize: 1024, blocks: 4 });
  f.write(5, new Uint8Array([0x0f, 0xf0]));
  assert.throws(() => f.write(5, new Uint8Array([0x1f])), NorViolation);
  f.write(6, new Uint8Array([0x30]));
  assert.deepEqual([...f.read(5, 2)], [0x0f, 0x30]);
  f.eraseBlock(0);
  assert.deepEqual([...f.read(5, 2)], [255, 255]);
  assert.equal(f.counters.erases, 1);
  f.close();
});

test("a short image is extended with 0xFF, its content kept", () => {
  const path = join(dir, "short.bin");
  writeFileSync(path, new Uint8Array([1, 2, 3]));
  const f = FileFlash.open(path, { blockSize: 1024, blocks: 2 });
  assert.deepEqual([...f.read(0, 5)], [1, 2, 3, 255, 255]);
  f.close();
  assert.equal(statSync(path).size, 2048);
});

test("a Store on the image survives restarts (reopen = reboot)", () => {
  const path = join(dir, "store.bin");
  const r = rig({ name: "sim", blockSize: 4096, blocks: 16, slots: 8 }, 21);
  const mount = (f: FileFlash) => Store.mount(f, { slots: 8, crypto: r.crypto, defaults: DEFAULTS, log: (m) => r.logs.push(m) });
  let f = FileFlash.open(path);
  let store = mount(f);
  assert.ok(/blank flash/.test(r.logs[0]));
  for (let i = 0; i < 600; i++) store.updateSettings({ staticDelayMs: i % 5000 }); // crosses a compaction
  assert.equal(store.addRecord(new Uint8Array(32).fill(3)), "ok");
  const before = stateKey(viewOf(store));
  f.close();
  r.logs.length = 0;
  f = FileFlash.open(path);
  store = mount(f);
  assert.equal(stateKey(viewOf(store)), before);
  assert.deepEqual(r.logs, []);
  f.close();
});
