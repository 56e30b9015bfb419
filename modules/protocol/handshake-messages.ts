// Cleartext init messages (spec §client/init, §server/init). The noise/handshake message and the JSON
// inside the Noise payloads are in noise-messages.ts.
//
// Readings: unknown extra fields are ignored (the exact bytes are bound by the prologue anyway);
// `version` must be the integer 1; identifiers must be strict 43-character base64url of 32 bytes.

import { decodeKeyId } from "../../crypto/ids.js";
import { encodeEnvelope } from "./envelope.js";
import { readInt, own } from "./fields.js";
import type { JsonObject } from "./json.js";
import { MSG, PROTOCOL_VERSION } from "./names.js";

/** client/init as the exact bytes sent (they are the first half of the prologue). */
export function buildClientInit(clientId: string, suite: string): Uint8Array {
  return encodeEnvelope(MSG.clientInit, { client_id: clientId, version: PROTOCOL_VERSION, suite });
}

export interface ServerInit {
  readonly serverId: string;
  readonly serverKey: Uint8Array;
}

export function parseServerInit(p: JsonObject): ServerInit | undefined {
  const id = own(p, "server_id");
  const key = decodeKeyId(id);
  if (!key || readInt(p, "version", PROTOCOL_VERSION, PROTOCOL_VERSION) === undefined) return undefined;
  return { serverId: id as string, serverKey: key };
}
