// The crypto backend of this build, chosen per platform by drivers/crypto/manifest.json:
// backend-native.ts on esp32 (C over Mbed TLS's PSA API), backend-portable.ts elsewhere (@noble/*).
// main.ts: `crypto: createCryptoBackend(random)` and `unmask: backendUnmask` in the Platform it builds.
import type { RandomPort } from "../../modules/platform.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import type { Unmasker } from "../../modules/websocket/frames.js";

export declare function createCryptoBackend(random: RandomPort): CryptoProvider;
/** The native WebSocket unmasking that comes with the native module; undefined with the portable backend. */
export declare const backendUnmask: Unmasker | undefined;
