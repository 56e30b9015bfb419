// The speaker's receive path for benchmarks and long simulations, assembled from the real parts (pure
// ECMAScript, runs in XS): TCP bytes → WebSocket server (frame parsing, unmasking) → SecureChannel (decryption
// in place, framing) → the dispatch Connection.onBinary does (type 0 JSON to the player's messages, type 4 to
// Player.onAudioChunk) → jitter buffer → scheduler → sink. The server side is simulated here: it runs the Noise
// initiator, answers the player's clock-sync probes with server/time, and streams 20 ms chunks of PCM 48 kHz,
// 16-bit stereo, sealed and framed as a browser/server would send them (masked client frames).
//
// Time is a ManualClock advanced one chunk period per step; the sink (CountingSink) releases played blocks as
// time passes, so the scheduler keeps refilling it exactly as on the device.

import { generateKeyPair } from "../../crypto/ids.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import { InitiatorHandshake, ResponderHandshake } from "../../modules/channel/handshake.js";
import { SecureChannel } from "../../modules/channel/secure-channel.js";
import { DEFAULT_CONFIG } from "../../modules/config.js";
import { Player, type PlayerOptions } from "../../modules/player/player.js";
import { parseEnvelope, envelope } from "../../modules/protocol/envelope.js";
import { encodeJson } from "../../modules/protocol/json.js";
import { BINARY_JSON, BINARY_PLAYER_AUDIO } from "../../modules/protocol/names.js";
import { writeAudioChunkTimestamp } from "../../modules/protocol/player-messages.js";
import { concatBytes } from "../../modules/util/bytes.js";
import { utf8Encode } from "../../modules/util/utf8.js";
import { OP_BINARY, type Unmasker } from "../../modules/websocket/frames.js";
import { WebSocketServer, type WsConnection } from "../../modules/websocket/server.js";
import { ManualClock } from "./clock.js";
import { CountingSink } from "./player-rig.js";
import { MemoryListener, type MemoryPeer } from "./memory-listener.js";
import { SeededRandom } from "./random.js";
import { clientFrame, ServerStreamReader, upgradeRequest } from "./ws-peer.js";

export const CHUNK_US = 20_000;
export const CHUNK_FRAMES = 960; // 20 ms at 48 kHz
export const CHUNK_PCM_BYTES = CHUNK_FRAMES * 4; // 16-bit stereo: 3,840 bytes
/** Clock-sync probes are answered after at most this long. */
const PROBE_STEP_US = 1000;
/** Server time = local time + this (the player's clock sync finds it). */
const SERVER_OFFSET_US = 1_000_000_000;

export interface ReceivePathOptions {
  crypto: CryptoProvider;
  suite: SuiteName;
  /** Player options (e.g. clock-sync intervals). */
  player?: Partial<PlayerOptions>;
  /** How far ahead of its play time a chunk arrives. */
  aheadUs?: number;
  bufferCapacity?: number;
  /** The WebSocket server's unmasking (the native one on the device); default JavaScript. */
  unmask?: Unmasker;
  /** Distinct 20 ms PCM chunks the server cycles through (default 8); fewer keep a small device's heap free. */
  pcmPatterns?: number;
  /** Called once the simulated server's objects exist and before any of the speaker's (memory baselines). */
  beforeSpeaker?: () => void;
}

export class ReceivePath {
  readonly clock = new ManualClock(5_000_000);
  readonly sink: CountingSink;
  readonly player: Player;
  private readonly listener = new MemoryListener();
  private readonly wsServer: WebSocketServer;
  private readonly peer: MemoryPeer;
  private readonly reader = new ServerStreamReader(1 << 16);
  private speakerChannel: SecureChannel | undefined;
  private ws: WsConnection | undefined;
  private readonly serverChannel: SecureChannel;
  private readonly aheadUs: number;
  private nextTs = 0;
  private chunkIndex = 0;
  private readonly pcm: Uint8Array[] = [];
  private readonly body = new Uint8Array(8 + CHUNK_PCM_BYTES);
  /** Wire bytes of chunks prepared ahead (deliverPrepared), oldest first. */
  private readonly prepared: Uint8Array[] = [];
  private preparedHead = 0;
  /** Audio chunks the player refused (none in a healthy run). */
  rejected = 0;
  /** server/time answers sent. */
  timeReplies = 0;
  /** Pending clock-sync probes: [client_transmitted, local send time] pairs. */
  private readonly probes: number[] = [];

  constructor(o: ReceivePathOptions) {
    this.aheadUs = o.aheadUs ?? 200_000;

    // ---- the simulated server's side first (so a memory reading in beforeSpeaker() excludes it) ----
    // The Noise handshake (prologue as the session builds it: client/init bytes || server/init bytes).
    const { crypto, suite } = o;
    const server = generateKeyPair(crypto), speaker = generateKeyPair(crypto);
    const prologue = concatBytes(utf8Encode('{"type":"client/init"}'), utf8Encode('{"type":"server/init"}'));
    const psk = new SeededRandom(3).bytes(32);
    const init = new InitiatorHandshake({ crypto, suite, s: server, rs: speaker.publicKey, prologue, psk });
    const resp = new ResponderHandshake({ crypto, suite, s: speaker, rs: server.publicKey, prologue });
    if (resp.readMessage1(init.message1().payload) === null) throw new Error("receive path: handshake message 1 refused");
    const { message, keys: speakerKeys } = resp.respond(psk);
    const serverKeys = init.readMessage2(message.payload);
    if (!serverKeys) throw new Error("receive path: handshake message 2 refused");
    this.serverChannel = new SecureChannel(serverKeys, { maxMessageBytes: 1 << 20 });
    const patterns = o.pcmPatterns ?? 8;
    for (let i = 0; i < patterns; i++) {
      const p = new Uint8Array(CHUNK_PCM_BYTES);
      for (let j = 0; j < p.length; j++) p[j] = (i * 31 + j * 7) & 255;
      this.pcm.push(p);
    }
    o.beforeSpeaker?.();

    // ---- the speaker: sink, player, WebSocket server (over an in-memory TCP connection), channel ----
    this.sink = new CountingSink(this.clock);
    const config = { ...DEFAULT_CONFIG, bufferCapacity: o.bufferCapacity ?? 262_144, audioFormats: [{ codec: "pcm" as const, sampleRate: 48000, channels: 2, bitsPerSample: 16 }] };
    this.player = new Player(
      {
        clock: this.clock,
        audio: this.sink,
        log: { log: () => {} },
        sendJson: (type, payload) => this.speakerSend(type, payload),
        staticDelayMs: () => 0,
        persistStaticDelayMs: () => {},
      },
      config,
      o.player,
    );
    this.wsServer = new WebSocketServer(this.listener, {
      port: 8928,
      path: "/sendspin",
      maxMessageBytes: 1 << 20,
      maxConnections: 1,
      clock: this.clock,
      unmask: o.unmask,
      // The accept key as the speaker makes it (modules/speaker.ts): through the provider's SHA-1 where it has one.
      sha1: crypto.sha1 ? (data) => crypto.sha1!(data) : undefined,
      onConnection: (c) => {
        this.ws = c;
        this.speakerChannel = new SecureChannel(speakerKeys, { maxMessageBytes: 1 << 20 });
        c.onBinary = (frame) => this.onBinary(frame);
      },
    });
    this.peer = this.listener.connect();
    this.peer.send(upgradeRequest("/sendspin"));
    this.reader.push(this.peer.take());
    if (this.reader.status !== 101 || !this.ws) throw new Error("receive path: WebSocket upgrade failed");

    // player@v1 active: synchronize the clock (probes answered as they come), then start a stream.
    this.player.activate();
    for (let guard = 0; guard < 20_000 && !this.player.synchronized; guard++) this.advance(1000);
    if (!this.player.synchronized) throw new Error(`receive path: the player did not synchronize (${this.timeReplies} replies, ${JSON.stringify(this.player.clockSync.stats)})`);
    this.serverSendJson("stream/start", { player: { codec: "pcm", sample_rate: 48000, channels: 2, bit_depth: 16 } });
    this.nextTs = this.clock.nowUs() + SERVER_OFFSET_US + this.aheadUs;
  }

  /** What Connection.onBinary does with a frame once the session is established and player@v1 is active. */
  private onBinary(frame: Uint8Array): void {
    const r = this.speakerChannel!.receive(frame);
    if (r.kind !== "message") {
      if (r.kind === "error") throw new Error(`receive path: ${r.reason}`);
      return;
    }
    if (r.type === BINARY_PLAYER_AUDIO) {
      if (!this.player.onAudioChunk(r.data)) this.rejected++;
    } else if (r.type === BINARY_JSON) {
      const env = parseEnvelope(r.data);
      if (env) this.player.onMessage(env.type, env.payload);
    }
  }

  /** The speaker's outbound JSON (the player's client/time, client/state): encrypted, framed, read by the server. */
  private speakerSend(type: string, payload: Record<string, unknown>): void {
    this.speakerChannel!.sendJson(envelope(type, payload), (f) => this.ws!.sendBinary(f));
    this.reader.push(this.peer.take());
    while (this.reader.events.length > 0) {
      const e = this.reader.events.shift()!;
      if (e.kind !== "binary") continue;
      const r = this.serverChannel.receive(e.data);
      if (r.kind !== "message" || r.type !== BINARY_JSON) continue;
      const env = parseEnvelope(r.data);
      // Probes are answered at the next advance(), as if the server were half that time away (symmetric path).
      if (env?.type === "client/time") this.probes.push(env.payload.client_transmitted as number, this.clock.nowUs());
    }
  }

  /** Answer the clock-sync probes the speaker sent since the last call (server receive time = midpoint). */
  private answerProbes(): void {
    // Only the probes pending now: a reply makes the speaker send its next probe at once, which waits for the
    // next step (a zero round trip would be no measurement at all).
    const now = this.clock.nowUs();
    const pending = this.probes.splice(0, this.probes.length);
    for (let i = 0; i < pending.length; i += 2) {
      const t1 = pending[i], sentAt = pending[i + 1];
      const t2 = Math.round(sentAt + (now - sentAt) / 2) + SERVER_OFFSET_US;
      this.timeReplies++;
      this.serverSendJson("server/time", { client_transmitted: t1, server_received: t2, server_transmitted: t2 });
    }
  }

  private serverSendJson(type: string, payload: Record<string, unknown>): void {
    const body = encodeJson(envelope(type, payload));
    this.serverChannel.send(BINARY_JSON, body, (f) => this.peer.send(clientFrame(OP_BINARY, f)));
  }

  /** The wire bytes of the next audio chunk (sealed, then framed as a masked client frame). */
  private nextChunkWire(): Uint8Array {
    const body = this.body;
    body.set(this.pcm[this.chunkIndex % this.pcm.length], 8);
    writeAudioChunkTimestamp(body, 0, this.nextTs);
    this.nextTs += CHUNK_US;
    this.chunkIndex++;
    let wire: Uint8Array | undefined;
    this.serverChannel.send(BINARY_PLAYER_AUDIO, body, (f) => {
      wire = clientFrame(OP_BINARY, f);
    });
    return wire!;
  }

  /** Let `us` of local time pass: timers fire (clock sync), the sink plays and releases blocks. */
  advance(us: number): void {
    // In steps of at most 1 ms, so a probe is answered within 1 ms (the round trip of a LAN).
    for (let left = us; left > 0; left -= PROBE_STEP_US) {
      this.clock.advanceUs(left < PROBE_STEP_US ? left : PROBE_STEP_US);
      if (this.probes.length) this.answerProbes();
    }
    this.sink.drain();
  }

  /** One chunk period with the server producing the chunk now (simulations: memory, long runs). */
  step(): void {
    this.advance(CHUNK_US);
    this.peer.send(this.nextChunkWire());
  }

  /** Prepare the wire bytes of the next `n` chunks (server work, outside a measurement). */
  prepare(n: number): void {
    this.prepared.length = 0;
    this.preparedHead = 0;
    for (let i = 0; i < n; i++) this.prepared.push(this.nextChunkWire());
  }

  /**
   * One chunk period delivering a prepared chunk: the speaker's work plus the simulation's clock and sink (one
   * clock advance, one drain). Clock-sync probes are not answered here: measurements run between bursts.
   */
  stepPrepared(): void {
    this.clock.advanceUs(CHUNK_US);
    this.sink.drain();
    this.peer.send(this.prepared[this.preparedHead++]);
  }

  get preparedLeft(): number {
    return this.prepared.length - this.preparedHead;
  }

  /** Drop prepared chunks (their memory) once measured. */
  clearPrepared(): void {
    this.prepared.length = 0;
    this.preparedHead = 0;
  }

  /** Frames the sink has been given so far. */
  get framesPlayed(): number {
    return this.sink.writtenFrames;
  }

  close(): void {
    this.player.deactivate();
    this.wsServer.close();
    this.speakerChannel?.dispose();
    this.serverChannel.dispose();
  }
}
