// The spoken digit clips bundled as manifest `data` (resources/voice/digit-N.wav, 16 kHz mono PCM; see
// tools/make-digit-clips.sh). They stay in flash: the clip views the Resource's memory, nothing is copied.

import Resource from "Resource";
import type { LogPort } from "../modules/platform.js";
import type { DigitClips } from "../modules/audio/pin-speech.js";
import { parseWav, type WavClip } from "../modules/audio/wav.js";

export function bundledDigitClips(log: LogPort): DigitClips {
  const table: (WavClip | undefined)[] = [];
  let missing = 0;
  for (let d = 0; d < 10; d++) {
    const name = `digit-${d}.wav`;
    const clip = Resource.exists(name) ? parseWav(new Uint8Array(new Resource(name))) : undefined;
    if (!clip) missing++;
    table.push(clip);
  }
  if (missing > 0) log.log("warn", `voice: ${missing} of 10 digit clips missing or unreadable; those digits are skipped`);
  return (d) => table[d];
}
