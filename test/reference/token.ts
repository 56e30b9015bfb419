// The speaker's pairing token (`SP:0…`, docs/secure-channel-and-pairing.md) as the operator gives it to the server:
// the speaker's public key and its pairing PSK, for a handshake keyed by the pairing PSK.

import { decodePairingToken } from "../../crypto/pairing-token.js";

/** PSK choice for ReferenceServer.connect / rehandshake; throws on a token that does not decode. */
export function pairingPskFromToken(token: string): { pairingPsk: Uint8Array; clientKey: Uint8Array } {
  const t = decodePairingToken(token);
  if (!t) throw new Error(`not a pairing token: ${JSON.stringify(token)}`);
  return { pairingPsk: t.pairingPsk, clientKey: t.clientPublicKey };
}
