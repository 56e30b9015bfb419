// The random port on Moddable: the platform CSPRNG through a native call (drivers/native.ts).

import type { RandomPort } from "../modules/platform.js";
import { fillRandom } from "./native.js";

export const hardwareRandom: RandomPort = {
  fill(out: Uint8Array): void {
    if (out.length > 0) fillRandom(out);
  },
};
