// One reference-server connection to a speaker: the server side of the Sendspin handshake (server is
// the Noise initiator), the encrypted transport with the reference framing, re-handshake, and a
// recorder of everything the speaker sends, with async waits for tests.
//
// The connection is deliberately a test peer: it records rather than hides. Every inbound message is
// checked against the spec (wire.ts) and each departure lands in `violations`; transport faults
// (authentication, framing) land in `errors` and close the socket, as a real server would.

import WebSocket from "ws";
import { NoiseKKpsk2, type CipherState } from "../../crypto/noise.js";
import { generateKeyPair, pskId as computePskId, SENTINEL_PSK, SENTINEL_PSK_ID, type KeyPair } from "../../crypto/ids.js";
import type { SuiteName } from "../../crypto/provider.js";
import { base64urlDecode, base64urlEncode } from "../../modules/util/base64url.js";
import { bytesEqual, concatBytes } from "../../modules/util/bytes.js";
import { utf8Decode, utf8Encode } from "../../modules/util/utf8.js";
import { FrameReceiver, fragmentFrames, messageFrames, sealFrame, TYPE_AUDIO, TYPE_JSON } from "./framing.js";
import type { ReferenceServer } from "./server.js";
import { checkClientMessage, decodeEnvelope, encodeEnvelope, isObject, type Activity, type JsonObject, type PairMethod } from "./wire.js";
import { AudioSender, type AudioStreamOptions } from "./audio.js";

/** Which PSK the server puts into a handshake (message 1's psk_id names it). */
export type PskSpec =
  | "auto" // the server's long-term record for this client if it has one, else the Sentinel
  | "sentinel"
  | "record" // the server's long-term record for this client (fails if none)
  | { pairingPsk: Uint8Array; clientKey?: Uint8Array } // a pairing PSK (pairingPskFromToken(token) in token.ts); clientKey must match client_id
  | { psk: Uint8Array }; // any PSK (a shared-PSK record added by management, a wrong one...)

export type PskKind = "sentinel" | "pairing" | "long-term" | "other";

export interface HandshakeOptions {
  psk?: PskSpec;
  /** Send this psk_id in message 1 instead of the PSK's own (hostile: a lookup miss). */
  pskId?: string;
  /** Run Noise with this suite instead of the one client/init announced (hostile). */
  suite?: SuiteName;
  /** Rewrite the server/init text before it is sent (the prologue uses what is actually sent). */
  editServerInit?: (text: string) => string;
  /** Replace the JSON payload inside Noise message 1 (hostile). */
  noise1Payload?: Uint8Array;
  /** Rewrite the noise/handshake text frame of message 1 (hostile). */
  editNoise1?: (text: string) => string;
  /** Per-step wait, ms (default: the server's timeoutMs). */
  timeoutMs?: number;
}

export interface Activation {
  activities: Activity[] | string[];
  active_roles?: string[];
  selected_pair_method?: PairMethod | string;
  /** The current revision's `pairing: { method, format? }` (test/reference/current). */
  pairing?: { method: string; format?: string };
}

export interface InMessage {
  seq: number;
  /** Server clock (µs) when the frame that completed it arrived. */
  atUs: number;
  type: string;
  payload: JsonObject;
  /** Wire size of the JSON body, bytes. */
  bytes: number;
  /** Number of fragment frames it arrived in (0: a single frame). */
  fragments: number;
  encrypted: boolean;
}

export interface InBinary {
  seq: number;
  atUs: number;
  type: number;
  data: Uint8Array;
}

export interface OutRecord {
  atUs: number;
  kind: "text" | "message" | "binary" | "raw";
  type?: string | number;
  payload?: unknown;
  bytes: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
  atUs: number;
  /** Who closed first: "client" (the speaker) or "server" (this connection). */
  by: "client" | "server";
  /** The last client/goodbye reason received, if any. */
  goodbye?: string;
  /** The last pair/abort reason received from the speaker, if any. */
  pairAbort?: string;
}

export class ConnectionClosed extends Error {
  constructor(readonly close: CloseInfo, waitingFor: string) {
    super(`connection closed (code ${close.code}${close.goodbye ? `, goodbye ${close.goodbye}` : ""}${close.pairAbort ? `, pair/abort ${close.pairAbort}` : ""}) while waiting for ${waitingFor}`);
  }
  override get name(): string {
    return "ConnectionClosed";
  }
}

export class WaitTimeout extends Error {
  override get name(): string {
    return "WaitTimeout";
  }
}

export class HandshakeFailed extends Error {
  constructor(message: string, readonly conn: ServerConnection) {
    super(message);
  }
  override get name(): string {
    return "HandshakeFailed";
  }
}

type Phase = "await-init" | "init-received" | "await-noise2" | "transport" | "closed";
type Match = string | readonly string[] | ((m: InMessage) => boolean);

interface Waiter {
  match: (m: InMessage) => boolean;
  what: string;
  resolve: (m: InMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface ConditionWaiter {
  test: () => boolean;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  poll: NodeJS.Timeout;
  what: string;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a rejection nobody awaits must not crash the test process
  return { promise, resolve, reject };
}

function matcher(m: Match | undefined): { fn: (x: InMessage) => boolean; what: string } {
  if (m === undefined) return { fn: (x) => x.type !== "client/time", what: "any message" };
  if (typeof m === "string") return { fn: (x) => x.type === m, what: m };
  if (typeof m === "function") return { fn: m, what: "a matching message" };
  const set = m as readonly string[];
  return { fn: (x) => set.includes(x.type), what: set.join(" | ") };
}

const EMPTY_OBJECT_JSON = "{}";

export class ServerConnection {
  readonly server: ReferenceServer;
  readonly url: string;
  protected readonly ws: WebSocket;

  private phase: Phase = "await-init";
  private seq = 0;

  /** Every JSON message received (cleartext handshake ones included), in order. */
  readonly received: InMessage[] = [];
  /** Every non-JSON binary message received (types other than 0), in order. */
  readonly receivedBinary: InBinary[] = [];
  /** Everything this connection sent. */
  readonly sent: OutRecord[] = [];
  /** Departures of the speaker from the spec (malformed fields, wrong order...). Tests assert empty. */
  readonly violations: string[] = [];
  /** Transport faults (authentication, framing, undecodable frames); each one closed the connection. */
  readonly errors: string[] = [];

  private inbox: InMessage[] = [];
  private waiters: Waiter[] = [];
  private conditions: ConditionWaiter[] = [];

  // handshake
  private initDeferred = deferred<JsonObject>();
  private noise2Deferred = deferred<void>();
  private noise: NoiseKKpsk2 | null = null;
  /** The same message 1 keyed by the Sentinel, tried when message 2 fails (current revision's fallback). */
  private sentinelNoise: NoiseKKpsk2 | null = null;
  /** True when message 2 validated only under the Sentinel: the speaker's credential-mismatch signal. */
  credentialMismatch = false;
  private clientInitBytes: Uint8Array | null = null;
  /** client/init payload as received. */
  clientInit: { client_id: string; version: number; suite: SuiteName } | null = null;
  clientId = "";
  clientKey: Uint8Array = new Uint8Array(0);
  suite: SuiteName = "25519_ChaChaPoly_SHA256";
  /** Exact bytes of client/init and server/init (the prologue of the first handshake). */
  prologue: Uint8Array = new Uint8Array(0);

  // transport
  private sendCipher: CipherState | null = null;
  protected receiver: FrameReceiver | null = null;
  protected rehandshake_: { noise: NoiseKKpsk2; d: Deferred<void>; psk: Uint8Array; kind: PskKind; pskId: string } | null = null;
  /** Current handshake hash h (PIN derivation, CPace sid, next re-handshake's prologue). */
  handshakeHash: Uint8Array = new Uint8Array(0);
  /** The PSK of the current session, its kind and psk_id. */
  psk: Uint8Array = new Uint8Array(0);
  pskKind: PskKind = "sentinel";
  pskId = "";
  /** Number of completed handshakes on this socket (1 after the first, +1 per re-handshake). */
  handshakes = 0;

  // session state
  /** The last client/hello payload. */
  clientHello: JsonObject | null = null;
  protected helloRequested = false;
  /** The last activation sent; null before the first. */
  activation: { activities: string[]; active_roles: string[]; selected_pair_method?: string; pairing?: { method: string; format?: string } } | null = null;
  /** client/state merged as the spec's delta rules say (player object merged field by field). */
  clientState: JsonObject | null = null;
  private managementInFlight: string | null = null;
  protected playerStateSeen = false;
  protected playerWasActive = false;
  /** management/* requests sent (by manage() or raw send) not yet answered. */
  private managementOutstanding = 0;

  /** Reply to client/time automatically (default true); `timeReplyDelayMs` holds replies back. */
  autoTime = true;
  timeReplyDelayMs = 0;
  timeRepliesSent = 0;

  private closeInfo_: CloseInfo | null = null;
  private closedDeferred = deferred<CloseInfo>();
  private closingByUs = false;
  private lastGoodbye: string | undefined;
  private lastPairAbort: string | undefined;

  protected constructor(server: ReferenceServer, url: string, ws: WebSocket) {
    this.server = server;
    this.url = url;
    this.ws = ws;
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const atUs = this.server.clock.nowUs();
      try {
        this.onFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary, atUs);
      } catch (e) {
        this.errors.push(`internal: ${(e as Error).stack ?? e}`);
        this.close(1011);
      }
    });
    ws.on("close", (code: number, reason: Buffer) => this.onClose(code, reason.toString("utf8")));
    ws.on("error", (e: Error) => this.errors.push(`socket: ${e.message}`));
  }

  /** Open a WebSocket to the speaker; nothing is sent (the speaker speaks first with client/init). */
  static open(server: ReferenceServer, url: string, timeoutMs: number): Promise<ServerConnection> {
    return ServerConnection.openWith(server, url, timeoutMs, (ws) => new ServerConnection(server, url, ws));
  }

  /** Open a WebSocket and wrap it in the connection `make` builds (a revision's subclass). */
  protected static openWith<C extends ServerConnection>(server: ReferenceServer, url: string, timeoutMs: number, make: (ws: WebSocket) => C): Promise<C> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handshakeTimeout: timeoutMs });
      ws.binaryType = "nodebuffer";
      const conn = make(ws);
      const fail = (e: Error) => reject(new Error(`cannot open ${url}: ${e.message}`));
      ws.once("error", fail);
      ws.once("unexpected-response", (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
      ws.once("open", () => {
        ws.off("error", fail);
        resolve(conn);
      });
    });
  }

  // ------------------------------------------------------------------ handshake

  /** Wait for client/init (validated; a malformed one closes the socket and rejects). */
  async awaitClientInit(timeoutMs = this.server.timeoutMs): Promise<JsonObject> {
    return this.withTimeout(this.initDeferred.promise, timeoutMs, "client/init");
  }

  /**
   * Send server/init immediately followed by Noise message 1, keyed by the chosen PSK. Resolves the
   * PSK first: a pairing token for another client refuses the handshake (close, nothing sent).
   */
  sendServerInitAndNoise1(o: HandshakeOptions = {}): void {
    if (this.phase !== "init-received") throw new Error(`server/init not expected in phase ${this.phase}`);
    const chosen = this.resolvePsk(o.psk ?? "auto");
    if (typeof chosen === "string") {
      this.close(1000);
      throw new HandshakeFailed(chosen, this);
    }
    let initText = JSON.stringify({ type: "server/init", payload: { server_id: this.server.serverId, version: 1 } });
    if (o.editServerInit) initText = o.editServerInit(initText);
    const initBytes = utf8Encode(initText);
    this.prologue = concatBytes(this.clientInitBytes!, initBytes);
    const keys = { crypto: this.server.crypto, suite: o.suite ?? this.suite, prologue: this.prologue, s: this.server.keyPair, rs: this.clientKey };
    // One ephemeral for both candidates: message 1 does not depend on the PSK (psk2 mixes it in later).
    const fallback = this.sentinelFallback && chosen.kind !== "sentinel";
    const e = fallback ? generateKeyPair(this.server.crypto) : undefined;
    this.noise = NoiseKKpsk2.initiator({ ...keys, e, psk: chosen.psk });
    const payload = o.noise1Payload ?? this.noise1Payload(o.pskId ?? chosen.pskId, chosen.kind);
    const msg1 = this.noise.writeMessage1(payload);
    this.credentialMismatch = false;
    this.sentinelNoise = null;
    if (fallback) {
      this.sentinelNoise = NoiseKKpsk2.initiator({ ...keys, e, psk: SENTINEL_PSK });
      this.sentinelNoise.writeMessage1(payload);
    }
    let noiseText = JSON.stringify({ type: "noise/handshake", payload: { data: base64urlEncode(msg1) } });
    if (o.editNoise1) noiseText = o.editNoise1(noiseText);
    this.psk = chosen.psk;
    this.pskKind = chosen.kind;
    this.pskId = chosen.pskId;
    this.phase = "await-noise2";
    this.sendText(initBytes);
    this.sendText(utf8Encode(noiseText));
  }

  /** Before closing on an invalid client/init (baseline: a silent close). */
  protected refuseInit(_payload: JsonObject): void {}

  /** Wait for Noise message 2 and enter transport mode. */
  async awaitNoise2(timeoutMs = this.server.timeoutMs): Promise<void> {
    return this.withTimeout(this.noise2Deferred.promise, timeoutMs, "noise/handshake message 2");
  }

  /** The whole first handshake: client/init → server/init + message 1 → message 2 → transport. */
  async handshake(o: HandshakeOptions = {}): Promise<void> {
    const t = o.timeoutMs ?? this.server.timeoutMs;
    try {
      await this.awaitClientInit(t);
      this.sendServerInitAndNoise1(o);
      await this.awaitNoise2(t);
    } catch (e) {
      if (e instanceof HandshakeFailed) throw e;
      if (this.phase !== "closed") this.close(1000);
      throw new HandshakeFailed((e as Error).message, this);
    }
  }

  /** The JSON payload of Noise message 1 (baseline: `{psk_id}`). */
  protected noise1Payload(pskId: string, _kind: PskKind): Uint8Array {
    return utf8Encode(JSON.stringify({ psk_id: pskId }));
  }

  /** Whether a message 2 that fails under the referenced PSK is tried under the Sentinel (baseline: no). */
  protected get sentinelFallback(): boolean {
    return false;
  }

  protected resolvePsk(spec: PskSpec): { psk: Uint8Array; kind: PskKind; pskId: string } | string {
    const crypto = this.server.crypto;
    if (spec === "sentinel") return { psk: SENTINEL_PSK, kind: "sentinel", pskId: SENTINEL_PSK_ID };
    if (spec === "auto" || spec === "record") {
      const rec = this.server.records.get(this.clientId);
      if (rec) return { psk: rec.psk, kind: "long-term", pskId: rec.pskId };
      if (spec === "record") return `the server holds no pairing record for ${this.clientId}`;
      return { psk: SENTINEL_PSK, kind: "sentinel", pskId: SENTINEL_PSK_ID };
    }
    if ("pairingPsk" in spec) {
      if (spec.clientKey && this.clientKey.length && !bytesEqual(spec.clientKey, this.clientKey)) return "client_id does not match the pairing token's key";
      return { psk: spec.pairingPsk, kind: "pairing", pskId: computePskId(crypto, spec.pairingPsk) };
    }
    return { psk: spec.psk, kind: bytesEqual(spec.psk, SENTINEL_PSK) ? "sentinel" : "other", pskId: computePskId(crypto, spec.psk) };
  }

  /**
   * In-band re-handshake (spec §Re-handshake): message 1 under the current keys with the new PSK's
   * psk_id, prologue = the previous h; the keys switch when message 2 arrives. Does not send
   * server/hello (call hello() next, as the spec's sequence continues).
   */
  async rehandshake(spec: PskSpec, o: { pskId?: string; timeoutMs?: number } = {}): Promise<void> {
    if (this.phase !== "transport") throw new Error("re-handshake needs transport mode");
    if (this.rehandshake_) throw new Error("a re-handshake is already running");
    const chosen = this.resolvePsk(spec);
    if (typeof chosen === "string") throw new Error(chosen);
    const noise = NoiseKKpsk2.initiator({
      crypto: this.server.crypto,
      suite: this.suite,
      prologue: this.handshakeHash,
      s: this.server.keyPair,
      rs: this.clientKey,
      psk: chosen.psk,
    });
    const msg1 = noise.writeMessage1(this.noise1Payload(o.pskId ?? chosen.pskId, chosen.kind));
    const d = deferred<void>();
    this.sendMessageFrames("noise/handshake", { data: base64urlEncode(msg1) });
    this.rehandshake_ = { noise, d, psk: chosen.psk, kind: chosen.kind, pskId: chosen.pskId };
    await this.withTimeout(d.promise, o.timeoutMs ?? this.server.timeoutMs, "re-handshake message 2");
  }

  // ------------------------------------------------------------------ session

  /** server/hello → client/hello (returned and kept in `clientHello`). */
  async hello(name = this.server.name, timeoutMs?: number): Promise<JsonObject> {
    this.helloRequested = true;
    this.send("server/hello", this.helloPayload(name));
    const m = await this.next("client/hello", { timeoutMs });
    this.clientHello = m.payload;
    return m.payload;
  }

  /** The server/hello payload (baseline: the name only). */
  protected helloPayload(name: string): Record<string, unknown> {
    return { name };
  }

  /** server/activate with exactly the fields given (an omitted active_roles is not sent). */
  activate(a: Activation): void {
    const payload: Record<string, unknown> = { activities: a.activities };
    if (a.active_roles !== undefined) payload.active_roles = a.active_roles;
    if (a.selected_pair_method !== undefined) payload.selected_pair_method = a.selected_pair_method;
    if (a.pairing !== undefined) payload.pairing = a.pairing;
    this.send("server/activate", payload);
    this.playerWasActive = this.roleActive("player@v1");
    this.activation = {
      activities: [...a.activities],
      active_roles: a.active_roles ?? this.activation?.active_roles ?? [],
      selected_pair_method: a.selected_pair_method,
      pairing: a.pairing,
    };
    if (!this.roleActive("player@v1")) this.playerStateSeen = false;
  }

  /** True when `role` (e.g. "player@v1") is in the active roles of the last activation. */
  roleActive(role: string): boolean {
    return !!this.activation?.active_roles.includes(role);
  }

  /**
   * One management request (`op` is "list-records" or "management/list-records"); resolves with the
   * management/result payload. Exactly one request may be in flight (a second call throws).
   */
  async manage(op: string, payload: Record<string, unknown> = {}, timeoutMs?: number): Promise<{ result: string; data?: JsonObject; storage?: JsonObject }> {
    const type = op.startsWith("management/") ? op : `management/${op}`;
    if (this.managementInFlight) throw new Error(`${this.managementInFlight} is still in flight`);
    this.managementInFlight = type;
    try {
      this.send(type, payload);
      const m = await this.next("management/result", { timeoutMs });
      const p = m.payload;
      if (p.result === "ok" && (type === "management/list-records" || type === "management/get-pairing-config")) {
        if (!isObject(p.data)) this.violations.push(`${type}: ok result without data`);
        const s = p.storage;
        if (isObject(s) && !("capacity" in s && "cost_individual" in s && "cost_shared" in s))
          this.violations.push(`${type}: storage lacks capacity/cost_individual/cost_shared`);
      }
      return p as { result: string; data?: JsonObject; storage?: JsonObject };
    } finally {
      this.managementInFlight = null;
    }
  }

  /** server/unpair. When the speaker answers with goodbye `unpaired`, the server forgets its record. */
  unpair(): void {
    this.send("server/unpair", {});
  }

  /** pair/abort from the server; the sender closes the connection after sending (spec). */
  abortPairing(reason: string): void {
    this.send("pair/abort", { reason });
    this.close(1000);
  }

  streamStart(roles: Record<string, unknown>): void {
    this.send("stream/start", { server_transmitted: this.server.clock.nowUs(), ...roles });
  }

  streamClear(roles?: string[]): void {
    this.send("stream/clear", roles ? { server_transmitted: this.server.clock.nowUs(), roles } : { server_transmitted: this.server.clock.nowUs() });
  }

  /** Bytes of an audio chunk's header (type byte included), for buffer accounting (baseline: 9). */
  get audioHeaderBytes(): number {
    return 9;
  }

  /** The speaker has reported what the server waits for before stream/start and audio (baseline: a client/state). */
  get readyForStream(): boolean {
    return this.clientState !== null;
  }

  streamEnd(roles?: string[]): void {
    this.send("stream/end", roles ? { server_transmitted: this.server.clock.nowUs(), roles } : { server_transmitted: this.server.clock.nowUs() });
  }

  /** server/command, e.g. command({ player: { command: "volume", volume: 30 } }). */
  command(obj: Record<string, unknown>): void {
    this.send("server/command", obj);
  }

  /** One audio chunk: binary type 4, BE int64 server timestamp (µs), then the encoded frame. */
  sendAudioChunk(timestampUs: number | bigint, data: Uint8Array): void {
    const body = new Uint8Array(8 + data.length);
    new DataView(body.buffer).setBigInt64(0, BigInt(timestampUs), false);
    body.set(data, 8);
    this.sendBinaryMessage(TYPE_AUDIO, body);
  }

  /** Stream PCM in real time with a send-ahead (see audio.ts). */
  playPcm(o: AudioStreamOptions): AudioSender {
    return new AudioSender(this, o);
  }

  // ------------------------------------------------------------------ sending

  /** A JSON message (type 0), fragmented as the spec says when larger than one frame. */
  send(type: string, payload: unknown): void {
    if (this.rehandshake_) throw new Error(`no messages may flow during a re-handshake (tried ${type})`);
    this.sendMessageFrames(type, payload);
  }

  private sendMessageFrames(type: string, payload: unknown): void {
    const body = encodeEnvelope(type, payload);
    if (type.startsWith("management/")) this.managementOutstanding++;
    this.sealAndSend(this.framesOf(TYPE_JSON, body));
    this.sent.push({ atUs: this.server.clock.nowUs(), kind: "message", type, payload, bytes: body.length });
  }

  /** Arbitrary text as a type-0 JSON body (not necessarily JSON: hostile tests). */
  sendJsonText(text: string | Uint8Array): void {
    const body = typeof text === "string" ? utf8Encode(text) : text;
    this.sealAndSend(this.framesOf(TYPE_JSON, body));
    this.sent.push({ atUs: this.server.clock.nowUs(), kind: "message", payload: text, bytes: body.length });
  }

  /** A binary message of any type with the spec's fragmentation. */
  sendBinaryMessage(type: number, body: Uint8Array): void {
    this.sealAndSend(this.framesOf(type, body));
    this.sent.push({ atUs: this.server.clock.nowUs(), kind: "binary", type, bytes: body.length });
  }

  /** A message split into fragments of the given data sizes (edge and hostile tests). */
  sendFragmented(type: number, body: Uint8Array, sizes: readonly number[]): void {
    this.sealAndSend(this.fragmentsOf(type, body, sizes));
    this.sent.push({ atUs: this.server.clock.nowUs(), kind: "binary", type, bytes: body.length });
  }

  /** Seal one frame plaintext (any type byte, any content) and send it. */
  sendPlainFrame(plaintext: Uint8Array): void {
    this.ws.send(this.sealPlainFrame(plaintext), { binary: true });
    this.sent.push({ atUs: this.server.clock.nowUs(), kind: "raw", type: plaintext[0], bytes: plaintext.length });
  }

  /** Seal without sending (advances the send counter): for replay and reordering tests. */
  sealPlainFrame(plaintext: Uint8Array): Uint8Array {
    if (!this.sendCipher) throw new Error("not in transport mode");
    return sealFrame(this.sendCipher, plaintext);
  }

  /** A raw WebSocket binary frame, sent as is (no encryption). */
  sendRawBinary(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
    this.sent.push({ atUs: this.server.clock.nowUs(), kind: "raw", bytes: bytes.length });
  }

  /** A raw WebSocket text frame, sent as is. */
  sendRawText(text: string | Uint8Array): void {
    this.sendText(typeof text === "string" ? utf8Encode(text) : text);
  }

  protected sendText(bytes: Uint8Array): void {
    // ws sends a Buffer with binary:false as a text frame holding exactly these bytes
    this.ws.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { binary: false });
    this.sent.push({ atUs: this.server.clock.nowUs(), kind: "text", bytes: bytes.length, payload: utf8Decode(bytes) });
  }

  protected sealAndSend(frames: Uint8Array[]): void {
    if (!this.sendCipher) throw new Error("not in transport mode");
    for (const f of frames) this.ws.send(sealFrame(this.sendCipher, f), { binary: true });
  }

  // ------------------------------------------------------------------ receiving

  /**
   * The next unconsumed message matching `m` (a type, a list of types, or a predicate; default: any
   * type but client/time), waiting for it. Messages of other types stay queued for later calls.
   * Rejects with ConnectionClosed when the socket closes first, WaitTimeout after `timeoutMs`.
   */
  next(m?: Match, o: { timeoutMs?: number } = {}): Promise<InMessage> {
    const { fn, what } = matcher(m);
    const i = this.inbox.findIndex(fn);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.closeInfo_) return Promise.reject(new ConnectionClosed(this.closeInfo_, what));
    const timeoutMs = o.timeoutMs ?? this.server.timeoutMs;
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match: fn,
        what,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new WaitTimeout(`no ${what} within ${timeoutMs} ms (unconsumed: ${this.inbox.map((x) => x.type).join(", ") || "none"})`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /**
   * Resolves once `condition()` holds, re-checked after every inbound message (e.g. the merged
   * client/state is synchronized, or N time replies went out). Rejects on close or timeout.
   */
  until(condition: () => boolean, o: { timeoutMs?: number; what?: string } = {}): Promise<void> {
    if (condition()) return Promise.resolve();
    const what = o.what ?? "a condition";
    if (this.closeInfo_) return Promise.reject(new ConnectionClosed(this.closeInfo_, what));
    const timeoutMs = o.timeoutMs ?? this.server.timeoutMs;
    return new Promise((resolve, reject) => {
      const w: ConditionWaiter = {
        test: condition,
        resolve,
        reject,
        what,
        timer: setTimeout(() => {
          this.dropCondition(w);
          reject(new WaitTimeout(`${what} did not hold within ${timeoutMs} ms`));
        }, timeoutMs),
        // Also polled, for conditions on state outside this connection (the speaker's, another connection's).
        poll: setInterval(() => this.checkConditions(), 10),
      };
      this.conditions.push(w);
    });
  }

  private dropCondition(w: ConditionWaiter): void {
    this.conditions = this.conditions.filter((x) => x !== w);
    clearTimeout(w.timer);
    clearInterval(w.poll);
  }

  /** Unconsumed messages (not taken by next()), oldest first. */
  pending(): InMessage[] {
    return this.inbox.slice();
  }

  /** Drop every unconsumed message (returns them). */
  drain(): InMessage[] {
    return this.inbox.splice(0);
  }

  /** Resolves when the socket has closed (immediately if it has). */
  closed(timeoutMs?: number): Promise<CloseInfo> {
    if (timeoutMs === undefined) return this.closedDeferred.promise;
    return this.withTimeout(this.closedDeferred.promise, timeoutMs, "the close");
  }

  get closeInfo(): CloseInfo | null {
    return this.closeInfo_;
  }

  get isOpen(): boolean {
    return this.phase !== "closed" && this.ws.readyState === WebSocket.OPEN;
  }

  get inTransport(): boolean {
    return this.phase === "transport";
  }

  /** Close from the server side (WebSocket close handshake). */
  close(code = 1000): void {
    if (this.phase === "closed") return;
    this.closingByUs = true;
    try {
      this.ws.close(code);
    } catch {
      this.ws.terminate();
    }
  }

  /** Drop the TCP connection without a WebSocket close (a crash or network loss, as the speaker sees it). */
  terminate(): void {
    this.closingByUs = true;
    this.ws.terminate();
  }

  private onFrame(data: Uint8Array, isBinary: boolean, atUs: number): void {
    switch (this.phase) {
      case "await-init":
        return this.onClientInit(data, isBinary, atUs);
      case "init-received":
        this.violations.push(`speaker sent a ${isBinary ? "binary" : "text"} frame before server/init`);
        return;
      case "await-noise2":
        return this.onNoise2(data, isBinary, atUs);
      case "transport":
        return this.onTransportFrame(data, isBinary, atUs);
      case "closed":
        return;
    }
  }

  private cleartext(data: Uint8Array, isBinary: boolean, atUs: number, expected: string): InMessage | null {
    if (isBinary) return this.fatal(`binary frame during the cleartext handshake (expected ${expected})`);
    const env = decodeEnvelope(data);
    if (typeof env === "string") return this.fatal(`${expected}: ${env}`);
    const m: InMessage = { seq: this.seq++, atUs, type: env.type, payload: env.payload, bytes: data.length, fragments: 0, encrypted: false };
    this.received.push(m);
    if (env.type !== expected) return this.fatal(`expected ${expected}, got ${env.type}`);
    return m;
  }

  private onClientInit(data: Uint8Array, isBinary: boolean, atUs: number): void {
    const m = this.cleartext(data, isBinary, atUs, "client/init");
    if (!m) return;
    const v = checkClientMessage("client/init", m.payload);
    if (v.length) {
      this.violations.push(...v);
      this.refuseInit(m.payload);
      this.fatal("invalid client/init");
      return;
    }
    this.clientInitBytes = data.slice();
    this.clientInit = m.payload as unknown as { client_id: string; version: number; suite: SuiteName };
    this.clientId = this.clientInit.client_id;
    this.clientKey = base64urlDecode(this.clientId, 32)!;
    this.suite = this.clientInit.suite;
    this.phase = "init-received";
    this.initDeferred.resolve(m.payload);
  }

  private onNoise2(data: Uint8Array, isBinary: boolean, atUs: number): void {
    const m = this.cleartext(data, isBinary, atUs, "noise/handshake");
    if (!m) return;
    const msg2 = base64urlDecode(m.payload.data);
    if (!msg2) return void this.fatal("noise/handshake: `data` is not base64url");
    let noise = this.noise!;
    let payload = noise.readMessage2(msg2);
    if (!payload && this.sentinelNoise) {
      // Spec (current) §Sentinel Fallback: verify the same message 2 under the Sentinel before failing.
      noise = this.sentinelNoise;
      payload = noise.readMessage2(msg2);
      if (payload) {
        this.credentialMismatch = true;
        this.psk = SENTINEL_PSK;
        this.pskKind = "sentinel";
        this.pskId = SENTINEL_PSK_ID;
      }
    }
    this.sentinelNoise = null;
    if (!payload) return void this.fatal("Noise message 2 failed to authenticate");
    this.checkMsg2Payload(payload);
    const r = noise.split();
    this.noise = null;
    this.sendCipher = r.send;
    this.receiver = this.newReceiver(r.recv);
    this.handshakeHash = r.h;
    this.handshakes++;
    this.phase = "transport";
    this.noise2Deferred.resolve();
  }

  /** The transport receiver (baseline framing). */
  protected newReceiver(cipher: CipherState): FrameReceiver {
    return new FrameReceiver(cipher, this.server.maxMessageBytes);
  }

  /** The frame plaintexts of one message (baseline framing). */
  protected framesOf(type: number, body: Uint8Array): Uint8Array[] {
    return messageFrames(type, body);
  }

  /** Fragment plaintexts with chosen data sizes (baseline framing). */
  protected fragmentsOf(type: number, body: Uint8Array, sizes: readonly number[]): Uint8Array[] {
    return fragmentFrames(type, body, sizes);
  }

  /** Violations of one inbound message judged on its own (baseline vocabulary). */
  protected checkMessage(type: string, payload: JsonObject): string[] {
    return checkClientMessage(type, payload);
  }

  private checkMsg2Payload(payload: Uint8Array): void {
    const text = utf8Decode(payload);
    let ok = false;
    try {
      const v = text === undefined ? undefined : JSON.parse(text);
      ok = isObject(v) && Object.keys(v).length === 0;
    } catch {
      ok = false;
    }
    if (!ok) this.violations.push(`Noise message 2 payload is not the empty object (${text ?? "invalid UTF-8"})`);
    else if (text !== EMPTY_OBJECT_JSON) this.violations.push(`Noise message 2 payload is not exactly "{}" (${text})`);
  }

  private onTransportFrame(data: Uint8Array, isBinary: boolean, atUs: number): void {
    if (!isBinary) return void this.fatal("text frame in transport mode");
    const r = this.receiver!.receive(data);
    if (r.kind === "pending") return;
    if (r.kind === "error") return void this.fatal(`transport: ${r.reason}`);
    if (r.type !== TYPE_JSON) {
      this.receivedBinary.push({ seq: this.seq++, atUs, type: r.type, data: r.data });
      this.violations.push(`speaker sent binary message type ${r.type}`);
      return;
    }
    const env = decodeEnvelope(r.data);
    if (typeof env === "string") {
      this.violations.push(env);
      return;
    }
    const m: InMessage = { seq: this.seq++, atUs, type: env.type, payload: env.payload, bytes: r.data.length, fragments: r.fragments, encrypted: true };
    this.received.push(m);
    this.violations.push(...this.checkMessage(m.type, m.payload));
    if (r.fragments > 0 && r.data.length <= 65518) this.violations.push(`${m.type}: fragmented although it fits in one frame`);
    this.onMessage(m);
  }

  /** A message other than message 2 during a re-handshake (baseline: nothing else may flow). */
  protected duringRehandshake(m: InMessage): void {
    this.violations.push(`${m.type} during a re-handshake`);
  }

  protected onMessage(m: InMessage): void {
    const p = m.payload;
    if (this.rehandshake_) {
      if (m.type !== "noise/handshake") {
        this.duringRehandshake(m);
      } else {
        this.finishRehandshake(p);
        return;
      }
    } else if (m.type === "noise/handshake") {
      this.violations.push("noise/handshake outside a re-handshake");
    }
    if (m.type !== "client/goodbye" && m.type !== "client/hello" && !this.activation && m.type !== "noise/handshake")
      this.violations.push(`${m.type} before the first server/activate`);
    switch (m.type) {
      case "client/hello":
        if (!this.helloRequested) this.violations.push("client/hello without server/hello");
        this.helloRequested = false;
        this.clientHello = p;
        break;
      case "client/time":
        if (this.autoTime && typeof p.client_transmitted === "number") this.replyTime(p.client_transmitted, m.atUs);
        break;
      case "client/state":
        this.mergeState(p);
        break;
      case "client/goodbye":
        this.lastGoodbye = typeof p.reason === "string" ? p.reason : String(p.reason);
        if (this.lastGoodbye === "unpaired") this.server.records.delete(this.clientId);
        if (this.server.closeOnGoodbye) setImmediate(() => this.close(1000));
        break;
      case "pair/abort":
        this.lastPairAbort = typeof p.reason === "string" ? p.reason : String(p.reason);
        break;
      case "management/result":
        if (this.managementOutstanding === 0) this.violations.push("management/result with no request in flight");
        else this.managementOutstanding--;
        break;
    }
    this.deliver(m);
  }

  protected finishRehandshake(p: JsonObject): void {
    const rh = this.rehandshake_!;
    this.rehandshake_ = null;
    const msg2 = base64urlDecode(p.data);
    const payload = msg2 ? rh.noise.readMessage2(msg2) : null;
    if (!payload) {
      rh.d.reject(new Error("re-handshake message 2 failed"));
      this.fatal("re-handshake message 2 failed to authenticate");
      return;
    }
    this.checkMsg2Payload(payload);
    const r = rh.noise.split();
    // Synchronous switch: the next frame in the same socket read is already under the new keys.
    this.sendCipher = r.send;
    this.receiver!.setCipher(r.recv);
    this.handshakeHash = r.h;
    this.psk = rh.psk;
    this.pskKind = rh.kind;
    this.pskId = rh.pskId;
    this.handshakes++;
    rh.d.resolve();
  }

  private replyTime(clientTransmitted: number, receivedUs: number): void {
    const reply = () => {
      if (!this.isOpen || this.rehandshake_) return;
      this.send("server/time", { client_transmitted: clientTransmitted, server_received: receivedUs, server_transmitted: this.server.clock.nowUs() });
      this.timeRepliesSent++;
    };
    if (this.timeReplyDelayMs > 0) setTimeout(reply, this.timeReplyDelayMs);
    else reply();
  }

  protected mergeState(p: JsonObject): void {
    const first = this.clientState === null;
    if (first && !("state" in p)) this.violations.push("initial client/state lacks `state`");
    const playerActive = this.roleActive("player@v1");
    if (playerActive && !this.playerStateSeen) {
      // "When a role becomes active in active_roles, send its full state."
      if (first && !isObject(p.player)) this.violations.push("initial client/state of an active player lacks `player`");
      if (isObject(p.player)) {
        this.playerStateSeen = true;
        const pl = p.player;
        for (const k of ["static_delay_ms", "required_lead_time_ms", "min_buffer_ms"]) if (!(k in pl)) this.violations.push(`first player state lacks \`${k}\``);
        const sup = (this.clientHello?.["player@v1_support"] as JsonObject | undefined)?.supported_commands;
        if (Array.isArray(sup)) {
          if (sup.includes("volume") && !("volume" in pl)) this.violations.push("first player state lacks `volume` (volume supported)");
          if (sup.includes("mute") && !("muted" in pl)) this.violations.push("first player state lacks `muted` (mute supported)");
        }
      }
    }
    // Tolerate the race with an activation that just removed the role (the speaker may not have read it yet).
    if ("player" in p && !playerActive && !this.playerWasActive) this.violations.push("client/state carries `player` while player@v1 is not active");
    const merged: JsonObject = { ...(this.clientState ?? {}) };
    for (const [k, v] of Object.entries(p)) {
      const old = merged[k];
      merged[k] = isObject(v) && isObject(old) ? { ...old, ...v } : v;
    }
    this.clientState = merged;
  }

  protected deliver(m: InMessage): void {
    let taken = false;
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      if (w.match(m)) {
        this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(m);
        taken = true;
        break;
      }
    }
    // A client/time already answered automatically is not queued (it stays in `received`).
    if (!taken && !(m.type === "client/time" && this.autoTime)) this.inbox.push(m);
    this.checkConditions();
  }

  private checkConditions(): void {
    for (const w of this.conditions.slice()) {
      let ok = false;
      try {
        ok = w.test();
      } catch (e) {
        this.dropCondition(w);
        w.reject(e as Error);
        continue;
      }
      if (ok) {
        this.dropCondition(w);
        w.resolve();
      }
    }
  }

  /** Record a fault, close, and fail whatever handshake step is waiting. Returns null for callers. */
  protected fatal(why: string): null {
    this.errors.push(why);
    const e = new Error(why);
    this.initDeferred.reject(e);
    this.noise2Deferred.reject(e);
    this.close(1002);
    return null;
  }

  private onClose(code: number, reason: string): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    const info: CloseInfo = {
      code,
      reason,
      atUs: this.server.clock.nowUs(),
      by: this.closingByUs ? "server" : "client",
      goodbye: this.lastGoodbye,
      pairAbort: this.lastPairAbort,
    };
    this.closeInfo_ = info;
    this.server.connections.delete(this);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new ConnectionClosed(info, w.what));
    }
    for (const w of this.conditions.slice()) {
      this.dropCondition(w);
      w.reject(new ConnectionClosed(info, w.what));
    }
    const e = new ConnectionClosed(info, "the handshake");
    this.initDeferred.reject(e);
    this.noise2Deferred.reject(e);
    if (this.rehandshake_) this.rehandshake_.d.reject(new ConnectionClosed(info, "re-handshake message 2"));
    this.rehandshake_ = null;
    this.closedDeferred.resolve(info);
  }

  private withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new WaitTimeout(`no ${what} within ${ms} ms`)), ms);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }
}
