// Imported first by the native XS host's test bundle: from here on the parameterised unit tests
// (describeEachBackend) register their cases for the native backend.

import { createNativeCrypto } from "../../drivers/crypto/native-crypto.js";
import { useCryptoBackends, type CryptoBackend } from "../support/backends.js";

export const NATIVE_BACKEND: CryptoBackend = { name: "native", create: createNativeCrypto };

useCryptoBackends([NATIVE_BACKEND]);
