// What the sessions need from the parts they compose, as narrow structural interfaces: the real
// `Store` (storage/store.ts) and `Player` (modules/player/player.ts) satisfy them, and the session code
// depends on nothing else of theirs. Store mutations may throw when the flash itself fails; callers
// catch that at the point where they can answer (management: storage_exhausted; pairing: pair/abort).

import type { KeyPair } from "../../crypto/ids.js";

export type RecordKind = "stored_pubkey" | "shared_psk";

export interface PairingRecordView {
  readonly pskId: string;
  readonly kind: RecordKind;
  readonly psk: Uint8Array;
  readonly serverId?: string;
  readonly used: boolean;
}

/** Persisted settings the sessions read (storage/store.ts Settings). */
export interface SessionSettings {
  readonly identity: KeyPair;
  readonly pairingPsk: Uint8Array;
  readonly staticPin: string;
  readonly pairingPskEnabled: boolean;
  readonly staticPinEnabled: boolean;
  readonly dynamicPinEnabled: boolean;
  readonly minPinLength: number;
  /** The record_mode fallback shared-PSK record (null when none). */
  readonly recordModePskId: string | null;
  readonly unpairedAccess: boolean;
  readonly lastPlaybackServerId: string | null;
}

export type SettingsPatch = Partial<{
  pairingPsk: Uint8Array;
  staticPin: string;
  pairingPskEnabled: boolean;
  staticPinEnabled: boolean;
  dynamicPinEnabled: boolean;
  minPinLength: number;
  recordModePskId: string;
  unpairedAccess: boolean;
  lastPlaybackServerId: string | null;
}>;

/** Result of a store mutation (storage/store.ts). */
export type StoreResult = "ok" | "already_exists" | "storage_exhausted" | "invalid";

export interface RecordStore {
  findByPskId(pskId: string): PairingRecordView | undefined;
  list(): readonly PairingRecordView[];
  /** invalid: the Sentinel PSK or a malformed server_id; already_exists: a record's or the pairing PSK's psk_id. */
  addRecord(psk: Uint8Array, serverId?: string): "ok" | "already_exists" | "storage_exhausted" | "invalid";
  removeRecord(pskId: string): "ok" | "not_found" | "invalid";
  markUsed(pskId: string): void;
  accounting(): { free: number; capacity: number; cost_individual: number; cost_shared: number };
  readonly settings: Readonly<SessionSettings>;
  /** One atomic write; the store validates again (invalid / already_exists). May throw on a flash failure. */
  updateSettings(patch: SettingsPatch): "ok" | "invalid" | "already_exists";
}

/** The Player as the sessions drive it (one instance per speaker; one admitted connection owns it). */
export interface PlayerPart {
  supportObject(): Record<string, unknown>;
  activate(): void;
  deactivate(): void;
  onMessage(type: string, payload: unknown): void;
  onAudioChunk(data: Uint8Array): boolean;
}
