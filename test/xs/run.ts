// Runs the core's unit tests (build/test/unit/**/*.test.js) inside the XS engine, sharded over the CPU
// cores. Fails when any test fails or when an engine exits without its summary line.
//   node build/test/xs/run.js [substring-filter]

import { availableParallelism } from "node:os";
import { join } from "node:path";
import { findFiles, rel } from "../files.js";
import { bundleForXs, projectRoot, runXs, xsVersion } from "./engine.js";

async function main(): Promise<number> {
  const filter = process.argv[2] ?? "";
  const unitDir = join(projectRoot, "build", "test", "unit");
  const files = findFiles(unitDir, ".test.js").filter((f) => rel(unitDir, f).includes(filter)); // relative: a checkout path must not match
  if (files.length === 0) {
    console.error("xs: no unit test files found under build/test/unit");
    return 1;
  }
  const xsDir = join(projectRoot, "build", "xs");
  const shards = Math.max(1, Math.min(4, availableParallelism()));
  const imports = files.map((f) => `import ${JSON.stringify("./" + rel(xsDir, f))};`).join("\n");
  console.log(`# XS ${xsVersion()} (xsnap from @agoric/xsnap): ${files.length} unit test files in ${shards} engines`);
  const bundles: string[] = [];
  for (let s = 0; s < shards; s++) {
    const src = `${imports}\nimport { runRegistered } from "./${rel(xsDir, join(projectRoot, "build/test/xs/xs-main.js"))}";\nrunRegistered(${s}, ${shards});\n`;
    bundles.push(await bundleForXs(`unit-${s}`, src));
  }
  let pass = 0, fail = 0, broken = 0;
  const started = Date.now();
  await Promise.all(
    bundles.map(async (file, s) => {
      let summary = false;
      const r = await runXs(file, (line) => {
        const m = /^# xs-summary (\d+) (\d+)$/.exec(line);
        if (m) {
          summary = true;
          pass += Number(m[1]);
          fail += Number(m[2]);
          return;
        }
        if (line.startsWith("ok ")) return; // keep the log short: failures and reports only
        console.log(line.startsWith("# report ") ? `# xs ${line.slice(9)}` : line);
      });
      if (!summary || r.code !== 0) {
        broken++;
        console.log(`not ok XS engine ${s} exited (code ${r.code}, signal ${r.signal}) ${summary ? "" : "without its summary"}`);
      }
    }),
  );
  console.log(`# XS: ${pass} passed, ${fail} failed${broken ? `, ${broken} engine(s) broke` : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return fail === 0 && broken === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
