// The reference server's framing against the spec text (§Fragmentation): frame sizes at the Noise
// limit, the fragment layouts, and the receiver's behaviour on every malformed sequence.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../../support/random.js";
import { NoiseKKpsk2 } from "../../../crypto/noise.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { generateKeyPair, SENTINEL_PSK } from "../../../crypto/ids.js";
import {
  FrameReceiver, fragmentFrames, sealFrame, MAX_FRAME_PAYLOAD, messageFrames, NOISE_MAX_MESSAGE, Reassembler, TAG_BYTES, TYPE_AUDIO, TYPE_FRAGMENT_END,
  TYPE_FRAGMENT_MORE, TYPE_JSON, type Inbound,
} from "../../reference/framing.js";

function payload(n: number, seed = n): Uint8Array {
  return new SeededRandom(seed).bytes(n);
}

function reassemble(frames: Uint8Array[], max = 1 << 24): Inbound[] {
  const r = new Reassembler(max);
  return frames.map((f) => r.push(f));
}

test("the frame payload limit is 65535 − 16 − 1 = 65518", () => {
  assert.equal(MAX_FRAME_PAYLOAD, 65518);
  assert.equal(NOISE_MAX_MESSAGE - TAG_BYTES - 1, MAX_FRAME_PAYLOAD);
});

test("messages up to 65,518 bytes travel in one frame [type][payload]", () => {
  for (const n of [0, 1, 1000, MAX_FRAME_PAYLOAD - 1, MAX_FRAME_PAYLOAD]) {
    const p = payload(n);
    const frames = messageFrames(TYPE_AUDIO, p);
    assert.equal(frames.length, 1, `size ${n}`);
    assert.equal(frames[0][0], TYPE_AUDIO);
    assert.deepEqual(frames[0].subarray(1), p);
  }
});

test("65,519 bytes: an opening fragment filled to the limit and a fragment-end", () => {
  const p = payload(MAX_FRAME_PAYLOAD + 1);
  const frames = messageFrames(TYPE_JSON, p);
  assert.equal(frames.length, 2);
  assert.deepEqual([frames[0][0], frames[0][1]], [TYPE_FRAGMENT_MORE, TYPE_JSON]);
  assert.equal(frames[0].length, MAX_FRAME_PAYLOAD + 1, "opening frame plaintext is exactly 65,519 bytes");
  assert.equal(frames[1][0], TYPE_FRAGMENT_END);
  assert.equal(frames[1].length, 1 + 2);
});

test("every frame of a fragmented message fits one Noise transport message, continuations are full", () => {
  const sizes = [MAX_FRAME_PAYLOAD + 1, 2 * MAX_FRAME_PAYLOAD - 1, 2 * MAX_FRAME_PAYLOAD, 2 * MAX_FRAME_PAYLOAD + 1, 5 * MAX_FRAME_PAYLOAD + 77, 1 << 20];
  for (const n of sizes) {
    const p = payload(n);
    const frames = messageFrames(TYPE_AUDIO, p);
    for (const f of frames) assert.ok(f.length + TAG_BYTES <= NOISE_MAX_MESSAGE, `size ${n}: a frame of ${f.length} bytes`);
    assert.equal(frames[0].length, MAX_FRAME_PAYLOAD + 1, `size ${n}: opening fragment full`);
    for (const f of frames.slice(1, -1)) {
      assert.equal(f[0], TYPE_FRAGMENT_MORE);
      assert.equal(f.length, MAX_FRAME_PAYLOAD + 1, `size ${n}: continuation full`);
    }
    assert.equal(frames.at(-1)![0], TYPE_FRAGMENT_END);
    assert.ok(frames.at(-1)!.length >= 2, "the fragment-end carries data");
    const out = reassemble(frames);
    for (const x of out.slice(0, -1)) assert.deepEqual(x, { kind: "pending" });
    const last = out.at(-1)!;
    assert.equal(last.kind, "message");
    if (last.kind === "message") {
      assert.equal(last.type, TYPE_AUDIO);
      assert.equal(last.fragments, frames.length);
      assert.deepEqual(last.data, p);
    }
  }
});

test("2 × 65,518 − 1 bytes: the opening fragment takes one byte less, the end frame is full", () => {
  const frames = messageFrames(TYPE_JSON, payload(2 * MAX_FRAME_PAYLOAD - 1));
  assert.equal(frames.length, 2);
  assert.equal(frames[1].length, MAX_FRAME_PAYLOAD + 1);
});

test("the sender never uses the fragment types as a message type", () => {
  assert.throws(() => messageFrames(TYPE_FRAGMENT_MORE, payload(3)), RangeError);
  assert.throws(() => messageFrames(TYPE_FRAGMENT_END, payload(3)), RangeError);
  assert.throws(() => messageFrames(256, payload(3)), RangeError);
  assert.throws(() => fragmentFrames(TYPE_JSON, payload(3), [3]), RangeError, "one fragment is not a fragmented message");
  assert.throws(() => fragmentFrames(TYPE_JSON, payload(3), [1, 1]), RangeError, "sizes must add up");
});

test("receiver: the minimum fragmented message (one fragment-more, one fragment-end), empty data allowed", () => {
  const out = reassemble([new Uint8Array([2, 0]), new Uint8Array([3])]);
  assert.deepEqual(out[0], { kind: "pending" });
  assert.equal(out[1].kind, "message");
  if (out[1].kind === "message") assert.equal(out[1].data.length, 0);
});

test("receiver: a fragmented message that would have fit one frame is still accepted (senders should not, receivers cope)", () => {
  const p = payload(10);
  const out = reassemble(fragmentFrames(TYPE_AUDIO, p, [3, 0, 4, 3]));
  const last = out.at(-1)!;
  assert.equal(last.kind, "message");
  if (last.kind === "message") {
    assert.equal(last.type, TYPE_AUDIO);
    assert.deepEqual(last.data, p);
    assert.equal(last.fragments, 4);
  }
});

test("receiver: a type-2 frame's layout depends on the receiver's state (orig_type only when nothing is in flight)", () => {
  // Second frame [2][0][9] is a continuation: its data is [0, 9], not a new message of type 0.
  const out = reassemble([new Uint8Array([2, 4, 1]), new Uint8Array([2, 0, 9]), new Uint8Array([3, 7])]);
  const last = out.at(-1)!;
  assert.equal(last.kind, "message");
  if (last.kind === "message") {
    assert.equal(last.type, 4);
    assert.deepEqual([...last.data], [1, 0, 9, 7]);
  }
});

test("receiver: back-to-back messages, single and fragmented, keep their order and types", () => {
  const a = payload(5, 1), b = payload(7, 2), c = payload(2, 3);
  const frames = [...messageFrames(TYPE_JSON, a), ...fragmentFrames(TYPE_AUDIO, b, [3, 4]), ...messageFrames(9, c)];
  const out = reassemble(frames).filter((x) => x.kind === "message");
  assert.deepEqual(out.map((x) => x.kind === "message" && [x.type, [...x.data]]), [[0, [...a]], [4, [...b]], [9, [...c]]]);
});

const errors: [string, Uint8Array[], string][] = [
  ["an empty plaintext (no type byte)", [new Uint8Array(0)], "empty-frame"],
  ["an opening fragment-more without orig_type", [new Uint8Array([2])], "fragment-without-orig-type"],
  ["an opening fragment declaring orig_type 2", [new Uint8Array([2, 2, 1])], "fragment-nested"],
  ["an opening fragment declaring orig_type 3", [new Uint8Array([2, 3, 1])], "fragment-nested"],
  ["a fragment-end with nothing in flight", [new Uint8Array([3, 1])], "fragment-end-without-start"],
  ["a fragment-end after a completed message", [new Uint8Array([2, 0, 1]), new Uint8Array([3]), new Uint8Array([3])], "fragment-end-without-start"],
  ["a JSON frame interleaved into a fragmented message", [new Uint8Array([2, 4, 1]), new Uint8Array([0, 123])], "interleaved"],
  ["an audio frame interleaved into a fragmented message", [new Uint8Array([2, 0, 1]), new Uint8Array([4, 0])], "interleaved"],
];

for (const [name, frames, reason] of errors) {
  test(`receiver error: ${name} → ${reason}`, () => {
    const out = reassemble(frames);
    assert.deepEqual(out.at(-1), { kind: "error", reason });
  });
}

test("receiver error: a reassembly beyond the receiver's limit, single or fragmented", () => {
  assert.deepEqual(reassemble([new Uint8Array(1 + 11)], 10)[0], { kind: "error", reason: "message-too-large" });
  assert.equal(reassemble([new Uint8Array(1 + 10)], 10)[0].kind, "message");
  const out = reassemble(fragmentFrames(TYPE_JSON, payload(11), [5, 5, 1]), 10);
  assert.deepEqual(out.map((x) => x.kind), ["pending", "pending", "error"]);
  assert.equal(reassemble(fragmentFrames(TYPE_JSON, payload(10), [5, 5]), 10).at(-1)!.kind, "message");
});

test("receiver: after an error everything is refused (the connection is to be closed)", () => {
  const r = new Reassembler(100);
  assert.equal(r.push(new Uint8Array([3])).kind, "error");
  assert.deepEqual(r.push(new Uint8Array([0, 1])), { kind: "error", reason: "fragment-end-without-start" });
});

test("receiver: random fragmentations of random messages reassemble exactly (seeded)", () => {
  const rnd = new SeededRandom(4242);
  const r = new Reassembler(1 << 20);
  let cases = 0;
  for (let i = 0; i < 2000; i++) {
    const n = rnd.below(300);
    const p = rnd.bytes(n);
    const type = [0, 1, 4, 5, 8, 16, 200, 255][rnd.below(8)];
    const parts = 2 + rnd.below(6);
    const sizes: number[] = [];
    let left = n;
    for (let k = 0; k < parts - 1; k++) {
      const s = rnd.below(left + 1);
      sizes.push(s);
      left -= s;
    }
    sizes.push(left);
    const out = fragmentFrames(type, p, sizes).map((f) => r.push(f));
    const last = out.at(-1)!;
    assert.ok(out.slice(0, -1).every((x) => x.kind === "pending"));
    assert.equal(last.kind, "message");
    if (last.kind === "message") {
      assert.equal(last.type, type);
      assert.deepEqual(last.data, p);
    }
    cases++;
  }
  assert.equal(cases, 2000);
});

// ---- through the transport cipher (crypto/noise.ts CipherState from a real KKpsk2 handshake) ----


function cipherPair() {
  const crypto = createPortableCrypto(new SeededRandom(77));
  const a = generateKeyPair(crypto), b = generateKeyPair(crypto);
  const prologue = new Uint8Array([1, 2, 3]);
  const i = NoiseKKpsk2.initiator({ crypto, suite: "25519_ChaChaPoly_SHA256", prologue, s: a, rs: b.publicKey, psk: SENTINEL_PSK });
  const r = NoiseKKpsk2.responder({ crypto, suite: "25519_ChaChaPoly_SHA256", prologue, s: b, rs: a.publicKey });
  r.readMessage1(i.writeMessage1(new Uint8Array(0)));
  r.setPsk(SENTINEL_PSK);
  i.readMessage2(r.writeMessage2(new Uint8Array(0)));
  return { server: i.split(), client: r.split() };
}

test("sealed frames: a full 65,535-byte frame is accepted, one byte more is refused before decryption", () => {
  const { server, client } = cipherPair();
  const rx = new FrameReceiver(client.recv, 1 << 20);
  const frames = messageFrames(TYPE_AUDIO, payload(MAX_FRAME_PAYLOAD));
  const sealed = sealFrame(server.send, frames[0]);
  assert.equal(sealed.length, NOISE_MAX_MESSAGE);
  const got = rx.receive(sealed);
  assert.equal(got.kind, "message");
  const rx2 = new FrameReceiver(client.recv, 1 << 20);
  assert.deepEqual(rx2.receive(new Uint8Array(NOISE_MAX_MESSAGE + 1)), { kind: "error", reason: "frame-too-large" });
});

test("sealed frames: replay, reordering and tampering fail authentication", () => {
  const cases: [string, (frames: Uint8Array[]) => Uint8Array[]][] = [
    ["replay", (f) => [f[0], f[0]]],
    ["out of order", (f) => [f[1]]],
    ["tampered", (f) => [f[0].map((b, i) => (i === 2 ? b ^ 1 : b))]],
  ];
  for (const [name, pick] of cases) {
    const { server, client } = cipherPair();
    const rx = new FrameReceiver(client.recv, 1 << 20);
    const frames = [new Uint8Array([0, 1, 2, 3]), new Uint8Array([0, 4])].map((f) => sealFrame(server.send, f));
    const out = pick(frames).map((f) => rx.receive(f));
    assert.deepEqual(out.at(-1), { kind: "error", reason: "auth" }, name);
  }
});

test("sealed frames: a 1 MiB message crosses as 17 frames and reassembles", () => {
  const { server, client } = cipherPair();
  const rx = new FrameReceiver(client.recv, 2 << 20);
  const p = payload(1 << 20);
  const frames = messageFrames(TYPE_JSON, p).map((f) => sealFrame(server.send, f));
  assert.equal(frames.length, 17);
  const out = frames.map((f) => rx.receive(f));
  const last = out.at(-1)!;
  assert.equal(last.kind, "message");
  if (last.kind === "message") assert.deepEqual(last.data, p);
});
