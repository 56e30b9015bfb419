import { assert, describe, test } from "../../harness.js";
import { SENTINEL_PSK_ID } from "../../../crypto/ids.js";
import {
  message1Payload,
  message2Payload,
  noiseHandshakeMessage,
  parseMessage1Payload,
  parseMessage2Payload,
  parseNoiseHandshakePayload,
} from "../../../modules/protocol/noise-messages.js";
import { utf8Encode } from "../../../modules/util/utf8.js";

describe("noise/handshake wire vocabulary", () => {
  test("noise/handshake envelope: base64url without padding, round trip", () => {
    const msg = new Uint8Array(50).map((_, i) => i * 5);
    const m = noiseHandshakeMessage(msg);
    assert.equal(m.type, "noise/handshake");
    assert.equal(m.payload.data.length, 67);
    assert.ok(!m.payload.data.includes("="));
    assert.deepEqual(parseNoiseHandshakePayload(JSON.parse(JSON.stringify(m.payload))), msg);
  });

  test("noise/handshake payload: rejects non-objects, wrong types, non-canonical base64url and bad sizes", () => {
    const ok = noiseHandshakeMessage(new Uint8Array(49)).payload.data; // 66 chars: the last one has 4 unused bits
    for (const p of [null, [], "s", 1, {}, { data: null }, { data: [ok] }, { data: ok + "=" }, { data: " " + ok }, { data: ok.slice(0, -1) + "B" },
      { data: noiseHandshakeMessage(new Uint8Array(47)).payload.data }, { data: noiseHandshakeMessage(new Uint8Array(65536)).payload.data }]) {
      assert.equal(parseNoiseHandshakePayload(p), undefined, JSON.stringify(p)?.slice(0, 30));
    }
    assert.equal(parseNoiseHandshakePayload({ data: ok, extra: 1 })?.length, 49, "unknown members ignored");
  });

  test("message 1 payload carries psk_id; parsing is strict about psk_id and JSON", () => {
    assert.equal(parseMessage1Payload(message1Payload(SENTINEL_PSK_ID)), SENTINEL_PSK_ID);
    assert.equal(parseMessage1Payload(utf8Encode(`{"psk_id":"${SENTINEL_PSK_ID}","v":2}`)), SENTINEL_PSK_ID, "extra members ignored");
    const bad = [
      "", "{", "[]", "null", `"${SENTINEL_PSK_ID}"`, "{}", `{"psk_id":5}`, `{"psk_id":"${SENTINEL_PSK_ID}="}`,
      `{"psk_id":"${SENTINEL_PSK_ID.slice(1)}"}`, `{"psk_id":"${SENTINEL_PSK_ID.slice(0, -1)}p"}` /* non-canonical tail */,
    ];
    for (const s of bad) assert.equal(parseMessage1Payload(utf8Encode(s)), undefined, s);
    assert.equal(parseMessage1Payload(new Uint8Array([0x7b, 0xff, 0x7d])), undefined, "invalid UTF-8");
  });

  test("message 2 payload is an empty JSON object; any object is accepted, nothing else", () => {
    assert.ok(parseMessage2Payload(message2Payload()));
    assert.ok(parseMessage2Payload(utf8Encode('{"x":1}')));
    for (const s of ["", "[]", "1", "null", "{"]) assert.equal(parseMessage2Payload(utf8Encode(s)), false, s);
  });
});
