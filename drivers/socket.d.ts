// The ECMA-419 socket classes the listener port runs on, behind one specifier mapped per platform by
// manifest.json: drivers/socket-sdk.ts (the SDK's `embedded:io/socket/*`: lwIP on esp32, the SDK's
// mac/win implementations) and drivers/socket-lin.ts (Moddable's Linux simulator: event-driven sockets of
// our own, because the SDK's lin TCP is polled every 20 ms; see drivers/native/desktop/sendspin_socket_lin.c).
// drivers/listener.ts compiles against this declaration; both implementations are checked against it.

import type { Ecma419ListenerClass, Ecma419TcpClass } from "../modules/board/ecma419-listener.js";

export declare const Listener: Ecma419ListenerClass;
export declare const TCP: Ecma419TcpClass;
