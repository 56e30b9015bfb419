// Ethernet on Espressif's QEMU machines (manifest-c3-qemu.json maps it as drivers/ethernet): the emulated OpenCores MAC,
// started by drivers/native/esp32/sendspin_openeth.c. Same contract (drivers/ethernet.d.ts) as ethernet-moddable.ts (real PHYs through
// Moddable's ethernet module): `onUp` runs once, when the interface first has an address; the listener and mDNS above
// it are unchanged. The address is polled: this MAC has no link events worth a message path of its own.

import Timer from "timer";
import type { LogPort } from "../modules/platform.js";

const start: () => boolean = native("xs_sendspin_openeth_start");
const address: () => string | undefined = native("xs_sendspin_openeth_address");

/** How often the address is looked for while DHCP runs (ms). */
const POLL_MS = 250;

/** Start the emulated MAC; `onUp` runs once the first address arrives. False when the driver did not start. */
export function startEthernet(log: LogPort, onUp: () => void): boolean {
  if (!start()) {
    log.log("error", "ethernet: the emulated OpenCores MAC did not start (openeth)");
    return false;
  }
  log.log("info", "ethernet: openeth started, waiting for an address");
  const poll = Timer.repeat(() => {
    const ip = address();
    if (ip === undefined) return;
    Timer.clear(poll);
    log.log("info", `ethernet: address ${ip}`);
    onUp();
  }, POLL_MS);
  return true;
}
