// The reference server's current layer against a scripted current-revision client (current-peer.ts):
// the three pairing flows end to end on loopback, rounds with client/pair-retry, the round limit, the
// Sentinel fallback seen from the server (an authenticated credential-mismatch signal), re-handshakes
// followed by server/activate alone, and a fragmented message from the server.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPair } from "../../../crypto/ids.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { encodeToken, CurrentReferenceServer, pairWithDynamicCode, pairWithPairingPskCurrent, pairWithStaticCode, CodePairing } from "../../reference/current/index.js";
import { pairingPskFromTokenCurrent } from "../../reference/current/token.js";
import { nodeRandom, PairingFailed } from "../../reference/index.js";
import { CurrentPeer } from "./current-peer.js";

const crypto = createPortableCrypto(nodeRandom);
const peers: CurrentPeer[] = [];
after(async () => {
  for (const p of peers) await p.close();
});

async function peer(o: { codeMethod?: "static_pairing_code" | "dynamic_pairing_code"; staticCode?: string; roundLimit?: number } = {}): Promise<{ p: CurrentPeer; token: string }> {
  const identity = generateKeyPair(crypto);
  const pairingPsk = new Uint8Array(32).fill(0x42);
  const p = await CurrentPeer.listen({ crypto, identity, pairingPsk, ...o });
  peers.push(p);
  const payload = new Uint8Array(64);
  payload.set(identity.publicKey);
  payload.set(pairingPsk, 32);
  return { p, token: encodeToken("0", payload) };
}

test("pairing PSK: pair-init + long_term_psk, both sides persist, re-handshake with category lt, activation without hellos", async () => {
  const { p, token } = await peer();
  const s = new CurrentReferenceServer();
  const c = await s.connect(p.url, { psk: pairingPskFromTokenCurrent(token), hello: true });
  assert.equal(c.declaredCategory, "pr");
  const r = await pairWithPairingPskCurrent(c);
  assert.equal(r.finalized, true);
  assert.equal(c.declaredCategory, "lt");
  assert.deepEqual(p.records.get(s.serverId), r.longTermPsk);
  assert.deepEqual(s.records.get(c.clientId)?.psk, r.longTermPsk);
  assert.equal(p.received.filter((m) => m.type === "server/hello").length, 1);
  const end = Date.now() + 5000;
  while (p.received.at(-1)?.type === "noise/handshake" && Date.now() < end) await new Promise((res) => setTimeout(res, 5));
  assert.equal(p.received.at(-1)?.type, "server/activate", "the first message under the new keys is server/activate");
  assert.deepEqual(c.violations, []);
  c.close();
  const q = await s.connect(p.url, { hello: true });
  assert.equal(q.pskKind, "long-term");
  assert.equal(q.credentialMismatch, false);
  q.close();
});

test("dynamic code: a wrong round, client/pair-retry, server/pair-init without nonce_A, the right code pairs", async () => {
  const { p } = await peer({ codeMethod: "dynamic_pairing_code" });
  const s = new CurrentReferenceServer();
  const c = await s.connect(p.url, { psk: "sentinel", hello: true });
  const r = await pairWithDynamicCode(c, {
    getCode: async ({ round }) => {
      while (p.emitted.length < round) await new Promise((res) => setTimeout(res, 5));
      const spoken = p.emitted[round - 1];
      return round === 1 ? (spoken === "999999" ? "000000" : "999999") : spoken;
    },
  });
  assert.equal(r.finalized, true);
  assert.equal(r.rounds, 2);
  const inits = p.received.filter((m) => m.type === "server/pair-init");
  assert.equal(inits.length, 2);
  assert.equal(typeof inits[0].payload.nonce_A, "string");
  assert.equal("nonce_A" in inits[1].payload, false);
  assert.deepEqual(p.records.get(s.serverId), r.longTermPsk);
  assert.deepEqual(c.violations, []);
  c.close();
});

test("static code, then a wrong static code: the peer's pair/abort pairing_code_mismatch surfaces, the connection stays open", async () => {
  const { p } = await peer({ codeMethod: "static_pairing_code", staticCode: "12345678" });
  const s = new CurrentReferenceServer();
  const c = await s.connect(p.url, { psk: "sentinel", hello: true });
  assert.equal((await pairWithStaticCode(c, "12345678")).finalized, true);
  const t = new CurrentReferenceServer();
  const d = await t.connect(p.url, { psk: "sentinel", hello: true });
  const err = await pairWithStaticCode(d, "87654321").catch((e: unknown) => e);
  assert.ok(err instanceof PairingFailed && err.detail.peerAbort === "pairing_code_mismatch");
  assert.ok(d.isOpen);
  // pairing_index counts this connection's pairing activations: the second attempt carries 2.
  const again = pairWithStaticCode(d, "12345678");
  assert.equal((await again).finalized, true);
  assert.equal(d.received.filter((m) => m.type === "client/pair-init").map((m) => m.payload.pairing_index).join(), "1,2");
  c.close();
  d.close();
});

test("round limit: the peer aborts at its limit, then holds back with client/pair-pending", async () => {
  const { p } = await peer({ codeMethod: "dynamic_pairing_code", roundLimit: 3 });
  const c = await new CurrentReferenceServer().connect(p.url, { psk: "sentinel", hello: true });
  const err = await pairWithDynamicCode(c, { getCode: async () => "abcdef" }).catch((e: unknown) => e);
  assert.ok(err instanceof PairingFailed && err.detail.peerAbort === "pairing_code_mismatch");
  assert.equal(c.received.filter((m) => m.type === "client/pair-retry").length, 2);
  const pc = new CodePairing(c, "dynamic_pairing_code");
  pc.activate();
  const m = await c.next(["client/pair-pending", "client/pair-init"]);
  assert.equal(m.type, "client/pair-pending");
  assert.equal(m.payload.pairing_index, 2);
  c.close();
});

test("Sentinel fallback from the server's side: a record the client lost gives an authenticated credential-mismatch session", async () => {
  const { p, token } = await peer();
  const s = new CurrentReferenceServer();
  const c = await s.connect(p.url, { psk: pairingPskFromTokenCurrent(token), hello: true });
  await pairWithPairingPskCurrent(c);
  c.close();
  p.records.clear(); // the client lost it (factory reset, eviction)
  const q = await s.connect(p.url, { hello: true });
  assert.equal(q.declaredCategory, "lt");
  assert.equal(q.credentialMismatch, true);
  assert.equal(q.pskKind, "sentinel");
  assert.ok(s.records.has(q.clientId), "the signal alone removes no record");
  // A psk_id miss in a re-handshake is not rescued: the client closes.
  q.rehandshake("record").catch(() => {});
  await q.closed(5000);
});

test("a fragmented message from the server crosses to the client", async () => {
  const { p } = await peer();
  const c = await new CurrentReferenceServer().connect(p.url, { psk: "sentinel", hello: true });
  c.activate({ activities: [], active_roles: [] });
  c.send("_test/blob", { data: "y".repeat(150_000) });
  const end = Date.now() + 5000;
  while (!p.received.some((m) => m.type === "_test/blob") && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.equal((p.received.find((m) => m.type === "_test/blob")?.payload.data as string).length, 150_000);
  assert.deepEqual(p.errors, []);
  c.close();
});
