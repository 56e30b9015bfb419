// Recording test doubles of the speaker's ports and of the Player as the sessions drive it, plus a
// factory that builds a Sessions instance around them (pure ECMAScript: Node and XS).

import { keyId } from "../../crypto/ids.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../modules/config.js";
import type { IndicatorCue, IndicatorPort, LogLevel, LogPort, OutChannelKind, OutChannelPort } from "../../modules/platform.js";
import type { PlayerPart, RecordStore } from "../../modules/session/parts.js";
import { Sessions, type SessionEvent } from "../../modules/session/sessions.js";
import { ManualClock } from "./clock.js";
import { MemoryFlash } from "../../storage/flash-memory.js";
import { Store, type SettingsPatch } from "../../storage/store.js";
import { SeededRandom } from "./random.js";

export class RecordingPlayer implements PlayerPart {
  readonly calls: string[] = [];
  active = false;
  supportObject(): Record<string, unknown> {
    return { supported_formats: [{ codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 16 }], buffer_capacity: 1048576, supported_commands: ["volume", "mute"] };
  }
  activate(): void {
    this.active = true;
    this.calls.push("activate");
  }
  deactivate(): void {
    this.active = false;
    this.calls.push("deactivate");
  }
  onMessage(type: string): void {
    this.calls.push("message " + type);
  }
  onAudioChunk(data: Uint8Array): boolean {
    this.calls.push("audio " + data.length);
    return true;
  }
}

export class RecordingOutChannel implements OutChannelPort {
  readonly kinds: readonly OutChannelKind[] = ["speaker"];
  readonly pins: string[] = [];
  clears = 0;
  emitPin(pin: string): void {
    this.pins.push(pin);
  }
  clear(): void {
    this.clears++;
  }
}

export class RecordingIndicator implements IndicatorPort {
  readonly cues: IndicatorCue[] = [];
  cue(kind: IndicatorCue): void {
    this.cues.push(kind);
  }
}

export class RecordingLog implements LogPort {
  readonly lines: string[] = [];
  log(level: LogLevel, message: string): void {
    if (this.lines.length >= 2000) this.lines.splice(0, 1000); // keep the recent ones
    this.lines.push(`${level}: ${message}`);
  }
}

export interface Rig {
  readonly crypto: CryptoProvider;
  readonly random: SeededRandom;
  readonly clock: ManualClock;
  readonly store: Store;
  readonly flash: MemoryFlash;
  readonly player: RecordingPlayer;
  readonly out: RecordingOutChannel;
  readonly indicator: RecordingIndicator;
  readonly log: RecordingLog;
  readonly events: SessionEvent[];
  readonly config: SpeakerConfig;
  readonly sessions: Sessions;
}

/**
 * A Sessions instance over the real Store (mounted on an emulated 16 KiB flash, as on the device: the
 * first boot provisions the identity, the pairing PSK, the static PIN and the record_mode shared-PSK
 * record, which takes one slot) and recording doubles of the other ports.
 */
export function makeRig(o: { seed?: number; makeCrypto?: (random: SeededRandom) => CryptoProvider; config?: Partial<SpeakerConfig>; settings?: SettingsPatch; slots?: number; player?: boolean; view?: (s: Store) => RecordStore } = {}): Rig {
  const random = new SeededRandom(o.seed ?? 7);
  const crypto = o.makeCrypto ? o.makeCrypto(random) : createPortableCrypto(random);
  const clock = new ManualClock();
  const config: SpeakerConfig = { ...DEFAULT_CONFIG, staticPin: true, dynamicPin: true, ...o.config };
  const flash = new MemoryFlash({ blockSize: 4096, blocks: 4, random });
  const store = Store.mount(flash, {
    slots: o.slots ?? 5,
    crypto,
    defaults: { staticPinEnabled: true, dynamicPinEnabled: true, minPinLength: 6, unpairedAccess: false },
    log: () => {},
  });
  if (o.settings && store.updateSettings(o.settings) !== "ok") throw new Error("makeRig: settings refused");
  const player = new RecordingPlayer();
  const out = new RecordingOutChannel();
  const indicator = new RecordingIndicator();
  const log = new RecordingLog();
  const events: SessionEvent[] = [];
  const identity = store.settings.identity;
  const sessions = new Sessions({
    config,
    crypto,
    clock,
    log,
    store: o.view ? o.view(store) : store,
    identity,
    clientId: keyId(identity.publicKey),
    suite: crypto.suites[0],
    player: o.player === false ? null : player,
    outChannel: out,
    indicator,
    emit: (e) => events.push(e),
  });
  return { crypto, random, clock, store, flash, player, out, indicator, log, events, config, sessions };
}

/** Records and settings as one comparable string ("unchanged" assertions). */
export function storeView(store: Store): string {
  const hex = (b: Uint8Array) => Array.from(b, (x) => (x < 16 ? "0" : "") + x.toString(16)).join("");
  const s = store.settings;
  return JSON.stringify({
    records: store.list().map((r) => ({ pskId: r.pskId, kind: r.kind, serverId: r.serverId ?? null, used: r.used, psk: hex(r.psk) })),
    settings: { ...s, identity: hex(s.identity.publicKey), pairingPsk: hex(s.pairingPsk) },
  });
}

/** The record_mode shared-PSK record every first boot provisions. */
export function provisionedShared(store: Store): { pskId: string; psk: Uint8Array } {
  const rec = store.findByPskId(store.settings.recordModePskId!)!;
  return { pskId: rec.pskId, psk: rec.psk };
}

/** Stored-pubkey records (the pairings), leaving the provisioned shared-PSK record aside. */
export function pairings(store: Store): readonly { pskId: string; serverId?: string }[] {
  return store.list().filter((r) => r.kind === "stored_pubkey");
}

/**
 * The store as the sessions see it with no record_mode fallback (the real Store always has one unless
 * flash damage destroyed it): the storage_exhausted path of pairing.
 */
export function withoutRecordMode(store: Store): RecordStore {
  return {
    findByPskId: (id) => store.findByPskId(id),
    list: () => store.list(),
    addRecord: (psk, serverId) => store.addRecord(psk, serverId),
    removeRecord: (id) => store.removeRecord(id),
    markUsed: (id) => store.markUsed(id),
    accounting: () => store.accounting(),
    get settings() {
      return { ...store.settings, recordModePskId: null };
    },
    updateSettings: (patch) => store.updateSettings(patch),
    pairRecord: (psk, serverId, inUse) => store.pairRecord(psk, serverId, inUse),
    noteUse: (id) => store.noteUse(id),
  };
}
