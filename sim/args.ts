// The simulator's command line (the scriptable contract in README "Driving the simulator"):
//   --port N  --path P  --name NAME  --flash FILE  --audio FILE.wav  --config key=value (repeatable)
//   --events  --no-mdns  --help
// Option values go through the same parsers as the firmware's mc/config (modules/config.ts,
// modules/board/device-config.ts); an unknown flag, a missing value, an unknown option or a bad value is
// a usage error (exit status 2).

import { ConfigError, DEFAULT_CONFIG, parseConfig, type SpeakerConfig } from "../modules/config.js";
import { DEFAULT_DEVICE_CONFIG, parseDeviceConfig, type DeviceConfig } from "../modules/board/device-config.js";

export interface SimOptions {
  flashFile: string;
  audioFile: string | undefined;
  events: boolean;
  mdns: boolean;
  help: boolean;
  config: SpeakerConfig;
  device: DeviceConfig;
  /** Option values as given (after the flags that set them), for the "config in effect" print. */
  raw: Record<string, string>;
}

export const USAGE = `usage: npm start -- [flags]
  --port N            WebSocket port (default 8928; 0 picks a free port)
  --path P            WebSocket path (default /sendspin)
  --name NAME         friendly name (client/hello and mDNS)
  --flash FILE        flash image holding the pairing records (default ./sim-flash.bin)
  --audio FILE.wav    also write the played audio to this WAV file
  --protocol REV      Sendspin revision served: auto (default: each connection latches the one its
                      server speaks), baseline (the encryption-merge text), current (today's servers:
                      Music Assistant / aiosendspin 9.x-10.x, sendspin-cpp / ESPHome, sendspin-dotnet,
                      the Kotlin and Swift clients); same as --config protocol=REV
  --config key=value  any manifest option (repeatable), e.g. --config staticPin=true
  --events            one JSON event per line on standard output (human logs go to standard error)
  --no-mdns           do not advertise over mDNS
  --help              this text
standard input, one command per line: button | button long | reboot | quit`;

export class UsageError extends Error {
  override get name(): string {
    return "UsageError";
  }
}

/** Every option name a --config may set. */
export const OPTION_NAMES: readonly string[] = [...Object.keys(DEFAULT_CONFIG), ...Object.keys(DEFAULT_DEVICE_CONFIG)];

export function parseArgs(argv: readonly string[]): SimOptions {
  const raw: Record<string, string> = {};
  const direct: Record<string, string> = {};
  let flashFile = "./sim-flash.bin";
  let audioFile: string | undefined;
  let events = false;
  let mdns = true;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const noValue = () => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    };
    switch (flag) {
      case "--port":
        direct.port = value();
        break;
      case "--path":
        direct.path = value();
        break;
      case "--name":
        direct.name = value();
        break;
      case "--protocol":
        direct.protocol = value();
        break;
      case "--flash":
        flashFile = value();
        if (flashFile === "") throw new UsageError("--flash needs a file name");
        break;
      case "--audio":
        audioFile = value();
        if (audioFile === "") throw new UsageError("--audio needs a file name");
        break;
      case "--config": {
        const kv = value();
        const k = kv.indexOf("=");
        if (k <= 0) throw new UsageError(`--config takes key=value, got "${kv}"`);
        const key = kv.slice(0, k);
        if (!OPTION_NAMES.includes(key)) throw new UsageError(`--config: unknown option "${key}" (options: ${OPTION_NAMES.join(", ")})`);
        raw[key] = kv.slice(k + 1);
        break;
      }
      case "--events":
        noValue();
        events = true;
        break;
      case "--no-mdns":
        noValue();
        mdns = false;
        break;
      case "--help":
      case "-h":
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument "${a}"`);
    }
  }
  Object.assign(raw, direct); // --port/--path/--name win over --config
  // The simulator listens on any free port when asked for 0 (the firmware's option range starts at 1).
  const port = raw.port;
  const anyPort = port !== undefined && /^\s*0+\s*$/.test(port);
  const forParse: Record<string, string> = { ...raw };
  if (anyPort) delete forParse.port;
  let config: SpeakerConfig, device: DeviceConfig;
  try {
    config = parseConfig(forParse);
    device = parseDeviceConfig(forParse);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  if (anyPort) config.port = 0;
  return { flashFile, audioFile, events, mdns, help, config, device, raw };
}
