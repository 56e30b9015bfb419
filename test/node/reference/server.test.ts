// The reference server against a scripted speaker-side peer (peer.ts, built on modules/channel): the
// handshake and prologue, hello/activate, time replies, management, fragmentation both ways (each side
// with its own framing code), re-handshake, PSK choice, hostile sends, audio, and the three pairing flows.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { generateKeyPair, pskId, SENTINEL_PSK, SENTINEL_PSK_ID } from "../../../crypto/ids.js";
import { encodePairingToken } from "../../../crypto/pairing-token.js";
import { CPaceResponder, cpaceSid } from "../../../crypto/cpace.js";
import { commitB, derivePin } from "../../../crypto/pin.js";
import { base64urlDecode, base64urlEncode } from "../../../modules/util/base64url.js";
import { bytesEqual } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import {
  HandshakeFailed, PairingFailed, ReferenceServer, nodeRandom, pairingPskFromToken, pairWithDynamicPin, pairWithPairingPsk, pairWithStaticPin,
  type ServerConnection,
} from "../../reference/index.js";
import { TestPeer, type PeerConn } from "./peer.js";

const crypto = createPortableCrypto(nodeRandom);
const peers: TestPeer[] = [];
const servers: ReferenceServer[] = [];
after(async () => {
  for (const s of servers) s.closeAll();
  for (const p of peers) await p.close();
});

async function setup(extraPsks: Uint8Array[] = [], o: { suite?: "25519_ChaChaPoly_SHA256" | "25519_AESGCM_SHA256" } = {}) {
  const identity = generateKeyPair(crypto);
  const psks = new Map<string, Uint8Array>([[SENTINEL_PSK_ID, SENTINEL_PSK]]);
  for (const p of extraPsks) psks.set(pskId(crypto, p), p);
  const peer = await TestPeer.listen({ crypto, identity, psks, suite: o.suite });
  peers.push(peer);
  const server = new ReferenceServer({ timeoutMs: 5000 });
  servers.push(server);
  return { identity, peer, server, psks };
}

const HELLO = {
  name: "Test speaker",
  trust_level: "none",
  supported_roles: ["player@v1"],
  "player@v1_support": { supported_formats: [{ codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 16 }], buffer_capacity: 1_000_000, supported_commands: ["volume", "mute"] },
  supported_pair_methods: [{ method: "pairing_psk" }, { method: "static_pin", locked_out: false }, { method: "dynamic_pin", min_pin_length: 6, out_channels: ["speaker"], locked_out: false }],
  unpaired_access: { enabled: false },
};

/** connect + hello, the peer answering client/hello. */
async function connected(server: ReferenceServer, peer: TestPeer, psk: Parameters<ReferenceServer["connect"]>[1] = {}, hello: Record<string, unknown> = HELLO) {
  const cP = server.connect(peer.url, psk);
  const pc = await peer.nextConn();
  const c = await cP;
  const hP = c.hello();
  await pc.next("server/hello");
  pc.send("client/hello", hello);
  await hP;
  return { c, pc };
}

test("handshake (Sentinel): both sides derive the same h from the exact init bytes; hello, activate, time, management", async () => {
  const { peer, server } = await setup();
  const cP = server.connect(peer.url, { psk: "sentinel" });
  const pc = await peer.nextConn();
  const c = await cP;
  assert.equal(c.clientId, peer.clientId);
  assert.equal(c.pskKind, "sentinel");
  assert.equal(c.pskId, SENTINEL_PSK_ID);
  assert.ok(bytesEqual(c.handshakeHash, pc.channel!.handshakeHash), "same handshake hash on both sides");
  assert.equal(pc.serverInitText, JSON.stringify({ type: "server/init", payload: { server_id: server.serverId, version: 1 } }));
  assert.deepEqual(c.received.map((m) => [m.type, m.encrypted]), [["client/init", false], ["noise/handshake", false]]);

  const hP = c.hello();
  assert.deepEqual((await pc.next("server/hello")).payload, { name: server.name });
  pc.send("client/hello", HELLO);
  assert.equal((await hP).name, "Test speaker");

  c.activate({ activities: ["playback"], active_roles: ["player@v1"] });
  assert.deepEqual((await pc.next("server/activate")).payload, { activities: ["playback"], active_roles: ["player@v1"] });

  pc.send("client/time", { client_transmitted: 123456 });
  const t = (await pc.next("server/time")).payload as Record<string, number>;
  assert.equal(t.client_transmitted, 123456);
  assert.ok(Number.isSafeInteger(t.server_received) && Number.isSafeInteger(t.server_transmitted));
  assert.ok(t.server_received <= t.server_transmitted);
  assert.equal(c.timeRepliesSent, 1);

  const mP = c.manage("list-records");
  await assert.rejects(c.manage("get-pairing-config"), /still in flight/);
  assert.deepEqual((await pc.next("management/list-records")).payload, {});
  pc.send("management/result", { result: "ok", data: { records: [] }, storage: { free: 5, capacity: 5, cost_individual: 1, cost_shared: 1 } });
  assert.deepEqual(await mP, { result: "ok", data: { records: [] }, storage: { free: 5, capacity: 5, cost_individual: 1, cost_shared: 1 } });

  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.errors, []);
  assert.deepEqual(pc.errors, []);
  c.close();
  assert.equal((await c.closed()).by, "server");
});

test("AES-GCM suite: the server follows the suite client/init announced", async () => {
  const { peer, server } = await setup([], { suite: "25519_AESGCM_SHA256" });
  const { c } = await connected(server, peer);
  assert.equal(c.suite, "25519_AESGCM_SHA256");
  assert.deepEqual(c.violations, []);
  c.close();
});

test("fragmentation both ways: 200 kB from the server, 150 kB from the peer (two independent framings)", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  c.activate({ activities: [], active_roles: [] });
  const big = "x".repeat(200_000);
  c.send("_test/big", { blob: big });
  assert.equal((await pc.next("_test/big")).payload.blob, big);
  const back = "y".repeat(150_000);
  pc.send("_test/back", { blob: back });
  const m = await c.next("_test/back");
  assert.equal(m.payload.blob, back);
  assert.equal(m.fragments, 3);
  assert.deepEqual(pc.errors, []);
  assert.deepEqual(c.errors, []);
  assert.deepEqual(c.violations, []);
  c.close();
});

test("re-handshake to the long-term PSK: prologue = previous h, keys switch, hello again", async () => {
  const lt = new Uint8Array(32).fill(7);
  const { peer, server } = await setup([lt]);
  const { c, pc } = await connected(server, peer, { psk: "sentinel" });
  const h1 = c.handshakeHash;
  server.records.set(c.clientId, { psk: lt, pskId: pskId(crypto, lt) });
  await c.rehandshake("record");
  assert.equal(c.pskKind, "long-term");
  assert.equal(c.handshakes, 2);
  assert.ok(!bytesEqual(c.handshakeHash, h1));
  assert.ok(bytesEqual(c.handshakeHash, pc.channel!.handshakeHash));
  assert.deepEqual(pc.pskIds, [SENTINEL_PSK_ID, pskId(crypto, lt)]);
  const hP = c.hello();
  await pc.next("server/hello");
  pc.send("client/hello", { ...HELLO, trust_level: "user" });
  assert.equal((await hP).trust_level, "user");
  assert.deepEqual(c.violations, []);
  c.close();
});

test("PSK choice: 'auto' uses the server's record; a psk_id miss fails the handshake (closed by the speaker)", async () => {
  const lt = new Uint8Array(32).fill(9);
  const { peer, server } = await setup([lt]);
  server.records.set(peer.clientId, { psk: lt, pskId: pskId(crypto, lt) });
  const { c } = await connected(server, peer);
  assert.equal(c.pskKind, "long-term");
  c.close();

  const e = await server.connect(peer.url, { psk: { psk: new Uint8Array(32).fill(1) } }).catch((x: unknown) => x);
  assert.ok(e instanceof HandshakeFailed);
  assert.equal(e.conn.closeInfo?.by, "client");
  assert.equal(e.conn.pskKind, "other");
});

test("a pairing token for another speaker is refused before server/init", async () => {
  const { peer, server } = await setup();
  const other = generateKeyPair(crypto);
  const token = encodePairingToken(other.publicKey, new Uint8Array(32).fill(3));
  const e = await server.connect(peer.url, { psk: pairingPskFromToken(token) }).catch((x: unknown) => x);
  assert.ok(e instanceof HandshakeFailed);
  assert.match(e.message, /does not match/);
  const pc = await peer.nextConn();
  await pc.whenClosed();
  assert.deepEqual(pc.received, [], "nothing was sent to the speaker");
});

test("transport faults are recorded and close the connection", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  pc.ws.send(Buffer.alloc(40, 1), { binary: true }); // not a valid ciphertext
  const info = await c.closed();
  assert.deepEqual(c.errors, ["transport: auth"]);
  assert.equal(info.by, "server");
});

test("hostile sends: a lone fragment-end reaches the peer's channel as the error it is", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  c.sendPlainFrame(new Uint8Array([3, 1, 2]));
  await pc.whenClosed();
  assert.deepEqual(pc.errors, ["fragment-end with no message in flight"]);
  assert.equal((await c.closed()).by, "client");
});

test("hostile sends: a replayed ciphertext fails the peer's authentication", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  const frame = c.sealPlainFrame(new Uint8Array([0, ...utf8Encode('{"type":"_x","payload":{}}')]));
  c.sendRawBinary(frame);
  await pc.next("_x");
  c.sendRawBinary(frame);
  await pc.whenClosed();
  assert.deepEqual(pc.errors, ["authentication failed"]);
});

test("audio: stream/start then type-4 chunks with BE int64 timestamps, paced at the send-ahead", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  c.activate({ activities: ["playback"], active_roles: ["player@v1"] });
  pc.send("client/state", { state: "synchronized", player: { volume: 50, muted: false, static_delay_ms: 0, required_lead_time_ms: 80, min_buffer_ms: 100 } });
  const pcm = new Uint8Array(48 * 4 * 200); // 200 ms of 48 kHz stereo 16-bit
  const s = c.playPcm({ pcm, format: { sample_rate: 48000, channels: 2, bit_depth: 16 }, chunkMs: 20 });
  const stats = await s.done;
  assert.equal(stats.sendAheadMs, 100, "max(required_lead_time_ms, min_buffer_ms) + static_delay_ms");
  assert.equal(stats.chunks, 10);
  assert.deepEqual((await pc.next("stream/start")).payload.player, { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(pc.receivedBinary.length, 10);
  pc.receivedBinary.forEach((b, i) => {
    assert.equal(b.type, 4);
    assert.equal(b.data.length, 8 + 48 * 4 * 20);
    const ts = new DataView(b.data.buffer, b.data.byteOffset).getBigInt64(0, false);
    assert.equal(Number(ts), stats.firstTimestampUs + i * 20_000);
  });
  for (const ch of s.sent) {
    const early = ch.timestampUs - ch.sentAtUs;
    assert.ok(early <= 100_000 + 2_000 && early >= 100_000 - 30_000, `chunk sent ${early} µs ahead`);
  }
  assert.deepEqual(c.violations, []);
  c.close();
});

// ---------------------------------------------------------------- pairing flows (peer plays role B)

/** The peer's side of CPace after server/pair-auth, up to client/pair-confirm (+ finalize when verified). */
async function peerCpace(pc: PeerConn, pin: string, o: { nonceB?: Uint8Array; lt?: Uint8Array } = {}) {
  const auth = await pc.next("server/pair-auth");
  const b = new CPaceResponder(crypto, { prs: utf8Encode(pin), sid: cpaceSid(pc.channel!.handshakeHash) });
  const yb = b.respond(base64urlDecode(auth.payload.pake_msg_1, 32));
  assert.ok(yb);
  pc.send("client/pair-auth", { pake_msg_2: base64urlEncode(yb) });
  const conf = await pc.next("server/pair-confirm");
  if (!b.verifyInitiatorTag(base64urlDecode(conf.payload.server_kc, 64))) {
    pc.send("pair/abort", { reason: "pin_mismatch" });
    pc.ws.close(1000);
    return false;
  }
  pc.send("client/pair-confirm", o.nonceB ? { client_kc: base64urlEncode(b.responderTag()), nonce_B: base64urlEncode(o.nonceB) } : { client_kc: base64urlEncode(b.responderTag()) });
  if (o.lt) {
    pc.pendingLongTerm = o.lt;
    pc.send("client/pair-finalize", { long_term_psk: base64urlEncode(o.lt) });
  }
  return true;
}

async function finishHello(c: ServerConnection, pc: PeerConn, p: Promise<unknown>) {
  await pc.next("server/hello");
  pc.send("client/hello", { ...HELLO, trust_level: "user" });
  return p;
}

test("pairing PSK flow: activate(pairing_psk) → pair-finalize → persist → server/pair-finalize → re-handshake → hello", async () => {
  const pairingPsk = new Uint8Array(32).fill(0x55);
  const { peer, server, identity } = await setup([pairingPsk]);
  const token = encodePairingToken(identity.publicKey, pairingPsk);
  const { c, pc } = await connected(server, peer, { psk: pairingPskFromToken(token) });
  assert.equal(c.pskKind, "pairing");
  const lt = crypto.sha256(utf8Encode("long-term"));
  const p = pairWithPairingPsk(c);
  assert.deepEqual((await pc.next("server/activate")).payload, { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" });
  pc.pendingLongTerm = lt;
  pc.send("client/pair-finalize", { long_term_psk: base64urlEncode(lt) });
  await pc.next("server/pair-finalize");
  const r = (await finishHello(c, pc, p)) as Awaited<typeof p>;
  assert.ok(r.finalized);
  assert.ok(bytesEqual(r.longTermPsk, lt));
  assert.ok(bytesEqual(server.records.get(c.clientId)!.psk, lt));
  assert.equal(c.pskKind, "long-term");
  assert.deepEqual(pc.pskIds, [pskId(crypto, pairingPsk), pskId(crypto, lt)]);
  assert.deepEqual(c.violations, []);
  c.close();
});

test("static PIN flow: pair-init, CPace role A, both confirmations, finalize", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  const p = pairWithStaticPin(c, "12345678");
  await pc.next("server/activate");
  pc.send("client/pair-init", {});
  const lt = new Uint8Array(32).fill(0x21);
  assert.ok(await peerCpace(pc, "12345678", { lt }));
  await pc.next("server/pair-finalize");
  const r = await finishHello(c, pc, p);
  assert.equal((r as { finalized: boolean }).finalized, true);
  assert.ok(bytesEqual(server.records.get(c.clientId)!.psk, lt));
  assert.deepEqual(c.violations, []);
  c.close();
});

test("static PIN, wrong PIN: the speaker's pair/abort pin_mismatch surfaces as PairingFailed", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  const p = pairWithStaticPin(c, "00000000").catch((e: unknown) => e);
  await pc.next("server/activate");
  pc.send("client/pair-init", {});
  assert.equal(await peerCpace(pc, "12345678"), false);
  const e = await p;
  assert.ok(e instanceof PairingFailed);
  assert.equal(e.detail.peerAbort, "pin_mismatch");
  assert.equal(e.stage, "client/pair-confirm");
  assert.equal(server.records.size, 0);
});

/** The peer's out-channel as the operator sees it: read() waits until show(). */
function outChannel() {
  let show!: (pin: string) => void;
  const shown = new Promise<string>((r) => (show = r));
  return { show, read: () => shown };
}

/** The peer's dynamic PIN side up to server/pair-init; returns the derived PIN and nonce_B. */
async function peerDynamicStart(pc: PeerConn) {
  await pc.next("server/activate");
  const nonceB = crypto.sha256(utf8Encode("nonce B"));
  pc.send("client/pair-init", { commit_B: base64urlEncode(commitB(crypto, nonceB)) });
  const init = await pc.next("server/pair-init");
  const nonceA = base64urlDecode(init.payload.nonce_A, 32)!;
  const len = init.payload.pin_length as number;
  return { nonceB, len, pin: derivePin(crypto, pc.channel!.handshakeHash, nonceA, nonceB, len) };
}

test("dynamic PIN flow: commit, nonces, PIN length max(client, server), three checks, finalize", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  const display = outChannel();
  let operatorAsked = 0;
  const p = pairWithDynamicPin(c, { serverMinPinLength: 8, getPin: ({ pinLength }) => ((operatorAsked = pinLength), display.read()) });
  const d = await peerDynamicStart(pc);
  assert.equal(d.len, 8, "max(6, 8)");
  display.show(d.pin);
  const lt = new Uint8Array(32).fill(0x42);
  assert.ok(await peerCpace(pc, d.pin, { nonceB: d.nonceB, lt }));
  await pc.next("server/pair-finalize");
  const r = (await finishHello(c, pc, p)) as Awaited<typeof p>;
  assert.equal(operatorAsked, 8);
  assert.equal(r.pin, d.pin);
  assert.ok(r.finalized);
  assert.deepEqual(c.violations, []);
  c.close();
});

test("dynamic PIN: a nonce_B that does not open commit_B → server pair/abort pin_mismatch (check 2)", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  const display = outChannel();
  const p = pairWithDynamicPin(c, { getPin: () => display.read() }).catch((e: unknown) => e);
  const d = await peerDynamicStart(pc);
  display.show(d.pin);
  assert.ok(await peerCpace(pc, d.pin, { nonceB: new Uint8Array(32), lt: new Uint8Array(32).fill(1) }));
  assert.equal((await pc.next("pair/abort")).payload.reason, "pin_mismatch");
  const e = await p;
  assert.ok(e instanceof PairingFailed);
  assert.equal(e.stage, "verify commit_B");
  assert.equal(e.detail.serverAbort, "pin_mismatch");
  assert.equal(server.records.size, 0);
});

test("dynamic PIN: CPace on a PIN that is not the derived one → server pair/abort pin_mismatch (check 3)", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  const p = pairWithDynamicPin(c, { getPin: async ({ pinLength }) => "1".repeat(pinLength) }).catch((e: unknown) => e);
  const d = await peerDynamicStart(pc);
  assert.notEqual(d.pin, "1".repeat(d.len));
  // A misbehaving client that runs CPace on the typed PIN: client_kc and the commitment verify, the binding does not.
  assert.ok(await peerCpace(pc, "1".repeat(d.len), { nonceB: d.nonceB }));
  const e = await p;
  assert.ok(e instanceof PairingFailed);
  assert.equal(e.stage, "verify PIN binding");
});

test("leaving pairing with server/activate instead of finalizing persists nothing", async () => {
  const { peer, server } = await setup();
  const { c, pc } = await connected(server, peer);
  const p = pairWithStaticPin(c, "12345678", { finish: { activities: [], active_roles: [] } });
  await pc.next("server/activate");
  pc.send("client/pair-init", {});
  assert.ok(await peerCpace(pc, "12345678", { lt: new Uint8Array(32).fill(5) }));
  assert.deepEqual((await pc.next("server/activate")).payload, { activities: [], active_roles: [] });
  const r = await p;
  assert.equal(r.finalized, false);
  assert.equal(server.records.size, 0);
  assert.equal(c.handshakes, 1);
  c.close();
});

test("time replies on an offset clock; until() waits for a condition; answered client/time is not queued", async () => {
  const { peer } = await setup();
  const server = new ReferenceServer({ clock: { offsetUs: 7_000_000_000 }, timeoutMs: 5000 });
  servers.push(server);
  const { c, pc } = await connected(server, peer);
  c.activate({ activities: ["playback"], active_roles: [] });
  for (let i = 0; i < 3; i++) pc.send("client/time", { client_transmitted: i });
  await c.until(() => c.timeRepliesSent >= 3, { what: "three replies" });
  const t = (await pc.next("server/time")).payload as Record<string, number>;
  assert.ok(t.server_received > 12_000_000_000 && t.server_received < 12_100_000_000, `${t.server_received}`);
  assert.deepEqual(c.pending(), []);
  assert.equal(c.received.filter((m) => m.type === "client/time").length, 3);
  c.close();
});
