// XS's own memory counters, read through the native XS host's xsMemory() (test/native/host): the figures
// Moddable's instrumentation calls "XS Chunk Heap Used" and "XS Slot Heap Used". A reading allocates nothing,
// so two readings around a piece of code differ by exactly what it allocated (when no collection ran between).

declare function xsMemory(bytes: Uint8Array): void;
declare function gc(): void;

export class XsMemory {
  private readonly values = new Float64Array(5);
  private readonly bytes = new Uint8Array(this.values.buffer);

  /** Take a reading (optionally after a full collection: then chunks/slots are what is live). */
  read(collect = false): this {
    if (collect) gc();
    xsMemory(this.bytes);
    return this;
  }

  /** Bytes in use in the chunk heap (strings, ArrayBuffer data, arrays of slots...). */
  get chunks(): number {
    return this.values[0];
  }
  get chunksPeak(): number {
    return this.values[1];
  }
  /** Slots in use (objects, properties, closures...; 16 bytes each on a 32-bit MCU, 32 on this x86-64 host). */
  get slots(): number {
    return this.values[2];
  }
  get slotsPeak(): number {
    return this.values[3];
  }
  get keys(): number {
    return this.values[4];
  }
}
