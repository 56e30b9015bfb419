import { assert, describe, report, test } from "../../harness.js";
import { SENTINEL_PSK } from "../../../crypto/ids.js";
import { SUITES, type SuiteName } from "../../../crypto/provider.js";
import type { ChannelInbound, SecureChannel } from "../../../modules/channel/secure-channel.js";
import { MAX_FRAME_PAYLOAD } from "../../../modules/channel/fragments.js";
import { utf8Decode } from "../../../modules/util/utf8.js";
import { collect, connectWith, pattern, rawFrame, type Peers } from "./peers.js";
import { describeEachBackend } from "../../support/backends.js";

function message(r: ChannelInbound): { type: number; data: Uint8Array } {
  if (r.kind !== "message") assert.fail(`expected a message, got ${r.kind}${r.kind === "error" ? ": " + r.reason : ""}`);
  return { type: r.type, data: r.data.slice() };
}

function error(r: ChannelInbound, match: RegExp): void {
  if (r.kind !== "error") assert.fail(`expected an error, got ${r.kind}`);
  assert.ok(match.test(r.reason), `reason "${r.reason}" does not match ${match}`);
}

/** Send through `from`, deliver every frame to `to`; returns the results of each receive. */
function relay(from: SecureChannel, to: SecureChannel, type: number, payload: Uint8Array): ChannelInbound[] {
  const { frames, emit } = collect();
  assert.ok(from.send(type, payload, emit));
  return frames.map((f) => {
    const r = to.receive(f);
    return r.kind === "message" ? { kind: "message", type: r.type, data: r.data.slice() } : r;
  });
}

describeEachBackend("secure channel", (crypto) => {
  const connect = (suite: SuiteName, psk: Uint8Array, maxMessageBytes?: number, seed?: number) => connectWith(crypto, suite, psk, maxMessageBytes, seed);
  for (const suite of SUITES) {
    test(`${suite}: messages of every kind of type travel both ways, one frame each`, () => {
      const p = connect(suite, SENTINEL_PSK);
      for (const [type, len] of [[0, 5], [1, 0], [4, 3849], [8, 1000], [16, 2], [255, 77]]) {
        const payload = pattern(len, type);
        const { frames, emit } = collect();
        assert.ok(p.server.send(type, payload, emit));
        assert.equal(frames.length, 1);
        assert.equal(frames[0].length, 1 + len + 16, "type byte + payload + tag");
        const m = message(p.speaker.receive(frames[0]));
        assert.equal(m.type, type);
        assert.deepEqual(m.data, payload);
        const back = relay(p.speaker, p.server, type, payload);
        assert.deepEqual(message(back[0]).data, payload);
      }
    });
  }

  test("sendJson is type 0 UTF-8 JSON; the received data is a view into the frame (decrypted in place)", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    const { frames, emit } = collect();
    const value = { type: "client/state", payload: { name: "Küche 🔊", n: 1 } };
    assert.ok(p.speaker.sendJson(value, emit));
    const frame = frames[0];
    const r = p.server.receive(frame);
    assert.ok(r.kind === "message" && r.type === 0);
    assert.equal(r.data.buffer, frame.buffer, "no copy: a view into the caller's frame");
    assert.deepEqual(JSON.parse(utf8Decode(r.data)!), value);
  });

  test("a payload of exactly 65,518 bytes is one frame of 65,535 bytes", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    const payload = pattern(MAX_FRAME_PAYLOAD, 1);
    const { frames, emit } = collect();
    assert.ok(p.server.send(4, payload, emit));
    assert.equal(frames.length, 1);
    assert.equal(frames[0].length, 65535);
    const m = message(p.speaker.receive(frames[0]));
    assert.equal(m.type, 4);
    assert.deepEqual(m.data, payload);
  });

  test("65,519 bytes are fragmented: [2][orig_type] + 65,517 bytes, then [3] + 2 bytes", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    const payload = pattern(MAX_FRAME_PAYLOAD + 1, 2);
    const { frames, emit } = collect();
    assert.ok(p.server.send(9, payload, emit));
    assert.equal(frames.length, 2);
    assert.equal(frames[0].length, 65535);
    assert.equal(frames[1].length, 1 + 2 + 16);
    // Look inside with the speaker: decrypt the first frame and check its header.
    const first = frames[0].slice();
    assert.equal(p.speaker.receive(first).kind, "pending");
    assert.equal(first[0], 2, "fragment-more");
    assert.equal(first[1], 9, "orig_type");
    const last = frames[1].slice();
    const m = message(p.speaker.receive(last));
    assert.equal(last[0], 3, "fragment-end");
    assert.equal(m.type, 9);
    assert.deepEqual(m.data, payload);
  });

  for (const suite of SUITES) {
    test(`${suite}: many fragments, then ordinary messages, then another fragmented message`, () => {
      const p = connect(suite, SENTINEL_PSK, 400000);
      const size = 5 * MAX_FRAME_PAYLOAD + 1234; // 6 frames... plus the opening fragment's lost byte
      const payload = pattern(size, 3);
      const rs = relay(p.server, p.speaker, 4, payload);
      assert.equal(rs.length, 6, "frames");
      for (let i = 0; i < rs.length - 1; i++) assert.equal(rs[i].kind, "pending", `fragment ${i}`);
      const m = message(rs[rs.length - 1]);
      assert.equal(m.type, 4);
      assert.deepEqual(m.data, payload);
      assert.ok(p.speaker.reassemblyCapacity >= size && p.speaker.reassemblyCapacity <= 400000, "buffer bounded by the cap");
      // Back to single frames, then a second fragmented message of another type reuses the buffer.
      assert.deepEqual(message(relay(p.server, p.speaker, 0, pattern(10))[0]).data, pattern(10));
      const cap = p.speaker.reassemblyCapacity;
      const second = pattern(2 * MAX_FRAME_PAYLOAD + 7, 4);
      const rs2 = relay(p.server, p.speaker, 200, second);
      assert.equal(rs2.length, 3);
      const m2 = message(rs2[2]);
      assert.equal(m2.type, 200);
      assert.deepEqual(m2.data, second);
      assert.equal(p.speaker.reassemblyCapacity, cap, "no new allocation for a smaller message");
      report(`channel ${suite}: ${size} bytes in ${rs.length} fragments, then ${second.length} in ${rs2.length}`);
    });
  }

  test("receiver accepts a sender's unusual but valid fragmentation (small and empty fragments)", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    const f = (bytes: number[]) => p.speaker.receive(rawFrame(p.serverSend, new Uint8Array(bytes)));
    assert.equal(f([2, 4]).kind, "pending", "opening fragment with no data");
    assert.equal(f([2]).kind, "pending", "empty continuation");
    assert.equal(f([2, 7, 8]).kind, "pending");
    const m = message(f([3, 9]));
    assert.equal(m.type, 4);
    assert.deepEqual(m.data, new Uint8Array([7, 8, 9]));
    assert.deepEqual(message(f([0, 0x7b, 0x7d])).data, new Uint8Array([0x7b, 0x7d]), "then an ordinary message");
  });

  describe("protocol errors close the channel", () => {
    const cases: [string, RegExp, (p: Peers) => ChannelInbound, number?][] = [
      ["fragment-end with nothing in flight", /nothing in flight|no message in flight/, (p) => p.speaker.receive(rawFrame(p.serverSend, new Uint8Array([3, 1, 2])))],
      ["non-fragment frame while a fragmented message is in flight", /interleaved/, (p) => {
        assert.equal(p.speaker.receive(rawFrame(p.serverSend, new Uint8Array([2, 4, 1]))).kind, "pending");
        return p.speaker.receive(rawFrame(p.serverSend, new Uint8Array([0, 0x7b, 0x7d])));
      }],
      ["orig_type 2", /orig_type/, (p) => p.speaker.receive(rawFrame(p.serverSend, new Uint8Array([2, 2, 1])))],
      ["orig_type 3", /orig_type/, (p) => p.speaker.receive(rawFrame(p.serverSend, new Uint8Array([2, 3, 1])))],
      ["opening fragment without orig_type", /orig_type/, (p) => p.speaker.receive(rawFrame(p.serverSend, new Uint8Array([2])))],
      ["reassembled message larger than the cap", /cap/, (p) => {
        // cap is 70,000 here: 65,517 + 4,483 = 70,000 fits; one byte more does not.
        assert.equal(p.speaker.receive(rawFrame(p.serverSend, concat([2, 4], pattern(65517)))).kind, "pending");
        return p.speaker.receive(rawFrame(p.serverSend, concat([3], pattern(4484))));
      }],
      ["reassembled message larger than the cap, detected on a continuation", /cap/, (p) => {
        assert.equal(p.speaker.receive(rawFrame(p.serverSend, concat([2, 4], pattern(65517)))).kind, "pending");
        return p.speaker.receive(rawFrame(p.serverSend, concat([2], pattern(4484))));
      }],
      ["empty frame (no type byte)", /empty/, (p) => p.speaker.receive(rawFrame(p.serverSend, new Uint8Array(0)))],
      ["AEAD failure (flipped bit)", /authentication/, (p) => {
        const f = rawFrame(p.serverSend, new Uint8Array([0, 1, 2, 3]));
        f[2] ^= 4;
        return p.speaker.receive(f);
      }],
      ["undersized frame", /undersized/, (p) => p.speaker.receive(new Uint8Array(15))],
      ["frame above the Noise limit", /65535/, (p) => p.speaker.receive(new Uint8Array(65536))],
      ["replayed frame", /authentication/, (p) => {
        const f = rawFrame(p.serverSend, new Uint8Array([0, 1]));
        assert.equal(p.speaker.receive(f.slice()).kind, "message");
        return p.speaker.receive(f);
      }],
      ["reordered frames", /authentication/, (p) => {
        rawFrame(p.serverSend, new Uint8Array([0, 1])); // frame n, never delivered
        return p.speaker.receive(rawFrame(p.serverSend, new Uint8Array([0, 2]))); // frame n+1 first
      }],
      ["unfragmented message larger than the cap", /cap/, (p) => p.speaker.receive(rawFrame(p.serverSend, concat([4], pattern(1001)))), 1000],
    ];
    for (const [name, match, run, cap] of cases) {
      test(name, () => {
        const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK, cap ?? 70000);
        error(run(p), match);
        assert.ok(p.speaker.failed);
        // Nothing is accepted afterwards, not even a genuine frame.
        const { frames, emit } = collect();
        p.server.send(0, pattern(3), emit);
        error(p.speaker.receive(frames[0]), /already failed/);
      });
    }
  });

  test("a reassembled message of exactly the cap is accepted; the buffer never grows beyond the cap", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK, 70000);
    assert.equal(p.speaker.receive(rawFrame(p.serverSend, concat([2, 4], pattern(65517)))).kind, "pending");
    assert.equal(message(p.speaker.receive(rawFrame(p.serverSend, concat([3], pattern(4483))))).data.length, 70000);
    assert.equal(p.speaker.reassemblyCapacity, 70000, "grown by doubling, clamped to the cap");
    assert.equal(p.speaker.receive(rawFrame(p.serverSend, concat([2, 4], pattern(65517)))).kind, "pending");
    assert.ok(p.speaker.reassemblyCapacity <= 70000);
    error(p.speaker.receive(rawFrame(p.serverSend, concat([2], pattern(60000)))), /cap/);
    assert.ok(p.speaker.reassemblyCapacity <= 70000);
  });

  test("send refuses framing types and bad types; re-entrant send throws", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    const { emit } = collect();
    for (const t of [2, 3, -1, 256, 1.5]) assert.throws(() => p.server.send(t, new Uint8Array(1), emit), /type/);
    assert.throws(() => p.server.send(0, new Uint8Array(1), () => p.server.send(0, new Uint8Array(1), emit)), /re-entered/);
  });

  test("an emitter that refuses a frame breaks the send side (the peer's nonce would no longer match)", () => {
    const p = connect("25519_ChaChaPoly_SHA256", SENTINEL_PSK);
    let calls = 0;
    assert.equal(p.server.send(4, pattern(3 * MAX_FRAME_PAYLOAD), () => (++calls === 2 ? false : true)), false);
    assert.equal(calls, 2, "stops at the refused fragment");
    assert.equal(p.server.send(0, pattern(1), () => true), false, "and stays broken");
  });

  test("send nonce exhaustion: the last frame goes out, then send refuses", () => {
    const p = connect("25519_AESGCM_SHA256", SENTINEL_PSK);
    p.serverSend.setNonce(-1, -2);
    const { frames, emit } = collect();
    assert.ok(p.server.send(0, pattern(2), emit), "nonce 2^64−2");
    assert.equal(p.server.send(0, pattern(2), emit), false, "nonce 2^64−1 is reserved");
    assert.equal(frames.length, 1);
  });
}, 21);

function concat(head: number[], tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
