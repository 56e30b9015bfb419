// The wire vocabulary: bounded JSON, envelopes, every inbound validator and the outbound builders.

import { assert, describe, test } from "../../harness.js";
import { parseJsonObject, encodeJson, own } from "../../../modules/protocol/json.js";
import { parseEnvelope } from "../../../modules/protocol/envelope.js";
import { buildClientInit, parseServerInit } from "../../../modules/protocol/handshake-messages.js";
import { buildClientHello, buildGoodbye, parseServerActivate, parseServerHello } from "../../../modules/protocol/session-messages.js";
import { buildClientPairConfirm, buildClientPairInit, buildPairAbort, parseServerPairAuth, parseServerPairConfirm, parseServerPairInit } from "../../../modules/protocol/pairing-messages.js";
import { buildManagementResult, isManagementType, parseManagementRequest } from "../../../modules/protocol/management-messages.js";
import { base64urlEncode } from "../../../modules/util/base64url.js";
import { utf8Decode, utf8Encode } from "../../../modules/util/utf8.js";

const u = (s: string) => utf8Encode(s);
const KEY = base64urlEncode(new Uint8Array(32).fill(7));

describe("protocol json", () => {
  test("objects only; arrays, scalars, bad UTF-8 and bad JSON are refused without throwing", () => {
    assert.deepEqual(parseJsonObject(u('{"a":1}')), { a: 1 });
    for (const s of ["[]", "1", '"x"', "null", "{", '{"a":}', "", "{}{}", "\u0000"]) assert.equal(parseJsonObject(u(s)), undefined, s);
    assert.equal(parseJsonObject(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), undefined, "invalid UTF-8");
    assert.equal(parseJsonObject(new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d])), undefined, "encoded surrogate");
  });

  test("nesting, value count and size are bounded before JSON.parse", () => {
    assert.ok(parseJsonObject(u('{"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}}')), "depth 8");
    assert.equal(parseJsonObject(u('{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}}')), undefined, "depth 9");
    assert.equal(parseJsonObject(u('{"a":' + "[".repeat(100000) + "]".repeat(100000) + "}")), undefined);
    assert.equal(parseJsonObject(u('{"a":[' + "0,".repeat(600) + "0]}")), undefined, "too many values");
    assert.ok(parseJsonObject(u('{"a":"' + "[,{".repeat(1000) + '"}')), "brackets inside strings do not count");
    assert.ok(parseJsonObject(u('{"a":"\\"[[[[[[[[[[[["}')), "escaped quote");
    assert.ok(parseJsonObject(u('{"a":"\\\\","b":"\\\\\\"[[[[[[[[[[[["}')), "a string ending in an escaped backslash, one with an escaped quote after two");
    const afterEscapedBackslash = (n: number) => u('{"a":"\\\\","b":' + "[".repeat(n) + "]".repeat(n) + "}");
    assert.ok(parseJsonObject(afterEscapedBackslash(7)), "depth 8 after a string closed right after an escaped backslash");
    assert.equal(parseJsonObject(afterEscapedBackslash(8)), undefined, "depth 9 there: its brackets count");
    assert.equal(parseJsonObject(u('{"a":"x\\')), undefined, "unterminated string");
    assert.equal(parseJsonObject(u('{"a":"' + "x".repeat(70000) + '"}')), undefined, "over 64 KiB");
    assert.equal(parseJsonObject(u("}}}{")), undefined);
  });

  test("own properties only", () => {
    const o = parseJsonObject(u('{"__proto__":{"x":1},"a":2}'))!;
    assert.equal(own(o, "constructor"), undefined);
    assert.equal(own(o, "toString"), undefined);
    assert.equal(({} as Record<string, unknown>).x, undefined, "no prototype pollution");
    assert.equal(parseEnvelope(u('{"type":"constructor","payload":{}}'))!.type, "constructor");
    assert.equal(parseEnvelope(u('{"payload":{}}')), undefined);
  });

  test("envelope: string type, object payload; extra top-level keys ignored", () => {
    assert.deepEqual(parseEnvelope(u('{"type":"a/b","payload":{"x":1},"extra":true}')), { type: "a/b", payload: { x: 1 } });
    for (const s of ['{"type":1,"payload":{}}', '{"type":"a"}', '{"type":"a","payload":[]}', '{"type":"a","payload":null}', '{"type":"","payload":{}}', `{"type":"${"x".repeat(65)}","payload":{}}`]) {
      assert.equal(parseEnvelope(u(s)), undefined, s);
    }
  });
});

describe("protocol messages", () => {
  test("client/init bytes", () => {
    assert.equal(utf8Decode(buildClientInit(KEY, "25519_ChaChaPoly_SHA256")), `{"type":"client/init","payload":{"client_id":"${KEY}","version":1,"suite":"25519_ChaChaPoly_SHA256"}}`);
  });

  test("server/init: strict 43-char key, integer version 1", () => {
    assert.equal(parseServerInit({ server_id: KEY, version: 1 })!.serverId, KEY);
    for (const p of [{ server_id: KEY, version: 1.5 }, { server_id: KEY }, { server_id: KEY, version: 2 }, { server_id: KEY.slice(1), version: 1 }, { server_id: KEY + "A", version: 1 }, { server_id: KEY.replace(/.$/, "+"), version: 1 }, { server_id: 5, version: 1 }, { version: 1 }]) {
      assert.equal(parseServerInit(p as Record<string, unknown>), undefined, JSON.stringify(p));
    }
    // non-canonical trailing bits
    assert.equal(parseServerInit({ server_id: KEY.slice(0, 42) + "9", version: 1 }), undefined);
  });

  test("server/hello needs a string name", () => {
    assert.deepEqual(parseServerHello({ name: "MA" }), { name: "MA" });
    assert.equal(parseServerHello({}), undefined);
    assert.equal(parseServerHello({ name: 3 }), undefined);
    assert.equal(parseServerHello({ name: "x".repeat(300) }), undefined);
  });

  test("server/activate parsing keeps every case representable", () => {
    assert.deepEqual(parseServerActivate({ activities: ["playback"], active_roles: ["player@v1"] }), { activities: ["playback"], activeRoles: ["player@v1"], selectedPairMethod: "absent" });
    assert.deepEqual(parseServerActivate({ activities: ["pairing"], selected_pair_method: "static_pin" }), { activities: ["pairing"], activeRoles: undefined, selectedPairMethod: "static_pin" });
    assert.equal(parseServerActivate({ activities: ["playback", "playback"] }).activities, null);
    assert.equal(parseServerActivate({ activities: ["x"] }).activities, null);
    assert.equal(parseServerActivate({ activities: "playback" }).activities, null);
    assert.equal(parseServerActivate({}).activities, null);
    assert.equal(parseServerActivate({ activities: [], active_roles: [1] }).activeRoles, null);
    assert.equal(parseServerActivate({ activities: [], active_roles: new Array(17).fill("a") }).activeRoles, null);
    assert.equal(parseServerActivate({ activities: [], selected_pair_method: "qr" }).selectedPairMethod, "unknown");
    assert.equal(parseServerActivate({ activities: [], selected_pair_method: 1 }).selectedPairMethod, "unknown");
  });

  test("pairing payloads: exact sizes", () => {
    const n32 = base64urlEncode(new Uint8Array(32).fill(1));
    const n64 = base64urlEncode(new Uint8Array(64).fill(1));
    assert.equal(parseServerPairInit({ nonce_A: n32, pin_length: 6 })!.pinLength, 6);
    assert.ok(Number.isNaN(parseServerPairInit({ nonce_A: n32, pin_length: "6" })!.pinLength));
    assert.equal(parseServerPairInit({ nonce_A: n64, pin_length: 6 }), undefined);
    assert.equal(parseServerPairAuth({ pake_msg_1: n32 })!.length, 32);
    assert.equal(parseServerPairAuth({ pake_msg_1: n64 }), undefined);
    assert.equal(parseServerPairConfirm({ server_kc: n64 })!.length, 64);
    assert.equal(parseServerPairConfirm({ server_kc: n32 }), undefined);
    assert.deepEqual(buildClientPairInit(), { type: "client/pair-init", payload: {} });
    assert.deepEqual(buildClientPairInit(new Uint8Array(32).fill(1)), { type: "client/pair-init", payload: { commit_B: n32 } });
    assert.deepEqual(buildClientPairConfirm(new Uint8Array(64).fill(1)), { type: "client/pair-confirm", payload: { client_kc: n64 } });
    assert.deepEqual(buildPairAbort("locked_out"), { type: "pair/abort", payload: { reason: "locked_out" } });
    assert.deepEqual(buildGoodbye("another_server"), { type: "client/goodbye", payload: { reason: "another_server" } });
  });

  test("client/hello shape", () => {
    const h = buildClientHello({ name: "S", productName: "P", manufacturer: "M", softwareVersion: "1", trust: "none", supportedRoles: [], pairMethods: [{ method: "pairing_psk" }], unpairedAccess: false });
    assert.equal(utf8Decode(encodeJson(h)), '{"type":"client/hello","payload":{"name":"S","device_info":{"product_name":"P","manufacturer":"M","software_version":"1"},"trust_level":"none","supported_roles":[],"supported_pair_methods":[{"method":"pairing_psk"}],"unpaired_access":{"enabled":false}}}');
  });

  test("management requests: strict payloads", () => {
    assert.ok(isManagementType("management/list-records"));
    assert.ok(isManagementType("management/x"));
    assert.ok(!isManagementType("management/result"));
    assert.ok(!isManagementType("management/"));
    assert.deepEqual(parseManagementRequest("management/list-records", {}), { op: "list-records" });
    assert.deepEqual(parseManagementRequest("management/list-records", { a: 1 }), { op: "invalid" });
    assert.deepEqual(parseManagementRequest("management/remove-record", { psk_id: KEY }), { op: "remove-record", pskId: KEY });
    assert.deepEqual(parseManagementRequest("management/foo", {}), { op: "invalid" });
    const r = parseManagementRequest("management/set-pairing-config", { static_pin: { locked_out: false, pin: "00000000" }, dynamic_pin: { min_pin_length: 12 } });
    assert.deepEqual(r, { op: "set-pairing-config", patch: { staticPin: { clearLockout: true, pin: "00000000" }, dynamicPin: { minPinLength: 12 } } });
    assert.deepEqual(buildManagementResult("permission_denied", { free: 1, capacity: 5, cost_individual: 1, cost_shared: 1 }, true), { type: "management/result", payload: { result: "permission_denied" } });
    assert.deepEqual(buildManagementResult("invalid", { free: 1, capacity: 5, cost_individual: 1, cost_shared: 1 }, true, { x: 1 }), { type: "management/result", payload: { result: "invalid", storage: { free: 1, capacity: 5, cost_individual: 1, cost_shared: 1 } } });
  });
});
