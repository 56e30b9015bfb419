// The core's unit tests (test/unit), registered through the portable harness, run under node:test.

import { test as nodeTest } from "node:test";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { findFiles } from "../files.js";
import { registry, setReportSink } from "../harness.js";

setReportSink((line) => console.log(`# ${line}`));
const unitDir = join(new URL(".", import.meta.url).pathname, "..", "unit");
for (const f of findFiles(unitDir, ".test.js")) await import(pathToFileURL(f).href);
for (const t of registry) nodeTest(t.name, async () => t.fn());
