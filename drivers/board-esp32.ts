// The ESP32 board (manifest: `drivers/board` on esp32): the pairing partition, ECMA-419 TCP, mDNS,
// the GPIO button and LED, Wi-Fi or Ethernet (`network`). See drivers/board.d.ts.

import type { Board, BoardOptions } from "./board.js";
import { displayPin } from "./display-pin.js";
import type { ButtonPort, IndicatorPort, LogPort } from "../modules/platform.js";
import { PartitionFlash } from "./flash-partition.js";
import { DeviceListener } from "./listener.js";
import { DeviceAnnouncer } from "./announcer.js";
import { GpioButton } from "./button.js";
import { createLedIndicator } from "./led.js";
import { startWifi } from "./wifi.js";

/** The ESP-IDF target the firmware was built for ("esp32c3"): drivers/native/esp32/sendspin_native.c. */
const chipName: () => string = native("xs_sendspin_chip");

/** drivers/ethernet.d.ts: mapped by the Ethernet manifests only (manifest-ethernet.json, manifest-c3-qemu.json). */
const ETHERNET_DRIVER = "drivers/ethernet";
type EthernetDriver = typeof import("./ethernet.js");

/** The partition of partitions.csv that holds the pairing records. */
export const PAIRING_PARTITION = "pairing";

export function createBoard(o: BoardOptions): Board {
  const { clock, log, device } = o;
  let button: ButtonPort;
  if (device.buttonPin >= 0) {
    button = new GpioButton(clock, log, { pin: device.buttonPin, activeLow: device.buttonActiveLow, longPressMs: device.buttonLongPressMs });
  } else {
    log.log("warn", "board: no button (buttonPin -1): PIN pairing windows cannot be opened locally");
    button = { onPress() {} };
  }
  const indicator: IndicatorPort = device.ledPin >= 0 ? createLedIndicator(clock, { pin: device.ledPin, activeLow: device.ledActiveLow }) : { cue() {} };
  return {
    name: chipName(),
    flash: PartitionFlash.open(PAIRING_PARTITION),
    listener: new DeviceListener({ clock, log }),
    announcer: new DeviceAnnouncer(log),
    button,
    indicator,
    pinOutputs: displayPin(o),
    whenNetworkUp(ready: () => void): void {
      if (device.network === "ethernet") {
        // Only Ethernet builds (manifest-ethernet.json) carry the driver and Moddable's module under it: a Wi-Fi build
        // asked for Ethernet says so. The specifier is a variable so that no build type-checks the driver without
        // the module's typing (mcconfig's tsc follows a literal import()).
        const driver: string = ETHERNET_DRIVER;
        (import(driver) as Promise<EthernetDriver>).then(
          (ethernet) => ethernet.startEthernet(log, ready),
          (e: unknown) => log.log("error", `board: network "ethernet" but this build has no Ethernet (manifest-ethernet.json): ${String(e)}`),
        );
        return;
      }
      if (!device.ssid) {
        log.log("warn", "board: no Wi-Fi configured (ssid); starting on whatever network the board has");
        ready();
        return;
      }
      let started = false;
      startWifi(clock, log, { ssid: device.ssid, password: device.password }, () => {
        if (started) return; // later reconnections: the listener and mDNS carry on
        started = true;
        ready();
      });
    },
  };
}
