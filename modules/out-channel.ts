// The out-channel port assembled from whatever outputs a device has (speaker, display, console...).
// `kinds` is what the device maker declared (advertised as out_channels); each output conveys the PIN
// its own way. One output failing never stops the others.

import type { LogPort, OutChannelKind, OutChannelPort } from "./platform.js";

export interface PinOutput {
  emit(pin: string): void;
  clear(): void;
}

export function createOutChannel(kinds: readonly OutChannelKind[], outputs: readonly PinOutput[], log?: LogPort): OutChannelPort {
  const each = (f: (o: PinOutput) => void) => {
    for (const o of outputs) {
      try {
        f(o);
      } catch (e) {
        log?.log("error", `out-channel: ${String(e)}`);
      }
    }
  };
  return {
    kinds: kinds.slice(),
    emitPin(pin: string): void {
      each((o) => o.emit(pin));
    },
    clear(): void {
      each((o) => o.clear());
    },
  };
}
