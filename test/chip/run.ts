// npm run bench:chip — chip-class cost by exact instruction count.
//
// Builds XS (the sources inside @agoric/xsnap, the engine of our XS tests) for bare-metal rv32imc with
// Debian's riscv64-unknown-elf GCC (ESP32 flags: -Os …) and picolibc (its release build), plus our
// platform layer (test/chip/xs); builds our QEMU plugin (test/chip/plugin); bundles test/chip/workloads.ts;
// runs it under qemu-system-riscv32 -M virt with semihosting; prints rv32 instructions per unit as
// count(N) − count(0) and the estimated CPU share of an ESP32-C3 (160 MHz) and an ESP32 (240 MHz).
//
//   node build/test/chip/run.js [workload-name-filter] [--profile]
//   --profile: also list the functions that executed the most instructions in each counted section.
//
// Every workload is counted on two builds of the same engine, run side by side: XS 13.3 as the package
// ships it (the figures the estimates use), and the same engine with the one-line fix XS 17.9 (the
// device's engine, Moddable SDK 8.2.3) has in TypedArray.prototype.set (see MEMCPY_SET below), whose
// count is shown in its own column: copies between typed arrays cost XS 13.3 ~80 rv32 instructions per
// byte where the device does a memcpy.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { build } from "esbuild";
import { projectRoot, xsnapPackageDir } from "../xs/engine.js";
import { fmtInt, render } from "./table.js";
import { buildPlugin, CHIP_DIR, CHIP_SRC_DIR as SRC_DIR, newer, readMarks, run } from "./insn-count.js";

const GCC = "riscv64-unknown-elf-gcc";
const NM = "riscv64-unknown-elf-nm";
const QEMU = "qemu-system-riscv32";
const PICOLIBC_SPECS = "/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs";
const DEBIAN_PACKAGES = ["gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf", "qemu-system-misc", "gcc"];

/** Moddable's ESP32-C3 compiler flags (tools/mcconfig/make.esp32.mk: -Os, no inlining, sections, no jump tables). */
const TARGET_FLAGS = ["-march=rv32imc", "-mabi=ilp32"];
const OPT_FLAGS = ["-Os", "-fno-inline-functions", "-falign-functions=4", "-ffunction-sections", "-fdata-sections", "-fno-jump-tables", "-fstrict-volatile-bitfields"];
const LIBC_FLAGS = ["--specs=picolibc.specs", "--picolibc-buildtype=release"];
/** A release XS (no mxDebug) that parses and runs scripts; our platform header. */
const XS_DEFINES = ["-DINCLUDE_XSPLATFORM", '-DXSPLATFORM="chip_xs.h"', "-DmxRun=1", "-DmxParse=1"];
/** Memory map on QEMU virt: code and constants at the DRAM base, then 240 MiB of RAM (heap, 1 MiB stack). */
const LINK_FLAGS = [
  "--crt0=semihost",
  "--oslib=semihost",
  "-Wl,--defsym=__flash=0x80000000",
  "-Wl,--defsym=__flash_size=0x01000000",
  "-Wl,--defsym=__ram=0x81000000",
  "-Wl,--defsym=__ram_size=0x0f000000",
  "-Wl,--defsym=__stack_size=0x00100000",
  "-Wl,--gc-sections",
];

function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function missingTools(): string[] {
  const missing: string[] = [];
  if (!have(GCC)) missing.push("gcc-riscv64-unknown-elf");
  if (!existsSync(PICOLIBC_SPECS)) missing.push("picolibc-riscv64-unknown-elf");
  if (!have(QEMU)) missing.push("qemu-system-misc");
  if (!have("gcc")) missing.push("gcc");
  return missing;
}

/** The Debian packages this needs: installed with apt-get when missing (as root), or named clearly. */
function ensureTools(): void {
  let missing = missingTools();
  if (missing.length === 0) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !have("apt-get")) {
    throw new Error(`bench:chip needs the Debian packages ${missing.join(", ")} (apt-get install ${DEBIAN_PACKAGES.join(" ")})`);
  }
  process.stderr.write(`# chip: installing ${missing.join(", ")} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
  const r = spawnSync("apt-get", ["install", "-y", "-qq", ...missing], { stdio: ["ignore", "ignore", "inherit"], env });
  missing = missingTools();
  if (r.status !== 0 || missing.length) throw new Error(`bench:chip: could not install ${missing.join(", ")} (apt-get install ${DEBIAN_PACKAGES.join(" ")})`);
}

/** Compile one C file when its object is older than it or than the flags (two at a time: 2 cores). */
function compileAll(jobs: { src: string; obj: string; args: string[] }[]): Promise<void> {
  let next = 0;
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await new Promise<void>((resolve) => {
        const child = spawn(GCC, [...job.args, "-c", job.src, "-o", job.obj], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("close", (code) => {
          if (code !== 0) failures.push(`${basename(job.src)}:\n${err}`);
          resolve();
        });
      });
    }
  };
  return Promise.all([worker(), worker()]).then(() => {
    if (failures.length) throw new Error("chip: compile failed\n" + failures.join("\n"));
  });
}

/**
 * XS 13.3's TypedArray.prototype.set decides "same element type: memcpy" by comparing the two instances'
 * dispatch slots, which differ for any two distinct typed arrays, so a Uint8Array copied into another goes
 * element by element through getter, coerce and setter. XS 17.9 compares the dispatch tables (the element
 * types). The variant engine gets exactly that change, made at build time in a copy of the package's
 * xsDataView.c (nothing of the SDK is committed); semantics are unchanged.
 */
const MEMCPY_SET = {
  from: "\t\tif (dispatch == sourceDispatch) {\n\t\t\tc_memcpy(data->value.arrayBuffer.address + offset",
  to: "\t\tif (dispatch->value.typedArray.dispatch == sourceDispatch->value.typedArray.dispatch) {\n\t\t\tc_memcpy(data->value.arrayBuffer.address + offset",
};

function memcpySetSource(xs: string): string {
  const original = readFileSync(join(xs, "sources", "xsDataView.c"), "utf8");
  const parts = original.split(MEMCPY_SET.from);
  if (parts.length !== 2) throw new Error("chip: xsDataView.c does not hold TypedArray.prototype.set's copy test exactly once: cannot build the memcpy-set engine");
  const out = join(CHIP_DIR, "xsDataView-memcpy-set.c");
  const patched = parts.join(MEMCPY_SET.to);
  if (!existsSync(out) || readFileSync(out, "utf8") !== patched) writeFileSync(out, patched);
  return out;
}

interface Engines {
  /** XS 13.3 as shipped. */
  xs13: string;
  /** The same with XS 17.9's memcpy in TypedArray.prototype.set. */
  memcpySet: string;
}

async function buildEngine(): Promise<Engines> {
  const xs = join(xsnapPackageDir(), "moddable", "xs");
  const objDir = join(CHIP_DIR, "obj");
  mkdirSync(objDir, { recursive: true });
  const args = [
    ...TARGET_FLAGS, ...OPT_FLAGS, ...LIBC_FLAGS, ...XS_DEFINES,
    `-I${join(xs, "includes")}`, `-I${join(xs, "platforms")}`, `-I${join(xs, "sources")}`, `-I${join(SRC_DIR, "xs")}`,
    "-w",
  ];
  const stamp = join(objDir, "flags.txt");
  const flagsChanged = !existsSync(stamp) || readFileSync(stamp, "utf8") !== args.join(" ");
  const headers = [join(SRC_DIR, "xs", "chip_xs.h")];
  // Every engine source but the snapshot writer, which this runner does not use.
  const names = ["xsAll", "xsAPI", "xsArguments", "xsArray", "xsAtomics", "xsBigInt", "xsBoolean", "xsCode", "xsCommon", "xsDataView",
    "xsDate", "xsDebug", "xsDefaults", "xsError", "xsFunction", "xsGenerator", "xsGlobal", "xsJSON", "xsLexical", "xsLockdown", "xsMapSet",
    "xsMarshall", "xsMath", "xsMemory", "xsModule", "xsNumber", "xsObject", "xsPlatforms", "xsProfile", "xsPromise", "xsProperty", "xsProxy",
    "xsRegExp", "xsRun", "xsScope", "xsScript", "xsSourceMap", "xsString", "xsSymbol", "xsSyntaxical", "xsTree", "xsType", "xsdtoa", "xsmc", "xsre"];
  const sources = [...names.map((n) => join(xs, "sources", n + ".c")), join(SRC_DIR, "xs", "chip-main.c"), memcpySetSource(xs)];
  const jobs = sources
    .map((src) => ({ src, obj: join(objDir, basename(src, ".c") + ".o"), args }))
    .filter((j) => flagsChanged || newer(j.obj, [j.src, ...headers]));
  if (jobs.length) process.stderr.write(`# chip: compiling ${jobs.length} C files for rv32imc\n`);
  await compileAll(jobs);
  writeFileSync(stamp, args.join(" "));
  const objects = sources.map((s) => join(objDir, basename(s, ".c") + ".o"));
  const link = (elf: string, objs: string[]): string => {
    if (newer(elf, objs)) run(GCC, [...TARGET_FLAGS, ...LIBC_FLAGS, ...LINK_FLAGS, "-o", elf, ...objs, "-lm"]);
    return elf;
  };
  const shipped = join(objDir, "xsDataView.o"), patched = join(objDir, "xsDataView-memcpy-set.o");
  return {
    xs13: link(join(CHIP_DIR, "xs-chip.elf"), objects.filter((o) => o !== patched)),
    memcpySet: link(join(CHIP_DIR, "xs-chip-memcpy-set.elf"), objects.filter((o) => o !== shipped)),
  };
}

async function bundleWorkloads(filter: string): Promise<void> {
  await build({
    entryPoints: [join(projectRoot, "build", "test", "chip", "workloads.js")],
    bundle: true,
    format: "iife",
    platform: "neutral",
    mainFields: ["module", "main"],
    outfile: join(CHIP_DIR, "chip-workload.js"),
    logLevel: "error",
    target: "es2022",
    // Strict like the modules the device runs; the filter reaches the script as a constant.
    banner: { js: `"use strict";\nvar CHIP_FILTER = ${JSON.stringify(filter)};` },
  });
}

function writeSymbols(elf: string): string {
  const r = spawnSync(NM, ["-S", "-n", "--defined-only", elf], { encoding: "utf8" });
  const lines: string[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) [tTwW] (\S+)$/.exec(line);
    if (m) lines.push(`${m[1]} ${m[2]} ${m[3]}`);
  }
  const file = join(CHIP_DIR, `symbols-${basename(elf, ".elf")}.txt`);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

interface Section {
  name: string;
  unit: string;
  unitsPerIteration: number;
  iterations: number;
  note: string;
}

interface ChipRun {
  sections: Section[];
  marks: number[];
  breakdowns: string[][];
}

function runQemu(elf: string, plugin: string, symbols: string | null): Promise<ChipRun> {
  const tag = basename(elf, ".elf");
  const marksFile = join(CHIP_DIR, `marks-${tag}.txt`);
  // The guest's console (semihosting) goes to a file: QEMU otherwise sends it to stderr or stdout.
  const consoleFile = join(CHIP_DIR, `console-${tag}.txt`);
  const pluginArg = `${plugin},out=${marksFile}${symbols ? `,syms=${symbols}` : ""}`;
  const args = ["-M", "virt", "-smp", "1", "-m", "512M", "-bios", "none", "-kernel", elf, "-nographic", "-monitor", "none", "-serial", "none",
    "-chardev", `file,id=semihosting,path=${consoleFile}`, "-semihosting-config", "enable=on,target=native,chardev=semihosting", "-plugin", pluginArg];
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU, args, { cwd: CHIP_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stdout.on("data", (d: Buffer) => (err += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => {
      const out = existsSync(consoleFile) ? readFileSync(consoleFile, "utf8") : "";
      if (code !== 0) return reject(new Error(`chip: the emulated run failed (exit ${code})\n${out}${err}`));
      const { marks, breakdowns } = readMarks(marksFile);
      try {
        resolve(parseRun(out.split("\n"), marks, breakdowns));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

function parseRun(stdout: string[], marks: number[], breakdowns: string[][]): ChipRun {
  const sections: Section[] = [];
  for (const line of stdout) {
    if (line.startsWith("# chip-workload ")) sections.push(JSON.parse(line.slice(16)) as Section);
    else if (line.startsWith("# chip-abort") || line.startsWith("# chip-exception")) throw new Error(line);
  }
  if (!stdout.includes("# chip-done")) throw new Error("chip: the workload script did not complete\n" + stdout.join("\n"));
  if (marks.length !== sections.length * 4) throw new Error(`chip: ${marks.length} marks for ${sections.length} workloads`);
  return { sections, marks, breakdowns };
}

/** rv32 instructions per unit of section i: (count(N) − count(0)) / (N × units). */
function perUnit(r: ChipRun, i: number): number {
  const s = r.sections[i];
  const zero = r.marks[4 * i + 1] - r.marks[4 * i];
  const full = r.marks[4 * i + 3] - r.marks[4 * i + 2];
  return (full - zero) / (s.iterations * s.unitsPerIteration);
}

const PCM_BYTES_PER_SECOND = 48000 * 2 * 2;
const CHIPS = [
  { name: "ESP32-C3 160 MHz", hz: 160e6 },
  { name: "ESP32 240 MHz", hz: 240e6 },
];
const CPIS = [1, 1.5];


/** The estimated load: a share of the CPU for streaming units, time per operation for one-shot ones. */
function load(section: Section, perUnit: number, hz: number, cpi: number): string {
  const seconds = (perUnit * cpi) / hz;
  if (section.unit === "byte") return ((seconds * PCM_BYTES_PER_SECOND) * 100).toFixed(seconds * PCM_BYTES_PER_SECOND * 100 >= 10 ? 0 : 1) + " % CPU";
  if (section.unit === "chunk") return (seconds * 50 * 100).toFixed(1) + " % CPU";
  const ms = seconds * 1000;
  return (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) + " ms";
}

/** The functions that executed the most in count(N) of section i, as shares of it. */
function topFunctions(r: ChipRun, i: number): string {
  const full = r.marks[4 * i + 3] - r.marks[4 * i + 2];
  return r.breakdowns[4 * i + 3]
    .slice(0, 12)
    .map((l) => {
      const [n, name] = l.split(" ");
      return `    ${((Number(n) / full) * 100).toFixed(1).padStart(5)} %  ${name}`;
    })
    .join("\n");
}


async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const filter = argv.find((a) => !a.startsWith("--")) ?? "";
  const profile = argv.includes("--profile");
  ensureTools();
  mkdirSync(CHIP_DIR, { recursive: true });
  const plugin = buildPlugin();
  const engines = await buildEngine();
  await bundleWorkloads(filter);

  const started = Date.now();
  // Both engines at once (QEMU's TCG is single-threaded; the machines here have 2 cores).
  const [shipped, variant] = await Promise.all([
    runQemu(engines.xs13, plugin, profile ? writeSymbols(engines.xs13) : null),
    runQemu(engines.memcpySet, plugin, profile ? writeSymbols(engines.memcpySet) : null),
  ]);
  const { sections } = shipped;
  if (variant.sections.map((s) => s.name).join() !== sections.map((s) => s.name).join()) throw new Error("chip: the two engines ran different workloads");

  const head = ["workload", "N", "rv32 instructions / unit", "with XS 17.9's set", ...CHIPS.flatMap((c) => CPIS.map((cpi) => `${c.name}, CPI ${cpi}`))];
  const rows: string[][] = [head];
  const notes: string[] = [];
  sections.forEach((s, i) => {
    const count = perUnit(shipped, i);
    const device = perUnit(variant, i);
    const change = (device - count) / count;
    // Within 0.5 %: the same work (the engines differ only in set's copy; GC timing moves counts a little).
    const deviceCell = Math.abs(change) < 0.005 ? "same" : `${fmtInt(device)} (${change < 0 ? "−" : "+"}${Math.abs(change * 100).toFixed(0)} %)`;
    rows.push([s.name, String(s.iterations), `${fmtInt(count)} / ${s.unit}`, deviceCell, ...CHIPS.flatMap((c) => CPIS.map((cpi) => load(s, count, c.hz, cpi)))]);
    if (s.note && !notes.includes(s.note)) notes.push(s.note);
    if (profile) {
      notes.push(`  top functions in count(N) of ${s.name}:\n${topFunctions(shipped, i)}`);
      if (deviceCell !== "same") notes.push(`  … and with XS 17.9's set:\n${topFunctions(variant, i)}`);
    }
  });
  console.log(`\n## Chip-class cost (XS 13.3 on rv32imc, exact instruction counts; ${((Date.now() - started) / 1000).toFixed(0)} s emulated run)\n`);
  console.log(render(rows));
  console.log("\nrv32 instructions / unit = (count(N) − count(0)) / (N × units), each section after a full GC, GC work included.");
  console.log("Share: byte-unit rows at the PCM rate (192,000 B/s), chunk rows at 50 chunks/s; one-shot rows in CPU time per operation.");
  console.log("The ESP32 (Xtensa LX6) column applies rv32 counts to another ISA: an estimate of scale only.");
  console.log("\"with XS 17.9's set\": the same workload on the same engine with the one fix XS 17.9 (the device's engine) has in");
  console.log("TypedArray.prototype.set: a memcpy when both arrays have the same element type, where XS 13.3 copies element by");
  console.log("element (~80 rv32 instructions per byte). Where it differs, the device's share is the row's share scaled by it.");
  for (const n of notes) console.log(n);
  return 0;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(String((e as Error)?.message ?? e));
    process.exit(1);
  },
);
