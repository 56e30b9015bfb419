// The listener port over Node's `net`, for the simulator and the Node tests. It models a device socket's
// bounded send buffer (`sendBufferBytes`, like lwIP's TCP_SND_BUF) so back-pressure behaves as on the
// device: `writable()` is the room left in that budget, a write that does not fit is refused whole, and
// `onWritable` follows once Node has handed queued bytes to the kernel.

import { createServer, type Server, type Socket } from "node:net";
import type { ListenHandle, ListenerPort, LogPort, StreamHandler, StreamSocket } from "../modules/platform.js";

export interface NodeListenerOptions {
  /** Address to bind (tests: "127.0.0.1"); default all interfaces. */
  host?: string;
  /** Bytes a socket may hold unsent before writes are refused; default 16384. */
  sendBufferBytes?: number;
  /** How long a closed socket may take to flush before it is destroyed; default 2000 ms. */
  lingerMs?: number;
  log?: LogPort;
}

export interface NodeListenHandle extends ListenHandle {
  /** Resolves with the bound port once listening; rejects when the port cannot be bound. */
  readonly ready: Promise<number>;
}

export class NodeListener implements ListenerPort {
  private readonly host: string | undefined;
  private readonly sendBufferBytes: number;
  private readonly lingerMs: number;
  private readonly log: LogPort | undefined;

  private latest: Promise<number> | undefined;

  constructor(o: NodeListenerOptions = {}) {
    this.host = o.host;
    this.sendBufferBytes = o.sendBufferBytes ?? 16384;
    this.lingerMs = o.lingerMs ?? 2000;
    this.log = o.log;
  }

  listen(port: number, accept: (socket: StreamSocket) => StreamHandler): NodeListenHandle {
    const server: Server = createServer({ noDelay: true, highWaterMark: this.sendBufferBytes }, (socket) => this.adopt(socket, accept));
    let bound = port;
    const ready = new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, this.host, () => {
        server.off("error", reject);
        const a = server.address();
        bound = typeof a === "object" && a !== null ? a.port : port;
        resolve(bound);
      });
    });
    ready.catch(() => {}); // the caller may not await it; the failure is still logged below
    this.latest = ready;
    server.on("error", (e) => this.log?.log("error", `listener on port ${port}: ${e.message}`));
    return {
      ready,
      get port() {
        return bound;
      },
      close: () => {
        server.close();
      },
    };
  }

  /**
   * The outcome of the latest listen(): the bound port, or the bind error (EADDRINUSE...). For hosts that
   * hand the listener to code that calls listen() itself (the speaker) and want to report the result.
   */
  bound(): Promise<number> {
    return this.latest ?? Promise.reject(new Error("listen() was not called"));
  }

  private adopt(socket: Socket, accept: (socket: StreamSocket) => StreamHandler): void {
    const budget = this.sendBufferBytes;
    const lingerMs = this.lingerMs;
    let closed = false; // closed by the user: no more callbacks
    let ended = false; // the connection is gone
    let wantWritable = false;
    let handler: StreamHandler | undefined;

    const room = () => Math.max(0, budget - socket.writableLength);
    const flushed = () => {
      if (closed || ended || !wantWritable || room() === 0) return;
      wantWritable = false;
      handler?.onWritable();
    };
    const port: StreamSocket = {
      remoteAddress: socket.remoteAddress,
      write(data: Uint8Array): boolean {
        if (closed || ended || data.length > room()) {
          wantWritable = true;
          return false;
        }
        if (data.length === 0) return true;
        // Node keeps a reference to what it is given until sent: copy, the caller may reuse its buffer
        socket.write(Buffer.from(data), flushed);
        if (room() === 0) wantWritable = true;
        return true;
      },
      writable(): number {
        const n = closed || ended ? 0 : room();
        if (n === 0) wantWritable = true;
        return n;
      },
      close(): void {
        if (closed) return;
        closed = true;
        socket.end();
        setTimeout(() => socket.destroy(), lingerMs).unref();
      },
    };

    socket.on("data", (data: Buffer) => {
      if (!closed && !ended) handler?.onData(data);
    });
    socket.on("error", (e) => this.log?.log("debug", `socket ${socket.remoteAddress}: ${e.message}`));
    socket.on("close", () => {
      if (ended) return;
      ended = true;
      if (!closed) handler?.onClose();
    });
    try {
      handler = accept(port);
    } catch (e) {
      this.log?.log("error", `accept: ${String(e)}`);
      socket.destroy();
    }
  }
}
