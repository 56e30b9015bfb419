// The native crypto backend's share of `npm test`:
//   1. the C core's unit tests (test/native/crypto-test.c) against the known answers and libsodium;
//   2. inside the XS host with the native module linked in (test/native/host): every unit test written with
//      describeEachBackend (the crypto, Noise, CPace, PIN and channel tests), now against the native backend,
//      then the native-only tests (test/native/*.test.ts).
// Fails when a C or XS test fails, when an engine exits without its summary, or when the build cannot be made.
//   node build/test/native/run.js [substring-filter]

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { findFiles, rel } from "../files.js";
import { bundleForXs, projectRoot, runXsCommand } from "../xs/engine.js";
import { ensureNativeBuild } from "./build.js";

async function main(): Promise<number> {
  const filter = process.argv[2] ?? "";
  const started = Date.now();
  const build = ensureNativeBuild();

  // 1. C unit tests
  const c = spawnSync(build.cTests, { encoding: "utf8" });
  let cPass = 0, cFail = 0;
  for (const line of (c.stdout ?? "").split("\n")) {
    const m = /^# c-summary (\d+) (\d+)$/.exec(line);
    if (m) {
      cPass = Number(m[1]);
      cFail = Number(m[2]);
    } else if (line.startsWith("not ok") || line.startsWith("# report ")) console.log(line.startsWith("# report ") ? `# c ${line.slice(9)}` : line);
  }
  const cBroken = c.status !== 0 && cFail === 0;
  console.log(`# native C: ${cPass} passed, ${cFail} failed${cBroken ? ` (exit ${c.status}${c.stderr ? ": " + c.stderr.trim() : ""})` : ""}`);

  // 2. XS with the native module: the parameterised unit tests, then the native-only tests
  const unitDir = join(projectRoot, "build", "test", "unit");
  const parameterised = findFiles(unitDir, ".test.js").filter((f) => readFileSync(f, "utf8").includes("support/backends.js"));
  const nativeOnly = findFiles(join(projectRoot, "build", "test", "native"), ".test.js");
  const files = [...parameterised, ...nativeOnly].filter((f) => rel(projectRoot, f).includes(filter));
  const xsDir = join(projectRoot, "build", "xs");
  const register = join(projectRoot, "build", "test", "native", "register-native.js");
  const imports = [register, ...files].map((f) => `import ${JSON.stringify("./" + rel(xsDir, f))};`).join("\n");
  const shards = Math.max(1, Math.min(4, availableParallelism()));
  let pass = 0, fail = 0, broken = 0;
  await Promise.all(
    Array.from({ length: shards }, async (_, s) => {
      const src = `${imports}\nimport { runRegistered } from "./${rel(xsDir, join(projectRoot, "build/test/xs/xs-main.js"))}";\nrunRegistered(${s}, ${shards});\n`;
      const bundle = await bundleForXs(`native-${s}`, src);
      let summary = false;
      const r = await runXsCommand(build.host, [bundle], (line) => {
        const m = /^# xs-summary (\d+) (\d+)$/.exec(line);
        if (m) {
          summary = true;
          pass += Number(m[1]);
          fail += Number(m[2]);
          return;
        }
        if (line.startsWith("ok ")) {
          if (process.env.NATIVE_VERBOSE) console.log(line);
          return;
        }
        console.log(line.startsWith("# report ") ? `# xs-native ${line.slice(9)}` : line);
      });
      if (!summary || r.code !== 0) {
        broken++;
        console.log(`not ok native XS host ${s} exited (code ${r.code}, signal ${r.signal}) ${summary ? "" : "without its summary"}`);
      }
    }),
  );
  console.log(`# XS with the native backend: ${pass} passed, ${fail} failed${broken ? `, ${broken} engine(s) broke` : ""} (${parameterised.length} parameterised unit test files + ${nativeOnly.length} native-only) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return cFail === 0 && !cBroken && fail === 0 && broken === 0 && pass > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(String((e as Error)?.message ?? e));
    process.exit(1);
  },
);
