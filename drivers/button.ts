// The pairing button on a GPIO (ECMA-419 Digital, both edges), debounced and classified short/long by
// modules/board/press-detector.ts. Active-low buttons (to ground) get the internal pull-up.

import Digital from "embedded:io/digital";
import type { ButtonPort, ButtonPress, ClockPort, LogPort } from "../modules/platform.js";
import { PressDetector } from "../modules/board/press-detector.js";

export interface GpioButtonOptions {
  pin: number;
  activeLow: boolean;
  longPressMs: number;
}

export class GpioButton implements ButtonPort {
  private readonly listeners: ((press: ButtonPress) => void)[] = [];
  private readonly input: Digital;
  private readonly detector: PressDetector;

  constructor(clock: ClockPort, log: LogPort, o: GpioButtonOptions) {
    this.detector = new PressDetector(clock, { debounceMs: 30, longPressMs: o.longPressMs }, (press) => {
      for (const cb of this.listeners) {
        try {
          cb(press);
        } catch (e) {
          log.log("error", `button: ${String(e)}`);
        }
      }
    });
    const activeLow = o.activeLow;
    const detector = this.detector;
    this.input = new Digital({
      pin: o.pin,
      mode: activeLow ? Digital.InputPullUp : Digital.InputPullDown,
      edge: Digital.Rising | Digital.Falling,
      onReadable(this: Digital) {
        detector.level((this.read() === 1) !== activeLow);
      },
    });
  }

  onPress(cb: (press: ButtonPress) => void): void {
    this.listeners.push(cb);
  }

  close(): void {
    this.detector.dispose();
    this.input.close();
  }
}
