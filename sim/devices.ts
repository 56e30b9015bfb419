// The simulator's button (commands on standard input), indicator (log and event lines) and the
// out-channel's console output (the PIN printed, and a `pin` event).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ButtonPort, ButtonPress, IndicatorCue, IndicatorPort } from "../modules/platform.js";
import type { PinOutput } from "../modules/out-channel.js";
import type { DigitClips } from "../modules/audio/pin-speech.js";
import { parseWav, type WavClip } from "../modules/audio/wav.js";
import type { SimConsole } from "./console.js";

export class SimButton implements ButtonPort {
  private readonly listeners: ((press: ButtonPress) => void)[] = [];

  onPress(cb: (press: ButtonPress) => void): void {
    this.listeners.push(cb);
  }

  press(kind: ButtonPress): void {
    for (const cb of this.listeners) cb(kind);
  }
}

export class SimIndicator implements IndicatorPort {
  private readonly out: SimConsole;

  constructor(out: SimConsole) {
    this.out = out;
  }

  cue(kind: IndicatorCue): void {
    this.out.log("info", `indicator: ${kind}`);
    this.out.event({ event: "indicator", cue: kind });
  }
}

/** The console side of the out-channel: the PIN for the person at the terminal and as a `pin` event. */
export class ConsolePin implements PinOutput {
  private readonly out: SimConsole;

  constructor(out: SimConsole) {
    this.out = out;
  }

  emit(pin: string): void {
    this.out.human(`\n  >>> PIN: ${pin.split("").join(" ")} <<<\n`);
    this.out.log("info", `out-channel: dynamic PIN ${pin}`);
    this.out.event({ event: "pin", method: "dynamic_pin", pin });
  }

  clear(): void {
    this.out.log("info", "out-channel: PIN cleared");
    this.out.event({ event: "pin_cleared" });
  }
}

/** The spoken digit clips the firmware bundles (resources/voice), read from the source tree. */
export function digitClipsFromFiles(root: string, log: (m: string) => void): DigitClips {
  const table: (WavClip | undefined)[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(root, "resources", "voice", `digit-${d}.wav`);
    try {
      const clip = parseWav(new Uint8Array(readFileSync(file)));
      if (!clip) log(`voice: ${file} is not a 16-bit PCM WAV; digit ${d} will not be spoken`);
      table.push(clip);
    } catch {
      log(`voice: ${file} missing; digit ${d} will not be spoken`);
      table.push(undefined);
    }
  }
  return (d) => table[d];
}
