// drivers/crypto/backend on esp32 (drivers/crypto/manifest.json): the native backend.
export { createNativeCrypto as createCryptoBackend } from "./native-crypto.js";
