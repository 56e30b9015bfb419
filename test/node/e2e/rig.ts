// A speaker started by startSpeaker on a Node platform for the end-to-end tests: real TCP on 127.0.0.1
// (the simulator's listener), real timers (optionally sped up), an emulated flash, recording doubles for
// the operator-facing ports, and the button under the test's control. The reference server
// (test/reference/) is the peer.

import { randomFillSync } from "node:crypto";
import { createServer } from "node:net";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../../modules/config.js";
import type { AnnouncerPort, ButtonPort, ButtonPress, ClockPort, LogPort, Platform, RandomPort, TimerHandle } from "../../../modules/platform.js";
import { startSpeaker, type Speaker, type SpeakerEvent } from "../../../modules/speaker.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import { NodeListener } from "../../../sim/listener.js";
import { RecordingIndicator, RecordingOutChannel } from "../../support/session-parts.js";
import { RecordingSink } from "../../support/recording-sink.js";

const random: RandomPort = { fill: (out) => void randomFillSync(out) };

/**
 * Real time, optionally faster: with `scale` 20 a 2-minute attempt timeout takes 6 s. Only the session
 * tests that wait for the speaker's own timeouts use a scale; nothing else (audio) runs there.
 */
export function nodeClock(scale = 1): ClockPort {
  const t0 = performance.now();
  return {
    nowUs: () => Math.round((performance.now() - t0) * 1000 * scale) + 1_000_000,
    setTimeout: (cb, ms) => ({ _timer: setTimeout(cb, ms / scale) }),
    setInterval: (cb, ms) => ({ _timer: setInterval(cb, Math.max(1, ms / scale)) }),
    clear: (t: TimerHandle | undefined) => {
      if (t) clearTimeout(t._timer as NodeJS.Timeout);
    },
  };
}

export class TestButton implements ButtonPort {
  private cbs: ((p: ButtonPress) => void)[] = [];
  onPress(cb: (p: ButtonPress) => void): void {
    this.cbs.push(cb);
  }
  press(p: ButtonPress): void {
    for (const cb of this.cbs) cb(p);
  }
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface E2ESpeaker {
  speaker: Speaker;
  url: string;
  events: SpeakerEvent[];
  out: RecordingOutChannel;
  indicator: RecordingIndicator;
  button: TestButton;
  flash: MemoryFlash;
  logs: string[];
  ready: Extract<SpeakerEvent, { event: "ready" }>;
  /** Resolves with the first event (already seen or future) matching `pred`. */
  event(pred: (e: SpeakerEvent) => boolean, timeoutMs?: number): Promise<SpeakerEvent>;
  /** The newest PIN the out-channel conveyed after `since` PINs (waits for it). */
  pin(since: number, timeoutMs?: number): Promise<string>;
  stop(reason?: "shutdown" | "restart"): void;
}

export async function startE2E(o: { config?: Partial<SpeakerConfig>; scale?: number; flash?: MemoryFlash } = {}): Promise<E2ESpeaker> {
  const port = await freePort();
  const config: SpeakerConfig = { ...DEFAULT_CONFIG, staticPin: true, dynamicPin: true, port, ...o.config };
  const clock = nodeClock(o.scale ?? 1);
  const logs: string[] = [];
  const log: LogPort = { log: (level, m) => void (logs.length < 5000 && logs.push(`${level}: ${m}`)) };
  const flash = o.flash ?? new MemoryFlash({ blockSize: 4096, blocks: 4 });
  const out = new RecordingOutChannel();
  const indicator = new RecordingIndicator();
  const button = new TestButton();
  const ads: { name: string; port: number; path: string }[] = [];
  const announcer: AnnouncerPort = { advertise: (s) => (ads.push(s), { close: () => {} }) };
  const listener = new NodeListener({ host: "127.0.0.1" });
  const platform: Platform = {
    clock,
    random,
    flash,
    listener,
    announcer,
    audio: new RecordingSink(clock, { keepSamples: false }),
    button,
    outChannel: out,
    indicator,
    crypto: createPortableCrypto(random),
    log,
  };
  const events: SpeakerEvent[] = [];
  const waiters: { pred: (e: SpeakerEvent) => boolean; resolve: (e: SpeakerEvent) => void }[] = [];
  const speaker = startSpeaker(platform, config, (e) => {
    events.push(e);
    for (const w of waiters.slice()) if (w.pred(e)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(e));
  });
  const ready = events.find((e) => e.event === "ready") as Extract<SpeakerEvent, { event: "ready" }>;
  await listener.bound(); // the listener binds asynchronously
  const rig: E2ESpeaker = {
    speaker,
    url: `ws://127.0.0.1:${port}${config.path}`,
    events,
    out,
    indicator,
    button,
    flash,
    logs,
    ready,
    event(pred, timeoutMs = 10_000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) (waiters.splice(i, 1), reject(new Error("e2e: event not seen in time")));
        }, timeoutMs);
      });
    },
    async pin(since, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (out.pins.length <= since) {
        if (Date.now() > end) throw new Error("e2e: no PIN conveyed");
        await sleep(5);
      }
      return out.pins[out.pins.length - 1];
    },
    stop: (reason) => speaker.stop(reason),
  };
  return rig;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
