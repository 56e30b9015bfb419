// The device's composition root (Moddable `main`): reads the manifest options, builds the Platform from
// drivers/ (the board module is chosen per platform by manifest.json), and starts the speaker once the
// network is up, so that first-boot key generation draws on the hardware RNG with the radio on.

import config from "mc/config";
import { createBoard } from "./drivers/board.js";
import { createClock } from "./drivers/clock.js";
import { createTraceLog } from "./drivers/log.js";
import { memoryReport } from "./drivers/memory.js";
import { hardwareRandom } from "./drivers/random.js";
import { I2sAudioSink } from "./drivers/audio-out.js";
import { bundledDigitClips } from "./drivers/clips.js";
import { backendUnmask, createCryptoBackend } from "./drivers/crypto/backend.js";
import { parseConfig } from "./modules/config.js";
import { parseDeviceConfig } from "./modules/board/device-config.js";
import { AudioArbiter } from "./modules/audio/arbiter.js";
import { SpokenPin } from "./modules/audio/spoken-pin.js";
import { createOutChannel, type PinOutput } from "./modules/out-channel.js";
import { startSpeaker, type SpeakerEvent } from "./modules/speaker.js";
import type { Platform } from "./modules/platform.js";

const log = createTraceLog("info");
const clock = createClock(log);

function boot(): void {
  // mc/config is deep-frozen and its command-line values are strings: both parsers accept that.
  const speakerConfig = parseConfig(config);
  const device = parseDeviceConfig(config);
  const board = createBoard({ config: speakerConfig, device, clock, log });
  const sink = new I2sAudioSink(clock, log, { formats: speakerConfig.audioFormats, tap: board.audioTap });
  const arbiter = new AudioArbiter(sink, clock, log);
  const outputs: PinOutput[] = [...board.pinOutputs];
  if (speakerConfig.outChannels.indexOf("speaker") >= 0) outputs.push(new SpokenPin(arbiter, bundledDigitClips(log)));
  // "other": the console (xsbug, or the serial port). Only when listed: a PIN in a log a product ships with is a
  // PIN anyone with the cable can read.
  if (speakerConfig.outChannels.indexOf("other") >= 0) outputs.push({ emit: (pin) => log.log("info", `out-channel: PIN ${pin}`), clear() {} });
  const platform: Platform = {
    clock,
    random: hardwareRandom,
    flash: board.flash,
    listener: board.listener,
    announcer: board.announcer,
    audio: arbiter.player,
    button: board.button,
    outChannel: createOutChannel(speakerConfig.outChannels, outputs, log),
    indicator: board.indicator,
    crypto: createCryptoBackend(hardwareRandom),
    log,
  };
  // Native WebSocket unmasking where the crypto module brings it (ESP32); absent: the JavaScript loop.
  if (backendUnmask) platform.unmask = backendUnmask;
  log.log("info", `main: ${speakerConfig.manufacturer} ${speakerConfig.productName} "${speakerConfig.name}" on ${board.name}`);
  log.log("info", `memory: ${memoryReport()}`);
  board.whenNetworkUp(() => {
    startSpeaker(platform, speakerConfig, (e: SpeakerEvent) => {
      // xsbug's console (or the simulator's standard output) is where a developer reads these.
      if (e.event === "ready") log.log("info", `ready: client_id ${e.client_id}, pairing token ${e.pairing_token}, static PIN ${e.static_pin ?? "off"}, protocol ${e.protocol}`);
      else log.log("info", `event ${e.event}${"server_id" in e ? " " + String(e.server_id) : ""}${"state" in e ? " " + String(e.state) : ""}`);
      // After boot and at each step of a session: what the heaps hold then (README: Memory).
      log.log("info", `memory: ${memoryReport()}`);
    });
  });
}

try {
  boot();
} catch (e) {
  log.log("error", `main: cannot start: ${String(e)}`);
}
