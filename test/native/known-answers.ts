// Known answers through the native crypto backend, for the Moddable apps that run it on the SDK's own XS: the
// lin simulator check (test/native/moddable, run by moddable-check.ts) and the chip app (test/chip/device, on an
// emulated or real ESP32 and in the simulator). One "ok NAME" / "not ok NAME: …" line per check through `print`;
// the caller prints its own summary line from the counts returned.
//
// The primitives against their RFC answers, then the two protocols the speaker runs on them against the
// project's vectors (the same fixtures the parameterised unit tests run against the native backend in
// `npm run test:native`): the Noise KKpsk2 responder of each served suite (message 2, handshake hash, a
// transport message each way), CPace role B (Yb, ISK, Ta accepted, Tb) and the dynamic PIN (derive_pin, commit_B). Host-free: no Moddable global, so
// the project's tsc checks it and any XS runs it.

import { createNativeCrypto } from "../../drivers/crypto/native-crypto.js";
import { nativeUnmask } from "../../drivers/crypto/native-unmask.js";
import type { CryptoProvider, SuiteName } from "../../crypto/provider.js";
import { NoiseKKpsk2 } from "../../crypto/noise.js";
import { CPaceResponder } from "../../crypto/cpace.js";
import { keyPairFromPrivate } from "../../crypto/ids.js";
import { commitB, derivePin } from "../../crypto/pin.js";
import { fromHex, toHex } from "../../modules/util/bytes.js";
import { NOISE_KKPSK2_VECTORS } from "../unit/crypto/fixtures/noise-kkpsk2.js";
import { CPACE_CASES } from "../unit/crypto/vectors/cpace.js";
import { COMMIT_B_CASE, DERIVE_PIN_CASES } from "../unit/crypto/vectors/pin.js";

export interface KnownAnswerCounts {
  pass: number;
  fail: number;
}

/** A fixed, non-random filler: no check here depends on randomness. */
const FIXED_RANDOM = {
  fill(o: Uint8Array): void {
    for (let i = 0; i < o.length; i++) o[i] = (i * 37) & 255;
  },
};

export function runNativeKnownAnswers(print: (line: string) => void): KnownAnswerCounts {
  const counts: KnownAnswerCounts = { pass: 0, fail: 0 };
  const check = (name: string, actual: unknown, expected: unknown): void => {
    if (actual === expected) {
      counts.pass++;
      print(`ok ${name}`);
    } else {
      counts.fail++;
      print(`not ok ${name}: ${String(actual)} != ${String(expected)}`);
    }
  };
  // Each group on its own: an exception fails that group and the next one still runs.
  const group = (name: string, body: () => void): void => {
    try {
      body();
    } catch (e) {
      counts.fail++;
      print(`not ok ${name}: exception ${String(e)}`);
    }
  };
  let crypto: CryptoProvider | undefined;
  group("native backend created", () => {
    crypto = createNativeCrypto(FIXED_RANDOM);
  });
  if (!crypto) return counts;
  const c = crypto;
  // Both suites when the build has both: the suite list comes from the build (crypto/suite-report.ts).
  check("suites served", c.suites.join(","), "25519_ChaChaPoly_SHA256,25519_AESGCM_SHA256");
  group("primitives", () => primitives(c, check));
  for (const v of NOISE_KKPSK2_VECTORS) {
    const suite = v.protocol_name.slice("Noise_KKpsk2_".length) as SuiteName;
    if (c.suites.includes(suite)) group(`Noise responder ${suite}`, () => noiseResponder(c, suite, v, check));
  }
  group("CPace role B", () => cpaceRoleB(c, check));
  group("dynamic PIN", () => {
    const p = DERIVE_PIN_CASES[DERIVE_PIN_CASES.length - 1];
    check(`PIN derivation (L=${p.length})`, derivePin(c, fromHex(p.h), fromHex(p.nonceA), fromHex(p.nonceB), p.length), p.pin);
    check("commit_B", toHex(commitB(c, fromHex(COMMIT_B_CASE.nonceB))), COMMIT_B_CASE.commitB);
  });
  return counts;
}

type Check = (name: string, actual: unknown, expected: unknown) => void;

function primitives(crypto: CryptoProvider, check: Check): void {
  const alice = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const bob = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  check("X25519 base (RFC 7748 §6.1)", toHex(crypto.x25519Base(alice)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  check("X25519 shared", toHex(crypto.x25519(alice, crypto.x25519Base(bob))), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  let threw = false;
  try {
    crypto.x25519(alice, new Uint8Array(32));
  } catch {
    threw = true;
  }
  check("X25519 low-order point refused", threw, true);
  if (crypto.suites.includes("25519_AESGCM_SHA256")) {
    const gcm = crypto.aead("25519_AESGCM_SHA256", new Uint8Array(32));
    const buf = new Uint8Array(32);
    check("AES-GCM seal in place", gcm.seal(0, 0, null, buf, 0, 16), 32);
    check("AES-GCM test case 14", toHex(buf), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
    check("AES-GCM open in place", gcm.open(0, 0, null, buf, 0, 32), 16);
    gcm.dispose();
  }
  if (crypto.suites.includes("25519_ChaChaPoly_SHA256")) {
    const chacha = crypto.aead("25519_ChaChaPoly_SHA256", fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
    const frame = new Uint8Array(3849 + 16);
    for (let i = 0; i < 3849; i++) frame[i] = i & 255;
    chacha.seal(0x01020304, -2, null, frame, 0, 3849);
    check("ChaChaPoly round trip", chacha.open(0x01020304, -2, null, frame, 0, 3865), 3849);
    check("ChaChaPoly wrong nonce refused", chacha.open(0, 0, null, frame, 0, 3865), -1);
    chacha.dispose();
  }
  check("SHA-1(abc)", crypto.sha1 ? toHex(crypto.sha1(fromHex("61"), fromHex("6263"))) : "absent", "a9993e364706816aba3e25717850c26c9cd0d89d");
  check("SHA-256(abc)", toHex(crypto.sha256(fromHex("61"), fromHex("6263"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check(
    "HMAC-SHA-512 (RFC 4231 case 2)",
    toHex(crypto.hmacSha512(fromHex("4a656665"), fromHex("7768617420646f2079612077616e7420666f72206e6f7468696e673f"))),
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  );
  const okm = crypto.hkdfSha256(new Uint8Array(32), new Uint8Array(22).fill(11), 2);
  check("Noise HKDF (RFC 5869 case 3)", (toHex(okm[0]) + toHex(okm[1])).slice(0, 84), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  const masked = new Uint8Array([1, 2, 3, 4, 5, 6]);
  nativeUnmask(masked, 1, 6, new Uint8Array([1, 2, 3, 4]), 1);
  check("xorMask", toHex(masked), "010000000404");
}

/** The speaker's side of a vector: message 1 as the initiator sent it, message 2, h, then one transport message each way. */
function noiseResponder(crypto: CryptoProvider, suite: SuiteName, v: (typeof NOISE_KKPSK2_VECTORS)[number], check: Check): void {
  const resp = NoiseKKpsk2.responder({
    crypto, suite, prologue: fromHex(v.resp_prologue), s: keyPairFromPrivate(crypto, fromHex(v.resp_static)), rs: fromHex(v.resp_remote_static),
    e: keyPairFromPrivate(crypto, fromHex(v.resp_ephemeral)),
  });
  const [m0, m1, toResponder, toInitiator] = v.messages;
  const p0 = resp.readMessage1(fromHex(m0.ciphertext));
  check(`Noise ${suite} message 1 payload`, p0 ? toHex(p0) : "refused", m0.payload);
  resp.setPsk(fromHex(v.resp_psks[0]));
  check(`Noise ${suite} message 2`, toHex(resp.writeMessage2(fromHex(m1.payload))), m1.ciphertext);
  const r = resp.split();
  check(`Noise ${suite} handshake hash`, toHex(r.h), v.handshake_hash);
  const inbound = fromHex(toResponder.ciphertext);
  const n = r.recv.decryptInPlace(null, inbound, 0, inbound.length);
  check(`Noise ${suite} transport in`, n < 0 ? "refused" : toHex(inbound.subarray(0, n)), toResponder.payload);
  const plain = fromHex(toInitiator.payload);
  const outbound = new Uint8Array(plain.length + 16);
  outbound.set(plain);
  r.send.encryptInPlace(null, outbound, 0, plain.length);
  check(`Noise ${suite} transport out`, toHex(outbound), toInitiator.ciphertext);
  r.send.dispose();
  r.recv.dispose();
}

/** Role B of the first shared CPace vector: Yb, ISK, the initiator's tag accepted, the responder's tag. */
function cpaceRoleB(crypto: CryptoProvider, check: Check): void {
  const v = CPACE_CASES[0];
  const b = new CPaceResponder(crypto, { prs: fromHex(v.prs), ci: fromHex(v.ci), sid: fromHex(v.sid), ada: fromHex(v.ada), adb: fromHex(v.adb), scalar: fromHex(v.scalarB) });
  const yb = b.respond(fromHex(v.Ya));
  check("CPace role B Yb", yb ? toHex(yb) : "refused", v.Yb);
  check("CPace role B ISK", toHex(b.isk), v.isk);
  check("CPace role B accepts Ta", b.verifyInitiatorTag(fromHex(v.Ta!)), true);
  check("CPace role B Tb", toHex(b.responderTag()), v.Tb);
  b.dispose();
}
