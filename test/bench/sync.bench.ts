// Sync benchmark (issue 5 §7): a real Player against a simulated server, network and drifting clocks.
// Prints, per scenario: time to synchronized, |play time − filter-predicted time| in steady state
// (p50, p99, max), the largest 150 ms sliding-average speed deviation, snaps (as the pipeline reports
// them and as seen at the sink), underruns, and soft corrections right after the start.

import type { Bench, BenchContext } from "./context.js";
import { PlaybackSim, type PlaybackSimOptions } from "../support/playback-sim.js";
import { SyncMeter } from "../support/sync-meter.js";

interface Scenario {
  name: string;
  seconds: number;
  sim: Partial<PlaybackSimOptions>;
}

export const SCENARIOS: Scenario[] = [
  { name: "LAN, clock +100 ppm, jitter 0-2 ms, buffered", seconds: 60, sim: { seed: 11, driftPpm: 100, jitterUs: 2000, sendAheadMs: 2000, bufferCapacity: 524_288 } },
  { name: "Wi-Fi, clock -100 ppm, jitter 0-20 ms, 300 ms stalls every 15 s, buffered 1 s", seconds: 90, sim: { seed: 12, driftPpm: -100, jitterUs: 20_000, stallEveryMs: 15_000, stallMs: 300, sendAheadMs: 1000 } },
  { name: "clock +100 ppm, DAC +50 ppm, jitter 0-20 ms, 500 ms server bursts", seconds: 90, sim: { seed: 13, driftPpm: 100, dacPpm: 50, jitterUs: 20_000, sendAheadMs: 3000, sendPeriodMs: 500, bufferCapacity: 1_048_576 } },
  { name: "live source, clock -100 ppm, jitter 0-5 ms, 300 ms stalls every 20 s", seconds: 90, sim: { seed: 14, driftPpm: -100, jitterUs: 5000, stallEveryMs: 20_000, stallMs: 300, sendAheadMs: 0 } },
];

export function runScenario(s: Scenario): Record<string, string | number> {
  const sim = new PlaybackSim({ ...s.sim, autoStartMs: 0 });
  const meter = new SyncMeter(sim);
  sim.start();
  sim.runMs(s.seconds * 1000);
  const r = meter.report();
  const st = sim.player.scheduler.stats;
  const sync = sim.player.clockSync;
  const startUs = 1_000_000;
  return {
    "time to synchronized (s)": ((sync.convergedAtUs - startUs) / 1e6).toFixed(2),
    "first frame played at (s)": ((r.firstFrameUs - startUs) / 1e6).toFixed(2),
    "error p50 (µs)": r.p50Us.toFixed(1),
    "error p99 (µs)": r.p99Us.toFixed(1),
    "error max (µs)": r.maxUs.toFixed(1),
    "measured frames / > 0.5 ms / > 1 ms": `${r.samples} / ${r.over500us} / ${r.over1ms}`,
    "max 150 ms speed deviation (%)": (r.maxSpeedDeviation * 100).toFixed(3),
    "soft corrections (drop/dup frames)": `${st.softDrops}/${st.softDups}`,
    "soft corrections in first 500 ms": r.softInFirst500ms,
    "first soft correction after start (ms)": Number.isNaN(r.firstSoftUs) ? "none" : ((r.firstSoftUs - r.firstFrameUs) / 1000).toFixed(0),
    "snaps start/clear/underrun/format/error": `${st.snapsStart}/${st.snapsClear}/${st.snapsUnderrun}/${st.snapsFormat}/${st.snapsError}`,
    "discontinuities at sink: soft / snap": `${r.softEvents} / ${r.snapEvents}`,
    "underruns": st.underruns,
    "late chunks dropped (arrival/render)": `${sim.player.counters.rejected.late}/${st.lateChunks}`,
    "chunks sent / accepted / rejected": `${sim.chunksSent} / ${sim.chunksAccepted} / ${sim.chunksRejected}`,
    "clock-sync bursts / probes / timeouts": `${sync.stats.bursts} / ${sync.stats.probes} / ${sync.stats.timeouts}`,
    "reported lead / min buffer (ms)": `${sim.reportedLeadMs} / ${sim.reportedBufferMs}`,
    "garbled frames": r.garbled,
  };
}

const bench: Bench = (ctx: BenchContext) => {
  for (const s of SCENARIOS) {
    const t0 = ctx.now();
    const rows = runScenario(s);
    const table = `sync: ${s.name} (${s.seconds} s)`;
    for (const [k, v] of Object.entries(rows)) ctx.record(table, k, ctx.engine, v);
    ctx.record(table, "simulation wall time (s)", ctx.engine, ((ctx.now() - t0) / 1000).toFixed(1));
  }
};

export default bench;
