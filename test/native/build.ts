// Builds the native crypto proof on this machine (test/native/native.mk): the C unit tests and the XS host with
// the native module linked in. Debian's libmbedtls-dev stands in for ESP-IDF's Mbed TLS, libsodium-dev is the
// independent implementation of the C differential test. `.ci/run` installs both; without them this says what
// is missing and the native tests fail (they are part of `npm test`).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureXsnap, projectRoot, xsnapPackageDir } from "../xs/engine.js";

export const nativeBuildDir = join(projectRoot, "build", "native");

export interface NativeBuild {
  cTests: string;
  host: string;
}

const REQUIREMENTS: [string, string][] = [
  ["/usr/include/psa/crypto.h", "libmbedtls-dev"],
  ["/usr/include/sodium.h", "libsodium-dev"],
];

/** What is missing to build the native proof, as Debian package names (empty when nothing is). */
export function missingPackages(): string[] {
  const missing = REQUIREMENTS.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg);
  for (const tool of ["make", "cc"]) if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) missing.push(tool === "cc" ? "gcc" : tool);
  return missing;
}

/** Build (incrementally) and return the two executables; throws with the missing packages' names. */
export function ensureNativeBuild(): NativeBuild {
  const missing = missingPackages();
  if (missing.length) throw new Error(`native crypto: missing ${missing.join(", ")} (apt-get install ${missing.join(" ")}; .ci/run does this)`);
  ensureXsnap(); // its object files are the engine of the native host
  const r = spawnSync("make", ["-f", join(projectRoot, "test", "native", "native.mk"), `XSNAP=${xsnapPackageDir()}`, `OUT=${nativeBuildDir}`, "-j4"], {
    cwd: projectRoot,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const build = { cTests: join(nativeBuildDir, "crypto-test"), host: join(nativeBuildDir, "xs-native-host") };
  if (r.status !== 0 || !existsSync(build.cTests) || !existsSync(build.host)) throw new Error("native crypto: the build failed (see the compiler output above)");
  return build;
}
