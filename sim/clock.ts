// The clock port on Node: monotonic µs from process.hrtime, timers from the event loop. The simulator
// keeps every live timer so that `reboot` can cancel them all (RAM state is lost on a reboot).

import type { ClockPort, LogPort, TimerHandle } from "../modules/platform.js";

interface NodeTimerHandle extends TimerHandle {
  readonly _timer: NodeJS.Timeout;
  repeat: boolean;
}

export class SimClock implements ClockPort {
  private readonly live = new Set<NodeTimerHandle>();
  private readonly log: LogPort | undefined;

  constructor(log?: LogPort) {
    this.log = log;
  }

  nowUs(): number {
    return Number(process.hrtime.bigint() / 1000n);
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const h: NodeTimerHandle = {
      _timer: setTimeout(() => {
        this.live.delete(h);
        this.run(cb);
      }, Math.max(0, ms)),
      repeat: false,
    };
    this.live.add(h);
    return h;
  }

  setInterval(cb: () => void, ms: number): TimerHandle {
    const h: NodeTimerHandle = { _timer: setInterval(() => this.run(cb), Math.max(1, ms)), repeat: true };
    this.live.add(h);
    return h;
  }

  clear(t: TimerHandle | undefined): void {
    if (!t) return;
    const h = t as NodeTimerHandle;
    if (h.repeat) clearInterval(h._timer);
    else clearTimeout(h._timer);
    this.live.delete(h);
  }

  /** Cancel every timer (reboot). */
  clearAll(): void {
    for (const h of [...this.live]) this.clear(h);
  }

  pending(): number {
    return this.live.size;
  }

  private run(cb: () => void): void {
    try {
      cb();
    } catch (e) {
      this.log?.log("error", `timer callback: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
}
