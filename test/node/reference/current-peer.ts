// A scripted client of the current revision for testing the reference server's current layer on its own
// (before and besides the real speaker): a `ws` WebSocket server that runs the Noise responder (the shared
// crypto/noise.ts), looks the PSK up by psk_category with the Sentinel fallback, answers hello, and plays
// role B of the three pairing flows (CPace responder, commit/reveal, wrapping, rounds up to a limit).
// It shares the reference's derivations and framing, so it checks the server's flows and message order;
// the derivations themselves are checked against the independent vectors.

import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";
import { CPaceResponder } from "../../../crypto/cpace.js";
import { keyId, pskId, SENTINEL_PSK, type KeyPair } from "../../../crypto/ids.js";
import { NoiseKKpsk2, type CipherState } from "../../../crypto/noise.js";
import type { CryptoProvider, SuiteName } from "../../../crypto/provider.js";
import { base64urlDecode, base64urlEncode } from "../../../modules/util/base64url.js";
import { concatBytes } from "../../../modules/util/bytes.js";
import { utf8Decode, utf8Encode } from "../../../modules/util/utf8.js";
import { FrameReceiver, sealFrame } from "../../reference/framing.js";
import { CurrentReassembler, messageFrames } from "../../reference/current/framing.js";
import { AD_CLIENT, AD_SERVER, codeDigest, commitB, digitsCode, NONCE_WRAP_LABEL, pakeSid, PSK_WRAP_LABEL, wrap, wrapKey } from "../../reference/current/derive.js";

type Msg = { type: string; payload: Record<string, unknown> };

export interface CurrentPeerOptions {
  crypto: CryptoProvider;
  identity: KeyPair;
  pairingPsk: Uint8Array;
  suite?: SuiteName;
  /** The code method offered next to pairing_psk. */
  codeMethod?: "static_pairing_code" | "dynamic_pairing_code";
  staticCode?: string;
  roundLimit?: number;
}

export class CurrentPeer {
  readonly clientId: string;
  /** Long-term records by server_id. */
  readonly records = new Map<string, Uint8Array>();
  /** Every dynamic code emitted (one per server/pair-init). */
  readonly emitted: string[] = [];
  readonly received: Msg[] = [];
  readonly errors: string[] = [];
  /** Rounds since the last verified server_kc (all servers). */
  rounds = 0;
  private constructor(readonly o: CurrentPeerOptions, readonly wss: WebSocketServer) {
    this.clientId = keyId(o.identity.publicKey);
    wss.on("connection", (ws) => new PeerSession(this, ws));
  }

  static listen(o: CurrentPeerOptions): Promise<CurrentPeer> {
    return new Promise((resolve) => {
      const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/sendspin", perMessageDeflate: false }, () => resolve(peer));
      const peer = new CurrentPeer(o, wss);
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/sendspin`;
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

class PeerSession {
  private readonly crypto: CryptoProvider;
  private readonly suite: SuiteName;
  private initBytes: Uint8Array;
  private serverInit: Uint8Array | null = null;
  private serverId = "";
  private serverKey: Uint8Array = new Uint8Array(0);
  private send_: CipherState | null = null;
  private receiver: FrameReceiver | null = null;
  private h: Uint8Array = new Uint8Array(0);
  private category = "";
  private pairingIndex = 0;
  private attempt: { method: string; nonceB: Uint8Array; round: number; code: string; cpace: CPaceResponder | null; sid: Uint8Array } | null = null;
  private pendingPsk: Uint8Array | null = null;

  constructor(readonly peer: CurrentPeer, readonly ws: WebSocket) {
    this.crypto = peer.o.crypto;
    this.suite = peer.o.suite ?? "25519_ChaChaPoly_SHA256";
    const text = JSON.stringify({ type: "client/init", payload: { client_id: peer.clientId, version: 1, suite: this.suite } });
    this.initBytes = utf8Encode(text);
    ws.on("message", (d: Buffer, bin: boolean) => {
      try {
        this.onFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice(), bin);
      } catch (e) {
        this.fail(`peer: ${(e as Error).stack}`);
      }
    });
    ws.send(text);
  }

  private fail(why: string): void {
    this.peer.errors.push(why);
    this.ws.close(1002);
  }

  /** The PSK for psk_id under the declared category, or undefined (a miss). */
  private lookup(id: string, category: string): Uint8Array | undefined {
    const c = this.crypto;
    if (category === "sn") return id === pskId(c, SENTINEL_PSK) ? SENTINEL_PSK : undefined;
    if (category === "pr") return id === pskId(c, this.peer.o.pairingPsk) ? this.peer.o.pairingPsk : undefined;
    if (category === "lt") {
      const r = this.peer.records.get(this.serverId);
      return r && id === pskId(c, r) ? r : undefined;
    }
    return undefined;
  }

  private respond(prologue: Uint8Array, msg1: Uint8Array, initial: boolean): { msg2: Uint8Array; send: CipherState; recv: CipherState; h: Uint8Array } | null {
    const hs = NoiseKKpsk2.responder({ crypto: this.crypto, suite: this.suite, prologue, s: this.peer.o.identity, rs: this.serverKey });
    const p = hs.readMessage1(msg1);
    const j = p && (JSON.parse(utf8Decode(p) ?? "null") as { psk_id?: string; psk_category?: string } | null);
    if (!j || typeof j.psk_id !== "string" || !["lt", "pr", "sn"].includes(j.psk_category ?? "")) return null;
    let psk = this.lookup(j.psk_id, j.psk_category!);
    if (!psk && initial) psk = SENTINEL_PSK; // Sentinel fallback, initial handshake only
    if (!psk) return null;
    this.category = psk === SENTINEL_PSK ? "sn" : j.psk_category!;
    hs.setPsk(psk);
    const msg2 = hs.writeMessage2(utf8Encode("{}"));
    const r = hs.split();
    return { msg2, send: r.send, recv: r.recv, h: r.h };
  }

  private onFrame(b: Uint8Array, bin: boolean): void {
    if (!this.receiver) {
      const m = JSON.parse(utf8Decode(b)!) as Msg;
      this.peer.received.push(m);
      if (m.type === "server/init") {
        this.serverInit = b;
        this.serverId = String(m.payload.server_id);
        this.serverKey = base64urlDecode(this.serverId, 32)!;
        return;
      }
      const r = this.respond(concatBytes(this.initBytes, this.serverInit!), base64urlDecode(m.payload.data)!, true);
      if (!r) return this.fail("handshake");
      this.ws.send(JSON.stringify({ type: "noise/handshake", payload: { data: base64urlEncode(r.msg2) } }));
      this.send_ = r.send;
      this.receiver = new FrameReceiver(r.recv, 1 << 20, new CurrentReassembler(1 << 20));
      this.h = r.h;
      return;
    }
    if (!bin) return this.fail("text in transport");
    const r = this.receiver.receive(b);
    if (r.kind === "pending") return;
    if (r.kind === "error") return this.fail(r.reason);
    if (r.type !== 0) return;
    const m = JSON.parse(utf8Decode(r.data)!) as Msg;
    this.peer.received.push(m);
    this.onMessage(m);
  }

  private send(type: string, payload: unknown): void {
    for (const f of messageFrames(0, utf8Encode(JSON.stringify({ type, payload })))) this.ws.send(sealFrame(this.send_!, f), { binary: true });
  }

  private onMessage(m: Msg): void {
    const p = m.payload;
    const o = this.peer.o;
    switch (m.type) {
      case "noise/handshake": {
        const r = this.respond(this.h, base64urlDecode(p.data)!, false);
        if (!r) return this.fail("re-handshake lookup miss");
        this.send("noise/handshake", { data: base64urlEncode(r.msg2) }); // under the old keys
        this.send_ = r.send;
        this.receiver!.setCipher(r.recv);
        this.h = r.h;
        this.pairingIndex = 0;
        return;
      }
      case "server/hello": {
        const methods: Record<string, unknown> = { pairing_psk: {} };
        if (o.codeMethod === "dynamic_pairing_code") methods.dynamic_pairing_code = { out_channels: ["speaker"], formats: ["digits"] };
        if (o.codeMethod === "static_pairing_code") methods.static_pairing_code = {};
        return this.send("client/hello", { name: "Peer", supported_roles: [], supported_pair_methods: methods, unpaired_access: { enabled: false } });
      }
      case "server/activate": {
        const acts = p.activities as string[];
        if (!acts.includes("pairing")) return void (this.attempt = null);
        this.pairingIndex++;
        const method = String((p.pairing as { method: string }).method);
        if (method === "pairing_psk") {
          if (this.category !== "pr") return this.send("pair/abort", { reason: "method_not_supported" });
          this.pendingPsk = new Uint8Array(32);
          this.crypto.randomBytes(this.pendingPsk);
          this.send("client/pair-init", { pairing_index: this.pairingIndex });
          return this.send("client/pair-finalize", { long_term_psk: base64urlEncode(this.pendingPsk) });
        }
        if (method === "dynamic_pairing_code" && this.peer.rounds >= (o.roundLimit ?? 20)) return this.send("client/pair-pending", { pairing_index: this.pairingIndex });
        const nonceB = new Uint8Array(32);
        this.crypto.randomBytes(nonceB);
        this.attempt = { method, nonceB, round: method === "static_pairing_code" ? 1 : 0, code: o.staticCode ?? "", cpace: null, sid: new Uint8Array(0) };
        return this.send("client/pair-init", method === "dynamic_pairing_code" ? { pairing_index: this.pairingIndex, commit_B: base64urlEncode(commitB(this.crypto, nonceB)) } : { pairing_index: this.pairingIndex });
      }
      case "server/pair-init": {
        const a = this.attempt!;
        a.round++;
        if (a.round === 1) a.code = digitsCode(codeDigest(this.crypto, this.h, base64urlDecode(p.nonce_A, 32)!, a.nonceB));
        this.peer.emitted.push(a.code);
        return;
      }
      case "server/pair-auth": {
        const a = this.attempt!;
        a.sid = pakeSid(this.h, this.pairingIndex, a.round);
        a.cpace = new CPaceResponder(this.crypto, { prs: utf8Encode(a.code), sid: a.sid, ada: AD_SERVER, adb: AD_CLIENT });
        const yb = a.cpace.respond(base64urlDecode(p.pake_msg_1, 32));
        if (!yb) return this.fail("bad Ya");
        return this.send("client/pair-auth", { pake_msg_2: base64urlEncode(yb) });
      }
      case "server/pair-confirm": {
        const a = this.attempt!;
        const cp = a.cpace!;
        if (!cp.verifyInitiatorTag(base64urlDecode(p.server_kc, 64))) {
          this.peer.rounds++;
          if (a.method === "dynamic_pairing_code" && this.peer.rounds < (o.roundLimit ?? 20)) return this.send("client/pair-retry", {});
          this.attempt = null;
          return this.send("pair/abort", { reason: "pairing_code_mismatch" });
        }
        this.peer.rounds = 0;
        const isk = cp.isk;
        const confirm: Record<string, unknown> = { client_kc: base64urlEncode(cp.responderTag()) };
        if (a.method === "dynamic_pairing_code") confirm.wrapped_nonce_B = base64urlEncode(wrap(this.crypto, this.suite, wrapKey(this.crypto, NONCE_WRAP_LABEL, a.sid, isk), a.nonceB));
        this.pendingPsk = new Uint8Array(32);
        this.crypto.randomBytes(this.pendingPsk);
        this.send("client/pair-confirm", confirm);
        return this.send("client/pair-finalize", { wrapped_psk: base64urlEncode(wrap(this.crypto, this.suite, wrapKey(this.crypto, PSK_WRAP_LABEL, a.sid, isk), this.pendingPsk)) });
      }
      case "server/pair-finalize":
        if (this.pendingPsk) this.peer.records.set(this.serverId, this.pendingPsk);
        this.pendingPsk = null;
        return;
    }
  }
}
