// The simulator binary as a child process, driven as device makers' CI drives it: `node
// build/sim/main.js --no-mdns --events --port 0 --flash DIR/flash.bin ...` (what `npm start` runs), its
// event lines read from standard output, commands written to standard input.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { projectRoot } from "../xs/engine.js";
import { WatchedList } from "./watched-list.js";

export type SimEvent = { event: string; [k: string]: unknown };

/** `node build/sim/main.js --no-mdns --events --port 0 --flash DIR/flash.bin ...` (what `npm start` runs). */
export class SimProcess {
  private readonly watched = new WatchedList<SimEvent>();
  readonly events: SimEvent[] = this.watched.items;
  readonly stderr: string[] = [];
  readonly flashFile: string;
  readonly exited: Promise<number | null>;
  /** The process itself (the playout bench stops and continues it to make stalls). */
  readonly child: ChildProcessWithoutNullStreams;

  /** `nodeFlags`: flags for node itself (the bench passes --expose-gc so `stats` reports the live heap). */
  constructor(readonly dir: string, args: string[], nodeFlags: string[] = []) {
    this.flashFile = join(dir, "flash.bin");
    this.child = spawn(process.execPath, [...nodeFlags, join(projectRoot, "build/sim/main.js"), "--no-mdns", "--events", "--port", "0", "--flash", this.flashFile, ...args], {
      env: { ...process.env, SENDSPIN_SIM_SOUND: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.watched.push(JSON.parse(line) as SimEvent); // anything else on stdout breaks the contract
    });
    // read standard error line by line (a full pipe would stall the simulator); keep the tail only
    createInterface({ input: this.child.stderr }).on("line", (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 400) this.stderr.splice(0, 200);
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  /** The first event after index `from` matching `pred` (waits up to `ms`). */
  async next(pred: (e: SimEvent) => boolean, from = 0, ms = 15_000): Promise<SimEvent> {
    const failure = () => new Error(`no matching event; got ${JSON.stringify(this.events.slice(-20).map((e) => e.event))}\n${this.stderr.slice(-20).join("\n")}`);
    return this.events[await this.watched.next(pred, from, ms, failure)];
  }

  send(command: string): void {
    this.child.stdin.write(command + "\n");
  }

  /** The `stats` event (high-water marks since the previous one). */
  async stats(): Promise<SimEvent> {
    const from = this.events.length;
    this.send("stats");
    return this.next((e) => e.event === "stats", from);
  }

  async quit(): Promise<number | null> {
    if (this.child.exitCode === null) this.send("quit");
    return this.exited;
  }
}

/** A fresh temporary directory for a simulator's flash image and WAV. */
export function tempDir(prefix = "sendspin-sim-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The `ready` event's connection details. */
export async function simReady(sim: SimProcess, from = 0): Promise<{ url: string; token: string; staticPin: string | null; port: number }> {
  const e = await sim.next((x) => x.event === "ready", from);
  return { url: `ws://127.0.0.1:${e.port as number}${e.path as string}`, token: e.pairing_token as string, staticPin: e.static_pin as string | null, port: e.port as number };
}
