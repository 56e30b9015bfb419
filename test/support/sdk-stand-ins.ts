// Loads device drivers under Node with stand-ins for the Moddable SDK modules they import (the SDK is not
// installed here): esbuild bundles the entry, resolving each SDK module specifier to its stand-in file,
// into a temporary directory removed at exit, and the bundle is imported.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { projectRoot } from "../xs/engine.js";

/**
 * Bundle `entry` (module source resolved from the project root) with `standIns` (SDK specifier → file
 * relative to the project root) and import it.
 */
export async function importWithStandIns<T>(entry: string, standIns: Record<string, string>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "sendspin-stand-ins-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "bundle.mjs");
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const filter = new RegExp(`^(${Object.keys(standIns).map(escape).join("|")})$`);
  await build({
    stdin: { contents: entry, resolveDir: projectRoot, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: out,
    logLevel: "error",
    plugins: [
      {
        name: "moddable-sdk-stand-ins",
        setup(b) {
          b.onResolve({ filter }, (args) => ({ path: join(projectRoot, standIns[args.path]) }));
        },
      },
    ],
  });
  return (await import(pathToFileURL(out).href)) as T;
}
