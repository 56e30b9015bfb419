// Hostile input against the session core: ≥ 100,000 malformed or adversarial messages, cleartext
// handshake messages and authenticated encrypted payloads, driven through in-memory sockets (the real
// WebSocket path has its own share in test/node/e2e/fuzz-socket.test.ts). For every case it asserts:
// no exception escapes (and none is swallowed by the connection's last-resort guard), the speaker
// replies or closes as the spec says (an independent oracle written from the spec's tables), records
// and settings are unchanged unless a legitimate request changed them, and memory stays bounded.
// Both revisions: current-revision connections (psk_category in message 1) get their own messages
// (pairing{method, format}, pairing_index flows, server/error...), type-1 fragment sequences and
// 13-byte chunks, judged by an oracle of the current text's tables (CurrentFuzz).
//
//   FUZZ_SCALE=4 node --test build/test/node/fuzz/session.fuzz.test.js    (more cases)
//   FUZZ_SEED=n                                                          (another sequence)

import { test } from "node:test";
import assert from "node:assert/strict";
import { pskId, SENTINEL_PSK, SENTINEL_PSK_ID, generateKeyPair, type KeyPair } from "../../../crypto/ids.js";
import { NoiseKKpsk2 } from "../../../crypto/noise.js";
import { base64urlEncode, base64urlDecode } from "../../../modules/util/base64url.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { encodeJson } from "../../../modules/protocol/json.js";
import type { Connection } from "../../../modules/session/connection.js";
import { makeRig, type Rig } from "../../support/session-parts.js";
import { TestPeer, plaintext, type Message } from "../../support/session-peer.js";
import type { Store, Settings } from "../../../storage/store.js";
import { SeededRandom } from "../../support/random.js";
import { createFastCrypto } from "./fast-crypto.js";
import { Mutator, clone, jsonShape } from "./mutate.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

const GOODBYE = ["another_server", "shutdown", "restart", "user_request", "unauthorized", "pairing_required", "concurrent_attempt", "unpaired"];
const ABORT = ["attempt_timeout", "concurrent_attempt", "locked_out", "method_not_supported", "pin_length_unacceptable", "pin_mismatch", "user_cancelled", "storage_exhausted"];
const CLIENT_TYPES = ["client/hello", "client/goodbye", "pair/abort", "management/result", "client/pair-init", "client/pair-auth", "client/pair-confirm", "client/pair-finalize", "noise/handshake", "client/time", "client/state"];
const LIMITS = { maxBytes: 65536, maxDepth: 8, maxValues: 512 };

// Low-order / non-canonical X25519 u-coordinates (RFC 7748 §5 and the CPace draft's list): 0, 1, the two
// order-8 points, p-1, p, p+1, and the same with the unused high bit set.
const LOW_ORDER_HEX = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "0100000000000000000000000000000000000000000000000000000000000080",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

interface Counts {
  [k: string]: number;
}

class Fuzz {
  readonly rig: Rig;
  readonly m: Mutator;
  readonly counts: Counts = {};
  readonly outcomes: Counts = {};
  readonly ltIdentity: KeyPair;
  readonly ltPsk: Uint8Array;
  readonly sharedPsk: Uint8Array;
  readonly baseline: SavedState;
  readonly baselineView: string;
  readonly initPeer: KeyPair;
  peakHeap = 0;
  lastFlip = -1;
  handshakes = 0;
  caseNo = 0;

  constructor() {
    this.rig = makeRig({ seed: SEED, makeCrypto: createFastCrypto, slots: 8, config: { staticPin: true, dynamicPin: true } });
    this.m = new Mutator(new SeededRandom(SEED ^ 0x5a5a));
    this.ltIdentity = generateKeyPair(this.rig.crypto);
    this.initPeer = generateKeyPair(this.rig.crypto);
    this.ltPsk = this.rig.random.bytes(32);
    this.sharedPsk = this.rig.random.bytes(32);
    const lt = new TestPeer(this.rig.sessions, this.rig.crypto, this.ltIdentity);
    this.rig.store.addRecord(this.ltPsk, lt.serverId);
    this.rig.store.addRecord(this.sharedPsk);
    this.rig.store.updateSettings({ recordModePskId: pskId(this.rig.crypto, this.sharedPsk) });
    this.baseline = saveState(this.rig.store);
    this.baselineView = JSON.stringify(viewOf(this.rig.store));
  }

  count(k: string): void {
    this.counts[k] = (this.counts[k] ?? 0) + 1;
    this.caseNo++;
  }

  outcome(k: string): void {
    this.outcomes[k] = (this.outcomes[k] ?? 0) + 1;
  }

  get tried(): number {
    let n = 0;
    for (const k in this.counts) n += this.counts[k];
    return n;
  }

  fail(msg: string, detail?: unknown): never {
    throw new assert.AssertionError({ message: `fuzz case #${this.caseNo} (seed ${SEED}): ${msg}${detail === undefined ? "" : " " + JSON.stringify(detail).slice(0, 600)}` });
  }

  /** Invariants after every case. */
  invariants(): void {
    if (this.rig.sessions.internalErrors !== 0) this.fail("an exception reached the connection guard", this.rig.log.lines.filter((l) => l.startsWith("error")).slice(-1));
    if (this.rig.sessions.openConnections > 1) this.fail("connections leak");
    if (this.rig.clock.pendingTimers() > 8) this.fail("timers leak");
    if ((this.caseNo & 1023) === 0) {
      const h = process.memoryUsage().heapUsed;
      if (h > this.peakHeap) this.peakHeap = h;
    }
  }

  storeUnchanged(what: string): void {
    if (JSON.stringify(viewOf(this.rig.store)) !== this.baselineView) this.fail(`records or settings changed by ${what}`);
  }

  /** Undo what a legitimate request changed (management ok, unpair, last-playback), through the Store's API. */
  restoreStore(): void {
    if (JSON.stringify(viewOf(this.rig.store)) === this.baselineView) return;
    restoreState(this.rig.store, this.baseline);
    if (JSON.stringify(viewOf(this.rig.store)) !== this.baselineView) this.fail("could not restore the store");
  }

  // ------------------------------------------------------------------ cleartext: server/init

  serverInitCase(): void {
    this.count("cleartext server/init");
    const peer = new TestPeer(this.rig.sessions, this.rig.crypto, this.initPeer).connect();
    const valid = { type: "server/init", payload: { server_id: peer.serverId, version: 1 } };
    const bytes = this.m.chance(0.2) ? this.m.bytes(encodeJson(valid)) : encodeJson(this.m.value(valid));
    peer.sock.deliverText(bytes);
    const ok = oracleServerInit(bytes);
    if (ok) {
      if (peer.closed || peer.sock.outbox.length) this.fail("valid server/init refused", text(bytes));
      this.outcome("server/init accepted");
    } else {
      if (!peer.closed || peer.sock.outbox.length) this.fail("invalid server/init not closed silently", text(bytes));
      this.outcome("server/init closed silently");
    }
    peer.close();
    this.invariants();
  }

  // ------------------------------------------------------------------ cleartext: noise message 1

  noise1Case(): void {
    this.count("cleartext noise/handshake");
    const peer = new TestPeer(this.rig.sessions, this.rig.crypto, this.initPeer).connect();
    const init = peer.serverInitBytes();
    peer.sock.deliverText(init);
    const prologue = concat(peer.clientInit!, init);
    const noise = NoiseKKpsk2.initiator({ crypto: this.rig.crypto, suite: peer.suite, prologue, s: peer.identity, rs: peer.clientKey!, psk: SENTINEL_PSK });
    let expectOk: boolean;
    let sent: Uint8Array;
    const kind = this.m.below(4);
    if (kind === 0) {
      // inner payload mutations (authenticated by the static keys: attacker-chosen content)
      const good = { psk_id: SENTINEL_PSK_ID };
      const payloadValue = this.m.value(good);
      const payload = this.m.chance(0.15) ? this.m.bytes(encodeJson(good)) : encodeJson(payloadValue);
      if (payload.length > 60000) return this.abandon(peer);
      const msg = noise.writeMessage1(payload);
      sent = encodeJson({ type: "noise/handshake", payload: { data: base64urlEncode(msg) } });
      expectOk = oracleMessage1Payload(payload, this.knownPskIds());
    } else {
      const msg = noise.writeMessage1(encodeJson({ psk_id: SENTINEL_PSK_ID }));
      if (kind === 1) {
        const at = this.m.below(msg.length);
        msg[at] ^= 1 << this.m.below(8); // tampered Noise bytes
        this.lastFlip = at;
        sent = encodeJson({ type: "noise/handshake", payload: { data: base64urlEncode(msg) } });
        expectOk = false;
      } else if (kind === 2) {
        const data = base64urlEncode(msg);
        const env = { type: "noise/handshake", payload: { data } };
        const mutated = this.m.value(env) as Record<string, unknown>;
        sent = encodeJson(mutated);
        expectOk = oracleEnvelope(sent) && (mutated as { type?: unknown }).type === "noise/handshake" && ownData(mutated) === data;
      } else {
        const data = base64urlEncode(msg);
        sent = this.m.bytes(encodeJson({ type: "noise/handshake", payload: { data } }));
        // byte damage can leave the message intact (a cut at its full length, a flip inside another key...)
        expectOk = oracleEnvelope(sent) && own(JSON.parse(text(sent)), "type") === "noise/handshake" && ownData(JSON.parse(text(sent))) === data;
      }
    }
    peer.sock.deliverText(sent);
    if (expectOk) {
      const f = peer.sock.outbox.shift();
      if (peer.closed || !f || f.kind !== "text") this.fail("valid noise message 1 not answered", text(sent));
      this.outcome("message 2 sent");
    } else {
      if (!peer.closed || peer.sock.outbox.length) this.fail(`bad noise message 1 (kind ${kind}) not closed silently`, { sent: text(sent).slice(0, 300), closed: peer.closed, out: peer.sock.outbox.length });
      this.outcome("noise/handshake closed silently");
    }
    peer.close();
    this.invariants();
  }

  private abandon(peer: TestPeer): void {
    peer.close();
    this.caseNo--;
  }

  knownPskIds(): Set<string> {
    return new Set([SENTINEL_PSK_ID, pskId(this.rig.crypto, this.rig.store.settings.pairingPsk), pskId(this.rig.crypto, this.sharedPsk)]);
  }

  // ------------------------------------------------------------------ transport

  peer: TestPeer | null = null;
  private peerUses = 0;
  /** The current-revision cases' connection is closed before a baseline one opens (one open at a time). */
  onSession: () => void = () => {};

  /** The setups the transport cases run in (each reached through a real handshake and valid messages). */
  static readonly SETUPS = [
    "await_hello",
    "await_activate:sentinel",
    "await_activate:long_term",
    "active:sentinel:[]",
    "active:long_term:management",
    "active:long_term:playback",
    "active:shared:playback+management",
    "active:sentinel:dynamic_pin(init)",
    "active:sentinel:dynamic_pin(pin)",
    "active:sentinel:static_pin(window)",
    "active:pairing_psk:finalize",
    "active:long_term:[]",
  ] as const;

  session(setup: string): TestPeer {
    if (this.peer && !this.peer.closed && this.peerUses < 400 && this.peerSetup === setup) {
      this.peerUses++;
      return this.peer;
    }
    if (this.peer && !this.peer.closed) this.peer.close();
    this.onSession();
    this.restoreStore();
    this.rig.sessions.lockout.clear("static_pin");
    this.rig.sessions.lockout.clear("dynamic_pin");
    const [phase, kind, act] = setup.split(":");
    const identity = kind === "long_term" ? this.ltIdentity : this.initPeer;
    const peer = new TestPeer(this.rig.sessions, this.rig.crypto, identity).connect();
    const psk = kind === "long_term" ? this.ltPsk : kind === "shared" ? this.sharedPsk : kind === "pairing_psk" ? this.rig.store.settings.pairingPsk : SENTINEL_PSK;
    this.handshakes++;
    if (!peer.handshake(psk)) this.fail("setup handshake failed");
    if (phase !== "await_hello") peer.hello();
    if (phase === "active") {
      const activation: Record<string, unknown> =
        act === "[]" ? { activities: [], active_roles: [] }
        : act === "management" ? { activities: ["management"], active_roles: [] }
        : act === "playback" ? { activities: ["playback"], active_roles: ["player@v1"] }
        : act === "playback+management" ? { activities: ["playback", "management"], active_roles: ["player@v1"] }
        : act === "finalize" ? { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" }
        : { activities: ["pairing"], active_roles: [], selected_pair_method: act.startsWith("dynamic") ? "dynamic_pin" : "static_pin" };
      if (act === "static_pin(window)") this.rig.sessions.onButton("short");
      peer.send("server/activate", activation);
      peer.recvAll();
      if (act === "dynamic_pin(pin)") {
        peer.send("server/pair-init", { nonce_A: base64urlEncode(this.rig.random.bytes(32)), pin_length: 6 });
        peer.recvAll();
      }
      if (peer.closed) this.fail(`setup ${setup} closed`);
    }
    this.restoreStore(); // undo the last-playback bookkeeping of the setup itself
    this.peer = peer;
    this.peerSetup = setup;
    this.peerUses = 1;
    return peer;
  }
  private peerSetup = "";

  /** The setup of the live connection while it has uses left (cases run in stretches on one connection). */
  current(): string | null {
    return this.peer && !this.peer.closed && this.peerUses < 400 ? this.peerSetup : null;
  }

  conn(): Connection | null {
    return this.rig.sessions.admitted ?? this.provisional();
  }

  private provisional(): Connection | null {
    const list = (this.rig.sessions as unknown as { connections: Connection[] }).connections;
    return list.length ? list[list.length - 1] : null;
  }

  /** A mutated JSON message of a known (or mutated) type in one of the setups. */
  transportJsonCase(): void {
    const setup = this.current() ?? this.m.pick(Fuzz.SETUPS);
    const peer = this.session(setup);
    const c = this.conn()!;
    const before = {
      phase: c.phase,
      activities: c.activities.slice(),
      category: c.category,
      attempt: c.attempt && !c.attempt.finished ? c.attempt : null,
      roles: c.phase === "active" ? ((c as unknown as { activeRoles?: string[] }).activeRoles ?? undefined)?.slice() : undefined,
    };
    const base = this.baseMessage(before.phase, before.attempt !== null);
    const mutateType = this.m.chance(0.03);
    this.m.heavyRate = 0.05; // size attacks close the connection: keep them to a share, one handshake serves many cases
    const msg = mutateType ? this.m.value(base) : { type: base.type, payload: this.m.chance(0.15) ? base.payload : this.m.value(base.payload) };
    this.m.heavyRate = 1;
    const body = this.m.chance(0.015) ? this.m.bytes(encodeJson(msg)) : encodeJson(msg);
    this.count(`transport ${mutateType ? "mutated type" : (base.type as string)} @${before.phase}`);
    const lockBefore = [this.rig.sessions.lockout.failureCount("static_pin"), this.rig.sessions.lockout.failureCount("dynamic_pin")];
    peer.sendBytes(0, body);
    const out = this.outbound(peer);
    const env = oracleEnvelope(body) ? (JSON.parse(text(body)) as { type: string; payload: Record<string, unknown> }) : null;
    this.judgeJson(setup, before, env, out, peer, lockBefore);
    this.invariants();
  }

  private baseMessage(phase: string, attempt: boolean): { type: string; payload: Record<string, unknown> } {
    const m = this.m;
    const b64 = (n: number) => m.b64(n);
    const choices: { type: string; payload: Record<string, unknown> }[] = [
      { type: "server/hello", payload: { name: "Fuzz" } },
      { type: "server/activate", payload: { activities: m.pick([[], ["playback"], ["management"], ["pairing"], ["playback", "management"]]), active_roles: m.pick([[], ["player@v1"]]), ...(m.below(2) ? { selected_pair_method: m.pick(["pairing_psk", "static_pin", "dynamic_pin"]) } : {}) } },
      { type: "server/unpair", payload: {} },
      { type: "management/list-records", payload: {} },
      { type: "management/get-pairing-config", payload: {} },
      { type: "management/add-record", payload: { psk: b64(32), server_id: b64(32) } },
      { type: "management/remove-record", payload: { psk_id: m.pick([b64(32), pskId(this.rig.crypto, this.sharedPsk)]) } },
      { type: "management/set-pairing-config", payload: { static_pin: { pin: "12345678", locked_out: false }, dynamic_pin: { min_pin_length: 6 }, unpaired_access: { enabled: false } } },
      { type: "server/pair-init", payload: { nonce_A: b64(32), pin_length: 6 } },
      { type: "server/pair-auth", payload: { pake_msg_1: base64urlEncode(this.rig.crypto.x25519Base(this.rig.random.bytes(32))) } },
      { type: "server/pair-confirm", payload: { server_kc: b64(64) } },
      { type: "server/pair-finalize", payload: {} },
      { type: "pair/abort", payload: { reason: "pin_mismatch" } },
      { type: "server/time", payload: { client_transmitted: 1, server_received: 2, server_transmitted: 3 } },
      { type: "stream/start", payload: { server_transmitted: 1, player: { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 } } },
      { type: "stream/end", payload: { server_transmitted: 1 } },
      { type: "server/command", payload: { player: { command: "volume", volume: 10 } } },
      { type: "group/update", payload: { group_id: "g" } },
      { type: "server/state", payload: { metadata: { timestamp: 1, title: "t" } } },
      { type: "noise/handshake", payload: { data: b64(m.pick([48, 80, 102])) } },
      { type: m.pick(["x/y", "_app/msg", "client/hello", "management/result", ""]), payload: {} },
    ];
    // Weight toward what the phase can use without closing, so that one handshake serves many cases;
    // the closing kinds (activations, pairing messages with no attempt, re-handshake garbage) still
    // come up thousands of times.
    if (phase === "await_hello") return m.chance(0.6) ? choices[0] : m.pick(choices);
    if (attempt && m.chance(0.5)) return m.pick(choices.slice(8, 13));
    const r = m.below(1000);
    if (r < 45) return choices[1]; // server/activate
    if (r < 65) return m.pick(choices.slice(8, 13)); // pairing messages
    if (r < 75) return choices[19]; // noise/handshake garbage
    if (r < 85) return choices[2]; // server/unpair
    if (r < 600) return m.pick(choices.slice(3, 8)); // management
    if (r < 900) return m.pick(choices.slice(13, 19)); // player and state messages
    return m.pick([choices[0], choices[20]]); // hello again, unknown and client-side types
  }

  /** Decrypt and check what the speaker sent. */
  private outbound(peer: TestPeer): Message[] {
    let out: Message[];
    try {
      out = peer.recvAll();
    } catch (e) {
      this.fail(`the speaker sent an unreadable frame: ${String(e)}`);
    }
    out.forEach((o, i) => {
      if (CLIENT_TYPES.indexOf(o.type) < 0) this.fail("unexpected outbound type", o);
      if (o.type === "client/goodbye" || o.type === "pair/abort") {
        const list = o.type === "client/goodbye" ? GOODBYE : ABORT;
        if (list.indexOf(o.payload.reason as string) < 0) this.fail("bad close reason", o);
        if (i !== out.length - 1) this.fail("messages after goodbye/abort", out);
        if (!peer.closed) this.fail("goodbye/abort without closing", o);
      }
    });
    return out;
  }

  private judgeJson(
    setup: string,
    before: { phase: string; activities: string[]; category: string | null; attempt: unknown; roles: string[] | undefined },
    env: { type: string; payload: Record<string, unknown> } | null,
    out: Message[],
    peer: TestPeer,
    lockBefore: number[],
  ): void {
    const silentClose = () => {
      if (!peer.closed || out.length) this.fail("expected a silent close", { setup, env: env && { type: env.type }, out });
      this.outcome(`closed silently (${env ? env.type.slice(0, 24) : "not an envelope"} @${before.phase})`);
    };
    const ignored = () => {
      if (peer.closed || out.length) this.fail("expected the message to be ignored", { setup, type: env && env.type, out });
      this.outcome("ignored");
    };
    const mayChangeStore = () => this.restoreStore();
    if (!env) return silentClose();
    const t = env.type;
    const p = env.payload;
    if (t === "noise/handshake") return silentClose();
    if (before.phase === "await_hello") {
      if (t !== "server/hello") return silentClose();
      if (typeof own(p, "name") === "string" && (own(p, "name") as string).length <= 256) {
        if (peer.closed || out.length !== 1 || out[0].type !== "client/hello") this.fail("valid server/hello not answered", out);
        return this.outcome("client/hello");
      }
      return silentClose();
    }
    const user = before.category === "long_term";
    if (t === "server/activate") {
      const expect = oracleActivation({
        category: before.category!,
        unpaired: this.rig.store.settings.unpairedAccess,
        payload: p,
        prevRoles: before.roles,
        offered: this.offered(),
        locked: (m: string) => this.rig.sessions.lockout.isLockedOut(m as "static_pin"),
      });
      this.checkActivation(expect, out, peer, p);
      return mayChangeStore();
    }
    if (t === "server/unpair") {
      if (!user) return ignored();
      if (!(out.length === 1 && out[0].payload.reason === "unpaired" && peer.closed)) this.fail("unpair not answered with goodbye unpaired", out);
      const removed = !this.rig.store.findByPskId(pskId(this.rig.crypto, setup.includes("shared") ? this.sharedPsk : this.ltPsk));
      if (removed !== setup.includes("long_term")) this.fail("unpair removed the wrong thing", { setup, removed });
      this.outcome("goodbye unpaired");
      return mayChangeStore();
    }
    if (t.startsWith("management/") && t !== "management/result") {
      if (before.phase !== "active") return ignored();
      const first = out[0];
      if (!first || first.type !== "management/result") this.fail("management request without a result", out);
      if (before.activities.indexOf("management") < 0) {
        if (out.length !== 1 || JSON.stringify(first.payload) !== '{"result":"permission_denied"}') this.fail("expected permission_denied", out);
        this.storeUnchanged("permission_denied");
        return this.outcome("permission_denied");
      }
      if (out.length === 2 && !(first.payload.result === "ok" && out[1].payload.reason === "unauthorized")) this.fail("extra message after a management result", out);
      if (out.length > 2) this.fail("more than one reply", out);
      if (first.payload.result !== "ok") this.storeUnchanged(`management ${first.payload.result}`);
      if (typeof (first.payload.storage as { free?: unknown })?.free !== "number") this.fail("storage accounting missing", first);
      this.outcome(`management ${first.payload.result}`);
      return mayChangeStore();
    }
    if (t === "server/pair-init" || t === "server/pair-auth" || t === "server/pair-confirm" || t === "server/pair-finalize" || t === "pair/abort") {
      if (before.phase !== "active") return ignored();
      if (!before.attempt) return t === "pair/abort" ? ignored() : silentClose();
      // inside an attempt: progress, pair/abort (PAKE or length failures), or a silent close
      for (const o of out) {
        if (o.type === "pair/abort" && ["pin_mismatch", "pin_length_unacceptable", "storage_exhausted"].indexOf(o.payload.reason as string) < 0) this.fail("unexpected abort", o);
        if (o.type === "client/goodbye") this.fail("goodbye during pairing", o);
      }
      const lockAfter = [this.rig.sessions.lockout.failureCount("static_pin"), this.rig.sessions.lockout.failureCount("dynamic_pin")];
      const counted = lockAfter[0] + lockAfter[1] - lockBefore[0] - lockBefore[1];
      if (counted > 0 && !(t === "server/pair-confirm" && out.length === 1 && out[0].payload.reason === "pin_mismatch")) this.fail("a lockout failure counted outside a failed server_kc", { t, out });
      if (t !== "server/pair-finalize" || out.length) this.storeUnchanged(`pairing ${t}`);
      this.outcome(peer.closed ? (out.length ? `pair/abort ${out[0].payload.reason}` : "closed silently") : out.length ? `pairing progress ${out.map((o) => o.type).join("+")}` : "pairing waits");
      return mayChangeStore();
    }
    // everything else (player messages, server/hello again, unknown and client-side types): ignored
    if (peer.closed || out.length) this.fail("a message that should be ignored had an effect", { t, out });
    this.storeUnchanged(t);
    this.outcome("ignored");
  }

  private offered(): string[] {
    return this.rig.sessions.pairMethodDescriptors().map((d) => d.method);
  }

  private checkActivation(expect: string, out: Message[], peer: TestPeer, p: Record<string, unknown>): void {
    if (expect === "ok") {
      if (peer.closed && !(out.length === 1 && out[0].type === "pair/abort" && out[0].payload.reason === "storage_exhausted")) this.fail("admissible activation refused", { p, out });
      for (const o of out) if (["client/pair-init", "client/pair-finalize"].indexOf(o.type) < 0) this.fail("unexpected reply to an admissible activation", { p, out });
      return this.outcome("activation admitted");
    }
    const last = out[out.length - 1];
    const got = last ? `${last.type === "client/goodbye" ? "goodbye" : "abort"}:${last.payload.reason}` : "none";
    if (got !== expect || !peer.closed || out.length !== 1) this.fail(`activation: expected ${expect}, got ${got}`, { p, out });
    this.outcome(`activation ${expect}`);
  }

  /** Binary frames: random message types, type-0 garbage, fragment sequences, ciphertext attacks, low-order CPace points. */
  binaryCase(): void {
    const setups = ["active:long_term:playback", "active:sentinel:[]", "await_activate:sentinel", "active:long_term:management"];
    const cur = this.current();
    const setup = cur && this.conn() && this.conn()!.phase !== "await_hello" ? cur : this.m.pick(setups);
    const peer = this.session(setup);
    const k = this.m.below(10);
    const snapshot = JSON.stringify(viewOf(this.rig.store));
    if (k <= 2) {
      this.count("binary random type");
      const type = this.m.pick([1, 4, 5, 8, 12, 16, 19, 24, 191, 192, 255]);
      const body = this.m.bytes(new Uint8Array(this.m.below(200)));
      const phase = this.conn()!.phase;
      peer.sendBytes(type, body);
      const out = peer.recvAll();
      const tooBig = body.length > this.rig.sessions.maxMessageBytes; // beyond the reassembly cap: the channel closes
      if (peer.closed !== tooBig || out.length) this.fail(`binary type: expected ${tooBig ? "a silent close" : "it ignored"}`, { type, setup, phase, closed: peer.closed, out, log: this.rig.log.lines.slice(-3) });
      this.outcome(tooBig ? "closed silently (over the message cap)" : "ignored");
    } else if (k === 3) {
      this.count("binary type-0 garbage");
      const body = this.m.bytes(encodeJson({ type: "group/update", payload: {} }));
      peer.sendBytes(0, body);
      const ok = oracleEnvelope(body);
      if (!ok && (!peer.closed || peer.recvAll().length)) this.fail("garbage JSON not closed silently", text(body));
      this.outcome(ok ? "ignored" : "closed silently");
    } else if (k <= 6) {
      this.fragmentCase(peer);
    } else {
      this.ciphertextCase(peer);
    }
    if (JSON.stringify(viewOf(this.rig.store)) !== snapshot) this.fail("a binary case changed the store");
    this.invariants();
  }

  private fragmentCase(peer: TestPeer): void {
    this.count("fragment sequences");
    const enc = (s: string) => utf8Encode(s);
    const body = enc(JSON.stringify({ type: "group/update", payload: { group_id: "g".repeat(this.m.below(300)) } }));
    const kind = this.m.below(8);
    const frames: Uint8Array[] = [];
    const plain = (...parts: (number | Uint8Array)[]) => rawFrame(peer, parts);
    let expectClose = true;
    if (kind === 0) {
      // a valid fragmented message (fragments of random sizes, possibly empty): accepted
      const cuts = [0, this.m.below(body.length + 1), body.length].sort((a, b) => a - b);
      frames.push(plain(2, 0, body.subarray(cuts[0], cuts[1])));
      frames.push(plain(2, body.subarray(cuts[1], cuts[1])));
      frames.push(plain(3, body.subarray(cuts[1], cuts[2])));
      expectClose = false;
    } else if (kind === 1) frames.push(plain(3, body)); // fragment-end with nothing in flight
    else if (kind === 2) frames.push(plain(2)); // opening fragment without orig_type
    else if (kind === 3) frames.push(plain(2, this.m.pick([2, 3]), body)); // orig_type is a fragment type
    else if (kind === 4) {
      frames.push(plain(2, 0, body.subarray(0, 5)));
      frames.push(plain(0, body)); // interleaved
    } else if (kind === 5) {
      const big = new Uint8Array(40000);
      frames.push(plain(2, 4, big));
      frames.push(plain(2, big));
      frames.push(plain(3, big)); // beyond the reassembly cap
    } else if (kind === 6) frames.push(plain()); // empty plaintext
    else frames.push(plain(2, 0, body), plain(2, 0, body)); // second opening becomes a continuation: JSON breaks at the end
    if (kind === 7) {
      frames.push(plain(3));
      expectClose = true;
    }
    for (const f of frames) peer.sock.deliverBinary(f);
    const out = peer.recvAll();
    if (expectClose ? !peer.closed || out.length : peer.closed || out.length) this.fail(`fragment kind ${kind}: expected ${expectClose ? "silent close" : "accepted"}`, out);
    this.outcome(expectClose ? "closed silently" : "fragmented message accepted");
  }

  private ciphertextCase(peer: TestPeer): void {
    this.count("ciphertext attacks");
    const kind = this.m.below(5);
    const good = peer.encryptRaw(new Uint8Array([0, ...utf8Encode('{"type":"group/update","payload":{}}')]));
    let frame: Uint8Array;
    if (kind === 0) {
      frame = good.slice();
      frame[this.m.below(frame.length)] ^= 1 << this.m.below(8);
    } else if (kind === 1) {
      peer.sock.deliverBinary(good.slice());
      peer.recvAll();
      frame = good; // replay
    } else if (kind === 2) frame = good.subarray(0, this.m.below(16)); // shorter than a tag
    else if (kind === 3) frame = new Uint8Array(65536 + this.m.below(100)); // over the Noise limit
    else {
      const later = peer.encryptRaw(new Uint8Array([0, ...utf8Encode('{"type":"group/update","payload":{}}')]));
      frame = later; // reordered: `good` was skipped
    }
    peer.sock.deliverBinary(frame);
    if (!peer.closed || peer.recvAll().length) this.fail(`ciphertext kind ${kind} not closed silently`);
    this.outcome("closed silently");
  }

  lowOrderCase(): void {
    const setup = this.m.pick(["active:sentinel:dynamic_pin(pin)", "active:sentinel:static_pin(window)"]);
    let peer = this.session(setup);
    let c = this.conn()!;
    if (!c.attempt || c.attempt.finished) {
      peer.close(); // the fuzz moved this connection on: a fresh one in the wanted state
      peer = this.session(setup);
      c = this.conn()!;
    }
    this.count("low-order CPace points");
    const ya = hexBytes(this.m.pick(LOW_ORDER_HEX));
    const before = this.rig.sessions.lockout.failureCount("static_pin") + this.rig.sessions.lockout.failureCount("dynamic_pin");
    peer.send("server/pair-auth", { pake_msg_1: base64urlEncode(ya) });
    const out = peer.recvAll();
    if (!(out.length === 1 && out[0].type === "pair/abort" && out[0].payload.reason === "pin_mismatch" && peer.closed)) this.fail("low-order share not refused", { ya: base64urlEncode(ya), out });
    if (this.rig.sessions.lockout.failureCount("static_pin") + this.rig.sessions.lockout.failureCount("dynamic_pin") !== before) this.fail("a refused share counted as a PIN failure");
    this.outcome("pair/abort pin_mismatch");
    this.invariants();
  }
}

// ------------------------------------------------------------------ the current revision (docs/current-revision.md)

const CURRENT_CLIENT_TYPES = ["client/hello", "client/goodbye", "pair/abort", "client/pair-init", "client/pair-pending", "client/pair-auth", "client/pair-retry", "client/pair-confirm", "client/pair-finalize", "noise/handshake", "client/time", "client/state"];
const CURRENT_ABORT = ["attempt_timeout", "concurrent_attempt", "method_not_supported", "pairing_code_mismatch", "user_cancelled"];

/** Current-revision connections on the same speaker: mutated current messages, fragments and chunks. */
class CurrentFuzz {
  private peer: TestPeer | null = null;
  private setup = "";
  private uses = 0;
  private activatedRoles: string[] | undefined;

  static readonly SETUPS = ["await_hello", "active:sentinel:[]", "active:long_term:playback", "active:pairing_psk:finalize", "active:sentinel:dynamic(init)", "active:sentinel:dynamic(code)"] as const;

  constructor(private readonly f: Fuzz) {
    f.onSession = () => {
      if (this.peer && !this.peer.closed) this.peer.close();
    };
  }

  private session(setup: string): TestPeer {
    const f = this.f;
    if (this.peer && !this.peer.closed && this.uses < 300 && this.setup === setup) {
      this.uses++;
      return this.peer;
    }
    if (this.peer && !this.peer.closed) this.peer.close();
    if (f.peer && !f.peer.closed) f.peer.close(); // the baseline cases' connection: one open at a time
    f.restoreStore();
    f.rig.sessions.rounds.reset();
    const [phase, kind, act] = setup.split(":");
    const peer = new TestPeer(f.rig.sessions, f.rig.crypto, kind === "long_term" ? f.ltIdentity : f.initPeer);
    peer.category = kind === "long_term" ? "lt" : kind === "pairing_psk" ? "pr" : "sn";
    peer.connect();
    f.handshakes++;
    if (!peer.handshake(kind === "long_term" ? f.ltPsk : kind === "pairing_psk" ? f.rig.store.settings.pairingPsk : SENTINEL_PSK)) f.fail(`current setup ${setup}: handshake failed`);
    this.activatedRoles = undefined;
    if (phase !== "await_hello") {
      peer.hello();
      const activation: Record<string, unknown> =
        act === "[]" ? { activities: [], active_roles: [] }
        : act === "playback" ? { activities: ["playback"], active_roles: ["player@v1"] }
        : act === "finalize" ? { activities: ["pairing"], active_roles: [], pairing: { method: "pairing_psk" } }
        : { activities: ["pairing"], active_roles: [], pairing: { method: "dynamic_pairing_code", format: "digits" } };
      peer.send("server/activate", activation);
      this.activatedRoles = (activation.active_roles as string[]).slice();
      peer.recvAll();
      if (act === "dynamic(code)") {
        peer.send("server/pair-init", { nonce_A: base64urlEncode(f.rig.random.bytes(32)) });
        peer.recvAll();
      }
      if (peer.closed) f.fail(`current setup ${setup} closed`);
    }
    f.restoreStore();
    this.peer = peer;
    this.setup = setup;
    this.uses = 1;
    return peer;
  }

  private base(): { type: string; payload: Record<string, unknown> } {
    const m = this.f.m;
    const b64 = (n: number) => m.b64(n);
    const choices: { type: string; payload: Record<string, unknown> }[] = [
      { type: "server/activate", payload: { activities: m.pick([[], ["playback"], ["pairing"], ["playback", "pairing"], ["management"]]), ...(m.below(4) ? { active_roles: m.pick([[], ["player@v1"]]) } : {}), ...(m.below(3) ? { pairing: { method: m.pick(["pairing_psk", "static_pairing_code", "dynamic_pairing_code", "dynamic_pin"]), ...(m.below(2) ? { format: m.pick(["digits", "qr_code", "svg"]) } : {}) } } : {}), ...(m.below(6) === 0 ? { selected_pair_method: "dynamic_pin" } : {}) } },
      { type: "server/pair-init", payload: m.below(2) ? { nonce_A: b64(32) } : {} },
      { type: "server/pair-auth", payload: { pake_msg_1: base64urlEncode(this.f.rig.crypto.x25519Base(this.f.rig.random.bytes(32))) } },
      { type: "server/pair-confirm", payload: { server_kc: b64(64) } },
      { type: "server/pair-finalize", payload: {} },
      { type: "pair/abort", payload: { reason: m.pick(["user_cancelled", "pairing_code_mismatch", "x"]) } },
      { type: "server/unpair", payload: {} },
      { type: "server/error", payload: { reason: "malformed" } },
      { type: "stream/end", payload: { roles: ["player"] } },
      { type: "stream/start", payload: { server_transmitted: 1, player: { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 } } },
      { type: "server/command", payload: { player: { command: m.pick(["set_output_delay", "volume", "set_static_delay"]), output_delay_ms: m.pick([0, 5000, 9999, -3]), volume: 10 } } },
      { type: "management/list-records", payload: {} },
      { type: m.pick(["client/leave", "client/pair-pending", "client/pair-retry", "x/y"]), payload: {} },
      { type: "noise/handshake", payload: { data: b64(m.pick([48, 80])) } },
    ];
    const r = m.below(100);
    if (r < 30) return choices[0];
    if (r < 60) return m.pick(choices.slice(1, 6));
    return m.pick(choices.slice(6));
  }

  jsonCase(): void {
    const f = this.f;
    const setup = this.peer && !this.peer.closed && this.uses < 300 ? this.setup : f.m.pick(CurrentFuzz.SETUPS);
    const peer = this.session(setup);
    const c = f.conn()!;
    const phase = c.phase;
    const category = c.category!;
    const attempt = c.attempt && !c.attempt.finished;
    const first = !c.activated;
    const base = this.base();
    f.m.heavyRate = 0.05;
    const msg = f.m.chance(0.03) ? f.m.value(base) : { type: base.type, payload: f.m.chance(0.2) ? base.payload : f.m.value(base.payload) };
    f.m.heavyRate = 1;
    const body = f.m.chance(0.015) ? f.m.bytes(encodeJson(msg)) : encodeJson(msg);
    f.count(`current ${base.type} @${phase}`);
    peer.sendBytes(0, body);
    let out: Message[] = [];
    try {
      out = peer.recvAll();
    } catch (e) {
      f.fail(`current: the speaker sent an unreadable frame: ${String(e)}`);
    }
    for (const [i, o] of out.entries()) {
      if (CURRENT_CLIENT_TYPES.indexOf(o.type) < 0) f.fail("current: unexpected outbound type", o);
      if (o.type === "client/goodbye") {
        if (GOODBYE.indexOf(o.payload.reason as string) < 0 || i !== out.length - 1 || !peer.closed) f.fail("current: bad goodbye", out);
      }
      if (o.type === "pair/abort") {
        if (CURRENT_ABORT.indexOf(o.payload.reason as string) < 0) f.fail("current: bad abort reason", o);
        if (o.payload.reason === "concurrent_attempt" && !peer.closed) f.fail("current: concurrent_attempt must close", o);
      }
      if (o.type === "client/hello" || o.type === "client/pair-init" || o.type === "client/pair-pending") {
        if (Object.prototype.hasOwnProperty.call(o.payload, "trust_level")) f.fail("current: a baseline field in a current message", o);
      }
    }
    const env = oracleEnvelope(body) ? (JSON.parse(text(body)) as { type: string; payload: Record<string, unknown> }) : null;
    if (!env || env.type === "noise/handshake") {
      if (!peer.closed || out.length) f.fail("current: expected a silent close", { env: env && env.type, out });
      f.outcome("current: closed silently");
    } else if (phase === "await_hello") {
      const ok = env.type === "server/hello" && typeof own(env.payload, "name") === "string";
      if (!ok && (!peer.closed || out.length)) f.fail("current: expected a silent close before hello", out);
      f.outcome(ok ? "current: client/hello" : "current: closed silently");
    } else if (env.type === "server/activate") {
      const expect = oracleActivationCurrent({ category, unpaired: f.rig.store.settings.unpairedAccess, payload: env.payload, first, prevRoles: this.activatedRoles ?? [], offered: ["pairing_psk", "dynamic_pairing_code"] });
      const last = out[out.length - 1];
      if (expect === "ok") {
        if (peer.closed) f.fail("current: admissible activation refused", { p: env.payload, out });
        for (const o of out) if (["client/pair-init", "client/pair-finalize", "client/pair-pending"].indexOf(o.type) < 0) f.fail("current: unexpected reply to an admissible activation", { p: env.payload, out });
        const roles = own(env.payload, "active_roles");
        if (Array.isArray(roles)) this.activatedRoles = (roles as string[]).slice();
      } else if (expect === "abort:method_not_supported") {
        if (peer.closed || out.length !== 1 || last.type !== "pair/abort" || last.payload.reason !== "method_not_supported") f.fail(`current activation: expected ${expect}`, { p: env.payload, out });
      } else {
        const got = last ? `${last.type === "client/goodbye" ? "goodbye" : "abort"}:${last.payload.reason}` : "none";
        // an arbitration reject (another connection holds the speaker) is goodbye concurrent_attempt
        if ((got !== expect && got !== "goodbye:concurrent_attempt") || !peer.closed) f.fail(`current activation: expected ${expect}, got ${got}`, { p: env.payload, out });
      }
      f.outcome(`current activation ${expect}`);
    } else if (["server/pair-init", "server/pair-auth", "server/pair-confirm", "server/pair-finalize"].indexOf(env.type) >= 0 && phase === "active" && !attempt) {
      // no attempt: dropped when it follows our abort, otherwise a protocol error (silent close)
      if (out.length) f.fail("current: a pairing message with no attempt was answered", out);
      f.outcome(peer.closed ? "current: closed silently (no attempt)" : "current: dropped after an abort");
    } else {
      f.outcome(peer.closed ? (out.length ? `current: ${out[out.length - 1].type}` : "current: closed silently") : out.length ? `current: ${out.map((o) => o.type).join("+")}` : "current: ignored");
    }
    f.restoreStore(); // a legitimate pairing or unpair may have changed it
    f.invariants();
  }

  /** Type-1 fragment sequences and 13-byte audio chunks on a current connection. */
  binaryCase(): void {
    const f = this.f;
    const peer = this.session(f.m.pick(["active:long_term:playback", "active:sentinel:[]"]));
    const snapshot = JSON.stringify(viewOf(f.rig.store));
    const body = utf8Encode(JSON.stringify({ type: "group/update", payload: { group_id: "g".repeat(f.m.below(300)) } }));
    const plain = (...parts: (number | Uint8Array)[]) => rawFrame(peer, parts);
    const kind = f.m.below(9);
    const frames: Uint8Array[] = [];
    let expectClose = true;
    const cut = f.m.below(body.length + 1);
    if (kind === 0) {
      frames.push(plain(1, 2, 0, body.subarray(0, cut)), plain(1, 0, body.subarray(cut, cut)), plain(1, 1, body.subarray(cut)));
      expectClose = false;
    } else if (kind === 1) {
      frames.push(plain(1, 3, 0, body)); // a lone fragment (first and last): allowed
      expectClose = false;
    } else if (kind === 2) frames.push(plain(1, 1, body)); // non-first with nothing in flight
    else if (kind === 3) frames.push(plain(1, 2 | (4 << f.m.below(6)), 0, body)); // a reserved flag bit
    else if (kind === 4) frames.push(plain(1, 2, 1, body)); // orig_type 1
    else if (kind === 5) frames.push(plain(1, 2, 0, body), plain(1, 2, 0, body)); // a first fragment while one is in flight
    else if (kind === 6) frames.push(plain(1, 2, 0, body), plain(0, body)); // interleaved
    else if (kind === 7) frames.push(plain(1)); // no flags byte
    else {
      // a 13-byte-header audio chunk of random length (possibly shorter than its header): never closes
      const chunk = f.m.bytes(new Uint8Array(f.m.below(64))).subarray(0, 4096); // (size attacks: the baseline cases)
      frames.push(plain(4, chunk));
      expectClose = false;
    }
    f.count(`current fragments/chunks kind ${kind}`);
    for (const fr of frames) peer.sock.deliverBinary(fr);
    const out = peer.recvAll();
    if (expectClose ? !peer.closed || out.length : peer.closed || out.length) f.fail(`current binary kind ${kind}: expected ${expectClose ? "a silent close" : "it accepted"}`, { out, log: f.rig.log.lines.slice(-4) });
    f.outcome(expectClose ? "current: closed silently (framing)" : "current: binary accepted");
    if (JSON.stringify(viewOf(f.rig.store)) !== snapshot) f.fail("a current binary case changed the store");
    f.invariants();
  }

  /** Cleartext message 1 of the current revision: psk_category mutated (any unknown value closes; a miss falls back to the Sentinel). */
  noise1Case(): void {
    const f = this.f;
    f.count("current cleartext noise/handshake");
    const peer = new TestPeer(f.rig.sessions, f.rig.crypto, f.initPeer).connect();
    const init = peer.serverInitBytes();
    peer.sock.deliverText(init);
    const noise = NoiseKKpsk2.initiator({ crypto: f.rig.crypto, suite: peer.suite, prologue: concat(peer.clientInit!, init), s: peer.identity, rs: peer.clientKey!, psk: SENTINEL_PSK });
    const good = { psk_id: f.m.pick([SENTINEL_PSK_ID, f.m.b64(32)]), psk_category: f.m.pick(["sn", "lt", "pr"]) };
    const value = f.m.chance(0.7) ? f.m.value(good) : good;
    const payload = encodeJson(value);
    if (payload.length > 60000) return peer.close();
    peer.sock.deliverText(encodeJson({ type: "noise/handshake", payload: { data: base64urlEncode(noise.writeMessage1(payload)) } }));
    const v = oracleJson(payload);
    const id = own(v, "psk_id");
    const hasCat = isObj(v) && Object.prototype.hasOwnProperty.call(v, "psk_category");
    const cat = own(v, "psk_category");
    const idOk = strictKey(id);
    // current: any well-formed psk_id is answered (a miss falls back to the Sentinel); baseline: only a known one
    const expectOk = idOk && (hasCat ? cat === "sn" || cat === "lt" || cat === "pr" : f.knownPskIds().has(id as string));
    const answered = !peer.closed && peer.sock.outbox.length === 1;
    if (answered !== expectOk) f.fail(`current message 1: expected ${expectOk ? "message 2" : "a silent close"}`, { payload: text(payload).slice(0, 200) });
    f.outcome(expectOk ? "current: message 2 sent" : "current: message 1 closed silently");
    peer.close();
    f.invariants();
  }
}

/** The current text's admissibility rules (§server/activate), restated independently of current-admission.ts. */
function oracleActivationCurrent(o: { category: string; unpaired: boolean; payload: Record<string, unknown>; first: boolean; prevRoles: string[]; offered: string[] }): string {
  const acts = own(o.payload, "activities");
  const valid = Array.isArray(acts) && acts.every((a) => a === "playback" || a === "pairing") && new Set(acts).size === acts.length;
  const A = valid ? (acts as string[]) : [];
  const key = (a: string[]) => a.slice().sort().join(",");
  const allowed = (a: string[], unp: boolean) => {
    if (!valid) return false;
    const k = key(a);
    if (o.category === "long_term") return k === "" || k === "playback";
    return k === "" || k === "pairing" || (unp && (k === "playback" || k === "pairing,playback"));
  };
  const capable = (unp: boolean) => allowed(A.indexOf("playback") >= 0 ? A : [...A, "playback"], unp);
  const has = Object.prototype.hasOwnProperty.call(o.payload, "active_roles");
  const r = own(o.payload, "active_roles");
  const rolesOk = Array.isArray(r) && r.length <= 16 && r.every((x) => typeof x === "string" && x.length > 0 && x.length <= 64);
  const roles = (unp: boolean): string[] | "bad" => (has ? (rolesOk ? (r as string[]) : "bad") : o.first ? [] : capable(unp) ? o.prevRoles : []);
  const pairing = A.indexOf("pairing") >= 0;
  const p = own(o.payload, "pairing");
  const method = own(p, "method");
  const format = own(p, "format");
  const methodOk = typeof method === "string" && o.offered.indexOf(method) >= 0 && (method === "pairing_psk") === (o.category === "pairing_psk") && (method !== "dynamic_pairing_code" || format === "digits");
  const admissible = (unp: boolean) => {
    const rr = roles(unp);
    return allowed(A, unp) && rr !== "bad" && (rr.length === 0 || capable(unp)) && (!pairing || methodOk);
  };
  if (admissible(o.unpaired)) return "ok";
  if (o.category !== "long_term" && !o.unpaired && admissible(true)) return "goodbye:pairing_required";
  if (!allowed(A, o.unpaired) || (has && rolesOk && (r as string[]).length > 0 && !capable(o.unpaired))) return "goodbye:unauthorized";
  if (pairing && !methodOk) return "abort:method_not_supported";
  return "goodbye:unauthorized";
}

// ------------------------------------------------------------------ the oracle, from the spec

function own(o: unknown, k: string): unknown {
  return o !== null && typeof o === "object" && !Array.isArray(o) && Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function text(b: Uint8Array): string {
  return Buffer.from(b).toString("utf8");
}

/** A JSON object within our bounds (the bounded parser's rules), strictly UTF-8. */
function oracleJson(bytes: Uint8Array): unknown {
  if (bytes.length > LIMITS.maxBytes) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (!isObj(v)) return undefined;
  const s = jsonShape(v);
  if (s.depth > LIMITS.maxDepth || s.values > LIMITS.maxValues) return undefined;
  return v;
}

function oracleEnvelope(bytes: Uint8Array): boolean {
  const v = oracleJson(bytes);
  const t = own(v, "type");
  return typeof t === "string" && t.length > 0 && t.length <= 64 && isObj(own(v, "payload"));
}

function strictKey(s: unknown): boolean {
  return typeof s === "string" && /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(s);
}

function oracleServerInit(bytes: Uint8Array): boolean {
  if (!oracleEnvelope(bytes)) return false;
  const v = JSON.parse(text(bytes));
  const p = own(v, "payload");
  return own(v, "type") === "server/init" && strictKey(own(p, "server_id")) && own(p, "version") === 1;
}

function oracleMessage1Payload(bytes: Uint8Array, known: Set<string>): boolean {
  const v = oracleJson(bytes);
  const id = own(v, "psk_id");
  return typeof id === "string" && known.has(id);
}

function ownData(v: unknown): unknown {
  return own(own(v, "payload"), "data");
}

/** The spec's admissibility rules, restated independently of modules/session/admission.ts. */
function oracleActivation(o: { category: string; unpaired: boolean; payload: Record<string, unknown>; prevRoles: string[] | undefined; offered: string[]; locked: (m: string) => boolean }): string {
  const ALLOWED: Record<string, string[]> = {
    long_term: ["", "playback", "management", "management,playback", "pairing"],
    pairing_psk: ["pairing"],
    sentinel: ["", "pairing"],
  };
  const acts = own(o.payload, "activities");
  const validActs = Array.isArray(acts) && acts.every((a) => a === "playback" || a === "pairing" || a === "management") && new Set(acts).size === acts.length;
  const key = (a: string[]) => a.slice().sort().join(",");
  const allowed = (a: string[], unp: boolean) => validActs && (ALLOWED[o.category].indexOf(key(a)) >= 0 || (unp && o.category === "sentinel" && key(a) === "playback"));
  const A = validActs ? (acts as string[]) : [];
  const capable = (unp: boolean) => allowed(A.indexOf("playback") >= 0 ? A : [...A, "playback"], unp);
  const hasRoles = Object.prototype.hasOwnProperty.call(o.payload, "active_roles");
  const r = own(o.payload, "active_roles");
  const rolesOk = Array.isArray(r) && r.length <= 16 && r.every((x) => typeof x === "string" && x.length > 0 && x.length <= 64);
  const roles: string[] | "bad" | undefined = hasRoles ? (rolesOk ? (r as string[]) : "bad") : o.prevRoles;
  const hasMethod = Object.prototype.hasOwnProperty.call(o.payload, "selected_pair_method");
  const method = own(o.payload, "selected_pair_method");
  const pairing = A.indexOf("pairing") >= 0;
  const methodOk = typeof method === "string" && o.offered.indexOf(method) >= 0 && (method === "pairing_psk") === (o.category === "pairing_psk");
  const admissible = (unp: boolean) => allowed(A, unp) && Array.isArray(roles) && (roles.length === 0 || capable(unp)) && (pairing ? methodOk : !hasMethod);
  if (admissible(o.unpaired)) {
    if (pairing && method !== "pairing_psk" && o.locked(method as string)) return "abort:locked_out";
    return "ok";
  }
  if (o.category === "sentinel" && !o.unpaired && admissible(true)) return "goodbye:pairing_required";
  if (!allowed(A, o.unpaired) || (Array.isArray(roles) && roles.length > 0 && !capable(o.unpaired))) return "goodbye:unauthorized";
  if (pairing && !methodOk) return "abort:method_not_supported";
  return "goodbye:unauthorized";
}

interface SavedState {
  readonly records: { pskId: string; psk: Uint8Array; serverId?: string }[];
  readonly settings: Settings;
}

function saveState(store: Store): SavedState {
  return { records: store.list().map((r) => ({ pskId: r.pskId, psk: r.psk.slice(), serverId: r.serverId })), settings: { ...store.settings } };
}

function restoreState(store: Store, st: SavedState): void {
  for (const r of st.records) if (!store.findByPskId(r.pskId)) store.addRecord(r.psk, r.serverId);
  const s = st.settings;
  store.updateSettings({
    pairingPsk: s.pairingPsk,
    staticPin: s.staticPin,
    pairingPskEnabled: s.pairingPskEnabled,
    staticPinEnabled: s.staticPinEnabled,
    dynamicPinEnabled: s.dynamicPinEnabled,
    minPinLength: s.minPinLength,
    unpairedAccess: s.unpairedAccess,
    staticDelayMs: s.staticDelayMs,
    lastPlaybackServerId: s.lastPlaybackServerId,
    ...(s.recordModePskId ? { recordModePskId: s.recordModePskId } : {}),
  });
  for (const r of store.list()) if (!st.records.some((x) => x.pskId === r.pskId)) store.removeRecord(r.pskId);
}

/** Records and settings, `used` flags aside (bookkeeping of legitimate sessions, the setups set them). */
function viewOf(store: Store): unknown {
  const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString("hex") : b);
  const st = store.settings as unknown as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const k of Object.keys(st).sort()) settings[k] = k === "identity" ? hex((st.identity as KeyPair).publicKey) : hex(st[k]);
  return { records: store.list().map((r) => ({ pskId: r.pskId, serverId: r.serverId })), settings };
}

/** One encrypted frame whose plaintext is `parts` (bytes and byte arrays) as is: no framing rules applied. */
function rawFrame(peer: TestPeer, parts: (number | Uint8Array)[]): Uint8Array {
  return peer.encryptRaw(plaintext(parts));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a, 0);
  o.set(b, a.length);
  return o;
}

function hexBytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, "hex"));
}

void clone;
void base64urlDecode;

test(`session fuzz: ≥ 100,000 hostile messages (seed ${SEED})`, () => {
  const f = new Fuzz();
  const cf = new CurrentFuzz(f);
  const started = Date.now();
  const heap0 = process.memoryUsage().heapUsed;
  const plan: [() => void, number][] = [
    [() => f.serverInitCase(), 30_000 * SCALE],
    [() => f.noise1Case(), 4_000 * SCALE],
    [() => f.transportJsonCase(), 63_000 * SCALE],
    [() => f.binaryCase(), 4_000 * SCALE],
    [() => f.lowOrderCase(), 300 * SCALE],
    // in stretches: the two revisions' cases do not share a connection, so each switch costs a handshake
    [() => { for (let i = 0; i < 40; i++) cf.jsonCase(); }, 250 * SCALE],
    [() => { for (let i = 0; i < 20; i++) cf.binaryCase(); }, 100 * SCALE],
    [() => cf.noise1Case(), 2_000 * SCALE],
  ];
  // interleave the classes (seeded order) so state carried by one class meets the others
  const remaining = plan.map(([, n]) => n);
  let total = remaining.reduce((a, b) => a + b, 0);
  while (total > 0) {
    let r = f.m.below(total);
    let i = 0;
    while (r >= remaining[i]) r -= remaining[i++];
    remaining[i]--;
    total--;
    try {
      plan[i][0]();
    } catch (e) {
      console.log(String((e as Error).stack).slice(0, 3000));
      throw e;
    }
  }
  f.rig.sessions.stop("shutdown");
  const seconds = (Date.now() - started) / 1000;
  const lines = Object.keys(f.counts).sort().map((k) => `  ${k}: ${f.counts[k]}`);
  const outs = Object.keys(f.outcomes).sort().map((k) => `  ${k}: ${f.outcomes[k]}`);
  console.log(`session fuzz: ${f.tried} messages tried in ${seconds.toFixed(1)} s, ${f.handshakes} set-up handshakes, 0 failures; heap ${(heap0 / 1e6).toFixed(0)} → peak ${(f.peakHeap / 1e6).toFixed(0)} MB\nby class:\n${lines.join("\n")}\noutcomes:\n${outs.join("\n")}`);
  assert.ok(f.tried >= 115_000 * SCALE);
  assert.equal(f.rig.sessions.internalErrors, 0);
  assert.ok(f.peakHeap < heap0 + 256e6, "memory stays bounded");
});
