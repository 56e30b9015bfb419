// The clock port on Node: monotonic µs from process.hrtime, timers from the event loop. The simulator
// keeps every live timer so that `reboot` can cancel them all (RAM state is lost on a reboot).
//
// A simulated crystal (--clock-ppm N): the speaker's clock runs N ppm fast (negative: slow) against the
// host's CLOCK_MONOTONIC, for everything the speaker times (clock sync, scheduling, the audio sink's DAC).
// local = EPOCH + (host − EPOCH) × (1 + N·10⁻⁶), EPOCH being the host time this module loaded, so every
// SimClock of the process with the same N reads the same time; hostUsOf() maps a local time back.

import type { ClockPort, LogPort, TimerHandle } from "../modules/platform.js";

const EPOCH_US = Number(process.hrtime.bigint() / 1000n);

interface NodeTimerHandle extends TimerHandle {
  readonly _timer: NodeJS.Timeout;
  repeat: boolean;
}

export class SimClock implements ClockPort {
  private readonly live = new Set<NodeTimerHandle>();
  private readonly log: LogPort | undefined;
  /** Local µs per host µs. */
  readonly rate: number;

  constructor(log?: LogPort, readonly ppm = 0) {
    this.log = log;
    this.rate = 1 + ppm * 1e-6;
  }

  /** The host's CLOCK_MONOTONIC in µs (what process.hrtime.bigint() / 1000n reads in any process). */
  static hostUs(): number {
    return Number(process.hrtime.bigint() / 1000n);
  }

  nowUs(): number {
    const host = SimClock.hostUs();
    return this.ppm === 0 ? host : Math.floor(EPOCH_US + (host - EPOCH_US) * this.rate);
  }

  /** Host µs (fractional) at which this clock reads `localUs`. */
  hostUsOf(localUs: number): number {
    return this.ppm === 0 ? localUs : EPOCH_US + (localUs - EPOCH_US) / this.rate;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const h: NodeTimerHandle = {
      _timer: setTimeout(() => {
        this.live.delete(h);
        this.run(cb);
      }, Math.max(0, ms / this.rate)),
      repeat: false,
    };
    this.live.add(h);
    return h;
  }

  setInterval(cb: () => void, ms: number): TimerHandle {
    const h: NodeTimerHandle = { _timer: setInterval(() => this.run(cb), Math.max(1, ms / this.rate)), repeat: true };
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
