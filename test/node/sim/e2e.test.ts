// End to end through the simulator binary exactly as device makers' CI drives it: spawn
// `node build/sim/main.js --no-mdns --events` on a temporary flash image and a free port, read the event
// lines, press the button on standard input, and act as a Sendspin server with the reference server
// (test/reference): each pairing method, audio into the WAV file, reboot with records kept and lockout
// reset. No multicast (--no-mdns), loopback only.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SimProcess as Sim, simReady, tempDir } from "../../support/sim-process.js";
import { projectRoot } from "../../xs/engine.js";
import { chirpNoise, describeEvents } from "../../support/signal-check.js";
import { frameTimestamps, percentile, readSimOutput, sortedAbs, timeOutput } from "../../support/sim-output.js";
import { PairingFailed, ReferenceServer, pairWithDynamicPin, pairWithPairingPsk, pairWithStaticPin, pairingPskFromToken } from "../../reference/index.js";

const ready = simReady;

test("pairing token: pair, reconnect with the record, stream audio: the WAV is the stream sample for sample, each sample on time, across a stream/clear", async () => {
  const dir = tempDir();
  const sim = new Sim(dir, ["--audio", join(dir, "out.wav"), "--name", "E2E Speaker"]);
  try {
    const r = await ready(sim);
    assert.match(r.token, /^SP:0[A-Z0-9]+$/);
    assert.equal(r.staticPin, null, "static PIN is off by default");
    const server = new ReferenceServer({ name: "E2E server" });
    const p = await server.connect(r.url, { psk: pairingPskFromToken(r.token), hello: true });
    assert.equal(p.clientHello?.name, "E2E Speaker");
    const result = await pairWithPairingPsk(p);
    assert.equal(result.clientHello?.trust_level, "user");
    await sim.next((e) => e.event === "paired" && e.server_id === server.serverId);
    p.close();
    const q = await server.connect(r.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    assert.equal(q.pskKind, "long-term");

    // Three non-periodic signals: A plays whole; B is cut by stream/clear while it plays; C follows the
    // clear and plays whole. Chunks of 20 ms, sent as far ahead as the speaker asks (over 500 ms).
    const rate = 48000, format = { sample_rate: rate, channels: 2, bit_depth: 16 };
    const A = chirpNoise(2 * rate, rate, 2, 101), B = chirpNoise(3 * rate, rate, 2, 202), C = chirpNoise(2 * rate, rate, 2, 303);
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    const a = q.playPcm({ pcm: A, format, chunkMs: 20 });
    assert.equal((await a.done).interrupted, false);
    await sleep(800); // A plays out
    const b = q.playPcm({ pcm: B, format, chunkMs: 20 });
    await sleep(1500); // about 1 s of B has played
    b.stop();
    await b.done;
    q.streamClear();
    const c = q.playPcm({ pcm: C, format, chunkMs: 20, streamStart: false });
    assert.equal((await c.done).interrupted, false);
    await sleep(1000); // C plays out
    assert.deepEqual(q.violations, []);
    assert.deepEqual(q.errors, []);
    q.close();
    assert.equal(await sim.quit(), 0);

    // The WAV against A | B | C, sample by sample, and every sample's time against its timestamp.
    const out = readSimOutput(join(dir, "out.wav"), sim.events);
    assert.deepEqual([out.sampleRate, out.channels], [48000, 2]);
    assert.ok(out.anchors.length >= 1 && out.anchors[0].wav_frame === 0, `audio_out events ${JSON.stringify(out.anchors)}`);
    assert.equal(out.anchors[0].sample_rate, 48000);
    const signal = new Uint8Array(A.length + B.length + C.length);
    signal.set(A, 0);
    signal.set(B, A.length);
    signal.set(C, A.length + B.length);
    const nA = A.length / 4, nB = B.length / 4, nC = C.length / 4;
    const ts = new Float64Array(nA + nB + nC).fill(NaN);
    ts.set(frameTimestamps(a.sent, rate), 0);
    ts.set(frameTimestamps(b.sent, rate), nA);
    ts.set(frameTimestamps(c.sent, rate), nA + nB);
    const t = timeOutput(out, signal, ts, server.clock);
    const k = t.check;
    const why = describeEvents(k);
    assert.equal(k.foreign, 0, `no altered or foreign frame: ${why}`);
    assert.equal(k.firstIndex, 0, "the stream starts with its first frame");
    assert.equal(k.lastIndex, nA + nB + nC - 1, "C plays to its last frame");
    // Expected discontinuities: zeros between A and B; at the clear, zeros and then C from its first
    // frame (B's tail skipped). Besides those, only the spec's one-frame corrections, which follow the
    // time filter's refinements (the clocks do not drift here: on a quiet host there are none; on a
    // loaded one the filter's offset estimate can move by more than the 100 µs dead band once).
    const clearSkip = k.events.filter((e) => e.kind === "skip" && e.frames > 1);
    const corrections = k.events.filter((e) => (e.kind === "skip" || e.kind === "repeat") && e.frames === 1);
    assert.equal(clearSkip.length, 1, `one skip, B's tail at the clear: ${why}`);
    assert.equal(k.indexOf[clearSkip[0].at], nA + nB, `after the clear, C starts with its first frame: ${why}`);
    const bPlayed = clearSkip[0].expected - nA;
    assert.ok(bPlayed > rate / 2 && bPlayed < nB, `B played ${bPlayed} frames before the clear`);
    assert.equal(k.events.filter((e) => e.kind === "silence").length, 2, `zeros between A and B, and at the clear: ${why}`);
    assert.equal(k.events.length, 3 + corrections.length, `nothing else: ${why}`);
    assert.ok(corrections.length <= 2, `one-frame corrections: ${why}`);
    const dropped = corrections.filter((e) => e.kind === "skip").length, repeated = corrections.length - dropped;
    assert.equal(k.signalFrames, nA + bPlayed + nC - dropped + repeated, "every frame of A, B until the clear, and C, exactly once but for the corrections");

    const abs = sortedAbs(t.errorUs);
    const p50 = percentile(abs, 0.5), p99 = percentile(abs, 0.99), max = abs[abs.length - 1];
    const at = (idx: number) => t.errorUs[k.indexOf.indexOf(idx)];
    console.log(`# sim e2e: ${k.signalFrames} frames played sample-exact, ${corrections.length} one-frame corrections; |play time − timestamp| p50 ${p50.toFixed(0)} µs, p99 ${p99.toFixed(0)} µs, max ${max.toFixed(0)} µs; ` +
      `first frame of A ${at(0).toFixed(0)} µs, of C (after stream/clear) ${at(nA + nB).toFixed(0)} µs`);
    assert.ok(Math.abs(at(0)) <= 500 && Math.abs(at(nA + nB)) <= 500, "each start plays its first frame when its time has come");
    assert.ok(p99 <= 500 && max <= 1000, `p99 ${p99} µs, max ${max} µs`);
  } finally {
    await sim.quit().catch(() => {});
  }
});

test("--clock-ppm 300: a fast crystal; audio_out reports host time, the player follows the server with one-frame corrections only", async () => {
  const dir = tempDir();
  const sim = new Sim(dir, ["--audio", join(dir, "out.wav"), "--clock-ppm", "300"]);
  try {
    const r = await ready(sim);
    const server = new ReferenceServer({ name: "Drift server" });
    const p = await server.connect(r.url, { psk: pairingPskFromToken(r.token), hello: true });
    await pairWithPairingPsk(p);
    p.close();
    const q = await server.connect(r.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    const rate = 48000;
    const signal = chirpNoise(4 * rate, rate, 2, 404);
    const s = q.playPcm({ pcm: signal, format: { sample_rate: rate, channels: 2, bit_depth: 16 }, chunkMs: 20 });
    const stats = await s.done;
    await new Promise((res) => setTimeout(res, stats.sendAheadMs + 500));
    q.close();
    assert.equal(await sim.quit(), 0);
    const out = readSimOutput(join(dir, "out.wav"), sim.events);
    assert.equal(out.anchors[0].sample_rate, 48000 * 1.0003, "frames per second of host time");
    const t = timeOutput(out, signal, frameTimestamps(s.sent, rate), server.clock);
    const k = t.check;
    const why = describeEvents(k);
    assert.equal(k.firstIndex, 0, why);
    assert.equal(k.lastIndex, 4 * rate - 1, why);
    // A fast clock plays early: one-frame repeats (a one-frame drop may follow a refinement of the filter).
    assert.ok(k.events.every((e) => (e.kind === "repeat" || e.kind === "skip") && e.frames === 1), `one-frame corrections only: ${why}`);
    const repeats = k.events.filter((e) => e.kind === "repeat").length;
    assert.ok(repeats > 2 * (k.events.length - repeats), `mostly repeats: ${why}`);
    const abs = sortedAbs(t.errorUs);
    const p99 = percentile(abs, 0.99), max = abs[abs.length - 1];
    console.log(`# sim e2e --clock-ppm 300: ${repeats} one-frame repeats, ${k.events.length - repeats} drops over 4 s; |play time − timestamp| p99 ${p99.toFixed(0)} µs, max ${max.toFixed(0)} µs`);
    assert.ok(max <= 1000, `max ${max} µs`);
  } finally {
    await sim.quit().catch(() => {});
  }
});

test("static PIN: the button opens the window; dynamic PIN: read from the pin event", async () => {
  const dir = tempDir();
  const sim = new Sim(dir, ["--config", "staticPin=true"]);
  try {
    const r = await ready(sim);
    assert.match(r.staticPin ?? "", /^\d{8}$/);
    const a = new ReferenceServer({ name: "Static" });
    const c = await a.connect(r.url, { psk: "sentinel", hello: true });
    const mark = sim.events.length;
    const pairing = pairWithStaticPin(c, r.staticPin!, { pairInitTimeoutMs: 10_000 });
    setTimeout(() => sim.send("button"), 300);
    const res = await pairing;
    assert.equal(res.finalized, true);
    await sim.next((e) => e.event === "pairing_window" && e.open === true, mark);
    await sim.next((e) => e.event === "paired" && e.server_id === a.serverId, mark);
    c.close();

    const b = new ReferenceServer({ name: "Dynamic" });
    const d = await b.connect(r.url, { psk: "sentinel", hello: true });
    const before = sim.events.length;
    const got = await pairWithDynamicPin(d, {
      getPin: async () => (await sim.next((e) => e.event === "pin" && e.method === "dynamic_pin", before)).pin as string,
    });
    assert.equal(got.finalized, true);
    assert.match(got.pin ?? "", /^\d{6,12}$/);
    await sim.next((e) => e.event === "paired" && e.server_id === b.serverId, before);
    assert.deepEqual(d.violations, []);
    d.close();
  } finally {
    await sim.quit().catch(() => {});
  }
});

test("reboot: the records survive, the static PIN lockout resets", async () => {
  const dir = tempDir();
  const sim = new Sim(dir, ["--config", "staticPin=true"]);
  try {
    const r = await ready(sim);
    const paired = new ReferenceServer({ name: "Paired" });
    const p = await paired.connect(r.url, { psk: pairingPskFromToken(r.token), hello: true });
    await pairWithPairingPsk(p);
    p.close();

    // Ten wrong static PINs lock the method out (RAM state).
    const wrong = r.staticPin === "00000000" ? "11111111" : "00000000";
    const attacker = new ReferenceServer({ name: "Guesser" });
    let locked = false;
    for (let i = 0; i < 12 && !locked; i++) {
      const c = await attacker.connect(r.url, { psk: "sentinel", hello: true });
      const attempt = pairWithStaticPin(c, wrong, { pairInitTimeoutMs: 5_000 });
      setTimeout(() => sim.send("button"), 200);
      await assert.rejects(attempt, PairingFailed);
      c.terminate();
      locked = sim.events.some((e) => e.event === "lockout" && e.method === "static_pin" && e.locked_out === true);
    }
    assert.ok(locked, "locked out after repeated failures");

    const mark = sim.events.length;
    sim.send("reboot");
    const again = await ready(sim, mark);
    assert.equal(again.token, r.token, "same identity and pairing PSK after reboot");
    assert.equal(again.port, r.port, "same port after reboot");

    // The record made before the reboot still opens a long-term session.
    const q = await paired.connect(again.url, { hello: true });
    assert.equal(q.pskKind, "long-term");
    assert.equal(q.clientHello?.trust_level, "user");
    q.close();

    // The lockout is gone: the right static PIN pairs again.
    const friend = new ReferenceServer({ name: "Friend" });
    const c = await friend.connect(again.url, { psk: "sentinel", hello: true });
    const ok = pairWithStaticPin(c, r.staticPin!, { pairInitTimeoutMs: 10_000 });
    setTimeout(() => sim.send("button"), 300);
    assert.equal((await ok).finalized, true);
    c.close();
  } finally {
    await sim.quit().catch(() => {});
  }
});

test("a bad flag prints the usage and exits 2; a corrupt flash image is reformatted, not fatal", async () => {
  const bad = spawn(process.execPath, [join(projectRoot, "build/sim/main.js"), "--no-such-flag"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  bad.stderr.on("data", (d) => (err += String(d)));
  const code = await new Promise((res) => bad.on("exit", res));
  assert.equal(code, 2);
  assert.match(err, /usage: npm start/);
  for (const ppm of ["501", "-600", "fast", ""]) {
    const c = spawn(process.execPath, [join(projectRoot, "build/sim/main.js"), "--clock-ppm", ppm], { stdio: ["ignore", "pipe", "pipe"] });
    let e = "";
    c.stderr.on("data", (d) => (e += String(d)));
    assert.equal(await new Promise((res) => c.on("exit", res)), 2, `--clock-ppm ${ppm}`);
    assert.match(e, /--clock-ppm/);
  }

  const dir = tempDir();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(dir, "flash.bin"), Buffer.alloc(65536, 0x5a));
  const sim = new Sim(dir, []);
  try {
    const r = await ready(sim);
    assert.match(r.token, /^SP:0/);
    assert.ok(sim.events.some((e) => e.event === "storage"), "the reformat is reported");
    assert.ok(sim.stderr.some((l) => / warn /.test(l) && l.includes("storage:")), "with a warning");
  } finally {
    assert.equal(await sim.quit(), 0);
  }
});
