// Server-side steps of the current revision for the session tests (pure ECMAScript: Node and XS): a
// TestPeer whose Noise message 1 carries psk_category, the Sentinel-fallback handshake (the server
// verifies message 2 under the PSK it named, then under the Sentinel), and CPace role A with the
// current sid/AD plus the unwrapping of wrapped_nonce_B / wrapped_psk. Written from the current text;
// it shares the project's primitives (Noise, CPace, AEAD) as the session tests' baseline peer does.

import { CPaceInitiator } from "../../crypto/cpace.js";
import { generateKeyPair, pskId as computePskId, SENTINEL_PSK } from "../../crypto/ids.js";
import { NoiseKKpsk2 } from "../../crypto/noise.js";
import { AD_CLIENT, AD_SERVER, NONCE_WRAP_LABEL, PSK_WRAP_LABEL, cpaceSidCurrent, unwrapValue, wrapKey } from "../../crypto/pairing-code.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { SecureChannel } from "../../modules/channel/secure-channel.js";
import { message1Payload, noiseHandshakeMessage, parseNoiseHandshakePayload } from "../../modules/protocol/noise-messages.js";
import { encodeJson } from "../../modules/protocol/json.js";
import { parseEnvelope } from "../../modules/protocol/envelope.js";
import type { PskCategoryCode } from "../../modules/protocol/revision.js";
import { base64urlDecode, base64urlEncode } from "../../modules/util/base64url.js";
import { utf8Encode } from "../../modules/util/utf8.js";
import type { Sessions } from "../../modules/session/sessions.js";
import { TestPeer, type Message } from "./session-peer.js";

/** A peer that speaks the current revision (psk_category in message 1, type-1 fragments). */
export function currentPeer(sessions: Sessions, crypto: CryptoProvider, category: PskCategoryCode = "sn"): TestPeer {
  const p = new TestPeer(sessions, crypto);
  p.category = category;
  return p;
}

/**
 * server/init + message 1 naming `psk` as `category`; message 2 is verified under `psk`, then under the
 * Sentinel (the text's server behaviour). Returns which one authenticated it, or "closed".
 */
export function handshakeWithFallback(p: TestPeer, crypto: CryptoProvider, psk: Uint8Array, category: PskCategoryCode): "psk" | "sentinel" | "closed" {
  const serverInit = p.serverInitBytes();
  p.sock.deliverText(serverInit);
  const prologue = new Uint8Array(p.clientInit!.length + serverInit.length);
  prologue.set(p.clientInit!, 0);
  prologue.set(serverInit, p.clientInit!.length);
  const e = generateKeyPair(crypto);
  const base = { crypto, suite: p.suite, s: p.identity, rs: p.clientKey!, prologue, e };
  const named = NoiseKKpsk2.initiator({ ...base, psk });
  const sentinel = NoiseKKpsk2.initiator({ ...base, psk: SENTINEL_PSK });
  const payload = message1Payload(computePskId(crypto, psk), category);
  const m1 = named.writeMessage1(payload);
  sentinel.writeMessage1(payload); // same ephemeral, same payload: the same transcript
  p.sock.deliverText(encodeJson(noiseHandshakeMessage(m1)));
  if (p.closed) return "closed";
  const f = p.sock.outbox.shift();
  const env = f ? parseEnvelope(f.data) : undefined;
  const m2 = env ? parseNoiseHandshakePayload(env.payload) : undefined;
  if (!m2) throw new Error("current-peer: no message 2");
  let which: "psk" | "sentinel" = "psk";
  let plain = named.readMessage2(m2);
  let keys;
  if (plain !== null) keys = named.split();
  else {
    plain = sentinel.readMessage2(m2);
    if (plain === null) throw new Error("current-peer: message 2 authenticates under neither PSK");
    which = "sentinel";
    keys = sentinel.split();
  }
  p.channel = new SecureChannel(keys, { maxMessageBytes: 1 << 20, framing: "current" });
  (p as unknown as { sendCs: unknown }).sendCs = keys.send;
  return which;
}

export interface CodeRound {
  /** What the speaker answered to server/pair-confirm. */
  readonly replies: Message[];
  /** client_kc verified by the server. */
  readonly clientTagOk: boolean;
  /** The unwrapped values (when client_kc verified and the fields were present). */
  readonly nonceB: Uint8Array | null;
  readonly psk: Uint8Array | null;
}

/** server/pair-auth with `prs` → client/pair-auth → server/pair-confirm, under sid(h, index, round) and AD "server"/"client". */
export function codeRound(p: TestPeer, crypto: CryptoProvider, prs: Uint8Array, pairingIndex: number, round: number): CodeRound {
  const sid = cpaceSidCurrent(p.channel!.handshakeHash, pairingIndex, round);
  const a = new CPaceInitiator(crypto, { prs, sid, ada: AD_SERVER, adb: AD_CLIENT });
  p.send("server/pair-auth", { pake_msg_1: base64urlEncode(a.start()) });
  const auth = p.expect("client/pair-auth");
  const yb = base64urlDecode(auth.pake_msg_2, 32);
  if (!yb || !a.receive(yb)) throw new Error("current-peer: bad client/pair-auth");
  p.send("server/pair-confirm", { server_kc: base64urlEncode(a.initiatorTag()) });
  const replies = p.recvAll();
  const confirm = replies.find((m) => m.type === "client/pair-confirm");
  const tb = confirm ? base64urlDecode(confirm.payload.client_kc, 64) : undefined;
  const ok = !!tb && a.verifyResponderTag(tb);
  let nonceB: Uint8Array | null = null;
  let psk: Uint8Array | null = null;
  if (ok) {
    const isk = a.isk;
    const wn = base64urlDecode(confirm!.payload.wrapped_nonce_B, 48);
    if (wn) nonceB = unwrapValue(crypto, p.suite, wrapKey(crypto, NONCE_WRAP_LABEL, sid, isk), wn);
    const fin = replies.find((m) => m.type === "client/pair-finalize");
    const wp = fin ? base64urlDecode(fin.payload.wrapped_psk, 48) : undefined;
    if (wp) psk = unwrapValue(crypto, p.suite, wrapKey(crypto, PSK_WRAP_LABEL, sid, isk), wp);
  }
  return { replies, clientTagOk: ok, nonceB, psk };
}

/** The PRS of a decimal code: its ASCII digits. */
export function digitsPrs(code: string): Uint8Array {
  return utf8Encode(code);
}
