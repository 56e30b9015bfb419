// End to end over real WebSockets on 127.0.0.1: the speaker (startSpeaker: Store, Sessions, Player,
// WebSocket server on the simulator's listener) against the independent reference server. Every flow of
// issue 4: handshake and hello, each admissibility row, the three pairing flows, lockout, management
// (every result code), server/unpair, every goodbye reason, every pair/abort reason the speaker can send
// over the wire, arbitration between several servers, the socket cap, re-handshake and reboot.

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pskId } from "../../../crypto/ids.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { base64urlEncode } from "../../../modules/util/base64url.js";
import {
  ReferenceServer, PairingFailed, PinPairing, nodeRandom, pairingPskFromToken, pairWithDynamicPin, pairWithPairingPsk, pairWithStaticPin,
  type ServerConnection,
} from "../../reference/index.js";
import { sleep, startE2E, type E2ESpeaker } from "./rig.js";

const running: E2ESpeaker[] = [];
const servers: ReferenceServer[] = [];
after(() => {
  for (const s of servers) s.closeAll();
  for (const r of running) r.stop();
});

async function speaker(o: Parameters<typeof startE2E>[0] = {}): Promise<E2ESpeaker> {
  const r = await startE2E(o);
  running.push(r);
  return r;
}

function server(name?: string): ReferenceServer {
  const s = new ReferenceServer({ name, timeoutMs: 8000 });
  servers.push(s);
  return s;
}

function noViolations(c: ServerConnection): void {
  assert.deepEqual(c.violations, []);
}

/** Pair a fresh server through the pairing PSK (the token), returning the connection (trust user, re-handshaken). */
async function pairedServer(sp: E2ESpeaker, name?: string): Promise<{ srv: ReferenceServer; c: ServerConnection }> {
  const srv = server(name);
  const c = await srv.connect(sp.url, { psk: pairingPskFromToken(sp.ready.pairing_token), hello: true });
  const r = await pairWithPairingPsk(c);
  assert.equal(r.clientHello?.trust_level, "user");
  return { srv, c };
}

async function closedWith(c: ServerConnection): Promise<string> {
  const info = await c.closed();
  return info.goodbye ? `goodbye:${info.goodbye}` : info.pairAbort ? `abort:${info.pairAbort}` : `silent:${info.by}`;
}

describe("e2e: handshake, hello, admissibility", () => {
  test("ready event, Sentinel hello with the descriptors, nothing before activation, clean close", async () => {
    const sp = await speaker();
    assert.equal(sp.ready.client_id, sp.speaker.clientId);
    assert.match(sp.ready.pairing_token, /^SP:0[A-Z3-79]+$/);
    assert.match(sp.ready.static_pin ?? "", /^\d{8}$/);
    const c = await server().connect(sp.url, { psk: "sentinel", hello: true });
    const h = c.clientHello!;
    assert.equal(h.trust_level, "none");
    assert.deepEqual(h.supported_roles, ["player@v1"]);
    assert.ok(h["player@v1_support"]);
    assert.deepEqual((h.supported_pair_methods as { method: string }[]).map((d) => d.method), ["pairing_psk", "static_pin", "dynamic_pin"]);
    await sleep(100);
    assert.deepEqual(c.pending(), [], "nothing before the first server/activate");
    c.activate({ activities: [], active_roles: [] });
    await sleep(100);
    noViolations(c);
    c.close();
    await c.closed();
  });

  test("handshake failures close without a message: psk_id miss, tampered server/init, wrong suite", async () => {
    const sp = await speaker();
    for (const opts of [{ pskId: base64urlEncode(new Uint8Array(32).fill(9)) }, { editServerInit: (t: string) => t.replace('"version":1', '"version":2') }, { psk: { psk: new Uint8Array(32).fill(1) } as const }]) {
      const c = await server().open(sp.url);
      await c.handshake(opts).catch(() => {});
      const info = await c.closed();
      assert.equal(info.goodbye, undefined);
      assert.deepEqual(c.pending(), []);
    }
  });

  const rows: { psk: "sentinel" | "pairing" | "record"; unpaired?: boolean; activate: Record<string, unknown>; expect: string }[] = [
    { psk: "record", activate: { activities: [], active_roles: [] }, expect: "ok" },
    { psk: "record", activate: { activities: ["playback"], active_roles: ["player@v1"] }, expect: "ok" },
    { psk: "record", activate: { activities: ["management"], active_roles: [] }, expect: "ok" },
    { psk: "record", activate: { activities: ["playback", "management"], active_roles: ["player@v1"] }, expect: "ok" },
    { psk: "record", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" }, expect: "client/pair-init" },
    { psk: "record", activate: { activities: ["pairing", "playback"], active_roles: [], selected_pair_method: "dynamic_pin" }, expect: "goodbye:unauthorized" },
    { psk: "pairing", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" }, expect: "client/pair-finalize" },
    { psk: "pairing", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" }, expect: "abort:method_not_supported" },
    { psk: "pairing", activate: { activities: ["playback"], active_roles: [] }, expect: "goodbye:unauthorized" },
    { psk: "sentinel", activate: { activities: [], active_roles: [] }, expect: "ok" },
    { psk: "sentinel", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" }, expect: "client/pair-init" },
    { psk: "sentinel", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" }, expect: "abort:method_not_supported" },
    { psk: "sentinel", activate: { activities: ["playback"], active_roles: ["player@v1"] }, expect: "goodbye:pairing_required" },
    { psk: "sentinel", activate: { activities: [], active_roles: ["player@v1"] }, expect: "goodbye:pairing_required" },
    { psk: "sentinel", activate: { activities: ["management"], active_roles: [] }, expect: "goodbye:unauthorized" },
    { psk: "sentinel", unpaired: true, activate: { activities: ["playback"], active_roles: ["player@v1"] }, expect: "ok" },
    { psk: "sentinel", unpaired: true, activate: { activities: [], active_roles: ["player@v1"] }, expect: "ok" },
  ];
  test(`each admissibility row over the wire (${rows.length} rows)`, async () => {
    const plain = await speaker();
    const open = await speaker({ config: { unpairedAccess: true } });
    const { srv: owner, c: pc } = await pairedServer(plain);
    pc.close();
    await pc.closed();
    for (const r of rows) {
      const sp = r.unpaired ? open : plain;
      const srv = r.psk === "record" ? owner : server();
      const psk = r.psk === "record" ? "record" : r.psk === "pairing" ? pairingPskFromToken(sp.ready.pairing_token) : "sentinel";
      const c = await srv.connect(sp.url, { psk, hello: true });
      c.activate(r.activate as never);
      let got: string;
      if (r.expect === "ok") {
        await sleep(150);
        got = c.isOpen && c.pending().length === 0 ? "ok" : `unexpected ${c.pending().map((m) => m.type)} open=${c.isOpen}`;
      } else if (r.expect.startsWith("client/")) {
        got = (await c.next()).type;
      } else got = await closedWith(c);
      assert.equal(got, r.expect, JSON.stringify(r));
      noViolations(c);
      if (c.isOpen) {
        c.close();
        await c.closed();
      }
    }
  });
});

describe("e2e: pairing", () => {
  test("pairing PSK → record → re-handshake as user → management list; a second connection picks the record", async () => {
    const sp = await speaker();
    const { srv, c } = await pairedServer(sp);
    const ev = await sp.event((e) => e.event === "paired");
    assert.equal((ev as { server_id: string }).server_id, srv.serverId);
    c.activate({ activities: ["management"], active_roles: [] });
    const list = await c.manage("list-records");
    assert.equal(list.result, "ok");
    const recs = (list.data as { records: { psk_id: string; server_id?: string; used: boolean }[] }).records;
    assert.deepEqual(recs.filter((x) => x.server_id).map((x) => [x.server_id, x.used]), [[srv.serverId, true]]);
    noViolations(c);
    c.close();
    await c.closed();
    const d = await srv.connect(sp.url, { hello: true });
    assert.equal(d.pskKind, "long-term");
    assert.equal(d.clientHello?.trust_level, "user");
    d.activate({ activities: ["playback"], active_roles: ["player@v1"] });
    await d.until(() => d.clientState?.state === "synchronized", { timeoutMs: 8000 });
    noViolations(d);
    d.close();
  });

  test("static PIN: the button opens the window; a wrong PIN aborts pin_mismatch", async () => {
    const sp = await speaker();
    const c = await server().connect(sp.url, { hello: true });
    const p = pairWithStaticPin(c, sp.ready.static_pin!, { pairInitTimeoutMs: 5000 });
    await c.until(() => c.activation !== null);
    await sleep(50);
    sp.button.press("short");
    const r = await p;
    assert.ok(r.finalized);
    assert.equal(r.clientHello?.trust_level, "user");
    const w = sp.events.filter((e) => e.event === "pairing_window").map((e) => (e as { open: boolean }).open);
    assert.deepEqual(w, [true, false]);
    noViolations(c);
    c.close();
    const d = await server().connect(sp.url, { hello: true });
    const q = pairWithStaticPin(d, "00000000", { pairInitTimeoutMs: 5000 }).catch((e: unknown) => e);
    await d.until(() => d.activation !== null);
    sp.button.press("short");
    const e = await q;
    assert.ok(e instanceof PairingFailed);
    assert.equal(e.detail.peerAbort, "pin_mismatch");
    noViolations(d);
  });

  test("dynamic PIN read from the out-channel; pin_length_unacceptable; a short press repeats the PIN", async () => {
    const sp = await speaker();
    const c = await server().connect(sp.url, { hello: true });
    const seen = sp.out.pins.length;
    const r = await pairWithDynamicPin(c, {
      serverMinPinLength: 8,
      getPin: async () => {
        const pin = await sp.pin(seen);
        sp.button.press("short");
        await sleep(20);
        return pin;
      },
    });
    assert.ok(r.finalized);
    assert.equal(r.pinLength, 8);
    assert.equal(sp.out.pins[sp.out.pins.length - 1], sp.out.pins[sp.out.pins.length - 2], "repeated");
    noViolations(c);
    c.close();
    for (const len of [5, 13]) {
      const d = await server().connect(sp.url, { hello: true });
      const e = await pairWithDynamicPin(d, { pinLength: len, getPin: async () => "000000" }).catch((x: unknown) => x);
      assert.ok(e instanceof PairingFailed);
      assert.equal(e.detail.peerAbort, "pin_length_unacceptable");
      noViolations(d);
    }
  });

  test("ten wrong PINs lock dynamic_pin out (locked_out abort, descriptor, get-pairing-config); management unlocks", async () => {
    const sp = await speaker();
    for (let i = 0; i < 10; i++) {
      const d = await server().connect(sp.url, { hello: true });
      const e = await pairWithDynamicPin(d, { getPin: async () => "999999".slice(0, 6) }).catch((x: unknown) => x);
      assert.ok(e instanceof PairingFailed);
      await d.closed();
    }
    await sp.event((e) => e.event === "lockout" && (e as { locked_out: boolean }).locked_out);
    const x = await server().connect(sp.url, { hello: true });
    const desc = (x.clientHello!.supported_pair_methods as { method: string; locked_out?: boolean }[]).find((d) => d.method === "dynamic_pin")!;
    assert.equal(desc.locked_out, true);
    x.activate({ activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    assert.equal(await closedWith(x), "abort:locked_out");
    noViolations(x);
    const { c } = await pairedServer(sp);
    c.activate({ activities: ["management"], active_roles: [] });
    const cfg = await c.manage("get-pairing-config");
    assert.equal((cfg.data as { dynamic_pin: { locked_out: boolean } }).dynamic_pin.locked_out, true);
    assert.equal((await c.manage("set-pairing-config", { dynamic_pin: { locked_out: false } })).result, "ok");
    await sp.event((e) => e.event === "lockout" && !(e as { locked_out: boolean }).locked_out);
    noViolations(c);
    c.close();
  });

  test("leaving pairing with server/activate instead of server/pair-finalize persists nothing", async () => {
    const sp = await speaker();
    const c = await server().connect(sp.url, { hello: true });
    const seen = sp.out.pins.length;
    const r = await pairWithDynamicPin(c, { getPin: () => sp.pin(seen), finish: { activities: [], active_roles: [] } });
    assert.equal(r.finalized, false);
    await sleep(100);
    assert.equal(sp.speaker.store.list().filter((x) => x.kind === "stored_pubkey").length, 0);
    noViolations(c);
  });
});

describe("e2e: pair/abort reasons and timeouts", () => {
  test("user_cancelled (long press), concurrent_attempt (second pairing), method_not_supported, locked_out, pin_mismatch covered above", async () => {
    const sp = await speaker();
    const a = await server().connect(sp.url, { hello: true });
    const pa = new PinPairing(a, "dynamic_pin");
    pa.activate();
    await pa.awaitPairInit();
    const b = await server().connect(sp.url, { hello: true });
    b.activate({ activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    assert.equal(await closedWith(b), "abort:concurrent_attempt");
    sp.button.press("long");
    assert.equal(await closedWith(a), "abort:user_cancelled");
    noViolations(a);
    noViolations(b);
  });

  test("attempt_timeout and the provisional 30 s drop (speaker clock ×20)", async () => {
    const sp = await speaker({ scale: 20 });
    const a = await server().connect(sp.url, { hello: true });
    const pa = new PinPairing(a, "dynamic_pin");
    pa.activate();
    await pa.awaitPairInit();
    const t0 = Date.now();
    assert.equal(await closedWith(a), "abort:attempt_timeout");
    assert.ok(Date.now() - t0 > 4000, "about 6 s real for 2 minutes at ×20");
    const p = await server().connect(sp.url, { hello: true });
    assert.equal(await closedWith(p), "silent:client");
    assert.deepEqual(p.pending(), []);
  });
});

describe("e2e: management", () => {
  test("every result code: ok, permission_denied, already_exists, invalid, not_found, storage_exhausted; own record removal", async () => {
    const sp = await speaker({ config: { recordSlots: 5 } });
    const { c } = await pairedServer(sp);
    c.activate({ activities: ["playback"], active_roles: [] });
    assert.deepEqual(await c.manage("list-records"), { result: "permission_denied" });
    c.activate({ activities: ["management"], active_roles: [] });
    const k = new Uint8Array(32).fill(3);
    assert.equal((await c.manage("add-record", { psk: base64urlEncode(k) })).result, "ok");
    assert.equal((await c.manage("add-record", { psk: base64urlEncode(k) })).result, "already_exists");
    assert.equal((await c.manage("add-record", { psk: "nope" })).result, "invalid");
    assert.equal((await c.manage("remove-record", { psk_id: base64urlEncode(new Uint8Array(32)) })).result, "not_found");
    for (let i = 4; i < 6; i++) assert.equal((await c.manage("add-record", { psk: base64urlEncode(new Uint8Array(32).fill(i)) })).result, "ok");
    const full = await c.manage("add-record", { psk: base64urlEncode(new Uint8Array(32).fill(9)) });
    assert.deepEqual(full, { result: "storage_exhausted", storage: { free: 0 } });
    assert.equal((await c.manage("set-pairing-config", { record_mode: { psk_id: pskId(createPortableCrypto(nodeRandom), k) } })).result, "ok");
    assert.equal((await c.manage("remove-record", { psk_id: pskId(createPortableCrypto(nodeRandom), k) })).result, "invalid");
    assert.equal((await c.manage("set-pairing-config", { pairing_psk: { psk: base64urlEncode(k) } })).result, "already_exists");
    const own = c.pskId;
    c.send("management/remove-record", { psk_id: own });
    assert.equal((await c.next("management/result")).payload.result, "ok");
    assert.equal(await closedWith(c), "goodbye:unauthorized");
    noViolations(c);
  });
});

describe("e2e: goodbye reasons, arbitration, socket cap, unpair, reboot", () => {
  test("arbitration: playback displaces playback; management outranks; lower is rejected", async () => {
    const sp = await speaker();
    const { srv: s1, c: p1 } = await pairedServer(sp, "one");
    p1.close();
    await p1.closed();
    const { srv: s2, c: p2 } = await pairedServer(sp, "two");
    p2.close();
    await p2.closed();
    const a = await s1.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    await sleep(100);
    const b = await s2.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    assert.equal(await closedWith(a), "goodbye:another_server");
    const m = await s1.connect(sp.url, { hello: true, activate: { activities: ["management"], active_roles: [] } });
    assert.equal(await closedWith(b), "goodbye:another_server");
    const low = await s2.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: [] } });
    assert.equal(await closedWith(low), "goodbye:concurrent_attempt");
    sp.button.press("long");
    assert.equal(await closedWith(m), "goodbye:user_request");
    for (const c of [a, b, m, low]) noViolations(c);
  });

  test("empty against empty: the persisted last-playback server wins, also after a reboot", async () => {
    const sp = await startE2E();
    const { srv: s1, c: p1 } = await pairedServer(sp, "one");
    p1.close();
    await p1.closed();
    const { srv: s2, c: p2 } = await pairedServer(sp, "two");
    p2.close();
    await p2.closed();
    const a = await s1.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    await sleep(50);
    a.activate({ activities: [], active_roles: [] }); // playback over: s1 stays the last-playback server
    await sleep(50);
    const b = await s2.connect(sp.url, { hello: true, activate: { activities: [], active_roles: [] } });
    assert.equal(await closedWith(b), "goodbye:concurrent_attempt");
    a.close();
    await a.closed();
    const b2 = await s2.connect(sp.url, { hello: true, activate: { activities: [], active_roles: [] } });
    await sleep(50); // let the activation arrive: only activated connections get a goodbye
    sp.stop("restart");
    assert.equal(await closedWith(b2), "goodbye:restart");
    const again = await speaker({ flash: sp.flash });
    const b3 = await s2.connect(again.url, { hello: true, activate: { activities: [], active_roles: [] } });
    await sleep(50);
    const a2 = await s1.connect(again.url, { hello: true, activate: { activities: [], active_roles: [] } });
    assert.equal(await closedWith(b3), "goodbye:another_server", "the last-playback server, persisted across the reboot, wins");
    assert.ok(a2.isOpen);
    for (const c of [a, b, b2, b3, a2]) noViolations(c);
    a2.close();
  });

  test("server/unpair: stored-pubkey record removed; shared-PSK record kept; both say goodbye unpaired", async () => {
    const sp = await speaker();
    const { srv, c } = await pairedServer(sp);
    c.unpair();
    assert.equal(await closedWith(c), "goodbye:unpaired");
    assert.equal(srv.records.size, 0);
    assert.equal(sp.speaker.store.list().filter((r) => r.kind === "stored_pubkey").length, 0);
    const shared = sp.speaker.store.findByPskId(sp.speaker.store.settings.recordModePskId!)!;
    const d = await server().connect(sp.url, { psk: { psk: shared.psk }, hello: true });
    assert.equal(d.clientHello?.trust_level, "user");
    d.unpair();
    assert.equal(await closedWith(d), "goodbye:unpaired");
    assert.ok(sp.speaker.store.findByPskId(shared.pskId), "a shared-PSK record stays");
    noViolations(d);
  });

  test("the open-socket cap: a silent socket makes room; only sockets that proved a key refuse the extra one", async () => {
    const sp = await speaker({ config: { maxSockets: 2 } });
    const a = await server().open(sp.url);
    const b = await server().open(sp.url);
    const c = await server().open(sp.url); // not refused: the oldest silent socket made room
    assert.equal(await closedWith(a), "silent:client", "the speaker (the Sendspin client) closed it");
    assert.ok(b.isOpen && c.isOpen);
    b.close();
    c.close();
    await sleep(50);
    // two paired servers that proved their keys hold both slots: a third is refused (503)
    const p1 = await pairedServer(sp, "one");
    p1.c.close();
    await sleep(50);
    const p2 = await pairedServer(sp, "two");
    p2.c.close();
    await sleep(50);
    const k1 = await p1.srv.connect(sp.url, { hello: true });
    const k2 = await p2.srv.connect(sp.url, { hello: true });
    await assert.rejects(server().open(sp.url));
    assert.ok(k1.isOpen && k2.isOpen, "the keyed connections were not dropped");
    k1.close();
    k2.close();
  });

  test("shutdown and restart goodbyes; a reboot on the same flash keeps identity and records", async () => {
    const sp = await startE2E();
    const { srv, c } = await pairedServer(sp);
    c.activate({ activities: [], active_roles: [] });
    await sleep(50);
    sp.stop("restart");
    assert.equal(await closedWith(c), "goodbye:restart");
    const again = await speaker({ flash: sp.flash });
    assert.equal(again.ready.client_id, sp.ready.client_id);
    const d = await srv.connect(again.url, { hello: true });
    assert.equal(d.clientHello?.trust_level, "user");
    d.activate({ activities: [], active_roles: [] });
    await sleep(50);
    again.stop("shutdown");
    assert.equal(await closedWith(d), "goodbye:shutdown");
    noViolations(d);
  });

  test("re-handshake rotates the keys of a long-term session", async () => {
    const sp = await speaker();
    const { c } = await pairedServer(sp);
    c.activate({ activities: ["management"], active_roles: [] });
    await c.rehandshake("record");
    await c.hello();
    c.activate({ activities: ["management"], active_roles: [] });
    assert.equal((await c.manage("list-records")).result, "ok");
    assert.equal(c.handshakes, 3);
    noViolations(c);
    c.close();
  });
});

