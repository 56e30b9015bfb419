// The Sendspin handshake on top of Noise KKpsk2 (spec §Encryption, §Re-handshake), for both the initial
// handshake (cleartext `noise/handshake` text frames, prologue = client/init || server/init bytes) and the
// in-band re-handshake (the same messages as encrypted type-0 JSON on the current channel, prologue =
// the previous h). The PSK lookup by psk_id stays with the caller (the session and its store).
//
// Responder (speaker), re-handshake on an established `channel`:
//   const hs = ResponderHandshake.rehandshake(channel, identity);    // prologue = channel.handshakeHash
//   const pskId = hs.readMessage1(payload);                           // payload of the noise/handshake JSON
//   const psk = pskId === null ? undefined : lookup(pskId);           // caller's store
//   if (psk === undefined || !hs.respondOn(channel, psk, emit)) close();
//   // message 2 went out under the old keys; the channel now runs on the new ones.

import { NoiseKKpsk2, type HandshakeResult } from "../../crypto/noise.js";
import { pskId as computePskId, type KeyPair } from "../../crypto/ids.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import {
  message1Payload,
  message2Payload,
  noiseHandshakeMessage,
  parseMessage1,
  parseMessage2Payload,
  parseNoiseHandshakePayload,
  type NoiseHandshakeMessage,
} from "../protocol/noise-messages.js";
import type { PskCategoryCode } from "../protocol/revision.js";
import type { FrameEmitter, SecureChannel } from "./secure-channel.js";

/** Who we are and who the peer is: carried over unchanged by a re-handshake. */
export interface HandshakeIdentity {
  crypto: CryptoProvider;
  suite: SuiteName;
  /** Our static keypair. */
  s: KeyPair;
  /** The peer's static public key (client_id / server_id decoded). */
  rs: Uint8Array;
  /** Fixed ephemeral: known-answer tests only. */
  e?: KeyPair;
}

/** The responder's (speaker's) side: message 1 in, psk_id out, then message 2 with the caller's PSK. */
export class ResponderHandshake {
  private readonly noise: NoiseKKpsk2;
  private pskIdSeen: string | null = null;
  private categorySeen: PskCategoryCode | null = null;

  constructor(o: HandshakeIdentity & { prologue: Uint8Array }) {
    this.noise = NoiseKKpsk2.responder(o);
  }

  /** A re-handshake on `channel`: its current h is the prologue. */
  static rehandshake(channel: SecureChannel, id: HandshakeIdentity): ResponderHandshake {
    return new ResponderHandshake({ ...id, prologue: channel.handshakeHash });
  }

  /**
   * The `payload` object of the received `noise/handshake` message. Returns the psk_id the initiator
   * chose, or null (malformed, fails to authenticate, bad payload): the handshake has failed, close.
   */
  readMessage1(payload: unknown): string | null {
    const msg = parseNoiseHandshakePayload(payload);
    if (msg === undefined) return null;
    const plain = this.noise.readMessage1(msg);
    if (plain === null) return null;
    const m1 = parseMessage1(plain);
    if (m1 === undefined) return null;
    this.pskIdSeen = m1.pskId;
    this.categorySeen = m1.category;
    return m1.pskId;
  }

  /** message 1's `psk_category` (after a successful readMessage1): null when absent (a baseline server). */
  get pskCategory(): PskCategoryCode | null {
    return this.categorySeen;
  }

  /** Message 2 (as the `noise/handshake` message to send) and the transport keys, for the PSK of the psk_id. */
  respond(psk: Uint8Array): { message: NoiseHandshakeMessage; keys: HandshakeResult } {
    if (this.pskIdSeen === null) throw new Error("handshake: respond() before a valid message 1");
    this.noise.setPsk(psk);
    const msg2 = this.noise.writeMessage2(message2Payload());
    return { message: noiseHandshakeMessage(msg2), keys: this.noise.split() };
  }

  /**
   * Re-handshake: send message 2 on `channel` under the current keys, then switch the channel to the new
   * keys (both directions at once). False when the frame could not be sent (close the connection).
   */
  respondOn(channel: SecureChannel, psk: Uint8Array, emit: FrameEmitter): boolean {
    const { message, keys } = this.respond(psk);
    if (!channel.sendJson(message, emit)) {
      keys.send.dispose();
      keys.recv.dispose();
      return false;
    }
    channel.rekey(keys);
    return true;
  }
}

/** The initiator's (server's) side: used by the reference server and the tests. */
export class InitiatorHandshake {
  private readonly noise: NoiseKKpsk2;
  private readonly pskId: string;
  private readonly pskCategory: PskCategoryCode | undefined;

  /** `pskCategory`: the current revision's psk_category in message 1 (absent: a baseline server). */
  constructor(o: HandshakeIdentity & { prologue: Uint8Array; psk: Uint8Array; pskCategory?: PskCategoryCode }) {
    this.noise = NoiseKKpsk2.initiator(o);
    this.pskId = computePskId(o.crypto, o.psk);
    this.pskCategory = o.pskCategory;
  }

  static rehandshake(channel: SecureChannel, id: HandshakeIdentity & { psk: Uint8Array; pskCategory?: PskCategoryCode }): InitiatorHandshake {
    return new InitiatorHandshake({ ...id, prologue: channel.handshakeHash });
  }

  /** Message 1 as the `noise/handshake` message, its payload naming the PSK by psk_id. */
  message1(): NoiseHandshakeMessage {
    return noiseHandshakeMessage(this.noise.writeMessage1(message1Payload(this.pskId, this.pskCategory)));
  }

  /** The `payload` of the responder's `noise/handshake`: the transport keys, or null (wrong PSK, tampering...). */
  readMessage2(payload: unknown): HandshakeResult | null {
    const msg = parseNoiseHandshakePayload(payload);
    if (msg === undefined) return null;
    const plain = this.noise.readMessage2(msg);
    if (plain === null || !parseMessage2Payload(plain)) return null;
    return this.noise.split();
  }

  /** Re-handshake: read message 2 (received on `channel` under the old keys) and switch the channel. */
  finishOn(channel: SecureChannel, payload: unknown): boolean {
    const keys = this.readMessage2(payload);
    if (keys === null) return false;
    channel.rekey(keys);
    return true;
  }
}
