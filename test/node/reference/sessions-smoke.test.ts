// Smoke test, reference server ↔ the speaker's session core over real WebSockets on loopback: the
// speaker side is modules/session (Sessions) behind modules/websocket (WebSocketServer) on a Node TCP
// listener, with the real Store on an emulated flash and test doubles for the player and the out-channel.
// It proves the two independent implementations agree on the wire; the full e2e suites belong to
// the session, player and platform helpers.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { keyId } from "../../../crypto/ids.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { encodePairingToken } from "../../../crypto/pairing-token.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../../modules/config.js";
import { SimClock } from "../../../sim/clock.js";
import { NodeListener } from "../../../sim/listener.js";
import { Sessions, type SessionEvent } from "../../../modules/session/sessions.js";
import type { SessionSocket } from "../../../modules/session/connection.js";
import { WebSocketServer } from "../../../modules/websocket/server.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import { Store } from "../../../storage/store.js";
import { RecordingIndicator, RecordingLog, RecordingOutChannel, RecordingPlayer } from "../../support/session-parts.js";
import {
  ReferenceServer, nodeRandom, pairingPskFromToken, pairWithDynamicPin, pairWithPairingPsk, pairWithStaticPin, PairingFailed,
} from "../../reference/index.js";

/** The simulator's clock port (monotonic µs, Node timers). */
const realClock = new SimClock();

async function speaker(config: Partial<SpeakerConfig> = {}) {
  const crypto = createPortableCrypto(nodeRandom);
  const store = Store.mount(new MemoryFlash({ blockSize: 4096, blocks: 4 }), {
    slots: 5,
    crypto,
    defaults: { staticPinEnabled: true, dynamicPinEnabled: true, minPinLength: 6, unpairedAccess: false },
    log: () => {},
  });
  const paired = () => store.list().filter((r) => r.kind === "stored_pubkey");
  const out = new RecordingOutChannel();
  const events: SessionEvent[] = [];
  const cfg: SpeakerConfig = { ...DEFAULT_CONFIG, staticPin: true, dynamicPin: true, ...config };
  const sessions = new Sessions({
    config: cfg,
    crypto,
    clock: realClock,
    log: new RecordingLog(),
    store,
    identity: store.settings.identity,
    clientId: keyId(store.settings.identity.publicKey),
    suite: crypto.suites[0],
    player: new RecordingPlayer(),
    outChannel: out,
    indicator: new RecordingIndicator(),
    emit: (e) => events.push(e),
  });
  const listener = new NodeListener({ host: "127.0.0.1" });
  const wss = new WebSocketServer(listener, {
    port: 0,
    path: "/sendspin",
    maxMessageBytes: sessions.maxMessageBytes + 64,
    maxConnections: 3,
    clock: realClock,
    // WsConnection.onClose receives the close code; SessionSocket's takes none (the extra argument is harmless).
    onConnection: (c) => sessions.accept(c as unknown as SessionSocket),
  });
  const port = await listener.bound();
  const sp = { sessions, store, paired, out, events, url: `ws://127.0.0.1:${port}/sendspin`, stop: () => (sessions.stop("shutdown"), wss.close()) };
  stops.push(sp.stop);
  return sp;
}

const stops: (() => void)[] = [];
const servers: ReferenceServer[] = [];
after(() => {
  for (const s of servers) s.closeAll();
  for (const s of stops) s();
});

function server(): ReferenceServer {
  const s = new ReferenceServer({ timeoutMs: 5000 });
  servers.push(s);
  return s;
}

test("Sentinel handshake, client/hello checked against the spec, an empty activation", async () => {
  const sp = await speaker();
  const c = await server().connect(sp.url, { psk: "sentinel", hello: true });
  assert.equal(c.clientId, sp.sessions.clientId);
  assert.equal(c.clientHello?.trust_level, "none");
  c.activate({ activities: [], active_roles: [] });
  c.send("management/list-records", {});
  assert.equal((await c.next("management/result")).payload.result, "permission_denied");
  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.errors, []);
  assert.equal(sp.sessions.internalErrors, 0);
  c.close();
});

test("pairing PSK from the token → long-term record on both sides → management on the new session", async () => {
  const sp = await speaker();
  const srv = server();
  const token = encodePairingToken(sp.store.settings.identity.publicKey, sp.store.settings.pairingPsk);
  const c = await srv.connect(sp.url, { psk: pairingPskFromToken(token), hello: true });
  const r = await pairWithPairingPsk(c);
  assert.ok(r.finalized);
  assert.equal(r.clientHello?.trust_level, "user");
  assert.equal(sp.paired().length, 1);
  assert.equal(sp.paired()[0].pskId, r.pskId);
  c.activate({ activities: ["management"], active_roles: [] });
  const res = await c.manage("list-records");
  assert.equal(res.result, "ok");
  // the first boot provisioned the record_mode shared-PSK record
  assert.deepEqual(res.data, { records: [{ psk_id: sp.store.settings.recordModePskId, used: false }, { psk_id: r.pskId, server_id: srv.serverId, used: true }] });
  assert.deepEqual(c.violations, []);
  c.close();
  await c.closed();

  // A new connection from the same server picks its record ("auto").
  const d = await srv.connect(sp.url, { hello: true });
  assert.equal(d.pskKind, "long-term");
  assert.equal(d.clientHello?.trust_level, "user");
  d.unpair();
  const info = await d.closed();
  assert.equal(info.goodbye, "unpaired");
  assert.equal(srv.records.size, 0);
  assert.equal(sp.paired().length, 0);
  assert.deepEqual(d.violations, []);
});

test("static PIN (the button opens the window) and dynamic PIN (read from the out-channel)", async () => {
  const sp = await speaker();
  const a = server();
  const c = await a.connect(sp.url, { hello: true });
  const p = pairWithStaticPin(c, sp.store.settings.staticPin, { pairInitTimeoutMs: 5000 });
  await c.until(() => c.activation !== null);
  setTimeout(() => sp.sessions.onButton("short"), 50);
  const r = await p;
  assert.ok(r.finalized);
  assert.deepEqual(c.violations, []);
  c.close();
  await c.closed();

  const b = server();
  const d = await b.connect(sp.url, { hello: true });
  const seen = sp.out.pins.length;
  const r2 = await pairWithDynamicPin(d, {
    getPin: async () => {
      for (let i = 0; i < 200 && sp.out.pins.length === seen; i++) await new Promise((res) => setTimeout(res, 10));
      return sp.out.pins[sp.out.pins.length - 1];
    },
  });
  assert.ok(r2.finalized);
  assert.equal(r2.pinLength, 6);
  assert.deepEqual(d.violations, []);
  d.close();
});

test("a wrong static PIN: the speaker aborts pin_mismatch and closes", async () => {
  const sp = await speaker();
  const c = await server().connect(sp.url, { hello: true });
  const p = pairWithStaticPin(c, "00000000").catch((e: unknown) => e);
  await c.until(() => c.activation !== null);
  setTimeout(() => sp.sessions.onButton("short"), 20);
  const e = await p;
  assert.ok(e instanceof PairingFailed);
  assert.equal(e.detail.peerAbort, "pin_mismatch");
  assert.equal(sp.paired().length, 0);
  assert.deepEqual(c.violations, []);
});

test("two servers at once: an empty activation against an empty holder is rejected with concurrent_attempt", async () => {
  const sp = await speaker();
  const a = await server().connect(sp.url, { activate: { activities: [], active_roles: [] } });
  await a.until(() => sp.sessions.admitted !== null, { what: "A admitted" });
  const b = await server().connect(sp.url, { activate: { activities: [], active_roles: [] } });
  const info = await b.closed(5000);
  assert.equal(info.goodbye, "concurrent_attempt");
  assert.ok(a.isOpen);
  assert.deepEqual(a.violations, []);
  assert.deepEqual(b.violations, []);
  a.close();
});
