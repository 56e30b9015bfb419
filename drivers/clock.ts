// The clock port on Moddable: monotonic µs and the `timer` module. The µs clock is Time.microseconds
// where the build has it (esp32: esp_timer_get_time()); Moddable's desktop simulator cannot build that
// module, so there the native monotonic clock is used (Time.ticks on lin follows the wall clock).
// Timer callbacks run inside try/catch: an exception is logged, it never reaches the host.

import Time from "time";
import Timer from "timer";
import type { ClockPort, LogPort, TimerHandle } from "../modules/platform.js";
import { monotonicMicroseconds } from "./native.js";

interface ModdableTimerHandle extends TimerHandle {
  readonly _timer: Timer;
}

export function createClock(log: LogPort): ClockPort {
  const nowUs: () => number = "microseconds" in Time ? () => Time.microseconds as number : monotonicMicroseconds;
  const guard = (cb: () => void) => () => {
    try {
      cb();
    } catch (e) {
      log.log("error", `timer callback: ${String(e)}`);
    }
  };
  return {
    nowUs,
    setTimeout(cb: () => void, ms: number): TimerHandle {
      const h: ModdableTimerHandle = { _timer: Timer.set(guard(cb), ms > 0 ? ms : 0) };
      return h;
    },
    setInterval(cb: () => void, ms: number): TimerHandle {
      const every = ms >= 1 ? ms : 1;
      const h: ModdableTimerHandle = { _timer: Timer.repeat(guard(cb), every) };
      return h;
    },
    clear(t: TimerHandle | undefined): void {
      if (t) Timer.clear((t as ModdableTimerHandle)._timer);
    },
  };
}
