// npm run bench: runs every benchmark (test/bench/*.bench.ts) in Node and inside XS (and, for benches that ask
// for it, inside the native XS host, first under callgrind for instruction counts when valgrind is installed),
// then prints one table per subject with the engines' figures side by side.
//   node build/test/bench/run.js [substring-filter] [--node-only|--xs-only]

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { findFiles, rel } from "../files.js";
import { bundleForXs, projectRoot, runXs, runXsCommand, xsVersion } from "../xs/engine.js";
import { ensureNativeBuild, nativeBuildDir } from "../native/build.js";
import { PORTABLE_BACKEND } from "../support/backends.js";
import type { Bench, BenchContext, Engine } from "./context.js";

interface BenchModule {
  default: Bench;
  /** Engines the bench runs in (default: node and xs). */
  engines?: readonly Engine[];
}

interface Table {
  rows: string[];
  cols: string[];
  cells: Map<string, string | number>;
  notes: string[];
}
const tables = new Map<string, Table>();

function table(name: string): Table {
  let t = tables.get(name);
  if (!t) tables.set(name, (t = { rows: [], cols: [], cells: new Map(), notes: [] }));
  return t;
}
function record(name: string, row: string, col: string, value: string | number): void {
  const t = table(name);
  if (!t.rows.includes(row)) t.rows.push(row);
  if (!t.cols.includes(col)) t.cols.push(col);
  t.cells.set(row + "\u0000" + col, value);
}
function note(name: string, text: string): void {
  const t = table(name);
  if (!t.notes.includes(text)) t.notes.push(text);
}

function fmt(v: string | number | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 || Number.isInteger(v) ? Math.round(v).toLocaleString("en-US") : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function render(name: string, t: Table): string {
  const head = ["", ...t.cols];
  const body = t.rows.map((r) => [r, ...t.cols.map((c) => fmt(t.cells.get(r + "\u0000" + c)))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  const out = [`\n## ${name}\n`, line(head), "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 1) + "-" : "-".repeat(w + 1) + ":")).join("|") + "|"];
  for (const row of body) out.push(line(row));
  for (const n of t.notes) out.push(`\n${n}`);
  return out.join("\n");
}

let benchDone = false;

/** A line printer for an XS bench run: records (unless discarded), notes, completion, everything else to stderr. */
function onXsLine(keep: boolean): (line: string) => void {
  benchDone = false;
  return (line) => {
    if (line.startsWith("# rec ")) {
      const [t, r, c, v] = JSON.parse(line.slice(6)) as [string, string, string, string | number];
      if (keep) record(t, r, c, v);
    } else if (line.startsWith("# note ")) {
      const [t, text] = JSON.parse(line.slice(7)) as [string, string];
      if (keep) note(t, text);
    } else if (line === "# bench-done") benchDone = true;
    else process.stderr.write(line + "\n");
  };
}

/** The instruction count of every labelled callgrind dump in `dir` (a label's dump holds what ran since the previous mark). */
function callgrindCounts(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), "utf8");
    const label = /^desc: Trigger: Client Request: (.*)$/m.exec(text)?.[1];
    const total = /^summary: (\d+)$/m.exec(text)?.[1] ?? /^totals: (\d+)$/m.exec(text)?.[1];
    if (label !== undefined && total !== undefined && !label.startsWith("before ")) counts[label] = Number(total);
  }
  return counts;
}

/** A bench in the native XS host: a counting pass under callgrind (when valgrind is installed), then the timed pass. */
async function runNative(f: string, dir: string, xsDir: string): Promise<boolean> {
  let host: string;
  try {
    host = ensureNativeBuild().host;
  } catch (e) {
    process.stderr.write(`# xs-native: ${basename(f)} skipped: ${(e as Error).message}\n`);
    return true;
  }
  const entry = (counting: boolean, counts: Record<string, number>) =>
    `import bench from "./${rel(xsDir, f)}";\n` +
    `import { NATIVE_BACKEND } from "./${rel(xsDir, join(projectRoot, "build/test/native/register-native.js"))}";\n` +
    `import { PORTABLE_BACKEND } from "./${rel(xsDir, join(projectRoot, "build/test/support/backends.js"))}";\n` +
    `import { runBenchInXs } from "./${rel(xsDir, join(dir, "xs-bench-main.js"))}";\n` +
    `runBenchInXs(bench, { engine: "xs-native", backends: [PORTABLE_BACKEND, NATIVE_BACKEND], counting: ${counting}, counts: ${JSON.stringify(counts)} });\n`;
  const name = "native-bench-" + basename(f, ".bench.js");
  let counts: Record<string, number> = {};
  if (spawnSync("sh", ["-c", "command -v valgrind"]).status === 0) {
    process.stderr.write(`# xs-native (callgrind, instruction counts): ${basename(f)}\n`);
    const out = join(nativeBuildDir, "callgrind", name);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const file = await bundleForXs(name + "-count", entry(true, {}));
    await runXsCommand("valgrind", ["--tool=callgrind", `--callgrind-out-file=${join(out, "cg.out")}`, "--dump-instr=no", host, file], onXsLine(false));
    if (!benchDone) {
      process.stderr.write(`# xs-native: the counting pass of ${basename(f)} did not complete\n`);
      return false;
    }
    counts = callgrindCounts(out);
  } else process.stderr.write(`# xs-native: valgrind is not installed: no instruction counts (apt-get install valgrind)\n`);
  process.stderr.write(`# xs-native: ${basename(f)}\n`);
  const file = await bundleForXs(name, entry(false, counts));
  await runXsCommand(host, [file], onXsLine(true));
  if (!benchDone) process.stderr.write(`# xs-native: ${basename(f)} did not complete\n`);
  return benchDone;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const filter = args.find((a) => !a.startsWith("--")) ?? "";
  const nodeOnly = args.includes("--node-only");
  const xsOnly = args.includes("--xs-only");
  const dir = join(projectRoot, "build", "test", "bench");
  const files = findFiles(dir, ".bench.js").filter((f) => rel(dir, f).includes(filter)); // relative: a checkout path must not match
  let failures = 0;
  const modules = new Map<string, BenchModule>();
  for (const f of files) modules.set(f, (await import(pathToFileURL(f).href)) as BenchModule);
  const runsIn = (f: string, e: Engine) => (modules.get(f)!.engines ?? ["node", "xs"]).includes(e);
  if (!xsOnly) {
    const ctx: BenchContext = {
      engine: "node",
      now: () => performance.now(),
      record,
      note,
      gc: () => (globalThis as { gc?: () => void }).gc?.(),
      backends: [PORTABLE_BACKEND],
      counting: false,
      count: () => undefined,
    };
    for (const f of files) {
      if (!runsIn(f, "node")) continue;
      process.stderr.write(`# node: ${basename(f)}\n`);
      await modules.get(f)!.default(ctx);
    }
  }
  if (!nodeOnly) {
    const xsDir = join(projectRoot, "build", "xs");
    process.stderr.write(`# XS ${xsVersion()} (xsnap)\n`);
    for (const f of files) {
      if (!runsIn(f, "xs")) continue;
      process.stderr.write(`# xs: ${basename(f)}\n`);
      const name = "bench-" + basename(f, ".bench.js");
      const src = `import bench from "./${rel(xsDir, f)}";\nimport { runBenchInXs } from "./${rel(xsDir, join(dir, "xs-bench-main.js"))}";\nrunBenchInXs(bench);\n`;
      const file = await bundleForXs(name, src);
      await runXs(file, onXsLine(true));
      if (!benchDone) {
        failures++;
        process.stderr.write(`# xs: ${basename(f)} did not complete\n`);
      }
    }
    for (const f of files) {
      if (!runsIn(f, "xs-native")) continue;
      if (!(await runNative(f, dir, xsDir))) failures++;
    }
  }
  for (const [name, t] of tables) console.log(render(name, t));
  return failures ? 1 : 0;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
