// The Sendspin time filter: a two-dimensional Kalman filter over the offset between the server's clock
// and ours and its drift (rate of change), fed with NTP-style four-timestamp measurements. Written from
// the algorithm described by the Sendspin time-filter reference (docs/theory.md and the Config defaults
// of the reference implementation), not from its code:
//   - state x = [offset, drift], F = [[1, dt], [0, 1]], observation H = [1, 0];
//   - measurement σ = max_error × max_error_scale (max_error is a worst-case bound, not 1σ);
//   - first measurement sets the offset, the second a finite-difference drift, Kalman steps after that;
//   - adaptive forgetting: once `minSamples` measurements have built a baseline, a residual larger than
//     `adaptiveCutoff × max_error` multiplies the covariance by forgetFactor² (recovers from clock jumps);
//   - drift is applied in conversions only while it is statistically significant (drift² > k² P_dd).
//
// Units: microseconds for offsets and times, drift dimensionless (µs per µs). Conversions return exact
// integers: inputs below 2^53 are exact doubles, and the conversion is computed relative to the last
// update so the large absolute timestamps never meet the drift multiplication.

export interface TimeFilterConfig {
  /** Offset random-walk diffusion, µs/√µs. */
  processStdDev: number;
  /** Drift random-walk diffusion, 1/√µs. */
  driftProcessStdDev: number;
  /** Covariance inflation factor (> 1) applied, squared, on an outlier residual after the baseline. */
  forgetFactor: number;
  /** Multiple of max_error above which a residual triggers forgetting. */
  adaptiveCutoff: number;
  /** Measurements before adaptive forgetting is enabled. */
  minSamples: number;
  /** Drift is used in conversions only when |drift| > this × σ_drift. */
  driftSignificance: number;
  /** Scale from max_error (half the round trip) to the measurement standard deviation. */
  maxErrorScale: number;
}

/** The reference's recommended defaults. */
export const DEFAULT_TIME_FILTER_CONFIG: Readonly<TimeFilterConfig> = {
  processStdDev: 0,
  driftProcessStdDev: 1e-11,
  forgetFactor: 2,
  adaptiveCutoff: 3,
  minSamples: 100,
  driftSignificance: 2,
  maxErrorScale: 0.5,
};

export class TimeFilter {
  private readonly qOffset: number;
  private readonly qDrift: number;
  private readonly forget2: number;
  private readonly cutoff: number;
  private readonly minSamples: number;
  private readonly significance2: number;
  private readonly errScale: number;

  private n = 0; // measurements accepted since reset
  private last = 0; // client time of the last accepted measurement (µs)
  private offset = 0;
  private drift = 0;
  private pOO = Infinity; // offset variance
  private pOD = 0; // offset-drift covariance
  private pDD = 0; // drift variance
  private useDrift = false;

  constructor(config: Partial<TimeFilterConfig> = {}) {
    const c = { ...DEFAULT_TIME_FILTER_CONFIG, ...config };
    this.qOffset = c.processStdDev * c.processStdDev;
    this.qDrift = c.driftProcessStdDev * c.driftProcessStdDev;
    this.forget2 = c.forgetFactor * c.forgetFactor;
    this.cutoff = c.adaptiveCutoff;
    this.minSamples = c.minSamples;
    this.significance2 = c.driftSignificance * c.driftSignificance;
    this.errScale = c.maxErrorScale;
  }

  reset(): void {
    this.n = 0;
    this.last = 0;
    this.offset = 0;
    this.drift = 0;
    this.pOO = Infinity;
    this.pOD = 0;
    this.pDD = 0;
    this.useDrift = false;
  }

  /**
   * Feed one measurement: `measurement` = ((T2−T1)+(T3−T4))/2, `maxError` = ((T4−T1)−(T3−T2))/2, both µs,
   * taken at client time `timeAdded`. Out-of-order or duplicate times are ignored (false).
   */
  update(measurement: number, maxError: number, timeAdded: number): boolean {
    if (!(Number.isFinite(measurement) && Number.isFinite(maxError) && Number.isFinite(timeAdded)) || maxError < 0) return false;
    if (this.n > 0 && timeAdded <= this.last) return false;
    const dt = timeAdded - this.last;
    this.last = timeAdded;
    const sigma = maxError * this.errScale;
    const r = sigma * sigma;

    if (this.n === 0) {
      this.n = 1;
      this.offset = measurement;
      this.pOO = r;
      this.drift = 0;
      return true;
    }
    if (this.n === 1) {
      this.n = 2;
      this.drift = (measurement - this.offset) / dt;
      this.offset = measurement;
      this.pDD = (this.pOO + r) / (dt * dt);
      this.pOO = r;
      this.pOD = 0;
      this.useDrift = this.drift * this.drift > this.significance2 * this.pDD;
      return true;
    }

    // Predict.
    const predicted = this.offset + this.drift * dt;
    let pDD = this.pDD + this.qDrift * dt;
    let pOD = this.pOD + this.pDD * dt;
    let pOO = this.pOO + 2 * this.pOD * dt + this.pDD * dt * dt + this.qOffset * dt;

    // Adaptive forgetting once a baseline exists.
    const residual = measurement - predicted;
    if (this.n < this.minSamples) {
      this.n++;
    } else {
      this.n++;
      if (Math.abs(residual) > this.cutoff * maxError) {
        pDD *= this.forget2;
        pOD *= this.forget2;
        pOO *= this.forget2;
      }
    }

    // Update.
    const s = pOO + r;
    const kO = pOO / s;
    const kD = pOD / s;
    this.offset = predicted + kO * residual;
    this.drift += kD * residual;
    this.pDD = pDD - kD * pOD;
    this.pOD = pOD - kD * pOO;
    this.pOO = pOO - kO * pOO;
    this.useDrift = this.drift * this.drift > this.significance2 * this.pDD;
    return true;
  }

  /** Measurements accepted since the last reset. */
  get count(): number {
    return this.n;
  }

  /** Client time of the last measurement (µs). */
  get lastUpdateUs(): number {
    return this.last;
  }

  /** Estimated offset (server − client) at the last update, µs. */
  get offsetUs(): number {
    return this.offset;
  }

  /** Drift applied in conversions (0 while not significant). */
  get effectiveDrift(): number {
    return this.useDrift ? this.drift : 0;
  }

  /** Drift estimate, whether or not significant. */
  get driftEstimate(): number {
    return this.drift;
  }

  /** Standard deviation of the offset estimate at the last update, µs (Infinity before any data). */
  errorUs(): number {
    return Math.sqrt(this.pOO);
  }

  /** Offset variance the filter predicts `dtUs` after the last update (µs²), before any new measurement. */
  predictedVariance(dtUs: number): number {
    if (this.n < 2) return Infinity;
    return this.pOO + 2 * this.pOD * dtUs + this.pDD * dtUs * dtUs + this.qOffset * dtUs;
  }

  /** Covariance terms (diagnostics and cadence planning). */
  covariance(): { oo: number; od: number; dd: number } {
    return { oo: this.pOO, od: this.pOD, dd: this.pDD };
  }

  /** Server time (µs, integer) of client time `clientUs`: client + offset + drift·(client − last). */
  toServer(clientUs: number): number {
    const d = clientUs - this.last;
    return clientUs + Math.round(this.offset + this.effectiveDrift * d);
  }

  /**
   * Client time (µs, integer) at which the server clock reads `serverUs`: the inverse of toServer,
   * client = last + (server − offset − last) / (1 + drift), computed relative to `last` for precision.
   * Allocation-free (called per audio chunk).
   */
  toClient(serverUs: number): number {
    const drift = this.useDrift ? this.drift : 0;
    return this.last + Math.round((serverUs - this.offset - this.last) / (1 + drift));
  }

  /** Same as toClient without rounding (µs, fractional): for the scheduler's sub-microsecond arithmetic. */
  toClientExact(serverUs: number): number {
    const drift = this.useDrift ? this.drift : 0;
    return this.last + (serverUs - this.offset - this.last) / (1 + drift);
  }
}
