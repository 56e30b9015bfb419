// The simulator binary as device makers' CI drives it (README, "Driving the simulator"): spawn
// `node build/sim/main.js --no-mdns --events` on a temporary flash image and a free port, read the event
// lines, write commands (`button`, `reboot`, `quit`) to standard input. Shared by the simulator's
// end-to-end tests (baseline and current revision).

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { projectRoot } from "../../xs/engine.js";

export type SimEvent = { event: string; [k: string]: unknown };

export class Sim {
  readonly events: SimEvent[] = [];
  readonly stderr: string[] = [];
  private waiters: (() => void)[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;

  constructor(readonly dir: string, args: string[]) {
    this.child = spawn(process.execPath, [join(projectRoot, "build/sim/main.js"), "--no-mdns", "--events", "--port", "0", "--flash", join(dir, "flash.bin"), ...args], {
      env: { ...process.env, SENDSPIN_SIM_SOUND: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.events.push(JSON.parse(line) as SimEvent); // anything else on stdout breaks the contract
      for (const w of this.waiters.splice(0)) w();
    });
    createInterface({ input: this.child.stderr }).on("line", (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  /** The first event after index `from` matching `pred` (waits up to `ms`). */
  async next(pred: (e: SimEvent) => boolean, from = 0, ms = 15_000): Promise<SimEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(this.events.map((e) => e.event))}\n${this.stderr.slice(-20).join("\n")}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(command: string): void {
    this.child.stdin.write(command + "\n");
  }

  async quit(): Promise<number | null> {
    this.send("quit");
    return this.exited;
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "sendspin-sim-"));
}

export async function ready(sim: Sim, from = 0): Promise<{ url: string; token: string; staticPin: string | null; port: number }> {
  const e = await sim.next((x) => x.event === "ready", from);
  return { url: `ws://127.0.0.1:${e.port as number}${e.path as string}`, token: e.pairing_token as string, staticPin: e.static_pin as string | null, port: e.port as number };
}

