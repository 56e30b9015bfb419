// The random port on Node: the operating system's CSPRNG.

import { randomFillSync } from "node:crypto";
import type { RandomPort } from "../modules/platform.js";

export const osRandom: RandomPort = {
  fill(out: Uint8Array): void {
    randomFillSync(out);
  },
};
