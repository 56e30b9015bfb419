// The flash port on the ESP32: a named DATA partition through ECMA-419 `embedded:storage/flash`
// (manifest: $(MODDABLE)/modules/io/flash/manifest.json; partition table: partitions.csv). Each call is
// esp_partition_read / write / erase_range. NOR rules are checked in our code (storage/nor.ts) before
// anything reaches the chip: a write that would need a 0→1 transition throws instead of silently
// storing old AND new. The partition must not be flagged `encrypted` (flash encryption turns every write
// into 16-byte encrypted blocks, which breaks bit-clearing writes).

import flashStorage, { type Flash } from "embedded:storage/flash";
import { NorFlash } from "../storage/nor.js";

export class PartitionFlash extends NorFlash {
  private readonly partition: Flash;

  private constructor(partition: Flash, blockSize: number, byteLength: number) {
    super(blockSize, byteLength);
    this.partition = partition;
  }

  /** Open the DATA partition labelled `label` read/write (throws "can't find partition" when absent). */
  static open(label: string): PartitionFlash {
    const partition = flashStorage.open({ path: label, mode: "r+" });
    const status = partition.status();
    return new PartitionFlash(partition, status.blockLength, status.blocks * status.blockLength);
  }

  protected readRaw(offset: number, into: Uint8Array): void {
    this.partition.read(into, offset);
  }

  protected writeRaw(offset: number, data: Uint8Array): void {
    this.partition.write(data, offset);
  }

  protected eraseRaw(index: number): void {
    this.partition.eraseBlock(index);
  }

  close(): void {
    this.partition.close();
  }
}
