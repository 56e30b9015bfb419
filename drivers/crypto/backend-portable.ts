// drivers/crypto/backend on every platform without the native module (drivers/crypto/manifest.json): @noble/*.
export { createPortableCrypto as createCryptoBackend } from "../../crypto/portable.js";
