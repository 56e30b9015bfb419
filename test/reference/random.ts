// The random port over Node's CSPRNG: the reference server's keys, nonces and ephemerals are real
// random values (tests that need reproducible values pass test/support/random.ts's SeededRandom).

import { randomFillSync } from "node:crypto";
import type { RandomPort } from "../../modules/platform.js";

export const nodeRandom: RandomPort = {
  fill(out: Uint8Array): void {
    randomFillSync(out);
  },
};
