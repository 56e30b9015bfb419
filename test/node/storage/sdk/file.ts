// Stand-in for Moddable's `file` module (the SDK is not installed here), over node:fs, following
// modules/files/file/lin/modFile.c: new File(path, true) opens "rb+" or creates "wb+"; read(ArrayBuffer, n)
// reads from the position and throws "read past end of file" at the end; write() takes ArrayBuffers
// (xsmcToArrayBuffer: a view is refused), strings or byte numbers, and flushes.

import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";

export class File {
  private fd: number;
  position = 0;

  constructor(path: string, write?: boolean) {
    try {
      this.fd = openSync(path, write ? "r+" : "r");
    } catch {
      if (!write) throw new Error("file not found");
      this.fd = openSync(path, "w+");
    }
  }

  get length(): number {
    return fstatSync(this.fd).size;
  }

  read(type: unknown, count?: number): ArrayBuffer {
    if (type !== ArrayBuffer) throw new Error("stand-in: only ArrayBuffer reads");
    const size = this.length;
    let n = count ?? -1;
    if (n === -1 || size < this.position + n) {
      if (this.position >= size) throw new Error("read past end of file");
      n = size - this.position;
    }
    const out = new Uint8Array(n);
    if (readSync(this.fd, out, 0, n, this.position) !== n) throw new Error("file read failed");
    this.position += n;
    return out.buffer;
  }

  write(...items: (ArrayBuffer | string | number)[]): void {
    for (const item of items) {
      let bytes: Uint8Array;
      if (typeof item === "string") bytes = new TextEncoder().encode(item);
      else if (typeof item === "number") bytes = new Uint8Array([item & 255]);
      else if (item instanceof ArrayBuffer) bytes = new Uint8Array(item);
      else throw new TypeError("stand-in: File.write takes an ArrayBuffer, not a view");
      writeSync(this.fd, bytes, 0, bytes.length, this.position);
      this.position += bytes.length;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
