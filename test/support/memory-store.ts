// Test double of storage/store.ts's Store for the session tests, with its documented semantics (a
// fixed number of slots, psk_id index, record_mode reference check, atomic settings patch), kept in RAM.
// Tests only: the product always runs the real Store.

import { generateKeyPair, pskId as computePskId } from "../../crypto/ids.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import type { PairingRecordView, RecordStore, SessionSettings, SettingsPatch } from "../../modules/session/parts.js";

export class MemoryStore implements RecordStore {
  private records: PairingRecordView[] = [];
  settings: SessionSettings;
  writes = 0;

  constructor(
    private readonly crypto: CryptoProvider,
    readonly slots = 5,
    defaults: Partial<SessionSettings> = {},
  ) {
    const pairingPsk = new Uint8Array(32);
    crypto.randomBytes(pairingPsk);
    this.settings = {
      identity: generateKeyPair(crypto),
      pairingPsk,
      staticPin: "12345678",
      pairingPskEnabled: true,
      staticPinEnabled: true,
      dynamicPinEnabled: true,
      minPinLength: 6,
      recordModePskId: "",
      unpairedAccess: false,
      lastPlaybackServerId: null,
      ...defaults,
    };
  }

  findByPskId(pskId: string): PairingRecordView | undefined {
    return this.records.find((r) => r.pskId === pskId);
  }

  list(): readonly PairingRecordView[] {
    return this.records.slice();
  }

  addRecord(psk: Uint8Array, serverId?: string): "ok" | "already_exists" | "storage_exhausted" {
    const id = computePskId(this.crypto, psk);
    if (this.findByPskId(id)) return "already_exists";
    if (this.records.length >= this.slots) return "storage_exhausted";
    this.records.push({ pskId: id, kind: serverId === undefined ? "shared_psk" : "stored_pubkey", psk: psk.slice(), serverId, used: false });
    this.writes++;
    return "ok";
  }

  removeRecord(pskId: string): "ok" | "not_found" | "invalid" {
    const i = this.records.findIndex((r) => r.pskId === pskId);
    if (i < 0) return "not_found";
    if (this.settings.recordModePskId === pskId) return "invalid";
    this.records.splice(i, 1);
    this.writes++;
    return "ok";
  }

  markUsed(pskId: string): void {
    const i = this.records.findIndex((r) => r.pskId === pskId);
    if (i >= 0 && !this.records[i].used) {
      this.records[i] = { ...this.records[i], used: true };
      this.writes++;
    }
  }

  accounting() {
    return { free: this.slots - this.records.length, capacity: this.slots, cost_individual: 1, cost_shared: 1 };
  }

  updateSettings(patch: SettingsPatch): void {
    this.settings = { ...this.settings, ...patch };
    this.writes++;
  }

  /** A snapshot for "unchanged" assertions. */
  snapshot(): string {
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    const s = this.settings;
    return JSON.stringify({
      records: this.records.map((r) => ({ ...r, psk: hex(r.psk) })),
      settings: { ...s, identity: hex(s.identity.publicKey), pairingPsk: hex(s.pairingPsk) },
    });
  }
}
