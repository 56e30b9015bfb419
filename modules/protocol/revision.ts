// The two revisions of the Sendspin text the speaker serves, per connection (docs/current-revision.md):
// "baseline" (the revision that merged encryption: static/dynamic PIN, management, 9-byte audio header)
// and "current" (upstream at 033dddb: pairing codes, rounds, wrapped PSKs, 13-byte audio header).
// Noise message 1's authenticated payload tells them apart: `psk_category` exists only in "current".

export type Revision = "baseline" | "current";

/** The manifest option `protocol`: serve both (auto) or pin one revision. */
export type ProtocolSetting = "auto" | Revision;
export const PROTOCOL_SETTINGS: readonly ProtocolSetting[] = ["auto", "baseline", "current"];

/** `psk_category` codes of the current revision (all two characters: the payload length hides the category). */
export type PskCategoryCode = "lt" | "pr" | "sn";
export const PSK_CATEGORY_CODES: readonly PskCategoryCode[] = ["lt", "pr", "sn"];

/** Does the setting admit a connection of `revision`? */
export function revisionAllowed(setting: ProtocolSetting, revision: Revision): boolean {
  return setting === "auto" || setting === revision;
}
