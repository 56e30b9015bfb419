// The ESP32 build preloads the firmware's modules (manifest.json, platforms.esp32.preload): mcconfig runs them
// at build time and keeps everything they made in flash. That is what lets the app fit an ESP32 without PSRAM
// (README: Memory), and it has one rule: nothing made at a module's top level may be written at run time, since
// XS keeps it in flash. Ordinary objects and `let` bindings still work (XS keeps a RAM alias for each), but
// the bytes of a typed array or ArrayBuffer made at load time are read-only ("read-only buffer"), and a Map or
// Set made then is not meant to grow. So buffers and collections are made on first use, inside a function.
//
// This test reads every source file of the firmware (modules/, crypto/, storage/, drivers/) with the types
// stripped and fails on a `new` of a buffer or collection evaluated at load time: at top level, in a class's
// static field or static block. `new Uint8Array(0)` is allowed (nothing to write). The portable crypto
// backend is exempt and must stay out of the ESP32's graph: @noble/* keeps scratch buffers at module level.
//
// A second hazard is XS's: in XS 17.9 (SDK 8.2.3) `===` between a BigInt made at run time and one made during
// preload (a constant, in flash) is always false, while its relational operators handle both. So no BigInt is
// compared with `===`/`!==`/`==`/`!=` against a BigInt literal, and noble's Field.eql (`===`) is not called:
// crypto/cpace.ts tests the Legendre symbol with `<`. Found on Moddable's simulator (CPace answered wrongly
// for half of all inputs); unit tests cannot show it, since neither Node nor XS 13.3 preloads.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { parse } from "acorn";
import { projectRoot } from "../../xs/engine.js";
import { findFiles, rel } from "../../files.js";

const FOLDERS = ["modules", "crypto", "storage", "drivers"];
/** Never preloaded: the portable backend (noble's module-level scratch buffers), mapped on other platforms only. */
const NOT_PRELOADED = new Set(["crypto/portable.ts", "drivers/crypto/backend-portable.ts"]);
const BUFFERS = new Set([
  "ArrayBuffer", "SharedArrayBuffer", "DataView", "Uint8Array", "Int8Array", "Uint8ClampedArray", "Uint16Array",
  "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
]);
const COLLECTIONS = new Set(["Map", "Set", "WeakMap", "WeakSet"]);

type Node = { type: string; start: number; [key: string]: unknown };

function sources(): string[] {
  return FOLDERS.flatMap((f) => findFiles(join(projectRoot, f), ".ts"))
    .filter((p) => !p.endsWith(".d.ts"))
    .map((p) => rel(projectRoot, p))
    .sort();
}

/** What breaks once preloaded, as "file:line: text": buffers and collections made at load time, BigInt equality. */
function preloadHazards(file: string): string[] {
  const ts = readFileSync(join(projectRoot, file), "utf8");
  const js = transformSync(ts, { loader: "ts", format: "esm", target: "es2022" }).code;
  const ast = parse(js, { ecmaVersion: "latest", sourceType: "module" }) as unknown as Node;
  const found: string[] = [];
  /** The line in the TypeScript source: where the expression's text first appears there. */
  const lineOf = (text: string) => {
    const at = ts.indexOf(text);
    return at < 0 ? "?" : String(ts.slice(0, at).split("\n").length);
  };
  const visit = (node: unknown, atLoad: boolean): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n, atLoad);
      return;
    }
    if (!node || typeof node !== "object" || typeof (node as Node).type !== "string") return;
    const n = node as Node;
    switch (n.type) {
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        visit(n.params, false);
        visit(n.body, false);
        return;
      case "PropertyDefinition": // instance fields run in the constructor; static ones when the class is defined
        visit(n.key, atLoad);
        visit(n.value, atLoad && n.static === true);
        return;
      case "BinaryExpression": {
        const sides = [n.left, n.right] as (Node & { bigint?: string })[];
        if (["===", "!==", "==", "!="].includes(n.operator as string) && sides.some((x) => x.type === "Literal" && x.bigint !== undefined)) {
          const text = js.slice(n.start, (n as unknown as { end: number }).end);
          found.push(`${file}:${lineOf(text)}: ${text.slice(0, 60)} (BigInt equality)`);
        }
        break;
      }
      case "CallExpression": {
        const callee = n.callee as Node & { property?: Node & { name?: string } };
        if (callee.type === "MemberExpression" && callee.property?.name === "eql") {
          const text = js.slice(n.start, (n as unknown as { end: number }).end);
          found.push(`${file}:${lineOf(text)}: ${text.slice(0, 60)} (Field.eql is BigInt ===)`);
        }
        break;
      }
      case "NewExpression": {
        const callee = n.callee as Node & { name?: string };
        const args = n.arguments as (Node & { value?: unknown })[];
        if (atLoad && callee.type === "Identifier" && (BUFFERS.has(callee.name!) || COLLECTIONS.has(callee.name!))) {
          const empty = BUFFERS.has(callee.name!) && args.length === 1 && args[0].type === "Literal" && args[0].value === 0;
          const text = js.slice(n.start, (n as unknown as { end: number }).end);
          if (!empty) found.push(`${file}:${lineOf(text)}: ${text.slice(0, 60)}`);
        }
        break;
      }
    }
    for (const [key, value] of Object.entries(n)) {
      if (key !== "type" && key !== "start" && key !== "end") visit(value, atLoad);
    }
  };
  visit(ast, true);
  return found;
}

test("no buffer or collection made at load time, no BigInt equality, in the modules the ESP32 preloads", () => {
  const files = sources().filter((f) => !NOT_PRELOADED.has(f));
  assert.ok(files.length > 50, `found only ${files.length} source files`);
  const found = files.flatMap(preloadHazards);
  assert.deepEqual(found, [], "wrong once preloaded:\n" + found.join("\n"));
  console.log(`# preload: ${files.length} source files read, no buffer or collection made at load time, no BigInt equality`);
});

test("the check finds what it looks for", () => {
  // Self-test on the exempt portable backend, which does make buffers at load time (its HKDF counters).
  assert.ok(preloadHazards("crypto/portable.ts").length > 0);
});

test("the ESP32 preloads every module main.ts imports, never main, and never the portable backend", () => {
  const manifest = JSON.parse(readFileSync(join(projectRoot, "manifest.json"), "utf8"));
  const preload: string[] = manifest.platforms.esp32.preload;
  assert.ok(Array.isArray(preload) && preload.length > 0, "platforms.esp32.preload");
  const main = readFileSync(join(projectRoot, "main.ts"), "utf8");
  const imported = [...main.matchAll(/^import (?!type )[^;]*? from "\.\/([^"]+)\.js";$/gm)].map((m) => m[1]);
  assert.ok(imported.length > 5, "main.ts imports");
  for (const spec of imported) assert.ok(preload.includes(spec), `${spec} (imported by main.ts) is not preloaded`);
  assert.ok(!preload.includes("main"), "main runs the speaker: it cannot be preloaded");
  for (const spec of preload) assert.ok(!spec.includes("portable"), `${spec}: the portable backend cannot be preloaded`);
  // The ESP32's crypto backend is the native one, and nothing else reaches the portable one.
  const cryptoManifest = JSON.parse(readFileSync(join(projectRoot, "drivers/crypto/manifest.json"), "utf8"));
  assert.equal(cryptoManifest.platforms.esp32.modules["drivers/crypto/backend"], "./backend-native");
  for (const file of sources()) {
    if (NOT_PRELOADED.has(file)) continue;
    assert.doesNotMatch(readFileSync(join(projectRoot, file), "utf8"), /from "[^"]*\/portable\.js"/, `${file} imports the portable backend`);
  }
});
