// The flash port: raw NOR flash semantics. Erase sets a whole block to 0xFF; a write can only clear bits
// (the stored result is old AND new); a power cut can stop any write or erase midway.

export interface FlashPort {
  /** Erase unit in bytes (4096 on ESP32). */
  readonly blockSize: number;
  /** Size of the partition in bytes (a multiple of blockSize). */
  readonly byteLength: number;
  /** Read `length` bytes at `offset` into a new array, or into `into` when given (returned). */
  read(offset: number, length: number, into?: Uint8Array): Uint8Array;
  /** Program `data` at `offset`; bits can only go from 1 to 0. */
  write(offset: number, data: Uint8Array): void;
  /** Erase block `index` (bytes index*blockSize .. +blockSize) to 0xFF. */
  eraseBlock(index: number): void;
}
