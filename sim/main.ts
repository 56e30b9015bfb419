// The desktop simulator (`npm start`): the speaker's core on Node implementations of every port. The
// command line, the event lines on standard output and the commands on standard input are the
// scriptable contract of README "Driving the simulator"; keep them exactly.

import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { createPortableCrypto } from "../crypto/portable.js";
import { AudioArbiter } from "../modules/audio/arbiter.js";
import { SpokenPin } from "../modules/audio/spoken-pin.js";
import { createOutChannel } from "../modules/out-channel.js";
import type { AnnouncerPort, Platform } from "../modules/platform.js";
import { startSpeaker, type Speaker, type SpeakerEvent } from "../modules/speaker.js";
import { MemoryFlash } from "../storage/flash-memory.js";
import type { FlashPort } from "../storage/flash.js";
import { parseArgs, USAGE, UsageError, type SimOptions } from "./args.js";
import { SimAudioOutput } from "./audio.js";
import { SimClock } from "./clock.js";
import { SimConsole } from "./console.js";
import { ConsolePin, digitClipsFromFiles, SimButton, SimIndicator } from "./devices.js";
import { FileFlash, SIM_FLASH_GEOMETRY } from "./flash-file.js";
import { NodeListener } from "./listener.js";
import { SimAnnouncer } from "./mdns.js";
import { qrLines } from "./qr.js";
import { osRandom } from "./random.js";

const projectRoot = join(dirname(new URL(import.meta.url).pathname), "..", "..");

function readOptions(): SimOptions {
  try {
    const o = parseArgs(process.argv.slice(2));
    if (o.help) {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    }
    return o;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
}

const opts = readOptions();
const out = new SimConsole({ events: opts.events, verbose: process.env.SENDSPIN_SIM_VERBOSE === "1" });
const clips = digitClipsFromFiles(projectRoot, (m) => out.log("warn", m));
// The DAC and its WAV recording outlive reboots, like the hardware.
const audio = new SimAudioOutput(new SimClock(out), out, { nativeFormats: opts.config.audioFormats, wavFile: opts.audioFile });

/** Open the flash image; an image that cannot be opened is replaced by a fresh one, or by RAM. */
function openFlash(): { flash: FlashPort; close(): void } {
  try {
    const f = FileFlash.open(opts.flashFile);
    return { flash: f, close: () => f.close() };
  } catch (e) {
    out.log("warn", `flash: cannot use ${opts.flashFile} (${e instanceof Error ? e.message : String(e)}); using a blank flash in RAM: pairing records will not survive a restart of the simulator`);
    const m = new MemoryFlash({ blockSize: SIM_FLASH_GEOMETRY.blockSize, blocks: SIM_FLASH_GEOMETRY.blocks });
    return { flash: m, close() {} };
  }
}

interface Running {
  speaker: Speaker;
  clock: SimClock;
  button: SimButton;
  closeFlash(): void;
}

let running: Running | undefined;
let bootCount = 0;

function printConfig(): void {
  const lines = ["", "Sendspin speaker simulator — options in effect:"];
  const all: Record<string, unknown> = { ...opts.config, ...opts.device };
  for (const [k, v] of Object.entries(all)) {
    let shown: string;
    if (k === "password") shown = v ? "(set)" : "(none)";
    else if (k === "audioFormats") shown = (v as { sampleRate: number; bitsPerSample: number; channels: number }[]).map((f) => `${f.sampleRate}/${f.bitsPerSample}/${f.channels}`).join(", ");
    else shown = Array.isArray(v) ? v.join(", ") : String(v);
    lines.push(`  ${k.padEnd(18)} ${shown}${k in opts.raw ? "" : "  (default)"}`);
  }
  lines.push(`  ${"flash image".padEnd(18)} ${opts.flashFile}`);
  lines.push(`  ${"audio file".padEnd(18)} ${opts.audioFile ?? "(none)"}`);
  lines.push(`  ${"mDNS".padEnd(18)} ${opts.mdns ? "on" : "off"}`);
  lines.push("  (pins and Wi-Fi have no effect in the simulator)");
  out.human(lines.join("\n"));
}

/** Which servers each revision setting serves (docs/current-revision.md). */
const PROTOCOL_LINES = {
  auto: "auto: baseline servers (the encryption-merge text) and current ones (Music Assistant / aiosendspin 9.x-10.x, sendspin-cpp / ESPHome, sendspin-dotnet, Kotlin and Swift clients), per connection",
  baseline: "baseline only (the encryption-merge text: static/dynamic PIN, management); current servers are refused",
  current: "current only (Music Assistant / aiosendspin 9.x-10.x, sendspin-cpp / ESPHome, sendspin-dotnet, Kotlin and Swift clients); baseline servers are refused",
};

function printBanner(e: { client_id: string; port: number; path: string; pairing_token: string; static_pin: string | null; protocol: string }): void {
  const lines = [
    "",
    `Speaker "${opts.config.name}" ready on ws://<this host>:${e.port}${e.path}`,
    `  identity (client_id)  ${e.client_id}`,
    `  pairing token         ${e.pairing_token}`,
    ...qrLines(e.pairing_token).map((l) => "    " + l),
    `  static PIN (label)    ${e.static_pin ?? "(static PIN pairing is off)"}`,
    `  protocol              ${PROTOCOL_LINES[e.protocol as keyof typeof PROTOCOL_LINES] ?? e.protocol}`,
    "  commands: button | button long | reboot | quit",
    "",
  ];
  out.human(lines.join("\n"));
}

function boot(): void {
  bootCount++;
  const clock = new SimClock(out);
  const { flash, close: closeFlash } = openFlash();
  const arbiter = new AudioArbiter(audio.sink, clock, out);
  const button = new SimButton();
  const listener = new NodeListener({ log: out });
  const announcer: AnnouncerPort = opts.mdns
    ? new SimAnnouncer(out)
    : { advertise: () => ({ close() {} }) };
  const platform: Platform = {
    clock,
    random: osRandom,
    flash,
    listener,
    announcer,
    audio: arbiter.player,
    button,
    outChannel: createOutChannel(opts.config.outChannels, [new ConsolePin(out), ...(opts.config.outChannels.includes("speaker") ? [new SpokenPin(arbiter, clips)] : [])], out),
    indicator: new SimIndicator(out),
    crypto: createPortableCrypto(osRandom),
    log: {
      // The store reports each mount that found something to say in one line; anything but the first
      // boot of a blank image means the image was damaged: a warning, and a `storage` event.
      log(level, message) {
        if (message.startsWith("storage:") && !message.startsWith("storage: blank flash")) {
          out.log("warn", `${message} (flash image ${opts.flashFile})`);
          out.event({ event: "storage", message });
        } else out.log(level, message);
      },
    },
  };
  const thisBoot = bootCount;
  const onEvent = (e: SpeakerEvent) => {
    if (e.event === "ready") {
      // The ready line carries the port really bound (asked 0: the one the OS chose).
      listener.bound().then(
        (port) => {
          if (thisBoot !== bootCount) return;
          // Asked for any port: keep the one chosen across reboots, as a device keeps its port.
          if (opts.config.port === 0) opts.config.port = port;
          const ready = { ...e, port };
          printBanner(ready);
          out.event(ready);
        },
        (err: Error) => {
          out.log("error", `cannot listen on port ${opts.config.port}: ${err.message}`);
          process.exit(1);
        },
      );
      return;
    }
    out.event(e);
  };
  const speaker = startSpeaker(platform, opts.config, onEvent);
  running = { speaker, clock, button, closeFlash };
}

function shutdown(reason: "shutdown" | "restart"): void {
  const r = running;
  running = undefined;
  if (!r) return;
  try {
    r.speaker.stop(reason);
  } catch (e) {
    out.log("warn", `stop: ${String(e)}`);
  }
  r.clock.clearAll();
  audio.sink.close();
  r.closeFlash();
}

function command(line: string): void {
  const cmd = line.trim().replace(/\s+/g, " ").toLowerCase();
  if (cmd === "") return;
  if (cmd === "button" || cmd === "button short") running?.button.press("short");
  else if (cmd === "button long") running?.button.press("long");
  else if (cmd === "reboot") {
    out.log("info", "reboot: RAM state dropped, flash image kept");
    shutdown("restart");
    boot();
  } else if (cmd === "quit" || cmd === "exit") quit(0);
  else out.log("warn", `unknown command "${line.trim()}" (button | button long | reboot | quit)`);
}

function quit(code: number): void {
  shutdown("shutdown");
  audio.close();
  // let the goodbye frames leave before the process ends
  setTimeout(() => process.exit(code), 100).unref();
}

printConfig();
try {
  boot();
} catch (e) {
  out.log("error", `cannot start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
}
createInterface({ input: process.stdin }).on("line", command);
process.on("SIGINT", () => quit(0));
process.on("SIGTERM", () => quit(0));
