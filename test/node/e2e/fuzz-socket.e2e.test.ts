// The real-socket share of the session fuzz (the bulk runs against the session core in
// test/node/fuzz/session.fuzz.test.ts): hostile messages through the whole stack — TCP on 127.0.0.1,
// the WebSocket server, the secure channel, the sessions, the real Store — sent by the reference server.
// It asserts that every request is answered or the connection closes as the spec says, that the
// reference server saw no departure from the spec, that records and settings are unchanged, and that
// the speaker still serves a normal session at the end.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { base64urlEncode } from "../../../modules/util/base64url.js";
import { ReferenceServer, pairingPskFromToken, pairWithPairingPsk, type ServerConnection } from "../../reference/index.js";
import { SeededRandom } from "../../support/random.js";
import { Mutator, jsonShape } from "../fuzz/mutate.js";
import { startE2E, sleep, type E2ESpeaker } from "./rig.js";

const SEED = Number(process.env.FUZZ_SEED ?? 4242);
let sp: E2ESpeaker | null = null;
const srv = new ReferenceServer({ name: "fuzz", timeoutMs: 8000 });
after(() => {
  srv.closeAll();
  sp?.stop();
});

function storeView(s: E2ESpeaker): string {
  const st = s.speaker.store;
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const set = st.settings;
  return JSON.stringify({ records: st.list().map((r) => [r.pskId, r.serverId ?? null]), settings: { ...set, identity: hex(set.identity.publicKey), pairingPsk: hex(set.pairingPsk), lastPlaybackServerId: null } });
}

const GOODBYE = ["another_server", "shutdown", "restart", "user_request", "unauthorized", "pairing_required", "concurrent_attempt", "unpaired"];
const ABORT = ["attempt_timeout", "concurrent_attempt", "locked_out", "method_not_supported", "pin_length_unacceptable", "pin_mismatch", "user_cancelled", "storage_exhausted"];

test(`session fuzz over real WebSockets (seed ${SEED})`, async () => {
  sp = await startE2E();
  const m = new Mutator(new SeededRandom(SEED));
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  // a paired server (its record makes management sessions possible)
  const first = await srv.connect(sp.url, { psk: pairingPskFromToken(sp.ready.pairing_token), hello: true });
  await pairWithPairingPsk(first);
  first.close();
  await first.closed();
  const baseline = storeView(sp);

  // 1. management requests with mutated payloads: exactly one management/result each, nothing changed unless ok
  let mc: ServerConnection = await srv.connect(sp.url, { hello: true, activate: { activities: ["management"], active_roles: [] } });
  const requests: [string, Record<string, unknown>][] = [
    ["management/list-records", {}],
    ["management/get-pairing-config", {}],
    ["management/add-record", { psk: m.b64(32) }],
    ["management/remove-record", { psk_id: m.b64(32) }],
    ["management/set-pairing-config", { dynamic_pin: { min_pin_length: 6 }, static_pin: { locked_out: false } }],
  ];
  m.heavyRate = 0.03;
  for (let i = 0; i < 1500; i++) {
    const [type, payload] = m.pick(requests);
    const mutated = m.chance(0.9) ? (m.value(payload) as Record<string, unknown>) : payload;
    const shape = jsonShape({ type, payload: mutated });
    if (shape.depth > 8 || shape.values > 512 || JSON.stringify({ type, payload: mutated }).length > 65536) {
      // beyond the bounded parser's limits: not a message the speaker acts on; the connection closes
      mc.send(type, mutated);
      const info = await mc.closed();
      assert.equal(info.goodbye, undefined);
      count("management over the JSON limits: closed");
      mc = await srv.connect(sp.url, { hello: true, activate: { activities: ["management"], active_roles: [] } });
      continue;
    }
    mc.send(type, mutated);
    const r = (await mc.next("management/result").catch((e) => {
      throw new Error(`${String(e)} after ${type} ${JSON.stringify(mutated).slice(0, 300)}; speaker log: ${sp!.logs.slice(-3).join(" | ")}`);
    })).payload;
    count(`management ${r.result}`);
    if (r.result !== "ok") assert.equal(storeView(sp), baseline, `${type} ${r.result} changed the store`);
    else if (storeView(sp) !== baseline) {
      // a legitimate change: undo it so the next case starts from the baseline
      mc.close();
      await mc.closed();
      restore(sp, baseline);
      mc = await srv.connect(sp.url, { hello: true, activate: { activities: ["management"], active_roles: [] } });
    }
  }
  assert.deepEqual(mc.violations, []);
  mc.close();
  await mc.closed();

  // 2. messages the session ignores, on a playback session; a management request proves it is alive and in order
  let pc = await srv.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: [] } });
  const ignored: [string, Record<string, unknown>][] = [
    ["server/hello", { name: "x" }],
    ["group/update", { group_id: "g" }],
    ["server/state", { metadata: { timestamp: 1 } }],
    ["stream/start", { server_transmitted: 1 }],
    ["_app/x", {}],
    ["client/hello", {}],
  ];
  for (let i = 0; i < 600; i++) {
    const [type, payload] = m.pick(ignored);
    const mutated = m.value(payload) as Record<string, unknown>;
    const shape = jsonShape({ type, payload: mutated });
    pc.send(type, mutated);
    if (shape.depth > 8 || shape.values > 512) {
      assert.equal((await pc.closed()).goodbye, undefined);
      count("over the JSON limits: closed");
      pc = await srv.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: [] } });
      continue;
    }
    count("ignored message");
    if (i % 50 === 49) {
      pc.send("management/list-records", {});
      assert.deepEqual((await pc.next("management/result")).payload, { result: "permission_denied" });
    }
  }
  assert.ok(pc.isOpen);
  assert.deepEqual(pc.violations, []);
  pc.close();
  await pc.closed();

  // 3. hostile handshakes: mutated server/init and message-1 payloads close without a message
  for (let i = 0; i < 120; i++) {
    const c = await srv.open(sp.url);
    const kind = i % 3;
    const opts =
      kind === 0 ? { editServerInit: (t: string) => JSON.stringify(m.value(JSON.parse(t))) }
      : kind === 1 ? { noise1Payload: Buffer.from(JSON.stringify(m.value({ psk_id: m.b64(32) }))) }
      : { editNoise1: (t: string) => JSON.stringify(m.value(JSON.parse(t))) };
    let completed = true;
    await c.handshake({ ...opts, timeoutMs: 3000 }).catch(() => (completed = false));
    count(completed ? "hostile handshake that was still valid" : "hostile handshake refused");
    if (!completed) {
      const info = await c.closed();
      assert.equal(info.goodbye, undefined);
      assert.equal(info.pairAbort, undefined);
      assert.deepEqual(c.pending(), []);
    } else c.close();
  }

  // 4. transport attacks: broken JSON, broken fragments, garbage ciphertext, text frames: silent closes
  const attacks: ((c: ServerConnection) => void)[] = [
    (c) => c.sendJsonText(m.bytes(Buffer.from('{"type":"group/update","payload":{}}'))),
    (c) => c.sendPlainFrame(new Uint8Array([3, 1, 2])),
    (c) => c.sendPlainFrame(new Uint8Array([2])),
    (c) => c.sendPlainFrame(new Uint8Array([2, 3, 0])),
    (c) => (c.sendPlainFrame(new Uint8Array([2, 0, 123])), c.sendPlainFrame(new Uint8Array([0, 123]))),
    (c) => c.sendRawBinary(m.bytes(new Uint8Array(40))),
    (c) => c.sendRawText('{"type":"server/hello","payload":{"name":"x"}}'),
    (c) => {
      const f = c.sealPlainFrame(new Uint8Array([0, ...Buffer.from('{"type":"group/update","payload":{}}')]));
      c.sendRawBinary(f);
      c.sendRawBinary(f); // replay
    },
  ];
  for (let i = 0; i < 160; i++) {
    const c = await srv.connect(sp.url, { hello: true, activate: { activities: [], active_roles: [] } });
    m.pick(attacks)(c);
    const info = await c.closed();
    count("transport attack closed");
    assert.equal(info.goodbye, undefined);
    assert.equal(info.pairAbort, undefined);
  }

  // 5. mutated activations: admitted, or refused with a goodbye/abort reason of the spec
  for (let i = 0; i < 100; i++) {
    const c = await srv.connect(sp.url, { psk: m.pick(["sentinel", "record"] as const), hello: true });
    c.send("server/activate", m.value({ activities: m.pick([[], ["playback"], ["pairing"], ["management"]]), active_roles: [], selected_pair_method: "dynamic_pin" }));
    await sleep(20);
    if (c.isOpen) {
      count("activation admitted");
      c.close();
    } else {
      const info = await c.closed();
      count("activation refused");
      assert.ok((info.goodbye && GOODBYE.includes(info.goodbye)) || (info.pairAbort && ABORT.includes(info.pairAbort)) || info.by === "client", JSON.stringify(info));
    }
    await c.closed();
    // the activation went out raw (hostile), so the reference server does not know it was sent
    assert.deepEqual(c.violations.filter((v) => !/before the first server\/activate/.test(v)), []);
    restore(sp, baseline);
  }

  assert.equal(storeView(sp), baseline);
  assert.equal(sp.speaker.sessions.internalErrors, 0);
  const ok = await srv.connect(sp.url, { hello: true, activate: { activities: ["management"], active_roles: [] } });
  assert.equal((await ok.manage("list-records")).result, "ok");
  ok.close();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`session fuzz over sockets: ${total} hostile messages, ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  assert.ok(total >= 2400);
});

/** Put the store back to the baseline (records by psk_id; the settings the fuzz can reach). */
function restore(sp: E2ESpeaker, baseline: string): void {
  const st = sp.speaker.store;
  if (storeView(sp) === baseline) return;
  const want = JSON.parse(baseline) as { records: [string, string | null][]; settings: Record<string, unknown> };
  const keep = new Set(want.records.map((r) => r[0]));
  const s = want.settings;
  st.updateSettings({
    pairingPskEnabled: s.pairingPskEnabled as boolean,
    staticPinEnabled: s.staticPinEnabled as boolean,
    dynamicPinEnabled: s.dynamicPinEnabled as boolean,
    minPinLength: s.minPinLength as number,
    unpairedAccess: s.unpairedAccess as boolean,
    staticPin: s.staticPin as string,
    pairingPsk: Buffer.from(s.pairingPsk as string, "hex"),
    recordModePskId: s.recordModePskId as string,
  });
  for (const r of st.list()) if (!keep.has(r.pskId)) st.removeRecord(r.pskId);
  assert.equal(storeView(sp), baseline, "restored");
}

void base64urlEncode;
