// Memory figures for the log (drivers/native/*/sendspin_native.c): the system heap, which the network stack, sockets,
// the audio buffer and the I2S DMA ring draw on, and the XS heaps fixed at boot by the manifest's `creation`. What a
// device maker reads to size `creation` and `bufferCapacity` for a board (README: Memory).

const figures: () => number[] = native("xs_sendspin_memory");

/** One line: "heap free 123456 B (low 120000 B), XS chunks 14312 of 36864 B (peak 20000), slots 2245 of 4096 (peak 3000)"; no system heap figure on the desktop. */
export function memoryReport(): string {
  const [heapFree, heapLow, chunks, chunksAllocated, chunksPeak, slots, slotsAllocated, slotsPeak] = figures();
  const heap = heapFree < 0 ? "" : `heap free ${heapFree} B (low ${heapLow} B), `;
  return `${heap}XS chunks ${chunks} of ${chunksAllocated} B (peak ${chunksPeak}), slots ${slots} of ${slotsAllocated} (peak ${slotsPeak})`;
}
