// The current-revision layer of the reference server against the known-answer values that a second,
// independent implementation computed from the current text (test/unit/fixtures/
// current-revision-vectors.json): commit_B, the 6-digit and QR codes, the SP:0/SP:1 tokens, the CPace
// sid with pairing_index and round, whole CPace runs with ADa/ADb, K_wrap and the wrapped values in
// both suites. Also the current framing (fragment type 1 with its flags byte) on every malformed
// sequence the text lists, and the 13-byte audio header.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CPaceInitiator, CPaceResponder } from "../../../crypto/cpace.js";
import { pskId, SENTINEL_PSK, SENTINEL_PSK_ID } from "../../../crypto/ids.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import type { SuiteName } from "../../../crypto/provider.js";
import { base64urlEncode } from "../../../modules/util/base64url.js";
import { fromHex, toHex } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";
import { MAX_FRAME_PAYLOAD, NOISE_MAX_MESSAGE, TAG_BYTES } from "../../reference/framing.js";
import {
  AD_CLIENT, AD_SERVER, codeDigest, commitB, digitsCode, NONCE_WRAP_LABEL, pakeSid, PSK_WRAP_LABEL, qrCode, unwrap, wrap, wrapKey,
} from "../../reference/current/derive.js";
import { audioChunkBody, CurrentReassembler, FLAG_FIRST, FLAG_LAST, fragmentFrames, messageFrames, TYPE_FRAGMENT } from "../../reference/current/framing.js";
import { decodeToken, encodeToken } from "../../reference/current/token.js";
import { checkClientMessageCurrent } from "../../reference/current/wire.js";
import { initFailureReason } from "../../reference/current/connection.js";
import { projectRoot } from "../../xs/engine.js";

const crypto = createPortableCrypto({ fill: (o) => new SeededRandom(1).fill(o) });
const V = JSON.parse(readFileSync(join(projectRoot, "test/unit/fixtures/current-revision-vectors.json"), "utf8"));
const hex = fromHex;

test("vectors: commit_B = SHA-256('sendspin-pair-commit-v1' || nonce_B)", () => {
  assert.ok(V.commit_B.length >= 2);
  for (const c of V.commit_B) {
    assert.equal(toHex(commitB(crypto, hex(c.nonce_B))), c.commit_B);
    assert.equal(base64urlEncode(hex(c.commit_B)), c.commit_B_b64url);
  }
});

test("vectors: the pairing code digest, its 6 digits (zero-padded) and its 24 QR bytes", () => {
  assert.ok(V.pairing_code.some((c: { digits: string }) => c.digits.startsWith("0")), "a case with leading zeros");
  for (const c of V.pairing_code) {
    const d = codeDigest(crypto, hex(c.h), hex(c.nonce_A), hex(c.nonce_B));
    assert.equal(toHex(d), c.digest);
    assert.equal(digitsCode(d), c.digits);
    assert.equal(toHex(qrCode(d)), c.qr_code);
    assert.equal(encodeToken("1", qrCode(d)), c.qr_token);
  }
});

test("vectors: pairing tokens SP:0 / SP:1 (the spec's own two), and lenient decoding", () => {
  for (const t of V.pairing_token) {
    assert.equal(encodeToken(t.version, hex(t.payload)), t.token);
    const d = decodeToken(t.token)!;
    assert.equal(d.version, t.version);
    assert.equal(toHex(d.payload), t.payload);
    // Trim, lower case, no prefix, a literal "2" for "9": the same payload.
    const sloppy = `  ${t.token.slice(3).toLowerCase().replaceAll("9", "2")}\n`;
    assert.equal(toHex(decodeToken(sloppy)!.payload), t.payload);
    assert.equal(decodeToken(t.token, t.version === "0" ? "1" : "0"), undefined, "an interface expecting the other version refuses it");
  }
  assert.equal(decodeToken("SP:2AAAA"), undefined, "unknown version");
  assert.equal(decodeToken("SP:1AAAA"), undefined, "payload shorter than 24 bytes");
  assert.equal(decodeToken("SP:1" + "A".repeat(39) + "!"), undefined, "a character outside the alphabet");
  const longer = encodeToken("1", new Uint8Array(30).fill(7));
  assert.deepEqual(decodeToken(longer)!.payload, new Uint8Array(24).fill(7), "bytes beyond the version's payload are ignored");
});

test("vectors: CPace sid = label || h || uint32 pairing_index || uint32 round", () => {
  for (const c of V.cpace_sid) assert.equal(toHex(pakeSid(hex(c.h), c.pairing_index, c.round)), c.sid);
});

test("vectors: whole CPace runs with Sendspin's inputs (PRS, sid, ADa 'server', ADb 'client') through crypto/cpace.ts", () => {
  assert.equal(toHex(AD_SERVER), "736572766572");
  assert.equal(toHex(AD_CLIENT), "636c69656e74");
  for (const c of V.cpace_run) {
    const sid = pakeSid(hex(c.h), c.pairing_index, c.round);
    assert.equal(toHex(sid), c.sid);
    const a = new CPaceInitiator(crypto, { prs: hex(c.prs), sid, ada: AD_SERVER, adb: AD_CLIENT, scalar: hex(c.scalarA) });
    const b = new CPaceResponder(crypto, { prs: hex(c.prs), sid, ada: AD_SERVER, adb: AD_CLIENT, scalar: hex(c.scalarB) });
    const ya = a.start();
    assert.equal(toHex(ya), c.Ya, c.what);
    const yb = b.respond(ya)!;
    assert.equal(toHex(yb), c.Yb, c.what);
    assert.ok(a.receive(yb));
    assert.equal(toHex(a.isk), c.isk, c.what);
    assert.equal(toHex(a.initiatorTag()), c.Ta, c.what);
    assert.equal(base64urlEncode(a.initiatorTag()), c.server_kc);
    assert.ok(b.verifyInitiatorTag(a.initiatorTag()));
    assert.equal(toHex(b.responderTag()), c.Tb, c.what);
  }
});

test("vectors: K_wrap and the wrapped PSK / nonce_B in both suites; a flipped bit does not unwrap", () => {
  const suites = new Set<string>();
  for (const w of V.wrap) {
    const suite = w.suite as SuiteName;
    suites.add(suite);
    const kp = wrapKey(crypto, PSK_WRAP_LABEL, hex(w.sid), hex(w.isk));
    const kn = wrapKey(crypto, NONCE_WRAP_LABEL, hex(w.sid), hex(w.isk));
    assert.equal(toHex(kp), w.K_wrap_psk);
    assert.equal(toHex(kn), w.K_wrap_nonce);
    assert.equal(toHex(wrap(crypto, suite, kp, hex(w.long_term_psk))), w.wrapped_psk);
    assert.equal(toHex(wrap(crypto, suite, kn, hex(w.nonce_B))), w.wrapped_nonce_B);
    assert.equal(w.wrapped_psk_b64url.length, 64);
    assert.equal(toHex(unwrap(crypto, suite, kp, hex(w.wrapped_psk))!), w.long_term_psk);
    const bad = hex(w.wrapped_psk);
    bad[5] ^= 1;
    assert.equal(unwrap(crypto, suite, kp, bad), undefined);
    assert.equal(unwrap(crypto, suite, kn, hex(w.wrapped_psk)), undefined, "the two labels give different keys");
  }
  assert.deepEqual([...suites].sort(), ["25519_AESGCM_SHA256", "25519_ChaChaPoly_SHA256"]);
});

test("vectors: the Sentinel PSK and psk_id", () => {
  assert.equal(toHex(SENTINEL_PSK), V.constants.sentinel_psk);
  assert.equal(SENTINEL_PSK_ID, V.constants.sentinel_psk_id);
  assert.equal(pskId(crypto, hex(V.constants.psk_id_example.psk)), V.constants.psk_id_example.psk_id);
});

function bytes(n: number, seed = n): Uint8Array {
  return new SeededRandom(seed).bytes(n);
}

test("current framing: one frame up to 65,518 bytes; beyond, fragments [1][flags][orig_type] / [1][flags] that fit a Noise message", () => {
  for (const n of [0, 1, MAX_FRAME_PAYLOAD]) assert.equal(messageFrames(0, bytes(n)).length, 1);
  for (const n of [MAX_FRAME_PAYLOAD + 1, 3 * MAX_FRAME_PAYLOAD + 5, 1 << 20]) {
    const p = bytes(n);
    const frames = messageFrames(4, p);
    assert.ok(frames.length >= 2);
    frames.forEach((f, i) => {
      assert.equal(f[0], TYPE_FRAGMENT);
      assert.equal(f[1], (i === 0 ? FLAG_FIRST : 0) | (i === frames.length - 1 ? FLAG_LAST : 0));
      assert.ok(f.length + TAG_BYTES <= NOISE_MAX_MESSAGE, `frame of ${f.length}`);
      if (i < frames.length - 1) assert.equal(f.length + TAG_BYTES, NOISE_MAX_MESSAGE, "non-last fragments are full");
    });
    assert.equal(frames[0][2], 4);
    const r = new CurrentReassembler(1 << 24);
    const out = frames.map((f) => r.push(f));
    const last = out.at(-1)!;
    assert.ok(out.slice(0, -1).every((x) => x.kind === "pending"));
    assert.ok(last.kind === "message" && last.type === 4 && last.fragments === frames.length);
    assert.deepEqual(last.kind === "message" && last.data, p);
  }
  // A lone fragment (flags 0x03) and empty fragments reassemble.
  const lone = fragmentFrames(0, utf8Encode("{}"), [2]);
  assert.deepEqual([...lone[0].subarray(0, 3)], [1, 3, 0]);
  const r = new CurrentReassembler(100);
  const m = r.push(lone[0]);
  assert.ok(m.kind === "message" && m.type === 0 && m.data.length === 2);
  const e = fragmentFrames(4, bytes(3), [0, 3, 0]).map((f) => r.push(f));
  assert.ok(e[2].kind === "message" && e[2].data.length === 3);
});

test("current framing: every malformed sequence of the text is fatal", () => {
  const first = [1, FLAG_FIRST, 0, 9, 9];
  const middle = [1, 0, 9];
  const cases: [string, number[][], string][] = [
    ["first fragment while one is in flight", [first, first], "fragment-first-in-flight"],
    ["non-first fragment with none in flight", [middle], "fragment-none-in-flight"],
    ["last fragment with none in flight", [[1, FLAG_LAST, 1]], "fragment-none-in-flight"],
    ["non-fragment binary message during reassembly", [first, [4, 1, 2]], "interleaved"],
    ["reserved flag bit", [[1, FLAG_FIRST | 0x04, 0, 1]], "fragment-reserved-flags"],
    ["reserved flag bit on a later fragment", [first, [1, 0x80, 1]], "fragment-reserved-flags"],
    ["orig_type 1", [[1, FLAG_FIRST, 1, 5]], "fragment-orig-type-1"],
    ["first fragment without orig_type", [[1, FLAG_FIRST]], "fragment-truncated"],
    ["fragment without flags", [[1]], "fragment-truncated"],
    ["empty plaintext", [[]], "empty-frame"],
    ["reassembly beyond the limit", [[1, FLAG_FIRST, 0, ...new Array(60).fill(1)], [1, 0, ...new Array(60).fill(1)]], "message-too-large"],
  ];
  for (const [what, frames, reason] of cases) {
    const r = new CurrentReassembler(100);
    const out = frames.map((f) => r.push(Uint8Array.from(f)));
    assert.deepEqual(out.at(-1), { kind: "error", reason }, what);
    assert.deepEqual(r.push(Uint8Array.from([0, 123])), { kind: "error", reason }, `${what}: the receiver stays failed`);
  }
});

test("current audio header: 13 bytes, BE timestamp, BE send_ahead saturating at 0 and 0xFFFFFFFF", () => {
  const data = Uint8Array.from([1, 2, 3, 4]);
  const b = audioChunkBody(0x0102030405060708n, 0x0a0b0c0d, data);
  assert.deepEqual([...b], [1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d, 1, 2, 3, 4]);
  assert.deepEqual([...audioChunkBody(5, -1, data).subarray(8, 12)], [0, 0, 0, 0]);
  assert.deepEqual([...audioChunkBody(5, 2 ** 40, data).subarray(8, 12)], [255, 255, 255, 255]);
});

test("current checker: the shapes a conforming client sends pass, the baseline's are flagged", () => {
  const hello = {
    name: "S", supported_roles: ["player@v1"],
    "player@v1_support": { supported_formats: [{ codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 16 }], buffer_capacity: 100000 },
    supported_pair_methods: { pairing_psk: {}, dynamic_pairing_code: { out_channels: ["speaker"], formats: ["digits"] } },
    unpaired_access: { enabled: false },
  };
  assert.deepEqual(checkClientMessageCurrent("client/hello", hello), []);
  assert.ok(checkClientMessageCurrent("client/hello", { ...hello, trust_level: "none" }).length > 0);
  assert.ok(checkClientMessageCurrent("client/hello", { ...hello, supported_pair_methods: [{ method: "pairing_psk" }] }).length > 0);
  assert.ok(checkClientMessageCurrent("client/hello", { ...hello, supported_pair_methods: { pairing_psk: {}, static_pairing_code: {}, dynamic_pairing_code: { out_channels: ["speaker"], formats: ["digits"] } } }).length > 0, "two code methods");
  const state = { available: true, player: { volume: 50, muted: false, output_delay_ms: 0, required_lead_time_ms: 100, min_buffer_ms: 50, supported_commands: ["volume", "mute"] } };
  assert.deepEqual(checkClientMessageCurrent("client/state", state), []);
  assert.ok(checkClientMessageCurrent("client/state", { state: "synchronized" }).length > 0);
  assert.ok(checkClientMessageCurrent("client/state", { available: true, player: { static_delay_ms: 0 } }).length > 0);
  assert.ok(checkClientMessageCurrent("client/pair-finalize", { long_term_psk: "A".repeat(43), wrapped_psk: "A".repeat(64) }).length > 0);
  assert.deepEqual(checkClientMessageCurrent("client/pair-finalize", { wrapped_psk: "A".repeat(64) }), []);
  assert.ok(checkClientMessageCurrent("pair/abort", { reason: "pin_mismatch" }).length > 0);
  assert.deepEqual(checkClientMessageCurrent("client/pair-retry", {}), []);
  assert.deepEqual(checkClientMessageCurrent("client/leave", {}), []);
  assert.ok(checkClientMessageCurrent("management/result", { result: "ok" }).length > 0);
});

test("init failures: version (an integer other than 1) first, then the suite, then the rest", () => {
  assert.equal(initFailureReason({ version: 2, suite: "nope" }), "unsupported_version");
  assert.equal(initFailureReason({ version: 2 }), "unsupported_version");
  assert.equal(initFailureReason({ version: 1, suite: "25519_ChaChaPoly_BLAKE2s", client_id: "x" }), "unsupported_suite");
  assert.equal(initFailureReason({ version: "1", suite: "25519_ChaChaPoly_SHA256" }), "malformed");
  assert.equal(initFailureReason({ version: 1, suite: "25519_ChaChaPoly_SHA256", client_id: 5 }), "malformed");
});
