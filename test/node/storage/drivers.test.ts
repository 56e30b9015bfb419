// The device flash drivers (drivers/flash-partition.ts over ECMA-419 embedded:storage/flash on ESP32,
// drivers/flash-file.ts over Moddable's file module for the lin build), run under Node against
// stand-ins of those two SDK modules (test/node/storage/sdk/, written from the SDK sources: the SDK is
// not installed here; `tsc -p tsconfig.device.json` checks the drivers against typings/). What this
// checks is our driver code: offsets, views, extension of a new image, the NOR check before writing,
// and a Store working on top across reopen.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importWithStandIns } from "../../support/sdk-stand-ins.js";
import type { FlashPort } from "../../../storage/flash.js";
import { Store } from "../../../storage/store.js";
import { DEFAULTS, rig, stateKey, viewOf } from "../../support/storage.js";

interface DriverBundle {
  PartitionFlash: { open(label: string): FlashPort & { close(): void } };
  FileImageFlash: { open(path: string, blockSize: number, blocks: number): FlashPort & { close(): void } };
  createPartition(label: string, blocks: number): Uint8Array;
}

const dir = mkdtempSync(join(tmpdir(), "sendspin-drivers-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const drivers = importWithStandIns<DriverBundle>(
  `export { PartitionFlash } from "./drivers/flash-partition.ts"; export { FileImageFlash } from "./drivers/flash-file.ts"; export { createPartition } from "embedded:storage/flash";`,
  { file: "test/node/storage/sdk/file.ts", "embedded:storage/flash": "test/node/storage/sdk/flash.ts" },
);

function exercise(open: () => FlashPort & { close(): void }, seed: number): void {
  const r = rig({ name: "driver", blockSize: 4096, blocks: 4, slots: 8 }, seed);
  const mount = (f: FlashPort) => Store.mount(f, { slots: 8, crypto: r.crypto, defaults: DEFAULTS, log: (m) => r.logs.push(m) });
  let f = open();
  assert.equal(f.blockSize, 4096);
  // NOR rule enforced by our code before the chip (which would silently AND): nothing lands.
  f.write(100, new Uint8Array([0x0f]));
  assert.throws(() => f.write(100, new Uint8Array([0xff])), /set a cleared bit/);
  assert.equal(f.read(100, 1)[0], 0x0f);
  f.eraseBlock(0);
  assert.equal(f.read(100, 1)[0], 0xff);
  const into = new Uint8Array(16);
  f.read(96, 8, into);
  assert.ok(into.subarray(0, 8).every((b) => b === 255));
  let store = mount(f);
  for (let i = 0; i < 200; i++) store.updateSettings({ staticDelayMs: i }); // crosses a compaction on 4 blocks
  assert.equal(store.addRecord(new Uint8Array(32).fill(9)), "ok");
  const before = stateKey(viewOf(store));
  f.close();
  f = open();
  r.logs.length = 0;
  store = mount(f);
  assert.equal(stateKey(viewOf(store)), before);
  assert.deepEqual(r.logs, []);
  f.close();
}

test("drivers/flash-partition: a Store on the 'pairing' partition through embedded:storage/flash", async () => {
  const d = await drivers;
  d.createPartition("pairing", 4);
  assert.throws(() => d.PartitionFlash.open("missing"), /can't find partition/);
  exercise(() => d.PartitionFlash.open("pairing"), 31);
});

test("drivers/flash-file: a Store on an image file through the file module; a new image is erased flash", async () => {
  const d = await drivers;
  const path = join(dir, "lin-flash.bin");
  const f = d.FileImageFlash.open(path, 4096, 4);
  f.close();
  const bytes = readFileSync(path);
  assert.equal(bytes.length, 16384);
  assert.ok(bytes.every((b) => b === 255));
  exercise(() => d.FileImageFlash.open(path, 4096, 4), 32);
});
