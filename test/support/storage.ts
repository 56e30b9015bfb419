// Storage test support (pure ECMAScript, runs in XS): a reference model of the Store's observable state,
// random mutations, and helpers to mount a Store on an emulated flash. The model is deliberately simple
// (arrays and strings, no flash): the tests check the real Store against it after every power cut.

import { keyId, pskId, SENTINEL_PSK_ID } from "../../crypto/ids.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { toHex } from "../../modules/util/bytes.js";
import { MemoryFlash } from "../../storage/flash-memory.js";
import { Store, type PairingRecord, type SettingsPatch, type StoreDefaults } from "../../storage/store.js";
import { SeededRandom } from "./random.js";

export const DEFAULTS: StoreDefaults = { staticPinEnabled: true, dynamicPinEnabled: true, minPinLength: 6, unpairedAccess: false };

/** A flash geometry and table size to test with. */
export interface Geometry {
  name: string;
  blockSize: number;
  blocks: number;
  slots: number;
}

/** Small blocks: compaction spans two blocks and comes every few mutations (stress). */
export const SMALL: Geometry = { name: "1 KiB blocks x5, 5 slots", blockSize: 1024, blocks: 5, slots: 5 };
/** The device's geometry: 4 KiB blocks, a 16 KiB partition, the default 8 slots. */
export const DEVICE: Geometry = { name: "4 KiB blocks x4, 8 slots", blockSize: 4096, blocks: 4, slots: 8 };

export interface Rig {
  random: SeededRandom;
  crypto: CryptoProvider;
  logs: string[];
  mount(flash: MemoryFlash): Store;
  blank(): MemoryFlash;
}

export function rig(g: Geometry, seed: number): Rig {
  const random = new SeededRandom(seed);
  const crypto = createPortableCrypto(random);
  const logs: string[] = [];
  return {
    random,
    crypto,
    logs,
    mount: (flash) => Store.mount(flash, { slots: g.slots, crypto, defaults: DEFAULTS, log: (m) => logs.push(m) }),
    blank: () => new MemoryFlash({ blockSize: g.blockSize, blocks: g.blocks, random }),
  };
}

// ---- the observable state ------------------------------------------------------------------------

export interface RecordView {
  pskId: string;
  kind: string;
  psk: string;
  serverId: string | null;
  used: boolean;
}

export interface SettingsView {
  privateKey: string;
  publicKey: string;
  pairingPsk: string;
  staticPin: string;
  pairingPskEnabled: boolean;
  staticPinEnabled: boolean;
  dynamicPinEnabled: boolean;
  minPinLength: number;
  recordModePskId: string | null;
  unpairedAccess: boolean;
  staticDelayMs: number;
  lastPlaybackServerId: string | null;
}

/** Records in slot order (null = empty slot) and settings: everything a caller can observe. */
export interface StoreView {
  slots: (RecordView | null)[];
  settings: SettingsView;
}

function recordView(r: PairingRecord): RecordView {
  return { pskId: r.pskId, kind: r.kind, psk: toHex(r.psk), serverId: r.serverId ?? null, used: r.used };
}

/** The Store's observable state, with empty slots placed by free-slot accounting (list is in slot order). */
export function viewOf(store: Store): StoreView {
  const s = store.settings;
  const records = store.list().map(recordView);
  const capacity = store.accounting().capacity;
  // Slot positions are not observable directly; the model places records the same way (lowest free slot),
  // so comparing the ordered list plus the capacity is exact.
  const slots: (RecordView | null)[] = records.slice();
  while (slots.length < capacity) slots.push(null);
  return {
    slots,
    settings: {
      privateKey: toHex(s.identity.privateKey),
      publicKey: toHex(s.identity.publicKey),
      pairingPsk: toHex(s.pairingPsk),
      staticPin: s.staticPin,
      pairingPskEnabled: s.pairingPskEnabled,
      staticPinEnabled: s.staticPinEnabled,
      dynamicPinEnabled: s.dynamicPinEnabled,
      minPinLength: s.minPinLength,
      recordModePskId: s.recordModePskId,
      unpairedAccess: s.unpairedAccess,
      staticDelayMs: s.staticDelayMs,
      lastPlaybackServerId: s.lastPlaybackServerId,
    },
  };
}

/** A canonical string of a view: two states are equal exactly when their keys are. */
export function stateKey(v: StoreView): string {
  return JSON.stringify({ r: v.slots.filter((x) => x !== null), n: v.slots.length, s: v.settings });
}

/**
 * The same, ignoring the order of the records: for a model built from a mounted store whose slot table has
 * holes the view cannot show (the Store fills the lowest free slot; the model cannot know which it is).
 */
export function unorderedStateKey(v: StoreView): string {
  const records = v.slots.filter((x) => x !== null).map((x) => JSON.stringify(x)).sort();
  return JSON.stringify({ r: records, n: v.slots.length, s: v.settings });
}

// ---- mutations and the reference model -----------------------------------------------------------

export type Mutation =
  | { op: "add"; psk: Uint8Array; serverId?: string }
  /** The current revision's pairing: replace the server's record, else a free slot, else evict (Store.pairRecord). */
  | { op: "pair"; psk: Uint8Array; serverId: string; inUse: readonly string[] }
  | { op: "remove"; pskId: string }
  | { op: "used"; pskId: string }
  | { op: "settings"; patch: SettingsPatch };

export function describeMutation(m: Mutation): string {
  if (m.op === "add") return m.serverId ? "add stored-pubkey record" : "add shared-PSK record";
  if (m.op === "pair") return "pair (current revision)";
  if (m.op === "remove") return "remove record";
  if (m.op === "used") return "mark record used";
  return "settings " + Object.keys(m.patch).join("+");
}

export function applyToStore(store: Store, m: Mutation): string {
  if (m.op === "add") return store.addRecord(m.psk, m.serverId);
  if (m.op === "pair") return store.pairRecord(m.psk, m.serverId, (id) => m.inUse.indexOf(id) >= 0).result;
  if (m.op === "remove") return store.removeRecord(m.pskId);
  if (m.op === "used") {
    store.markUsed(m.pskId);
    return "ok";
  }
  return store.updateSettings(m.patch);
}

/** The reference model: the Store's documented semantics over plain data. Returns [result, next state]. */
export function applyToModel(crypto: CryptoProvider, v: StoreView, m: Mutation): [string, StoreView] {
  const slots = v.slots.map((r) => (r ? { ...r } : null));
  const settings = { ...v.settings };
  const next = (): StoreView => ({ slots, settings });
  const slotOf = (id: string) => slots.findIndex((r) => r !== null && r.pskId === id);
  if (m.op === "add") {
    if (m.psk.length !== 32) return ["invalid", v];
    const id = pskId(crypto, m.psk);
    if (id === SENTINEL_PSK_ID) return ["invalid", v];
    if (slotOf(id) >= 0 || id === pskId(crypto, fromHexLoose(settings.pairingPsk))) return ["already_exists", v];
    const free = slots.indexOf(null);
    if (free < 0) return ["storage_exhausted", v];
    slots[free] = { pskId: id, kind: m.serverId ? "stored_pubkey" : "shared_psk", psk: toHex(m.psk), serverId: m.serverId ?? null, used: false };
    return ["ok", next()];
  }
  if (m.op === "pair") {
    // The documented policy: the server's own record (first in slot order) is replaced; else the lowest free
    // slot; else the eviction victim: never the record_mode target or a record in use; stored-pubkey before
    // shared-PSK, never-used before used, then (no use recorded in this boot) the lowest slot.
    if (m.psk.length !== 32) return ["invalid", v];
    const id = pskId(crypto, m.psk);
    if (id === SENTINEL_PSK_ID) return ["invalid", v];
    if (slotOf(id) >= 0 || id === pskId(crypto, fromHexLoose(settings.pairingPsk))) return ["already_exists", v];
    let at = slots.findIndex((r) => r !== null && r.kind === "stored_pubkey" && r.serverId === m.serverId);
    if (at < 0) at = slots.indexOf(null);
    if (at < 0) {
      let bestRank = Infinity;
      slots.forEach((r, i) => {
        if (!r || r.pskId === settings.recordModePskId || m.inUse.indexOf(r.pskId) >= 0) return;
        const rank = (r.kind === "shared_psk" ? 2 : 0) * 4 + (r.used ? 1 : 0);
        if (rank < bestRank) {
          bestRank = rank;
          at = i;
        }
      });
    }
    if (at < 0) return ["storage_exhausted", v];
    slots[at] = { pskId: id, kind: "stored_pubkey", psk: toHex(m.psk), serverId: m.serverId, used: false };
    return ["ok", next()];
  }
  if (m.op === "remove") {
    const s = slotOf(m.pskId);
    if (s < 0) return ["not_found", v];
    if (settings.recordModePskId === m.pskId) return ["invalid", v];
    slots[s] = null;
    return ["ok", next()];
  }
  if (m.op === "used") {
    const s = slotOf(m.pskId);
    if (s >= 0) (slots[s] as RecordView).used = true;
    return ["ok", next()];
  }
  const p = m.patch;
  if (p.pairingPsk !== undefined) {
    const id = pskId(crypto, p.pairingPsk);
    if (id === SENTINEL_PSK_ID || p.pairingPsk.length !== 32) return ["invalid", v];
    if (slotOf(id) >= 0) return ["already_exists", v];
  }
  if (p.staticPin !== undefined && !/^[0-9]{8}$/.test(p.staticPin)) return ["invalid", v];
  if (p.minPinLength !== undefined && !(Number.isInteger(p.minPinLength) && p.minPinLength >= 4 && p.minPinLength <= 12)) return ["invalid", v];
  if (p.staticDelayMs !== undefined && !(Number.isInteger(p.staticDelayMs) && p.staticDelayMs >= 0 && p.staticDelayMs <= 5000)) return ["invalid", v];
  if (p.recordModePskId !== undefined) {
    const s = p.recordModePskId === null ? -1 : slotOf(p.recordModePskId);
    if (s < 0 || (slots[s] as RecordView).kind !== "shared_psk") return ["invalid", v];
  }
  if (p.pairingPsk !== undefined) settings.pairingPsk = toHex(p.pairingPsk);
  if (p.staticPin !== undefined) settings.staticPin = p.staticPin;
  if (p.pairingPskEnabled !== undefined) settings.pairingPskEnabled = p.pairingPskEnabled;
  if (p.staticPinEnabled !== undefined) settings.staticPinEnabled = p.staticPinEnabled;
  if (p.dynamicPinEnabled !== undefined) settings.dynamicPinEnabled = p.dynamicPinEnabled;
  if (p.unpairedAccess !== undefined) settings.unpairedAccess = p.unpairedAccess;
  if (p.minPinLength !== undefined) settings.minPinLength = p.minPinLength;
  if (p.staticDelayMs !== undefined) settings.staticDelayMs = p.staticDelayMs;
  if (p.recordModePskId !== undefined) settings.recordModePskId = p.recordModePskId;
  if (p.lastPlaybackServerId !== undefined) settings.lastPlaybackServerId = p.lastPlaybackServerId;
  return ["ok", next()];
}

function fromHexLoose(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function randomKeyId(r: SeededRandom): string {
  return keyId(r.bytes(32));
}

function randomPin(r: SeededRandom): string {
  let s = "";
  for (let i = 0; i < 8; i++) s += String(r.below(10));
  return s;
}

/**
 * A random mutation for the state `v`: mostly valid ones (adds until full, removes, used flags, every
 * settings field), some refused ones (duplicates, record_mode target, unknown ids, out-of-range values).
 */
export function randomMutation(r: SeededRandom, v: StoreView): Mutation {
  const records = v.slots.filter((x): x is RecordView => x !== null);
  const pick = () => records[r.below(records.length)];
  const roll = r.below(100);
  if (roll < 22) return r.below(3) === 0 ? { op: "add", psk: r.bytes(32) } : { op: "add", psk: r.bytes(32), serverId: randomKeyId(r) };
  if (roll < 25 && records.length > 0) return { op: "add", psk: fromHexLoose(pick().psk) }; // already_exists
  if (roll < 42 && records.length > 0) return { op: "remove", pskId: pick().pskId };
  if (roll < 44) return { op: "remove", pskId: randomKeyId(r) }; // not_found
  if (roll < 56 && records.length > 0) return { op: "used", pskId: pick().pskId };
  const patch: { -readonly [K in keyof SettingsPatch]: SettingsPatch[K] } = {};
  const fields = 1 + r.below(3);
  for (let i = 0; i < fields; i++) {
    switch (r.below(11)) {
      case 0: patch.staticDelayMs = r.below(5001); break;
      case 1: patch.minPinLength = 4 + r.below(9); break;
      case 2: patch.pairingPskEnabled = r.below(2) === 0; break;
      case 3: patch.staticPinEnabled = r.below(2) === 0; break;
      case 4: patch.dynamicPinEnabled = r.below(2) === 0; break;
      case 5: patch.unpairedAccess = r.below(2) === 0; break;
      case 6: patch.lastPlaybackServerId = r.below(4) === 0 ? null : randomKeyId(r); break;
      case 7: patch.staticPin = randomPin(r); break;
      case 8: patch.pairingPsk = r.bytes(32); break;
      case 9: {
        const shared = records.filter((x) => x.kind === "shared_psk");
        patch.recordModePskId = shared.length > 0 && r.below(4) !== 0 ? shared[r.below(shared.length)].pskId : records.length > 0 ? pick().pskId : randomKeyId(r);
        break;
      }
      default: patch.staticDelayMs = r.below(2) === 0 ? 5001 + r.below(100) : -1 - r.below(5); // invalid
    }
  }
  return { op: "settings", patch };
}

// ---- flash step tracing (which operation a cut at step n strikes) --------------------------------

export interface FlashOp {
  erase: boolean;
  /** Bytes of a write. */
  length: number;
}

/** A FlashPort that records every mutating operation it passes to `inner`. */
export class TracingFlash {
  readonly ops: FlashOp[] = [];
  readonly blockSize: number;
  readonly byteLength: number;
  constructor(readonly inner: MemoryFlash) {
    this.blockSize = inner.blockSize;
    this.byteLength = inner.byteLength;
  }
  read(offset: number, length: number, into?: Uint8Array): Uint8Array {
    return this.inner.read(offset, length, into);
  }
  write(offset: number, data: Uint8Array): void {
    this.ops.push({ erase: false, length: data.length });
    this.inner.write(offset, data);
  }
  eraseBlock(index: number): void {
    this.ops.push({ erase: true, length: 0 });
    this.inner.eraseBlock(index);
  }
}
