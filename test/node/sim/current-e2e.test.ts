// End to end through the simulator binary (as device makers' CI drives it, README "Driving the
// simulator") with the reference server's current-revision layer: pairing-token pairing, the record on
// reconnection, 3 s of non-periodic PCM sent with 13-byte chunk headers and found sample-exact in the
// WAV (every discontinuity counted), the static pairing code behind a `button` on standard input, the
// dynamic pairing code read from the `pin` event, a baseline server on the same simulator, and
// `--config protocol=current` refusing the baseline.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseWav } from "../../../modules/audio/wav.js";
import { SeededRandom } from "../../support/random.js";
import { ReferenceServer, pairingPskFromToken, pairWithPairingPsk } from "../../reference/index.js";
import { CurrentReferenceServer, pairingPskFromTokenCurrent, pairWithDynamicCode, pairWithPairingPskCurrent, pairWithStaticCode } from "../../reference/current/index.js";
import { SimProcess as Sim, simReady as ready, tempDir, type SimEvent } from "../../support/sim-process.js";

/** Until the speaker side of issue 16 is merged into this branch, these tests cannot run. */
const SPEAKER: { skip?: string } = {};

const PLAYBACK = { activities: ["playback"], active_roles: ["player@v1"] };

/** Stereo 16-bit noise from a seeded generator: non-periodic, every frame (almost surely) distinct. */
function noise(frames: number, seed: number): Int16Array {
  const r = new SeededRandom(seed);
  const s = new Int16Array(frames * 2);
  const b = r.bytes(frames * 4);
  for (let i = 0; i < s.length; i++) {
    const v = (b[2 * i] | (b[2 * i + 1] << 8)) - 32768; // uniform int16
    s[i] = Math.trunc(v / 4); // ±8192: headroom, and never mistaken for a full-scale artefact
    if (s[i] === 0) s[i] = 1; // silence (0, 0) is what the player inserts; keep it out of the signal
  }
  return s;
}

interface Alignment {
  /** Frames of the sent signal found in the output, in order. */
  found: number;
  /** Non-silent output frames that are not the sent signal at the expected place and start no resumption. */
  foreign: number;
  /** Each jump of the output relative to the signal: +n frames dropped, −n repeated. */
  jumps: number[];
  /** Signal frame index where each jump happened. */
  jumpAt: number[];
  /** Silent frames between the first and the last matched frame (an underrun or a snap inserting silence). */
  silentInside: number;
}

/**
 * Walk the output (interleaved stereo int16) along the sent signal: every output frame must be the next
 * signal frame; when it is not, find where the signal resumes (4 frames in a row) and count the jump.
 */
function align(out: Int16Array, sent: Int16Array): Alignment {
  const key = (a: Int16Array, i: number) => ((a[2 * i] & 0xffff) << 16) | (a[2 * i + 1] & 0xffff);
  const n = sent.length / 2;
  const at = new Map<number, number[]>();
  for (let j = 0; j < n; j++) {
    const k = key(sent, j);
    const l = at.get(k);
    if (l) l.push(j);
    else at.set(k, [j]);
  }
  const m = out.length / 2;
  const runMatches = (i: number, j: number) => {
    for (let d = 0; d < 4; d++) if (i + d >= m || j + d >= n || key(out, i + d) !== key(sent, j + d)) return false;
    return true;
  };
  const res: Alignment = { found: 0, foreign: 0, jumps: [], jumpAt: [], silentInside: 0 };
  let j = -1; // next expected signal frame (-1: not started)
  let silentRun = 0;
  for (let i = 0; i < m; i++) {
    const k = key(out, i);
    if (k === 0) {
      if (j >= 0) silentRun++;
      continue;
    }
    if (j >= 0 && j < n && k === key(sent, j)) {
      res.silentInside += silentRun;
      silentRun = 0;
      res.found++;
      j++;
      continue;
    }
    const candidates = (at.get(k) ?? []).filter((c) => runMatches(i, c));
    if (candidates.length === 0) {
      res.foreign++;
      continue;
    }
    const next = j < 0 ? candidates[0] : candidates.reduce((a, b) => (Math.abs(b - j) < Math.abs(a - j) ? b : a));
    if (j >= 0) {
      res.jumps.push(next - j);
      res.jumpAt.push(j);
      res.silentInside += silentRun;
    }
    silentRun = 0;
    j = next + 1;
    res.found++;
  }
  return res;
}

describe("simulator, current revision", SPEAKER, () => {
  test("pairing token, the record on reconnection, 3 s of noise with 13-byte headers found sample-exact in the WAV", async () => {
    const dir = tempDir();
    const sim = new Sim(dir, ["--audio", join(dir, "out.wav"), "--name", "Current Speaker"]);
    try {
      const r = await ready(sim);
      const server = new CurrentReferenceServer({ name: "Current server" });
      const p = await server.connect(r.url, { psk: pairingPskFromTokenCurrent(r.token), hello: true });
      assert.equal(p.clientHello?.name, "Current Speaker");
      assert.equal((await pairWithPairingPskCurrent(p)).finalized, true);
      await sim.next((e) => e.event === "paired" && e.server_id === server.serverId);
      assert.deepEqual(p.violations, []);
      p.close();

      const q = await server.connect(r.url, { hello: true, activate: PLAYBACK });
      assert.equal(q.pskKind, "long-term");
      assert.equal(q.credentialMismatch, false);
      const rate = 48000;
      const sent = noise(rate * 3, 16);
      const pcm = new Uint8Array(sent.buffer);
      const stats = await q.playPcm({ pcm, format: { sample_rate: rate, channels: 2, bit_depth: 16 }, chunkMs: 20 }).done;
      assert.equal(stats.interrupted, false);
      await new Promise((res) => setTimeout(res, 1200)); // the last chunks play out
      q.streamEnd(["player"]);
      await new Promise((res) => setTimeout(res, 300));
      assert.deepEqual(q.violations, []);
      assert.deepEqual(q.errors, []);
      q.close();
      assert.equal(await sim.quit(), 0);

      const wav = new Uint8Array(readFileSync(join(dir, "out.wav")));
      const clip = parseWav(wav);
      assert.ok(clip, "a valid WAV");
      assert.deepEqual([clip.sampleRate, clip.channels], [rate, 2]);
      const out = new Int16Array(wav.slice(clip.dataOffset, clip.dataOffset + clip.frames * 4).buffer);
      const a = align(out, sent);
      const frames = sent.length / 2;
      const drops = a.jumps.filter((x) => x > 0).reduce((s, x) => s + x, 0);
      const repeats = a.jumps.filter((x) => x < 0).reduce((s, x) => s - x, 0);
      console.log(`[current PCM] sent ${frames} frames in ${stats.chunks} chunks; found ${a.found}; foreign ${a.foreign}; discontinuities ${a.jumps.length} (${a.jumps.map((x, i) => `${x > 0 ? "+" : ""}${x} at ${(a.jumpAt[i] / 48).toFixed(1)} ms`).join(", ")}); dropped ${drops}, repeated ${repeats}; silent inside ${a.silentInside}`);
      // Sample-exact: every non-silent output frame is a sent frame, in the sent order, apart from the
      // counted corrections (a 9-byte header reading would shift every chunk by one frame and put the
      // 4 send_ahead bytes in the audio: every chunk would show foreign frames).
      assert.equal(a.foreign, 0, "no output frame that is not the sent signal");
      // Zero drift between the two processes' clocks: the output is the stream, whole and in order; the
      // time filter's noise on a loaded host may cost at most two single-frame corrections (as in the
      // baseline's e2e, test/node/sim/e2e.test.ts), nothing else.
      assert.ok(a.jumps.every((x) => x === 1 || x === -1), `only single-frame corrections: ${JSON.stringify(a.jumps)}`);
      assert.ok(a.jumps.length <= 2, `at most two single-frame corrections: ${JSON.stringify(a.jumps)}`);
      assert.equal(a.found, frames - drops + repeats, "every sent frame came out, apart from the counted corrections");
      assert.equal(a.silentInside, 0, "no silence inside the stream");
    } finally {
      await sim.quit().catch(() => {});
    }
  });

  test("static pairing code after `button`; dynamic pairing code from the `pin` event; a baseline server on the same simulator", async () => {
    const dir = tempDir();
    const sim = new Sim(dir, ["--config", "staticPin=true", "--config", "dynamicPin=false"]);
    try {
      const r = await ready(sim);
      assert.match(r.staticPin ?? "", /^\d{8}$/);
      const s = new CurrentReferenceServer({ name: "Static" });
      const c = await s.connect(r.url, { psk: "sentinel", hello: true });
      const mark = sim.events.length;
      const pairing = pairWithStaticCode(c, r.staticPin!, { pairInitTimeoutMs: 10_000 });
      await c.until(() => c.received.some((m) => m.type === "client/pair-pending"));
      sim.send("button");
      const res = await pairing;
      assert.equal(res.finalized, true);
      await sim.next((e) => e.event === "paired" && e.server_id === s.serverId, mark);
      assert.deepEqual(c.violations, []);
      c.close();
    } finally {
      await sim.quit().catch(() => {});
    }

    const dir2 = tempDir();
    const sim2 = new Sim(dir2, []);
    try {
      const r = await ready(sim2);
      const d = new CurrentReferenceServer({ name: "Dynamic" });
      const c = await d.connect(r.url, { psk: "sentinel", hello: true });
      const before = sim2.events.length;
      const pins = (from: number) => sim2.events.slice(from).filter((e: SimEvent) => e.event === "pin");
      const got = await pairWithDynamicCode(c, {
        getCode: async ({ round }) => {
          await sim2.next(() => pins(before).length >= round, before);
          return pins(before)[round - 1].pin as string;
        },
      });
      assert.equal(got.finalized, true);
      assert.match(String(got.code), /^\d{6}$/);
      await sim2.next((e) => e.event === "paired" && e.server_id === d.serverId, before);
      assert.deepEqual(c.violations, []);
      c.close();

      const b = new ReferenceServer({ name: "Baseline" });
      const bc = await b.connect(r.url, { psk: pairingPskFromToken(r.token), hello: true });
      assert.equal((await pairWithPairingPsk(bc)).clientHello?.trust_level, "user");
      assert.deepEqual(bc.violations, []);
      bc.close();
      const again = await d.connect(r.url, { hello: true });
      assert.equal(again.pskKind, "long-term", "the current record survived the baseline pairing");
      again.close();
    } finally {
      await sim2.quit().catch(() => {});
    }
  });

  test("--config protocol=current: ready reports it, a baseline server is refused, a current one served", async () => {
    const dir = tempDir();
    const sim = new Sim(dir, ["--config", "protocol=current"]);
    try {
      const r = await ready(sim);
      const e = await sim.next((x) => x.event === "ready");
      assert.equal(e.protocol, "current");
      const b = await new ReferenceServer().open(r.url);
      await assert.rejects(b.handshake({ psk: "sentinel" }));
      const info = await b.closed(8000);
      assert.equal(info.goodbye, undefined);
      const c = await new CurrentReferenceServer().connect(r.url, { psk: "sentinel", hello: true });
      assert.deepEqual(c.violations, []);
      c.close();
    } finally {
      await sim.quit().catch(() => {});
    }
  });
});
