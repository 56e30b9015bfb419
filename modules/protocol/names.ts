// The wire vocabulary of the baseline spec (reference/sendspin-spec.md): message type names and the
// enumerated values the speaker sends or accepts. Field names live in the validators and builders of
// this folder; nothing outside modules/protocol/ spells a wire string (a later spec revision changes
// only this folder). The player's own messages are spelled in player-messages.ts.

import { BINARY_AUDIO_CHUNK, MSG_SERVER_COMMAND, MSG_SERVER_TIME, MSG_STREAM_CLEAR, MSG_STREAM_END, MSG_STREAM_START, PLAYER_ROLE } from "./player-messages.js";

/** JSON message type names. */
export const MSG = {
  // cleartext handshake (text frames)
  clientInit: "client/init",
  serverInit: "server/init",
  noiseHandshake: "noise/handshake",
  // core (encrypted, binary type 0)
  serverHello: "server/hello",
  clientHello: "client/hello",
  serverActivate: "server/activate",
  clientGoodbye: "client/goodbye",
  serverUnpair: "server/unpair",
  // pairing
  clientPairInit: "client/pair-init",
  serverPairInit: "server/pair-init",
  serverPairAuth: "server/pair-auth",
  clientPairAuth: "client/pair-auth",
  serverPairConfirm: "server/pair-confirm",
  clientPairConfirm: "client/pair-confirm",
  clientPairFinalize: "client/pair-finalize",
  serverPairFinalize: "server/pair-finalize",
  pairAbort: "pair/abort",
  // management
  managementResult: "management/result",
} as const;

/** Prefix shared by every management request. */
export const MANAGEMENT_PREFIX = "management/";

export const MANAGEMENT_REQUEST = {
  listRecords: "management/list-records",
  addRecord: "management/add-record",
  removeRecord: "management/remove-record",
  getPairingConfig: "management/get-pairing-config",
  setPairingConfig: "management/set-pairing-config",
} as const;
export type ManagementRequestType = (typeof MANAGEMENT_REQUEST)[keyof typeof MANAGEMENT_REQUEST];

/** Messages the Player consumes (routed to it when player@v1 is active); their spelling is player-messages.ts's. */
export const PLAYER_INBOUND: readonly string[] = [MSG_SERVER_TIME, MSG_STREAM_START, MSG_STREAM_CLEAR, MSG_STREAM_END, MSG_SERVER_COMMAND];

/** Core message format version (client/init, server/init). */
export const PROTOCOL_VERSION = 1;

export type Activity = "playback" | "pairing" | "management";
export const ACTIVITIES: readonly Activity[] = ["playback", "pairing", "management"];

export type PairMethod = "pairing_psk" | "static_pin" | "dynamic_pin";
export const PAIR_METHODS: readonly PairMethod[] = ["pairing_psk", "static_pin", "dynamic_pin"];
export type PinMethod = "static_pin" | "dynamic_pin";

export type TrustLevel = "user" | "none";

export type GoodbyeReason =
  | "another_server"
  | "shutdown"
  | "restart"
  | "user_request"
  | "unauthorized"
  | "pairing_required"
  | "concurrent_attempt"
  | "unpaired";

export type PairAbortReason =
  | "attempt_timeout"
  | "concurrent_attempt"
  | "locked_out"
  | "method_not_supported"
  | "pin_length_unacceptable"
  | "pin_mismatch"
  | "user_cancelled"
  // Project extension (issue 4 §4): pairing cannot store a record and record_mode names no fallback.
  | "storage_exhausted";

export type ManagementResultCode = "ok" | "permission_denied" | "already_exists" | "invalid" | "not_found" | "storage_exhausted";

/** Roles this firmware can serve. */
export const ROLE_PLAYER_V1 = PLAYER_ROLE;

/** Binary message types inside the secure channel (after the AEAD): 0 = JSON, 4 = player audio chunk. */
export const BINARY_JSON = 0;
export const BINARY_PLAYER_AUDIO = BINARY_AUDIO_CHUNK;

/** PIN length bounds of the dynamic PIN method (spec §PIN length). */
export const PIN_LENGTH_MIN = 4;
export const PIN_LENGTH_MAX = 12;
/** Static PIN: exactly 8 decimal digits. */
export const STATIC_PIN_LENGTH = 8;
