// npm run bench: runs every portable benchmark (test/bench/*.bench.ts) in Node and inside XS, then prints
// one table per subject with both engines' figures side by side.
//   node build/test/bench/run.js [substring-filter] [--node-only|--xs-only]

import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { findFiles, rel } from "../files.js";
import { bundleForXs, projectRoot, runXs, xsVersion } from "../xs/engine.js";
import type { Bench, BenchContext } from "./context.js";

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

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const filter = args.find((a) => !a.startsWith("--")) ?? "";
  const nodeOnly = args.includes("--node-only");
  const xsOnly = args.includes("--xs-only");
  const dir = join(projectRoot, "build", "test", "bench");
  const files = findFiles(dir, ".bench.js").filter((f) => rel(dir, f).includes(filter)); // relative: a checkout path must not match
  let failures = 0;
  if (!xsOnly) {
    const ctx: BenchContext = { engine: "node", now: () => performance.now(), record, note, gc: () => (globalThis as { gc?: () => void }).gc?.() };
    for (const f of files) {
      process.stderr.write(`# node: ${basename(f)}\n`);
      const mod = (await import(pathToFileURL(f).href)) as { default: Bench };
      await mod.default(ctx);
    }
  }
  if (!nodeOnly) {
    const xsDir = join(projectRoot, "build", "xs");
    process.stderr.write(`# XS ${xsVersion()} (xsnap)\n`);
    for (const f of files) {
      process.stderr.write(`# xs: ${basename(f)}\n`);
      const name = "bench-" + basename(f, ".bench.js");
      const src = `import bench from "./${rel(xsDir, f)}";\nimport { runBenchInXs } from "./${rel(xsDir, join(dir, "xs-bench-main.js"))}";\nrunBenchInXs(bench);\n`;
      const file = await bundleForXs(name, src);
      let done = false;
      await runXs(file, (line) => {
        if (line.startsWith("# rec ")) {
          const [t, r, c, v] = JSON.parse(line.slice(6)) as [string, string, string, string | number];
          record(t, r, c, v);
        } else if (line.startsWith("# note ")) {
          const [t, text] = JSON.parse(line.slice(7)) as [string, string];
          note(t, text);
        } else if (line === "# bench-done") done = true;
        else process.stderr.write(line + "\n");
      });
      if (!done) {
        failures++;
        process.stderr.write(`# xs: ${basename(f)} did not complete\n`);
      }
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
