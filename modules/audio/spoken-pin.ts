// The speaker out-channel: a dynamic PIN spoken through the audio output, digit by digit.

import type { AudioArbiter } from "./arbiter.js";
import { PinSpeech, type DigitClips } from "./pin-speech.js";
import type { PinOutput } from "../out-channel.js";

export class SpokenPin implements PinOutput {
  private readonly arbiter: AudioArbiter;
  private readonly speech: PinSpeech;

  constructor(arbiter: AudioArbiter, clips: DigitClips) {
    this.arbiter = arbiter;
    this.speech = new PinSpeech(clips);
  }

  emit(pin: string): void {
    this.speech.setPin(pin);
    this.arbiter.play(this.speech);
  }

  clear(): void {
    this.arbiter.stop();
  }
}
