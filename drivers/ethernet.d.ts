// The Ethernet driver (`network: "ethernet"`), one per build: drivers/ethernet-moddable.ts (real PHYs through Moddable's
// ethernet module; manifest-ethernet.json) or drivers/ethernet-openeth.ts (the OpenCores MAC of Espressif's QEMU
// machines; manifest-c3-qemu.json). drivers/board-esp32.ts imports it by specifier only when `network` is "ethernet".
import type { LogPort } from "../modules/platform.js";

/** Start the interface; `onUp` runs once, when it first has an address. False when there is no such hardware. */
export declare function startEthernet(log: LogPort, onUp: () => void): boolean;
