// Node-side test plumbing for end-to-end tests over real sockets: the clock port on Node timers and a
// loopback ListenerPort on node:net (127.0.0.1 only).

import { createServer, type Socket } from "node:net";
import type { ClockPort, ListenerPort, StreamHandler, StreamSocket, TimerHandle } from "../../../modules/platform.js";

/** The clock port on Node timers (performance.now, µs). */
export const realClock: ClockPort = {
  nowUs: () => Math.round(performance.now() * 1000),
  setTimeout: (cb, ms) => ({ _timer: setTimeout(cb, ms) }),
  setInterval: (cb, ms) => ({ _timer: setInterval(cb, ms) }),
  clear: (t: TimerHandle | undefined) => {
    if (t) clearTimeout(t._timer as NodeJS.Timeout);
  },
};

/** A loopback ListenerPort; `ready` resolves with the port actually bound (listen on 0 for any). */
export function loopbackListener(): { listener: ListenerPort; ready: Promise<number>; close(): void } {
  const server = createServer();
  let resolvePort!: (p: number) => void;
  const ready = new Promise<number>((r) => (resolvePort = r));
  const listener: ListenerPort = {
    listen(port, accept) {
      server.on("connection", (sock: Socket) => {
        // Small messages go out at once (client/time probes): no Nagle delay against delayed ACKs.
        sock.setNoDelay(true);
        let closedByUs = false;
        const s: StreamSocket = {
          remoteAddress: sock.remoteAddress,
          write: (data) => {
            if (sock.destroyed) return false;
            sock.write(Buffer.from(data));
            return true;
          },
          writable: () => (sock.destroyed ? 0 : 1 << 20),
          close: () => {
            closedByUs = true;
            sock.end();
          },
        };
        const h: StreamHandler = accept(s);
        sock.on("data", (b: Buffer) => h.onData(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
        sock.on("drain", () => h.onWritable());
        sock.on("close", () => {
          if (!closedByUs) h.onClose();
        });
        sock.on("error", () => {});
      });
      server.listen(port, "127.0.0.1", () => resolvePort((server.address() as { port: number }).port));
      return { close: () => server.close(), port };
    },
  };
  return { listener, ready, close: () => server.close() };
}
