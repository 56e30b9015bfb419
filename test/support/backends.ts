// The crypto backends the parameterised unit tests run against (pure ECMAScript, runs in XS).
// Node and the plain XS engine (xsnap) have the portable backend only. The native XS host
// (test/native/run.ts) registers the native backend before the test files load, so every test written with
// describeEachBackend runs, unchanged, against the C code: every backend passes the same tests.

import type { RandomPort } from "../../modules/platform.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import type { Unmasker } from "../../modules/websocket/frames.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import { describe } from "../harness.js";
import { SeededRandom } from "./random.js";

export interface CryptoBackend {
  readonly name: string;
  create(random: RandomPort): CryptoProvider;
  /** The native module's WebSocket unmasking (the device wires it into the WebSocket server with the native backend). */
  readonly unmask?: Unmasker;
}

export const PORTABLE_BACKEND: CryptoBackend = { name: "portable", create: createPortableCrypto };

let backends: CryptoBackend[] = [PORTABLE_BACKEND];

/** Replace the backends under test; call before the test files are evaluated (their describe bodies run at import). */
export function useCryptoBackends(list: readonly CryptoBackend[]): void {
  backends = list.slice();
}

export function cryptoBackends(): readonly CryptoBackend[] {
  return backends;
}

/**
 * Register `body`'s tests once per backend, under "<name> [<backend>]", with a provider whose random port is a
 * SeededRandom(seed) (deterministic keys and ephemerals in every engine).
 */
export function describeEachBackend(name: string, body: (crypto: CryptoProvider, backend: CryptoBackend) => void, seed = 7): void {
  for (const backend of backends) describe(`${name} [${backend.name}]`, () => body(backend.create(new SeededRandom(seed)), backend));
}
