// What the speaker advertises over mDNS / DNS-SD (spec "Establishing a Connection"): the service type
// `_sendspin._tcp`, the TXT keys `path` and `name`, and the rules that turn a friendly name into DNS
// labels. Shared by the device announcer (Moddable's mdns) and the simulator's responder so both
// advertise the same records.

import { utf8Encode } from "./util/utf8.js";

/** DNS-SD service type labels (RFC 6763 §7): `_sendspin._tcp`. */
export const SERVICE_LABELS: readonly string[] = ["_sendspin", "_tcp"];
/** The service name and protocol the way Moddable's legacy mdns takes them (it adds the underscores). */
export const SERVICE_NAME = "sendspin";
export const SERVICE_PROTOCOL = "tcp";

/** A DNS label carries at most 63 bytes (RFC 1035 §2.3.4). */
export const MAX_LABEL_BYTES = 63;
/** One TXT character-string carries at most 255 bytes (RFC 6763 §6.1). */
export const MAX_TXT_STRING_BYTES = 255;

/**
 * A host-name label from any text: lower-case letters, digits and hyphens (RFC 952/1123), no leading or
 * trailing hyphen, at most 63 bytes; `fallback` when nothing usable is left. "Kitchen Speaker #2"
 * becomes "kitchen-speaker-2".
 */
export function hostLabel(text: string, fallback = "sendspin-speaker"): string {
  let out = "";
  let hyphen = false;
  for (const ch of text.toLowerCase()) {
    const c = ch.charCodeAt(0);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (ok) {
      if (hyphen && out.length > 0) out += "-";
      out += ch;
      hyphen = false;
    } else hyphen = true;
    if (out.length >= MAX_LABEL_BYTES) break;
  }
  out = out.slice(0, MAX_LABEL_BYTES);
  while (out.endsWith("-")) out = out.slice(0, -1);
  return out.length > 0 ? out : fallback;
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, cut at a code point boundary
 * (a friendly name must never become invalid UTF-8 on the wire).
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  let used = 0;
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (used + n > maxBytes) break;
    used += n;
    out += ch;
  }
  return out;
}

/** A DNS-SD instance name label (any UTF-8, at most 63 bytes): the friendly name, cut to fit. */
export function instanceLabel(name: string): string {
  const t = truncateUtf8(name, MAX_LABEL_BYTES);
  return t.length > 0 ? t : "Sendspin Speaker";
}

/**
 * The TXT entries, in order: `path` (the WebSocket endpoint) and `name` (the friendly name). Each
 * `key=value` string fits in one TXT character-string: the name is cut at a code point boundary.
 */
export function txtEntries(service: { path: string; name: string }): [string, string][] {
  const room = MAX_TXT_STRING_BYTES - "name=".length;
  return [
    ["path", service.path],
    ["name", truncateUtf8(service.name, room)],
  ];
}

/** A TXT entry as its wire character-string content (`key=value` in UTF-8). */
export function txtString(key: string, value: string): Uint8Array {
  return utf8Encode(key + "=" + value);
}

/**
 * The TXT entries as an empty Array carrying them as named properties: the shape Moddable's legacy mdns
 * serializer encodes correctly (its plain-object and Map branches are broken, see drivers/announcer.ts).
 * It walks the value with `for (const key in txt)` and writes `key=txt[key]` for each key.
 */
export function txtAsNamedArray(service: { path: string; name: string }): string[] & Record<string, string> {
  const txt = [] as unknown as string[] & Record<string, string>;
  for (const [key, value] of txtEntries(service)) txt[key] = value;
  return txt;
}
