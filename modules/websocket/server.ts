// A streaming WebSocket server (RFC 6455) over the listener port: the same code serves the device
// (ECMA-419 TCP) and the simulator (Node `net`). Moddable's stock server cannot carry Sendspin (no path
// check, 64 KiB cap, no fragments, one frame per socket read), hence this one.
//
// Everything a peer sends is hostile, so every resource has a bound: the request head (maxHeaderBytes),
// the time to complete the upgrade (handshakeTimeoutMs), a message (maxMessageBytes / maxTextBytes), the
// bytes waiting to be sent (maxBufferedBytes), the close handshake (closeTimeoutMs) and the number of
// open connections (maxConnections). Admission (docs/admission.md): at the cap, a connection whose peer has
// proven nothing yet (the session calls markTrusted once it has) is dropped to make room, the oldest of the
// address holding the most, and a remote address holds at most maxUntrustedPerAddress such connections; only when every slot is trusted
// is a newcomer answered 503. The upgrade's work can be rationed (preAuth). No exception escapes a callback:
// a protocol violation closes with its status code (1002, 1007, 1009), an exception in the user's
// callback with 1011.

import type { ClockPort, ListenerPort, ListenHandle, LogPort, StreamHandler, StreamSocket, TimerHandle } from "../platform.js";
import {
  CLOSE_ABNORMAL,
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_NO_STATUS,
  CLOSE_NORMAL,
  FrameDecoder,
  type FrameSink,
  type Unmasker,
  MAX_CONTROL_PAYLOAD,
  OP_BINARY,
  OP_CLOSE,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  encodeFrameHeader,
  isValidCloseCode,
} from "./frames.js";
import { addressKey } from "../util/address.js";
import { RequestHeadReader, checkUpgradeRequest, errorResponse, switchingProtocolsResponse, type Sha1 } from "./handshake.js";

export interface WsConnection {
  /** A text message: its exact payload bytes (validated UTF-8), a fresh copy the receiver may keep. */
  onText?: (utf8: Uint8Array) => void;
  /** A binary message: a view of the receive buffer, valid during the call only. */
  onBinary?: (data: Uint8Array) => void;
  /**
   * The connection ended (called once): `code` is the close handshake's status (the peer's when it
   * closed first, ours otherwise), 1005 when its close frame had none, 1006 when TCP ended without one.
   */
  onClose?: (code: number) => void;
  /** Everything queued has been handed to the socket (after a send was queued or refused). */
  onWritable?: () => void;
  /**
   * Send one message. Returns false, queuing nothing, when the connection is not open or the frame would
   * push the bytes waiting to be sent past maxBufferedBytes; the caller decides (wait for onWritable or
   * close). The bytes are copied or sent before the call returns.
   */
  sendText(utf8: Uint8Array): boolean;
  sendBinary(data: Uint8Array): boolean;
  /** Bytes queued and not yet accepted by the socket. */
  bufferedAmount(): number;
  /** Start the close handshake (default 1000); the TCP connection ends when the peer answers or after closeTimeoutMs. */
  close(code?: number): void;
  /**
   * The peer has proven a key (or was admitted): from now on this connection is never dropped to make
   * room for another. Until then it may be, at the connection cap or the per-address cap.
   */
  markTrusted(): void;
  readonly remoteAddress?: string;
}

export interface WebSocketServerOptions {
  port: number;
  /** The request path served (`/sendspin`); a query string is ignored, any other path gets 404. */
  path: string;
  /** Largest binary message, in bytes (the sum of its fragments). */
  maxMessageBytes: number;
  /** Largest text message, in bytes; default min(maxMessageBytes, 16384). */
  maxTextBytes?: number;
  /** Open connections (upgrading, open or closing); one more is answered 503 and closed. */
  maxConnections: number;
  clock: ClockPort;
  onConnection: (c: WsConnection) => void;
  /** Largest request head (request line and header fields); default 4096. */
  maxHeaderBytes?: number;
  /** Time from accept to a complete, valid upgrade request; default 10000 ms. */
  handshakeTimeoutMs?: number;
  /** Connections not yet trusted (markTrusted) per remote address; one more drops that address's oldest. Default: no cap. */
  maxUntrustedPerAddress?: number;
  /**
   * Rations the work of accepting connections and reading upgrade requests: runs `work` and returns true,
   * or returns false without running it (the connection is then dropped). Default: always run.
   */
  preAuth?: (address: string | undefined, work: () => void) => boolean;
  /** Time allowed for the close handshake and for flushing a final response; default 3000 ms. */
  closeTimeoutMs?: number;
  /** Bytes that may wait for the socket per connection (also the largest frame sendable); default 66560. */
  maxBufferedBytes?: number;
  /** Native unmasking for the frame decoder (the device's; default: JavaScript). See Unmasker in frames.ts. */
  unmask?: Unmasker;
  /** SHA-1 for Sec-WebSocket-Accept (the device's native one; default: @noble/hashes). See acceptValue. */
  sha1?: Sha1;
  log?: LogPort;
}

export const WS_DEFAULTS = {
  maxTextBytes: 16384,
  maxHeaderBytes: 4096,
  handshakeTimeoutMs: 10000,
  closeTimeoutMs: 3000,
  maxBufferedBytes: 65536 + 1024,
} as const;

/** Room beyond maxBufferedBytes for our own pong and close frames, so a full queue never blocks them. */
const CONTROL_RESERVE = 2 * (MAX_CONTROL_PAYLOAD + 2);

interface Settings {
  readonly path: string;
  readonly maxMessageBytes: number;
  readonly maxTextBytes: number;
  readonly maxHeaderBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly clock: ClockPort;
  readonly unmask: Unmasker | undefined;
  readonly sha1: Sha1 | undefined;
  readonly log: LogPort | undefined;
  readonly preAuth: ((address: string | undefined, work: () => void) => boolean) | undefined;
}

function positiveInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min || v > 0x7fffffff) throw new RangeError(`WebSocketServer: ${name} must be an integer >= ${min}`);
  return v;
}

export class WebSocketServer {
  private readonly settings: Settings;
  private readonly maxConnections: number;
  private readonly maxUntrustedPerAddress: number;
  private readonly onConnection: (c: WsConnection) => void;
  private readonly handle: ListenHandle;
  private readonly connections = new Set<Connection>();
  private refusals = 0;
  private closed = false;
  private highWater = 0;
  private evictions = 0;

  constructor(listener: ListenerPort, o: WebSocketServerOptions) {
    const maxMessageBytes = positiveInt("maxMessageBytes", o.maxMessageBytes, 1);
    this.settings = {
      path: o.path,
      maxMessageBytes,
      maxTextBytes: positiveInt("maxTextBytes", o.maxTextBytes ?? Math.min(maxMessageBytes, WS_DEFAULTS.maxTextBytes), 1),
      maxHeaderBytes: positiveInt("maxHeaderBytes", o.maxHeaderBytes ?? WS_DEFAULTS.maxHeaderBytes, 256),
      handshakeTimeoutMs: positiveInt("handshakeTimeoutMs", o.handshakeTimeoutMs ?? WS_DEFAULTS.handshakeTimeoutMs, 1),
      closeTimeoutMs: positiveInt("closeTimeoutMs", o.closeTimeoutMs ?? WS_DEFAULTS.closeTimeoutMs, 1),
      maxBufferedBytes: positiveInt("maxBufferedBytes", o.maxBufferedBytes ?? WS_DEFAULTS.maxBufferedBytes, 256),
      clock: o.clock,
      unmask: o.unmask,
      sha1: o.sha1,
      log: o.log,
      preAuth: o.preAuth,
    };
    this.maxUntrustedPerAddress = positiveInt("maxUntrustedPerAddress", o.maxUntrustedPerAddress ?? 0x7fffffff, 1);
    this.maxConnections = positiveInt("maxConnections", o.maxConnections, 1);
    this.onConnection = o.onConnection;
    this.handle = listener.listen(o.port, (socket) => this.accept(socket));
  }

  /** The TCP port listened on. */
  get port(): number {
    return this.handle.port;
  }

  /** Connections counted against maxConnections (upgrading, open or closing). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Most connections counted at once, and how many untrusted ones were dropped to make room. */
  get stats(): { connectionHighWater: number; evictions: number } {
    return { connectionHighWater: this.highWater, evictions: this.evictions };
  }

  /** Start the next high-water mark from the connections open now. */
  resetHighWater(): void {
    this.highWater = this.connections.size;
  }

  /** Stop listening; open connections get a 1001 close, upgrading ones are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    for (const c of [...this.connections]) c.shutdown();
  }

  private accept(socket: StreamSocket): StreamHandler {
    const gate = this.settings.preAuth;
    if (gate === undefined || this.closed) return this.admit(socket);
    // accepting is work too (a host that reconnects in a loop makes the speaker build and drop connections)
    let handler: StreamHandler = IGNORE;
    if (gate(socket.remoteAddress, () => (handler = this.admit(socket)))) return handler;
    socket.close(); // the pre-authentication budget is spent: not even a slot
    return IGNORE;
  }

  private admit(socket: StreamSocket): StreamHandler {
    if (!this.closed) this.makeRoom(addressKey(socket.remoteAddress));
    if (this.closed || (this.connections.size >= this.maxConnections && this.refusals >= this.maxConnections)) {
      // over the cap and already answering as many refusals: drop it without a word
      socket.close();
      return IGNORE;
    }
    const refuse = this.connections.size >= this.maxConnections;
    const c = new Connection(this.settings, socket, this, refuse);
    if (refuse) this.refusals++;
    else this.connections.add(c);
    if (this.connections.size > this.highWater) this.highWater = this.connections.size;
    c.start();
    return c.handler;
  }

  /**
   * Before a connection from `address` is counted: drop that address's oldest untrusted connection when
   * it holds its cap of them, and at the connection cap drop one untrusted connection (one already closing
   * first: it is leaving anyway). Trusted connections are never dropped here.
   */
  private makeRoom(address: string): void {
    let own = 0;
    let ownOldest: Connection | null = null;
    for (const c of this.connections) {
      if (c.trusted || c.address !== address) continue;
      if (ownOldest === null) ownOldest = c;
      own++;
    }
    if (ownOldest !== null && own >= this.maxUntrustedPerAddress) this.evict(ownOldest, "per-address cap");
    if (this.connections.size < this.maxConnections) return;
    // The victim: one already closing; else an untrusted connection of the address that holds the most of
    // them (the newcomer counted with its own address), the least advanced (no upgrade, then no message
    // yet), the oldest: a real server mid-handshake holds one connection that has spoken, and outlasts
    // hosts that hold several or say nothing. The Set iterates oldest first.
    let victim: Connection | null = null;
    let most = 0;
    for (const c of this.connections) {
      if (c.trusted) continue;
      if (c.closing) {
        victim = c;
        break;
      }
      const held = this.untrustedFrom(c.address) + (c.address === address ? 1 : 0);
      if (held > most || (held === most && victim !== null && c.progress < victim.progress)) {
        victim = c;
        most = held;
      }
    }
    if (victim !== null) this.evict(victim, "connection cap");
  }

  private untrustedFrom(address: string): number {
    let n = 0;
    for (const c of this.connections) if (!c.trusted && c.address === address) n++;
    return n;
  }

  private evict(c: Connection, why: string): void {
    this.evictions++;
    // debug: under attack this happens for every connection, and logs cost CPU too
    this.settings.log?.log("debug", `websocket ${c.remoteAddress ?? ""}: dropped to make room (${why}, not trusted yet)`);
    c.drop();
  }

  /** Called by a connection once it is over. */
  release(c: Connection, refused: boolean): void {
    if (refused) this.refusals--;
    else this.connections.delete(c);
  }

  /** Hand an upgraded connection to the user. */
  deliver(c: Connection): void {
    this.onConnection(c);
  }
}

const IGNORE: StreamHandler = { onData() {}, onWritable() {}, onClose() {} };

const S_HANDSHAKE = 0;
const S_OPEN = 1;
const S_CLOSING = 2; // a close frame or an error response is on its way out
const S_DONE = 3;

class Connection implements WsConnection, FrameSink {
  onText?: (utf8: Uint8Array) => void;
  onBinary?: (data: Uint8Array) => void;
  onClose?: (code: number) => void;
  onWritable?: () => void;
  readonly remoteAddress?: string;
  readonly handler: StreamHandler;
  /** addressKey(remoteAddress): what the per-address cap counts. */
  readonly address: string;
  /** The session vouched for the peer (markTrusted): never dropped to make room. */
  trusted = false;
  /** A message was delivered (admission: a peer that speaks is dropped after one that does not). */
  private spoke = false;

  private readonly s: Settings;
  private readonly socket: StreamSocket;
  private readonly server: WebSocketServer;
  private readonly refused: boolean;
  private state = S_HANDSHAKE;
  private reader: RequestHeadReader | null = null;
  private decoder: FrameDecoder | null = null;
  private timer: TimerHandle | undefined;
  /** The user has seen this connection (onConnection ran): onClose is owed. */
  private visible = false;
  private closeCode = CLOSE_ABNORMAL;
  /** After our close frame: wait for the peer's before closing TCP. */
  private awaitingPeerClose = false;
  /** The TCP connection ends as soon as the queue is empty. */
  private endWhenFlushed = false;
  /** The peer's close frame arrived (its code is in closeCode). */
  private decoderSawClose = false;

  // send queue: copies of what the socket has not taken yet, in order
  private queue: Uint8Array[] = [];
  private queueOffset = 0; // bytes of queue[0] already written
  private queued = 0;
  private readonly header = new Uint8Array(10);
  private readonly headerViews: Uint8Array[] = [];
  private readonly closePayload = new Uint8Array(2);

  constructor(settings: Settings, socket: StreamSocket, server: WebSocketServer, refused: boolean) {
    this.s = settings;
    this.socket = socket;
    this.server = server;
    this.refused = refused;
    this.remoteAddress = socket.remoteAddress;
    this.address = addressKey(socket.remoteAddress);
    this.headerViews[2] = this.header.subarray(0, 2);
    this.headerViews[4] = this.header.subarray(0, 4);
    this.headerViews[10] = this.header;
    this.handler = {
      onData: (data) => this.guard(() => this.data(data)),
      onWritable: () => this.guard(() => this.flush()),
      onClose: () => this.guard(() => this.finish(this.decoderSawClose ? this.closeCode : CLOSE_ABNORMAL, false)),
    };
  }

  start(): void {
    if (this.refused) {
      this.respondAndEnd(503, "connection limit reached");
      return;
    }
    this.reader = new RequestHeadReader(this.s.maxHeaderBytes);
    this.timer = this.s.clock.setTimeout(() => this.guard(() => this.respondAndEnd(408, "upgrade not completed in time")), this.s.handshakeTimeoutMs);
  }

  // ---- WsConnection ----

  sendText(utf8: Uint8Array): boolean {
    return this.state === S_OPEN && this.sendFrame(OP_TEXT, utf8, false);
  }

  sendBinary(data: Uint8Array): boolean {
    return this.state === S_OPEN && this.sendFrame(OP_BINARY, data, false);
  }

  bufferedAmount(): number {
    return this.queued;
  }

  close(code = CLOSE_NORMAL): void {
    this.guard(() => {
      if (this.state !== S_OPEN) return;
      if (!isValidCloseCode(code)) code = CLOSE_NORMAL;
      this.startClose(code, true);
    });
  }

  markTrusted(): void {
    this.trusted = true;
  }

  /** How far the peer got: 0 upgrading, 1 upgraded, 2 a message delivered. */
  get progress(): number {
    return this.state === S_HANDSHAKE ? 0 : this.spoke ? 2 : 1;
  }

  /** On its way out (an error response or a close handshake): the first to drop at the cap. */
  get closing(): boolean {
    return this.state === S_CLOSING;
  }

  /** Dropped to make room: TCP closes now, the user hears 1006. */
  drop(): void {
    this.guard(() => this.finish(CLOSE_ABNORMAL, true));
  }

  /** Server shutdown. */
  shutdown(): void {
    this.guard(() => {
      if (this.state === S_OPEN) this.startClose(CLOSE_GOING_AWAY, true);
      else if (this.state === S_HANDSHAKE) this.finish(CLOSE_ABNORMAL, true);
    });
  }

  // ---- FrameSink ----

  onMessage(text: boolean, data: Uint8Array): void {
    if (this.state !== S_OPEN) return; // closing: data is discarded (RFC 6455 §1.4)
    this.spoke = true;
    try {
      if (text) this.onText?.(data.slice());
      else this.onBinary?.(data);
    } catch (e) {
      this.userFault("message handler", e);
    }
  }

  onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === OP_PING) {
      // answered while open; a pong that does not fit is dropped (only the latest ping needs an answer)
      if (this.state === S_OPEN) this.sendFrame(OP_PONG, payload, true);
    } else if (opcode === OP_CLOSE) {
      this.decoder?.halt();
      this.decoderSawClose = true;
      const peerCode = payload.length >= 2 ? (payload[0] << 8) | payload[1] : CLOSE_NO_STATUS;
      if (this.state === S_OPEN) {
        // the peer closes first: echo its code, then end TCP (the server ends it first, RFC 6455 §7.1.1)
        this.closeCode = peerCode;
        this.sendClose(peerCode === CLOSE_NO_STATUS ? 0 : peerCode);
        this.awaitingPeerClose = false;
        this.endAfterFlush();
      } else if (this.awaitingPeerClose) {
        this.awaitingPeerClose = false;
        this.endAfterFlush();
      }
    }
    // pongs are not needed: the session has its own timeouts
  }

  onViolation(code: number, reason: string): void {
    this.s.log?.log("info", `websocket ${this.remoteAddress ?? ""}: ${reason}, closing with ${code}`);
    if (this.state === S_OPEN) this.startClose(code, false);
    else if (this.state === S_CLOSING && this.awaitingPeerClose) this.finish(this.closeCode, true);
  }

  // ---- inbound bytes ----

  private data(data: Uint8Array): void {
    if (this.state === S_HANDSHAKE && this.reader !== null) {
      const gate = this.s.preAuth;
      if (gate === undefined) return this.upgrade(data);
      if (!gate(this.remoteAddress, () => this.upgrade(data))) {
        this.s.log?.log("debug", `websocket ${this.remoteAddress ?? ""}: upgrade refused, pre-authentication budget spent`);
        this.finish(CLOSE_ABNORMAL, true);
      }
      return;
    }
    if (this.decoder !== null && this.state !== S_DONE) this.decoder.push(data);
  }

  /** Bytes of the request head (and whatever follows it in the same read). */
  private upgrade(data: Uint8Array): void {
    if (this.reader !== null) {
      const used = this.reader.push(data);
      if (used < 0) return this.respondAndEnd(431, "request head too large");
      if (!this.reader.complete) return;
      const check = checkUpgradeRequest(this.reader.head(), this.s.path);
      this.reader = null;
      if (!check.ok) return this.respondAndEnd(check.status, check.reason);
      this.s.clock.clear(this.timer);
      this.timer = undefined;
      this.writeOrQueue(switchingProtocolsResponse(check.key, this.s.sha1));
      this.state = S_OPEN;
      this.decoder = new FrameDecoder({ maxMessageBytes: this.s.maxMessageBytes, maxTextBytes: this.s.maxTextBytes, expectMasked: true, unmask: this.s.unmask }, this);
      this.visible = true;
      try {
        this.server.deliver(this);
      } catch (e) {
        this.userFault("connection handler", e);
      }
      if (used < data.length && this.state !== S_DONE) this.decoder.push(data.subarray(used));
    }
  }

  // ---- outbound bytes ----

  private sendFrame(opcode: number, payload: Uint8Array, control: boolean): boolean {
    const len = payload.length;
    const hlen = encodeFrameHeader(this.header, true, opcode, len);
    const total = hlen + len;
    const limit = this.s.maxBufferedBytes + (control ? CONTROL_RESERVE : 0);
    if (total > limit || (this.queued > 0 && this.queued + total > limit)) return false;
    this.writeOrQueue(this.headerViews[hlen]);
    if (len > 0) this.writeOrQueue(payload);
    return true;
  }

  /** Our close frame (code 0: none); it goes out after what is queued. */
  private sendClose(code: number): void {
    const p = this.closePayload;
    p[0] = code >> 8;
    p[1] = code & 255;
    if (!this.sendFrame(OP_CLOSE, code === 0 ? p.subarray(0, 0) : p, true)) this.endWhenFlushed = true;
  }

  /** Write what the socket takes now; queue a copy of the rest (after anything already queued). */
  private writeOrQueue(bytes: Uint8Array): void {
    let rest = bytes;
    if (this.queued > 0) {
      // behind what is queued; the socket owes us an onWritable (pump stopped on writable() == 0)
      this.queue.push(rest.slice());
      this.queued += rest.length;
      return;
    }
    const space = this.socket.writable();
    if (space >= rest.length) {
      if (this.socket.write(rest)) return;
    } else if (space > 0 && this.socket.write(rest.subarray(0, space))) rest = rest.subarray(space);
    this.queue.push(rest.slice());
    this.queued += rest.length;
    // the socket may have room again already (a host that flushed synchronously): use it now, and stop
    // only once writable() reported 0, which obliges the driver to call onWritable later. Nobody was
    // refused while the queue was empty, so draining here owes the user no onWritable.
    this.pump();
  }

  /** onWritable from the socket: send what is queued; once all is out, finish a close or tell the user. */
  private flush(): void {
    if (this.state === S_DONE) return;
    const had = this.queued > 0;
    this.pump();
    if (this.queued > 0) return;
    if (this.endWhenFlushed) return this.finish(this.closeCode, true);
    if (had && this.state === S_OPEN) {
      try {
        this.onWritable?.();
      } catch (e) {
        this.userFault("writable handler", e);
      }
    }
  }

  /** Write queued bytes while the socket takes them. */
  private pump(): void {
    while (this.queued > 0) {
      const space = this.socket.writable();
      if (space <= 0) break;
      const head = this.queue[0];
      const n = Math.min(space, head.length - this.queueOffset);
      const view = this.queueOffset === 0 && n === head.length ? head : head.subarray(this.queueOffset, this.queueOffset + n);
      if (!this.socket.write(view)) break;
      this.queued -= n;
      this.queueOffset += n;
      if (this.queueOffset === head.length) {
        this.queue.shift();
        this.queueOffset = 0;
      }
    }
  }

  // ---- ending ----

  /** Send our close frame; then either wait for the peer's (we started) or end TCP once it is out. */
  private startClose(code: number, awaitPeer: boolean): void {
    this.state = S_CLOSING;
    this.closeCode = code;
    this.awaitingPeerClose = awaitPeer;
    if (!awaitPeer) this.decoder?.halt();
    this.sendClose(code);
    this.armCloseTimer();
    if (!awaitPeer) this.endAfterFlush();
  }

  /** An HTTP error status, then the end of the connection. */
  private respondAndEnd(status: number, reason: string): void {
    if (this.state !== S_HANDSHAKE) return;
    this.s.log?.log("info", `websocket ${this.remoteAddress ?? ""}: ${status} ${reason}`);
    this.reader = null;
    this.state = S_CLOSING;
    this.writeOrQueue(errorResponse(status));
    this.armCloseTimer();
    this.endAfterFlush();
  }

  private armCloseTimer(): void {
    this.s.clock.clear(this.timer);
    this.timer = this.s.clock.setTimeout(() => this.guard(() => this.finish(this.closeCode, true)), this.s.closeTimeoutMs);
  }

  private endAfterFlush(): void {
    if (this.queued === 0) this.finish(this.closeCode, true);
    else this.endWhenFlushed = true;
  }

  /** The end: release everything, close TCP (unless the peer did), tell the user once. */
  private finish(code: number, closeSocket: boolean): void {
    if (this.state === S_DONE) return;
    this.state = S_DONE;
    this.s.clock.clear(this.timer);
    this.timer = undefined;
    this.decoder?.halt();
    this.decoder = null;
    this.reader = null;
    this.queue = [];
    this.queued = 0;
    if (closeSocket) this.socket.close();
    this.server.release(this, this.refused);
    if (this.visible) {
      try {
        this.onClose?.(code);
      } catch (e) {
        this.s.log?.log("warn", `websocket close handler threw: ${String(e)}`);
      }
    }
  }

  private userFault(where: string, e: unknown): void {
    this.s.log?.log("error", `websocket ${where} threw: ${String(e)}`);
    if (this.state === S_OPEN) this.startClose(CLOSE_INTERNAL_ERROR, false);
  }

  /** Entry points from the port and the clock never throw: an unexpected fault ends the connection. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.s.log?.log("error", `websocket internal fault: ${String(e)}`);
      try {
        this.finish(CLOSE_ABNORMAL, true);
      } catch {
        // nothing more to release
      }
    }
  }
}
