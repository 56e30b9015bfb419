// A WAV file written while it grows: the header's sizes are brought up to date after every write, so
// the file is a valid WAV at any moment (a test or a person can read it while the simulator runs).

import { closeSync, openSync, writeSync } from "node:fs";
import type { PcmFormat } from "../modules/platform.js";

export class WavWriter {
  readonly format: PcmFormat;
  private fd: number | undefined;
  private dataBytes = 0;
  private readonly size = Buffer.alloc(4);

  constructor(path: string, format: PcmFormat) {
    this.format = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
    this.fd = openSync(path, "w");
    const h = Buffer.alloc(44);
    const blockAlign = format.channels * (format.bitsPerSample >> 3);
    h.write("RIFF", 0, "ascii");
    h.writeUInt32LE(36, 4);
    h.write("WAVE", 8, "ascii");
    h.write("fmt ", 12, "ascii");
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(1, 20);
    h.writeUInt16LE(format.channels, 22);
    h.writeUInt32LE(format.sampleRate, 24);
    h.writeUInt32LE(format.sampleRate * blockAlign, 28);
    h.writeUInt16LE(blockAlign, 32);
    h.writeUInt16LE(format.bitsPerSample, 34);
    h.write("data", 36, "ascii");
    h.writeUInt32LE(0, 40);
    writeSync(this.fd, h, 0, 44, 0);
  }

  /** Append PCM in this file's format. */
  write(pcm: Uint8Array): void {
    if (this.fd === undefined || pcm.length === 0) return;
    writeSync(this.fd, pcm, 0, pcm.length, 44 + this.dataBytes);
    this.dataBytes += pcm.length;
    this.size.writeUInt32LE(36 + this.dataBytes, 0);
    writeSync(this.fd, this.size, 0, 4, 4);
    this.size.writeUInt32LE(this.dataBytes, 0);
    writeSync(this.fd, this.size, 0, 4, 40);
  }

  bytesWritten(): number {
    return this.dataBytes;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
