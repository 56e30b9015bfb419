// A loopback ListenerPort on node:net for the reference server's smoke tests (the simulator has the
// product's own listener; this one stays minimal: 127.0.0.1 only, no back-pressure accounting).

import { createServer, type Socket } from "node:net";
import type { ListenerPort, StreamHandler, StreamSocket } from "../../../modules/platform.js";

export function loopbackListener(): { listener: ListenerPort; ready: Promise<number>; close(): void } {
  const server = createServer();
  let bound = 0;
  let resolvePort!: (p: number) => void;
  const ready = new Promise<number>((r) => (resolvePort = r));
  const listener: ListenerPort = {
    listen(port, accept) {
      server.on("connection", (sock: Socket) => {
        sock.setNoDelay(true); // no Nagle: small frames (server/time replies, acks) must not wait ~40 ms
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
      server.listen(port, "127.0.0.1", () => {
        bound = (server.address() as { port: number }).port;
        resolvePort(bound);
      });
      return {
        close: () => server.close(),
        get port() {
          return bound || port;
        },
      };
    },
  };
  return { listener, ready, close: () => server.close() };
}
