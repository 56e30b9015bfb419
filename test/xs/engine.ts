// The real XS engine for tests and benchmarks: the `xsnap` command-line host built from the Moddable XS
// sources that the npm package @agoric/xsnap ships (XS 13.3). npm does not run that package's install
// script, so this builds the binary on first use (about 10 s with make and cc) into the package folder.
// Computation metering is off: the `xsnap` CLI only meters when given `-l`.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";

const require = createRequire(import.meta.url);

export const projectRoot = resolve(dirname(new URL(import.meta.url).pathname), "../../..");
export const xsWorkDir = join(projectRoot, "build", "xs");

export function xsnapPackageDir(): string {
  return dirname(require.resolve("@agoric/xsnap/package.json"));
}

/** Path of the xsnap binary, building it from the package's XS sources when absent. */
export function ensureXsnap(): string {
  const pkg = xsnapPackageDir();
  const moddable = join(pkg, "moddable");
  const bin = join(moddable, "build", "bin", "lin", "release", "xsnap");
  if (existsSync(bin)) return bin;
  process.stderr.write("# building the XS engine (xsnap) from @agoric/xsnap's XS sources...\n");
  const r = spawnSync("make", ["-f", "xsnap.mk", `MODDABLE=${moddable}`, "GOAL=release", "-j4"], {
    cwd: join(pkg, "xsnap-native", "xsnap", "makefiles", "lin"),
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (r.status !== 0 || !existsSync(bin)) throw new Error("could not build xsnap (needs make and a C compiler)");
  return bin;
}

export function xsVersion(): string {
  const r = spawnSync(ensureXsnap(), ["-v"], { encoding: "utf8" });
  return (r.stdout || "").trim().replace(/^XS\s*/, "");
}

/** Bundle an ES module entry (source text importing compiled files under build/) into one file XS can load. */
export async function bundleForXs(name: string, entrySource: string): Promise<string> {
  mkdirSync(xsWorkDir, { recursive: true });
  const entry = join(xsWorkDir, `${name}.entry.js`);
  const out = join(xsWorkDir, `${name}.mjs`);
  writeFileSync(entry, entrySource);
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    outfile: out,
    logLevel: "error",
    // Keep the code as the device would run it: no down-levelling, no minification.
    target: "es2022",
  });
  return out;
}

export interface XsRun {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Run a bundled module in xsnap, streaming each output line to `onLine`. */
export function runXs(file: string, onLine: (line: string) => void, timeoutMs = 30 * 60 * 1000): Promise<XsRun> {
  return runXsCommand(ensureXsnap(), ["-m", file], onLine, timeoutMs);
}

/** Run an XS host command line (xsnap, or the native test host), streaming each output line to `onLine`. */
export function runXsCommand(bin: string, args: string[], onLine: (line: string) => void, timeoutMs = 30 * 60 * 1000): Promise<XsRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    let pending = "";
    const feed = (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    };
    child.stdout.on("data", feed);
    child.stderr.on("data", feed);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (pending) onLine(pending);
      resolvePromise({ code, signal });
    });
  });
}
