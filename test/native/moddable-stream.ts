// An extra check, outside `npm test` (it needs a Moddable SDK): the speaker built as the ESP32 no-PSRAM profile for
// Moddable's Linux simulator (test/native/moddable-device/manifest.json: fixed heaps, preload, native crypto
// backend), run headless in mcsim, paired and fed a stream by the reference server over 127.0.0.1, and what came
// out counted frame by frame against what was sent (a signal whose every frame names itself).
//
//   MODDABLE=/path/to/moddable node build/test/native/moddable-stream.js [options]
// No sound device (an asoundrc in a scratch HOME names a card that does not exist): the sink plays by the clock,
// and what it plays is read from the simulator's PCM tap (SENDSPIN_PCM_TAP). (ALSA's `null` device, under the
// `file` plugin, is no substitute for a sound card: it takes frames as fast as they come, ~900× real time.)
//     --seconds N        stream length (default 20)
//     --stalls a,b,...   stop the simulator (SIGSTOP: its JavaScript, sockets and timers; the host clock runs on)
//                        for a ms, b ms, ... during the stream, 2 s apart, and report for each whether the
//                        output has a discontinuity after it, and the largest stall survived
//     --nice N           run the simulator at niceness N (e.g. -10, as root: on a busy host, keeps other processes
//                        from stalling it beyond what the device profile survives)
//     --no-build         reuse the last build
// Needs: $MODDABLE with its lin tools built, Debian's libmbedtls-dev, xvfb-run. docs/moddable-checks.md.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../xs/engine.js";
import { AudioSender, ReferenceServer, pairWithPairingPsk, pairingPskFromToken } from "../reference/index.js";
import { countOutput, frameIdSignal, type OutputCount } from "../support/frame-id-signal.js";
import { Mcsim, buildDeviceProfile, deviceProfileSo, mcsimScratch, moddableTools } from "./mcsim.js";

const RATE = 48000;
/** The reference server's default chunk: 20 ms. */
const CHUNK_FRAMES = 960;

interface Options {
  seconds: number;
  stalls: number[];
  build: boolean;
  port: number;
  nice: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 20, stalls: [], build: true, port: 18928 + (process.pid % 1000), nice: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--seconds") o.seconds = Number(argv[++i]);
    else if (a === "--stalls") o.stalls = argv[++i].split(",").map(Number);
    else if (a === "--no-build") o.build = false;
    else if (a === "--nice") o.nice = Number(argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  if (!(o.seconds > 0) || o.stalls.some((s) => !(s > 0)) || !Number.isInteger(o.nice)) throw new Error("bad --seconds, --stalls or --nice");
  return o;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const tools = moddableTools();
  if (!tools) {
    console.log("# moddable stream check skipped: set MODDABLE to a Moddable SDK with its lin tools built");
    return 0;
  }
  const o = parseArgs(process.argv.slice(2));
  const out = join(projectRoot, "build", "native", "moddable-device");
  const so = deviceProfileSo(out);
  if (o.build && !buildDeviceProfile(tools, out, [`port=${o.port}`])) {
    console.log("not ok the Moddable build failed");
    return 1;
  }
  const run = join(out, "run");
  const captured = join(run, "tap.raw");
  const simEnv = mcsimScratch(tools, run, { SENDSPIN_PCM_TAP: captured });
  const sim = new Mcsim(so, run, simEnv, o.nice);
  let server: ReferenceServer | undefined;
  try {
    const listening = await sim.waitFor(/listening on (\d+)(\/\S*) as/, 30_000); // the port built in
    const ready = await sim.waitFor(/ready: client_id \S+, pairing token (\S+),/, 30_000);
    const url = `ws://127.0.0.1:${listening[1]}${listening[2]}`;
    server = new ReferenceServer({ name: "Moddable stream check" });
    const p = await server.connect(url, { psk: pairingPskFromToken(ready[1]), hello: true });
    await pairWithPairingPsk(p);
    p.close();
    const c = await server.connect(url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    const frames = Math.round(o.seconds * RATE);
    const sender = new AudioSender(c, { pcm: frameIdSignal(frames), format: { sample_rate: RATE, channels: 2, bit_depth: 16 } });
    const stalls: Stall[] = [];
    const stalling = stallPlan(o.stalls, sim, () => sender.sent.length, stalls);
    const stats = await sender.done;
    await stalling;
    // Let the last chunk play out (the send-ahead, plus the output's queue).
    await sleep(stats.sendAheadMs + 1500);
    c.close();
    await sleep(300);
    await sim.stop();
    const outBytes = existsSync(captured) ? readFileSync(captured) : new Uint8Array(0);
    writeFileSync(join(run, "mcsim.log"), sim.lines.join("\n") + "\n");
    const count = countOutput(outBytes);
    report(o, frames, stats.sendAheadMs, count, sim.lines);
    if (stalls.length > 0) return reportStalls(stalls, count, frames, stats.sendAheadMs);
    return lost(frames, count) === 0 && count.foreign === 0 ? 0 : 1;
  } catch (e) {
    console.log(`not ok ${String(e)}`);
    for (const l of sim.lines.filter((x) => !x.startsWith("instruments")).slice(-30)) console.log(`#   ${l}`);
    return 1;
  } finally {
    server?.closeAll();
    await sim.stop();
  }
}

interface Stall {
  ms: number;
  /** Signal frame being sent when the stall began: what plays about the send-ahead later. */
  atFrame: number;
}

/** Stop the simulator for each stall in turn, the first 3 s into the stream, then 2 s after each. */
async function stallPlan(stalls: number[], sim: Mcsim, chunksSent: () => number, done: Stall[]): Promise<void> {
  await sleep(3000);
  for (const ms of stalls) {
    done.push({ ms, atFrame: chunksSent() * CHUNK_FRAMES });
    sim.signal("SIGSTOP");
    await sleep(ms);
    sim.signal("SIGCONT");
    await sleep(2000);
  }
}

/**
 * Each stall survived unless a discontinuity shows from what was playing when it began (the frame being sent
 * then, less the send-ahead and 20 ms) to what was playing when the next one began (or the end).
 */
function reportStalls(stalls: Stall[], c: OutputCount, frames: number, sendAheadMs: number): number {
  let largest = 0;
  let allBelow = true;
  const back = Math.round(((sendAheadMs + 20) * RATE) / 1000);
  for (let i = 0; i < stalls.length; i++) {
    const from = stalls[i].atFrame - back;
    const to = i + 1 < stalls.length ? stalls[i + 1].atFrame - back : frames;
    const hits = c.discontinuities.filter((d) => d.expected >= from && d.expected < to);
    const lostHere = hits.reduce((n, d) => n + Math.max(0, d.found - d.expected), 0);
    console.log(`# stall ${stalls[i].ms} ms at signal frame ${stalls[i].atFrame}: ${hits.length === 0 ? "no discontinuity" : `${hits.length} discontinuities, ${lostHere} frames skipped`}`);
    if (hits.length === 0 && allBelow) largest = Math.max(largest, stalls[i].ms);
    else allBelow = false;
  }
  console.log(`# largest stall survived without a discontinuity (all shorter ones too): ${largest} ms`);
  return 0;
}

/** Frames of the stream that never came out: before the first, skipped inside, after the last. */
function lost(sent: number, c: OutputCount): number {
  if (c.first < 0) return sent;
  return c.first + c.skipped + (sent - 1 - c.last);
}

function report(o: Options, sent: number, sendAheadMs: number, c: OutputCount, lines: string[]): void {
  const stalls = lines.map((l) => /clock tick came (\d+) ms late/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
  const speakerErrors = lines.filter((l) => /audio|player|error|warn/i.test(l) && !/^instruments|clock tick came/.test(l));
  for (const l of speakerErrors.slice(0, 20)) console.log(`#   mcsim: ${l}`);
  // The sink's own report of the simulator's stalls (JavaScript not run for that long): longer than what is
  // queued, a stall is heard as a skip whatever the code does.
  const over = stalls.filter((ms) => ms > 30);
  console.log(`# simulator stalls reported by the sink: ${stalls.length} over 25 ms, ${over.length} over 30 ms, longest ${stalls.length ? Math.max(...stalls) : 0} ms`);
  console.log(`# output by the clock: ${sent} frames sent (${o.seconds} s, send-ahead ${sendAheadMs} ms); ${c.frames} frames out`);
  console.log(`# signal frames out ${c.played}, first ${c.first}, last ${c.last}; skipped ${c.skipped}, repeated ${c.repeated}, foreign ${c.foreign}`);
  console.log(`# silence: leading ${c.leadingSilence}, inner ${c.innerSilence}, trailing ${c.trailingSilence}; discontinuities ${c.discontinuities.length}`);
  for (const d of c.discontinuities.slice(0, 10)) console.log(`#   at output frame ${d.at}: expected ${d.expected}, found ${d.found} after ${d.silence} frames of silence`);
  const n = lost(sent, c);
  console.log(`${n === 0 && c.foreign === 0 ? "ok" : "not ok"} frames lost: ${n} of ${sent}`);
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
