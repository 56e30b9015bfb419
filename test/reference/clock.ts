// The reference server's own monotonic microsecond clock (the "server time domain" of server/time,
// stream/start and audio timestamps). Independent of the speaker's clock; tests inject an offset and a
// drift to exercise clock synchronization.

export interface ServerClockOptions {
  /** Added to every reading, µs (may be negative; readings stay integers). */
  offsetUs?: number;
  /** Rate error in parts per million: +100 runs 100 µs per second fast. */
  driftPpm?: number;
}

export class ServerClock {
  private baseHr: bigint;
  private baseUs: number;
  private drift: number;

  constructor(o: ServerClockOptions = {}) {
    this.baseHr = process.hrtime.bigint();
    // Start far from 0 so that no test confuses server time with the speaker's local time by accident.
    this.baseUs = 5_000_000_000 + (o.offsetUs ?? 0);
    this.drift = o.driftPpm ?? 0;
  }

  /** Server time now, integer µs. */
  nowUs(): number {
    const elapsedUs = Number(process.hrtime.bigint() - this.baseHr) / 1000;
    return Math.round(this.baseUs + elapsedUs * (1 + this.drift / 1e6));
  }

  /**
   * Server time (µs, fractional) at the host CLOCK_MONOTONIC instant `hostUs` (process.hrtime.bigint()
   * / 1000n in any process of this host), at the current drift (a step or a drift change since moves it).
   */
  atHostUs(hostUs: number): number {
    const elapsedUs = hostUs - Number(this.baseHr) / 1000;
    return this.baseUs + elapsedUs * (1 + this.drift / 1e6);
  }

  /** Jump the clock by `deltaUs` (a step, as after an NTP correction on a real server). */
  step(deltaUs: number): void {
    this.rebase();
    this.baseUs += deltaUs;
  }

  /** Change the rate from now on (continuous: no step). */
  setDriftPpm(ppm: number): void {
    this.rebase();
    this.drift = ppm;
  }

  get driftPpm(): number {
    return this.drift;
  }

  /** Real milliseconds until server time reaches `us` (≤ 0 when it has). */
  msUntil(us: number): number {
    return (us - this.nowUs()) / 1000 / (1 + this.drift / 1e6);
  }

  private rebase(): void {
    const now = this.nowUs();
    this.baseHr = process.hrtime.bigint();
    this.baseUs = now;
  }
}
