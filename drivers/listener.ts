// The listener port on Moddable: the portable ECMA-419 adapter (modules/board/ecma419-listener.ts) over the
// platform's socket classes (drivers/socket: the SDK's `embedded:io/socket/listener` + `embedded:io/socket/tcp`
// on esp32 (lwIP), mac and win; event-driven sockets of our own on the Linux simulator). The adapter holds all
// the logic and is unit-tested in Node and XS over a double of these classes; this file only binds them.

import type { ClockPort, LogPort } from "../modules/platform.js";
import { Ecma419ListenerPort } from "../modules/board/ecma419-listener.js";
import { Listener, TCP } from "./socket.js";

export interface DeviceListenerOptions {
  /** Schedules the report of a connection found dead by a failed write. */
  clock: ClockPort;
  /** Size of the shared read buffer; default 2920 (two full-size TCP segments). */
  readBufferBytes?: number;
  log?: LogPort;
}

export class DeviceListener extends Ecma419ListenerPort {
  constructor(o: DeviceListenerOptions) {
    super({ Listener, TCP, clock: o.clock, readBufferBytes: o.readBufferBytes, log: o.log });
  }
}
