// manifest.json, partitions.csv and the bundled clips agree with the code: every option is in the
// manifest's config with a valid value, every source folder and driver is mapped to a module specifier
// that mirrors its path, the noble facades are mapped, the pairing partition fits.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_CONFIG, parseConfig } from "../../../modules/config.js";
import { DEFAULT_DEVICE_CONFIG, parseDeviceConfig } from "../../../modules/board/device-config.js";
import { parseWav } from "../../../modules/audio/wav.js";
import { NOBLE_OUT } from "../../../tools/firmware-noble.js";
import { projectRoot } from "../../xs/engine.js";
import { findFiles, rel } from "../../files.js";

interface Manifest {
  config: Record<string, unknown>;
  modules: Record<string, string | string[]>;
  data: Record<string, string>;
  platforms: Record<string, { modules?: Record<string, string | string[]>; build?: Record<string, string> }>;
  creation: Record<string, unknown>;
}

const manifest = JSON.parse(readFileSync(join(projectRoot, "manifest.json"), "utf8")) as Manifest;
/** Options whose manifest value deliberately differs from the code's default (README says why). */
const DIFFERS = new Set(["bufferCapacity"]);

/** The wrapper manifests (manifest-psram.json, manifest-ethernet.json, ...): each includes manifest.json. */
const wrappers = readdirSync(projectRoot)
  .filter((n) => /^manifest-.*\.json$/.test(n))
  .map((n) => JSON.parse(readFileSync(join(projectRoot, n), "utf8")) as Partial<Manifest>);

function allModules(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (m: Record<string, string | string[]> | undefined, where: string) => {
    for (const [k, v] of Object.entries(m ?? {})) for (const s of Array.isArray(v) ? v : [v]) out.set(`${where}:${k}`, [...(out.get(`${where}:${k}`) ?? []), s]);
  };
  for (const m of [manifest, ...wrappers]) {
    add(m.modules, "*");
    for (const [p, block] of Object.entries(m.platforms ?? {})) add(block.modules, p);
  }
  return out;
}

function mapped(specifier: string, source: string, platforms: string[] = ["*"]): boolean {
  const mods = allModules();
  return platforms.some((p) => (mods.get(`${p}:${specifier}`) ?? []).includes(source));
}

test("config holds every option, each valid, with the code's defaults", () => {
  const keys = [...Object.keys(DEFAULT_CONFIG), ...Object.keys(DEFAULT_DEVICE_CONFIG)].sort();
  assert.deepEqual(Object.keys(manifest.config).sort(), keys);
  const core = parseConfig(manifest.config);
  const device = parseDeviceConfig(manifest.config);
  for (const [k, v] of Object.entries({ ...core, ...device })) {
    if (DIFFERS.has(k)) continue;
    assert.deepEqual(v, (DEFAULT_CONFIG as unknown as Record<string, unknown>)[k] ?? (DEFAULT_DEVICE_CONFIG as unknown as Record<string, unknown>)[k], k);
  }
  assert.ok(core.recordSlots >= 5);
});

test("every folder of core sources is mapped to a specifier that mirrors its path", () => {
  const dirs = new Set<string>();
  for (const d of ["modules", "crypto", "storage"]) {
    for (const p of findFiles(join(projectRoot, d), ".ts")) if (!p.endsWith(".d.ts")) dirs.add(rel(projectRoot, dirname(p)));
  }
  for (const d of dirs) assert.ok(mapped(`${d}/*`, `./${d}/*`), `manifest modules lacks "${d}/*": "./${d}/*"`);
  assert.ok(mapped("main", "./main"));
});

test("every driver module is mapped under its own path (boards as drivers/board on every platform)", () => {
  const files = readdirSync(join(projectRoot, "drivers"));
  // drivers/<stem>.d.ts + drivers/<stem>-<variant>.ts: one specifier, an implementation per platform
  const perPlatform = files.filter((n) => n.endsWith(".d.ts")).map((n) => n.slice(0, -5));
  const platforms = ["*", ...Object.keys(manifest.platforms)];
  for (const n of files) {
    if (!n.endsWith(".ts") || n.endsWith(".d.ts")) continue;
    const base = n.slice(0, -3);
    const stem = perPlatform.find((s) => base.startsWith(s + "-"));
    if (stem !== undefined) {
      assert.ok(mapped(`drivers/${stem}`, `./drivers/${base}`, platforms), `drivers/${base} is not mapped as drivers/${stem}`);
      continue;
    }
    assert.ok(mapped(`drivers/${base}`, `./drivers/${base}`, platforms), `drivers/${base} is not mapped`);
  }
  for (const p of ["esp32", "lin", "mac", "win"]) {
    const socket = manifest.platforms[p]?.modules?.["drivers/socket"];
    assert.ok(typeof socket === "string" && existsSync(join(projectRoot, socket + ".ts")), `${p}: drivers/socket → ${socket}`);
  }
  const boards = readdirSync(join(projectRoot, "drivers")).filter((n) => n.startsWith("board-") && n.endsWith(".ts"));
  for (const p of boards.length > 0 ? ["esp32", "lin", "mac", "win"] : []) {
    const board = manifest.platforms[p]?.modules?.["drivers/board"];
    assert.ok(typeof board === "string" && existsSync(join(projectRoot, board + ".ts")), `${p}: drivers/board → ${board}`);
  }
});

test("the noble bundles are mapped", () => {
  for (const p of findFiles(NOBLE_OUT, ".js")) {
    const dir = rel(NOBLE_OUT, dirname(p));
    assert.ok(mapped(`${dir}/*`, `./build/firmware/noble/${dir}/*`), `"${dir}/*" is not mapped`);
  }
});

test("the ten spoken digits are bundled as data and readable", () => {
  assert.equal(manifest.data["*"], "./resources/voice/*");
  for (let d = 0; d < 10; d++) {
    const clip = parseWav(new Uint8Array(readFileSync(join(projectRoot, "resources/voice", `digit-${d}.wav`))));
    assert.ok(clip, `digit ${d}`);
    assert.equal(clip.sampleRate, 16000);
    assert.equal(clip.channels, 1);
    assert.ok(clip.frames > 3000 && clip.frames < 16000, `digit ${d}: ${clip.frames} frames`);
  }
});

test("the partition table fits 4 MB and holds the pairing partition", () => {
  assert.equal(manifest.platforms.esp32.build?.PARTITIONS_FILE, "./partitions.csv");
  const rows = readFileSync(join(projectRoot, "partitions.csv"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.split(",").map((s) => s.trim()));
  let end = 0;
  for (const [name, , , offset, size] of rows) {
    const o = parseInt(offset, 16), s = parseInt(size, 16);
    assert.ok(o >= end, `${name} overlaps`);
    end = o + s;
  }
  assert.ok(end <= 0x400000, "ends within 4 MB");
  const pairing = rows.find((r) => r[0] === "pairing");
  assert.ok(pairing);
  assert.equal(pairing[1], "data");
  const size = parseInt(pairing[4], 16);
  assert.equal(size % 4096, 0);
  assert.ok(size / 4096 >= 8);
  assert.equal(parseInt(pairing[3], 16) % 4096, 0);
});
