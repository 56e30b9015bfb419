// A status LED on a GPIO (ECMA-419 Digital output) showing the indicator cues as blink patterns.

import Digital from "embedded:io/digital";
import type { ClockPort, IndicatorPort } from "../modules/platform.js";
import { BlinkIndicator } from "../modules/board/blink-indicator.js";

export function createLedIndicator(clock: ClockPort, o: { pin: number; activeLow: boolean }): IndicatorPort {
  const led = new Digital({ pin: o.pin, mode: Digital.Output });
  const off: 0 | 1 = o.activeLow ? 1 : 0;
  const on: 0 | 1 = o.activeLow ? 0 : 1;
  return new BlinkIndicator(clock, (lit) => led.write(lit ? on : off));
}
