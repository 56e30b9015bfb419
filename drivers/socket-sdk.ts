// drivers/socket on esp32, mac and win (see drivers/socket.d.ts): the SDK's ECMA-419 classes as they are.
// The SDK typings declare write() as returning nothing and omit Listener.close(); every implementation
// returns the room left from a successful write and has close() (modules/board/ecma419-listener.ts).

import SdkListener from "embedded:io/socket/listener";
import SdkTCP from "embedded:io/socket/tcp";
import type { Ecma419ListenerClass, Ecma419TcpClass } from "../modules/board/ecma419-listener.js";

export const Listener = SdkListener as unknown as Ecma419ListenerClass;
export const TCP = SdkTCP as unknown as Ecma419TcpClass;
