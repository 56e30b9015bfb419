// Clock synchronization: bursts of client/time → server/time probes feeding the time filter.
//
// The reference's recommended usage: probes are sequential (one in flight: over TCP a delayed probe
// delays the next one anyway, so concurrent probes are not independent), several per burst, and only
// the probe with the smallest round trip (the least queueing, hence the smallest worst-case error) of
// each burst is fed to the filter. A probe whose reply does not come within the timeout is abandoned;
// a late reply to it no longer matches the probe in flight and is ignored.
//
// Cadence. Until the filter has converged, bursts follow each other after a short gap. After that the
// next burst is planned from the filter's own covariance: the offset uncertainty grows between bursts
// (P_oo + 2 P_od Δ + P_dd Δ²), and a measurement moves the estimate by about P/√(P+R) (R: the
// measurement variance of recent bursts); while the drift is not yet significant the conversions leave
// it out, so they also jump by drift × Δ at the next update. The interval is the longest for which
// that expected change stays below `stepTargetUs` (the scheduler's dead band), clamped to
// [minIntervalMs, maxIntervalMs]. "Converged" is the same test over the shortest interval: at least
// `minUpdates` measurements and an expected change of at most `stepTargetUs` by the next burst. A change
// below the dead band is absorbed by the scheduler's soft corrections, far from the ±1 ms floor.

import type { ClockPort, TimerHandle } from "../platform.js";
import type { TimeFilter } from "./time-filter.js";

export interface ClockSyncOptions {
  probesPerBurst: number;
  probeTimeoutMs: number;
  /** Gap between bursts until converged. */
  convergingGapMs: number;
  minIntervalMs: number;
  maxIntervalMs: number;
  /** Expected filter step (µs) that counts as converged and bounds the interval. */
  stepTargetUs: number;
  /** Measurements before convergence can be declared (2 to initialise drift, then Kalman steps). */
  minUpdates: number;
  /** Bursts remembered for the round-trip statistics. */
  rttWindow: number;
}

export const DEFAULT_CLOCK_SYNC_OPTIONS: Readonly<ClockSyncOptions> = {
  probesPerBurst: 8,
  probeTimeoutMs: 1000,
  convergingGapMs: 20,
  minIntervalMs: 500,
  maxIntervalMs: 10_000,
  stepTargetUs: 100,
  minUpdates: 4,
  rttWindow: 8,
};

/** Round-trip statistics of the last bursts (µs), for the timing values the player reports. */
export interface RttStats {
  /** Smallest round trip over the window. */
  minUs: number;
  /** Largest round trip over the window (a timed-out probe counts as the timeout). */
  maxUs: number;
  /** Largest per-burst best round trip over the window. */
  maxBestUs: number;
  /** Bursts in the window. */
  bursts: number;
}

export class ClockSync {
  private readonly o: ClockSyncOptions;
  private running = false;
  private converged = false;
  private timer: TimerHandle | undefined;
  private inFlightT1 = NaN; // client_transmitted of the probe in flight
  private probeIndex = 0; // probes sent in the current burst
  private best = { measurement: 0, maxError: Infinity, at: 0 };
  private burstMinRtt = Infinity;
  private burstMaxRtt = 0;
  /** Smoothed measurement variance of burst winners (µs²). */
  private rEstimate = NaN;
  // Per-burst round-trip history (ring of rttWindow entries).
  private readonly histMin: Float64Array;
  private readonly histMax: Float64Array;
  private histNext = 0;
  private histCount = 0;

  /** Counters (diagnostics, bench). */
  readonly stats = { probes: 0, replies: 0, timeouts: 0, ignored: 0, bursts: 0, updates: 0 };
  /** Local time (µs) at which convergence was first reached, NaN before. */
  convergedAtUs = NaN;

  constructor(
    private readonly clock: ClockPort,
    private readonly filter: TimeFilter,
    private readonly sendProbe: (clientTransmittedUs: number) => void,
    private readonly onConverged: () => void,
    options: Partial<ClockSyncOptions> = {},
    private readonly onBurst?: () => void,
  ) {
    this.o = { ...DEFAULT_CLOCK_SYNC_OPTIONS, ...options };
    this.histMin = new Float64Array(this.o.rttWindow);
    this.histMax = new Float64Array(this.o.rttWindow);
  }

  get synchronized(): boolean {
    return this.converged;
  }

  /** Start (or restart) from an empty filter. */
  start(): void {
    this.stop();
    this.filter.reset();
    this.converged = false;
    this.convergedAtUs = NaN;
    this.rEstimate = NaN;
    this.histNext = this.histCount = 0;
    this.running = true;
    this.beginBurst();
  }

  stop(): void {
    this.running = false;
    this.clock.clear(this.timer);
    this.timer = undefined;
    this.inFlightT1 = NaN;
  }

  /** A validated server/time. Replies that do not match the probe in flight are ignored. */
  onServerTime(t1: number, t2: number, t3: number): void {
    if (!this.running || t1 !== this.inFlightT1) {
      this.stats.ignored++;
      return;
    }
    const t4 = this.clock.nowUs();
    this.clock.clear(this.timer);
    this.timer = undefined;
    this.inFlightT1 = NaN;
    const rtt = t4 - t1 - (t3 - t2);
    if (t4 >= t1 && t3 >= t2 && rtt >= 0) {
      this.stats.replies++;
      const maxError = rtt / 2;
      if (rtt < this.burstMinRtt) this.burstMinRtt = rtt;
      if (rtt > this.burstMaxRtt) this.burstMaxRtt = rtt;
      if (maxError < this.best.maxError) {
        this.best.measurement = (t2 - t1 + (t3 - t4)) / 2;
        this.best.maxError = maxError;
        // The offset measured is the one at the middle of the exchange.
        this.best.at = Math.floor((t1 + t4) / 2);
      }
    } else {
      this.stats.ignored++; // inconsistent timestamps (server processing longer than the round trip)
    }
    this.nextProbe();
  }

  /** Round-trip statistics over the last bursts. */
  rttStats(): RttStats {
    let min = Infinity, max = 0, maxBest = 0;
    for (let i = 0; i < this.histCount; i++) {
      if (this.histMin[i] < min) min = this.histMin[i];
      if (this.histMin[i] > maxBest) maxBest = this.histMin[i];
      if (this.histMax[i] > max) max = this.histMax[i];
    }
    return { minUs: min, maxUs: max, maxBestUs: maxBest, bursts: this.histCount };
  }

  /**
   * The expected change (µs) of the filter's conversions at a burst `dtUs` after its last update: the
   * Kalman step P/√(P+R), plus the drift the conversions leave out while it is not significant (the
   * reference applies drift only once it is; the estimate itself still includes it, so the next update
   * moves the offset by that drift × dt).
   */
  expectedStepUs(dtUs: number): number {
    const p = this.filter.predictedVariance(dtUs);
    const r = Number.isNaN(this.rEstimate) ? 0 : this.rEstimate;
    const ignored = this.filter.effectiveDrift === 0 ? Math.abs(this.filter.driftEstimate) * dtUs : 0;
    return p / Math.sqrt(p + r) + ignored;
  }

  private beginBurst(): void {
    this.probeIndex = 0;
    this.best.maxError = Infinity;
    this.burstMinRtt = Infinity;
    this.burstMaxRtt = 0;
    this.nextProbe();
  }

  private nextProbe(): void {
    if (!this.running) return;
    if (this.probeIndex >= this.o.probesPerBurst) {
      this.endBurst();
      return;
    }
    this.probeIndex++;
    this.stats.probes++;
    const t1 = this.clock.nowUs();
    this.inFlightT1 = t1;
    this.timer = this.clock.setTimeout(() => this.onTimeout(), this.o.probeTimeoutMs);
    this.sendProbe(t1);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (!this.running) return;
    this.stats.timeouts++;
    this.inFlightT1 = NaN;
    const lost = this.o.probeTimeoutMs * 1000;
    if (lost > this.burstMaxRtt) this.burstMaxRtt = lost;
    this.nextProbe();
  }

  private endBurst(): void {
    this.stats.bursts++;
    if (this.best.maxError !== Infinity) {
      if (this.filter.update(this.best.measurement, this.best.maxError, this.best.at)) this.stats.updates++;
      const sigma = this.best.maxError * 0.5;
      const r = sigma * sigma;
      // Smooth the measurement variance so one lucky burst does not shorten the plan too much.
      this.rEstimate = Number.isNaN(this.rEstimate) ? r : this.rEstimate + (r - this.rEstimate) / 8;
      const i = this.histNext;
      this.histMin[i] = this.burstMinRtt;
      this.histMax[i] = this.burstMaxRtt;
      this.histNext = (i + 1) % this.histMin.length;
      if (this.histCount < this.histMin.length) this.histCount++;
    }
    let gapMs = this.o.convergingGapMs;
    let justConverged = false;
    const since = this.clock.nowUs() - this.filter.lastUpdateUs;
    if (!this.converged && this.filter.count >= this.o.minUpdates && this.expectedStepUs(since + this.o.minIntervalMs * 1000) <= this.o.stepTargetUs) {
      this.converged = justConverged = true;
      this.convergedAtUs = this.clock.nowUs();
    }
    if (this.converged) gapMs = this.plannedIntervalMs();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.beginBurst();
    }, gapMs);
    this.onBurst?.();
    if (justConverged && this.running) this.onConverged();
  }

  /** Longest interval (ms) from now, in 100 ms steps, over which the expected step stays within the target. */
  private plannedIntervalMs(): number {
    const since = this.clock.nowUs() - this.filter.lastUpdateUs;
    let ms = this.o.minIntervalMs;
    for (let t = this.o.minIntervalMs + 100; t <= this.o.maxIntervalMs; t += 100) {
      if (this.expectedStepUs(since + t * 1000) > this.o.stepTargetUs) break;
      ms = t;
    }
    return ms;
  }
}
