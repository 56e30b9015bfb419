// Indicator cues as short LED blink patterns. Every pattern ends with the LED off (cues are transient,
// never a persistent state: a locked-out method must not be visible), and a new cue replaces the one
// playing.

import type { ClockPort, IndicatorCue, IndicatorPort, TimerHandle } from "../platform.js";

/** Alternating on/off durations in ms, starting with on. */
export const BLINK_PATTERNS: Readonly<Record<IndicatorCue, readonly number[]>> = {
  "pairing-window-open": [300, 200, 300, 200, 300],
  "pairing-window-closed": [100],
  paired: [1000],
  "pairing-failed": [80, 80, 80, 80, 80, 80, 80, 80, 80],
  refused: [80, 80, 80],
  connected: [50],
  disconnected: [50, 150, 50],
};

export class BlinkIndicator implements IndicatorPort {
  private readonly clock: ClockPort;
  private readonly setLed: (on: boolean) => void;
  private timer: TimerHandle | undefined;

  constructor(clock: ClockPort, setLed: (on: boolean) => void) {
    this.clock = clock;
    this.setLed = setLed;
    setLed(false);
  }

  cue(kind: IndicatorCue): void {
    const pattern = BLINK_PATTERNS[kind];
    if (!pattern) return;
    this.clock.clear(this.timer);
    let step = 0;
    const next = () => {
      if (step >= pattern.length) {
        this.timer = undefined;
        this.setLed(false);
        return;
      }
      this.setLed((step & 1) === 0);
      this.timer = this.clock.setTimeout(next, pattern[step++]);
    };
    next();
  }
}
