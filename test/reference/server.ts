// A reference Sendspin server: one static identity, its own pairing records (in memory), its own
// clock, and any number of connections to speakers. Several instances (distinct keys) model the
// competing servers of the arbitration tests.

import { createPortableCrypto } from "../../crypto/portable.js";
import { generateKeyPair, keyId, keyPairFromPrivate, type KeyPair } from "../../crypto/ids.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { ServerClock, type ServerClockOptions } from "./clock.js";
import { ServerConnection, type Activation, type HandshakeOptions } from "./connection.js";
import { nodeRandom } from "./random.js";

export interface ReferenceServerOptions {
  /** Friendly name sent in server/hello (default "Reference server"). */
  name?: string;
  /** Crypto provider (default: the portable backend over Node's CSPRNG). */
  crypto?: CryptoProvider;
  /** Static private key (default: a fresh one). */
  privateKey?: Uint8Array;
  /** Clock offset/drift, or a clock shared with other servers. */
  clock?: ServerClock | ServerClockOptions;
  /** Default wait for any expected message, ms (default 10,000). */
  timeoutMs?: number;
  /** Close the socket when client/goodbye arrives, as the spec asks (default true). */
  closeOnGoodbye?: boolean;
  /** Largest reassembled message accepted from a speaker, bytes (default 1 MiB). */
  maxMessageBytes?: number;
}

/** The server's own pairing record for one speaker. */
export interface ServerRecord {
  psk: Uint8Array;
  pskId: string;
}

export interface ConnectOptions extends HandshakeOptions {
  /** After the handshake: server/hello → client/hello (true, or the server name to send). */
  hello?: boolean | string;
  /** After hello: this server/activate (implies hello). */
  activate?: Activation;
}

export class ReferenceServer {
  readonly name: string;
  readonly crypto: CryptoProvider;
  readonly keyPair: KeyPair;
  /** server_id: base64url of the static public key. */
  readonly serverId: string;
  readonly clock: ServerClock;
  readonly timeoutMs: number;
  readonly closeOnGoodbye: boolean;
  readonly maxMessageBytes: number;
  /** Pairing records by client_id, created when a pairing finalizes (tests may add their own). */
  readonly records = new Map<string, ServerRecord>();
  /** Open connections. */
  readonly connections = new Set<ServerConnection>();

  constructor(o: ReferenceServerOptions = {}) {
    this.name = o.name ?? "Reference server";
    this.crypto = o.crypto ?? createPortableCrypto(nodeRandom);
    this.keyPair = o.privateKey ? keyPairFromPrivate(this.crypto, o.privateKey) : generateKeyPair(this.crypto);
    this.serverId = keyId(this.keyPair.publicKey);
    this.clock = o.clock instanceof ServerClock ? o.clock : new ServerClock(o.clock);
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.closeOnGoodbye = o.closeOnGoodbye ?? true;
    this.maxMessageBytes = o.maxMessageBytes ?? 1 << 20;
  }

  /** Open a WebSocket to a speaker and send nothing (step-by-step and hostile tests). */
  async open(url: string): Promise<ServerConnection> {
    const c = await ServerConnection.open(this, url, this.timeoutMs);
    this.connections.add(c);
    return c;
  }

  /**
   * Open, run the handshake with the chosen PSK (default "auto": the server's record for the speaker,
   * else the Sentinel), then optionally hello and activate. Rejects with HandshakeFailed (carrying the
   * connection and its close) when the handshake does not complete.
   */
  async connect(url: string, o: ConnectOptions = {}): Promise<ServerConnection> {
    const c = await this.open(url);
    await c.handshake(o);
    if (o.hello || o.activate) await c.hello(typeof o.hello === "string" ? o.hello : undefined);
    if (o.activate) c.activate(o.activate);
    return c;
  }

  /** Close every open connection. */
  closeAll(): void {
    for (const c of this.connections) c.close(1000);
  }
}
