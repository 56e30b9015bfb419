// The listener port over ECMA-419 sockets (Moddable's `embedded:io/socket/listener` + `embedded:io/socket/tcp`),
// written against the shape of those classes and handed them by the driver (drivers/listener.ts), so the
// adapter itself is portable: unit tests run it in Node and XS over a double of the host's TCP
// (test/support/ecma419-double.ts), with the behaviours the SDK's implementations really have.
//
// Reading: every socket reads into one shared buffer (callbacks never overlap, and the port's contract is
// that `onData`'s bytes are valid during the call only), so receiving allocates nothing per read beyond a
// view for a partial fill. Writing: the TCP object throws "would block" when its send buffer lacks room,
// so the adapter tracks the room it was told (onWritable's byte count, less what it has written since)
// and refuses a write that does not fit instead of letting the native call throw.
//
// Failure. Every Moddable TCP (lwIP on the ESP32, lin/mac/win on the desktop, zephyr) returns from a
// successful write() the bytes still writable, and returns nothing when the send itself failed (the peer
// reset the connection, the socket errored). A failed write is the end of the connection, whether or not
// the host also reports it: the lin implementation of SDK 8.2.3 never does (it marks its socket as failed
// and from then on its poll task skips it: no onError, no onReadable, no onWritable), so a driver that
// waited for onError kept a dead connection (its session, its player's timers, a growing send queue)
// forever. The adapter closes the TCP and reports onClose on the next timer turn (never from inside
// write(): the caller is in the middle of its own send path).

import type { ClockPort, ListenHandle, ListenerPort, LogPort, StreamHandler, StreamSocket } from "../platform.js";

/** What the adapter uses of an ECMA-419 TCP socket (Moddable's `embedded:io/socket/tcp`). */
export interface Ecma419Tcp {
  readonly remoteAddress?: string;
  /** Fill `buffer` completely from the bytes announced by onReadable. */
  read(buffer: Uint8Array): unknown;
  /** Moddable: the bytes still writable after a successful write; nothing when the send failed; throws "would block". */
  write(data: Uint8Array): unknown;
  close(): void;
}

export interface Ecma419TcpOptions {
  from: unknown;
  nodelay: boolean;
  onReadable(bytes: number): void;
  onWritable(bytes: number): void;
  onError(): void;
}

export type Ecma419TcpClass = new (options: Ecma419TcpOptions) => Ecma419Tcp;

/** What the adapter uses of an ECMA-419 listener (Moddable's `embedded:io/socket/listener`). */
export interface Ecma419Listener {
  readonly port: number;
  /** The next pending connection, or nothing. */
  read(): unknown;
  /** In every Moddable implementation, though not in the SDK's typing. */
  close?(): void;
}

export type Ecma419ListenerClass = new (options: { port: number; onReadable(requests: number): void }) => Ecma419Listener;

export interface Ecma419ListenerOptions {
  /** The host's classes (the driver passes the `embedded:io/socket/*` ones). */
  Listener: Ecma419ListenerClass;
  TCP: Ecma419TcpClass;
  /** Schedules the onClose of a connection whose write failed (a 0 ms timer). */
  clock: ClockPort;
  /** Size of the shared read buffer; default 2920 (two full-size TCP segments). */
  readBufferBytes?: number;
  log?: LogPort;
}

export class Ecma419ListenerPort implements ListenerPort {
  private readonly Listener: Ecma419ListenerClass;
  private readonly TCP: Ecma419TcpClass;
  private readonly clock: ClockPort;
  private readonly readBuffer: Uint8Array;
  private readonly log: LogPort | undefined;

  constructor(o: Ecma419ListenerOptions) {
    this.Listener = o.Listener;
    this.TCP = o.TCP;
    this.clock = o.clock;
    this.readBuffer = new Uint8Array(o.readBufferBytes ?? 2920);
    this.log = o.log;
  }

  listen(port: number, accept: (socket: StreamSocket) => StreamHandler): ListenHandle {
    const adapter = this;
    let listener: Ecma419Listener | undefined;
    listener = new this.Listener({
      port,
      onReadable(requests: number) {
        for (let i = 0; i < requests && listener; i++) {
          let raw: unknown;
          try {
            raw = listener.read();
          } catch (e) {
            adapter.log?.log("warn", `listener read: ${String(e)}`);
          }
          if (raw === undefined || raw === null) break;
          adapter.adopt(raw, accept);
        }
      },
    });
    const bound = listener;
    return {
      port: bound.port,
      close: () => {
        listener = undefined;
        try {
          bound.close?.();
        } catch {
          // already closed
        }
      },
    };
  }

  private adopt(raw: unknown, accept: (socket: StreamSocket) => StreamHandler): void {
    const buffer = this.readBuffer;
    const log = this.log;
    const clock = this.clock;
    let handler: StreamHandler | undefined;
    let room = 0; // send space last reported by the stack, less what was written since
    let closed = false; // closed by the user: no more callbacks
    let ended = false; // the connection failed or the peer closed

    // assigned once the constructor returns; the hosts report nothing before (their callbacks come from a task)
    let sock!: Ecma419Tcp;
    try {
      sock = new this.TCP({
        from: raw,
        nodelay: true, // Sendspin's small timing messages must not wait for Nagle
        onReadable(bytes: number) {
          try {
            let left = bytes;
            while (left > 0 && !closed && !ended) {
              const n = left < buffer.length ? left : buffer.length;
              const view = n === buffer.length ? buffer : buffer.subarray(0, n);
              sock.read(view);
              left -= n;
              handler?.onData(view);
            }
          } catch (e) {
            log?.log("warn", `tcp read: ${String(e)}`);
            end();
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
          end();
        },
      });
    } catch (e) {
      log?.log("warn", `tcp adopt: ${String(e)}`);
      return;
    }

    /** Close the TCP once; nothing is written or reported after. */
    const release = () => {
      ended = true;
      room = 0;
      try {
        sock.close();
      } catch {
        // already gone
      }
    };

    /** Release the TCP; the user's handler hears onClose (at once, or on the next turn when `later`). */
    const end = (later = false) => {
      if (ended) return;
      release();
      if (closed) return;
      const tell = () => {
        if (closed) return; // the user closed meanwhile: no callback after close()
        closed = true;
        try {
          handler?.onClose();
        } catch (e) {
          log?.log("warn", `tcp close handler: ${String(e)}`);
        }
      };
      if (later) clock.setTimeout(tell, 0);
      else tell();
    };

    const socket: StreamSocket = {
      remoteAddress: sock.remoteAddress,
      write(data: Uint8Array): boolean {
        if (closed || ended || data.length > room) return false;
        if (data.length === 0) return true;
        let left: unknown;
        try {
          left = sock.write(data); // lwIP and the desktop copy the bytes: the caller may reuse them
        } catch {
          room = 0; // "would block": wait for the next onWritable
          return false;
        }
        if (typeof left !== "number") {
          log?.log("info", "tcp write failed: connection lost");
          end(true);
          return false;
        }
        room -= data.length;
        if (left < room) room = left > 0 ? left : 0;
        return true;
      },
      writable(): number {
        return closed || ended ? 0 : room;
      },
      close(): void {
        if (closed) return;
        closed = true;
        if (!ended) release();
      },
    };
    handler = accept(socket);
  }
}
