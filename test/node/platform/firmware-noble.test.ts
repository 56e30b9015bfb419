// The firmware's @noble/* graph (tools/firmware-noble.ts: one self-contained esbuild bundle per
// specifier the core imports) is the one the device runs. These tests check that it covers every noble import of
// the core, and run the crypto known-answer tests inside XS with every `@noble/...` import resolved
// through the facades, exactly as manifest.json maps them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { coreNobleImports, facadePath } from "../../../tools/firmware-noble.js";
import { projectRoot, runXs, xsVersion } from "../../xs/engine.js";

test("every noble module the core imports has a self-contained bundle exporting the names it takes", () => {
  const imports = coreNobleImports();
  assert.ok(imports.size >= 5, `found ${imports.size} noble imports`);
  for (const [spec, names] of imports) {
    const file = facadePath(spec);
    assert.ok(existsSync(file), `${spec}: ${file} (run npm run build)`);
    const text = readFileSync(file, "utf8");
    assert.doesNotMatch(text, /^\s*import\s/m, `${spec} imports nothing`);
    const exported = /export\s*\{([^}]*)\}\s*;\s*$/.exec(text.trim());
    assert.ok(exported, `${spec} ends with its export list`);
    const names2 = exported[1].split(",").map((p) => p.trim().split(/\s+as\s+/).pop()!.trim());
    for (const n of names) if (n !== "*") assert.ok(names2.includes(n), `${spec} exports ${n}`);
  }
});

test("the crypto known answers hold in XS with noble resolved as on the device", async () => {
  const files = ["portable", "noise", "cpace", "pairing-token"].map((f) => join(projectRoot, "build/test/unit/crypto", `${f}.test.js`)).filter((f) => existsSync(f));
  assert.ok(files.length >= 3, "crypto unit tests are built");
  const src = files.map((f) => `import ${JSON.stringify(f)};`).join("\n") + `\nimport { runRegistered } from ${JSON.stringify(join(projectRoot, "build/test/xs/xs-main.js"))};\nrunRegistered(0, 1);\n`;
  const seen = new Set<string>();
  const out = join(projectRoot, "build", "xs", "firmware-noble.mjs");
  await build({
    stdin: { contents: src, resolveDir: projectRoot, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    outfile: out,
    target: "es2022",
    logLevel: "error",
    plugins: [
      {
        name: "firmware-noble",
        setup(b) {
          // The core's noble imports go through the facades; the tests' own (reference values) stay Node's.
          const core = ["modules", "crypto", "storage"].map((d) => join(projectRoot, "build", d) + "/");
          b.onResolve({ filter: /^@noble\// }, (a) => {
            if (!core.some((d) => a.importer.startsWith(d))) return undefined;
            seen.add(a.path);
            return { path: facadePath(a.path) };
          });
        },
      },
    ],
  });
  assert.ok(seen.size >= 5, `resolved through facades: ${[...seen].join(", ")}`);
  let pass = 0, fail = 0;
  const failures: string[] = [];
  const r = await runXs(out, (line) => {
    const m = /^# xs-summary (\d+) (\d+)$/.exec(line);
    if (m) {
      pass = Number(m[1]);
      fail = Number(m[2]);
    } else if (line.startsWith("not ok")) failures.push(line);
  });
  console.log(`# XS ${xsVersion()}: ${pass} crypto tests passed over the firmware's noble graph (${seen.size} facades)`);
  assert.equal(r.code, 0);
  assert.deepEqual(failures, []);
  assert.ok(pass > 0 && fail === 0, `${pass} passed, ${fail} failed`);
});

test("AES (640 KB of tables at load) is only in the bundle of the module that imports it", () => {
  for (const spec of coreNobleImports().keys()) {
    if (spec.includes("/aes")) continue;
    assert.doesNotMatch(readFileSync(facadePath(spec), "utf8"), /genTtable/, `${spec} carries AES`);
  }
});
