// The exact instruction counter of the chip benchmarks (test/chip/plugin/insn-count.c, a QEMU TCG plugin): building
// it and reading what it wrote. Used by test/chip/run.ts (bare-metal XS on -M virt) and test/chip/device-run.ts
// (the chip app on -M esp32c3).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../xs/engine.js";

export const CHIP_DIR = join(projectRoot, "build", "chip");
export const CHIP_SRC_DIR = join(projectRoot, "test", "chip");

export function run(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}\n${r.stdout}${r.stderr}`);
}

/** True when `target` is missing or older than one of `sources`. */
export function newer(target: string, sources: string[]): boolean {
  if (!existsSync(target)) return true;
  const t = statSync(target).mtimeMs;
  return sources.some((s) => statSync(s).mtimeMs > t);
}

/** Builds the plugin with the host's gcc (when its source changed); returns the .so path for `-plugin PATH,out=FILE`. */
export function buildPlugin(): string {
  const src = join(CHIP_SRC_DIR, "plugin", "insn-count.c");
  const out = join(CHIP_DIR, "insn-count.so");
  mkdirSync(CHIP_DIR, { recursive: true });
  if (newer(out, [src])) run("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-o", out, src]);
  return out;
}

export interface PluginOutput {
  /** The executed-instruction count at each mark, in order. */
  marks: number[];
  /** Per mark: the "COUNT NAME" lines of the per-function breakdown (syms=FILE), largest first. */
  breakdowns: string[][];
  /** The count when QEMU exited ("total" line), if it exited cleanly. */
  total: number | undefined;
}

export function readMarks(file: string): PluginOutput {
  const out: PluginOutput = { marks: [], breakdowns: [], total: undefined };
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("mark ")) {
      out.marks.push(Number(line.slice(5)));
      out.breakdowns.push([]);
    } else if (line.startsWith("fn ") && out.breakdowns.length) out.breakdowns[out.breakdowns.length - 1].push(line.slice(3));
    else if (line.startsWith("total ")) out.total = Number(line.slice(6));
  }
  return out;
}
