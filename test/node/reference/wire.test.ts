// The reference server's spec checker (wire.ts): what it accepts and what it reports. End-to-end tests
// assert `violations` empty, so false alarms and missed faults both matter here.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkClientInit, checkClientMessage, decodeEnvelope } from "../../reference/wire.js";
import { utf8Encode } from "../../../modules/util/utf8.js";

const KEY = "A".repeat(42) + "A"; // 43 chars, 32 zero bytes
const B64_32 = "A".repeat(43);
const B64_64 = "A".repeat(86);

const HELLO = {
  name: "Speaker",
  device_info: { product_name: "X", manufacturer: "Y", software_version: "1", mac_address: "aa:bb:cc:dd:ee:ff" },
  trust_level: "none",
  supported_roles: ["player@v1"],
  "player@v1_support": { supported_formats: [{ codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 16 }], buffer_capacity: 100000, supported_commands: ["volume", "mute"] },
  supported_pair_methods: [{ method: "pairing_psk" }, { method: "static_pin", locked_out: false }, { method: "dynamic_pin", min_pin_length: 6, out_channels: ["speaker"], locked_out: true }],
  unpaired_access: { enabled: false },
};

test("client/init: valid, and each broken field reported", () => {
  assert.deepEqual(checkClientInit({ client_id: KEY, version: 1, suite: "25519_AESGCM_SHA256" }), []);
  assert.equal(checkClientInit({ client_id: KEY.slice(1), version: 1, suite: "25519_AESGCM_SHA256" }).length, 1);
  assert.equal(checkClientInit({ client_id: KEY + "=", version: 1, suite: "25519_AESGCM_SHA256" }).length, 1);
  assert.equal(checkClientInit({ client_id: KEY, version: 2, suite: "25519_AESGCM_SHA256" }).length, 1);
  assert.equal(checkClientInit({ client_id: KEY, version: 1, suite: "25519_ChaChaPoly_BLAKE2s" }).length, 1);
  assert.equal(checkClientInit({ client_id: KEY, version: 1, suite: "25519_AESGCM_SHA256", extra: 1 }).length, 1);
});

test("client/hello: a complete one passes; each departure is reported", () => {
  assert.deepEqual(checkClientMessage("client/hello", HELLO), []);
  assert.deepEqual(checkClientMessage("client/hello", { name: "", trust_level: "user", supported_roles: [], unpaired_access: { enabled: true } }), [], "the minimal hello");
  const broken: [string, Record<string, unknown>][] = [
    ["no unpaired_access", { ...HELLO, unpaired_access: undefined }],
    ["trust level", { ...HELLO, trust_level: "admin" }],
    ["mac case", { ...HELLO, device_info: { mac_address: "AA:BB:CC:DD:EE:FF" } }],
    ["player support missing", { ...HELLO, "player@v1_support": undefined }],
    ["unknown codec", { ...HELLO, "player@v1_support": { ...HELLO["player@v1_support"], supported_formats: [{ codec: "mp3", channels: 2, sample_rate: 48000, bit_depth: 16 }] } }],
    ["dynamic without min_pin_length", { ...HELLO, supported_pair_methods: [{ method: "dynamic_pin", locked_out: false }] }],
    ["min_pin_length 3", { ...HELLO, supported_pair_methods: [{ method: "dynamic_pin", min_pin_length: 3, locked_out: false }] }],
    ["pairing_psk with locked_out", { ...HELLO, supported_pair_methods: [{ method: "pairing_psk", locked_out: false }] }],
    ["static without locked_out", { ...HELLO, supported_pair_methods: [{ method: "static_pin" }] }],
    ["out_channels on static", { ...HELLO, supported_pair_methods: [{ method: "static_pin", locked_out: false, out_channels: ["display"] }] }],
    ["method twice", { ...HELLO, supported_pair_methods: [{ method: "pairing_psk" }, { method: "pairing_psk" }] }],
    ["unknown method", { ...HELLO, supported_pair_methods: [{ method: "qr" }] }],
  ];
  for (const [name, h] of broken) assert.ok(checkClientMessage("client/hello", JSON.parse(JSON.stringify(h))).length > 0, name);
});

test("management/result, pair/abort, goodbye, pairing fields, time, state", () => {
  const ok: [string, Record<string, unknown>][] = [
    ["management/result", { result: "ok", data: { records: [] }, storage: { free: 3, capacity: 5, cost_individual: 1, cost_shared: 1 } }],
    ["management/result", { result: "permission_denied" }],
    ["management/result", { result: "invalid", storage: { free: 3 } }],
    ["pair/abort", { reason: "pin_length_unacceptable" }],
    ["pair/abort", { reason: "storage_exhausted" }],
    ["client/goodbye", { reason: "another_server" }],
    ["client/pair-init", {}],
    ["client/pair-init", { commit_B: B64_32 }],
    ["client/pair-auth", { pake_msg_2: B64_32 }],
    ["client/pair-confirm", { client_kc: B64_64, nonce_B: B64_32 }],
    ["client/pair-finalize", { long_term_psk: B64_32 }],
    ["client/time", { client_transmitted: 123 }],
    ["client/state", { state: "synchronized", player: { volume: 100, muted: false, static_delay_ms: 5000, required_lead_time_ms: 0, min_buffer_ms: 10 } }],
    ["client/state", { player: { volume: 3 } }],
    ["_vendor/thing", { x: 1 }],
  ];
  for (const [t, p] of ok) assert.deepEqual(checkClientMessage(t, p), [], `${t} ${JSON.stringify(p)}`);
  const bad: [string, Record<string, unknown>][] = [
    ["management/result", { result: "maybe" }],
    ["management/result", { result: "invalid", data: {} }],
    ["management/result", { result: "permission_denied", storage: { free: 1 } }],
    ["management/result", { result: "ok", storage: { capacity: 5 } }],
    ["pair/abort", { reason: "bored" }],
    ["client/goodbye", { reason: "bye" }],
    ["client/pair-init", { commit_B: B64_32.slice(1) }],
    ["client/pair-auth", { pake_msg_2: B64_64 }],
    ["client/pair-confirm", { client_kc: B64_32 }],
    ["client/pair-confirm", { client_kc: B64_64, nonce_B: 7 }],
    ["client/pair-finalize", {}],
    ["client/time", { client_transmitted: 1.5 }],
    ["client/state", { state: "playing" }],
    ["client/state", { player: { volume: 101 } }],
    ["client/state", { player: { static_delay_ms: 5001 } }],
    ["client/state", { player: { supported_commands: ["volume"] } }],
    ["server/hello", { name: "x" }],
    ["client/whatever", {}],
  ];
  for (const [t, p] of bad) assert.ok(checkClientMessage(t, p).length > 0, `${t} ${JSON.stringify(p)}`);
});

test("envelope: strict UTF-8, JSON object, string type, object payload", () => {
  assert.deepEqual(decodeEnvelope(utf8Encode('{"type":"a","payload":{}}')), { type: "a", payload: {} });
  assert.equal(typeof decodeEnvelope(new Uint8Array([0x7b, 0xc0, 0x80, 0x7d])), "string", "overlong UTF-8");
  for (const t of ["{", "[]", '{"payload":{}}', '{"type":1,"payload":{}}', '{"type":"a"}', '{"type":"a","payload":[]}', '{"type":"a","payload":null}'])
    assert.equal(typeof decodeEnvelope(utf8Encode(t)), "string", t);
});
