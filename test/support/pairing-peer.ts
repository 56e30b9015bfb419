// Server-side (CPace role A) steps of the PIN pairing flows for the session tests.

import { CPaceInitiator, cpaceSid } from "../../crypto/cpace.js";
import { pinPrs } from "../../crypto/pin.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { base64urlDecode, base64urlEncode } from "../../modules/util/base64url.js";
import type { Message, TestPeer } from "./session-peer.js";

export interface PinRound {
  /** What the speaker answered to server/pair-confirm (pair/abort, or client/pair-confirm + client/pair-finalize). */
  readonly replies: Message[];
  /** client_kc verified by the server. */
  readonly clientTagOk: boolean;
}

/** server/pair-auth with a PIN guess → client/pair-auth → server/pair-confirm → the speaker's replies. */
export function pinRound(peer: TestPeer, crypto: CryptoProvider, pin: string): PinRound {
  const a = new CPaceInitiator(crypto, { prs: pinPrs(pin), sid: cpaceSid(peer.channel!.handshakeHash) });
  peer.send("server/pair-auth", { pake_msg_1: base64urlEncode(a.start()) });
  const auth = peer.expect("client/pair-auth");
  const yb = base64urlDecode(auth.pake_msg_2, 32);
  if (!yb || !a.receive(yb)) throw new Error("pairing-peer: bad client/pair-auth");
  peer.send("server/pair-confirm", { server_kc: base64urlEncode(a.initiatorTag()) });
  const replies = peer.recvAll();
  const confirm = replies.find((m) => m.type === "client/pair-confirm");
  const tb = confirm ? base64urlDecode(confirm.payload.client_kc, 64) : undefined;
  return { replies, clientTagOk: !!tb && a.verifyResponderTag(tb) };
}
