// Moddable's Linux simulator running the speaker built as the ESP32 no-PSRAM profile
// (test/native/moddable-device/manifest.json): the SDK's tools, the build, a scratch run directory and
// mcsim itself under xvfb-run, its console read line by line. Used by moddable-stream.ts and, for its
// --mcsim target, test/chip/qemu-session.ts. docs/moddable-stream-check.md.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../xs/engine.js";
import { LineProcess } from "../support/line-process.js";

export interface ModdableTools {
  moddable: string;
  /** PATH with the SDK's lin tools and the project's tsc in front. */
  env: NodeJS.ProcessEnv;
}

/** $MODDABLE with its lin tools built, or undefined. */
export function moddableTools(): ModdableTools | undefined {
  const moddable = process.env.MODDABLE;
  if (!moddable || !existsSync(join(moddable, "build", "bin", "lin", "release", "mcconfig"))) return undefined;
  const bin = join(moddable, "build", "bin", "lin", "release");
  return { moddable, env: { ...process.env, PATH: `${join(projectRoot, "node_modules", ".bin")}:${bin}:${process.env.PATH}` } };
}

/** The mc.so a device-profile build in `out` makes. */
export function deviceProfileSo(out: string): string {
  return join(out, "bin", "lin", "mc", "debug", "sendspin-speaker", "mc.so");
}

/** `mcconfig -d -m -p lin -t build -o OUT key=value...` of the device profile; true when mc.so is there. */
export function buildDeviceProfile(tools: ModdableTools, out: string, options: string[]): boolean {
  console.log(`# mcconfig -d -m -p lin -t build ${options.join(" ")} (no-PSRAM profile, native crypto backend)`);
  mkdirSync(out, { recursive: true });
  const b = spawnSync("mcconfig", ["-d", "-m", "-p", "lin", "-t", "build", "-o", out, ...options], { cwd: join(projectRoot, "test", "native", "moddable-device"), env: tools.env, stdio: ["ignore", "ignore", "inherit"] });
  return b.status === 0 && existsSync(deviceProfileSo(out));
}

/**
 * A fresh scratch directory for mcsim: its working directory (where the pairing partition's image file is
 * kept, so a second mcsim in the same directory boots on the same flash), its XDG_CONFIG_HOME (mcsim copies
 * the app there), and HOME with an asoundrc naming a sound card that does not exist (opening the output
 * fails in the driver's thread, as on a host without sound: the sink plays by the clock). Returns mcsim's
 * environment.
 */
export function mcsimScratch(tools: ModdableTools, run: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  rmSync(run, { recursive: true, force: true });
  mkdirSync(join(run, "xdg"), { recursive: true });
  writeFileSync(join(run, ".asoundrc"), "pcm.!default { type hw card 63 }\n");
  return { ...tools.env, HOME: run, XDG_CONFIG_HOME: join(run, "xdg"), ...extra };
}

/** mcsim under xvfb-run (a LineProcess); its pid for signals. */
export class Mcsim {
  pid = 0;
  readonly proc: LineProcess;
  readonly lines: string[];

  constructor(so: string, cwd: string, env: NodeJS.ProcessEnv, nice = 0, onLine?: (line: string) => void) {
    // The shell prints mcsim's pid (stdbuf execs it), so that the stalls stop mcsim itself, not xvfb-run.
    const script = 'stdbuf -oL mcsim "$0" & echo "mcsim-pid $!"; wait $!';
    this.proc = new LineProcess("nice", ["-n", String(nice), "xvfb-run", "-a", "sh", "-c", script, so], {
      cwd,
      env,
      name: "mcsim",
      onLine,
      filter: (line) => {
        const m = /^mcsim-pid (\d+)$/.exec(line);
        if (!m) return line;
        this.pid = Number(m[1]);
        return undefined;
      },
    });
    this.lines = this.proc.lines;
  }

  async waitFor(re: RegExp, ms: number, from = 0): Promise<RegExpExecArray> {
    return (await this.proc.waitFor(re, ms, from)).match;
  }

  signal(sig: NodeJS.Signals): void {
    try {
      if (this.pid) process.kill(this.pid, sig);
    } catch {
      this.pid = 0; // gone already
    }
  }

  async stop(): Promise<void> {
    this.signal("SIGCONT");
    await this.proc.stop(() => this.signal("SIGTERM"));
  }
}

