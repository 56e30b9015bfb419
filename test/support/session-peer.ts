// An in-process Sendspin server for the session tests (pure ECMAScript: runs in Node and XS): the Noise
// initiator over an in-memory socket, driving a Sessions instance directly. Frames the speaker sends are
// queued and read on demand, so tests are synchronous and deterministic. The end-to-end tests use the
// independent reference server (test/reference/) over real WebSockets instead.

import type { CipherState } from "../../crypto/noise.js";
import { InitiatorHandshake } from "../../modules/channel/handshake.js";
import { SecureChannel } from "../../modules/channel/secure-channel.js";
import { generateKeyPair, keyId, decodeKeyId, type KeyPair } from "../../crypto/ids.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import { encodeJson, parseJsonObject, type JsonObject } from "../../modules/protocol/json.js";
import { parseEnvelope } from "../../modules/protocol/envelope.js";
import type { SessionSocket } from "../../modules/session/connection.js";
import type { Sessions } from "../../modules/session/sessions.js";
import { utf8Encode } from "../../modules/util/utf8.js";
import type { PskCategoryCode } from "../../modules/protocol/revision.js";

export interface Frame {
  readonly kind: "text" | "binary";
  readonly data: Uint8Array;
}

/** The speaker's end of an in-memory WebSocket; the test drives the other end. */
export class FakeSocket implements SessionSocket {
  onText?: (utf8: Uint8Array) => void;
  onBinary?: (data: Uint8Array) => void;
  onClose?: (code: number) => void;
  readonly outbox: Frame[] = [];
  closed = false;
  /** Reject sends (simulates a full send buffer). */
  refuseSends = false;

  sendText(utf8: Uint8Array): boolean {
    if (this.closed || this.refuseSends) return false;
    this.outbox.push({ kind: "text", data: utf8.slice() });
    return true;
  }
  sendBinary(data: Uint8Array): boolean {
    if (this.closed || this.refuseSends) return false;
    this.outbox.push({ kind: "binary", data: data.slice() });
    return true;
  }
  close(): void {
    this.closed = true;
  }
  bufferedAmount(): number {
    return 0;
  }

  /** Server side. */
  deliverText(b: Uint8Array): void {
    if (!this.closed && this.onText) this.onText(b);
  }
  deliverBinary(b: Uint8Array): void {
    if (!this.closed && this.onBinary) this.onBinary(b);
  }
  peerClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.onClose) this.onClose(1006);
  }
}

export interface Message {
  readonly type: string;
  readonly payload: JsonObject;
}

export class TestPeer {
  readonly sock: FakeSocket;
  readonly identity: KeyPair;
  clientInit: Uint8Array | null = null;
  clientKey: Uint8Array | null = null;
  suite: SuiteName = "25519_ChaChaPoly_SHA256";
  channel: SecureChannel | null = null;
  /** Current revision: message 1 carries this psk_category (and the channel uses type-1 fragments). */
  category: PskCategoryCode | undefined = undefined;

  /**
   * `sessions`: the peer's socket is handed to it by connect(); null when `sock` is already wired to the
   * speaker (a WireSocket: real WebSocket frames over a listener port, test/support/wire-peer.ts).
   */
  constructor(
    private readonly sessions: Sessions | null,
    private readonly crypto: CryptoProvider,
    identity?: KeyPair,
    sock?: FakeSocket,
  ) {
    this.identity = identity ?? generateKeyPair(crypto);
    this.sock = sock ?? new FakeSocket();
  }

  get serverId(): string {
    return keyId(this.identity.publicKey);
  }

  get closed(): boolean {
    return this.sock.closed;
  }

  /** Open the socket; the speaker sends client/init at once. */
  connect(): this {
    if (this.sessions) this.sessions.accept(this.sock);
    const f = this.sock.outbox.shift();
    if (!f || f.kind !== "text") throw new Error("peer: no client/init");
    this.clientInit = f.data;
    const env = parseEnvelope(f.data)!;
    this.clientKey = decodeKeyId(env.payload.client_id)!;
    this.suite = env.payload.suite as SuiteName;
    return this;
  }

  /** server/init bytes (default: a well-formed one for this identity). */
  serverInitBytes(): Uint8Array {
    return encodeJson({ type: "server/init", payload: { server_id: this.serverId, version: 1 } });
  }

  /** server/init + Noise message 1 for `psk`, then read message 2. Returns false when the speaker closed instead. */
  handshake(psk: Uint8Array, serverInit = this.serverInitBytes()): boolean {
    this.sock.deliverText(serverInit);
    const hs = new InitiatorHandshake({ crypto: this.crypto, suite: this.suite, s: this.identity, rs: this.clientKey!, psk, prologue: concat(this.clientInit!, serverInit), pskCategory: this.category });
    this.sock.deliverText(encodeJson(hs.message1()));
    if (this.closed) return false;
    const f = this.sock.outbox.shift();
    if (!f || f.kind !== "text") return false;
    const env = parseEnvelope(f.data);
    const keys = env && env.type === "noise/handshake" ? hs.readMessage2(env.payload) : null;
    if (!keys) throw new Error("peer: message 2 did not authenticate");
    this.channel = new SecureChannel(keys, { maxMessageBytes: 1 << 20, framing: this.category === undefined ? "baseline" : "current" });
    this.sendCs = keys.send;
    return true;
  }

  /** Encrypted JSON message to the speaker. */
  send(type: string, payload: JsonObject = {}): void {
    this.sendBytes(0, utf8Encode(JSON.stringify({ type, payload })));
  }

  /** Any message type and raw payload bytes through the channel (fragmented when large). */
  sendBytes(type: number, payload: Uint8Array): void {
    const frames: Uint8Array[] = [];
    this.channel!.send(type, payload, (f) => {
      frames.push(f.slice());
      return true;
    });
    for (const f of frames) this.sock.deliverBinary(f);
  }

  /** Encrypt one raw frame plaintext [type][data] as is (no framing rules): hostile fragment sequences. */
  encryptRaw(plain: Uint8Array): Uint8Array {
    const buf = new Uint8Array(plain.length + 16);
    buf.set(plain, 0);
    const n = this.sendCs!.encryptInPlace(null, buf, 0, plain.length);
    return buf.subarray(0, n);
  }

  /** Next JSON message from the speaker (decrypting binary frames), or null when none is queued. */
  recv(): Message | null {
    for (;;) {
      const f = this.sock.outbox.shift();
      if (!f) return null;
      if (f.kind !== "binary" || !this.channel) throw new Error("peer: unexpected text frame in transport");
      const r = this.channel.receive(f.data);
      if (r.kind === "pending") continue;
      if (r.kind === "error") throw new Error("peer: " + r.reason);
      if (r.type !== 0) continue;
      const o = parseJsonObject(r.data.slice());
      if (!o) throw new Error("peer: speaker sent malformed JSON");
      return { type: o.type as string, payload: o.payload as JsonObject };
    }
  }

  /** Every queued message. */
  recvAll(): Message[] {
    const out: Message[] = [];
    for (let m = this.recv(); m; m = this.recv()) out.push(m);
    return out;
  }

  /** Expect exactly one message of `type` next. */
  expect(type: string): JsonObject {
    const m = this.recv();
    if (!m) throw new Error(`peer: expected ${type}, got nothing${this.closed ? " (closed)" : ""}`);
    if (m.type !== type) throw new Error(`peer: expected ${type}, got ${m.type} ${JSON.stringify(m.payload)}`);
    return m.payload;
  }

  /** server/hello → client/hello payload. */
  hello(name = "Test Server"): JsonObject {
    this.send("server/hello", { name });
    return this.expect("client/hello");
  }

  /** In-band re-handshake to `psk`; returns false when the speaker closed. */
  rehandshake(psk: Uint8Array, category: PskCategoryCode | undefined = this.category): boolean {
    const hs = InitiatorHandshake.rehandshake(this.channel!, { crypto: this.crypto, suite: this.suite, s: this.identity, rs: this.clientKey!, psk, pskCategory: category });
    this.channel!.sendJson(hs.message1(), (f) => {
      this.pending.push(f.slice());
      return true;
    });
    for (const f of this.pending.splice(0)) this.sock.deliverBinary(f);
    if (this.closed) return false;
    const m = this.recv();
    if (!m || m.type !== "noise/handshake") return false;
    const keys = hs.readMessage2(m.payload);
    if (!keys) throw new Error("peer: re-handshake message 2 did not authenticate");
    this.channel!.rekey(keys);
    this.sendCs = keys.send;
    return true;
  }
  private pending: Uint8Array[] = [];
  private sendCs: CipherState | null = null;

  /** connect + handshake + hello. */
  open(psk: Uint8Array): JsonObject {
    this.connect();
    if (!this.handshake(psk)) throw new Error("peer: handshake refused");
    return this.hello();
  }

  close(): void {
    this.sock.peerClose();
  }
}

/** A frame plaintext from bytes and byte arrays, in order (hostile frame sequences are written with it). */
export function plaintext(parts: readonly (number | Uint8Array)[]): Uint8Array {
  let n = 0;
  for (const x of parts) n += typeof x === "number" ? 1 : x.length;
  const b = new Uint8Array(n);
  let o = 0;
  for (const x of parts) {
    if (typeof x === "number") b[o++] = x;
    else {
      b.set(x, o);
      o += x.length;
    }
  }
  return b;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a, 0);
  o.set(b, a.length);
  return o;
}
