// The Player on a current-revision connection (sendspin-spec-current.md §client/state, §server/command
// player object, §Audio Chunks): client/state carries `available` and the complete player object every
// time (output_delay_ms, supported_commands with set_output_delay), set_output_delay is clamped and
// persisted, the baseline's set_static_delay means nothing there, no stream/request-format is sent, and a
// 13-byte-header chunk plays like the baseline's 9-byte one.

import { assert, describe, test } from "../../harness.js";
import { CurrentChunkReader } from "../../../modules/protocol/current-player.js";
import { writeAudioChunkTimestamp } from "../../../modules/protocol/player-messages.js";
import { PlaybackSim } from "../../support/playback-sim.js";

function syncedCurrent(): PlaybackSim {
  const sim = new PlaybackSim({ jitterUs: 500 });
  sim.player.activate("current");
  for (let i = 0; i < 100 && !sim.player.synchronized; i++) sim.runMs(100);
  assert.ok(sim.player.synchronized, "synchronized");
  sim.runMs(100);
  return sim;
}

function states(sim: PlaybackSim) {
  return sim.sent.filter((m) => m.type === "client/state").map((m) => m.payload);
}

describe("player › current revision", () => {
  test("client/state: available and the complete player object, at sync and after every change", () => {
    const sim = syncedCurrent();
    const t = sim.player.timingValues();
    const full = (over: Record<string, unknown>) => ({
      available: true,
      player: { volume: 100, muted: false, output_delay_ms: 0, required_lead_time_ms: t.requiredLeadTimeMs, min_buffer_ms: t.minBufferMs, supported_commands: ["volume", "mute", "set_output_delay"], ...over },
    });
    assert.deepEqual(states(sim), [full({})]);
    sim.sendJsonToPlayer("server/command", { player: { command: "volume", volume: 30 } });
    sim.runMs(50);
    assert.deepEqual(states(sim)[1], full({ volume: 30 }), "no delta: every field again");
    sim.sendJsonToPlayer("server/command", { player: { command: "set_output_delay", output_delay_ms: 250 } });
    sim.runMs(50);
    assert.deepEqual(states(sim)[2], full({ volume: 30, output_delay_ms: 250 }));
    assert.equal(sim.player.staticDelayMs, 250);
    sim.sendJsonToPlayer("server/command", { player: { command: "set_output_delay", output_delay_ms: 9999 } });
    sim.runMs(50);
    assert.deepEqual(states(sim)[3], full({ volume: 30, output_delay_ms: 5000 }), "clamped to 0-5000");
    sim.sendJsonToPlayer("server/command", { player: { command: "set_static_delay", static_delay_ms: 10 } });
    sim.sendJsonToPlayer("server/command", { player: { command: "mute" } });
    sim.runMs(50);
    assert.equal(states(sim).length, 4, "the baseline's command and a malformed one change nothing");
    assert.equal(sim.player.staticDelayMs, 5000);
  });

  test("an unplayable stream/start sends no stream/request-format (the current text has none)", () => {
    const sim = syncedCurrent();
    sim.sendJsonToPlayer("stream/start", { server_transmitted: 1, player: { codec: "opus", sample_rate: 48000, channels: 2, bit_depth: 16 } });
    sim.runMs(50);
    assert.equal(sim.sent.filter((m) => m.type === "stream/request-format").length, 0);
  });

  test("a 13-byte-header chunk is read in place as timestamp + PCM; too short is malformed", () => {
    const sim = syncedCurrent();
    sim.startStream();
    sim.runMs(50);
    const ts = sim.serverNow() + 300_000;
    const body = new Uint8Array(12 + 960 * 4);
    writeAudioChunkTimestamp(body, 0, ts);
    body.set([0, 0, 0x27, 0x10], 8); // send_ahead
    for (let i = 12; i < body.length; i++) body[i] = (i * 13) & 255;
    const pcm = body.slice(12);
    const reader = new CurrentChunkReader();
    const view = reader.asBaseline(body);
    assert.equal(view.length, 8 + pcm.length);
    assert.deepEqual(view.slice(8), pcm, "the audio is untouched");
    const accepted = sim.player.counters.accepted;
    assert.ok(sim.player.onAudioChunk(view));
    assert.equal(sim.player.counters.accepted, accepted + 1);
    // the next chunk in the same receive buffer: the same view object (nothing allocated per chunk)
    writeAudioChunkTimestamp(body, 0, ts + 20_000);
    body.set([0, 0, 0x27, 0x10], 8);
    assert.equal(reader.asBaseline(body), view, "the view is reused");
    assert.ok(sim.player.onAudioChunk(view));
    assert.equal(sim.player.counters.accepted, accepted + 2);
    const short = reader.asBaseline(new Uint8Array(11));
    assert.equal(sim.player.onAudioChunk(short), false);
    assert.ok(sim.player.counters.rejected.malformed >= 1);
  });
});
