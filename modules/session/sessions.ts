// The speaker's shared session state: every open connection, the admitted one (arbitration), the
// Player's owner, PSK look-up, the pairing window, the PIN lockout and the button. One instance per
// running speaker (modules/speaker.ts builds it); the unit tests drive it directly with in-memory sockets.

import { pskId as computePskId, SENTINEL_PSK, SENTINEL_PSK_ID, type KeyPair } from "../../crypto/ids.js";
import { encodePairingToken } from "../../crypto/pairing-token.js";
import { bytesEqual } from "../util/bytes.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import type { SpeakerConfig } from "../config.js";
import type { ButtonPress, ClockPort, IndicatorPort, LogPort, OutChannelPort } from "../platform.js";
import type { ManagementContext } from "../management/management.js";
import type { PairingContext } from "../pairing/attempt.js";
import { PinLockout } from "../pairing/lockout.js";
import { PairingWindow } from "../pairing/window.js";
import type { JsonObject } from "../protocol/json.js";
import { ROLE_PLAYER_V1, type Activity, type PairMethod, type PinMethod } from "../protocol/names.js";
import { buildClientHello, type PairMethodDescriptor } from "../protocol/session-messages.js";
import { arbitrate } from "./arbitration.js";
import type { CurrentPairingContext } from "../pairing/current-attempt.js";
import { RoundLimit } from "../pairing/rounds.js";
import { buildClientHelloCurrent, type CodeFormat, type CurrentPairMethod, type CurrentPairOffer } from "../protocol/current-messages.js";
import { playerSupportCurrent } from "../protocol/current-player.js";
import type { ProtocolSetting, PskCategoryCode } from "../protocol/revision.js";
import { Connection, type PskMatch, type SessionHub, type SessionSocket } from "./connection.js";
import type { PlayerPart, RecordStore } from "./parts.js";
import { PreAuthBudget } from "./preauth-budget.js";

/**
 * Pre-authentication work that may run back to back before the share applies: 200 ms. On the chip that
 * starts one Noise message 1 (about 450 ms: the rest is a debt repaid at the share's rate); in the
 * simulator about 40. Small, so that the share holds over seconds, not just on average.
 */
export const PRE_AUTH_BURST_US = 200_000;

/** Events the sessions report (modules/speaker.ts forwards them; the README lists them as the simulator's events). */
export type SessionEvent =
  | { event: "pairing_window"; open: boolean }
  | { event: "paired"; server_id: string }
  | { event: "lockout"; method: PinMethod; locked_out: boolean }
  | { event: "pairing_token"; pairing_token: string }
  | { event: "connection"; server_id: string; state: string; [k: string]: unknown };

export interface SessionsOptions {
  readonly config: SpeakerConfig;
  readonly crypto: CryptoProvider;
  readonly clock: ClockPort;
  readonly log: LogPort;
  readonly store: RecordStore;
  readonly identity: KeyPair;
  readonly clientId: string;
  readonly suite: SuiteName;
  readonly player: PlayerPart | null;
  readonly outChannel: OutChannelPort;
  readonly indicator: IndicatorPort;
  readonly emit: (e: SessionEvent) => void;
}

/** Largest reassembled message accepted on a channel: one audio chunk of the largest format (≤ 150 ms), at least 64 KiB. */
export function channelMessageCap(config: SpeakerConfig): number {
  let max = 65536;
  for (const f of config.audioFormats) {
    const chunk = Math.ceil(f.sampleRate * 0.15) * f.channels * (f.bitsPerSample >> 3) + 9;
    if (chunk > max) max = chunk;
  }
  return max;
}

export class Sessions implements SessionHub {
  readonly crypto: CryptoProvider;
  readonly clock: ClockPort;
  readonly identity: KeyPair;
  readonly clientId: string;
  readonly suite: SuiteName;
  readonly store: RecordStore;
  readonly player: PlayerPart | null;
  readonly maxMessageBytes: number;
  readonly pairing: PairingContext;
  readonly lockout: PinLockout;
  readonly window: PairingWindow;
  /** Current revision: the dynamic code's round limit (RAM). */
  readonly rounds = new RoundLimit();
  readonly protocol: ProtocolSetting;
  readonly authTimeoutMs: number;
  /** The ration of work for peers with no key yet; the WebSocket server's upgrades draw on it too. */
  readonly preAuthBudget: PreAuthBudget;

  private readonly connections: Connection[] = [];
  private holder: Connection | null = null;
  private playerOwner: Connection | null = null;
  private pairingPskCache: { psk: Uint8Array; id: string } | null = null;
  private stopped = false;
  private announcedPairingPsk: Uint8Array | null;
  /** Exceptions caught by a connection's last-resort guard (each is a bug; tests assert zero). */
  internalErrors = 0;

  constructor(private readonly o: SessionsOptions) {
    this.crypto = o.crypto;
    this.clock = o.clock;
    this.identity = o.identity;
    this.clientId = o.clientId;
    this.suite = o.suite;
    this.store = o.store;
    this.player = o.player;
    this.maxMessageBytes = channelMessageCap(o.config);
    this.protocol = o.config.protocol ?? "auto";
    this.authTimeoutMs = o.config.authTimeoutMs;
    this.preAuthBudget = new PreAuthBudget({ clock: o.clock, sharePercent: o.config.preAuthCpuPercent, burstUs: PRE_AUTH_BURST_US });
    this.announcedPairingPsk = o.store.settings.pairingPsk.slice();
    this.lockout = new PinLockout((method, locked) => o.emit({ event: "lockout", method, locked_out: locked }));
    this.window = new PairingWindow(o.clock, (open) => {
      o.indicator.cue(open ? "pairing-window-open" : "pairing-window-closed");
      o.emit({ event: "pairing_window", open });
    });
    this.pairing = {
      crypto: o.crypto,
      clock: o.clock,
      store: o.store,
      lockout: this.lockout,
      window: this.window,
      outChannel: o.outChannel,
      indicator: o.indicator,
      onPaired: (serverId) => o.emit({ event: "paired", server_id: serverId }),
      log: (m) => this.log(m),
    };
  }

  /** A new WebSocket (the WebSocket server enforces the socket cap before this). */
  accept(ws: SessionSocket): void {
    if (this.stopped) return ws.close();
    const c = new Connection(this, ws);
    if (c.phase !== "closed") this.connections.push(c);
  }

  /** The admitted connection, if any. */
  get admitted(): Connection | null {
    return this.holder;
  }

  get openConnections(): number {
    return this.connections.length;
  }

  // ------------------------------------------------------------------ button

  /**
   * Short press: repeat a dynamic PIN being conveyed, else open the static-PIN pairing window (when the
   * method is offered and not locked out). Long press: cancel the pairing attempt in progress
   * (user_cancelled), else close an unused window; with neither, disconnect the admitted server with
   * goodbye user_request (reading: the device's explicit "disconnect" gesture).
   */
  onButton(press: ButtonPress): void {
    if (this.stopped) return;
    const attempt = this.holder ? this.holder.attempt : null;
    if (press === "short") {
      if (attempt && attempt.repeatPin()) return;
      if (attempt && "release" in attempt && attempt.release()) return; // a current attempt held back by the round limit
      if (!this.staticPinOffered()) return this.o.indicator.cue("refused");
      if (this.window.open() && attempt && attempt.waitingForWindow) attempt.windowOpened();
      return;
    }
    if (attempt && attempt.cancel()) return;
    if (this.window.isOpen) return this.window.close();
    if (this.holder && this.holder.activated) this.holder.goodbye("user_request");
  }

  /** Close everything (speaker stop / reboot): activated connections get goodbye `reason`. */
  stop(reason: "shutdown" | "restart"): void {
    if (this.stopped) return;
    for (const c of this.connections.slice()) c.shutdown(reason);
    this.window.close();
    this.stopped = true;
  }

  // ------------------------------------------------------------------ SessionHub

  log(msg: string): void {
    this.o.log.log("info", msg);
  }

  /**
   * Pre-authentication work is rationed while a connection holds the player role (there is audio to
   * protect); otherwise it runs as it comes (the connection caps and deadlines still bound it).
   */
  preAuth(address: string | undefined, work: () => void): boolean {
    if (this.playerOwner === null) {
      work();
      return true;
    }
    return this.preAuthBudget.run(address, work);
  }

  lookupPsk(id: string, serverId: string): PskMatch | undefined {
    const rec = this.store.findByPskId(id);
    if (rec) {
      // stored-pubkey: the record's server_id must be the one in server/init; shared-PSK: taken at face value
      if (rec.kind === "stored_pubkey" && rec.serverId !== serverId) return undefined;
      return { category: "long_term", psk: rec.psk, record: rec };
    }
    const s = this.store.settings;
    if (s.pairingPskEnabled && id === this.pairingPskId()) return { category: "pairing_psk", psk: s.pairingPsk };
    if (id === SENTINEL_PSK_ID) return { category: "sentinel", psk: SENTINEL_PSK };
    return undefined;
  }

  /** psk_id of the current pairing PSK, recomputed only when the PSK changes. */
  pairingPskId(): string {
    const psk = this.store.settings.pairingPsk;
    if (!this.pairingPskCache || this.pairingPskCache.psk !== psk) this.pairingPskCache = { psk, id: computePskId(this.crypto, psk) };
    return this.pairingPskCache.id;
  }

  /** What both revisions' client/hello say about the device and its roles. */
  private helloDevice(): { name: string; productName: string; manufacturer: string; softwareVersion: string; supportedRoles: string[] } {
    const cfg = this.o.config;
    return { name: cfg.name, productName: cfg.productName, manufacturer: cfg.manufacturer, softwareVersion: cfg.softwareVersion, supportedRoles: this.player ? [ROLE_PLAYER_V1] : [] };
  }

  helloInfo(trust: "user" | "none"): { descriptors: PairMethodDescriptor[]; hello: JsonObject } {
    const descriptors = this.pairMethodDescriptors();
    const hello = buildClientHello({
      ...this.helloDevice(),
      trust,
      playerSupport: this.player ? this.player.supportObject() : undefined,
      pairMethods: descriptors,
      unpairedAccess: this.store.settings.unpairedAccess,
    });
    return { descriptors, hello };
  }

  /**
   * supported_pair_methods: pairing_psk while enabled; static_pin / dynamic_pin when the device offers
   * them (manifest) and they are enabled (management), each with locked_out; dynamic_pin with
   * min_pin_length and out_channels. Reading: a disabled method is not offered, so selecting it is
   * `method_not_supported`; a locked-out method stays listed (locked_out: true) and gets `locked_out`.
   */
  pairMethodDescriptors(): PairMethodDescriptor[] {
    const s = this.store.settings;
    const out: PairMethodDescriptor[] = [];
    if (s.pairingPskEnabled) out.push({ method: "pairing_psk" });
    if (this.o.config.staticPin && s.staticPinEnabled) out.push({ method: "static_pin", lockedOut: this.lockout.isLockedOut("static_pin") });
    if (this.o.config.dynamicPin && s.dynamicPinEnabled) {
      out.push({ method: "dynamic_pin", outChannels: this.o.outChannel.kinds.slice(), minPinLength: s.minPinLength, lockedOut: this.lockout.isLockedOut("dynamic_pin") });
    }
    return out;
  }

  isLockedOut(method: PairMethod): boolean {
    return method !== "pairing_psk" && this.lockout.isLockedOut(method);
  }

  arbitrate(c: Connection, activities: readonly Activity[]): "admit" | "reject" {
    const h = this.holder && this.holder !== c && this.holder.phase !== "closed" ? this.holder : null;
    const verdict = arbitrate(h ? { activities: h.activities, serverId: h.serverId } : null, { activities, serverId: c.serverId }, this.store.settings.lastPlaybackServerId);
    if (verdict === "admit") {
      this.holder = c;
      this.o.indicator.cue("connected");
      if (h) {
        this.connectionEvent(h, "displaced", { by: c.serverId });
        h.displace();
      }
    }
    return verdict;
  }

  activated(c: Connection, _first: boolean): void {
    if (c !== this.holder) return;
    // The last-playback server: persisted when it changes (not on every activation: flash wear).
    if (c.activities.indexOf("playback") >= 0 && this.store.settings.lastPlaybackServerId !== c.serverId) {
      try {
        this.store.updateSettings({ lastPlaybackServerId: c.serverId });
      } catch (e) {
        this.log(`session: could not persist the last-playback server: ${String(e)}`);
      }
    }
  }

  takePlayer(c: Connection): void {
    if (!this.player) return;
    if (this.playerOwner && this.playerOwner !== c) this.player.deactivate();
    this.playerOwner = c;
    this.player.activate(c.revision ?? "baseline");
  }

  releasePlayer(c: Connection): void {
    if (!this.player || this.playerOwner !== c) return;
    this.playerOwner = null;
    this.player.deactivate();
  }

  /** PlayerHost.sendJson goes out on the connection that owns the Player. */
  sendFromPlayer(msg: JsonObject): void {
    if (this.playerOwner) this.playerOwner.sendRole(msg);
  }

  managementContext(c: Connection, ownPskId: string): ManagementContext {
    return {
      store: this.store,
      crypto: this.crypto,
      config: this.o.config,
      lockout: this.lockout,
      ownPskId,
      onConfigChanged: () => {
        if (!this.staticPinOffered()) this.window.close();
        // a rotated pairing PSK changes the token the operator scans (the simulator shows it again)
        const psk = this.store.settings.pairingPsk;
        if (this.announcedPairingPsk && !bytesEqual(this.announcedPairingPsk, psk)) {
          this.announcedPairingPsk = psk.slice();
          this.o.emit({ event: "pairing_token", pairing_token: encodePairingToken(this.identity.publicKey, psk) });
        }
      },
      log: (m) => this.log(m),
    };
  }

  connectionEvent(c: Connection, state: string, extra?: Record<string, unknown>): void {
    this.o.emit({ event: "connection", server_id: c.serverId, state, ...extra });
  }

  closed(c: Connection): void {
    const i = this.connections.indexOf(c);
    if (i >= 0) this.connections.splice(i, 1);
    if (this.holder === c) {
      this.holder = null;
      if (!this.stopped) this.o.indicator.cue("disconnected");
    }
    if (this.playerOwner === c) this.releasePlayer(c);
  }

  internalError(c: Connection, e: unknown): void {
    this.internalErrors++;
    this.o.log.log("error", `session: internal error on ${c.serverId || "(no server/init)"}: ${String(e && (e as Error).stack ? (e as Error).stack : e)}`);
  }

  // ------------------------------------------------------------------ current revision (docs/current-revision.md)

  /**
   * The current revision's look-up: only among the PSKs of the declared category ('lt': stored-pubkey
   * records, whose server_id must be the one in server/init; 'pr': the pairing PSK; 'sn': the Sentinel).
   * A miss in the initial handshake falls back to the Sentinel (the server learns of the mismatch); in a
   * re-handshake, and for a server_id mismatch (a misbinding, not a miss), it fails.
   */
  lookupPskCurrent(id: string, category: PskCategoryCode, serverId: string, initial: boolean): PskMatch | undefined {
    if (category === "lt") {
      const rec = this.store.findByPskId(id);
      if (rec && rec.kind === "stored_pubkey") {
        if (rec.serverId !== serverId) return undefined;
        return { category: "long_term", psk: rec.psk, record: rec };
      }
    } else if (category === "pr") {
      if (this.store.settings.pairingPskEnabled && id === this.pairingPskId()) return { category: "pairing_psk", psk: this.store.settings.pairingPsk };
    } else if (id === SENTINEL_PSK_ID) return { category: "sentinel", psk: SENTINEL_PSK };
    return initial ? { category: "sentinel", psk: SENTINEL_PSK } : undefined;
  }

  /**
   * What a current-revision client/hello offers: pairing_psk always (the text requires it), and at most one
   * code method: dynamic_pairing_code when the device offers the dynamic PIN (it has an out-channel), else
   * static_pairing_code when it offers the static PIN. The same secrets and settings as the baseline's
   * methods (the static code is the static PIN). Formats: digits (no out-channel here renders a QR code).
   */
  currentOffer(): CurrentPairOffer {
    const s = this.store.settings;
    const cfg = this.o.config;
    const kinds = this.o.outChannel.kinds.filter((k) => k === "display" || k === "speaker");
    const code = cfg.dynamicPin && s.dynamicPinEnabled && kinds.length > 0 ? "dynamic_pairing_code" : cfg.staticPin && s.staticPinEnabled ? "static_pairing_code" : null;
    return { pairingPsk: true, code, outChannels: kinds, formats: ["digits"] };
  }

  helloInfoCurrent(): { methods: CurrentPairMethod[]; formats: CodeFormat[]; hello: JsonObject } {
    const offer = this.currentOffer();
    const hello = buildClientHelloCurrent({
      ...this.helloDevice(),
      playerSupport: this.player ? playerSupportCurrent(this.player.supportObject()) : undefined,
      offer,
      unpairedAccess: this.store.settings.unpairedAccess,
    });
    // pairing_psk is listed always but selectable only while enabled
    const methods: CurrentPairMethod[] = this.store.settings.pairingPskEnabled ? ["pairing_psk"] : [];
    if (offer.code) methods.push(offer.code);
    return { methods, formats: offer.code === "dynamic_pairing_code" ? offer.formats.slice() : [], hello };
  }

  pairingCurrent(_c: Connection): CurrentPairingContext {
    return {
      crypto: this.crypto,
      clock: this.clock,
      store: this.store,
      window: this.window,
      rounds: this.rounds,
      lockout: this.lockout,
      outChannel: this.o.outChannel,
      indicator: this.o.indicator,
      suite: this.suite,
      inUse: (pskId) => this.connections.some((x) => x.phase !== "closed" && x.recordPskId === pskId),
      onPaired: (serverId) => this.o.emit({ event: "paired", server_id: serverId }),
      log: (m) => this.log(m),
    };
  }

  private staticPinOffered(): boolean {
    return this.o.config.staticPin && this.store.settings.staticPinEnabled && !this.lockout.isLockedOut("static_pin");
  }
}
