// Wi-Fi on ESP32 (ECMA-419 `embedded:network/interface/wifi`), kept up by modules/board/wifi-keeper.ts:
// retries with backoff after a failed attempt, a timeout or a lost connection. The SDK's own
// setup/network is left out of the build (it waits forever without retrying).

import WiFi from "embedded:network/interface/wifi";
import type { ClockPort, LogPort } from "../modules/platform.js";
import { WifiKeeper } from "../modules/board/wifi-keeper.js";

/** Join `ssid`; `onUp` runs once the first address arrives (and again after each reconnection). */
export function startWifi(clock: ClockPort, log: LogPort, o: { ssid: string; password: string }, onUp: (address: string) => void): WifiKeeper {
  const keeper = new WifiKeeper(clock, log, { ssid: o.ssid, password: o.password });
  keeper.onUp = onUp;
  const station = new WiFi({ onChanged: () => keeper.changed() });
  log.log("info", `wifi: joining "${o.ssid}"`);
  keeper.start(station);
  return keeper;
}
