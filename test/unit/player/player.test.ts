import { assert, describe, report, test } from "../../harness.js";
import { DEFAULT_CONFIG } from "../../../modules/config.js";
import { Player } from "../../../modules/player/player.js";
import { volumeToGain } from "../../../modules/player/volume.js";
import { writeAudioChunkTimestamp } from "../../../modules/protocol/player-messages.js";
import { ManualClock } from "../../support/clock.js";
import { PlaybackSim } from "../../support/playback-sim.js";
import { RecordingSink } from "../../support/recording-sink.js";
import { SyncMeter } from "../../support/sync-meter.js";
import { checkSignal, chirpNoise, describeEvents } from "../../support/signal-check.js";

const PCM48 = { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 };

/** A synchronized player in a quiet simulated network (no stream yet). */
function synced(o: ConstructorParameters<typeof PlaybackSim>[0] = {}): PlaybackSim {
  const sim = new PlaybackSim({ jitterUs: 500, driftPpm: 50, ...o });
  sim.start();
  for (let i = 0; i < 100 && !sim.player.synchronized; i++) sim.runMs(100);
  assert.ok(sim.player.synchronized, "synchronized");
  sim.runMs(100); // the client/state reaches the server
  return sim;
}

function chunk(ts: number, frames = 960, fb = 4): Uint8Array {
  const b = new Uint8Array(8 + frames * fb);
  writeAudioChunkTimestamp(b, 0, ts);
  return b;
}

function states(sim: PlaybackSim) {
  return sim.sent.filter((m) => m.type === "client/state").map((m) => m.payload);
}

describe("player", () => {
  test("advertises the formats the sink plays (natively or by the documented 24→16 conversion); memory allocated once", () => {
    const clock = new ManualClock();
    const sink = new RecordingSink(clock, { nativeFormats: [{ sampleRate: 48000, channels: 2, bitsPerSample: 16 }] });
    const p = new Player(
      { clock, audio: sink, log: { log: () => {} }, sendJson: () => {}, staticDelayMs: () => 0, persistStaticDelayMs: () => {} },
      {
        ...DEFAULT_CONFIG,
        bufferCapacity: 100_000,
        audioFormats: [
          { codec: "pcm", sampleRate: 48000, channels: 2, bitsPerSample: 16 },
          { codec: "pcm", sampleRate: 44100, channels: 2, bitsPerSample: 16 },
          { codec: "pcm", sampleRate: 48000, channels: 2, bitsPerSample: 24 },
          { codec: "pcm", sampleRate: 96000, channels: 2, bitsPerSample: 24 },
        ],
      },
    );
    assert.deepEqual(p.supportObject(), {
      supported_formats: [
        { codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 16 },
        { codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 24 },
      ],
      buffer_capacity: 100_000,
      supported_commands: ["volume", "mute"],
    });
    assert.equal(sink.allocations, 1);
    assert.ok(p.queue.ringBytes >= 100_000 && p.queue.capacityBytes === 100_000);
    assert.equal(clock.pendingTimers(), 0, "nothing runs before activate()");
  });

  test("client/state: nothing before synchronized, then the full state once, then deltas", () => {
    const sim = new PlaybackSim({ jitterUs: 500 });
    sim.start();
    assert.equal(states(sim).length, 0);
    assert.equal(sim.player.onAudioChunk(chunk(sim.serverNow() + 100_000)), false);
    assert.equal(sim.player.counters.rejected.unsynchronized, 1, "audio before synchronized is rejected");
    for (let i = 0; i < 100 && !sim.player.synchronized; i++) sim.runMs(100);
    const s = states(sim);
    assert.equal(s.length, 1);
    const t = sim.player.timingValues();
    assert.deepEqual(s[0], {
      state: "synchronized",
      player: { volume: 100, muted: false, static_delay_ms: 0, required_lead_time_ms: t.requiredLeadTimeMs, min_buffer_ms: t.minBufferMs, supported_commands: ["set_static_delay"] },
    });
    assert.ok(t.requiredLeadTimeMs >= 52 && t.requiredLeadTimeMs < 70, `lead ${t.requiredLeadTimeMs}`);
    sim.runMs(30_000);
    assert.equal(states(sim).length, 1, "timing values stable in a stable network: no update");
    report(`player: synchronized after ${((sim.player.clockSync.convergedAtUs - 1e6) / 1e6).toFixed(2)} s, reported lead ${t.requiredLeadTimeMs} ms, min buffer ${t.minBufferMs} ms`);
  });

  test("volume and mute apply the sink's native gain and are reported as deltas; bad or unsupported commands change nothing", () => {
    const sim = synced();
    const p = sim.player;
    const n = () => states(sim).length;
    const before = n();
    p.onMessage("server/command", { player: { command: "volume", volume: 50 } });
    assert.equal(sim.sink.gains[sim.sink.gains.length - 1].gain, volumeToGain(50));
    assert.deepEqual(states(sim)[before], { player: { volume: 50 } });
    p.onMessage("server/command", { player: { command: "mute", mute: true } });
    assert.equal(sim.sink.gains[sim.sink.gains.length - 1].gain, 0);
    assert.deepEqual(states(sim)[before + 1], { player: { muted: true } });
    p.onMessage("server/command", { player: { command: "mute", mute: false } });
    assert.equal(sim.sink.gains[sim.sink.gains.length - 1].gain, volumeToGain(50));
    const count = n();
    p.onMessage("server/command", { player: { command: "volume", volume: 101 } });
    p.onMessage("server/command", { player: { command: "volume", volume: "7" } });
    p.onMessage("server/command", { player: { command: "power_off" } });
    p.onMessage("server/command", { controller: { command: "next" } });
    p.onMessage("server/command", "garbage");
    assert.equal(n(), count, "no state change, no message");
    assert.equal(p.volumeLevel, 50);
    p.onMessage("server/command", { player: { command: "volume", volume: 50 } });
    assert.equal(n(), count, "an unchanged value sends nothing");
    p.setVolume(20); // device controls
    assert.deepEqual(states(sim)[count], { player: { volume: 20 } });
  });

  test("stream lifecycle and rejection rules", () => {
    const sim = synced();
    const p = sim.player;
    const ts = () => Math.round(sim.serverNow() + 200_000);
    assert.equal(p.onAudioChunk(chunk(ts())), false);
    assert.equal(p.counters.rejected.no_stream, 1, "no stream yet");
    p.onMessage("stream/start", { server_transmitted: 1, player: PCM48 });
    assert.equal(p.onAudioChunk(chunk(ts())), true);
    assert.equal(p.onAudioChunk(chunk(ts()).subarray(0, 8 + 4 * 10 + 2)), false, "not whole frames");
    assert.equal(p.onAudioChunk(new Uint8Array(8)), false, "no audio");
    assert.equal(p.onAudioChunk(new Uint8Array(5)), false, "no timestamp");
    assert.equal(p.counters.rejected.malformed, 3);
    assert.equal(p.onAudioChunk(chunk(Math.round(sim.serverNow() - 100_000))), false, "entirely in the past");
    assert.equal(p.counters.rejected.late, 1);
    const queued = p.queue.count;
    p.onMessage("stream/start", { server_transmitted: 2, player: PCM48 }); // same format: an update, no clear
    assert.equal(p.queue.count, queued);
    p.onMessage("stream/clear", { server_transmitted: 3, roles: ["visualizer"] });
    assert.equal(p.queue.count, queued, "not for the player");
    const flushes = sim.sink.flushes;
    p.onMessage("stream/clear", { server_transmitted: 4 });
    assert.equal(p.queue.count, 0);
    assert.equal(sim.sink.flushes, flushes + 1);
    assert.equal(p.onAudioChunk(chunk(ts())), true, "the stream goes on after a clear");
    p.onMessage("stream/end", { server_transmitted: 5, roles: ["player"] });
    assert.equal(p.queue.count, 0);
    assert.equal(p.onAudioChunk(chunk(ts())), false);
    assert.equal(p.counters.rejected.no_stream, 2, "no stream after stream/end");
    // A format this speaker cannot play: ask for the preferred one, accept no audio.
    p.onMessage("stream/start", { server_transmitted: 6, player: { codec: "opus", sample_rate: 48000, channels: 2, bit_depth: 16 } });
    const req = sim.sent.filter((m) => m.type === "stream/request-format");
    assert.deepEqual(req[req.length - 1].payload, { player: { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 } });
    assert.equal(p.onAudioChunk(chunk(ts())), false);
    p.onMessage("stream/start", { server_transmitted: 7, player: { ...PCM48, sample_rate: 22050 } });
    assert.equal(sim.sent.filter((m) => m.type === "stream/request-format").length, 2);
    // Garbage is ignored without an exception.
    for (const [type, payload] of [["stream/start", null], ["stream/start", { player: 5 }], ["stream/clear", { roles: 5 }], ["server/time", { client_transmitted: "x" }], ["stream/end", []]] as const) {
      p.onMessage(type, payload);
    }
    assert.ok(sim.log.some((l) => l.includes("malformed")));
  });

  test("one line per stream at its end counts that stream's chunks: accepted, dropped late, cleared, still queued, rejected by reason, underruns", () => {
    const sim = synced({ bufferCapacity: 3840 * 8 });
    const p = sim.player;
    const ends = () => sim.log.filter((l) => l.includes("stream end"));
    p.onAudioChunk(chunk(Math.round(sim.serverNow() + 200_000))); // before any stream: not this stream's
    p.onMessage("stream/start", { server_transmitted: 1, player: PCM48 });
    const t0 = Math.round(sim.serverNow() + 400_000);
    for (let i = 0; i < 10; i++) p.onAudioChunk(chunk(t0 + i * 20_000)); // 8 fit, 2 over capacity
    p.onAudioChunk(new Uint8Array(8)); // malformed
    p.onAudioChunk(chunk(Math.round(sim.serverNow() - 100_000))); // late on arrival
    p.onMessage("stream/start", { server_transmitted: 2, player: PCM48 }); // same format: the same stream goes on
    assert.deepEqual(ends(), []);
    p.onMessage("stream/end", { server_transmitted: 3 });
    assert.deepEqual(ends(), ["info: player: stream end: 8 chunks accepted, 0 dropped late, 0 cleared, 8 still queued; 4 rejected (late 1, overflow 2, malformed 1); 0 underruns"]);

    // A second stream: its own figures. 5 chunks play out and the output runs dry (an underrun once the same
    // stream's data comes again), a stream/clear drops 3 queued ones, one more arrives after the others' time
    // (accepted while its end is ahead of what plays, dropped at the output).
    p.onMessage("stream/start", { server_transmitted: 4, player: PCM48 });
    const t1 = Math.round(sim.serverNow() + 200_000);
    for (let i = 0; i < 5; i++) assert.equal(p.onAudioChunk(chunk(t1 + i * 20_000)), true);
    sim.runMs(400); // all five played
    assert.equal(p.queue.count, 0);
    const t2 = Math.round(sim.serverNow() + 300_000);
    for (let i = 0; i < 3; i++) assert.equal(p.onAudioChunk(chunk(t2 + i * 20_000)), true);
    p.onMessage("stream/clear", { server_transmitted: 5 });
    const t3 = Math.round(sim.serverNow() + 100_000);
    for (let i = 0; i < 4; i++) assert.equal(p.onAudioChunk(chunk(t3 + i * 20_000)), true);
    assert.equal(p.onAudioChunk(chunk(t3 + 10_000)), true, "its end is ahead of the play position");
    sim.runMs(500);
    assert.equal(p.scheduler.stats.lateChunks, 1);
    p.deactivate(); // the connection went: the stream ends with it
    assert.equal(ends().length, 2);
    assert.equal(ends()[1], "info: player: stream end: 13 chunks accepted, 1 dropped late, 3 cleared, 0 still queued; 0 rejected (late 0, overflow 0, malformed 0); 1 underruns");
    p.activate();
    p.deactivate();
    p.onMessage("stream/end", { server_transmitted: 6 });
    assert.equal(ends().length, 2, "no stream, no line");
  });

  test("buffer_capacity is a hard bound: what exceeds it is refused", () => {
    const sim = synced({ bufferCapacity: 16_384 * 2 });
    const p = sim.player;
    p.onMessage("stream/start", { server_transmitted: 1, player: PCM48 });
    const t0 = Math.round(sim.serverNow() + 400_000);
    let accepted = 0;
    for (let i = 0; i < 20; i++) if (p.onAudioChunk(chunk(t0 + i * 20_000))) accepted++;
    assert.equal(accepted, Math.floor(32_768 / 3840));
    assert.equal(p.counters.rejected.overflow, 20 - accepted);
    assert.ok(p.queue.queuedBytes <= 32_768);
  });

  test("set_static_delay: applied to scheduling, persisted, reported", () => {
    const sim = synced({ staticDelayMs: 0 });
    const meter = new SyncMeter(sim);
    sim.player.onMessage("server/command", { player: { command: "set_static_delay", static_delay_ms: 250 } });
    assert.equal(sim.persistedDelayMs, 250);
    assert.equal(sim.player.staticDelayMs, 250);
    assert.deepEqual(states(sim)[states(sim).length - 1], { player: { static_delay_ms: 250 } });
    sim.runMs(200);
    sim.startStream();
    sim.runMs(4000);
    const r = meter.report();
    assert.ok(r.framesPlayed > 48000 * 3, `played ${r.framesPlayed}`);
    // The meter compares against the filter's time minus the static delay: on time means 250 ms early.
    assert.ok(r.maxUs < 1000, `max error ${r.maxUs} µs with the delay applied`);
  });

  test("deactivate stops output, drops buffers and cancels every timer", () => {
    const clock = new ManualClock();
    const sink = new RecordingSink(clock);
    const sent: string[] = [];
    const p = new Player({ clock, audio: sink, log: { log: () => {} }, sendJson: (t) => void sent.push(t), staticDelayMs: () => 0, persistStaticDelayMs: () => {} }, DEFAULT_CONFIG);
    p.activate();
    assert.equal(sent[0], "client/time");
    p.onMessage("stream/start", { server_transmitted: 1, player: PCM48 });
    assert.equal(sink.format?.sampleRate, 48000);
    p.deactivate();
    assert.equal(sink.format, undefined, "sink closed");
    clock.advanceMs(10_000);
    assert.equal(clock.pendingTimers(), 0);
    assert.equal(sent.length, 1, "no probe after deactivate");
    assert.equal(p.onAudioChunk(chunk(5_000_000)), false);
    assert.equal(p.counters.rejected.inactive, 1);
    p.activate(); // a new connection starts over
    assert.equal(sent.length, 2);
    p.deactivate();
  });

  test("end to end in a simulated network: every frame at the sink is the frame sent, except at reported corrections, within the targets", () => {
    for (const ppm of [100, -100]) {
      const sim = new PlaybackSim({ seed: 21 + ppm, driftPpm: ppm, jitterUs: 5000, sendAheadMs: 1000, keepSamples: false, autoStartMs: 0 });
      const meter = new SyncMeter(sim);
      sim.start();
      sim.runMs(25_000);
      sim.stopProducing();
      sim.runMs(1500); // everything sent has played
      const r = meter.report();
      const s = sim.player.scheduler.stats;
      assert.equal(r.garbled, 0, "no foreign or reordered frame");
      assert.equal(r.snapEvents, 0, "no discontinuity beyond the start snap");
      assert.equal(r.softEvents, s.softDrops + s.softDups, "every discontinuity is a reported soft correction of one frame");
      assert.equal(s.snapsStart, 1);
      assert.equal(s.snapsError + s.snapsUnderrun + s.underruns, 0);
      assert.ok(r.p99Us <= 500 && r.maxUs <= 1000, `${ppm} ppm: p99 ${r.p99Us}, max ${r.maxUs}`);
      assert.ok(r.maxSpeedDeviation <= 0.005);
      assert.equal(r.softInFirst500ms, 0);
      assert.equal(sim.sink.ownershipViolations, 0);
      report(`player e2e (sim) ${ppm} ppm: ${r.framesPlayed} frames, p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs, max ${r.maxUs.toFixed(0)} µs, ${r.softEvents} soft corrections, speed ≤ ${(r.maxSpeedDeviation * 100).toFixed(3)} %`);
    }
  });

  test("sample-exact output (chirp + noise): a stream start and the restart after stream/clear play from the first frame at its time; zero drift: nothing dropped or repeated; drift: one-frame corrections only", () => {
    const rate = 48000;
    for (const ppm of [0, 100, -100]) {
      const signal = chirpNoise(rate * 5, rate, 2, 1000 + ppm);
      const sim = new PlaybackSim({ seed: 31 + ppm, driftPpm: ppm, jitterUs: 2000, sendAheadMs: 500, keepSamples: true, signal, autoStartMs: 0 });
      sim.start();
      for (let k = 0; k < 300 && !(sim.streaming && sim.nextFrame >= rate * 1.5); k++) sim.runMs(100); // synchronized, then 1.5 s of the stream sent
      assert.ok(sim.streaming, "streaming");
      const firstTs = sim.streamStartTs;
      sim.clearAndContinue(rate); // a seek: 1 s of the signal skipped
      const restart = sim.nextFrame;
      const restartTs = sim.streamStartTs;
      sim.runMs(4000);
      const played = sim.sink.playedBytes();
      const c = checkSignal(signal, played, 4);
      const why = `${ppm} ppm: ${describeEvents(c)}`;
      assert.equal(c.foreign, 0, why);
      assert.equal(c.firstIndex, 0, `the stream starts with its first frame: ${why}`);
      assert.equal(c.lastIndex, rate * 5 - 1, `to its last frame: ${why}`);
      const big = c.events.filter((e) => e.kind !== "silence" && e.frames > 1);
      assert.equal(big.length, 1, `one jump, at the clear: ${why}`);
      assert.equal(c.indexOf[big[0].at], restart, `after the clear, the first frame sent after it: ${why}`);
      assert.equal(big[0].kind, "skip");
      assert.equal(c.events.filter((e) => e.kind === "silence").length, 1, `zeros only at the clear: ${why}`);
      const soft = c.events.filter((e) => e.kind !== "silence" && e.frames === 1);
      const st = sim.player.scheduler.stats;
      if (ppm === 0) assert.equal(soft.length, 0, `no correction without drift: ${why}`);
      else assert.ok(soft.length > 0 && soft.every((e) => e.kind === (ppm > 0 ? "repeat" : "skip")), why);
      // Every one is a correction the scheduler made (one made in the blocks the clear dropped never plays).
      const made = st.softDrops + st.softDups;
      assert.ok(soft.length <= made && soft.length >= made - 1, `${soft.length} seen, ${made} made`);
      assert.equal(st.snapsError + st.snapsUnderrun + st.lateChunks, 0);
      // When each frame played against when its timestamp says (the true server clock, not the filter's).
      const errors: number[] = [];
      let o = 0, afterClear = NaN;
      for (const seg of sim.sink.segments) {
        for (let f = 0; f < seg.frames; f++, o++) {
          const i = c.indexOf[o];
          if (i < 0) continue;
          const ts = (i >= restart ? restartTs : firstTs) + (i * 1e6) / rate;
          errors.push(seg.startUs + f * seg.frameUs - sim.localAt(ts));
          if (i === restart) afterClear = errors[errors.length - 1];
        }
      }
      const first = errors[0];
      const abs = errors.map(Math.abs).sort((a, b) => a - b);
      const p99 = abs[Math.floor(abs.length * 0.99)], max = abs[abs.length - 1];
      report(`player sample-exact (sim) ${ppm} ppm: ${c.signalFrames} frames, ${soft.length} one-frame corrections; first frame ${first.toFixed(0)} µs, first after stream/clear ${afterClear.toFixed(0)} µs; |error| p99 ${p99.toFixed(0)} µs, max ${max.toFixed(0)} µs`);
      assert.ok(Math.abs(first) <= 250 && Math.abs(afterClear) <= 250, "each start on time");
      assert.ok(p99 <= 500 && max <= 1000, `p99 ${p99}, max ${max}`);
      assert.equal(sim.sink.ownershipViolations, 0);
    }
  });
});
