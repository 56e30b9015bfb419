// The crypto backend of this build, chosen per platform by drivers/crypto/manifest.json:
// backend-native.ts on esp32 (C over Mbed TLS's PSA API), backend-portable.ts elsewhere (@noble/*).
import type { RandomPort } from "../../modules/platform.js";
import type { CryptoProvider } from "../../crypto/provider.js";

export declare function createCryptoBackend(random: RandomPort): CryptoProvider;
