// The native backend's account of its cipher suites (xs_ssc_suites in drivers/crypto/xs_sendspin_crypto.c):
// "25519_ChaChaPoly_SHA256=ok,25519_AESGCM_SHA256=unbuilt", preferred first. Which suites a build serves is
// decided where the library is configured (ESP-IDF's sdkconfig: sdkconfig/sdkconfig.defaults), so the backend
// reads it from the build instead of assuming it: "unbuilt" when the library was configured without the
// suite, "failed" when it was built in but a probe message did not seal and open, "ok" otherwise.

import { SUITES, type SuiteName } from "./provider.js";

export interface SuiteReport {
  /** The suites to offer, in the build's order of preference. */
  served: SuiteName[];
  /** Every other suite the report names, with why ("25519_AESGCM_SHA256 unbuilt"). */
  missing: string[];
}

export function parseSuiteReport(report: string): SuiteReport {
  const served: SuiteName[] = [];
  const missing: string[] = [];
  for (const entry of report.split(",")) {
    if (!entry) continue;
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const state = eq < 0 ? "unknown" : entry.slice(eq + 1);
    const suite = SUITES.find((s) => s === name);
    if (suite !== undefined && served.indexOf(suite) >= 0) continue; // named twice: the first "ok" stands
    if (suite !== undefined && state === "ok") served.push(suite);
    else missing.push(`${name} ${suite === undefined ? "unknown suite" : state}`);
  }
  return { served, missing };
}

/** The suites to offer; an Error naming why each one is missing when none is left. */
export function suitesToServe(report: string): SuiteName[] {
  const { served, missing } = parseSuiteReport(report);
  if (served.length === 0) throw new Error(`native crypto: no cipher suite served (${missing.join(", ") || "empty report"})`);
  return served;
}
