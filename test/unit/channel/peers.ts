// Test support for the channel tests: a server (Noise initiator) and a speaker (responder) that run the
// real initial handshake through the handshake helpers and end up with two SecureChannels.

import { assert } from "../../harness.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { generateKeyPair, keyPairFromPrivate, type KeyPair } from "../../../crypto/ids.js";
import type { CipherState } from "../../../crypto/noise.js";
import type { CryptoProvider, SuiteName } from "../../../crypto/provider.js";
import { InitiatorHandshake, ResponderHandshake, type HandshakeIdentity } from "../../../modules/channel/handshake.js";
import { SecureChannel } from "../../../modules/channel/secure-channel.js";
import { concatBytes } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";

/** The portable backend: the default of connect() (tests that are not parameterised over backends). */
export const crypto = createPortableCrypto(new SeededRandom(21));

export interface Peers {
  server: SecureChannel;
  speaker: SecureChannel;
  serverId: HandshakeIdentity;
  speakerId: HandshakeIdentity;
  /** Transport keys of the initial handshake, before the channels took them (for raw frames). */
  serverSend: CipherState;
  speakerSend: CipherState;
}

/** Fixed statics and ephemerals from a seed: two calls with one seed give identical keys. */
function keys(crypto: CryptoProvider, seed: number): { server: KeyPair; speaker: KeyPair; es: KeyPair; ec: KeyPair } {
  const r = new SeededRandom(seed);
  return {
    server: keyPairFromPrivate(crypto, r.bytes(32)),
    speaker: keyPairFromPrivate(crypto, r.bytes(32)),
    es: keyPairFromPrivate(crypto, r.bytes(32)),
    ec: keyPairFromPrivate(crypto, r.bytes(32)),
  };
}

/**
 * The initial handshake (prologue = client/init || server/init bytes) and both channels.
 * With a seed, the ephemerals are fixed too, so a second call yields identical keys (a "shadow" peer).
 */
export function connect(suite: SuiteName, psk: Uint8Array, maxMessageBytes = 1 << 20, seed?: number): Peers {
  return connectWith(crypto, suite, psk, maxMessageBytes, seed);
}

/** connect() over a given crypto backend (the channel tests run once per backend). */
export function connectWith(crypto: CryptoProvider, suite: SuiteName, psk: Uint8Array, maxMessageBytes = 1 << 20, seed?: number): Peers {
  const k = seed === undefined ? { server: generateKeyPair(crypto), speaker: generateKeyPair(crypto), es: undefined, ec: undefined } : keys(crypto, seed);
  const serverId: HandshakeIdentity = { crypto, suite, s: k.server, rs: k.speaker.publicKey };
  const speakerId: HandshakeIdentity = { crypto, suite, s: k.speaker, rs: k.server.publicKey };
  const prologue = concatBytes(utf8Encode('{"type":"client/init"}'), utf8Encode('{"type":"server/init"}'));
  const init = new InitiatorHandshake({ ...serverId, prologue, psk, e: k.es });
  const resp = new ResponderHandshake({ ...speakerId, prologue, e: k.ec });
  // The cleartext messages travel as JSON text: round-trip them through JSON like the wire does.
  const m1 = JSON.parse(JSON.stringify(init.message1())) as { payload: unknown };
  assert.ok(resp.readMessage1(m1.payload) !== null);
  const { message, keys: speakerKeys } = resp.respond(psk);
  const serverKeys = init.readMessage2((JSON.parse(JSON.stringify(message)) as { payload: unknown }).payload);
  assert.ok(serverKeys !== null, "initial handshake completes");
  return {
    server: new SecureChannel(serverKeys, { maxMessageBytes }),
    speaker: new SecureChannel(speakerKeys, { maxMessageBytes }),
    serverId,
    speakerId,
    serverSend: serverKeys.send,
    speakerSend: speakerKeys.send,
  };
}

/** Collects the frames a send emits (copies: the channel's frame views are valid only during the call). */
export function collect(): { frames: Uint8Array[]; emit: (f: Uint8Array) => void } {
  const frames: Uint8Array[] = [];
  return { frames, emit: (f) => void frames.push(f.slice()) };
}

/** A frame with arbitrary plaintext, sealed with the sender's transport state (to forge protocol errors). */
export function rawFrame(cs: CipherState, plain: Uint8Array): Uint8Array {
  const buf = new Uint8Array(plain.length + 16);
  buf.set(plain);
  const n = cs.encryptInPlace(null, buf, 0, plain.length);
  assert.equal(n, plain.length + 16);
  return buf;
}

export function pattern(n: number, salt = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + salt + (i >> 8)) & 255;
  return b;
}
