// Multi-server arbitration for server-initiated connections (spec §Multiple servers): the speaker holds
// at most one admitted connection; a provisional connection's first server/activate is compared with the
// holder's current activities. Pure decision; the speaker applies it (displace / reject).

import type { Activity } from "../protocol/names.js";

/** management > playback > pairing > empty. */
export function activityRank(activities: readonly Activity[]): number {
  if (activities.indexOf("management") >= 0) return 3;
  if (activities.indexOf("playback") >= 0) return 2;
  if (activities.indexOf("pairing") >= 0) return 1;
  return 0;
}

export interface Contender {
  readonly activities: readonly Activity[];
  readonly serverId: string;
}

/**
 * Admit the incoming connection (displacing the holder, if any) or reject it.
 *  - higher or equal rank is admitted, lower rejected;
 *  - an in-flight pairing (the holder declares 'pairing') is not displaced by 'playback' or 'pairing';
 *  - empty vs empty: the incoming wins only if it is the last-playback server and the holder is not.
 */
export function arbitrate(holder: Contender | null, incoming: Contender, lastPlaybackServerId: string | null): "admit" | "reject" {
  if (!holder) return "admit";
  const h = activityRank(holder.activities);
  const i = activityRank(incoming.activities);
  if (h === 0 && i === 0) {
    const last = lastPlaybackServerId;
    return last !== null && incoming.serverId === last && holder.serverId !== last ? "admit" : "reject";
  }
  if (holder.activities.indexOf("pairing") >= 0 && i < 3) return "reject";
  return i >= h ? "admit" : "reject";
}
