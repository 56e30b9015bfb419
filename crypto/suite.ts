// Which cipher suite the speaker names in client/init (the server then runs the Noise handshake with it).
// "auto" takes the first suite of the crypto backend's list, which backends order fastest first: on the device
// that is the native backend's preferred suite, in the simulator the portable backend's. A device maker can
// force a suite with the `suite` option; the backend must serve it.

import type { CryptoProvider, SuiteName } from "./provider.js";

export function announcedSuite(configured: "auto" | SuiteName, crypto: CryptoProvider): SuiteName {
  if (crypto.suites.length === 0) throw new Error(`crypto backend ${crypto.name} serves no suite`);
  if (configured === "auto") return crypto.suites[0];
  if (!crypto.suites.includes(configured)) throw new Error(`config suite: ${configured} is not served by the ${crypto.name} crypto backend (it serves ${crypto.suites.join(", ")})`);
  return configured;
}
