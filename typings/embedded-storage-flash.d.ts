// ECMA-419 flash storage (SDK: typings/embedded/storage/flash.d.ts; esp32 implementation
// modules/io/flash/esp32/flash-esp32.js + .c). Present on esp32, mac and zephyr only (not lin).
// On esp32 `path` is the label of a DATA partition of any subtype ("xs", "running" and "nextota" are
// special); each call maps to esp_partition_read / write / erase_range and throws on failure.
declare module "embedded:storage/flash" {
  export interface FlashOpenOptions {
    /** Partition label. */
    path: string;
    /** "r": write and eraseBlock throw "read-only"; default "r+". */
    mode?: "r" | "r+";
  }

  export interface FlashStatus {
    /** Partition size in bytes. */
    size: number;
    /** Erase block size in bytes (the partition's erase_size: 4096 on ESP32). */
    blockLength: number;
    blocks: number;
    /** Declared by the SDK typing; the esp32 implementation does not return them. */
    writeAlign: number;
    eraseValue: number;
  }

  export class Flash {
    /** Created by the default export's open(). */
    private constructor();
    close(): void;
    /** Erase blocks start .. end-1 (block indexes; end defaults to start + 1). */
    eraseBlock(start: number, end?: number): void;
    /** Read byteLength bytes at byteOffset into a new ArrayBuffer. */
    read(byteLength: number, byteOffset: number): ArrayBuffer;
    /** Fill `buffer` (its whole byte length) from byteOffset; returns the byte count. */
    read(buffer: ByteBuffer, byteOffset: number): number;
    /** Program `buffer` at byteOffset (NOR: bits only go from 1 to 0). */
    write(buffer: ByteBuffer, byteOffset: number): void;
    status(): FlashStatus;
    format: "buffer";
  }

  const FlashStorage: {
    open(options: FlashOpenOptions): Flash;
    /** Partition labels. */
    [Symbol.iterator](): IterableIterator<string>;
  };
  export default FlashStorage;
}
