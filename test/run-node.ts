// Runs every Node test: the core's unit tests (through test/node/unit.test.js) and the Node-only tests
// (test/node/**/*.test.js: end to end, simulator, WebSocket against `ws`...), with Node's test runner.
//   node build/test/run-node.js [substring-filter]

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { findFiles, rel } from "./files.js";

const root = join(new URL(".", import.meta.url).pathname, "..", "..");
const filter = process.argv[2] ?? "";
const nodeDir = join(root, "build", "test", "node");
const files = findFiles(nodeDir, ".test.js").filter((f) => rel(nodeDir, f).includes(filter)); // relative: a checkout path must not match
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
