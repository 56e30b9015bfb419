// Recording test doubles of the speaker's ports and of the Player as the sessions drive it, plus a
// factory that builds a Sessions instance around them (pure ECMAScript: Node and XS).

import { keyId } from "../../crypto/ids.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../modules/config.js";
import type { IndicatorCue, IndicatorPort, LogLevel, LogPort, OutChannelKind, OutChannelPort } from "../../modules/platform.js";
import type { PlayerPart, SessionSettings } from "../../modules/session/parts.js";
import { Sessions, type SessionEvent } from "../../modules/session/sessions.js";
import { ManualClock } from "./clock.js";
import { MemoryStore } from "./memory-store.js";
import { SeededRandom } from "./random.js";

export class RecordingPlayer implements PlayerPart {
  readonly calls: string[] = [];
  active = false;
  supportObject(): Record<string, unknown> {
    return { supported_formats: [{ codec: "pcm", channels: 2, sample_rate: 48000, bit_depth: 16 }], buffer_capacity: 1048576, supported_commands: ["volume", "mute"] };
  }
  activate(): void {
    this.active = true;
    this.calls.push("activate");
  }
  deactivate(): void {
    this.active = false;
    this.calls.push("deactivate");
  }
  onMessage(type: string): void {
    this.calls.push("message " + type);
  }
  onAudioChunk(data: Uint8Array): boolean {
    this.calls.push("audio " + data.length);
    return true;
  }
}

export class RecordingOutChannel implements OutChannelPort {
  readonly kinds: readonly OutChannelKind[] = ["speaker"];
  readonly pins: string[] = [];
  clears = 0;
  emitPin(pin: string): void {
    this.pins.push(pin);
  }
  clear(): void {
    this.clears++;
  }
}

export class RecordingIndicator implements IndicatorPort {
  readonly cues: IndicatorCue[] = [];
  cue(kind: IndicatorCue): void {
    this.cues.push(kind);
  }
}

export class RecordingLog implements LogPort {
  readonly lines: string[] = [];
  log(level: LogLevel, message: string): void {
    if (this.lines.length < 2000) this.lines.push(`${level}: ${message}`);
  }
}

export interface Rig {
  readonly crypto: CryptoProvider;
  readonly random: SeededRandom;
  readonly clock: ManualClock;
  readonly store: MemoryStore;
  readonly player: RecordingPlayer;
  readonly out: RecordingOutChannel;
  readonly indicator: RecordingIndicator;
  readonly log: RecordingLog;
  readonly events: SessionEvent[];
  readonly config: SpeakerConfig;
  readonly sessions: Sessions;
}

export function makeRig(o: { seed?: number; config?: Partial<SpeakerConfig>; settings?: Partial<SessionSettings>; slots?: number; player?: boolean } = {}): Rig {
  const random = new SeededRandom(o.seed ?? 7);
  const crypto = createPortableCrypto(random);
  const clock = new ManualClock();
  const config: SpeakerConfig = { ...DEFAULT_CONFIG, staticPin: true, dynamicPin: true, ...o.config };
  const store = new MemoryStore(crypto, o.slots ?? 5, o.settings);
  const player = new RecordingPlayer();
  const out = new RecordingOutChannel();
  const indicator = new RecordingIndicator();
  const log = new RecordingLog();
  const events: SessionEvent[] = [];
  const identity = store.settings.identity;
  const sessions = new Sessions({
    config,
    crypto,
    clock,
    log,
    store,
    identity,
    clientId: keyId(identity.publicKey),
    suite: crypto.suites[0],
    player: o.player === false ? null : player,
    outChannel: out,
    indicator,
    emit: (e) => events.push(e),
  });
  return { crypto, random, clock, store, player, out, indicator, log, events, config, sessions };
}
