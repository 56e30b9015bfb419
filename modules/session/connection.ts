// One WebSocket's session: the speaker is the Noise responder (spec §Encryption, §Communication).
//
//   client/init ─► server/init ─► noise/handshake (msg 1) ─► psk_id look-up ─► noise/handshake (msg 2)
//   ─► transport: server/hello ─► client/hello ─► server/activate (admissibility, lockout, arbitration)
//   ─► active: playback (Player) │ pairing (PairingAttempt) │ management │ server/unpair │ re-handshake
//
// Failure rules: every handshake-phase failure (malformed cleartext, wrong version, unknown psk_id,
// Noise or AEAD failure, timeout) closes the socket without an application message. Each handshake step
// waits at most 30 s; a provisional connection (handshake done, no server/activate yet) at most 30 s.
// Nothing is sent between client/hello and the first admissible server/activate.
//
// Readings where the spec is silent (listed in the session report):
//  - An authenticated message that is not a JSON envelope (bad UTF-8/JSON, no type, payload not an
//    object) closes the connection without a message, as a transport-phase protocol failure.
//  - Unknown message types, and messages for roles or activities not active, are ignored (forward
//    compatibility), except pairing messages with no attempt in progress, which close silently.
//  - Before the first server/activate, any message other than server/activate, server/unpair and a
//    re-handshake is ignored (nothing may be sent yet); server/unpair is honoured from client/hello on.
//  - A re-handshake is accepted in any transport phase. It ends a pairing attempt in progress (nothing
//    persisted) and quiesces the Player; the following server/hello → client/hello → server/activate
//    re-asserts trust and roles. That activation is a subsequent one (no arbitration) when the
//    connection was activated before; active_roles persist across it when omitted. The 30 s provisional
//    clock is not restarted by a re-handshake before the first activation; after it, hello + activate
//    must arrive within 30 s.
//  - A record's `used` flag is set when the first transport message authenticated under that record's
//    PSK arrives (the server has then proven the PSK), not merely when message 2 is sent.
//
// Revisions (docs/current-revision.md): Noise message 1 latches the connection's revision (psk_category
// present: current; absent: baseline) and everything after follows it. The current revision's paths are
// the methods marked "current revision" below; the baseline's are unchanged.

import type { KeyPair } from "../../crypto/ids.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import { ResponderHandshake } from "../channel/handshake.js";
import { SecureChannel } from "../channel/secure-channel.js";
import type { ClockPort, TimerHandle } from "../platform.js";
import { encodeJson, type JsonObject } from "../protocol/json.js";
import { parseEnvelope } from "../protocol/envelope.js";
import { buildClientInit, parseServerInit, type ServerInit } from "../protocol/handshake-messages.js";
import { isManagementType, parseManagementRequest } from "../protocol/management-messages.js";
import { BINARY_JSON, BINARY_PLAYER_AUDIO, MSG, PLAYER_INBOUND, ROLE_PLAYER_V1, type Activity, type GoodbyeReason, type PairAbortReason, type PairMethod } from "../protocol/names.js";
import { buildPairAbort } from "../protocol/pairing-messages.js";
import { buildClientHello, buildGoodbye, parseServerActivate, parseServerHello, type PairMethodDescriptor } from "../protocol/session-messages.js";
import { concatBytes } from "../util/bytes.js";
import { handleManagement, permissionDenied, type ManagementContext } from "../management/management.js";
import { PairingAttempt, type PairingContext } from "../pairing/attempt.js";
import { judgeActivation, type PskCategory } from "./admission.js";
import { judgeActivationCurrent } from "./current-admission.js";
import { CurrentPairingAttempt, type CurrentPairingContext } from "../pairing/current-attempt.js";
import {
  MSG_CURRENT,
  buildPairAbortCurrent,
  describeServerError,
  parseServerActivateCurrent,
  type CodeFormat,
  type CurrentPairAbortReason,
  type CurrentPairMethod,
} from "../protocol/current-messages.js";
import { CurrentChunkReader } from "../protocol/current-player.js";
import { revisionAllowed, type ProtocolSetting, type PskCategoryCode, type Revision } from "../protocol/revision.js";
import type { PairingRecordView, PlayerPart, RecordStore } from "./parts.js";

export const HANDSHAKE_STEP_TIMEOUT_MS = 30_000;
export const PROVISIONAL_TIMEOUT_MS = 30_000;

/** The socket a session runs on (modules/websocket WsConnection satisfies it). */
export interface SessionSocket {
  onText?: (utf8: Uint8Array) => void;
  onBinary?: (data: Uint8Array) => void;
  onClose?: (code: number) => void;
  sendText(utf8: Uint8Array): boolean;
  sendBinary(data: Uint8Array): boolean;
  close(code?: number): void;
  readonly remoteAddress?: string;
}

/** Result of a psk_id look-up. */
export interface PskMatch {
  readonly category: PskCategory;
  readonly psk: Uint8Array;
  /** The long-term record (category long_term only). */
  readonly record?: PairingRecordView;
}

export type ConnectionPhase = "await_server_init" | "await_noise1" | "await_hello" | "await_activate" | "active" | "closed";

/** What a connection needs from the speaker's shared state (modules/session/sessions.ts). */
export interface SessionHub {
  readonly crypto: CryptoProvider;
  readonly clock: ClockPort;
  readonly identity: KeyPair;
  readonly clientId: string;
  readonly suite: SuiteName;
  readonly store: RecordStore;
  readonly player: PlayerPart | null;
  readonly maxMessageBytes: number;
  readonly pairing: PairingContext;
  log(msg: string): void;
  lookupPsk(pskId: string, serverId: string): PskMatch | undefined;
  helloInfo(trust: "user" | "none"): { descriptors: PairMethodDescriptor[]; hello: JsonObject };
  /** Current revision: the revision setting, the look-up by declared category, client/hello and pairing. */
  readonly protocol: ProtocolSetting;
  lookupPskCurrent(pskId: string, category: PskCategoryCode, serverId: string, initial: boolean): PskMatch | undefined;
  helloInfoCurrent(): { methods: CurrentPairMethod[]; formats: CodeFormat[]; hello: JsonObject };
  pairingCurrent(c: Connection): CurrentPairingContext;
  isLockedOut(method: PairMethod): boolean;
  /** First activation: admit (displacing the holder) or reject. */
  arbitrate(c: Connection, activities: readonly Activity[]): "admit" | "reject";
  /** After every accepted activation of the admitted connection (last-playback bookkeeping). */
  activated(c: Connection, first: boolean): void;
  takePlayer(c: Connection): void;
  releasePlayer(c: Connection): void;
  managementContext(c: Connection, ownPskId: string): ManagementContext;
  connectionEvent(c: Connection, state: string, extra?: Record<string, unknown>): void;
  closed(c: Connection): void;
  internalError(c: Connection, e: unknown): void;
}

export class Connection {
  private phaseValue: ConnectionPhase = "await_server_init";
  private readonly clientInitBytes: Uint8Array;
  private server: ServerInit | null = null;
  private serverInitBytes: Uint8Array | null = null;
  private channel: SecureChannel | null = null;
  private match: PskMatch | null = null;
  private markUsedPending = false;
  private timer: TimerHandle | undefined;
  private activatedOnce = false;
  private activitiesValue: readonly Activity[] = [];
  private activeRoles: readonly string[] | undefined;
  private offered: PairMethod[] = [];
  private attemptValue: PairingAttempt | CurrentPairingAttempt | null = null;
  /** Latched at Noise message 1 (null before). */
  private revisionValue: Revision | null = null;
  /** Current revision: pairing server/activates since the last Noise handshake. */
  private pairingIndex = 0;
  /** Current revision: both hellos were exchanged (a re-handshake is followed by server/activate only). */
  private helloDone = false;
  /** Current revision: after our pair/abort, the server's in-flight pairing messages are dropped until the next server/activate. */
  private discardPairing = false;
  /** Current revision: from re-handshake message 1 to the next server/activate nothing new may be sent. */
  private quiet = false;
  /** Current revision: 13-byte-header chunks seen as the Player's 9-byte ones. */
  private readonly chunks = new CurrentChunkReader();
  private playerActive = false;
  private serverName = "";

  constructor(
    private readonly hub: SessionHub,
    private readonly ws: SessionSocket,
  ) {
    ws.onText = (b) => this.guard(() => this.onText(b));
    ws.onBinary = (b) => this.guard(() => this.onBinary(b));
    ws.onClose = () => this.guard(() => this.teardown("socket closed"));
    this.clientInitBytes = buildClientInit(hub.clientId, hub.suite);
    this.arm(HANDSHAKE_STEP_TIMEOUT_MS, "server/init");
    if (!ws.sendText(this.clientInitBytes)) this.closeSilently("client/init not sent");
  }

  get phase(): ConnectionPhase {
    return this.phaseValue;
  }

  get serverId(): string {
    return this.server ? this.server.serverId : "";
  }

  get activities(): readonly Activity[] {
    return this.activitiesValue;
  }

  get activated(): boolean {
    return this.activatedOnce && this.phaseValue !== "closed";
  }

  get category(): PskCategory | null {
    return this.match ? this.match.category : null;
  }

  get attempt(): PairingAttempt | CurrentPairingAttempt | null {
    return this.attemptValue;
  }

  /** The revision latched at Noise message 1 (null before it). */
  get revision(): Revision | null {
    return this.revisionValue;
  }

  /** The record backing this connection (its long-term PSK), if any. */
  get recordPskId(): string | null {
    return this.match && this.match.record ? this.match.record.pskId : null;
  }

  // ------------------------------------------------------------------ inbound

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // Last line of defence only: every path above validates; the hub counts these as bugs.
      this.hub.internalError(this, e);
      this.closeSilently("internal error");
    }
  }

  private onText(bytes: Uint8Array): void {
    if (this.phaseValue === "await_server_init") return this.onServerInit(bytes);
    if (this.phaseValue === "await_noise1") return this.onMessage1(bytes);
    if (this.phaseValue !== "closed") this.closeSilently("text frame in transport mode");
  }

  private onServerInit(bytes: Uint8Array): void {
    const env = parseEnvelope(bytes);
    // current revision: server/error in place of server/init (unauthenticated: its reason is for the log only)
    if (env && env.type === MSG_CURRENT.serverError) return this.closeSilently(`server/error ${describeServerError(env.payload)}`);
    const init = env && env.type === MSG.serverInit ? parseServerInit(env.payload) : undefined;
    if (!init) return this.closeSilently("malformed server/init");
    this.server = init;
    this.serverInitBytes = bytes.slice();
    this.phaseValue = "await_noise1";
    this.arm(HANDSHAKE_STEP_TIMEOUT_MS, "noise message 1");
    this.hub.connectionEvent(this, "handshake");
  }

  private onMessage1(bytes: Uint8Array): void {
    const env = parseEnvelope(bytes);
    if (!env || env.type !== MSG.noiseHandshake) return this.closeSilently("expected noise/handshake");
    const hs = new ResponderHandshake({
      crypto: this.hub.crypto,
      suite: this.hub.suite,
      s: this.hub.identity,
      rs: this.server!.serverKey,
      prologue: concatBytes(this.clientInitBytes, this.serverInitBytes!),
    });
    const id = hs.readMessage1(env.payload);
    if (id === null) return this.closeSilently("noise message 1 rejected");
    const category = hs.pskCategory;
    const revision: Revision = category === null ? "baseline" : "current";
    if (!revisionAllowed(this.hub.protocol, revision)) return this.closeSilently(`a ${revision}-revision handshake, but the protocol option is ${this.hub.protocol}`);
    this.revisionValue = revision;
    const m = category === null ? this.hub.lookupPsk(id, this.serverId) : this.hub.lookupPskCurrent(id, category, this.serverId, true);
    if (!m) return this.closeSilently("psk_id look-up miss");
    const { message, keys } = hs.respond(m.psk);
    if (!this.ws.sendText(encodeJson(message))) return this.closeSilently("noise message 2 not sent");
    this.channel = new SecureChannel(keys, { maxMessageBytes: this.hub.maxMessageBytes, framing: revision });
    this.setMatch(m);
    this.phaseValue = "await_hello";
    this.arm(PROVISIONAL_TIMEOUT_MS, "first server/activate");
    this.hub.connectionEvent(this, "provisional", { trust_level: this.trust(), revision });
  }

  private onBinary(frame: Uint8Array): void {
    if (this.phaseValue === "closed") return;
    if (!this.channel) return this.closeSilently("binary frame before the handshake completed");
    const r = this.channel.receive(frame);
    if (r.kind === "pending") return;
    if (r.kind === "error") return this.closeSilently(`transport: ${r.reason}`);
    if (this.markUsedPending) {
      this.markUsedPending = false;
      try {
        this.hub.store.markUsed(this.match!.record!.pskId);
      } catch (e) {
        this.hub.log(`session: could not set the record's used flag: ${String(e)}`); // a failing flash: the session goes on
      }
    }
    if (r.type === BINARY_JSON) return this.onJson(r.data);
    if (r.type === BINARY_PLAYER_AUDIO && this.playerActive && this.hub.player) {
      if (this.revisionValue !== "current") this.hub.player.onAudioChunk(r.data);
      else this.hub.player.onAudioChunk(this.chunks.asBaseline(r.data)); // the 13-byte header, read in place
    }
    // other binary types (artwork, visualizer, application roles): roles this speaker never lists
  }

  private onJson(data: Uint8Array): void {
    const env = parseEnvelope(data);
    if (!env) return this.closeSilently("malformed message");
    const { type, payload } = env;
    if (type === MSG.noiseHandshake) return this.onRehandshake(payload);
    switch (this.phaseValue) {
      case "await_hello":
        if (type !== MSG.serverHello) return this.closeSilently(`expected server/hello, got ${type}`);
        return this.onServerHello(payload);
      case "await_activate":
        if (type === MSG.serverActivate) return this.revisionValue === "current" ? this.onServerActivateCurrent(payload) : this.onServerActivate(payload);
        if (type === MSG.serverUnpair) return this.onUnpair();
        return; // nothing may be answered before the first activation
      case "active":
        return this.onActiveMessage(type, payload);
      default:
        return;
    }
  }

  private onActiveMessage(type: string, payload: JsonObject): void {
    if (this.revisionValue === "current") return this.onActiveMessageCurrent(type, payload);
    if (type === MSG.serverActivate) return this.onServerActivate(payload);
    if (type === MSG.serverUnpair) return this.onUnpair();
    if (isManagementType(type)) return this.onManagement(type, payload);
    if (isPairingInbound(type)) {
      if (this.attemptValue && !this.attemptValue.finished) return this.attemptValue.onMessage(type, payload);
      if (type === MSG.pairAbort) return; // a late abort from the server: it closes the connection itself
      return this.closeSilently(`${type} with no pairing attempt in progress`);
    }
    if (this.playerActive && this.hub.player && PLAYER_INBOUND.indexOf(type) >= 0) return this.hub.player.onMessage(type, payload);
  }

  private onServerHello(payload: JsonObject): void {
    const hello = parseServerHello(payload);
    if (!hello) return this.closeSilently("malformed server/hello");
    this.serverName = hello.name;
    if (this.revisionValue === "current") return this.sendHelloCurrent();
    const { descriptors, hello: msg } = this.hub.helloInfo(this.trust());
    this.offered = descriptors.map((d) => d.method);
    this.phaseValue = "await_activate";
    this.send(msg);
  }

  private onServerActivate(payload: JsonObject): void {
    const a = parseServerActivate(payload);
    // Any server/activate ends a pairing attempt in progress; in place of server/pair-finalize it persists nothing.
    this.endAttempt();
    const roles = a.activeRoles === undefined ? this.activeRoles : a.activeRoles;
    const verdict = judgeActivation({
      category: this.match!.category,
      unpairedAccess: this.hub.store.settings.unpairedAccess,
      activities: a.activities,
      activeRoles: roles,
      selectedPairMethod: a.selectedPairMethod,
      offeredMethods: this.offered,
    });
    if (!verdict.admissible) {
      this.hub.connectionEvent(this, "refused", { reason: verdict.reason });
      return verdict.message === "goodbye" ? this.goodbye(verdict.reason) : this.abortPairing(verdict.reason);
    }
    const activities = a.activities!;
    const pairing = activities.indexOf("pairing") >= 0;
    const method = a.selectedPairMethod as PairMethod;
    if (pairing && method !== "pairing_psk" && this.hub.isLockedOut(method)) {
      this.hub.pairing.indicator.cue("refused");
      this.hub.connectionEvent(this, "refused", { reason: "locked_out" });
      return this.abortPairing("locked_out");
    }
    const first = !this.activatedOnce;
    if (first && this.hub.arbitrate(this, activities) === "reject") {
      this.hub.connectionEvent(this, "rejected", { activities: activities.slice() });
      return pairing ? this.abortPairing("concurrent_attempt") : this.goodbye("concurrent_attempt");
    }
    this.activatedOnce = true;
    this.phaseValue = "active";
    this.clearTimer();
    this.activitiesValue = activities.slice();
    this.activeRoles = roles!.slice();
    this.hub.activated(this, first);
    this.hub.connectionEvent(this, first ? "admitted" : "activated", { activities: activities.slice(), active_roles: this.activeRoles.slice() });
    // Roles: pairing runs with no live stream (quiesce); otherwise player@v1 follows active_roles.
    const wantPlayer = !pairing && this.hub.player !== null && this.activeRoles.indexOf(ROLE_PLAYER_V1) >= 0;
    if (wantPlayer && !this.playerActive) {
      this.playerActive = true;
      this.hub.takePlayer(this);
    } else if (!wantPlayer) this.quiescePlayer();
    if (pairing) {
      this.attemptValue = new PairingAttempt(this.hub.pairing, this.attemptHost(), method, this.channel!.handshakeHash);
      this.attemptValue.start();
    }
  }

  private onUnpair(): void {
    const m = this.match!;
    if (m.category !== "long_term" || !m.record) return; // trust 'none' (e.g. an in-flight pairing): ignored
    if (m.record.kind === "stored_pubkey") {
      const r = this.hub.store.removeRecord(m.record.pskId);
      this.hub.log(`session: server/unpair from ${this.serverId}: record removal ${r}`);
    } // a shared-PSK record may back other servers: it stays
    this.goodbye("unpaired");
  }

  private onManagement(type: string, payload: JsonObject): void {
    if (this.activitiesValue.indexOf("management") < 0 || !this.match!.record) return void this.send(permissionDenied());
    const outcome = handleManagement(parseManagementRequest(type, payload), this.hub.managementContext(this, this.match!.record.pskId));
    if (!this.send(outcome.result)) return;
    if (outcome.removedOwnRecord) this.goodbye("unauthorized");
  }

  private onRehandshake(payload: JsonObject): void {
    const hs = ResponderHandshake.rehandshake(this.channel!, { crypto: this.hub.crypto, suite: this.hub.suite, s: this.hub.identity, rs: this.server!.serverKey });
    const id = hs.readMessage1(payload);
    if (id === null) return this.closeSilently("re-handshake message 1 rejected");
    // The latch holds: a message 1 of the other revision is refused, whatever its PSK.
    const category = hs.pskCategory;
    if ((category === null) !== (this.revisionValue === "baseline")) return this.closeSilently(`re-handshake message 1 of the other revision on a ${this.revisionValue} connection`);
    if (category !== null) return this.onRehandshakeCurrent(hs, id, category);
    const m = this.hub.lookupPsk(id, this.serverId);
    if (!m) return this.closeSilently("re-handshake psk_id look-up miss");
    this.endAttempt();
    this.quiescePlayer();
    if (!hs.respondOn(this.channel!, m.psk, (f) => this.ws.sendBinary(f))) return this.closeSilently("re-handshake message 2 not sent");
    this.setMatch(m);
    this.phaseValue = "await_hello";
    if (this.activatedOnce) this.arm(HANDSHAKE_STEP_TIMEOUT_MS, "server/activate after re-handshake");
    this.hub.connectionEvent(this, "rehandshake", { trust_level: this.trust() });
  }

  // ------------------------------------------------------------------ actions (also used by the hub)

  /** Send an encrypted JSON message. False when it could not be sent (the connection is then closed). */
  send(msg: JsonObject): boolean {
    if (this.phaseValue === "closed" || !this.channel) return false;
    if (this.channel.sendJson(msg, (f) => this.ws.sendBinary(f))) return true;
    this.closeSilently("send failed");
    return false;
  }

  /** client/goodbye with `reason`, then close. */
  goodbye(reason: GoodbyeReason): void {
    if (this.phaseValue === "closed") return;
    this.hub.log(`session: goodbye ${reason} to ${this.serverId}`);
    if (this.send(buildGoodbye(reason))) this.close(`goodbye ${reason}`);
  }

  /** pair/abort with `reason`, then close (current revision: close only for concurrent_attempt). */
  abortPairing(reason: PairAbortReason): void {
    if (this.phaseValue === "closed") return;
    if (this.revisionValue === "current") return this.abortPairingCurrent(reason as CurrentPairAbortReason);
    this.hub.log(`session: pair/abort ${reason} to ${this.serverId}`);
    if (this.send(buildPairAbort(reason))) this.close(`pair/abort ${reason}`);
  }

  /** Displaced by a higher-or-equal-ranked connection (spec §Multiple servers). */
  displace(): void {
    if (this.activitiesValue.indexOf("pairing") >= 0 && this.attemptValue && !this.attemptValue.finished) this.abortPairing("concurrent_attempt");
    else this.goodbye("another_server");
  }

  /** Speaker shutdown/restart: a goodbye to activated connections, a silent close for the others. */
  shutdown(reason: "shutdown" | "restart"): void {
    if (this.activated) this.goodbye(reason);
    else this.closeSilently(reason);
  }

  closeSilently(why: string): void {
    if (this.phaseValue === "closed") return;
    this.hub.log(`session: closing ${this.serverId || "(no server/init)"}: ${why}`);
    this.close(why);
  }

  private close(why: string): void {
    if (this.phaseValue === "closed") return;
    this.teardown(why);
    this.ws.close();
  }

  private teardown(why: string): void {
    if (this.phaseValue === "closed") return;
    this.phaseValue = "closed";
    this.clearTimer();
    this.endAttempt();
    this.quiescePlayer();
    if (this.revisionValue === "current") this.hub.pairing.window.release(this); // a current static window closes with its connection
    this.chunks.release();
    if (this.channel) this.channel.dispose();
    this.hub.closed(this);
    this.hub.connectionEvent(this, "closed", { why });
  }

  // ------------------------------------------------------------------ current revision

  /** Routing after the first activation: no management; pairing messages follow the current rules. */
  private onActiveMessageCurrent(type: string, payload: JsonObject): void {
    if (type === MSG.serverActivate) return this.onServerActivateCurrent(payload);
    if (type === MSG.serverUnpair) return this.onUnpair();
    if (isPairingInbound(type)) {
      const a = this.attemptValue;
      if (type === MSG.pairAbort) {
        // The server aborts (started or not): the attempt ends, the connection stays open; an abort after
        // the attempt ended has no effect.
        if (a && !a.finished) a.end();
        this.discardPairing = true;
        return;
      }
      if (a && !a.finished) return a.onMessage(type, payload);
      if (this.discardPairing) return; // in flight before the server saw our abort: dropped silently
      return this.closeSilently(`${type} out of sequence (no pairing attempt in progress)`);
    }
    if (this.playerActive && this.hub.player && PLAYER_INBOUND.indexOf(type) >= 0) return this.hub.player.onMessage(type, payload);
    // unknown types are ignored after the first activation
  }

  private offeredCurrent: { methods: CurrentPairMethod[]; formats: CodeFormat[] } = { methods: [], formats: [] };

  private sendHelloCurrent(): void {
    const { methods, formats, hello } = this.hub.helloInfoCurrent();
    this.offeredCurrent = { methods, formats };
    this.helloDone = true;
    this.phaseValue = "await_activate";
    this.send(hello);
  }

  private onServerActivateCurrent(payload: JsonObject): void {
    const a = parseServerActivateCurrent(payload);
    // Any server/activate ends (cancels) a pairing attempt in progress: nothing is persisted.
    this.endAttempt();
    this.discardPairing = false;
    this.quiet = false;
    const pairing = a.activities !== null && a.activities.indexOf("pairing") >= 0;
    if (pairing) this.pairingIndex++; // counted whether admitted or not: the server counts what it sent
    const first = !this.activatedOnce;
    const verdict = judgeActivationCurrent({
      category: this.match!.category,
      unpairedAccess: this.hub.store.settings.unpairedAccess,
      activate: a,
      first,
      persistedRoles: this.activeRoles ?? [],
      offeredMethods: this.offeredCurrent.methods,
      offeredFormats: this.offeredCurrent.formats,
    });
    if (!verdict.admissible) {
      this.hub.connectionEvent(this, "refused", { reason: verdict.reason });
      return verdict.message === "goodbye" ? this.goodbye(verdict.reason) : this.abortPairingCurrent(verdict.reason);
    }
    const activities = a.activities!;
    if (first && this.hub.arbitrate(this, activities) === "reject") {
      this.hub.connectionEvent(this, "rejected", { activities: activities.slice() });
      if (pairing) {
        this.send(buildPairAbortCurrent("concurrent_attempt"));
        return this.close("pair/abort concurrent_attempt");
      }
      return this.goodbye("concurrent_attempt");
    }
    this.activatedOnce = true;
    this.phaseValue = "active";
    this.clearTimer();
    this.activitiesValue = activities.slice();
    this.activeRoles = verdict.roles.slice();
    this.hub.activated(this, first);
    this.hub.connectionEvent(this, first ? "admitted" : "activated", { activities: activities.slice(), active_roles: this.activeRoles.slice() });
    // Pairing may run alongside playback: roles follow active_roles whatever the activities.
    const wantPlayer = this.hub.player !== null && this.activeRoles.indexOf(ROLE_PLAYER_V1) >= 0;
    if (wantPlayer && !this.playerActive) {
      this.playerActive = true;
      this.hub.takePlayer(this);
    } else if (!wantPlayer) this.quiescePlayer();
    if (pairing) {
      const attempt = new CurrentPairingAttempt(this.hub.pairingCurrent(this), this.currentAttemptHost(), a.method as CurrentPairMethod, this.channel!.handshakeHash, this.pairingIndex);
      this.attemptValue = attempt;
      attempt.start();
    }
  }

  /** pair/abort under the current rules: the connection stays open, except for concurrent_attempt. */
  private abortPairingCurrent(reason: CurrentPairAbortReason): void {
    if (this.phaseValue === "closed") return;
    this.hub.log(`session: pair/abort ${reason} to ${this.serverId}`);
    if (!this.send(buildPairAbortCurrent(reason))) return;
    if (reason === "concurrent_attempt") return this.close(`pair/abort ${reason}`);
    this.discardPairing = true;
  }

  private onRehandshakeCurrent(hs: ResponderHandshake, id: string, category: PskCategoryCode): void {
    // No Sentinel fallback in a re-handshake: a miss (or a server_id mismatch) fails it.
    const m = this.hub.lookupPskCurrent(id, category, this.serverId, false);
    if (!m) return this.closeSilently("re-handshake psk_id look-up miss");
    this.endAttempt();
    // Streams, buffers and the time filter persist; nothing new is sent until the next server/activate.
    this.quiet = true;
    if (!hs.respondOn(this.channel!, m.psk, (f) => this.ws.sendBinary(f))) return this.closeSilently("re-handshake message 2 not sent");
    this.setMatch(m);
    this.pairingIndex = 0;
    this.discardPairing = false;
    // The server's first message under the new keys is server/activate (no hellos are repeated).
    if (this.helloDone) this.phaseValue = "await_activate";
    if (this.activatedOnce) this.arm(HANDSHAKE_STEP_TIMEOUT_MS, "server/activate after re-handshake");
    this.hub.connectionEvent(this, "rehandshake", { paired: m.category === "long_term" });
  }

  /** A role's message (the Player's): dropped during a current re-handshake's quiet period. */
  sendRole(msg: JsonObject): boolean {
    if (this.quiet) return false;
    return this.send(msg);
  }

  private currentAttemptHost() {
    return {
      serverId: this.serverId,
      owner: this,
      send: (msg: JsonObject) => this.send(msg),
      abort: (reason: CurrentPairAbortReason) => this.abortPairingCurrent(reason),
      closeSilently: (why: string) => this.closeSilently(why),
    };
  }

  // ------------------------------------------------------------------ helpers

  private trust(): "user" | "none" {
    return this.match && this.match.category === "long_term" ? "user" : "none";
  }

  private setMatch(m: PskMatch): void {
    this.match = m;
    if (m.record) this.hub.store.noteUse(m.record.pskId); // the eviction order of a current-revision pairing
    this.markUsedPending = m.category === "long_term" && !!m.record && !m.record.used;
  }

  private endAttempt(): void {
    const a = this.attemptValue;
    this.attemptValue = null;
    if (a) a.end();
  }

  private quiescePlayer(): void {
    if (!this.playerActive) return;
    this.playerActive = false;
    this.hub.releasePlayer(this);
  }

  private attemptHost() {
    return {
      serverId: this.serverId,
      send: (msg: JsonObject) => this.send(msg),
      abort: (reason: PairAbortReason) => this.abortPairing(reason),
      closeSilently: (why: string) => this.closeSilently(why),
    };
  }

  private arm(ms: number, what: string): void {
    this.clearTimer();
    this.timer = this.hub.clock.setTimeout(() => {
      this.timer = undefined;
      this.guard(() => this.closeSilently(`timeout waiting for ${what}`));
    }, ms);
  }

  private clearTimer(): void {
    this.hub.clock.clear(this.timer);
    this.timer = undefined;
  }

  /** For logs and events. */
  get name(): string {
    return this.serverName;
  }
}

function isPairingInbound(type: string): boolean {
  return type === MSG.serverPairInit || type === MSG.serverPairAuth || type === MSG.serverPairConfirm || type === MSG.serverPairFinalize || type === MSG.pairAbort;
}
