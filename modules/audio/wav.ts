// Minimal strict reader for the PCM WAV clips the firmware bundles (the spoken digits): RIFF/WAVE with a
// `fmt ` chunk (PCM, 16-bit, 1 or 2 channels) and a `data` chunk. Anything else is refused (undefined),
// so a device maker who drops in a clip of another kind finds out at boot, not as noise.

export interface WavClip {
  readonly sampleRate: number;
  readonly channels: number;
  /** The clip's bytes (the whole file); samples are little-endian int16 from `dataOffset`. */
  readonly bytes: Uint8Array;
  readonly dataOffset: number;
  /** Whole frames in the data chunk. */
  readonly frames: number;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 16777216;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function tag(b: Uint8Array, o: number, t: string): boolean {
  for (let i = 0; i < 4; i++) if (b[o + i] !== t.charCodeAt(i)) return false;
  return true;
}

export function parseWav(bytes: Uint8Array): WavClip | undefined {
  if (bytes.length < 12 || !tag(bytes, 0, "RIFF") || !tag(bytes, 8, "WAVE")) return undefined;
  let off = 12;
  let sampleRate = 0;
  let channels = 0;
  while (off + 8 <= bytes.length) {
    const size = u32(bytes, off + 4);
    const body = off + 8;
    if (tag(bytes, off, "fmt ")) {
      if (size < 16 || body + 16 > bytes.length) return undefined;
      const format = u16(bytes, body);
      channels = u16(bytes, body + 2);
      sampleRate = u32(bytes, body + 4);
      const bits = u16(bytes, body + 14);
      if (format !== 1 || bits !== 16 || (channels !== 1 && channels !== 2)) return undefined;
      if (sampleRate < 8000 || sampleRate > 96000) return undefined;
    } else if (tag(bytes, off, "data")) {
      if (channels === 0) return undefined; // data before fmt
      const available = Math.min(size, bytes.length - body);
      const frames = Math.floor(available / (2 * channels));
      if (frames === 0) return undefined;
      return { sampleRate, channels, bytes, dataOffset: body, frames };
    }
    off = body + size + (size & 1);
  }
  return undefined;
}
