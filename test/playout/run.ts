// npm run bench:playout — the simulator's output measured from outside, as a listener would: simulator
// processes (the `npm start` binary) stream a chirp + noise signal from the reference server on
// loopback, and their WAV files and audio_out events are compared sample by sample with what was sent
// and timed against the server's clock. Three parts (any can be picked by name):
//   stalls  the simulator process is stopped (SIGSTOP … SIGCONT) for growing durations while it plays:
//           the largest stall it survives without a discontinuity;
//   load    a 60 s stream while two busy processes compete for the CPU cores: frames lost per minute;
//   group   two simulators, --clock-ppm 100 and -100, one server streaming the same 60 s to both with
//           0–20 ms of send jitter: each one's output error against the server timestamps and the skew
//           between the two, p50 / p99 / max per second of stream.
//   node build/test/playout/run.js [stalls|load|group]... [--seconds N]
// Figures depend on what else runs on the machine: the output says what ran.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ReferenceServer, pairingPskFromToken, pairWithPairingPsk, type AudioSender, type ServerConnection } from "../reference/index.js";
import { DESKTOP_OUTPUT_MS } from "../../sim/audio.js";
import { chirpNoise, describeEvents } from "../support/signal-check.js";
import { SimProcess as Sim, simReady } from "../support/sim-process.js";
import { frameTimestamps, percentile, readSimOutput, sortedAbs, timeOutput, type SimOutput, type Timed } from "../support/sim-output.js";

const RATE = 48000;
const FORMAT = { sample_rate: RATE, channels: 2, bit_depth: 16 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const hostUs = () => Number(process.hrtime.bigint() / 1000n);

interface Speaker {
  sim: Sim;
  dir: string;
  wav: string;
  conn: ServerConnection;
}

/** A simulator process, paired with `server` and activated for playback. */
async function speaker(server: ReferenceServer, args: string[] = []): Promise<Speaker> {
  const dir = mkdtempSync(join(tmpdir(), "sendspin-playout-"));
  const wav = join(dir, "out.wav");
  const sim = new Sim(dir, ["--audio", wav, ...args]);
  const r = await simReady(sim);
  const p = await server.connect(r.url, { psk: pairingPskFromToken(r.token), hello: true });
  await pairWithPairingPsk(p);
  p.close();
  const conn = await server.connect(r.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
  await conn.until(() => conn.clientState?.state === "synchronized", { timeoutMs: 20_000, what: "synchronized" });
  return { sim, dir, wav, conn };
}

async function finish(s: Speaker): Promise<SimOutput> {
  s.conn.close();
  await s.sim.quit();
  const out = readSimOutput(s.wav, s.sim.events);
  rmSync(s.dir, { recursive: true, force: true });
  return out;
}

function conditions(): string {
  return `${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(" / ")} (other work on this machine included)`;
}

function table(title: string, head: string[], rows: (string | number)[][]): void {
  const cells = rows.map((r) => r.map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => "| " + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(" | ") + " |";
  console.log(`\n## ${title}\n`);
  console.log(line(head));
  console.log("|" + w.map((x, i) => "-".repeat(x + 1) + (i === 0 ? "-" : ":")).join("|") + "|");
  for (const r of cells) console.log(line(r));
}

/** Host µs of output frame `n` (the audio_out anchors). */
function hostOf(out: SimOutput, n: number): number {
  let a = out.anchors[0];
  for (const x of out.anchors) if (x.wav_frame <= n) a = x;
  return a.host_us + ((n - a.wav_frame) * 1e6) / a.sample_rate;
}

// ---- stalls ------------------------------------------------------------------------------------------

async function stalls(): Promise<void> {
  const q = DESKTOP_OUTPUT_MS;
  const durations = [20, 50, 100, 200, q - 100, q - 60, q - 40, q - 20, q + 20, q + 100];
  const gapMs = 2500;
  const seconds = Math.ceil((3000 + durations.length * gapMs + 2000) / 1000);
  const server = new ReferenceServer({ name: "Playout bench" });
  const s = await speaker(server);
  const signal = chirpNoise(seconds * RATE, RATE, 2, 4242);
  // Sent 1 s ahead: the jitter buffer holds more than any stall; what a stall tests is the output's queue.
  const sender = s.conn.playPcm({ pcm: signal, format: FORMAT, chunkMs: 20, sendAheadMs: 1000 });
  await sleep(1000 + 3000);
  const windows: { ms: number; fromUs: number; toUs: number }[] = [];
  for (const ms of durations) {
    const from = hostUs();
    s.sim.child.kill("SIGSTOP");
    await sleep(ms);
    s.sim.child.kill("SIGCONT");
    windows.push({ ms, fromUs: from, toUs: from + ms * 1000 + (gapMs - 200) * 1000 });
    await sleep(gapMs);
  }
  await sender.done;
  await sleep(1500);
  const out = await finish(s);
  const t = timeOutput(out, signal, frameTimestamps(sender.sent, RATE), server.clock);
  const rows: (string | number)[][] = [];
  let survived = 0, broken = false;
  for (const w of windows) {
    const ev = t.check.events.filter((e) => {
      const h = hostOf(out, e.at);
      return h >= w.fromUs && h < w.toUs;
    });
    // One-frame corrections are the time filter's (its probes are disturbed by the stall too), not the output's.
    const soft = ev.filter((e) => (e.kind === "skip" || e.kind === "repeat") && e.frames === 1);
    const hard = ev.filter((e) => !soft.includes(e));
    const lost = hard.filter((e) => e.kind === "skip").reduce((n, e) => n + e.frames, 0);
    const zeros = hard.filter((e) => e.kind === "silence").reduce((n, e) => n + e.frames, 0);
    if (hard.length === 0 && !broken) survived = w.ms;
    if (hard.length > 0) broken = true;
    rows.push([`${w.ms} ms`, hard.length === 0 ? "none" : hard.map((e) => `${e.kind} ${e.frames}`).join(", "), lost, zeros, soft.length]);
  }
  table(`playout: process stalls (SIGSTOP) during a stream, Node simulator, ${DESC_QUEUE}`, ["stall", "discontinuities after it", "frames skipped", "zeros inserted", "one-frame corrections"], rows);
  console.log(`\nlargest stall survived without a discontinuity: ${survived} ms; whole stream: ${t.check.signalFrames} frames played, ${describeEvents(t.check) || "no discontinuity"}`);
  console.log(`conditions: ${conditions()}`);
}

const DESC_QUEUE = `output queue ${DESKTOP_OUTPUT_MS} ms (sim/audio.ts DESKTOP_OUTPUT_MS)`;

// ---- load --------------------------------------------------------------------------------------------

async function load(seconds: number): Promise<void> {
  const server = new ReferenceServer({ name: "Playout bench" });
  const s = await speaker(server);
  const hogs: ChildProcess[] = [];
  for (let i = 0; i < 2; i++) hogs.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  try {
    const signal = chirpNoise(seconds * RATE, RATE, 2, 777);
    const sender = s.conn.playPcm({ pcm: signal, format: FORMAT, chunkMs: 20 });
    const stats = await sender.done;
    await sleep(stats.sendAheadMs + 1000);
    const out = await finish(s);
    const t = timeOutput(out, signal, frameTimestamps(sender.sent, RATE), server.clock);
    const k = t.check;
    // Lost: frames of the signal that never played, other than the time filter's one-frame corrections
    // (those are counted apart: with clocks that do not drift they are its noise, drops and repeats alike).
    const oneDrops = k.events.filter((e) => e.kind === "skip" && e.frames === 1).length;
    const lost = k.skipped - oneDrops + (signal.length / 4 - 1 - k.lastIndex) + k.firstIndex;
    const abs = sortedAbs(t.errorUs);
    table(`playout: ${seconds} s stream with two busy processes competing for the cores, Node simulator, ${DESC_QUEUE}`, ["", "value"], [
      ["frames sent", signal.length / 4],
      ["frames played", k.signalFrames],
      ["frames lost (skipped, underruns; not one-frame corrections)", lost],
      ["frames lost per minute", ((lost * 60) / seconds).toFixed(1)],
      ["one-frame corrections (drop / repeat)", `${oneDrops} / ${k.events.filter((e) => e.kind === "repeat" && e.frames === 1).length}`],
      ["zeros inserted mid-stream", k.silenceInserted],
      ["discontinuities", describeEvents(k, 6) || "none"],
      ["|play time − timestamp| p50 / p99 / max (µs)", `${percentile(abs, 0.5).toFixed(0)} / ${percentile(abs, 0.99).toFixed(0)} / ${abs[abs.length - 1].toFixed(0)}`],
      ["send-ahead (ms, from the speaker's client/state)", stats.sendAheadMs],
      ["the server's own lateness sending a chunk, max (ms)", Math.max(...sender.sent.map((c) => (c.sentAtUs - c.timestampUs) / 1000 + stats.sendAheadMs)).toFixed(1)],
    ]);
    console.log(`conditions: ${conditions()}; 2 busy loops (node -e "for(;;){}") for the whole stream`);
  } finally {
    for (const h of hogs) h.kill("SIGKILL");
  }
}

// ---- group sync --------------------------------------------------------------------------------------

async function group(seconds: number): Promise<void> {
  const server = new ReferenceServer({ name: "Group bench" });
  const a = await speaker(server, ["--clock-ppm", "100"]);
  const b = await speaker(server, ["--clock-ppm", "-100"]);
  const signal = chirpNoise(seconds * RATE, RATE, 2, 9090);
  const sendAheadMs = 500;
  const startAtUs = server.clock.nowUs() + sendAheadMs * 1000 + 200_000;
  const send = (s: Speaker, seed: number): AudioSender => s.conn.playPcm({ pcm: signal, format: FORMAT, chunkMs: 20, sendAheadMs, startAtUs, sendJitterMs: 20, jitterSeed: seed });
  const sa = send(a, 1), sb = send(b, 2);
  await Promise.all([sa.done, sb.done]);
  await sleep(sendAheadMs + 1500);
  const outA = await finish(a), outB = await finish(b);
  const ta = timeOutput(outA, signal, frameTimestamps(sa.sent, RATE), server.clock);
  const tb = timeOutput(outB, signal, frameTimestamps(sb.sent, RATE), server.clock);
  // Per signal frame: error of each and the skew between them.
  const n = signal.length / 4;
  const errA = byIndex(ta, n), errB = byIndex(tb, n);
  const rows: (string | number)[][] = [];
  const all = { a: [] as number[], b: [] as number[], s: [] as number[] };
  const stat = (v: number[]) => {
    const s = sortedAbs(v);
    return `${percentile(s, 0.5).toFixed(0)} / ${percentile(s, 0.99).toFixed(0)} / ${s.length ? s[s.length - 1].toFixed(0) : "-"}`;
  };
  for (let sec = 0; sec < seconds; sec++) {
    const va: number[] = [], vb: number[] = [], vs: number[] = [];
    for (let i = sec * RATE; i < (sec + 1) * RATE && i < n; i++) {
      if (errA[i] === errA[i]) va.push(errA[i]);
      if (errB[i] === errB[i]) vb.push(errB[i]);
      if (errA[i] === errA[i] && errB[i] === errB[i]) vs.push(errA[i] - errB[i]);
    }
    all.a.push(...va);
    all.b.push(...vb);
    all.s.push(...vs);
    rows.push([String(sec), stat(va), stat(vb), stat(vs)]);
  }
  rows.push(["all", stat(all.a), stat(all.b), stat(all.s)]);
  table(`group sync: two Node simulators (--clock-ppm +100 / -100), one server, 0–20 ms send jitter, ${seconds} s: |error| p50 / p99 / max in µs per second of stream`, ["second", "A (+100 ppm) vs timestamps", "B (-100 ppm) vs timestamps", "A − B skew"], rows);
  for (const [name, t] of [["A", ta], ["B", tb]] as const) {
    const k = t.check;
    console.log(`${name}: ${k.signalFrames} frames played, first ${k.firstIndex}, last ${k.lastIndex}; one-frame corrections drop/repeat ${k.events.filter((e) => e.kind === "skip" && e.frames === 1).length}/${k.events.filter((e) => e.kind === "repeat" && e.frames === 1).length}; other discontinuities: ${describeEvents({ ...k, events: k.events.filter((e) => e.frames > 1 || e.kind === "silence" || e.kind === "foreign") }) || "none"}`);
  }
  console.log(`conditions: ${conditions()}`);
}

/** Error (µs) of each signal frame's first play, by signal index (NaN: not played). */
function byIndex(t: Timed, n: number): Float64Array {
  const e = new Float64Array(n).fill(NaN);
  for (let o = 0; o < t.check.indexOf.length; o++) {
    const i = t.check.indexOf[o];
    if (i >= 0 && e[i] !== e[i]) e[i] = t.errorUs[o];
  }
  return e;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const si = args.indexOf("--seconds");
  const seconds = si >= 0 ? Number(args[si + 1]) : 60;
  const parts = args.filter((a, i) => !a.startsWith("--") && (si < 0 || i !== si + 1));
  const want = (p: string) => parts.length === 0 || parts.includes(p);
  if (want("stalls")) await stalls();
  if (want("load")) await load(seconds);
  if (want("group")) await group(seconds);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
