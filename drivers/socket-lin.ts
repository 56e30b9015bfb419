// drivers/socket on Moddable's Linux simulator (see drivers/socket.d.ts): an ECMA-419-shaped listener and
// TCP socket over drivers/native/desktop/sendspin_socket_lin.c, which watches each descriptor on mcsim's
// GLib main loop. The SDK's lin TCP polls every 20 ms and moves at most 1,536 bytes per poll: round trips
// of ~20 ms and at most ~77 KB/s per socket, less than 48 kHz stereo PCM needs. Measured in mcsim with the
// reference server: clock sync 39 s (SDK) → 0.8-1.1 s (these), PCM received 74-75 KB/s → 190-197 KB/s
// (the stream's real-time rate). The device's lwIP sockets are event-driven, like these.

import type { Ecma419Listener, Ecma419ListenerClass, Ecma419Tcp, Ecma419TcpClass, Ecma419TcpOptions } from "../modules/board/ecma419-listener.js";

const socketOpen = native("xs_sss_socket_open");
const socketRead = native("xs_sss_socket_read");
const socketWrite = native("xs_sss_socket_write");
const socketClose = native("xs_sss_socket_close");
const socketRemoteAddress = native("xs_sss_socket_remote_address");
const listenerOpen = native("xs_sss_listener_open");
const listenerRead = native("xs_sss_listener_read");
const listenerPort = native("xs_sss_listener_port");
const listenerClose = native("xs_sss_listener_close");

const EVENT_READABLE = 1;
const EVENT_WRITABLE = 2;

/** What Listener.read() hands to the TCP constructor's `from`. */
interface Accepted {
  readonly fd: number;
}

class LinTcp extends Native("xs_sss_socket_destructor") implements Ecma419Tcp {
  readonly remoteAddress: string | undefined;

  constructor(o: Ecma419TcpOptions) {
    super();
    const self = this;
    // The C side calls this for each event; an exception here would abort the machine, so none escapes.
    const dispatch = (kind: number, count: number) => {
      try {
        if (kind === EVENT_READABLE) o.onReadable.call(self, count);
        else if (kind === EVENT_WRITABLE) o.onWritable.call(self, count);
        else o.onError.call(self);
      } catch {
        // the adapter guards its own callbacks; nothing more to do here
      }
    };
    socketOpen.call(this, (o.from as Accepted).fd, o.nodelay, dispatch);
    this.remoteAddress = socketRemoteAddress.call(this);
  }

  read(buffer: Uint8Array): void {
    socketRead.call(this, buffer);
  }

  write(data: Uint8Array): number | undefined {
    return socketWrite.call(this, data);
  }

  close(): void {
    socketClose.call(this);
  }
}

class LinListener extends Native("xs_sss_listener_destructor") implements Ecma419Listener {
  constructor(o: { port: number; onReadable(requests: number): void }) {
    super();
    const self = this;
    listenerOpen.call(this, o.port, (count: number) => {
      try {
        o.onReadable.call(self, count);
      } catch {
        // guarded by the adapter
      }
    });
  }

  read(): Accepted | undefined {
    const fd: number | undefined = listenerRead.call(this);
    return fd === undefined ? undefined : { fd };
  }

  get port(): number {
    return listenerPort.call(this);
  }

  close(): void {
    listenerClose.call(this);
  }
}

export const Listener: Ecma419ListenerClass = LinListener;
export const TCP: Ecma419TcpClass = LinTcp;
