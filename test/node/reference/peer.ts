// A scripted speaker-side peer for testing the reference server on its own (before and besides the
// real speaker): a `ws` WebSocket server that runs the responder's handshake with the crypto helper's
// modules/channel (ResponderHandshake, SecureChannel) — an implementation independent of the reference
// server's framing, so the two cross-check each other — and then lets the test script every reply.

import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";
import { ResponderHandshake } from "../../../modules/channel/handshake.js";
import { SecureChannel } from "../../../modules/channel/secure-channel.js";
import { keyId, pskId, type KeyPair } from "../../../crypto/ids.js";
import type { CryptoProvider, SuiteName } from "../../../crypto/provider.js";
import { base64urlDecode } from "../../../modules/util/base64url.js";
import { utf8Decode, utf8Encode } from "../../../modules/util/utf8.js";

export interface PeerMessage {
  type: string;
  payload: Record<string, unknown>;
}

export interface PeerOptions {
  crypto: CryptoProvider;
  identity: KeyPair;
  suite?: SuiteName;
  /** psk_id → PSK: what this peer accepts. */
  psks: Map<string, Uint8Array>;
  /** Exact client/init text to send (default: a valid one). */
  clientInitText?: string;
}

/** One accepted connection, after (or during) the handshake. */
export class PeerConn {
  channel: SecureChannel | null = null;
  readonly received: PeerMessage[] = [];
  readonly receivedBinary: { type: number; data: Uint8Array }[] = [];
  readonly errors: string[] = [];
  /** psk_id of each completed handshake, in order. */
  readonly pskIds: string[] = [];
  serverInitText = "";
  /** A long-term PSK this peer sent in client/pair-finalize: persisted when server/pair-finalize arrives. */
  pendingLongTerm: Uint8Array | null = null;
  closed = false;
  private inbox: PeerMessage[] = [];
  private waiters: { type: string; resolve: (m: PeerMessage) => void }[] = [];
  private readonly closedWaiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket, readonly peer: TestPeer) {}

  next(type: string): Promise<PeerMessage> {
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.closedWaiters.push(r));
  }

  send(type: string, payload: unknown): void {
    this.channel!.sendJson({ type, payload }, (f) => this.ws.send(Buffer.from(f), { binary: true }));
  }

  sendBinary(type: number, data: Uint8Array): void {
    this.channel!.send(type, data, (f) => this.ws.send(Buffer.from(f), { binary: true }));
  }

  deliver(m: PeerMessage): void {
    this.received.push(m);
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    else this.inbox.push(m);
  }

  onClosed(): void {
    this.closed = true;
    for (const r of this.closedWaiters.splice(0)) r();
  }
}

export class TestPeer {
  readonly wss: WebSocketServer;
  readonly clientId: string;
  readonly conns: PeerConn[] = [];
  private connWaiters: ((c: PeerConn) => void)[] = [];
  private untaken: PeerConn[] = [];

  private constructor(readonly o: PeerOptions, wss: WebSocketServer) {
    this.wss = wss;
    this.clientId = keyId(o.identity.publicKey);
    wss.on("connection", (ws) => this.accept(ws));
  }

  static listen(o: PeerOptions): Promise<TestPeer> {
    return new Promise((resolve) => {
      const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/sendspin", perMessageDeflate: false }, () => resolve(peer));
      const peer = new TestPeer(o, wss);
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/sendspin`;
  }

  /** The next accepted connection (already accepted ones first). */
  nextConn(): Promise<PeerConn> {
    const c = this.untaken.shift();
    if (c) return Promise.resolve(c);
    return new Promise((r) => this.connWaiters.push(r));
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }

  private accept(ws: WebSocket): void {
    const c = new PeerConn(ws, this);
    this.conns.push(c);
    const w = this.connWaiters.shift();
    if (w) w(c);
    else this.untaken.push(c);
    const o = this.o;
    const suite = o.suite ?? "25519_ChaChaPoly_SHA256";
    const initText = o.clientInitText ?? JSON.stringify({ type: "client/init", payload: { client_id: this.clientId, version: 1, suite } });
    const initBytes = utf8Encode(initText);
    let step: "server/init" | "noise1" | "transport" = "server/init";
    let serverInitBytes: Uint8Array | null = null;
    let serverKey: Uint8Array | null = null;
    ws.on("close", () => c.onClosed());
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (step !== "transport") {
        if (isBinary) return this.fail(c, "binary frame during the handshake");
        const text = utf8Decode(bytes);
        const env = text === undefined ? undefined : (JSON.parse(text) as PeerMessage);
        if (!env) return this.fail(c, "bad cleartext");
        c.received.push(env);
        if (step === "server/init") {
          if (env.type !== "server/init") return this.fail(c, "expected server/init");
          serverInitBytes = bytes.slice();
          c.serverInitText = text!;
          serverKey = base64urlDecode(env.payload.server_id, 32) ?? null;
          if (!serverKey) return this.fail(c, "bad server_id");
          step = "noise1";
          return;
        }
        if (env.type !== "noise/handshake") return this.fail(c, "expected noise/handshake");
        const prologue = new Uint8Array(initBytes.length + serverInitBytes!.length);
        prologue.set(initBytes);
        prologue.set(serverInitBytes!, initBytes.length);
        const hs = new ResponderHandshake({ crypto: o.crypto, suite, s: o.identity, rs: serverKey!, prologue });
        const id = hs.readMessage1(env.payload);
        const psk = id === null ? undefined : o.psks.get(id);
        if (psk === undefined) return this.fail(c, `psk_id lookup miss (${id})`);
        const { message, keys } = hs.respond(psk);
        ws.send(JSON.stringify(message));
        c.channel = new SecureChannel(keys, { maxMessageBytes: 1 << 20 });
        c.pskIds.push(id!);
        step = "transport";
        return;
      }
      if (!isBinary) return this.fail(c, "text frame in transport");
      const r = c.channel!.receive(bytes.slice());
      if (r.kind === "pending") return;
      if (r.kind === "error") return this.fail(c, r.reason);
      if (r.type !== 0) {
        c.receivedBinary.push({ type: r.type, data: r.data.slice() });
        return;
      }
      const env = JSON.parse(utf8Decode(r.data)!) as PeerMessage;
      if (env.type === "noise/handshake") {
        const hs = ResponderHandshake.rehandshake(c.channel!, { crypto: o.crypto, suite, s: o.identity, rs: serverKey! });
        const id = hs.readMessage1(env.payload);
        const psk = id === null ? undefined : o.psks.get(id);
        if (psk === undefined || !hs.respondOn(c.channel!, psk, (f) => ws.send(Buffer.from(f), { binary: true })))
          return this.fail(c, `re-handshake psk_id lookup miss (${id})`);
        c.pskIds.push(id!);
        c.received.push(env);
        return;
      }
      // Persist synchronously: the server's re-handshake message 1 may be in the same socket read.
      if (env.type === "server/pair-finalize" && c.pendingLongTerm) {
        o.psks.set(pskId(o.crypto, c.pendingLongTerm), c.pendingLongTerm);
        c.pendingLongTerm = null;
      }
      c.deliver(env);
    });
    ws.send(initText);
  }

  private fail(c: PeerConn, why: string): void {
    c.errors.push(why);
    c.ws.close(1002);
  }
}
