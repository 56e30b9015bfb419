// drivers/crypto/backend on esp32 (drivers/crypto/manifest.json): the native backend and its WebSocket unmasking.
export { createNativeCrypto as createCryptoBackend } from "./native-crypto.js";
export { nativeUnmask as backendUnmask } from "./native-unmask.js";
