// The ESP-IDF configuration is the project's: manifest.json hands sdkconfig/sdkconfig.defaults to Moddable's
// ESP32 build (build.SDKCONFIGPATH, merged over Moddable's defaults for the chip), and that fragment turns on
// every Mbed TLS part the native crypto backend calls through the PSA API, and the custom partition table.
// The option names are ESP-IDF v6.0's (components/mbedtls/Kconfig); docs/esp32.md says which PSA_WANT_* of
// the library each one becomes. The native code is compiled by Moddable's make, not by ESP-IDF's CMake, so
// drivers/crypto/manifest.json adds the include folders ESP-IDF 6.0 gives its own Mbed TLS users and
// sendspin_crypto_psa.c names the same configuration file the library was built with.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../xs/engine.js";

type Modules = Record<string, string | string[]>;
interface Manifest {
  platforms: Record<string, { build?: Record<string, string>; modules?: Modules }>;
}

const read = (path: string) => readFileSync(join(projectRoot, path), "utf8");
const manifest = JSON.parse(read("manifest.json")) as Manifest;
const cryptoManifest = JSON.parse(read("drivers/crypto/manifest.json")) as Manifest;

/** What the firmware needs from ESP-IDF, each with what needs it. */
const REQUIRED_OPTIONS: Record<string, string> = {
  CONFIG_MBEDTLS_CHACHA20_C: "25519_ChaChaPoly_SHA256 (PSA_WANT_KEY_TYPE_CHACHA20)",
  CONFIG_MBEDTLS_POLY1305_C: "25519_ChaChaPoly_SHA256 on ESP-IDF 5.x (implied by ChaChaPoly in 6.0)",
  CONFIG_MBEDTLS_CHACHAPOLY_C: "25519_ChaChaPoly_SHA256 (PSA_WANT_ALG_CHACHA20_POLY1305)",
  CONFIG_MBEDTLS_AES_C: "25519_AESGCM_SHA256 (PSA_WANT_KEY_TYPE_AES)",
  CONFIG_MBEDTLS_GCM_C: "25519_AESGCM_SHA256 (PSA_WANT_ALG_GCM)",
  CONFIG_MBEDTLS_ECP_C: "X25519",
  CONFIG_MBEDTLS_ECDH_C: "X25519 key agreement (psa_raw_key_agreement)",
  CONFIG_MBEDTLS_ECP_DP_CURVE25519_ENABLED: "X25519 (Curve25519)",
  CONFIG_MBEDTLS_SHA256_C: "Noise's hash, HMAC-SHA-256, HKDF",
  CONFIG_MBEDTLS_SHA512_C: "CPace's SHA-512, HMAC-SHA-512",
  CONFIG_MBEDTLS_SHA1_C: "the WebSocket accept key",
  CONFIG_PARTITION_TABLE_CUSTOM: "partitions.csv with the pairing partition",
};

/** The fragment's settings: NAME → value, comments and blank lines skipped. */
function parseSdkconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`sdkconfig: not NAME=value: ${line}`);
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

test("manifest.json hands the fragment to the ESP32 build, next to the partition table", () => {
  const build = manifest.platforms.esp32?.build ?? {};
  assert.equal(build.SDKCONFIGPATH, "./sdkconfig", "platforms.esp32.build.SDKCONFIGPATH");
  assert.ok(existsSync(join(projectRoot, "sdkconfig", "sdkconfig.defaults")), "sdkconfig/sdkconfig.defaults is missing");
  assert.equal(build.PARTITIONS_FILE, "./partitions.csv");
});

test("the fragment turns on every Mbed TLS part the native backend uses, and the custom partition table", () => {
  const options = parseSdkconfig(read("sdkconfig/sdkconfig.defaults"));
  for (const [name, why] of Object.entries(REQUIRED_OPTIONS)) assert.equal(options.get(name), "y", `${name}=y is missing (${why})`);
  // Nothing in it turns one of them back off further down.
  for (const [name, value] of options) if (name.startsWith("CONFIG_MBEDTLS_")) assert.equal(value, "y", `${name}=${value}`);
});

test("the native C sees the include folders and the configuration file of ESP-IDF 6.0's Mbed TLS", () => {
  const modules = cryptoManifest.platforms.esp32?.modules?.["*"];
  const list = Array.isArray(modules) ? modules : [modules];
  for (const folder of [
    "$(IDF_PATH)/components/mbedtls/port/include/",
    "$(IDF_PATH)/components/mbedtls/port/psa_driver/include/",
    "$(IDF_PATH)/components/mbedtls/mbedtls/tf-psa-crypto/include/",
    "$(IDF_PATH)/components/mbedtls/mbedtls/tf-psa-crypto/drivers/builtin/include/",
  ]) assert.ok(list.includes(folder), `drivers/crypto/manifest.json esp32 modules lack ${folder}`);
  const c = read("drivers/crypto/sendspin_crypto_psa.c");
  const psa = c.indexOf("#include <psa/crypto.h>");
  assert.ok(psa > 0);
  for (const define of ['#define MBEDTLS_CONFIG_FILE "mbedtls/esp_config.h"', '#define TF_PSA_CRYPTO_USER_CONFIG_FILE "mbedtls/esp_config.h"']) {
    const at = c.indexOf(define);
    assert.ok(at > 0 && at < psa, `sendspin_crypto_psa.c must ${define} before including psa/crypto.h`);
  }
});
