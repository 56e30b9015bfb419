// Admissibility of server/activate (spec §server/activate): the allowed activity sets per matched PSK
// category, the playback-capable rule, and the close reason selected by the first rule that applies.
// Pure functions: the session feeds them what it knows and acts on the verdict.

import type { Activity, GoodbyeReason, PairMethod } from "../protocol/names.js";

/** Which kind of PSK the Noise handshake matched. */
export type PskCategory = "long_term" | "pairing_psk" | "sentinel";

/**
 * Is `activities` an allowed set for the category?
 *   long-term PSK : ['pairing'] or any subset of {playback, management}
 *   pairing PSK   : ['pairing']
 *   Sentinel PSK  : [], ['pairing'], ['playback'] (the last only with unpaired access)
 * null (malformed, unknown or duplicate members) is never allowed.
 */
export function isAllowedSet(category: PskCategory, activities: readonly Activity[] | null, unpairedAccess: boolean): boolean {
  if (activities === null) return false;
  const pairing = activities.indexOf("pairing") >= 0;
  if (pairing) return activities.length === 1;
  switch (category) {
    case "long_term":
      return true; // any subset of {playback, management}
    case "pairing_psk":
      return false;
    case "sentinel":
      return activities.length === 0 || (activities.length === 1 && activities[0] === "playback" && unpairedAccess);
  }
}

/** Playback-capable: `activities` extended with 'playback' is an allowed set. */
export function isPlaybackCapable(category: PskCategory, activities: readonly Activity[] | null, unpairedAccess: boolean): boolean {
  if (activities === null) return false;
  const extended = activities.indexOf("playback") >= 0 ? activities : [...activities, "playback" as Activity];
  return isAllowedSet(category, extended, unpairedAccess);
}

export interface ActivationInput {
  readonly category: PskCategory;
  readonly unpairedAccess: boolean;
  readonly activities: readonly Activity[] | null;
  /**
   * The effective active_roles: the message's list, else the list persisting from an earlier activation.
   * undefined: absent on the first activation (where it is required); null: present but malformed.
   */
  readonly activeRoles: readonly string[] | undefined | null;
  readonly selectedPairMethod: PairMethod | "absent" | "unknown";
  /** Methods listed in this session's client/hello supported_pair_methods. */
  readonly offeredMethods: readonly PairMethod[];
}

export type Verdict =
  | { readonly admissible: true }
  | { readonly admissible: false; readonly message: "goodbye"; readonly reason: GoodbyeReason }
  | { readonly admissible: false; readonly message: "pair_abort"; readonly reason: "method_not_supported" };

/** The pairing method is legal for the category and was offered. */
function methodAcceptable(category: PskCategory, method: PairMethod | "absent" | "unknown", offered: readonly PairMethod[]): boolean {
  if (method === "absent" || method === "unknown") return false;
  // selected_pair_method MUST be 'pairing_psk' if and only if the matched PSK is the pairing PSK
  if ((method === "pairing_psk") !== (category === "pairing_psk")) return false;
  return offered.indexOf(method) >= 0;
}

function admissible(a: ActivationInput, unpairedAccess: boolean): boolean {
  if (!isAllowedSet(a.category, a.activities, unpairedAccess)) return false;
  if (a.activeRoles === undefined || a.activeRoles === null) return false;
  if (a.activeRoles.length > 0 && !isPlaybackCapable(a.category, a.activities, unpairedAccess)) return false;
  const pairing = a.activities!.indexOf("pairing") >= 0;
  return pairing ? methodAcceptable(a.category, a.selectedPairMethod, a.offeredMethods) : a.selectedPairMethod === "absent";
}

/**
 * The verdict on one server/activate, with the close reason of the first rule that applies:
 *  1. Sentinel PSK, unpaired access off, and enabling it would make the activation admissible → goodbye pairing_required
 *  2. activities not an allowed set, or non-empty active_roles on a connection not playback-capable → goodbye unauthorized
 *  3. 'pairing' with a selected_pair_method the PSK disallows or the client did not offer → pair/abort method_not_supported
 * Reading: an activation that none of the three rules covers but that is still not admissible
 * (active_roles missing on the first activation or not a list of strings, selected_pair_method present
 * without 'pairing') is refused with goodbye unauthorized, the general refusal.
 */
export function judgeActivation(a: ActivationInput): Verdict {
  if (admissible(a, a.unpairedAccess)) return { admissible: true };
  if (a.category === "sentinel" && !a.unpairedAccess && admissible(a, true)) return { admissible: false, message: "goodbye", reason: "pairing_required" };
  const roles = a.activeRoles;
  if (!isAllowedSet(a.category, a.activities, a.unpairedAccess) || (roles && roles.length > 0 && !isPlaybackCapable(a.category, a.activities, a.unpairedAccess))) {
    return { admissible: false, message: "goodbye", reason: "unauthorized" };
  }
  if (a.activities!.indexOf("pairing") >= 0 && !methodAcceptable(a.category, a.selectedPairMethod, a.offeredMethods)) {
    return { admissible: false, message: "pair_abort", reason: "method_not_supported" };
  }
  return { admissible: false, message: "goodbye", reason: "unauthorized" };
}
