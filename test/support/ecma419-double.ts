// A double of Moddable's ECMA-419 TCP stack (`embedded:io/socket/listener` + `embedded:io/socket/tcp`) for
// the unit tests of modules/board/ecma419-listener.ts (pure ECMAScript: Node and XS). The test plays the
// remote host (send, FIN, RST) and the host's task (`poll()`: one turn of the callbacks the SDK reports).
//
// Two personalities, each with the behaviour read in the SDK 8.2.3 sources:
//  - "lin" (modules/io/socket/lin/tcp.c, Moddable's desktop simulator): a poll task every 20 ms reads at
//    most 1,536 bytes, refreshes the writable count to 1,536 and reports writable, readable, then error. A
//    read of end-of-stream (FIN or RST) sets the error flag and reports onError. A write() that fails (the
//    peer reset the connection) sets the same flag and returns nothing, and from then on the task skips
//    the socket: no onError, no onReadable, no onWritable, ever (that is why a failed write must end the
//    connection by itself).
//  - "lwip" (modules/io/socket/lwip/tcp.c, ESP32): everything reported through messages to the XS task;
//    a reset reports onError (after the bytes already received are read); a write after a failure the
//    host has not reported yet returns nothing; once onError was delivered, write() throws "not ready".
// Both: write() throws "would block" beyond the space last reported, returns the space left on success.

import type { Ecma419Listener, Ecma419ListenerClass, Ecma419Tcp, Ecma419TcpClass, Ecma419TcpOptions } from "../../modules/board/ecma419-listener.js";
import { concatBytes } from "../../modules/util/bytes.js";

export type HostKind = "lin" | "lwip";

/** The SDK's lin read buffer and writable count (kBufferSize). */
export const LIN_BUFFER = 1536;

/** The remote end of one connection, driven by the test. */
export class Ecma419Peer {
  /** The host socket once the speaker adopted the connection. */
  tcp: HostTcp | undefined;
  /** Called with each write the host accepted (the bytes the remote end receives). */
  onBytes?: (bytes: Uint8Array) => void;
  /** Calls of write() on the host socket, accepted or not. */
  writeCalls = 0;
  /** Writes that failed (nothing returned). */
  failedWrites = 0;
  private received: Uint8Array[] = [];
  /** Bytes sent by the peer, not yet read by the host. */
  inbound: Uint8Array[] = [];
  finished = false;
  resetSent = false;
  /** Space the host's send buffer has (lwIP's tcp_sndbuf; lin always reports LIN_BUFFER). */
  window: number;

  constructor(window: number) {
    this.window = window;
  }

  /** Bytes for the speaker; it reads them at the next poll. */
  send(bytes: Uint8Array): void {
    if (!this.finished && !this.resetSent) this.inbound.push(bytes.slice());
  }

  /** FIN: the speaker reads end-of-stream after the bytes already sent. */
  finish(): void {
    this.finished = true;
  }

  /** RST (or the remote process died): the speaker's next write fails; its next read fails. */
  reset(): void {
    this.resetSent = true;
    this.inbound = [];
  }

  /** Everything the speaker wrote since the last take(). */
  take(): Uint8Array {
    const out = concatBytes(...this.received);
    this.received = [];
    return out;
  }

  deliver(bytes: Uint8Array): void {
    this.received.push(bytes);
    this.onBytes?.(bytes);
  }

  /** The speaker closed its socket (the adapter released the host's TCP). */
  get closedByHost(): boolean {
    return this.tcp !== undefined && this.tcp.closed;
  }
}

interface Pending {
  readonly peer: Ecma419Peer;
}

export class HostTcp implements Ecma419Tcp {
  readonly remoteAddress = "192.0.2.7";
  closed = false;
  /** The host's error flag (tcp->error). */
  error = false;
  /** An error the host will report (lwIP) at its next turn. */
  private errorPending = false;
  /** lwIP: onError delivered (tcp->ready false: write throws "not ready"). */
  private errorDelivered = false;
  private readable: Uint8Array[] = [];
  private readableBytes = 0;
  private space = 0; // bytes write() accepts now (lin bytesWritable / lwIP tcp_sndbuf)
  private reportedSpace = -1;

  constructor(
    private readonly kind: HostKind,
    readonly peer: Ecma419Peer,
    private readonly o: Ecma419TcpOptions,
  ) {
    peer.tcp = this;
  }

  read(buffer: Uint8Array): void {
    if (buffer.length > this.readableBytes) throw new Error("invalid");
    let off = 0;
    while (off < buffer.length) {
      const head = this.readable[0];
      const n = Math.min(head.length, buffer.length - off);
      buffer.set(head.subarray(0, n), off);
      off += n;
      if (n === head.length) this.readable.shift();
      else this.readable[0] = head.subarray(n);
    }
    this.readableBytes -= buffer.length;
  }

  write(data: Uint8Array): number | undefined {
    this.peer.writeCalls++;
    if (this.kind === "lwip" && this.errorDelivered) throw new Error("not ready");
    if (this.closed || this.error) {
      this.peer.failedWrites++;
      return undefined;
    }
    if (data.length > this.space) throw new Error("would block");
    this.space -= data.length;
    if (this.peer.resetSent) {
      // the send fails (EPIPE / ECONNRESET; lwIP: tcp_write's error)
      this.error = true;
      if (this.kind === "lwip") this.errorPending = true;
      this.peer.failedWrites++;
      return undefined;
    }
    this.peer.deliver(data.slice());
    if (this.kind === "lwip") {
      this.peer.window -= data.length;
      this.reportedSpace = this.space; // the next acknowledgement (tcpSent) reports onWritable
    }
    return this.space;
  }

  close(): void {
    this.closed = true;
  }

  /** The host's send space shrinks without a notification (lwIP's tcp_sndbuf moving under the adapter). */
  shrinkSpace(bytes: number): void {
    this.space = bytes;
  }

  /** One turn of the host's task for this socket. */
  turn(): void {
    if (this.closed) return;
    if (this.kind === "lin") this.linTurn();
    else this.lwipTurn();
  }

  private linTurn(): void {
    if (this.error) return; // tcpTask: "if (... tcp->error) return;": a failed socket is never serviced again
    let writable = false, readable = false, failed = false;
    if (this.space !== LIN_BUFFER) {
      this.space = LIN_BUFFER;
      writable = true;
    }
    const peer = this.peer;
    if (this.readableBytes < LIN_BUFFER) {
      if (peer.inbound.length > 0) {
        let room = LIN_BUFFER - this.readableBytes;
        while (room > 0 && peer.inbound.length > 0) {
          const head = peer.inbound[0];
          const n = Math.min(room, head.length);
          this.readable.push(head.subarray(0, n));
          this.readableBytes += n;
          room -= n;
          if (n === head.length) peer.inbound.shift();
          else peer.inbound[0] = head.subarray(n);
        }
        readable = true;
      } else if (peer.finished || peer.resetSent) {
        this.error = true;
        if (this.readableBytes === 0) failed = true;
      }
    }
    if (writable && !this.error) this.o.onWritable(this.space);
    if (readable && this.readableBytes > 0 && !this.closed) this.o.onReadable(this.readableBytes);
    if (failed && !this.closed) this.o.onError();
  }

  private lwipTurn(): void {
    const peer = this.peer;
    if (this.errorDelivered) return;
    if (!this.error && peer.inbound.length > 0) {
      for (const b of peer.inbound) {
        this.readable.push(b);
        this.readableBytes += b.length;
      }
      peer.inbound = [];
    }
    if (!this.error && peer.resetSent) {
      this.error = true;
      this.errorPending = true;
    }
    if (!this.error && peer.finished && peer.inbound.length === 0) {
      this.error = true;
      this.errorPending = true;
    }
    if (this.readableBytes > 0) this.o.onReadable(this.readableBytes);
    if (this.closed) return;
    if (this.error) {
      if (this.errorPending && this.readableBytes === 0) {
        this.errorPending = false;
        this.errorDelivered = true;
        this.o.onError();
      }
      return;
    }
    this.space = peer.window;
    if (this.space !== this.reportedSpace) {
      this.reportedSpace = this.space;
      this.o.onWritable(this.space);
    }
  }
}

/** The listener and TCP classes of one host, and its task. */
export class Ecma419Stack {
  readonly Listener: Ecma419ListenerClass;
  readonly TCP: Ecma419TcpClass;
  readonly sockets: HostTcp[] = [];
  private pending: Pending[] = [];
  private listener: { onReadable(requests: number): void; closed: boolean } | undefined;

  constructor(readonly kind: HostKind) {
    const stack = this;
    this.Listener = class implements Ecma419Listener {
      readonly port: number;
      private readonly state: { onReadable(requests: number): void; closed: boolean };
      constructor(o: { port: number; onReadable(requests: number): void }) {
        this.port = o.port === 0 ? 49152 : o.port;
        this.state = { onReadable: o.onReadable, closed: false };
        stack.listener = this.state;
      }
      read(): unknown {
        return stack.pending.shift();
      }
      close(): void {
        this.state.closed = true;
      }
    };
    this.TCP = class {
      constructor(o: Ecma419TcpOptions) {
        const from = o.from as Pending;
        const tcp = new HostTcp(stack.kind, from.peer, o);
        stack.sockets.push(tcp);
        return tcp;
      }
    } as unknown as Ecma419TcpClass;
  }

  /** A new connection from a remote host (`window`: the send space lwIP reports; lin always 1,536). */
  connect(window = 65535): Ecma419Peer {
    const peer = new Ecma419Peer(window);
    this.pending.push({ peer });
    return peer;
  }

  /** One turn of the host's task: pending connections announced, then each socket serviced. */
  poll(): void {
    const l = this.listener;
    if (l && !l.closed && this.pending.length > 0) l.onReadable(this.pending.length);
    for (const s of this.sockets.slice()) s.turn();
  }
}
