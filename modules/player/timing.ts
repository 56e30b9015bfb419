// The timing values a player reports in client/state, derived from what this device measurably needs,
// and debounced so that the server only hears about sustained changes.
//
// required_lead_time_ms — from the server sending stream/start (or stream/clear) to the timestamp of the
//   first chunk we can play in full: the chunk's one-way trip (half the largest best round trip of the
//   recent clock-sync bursts), our handling of the message and the sink (re)open (a fixed margin), the
//   scheduler's render horizon (the output blocks it keeps queued), and the sink's own output latency.
// min_buffer_ms — the queued audio that absorbs arrival jitter during playback: the spread of the
//   round trips seen in the recent bursts (largest − smallest, a timed-out probe counting as the
//   timeout) or, when larger, the longest arrival gap that caused an underrun in the last 5 minutes (a
//   stall the probes did not happen to see), plus the render horizon and the sink latency (audio must be in
//   hand that early), plus a margin for the event loop being busy elsewhere.
// Neither includes static_delay_ms (the server adds it).
//
// Debounce (the spec: report only sustained shifts): a value changes when the candidate differs from
// the reported one by more than max(5 ms, 25 %) for 2 consecutive evaluations upwards (an underrun is
// worse than latency) or 5 downwards; evaluations happen once per clock-sync burst (1–10 s apart). The
// new value is the largest candidate seen during the streak.

export interface TimingInputs {
  /** Largest per-burst best round trip, µs. */
  maxBestRttUs: number;
  /** Smallest and largest round trips in the window, µs. */
  minRttUs: number;
  maxRttUs: number;
  /** Longest arrival gap that caused a recent underrun (µs), 0 if none. */
  stallUs: number;
  /** The scheduler's render horizon and the sink's output latency, µs. */
  renderLeadUs: number;
  sinkLatencyUs: number;
}

export interface TimingMargins {
  /** stream/start handling and sink (re)open, µs. */
  startUs: number;
  /** Event-loop stalls (crypto, GC, other connections), µs. */
  stallUs: number;
}

export const DEFAULT_TIMING_MARGINS: Readonly<TimingMargins> = { startUs: 10_000, stallUs: 20_000 };

export function leadTimeMs(i: TimingInputs, m: TimingMargins): number {
  const oneWay = Number.isFinite(i.maxBestRttUs) ? i.maxBestRttUs / 2 : 0;
  return Math.ceil((oneWay + m.startUs + i.renderLeadUs + i.sinkLatencyUs) / 1000);
}

export function minBufferMs(i: TimingInputs, m: TimingMargins): number {
  const spread = Number.isFinite(i.minRttUs) && i.maxRttUs > i.minRttUs ? i.maxRttUs - i.minRttUs : 0;
  const jitter = Math.max(spread, i.stallUs);
  return Math.ceil((jitter + i.renderLeadUs + i.sinkLatencyUs + m.stallUs) / 1000);
}

/** One debounced value. */
export class DebouncedValue {
  private reported = NaN;
  private up = 0;
  private down = 0;
  private streakMax = 0;

  constructor(
    private readonly upEvaluations = 2,
    private readonly downEvaluations = 5,
    private readonly minDelta = 5,
    private readonly minRatio = 0.25,
  ) {}

  get value(): number {
    return this.reported;
  }

  /** Set without debouncing (the initial full state). */
  reset(v: number): void {
    this.reported = v;
    this.up = this.down = 0;
  }

  /** Offer a candidate; returns the new value when it should be reported, undefined otherwise. */
  offer(v: number): number | undefined {
    if (Number.isNaN(this.reported)) {
      this.reset(v);
      return v;
    }
    const r = this.reported;
    const threshold = Math.max(this.minDelta, r * this.minRatio);
    if (v > r + threshold) {
      this.streakMax = this.up === 0 ? v : Math.max(this.streakMax, v);
      this.up++;
      this.down = 0;
      if (this.up >= this.upEvaluations) {
        this.reset(this.streakMax);
        return this.reported;
      }
    } else if (v < r - threshold) {
      this.streakMax = this.down === 0 ? v : Math.max(this.streakMax, v);
      this.down++;
      this.up = 0;
      if (this.down >= this.downEvaluations) {
        this.reset(this.streakMax);
        return this.reported;
      }
    } else {
      this.up = this.down = 0;
    }
    return undefined;
  }
}
