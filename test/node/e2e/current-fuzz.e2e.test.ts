// The real-socket share of the hostile-input test for the current revision's new messages (issue 16
// item 5): the current reference server sends mutated server/pair-init, server/pair-auth,
// server/pair-confirm and out-of-sequence pairing messages inside dynamic-code attempts, mutated
// message-1 payloads (psk_category), mutated pairing activations, broken type-1 fragment sequences and
// short 13-byte-header audio chunks — through TCP on 127.0.0.1, the WebSocket server, the channel, the
// sessions and the real Store. Each case ends admitted, refused with a reason of the current text, or
// closed without a message; the store is unchanged, no internal error escapes, and the speaker still
// pairs and serves a normal current session at the end.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { base64urlEncode } from "../../../modules/util/base64url.js";
import { SeededRandom } from "../../support/random.js";
import { CodePairing, CurrentReferenceServer, pairingPskFromTokenCurrent, pairWithPairingPskCurrent, currentFraming, type CurrentConnection } from "../../reference/current/index.js";
import { GOODBYE_REASONS, PAIR_ABORT_REASONS } from "../../reference/current/wire.js";
import { Mutator } from "../fuzz/mutate.js";
import { startE2E, sleep, type E2ESpeaker } from "./rig.js";

const SEED = Number(process.env.FUZZ_SEED ?? 1616);
const running: E2ESpeaker[] = [];
const srv = new CurrentReferenceServer({ name: "current fuzz", timeoutMs: 8000 });
after(() => {
  srv.closeAll();
  for (const s of running) s.stop();
});

function storeView(s: E2ESpeaker): string {
  const st = s.speaker.store;
  return JSON.stringify(st.list().map((r) => [r.pskId, r.serverId ?? null]));
}

/** A fresh speaker with one current record (so long-term sessions exist); its store view. */
async function freshSpeaker(): Promise<{ sp: E2ESpeaker; baseline: string }> {
  const sp = await startE2E({ config: { staticPin: false, dynamicPin: true } });
  running.push(sp);
  const c = await srv.connect(sp.url, { psk: pairingPskFromTokenCurrent(sp.ready.pairing_token), hello: true });
  await pairWithPairingPskCurrent(c);
  c.close();
  await c.closed();
  return { sp, baseline: storeView(sp) };
}

/** How a case ended: still open, or closed with a reason the current text defines, or silently. */
async function outcome(c: CurrentConnection, what: string): Promise<string> {
  await sleep(30);
  if (c.isOpen) {
    c.close();
    await c.closed();
    return "open";
  }
  const info = await c.closed();
  if (info.goodbye) assert.ok((GOODBYE_REASONS as readonly string[]).includes(info.goodbye), `${what}: goodbye ${info.goodbye}`);
  if (info.pairAbort) assert.ok((PAIR_ABORT_REASONS as readonly string[]).includes(info.pairAbort), `${what}: pair/abort ${info.pairAbort}`);
  return info.goodbye ? `goodbye ${info.goodbye}` : info.pairAbort === "concurrent_attempt" ? "abort+close" : "closed silently";
}

test(`current-revision hostile input over real WebSockets (seed ${SEED})`, async () => {
  const m = new Mutator(new SeededRandom(SEED));
  m.heavyRate = 0.05;
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  let { sp, baseline } = await freshSpeaker();
  const checkAndMaybeRenew = async (i: number) => {
    assert.equal(storeView(sp), baseline, `case ${i} changed the records`);
    assert.equal(sp.speaker.sessions.internalErrors, 0, `case ${i}: an internal error escaped`);
    // Failed rounds count toward the round limit; a fresh speaker every 12 cases keeps attempts starting.
    if (i % 12 === 11) {
      sp.stop();
      ({ sp, baseline } = await freshSpeaker());
    }
  };

  // 1. Dynamic-code attempts with one step mutated or out of sequence.
  for (let i = 0; i < 100; i++) {
    const c = await srv.connect(sp.url, { psk: "sentinel", hello: true });
    const p = new CodePairing(c, "dynamic_pairing_code");
    p.activate();
    await p.awaitPairInit();
    const step = i % 5;
    let what = "";
    if (step === 0) {
      what = "server/pair-init mutated";
      c.send("server/pair-init", m.value({ nonce_A: m.b64(32) }));
    } else {
      p.beginRound();
      if (step === 1) {
        what = "server/pair-auth mutated";
        c.send("server/pair-auth", m.value({ pake_msg_1: m.pick([m.b64(32), base64urlEncode(new Uint8Array(32)), base64urlEncode(Uint8Array.of(1, ...new Uint8Array(31)))]) }));
      } else if (step === 2) {
        what = "server/pair-confirm mutated";
        await p.authenticate("000000", { confirm: (kc) => m.value({ server_kc: kc }) }).catch(() => {});
      } else if (step === 3) {
        what = "out of sequence";
        c.send(m.pick(["server/pair-confirm", "server/pair-finalize", "server/pair-init", "client/pair-auth", "pair/abort"]), m.value({ server_kc: m.b64(64), reason: "user_cancelled" }));
      } else {
        what = "mutated re-activation mid-attempt";
        c.send("server/activate", m.value({ activities: ["pairing"], active_roles: [], pairing: { method: "dynamic_pairing_code", format: "digits" } }));
      }
    }
    count(`${what}: ${await outcome(c, what)}`);
    await checkAndMaybeRenew(i);
  }

  // 2. Message-1 payloads with mutated psk_id / psk_category: a valid handshake or a silent close.
  for (let i = 0; i < 50; i++) {
    const c = await srv.open(sp.url);
    const payload = Buffer.from(JSON.stringify(m.value({ psk_id: "GFsV9tLaSQm9HcFWpKsgYQOr7wFTvNUtkmFwuVz3zoo", psk_category: m.pick(["sn", "lt", "pr", "xx", ""]) })));
    let done = true;
    await c.handshake({ psk: "sentinel", noise1Payload: payload, timeoutMs: 3000 }).catch(() => (done = false));
    if (done) {
      count("message 1 still valid");
      c.close();
    } else {
      const info = await c.closed();
      assert.equal(info.goodbye, undefined);
      assert.equal(info.pairAbort, undefined);
      count("message 1 refused silently");
    }
  }

  // 3. Mutated activations with pairing objects on Sentinel and long-term sessions.
  for (let i = 0; i < 60; i++) {
    const c = await srv.connect(sp.url, { psk: m.pick(["sentinel", "record"] as const), hello: true });
    c.send("server/activate", m.value({ activities: m.pick([[], ["playback"], ["pairing"], ["playback", "pairing"]]), active_roles: m.pick([[], ["player@v1"]]), pairing: { method: m.pick(["pairing_psk", "static_pairing_code", "dynamic_pairing_code"]), format: m.pick(["digits", "qr_code"]) } }));
    count(`activation: ${await outcome(c, "activation")}`);
    await checkAndMaybeRenew(i);
  }

  // 4. Broken type-1 fragment sequences and short audio chunks on a playing session.
  const frames: ((c: CurrentConnection) => void)[] = [
    (c) => c.sendPlainFrame(m.bytes(Uint8Array.from([1, currentFraming.FLAG_FIRST, 0, 123, 34]))),
    (c) => c.sendPlainFrame(Uint8Array.from([1, m.below(256), m.below(256), 1, 2, 3])),
    (c) => (c.sendPlainFrame(Uint8Array.from([1, currentFraming.FLAG_FIRST, 0, 123])), c.sendPlainFrame(Uint8Array.from([0, 123]))),
    (c) => c.sendPlainFrame(Uint8Array.from([4, ...new Uint8Array(m.below(13))])),
    (c) => c.sendAudioChunkWithSendAhead(m.pick([0, -1, 2 ** 62]), m.pick([0, 0xffffffff, 5000]), new Uint8Array(m.pick([0, 1, 3, 4, 4000]))),
    (c) => c.sendPlainFrame(m.bytes(new Uint8Array(20))),
  ];
  for (let i = 0; i < 60; i++) {
    const c = await srv.connect(sp.url, { hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    await c.until(() => c.readyForStream, { timeoutMs: 8000 }).catch(() => {});
    if (c.readyForStream) c.streamStart({ player: { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 } });
    m.pick(frames)(c);
    const o = await outcome(c, "framing");
    assert.ok(!o.startsWith("goodbye") || o === "goodbye another_server", `framing: ${o}`);
    count(`framing: ${o}`);
  }

  assert.equal(storeView(sp), baseline);
  assert.equal(sp.speaker.sessions.internalErrors, 0);
  // Still serving: a normal pairing on a fresh server and a long-term session.
  const fresh = new CurrentReferenceServer({ timeoutMs: 8000 });
  const ok = await fresh.connect(sp.url, { psk: pairingPskFromTokenCurrent(sp.ready.pairing_token), hello: true });
  assert.equal((await pairWithPairingPskCurrent(ok)).finalized, true);
  assert.deepEqual(ok.violations, []);
  ok.close();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`current fuzz over sockets: ${total} hostile cases, ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  assert.ok(total >= 270);
});
