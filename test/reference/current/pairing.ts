// The server's side of the current revision's pairing (current spec §Pairing), from that text:
// - pairing PSK: activate(pairing{pairing_psk}) → client/pair-init{pairing_index} → client/pair-finalize
//   {long_term_psk} → persist → server/pair-finalize → re-handshake to the new PSK → server/activate
// - static pairing code: activate(pairing{static_pairing_code}) → [client/pair-pending while no window]
//   → client/pair-init → CPace role A (round 1) → server_kc → client/pair-confirm{client_kc} → verify
//   → client/pair-finalize{wrapped_psk} → unwrap → finish
// - dynamic pairing code: activate(pairing{dynamic_pairing_code, format}) → [client/pair-pending] →
//   client/pair-init{commit_B} → rounds of { server/pair-init (nonce_A in round 1 only) → operator enters
//   the code → CPace → server_kc → client/pair-retry | client/pair-confirm } → verify client_kc, the
//   commit opening (wrapped_nonce_B), the code binding → client/pair-finalize{wrapped_psk} → finish
// CPace: sid = "sendspin-pair-pake-v1" || h || uint32(pairing_index) || uint32(round), CI empty,
// ADa "server", ADb "client". After server/pair-finalize the server re-handshakes and its first message
// under the new keys is server/activate (no hellos).
// A failed key confirmation is pair/abort pairing_code_mismatch (the connection stays open); every other
// failure is a protocol error: close without a message, persist nothing.

import { CPaceInitiator } from "../../../crypto/cpace.js";
import { pskId as computePskId } from "../../../crypto/ids.js";
import { base64urlDecode, base64urlEncode } from "../../../modules/util/base64url.js";
import { constantTimeEqual } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { ConnectionClosed, type Activation, type InMessage } from "../connection.js";
import { PairingFailed } from "../pairing.js";
import type { CurrentConnection } from "./connection.js";
import { AD_CLIENT, AD_SERVER, codeDigest, commitB, digitsCode, NONCE_WRAP_LABEL, pakeSid, PSK_WRAP_LABEL, qrCode, unwrap, wrapKey } from "./derive.js";

export type CodeMethod = "static_pairing_code" | "dynamic_pairing_code";
export type CodeFormat = "digits" | "qr_code";

export interface CurrentPairingOptions {
  /**
   * After client/pair-finalize (and verification):
   * - "finalize" (default): persist, server/pair-finalize, re-handshake to the new PSK, then `after`;
   * - "finalize-only": persist and send server/pair-finalize, nothing more;
   * - an Activation: end the attempt with that server/activate instead (nothing persisted);
   * - "stop": send nothing.
   */
  finish?: "finalize" | "finalize-only" | "stop" | Activation;
  /** The first server/activate under the new keys (default: no activities, no roles). */
  after?: Activation;
  /** Send the pairing server/activate first (default true). */
  activate?: boolean;
  timeoutMs?: number;
  /** Wait for client/pair-init (a window to open, a hold to end), ms. */
  pairInitTimeoutMs?: number;
}

export interface DynamicCodeOptions extends CurrentPairingOptions {
  format?: CodeFormat;
  /**
   * The operator: the code as the speaker emitted it in this round (digits, or the raw 24 bytes of a
   * scanned token). Called once per round; a wrong value makes that round fail.
   */
  getCode: (info: { round: number; pairing: CodePairing }) => Promise<string | Uint8Array>;
  nonceA?: Uint8Array;
}

export interface CurrentPairingResult {
  method: "pairing_psk" | CodeMethod;
  longTermPsk: Uint8Array;
  pskId: string;
  finalized: boolean;
  /** Rounds run (code methods). */
  rounds: number;
  /** client/pair-pending payloads received before client/pair-init. */
  pending: InMessage[];
  /** The code that verified (code methods). */
  code?: string | Uint8Array;
}

const DEFAULT_AFTER: Activation = { activities: [], active_roles: [] };

/** The expected next message of a pairing step; a pair/abort from the speaker or a close becomes PairingFailed. */
async function expect(conn: CurrentConnection, type: string | string[], timeoutMs: number, stage = Array.isArray(type) ? type.join("|") : type): Promise<InMessage> {
  const types = Array.isArray(type) ? type : [type];
  let m: InMessage;
  try {
    m = await conn.next([...types, "pair/abort"], { timeoutMs });
  } catch (e) {
    if (e instanceof ConnectionClosed) throw new PairingFailed(e.message, stage, { close: e.close, peerAbort: e.close.pairAbort });
    throw e;
  }
  if (m.type === "pair/abort") throw new PairingFailed(`speaker aborted: ${String(m.payload.reason)}`, stage, { peerAbort: String(m.payload.reason) });
  return m;
}

/** A protocol error: close without any message, nothing persisted. */
function protocolError(conn: CurrentConnection, stage: string, why: string): PairingFailed {
  conn.close(1000);
  return new PairingFailed(`protocol error: ${why}`, stage, { close: undefined });
}

/** Wait for client/pair-init, keeping client/pair-pending; checks pairing_index as the spec says. */
async function awaitPairInit(conn: CurrentConnection, index: number, timeoutMs: number, pending: InMessage[]): Promise<InMessage> {
  for (;;) {
    const m = await expect(conn, ["client/pair-init", "client/pair-pending"], timeoutMs, "client/pair-init");
    const got = m.payload.pairing_index;
    if (typeof got !== "number") throw protocolError(conn, m.type, "no pairing_index");
    if (got < index) continue; // a leftover from a superseded pairing: discarded silently
    if (got > index) throw protocolError(conn, m.type, `pairing_index ${got} above the server's ${index}`);
    if (m.type === "client/pair-pending") pending.push(m);
    else return m;
  }
}

/** One code-based attempt (static or dynamic), step by step. */
export class CodePairing {
  readonly pending: InMessage[] = [];
  pairingIndex = 0;
  round = 0;
  commit: Uint8Array | null = null;
  nonceA: Uint8Array | null = null;
  /** The code entered in the current round (PRS). */
  prs: Uint8Array = new Uint8Array(0);
  sid: Uint8Array = new Uint8Array(0);
  private cpace: CPaceInitiator | null = null;
  private readonly timeoutMs: number;

  constructor(readonly conn: CurrentConnection, readonly method: CodeMethod, readonly format: CodeFormat = "digits", o: { timeoutMs?: number } = {}) {
    this.timeoutMs = o.timeoutMs ?? conn.server.timeoutMs;
  }

  /** server/activate(['pairing'], [], pairing{method[, format]}). */
  activate(): void {
    const pairing = this.method === "dynamic_pairing_code" ? { method: this.method, format: this.format } : { method: this.method };
    this.conn.activate({ activities: ["pairing"], active_roles: [], pairing });
    this.pairingIndex = this.conn.pairingIndex;
  }

  /** Wait for client/pair-init (client/pair-pending kept in `pending`); dynamic: keep commit_B. */
  async awaitPairInit(timeoutMs = this.timeoutMs): Promise<void> {
    if (!this.pairingIndex) this.pairingIndex = this.conn.pairingIndex;
    const m = await awaitPairInit(this.conn, this.pairingIndex, timeoutMs, this.pending);
    if (this.method === "dynamic_pairing_code") {
      const c = base64urlDecode(m.payload.commit_B, 32);
      if (!c) throw protocolError(this.conn, m.type, "dynamic client/pair-init without a valid commit_B");
      this.commit = c;
    } else if ("commit_B" in m.payload) this.conn.violations.push("static client/pair-init carries commit_B");
  }

  /** Begin a round: dynamic → server/pair-init (nonce_A in the first round only); static → round 1. */
  beginRound(nonceA?: Uint8Array): void {
    this.round++;
    if (this.method !== "dynamic_pairing_code") return;
    if (this.round === 1) {
      this.nonceA = nonceA ?? new Uint8Array(32);
      if (!nonceA) this.conn.server.crypto.randomBytes(this.nonceA);
      this.conn.send("server/pair-init", { nonce_A: base64urlEncode(this.nonceA) });
    } else this.conn.send("server/pair-init", {});
  }

  /**
   * server/pair-auth(Ya) → client/pair-auth(Yb) → server/pair-confirm(Ta), with the code the operator
   * entered. `confirm` replaces the server/pair-confirm payload (hostile tests).
   */
  async authenticate(code: string | Uint8Array, o: { confirm?: (serverKc: string) => unknown } = {}): Promise<void> {
    this.prs = typeof code === "string" ? utf8Encode(code) : code.slice();
    this.sid = pakeSid(this.conn.handshakeHash, this.pairingIndex, this.round);
    this.cpace?.dispose();
    this.cpace = new CPaceInitiator(this.conn.server.crypto, { prs: this.prs, sid: this.sid, ada: AD_SERVER, adb: AD_CLIENT });
    this.conn.send("server/pair-auth", { pake_msg_1: base64urlEncode(this.cpace.start()) });
    const m = await expect(this.conn, "client/pair-auth", this.timeoutMs);
    const yb = base64urlDecode(m.payload.pake_msg_2, 32);
    if (!yb || !this.cpace.receive(yb)) throw protocolError(this.conn, "client/pair-auth", "unacceptable CPace share");
    const kc = base64urlEncode(this.cpace.initiatorTag());
    this.conn.send("server/pair-confirm", o.confirm ? o.confirm(kc) : { server_kc: kc });
  }

  /** The speaker's answer to server_kc: "retry" (client/pair-retry) or its client/pair-confirm. */
  async awaitOutcome(): Promise<"retry" | InMessage> {
    const types = this.method === "dynamic_pairing_code" ? ["client/pair-confirm", "client/pair-retry"] : ["client/pair-confirm"];
    const m = await expect(this.conn, types, this.timeoutMs);
    return m.type === "client/pair-retry" ? "retry" : m;
  }

  /**
   * Verify client/pair-confirm in the spec's order: client_kc (failure: pair/abort pairing_code_mismatch,
   * the connection stays open), then (dynamic) the commit opening and the code binding (protocol errors).
   */
  verify(m: InMessage): void {
    const cp = this.cpace!;
    const tb = base64urlDecode(m.payload.client_kc, 64);
    if (!tb || !cp.verifyResponderTag(tb)) {
      this.conn.send("pair/abort", { reason: "pairing_code_mismatch" });
      throw new PairingFailed("client_kc does not verify", "verify client_kc", { serverAbort: "pairing_code_mismatch" });
    }
    if (this.method !== "dynamic_pairing_code") return;
    const sealed = base64urlDecode(m.payload.wrapped_nonce_B, 48);
    const nonceB = sealed && unwrap(this.conn.server.crypto, this.conn.suite, wrapKey(this.conn.server.crypto, NONCE_WRAP_LABEL, this.sid, cp.isk), sealed);
    if (!nonceB || nonceB.length !== 32) throw protocolError(this.conn, "wrapped_nonce_B", "wrapped_nonce_B does not unwrap to 32 bytes");
    if (!constantTimeEqual(commitB(this.conn.server.crypto, nonceB), this.commit!)) throw protocolError(this.conn, "commit_B", "nonce_B does not open commit_B");
    const digest = codeDigest(this.conn.server.crypto, this.conn.handshakeHash, this.nonceA!, nonceB);
    const derived = this.format === "qr_code" ? qrCode(digest) : utf8Encode(digitsCode(digest));
    if (!constantTimeEqual(derived, this.prs)) throw protocolError(this.conn, "code binding", "the entered code is not the one derived from h, nonce_A, nonce_B");
  }

  /** client/pair-finalize{wrapped_psk} → the long-term PSK (unwrapped under this round's CPace output). */
  async awaitFinalize(): Promise<Uint8Array> {
    const m = await expect(this.conn, "client/pair-finalize", this.timeoutMs);
    const sealed = base64urlDecode(m.payload.wrapped_psk, 48);
    const cp = this.cpace!;
    const psk = sealed && unwrap(this.conn.server.crypto, this.conn.suite, wrapKey(this.conn.server.crypto, PSK_WRAP_LABEL, this.sid, cp.isk), sealed);
    cp.dispose();
    if (!psk || psk.length !== 32) throw protocolError(this.conn, "client/pair-finalize", "wrapped_psk does not unwrap to 32 bytes");
    return psk;
  }
}

async function finish(conn: CurrentConnection, method: CurrentPairingResult["method"], psk: Uint8Array, o: CurrentPairingOptions, extra: Partial<CurrentPairingResult>): Promise<CurrentPairingResult> {
  const result: CurrentPairingResult = { method, longTermPsk: psk, pskId: computePskId(conn.server.crypto, psk), finalized: false, rounds: 0, pending: [], ...extra };
  const how = o.finish ?? "finalize";
  if (how === "stop") return result;
  if (typeof how === "object") {
    conn.activate(how);
    return result;
  }
  // "Acknowledges that the server has persisted the pairing record": persist first, then say so.
  conn.server.records.set(conn.clientId, { psk, pskId: result.pskId });
  conn.send("server/pair-finalize", {});
  result.finalized = true;
  if (how === "finalize-only") return result;
  await conn.rehandshake("record", { timeoutMs: o.timeoutMs });
  conn.activate(o.after ?? DEFAULT_AFTER);
  return result;
}

/** Pairing PSK flow on a connection keyed by the pairing PSK, after hello. */
export async function pairWithPairingPskCurrent(conn: CurrentConnection, o: CurrentPairingOptions = {}): Promise<CurrentPairingResult> {
  const t = o.timeoutMs ?? conn.server.timeoutMs;
  if (o.activate ?? true) conn.activate({ activities: ["pairing"], active_roles: [], pairing: { method: "pairing_psk" } });
  const pending: InMessage[] = [];
  await awaitPairInit(conn, conn.pairingIndex, o.pairInitTimeoutMs ?? t, pending);
  const m = await expect(conn, "client/pair-finalize", t);
  const psk = base64urlDecode(m.payload.long_term_psk, 32);
  if (!psk) throw protocolError(conn, "client/pair-finalize", "no 32-byte long_term_psk");
  return finish(conn, "pairing_psk", psk, o, { pending });
}

/** Static pairing code after hello: the test opens the speaker's pairing window (button) meanwhile. */
export async function pairWithStaticCode(conn: CurrentConnection, code: string, o: CurrentPairingOptions = {}): Promise<CurrentPairingResult> {
  const p = new CodePairing(conn, "static_pairing_code", "digits", o);
  if (o.activate ?? true) p.activate();
  await p.awaitPairInit(o.pairInitTimeoutMs ?? o.timeoutMs ?? conn.server.timeoutMs);
  p.beginRound();
  await p.authenticate(code);
  const m = await p.awaitOutcome();
  if (m === "retry") throw protocolError(conn, "client/pair-retry", "client/pair-retry in the static flow");
  p.verify(m);
  const psk = await p.awaitFinalize();
  return finish(conn, "static_pairing_code", psk, o, { rounds: p.round, pending: p.pending, code });
}

/** Dynamic pairing code after hello; each round's code comes from `getCode` (the operator). */
export async function pairWithDynamicCode(conn: CurrentConnection, o: DynamicCodeOptions): Promise<CurrentPairingResult> {
  const p = new CodePairing(conn, "dynamic_pairing_code", o.format ?? "digits", o);
  if (o.activate ?? true) p.activate();
  await p.awaitPairInit(o.pairInitTimeoutMs ?? o.timeoutMs ?? conn.server.timeoutMs);
  for (;;) {
    p.beginRound(o.nonceA);
    const code = await o.getCode({ round: p.round, pairing: p });
    await p.authenticate(code);
    const m = await p.awaitOutcome();
    if (m === "retry") continue;
    p.verify(m);
    const psk = await p.awaitFinalize();
    return finish(conn, "dynamic_pairing_code", psk, o, { rounds: p.round, pending: p.pending, code });
  }
}
