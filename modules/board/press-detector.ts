// Button presses from a raw, bouncing contact: a level must hold for `debounceMs` before it counts; a
// press held for `longPressMs` is reported as "long" as soon as that time is reached (the user gets the
// feedback while still holding), otherwise the release reports "short". Portable: the device feeds it
// GPIO edges, a simulator skin feeds it its on-screen button.

import type { ButtonPress, ClockPort, TimerHandle } from "../platform.js";

export interface PressTiming {
  debounceMs: number;
  longPressMs: number;
}

export const DEFAULT_PRESS_TIMING: PressTiming = { debounceMs: 30, longPressMs: 2000 };

export class PressDetector {
  private readonly clock: ClockPort;
  private readonly timing: PressTiming;
  private readonly onPress: (press: ButtonPress) => void;
  private raw = false;
  private stable = false;
  private longFired = false;
  private debounce: TimerHandle | undefined;
  private longTimer: TimerHandle | undefined;

  constructor(clock: ClockPort, timing: PressTiming, onPress: (press: ButtonPress) => void) {
    this.clock = clock;
    this.timing = timing;
    this.onPress = onPress;
  }

  /** The contact reads `pressed` now (call on every edge; bounces are fine). */
  level(pressed: boolean): void {
    this.raw = pressed;
    this.clock.clear(this.debounce);
    this.debounce = this.clock.setTimeout(() => this.settle(), this.timing.debounceMs);
  }

  dispose(): void {
    this.clock.clear(this.debounce);
    this.clock.clear(this.longTimer);
    this.debounce = this.longTimer = undefined;
  }

  private settle(): void {
    this.debounce = undefined;
    if (this.raw === this.stable) return;
    this.stable = this.raw;
    if (this.stable) {
      this.longFired = false;
      this.longTimer = this.clock.setTimeout(() => {
        this.longTimer = undefined;
        this.longFired = true;
        this.onPress("long");
      }, this.timing.longPressMs);
    } else {
      this.clock.clear(this.longTimer);
      this.longTimer = undefined;
      if (!this.longFired) this.onPress("short");
    }
  }
}
