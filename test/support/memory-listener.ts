// An in-memory ListenerPort for the core's unit tests (pure ECMAScript, so they run in XS too): each
// `connect()` gives the test the peer's end of a byte stream. The server side has a send window the test
// controls (to exercise back-pressure); the test delivers bytes in any split it wants.

import type { ListenHandle, ListenerPort, StreamHandler, StreamSocket } from "../../modules/platform.js";
import { concatBytes } from "../../modules/util/bytes.js";

export class MemoryPeer {
  /** Bytes the server wrote, not yet taken by `take()`. */
  private received: Uint8Array[] = [];
  /** The server closed its end. */
  serverClosed = false;
  /** The peer closed its end (closeFromPeer). */
  peerClosed = false;
  /** Space the server may still write before the test calls `grant`. */
  window: number;
  /** Refused writes seen (a correct user never writes more than writable()). */
  refusedWrites = 0;
  handler: StreamHandler | undefined;
  readonly socket: StreamSocket;

  constructor(window: number, remoteAddress: string) {
    this.window = window;
    const peer = this;
    this.socket = {
      remoteAddress,
      write(data: Uint8Array): boolean {
        if (peer.serverClosed || data.length > peer.window) {
          peer.refusedWrites++;
          return false;
        }
        peer.window -= data.length;
        peer.received.push(data.slice()); // the port contract: the caller may reuse its buffer
        return true;
      },
      writable(): number {
        return peer.serverClosed ? 0 : peer.window;
      },
      close(): void {
        peer.serverClosed = true;
      },
    };
  }

  /** Deliver bytes to the server, as one read. */
  send(bytes: Uint8Array): void {
    if (!this.serverClosed && !this.peerClosed) this.handler!.onData(bytes);
  }

  /** Deliver bytes split into reads of the given sizes (the last read takes the rest). */
  sendSplit(bytes: Uint8Array, sizes: number[]): void {
    let o = 0;
    for (const n of sizes) {
      if (o >= bytes.length) break;
      this.send(bytes.subarray(o, Math.min(bytes.length, o + n)));
      o += n;
    }
    if (o < bytes.length) this.send(bytes.subarray(o));
  }

  /** Everything the server wrote since the last call. */
  take(): Uint8Array {
    const all = concatBytes(...this.received);
    this.received = [];
    return all;
  }

  /** Open the server's send window by `n` bytes and tell it. */
  grant(n: number): void {
    this.window += n;
    if (!this.serverClosed && !this.peerClosed) this.handler!.onWritable();
  }

  /** The peer ends the TCP connection. */
  closeFromPeer(): void {
    if (this.peerClosed || this.serverClosed) return;
    this.peerClosed = true;
    this.handler!.onClose();
  }
}

export class MemoryListener implements ListenerPort {
  private accept: ((socket: StreamSocket) => StreamHandler) | undefined;
  listening = false;
  readonly peers: MemoryPeer[] = [];

  listen(port: number, accept: (socket: StreamSocket) => StreamHandler): ListenHandle {
    this.accept = accept;
    this.listening = true;
    return {
      port,
      close: () => {
        this.listening = false;
      },
    };
  }

  /** A new TCP connection; `window` is the server's initial send space; by default each peer has its own address. */
  connect(window = 1 << 20, remoteAddress = `127.0.0.${this.peers.length + 1}`): MemoryPeer {
    if (!this.listening || !this.accept) throw new Error("not listening");
    const peer = new MemoryPeer(window, remoteAddress);
    this.peers.push(peer);
    peer.handler = this.accept(peer.socket);
    return peer;
  }
}
