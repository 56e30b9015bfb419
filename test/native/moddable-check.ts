// An extra check, outside `npm test` (it needs a Moddable SDK): the native crypto backend built by the SDK's own
// tools and run on its XS 17.9, i.e. the TypeScript wrapper compiled by mcconfig's tsc, native()/Native() compiled
// by xsc into host references, the C linked into the lin simulator (mcsim, headless under xvfb-run).
//   MODDABLE=/path/to/moddable node build/test/native/moddable-check.js
// Needs: $MODDABLE with its lin tools built (mcconfig, mcsim), Debian's libmbedtls-dev, xvfb-run.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../xs/engine.js";

async function main(): Promise<number> {
  const moddable = process.env.MODDABLE;
  if (!moddable || !existsSync(join(moddable, "build", "bin", "lin", "release", "mcconfig"))) {
    console.log("# moddable check skipped: set MODDABLE to a Moddable SDK with its lin tools built");
    return 0;
  }
  const bin = join(moddable, "build", "bin", "lin", "release");
  const out = join(projectRoot, "build", "native", "moddable");
  mkdirSync(out, { recursive: true });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, SENDSPIN_TSC: join(projectRoot, "node_modules", ".bin", "tsc") };
  const app = join(projectRoot, "test", "native", "moddable");
  console.log("# mcconfig -m -p lin -t build (the SDK's tsc, xsc and cc)");
  const b = spawnSync("mcconfig", ["-m", "-p", "lin", "-t", "build", "-o", out], { cwd: app, env, stdio: ["ignore", "ignore", "inherit"] });
  const so = join(out, "bin", "lin", "mc", "release", "moddable", "mc.so");
  if (b.status !== 0 || !existsSync(so)) {
    console.log("not ok the Moddable build failed");
    return 1;
  }
  console.log("# mcsim (headless) running the app");
  mkdirSync(join(out, "xdg"), { recursive: true }); // mcsim copies the app into $XDG_CONFIG_HOME
  const lines: string[] = [];
  // mcsim buffers its standard output (stdbuf makes it line-buffered); a shell under xvfb-run lets the app run
  // for a while, then ends mcsim (SIGTERM) and waits for it.
  await new Promise<void>((resolve) => {
    const script = 'stdbuf -oL mcsim "$0" & pid=$!; sleep 10; kill -TERM $pid; wait $pid';
    const child = spawn("xvfb-run", ["-a", "sh", "-c", script, so], { env: { ...env, XDG_CONFIG_HOME: join(out, "xdg") }, stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    child.stdout.on("data", (d: Buffer) => {
      pending += d.toString("utf8");
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        if (line.startsWith("ok ") || line.startsWith("not ok") || line.startsWith("#")) console.log(line);
      }
    });
    const hard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", () => {
      clearTimeout(hard);
      resolve();
    });
  });
  const m = lines.map((l) => /^# moddable-summary (\d+) (\d+)$/.exec(l)).find((x) => x);
  if (!m) {
    console.log("not ok the app did not finish (no summary from mcsim)");
    return 1;
  }
  return Number(m[2]) === 0 && Number(m[1]) > 0 ? 0 : 1;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
