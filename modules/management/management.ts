// Management requests (spec §Management): records and pairing config. Every request gets exactly one
// management/result; the session calls this only on a connection whose activities include
// 'management' (the session answers permission_denied otherwise) and that matched a long-term PSK.
// Requests are handled synchronously, so at most one is ever in flight per connection.
//
// Readings where the spec is silent:
//  - add-record of the Sentinel PSK is `invalid` (a public value cannot be a user-trust secret); of the
//    current pairing PSK, `already_exists` (the store's reading: it conflicts with an existing entry);
//  - set-pairing-config is validated entirely before anything is written, then applied in one atomic
//    settings update: a request is applied whole or not at all;
//  - a new pairing PSK equal to a stored record's PSK is `already_exists`; equal to the Sentinel, `invalid`;
//  - a storage error thrown by the flash layer is answered `storage_exhausted` (the change could not be
//    persisted) and never escapes.

import { pskId as computePskId, SENTINEL_PSK_ID } from "../../crypto/ids.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import type { SpeakerConfig } from "../config.js";
import type { PinLockout } from "../pairing/lockout.js";
import {
  buildManagementResult,
  pairingConfigData,
  recordsData,
  type ManagementRequest,
  type PairingConfigPatch,
} from "../protocol/management-messages.js";
import type { JsonObject } from "../protocol/json.js";
import type { ManagementResultCode } from "../protocol/names.js";
import type { RecordStore, SettingsPatch } from "../session/parts.js";

export interface ManagementContext {
  readonly store: RecordStore;
  readonly crypto: CryptoProvider;
  readonly config: SpeakerConfig;
  readonly lockout: PinLockout;
  /** psk_id of the long-term record this connection authenticated with. */
  readonly ownPskId: string;
  /** Called after pairing settings changed (the speaker refreshes caches, closes a window of a disabled method...). */
  readonly onConfigChanged: () => void;
  readonly log: (msg: string) => void;
}

export interface ManagementOutcome {
  /** The management/result envelope to send. */
  readonly result: JsonObject;
  /** The requester removed its own record: after the result, close with goodbye unauthorized. */
  readonly removedOwnRecord: boolean;
}

/** permission_denied: a management request outside a management activity (no storage accounting). */
export function permissionDenied(): JsonObject {
  return buildManagementResult("permission_denied", null, false);
}

export function handleManagement(req: ManagementRequest, ctx: ManagementContext): ManagementOutcome {
  let removedOwnRecord = false;
  let code: ManagementResultCode;
  let data: JsonObject | undefined;
  let full = false;
  try {
    switch (req.op) {
      case "list-records":
        full = true;
        code = "ok";
        data = recordsData(ctx.store.list().map((r) => ({ pskId: r.pskId, serverId: r.kind === "stored_pubkey" ? r.serverId : undefined, used: r.used })));
        break;
      case "get-pairing-config":
        full = true;
        code = "ok";
        data = pairingConfigData(configView(ctx));
        break;
      case "add-record":
        code = ctx.store.addRecord(req.psk, req.serverId);
        break;
      case "remove-record":
        code = ctx.store.removeRecord(req.pskId);
        removedOwnRecord = code === "ok" && req.pskId === ctx.ownPskId;
        break;
      case "set-pairing-config":
        code = setPairingConfig(req.patch, ctx);
        break;
      case "invalid":
        code = "invalid";
        break;
    }
  } catch (e) {
    ctx.log(`management: storage error: ${String(e)}`);
    code = "storage_exhausted";
    data = undefined;
  }
  let storage = null;
  try {
    storage = ctx.store.accounting();
  } catch {
    storage = null;
  }
  return { result: buildManagementResult(code, storage, full, data), removedOwnRecord };
}

function configView(ctx: ManagementContext) {
  const s = ctx.store.settings;
  return {
    pairingPskEnabled: s.pairingPskEnabled,
    staticPin: ctx.config.staticPin ? { enabled: s.staticPinEnabled, lockedOut: ctx.lockout.isLockedOut("static_pin") } : undefined,
    dynamicPin: ctx.config.dynamicPin ? { enabled: s.dynamicPinEnabled, minPinLength: s.minPinLength, lockedOut: ctx.lockout.isLockedOut("dynamic_pin") } : undefined,
    recordModePskId: s.recordModePskId,
    unpairedAccess: s.unpairedAccess,
  };
}

function setPairingConfig(p: PairingConfigPatch, ctx: ManagementContext): ManagementResultCode {
  // 1. validate everything against the device and the stored state
  if (p.staticPin && !ctx.config.staticPin) return "invalid";
  if (p.dynamicPin && !ctx.config.dynamicPin) return "invalid";
  if (p.recordModePskId !== undefined) {
    const rec = ctx.store.findByPskId(p.recordModePskId);
    if (!rec || rec.kind !== "shared_psk") return "invalid";
  }
  if (p.pairingPsk?.psk) {
    const id = computePskId(ctx.crypto, p.pairingPsk.psk);
    if (id === SENTINEL_PSK_ID) return "invalid";
    if (ctx.store.findByPskId(id)) return "already_exists";
  }
  // 2. apply in one atomic settings update
  const patch: SettingsPatch = {};
  if (p.pairingPsk?.enabled !== undefined) patch.pairingPskEnabled = p.pairingPsk.enabled;
  if (p.pairingPsk?.psk) patch.pairingPsk = p.pairingPsk.psk.slice();
  if (p.staticPin?.enabled !== undefined) patch.staticPinEnabled = p.staticPin.enabled;
  if (p.staticPin?.pin !== undefined) patch.staticPin = p.staticPin.pin;
  if (p.dynamicPin?.enabled !== undefined) patch.dynamicPinEnabled = p.dynamicPin.enabled;
  if (p.dynamicPin?.minPinLength !== undefined) patch.minPinLength = p.dynamicPin.minPinLength;
  if (p.recordModePskId !== undefined) patch.recordModePskId = p.recordModePskId;
  if (p.unpairedAccess !== undefined) patch.unpairedAccess = p.unpairedAccess;
  if (Object.keys(patch).length > 0) {
    const r = ctx.store.updateSettings(patch);
    if (r !== "ok") return r; // the store's own validation agrees with the checks above; never half-applied
  }
  // 3. RAM state (lockout) once the persisted part succeeded
  if (p.staticPin?.clearLockout) ctx.lockout.clear("static_pin");
  if (p.dynamicPin?.clearLockout) ctx.lockout.clear("dynamic_pin");
  ctx.onConfigChanged();
  return "ok";
}
