// The log port on Moddable: trace(), which xsbug shows (and colours lines starting <info>, <warn>,
// <error>) and the desktop simulator prints to standard output. A release build has no console.

import type { LogLevel, LogPort } from "../modules/platform.js";

const PREFIX: Readonly<Record<LogLevel, string>> = { debug: "", info: "<info>", warn: "<warn>", error: "<error>" };

export function createTraceLog(minLevel: LogLevel = "info"): LogPort {
  const rank: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };
  const min = rank[minLevel];
  return {
    log(level: LogLevel, message: string): void {
      if (rank[level] >= min) trace(`${PREFIX[level]}${message}\n`);
    },
  };
}
