// drivers/crypto/backend on every platform without the native module (drivers/crypto/manifest.json): @noble/*,
// and the WebSocket server's own JavaScript unmasking.
import type { Unmasker } from "../../modules/websocket/frames.js";

export { createPortableCrypto as createCryptoBackend } from "../../crypto/portable.js";
export const backendUnmask: Unmasker | undefined = undefined;
