// Imported first by the native XS host's test bundle: from here on the parameterised unit tests
// (describeEachBackend) register their cases for the native backend.

import { createNativeCrypto } from "../../drivers/crypto/native-crypto.js";
import { nativeUnmask } from "../../drivers/crypto/native-unmask.js";
import { useCryptoBackends, type CryptoBackend } from "../support/backends.js";

export const NATIVE_BACKEND: CryptoBackend = { name: "native", create: createNativeCrypto, unmask: nativeUnmask };

useCryptoBackends([NATIVE_BACKEND]);
