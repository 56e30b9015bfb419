// One pairing attempt on one connection (spec §Pairing): the Pairing PSK flow, static PIN and dynamic
// PIN, from the pairing server/activate to server/pair-finalize (persist) or to any ending.
//
//   pairing_psk : activate → client/pair-finalize ─────────────────────────────────────────► await_finalize
//   static_pin  : activate → (pairing window) → client/pair-init ─► await_auth
//   dynamic_pin : activate → client/pair-init{commit_B} ─► server/pair-init{nonce_A, pin_length} → PIN out ─► await_auth
//   PIN methods : server/pair-auth{Ya} → client/pair-auth{Yb} ─► server/pair-confirm{Ta} ✓ →
//                 client/pair-confirm{Tb[, nonce_B]} + client/pair-finalize{psk} ─► await_finalize
//   await_finalize: server/pair-finalize → persist per record_mode → done (the server re-handshakes next)
//
// Readings where the spec is silent (all listed in the session report):
//  - A malformed or low-order pake_msg_1 aborts with `pin_mismatch` (the PAKE failed) without counting
//    a lockout failure: no PIN was tested. A malformed server_kc is a failed key confirmation and counts.
//  - A malformed server/pair-init nonce, or any pairing message out of order, is a protocol violation:
//    the connection closes without a message. A missing or non-integer pin_length is unacceptable.
//  - The record (and so the long_term_psk sent) is chosen before client/pair-finalize: a fresh PSK for a
//    stored-pubkey record while a slot is free, else the record_mode shared-PSK record's own PSK (the
//    server must learn the PSK it will re-handshake with), else pair/abort `storage_exhausted` (the
//    project's extension). The same check runs when the attempt starts, so an operator is not asked
//    for a PIN that could never be stored.
//  - The Pairing PSK flow has no client/pair-init; its wait for server/pair-finalize is bounded by the
//    same 2-minute attempt timeout, counted from client/pair-finalize.
//  - A static-PIN attempt waiting for the operator's gesture is bounded by the window's lifetime
//    (5 minutes), then ends with pair/abort `attempt_timeout`. The spec starts neither the window's
//    lifetime nor the attempt timeout before the gesture, but an in-flight pairing cannot be displaced by
//    playback, so without a bound any server could hold the speaker forever by asking for a static PIN
//    nobody enters. A gesture restarts the bound as the 2-minute attempt timeout.

import { CPaceResponder, cpaceSid } from "../../crypto/cpace.js";
import { commitB, derivePin, pinPrs } from "../../crypto/pin.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import type { ClockPort, IndicatorPort, OutChannelPort } from "../platform.js";
import { Deadline } from "./deadline.js";
import type { JsonObject } from "../protocol/json.js";
import { MSG, PIN_LENGTH_MAX, type PairAbortReason, type PairMethod, type PinMethod } from "../protocol/names.js";
import {
  buildClientPairAuth,
  buildClientPairConfirm,
  buildClientPairFinalize,
  buildClientPairInit,
  parseServerPairAuth,
  parseServerPairConfirm,
  parseServerPairInit,
} from "../protocol/pairing-messages.js";
import type { RecordStore } from "../session/parts.js";
import type { PinLockout } from "./lockout.js";
import { WINDOW_LIFETIME_MS, type PairingWindow } from "./window.js";
import { wipe } from "../util/bytes.js";

export const ATTEMPT_TIMEOUT_MS = 2 * 60 * 1000;

/** What the attempt needs from the speaker. */
export interface PairingContext {
  readonly crypto: CryptoProvider;
  readonly clock: ClockPort;
  readonly store: RecordStore;
  readonly lockout: PinLockout;
  readonly window: PairingWindow;
  readonly outChannel: OutChannelPort;
  readonly indicator: IndicatorPort;
  /** A record was persisted (or the shared fallback adopted) for this server. */
  readonly onPaired: (serverId: string) => void;
  readonly log: (msg: string) => void;
}

/** What the attempt needs from its connection. */
export interface AttemptHost {
  readonly serverId: string;
  /** Send an encrypted JSON message; false when it could not be queued (the connection is then closing). */
  send(msg: JsonObject): boolean;
  /** Send pair/abort with `reason`, then close the connection. */
  abort(reason: PairAbortReason): void;
  /** Close without any message (protocol violation). */
  closeSilently(why: string): void;
}

type State = "await_window" | "await_server_pair_init" | "await_auth" | "await_confirm" | "await_finalize" | "done" | "ended";

interface RecordChoice {
  readonly psk: Uint8Array;
  /** true: a new stored-pubkey record; false: the record_mode shared-PSK record (already stored). */
  readonly fresh: boolean;
}

/** The record pairing would create right now, or null when neither a slot nor a shared fallback exists. */
export function chooseRecord(store: RecordStore, crypto: CryptoProvider): RecordChoice | null {
  if (store.accounting().free >= 1) {
    const psk = new Uint8Array(32);
    crypto.randomBytes(psk);
    return { psk, fresh: true };
  }
  const id = store.settings.recordModePskId;
  const rec = id ? store.findByPskId(id) : undefined;
  return rec && rec.kind === "shared_psk" ? { psk: rec.psk.slice(), fresh: false } : null;
}

/** Can a pairing be stored at all (a free slot or a shared fallback)? */
export function canStoreRecord(store: RecordStore): boolean {
  if (store.accounting().free >= 1) return true;
  const id = store.settings.recordModePskId;
  const rec = id ? store.findByPskId(id) : undefined;
  return !!rec && rec.kind === "shared_psk";
}

export class PairingAttempt {
  private state: State;
  private readonly deadline: Deadline;
  private usesWindow = false;
  private nonceB: Uint8Array | null = null;
  private commit: Uint8Array | null = null;
  private pin: string | null = null;
  private pinShown = false;
  private cpace: CPaceResponder | null = null;
  private choice: RecordChoice | null = null;

  /**
   * @param h the handshake hash of the connection's current channel (PIN derivation, CPace sid).
   * The caller has checked admissibility and lockout; start() sends the first message.
   */
  constructor(
    private readonly ctx: PairingContext,
    private readonly host: AttemptHost,
    readonly method: PairMethod,
    private readonly h: Uint8Array,
  ) {
    this.deadline = new Deadline(ctx.clock);
    this.state = method === "static_pin" ? "await_window" : method === "dynamic_pin" ? "await_server_pair_init" : "await_finalize";
  }

  /** Waiting for the operator to open the static-PIN pairing window. */
  get waitingForWindow(): boolean {
    return this.state === "await_window";
  }

  /** Persisted (done) or ended: nothing more will happen. */
  get finished(): boolean {
    return this.state === "done" || this.state === "ended";
  }

  /** A dynamic PIN is currently conveyed to the operator. */
  get emittingPin(): boolean {
    return this.pinShown && !this.finished;
  }

  start(): void {
    if (!canStoreRecord(this.ctx.store)) return this.fail("storage_exhausted");
    switch (this.method) {
      case "pairing_psk":
        this.sendFinalize();
        return;
      case "static_pin":
        if (!(this.ctx.window.isOpen && this.windowOpened())) this.startTimer(WINDOW_LIFETIME_MS);
        return;
      case "dynamic_pin": {
        this.nonceB = new Uint8Array(32);
        this.ctx.crypto.randomBytes(this.nonceB);
        this.commit = commitB(this.ctx.crypto, this.nonceB);
        this.startTimer();
        this.host.send(buildClientPairInit(this.commit));
        return;
      }
    }
  }

  /** The operator opened the pairing window (static PIN): take it and signal the server. */
  windowOpened(): boolean {
    if (this.state !== "await_window" || !this.ctx.window.consume()) return false;
    this.usesWindow = true;
    this.state = "await_auth";
    this.startTimer();
    this.host.send(buildClientPairInit());
    return true;
  }

  /** Short press while a dynamic PIN is conveyed: say it again. */
  repeatPin(): boolean {
    if (!this.emittingPin || this.pin === null) return false;
    this.ctx.outChannel.emitPin(this.pin);
    return true;
  }

  /** Long press: the operator cancels this attempt. */
  cancel(): boolean {
    if (this.finished) return false;
    this.fail("user_cancelled");
    return true;
  }

  /**
   * The attempt ends without a message of its own: the server left pairing with server/activate (in place
   * of server/pair-finalize: nothing is persisted), re-handshook, or the connection closed.
   */
  end(): void {
    if (this.finished) return;
    this.cleanup("ended");
  }

  /** A pairing message from the server (client-bound pairing types only). */
  onMessage(type: string, p: JsonObject): void {
    if (this.finished) return this.host.closeSilently(`pairing: ${type} after the attempt`);
    switch (type) {
      case MSG.serverPairInit:
        return this.onServerPairInit(p);
      case MSG.serverPairAuth:
        return this.onServerPairAuth(p);
      case MSG.serverPairConfirm:
        return this.onServerPairConfirm(p);
      case MSG.serverPairFinalize:
        return this.onServerPairFinalize();
      case MSG.pairAbort:
        // The server aborts (and closes): the attempt ends, nothing is persisted.
        this.cleanup("ended");
        return this.host.closeSilently("pairing: server sent pair/abort");
      default:
        return this.host.closeSilently(`pairing: unexpected ${type}`);
    }
  }

  private onServerPairInit(p: JsonObject): void {
    if (this.state !== "await_server_pair_init") return this.violation(MSG.serverPairInit);
    const m = parseServerPairInit(p);
    if (!m) return this.violation("malformed server/pair-init");
    const min = this.ctx.store.settings.minPinLength;
    if (!(m.pinLength >= min && m.pinLength <= PIN_LENGTH_MAX)) return this.fail("pin_length_unacceptable");
    this.pin = derivePin(this.ctx.crypto, this.h, m.nonceA, this.nonceB!, m.pinLength);
    this.pinShown = true;
    this.state = "await_auth";
    this.ctx.outChannel.emitPin(this.pin);
  }

  private onServerPairAuth(p: JsonObject): void {
    if (this.state !== "await_auth") return this.violation(MSG.serverPairAuth);
    const ya = parseServerPairAuth(p);
    const prs = pinPrs(this.method === "static_pin" ? this.ctx.store.settings.staticPin : this.pin!);
    const cpace = new CPaceResponder(this.ctx.crypto, { prs, sid: cpaceSid(this.h) });
    wipe(prs);
    const yb = ya ? cpace.respond(ya) : null;
    if (!yb) return this.fail("pin_mismatch"); // malformed or low-order share: no PIN was tested
    this.cpace = cpace;
    this.state = "await_confirm";
    this.host.send(buildClientPairAuth(yb));
  }

  private onServerPairConfirm(p: JsonObject): void {
    if (this.state !== "await_confirm") return this.violation(MSG.serverPairConfirm);
    const ta = parseServerPairConfirm(p);
    const method = this.method as PinMethod;
    if (!ta || !this.cpace!.verifyInitiatorTag(ta)) {
      this.ctx.lockout.recordFailure(method);
      this.ctx.indicator.cue("pairing-failed");
      return this.fail("pin_mismatch");
    }
    this.ctx.lockout.recordSuccess(method);
    const tb = this.cpace!.responderTag();
    this.cpace = null;
    if (this.pinShown) {
      this.ctx.outChannel.clear();
      this.pinShown = false;
    }
    // client/pair-confirm and client/pair-finalize go back to back, no server response awaited.
    if (!this.host.send(buildClientPairConfirm(tb, this.method === "dynamic_pin" ? this.nonceB! : undefined))) return;
    this.sendFinalize();
  }

  private sendFinalize(): void {
    const choice = chooseRecord(this.ctx.store, this.ctx.crypto);
    if (!choice) return this.fail("storage_exhausted");
    this.choice = choice;
    this.state = "await_finalize";
    if (this.method === "pairing_psk") this.startTimer();
    this.host.send(buildClientPairFinalize(choice.psk));
  }

  private onServerPairFinalize(): void {
    if (this.state !== "await_finalize") return this.violation(MSG.serverPairFinalize);
    const choice = this.choice!;
    if (choice.fresh) {
      let r: string;
      try {
        r = this.ctx.store.addRecord(choice.psk, this.host.serverId);
      } catch (e) {
        this.ctx.log(`pairing: the record could not be written: ${String(e)}`);
        r = "storage_exhausted"; // a failing flash: nothing could be persisted
      }
      // already_exists cannot happen for a fresh random PSK; anything but ok means nothing was stored
      if (r !== "ok") return this.fail("storage_exhausted");
    }
    this.ctx.log(`pairing: paired with ${this.host.serverId} (${this.method}, ${choice.fresh ? "stored-pubkey record" : "shared-PSK fallback"})`);
    this.cleanup("done");
    this.ctx.indicator.cue("paired");
    this.ctx.onPaired(this.host.serverId);
  }

  private startTimer(ms = ATTEMPT_TIMEOUT_MS): void {
    this.deadline.arm(ms, () => {
      if (!this.finished) this.fail("attempt_timeout");
    });
  }

  /** End with pair/abort `reason` and close the connection. */
  private fail(reason: PairAbortReason): void {
    this.cleanup("ended");
    this.host.abort(reason);
  }

  private violation(what: string): void {
    this.cleanup("ended");
    this.host.closeSilently(`pairing: protocol violation (${what})`);
  }

  private cleanup(final: "done" | "ended"): void {
    this.state = final;
    this.deadline.clear();
    if (this.pinShown) {
      this.ctx.outChannel.clear();
      this.pinShown = false;
    }
    if (this.usesWindow) {
      this.usesWindow = false;
      this.ctx.window.close();
    }
    if (this.choice) {
      if (final !== "done" || !this.choice.fresh) wipe(this.choice.psk);
      this.choice = null;
    }
    if (this.nonceB) wipe(this.nonceB);
    this.nonceB = null;
    this.pin = null;
    this.cpace = null;
  }
}
