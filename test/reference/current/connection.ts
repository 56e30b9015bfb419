// A reference-server connection speaking the current revision (current spec §Encryption,
// §Communication, §Core messages, §Player messages). The transport mechanisms are the baseline
// reference's ServerConnection (WebSocket, Noise initiator, sealing, waits, recorder); this subclass
// changes only what the current text changes: message 1 carries `psk_category`, the server verifies
// message 2 under the Sentinel when the referenced PSK fails (§Sentinel Fallback), fragment type 1 with
// its flags byte, the 13-byte audio header, `stream/end` without `server_transmitted`, `client/state`
// as full objects with `available`, hellos exactly once per connection, and the pairing index.

import type WebSocket from "ws";
import type { CipherState } from "../../../crypto/noise.js";
import { SUITES } from "../../../crypto/provider.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { FrameReceiver } from "../framing.js";
import { ServerConnection, type Activation, type HandshakeOptions, type InMessage, type PskKind } from "../connection.js";
import type { ReferenceServer } from "../server.js";
import { isObject, type JsonObject } from "../wire.js";
import { AUDIO_HEADER_BYTES, audioChunkBody, CurrentReassembler, fragmentFrames, messageFrames } from "./framing.js";
import { checkClientMessageCurrent, type PskCategory } from "./wire.js";

const TYPE_AUDIO = 4;

/** The init failure's reason: an integer version other than 1 first, then the suite, then any other shape fault. */
export function initFailureReason(p: JsonObject): "unsupported_version" | "unsupported_suite" | "malformed" {
  if (Number.isInteger(p.version) && p.version !== 1) return "unsupported_version";
  if (p.version === 1 && typeof p.suite === "string" && !(SUITES as readonly string[]).includes(p.suite)) return "unsupported_suite";
  return "malformed";
}
const CATEGORY_OF: Record<PskKind, PskCategory> = { sentinel: "sn", pairing: "pr", "long-term": "lt", other: "lt" };

export interface CurrentHandshakeOptions extends HandshakeOptions {
  /** Declare this psk_category in message 1 instead of the chosen PSK's own (hostile: a category mismatch). */
  pskCategory?: string;
}

export class CurrentConnection extends ServerConnection {
  private pskCategory: string | undefined;
  /** The category the last message 1 declared. */
  declaredCategory: string = "sn";
  /** Pairing server/activate messages sent since the last Noise handshake (the CPace sid's pairing_index). */
  pairingIndex = 0;
  /** client/hello messages received (the spec: exactly one per connection). */
  hellos = 0;
  /** The server/hello `languages` (none by default). */
  languages: string[] | undefined;

  static openCurrent(server: ReferenceServer, url: string, timeoutMs: number): Promise<CurrentConnection> {
    return ServerConnection.openWith(server, url, timeoutMs, (ws: WebSocket) => new CurrentConnection(server, url, ws));
  }

  override handshake(o: CurrentHandshakeOptions = {}): Promise<void> {
    this.pskCategory = o.pskCategory;
    return super.handshake(o);
  }

  /** In-band re-handshake; message 1 declares the new PSK's category (or `pskCategory`). */
  override rehandshake(spec: Parameters<ServerConnection["rehandshake"]>[0], o: { pskId?: string; pskCategory?: string; timeoutMs?: number } = {}): Promise<void> {
    this.pskCategory = o.pskCategory;
    return super.rehandshake(spec, o);
  }

  protected override noise1Payload(pskId: string, kind: PskKind): Uint8Array {
    this.declaredCategory = this.pskCategory ?? CATEGORY_OF[kind];
    this.pskCategory = undefined;
    return utf8Encode(JSON.stringify({ psk_id: pskId, psk_category: this.declaredCategory }));
  }

  /** An init failure (current §Failure Handling): server/error with the reason, then the close. */
  protected override refuseInit(p: JsonObject): void {
    this.sendServerError(initFailureReason(p));
  }

  /** server/error in place of server/init (cleartext text message); the caller closes. */
  sendServerError(reason: string): void {
    this.sendText(utf8Encode(JSON.stringify({ type: "server/error", payload: { reason } })));
  }

  protected override get sentinelFallback(): boolean {
    return true;
  }

  protected override newReceiver(cipher: CipherState): FrameReceiver {
    return new FrameReceiver(cipher, this.server.maxMessageBytes, new CurrentReassembler(this.server.maxMessageBytes));
  }

  protected override framesOf(type: number, body: Uint8Array): Uint8Array[] {
    return messageFrames(type, body);
  }

  protected override fragmentsOf(type: number, body: Uint8Array, sizes: readonly number[]): Uint8Array[] {
    return fragmentFrames(type, body, sizes);
  }

  protected override checkMessage(type: string, payload: JsonObject): string[] {
    return checkClientMessageCurrent(type, payload);
  }

  protected override helloPayload(name: string): Record<string, unknown> {
    return this.languages ? { name, languages: this.languages } : { name };
  }

  /** The server must tolerate old-key messages the speaker sent before it read message 1. */
  protected override duringRehandshake(_m: InMessage): void {}

  protected override finishRehandshake(p: JsonObject): void {
    super.finishRehandshake(p);
    this.pairingIndex = 0;
  }

  protected override onMessage(m: InMessage): void {
    if (m.type === "client/hello" && ++this.hellos > 1) this.violations.push("client/hello sent more than once on the connection");
    super.onMessage(m);
  }

  /** server/activate; a pairing activation counts toward the pairing index. */
  override activate(a: Activation): void {
    if ((a.activities as string[]).includes("pairing")) this.pairingIndex++;
    super.activate(a);
  }

  /** client/state: full role objects, `available` in every message; an omitted role object keeps its state. */
  protected override mergeState(p: JsonObject): void {
    const playerActive = this.roleActive("player@v1");
    if ("player" in p && !playerActive && !this.playerWasActive) this.violations.push("client/state carries `player` while player@v1 is not active");
    if (isObject(p.player)) this.playerStateSeen = true;
    const merged: JsonObject = { ...(this.clientState ?? {}) };
    for (const [k, v] of Object.entries(p)) merged[k] = v;
    this.clientState = merged;
  }

  override get audioHeaderBytes(): number {
    return AUDIO_HEADER_BYTES;
  }

  /** stream/start waits for `available: true` and, with the player active, for its state object. */
  override get readyForStream(): boolean {
    return this.clientState?.available === true && (!this.roleActive("player@v1") || this.playerStateSeen);
  }

  override streamEnd(roles?: string[]): void {
    this.send("stream/end", roles ? { roles } : {});
  }

  /** One audio chunk: [4][timestamp][send_ahead = timestamp − now, stamped just before sealing][data]. */
  override sendAudioChunk(timestampUs: number | bigint, data: Uint8Array): void {
    const ts = BigInt(timestampUs);
    this.sendBinaryMessage(TYPE_AUDIO, audioChunkBody(ts, Number(ts) - this.server.clock.nowUs(), data));
  }

  /** An audio chunk with a chosen send_ahead (saturation values, hostile tests). */
  sendAudioChunkWithSendAhead(timestampUs: number | bigint, sendAheadUs: number, data: Uint8Array): void {
    this.sendBinaryMessage(TYPE_AUDIO, audioChunkBody(timestampUs, sendAheadUs, data));
  }
}
