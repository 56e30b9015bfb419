// Hostile load (issue 14) end to end through the simulator binary, over real sockets: attackers bound to
// other loopback addresses (127.0.0.2, …) hold sockets or flood Noise handshakes while a paired server
// connects and streams. What a user would notice is checked from outside: the paired server gets in and
// stays connected, a real server gets in once the flood stops, the socket count stays within maxSockets,
// and the WAV holds every frame of the stream (frame-numbered signal, compared sample-exactly).
// test/bench/admission.bench.ts prints the figures.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ReferenceServer, pairWithPairingPsk, pairingPskFromToken } from "../../reference/index.js";
import { Attack, NUMBERED_FORMAT, checkNumberedOutput, connectWithin, floodPayloads, numberedPcm, timeToGetIn } from "../../support/hostile-load.js";
import { SimProcess, tempDir } from "../../support/sim-process.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(args: string[] = []): Promise<{ sim: SimProcess; url: string; port: number; token: string; clientId: string; dir: string }> {
  const dir = tempDir();
  const sim = new SimProcess(dir, args.map((a) => a.replace("$DIR", dir)));
  const e = await sim.next((x) => x.event === "ready");
  return { sim, dir, port: e.port as number, url: `ws://127.0.0.1:${e.port as number}${e.path as string}`, token: e.pairing_token as string, clientId: e.client_id as string };
}

async function paired(url: string, token: string, name: string): Promise<ReferenceServer> {
  const s = new ReferenceServer({ name, timeoutMs: 5000 });
  const c = await s.connect(url, { psk: pairingPskFromToken(token), hello: true });
  await pairWithPairingPsk(c);
  c.close(1000);
  await sleep(50);
  return s;
}

test("slot exhaustion: idle TCP, silent WebSockets and half-done upgrades from other hosts cannot keep a paired server out", { timeout: 60_000 }, async () => {
  const { sim, url, port, token } = await start();
  const attacks: Attack[] = [];
  try {
    const server = await paired(url, token, "Paired");
    attacks.push(
      new Attack("idle TCP", { port, addresses: ["127.0.0.2"], perAddress: 4 }),
      new Attack("silent WebSocket", { port, addresses: ["127.0.0.3"], perAddress: 4 }),
      new Attack("half-done upgrade", { port, addresses: ["127.0.0.4"], perAddress: 4 }),
    );
    for (const a of attacks) a.start();
    await sleep(500);
    await sim.stats();
    const ms = await timeToGetIn(server, url, 15_000);
    assert.ok(ms >= 0, "the paired server got through the held slots");
    // The attackers keep reconnecting: an upgrading connection of the real server may be the one that makes
    // room, so it connects as it would in the field, again until one gets through (within the same 15 s).
    const c = await connectWithin(server, url, { psk: "record", hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } }, 15_000);
    assert.ok(c, "the paired server got in and was admitted");
    await sim.next((e) => e.event === "connection" && e.server_id === server.serverId && e.state === "admitted");
    await sleep(1500); // the attackers keep reconnecting
    assert.ok(c.isOpen, "the admitted connection is never dropped for a newcomer");
    const st = await sim.stats();
    assert.ok((st.sockets_high as number) <= 3, `sockets stay within maxSockets: ${st.sockets_high as number}`);
    assert.ok((st.evictions as number) > 0, "held slots were taken back");
    assert.ok(attacks.every((a) => a.dropped > 0), `every kind of held socket was dropped to make room: ${attacks.map((a) => `${a.kind} ${a.connects}/${a.dropped}`).join(", ")}`);
    c.close(1000);
  } finally {
    for (const a of attacks) a.stop();
    await sim.quit();
  }
});

test("handshake flood from three other hosts against a paired, playing speaker: output intact, session kept, a real server gets in", { timeout: 90_000 }, async (t) => {
  const { sim, url, port, token, clientId, dir } = await start(["--audio", "$DIR/out.wav"]);
  let flood: Attack | null = null;
  try {
    const player = await paired(url, token, "Player");
    const newcomer = await paired(url, token, "Newcomer");
    const q = await player.connect(url, { psk: "record", hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    const sender = q.playPcm({ pcm: numberedPcm(48000 * 30), format: NUMBERED_FORMAT });
    while (sender.sent.length === 0) await sleep(10);
    const ts0 = sender.sent[0].timestampUs;
    const frameAt = (us: number) => Math.floor(((us - ts0) * 48000) / 1e6);
    await sleep(3500); // the baseline: the same stream with nobody attacking
    const floodFrom = frameAt(player.clock.nowUs());
    await sim.stats();
    flood = new Attack("handshake flood", { port, addresses: ["127.0.0.2", "127.0.0.3", "127.0.0.4"], ratePerSecond: 40, payloads: floodPayloads(clientId, q.suite, 8) });
    flood.start();
    await sleep(4000);
    flood.stop();
    const floodTo = frameAt(player.clock.nowUs()) + 24_000; // and half a second after
    const during = await sim.stats();
    assert.ok(flood.connects >= 40, `the flood ran: ${flood.connects} connections`);
    assert.ok((during.preauth_refused as number) > 0, "the budget refused handshake work");
    const ms = await timeToGetIn(newcomer, url, 15_000);
    assert.ok(ms >= 0, "a real server gets in once the flood stops");
    assert.ok(q.isOpen, "the paired session stayed connected");
    await sleep(1000);
    sender.stop();
    await sender.done;
    await sleep(800);
    assert.ok(q.isOpen);
    q.close(1000);
    await sim.quit();

    const out = checkNumberedOutput(new Uint8Array(readFileSync(join(dir, "out.wav"))));
    assert.ok(out.frames > 48000 * 6, `the stream played: ${out.frames} frames`);
    const inWindow = (from: number, to: number) => out.discontinuities.filter((d) => d.at >= from && d.at < to);
    const baseline = inWindow(0, floodFrom);
    const attacked = inWindow(floodFrom, floodTo);
    if (baseline.length > 0) {
      // The host itself drops audio with nobody attacking (a loaded machine): nothing can be said about the flood.
      t.skip(`host overloaded: ${baseline.length} discontinuities before any attack (${JSON.stringify(baseline.slice(0, 3))}); flood window had ${attacked.length}`);
      return;
    }
    assert.deepEqual(attacked, [], "no frame skipped or repeated beyond single-frame corrections during the flood");
  } finally {
    flood?.stop();
    await sim.quit();
  }
});

test("reconnect storm of the paired server: 200 drops and reconnects leave the records (flash image) unchanged and no socket behind", { timeout: 120_000 }, async () => {
  const { sim, url, token } = await start();
  try {
    const server = await paired(url, token, "Storm");
    const first = await server.connect(url, { psk: "record", hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    await sim.next((e) => e.event === "connection" && e.server_id === server.serverId && e.state === "admitted");
    first.terminate();
    await sleep(300);
    const before = readFileSync(sim.flashFile);
    for (let i = 0; i < 200; i++) {
      const c = await server.connect(url, { psk: "record", hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
      c.terminate(); // no goodbye, no close handshake
    }
    await sleep(500);
    assert.ok(readFileSync(sim.flashFile).equals(before), "no record or setting was written");
    const st = await sim.stats();
    assert.equal(st.sockets, 0, "every dropped connection was released");
    assert.ok((st.sockets_high as number) <= 2, `at most the old and the new connection at once: ${st.sockets_high as number}`);
  } finally {
    await sim.quit();
  }
});
