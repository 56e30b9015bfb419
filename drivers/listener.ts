// The listener port over ECMA-419 sockets (`embedded:io/socket/listener` + `embedded:io/socket/tcp`):
// esp32 (lwIP) and Moddable's desktop simulator run the same portable WebSocket server on top.
//
// Reading: every socket reads into one shared buffer (callbacks never overlap, and the port's contract is
// that `onData`'s bytes are valid during the call only), so receiving allocates nothing per read beyond a
// view for a partial fill. Writing: the TCP object throws "would block" when its send buffer lacks room,
// so the driver tracks the room it was told (onWritable's byte count, less what it has written since)
// and refuses a write that does not fit instead of letting the native call throw.

import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import type { ListenHandle, ListenerPort, LogPort, StreamHandler, StreamSocket } from "../modules/platform.js";

export interface DeviceListenerOptions {
  /** Size of the shared read buffer; default 2920 (two full-size TCP segments). */
  readBufferBytes?: number;
  log?: LogPort;
}

/** Listener.close() exists in the implementation (modules/io/socket/lwip/listener.js) but not in the SDK typing. */
type ClosableListener = Listener & { close(): void };

export class DeviceListener implements ListenerPort {
  private readonly readBuffer: Uint8Array;
  private readonly log: LogPort | undefined;

  constructor(o: DeviceListenerOptions = {}) {
    this.readBuffer = new Uint8Array(o.readBufferBytes ?? 2920);
    this.log = o.log;
  }

  listen(port: number, accept: (socket: StreamSocket) => StreamHandler): ListenHandle {
    const driver = this;
    const listener = new Listener({
      port,
      onReadable(requests: number) {
        for (let i = 0; i < requests; i++) {
          let raw: TCP | undefined;
          try {
            raw = listener.read();
          } catch (e) {
            driver.log?.log("warn", `listener read: ${String(e)}`);
          }
          if (raw === undefined) break;
          driver.adopt(raw, accept);
        }
      },
    }) as ClosableListener;
    return {
      port: listener.port,
      close: () => {
        try {
          listener.close();
        } catch {
          // already closed
        }
      },
    };
  }

  private adopt(raw: TCP, accept: (socket: StreamSocket) => StreamHandler): void {
    const buffer = this.readBuffer;
    const log = this.log;
    let handler: StreamHandler | undefined;
    let room = 0; // send space last reported by the stack, less what was written since
    let closed = false; // closed by the user: no more callbacks
    let ended = false; // the connection failed or the peer closed

    const tcp: TCP = new TCP({
      from: raw,
      nodelay: true, // Sendspin's small timing messages must not wait for Nagle
      onReadable(bytes: number) {
        try {
          let left = bytes;
          while (left > 0 && !closed && !ended) {
            const n = left < buffer.length ? left : buffer.length;
            const view = n === buffer.length ? buffer : buffer.subarray(0, n);
            tcp.read(view);
            left -= n;
            handler?.onData(view);
          }
        } catch (e) {
          log?.log("warn", `tcp read: ${String(e)}`);
          fail();
        }
      },
      onWritable(bytes: number) {
        room = bytes;
        if (closed || ended) return;
        try {
          handler?.onWritable();
        } catch (e) {
          log?.log("warn", `tcp writable: ${String(e)}`);
        }
      },
      onError() {
        fail();
      },
    });

    const fail = () => {
      if (ended) return;
      ended = true;
      try {
        tcp.close();
      } catch {
        // already gone
      }
      if (!closed) {
        try {
          handler?.onClose();
        } catch (e) {
          log?.log("warn", `tcp close handler: ${String(e)}`);
        }
      }
    };

    const socket: StreamSocket = {
      remoteAddress: tcp.remoteAddress,
      write(data: Uint8Array): boolean {
        if (closed || ended || data.length > room) return false;
        if (data.length === 0) return true;
        try {
          tcp.write(data); // lwIP copies the bytes (TCP_WRITE_FLAG_COPY): the caller may reuse them
        } catch {
          room = 0; // "would block": wait for the next onWritable
          return false;
        }
        room -= data.length;
        return true;
      },
      writable(): number {
        return closed || ended ? 0 : room;
      },
      close(): void {
        if (closed) return;
        closed = true;
        if (ended) return;
        ended = true;
        try {
          tcp.close();
        } catch {
          // already gone
        }
      },
    };
    handler = accept(socket);
  }
}
