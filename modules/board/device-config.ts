// The device-maker options that only the drivers read (pins, Wi-Fi), next to the core's in
// modules/config.ts and parsed the same way. Like those, every one is in manifest.json's `config` and in
// the README's option table; the simulator accepts them all (`--config key=value`) and ignores the pins.

import { ConfigError, configBool, configInt, configString } from "../config.js";

export interface DeviceConfig {
  /** GPIO of the pairing button; -1: no button. */
  buttonPin: number;
  /** The button pulls the pin low when pressed (internal pull-up); false: high (pull-down). */
  buttonActiveLow: boolean;
  /** Holding the button this long is a long press (cancels a pairing attempt). */
  buttonLongPressMs: number;
  /** GPIO of the status LED; -1: no LED. */
  ledPin: number;
  /** The LED lights when the pin is low. */
  ledActiveLow: boolean;
  /** Wi-Fi network to join at boot; empty: none (the simulator, Ethernet boards, networks set up elsewhere). */
  ssid: string;
  password: string;
  /** How the device reaches the network: Wi-Fi (ssid/password) or a wired Ethernet PHY (manifest-ethernet.json). */
  network: NetworkKind;
}

export type NetworkKind = "wifi" | "ethernet";

export const DEFAULT_DEVICE_CONFIG: Readonly<DeviceConfig> = {
  buttonPin: 0,
  buttonActiveLow: true,
  buttonLongPressMs: 2000,
  ledPin: -1,
  ledActiveLow: false,
  ssid: "",
  password: "",
  network: "wifi",
};

type Raw = Readonly<Record<string, unknown>>;

/** Parse the driver options from raw option values (mc/config or the simulator's --config); throws ConfigError. */
export function parseDeviceConfig(raw: Raw): DeviceConfig {
  const d = DEFAULT_DEVICE_CONFIG;
  const ssid = configString(raw, "ssid", d.ssid, 32, 0);
  const password = configString(raw, "password", d.password, 64, 0);
  if (password.length > 0 && password.length < 8) throw new ConfigError("config password: a WPA passphrase has 8 to 63 characters (64 for a hex key)");
  const network = configString(raw, "network", d.network);
  if (network !== "wifi" && network !== "ethernet") throw new ConfigError(`config network: "${network}" is not wifi or ethernet`);
  return {
    buttonPin: configInt(raw, "buttonPin", d.buttonPin, -1, 48),
    buttonActiveLow: configBool(raw, "buttonActiveLow", d.buttonActiveLow),
    buttonLongPressMs: configInt(raw, "buttonLongPressMs", d.buttonLongPressMs, 500, 10_000),
    ledPin: configInt(raw, "ledPin", d.ledPin, -1, 48),
    ledActiveLow: configBool(raw, "ledActiveLow", d.ledActiveLow),
    ssid,
    password,
    network,
  };
}
