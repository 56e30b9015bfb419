// The simulator's two output streams: human-readable logs on standard error, and, with --events, one
// JSON object per line on standard output (each with an `event` field). Without --events, standard
// output carries the startup banner and the PIN announcements for a person at the terminal.

import type { LogLevel, LogPort } from "../modules/platform.js";

export class SimConsole implements LogPort {
  readonly events: boolean;
  private readonly minLevel: number;

  constructor(o: { events: boolean; verbose?: boolean }) {
    this.events = o.events;
    this.minLevel = o.verbose ? 0 : 1;
  }

  log(level: LogLevel, message: string): void {
    const rank = level === "debug" ? 0 : level === "info" ? 1 : level === "warn" ? 2 : 3;
    if (rank < this.minLevel) return;
    process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${level.padEnd(5)} ${message}\n`);
  }

  /** A machine-readable event (only with --events). */
  event(e: { event: string; [k: string]: unknown }): void {
    if (this.events) process.stdout.write(JSON.stringify(e) + "\n");
  }

  /** Text for the person at the terminal: standard output, or standard error when stdout carries events. */
  human(text: string): void {
    (this.events ? process.stderr : process.stdout).write(text.endsWith("\n") ? text : text + "\n");
  }
}
