// The speaker's handshake-time work as the cost benchmarks measure it (test/bench/cost.bench.ts under callgrind,
// test/chip/device on an emulated ESP32-C3): the Noise KKpsk2 responder as a session runs it and CPace role B.
// Everything the peer does (the initiator's message 1, CPace role A's share and tag) is prepared here, outside
// any measurement; the returned functions do the speaker's part only. Pure ECMAScript, any backend.

import { CPaceInitiator, CPaceResponder, cpaceSid } from "../../crypto/cpace.js";
import { generateKeyPair, pskId, SENTINEL_PSK } from "../../crypto/ids.js";
import { pinPrs } from "../../crypto/pin.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import { InitiatorHandshake, ResponderHandshake } from "../../modules/channel/handshake.js";
import { concatBytes } from "../../modules/util/bytes.js";
import { utf8Encode } from "../../modules/util/utf8.js";
import { SeededRandom } from "./random.js";

/**
 * The Noise responder: ResponderHandshake.readMessage1 (the JSON payload of noise/handshake, es, ss, psk_id) and
 * respond (e, ee, se, psk, split), keys disposed. Each call answers the next of `messages` message 1s, each from a
 * fresh initiator (its own ephemeral key), cycling when they run out.
 */
export function noiseResponderWork(crypto: CryptoProvider, suite: SuiteName, messages: number): () => void {
  const server = generateKeyPair(crypto), speaker = generateKeyPair(crypto);
  const prologue = concatBytes(utf8Encode('{"type":"client/init"}'), utf8Encode('{"type":"server/init"}'));
  const m1s: unknown[] = [];
  for (let i = 0; i < messages; i++) m1s.push(new InitiatorHandshake({ crypto, suite, s: server, rs: speaker.publicKey, prologue, psk: SENTINEL_PSK }).message1().payload);
  const expectedId = pskId(crypto, SENTINEL_PSK);
  let next = 0;
  return () => {
    const hs = new ResponderHandshake({ crypto, suite, s: speaker, rs: server.publicKey, prologue });
    if (hs.readMessage1(m1s[next]) !== expectedId) throw new Error("handshake work: message 1 refused");
    next = next + 1 === messages ? 0 : next + 1;
    const { keys } = hs.respond(SENTINEL_PSK);
    keys.send.dispose();
    keys.recv.dispose();
  };
}

/**
 * CPace role B: respond to Ya (generator: SHA-512 + Elligator 2, 2 X25519), verify Ta, compute Tb. A fixed scalar
 * (the same work as a random one), so one run of role A gives a Ya and a Ta every call accepts.
 */
export function cpaceRoleBWork(crypto: CryptoProvider): () => void {
  const sid = cpaceSid(new SeededRandom(3).bytes(32));
  const prs = pinPrs("12345678");
  const scalar = new SeededRandom(4).bytes(32);
  const a = new CPaceInitiator(crypto, { prs, sid });
  const ya = a.start();
  const yb = new CPaceResponder(crypto, { prs, sid, scalar }).respond(ya);
  if (!yb || !a.receive(yb)) throw new Error("handshake work: CPace setup failed");
  const ta = a.initiatorTag();
  return () => {
    const b = new CPaceResponder(crypto, { prs, sid, scalar });
    if (!b.respond(ya) || !b.verifyInitiatorTag(ta)) throw new Error("handshake work: CPace role B failed");
    b.responderTag();
    b.dispose();
  };
}
