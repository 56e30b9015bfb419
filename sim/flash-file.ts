// The simulator's flash: a fixed-size image file (default ./sim-flash.bin) with the NOR rules of
// storage/nor.ts, the same code as the emulation and the device drivers. A new or short image is
// extended with 0xFF (erased flash). Each write or erase is one positioned write to the file: killing
// the simulator leaves the file as a power cut would leave the chip (the OS keeps what was written).

import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { NorFlash } from "../storage/nor.js";

/** The device's pairing partition (partitions.csv: 64 KiB, 4 KiB erase blocks). */
export const SIM_FLASH_GEOMETRY = { blockSize: 4096, blocks: 16 } as const;

export class FileFlash extends NorFlash {
  private fd: number;
  private readonly erased: Uint8Array;

  private constructor(fd: number, blockSize: number, byteLength: number) {
    super(blockSize, byteLength);
    this.fd = fd;
    this.erased = new Uint8Array(blockSize).fill(255);
  }

  /** Open (or create) the image at `path`. */
  static open(path: string, geometry: { blockSize: number; blocks: number } = SIM_FLASH_GEOMETRY): FileFlash {
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch {
      fd = openSync(path, "w+");
    }
    const flash = new FileFlash(fd, geometry.blockSize, geometry.blockSize * geometry.blocks);
    let length = fstatSync(fd).size;
    while (length < flash.byteLength) {
      const n = Math.min(flash.blockSize - (length % flash.blockSize), flash.byteLength - length);
      flash.writeRaw(length, flash.erased.subarray(0, n));
      length += n;
    }
    return flash;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  protected readRaw(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, offset + done);
      if (n <= 0) throw new Error("flash image: short read");
      done += n;
    }
  }

  protected writeRaw(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  protected eraseRaw(index: number): void {
    this.writeRaw(index * this.blockSize, this.erased);
  }
}
