// Hostile load (issue 14), through the simulator binary over real sockets on loopback: a paired server
// streams a frame-numbered signal while attackers bound to 127.0.0.2… hold sockets or flood handshakes.
// Per attack: how long a real (paired) server needs to get in during the attack and after it stops,
// frames lost in the WAV (anything but single-frame sync corrections), the sockets' and the heap's
// high-water marks, and the pre-authentication work the speaker did. Then a reconnect storm of the
// paired server itself: heap after a full collection before and after, records (flash image) unchanged.
// Node only (processes and sockets).
//   npm run bench -- admission --node-only

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ReferenceServer, pairWithPairingPsk, pairingPskFromToken, type ServerConnection } from "../reference/index.js";
import { Attack, NUMBERED_FORMAT, checkNumberedOutput, floodPayloads, numberedPcm, timeToGetIn, type AttackKind, type AttackOptions } from "../support/hostile-load.js";
import { SimProcess, tempDir } from "../support/sim-process.js";
import type { BenchContext, Engine } from "./context.js";

export const engines: readonly Engine[] = ["node"];

const TABLE = "Hostile load against a paired, playing speaker (simulator, loopback, maxSockets 3)";
const STORM = "Reconnect storm of the paired server";
const ATTACK_MS = 6000;
const STORM_RECONNECTS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scenario {
  name: string;
  kind: AttackKind | null;
  o?: Partial<AttackOptions>;
}

const ADDRS4 = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"];

const SCENARIOS: Scenario[] = [
  { name: "none (baseline)", kind: null },
  { name: "idle TCP, 4 addresses × 4", kind: "idle TCP", o: { addresses: ADDRS4, perAddress: 4 } },
  { name: "silent WebSockets, 4 × 4", kind: "silent WebSocket", o: { addresses: ADDRS4, perAddress: 4 } },
  { name: "half-done upgrades, 4 × 4", kind: "half-done upgrade", o: { addresses: ADDRS4, perAddress: 4 } },
  { name: "handshake flood, 1 address, 20/s", kind: "handshake flood", o: { addresses: ["127.0.0.2"], ratePerSecond: 20 } },
  { name: "handshake flood, 4 addresses, 60/s", kind: "handshake flood", o: { addresses: ADDRS4, ratePerSecond: 60 } },
];

async function pair(url: string, token: string, name: string, timeoutMs?: number): Promise<ReferenceServer> {
  const s = new ReferenceServer({ name, timeoutMs });
  const c = await s.connect(url, { psk: pairingPskFromToken(token), hello: true });
  await pairWithPairingPsk(c);
  c.close(1000);
  await sleep(50);
  return s;
}

export default async function admissionBench(ctx: BenchContext): Promise<void> {
  const dir = tempDir();
  const sim = new SimProcess(dir, ["--audio", join(dir, "out.wav")], ["--expose-gc"]);
  try {
    const ready = await sim.next((e) => e.event === "ready");
    const port = ready.port as number;
    const url = `ws://127.0.0.1:${port}${ready.path as string}`;
    const token = ready.pairing_token as string;
    const player = await pair(url, token, "Paired player");
    const newcomer = await pair(url, token, "Real server", 3000);

    const q: ServerConnection = await player.connect(url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    const payloads = floodPayloads(ready.client_id as string, q.suite, 16);
    const sender = q.playPcm({ pcm: numberedPcm(48000 * 150), format: NUMBERED_FORMAT });
    while (sender.sent.length === 0) await sleep(10);
    const ts0 = sender.sent[0].timestampUs;
    const frameAt = (serverUs: number) => Math.floor(((serverUs - ts0) * 48000) / 1e6);
    await sleep(1500);
    let prev = await sim.stats();
    let prevAt = performance.now();

    const windows: { name: string; from: number; to: number; row: Record<string, string | number> }[] = [];
    for (const sc of SCENARIOS) {
      const from = frameAt(player.clock.nowUs());
      const attack = sc.kind ? new Attack(sc.kind, { port, addresses: [], payloads, ...sc.o }) : null;
      const t0 = performance.now();
      attack?.start();
      await sleep(1000);
      const during = await timeToGetIn(newcomer, url, ATTACK_MS - 1000);
      const left = ATTACK_MS - (performance.now() - t0);
      if (left > 0) await sleep(left);
      attack?.stop();
      const after = await timeToGetIn(newcomer, url, 20_000);
      const st = await sim.stats();
      const wallMs = performance.now() - prevAt;
      const delta = (k: string) => (st[k] as number) - (prev[k] as number);
      const row = {
        "attacker connections": attack ? attack.connects : 0,
        "real server in, during (ms)": during < 0 ? `> ${ATTACK_MS - 1000}` : Math.round(during),
        "after it stops (ms)": after < 0 ? "> 20000" : Math.round(after),
        "sockets high": st.sockets_high as number,
        "dropped to make room": delta("evictions"),
        "pre-auth runs / refused": `${delta("preauth_runs")} / ${delta("preauth_refused")}`,
        "pre-auth work, % of wall": ((100 * delta("preauth_work_ms")) / wallMs).toFixed(1),
        "simulator CPU, % of a core": ((100 * delta("cpu_ms")) / wallMs).toFixed(1),
        "heap high (KiB)": Math.round((st.heap_high_bytes as number) / 1024),
      };
      await sleep(500);
      prev = await sim.stats();
      prevAt = performance.now();
      windows.push({
        name: sc.name,
        from,
        to: frameAt(player.clock.nowUs()),
        row,
      });
      if (!q.isOpen) break;
    }
    const sessionKept = q.isOpen;
    sender.stop();
    await sender.done;
    await sleep(800); // the last chunks play out

    // reconnect storm: the paired server drops and reconnects (and activates playback) 1,000 times
    q.terminate();
    await sleep(200);
    const before = await sim.stats();
    const flashBefore = readFileSync(sim.flashFile);
    const t0 = performance.now();
    let failures = 0;
    const heapAt: string[] = [];
    for (let i = 0; i < STORM_RECONNECTS; i++) {
      if (i === 100 || i === 500) heapAt.push(`${Math.round(((await sim.stats()).heap_bytes as number) / 1024)} (${i})`);
      try {
        const c = await player.connect(url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
        c.terminate();
      } catch {
        failures++;
      }
    }
    const stormMs = performance.now() - t0;
    await sleep(500);
    const afterStorm = await sim.stats();
    const flashAfter = readFileSync(sim.flashFile);

    await sim.quit();
    const check = checkNumberedOutput(new Uint8Array(readFileSync(join(dir, "out.wav"))));
    for (const w of windows) {
      let lost = 0;
      let events = 0;
      for (const d of check.discontinuities) {
        if (d.at >= w.from && d.at < w.to) {
          lost += Math.abs(d.frames);
          events++;
        }
      }
      for (const [k, v] of Object.entries(w.row)) ctx.record(TABLE, w.name, k, v);
      ctx.record(TABLE, w.name, "frames lost (events)", `${lost} (${events})`);
    }
    ctx.note(
      TABLE,
      `Each attack ${ATTACK_MS / 1000} s from 127.0.0.2–5 against a speaker streaming from a paired server on 127.0.0.1; "real server in" is a second paired server's time to a completed Noise handshake ` +
        `(new connection every 100 ms), first from 1 s into the attack, then from its end. Frames lost: input frames skipped, replayed or replaced by silence in the WAV, sample-exact against the ` +
        `frame-numbered signal; single-frame sync corrections are not losses (${check.corrections} over the whole run of ${check.frames} frames). Paired session still connected at the end: ${sessionKept}. ` +
        `Simulator on the portable (@noble) backend; the machine is shared, so times include other load.`,
    );
    ctx.record(STORM, "reconnects (failed)", "value", `${STORM_RECONNECTS} (${failures})`);
    ctx.record(STORM, "time per reconnect (ms)", "value", (stormMs / STORM_RECONNECTS).toFixed(1));
    ctx.record(STORM, "live heap after a full GC (KiB, after n reconnects)", "value", [`${Math.round((before.heap_bytes as number) / 1024)} (0)`, ...heapAt, `${Math.round((afterStorm.heap_bytes as number) / 1024)} (${STORM_RECONNECTS})`].join(" → "));
    ctx.record(STORM, "heap high during the storm (KiB)", "value", Math.round((afterStorm.heap_high_bytes as number) / 1024));
    ctx.record(STORM, "sockets high", "value", afterStorm.sockets_high as number);
    ctx.record(STORM, "flash image (records) unchanged", "value", String(flashBefore.equals(flashAfter)));
    ctx.note(
      STORM,
      "Each reconnect: drop the TCP connection without a goodbye, open a new WebSocket, Noise handshake with the long-term record, hello, server/activate playback. " +
        "The live heap is V8's used_heap_size after gc() in the simulator (node --expose-gc), so it includes the code V8 keeps compiling as the run goes on.",
    );
  } finally {
    await sim.quit().catch(() => {});
  }
}
