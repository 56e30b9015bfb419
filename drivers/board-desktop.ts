// Moddable's desktop simulator (manifest: `drivers/board` on lin/mac/win): the pairing partition as a
// file (Moddable's `file` module; no flash API there), ECMA-419 TCP on the host, no mDNS (the lin socket
// rejects multicast), no GPIO. The button and LED come from the simulator skin when it has them
// (`Host.Button.Default` / `Host.LED.Default`, e.g. -p sim/moddable_six); otherwise there is none.
// See drivers/board.d.ts.

import config from "mc/config";
import type { Board, BoardOptions } from "./board.js";
import { displayPin } from "./display-pin.js";
import type { ButtonPort, ButtonPress, IndicatorPort } from "../modules/platform.js";
import { PressDetector } from "../modules/board/press-detector.js";
import { BlinkIndicator } from "../modules/board/blink-indicator.js";
import { FileImageFlash } from "./flash-file.js";
import { DeviceListener } from "./listener.js";
import { pcmTap } from "./pcm-tap.js";

/** Same geometry as the device's pairing partition (partitions.csv: 16 blocks of 4 KiB). */
const FLASH_BLOCK = 4096;
const FLASH_BLOCKS = 16;

type SkinButton = new (o: { onPush(this: unknown, pressed: number): void }) => unknown;
type SkinLed = new () => { write(value: number): void };

function skin(): { Button?: SkinButton; LED?: SkinLed } {
  const host = (globalThis as Record<string, unknown>).Host as { Button?: { Default?: SkinButton }; LED?: { Default?: SkinLed } } | undefined;
  return { Button: host?.Button?.Default, LED: host?.LED?.Default };
}

export function createBoard(o: BoardOptions): Board {
  const { clock, log, device } = o;
  const root = typeof config.file?.root === "string" ? config.file.root : "/tmp/";
  const { Button, LED } = skin();
  const listeners: ((press: ButtonPress) => void)[] = [];
  const button: ButtonPort = { onPress: (cb) => void listeners.push(cb) };
  if (Button) {
    const detector = new PressDetector(clock, { debounceMs: 30, longPressMs: device.buttonLongPressMs }, (p) => {
      for (const cb of listeners) cb(p);
    });
    new Button({ onPush: (pressed: number) => detector.level(!!pressed) });
  } else log.log("info", "board: this simulator skin has no button");
  let indicator: IndicatorPort = { cue: (kind) => log.log("info", `indicator: ${kind}`) };
  if (LED) {
    const led = new LED();
    indicator = new BlinkIndicator(clock, (on) => led.write(on ? 1 : 0));
  }
  return {
    name: "desktop simulator",
    flash: FileImageFlash.open(root + "sendspin-pairing.bin", FLASH_BLOCK, FLASH_BLOCKS),
    listener: new DeviceListener({ clock, log }),
    announcer: {
      advertise(service) {
        log.log("info", `board: no mDNS in Moddable's desktop simulator; connect to ws://<host>:${service.port}${service.path}`);
        return { close() {} };
      },
    },
    button,
    indicator,
    pinOutputs: displayPin(o),
    audioTap: pcmTap(),
    whenNetworkUp(ready: () => void): void {
      ready();
    },
  };
}
