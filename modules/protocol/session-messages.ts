// Messages that set a session up and tear it down: server/hello, client/hello, server/activate,
// client/goodbye, server/unpair (spec §Core messages).

import { envelope } from "./envelope.js";
import { own, readString } from "./fields.js";
import type { JsonObject } from "./json.js";
import { ACTIVITIES, MSG, PAIR_METHODS, type Activity, type GoodbyeReason, type PairMethod, type TrustLevel } from "./names.js";

// ---------------------------------------------------------------- server/hello

/** Longest server name kept (it only reaches logs and events). */
const MAX_SERVER_NAME_CHARS = 256;

/** server/hello: `name` is required and must be a string. */
export function parseServerHello(p: JsonObject): { name: string } | undefined {
  const name = readString(p, "name", MAX_SERVER_NAME_CHARS);
  return name === undefined ? undefined : { name };
}

// ---------------------------------------------------------------- client/hello

export interface PairMethodDescriptor {
  readonly method: PairMethod;
  /** dynamic_pin only. */
  readonly outChannels?: readonly string[];
  /** dynamic_pin only (required there). */
  readonly minPinLength?: number;
  /** PIN methods only. */
  readonly lockedOut?: boolean;
}

export interface ClientHelloInfo {
  readonly name: string;
  readonly productName: string;
  readonly manufacturer: string;
  readonly softwareVersion: string;
  readonly trust: TrustLevel;
  readonly supportedRoles: readonly string[];
  /** player@v1_support, from the Player (present exactly when player@v1 is listed). */
  readonly playerSupport?: Record<string, unknown>;
  readonly pairMethods: readonly PairMethodDescriptor[];
  readonly unpairedAccess: boolean;
}

export function buildClientHello(h: ClientHelloInfo): JsonObject {
  const payload: JsonObject = {
    name: h.name,
    device_info: { product_name: h.productName, manufacturer: h.manufacturer, software_version: h.softwareVersion },
    trust_level: h.trust,
    supported_roles: h.supportedRoles.slice(),
  };
  if (h.playerSupport) payload["player@v1_support"] = h.playerSupport;
  payload.supported_pair_methods = h.pairMethods.map(descriptor);
  payload.unpaired_access = { enabled: h.unpairedAccess };
  return envelope(MSG.clientHello, payload);
}

function descriptor(d: PairMethodDescriptor): JsonObject {
  const o: JsonObject = { method: d.method };
  if (d.outChannels) o.out_channels = d.outChannels.slice();
  if (d.minPinLength !== undefined) o.min_pin_length = d.minPinLength;
  if (d.lockedOut !== undefined) o.locked_out = d.lockedOut;
  return o;
}

// ---------------------------------------------------------------- server/activate

/** Bounds on active_roles (a server activates at most one version per role family). */
const MAX_ACTIVE_ROLES = 16;
const MAX_ROLE_CHARS = 64;

export interface ServerActivate {
  /** The declared set, or null when it is not a set of known activities (wrong type, unknown or duplicate member). */
  readonly activities: readonly Activity[] | null;
  /** Absent (undefined), a valid list, or null when present but malformed. */
  readonly activeRoles: readonly string[] | undefined | null;
  /** "absent" when the field is missing; "unknown" when present but not a method name. */
  readonly selectedPairMethod: PairMethod | "absent" | "unknown";
}

/**
 * server/activate, parsed without judging admissibility (session/admission.ts does that). Every value is
 * representable, so that a malformed activation still gets the close reason the spec's rules select.
 */
export function parseServerActivate(p: JsonObject): ServerActivate {
  return { activities: parseActivities(own(p, "activities")), activeRoles: parseRoles(p), selectedPairMethod: parseMethod(own(p, "selected_pair_method")) };
}

function parseActivities(v: unknown): Activity[] | null {
  return parseActivitySet(v, ACTIVITIES);
}

/** A set of activities drawn from `known` (both revisions): null for a wrong type, an unknown or a duplicate member. */
export function parseActivitySet<A extends string>(v: unknown, known: readonly A[]): A[] | null {
  if (!Array.isArray(v) || v.length > known.length) return null;
  const out: A[] = [];
  for (const a of v) {
    if (typeof a !== "string" || known.indexOf(a as A) < 0 || out.indexOf(a as A) >= 0) return null;
    out.push(a as A);
  }
  return out;
}

/** active_roles (both revisions): absent (undefined), a valid list, or null when present but malformed. */
export function parseRoles(p: JsonObject): string[] | undefined | null {
  const v = own(p, "active_roles");
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > MAX_ACTIVE_ROLES) return null;
  for (const r of v) if (typeof r !== "string" || r.length === 0 || r.length > MAX_ROLE_CHARS) return null;
  return v as string[];
}

function parseMethod(v: unknown): PairMethod | "absent" | "unknown" {
  if (v === undefined) return "absent";
  return typeof v === "string" && PAIR_METHODS.indexOf(v as PairMethod) >= 0 ? (v as PairMethod) : "unknown";
}

// ---------------------------------------------------------------- client/goodbye

export function buildGoodbye(reason: GoodbyeReason): JsonObject {
  return envelope(MSG.clientGoodbye, { reason });
}
