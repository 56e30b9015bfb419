// Device-maker options: the one place that knows their names, defaults, ranges and meaning.
// On the device they come from the manifest's `config` (mc/config, deep-frozen; values given on the
// mcconfig command line arrive as strings); in the simulator from `--config key=value`. Both go
// through parseConfig, so a bad value is refused at boot with the same clear message everywhere.

import type { PcmFormat, OutChannelKind } from "./platform.js";
import type { SuiteName } from "../crypto/provider.js";
import { PROTOCOL_SETTINGS, type ProtocolSetting } from "./protocol/revision.js";

export interface AudioFormat extends PcmFormat {
  codec: "pcm";
}

export interface SpeakerConfig {
  /** Friendly name: client/hello `name`, mDNS TXT `name`. */
  name: string;
  manufacturer: string;
  productName: string;
  softwareVersion: string;
  /** PIN methods this device offers (pairing_psk is always offered). */
  staticPin: boolean;
  dynamicPin: boolean;
  /** How a dynamic PIN reaches the operator (advertised as out_channels). */
  outChannels: OutChannelKind[];
  /** Default dynamic_pin.min_pin_length (4–12) until changed by management. */
  minPinLength: number;
  /** Pairing record slots (≥ 5). */
  recordSlots: number;
  /** Default of unpaired_access.enabled until changed by management. */
  unpairedAccess: boolean;
  /** player@v1 buffer_capacity in bytes: what the jitter buffer truly holds. */
  bufferCapacity: number;
  /** PCM formats advertised in player@v1_support.supported_formats, preferred first. */
  audioFormats: AudioFormat[];
  /** WebSocket port and path (also advertised over mDNS). */
  port: number;
  path: string;
  /** Cap on simultaneously open sockets (RAM protection). */
  maxSockets: number;
  /** Cipher suite announced in client/init: "auto" picks the fastest the crypto backend serves. */
  suite: "auto" | SuiteName;
  /**
   * Sendspin revision served: "auto" latches each connection's revision on its Noise message 1 (baseline
   * or current); "baseline" or "current" pins one and refuses the other's handshake (docs/current-revision.md).
   */
  protocol: ProtocolSetting;
}

export const DEFAULT_CONFIG: Readonly<SpeakerConfig> = {
  name: "Sendspin Speaker",
  manufacturer: "Sendspin",
  productName: "ESP32 Speaker",
  softwareVersion: "0.1.0",
  staticPin: false,
  dynamicPin: true,
  outChannels: ["speaker"],
  minPinLength: 6,
  recordSlots: 8,
  unpairedAccess: false,
  bufferCapacity: 1_048_576,
  audioFormats: [
    { codec: "pcm", sampleRate: 48000, channels: 2, bitsPerSample: 16 },
    { codec: "pcm", sampleRate: 44100, channels: 2, bitsPerSample: 16 },
  ],
  port: 8928,
  path: "/sendspin",
  maxSockets: 3,
  suite: "auto",
  protocol: "auto",
};

export class ConfigError extends Error {
  override get name(): string {
    return "ConfigError";
  }
}

type Raw = Readonly<Record<string, unknown>>;

function str(raw: Raw, key: string, def: string, max = 63, min = 1): string {
  const v = raw[key];
  if (v === undefined) return def;
  if (typeof v !== "string" || v.length < min || v.length > max) throw new ConfigError(`config ${key}: expected a ${min > 0 ? "non-empty " : ""}string of at most ${max} characters`);
  return v;
}

function int(raw: Raw, key: string, def: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined) return def;
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new ConfigError(`config ${key}: expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

function bool(raw: Raw, key: string, def: boolean): boolean {
  const v = raw[key];
  if (v === undefined) return def;
  if (v === true || v === "true" || v === "1") return true;
  if (v === false || v === "false" || v === "0") return false;
  throw new ConfigError(`config ${key}: expected true or false, got ${JSON.stringify(v)}`);
}

/** A list given as an array or as a comma-separated string (command line). */
function list(raw: Raw, key: string): string[] | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v === "string") return v.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || (typeof x === "object" && x !== null))) return v.map((x) => (typeof x === "string" ? x : formatToString(x as Record<string, unknown>)));
  throw new ConfigError(`config ${key}: expected a list`);
}

function formatToString(f: Record<string, unknown>): string {
  return `${f.sampleRate ?? f.sample_rate}/${f.bitsPerSample ?? f.bit_depth}/${f.channels}`;
}

const OUT_CHANNELS: readonly OutChannelKind[] = ["display", "speaker", "other"];
const SAMPLE_RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000];

/** Parse "rate/bits/channels" entries, e.g. "48000/16/2". */
function parseFormats(items: string[]): AudioFormat[] {
  const out: AudioFormat[] = [];
  for (const it of items) {
    const m = /^(\d+)\/(16|24)\/([12])$/.exec(it);
    const rate = m ? Number(m[1]) : 0;
    if (!m || !SAMPLE_RATES.includes(rate)) throw new ConfigError(`config audioFormats: "${it}" is not rate/bits/channels with bits 16|24, channels 1|2 and a standard rate`);
    out.push({ codec: "pcm", sampleRate: rate, bitsPerSample: Number(m[2]), channels: Number(m[3]) });
  }
  if (out.length === 0) throw new ConfigError("config audioFormats: at least one format is required");
  return out;
}

/** Build the speaker's configuration from raw option values; throws ConfigError on any invalid value. */
export function parseConfig(raw: Raw): SpeakerConfig {
  const d = DEFAULT_CONFIG;
  const outChannels = (list(raw, "outChannels") ?? d.outChannels) as OutChannelKind[];
  for (const c of outChannels) if (!OUT_CHANNELS.includes(c)) throw new ConfigError(`config outChannels: "${c}" is not one of ${OUT_CHANNELS.join(", ")}`);
  const formats = list(raw, "audioFormats");
  const suite = str(raw, "suite", d.suite);
  if (suite !== "auto" && suite !== "25519_ChaChaPoly_SHA256" && suite !== "25519_AESGCM_SHA256") throw new ConfigError(`config suite: "${suite}" is not auto, 25519_ChaChaPoly_SHA256 or 25519_AESGCM_SHA256`);
  const path = str(raw, "path", d.path, 127);
  if (!/^\/[\x21-\x7e]*$/.test(path)) throw new ConfigError(`config path: "${path}" must start with / and contain no spaces`);
  const protocol = str(raw, "protocol", d.protocol);
  if (PROTOCOL_SETTINGS.indexOf(protocol as ProtocolSetting) < 0) throw new ConfigError(`config protocol: "${protocol}" is not ${PROTOCOL_SETTINGS.join(", ")}`);
  const recordSlots = int(raw, "recordSlots", d.recordSlots, -1e9, 64);
  if (recordSlots < 5) throw new ConfigError(`config recordSlots: ${recordSlots} is below the guaranteed minimum of 5 pairing record slots`);
  return {
    name: str(raw, "name", d.name),
    manufacturer: str(raw, "manufacturer", d.manufacturer),
    productName: str(raw, "productName", d.productName),
    softwareVersion: str(raw, "softwareVersion", d.softwareVersion),
    staticPin: bool(raw, "staticPin", d.staticPin),
    dynamicPin: bool(raw, "dynamicPin", d.dynamicPin),
    outChannels: [...outChannels],
    minPinLength: int(raw, "minPinLength", d.minPinLength, 4, 12),
    recordSlots,
    unpairedAccess: bool(raw, "unpairedAccess", d.unpairedAccess),
    bufferCapacity: int(raw, "bufferCapacity", d.bufferCapacity, 16_384, 64 * 1024 * 1024),
    audioFormats: formats ? parseFormats(formats) : d.audioFormats.map((f) => ({ ...f })),
    port: int(raw, "port", d.port, 1, 65535),
    path,
    maxSockets: int(raw, "maxSockets", d.maxSockets, 1, 16),
    suite: suite as SpeakerConfig["suite"],
    protocol: protocol as ProtocolSetting,
  };
}

// The value readers, for the options that only drivers read (modules/board/device-config.ts).
export { str as configString, int as configInt, bool as configBool };
