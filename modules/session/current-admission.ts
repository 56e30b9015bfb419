// Admissibility of a current-revision server/activate (sendspin-spec-current.md §server/activate): the
// allowed activity sets per matched PSK, playback capability, and the reply the first failing rule
// selects. The baseline's rules are admission.ts; the PSK categories are the same.

import type { CodeFormat, CurrentActivity, CurrentActivate, CurrentPairMethod } from "../protocol/current-messages.js";
import type { GoodbyeReason } from "../protocol/names.js";
import type { PskCategory } from "./admission.js";

/**
 *   long-term PSK        : [] or ['playback']
 *   pairing / Sentinel   : [], ['pairing'], and with unpaired access ['playback'], ['playback', 'pairing']
 */
export function isAllowedSetCurrent(category: PskCategory, activities: readonly CurrentActivity[] | null, unpairedAccess: boolean): boolean {
  if (activities === null) return false;
  const playback = activities.indexOf("playback") >= 0;
  const pairing = activities.indexOf("pairing") >= 0;
  if (category === "long_term") return !pairing;
  return !playback || unpairedAccess;
}

export function isPlaybackCapableCurrent(category: PskCategory, activities: readonly CurrentActivity[] | null, unpairedAccess: boolean): boolean {
  if (activities === null) return false;
  const extended = activities.indexOf("playback") >= 0 ? activities : [...activities, "playback" as CurrentActivity];
  return isAllowedSetCurrent(category, extended, unpairedAccess);
}

export interface CurrentActivationInput {
  readonly category: PskCategory;
  readonly unpairedAccess: boolean;
  readonly activate: CurrentActivate;
  /** Whether this is the connection's first activation (a missing active_roles then means []). */
  readonly first: boolean;
  /** The roles persisting from earlier activations (used when the message omits active_roles). */
  readonly persistedRoles: readonly string[];
  /** What this connection's client/hello offered. */
  readonly offeredMethods: readonly CurrentPairMethod[];
  readonly offeredFormats: readonly CodeFormat[];
}

export type CurrentVerdict =
  | { readonly admissible: true; readonly roles: readonly string[] }
  | { readonly admissible: false; readonly message: "goodbye"; readonly reason: GoodbyeReason }
  | { readonly admissible: false; readonly message: "pair_abort"; readonly reason: "method_not_supported" };

/**
 * The effective roles: the message's list; else, when omitted, [] on a first activation, the persisted list
 * on a playback-capable connection, and [] (not an error) on one that is no longer playback-capable.
 */
function effectiveRoles(a: CurrentActivationInput, unpairedAccess: boolean): readonly string[] | null {
  const r = a.activate.activeRoles;
  if (r === null) return null;
  if (r !== undefined) return r;
  if (a.first) return [];
  return isPlaybackCapableCurrent(a.category, a.activate.activities, unpairedAccess) ? a.persistedRoles : [];
}

function methodAcceptable(a: CurrentActivationInput): boolean {
  const m = a.activate.method;
  if (m === "absent" || m === "unknown") return false;
  if ((m === "pairing_psk") !== (a.category === "pairing_psk")) return false;
  if (a.offeredMethods.indexOf(m) < 0) return false;
  if (m !== "dynamic_pairing_code") return true; // reading: a stray format on another method is ignored
  const f = a.activate.format;
  return f !== "absent" && f !== "unknown" && a.offeredFormats.indexOf(f) >= 0;
}

function admissible(a: CurrentActivationInput, unpairedAccess: boolean): readonly string[] | null {
  const acts = a.activate.activities;
  if (!isAllowedSetCurrent(a.category, acts, unpairedAccess)) return null;
  const roles = effectiveRoles(a, unpairedAccess);
  if (roles === null) return null;
  if (roles.length > 0 && !isPlaybackCapableCurrent(a.category, acts, unpairedAccess)) return null;
  if (acts!.indexOf("pairing") >= 0 && !methodAcceptable(a)) return null;
  return roles;
}

/**
 * The verdict, with the reply of the first rule that applies:
 *  1. unpaired session (pairing PSK or Sentinel), unpaired access off, and turning it on would admit it → goodbye pairing_required
 *  2. activities not an allowed set, or non-empty active_roles on a connection not playback-capable → goodbye unauthorized
 *  3. 'pairing' with a method or format the PSK disallows or the client does not offer → pair/abort method_not_supported (stays open)
 * Reading: anything else inadmissible (a malformed active_roles) is the general refusal, goodbye unauthorized.
 */
export function judgeActivationCurrent(a: CurrentActivationInput): CurrentVerdict {
  const roles = admissible(a, a.unpairedAccess);
  if (roles !== null) return { admissible: true, roles };
  if (a.category !== "long_term" && !a.unpairedAccess && admissible(a, true) !== null) return { admissible: false, message: "goodbye", reason: "pairing_required" };
  const acts = a.activate.activities;
  const r = a.activate.activeRoles;
  if (!isAllowedSetCurrent(a.category, acts, a.unpairedAccess) || (r && r.length > 0 && !isPlaybackCapableCurrent(a.category, acts, a.unpairedAccess))) {
    return { admissible: false, message: "goodbye", reason: "unauthorized" };
  }
  if (acts!.indexOf("pairing") >= 0 && !methodAcceptable(a)) return { admissible: false, message: "pair_abort", reason: "method_not_supported" };
  return { admissible: false, message: "goodbye", reason: "unauthorized" };
}
