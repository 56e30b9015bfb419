// An ESP32 flash image as QEMU boots it: its partition table (at 0x8000: 32-byte entries, magic AA 50, type,
// subtype, offset, size, a 16-byte label, flags; the list ends at the first entry without the magic) and the
// pairing partition's erase, which gives the store a blank partition to format (qemu-session.ts --fresh-store).

import { closeSync, openSync, readSync, writeSync } from "node:fs";

export interface Partition {
  label: string;
  type: number;
  subtype: number;
  offset: number;
  size: number;
}

const TABLE_OFFSET = 0x8000;
const TABLE_BYTES = 0xc00;

export function readPartitions(image: string): Partition[] {
  const fd = openSync(image, "r");
  try {
    const table = Buffer.alloc(TABLE_BYTES);
    readSync(fd, table, 0, table.length, TABLE_OFFSET);
    const out: Partition[] = [];
    for (let off = 0; off + 32 <= table.length && table[off] === 0xaa && table[off + 1] === 0x50; off += 32) {
      const label = table.subarray(off + 12, off + 28).toString("latin1").replace(/\0.*$/s, "");
      out.push({ label, type: table[off + 2], subtype: table[off + 3], offset: table.readUInt32LE(off + 4), size: table.readUInt32LE(off + 8) });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Fills the partition labelled `pairing` with 0xFF (erased NOR flash); says what it did. */
export function eraseStorePartition(image: string): string {
  const parts = readPartitions(image);
  const p = parts.find((x) => x.label === "pairing");
  if (!p) throw new Error(`no "pairing" partition in the image's partition table (${parts.map((x) => `${x.label}@0x${x.offset.toString(16)}`).join(", ") || "no table at 0x8000"})`);
  const fd = openSync(image, "r+");
  try {
    writeSync(fd, Buffer.alloc(p.size, 0xff), 0, p.size, p.offset);
  } finally {
    closeSync(fd);
  }
  return `--fresh-store: erased the pairing partition (0x${p.offset.toString(16)}, ${p.size} bytes) of the image booted`;
}
