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
import { projectRoot } from "../../xs/engine.js";
import { ready, Sim, tempDir } from "./sim-process.js";
import { parseWav } from "../../../modules/audio/wav.js";
import { PairingFailed, ReferenceServer, pairWithDynamicPin, pairWithPairingPsk, pairWithStaticPin, pairingPskFromToken } from "../../reference/index.js";

test("pairing token: pair, reconnect with the record, stream audio, find it in the WAV", async () => {
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
    const rate = 48000, frames = Math.round(rate * 1.5), amp = 8000;
    const pcm = new Uint8Array(frames * 4);
    const v = new DataView(pcm.buffer);
    for (let i = 0; i < frames; i++) {
      const s = Math.round(amp * Math.sin((2 * Math.PI * 440 * i) / rate));
      v.setInt16(4 * i, s, true);
      v.setInt16(4 * i + 2, -s, true);
    }
    const stats = await q.playPcm({ pcm, format: { sample_rate: rate, channels: 2, bit_depth: 16 } }).done;
    assert.equal(stats.interrupted, false);
    await new Promise((res) => setTimeout(res, 1500)); // let the last chunks play out
    assert.deepEqual(q.violations, []);
    assert.deepEqual(q.errors, []);
    q.close();
    assert.equal(await sim.quit(), 0);
    const wav = new Uint8Array(readFileSync(join(dir, "out.wav")));
    const clip = parseWav(wav);
    assert.ok(clip, "a valid WAV");
    assert.deepEqual([clip.sampleRate, clip.channels], [48000, 2]);
    const s = new DataView(wav.buffer, wav.byteOffset + clip.dataOffset, clip.frames * 4);
    let loud = 0, sumSq = 0, peak = 0, mirrored = 0;
    for (let i = 0; i < clip.frames; i++) {
      const l = s.getInt16(4 * i, true), rr = s.getInt16(4 * i + 2, true);
      if (l !== 0) {
        loud++;
        sumSq += l * l;
        peak = Math.max(peak, Math.abs(l));
        if (l === -rr) mirrored++;
      }
    }
    // Sync corrections may drop or repeat a few frames: the tone is there, whole, at its level.
    assert.ok(loud >= frames * 0.95 && loud <= frames * 1.05, `non-silent frames ${loud} of ${frames} sent`);
    assert.ok(peak <= amp, `peak ${peak}`);
    const rms = Math.sqrt(sumSq / loud);
    assert.ok(Math.abs(rms - amp / Math.SQRT2) < amp * 0.05, `rms ${rms.toFixed(0)}`);
    assert.equal(mirrored, loud, "the channels are the stream's, not swapped or mixed");
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
