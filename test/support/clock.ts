// A manual clock for tests: time moves only when the test advances it, timers fire in order.

import type { ClockPort, TimerHandle } from "../../modules/platform.js";

interface Pending extends TimerHandle {
  at: number; // µs
  every: number; // µs, 0 = one-shot
  cb: () => void;
  live: boolean;
  seq: number;
}

export class ManualClock implements ClockPort {
  private now = 0;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(startUs = 1_000_000) {
    this.now = startUs;
  }

  nowUs(): number {
    return this.now;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    return this.add(cb, ms, false);
  }

  setInterval(cb: () => void, ms: number): TimerHandle {
    return this.add(cb, ms, true);
  }

  clear(t: TimerHandle | undefined): void {
    if (t) (t as Pending).live = false;
  }

  /** Number of live timers (tests check that nothing leaks). */
  pendingTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** Advance by `ms` milliseconds, firing every timer due on the way, in time order. */
  advanceMs(ms: number): void {
    this.advanceUs(Math.round(ms * 1000));
  }

  advanceUs(us: number): void {
    const end = this.now + us;
    for (;;) {
      let next: Pending | undefined;
      for (const t of this.timers) if (t.live && t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.now = Math.max(this.now, next.at);
      if (next.every > 0) next.at += next.every;
      else next.live = false;
      next.cb();
      this.timers = this.timers.filter((t) => t.live);
    }
    this.now = end;
  }

  private add(cb: () => void, ms: number, repeat: boolean): TimerHandle {
    const us = Math.max(0, Math.round(ms * 1000));
    const t: Pending = { _timer: null, at: this.now + us, every: repeat ? Math.max(1, us) : 0, cb, live: true, seq: this.seq++ };
    // cleared timers are dropped lazily; compact here too, so a long run that never advances stays small
    if (this.timers.length >= 256) this.timers = this.timers.filter((x) => x.live);
    this.timers.push(t);
    return t;
  }
}
