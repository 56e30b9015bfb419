// Runs the chip app (test/chip/device, built for an ESP32-C3) on QEMU's esp32c3 machine and counts, with our
// instruction-count plugin (test/chip/plugin/insn-count.c), the rv32 instructions of the speaker's Noise responder,
// CPace role B and one 20 ms chunk through the receive path, all with the native crypto backend. Not part of
// `npm test` (it needs an ESP32-C3 emulator and a flash image of the app). docs/chip-cost.md: On the emulated ESP32-C3.
//
//   node build/test/chip/device-run.js --qemu QEMU --rom ROM_DIR --flash FLASH_IMAGE [--timeout SECONDS]
//   (or the environment: CHIP_QEMU, CHIP_QEMU_ROM, CHIP_FLASH, CHIP_TIMEOUT)
//     QEMU          qemu-system-riscv32 with the esp32c3 machine (a build of Espressif's QEMU fork, plugins enabled)
//     ROM_DIR       the folder holding esp32c3-rom.bin (QEMU's -L)
//     FLASH_IMAGE   the app's whole flash (bootloader, partition table, app) as one raw image of the chip's
//                   flash size, e.g. esptool merge-bin --fill-flash-size 4MB of the mcconfig build's binaries
//     SECONDS       how long to wait for "# chip-device-done" (default 900); a panic, an XS abort or a reset
//                   (a second ROM banner) ends the run at once
//   --parse SERIAL_LOG MARKS_FILE   only pair and print the table of an earlier run (its files are kept in
//                                   build/chip: device-serial.txt, device-marks.txt)
//
// QEMU runs as: QEMU -nographic -M esp32c3 -icount 3 -drive file=FLASH,if=mtd,format=raw -L ROM_DIR -nic none
//   -serial mon:stdio -plugin build/chip/insn-count.so,out=build/chip/device-marks.txt
// -icount 3: a virtual clock of 2^3 ns per instruction (125 M instructions per emulated second), so timers and the
// app's µs figures follow the instructions executed, not this machine's load. The app's own µs lines therefore
// say nothing about a real chip; the counts do, at an assumed CPI.
//
// Pairing: the app prints "# chip-mark begin|end n=N NAME" before each mark it executes; the plugin writes one
// "mark COUNT" line per executed mark, in the same order. Per workload the app counts N = 1 and N = k; the table
// shows (count(k) − count(1)) / (k − 1): what one more operation costs, the section's fixed costs cancelled.
//
// What a count includes: everything the core executed between the two marks, i.e. the workload and also every
// interrupt handler (the FreeRTOS tick, the UART) and any other FreeRTOS task that ran meanwhile. The app keeps
// them rare: no network traffic during counting (the emulator has no network: -nic none), the console idle (it
// waits 50 ms after printing before each section). A tick interrupt is a few hundred instructions; the handshake
// rows are tens of millions.

import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fmtInt, render } from "./table.js";
import { buildPlugin, CHIP_DIR, readMarks } from "./insn-count.js";

const CORE_HZ = 160e6; // ESP32-C3
const CPIS = [1, 1.5];
const CHUNKS_PER_S = 50; // 20 ms chunks
/** Serial lines after which the app will not finish: a panic, an abort, a restart. */
const CRASH = /Guru Meditation|abort\(\) was called|XS abort|Rebooting\.\.\.|^rst:0x(?!1 )/;

interface Section {
  name: string;
  n: number;
  begin: number;
  end: number;
  us: number | undefined;
}

interface DeviceRun {
  kat: { pass: number; fail: number } | undefined;
  notOk: string[];
  errors: string[];
  memory: string[];
  platform: string | undefined;
  done: boolean;
  sections: Section[];
}

function option(argv: string[], flag: string, env: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : process.env[env];
}

/** Pairs the app's serial lines with the plugin's marks. */
function pairRun(serial: string, marks: number[]): DeviceRun {
  const run: DeviceRun = { kat: undefined, notOk: [], errors: [], memory: [], platform: undefined, done: false, sections: [] };
  const announced: { kind: string; n: number; name: string }[] = [];
  const times = new Map<string, number>();
  for (const raw of serial.split("\n")) {
    const line = raw.replace(/\r$/, "");
    let m: RegExpExecArray | null;
    if ((m = /^# chip-mark (begin|end) n=(\d+) (.+)$/.exec(line))) announced.push({ kind: m[1], n: Number(m[2]), name: m[3] });
    else if ((m = /^# chip-time n=(\d+) us=(\d+) (.+)$/.exec(line))) times.set(`${m[1]} ${m[3]}`, Number(m[2]));
    else if ((m = /^# chip-kat-summary (\d+) (\d+)$/.exec(line))) run.kat = { pass: Number(m[1]), fail: Number(m[2]) };
    else if ((m = /^# chip-device-start platform=(\S+)/.exec(line))) run.platform = m[1];
    else if (line.startsWith("not ok")) run.notOk.push(line);
    else if (line.startsWith("# chip-error")) run.errors.push(line);
    else if (line.startsWith("# chip-memory")) run.memory.push(line);
    else if (line === "# chip-device-done") run.done = true;
  }
  if (announced.length !== marks.length) {
    run.errors.push(`# chip-error ${announced.length} marks announced on the console, ${marks.length} counted by the plugin: cannot pair them`);
    return run;
  }
  for (let i = 0; i + 1 < announced.length; i += 2) {
    const a = announced[i], b = announced[i + 1];
    if (a.kind !== "begin" || b.kind !== "end" || a.name !== b.name || a.n !== b.n) {
      run.errors.push(`# chip-error marks ${i} and ${i + 1} are not a begin/end pair: ${a.kind} ${a.name}, ${b.kind} ${b.name}`);
      return run;
    }
    run.sections.push({ name: a.name, n: a.n, begin: marks[i], end: marks[i + 1], us: times.get(`${a.n} ${a.name}`) });
  }
  return run;
}



/** Prints the table; returns false when a workload has no pair of sections or the known answers failed. */
function report(run: DeviceRun): boolean {
  let ok = run.done && run.errors.length === 0;
  console.log(`\n## The chip app on the emulated ESP32-C3 (platform ${run.platform ?? "?"})\n`);
  if (run.kat) console.log(`Native known answers on the chip: ${run.kat.pass} passed, ${run.kat.fail} failed`);
  else console.log("Native known answers on the chip: no summary line");
  for (const l of run.notOk) console.log(l);
  if (!run.kat || run.kat.fail !== 0 || run.kat.pass === 0) ok = false;

  const head = ["workload", "count(1)", "k", "count(k)", "rv32 instructions / op", ...CPIS.map((c) => `ms at 160 MHz, CPI ${c}`), "emulated µs / op"];
  const rows: string[][] = [head];
  const names = [...new Set(run.sections.map((s) => s.name))];
  const shares: string[] = [];
  for (const name of names) {
    const one = run.sections.find((s) => s.name === name && s.n === 1);
    const many = run.sections.find((s) => s.name === name && s.n > 1);
    if (!one || !many) {
      rows.push([name, one ? fmtInt(one.end - one.begin) : "-", many ? String(many.n) : "-", many ? fmtInt(many.end - many.begin) : "-", "incomplete", ...CPIS.map(() => "-"), "-"]);
      ok = false;
      continue;
    }
    const c1 = one.end - one.begin, ck = many.end - many.begin, k = many.n;
    const perOp = (ck - c1) / (k - 1);
    const usPerOp = one.us !== undefined && many.us !== undefined ? (many.us - one.us) / (k - 1) : undefined;
    rows.push([name, fmtInt(c1), String(k), fmtInt(ck), fmtInt(perOp), ...CPIS.map((cpi) => ((perOp * cpi) / CORE_HZ * 1000).toFixed(perOp * cpi / CORE_HZ * 1000 >= 10 ? 0 : 2)), usPerOp === undefined ? "-" : fmtInt(usPerOp)]);
    if (/chunk/.test(name)) shares.push(`${name}: ${CPIS.map((cpi) => `${(((perOp * cpi * CHUNKS_PER_S) / CORE_HZ) * 100).toFixed(1)} % at CPI ${cpi}`).join(", ")} of a 160 MHz core at 50 chunks/s`);
    if (perOp <= 0) ok = false;
  }
  console.log("");
  console.log(render(rows));
  console.log("\nrv32 instructions / op = (count(k) − count(1)) / (k − 1): the executed instructions between the two marks of the N = k section, minus");
  console.log("those of the N = 1 section, per extra operation (each section after a full garbage collection; collections its allocations cause");
  console.log("are included). Counts include every interrupt handler and FreeRTOS task that ran between the marks (the app keeps the console");
  console.log("and network idle). ms = instructions × CPI ÷ 160 MHz. Emulated µs: QEMU's virtual clock under -icount 3 (8 ns per instruction),");
  console.log("not a chip's time.");
  for (const s of shares) console.log(s);
  for (const m of run.memory) console.log(m);
  for (const e of run.errors) console.log(e);
  if (!run.done) console.log("# the app did not print # chip-device-done");
  return ok;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const parse = argv.indexOf("--parse");
  if (parse >= 0) {
    const [serial, marksFile] = [argv[parse + 1], argv[parse + 2]];
    return report(pairRun(readFileSync(serial, "utf8"), readMarks(marksFile).marks)) ? 0 : 1;
  }
  const qemu = option(argv, "--qemu", "CHIP_QEMU");
  const rom = option(argv, "--rom", "CHIP_QEMU_ROM");
  const flash = option(argv, "--flash", "CHIP_FLASH");
  const timeoutS = Number(option(argv, "--timeout", "CHIP_TIMEOUT") ?? 900);
  if (!qemu || !rom || !flash) {
    console.error("usage: node build/test/chip/device-run.js --qemu QEMU --rom ROM_DIR --flash FLASH_IMAGE [--timeout SECONDS] (or CHIP_QEMU, CHIP_QEMU_ROM, CHIP_FLASH)");
    return 2;
  }
  for (const [what, path] of [["QEMU", qemu], ["ROM folder", rom], ["flash image", flash]]) {
    if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
  }
  const plugin = buildPlugin();
  const marksFile = join(CHIP_DIR, "device-marks.txt");
  const serialFile = join(CHIP_DIR, "device-serial.txt");
  writeFileSync(marksFile, "");
  const args = ["-nographic", "-M", "esp32c3", "-icount", "3", "-drive", `file=${flash},if=mtd,format=raw`, "-L", rom, "-nic", "none",
    "-serial", "mon:stdio", "-plugin", `${plugin},out=${marksFile}`];
  console.log(`# ${qemu} ${args.join(" ")}`);
  const started = Date.now();
  let serial = "";
  const outcome = await new Promise<string>((resolve) => {
    // stdin a pipe that stays open and silent: with mon:stdio a closed stdin would not matter, a typed Ctrl-A would.
    const child = spawn(qemu, args, { stdio: ["pipe", "pipe", "pipe"] });
    let settled = false;
    const finish = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // SIGTERM: QEMU exits cleanly (the plugin's atexit writes its total); every mark was flushed when it happened.
      child.kill("SIGTERM");
      const hard = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.on("close", () => {
        clearTimeout(hard);
        resolve(why);
      });
    };
    const timer = setTimeout(() => finish(`timeout: no # chip-device-done within ${timeoutS} s`), timeoutS * 1000);
    let pending = "";
    child.stdout.on("data", (d: Buffer) => {
      const text = d.toString("latin1");
      serial += text;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, "");
        pending = pending.slice(nl + 1);
        if (line.startsWith("# chip-") || line.startsWith("not ok")) console.log(line);
        if (line === "# chip-device-done") finish("done");
        // A crash or reset (ESP-IDF's panic handler, an XS abort, the ROM's banner again): no point in waiting.
        else if (CRASH.test(line)) setTimeout(() => finish(`the chip stopped: ${line}`), 2000);
      }
    });
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    child.on("close", (code) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(`QEMU exited (code ${code})`);
      }
    });
  });
  writeFileSync(serialFile, serial);
  console.log(`# ${outcome} (${((Date.now() - started) / 1000).toFixed(0)} s in all); serial log ${serialFile}, marks ${marksFile}`);
  return report(pairRun(serial, readMarks(marksFile).marks)) ? 0 : 1;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(String((e as Error)?.message ?? e));
    process.exit(1);
  },
);
