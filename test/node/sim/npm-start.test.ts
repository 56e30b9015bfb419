// The simulator contract is `npm start -- [flags]` from the project root: with --events, standard output
// carries only JSON event lines. npm itself prints a banner on standard output unless its loglevel is
// silent (the project's .npmrc), so this runs the real command and parses every line.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../../xs/engine.js";

test("npm start -- --events: standard output is one JSON event per line, from the first line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sendspin-npm-start-"));
  // As a device maker's CI runs it: npm's settings from the project only (not from an npm running this test).
  const env: NodeJS.ProcessEnv = { ...process.env, SENDSPIN_SIM_SOUND: "0" };
  for (const k of Object.keys(env)) if (k.toLowerCase() === "npm_config_loglevel") delete env[k];
  const child = spawn("npm", ["start", "--", "--no-mdns", "--events", "--port", "0", "--flash", join(dir, "flash.bin")], {
    cwd: projectRoot,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  const sawReady = new Promise<void>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      if (out.includes('"event":"ready"')) resolve();
    });
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  await sawReady;
  child.stdin.write("quit\n");
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  clearTimeout(timer);
  assert.equal(code, 0);
  const lines = out.split("\n").filter((l) => l.length > 0);
  assert.ok(lines.length >= 2, out);
  for (const line of lines) {
    const e = JSON.parse(line) as { event?: unknown };
    assert.equal(typeof e.event, "string", line);
  }
  assert.equal((JSON.parse(lines[0]) as { event: string }).event, "ready");
});
