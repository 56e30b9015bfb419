// The speaker's persistent state in one flash partition: the fixed-slot pairing record table and the
// device settings, over the power-cut-safe journal (storage/journal.ts: format, commit point, wear).
//
// Keys of the journal: slot 0..N-1, the identity, the pairing config, and a second copy of the identity
// (it never changes after first boot and losing it loses every pairing, so each snapshot holds it twice;
// the copy costs one unit per compaction, nothing per mutation). Every mutation rewrites
// exactly one key in one unit write (add, remove, `used`, a settings patch of any size), so it is atomic:
// after a power cut the next mount finds the old value or the new one. First boot (or unreadable flash)
// writes the initial state as one snapshot whose commit unit is written last.
//
// RAM: per slot a kind byte, a used byte, 64 secret bytes (PSK, server key) and its psk_id string in a
// Map (the handshake looks a psk_id up without hashing anything; mount reads the ids from flash instead
// of hashing every PSK); records are built on demand.
//
// Payloads (108 bytes each, unused bytes zero, all covered by the unit's check):
//   slot:     0x10 | kind (0 empty, 1 stored_pubkey, 2 shared_psk) | used (0/1) | 0 | psk[32] | server key[32] |
//             psk_id[32] (SHA-256 of the psk_id label and the PSK, stored so that mount hashes no PSK)
//   identity: 0x20 | 0 | 0 | 0 | private key[32] | public key[32]
//   config:   0x30 | flags | min_pin_length | record-mode slot (255 = none) | static_delay_ms u16 BE |
//             static PIN u32 BE (< 10^8) | pairing PSK[32] | last-playback server key[32]
//             flags: 1 pairing_psk, 2 static_pin, 4 dynamic_pin, 8 unpaired_access, 16 last-playback set

import { decodeKeyId, generateKeyPair, keyId, pskId, SENTINEL_PSK_ID, type KeyPair } from "../crypto/ids.js";
import { base64urlEncode } from "../modules/util/base64url.js";
import { randomStaticPin } from "../crypto/pin.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { bytesEqual } from "../modules/util/bytes.js";
import type { FlashPort } from "./flash.js";
import { Journal, minimumBlocks, PAYLOAD_BYTES, UNIT_BYTES, type JournalStatus } from "./journal.js";

export type RecordKind = "stored_pubkey" | "shared_psk";

export interface PairingRecord {
  readonly pskId: string;
  readonly kind: RecordKind;
  /** A copy: changing it changes nothing stored. */
  readonly psk: Uint8Array;
  /** Present for stored-pubkey records. */
  readonly serverId?: string;
  readonly used: boolean;
}

export interface Settings {
  readonly identity: KeyPair;
  readonly pairingPsk: Uint8Array;
  /** 8 decimal digits. */
  readonly staticPin: string;
  readonly pairingPskEnabled: boolean;
  readonly staticPinEnabled: boolean;
  readonly dynamicPinEnabled: boolean;
  /** 4–12. */
  readonly minPinLength: number;
  /** The shared-PSK record of record_mode; null only if damage destroyed it and no slot was free to replace it. */
  readonly recordModePskId: string | null;
  readonly unpairedAccess: boolean;
  /** 0–5000. */
  readonly staticDelayMs: number;
  readonly lastPlaybackServerId: string | null;
}

/** What updateSettings may change (the identity is fixed at first boot). */
export type SettingsPatch = { -readonly [K in Exclude<keyof Settings, "identity">]?: Settings[K] };

/** First-boot values of the configurable settings (from the manifest config). */
export interface StoreDefaults {
  staticPinEnabled: boolean;
  dynamicPinEnabled: boolean;
  minPinLength: number;
  unpairedAccess: boolean;
}

export interface StoreOptions {
  /** Record slots (5–64), from the manifest config. */
  slots: number;
  crypto: CryptoProvider;
  defaults: StoreDefaults;
  /** One line per mount that found something to say (formatted, recovered, repaired). */
  log: (message: string) => void;
}

export interface StorageAccounting {
  free: number;
  capacity: number;
  cost_individual: 1;
  cost_shared: 1;
}

/** A configuration the store cannot work with (refused at boot, like modules/config.ts does). */
export class StoreConfigError extends Error {
  override get name(): string {
    return "StoreConfigError";
  }
}

export const MIN_SLOTS = 5;
export const MAX_SLOTS = 64;

const TAG_SLOT = 0x10;
const TAG_IDENTITY = 0x20;
const TAG_CONFIG = 0x30;
const KIND_EMPTY = 0;
const KIND_STORED = 1;
const KIND_SHARED = 2;
const NO_SLOT = 255;
const F_PAIRING_PSK = 1, F_STATIC_PIN = 2, F_DYNAMIC_PIN = 4, F_UNPAIRED = 8, F_LAST_PLAYBACK = 16;
const KNOWN_FLAGS = 31;
const SECRET_BYTES = 64;
/** Journal keys besides the slots: identity, config, identity copy. */
const EXTRA_KEYS = 3;
const PIN_LIMIT = 100_000_000;

/** The configurable part of the settings, as stored (the identity is its own key). */
interface Config {
  flags: number;
  minPinLength: number;
  recordModeSlot: number;
  staticDelayMs: number;
  staticPin: number;
  pairingPsk: Uint8Array;
  lastPlayback: Uint8Array | null;
}

export class Store {
  private readonly journal: Journal;
  private readonly crypto: CryptoProvider;
  private readonly defaults: StoreDefaults;
  private readonly log: (message: string) => void;
  private readonly wantedSlots: number;
  private slots = 0;
  private kinds : Uint8Array = new Uint8Array(0);
  private used : Uint8Array = new Uint8Array(0);
  private secrets : Uint8Array = new Uint8Array(0);
  private ids: (string | undefined)[] = [];
  private readonly index = new Map<string, number>();
  /** Per slot, the use counter at its last handshake match in this boot (0: none); RAM only. */
  private lastUse: number[] = [];
  private useClock = 0;
  private identity: KeyPair = { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) };
  private config!: Config;
  private current!: Settings;
  private pairingId = "";
  /** A flash operation failed mid-mutation: RAM may be ahead of flash; remount before the next call. */
  private stale = false;
  private readonly payload = new Uint8Array(PAYLOAD_BYTES);
  /** What a compaction writes: every key's current payload, from RAM. */
  private readonly snapshot: { size: number; encode(key: number, payload: Uint8Array): void };

  private constructor(flash: FlashPort, o: StoreOptions) {
    this.journal = new Journal(flash, o.crypto);
    this.crypto = o.crypto;
    this.defaults = o.defaults;
    this.log = o.log;
    this.wantedSlots = o.slots;
    this.snapshot = { size: 0, encode: (key, payload) => this.encodeKey(key, payload) };
  }

  /**
   * Mount the partition: blank flash is formatted, a torn or damaged store is recovered as far as its
   * checks allow (or reformatted), each case told in one log line. Throws StoreConfigError only for a
   * configuration it cannot honour (slots outside 5–64, a partition too small); never for content.
   */
  static mount(flash: FlashPort, o: StoreOptions): Store {
    const slots = o.slots;
    if (!Number.isInteger(slots) || slots < MIN_SLOTS) throw new StoreConfigError(`storage: ${slots} record slots is below the guaranteed minimum of ${MIN_SLOTS}`);
    if (slots > MAX_SLOTS) throw new StoreConfigError(`storage: ${slots} record slots is above the supported maximum of ${MAX_SLOTS}`);
    const d = o.defaults;
    if (!Number.isInteger(d.minPinLength) || d.minPinLength < 4 || d.minPinLength > 12) throw new StoreConfigError(`storage: default min_pin_length ${d.minPinLength} is outside 4–12`);
    const unitsPerBlock = Math.floor(flash.blockSize / UNIT_BYTES);
    if (flash.blockSize % UNIT_BYTES !== 0 || unitsPerBlock < 2) throw new StoreConfigError(`storage: flash block size ${flash.blockSize} is not a multiple of ${UNIT_BYTES} of at least ${2 * UNIT_BYTES}`);
    const need = minimumBlocks(slots + EXTRA_KEYS, unitsPerBlock);
    if (Math.floor(flash.byteLength / flash.blockSize) < need) {
      throw new StoreConfigError(`storage: the partition (${flash.byteLength} bytes) is too small for ${slots} record slots: it needs ${need} blocks of ${flash.blockSize} bytes (${need * flash.blockSize} bytes)`);
    }
    const store = new Store(flash, o);
    store.load();
    return store;
  }

  // ---- queries ----------------------------------------------------------------------------------

  get settings(): Readonly<Settings> {
    this.fresh();
    return this.current;
  }

  /** psk_id of the pairing PSK (kept in RAM, like the records' ids). */
  get pairingPskId(): string {
    this.fresh();
    return this.pairingId;
  }

  /** The record whose psk_id this is: a RAM look-up, no hashing. */
  findByPskId(id: string): PairingRecord | undefined {
    this.fresh();
    const slot = this.index.get(id);
    return slot === undefined ? undefined : this.record(slot);
  }

  /** Every record, in slot order. */
  list(): PairingRecord[] {
    this.fresh();
    const out: PairingRecord[] = [];
    for (let s = 0; s < this.slots; s++) if (this.kinds[s] !== KIND_EMPTY) out.push(this.record(s));
    return out;
  }

  /** Storage accounting for management/result, in slots. */
  accounting(): StorageAccounting {
    this.fresh();
    let free = 0;
    for (let s = 0; s < this.slots; s++) if (this.kinds[s] === KIND_EMPTY) free++;
    return { free, capacity: this.slots, cost_individual: 1, cost_shared: 1 };
  }

  /** Where the journal stands: its generation and how much room the head block has (diagnostics). */
  journalStatus(): JournalStatus {
    this.fresh();
    return this.journal.status();
  }

  // ---- mutations (each one unit write: atomic across power cuts) --------------------------------

  /**
   * Add a record: stored-pubkey with `serverId`, shared-PSK without. `invalid`: a PSK that is not 32
   * bytes or is the public Sentinel PSK, or a malformed server_id; `already_exists`: the psk_id is a
   * record's or the pairing PSK's.
   */
  addRecord(psk: Uint8Array, serverId?: string): "ok" | "already_exists" | "storage_exhausted" | "invalid" {
    this.fresh();
    if (!(psk instanceof Uint8Array) || psk.length !== 32) return "invalid";
    const server = serverId === undefined ? undefined : decodeKeyId(serverId);
    if (serverId !== undefined && !server) return "invalid";
    const id = pskId(this.crypto, psk);
    if (id === SENTINEL_PSK_ID) return "invalid";
    if (this.index.has(id) || id === this.pairingId) return "already_exists";
    const slot = this.freeSlot();
    if (slot < 0) return "storage_exhausted";
    this.writeSlot(slot, server ? KIND_STORED : KIND_SHARED, 0, psk, server, id);
    this.setSlot(slot, server ? KIND_STORED : KIND_SHARED, 0, psk, server, id);
    return "ok";
  }

  /**
   * The current revision's pairing (reference/sendspin-spec-current.md §Pairing Records): persist a
   * stored-pubkey record for `serverId`, replacing the record this server already holds (the first one in
   * slot order), else in a free slot, else over an evicted record, so that a pairing never fails for lack
   * of room. `inUse(pskId)` names the records backing open connections: never evicted. Eviction order
   * (implementation-defined in the text): a stored-pubkey record never authenticated with (`used` unset)
   * before one that was, then the least recently used in this boot (noteUse), then the lowest slot; a
   * shared-PSK record of the baseline's record_mode only when no stored-pubkey record can go, and never the
   * record_mode target. One unit write in every case: atomic across a power cut.
   */
  pairRecord(psk: Uint8Array, serverId: string, inUse: (pskId: string) => boolean): { result: "ok"; replaced: string | null; evicted: string | null } | { result: "invalid" | "already_exists" | "storage_exhausted" } {
    this.fresh();
    if (!(psk instanceof Uint8Array) || psk.length !== 32) return { result: "invalid" };
    const server = decodeKeyId(serverId);
    if (!server) return { result: "invalid" };
    const id = pskId(this.crypto, psk);
    if (id === SENTINEL_PSK_ID) return { result: "invalid" };
    if (this.index.has(id) || id === this.pairingId) return { result: "already_exists" };
    let slot = this.slotOfServer(server);
    const replaced = slot >= 0 ? (this.ids[slot] as string) : null;
    if (slot < 0) slot = this.freeSlot();
    let evicted: string | null = null;
    if (slot < 0) {
      slot = this.evictionVictim(inUse);
      if (slot < 0) return { result: "storage_exhausted" };
      evicted = this.ids[slot] as string;
    }
    this.writeSlot(slot, KIND_STORED, 0, psk, server, id);
    this.setSlot(slot, KIND_STORED, 0, psk, server, id);
    this.lastUse[slot] = ++this.useClock; // a fresh pairing counts as a use: it is not the next victim
    return { result: "ok", replaced, evicted };
  }

  /** A handshake matched this record (RAM only: the eviction order of pairRecord). */
  noteUse(id: string): void {
    const slot = this.index.get(id);
    if (slot !== undefined) this.lastUse[slot] = ++this.useClock;
  }

  private slotOfServer(server: Uint8Array): number {
    for (let s = 0; s < this.slots; s++) {
      if (this.kinds[s] !== KIND_STORED) continue;
      const at = s * SECRET_BYTES + 32;
      if (bytesEqual(this.secrets.subarray(at, at + 32), server)) return s;
    }
    return -1;
  }

  private evictionVictim(inUse: (pskId: string) => boolean): number {
    let best = -1;
    let bestRank = 0;
    for (let s = 0; s < this.slots; s++) {
      const kind = this.kinds[s];
      if (kind === KIND_EMPTY || s === this.config.recordModeSlot || inUse(this.ids[s] as string)) continue;
      // rank: shared-PSK records last, then used ones, then by last use in this boot
      const rank = (kind === KIND_SHARED ? 2 : 0) * 0x40000000 + this.used[s] * 0x20000000 + Math.min(this.lastUse[s], 0x1fffffff);
      if (best < 0 || rank < bestRank) {
        best = s;
        bestRank = rank;
      }
    }
    return best;
  }

  /** Remove a record. `invalid`: it is the record_mode target. */
  removeRecord(id: string): "ok" | "not_found" | "invalid" {
    this.fresh();
    const slot = this.index.get(id);
    if (slot === undefined) return "not_found";
    if (slot === this.config.recordModeSlot) return "invalid";
    this.writeSlot(slot, KIND_EMPTY, 0, undefined, undefined, undefined);
    this.setSlot(slot, KIND_EMPTY, 0, undefined, undefined, undefined);
    return "ok";
  }

  /** Set the record's `used` flag (the first time a server authenticates with it); no write when already set. */
  markUsed(id: string): void {
    this.fresh();
    const slot = this.index.get(id);
    if (slot === undefined || this.used[slot] === 1) return;
    const psk = this.secrets.slice(slot * SECRET_BYTES, slot * SECRET_BYTES + 32);
    const server = this.kinds[slot] === KIND_STORED ? this.secrets.slice(slot * SECRET_BYTES + 32, (slot + 1) * SECRET_BYTES) : undefined;
    this.writeSlot(slot, this.kinds[slot], 1, psk, server, id);
    this.used[slot] = 1;
  }

  /**
   * Apply a patch to the settings as one atomic write (nothing is written when nothing changes).
   * `invalid`: a value out of range or of the wrong type, a record_mode psk_id that is not a shared-PSK
   * record, the Sentinel PSK as pairing PSK; `already_exists`: a pairing PSK that is a record's PSK.
   */
  updateSettings(patch: SettingsPatch): "ok" | "invalid" | "already_exists" {
    this.fresh();
    if (typeof patch !== "object" || patch === null || "identity" in patch) return "invalid";
    const c = this.config;
    const next: Config = { ...c };
    let pairingId = this.pairingId;
    const p = patch;
    if (p.pairingPsk !== undefined) {
      if (!(p.pairingPsk instanceof Uint8Array) || p.pairingPsk.length !== 32) return "invalid";
      pairingId = pskId(this.crypto, p.pairingPsk);
      if (pairingId === SENTINEL_PSK_ID) return "invalid";
      if (this.index.has(pairingId)) return "already_exists";
      next.pairingPsk = p.pairingPsk.slice();
    }
    if (p.staticPin !== undefined) {
      if (typeof p.staticPin !== "string" || !/^[0-9]{8}$/.test(p.staticPin)) return "invalid";
      next.staticPin = Number(p.staticPin);
    }
    const flag = (v: boolean | undefined, bit: number): boolean => {
      if (v === undefined) return true;
      if (typeof v !== "boolean") return false;
      next.flags = v ? next.flags | bit : next.flags & ~bit;
      return true;
    };
    if (!flag(p.pairingPskEnabled, F_PAIRING_PSK) || !flag(p.staticPinEnabled, F_STATIC_PIN) || !flag(p.dynamicPinEnabled, F_DYNAMIC_PIN) || !flag(p.unpairedAccess, F_UNPAIRED)) return "invalid";
    if (p.minPinLength !== undefined) {
      if (!Number.isInteger(p.minPinLength) || p.minPinLength < 4 || p.minPinLength > 12) return "invalid";
      next.minPinLength = p.minPinLength;
    }
    if (p.staticDelayMs !== undefined) {
      if (!Number.isInteger(p.staticDelayMs) || p.staticDelayMs < 0 || p.staticDelayMs > 5000) return "invalid";
      next.staticDelayMs = p.staticDelayMs;
    }
    if (p.recordModePskId !== undefined) {
      const slot = typeof p.recordModePskId === "string" ? this.index.get(p.recordModePskId) : undefined;
      if (slot === undefined || this.kinds[slot] !== KIND_SHARED) return "invalid";
      next.recordModeSlot = slot;
    }
    if (p.lastPlaybackServerId !== undefined) {
      if (p.lastPlaybackServerId === null) {
        next.lastPlayback = null;
        next.flags &= ~F_LAST_PLAYBACK;
      } else {
        const key = decodeKeyId(p.lastPlaybackServerId);
        if (!key) return "invalid";
        next.lastPlayback = key;
        next.flags |= F_LAST_PLAYBACK;
      }
    }
    if (sameConfig(c, next)) return "ok";
    this.encodeConfig(next, this.payload.fill(0));
    this.append(this.slots + 1, this.payload);
    this.setConfig(next, pairingId);
    return "ok";
  }

  // ---- mount ------------------------------------------------------------------------------------

  private load(): void {
    const scan = this.journal.mount();
    const notes: string[] = [];
    if (!scan.committed) {
      this.format();
      const what = scan.blocksWithData === 0 ? "blank flash" : `no valid store in ${scan.blocksWithData} block(s) holding data${scan.unfinished ? " (an unfinished format)" : ""}`;
      this.log(`storage: ${what}: formatted ${this.slots} record slots`);
      return;
    }
    if (scan.damagedUnits > 0) notes.push(`${scan.damagedUnits} damaged or interrupted unit(s) skipped`);
    if (scan.unfinished > 0) notes.push(`${scan.unfinished} unfinished compaction(s) ignored`);
    const storedSlots = scan.snapshotSize - EXTRA_KEYS;
    if (storedSlots < MIN_SLOTS || storedSlots > MAX_SLOTS) {
      this.format();
      this.log(`storage: the stored table has ${storedSlots} slots (not ${MIN_SLOTS}–${MAX_SLOTS}): formatted ${this.slots} record slots`);
      return;
    }
    let rewrite = false;

    // Identity: two keys; if both are damaged, the same store's older copies hold the same identity.
    let identity: KeyPair | undefined;
    for (const key of [storedSlots, storedSlots + 2]) if (!identity && scan.latest[key] >= 0) identity = this.readDecoded(scan.latest[key], decodeIdentity);
    if (!identity) {
      const found = this.journal.findInOtherGenerations((p) => decodeIdentity(p) !== undefined);
      identity = found ? decodeIdentity(found) : undefined;
      if (!identity) {
        this.format();
        this.log(`storage: the identity is unreadable${notes.length ? ` (${notes.join(", ")})` : ""}: formatted ${this.slots} record slots`);
        return;
      }
      notes.push("identity recovered from an older generation");
      rewrite = true;
    }

    // Records: a damaged slot is empty (never an older copy: that could bring back a removed record).
    const table: Table = { kinds: new Uint8Array(storedSlots), used: new Uint8Array(storedSlots), secrets: new Uint8Array(storedSlots * SECRET_BYTES), ids: new Array<string | undefined>(storedSlots).fill(undefined) };
    let lostSlots = 0;
    for (let s = 0; s < storedSlots; s++) {
      if (scan.latest[s] < 0) continue;
      this.journal.readPayload(scan.latest[s], this.payload);
      if (!decodeSlot(this.payload, s, table)) lostSlots++;
    }
    if (lostSlots > 0) notes.push(`${lostSlots} record slot(s) unreadable, left empty`);

    // Pairing config: if damaged, the newest older copy, else first-boot values with fresh secrets.
    const configKey = storedSlots + 1;
    let config = scan.latest[configKey] >= 0 ? this.readDecoded(scan.latest[configKey], decodeConfig) : undefined;
    if (!config) {
      const found = this.journal.findInOtherGenerations((p) => decodeConfig(p) !== undefined);
      config = found ? decodeConfig(found) : undefined;
      notes.push(config ? "pairing config recovered from an older generation" : "pairing config unreadable, reset to first-boot values with a new pairing PSK and static PIN");
      config = config ?? this.initialConfig();
      rewrite = true;
    }

    // Slot count: the config may have changed since the table was written.
    let slots = storedSlots;
    if (storedSlots !== this.wantedSlots) {
      const moved = relocate(table, storedSlots, this.wantedSlots, config);
      if (moved && this.journal.canRewrite(this.wantedSlots + EXTRA_KEYS)) {
        notes.push(`table resized from ${storedSlots} to ${this.wantedSlots} slots`);
        slots = this.wantedSlots;
        this.install(slots, moved.table);
        config = moved.config;
        rewrite = true;
      } else {
        notes.push(`kept ${storedSlots} slots: ${moved ? "no room to rewrite the table now" : `${this.wantedSlots} slots cannot hold the records`}`);
        this.install(slots, table);
      }
    } else {
      this.install(slots, table);
    }
    const duplicates = this.buildIndex();
    if (duplicates > 0) notes.push(`${duplicates} duplicate record(s) dropped`);
    this.identity = identity;
    this.setConfig(config, pskId(this.crypto, config.pairingPsk));

    // record_mode must name a shared-PSK record.
    if (config.recordModeSlot === NO_SLOT || this.kinds[config.recordModeSlot] !== KIND_SHARED) {
      notes.push(this.repairRecordMode());
      rewrite = true;
    }
    if (rewrite || duplicates > 0) {
      try {
        this.journal.rewrite(this.snapshot, false);
      } catch (e) {
        if (!(e instanceof Error) || !/^journal:/.test(e.message)) throw e;
        notes.push(`could not rewrite (${e.message}): formatted instead`);
        this.format();
      }
    }
    if (notes.length > 0) this.log(`storage: mounted with recovery: ${notes.join("; ")}`);
  }

  /** First boot: identity, pairing PSK, static PIN, one shared-PSK record as record_mode's target. */
  private format(): void {
    const n = this.wantedSlots;
    this.install(n, { kinds: new Uint8Array(n), used: new Uint8Array(n), secrets: new Uint8Array(n * SECRET_BYTES), ids: new Array<string | undefined>(n).fill(undefined) });
    this.identity = generateKeyPair(this.crypto);
    const psk = new Uint8Array(32);
    this.crypto.randomBytes(psk);
    this.setSlot(0, KIND_SHARED, 0, psk, undefined, pskId(this.crypto, psk));
    const config = this.initialConfig();
    config.recordModeSlot = 0;
    this.setConfig(config, pskId(this.crypto, config.pairingPsk));
    this.journal.rewrite(this.snapshot, true);
  }

  private initialConfig(): Config {
    const d = this.defaults;
    const pairingPsk = new Uint8Array(32);
    this.crypto.randomBytes(pairingPsk);
    return {
      flags: F_PAIRING_PSK | (d.staticPinEnabled ? F_STATIC_PIN : 0) | (d.dynamicPinEnabled ? F_DYNAMIC_PIN : 0) | (d.unpairedAccess ? F_UNPAIRED : 0),
      minPinLength: d.minPinLength,
      recordModeSlot: NO_SLOT,
      staticDelayMs: 0,
      staticPin: Number(randomStaticPin(this.crypto)),
      pairingPsk,
      lastPlayback: null,
    };
  }

  /** Point record_mode at the first shared-PSK record, or at a new one; returns the log note. */
  private repairRecordMode(): string {
    for (let s = 0; s < this.slots; s++) {
      if (this.kinds[s] === KIND_SHARED) {
        this.setConfig({ ...this.config, recordModeSlot: s }, this.pairingId);
        return "record_mode pointed at an existing shared-PSK record";
      }
    }
    const slot = this.freeSlot();
    if (slot < 0) {
      this.setConfig({ ...this.config, recordModeSlot: NO_SLOT }, this.pairingId);
      return "record_mode has no shared-PSK record and no slot is free for one";
    }
    const psk = new Uint8Array(32);
    this.crypto.randomBytes(psk);
    this.setSlot(slot, KIND_SHARED, 0, psk, undefined, pskId(this.crypto, psk));
    this.setConfig({ ...this.config, recordModeSlot: slot }, this.pairingId);
    return "record_mode given a new shared-PSK record";
  }

  // ---- RAM state --------------------------------------------------------------------------------

  private install(slots: number, t: Table): void {
    this.slots = slots;
    this.kinds = t.kinds;
    this.used = t.used;
    this.secrets = t.secrets;
    this.ids = t.ids;
    this.lastUse = new Array<number>(slots).fill(0);
    this.index.clear();
    this.snapshot.size = slots + EXTRA_KEYS;
  }

  /** Index the psk_ids read from flash (mount); a second record with the same id is dropped. Returns the drops. */
  private buildIndex(): number {
    this.index.clear();
    let dropped = 0;
    for (let s = 0; s < this.slots; s++) {
      const id = this.ids[s];
      if (id === undefined) continue;
      if (this.index.has(id)) {
        this.ids[s] = undefined;
        this.setSlot(s, KIND_EMPTY, 0, undefined, undefined, undefined);
        dropped++;
        continue;
      }
      this.index.set(id, s);
    }
    return dropped;
  }

  private setSlot(slot: number, kind: number, used: number, psk: Uint8Array | undefined, server: Uint8Array | undefined, id: string | undefined): void {
    const old = this.ids[slot];
    if (old !== undefined) this.index.delete(old);
    this.kinds[slot] = kind;
    this.used[slot] = used;
    const at = slot * SECRET_BYTES;
    this.secrets.fill(0, at, at + SECRET_BYTES);
    if (psk) this.secrets.set(psk, at);
    if (server) this.secrets.set(server, at + 32);
    this.ids[slot] = id;
    if (id !== undefined) this.index.set(id, slot);
  }

  private setConfig(config: Config, pairingId: string): void {
    this.config = config;
    this.pairingId = pairingId;
    const f = config.flags;
    const rm = config.recordModeSlot;
    this.current = Object.freeze({
      identity: this.identity,
      pairingPsk: config.pairingPsk,
      staticPin: pad8(config.staticPin),
      pairingPskEnabled: (f & F_PAIRING_PSK) !== 0,
      staticPinEnabled: (f & F_STATIC_PIN) !== 0,
      dynamicPinEnabled: (f & F_DYNAMIC_PIN) !== 0,
      minPinLength: config.minPinLength,
      recordModePskId: rm !== NO_SLOT && rm < this.slots ? (this.ids[rm] ?? null) : null,
      unpairedAccess: (f & F_UNPAIRED) !== 0,
      staticDelayMs: config.staticDelayMs,
      lastPlaybackServerId: config.lastPlayback ? keyId(config.lastPlayback) : null,
    });
  }

  private record(slot: number): PairingRecord {
    const at = slot * SECRET_BYTES;
    const kind = this.kinds[slot];
    const r: { pskId: string; kind: RecordKind; psk: Uint8Array; serverId?: string; used: boolean } = {
      pskId: this.ids[slot] as string,
      kind: kind === KIND_STORED ? "stored_pubkey" : "shared_psk",
      psk: this.secrets.slice(at, at + 32),
      used: this.used[slot] === 1,
    };
    if (kind === KIND_STORED) r.serverId = keyId(this.secrets.subarray(at + 32, at + SECRET_BYTES));
    return r;
  }

  private freeSlot(): number {
    for (let s = 0; s < this.slots; s++) if (this.kinds[s] === KIND_EMPTY) return s;
    return -1;
  }

  // ---- flash ------------------------------------------------------------------------------------

  private encodeKey(key: number, payload: Uint8Array): void {
    if (key < this.slots) {
      const at = key * SECRET_BYTES;
      encodeSlot(payload, this.kinds[key], this.used[key], this.secrets.subarray(at, at + 32), this.kinds[key] === KIND_STORED ? this.secrets.subarray(at + 32, at + SECRET_BYTES) : undefined, this.ids[key]);
    } else if (key === this.slots || key === this.slots + 2) {
      payload[0] = TAG_IDENTITY;
      payload.set(this.identity.privateKey, 4);
      payload.set(this.identity.publicKey, 36);
    } else {
      this.encodeConfig(this.config, payload);
    }
  }

  private encodeConfig(c: Config, p: Uint8Array): void {
    p[0] = TAG_CONFIG;
    p[1] = c.flags;
    p[2] = c.minPinLength;
    p[3] = c.recordModeSlot;
    p[4] = c.staticDelayMs >> 8;
    p[5] = c.staticDelayMs & 255;
    p[6] = (c.staticPin >> 24) & 255;
    p[7] = (c.staticPin >> 16) & 255;
    p[8] = (c.staticPin >> 8) & 255;
    p[9] = c.staticPin & 255;
    p.set(c.pairingPsk, 10);
    if (c.lastPlayback) p.set(c.lastPlayback, 42);
  }

  private writeSlot(slot: number, kind: number, used: number, psk: Uint8Array | undefined, server: Uint8Array | undefined, id: string | undefined): void {
    encodeSlot(this.payload.fill(0), kind, used, psk, server, id);
    this.append(slot, this.payload);
  }

  /** The commit write of a mutation. A flash failure leaves RAM untouched and forces a remount. */
  private append(key: number, payload: Uint8Array): void {
    try {
      this.journal.append(key, payload, this.snapshot);
    } catch (e) {
      this.stale = true;
      throw e;
    }
  }

  private readDecoded<T>(location: number, decode: (p: Uint8Array) => T | undefined): T | undefined {
    this.journal.readPayload(location, this.payload);
    return decode(this.payload);
  }

  /** After a failed flash operation, re-read the flash so RAM matches what is stored. */
  private fresh(): void {
    if (!this.stale) return;
    this.load();
    this.stale = false;
  }
}

// ---- payload codecs (pure; a payload that does not decode is treated as damaged) ----------------

function encodeSlot(p: Uint8Array, kind: number, used: number, psk: Uint8Array | undefined, server: Uint8Array | undefined, id: string | undefined): void {
  p[0] = TAG_SLOT;
  p[1] = kind;
  p[2] = used;
  if (psk) p.set(psk, 4);
  if (server) p.set(server, 36);
  const raw = id === undefined ? undefined : decodeKeyId(id);
  if (raw) p.set(raw, 68);
}

function zeroFrom(p: Uint8Array, from: number): boolean {
  for (let i = from; i < p.length; i++) if (p[i] !== 0) return false;
  return true;
}

function allZero(p: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (p[i] !== 0) return false;
  return true;
}

/** The RAM table: per slot kind, used, secrets (PSK, server key) and psk_id. */
interface Table {
  kinds: Uint8Array;
  used: Uint8Array;
  secrets: Uint8Array;
  ids: (string | undefined)[];
}

/** Decode a slot payload into the table at `slot`; false when it is not a well-formed slot. */
function decodeSlot(p: Uint8Array, slot: number, t: Table): boolean {
  const kind = p[1];
  if (p[0] !== TAG_SLOT || kind > KIND_SHARED || p[2] > 1 || p[3] !== 0 || !zeroFrom(p, 100)) return false;
  if (kind === KIND_EMPTY) return allZero(p, 2, 100);
  if (kind === KIND_SHARED && !allZero(p, 36, 68)) return false;
  t.kinds[slot] = kind;
  t.used[slot] = p[2];
  t.secrets.set(p.subarray(4, 68), slot * SECRET_BYTES);
  t.ids[slot] = base64urlEncode(p.subarray(68, 100));
  return true;
}

function decodeIdentity(p: Uint8Array): KeyPair | undefined {
  if (p[0] !== TAG_IDENTITY || !allZero(p, 1, 4) || !zeroFrom(p, 68)) return undefined;
  return { privateKey: p.slice(4, 36), publicKey: p.slice(36, 68) };
}

function decodeConfig(p: Uint8Array): Config | undefined {
  const flags = p[1];
  const staticDelayMs = (p[4] << 8) | p[5];
  const staticPin = p[6] * 16777216 + ((p[7] << 16) | (p[8] << 8) | p[9]);
  const hasLast = (flags & F_LAST_PLAYBACK) !== 0;
  if (p[0] !== TAG_CONFIG || (flags & ~KNOWN_FLAGS) !== 0 || p[2] < 4 || p[2] > 12 || staticDelayMs > 5000 || staticPin >= PIN_LIMIT || !zeroFrom(p, 74)) return undefined;
  if (!hasLast && !allZero(p, 42, 74)) return undefined;
  return { flags, minPinLength: p[2], recordModeSlot: p[3], staticDelayMs, staticPin, pairingPsk: p.slice(10, 42), lastPlayback: hasLast ? p.slice(42, 74) : null };
}

function sameConfig(a: Config, b: Config): boolean {
  return (
    a.flags === b.flags &&
    a.minPinLength === b.minPinLength &&
    a.recordModeSlot === b.recordModeSlot &&
    a.staticDelayMs === b.staticDelayMs &&
    a.staticPin === b.staticPin &&
    bytesEqual(a.pairingPsk, b.pairingPsk) &&
    (a.lastPlayback === null ? b.lastPlayback === null : b.lastPlayback !== null && bytesEqual(a.lastPlayback, b.lastPlayback))
  );
}

function pad8(pin: number): string {
  let s = String(pin);
  while (s.length < 8) s = "0" + s;
  return s;
}

/**
 * Move the records of a `from`-slot table into a `to`-slot one (kept in place when possible, else the
 * lowest free slot); undefined when they do not fit. record_mode follows its record.
 */
function relocate(t: Table, from: number, to: number, config: Config): { table: Table; config: Config } | undefined {
  const out: Table = { kinds: new Uint8Array(to), used: new Uint8Array(to), secrets: new Uint8Array(to * SECRET_BYTES), ids: new Array<string | undefined>(to).fill(undefined) };
  let recordModeSlot = NO_SLOT;
  const place = (src: number, dst: number) => {
    out.kinds[dst] = t.kinds[src];
    out.used[dst] = t.used[src];
    out.secrets.set(t.secrets.subarray(src * SECRET_BYTES, (src + 1) * SECRET_BYTES), dst * SECRET_BYTES);
    out.ids[dst] = t.ids[src];
    if (src === config.recordModeSlot) recordModeSlot = dst;
  };
  for (let i = 0; i < Math.min(from, to); i++) if (t.kinds[i] !== KIND_EMPTY) place(i, i);
  for (let i = to; i < from; i++) {
    if (t.kinds[i] === KIND_EMPTY) continue;
    let dst = 0;
    while (dst < to && out.kinds[dst] !== KIND_EMPTY) dst++;
    if (dst === to) return undefined;
    place(i, dst);
  }
  return { table: out, config: { ...config, recordModeSlot } };
}
