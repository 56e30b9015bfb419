// The flash image's partition table as qemu-session.ts reads it, and the pairing partition's erase: an image laid
// out as partitions.csv says (entries written here in the ESP-IDF binary format).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eraseStorePartition, readPartitions } from "../../chip/flash-image.js";
import { projectRoot } from "../../xs/engine.js";

/** partitions.csv's rows (name, type, subtype, offset, size) as a binary table at 0x8000 of a 4 MB image of 0x5A. */
function imageFromCsv(): Buffer {
  const image = Buffer.alloc(4 * 1024 * 1024, 0x5a);
  const types: Record<string, number> = { app: 0, data: 1 };
  const subtypes: Record<string, number> = { nvs: 2, phy: 1, factory: 0 };
  const rows = readFileSync(join(projectRoot, "partitions.csv"), "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#"));
  image.fill(0xff, 0x8000, 0x8c00);
  rows.forEach((row, i) => {
    const [name, type, subtype, offset, size] = row.split(",").map((x) => x.trim());
    const e = 0x8000 + i * 32;
    image[e] = 0xaa;
    image[e + 1] = 0x50;
    image[e + 2] = types[type];
    image[e + 3] = subtypes[subtype] ?? Number(subtype);
    image.writeUInt32LE(Number(offset), e + 4);
    image.writeUInt32LE(Number(size), e + 8);
    image.fill(0, e + 12, e + 28).write(name, e + 12, "latin1");
    image.writeUInt32LE(0, e + 28);
  });
  return image;
}

test("the pairing partition is found in the table and erased, nothing else touched", () => {
  const dir = mkdtempSync(join(tmpdir(), "flash-image-"));
  try {
    const file = join(dir, "flash.bin");
    const before = imageFromCsv();
    writeFileSync(file, before);
    assert.deepEqual(readPartitions(file).map((p) => [p.label, p.type, p.subtype, p.offset, p.size]), [
      ["nvs", 1, 2, 0x9000, 0x6000],
      ["phy_init", 1, 1, 0xf000, 0x1000],
      ["factory", 0, 0, 0x10000, 0x3e0000],
      ["pairing", 1, 0x99, 0x3f0000, 0x10000],
    ]);
    assert.match(eraseStorePartition(file), /0x3f0000, 65536 bytes/);
    const after = readFileSync(file);
    assert.equal(after.length, before.length);
    assert.ok(after.subarray(0x3f0000).every((b) => b === 0xff), "pairing erased");
    assert.ok(after.subarray(0, 0x3f0000).equals(before.subarray(0, 0x3f0000)), "the rest unchanged");
    writeFileSync(file, Buffer.alloc(0x10000, 0xff));
    assert.throws(() => eraseStorePartition(file), /no "pairing" partition.*no table at 0x8000/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
