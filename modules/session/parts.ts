// What the sessions need from the parts they compose: a narrow view of the `Store` (storage/store.ts) and
// the `Player` (modules/player/player.ts), so the session code depends on nothing else of theirs. Store
// mutations may throw when the flash itself fails; callers catch that where they can answer
// (management: storage_exhausted; pairing: pair/abort).

import type { Revision } from "../protocol/revision.js";
import type { PairingRecord, RecordKind, Settings, SettingsPatch, Store } from "../../storage/store.js";

export type { RecordKind, SettingsPatch };
export type PairingRecordView = PairingRecord;
export type SessionSettings = Settings;

/**
 * The Store as the sessions use it: only these members (tests substitute views of the same shape, e.g. a
 * store without a record_mode fallback). Mutations may throw when the flash fails.
 */
export type RecordStore = Pick<Store, "findByPskId" | "list" | "addRecord" | "removeRecord" | "markUsed" | "accounting" | "settings" | "updateSettings" | "pairRecord" | "noteUse">;

/** The Player as the sessions drive it (one instance per speaker; one admitted connection owns it). */
export interface PlayerPart {
  supportObject(): Record<string, unknown>;
  /** `revision`: the wire revision of the connection that owns the role (default baseline). */
  activate(revision?: Revision): void;
  deactivate(): void;
  onMessage(type: string, payload: unknown): void;
  onAudioChunk(data: Uint8Array): boolean;
}
