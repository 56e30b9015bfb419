// One pairing attempt of the current revision on one connection (sendspin-spec-current.md §Pairing): the
// pairing-PSK flow, the static pairing code (window-gated) and the dynamic pairing code (rounds), from the
// pairing server/activate to server/pair-finalize (persist) or any ending. The baseline's flows are
// attempt.ts; both use the same CPace, window, out-channel and record table, and the revision's wire
// vocabulary from modules/protocol/current-messages.ts.
//
//   pairing_psk : client/pair-init{index} + client/pair-finalize{long_term_psk} ───────────────► await_finalize
//   static      : [client/pair-pending until a window opens] → client/pair-init{index} ───────► await_auth
//   dynamic     : [client/pair-pending while the round limit holds] → client/pair-init{index, commit_B}
//                 ─► server/pair-init{nonce_A in round 1} → code out ─► await_auth
//   code flows  : server/pair-auth → client/pair-auth ─► server/pair-confirm{server_kc}
//                   ✗ dynamic: client/pair-retry (next round) or, at the limit, pair/abort pairing_code_mismatch
//                   ✗ static : pair/abort pairing_code_mismatch (the window counts the failure)
//                   ✓ client/pair-confirm{client_kc[, wrapped_nonce_B]} + client/pair-finalize{wrapped_psk}
//   await_finalize: server/pair-finalize → the record (replace / free slot / eviction) → done
//
// Unlike the baseline, a pair/abort leaves the connection open (except concurrent_attempt, which the
// connection sends itself), and every malformed or out-of-sequence pairing message is a protocol error:
// close without a message, persist nothing.

import { CPaceResponder } from "../../crypto/cpace.js";
import {
  AD_CLIENT,
  AD_SERVER,
  NONCE_WRAP_LABEL,
  PSK_WRAP_LABEL,
  commitBCurrent,
  cpaceSidCurrent,
  dynamicCodeDigits,
  wrapKey,
  wrapValue,
} from "../../crypto/pairing-code.js";
import { pinPrs } from "../../crypto/pin.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import type { ClockPort, IndicatorPort, OutChannelPort } from "../platform.js";
import { Deadline } from "./deadline.js";
import {
  buildClientPairConfirmCurrent,
  buildClientPairFinalizeCurrent,
  buildClientPairInitCurrent,
  buildClientPairPending,
  buildClientPairRetry,
  parseServerPairInitCurrent,
  type CurrentPairAbortReason,
  type CurrentPairMethod,
} from "../protocol/current-messages.js";
import type { JsonObject } from "../protocol/json.js";
import { MSG } from "../protocol/names.js";
import { buildClientPairAuth, parseServerPairAuth, parseServerPairConfirm } from "../protocol/pairing-messages.js";
import type { RecordStore } from "../session/parts.js";
import { wipe } from "../util/bytes.js";
import { ATTEMPT_TIMEOUT_MS } from "./attempt.js";
import type { PinLockout } from "./lockout.js";
import type { RoundLimit } from "./rounds.js";
import type { PairingWindow } from "./window.js";

/** What a current-revision attempt needs from the speaker. */
export interface CurrentPairingContext {
  readonly crypto: CryptoProvider;
  readonly clock: ClockPort;
  readonly store: RecordStore;
  readonly window: PairingWindow;
  readonly rounds: RoundLimit;
  /** The static secret's failure counter, shared with the baseline's static PIN (docs/current-revision.md). */
  readonly lockout: PinLockout;
  readonly outChannel: OutChannelPort;
  readonly indicator: IndicatorPort;
  /** The connection's cipher suite: the AEAD that wraps nonce_B and the PSK. */
  readonly suite: SuiteName;
  /** Records backing open connections (never evicted). */
  readonly inUse: (pskId: string) => boolean;
  readonly onPaired: (serverId: string) => void;
  readonly log: (msg: string) => void;
}

/** What the attempt needs from its connection. */
export interface CurrentAttemptHost {
  readonly serverId: string;
  /** The connection: the static window admits attempts of its first connection only. */
  readonly owner: object;
  send(msg: JsonObject): boolean;
  /** Send pair/abort `reason`; the connection stays open and drops the server's in-flight pairing messages. */
  abort(reason: CurrentPairAbortReason): void;
  /** Protocol error: close without a message. */
  closeSilently(why: string): void;
}

type State = "held_window" | "held_rounds" | "await_server_pair_init" | "await_auth" | "await_confirm" | "await_finalize" | "done" | "ended";

const WINDOW_MESSAGE = "Press the button on the speaker to open its pairing window.";
const ROUNDS_MESSAGE = "Too many wrong codes: press the button on the speaker to allow pairing again.";

export class CurrentPairingAttempt {
  private state: State = "ended";
  private readonly deadline: Deadline;
  private round = 0;
  private nonceB: Uint8Array | null = null;
  private code: string | null = null;
  private codeShown = false;
  private cpace: CPaceResponder | null = null;
  private sid: Uint8Array | null = null;
  private psk: Uint8Array | null = null;

  /**
   * @param h the handshake hash of the connection's current channel (code derivation, CPace sid)
   * @param pairingIndex pairing server/activates received since the last Noise handshake, this one included
   * The connection has judged the activation admissible; start() sends the first message.
   */
  constructor(
    private readonly ctx: CurrentPairingContext,
    private readonly host: CurrentAttemptHost,
    readonly method: CurrentPairMethod,
    private readonly h: Uint8Array,
    readonly pairingIndex: number,
  ) {
    this.deadline = new Deadline(ctx.clock);
  }

  /** Held back until the operator opens the pairing window (static code). */
  get waitingForWindow(): boolean {
    return this.state === "held_window";
  }

  /** Held back by the round limit (dynamic code). */
  get heldByRounds(): boolean {
    return this.state === "held_rounds";
  }

  get finished(): boolean {
    return this.state === "done" || this.state === "ended";
  }

  /** The dynamic code is being emitted. */
  get emittingPin(): boolean {
    return this.codeShown && !this.finished;
  }

  /** The round of the attempt in progress (dynamic: 1 from the first server/pair-init; static: 1). */
  get currentRound(): number {
    return this.round;
  }

  start(): void {
    switch (this.method) {
      case "pairing_psk": {
        const psk = new Uint8Array(32);
        this.ctx.crypto.randomBytes(psk);
        this.psk = psk;
        this.state = "await_finalize";
        this.startTimer();
        // back to back: the server answers the pair-init only with server/pair-finalize
        if (!this.host.send(buildClientPairInitCurrent(this.pairingIndex))) return;
        this.host.send(buildClientPairFinalizeCurrent({ longTermPsk: psk }));
        return;
      }
      case "static_pairing_code":
        if (this.ctx.window.hold(this.host.owner)) return this.beginStatic();
        this.state = "held_window";
        this.host.send(buildClientPairPending(this.pairingIndex, WINDOW_MESSAGE));
        return;
      case "dynamic_pairing_code":
        if (this.ctx.rounds.reached) {
          this.state = "held_rounds";
          this.host.send(buildClientPairPending(this.pairingIndex, ROUNDS_MESSAGE));
          return;
        }
        return this.beginDynamic();
    }
  }

  /** The operator opened the pairing window: a held static attempt starts under it. */
  windowOpened(): boolean {
    if (this.state !== "held_window" || !this.ctx.window.hold(this.host.owner)) return false;
    this.beginStatic();
    return true;
  }

  /** The operator's deliberate action on an attempt the round limit holds back: reset the count, start. */
  release(): boolean {
    if (this.state !== "held_rounds") return false;
    this.ctx.rounds.reset();
    this.beginDynamic();
    return true;
  }

  /** Short press while the dynamic code is emitted: emit it again. */
  repeatPin(): boolean {
    if (!this.emittingPin || this.code === null) return false;
    this.ctx.outChannel.emitPin(this.code);
    return true;
  }

  /** Long press: the operator cancels (pair/abort user_cancelled; a static window closes too). */
  cancel(): boolean {
    if (this.finished) return false;
    this.ctx.window.release(this.host.owner);
    this.fail("user_cancelled");
    return true;
  }

  /** Ended without a message of ours: a server/activate, a re-handshake, the server's pair/abort, or the close. */
  end(): void {
    if (this.finished) return;
    this.cleanup("ended");
  }

  /** A pairing message from the server (server/pair-init, -auth, -confirm, -finalize; pair/abort is the connection's). */
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
      default:
        return this.violation(type);
    }
  }

  // ---- flows

  private beginStatic(): void {
    this.round = 1; // always 1 in the static flow
    this.state = "await_auth";
    this.startTimer();
    this.host.send(buildClientPairInitCurrent(this.pairingIndex));
  }

  private beginDynamic(): void {
    const nonceB = new Uint8Array(32);
    this.ctx.crypto.randomBytes(nonceB);
    this.nonceB = nonceB;
    this.round = 0;
    this.state = "await_server_pair_init";
    this.startTimer();
    this.host.send(buildClientPairInitCurrent(this.pairingIndex, commitBCurrent(this.ctx.crypto, nonceB)));
  }

  private onServerPairInit(p: JsonObject): void {
    if (this.state !== "await_server_pair_init") return this.violation(MSG.serverPairInit);
    const m = parseServerPairInitCurrent(p, this.round === 0);
    if (!m) return this.violation("server/pair-init without a valid nonce_A");
    if (m.nonceA) this.code = dynamicCodeDigits(this.ctx.crypto, this.h, m.nonceA, this.nonceB!);
    this.round++;
    this.ctx.rounds.begin();
    this.state = "await_auth";
    this.codeShown = true;
    this.ctx.outChannel.emitPin(this.code!); // the same code in every round, emitted again each time
  }

  private onServerPairAuth(p: JsonObject): void {
    if (this.state !== "await_auth") return this.violation(MSG.serverPairAuth);
    const ya = parseServerPairAuth(p);
    if (!ya) return this.violation("malformed pake_msg_1");
    const prs = pinPrs(this.method === "static_pairing_code" ? this.ctx.store.settings.staticPin : this.code!);
    const sid = cpaceSidCurrent(this.h, this.pairingIndex, this.round);
    const cpace = new CPaceResponder(this.ctx.crypto, { prs, sid, ada: AD_SERVER, adb: AD_CLIENT });
    wipe(prs);
    const yb = cpace.respond(ya);
    if (!yb) return this.violation("low-order pake_msg_1");
    this.cpace = cpace;
    this.sid = sid;
    this.state = "await_confirm";
    this.host.send(buildClientPairAuth(yb));
  }

  private onServerPairConfirm(p: JsonObject): void {
    if (this.state !== "await_confirm") return this.violation(MSG.serverPairConfirm);
    const ta = parseServerPairConfirm(p);
    if (!ta) return this.violation("malformed server_kc");
    const cpace = this.cpace!;
    if (!cpace.verifyInitiatorTag(ta)) return this.mismatch();
    if (this.method === "static_pairing_code") this.ctx.lockout.recordSuccess("static_pin");
    else this.ctx.rounds.verified();
    const tb = cpace.responderTag();
    const isk = cpace.isk;
    cpace.dispose();
    this.cpace = null;
    const sid = this.sid!;
    if (this.codeShown) {
      this.ctx.outChannel.clear();
      this.codeShown = false;
    }
    let wrappedNonce: Uint8Array | undefined;
    if (this.method === "dynamic_pairing_code") {
      const k = wrapKey(this.ctx.crypto, NONCE_WRAP_LABEL, sid, isk);
      wrappedNonce = wrapValue(this.ctx.crypto, this.ctx.suite, k, this.nonceB!);
      wipe(k);
    }
    const psk = new Uint8Array(32);
    this.ctx.crypto.randomBytes(psk);
    this.psk = psk;
    const kp = wrapKey(this.ctx.crypto, PSK_WRAP_LABEL, sid, isk);
    const wrappedPsk = wrapValue(this.ctx.crypto, this.ctx.suite, kp, psk);
    wipe(kp);
    wipe(isk);
    this.state = "await_finalize";
    // client/pair-confirm and client/pair-finalize go back to back, no server response awaited
    if (!this.host.send(buildClientPairConfirmCurrent(tb, wrappedNonce))) return;
    this.host.send(buildClientPairFinalizeCurrent({ wrappedPsk }));
  }

  /** server_kc did not verify. */
  private mismatch(): void {
    this.ctx.indicator.cue("pairing-failed");
    if (this.cpace) this.cpace.dispose();
    this.cpace = null;
    if (this.method === "static_pairing_code") {
      this.ctx.lockout.recordFailure("static_pin");
      this.ctx.window.failed(this.host.owner); // the 5th failure closes the window
      return this.fail("pairing_code_mismatch");
    }
    if (this.ctx.rounds.reached) return this.fail("pairing_code_mismatch"); // the limit: abort, never retry
    this.state = "await_server_pair_init"; // the attempt, its code and its timeout go on
    this.host.send(buildClientPairRetry());
  }

  private onServerPairFinalize(): void {
    if (this.state !== "await_finalize") return this.violation(MSG.serverPairFinalize);
    const psk = this.psk!;
    let outcome: ReturnType<RecordStore["pairRecord"]>;
    try {
      outcome = this.ctx.store.pairRecord(psk, this.host.serverId, this.ctx.inUse);
    } catch (e) {
      this.ctx.log(`pairing: the record could not be written: ${String(e)}`);
      outcome = { result: "storage_exhausted" };
    }
    if (outcome.result !== "ok") {
      // Nothing persisted (a failing flash, or every record backs an open connection): the server's next
      // handshake lands in the Sentinel fallback, where it can offer re-pairing.
      this.cleanup("ended");
      return this.host.closeSilently(`pairing: no record stored (${outcome.result})`);
    }
    this.ctx.log(`pairing: paired with ${this.host.serverId} (${this.method}${outcome.replaced ? ", replacing its record" : ""}${outcome.evicted ? `, evicting ${outcome.evicted}` : ""})`);
    this.psk = null; // stored: not wiped
    this.ctx.window.release(this.host.owner); // a completed pairing closes the window
    this.cleanup("done");
    this.ctx.indicator.cue("paired");
    this.ctx.onPaired(this.host.serverId);
  }

  // ---- endings

  private startTimer(): void {
    this.deadline.arm(ATTEMPT_TIMEOUT_MS, () => {
      if (!this.finished) this.fail("attempt_timeout");
    });
  }

  private fail(reason: CurrentPairAbortReason): void {
    this.cleanup("ended");
    this.host.abort(reason);
  }

  private violation(what: string): void {
    this.cleanup("ended");
    this.host.closeSilently(`pairing: protocol error (${what})`);
  }

  private cleanup(final: "done" | "ended"): void {
    this.state = final;
    this.deadline.clear();
    if (this.codeShown) {
      this.ctx.outChannel.clear();
      this.codeShown = false;
    }
    if (this.cpace) this.cpace.dispose();
    this.cpace = null;
    if (this.psk) wipe(this.psk);
    this.psk = null;
    if (this.nonceB) wipe(this.nonceB);
    this.nonceB = null;
    this.code = null;
    this.sid = null;
  }
}
