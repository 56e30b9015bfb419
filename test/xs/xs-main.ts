// Runs the registered unit tests inside an XS engine (xsnap). Output protocol, parsed by test/xs/run.ts:
//   "ok <name>" / "not ok <name>" + indented error lines / "# report <line>" / final "# xs-summary <pass> <fail>".
// A missing summary line means the engine died (an exception escaped or it aborted): the run fails.

import { registry, setReportSink } from "../harness.js";

declare function print(...args: unknown[]): void;

export async function runRegistered(shard: number, shards: number): Promise<void> {
  setReportSink((line) => print("# report " + line));
  let pass = 0;
  let fail = 0;
  for (let i = 0; i < registry.length; i++) {
    if (i % shards !== shard) continue;
    const t = registry[i];
    try {
      await t.fn();
      pass++;
      print("ok " + t.name);
    } catch (e) {
      fail++;
      print("not ok " + t.name);
      const err = e as Error;
      const text = String(err && err.stack ? err.stack : err);
      print("  " + text.split("\n").join("\n  "));
      if (err && err.message && text.indexOf(err.message) < 0) print("  " + err.message);
    }
  }
  print("# xs-summary " + pass + " " + fail);
}
