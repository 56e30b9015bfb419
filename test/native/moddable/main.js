// Known answers through the native backend on Moddable's XS (test/native/known-answers.ts, shared with the chip
// app test/chip/device); one "ok"/"not ok" line per check, then the summary moddable-check.ts reads.
import { runNativeKnownAnswers } from "test/native/known-answers";

const { pass, fail } = runNativeKnownAnswers((line) => trace(line + "\n"));
trace(`# moddable-summary ${pass} ${fail}\n`);
