// The current revision's transport framing (sendspin-spec-current.md §Fragmentation): type 1 with a flags
// byte (bit 1 first, bit 0 last, bits 2-7 zero), [1][flags][orig_type][data] then [1][flags][data]; every
// malformed sequence the text lists closes the channel; types 2 and 3 are ordinary (reserved) messages.
// Also: psk_category travels in message 1 and the responder reads it back.

import { assert, describe, test } from "../../harness.js";
import { SENTINEL_PSK, generateKeyPair } from "../../../crypto/ids.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { InitiatorHandshake, ResponderHandshake } from "../../../modules/channel/handshake.js";
import { SecureChannel, type ChannelInbound } from "../../../modules/channel/secure-channel.js";
import { MAX_FRAME_PAYLOAD } from "../../../modules/channel/fragments.js";
import { concatBytes } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";
import { plaintext } from "../../support/session-peer.js";
import type { PskCategoryCode } from "../../../modules/protocol/revision.js";

const crypto = createPortableCrypto(new SeededRandom(31));

function pair(category: PskCategoryCode | undefined, maxMessageBytes = 1 << 20) {
  const suite = crypto.suites[0];
  const server = generateKeyPair(crypto), speaker = generateKeyPair(crypto);
  const prologue = concatBytes(utf8Encode('{"type":"client/init"}'), utf8Encode('{"type":"server/init"}'));
  const init = new InitiatorHandshake({ crypto, suite, s: server, rs: speaker.publicKey, prologue, psk: SENTINEL_PSK, pskCategory: category });
  const resp = new ResponderHandshake({ crypto, suite, s: speaker, rs: server.publicKey, prologue });
  const m1 = JSON.parse(JSON.stringify(init.message1())) as { payload: unknown };
  assert.ok(resp.readMessage1(m1.payload) !== null);
  const seen = resp.pskCategory;
  const { message, keys } = resp.respond(SENTINEL_PSK);
  const skeys = init.readMessage2((JSON.parse(JSON.stringify(message)) as { payload: unknown }).payload)!;
  const framing = category === undefined ? "baseline" : "current";
  // sendCs is the server channel's own send state: rawFrame() encrypts hostile frames in its nonce sequence
  return { seen, server: new SecureChannel(skeys, { maxMessageBytes: 1 << 20, framing }), speaker: new SecureChannel(keys, { maxMessageBytes, framing }), sendCs: skeys.send };
}

/** Encrypt [plain] as one frame with the server's next nonce (no framing rules applied). */
function rawFrame(p: ReturnType<typeof pair>, ...parts: (number | Uint8Array)[]): Uint8Array {
  const plain = plaintext(parts);
  const b = new Uint8Array(plain.length + 16);
  b.set(plain);
  return b.subarray(0, p.sendCs.encryptInPlace(null, b, 0, plain.length));
}

function kinds(rs: ChannelInbound[]): string[] {
  return rs.map((r) => (r.kind === "message" ? `message ${r.type} ${r.data.length}` : r.kind === "error" ? `error` : "pending"));
}

describe("current revision › framing", () => {
  test("message 1 carries psk_category and the responder reads it; without it: null (a baseline server)", () => {
    assert.equal(pair("lt").seen, "lt");
    assert.equal(pair("pr").seen, "pr");
    assert.equal(pair(undefined).seen, null);
  });

  test("a message larger than one frame goes as type-1 fragments, first/last flags, and arrives whole", () => {
    const p = pair("sn");
    const payload = new Uint8Array(2 * MAX_FRAME_PAYLOAD + 100);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 9)) & 255;
    const frames: Uint8Array[] = [];
    assert.ok(p.speaker.send(4, payload, (f) => frames.push(f.slice())));
    assert.equal(frames.length, 3);
    const got = frames.map((f) => {
      const r = p.server.receive(f);
      return r.kind === "message" ? { kind: r.kind, type: r.type, data: r.data.slice() } : r;
    });
    assert.deepEqual(got.slice(0, 2).map((r) => r.kind), ["pending", "pending"]);
    const last = got[2] as { kind: string; type: number; data: Uint8Array };
    assert.equal(last.type, 4);
    assert.deepEqual(last.data, payload);
    assert.throws(() => p.speaker.send(1, new Uint8Array(1), () => true), /not 1/);
  });

  test("the frames on the wire: [1][0x02][orig][data], [1][0x00][data], [1][0x01][data]", () => {
    const p = pair("sn");
    const payload = new Uint8Array(MAX_FRAME_PAYLOAD * 2 + 10).fill(9);
    const frames: Uint8Array[] = [];
    assert.ok(p.server.send(0, payload, (f) => frames.push(f.slice())));
    assert.equal(frames.length, 3);
    // frame sizes: first carries 65516 data bytes (flags + orig_type), the middle 65517, the last the rest
    assert.equal(frames[0].length, 1 + 1 + 1 + (MAX_FRAME_PAYLOAD - 2) + 16);
    assert.equal(frames[1].length, 1 + 1 + (MAX_FRAME_PAYLOAD - 1) + 16);
    assert.equal(frames[2].length, 1 + 1 + (payload.length - (MAX_FRAME_PAYLOAD - 2) - (MAX_FRAME_PAYLOAD - 1)) + 16);
  });

  test("a lone fragment (flags 0x03) and empty fragments are accepted; types 2 and 3 are plain messages", () => {
    const p = pair("sn");
    const body = utf8Encode('{"type":"x/y","payload":{}}');
    assert.deepEqual(kinds([p.speaker.receive(rawFrame(p, 1, 3, 0, body))]), [`message 0 ${body.length}`]);
    assert.deepEqual(kinds([p.speaker.receive(rawFrame(p, 1, 2, 0)), p.speaker.receive(rawFrame(p, 1, 0)), p.speaker.receive(rawFrame(p, 1, 1, body))]), ["pending", "pending", `message 0 ${body.length}`]);
    assert.deepEqual(kinds([p.speaker.receive(rawFrame(p, 2, 0, body))]), [`message 2 ${body.length + 1}`]);
    assert.deepEqual(kinds([p.speaker.receive(rawFrame(p, 3, body))]), [`message 3 ${body.length}`]);
  });

  test("every malformed sequence the text lists closes the channel", () => {
    const body = new Uint8Array([1, 2, 3]);
    const cases: [string, (p: ReturnType<typeof pair>) => Uint8Array[]][] = [
      ["first while one is in flight", (p) => [rawFrame(p, 1, 2, 0, body), rawFrame(p, 1, 2, 0, body)]],
      ["non-first with none in flight", (p) => [rawFrame(p, 1, 0, body)]],
      ["last with none in flight", (p) => [rawFrame(p, 1, 1, body)]],
      ["a non-fragment during reassembly", (p) => [rawFrame(p, 1, 2, 0, body), rawFrame(p, 0, body)]],
      ["reserved flag bit 2", (p) => [rawFrame(p, 1, 2 | 4, 0, body)]],
      ["reserved flag bit 7", (p) => [rawFrame(p, 1, 0x80 | 3, 0, body)]],
      ["orig_type 1", (p) => [rawFrame(p, 1, 2, 1, body)]],
      ["no flags byte", (p) => [rawFrame(p, 1)]],
      ["first fragment without orig_type", (p) => [rawFrame(p, 1, 2)]],
    ];
    for (const [what, frames] of cases) {
      const p = pair("sn");
      const rs = frames(p).map((f) => p.speaker.receive(f));
      assert.equal(rs[rs.length - 1].kind, "error", what);
      assert.ok(p.speaker.failed, what);
    }
  });

  test("the reassembly cap holds for type-1 fragments", () => {
    const p = pair("sn", 1000);
    const r1 = p.speaker.receive(rawFrame(p, 1, 2, 0, new Uint8Array(600)));
    const r2 = p.speaker.receive(rawFrame(p, 1, 1, new Uint8Array(600)));
    assert.equal(r1.kind, "pending");
    assert.equal(r2.kind, "error");
    assert.ok(p.speaker.reassemblyCapacity <= 1000);
  });

  test("a baseline channel keeps types 2/3 as fragments and type 1 as a plain (reserved) message", () => {
    const p = pair(undefined);
    const body = new Uint8Array([5, 6]);
    assert.deepEqual(kinds([p.speaker.receive(rawFrame(p, 1, 3, 0, body))]), ["message 1 4"]);
    assert.deepEqual(kinds([p.speaker.receive(rawFrame(p, 2, 0, body)), p.speaker.receive(rawFrame(p, 3, body))]), ["pending", "message 0 4"]);
  });
});
