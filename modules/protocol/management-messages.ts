// Management requests and management/result (spec §Management).
//
// Readings: management payloads are strict. A request is state-changing or names secrets, so a key the
// spec does not define (including a misspelled one) makes it `invalid` rather than being ignored and
// answered `ok`. An unknown `management/*` type is also answered `invalid` (every management request
// gets exactly one result). `locked_out` accepts only `false`.

import { envelope } from "./envelope.js";
import { hasOwn, onlyKeys, own, readBool, readFixedBase64url, readInt, readObject } from "./fields.js";
import type { JsonObject } from "./json.js";
import { MANAGEMENT_REQUEST, MSG, PIN_LENGTH_MAX, PIN_LENGTH_MIN, STATIC_PIN_LENGTH, type ManagementResultCode } from "./names.js";

export interface MethodPatch {
  readonly enabled?: boolean;
  /** Only `locked_out: false` is representable: clear the failure counter and the lockout. */
  readonly clearLockout?: true;
}

export interface PairingConfigPatch {
  readonly pairingPsk?: { readonly enabled?: boolean; readonly psk?: Uint8Array };
  readonly staticPin?: MethodPatch & { readonly pin?: string };
  readonly dynamicPin?: MethodPatch & { readonly minPinLength?: number };
  readonly recordModePskId?: string;
  readonly unpairedAccess?: boolean;
}

export type ManagementRequest =
  | { readonly op: "list-records" }
  | { readonly op: "add-record"; readonly psk: Uint8Array; readonly serverId?: string; readonly serverKey?: Uint8Array }
  | { readonly op: "remove-record"; readonly pskId: string }
  | { readonly op: "get-pairing-config" }
  | { readonly op: "set-pairing-config"; readonly patch: PairingConfigPatch }
  | { readonly op: "invalid" };

const INVALID: ManagementRequest = { op: "invalid" };

/** A `management/*` message type? (The caller answers every one of them.) */
export function isManagementType(type: string): boolean {
  return type.length > 11 && type.slice(0, 11) === "management/" && type !== MSG.managementResult;
}

export function parseManagementRequest(type: string, p: JsonObject): ManagementRequest {
  switch (type) {
    case MANAGEMENT_REQUEST.listRecords:
      return onlyKeys(p, []) ? { op: "list-records" } : INVALID;
    case MANAGEMENT_REQUEST.getPairingConfig:
      return onlyKeys(p, []) ? { op: "get-pairing-config" } : INVALID;
    case MANAGEMENT_REQUEST.addRecord: {
      if (!onlyKeys(p, ["psk", "server_id"])) return INVALID;
      const psk = readFixedBase64url(p, "psk", 32);
      if (!psk) return INVALID;
      if (!hasOwn(p, "server_id")) return { op: "add-record", psk };
      const serverKey = readFixedBase64url(p, "server_id", 32);
      return serverKey ? { op: "add-record", psk, serverId: own(p, "server_id") as string, serverKey } : INVALID;
    }
    case MANAGEMENT_REQUEST.removeRecord: {
      if (!onlyKeys(p, ["psk_id"]) || !readFixedBase64url(p, "psk_id", 32)) return INVALID;
      return { op: "remove-record", pskId: own(p, "psk_id") as string };
    }
    case MANAGEMENT_REQUEST.setPairingConfig: {
      const patch = parsePatch(p);
      return patch ? { op: "set-pairing-config", patch } : INVALID;
    }
    default:
      return INVALID;
  }
}

function parsePatch(p: JsonObject): PairingConfigPatch | undefined {
  if (!onlyKeys(p, ["pairing_psk", "static_pin", "dynamic_pin", "record_mode", "unpaired_access"])) return undefined;
  const out: {
    pairingPsk?: { enabled?: boolean; psk?: Uint8Array };
    staticPin?: MethodPatch & { pin?: string };
    dynamicPin?: MethodPatch & { minPinLength?: number };
    recordModePskId?: string;
    unpairedAccess?: boolean;
  } = {};
  if (hasOwn(p, "pairing_psk")) {
    const o = readObject(p, "pairing_psk");
    if (!o || !onlyKeys(o, ["enabled", "psk"])) return undefined;
    const m: { enabled?: boolean; psk?: Uint8Array } = {};
    if (hasOwn(o, "enabled") && (m.enabled = readBool(o, "enabled")) === undefined) return undefined;
    if (hasOwn(o, "psk") && (m.psk = readFixedBase64url(o, "psk", 32)) === undefined) return undefined;
    out.pairingPsk = m;
  }
  if (hasOwn(p, "static_pin")) {
    const o = readObject(p, "static_pin");
    if (!o || !onlyKeys(o, ["enabled", "pin", "locked_out"])) return undefined;
    const m: MethodPatch & { pin?: string } = {};
    if (!readMethodCommon(o, m)) return undefined;
    if (hasOwn(o, "pin")) {
      const pin = own(o, "pin");
      if (!isDigits(pin, STATIC_PIN_LENGTH)) return undefined;
      m.pin = pin as string;
    }
    out.staticPin = m;
  }
  if (hasOwn(p, "dynamic_pin")) {
    const o = readObject(p, "dynamic_pin");
    if (!o || !onlyKeys(o, ["enabled", "min_pin_length", "locked_out"])) return undefined;
    const m: MethodPatch & { minPinLength?: number } = {};
    if (!readMethodCommon(o, m)) return undefined;
    if (hasOwn(o, "min_pin_length") && (m.minPinLength = readInt(o, "min_pin_length", PIN_LENGTH_MIN, PIN_LENGTH_MAX)) === undefined) return undefined;
    out.dynamicPin = m;
  }
  if (hasOwn(p, "record_mode")) {
    const o = readObject(p, "record_mode");
    if (!o || !onlyKeys(o, ["psk_id"]) || !readFixedBase64url(o, "psk_id", 32)) return undefined;
    out.recordModePskId = own(o, "psk_id") as string;
  }
  if (hasOwn(p, "unpaired_access")) {
    const o = readObject(p, "unpaired_access");
    if (!o || !onlyKeys(o, ["enabled"])) return undefined;
    if (hasOwn(o, "enabled") && (out.unpairedAccess = readBool(o, "enabled")) === undefined) return undefined;
  }
  return out;
}

function readMethodCommon(o: JsonObject, m: { enabled?: boolean; clearLockout?: true }): boolean {
  if (hasOwn(o, "enabled") && (m.enabled = readBool(o, "enabled")) === undefined) return false;
  if (hasOwn(o, "locked_out")) {
    if (own(o, "locked_out") !== false) return false;
    m.clearLockout = true;
  }
  return true;
}

function isDigits(v: unknown, n: number): boolean {
  if (typeof v !== "string" || v.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// ---------------------------------------------------------------- results

export interface StorageAccounting {
  readonly free: number;
  readonly capacity: number;
  readonly cost_individual: number;
  readonly cost_shared: number;
}

export interface RecordView {
  readonly pskId: string;
  readonly serverId?: string;
  readonly used: boolean;
}

export interface PairingConfigView {
  readonly pairingPskEnabled: boolean;
  /** Present when the device implements static_pin. */
  readonly staticPin?: { readonly enabled: boolean; readonly lockedOut: boolean };
  /** Present when the device implements dynamic_pin. */
  readonly dynamicPin?: { readonly enabled: boolean; readonly minPinLength: number; readonly lockedOut: boolean };
  /** The record_mode fallback, or null when none is configured. */
  readonly recordModePskId: string | null;
  readonly unpairedAccess: boolean;
}

/**
 * management/result. `storage` is the full accounting for list-records / get-pairing-config and `free`
 * alone otherwise (spec §Storage accounting); it is omitted on permission_denied.
 */
export function buildManagementResult(code: ManagementResultCode, storage: StorageAccounting | null, full: boolean, data?: JsonObject): JsonObject {
  const p: JsonObject = { result: code };
  if (data && code === "ok") p.data = data;
  if (storage && code !== "permission_denied") p.storage = full ? { free: storage.free, capacity: storage.capacity, cost_individual: storage.cost_individual, cost_shared: storage.cost_shared } : { free: storage.free };
  return envelope(MSG.managementResult, p);
}

export function recordsData(records: readonly RecordView[]): JsonObject {
  return {
    records: records.map((r) => {
      const o: JsonObject = { psk_id: r.pskId };
      if (r.serverId !== undefined) o.server_id = r.serverId;
      o.used = r.used;
      return o;
    }),
  };
}

export function pairingConfigData(c: PairingConfigView): JsonObject {
  const d: JsonObject = { pairing_psk: { enabled: c.pairingPskEnabled } };
  if (c.staticPin) d.static_pin = { enabled: c.staticPin.enabled, locked_out: c.staticPin.lockedOut };
  if (c.dynamicPin) d.dynamic_pin = { enabled: c.dynamicPin.enabled, min_pin_length: c.dynamicPin.minPinLength, locked_out: c.dynamicPin.lockedOut };
  d.record_mode = c.recordModePskId === null ? {} : { psk_id: c.recordModePskId };
  d.unpaired_access = { enabled: c.unpairedAccess };
  return d;
}
