// The board: what differs between Moddable platforms, behind one module specifier. manifest.json maps
// `drivers/board` to drivers/board-esp32.ts on esp32 and to drivers/board-desktop.ts on Moddable's
// desktop simulator (lin/mac/win); this declaration is what main.ts compiles against (tsc resolves
// "./drivers/board.js" to it), and both implementations are checked against it.

import type { SpeakerConfig } from "../modules/config.js";
import type { DeviceConfig } from "../modules/board/device-config.js";
import type { AnnouncerPort, ButtonPort, ClockPort, IndicatorPort, ListenerPort, LogPort } from "../modules/platform.js";
import type { FlashPort } from "../storage/flash.js";
import type { PinOutput } from "../modules/out-channel.js";

export interface BoardOptions {
  config: SpeakerConfig;
  device: DeviceConfig;
  clock: ClockPort;
  log: LogPort;
}

export interface Board {
  /** Short name for logs: the chip on a device ("esp32", "esp32c3", "esp32s3"), "desktop simulator" on the desktop. */
  readonly name: string;
  flash: FlashPort;
  listener: ListenerPort;
  announcer: AnnouncerPort;
  button: ButtonPort;
  indicator: IndicatorPort;
  /** Ways this board shows a dynamic PIN besides speaking it (a display), possibly none. */
  pinOutputs: PinOutput[];
  /** Receives every frame the audio sink hands to its output (the desktop simulator's PCM tap), if any. */
  audioTap?: (pcm: Uint8Array) => void;
  /** Run `ready` once the network is usable (Wi-Fi joined on the device; at once on the desktop). */
  whenNetworkUp(ready: () => void): void;
}

export declare function createBoard(o: BoardOptions): Board;
