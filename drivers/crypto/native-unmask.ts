// The WebSocket server's unmasking in C (xs_ssc_xor_mask in xs_sendspin_crypto.c), for WebSocketServerOptions.unmask
// on the device: in XS the JavaScript loop costs about a million x86 instructions per 20 ms audio frame, as much as
// the rest of the receive path together (docs/chip-cost.md).

import type { Unmasker } from "../../modules/websocket/frames.js";

declare function native(name: string): (...args: any[]) => any;

export const nativeUnmask: Unmasker = native("xs_ssc_xor_mask");
