// Volume 0–100 as perceived loudness (the spec: 50 sounds half as loud as 100) → linear amplitude gain
// for the sink, which applies it natively (no per-sample JavaScript).
//
// Loudness doubles for every +10 dB, so loudness ratio v/100 needs 10·log2(v/100) dB, i.e. an amplitude
// gain of 10^(log2(v/100)/2) = (v/100)^(log2(10)/2) ≈ (v/100)^1.661. Volume 50 is −10 dB (gain 0.316),
// volume 10 is −33 dB, volume 1 is −66 dB; 0 is silence. Mute forces 0 and keeps the volume.

const EXPONENT = Math.log2(10) / 2;

export function volumeToGain(volume: number, muted = false): number {
  if (muted || !(volume > 0)) return 0;
  if (volume >= 100) return 1;
  return Math.pow(volume / 100, EXPONENT);
}

/** Attenuation in dB for a volume (−Infinity at 0). */
export function volumeToDb(volume: number): number {
  return volume > 0 ? 10 * Math.log2(Math.min(volume, 100) / 100) : -Infinity;
}
