// The chip app's work (test/chip/device: built by mcconfig for an ESP32, e.g. esp32/esp32c3 run under QEMU, or
// for Moddable's Linux simulator): the native crypto backend's known answers, then three workloads of the speaker
// with the native backend, each counted between two marks that test/chip/device-run.ts pairs with the
// instruction counts of the QEMU plugin (test/chip/plugin/insn-count.c).
//
// Serial protocol (every machine-read line starts with "# chip-"):
//   ok NAME / not ok NAME: …             one per known answer (test/native/known-answers.ts)
//   # chip-kat-summary PASS FAIL
//   # chip-mark begin|end n=N NAME       one per mark, printed before the mark executes (both lines of a section
//                                        before its first mark: a print inside a section would be counted)
//   # chip-time n=N us=T NAME            after a section: its elapsed time on the monotonic clock
//   # chip-memory WHEN: the firmware's memory line (drivers/memory.ts)
//   # chip-error …                       a workload failed (the run goes on with the next one)
//   # chip-device-done
//
// Each workload runs once to warm up (first-call costs: lazy tables, property caches), then two sections: N = 1
// and N = k. The runner takes (count(k) − count(1)) / (k − 1): the fixed costs of a section (the marks, the clock
// reads, the loop) cancel, and so does anything that happens once per section; what remains is the steady cost of
// one operation, the garbage collections its allocations cause included (each section starts after a full one).
// count(1) is printed beside it as a check of scale.
//
// Between sections the app waits (a timer) so the UART has sent every line before the next mark: on the device
// the counts include whatever interrupt handlers and other FreeRTOS tasks run between two marks; with no network
// traffic and an idle console that is the tick interrupt and little else.
//
// Host-free (no Moddable global): the host's functions arrive in ChipHost (main.js).

import { createNativeCrypto } from "../../../drivers/crypto/native-crypto.js";
import { nativeUnmask } from "../../../drivers/crypto/native-unmask.js";
import type { CryptoProvider } from "../../../crypto/provider.js";
import { runNativeKnownAnswers } from "../../native/known-answers.js";
import { cpaceRoleBWork, noiseResponderWork } from "../../support/handshake-work.js";
import { CHUNK_FRAMES, ReceivePath } from "../../support/receive-path.js";
import { SeededRandom } from "../../support/random.js";

export interface ChipHost {
  print(line: string): void;
  /** The instruction-count mark (a no-op off RISC-V). */
  mark(): void;
  /** Monotonic microseconds. */
  nowUs(): number;
  /** A full garbage collection. */
  gc(): void;
  /** The firmware's memory line (drivers/memory.ts): system heap free and lowest, XS chunks and slots. */
  memory(): string;
  /** What the app runs on: ESP-IDF's target name or "desktop". */
  platform(): string;
  /** Calls `cb` after `ms` milliseconds (the host's timer). */
  later(cb: () => void, ms: number): void;
}

/** Pause before each section's first mark: the console's lines are out, the UART quiet. */
const SETTLE_MS = 50;

/** One workload: `prepare` builds everything outside the counts and returns what one section runs. */
interface Workload {
  name: string;
  /** Operations in the N = k section (memory bounds some: prepared chunks). */
  k: number;
  /**
   * Builds the workload (not counted). Returns `setup(n)`, called before a section and not counted, which
   * returns the section's body running n operations.
   */
  prepare(crypto: CryptoProvider): (n: number) => () => void;
}

function short(suite: string): string {
  return suite.replace("25519_", "").replace("_SHA256", "");
}

function workloads(crypto: CryptoProvider): Workload[] {
  const suite = crypto.suites[0];
  return [
    {
      name: `Noise KKpsk2 responder handshake (${short(suite)})`,
      k: 4,
      prepare(c) {
        // Message 1 of each run from a fresh initiator, made here: the initiator's work is never counted.
        const respond = noiseResponderWork(c, suite, 6);
        respond(); // warm-up
        return (n) => () => {
          for (let i = 0; i < n; i++) respond();
        };
      },
    },
    {
      name: "CPace role B (respond, verify Ta, Tb)",
      k: 4,
      prepare(c) {
        const cpace = cpaceRoleBWork(c);
        cpace(); // warm-up
        return (n) => () => {
          for (let i = 0; i < n; i++) cpace();
        };
      },
    },
    {
      name: `Receive path, one 20 ms chunk: TCP bytes to sink (${short(suite)}, unmask in C)`,
      // A section's k chunks are prepared before it (~3.9 KB each of the XS chunk heap), hence a small k.
      // Counted per chunk, as in test/bench/cost.bench.ts: the speaker's whole path from one TCP read of a masked
      // frame to the sink, plus the test doubles' own work (one ManualClock advance, one CountingSink drain). A
      // clock-sync probe falling due in a section would add the simulated server's answer (bursts are seconds
      // apart; a section is 20 ms × k of simulated time).
      k: 8,
      prepare(c) {
        // The firmware's buffer (manifest.json's bufferCapacity) and a stream 100 ms ahead of its play time.
        const rig = new ReceivePath({ crypto: c, suite, unmask: nativeUnmask, bufferCapacity: 32768, aheadUs: 100_000, pcmPatterns: 2 });
        for (let i = 0; i < 100; i++) rig.step(); // steady state: clock synchronized, buffer filled, sink refilled every period
        if (rig.rejected !== 0) throw new Error(`receive path: ${rig.rejected} chunks refused while warming up`);
        return (n) => {
          rig.prepare(n); // sealed and framed by the simulated server here, outside the count
          const played = rig.framesPlayed;
          return () => {
            for (let i = 0; i < n; i++) rig.stepPrepared();
            if (rig.rejected !== 0) throw new Error(`receive path: ${rig.rejected} chunks refused`);
            if (rig.framesPlayed - played < (n - 2) * CHUNK_FRAMES) throw new Error("receive path: the sink was not fed");
          };
        };
      },
    },
  ];
}

export function runChipDevice(host: ChipHost): void {
  const memory = (when: string): void => {
    host.gc();
    // After a full collection: what is live (XS fills a heap before it collects).
    host.print(`# chip-memory ${when}: ${host.memory()}`);
  };
  host.print(`# chip-device-start platform=${host.platform()}`);
  memory("start");
  const kat = runNativeKnownAnswers(host.print);
  host.print(`# chip-kat-summary ${kat.pass} ${kat.fail}`);
  memory("after-kat");

  let crypto: CryptoProvider;
  try {
    crypto = createNativeCrypto(new SeededRandom(1));
  } catch (e) {
    host.print(`# chip-error native backend: ${String(e)}`);
    host.print("# chip-device-done");
    return;
  }
  const list = workloads(crypto);
  const steps: (() => void)[] = [];
  for (const w of list) {
    let setup: ((n: number) => () => void) | undefined;
    const failed = (e: unknown) => {
      host.print(`# chip-error ${w.name}: ${String(e)}`);
      setup = undefined;
    };
    steps.push(() => {
      try {
        setup = w.prepare(crypto);
      } catch (e) {
        failed(e);
      }
    });
    for (const n of [1, w.k]) {
      let body: (() => void) | undefined;
      // Prepare the section and announce both marks, then let the console drain (the next step runs later).
      steps.push(() => {
        if (!setup) return;
        try {
          body = setup(n);
        } catch (e) {
          failed(e);
          return;
        }
        host.print(`# chip-mark begin n=${n} ${w.name}`);
        host.print(`# chip-mark end n=${n} ${w.name}`);
      });
      steps.push(() => {
        if (!body) return;
        const run = body;
        body = undefined;
        host.gc();
        host.mark();
        const t0 = host.nowUs();
        let error: unknown;
        try {
          run();
        } catch (e) {
          error = e;
        }
        const t1 = host.nowUs();
        host.mark();
        if (error !== undefined) failed(error);
        else host.print(`# chip-time n=${n} us=${Math.round(t1 - t0)} ${w.name}`);
      });
    }
    steps.push(() => {
      memory(`with ${w.name}`); // its objects still live (a receive path: mid-stream)
      setup = undefined;
    });
  }
  let next = 0;
  const step = (): void => {
    if (next === steps.length) {
      host.print("# chip-device-done");
      return;
    }
    steps[next++]();
    host.later(step, SETTLE_MS);
  };
  host.later(step, SETTLE_MS);
}
