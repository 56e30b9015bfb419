// Runs every Node test: the core's unit tests (through test/node/unit.test.js) and the Node-only tests
// (test/node/**/*.test.js: end to end, simulator, WebSocket against `ws`...), with Node's test runner.
//   node build/test/run-node.js [substring-filter]

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { findFiles } from "./files.js";

const root = join(new URL(".", import.meta.url).pathname, "..", "..");
const filter = process.argv[2] ?? "";
const files = findFiles(join(root, "build", "test", "node"), ".test.js").filter((f) => f.includes(filter));
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
