import { assert, describe, test } from "../../harness.js";
import {
  addressesPlayer,
  audioChunkTimestamp,
  clientStatePayload,
  parsePlayerCommand,
  parseServerTime,
  parseStreamStartPlayer,
  playerSupportObject,
  requestFormatPayload,
  writeAudioChunkTimestamp,
} from "../../../modules/protocol/player-messages.js";

describe("player messages", () => {
  test("server/time: three exact integers, anything else refused", () => {
    assert.deepEqual(parseServerTime({ client_transmitted: 1, server_received: 2 ** 52, server_transmitted: -5 }), { clientTransmitted: 1, serverReceived: 2 ** 52, serverTransmitted: -5 });
    for (const bad of [null, [], "x", {}, { client_transmitted: 1, server_received: 2 }, { client_transmitted: 1.5, server_received: 2, server_transmitted: 3 },
      { client_transmitted: "1", server_received: 2, server_transmitted: 3 }, { client_transmitted: 2 ** 53, server_received: 2, server_transmitted: 3 }]) {
      assert.equal(parseServerTime(bad), undefined, JSON.stringify(bad));
    }
  });

  test("stream/start player object: shape validated, absence distinguished from garbage", () => {
    assert.deepEqual(parseStreamStartPlayer({ server_transmitted: 1, player: { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 } }), { kind: "ok", format: { codec: "pcm", sampleRate: 48000, channels: 2, bitDepth: 16 } });
    assert.deepEqual(parseStreamStartPlayer({ server_transmitted: 1, artwork: {} }), { kind: "absent" });
    for (const p of [null, 5, { codec: "pcm", sample_rate: 0, channels: 2, bit_depth: 16 }, { codec: "pcm", sample_rate: 48000, channels: 2.5, bit_depth: 16 },
      { codec: "", sample_rate: 48000, channels: 2, bit_depth: 16 }, { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16, codec_header: 7 }, { codec: "pcm", sample_rate: 48000, channels: 2 }]) {
      assert.deepEqual(parseStreamStartPlayer({ player: p }), { kind: "invalid" }, JSON.stringify(p));
    }
    assert.deepEqual(parseStreamStartPlayer("nope"), { kind: "invalid" });
  });

  test("stream/clear and stream/end address the player when roles is omitted or lists it", () => {
    assert.equal(addressesPlayer({}), true);
    assert.equal(addressesPlayer({ roles: ["player", "visualizer"] }), true);
    assert.equal(addressesPlayer({ roles: ["visualizer"] }), false);
    assert.equal(addressesPlayer({ roles: [] }), false);
    assert.equal(addressesPlayer({ roles: "player" }), undefined);
    assert.equal(addressesPlayer({ roles: [1] }), undefined);
    assert.equal(addressesPlayer(null), undefined);
  });

  test("server/command player: known commands validated, unknown ones reported as unsupported", () => {
    assert.deepEqual(parsePlayerCommand({ player: { command: "volume", volume: 0 } }), { command: "volume", volume: 0 });
    assert.deepEqual(parsePlayerCommand({ player: { command: "volume", volume: 100 } }), { command: "volume", volume: 100 });
    assert.deepEqual(parsePlayerCommand({ player: { command: "mute", mute: true } }), { command: "mute", mute: true });
    assert.deepEqual(parsePlayerCommand({ player: { command: "set_static_delay", static_delay_ms: 5000 } }), { command: "set_static_delay", staticDelayMs: 5000 });
    assert.deepEqual(parsePlayerCommand({ player: { command: "dance" } }), { command: "unsupported", name: "dance" });
    for (const bad of [{ command: "volume", volume: 101 }, { command: "volume", volume: -1 }, { command: "volume", volume: 5.5 }, { command: "volume" },
      { command: "mute", mute: 1 }, { command: "set_static_delay", static_delay_ms: 5001 }, { command: "set_static_delay", static_delay_ms: -1 }, { command: 3 }]) {
      assert.equal(parsePlayerCommand({ player: bad }), undefined, JSON.stringify(bad));
    }
    assert.equal(parsePlayerCommand({ controller: {} }), undefined);
  });

  test("audio chunk timestamp: big-endian int64, exact below 2^53, refused beyond", () => {
    const b = new Uint8Array(12);
    for (const t of [0, 1, 255, 256, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 7_300_000_123_457, 2 ** 53 - 1, -1, -(2 ** 31), -(2 ** 40) - 7, -(2 ** 53)]) {
      writeAudioChunkTimestamp(b, 0, t);
      assert.equal(audioChunkTimestamp(b), t, String(t));
    }
    b.set([0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);
    assert.equal(audioChunkTimestamp(b), 0x010203040506);
    b.set([0x00, 0x20, 0, 0, 0, 0, 0, 0]); // 2^53
    assert.ok(Number.isNaN(audioChunkTimestamp(b)));
    b.set([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert.ok(Number.isNaN(audioChunkTimestamp(b)));
    assert.ok(Number.isNaN(audioChunkTimestamp(new Uint8Array(7))));
  });

  test("outbound payloads", () => {
    assert.deepEqual(playerSupportObject([{ sampleRate: 48000, channels: 2, bitsPerSample: 16 }], 65536), {
      supported_formats: [{ codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 16 }],
      buffer_capacity: 65536,
      supported_commands: ["volume", "mute"],
    });
    assert.deepEqual(clientStatePayload("synchronized", { volume: 5, muted: false, staticDelayMs: 0, requiredLeadTimeMs: 60, minBufferMs: 80, supportedCommands: true }), {
      state: "synchronized",
      player: { volume: 5, muted: false, static_delay_ms: 0, required_lead_time_ms: 60, min_buffer_ms: 80, supported_commands: ["set_static_delay"] },
    });
    assert.deepEqual(clientStatePayload(undefined, { muted: true }), { player: { muted: true } });
    assert.deepEqual(requestFormatPayload({ sampleRate: 44100, channels: 2, bitsPerSample: 16 }), { player: { codec: "pcm", sample_rate: 44100, channels: 2, bit_depth: 16 } });
  });
});
