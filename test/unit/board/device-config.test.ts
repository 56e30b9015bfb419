// The `network` option: Wi-Fi unless the manifest (or the command line) says ethernet; anything else is refused.

import { assert, describe, test } from "../../harness.js";
import { ConfigError } from "../../../modules/config.js";
import { parseDeviceConfig } from "../../../modules/board/device-config.js";

describe("device config: network", () => {
  test("wifi by default, ethernet when asked, as a command-line string too", () => {
    assert.equal(parseDeviceConfig({}).network, "wifi");
    assert.equal(parseDeviceConfig({ network: "ethernet" }).network, "ethernet");
    assert.equal(parseDeviceConfig({ network: "wifi", ssid: "Home", password: "12345678" }).network, "wifi");
  });

  test("any other value is a configuration error", () => {
    for (const bad of ["Ethernet", "eth", "", "wifi,ethernet", 1, true]) {
      assert.throws(() => parseDeviceConfig({ network: bad }), /config network/, String(bad));
      try {
        parseDeviceConfig({ network: bad });
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${String(bad)}: ConfigError`);
      }
    }
  });
});
