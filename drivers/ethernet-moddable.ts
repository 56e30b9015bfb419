// Ethernet on ESP32 (manifest-ethernet.json maps it; `network: "ethernet"`): Moddable's `ethernet` module starts
// the PHY that the build's defines.ethernet describe and lwIP's Ethernet interface. Everything above lwIP (the
// listener, mDNS, the speaker) is the same as over Wi-Fi: Moddable's Net answers with the Ethernet address when
// Wi-Fi was never started, which is how mDNS finds it.

import Ethernet from "ethernet";
import type { LogPort } from "../modules/platform.js";

/** The link monitor, kept reachable for the life of the firmware. */
let monitor: Ethernet | undefined;

/** Start the Ethernet interface; `onUp` runs once the first address arrives. False when there is no PHY. */
export function startEthernet(log: LogPort, onUp: () => void): boolean {
  try {
    Ethernet.start();
  } catch (e) {
    log.log("error", `ethernet: no Ethernet hardware (${String(e)})`);
    return false;
  }
  let up = false;
  log.log("info", "ethernet: waiting for a link and an address");
  monitor = new Ethernet((message) => {
    if (message === Ethernet.gotIP) {
      log.log("info", "ethernet: address up");
      if (up) return; // a later address: the listener and mDNS carry on
      up = true;
      onUp();
    } else if (message === Ethernet.disconnected) log.log("warn", "ethernet: link down");
    else if (message === Ethernet.connected) log.log("info", "ethernet: link up");
  });
  return true;
}
