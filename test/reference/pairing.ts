// The server's side of the three pairing methods (spec §Pairing), written from the spec text:
// - pairing PSK: activate(pairing, pairing_psk) → client/pair-finalize → persist → server/pair-finalize
// - static PIN: activate → client/pair-init (the speaker's pairing window) → CPace role A with the
//   operator's PIN → server_kc → verify client_kc → client/pair-finalize → finalize
// - dynamic PIN: activate → client/pair-init(commit_B) → server/pair-init(nonce_A, pin_length) → the
//   operator's PIN → CPace → verify client_kc, then SHA-256(nonce_B) = commit_B, then the PIN binding
//   (in that order) → client/pair-finalize → finalize
// After finalizing, the server re-handshakes to the new long-term PSK and runs hello again. Leaving
// pairing with a server/activate instead persists nothing.
//
// The steps are public (PinPairing) so tests can stop anywhere, interleave other connections, or do
// something hostile between two steps; the pairWith* functions run a whole flow.

import { CPaceInitiator, cpaceSid } from "../../crypto/cpace.js";
import { commitB, derivePin } from "../../crypto/pin.js";
import { pskId as computePskId } from "../../crypto/ids.js";
import { base64urlDecode, base64urlEncode } from "../../modules/util/base64url.js";
import { constantTimeEqual } from "../../modules/util/bytes.js";
import { utf8Encode } from "../../modules/util/utf8.js";
import { ConnectionClosed, type Activation, type CloseInfo, type InMessage, type ServerConnection } from "./connection.js";
import { isObject, type JsonObject } from "./wire.js";

export interface PairingOptions {
  /**
   * How the attempt ends once the speaker's client/pair-finalize arrived (after verification):
   * - "finalize" (default): persist the record, server/pair-finalize, re-handshake to the new PSK, hello;
   * - "finalize-only": persist and send server/pair-finalize, nothing more (the test re-handshakes);
   * - an Activation: leave pairing with that server/activate instead (nothing persisted);
   * - "stop": send nothing (the received PSK is returned, not persisted).
   */
  finish?: "finalize" | "finalize-only" | "stop" | Activation;
  /** Send the pairing server/activate first (default true). */
  activate?: boolean;
  /** Per-step wait, ms (default: the server's timeoutMs). */
  timeoutMs?: number;
  /** Wait for client/pair-init (the static PIN's window opens on a button press), ms. */
  pairInitTimeoutMs?: number;
}

export interface DynamicPinOptions extends PairingOptions {
  /** The operator: returns the PIN the speaker conveyed (in tests, read from its out-channel). */
  getPin: (info: { pinLength: number; nonceA: Uint8Array; conn: ServerConnection }) => Promise<string>;
  /** The server operator's minimum PIN length (default 4): L = clamp(max(client_min, server_min), 4, 12). */
  serverMinPinLength?: number;
  /** Send exactly this pin_length (hostile: out of range). */
  pinLength?: number;
  /** Use this nonce_A (default: 32 CSPRNG bytes). */
  nonceA?: Uint8Array;
}

export interface PairingResult {
  method: "pairing_psk" | "static_pin" | "dynamic_pin";
  /** The long-term PSK the speaker delivered (persisted only when finalized). */
  longTermPsk: Uint8Array;
  pskId: string;
  finalized: boolean;
  /** client/hello after the re-handshake ("finalize" only). */
  clientHello?: JsonObject;
  pin?: string;
  pinLength?: number;
}

export class PairingFailed extends Error {
  constructor(
    message: string,
    /** The step that failed, e.g. "client/pair-auth", "verify client_kc". */
    readonly stage: string,
    readonly detail: {
      /** pair/abort reason the speaker sent. */
      peerAbort?: string;
      /** pair/abort reason this server sent. */
      serverAbort?: string;
      /** The close, when the connection ended. */
      close?: CloseInfo;
    } = {},
  ) {
    super(message);
  }
  override get name(): string {
    return "PairingFailed";
  }
}

/** One PIN-pairing attempt (static or dynamic), step by step. */
export class PinPairing {
  readonly conn: ServerConnection;
  readonly method: "static_pin" | "dynamic_pin";
  private readonly timeoutMs: number;
  commit: Uint8Array | null = null;
  nonceA: Uint8Array | null = null;
  pinLength = 0;
  pin = "";
  private cpace: CPaceInitiator | null = null;
  longTermPsk: Uint8Array | null = null;

  constructor(conn: ServerConnection, method: "static_pin" | "dynamic_pin", o: { timeoutMs?: number } = {}) {
    this.conn = conn;
    this.method = method;
    this.timeoutMs = o.timeoutMs ?? conn.server.timeoutMs;
  }

  /** server/activate(['pairing'], active_roles [], selected_pair_method). */
  activate(): void {
    this.conn.activate({ activities: ["pairing"], active_roles: [], selected_pair_method: this.method });
  }

  /** Wait for client/pair-init; dynamic PIN: keeps commit_B. */
  async awaitPairInit(timeoutMs = this.timeoutMs): Promise<void> {
    const m = await expect(this.conn, "client/pair-init", timeoutMs);
    if (this.method === "dynamic_pin") {
      const c = base64urlDecode(m.payload.commit_B, 32);
      if (!c) throw this.protocolFailure("client/pair-init", "dynamic PIN client/pair-init without a valid commit_B");
      this.commit = c;
    } else if ("commit_B" in m.payload) this.conn.violations.push("static PIN client/pair-init carries commit_B");
  }

  /** Dynamic PIN: server/pair-init with nonce_A and pin_length. */
  sendPairInit(o: { serverMinPinLength?: number; pinLength?: number; nonceA?: Uint8Array } = {}): void {
    const nonceA = o.nonceA ?? new Uint8Array(32);
    if (!o.nonceA) this.conn.server.crypto.randomBytes(nonceA);
    this.nonceA = nonceA;
    this.pinLength = o.pinLength ?? choosePinLength(this.conn.clientHello, o.serverMinPinLength ?? 4);
    this.conn.send("server/pair-init", { nonce_A: base64urlEncode(nonceA), pin_length: this.pinLength });
  }

  /** server/pair-auth(Ya) → client/pair-auth(Yb) → server/pair-confirm(Ta). */
  async authenticate(pin: string): Promise<void> {
    this.pin = pin;
    const sid = cpaceSid(this.conn.handshakeHash);
    this.cpace = new CPaceInitiator(this.conn.server.crypto, { prs: utf8Encode(pin), sid });
    const ya = this.cpace.start();
    this.conn.send("server/pair-auth", { pake_msg_1: base64urlEncode(ya) });
    const m = await expect(this.conn, "client/pair-auth", this.timeoutMs);
    const yb = base64urlDecode(m.payload.pake_msg_2, 32);
    if (!yb || !this.cpace.receive(yb)) {
      // A malformed or low-order share: CPace aborts; pin_mismatch is the server's one abort reason.
      this.conn.abortPairing("pin_mismatch");
      throw new PairingFailed("the speaker's CPace share was refused", "client/pair-auth", { serverAbort: "pin_mismatch" });
    }
    this.conn.send("server/pair-confirm", { server_kc: base64urlEncode(this.cpace.initiatorTag()) });
  }

  /**
   * Wait for client/pair-confirm and verify, in the spec's order: client_kc, then (dynamic) the
   * commitment opening, then the PIN binding. A failure sends pair/abort pin_mismatch and closes.
   */
  async verify(): Promise<void> {
    const m = await expect(this.conn, "client/pair-confirm", this.timeoutMs);
    const tb = base64urlDecode(m.payload.client_kc, 64);
    if (!tb || !this.cpace!.verifyResponderTag(tb)) return this.mismatch("verify client_kc");
    if (this.method === "static_pin") {
      if ("nonce_B" in m.payload) this.conn.violations.push("static PIN client/pair-confirm carries nonce_B");
      return;
    }
    const nonceB = base64urlDecode(m.payload.nonce_B, 32);
    if (!nonceB || !constantTimeEqual(commitB(this.conn.server.crypto, nonceB), this.commit!)) return this.mismatch("verify commit_B");
    const derived = derivePin(this.conn.server.crypto, this.conn.handshakeHash, this.nonceA!, nonceB, this.pinLength);
    if (!constantTimeEqual(utf8Encode(derived), utf8Encode(this.pin))) return this.mismatch("verify PIN binding");
  }

  /** Wait for client/pair-finalize (sent back-to-back after client/pair-confirm). */
  async awaitFinalize(): Promise<Uint8Array> {
    this.longTermPsk = await awaitPairFinalize(this.conn, this.timeoutMs);
    return this.longTermPsk;
  }

  private mismatch(stage: string): never {
    this.conn.abortPairing("pin_mismatch");
    throw new PairingFailed(`pairing failed at ${stage}`, stage, { serverAbort: "pin_mismatch" });
  }

  private protocolFailure(stage: string, why: string): PairingFailed {
    this.conn.violations.push(why);
    this.conn.close(1002);
    return new PairingFailed(why, stage);
  }
}

/** L = max(client_min, server_min) clamped to 4–12 (spec §PIN length). */
export function choosePinLength(clientHello: JsonObject | null, serverMin: number): number {
  let clientMin = 4;
  const methods = clientHello?.supported_pair_methods;
  if (Array.isArray(methods))
    for (const d of methods) if (isObject(d) && d.method === "dynamic_pin" && typeof d.min_pin_length === "number") clientMin = d.min_pin_length;
  return Math.min(12, Math.max(4, clientMin, serverMin));
}

/**
 * Wait for `type`; a pair/abort from the speaker (or the close) first turns into PairingFailed. After a
 * pair/abort the speaker must close: that is awaited and a missing close is a violation.
 */
async function expect(conn: ServerConnection, type: string, timeoutMs: number): Promise<InMessage> {
  let m: InMessage;
  try {
    m = await conn.next([type, "pair/abort"], { timeoutMs });
  } catch (e) {
    if (e instanceof ConnectionClosed) throw new PairingFailed(e.message, type, { close: e.close, peerAbort: e.close.pairAbort });
    throw e;
  }
  if (m.type === "pair/abort") {
    const reason = String(m.payload.reason);
    let close: CloseInfo | undefined;
    try {
      close = await conn.closed(timeoutMs);
    } catch {
      conn.violations.push(`speaker did not close after pair/abort ${reason}`);
    }
    throw new PairingFailed(`speaker aborted pairing: ${reason}`, type, { peerAbort: reason, close });
  }
  return m;
}

async function awaitPairFinalize(conn: ServerConnection, timeoutMs: number): Promise<Uint8Array> {
  const m = await expect(conn, "client/pair-finalize", timeoutMs);
  const psk = base64urlDecode(m.payload.long_term_psk, 32);
  if (!psk) {
    conn.close(1002);
    throw new PairingFailed("client/pair-finalize without a valid long_term_psk", "client/pair-finalize");
  }
  return psk;
}

/** The common end of every method, per `finish`. */
async function finishPairing(conn: ServerConnection, method: PairingResult["method"], psk: Uint8Array, o: PairingOptions, extra: Partial<PairingResult>): Promise<PairingResult> {
  const finish = o.finish ?? "finalize";
  const result: PairingResult = { method, longTermPsk: psk, pskId: computePskId(conn.server.crypto, psk), finalized: false, ...extra };
  if (finish === "stop") return result;
  if (typeof finish === "object") {
    conn.activate(finish);
    return result;
  }
  // "Acknowledges that the server has persisted the pairing record": persist first, then say so.
  conn.server.records.set(conn.clientId, { psk, pskId: result.pskId });
  conn.send("server/pair-finalize", {});
  result.finalized = true;
  if (finish === "finalize-only") return result;
  await conn.rehandshake("record", { timeoutMs: o.timeoutMs });
  result.clientHello = await conn.hello(undefined, o.timeoutMs);
  if (result.clientHello.trust_level !== "user") conn.violations.push(`trust_level ${String(result.clientHello.trust_level)} after pairing (expected user)`);
  return result;
}

/** Pairing PSK flow on a connection keyed by the pairing PSK, after hello. */
export async function pairWithPairingPsk(conn: ServerConnection, o: PairingOptions = {}): Promise<PairingResult> {
  if (o.activate ?? true) conn.activate({ activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" });
  const psk = await awaitPairFinalize(conn, o.timeoutMs ?? conn.server.timeoutMs);
  return finishPairing(conn, "pairing_psk", psk, o, {});
}

/** Static PIN flow after hello: the test opens the speaker's pairing window (button) meanwhile. */
export async function pairWithStaticPin(conn: ServerConnection, pin: string, o: PairingOptions = {}): Promise<PairingResult> {
  const p = new PinPairing(conn, "static_pin", o);
  if (o.activate ?? true) p.activate();
  await p.awaitPairInit(o.pairInitTimeoutMs ?? o.timeoutMs ?? conn.server.timeoutMs);
  await p.authenticate(pin);
  await p.verify();
  const psk = await p.awaitFinalize();
  return finishPairing(conn, "static_pin", psk, o, { pin });
}

/** Dynamic PIN flow after hello; the PIN comes from `getPin` (the operator reading the out-channel). */
export async function pairWithDynamicPin(conn: ServerConnection, o: DynamicPinOptions): Promise<PairingResult> {
  const p = new PinPairing(conn, "dynamic_pin", o);
  if (o.activate ?? true) p.activate();
  await p.awaitPairInit(o.pairInitTimeoutMs ?? o.timeoutMs ?? conn.server.timeoutMs);
  p.sendPairInit(o);
  // The speaker may refuse pin_length (pair/abort, close) while the operator is still looking.
  const refused = conn.closed().then((close) => {
    throw new PairingFailed(`connection closed before the PIN was entered`, "server/pair-init", { close, peerAbort: close.pairAbort });
  });
  refused.catch(() => {});
  const pin = await Promise.race([o.getPin({ pinLength: p.pinLength, nonceA: p.nonceA!, conn }), refused]);
  await p.authenticate(pin);
  await p.verify();
  const psk = await p.awaitFinalize();
  return finishPairing(conn, "dynamic_pin", psk, o, { pin, pinLength: p.pinLength });
}
