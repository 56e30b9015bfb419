// A one-shot deadline re-armed in place: the attempt timeout of both revisions' pairing attempts
// (attempt.ts, current-attempt.ts) and the baseline's bound on a static-PIN wait.

import type { ClockPort, TimerHandle } from "../platform.js";

export class Deadline {
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: ClockPort) {}

  /** (Re)start: `expire` runs once after `ms` unless cleared or re-armed first. */
  arm(ms: number, expire: () => void): void {
    this.clock.clear(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      expire();
    }, ms);
  }

  clear(): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
  }
}
