// Stand-in for ECMA-419 `embedded:storage/flash` on ESP32 (the SDK is not installed here), following
// modules/io/flash/esp32/flash-esp32.c: open({path}) finds a DATA partition by label; read(buffer, offset)
// fills the whole buffer (a view reads its own bytes); write() programs like NOR flash (old AND new:
// the chip never refuses); eraseBlock(start, end = start + 1); status() = {size, blockLength, blocks}.

const partitions = new Map<string, Uint8Array>();
const BLOCK = 4096;

/** Test hook: create a partition image (erased). */
export function createPartition(label: string, blocks: number): Uint8Array {
  const image = new Uint8Array(blocks * BLOCK).fill(255);
  partitions.set(label, image);
  return image;
}

function bytesOf(buffer: ArrayBuffer | ArrayBufferView): Uint8Array {
  return buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

class Flash {
  constructor(private readonly image: Uint8Array) {}
  close(): void {}
  eraseBlock(start: number, end = start + 1): void {
    this.image.fill(255, start * BLOCK, end * BLOCK);
  }
  read(buffer: ArrayBuffer | ArrayBufferView, offset: number): number {
    const out = bytesOf(buffer);
    if (offset + out.length > this.image.length) throw new Error("read failed");
    out.set(this.image.subarray(offset, offset + out.length));
    return out.length;
  }
  write(buffer: ArrayBuffer | ArrayBufferView, offset: number): void {
    const data = bytesOf(buffer);
    if (offset + data.length > this.image.length) throw new Error("write failed");
    for (let i = 0; i < data.length; i++) this.image[offset + i] &= data[i];
  }
  status(): { size: number; blockLength: number; blocks: number } {
    return { size: this.image.length, blockLength: BLOCK, blocks: this.image.length / BLOCK };
  }
}

export default {
  open(options: { path: string; mode?: string }): Flash {
    const image = partitions.get(options.path);
    if (!image) throw new Error("can't find partition");
    return new Flash(image);
  },
};
