// A speaker as a child process whose console a test reads line by line and waits on: Moddable's simulator
// (mcsim, under xvfb-run), QEMU with the chip's serial port on standard output, the Node simulator. Standard
// output and standard error each go through their own decoder (plain lines, or xsbug's XML on a serial port:
// serial-console.ts) into one list of lines, with the time each arrived.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { PlainLines, type LineDecoder } from "./serial-console.js";
import { WatchedList } from "./watched-list.js";

export interface LineProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A decoder per stream (default: plain lines). */
  decoder?: (stream: "stdout" | "stderr") => LineDecoder;
  /** Sees every line first: returns the line to keep (possibly rewritten), or undefined to drop it. */
  filter?: (line: string, stream: "stdout" | "stderr") => string | undefined;
  /** Called with every line kept (e.g. to echo it). */
  onLine?: (line: string) => void;
  /** What the process is, for error messages. */
  name?: string;
}

export class LineProcess {
  private readonly watched = new WatchedList<string>();
  readonly lines: string[] = this.watched.items;
  /** Date.now() when each line arrived. */
  readonly at: number[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly name: string;
  private ended = false;

  constructor(command: string, args: readonly string[], o: LineProcessOptions = {}) {
    this.name = o.name ?? command;
    this.child = spawn(command, args, { cwd: o.cwd, env: o.env, stdio: ["pipe", "pipe", "pipe"] });
    const read = (stream: "stdout" | "stderr") => {
      const decoder = o.decoder ? o.decoder(stream) : new PlainLines();
      const take = (lines: string[]) => {
        for (const raw of lines) {
          const line = o.filter ? o.filter(raw, stream) : raw;
          if (line === undefined) continue;
          this.at.push(Date.now());
          this.watched.push(line);
          o.onLine?.(line);
        }
      };
      this.child[stream].setEncoding("utf8");
      this.child[stream].on("data", (text: string) => take(decoder.push(text)));
      this.child[stream].on("end", () => take(decoder.end()));
    };
    read("stdout");
    read("stderr");
    this.child.on("error", () => {}); // a missing binary shows as an exit with no line
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code) => {
        this.ended = true;
        this.watched.wake();
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return !this.ended;
  }

  /** The first line at or after index `from` matching `re`, and its index; rejects after `ms` or when the process has ended. */
  async waitFor(re: RegExp, ms: number, from = 0): Promise<{ match: RegExpExecArray; index: number }> {
    const failure = () => new Error(`${this.name}: no line matching ${re} within ${ms} ms${this.ended ? " (it exited)" : ""}`);
    const index = await this.watched.next((l) => re.test(l), from, ms, failure, () => this.ended);
    return { match: re.exec(this.lines[index])!, index };
  }

  /** Lines from index `from` matching `re`. */
  matching(re: RegExp, from = 0): string[] {
    return this.lines.slice(from).filter((l) => re.test(l));
  }

  write(text: string): void {
    if (this.child.stdin.writable) this.child.stdin.write(text);
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.ended) this.child.kill(sig);
  }

  /** Ends the process: `first` (e.g. a quit command, or SIGTERM), then SIGKILL if it is still there after `graceMs`. */
  async stop(first: () => void = () => this.signal("SIGTERM"), graceMs = 10_000): Promise<number | null> {
    if (!this.ended) first();
    const hard = setTimeout(() => this.signal("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(hard);
    return code;
  }
}
