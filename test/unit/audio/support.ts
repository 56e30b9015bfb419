// Builders shared by the audio unit tests.

/** A canonical 16-bit PCM WAV file holding `samples` (interleaved). Extra chunks go before `data`. */
export function makeWav(sampleRate: number, channels: number, samples: readonly number[], o?: { bits?: number; format?: number; extra?: Uint8Array }): Uint8Array {
  const extra = o?.extra ?? new Uint8Array(0);
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(12 + 24 + extra.length + 8 + dataBytes);
  const v = new DataView(out.buffer);
  const tag = (off: number, s: string) => {
    for (let i = 0; i < 4; i++) out[off + i] = s.charCodeAt(i);
  };
  tag(0, "RIFF");
  v.setUint32(4, out.length - 8, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, o?.format ?? 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, o?.bits ?? 16, true);
  out.set(extra, 36);
  let p = 36 + extra.length;
  tag(p, "data");
  v.setUint32(p + 4, dataBytes, true);
  p += 8;
  for (const s of samples) {
    v.setInt16(p, s, true);
    p += 2;
  }
  return out;
}

/** Little-endian int16 samples of a PCM buffer. */
export function samples16(b: Uint8Array, count = b.length >> 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(((b[2 * i] | (b[2 * i + 1] << 8)) << 16) >> 16);
  return out;
}
