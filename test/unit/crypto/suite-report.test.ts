// The native backend offers the suites its build compiled in and that work, in the build's order, and refuses to
// start, saying why, when none is left (crypto/suite-report.ts over xs_ssc_suites' report).

import { assert, describe, test } from "../../harness.js";
import { parseSuiteReport, suitesToServe } from "../../../crypto/suite-report.js";

describe("native suite report", () => {
  test("every suite built and working: both offered, in the report's order", () => {
    assert.deepEqual(suitesToServe("25519_ChaChaPoly_SHA256=ok,25519_AESGCM_SHA256=ok"), ["25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA256"]);
    assert.deepEqual(suitesToServe("25519_AESGCM_SHA256=ok,25519_ChaChaPoly_SHA256=ok"), ["25519_AESGCM_SHA256", "25519_ChaChaPoly_SHA256"]);
  });

  test("a stock ESP-IDF (ChaChaPoly not configured): AES-GCM only, and the report says why", () => {
    const r = parseSuiteReport("25519_ChaChaPoly_SHA256=unbuilt,25519_AESGCM_SHA256=ok");
    assert.deepEqual(r.served, ["25519_AESGCM_SHA256"]);
    assert.deepEqual(r.missing, ["25519_ChaChaPoly_SHA256 unbuilt"]);
  });

  test("a suite built in but failing its probe is not offered", () => {
    assert.deepEqual(suitesToServe("25519_ChaChaPoly_SHA256=failed,25519_AESGCM_SHA256=ok"), ["25519_AESGCM_SHA256"]);
  });

  test("nothing served: an error that names each suite's state", () => {
    assert.throws(() => suitesToServe("25519_ChaChaPoly_SHA256=unbuilt,25519_AESGCM_SHA256=failed"), /no cipher suite served \(25519_ChaChaPoly_SHA256 unbuilt, 25519_AESGCM_SHA256 failed\)/);
    assert.throws(() => suitesToServe(""), /empty report/);
  });

  test("unknown names, states or shapes are never served", () => {
    const r = parseSuiteReport("25519_Other_SHA256=ok,25519_AESGCM_SHA256=maybe,25519_ChaChaPoly_SHA256,25519_ChaChaPoly_SHA256=ok,25519_ChaChaPoly_SHA256=ok");
    assert.deepEqual(r.served, ["25519_ChaChaPoly_SHA256"]);
    assert.deepEqual(r.missing, ["25519_Other_SHA256 unknown suite", "25519_AESGCM_SHA256 maybe", "25519_ChaChaPoly_SHA256 unknown"]);
  });
});
