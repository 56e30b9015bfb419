// The flash port in Moddable's desktop simulator (`lin` build), where no flash API exists: a fixed-size
// image file (e.g. config.file.root + "sendspin-flash.bin") through Moddable's `file` module (manifest:
// $(MODDABLE)/modules/files/file/manifest.json). A missing or short image is extended with 0xFF
// (erased flash). The NOR rules are the same code as everywhere (storage/nor.ts). Every write is one
// fwrite + fflush in the SDK, so a killed simulator leaves what a power cut would.

import { File } from "file";
import { NorFlash } from "../storage/nor.js";

export class FileImageFlash extends NorFlash {
  private readonly file: File;
  private readonly erased: ArrayBuffer;

  private constructor(file: File, blockSize: number, byteLength: number) {
    super(blockSize, byteLength);
    this.file = file;
    this.erased = new Uint8Array(blockSize).fill(255).buffer;
  }

  /** Open (or create) the image at `path` with `blocks` blocks of `blockSize` bytes. */
  static open(path: string, blockSize: number, blocks: number): FileImageFlash {
    const file = new File(path, true);
    const flash = new FileImageFlash(file, blockSize, blockSize * blocks);
    flash.extend();
    return flash;
  }

  close(): void {
    this.file.close();
  }

  /** Grow a new or short image to its size with erased bytes (a longer one keeps its tail, unused). */
  private extend(): void {
    let length = this.file.length;
    while (length < this.byteLength) {
      const n = Math.min(this.blockSize - (length % this.blockSize), this.byteLength - length);
      this.file.position = length;
      this.file.write(n === this.blockSize ? this.erased : this.erased.slice(0, n));
      length += n;
    }
  }

  protected readRaw(offset: number, into: Uint8Array): void {
    this.file.position = offset;
    into.set(new Uint8Array(this.file.read(ArrayBuffer, into.length)));
  }

  protected writeRaw(offset: number, data: Uint8Array): void {
    // The SDK's File.write takes an ArrayBuffer (not a view): hand it an exact copy.
    const copy = new Uint8Array(data.length);
    copy.set(data);
    this.file.position = offset;
    this.file.write(copy.buffer);
  }

  protected eraseRaw(index: number): void {
    this.file.position = index * this.blockSize;
    this.file.write(this.erased);
  }
}
