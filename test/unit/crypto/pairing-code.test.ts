// The current revision's derivations against known answers (test/unit/crypto/current-vectors.ts): commit_B,
// the pairing code (digits and QR), the version-1 token, the CPace sid with pairing_index and round, a full
// CPace run with AD "server"/"client", and K_wrap with wrapped_psk / wrapped_nonce_B for both suites. Every
// crypto backend runs the same checks.

import { assert, test } from "../../harness.js";
import { CPaceInitiator, CPaceResponder, cpaceGenerator } from "../../../crypto/cpace.js";
import {
  AD_CLIENT,
  AD_SERVER,
  NONCE_WRAP_LABEL,
  PSK_WRAP_LABEL,
  commitBCurrent,
  cpaceSidCurrent,
  dynamicCodeDigits,
  dynamicCodeQr,
  pairingCodeDigest,
  unwrapValue,
  wrapKey,
  wrapValue,
} from "../../../crypto/pairing-code.js";
import { decimalDigits } from "../../../crypto/pin.js";
import { encodeCodeToken, encodePairingToken } from "../../../crypto/pairing-token.js";
import type { SuiteName } from "../../../crypto/provider.js";
import { base64urlEncode } from "../../../modules/util/base64url.js";
import { fromHex, toHex } from "../../../modules/util/bytes.js";
import { describeEachBackend } from "../../support/backends.js";
import { COMMIT_B, CPACE_RUN, CPACE_SID, PAIRING_CODE, PAIRING_TOKEN, WRAP } from "./current-vectors.js";

describeEachBackend("current revision › derivations", (crypto) => {
  test("commit_B = SHA-256('sendspin-pair-commit-v1' || nonce_B)", () => {
    for (const v of COMMIT_B) {
      const c = commitBCurrent(crypto, fromHex(v.nonce_B));
      assert.equal(toHex(c), v.commit_B);
      assert.equal(base64urlEncode(c), v.commit_B_b64url);
    }
  });

  test("pairing code: digest, 6 digits (zero-padded), QR code bytes and its SP:1 token", () => {
    for (const v of PAIRING_CODE) {
      const h = fromHex(v.h), a = fromHex(v.nonce_A), b = fromHex(v.nonce_B);
      assert.equal(toHex(pairingCodeDigest(crypto, h, a, b)), v.digest);
      assert.equal(dynamicCodeDigits(crypto, h, a, b), v.digits);
      assert.equal(decimalDigits(fromHex(v.digest), 6), v.digits);
      const qr = dynamicCodeQr(crypto, h, a, b);
      assert.equal(toHex(qr), v.qr_code);
      assert.equal(encodeCodeToken(qr), v.qr_token);
    }
  });

  test("pairing tokens of the text: version 0 and version 1", () => {
    for (const v of PAIRING_TOKEN) {
      const payload = fromHex(v.payload);
      const token = v.version === "0" ? encodePairingToken(payload.subarray(0, 32), payload.subarray(32)) : encodeCodeToken(payload);
      assert.equal(token, v.token);
    }
    assert.throws(() => encodeCodeToken(new Uint8Array(23)), /24 bytes/);
  });

  test("sid = 'sendspin-pair-pake-v1' || h || uint32be(pairing_index) || uint32be(round)", () => {
    for (const v of CPACE_SID) assert.equal(toHex(cpaceSidCurrent(fromHex(v.h), v.pairing_index, v.round)), v.sid);
  });

  test("CPace runs with AD 'server' / 'client': generator, shares, ISK and both MCF tags", () => {
    for (const v of CPACE_RUN) {
      const sid = cpaceSidCurrent(fromHex(v.h), v.pairing_index, v.round);
      assert.equal(toHex(sid), v.sid, v.what);
      assert.equal(toHex(AD_SERVER), v.ada);
      assert.equal(toHex(AD_CLIENT), v.adb);
      const prs = fromHex(v.prs);
      assert.equal(toHex(cpaceGenerator(crypto, prs, new Uint8Array(0), sid)), v.generator, v.what);
      const a = new CPaceInitiator(crypto, { prs, sid, ada: AD_SERVER, adb: AD_CLIENT, scalar: fromHex(v.scalarA) });
      const b = new CPaceResponder(crypto, { prs, sid, ada: AD_SERVER, adb: AD_CLIENT, scalar: fromHex(v.scalarB) });
      const ya = a.start();
      assert.equal(toHex(ya), v.Ya, v.what);
      assert.equal(base64urlEncode(ya), v.pake_msg_1);
      const yb = b.respond(ya)!;
      assert.equal(toHex(yb), v.Yb, v.what);
      assert.equal(base64urlEncode(yb), v.pake_msg_2);
      assert.ok(a.receive(yb));
      assert.equal(toHex(b.isk), v.isk, v.what);
      assert.equal(toHex(a.isk), v.isk);
      const ta = a.initiatorTag();
      assert.equal(toHex(ta), v.Ta, v.what);
      assert.equal(base64urlEncode(ta), v.server_kc);
      assert.ok(b.verifyInitiatorTag(ta));
      const tb = b.responderTag();
      assert.equal(toHex(tb), v.Tb, v.what);
      assert.equal(base64urlEncode(tb), v.client_kc);
    }
  });

  test("K_wrap = SHA-256(label || sid || ISK); wrapped_psk and wrapped_nonce_B in each suite, and back", () => {
    for (const v of WRAP) {
      const suite = v.suite as SuiteName;
      if (crypto.suites.indexOf(suite) < 0) continue; // a backend that does not serve the suite
      const sid = fromHex(v.sid), isk = fromHex(v.isk);
      const kp = wrapKey(crypto, PSK_WRAP_LABEL, sid, isk);
      const kn = wrapKey(crypto, NONCE_WRAP_LABEL, sid, isk);
      assert.equal(toHex(kp), v.K_wrap_psk);
      assert.equal(toHex(kn), v.K_wrap_nonce);
      const wp = wrapValue(crypto, suite, kp, fromHex(v.long_term_psk));
      const wn = wrapValue(crypto, suite, kn, fromHex(v.nonce_B));
      assert.equal(toHex(wp), v.wrapped_psk, `${v.run} ${suite}`);
      assert.equal(base64urlEncode(wp), v.wrapped_psk_b64url);
      assert.equal(toHex(wn), v.wrapped_nonce_B, `${v.run} ${suite}`);
      assert.equal(base64urlEncode(wn), v.wrapped_nonce_B_b64url);
      assert.equal(toHex(unwrapValue(crypto, suite, kp, wp)!), v.long_term_psk);
      const bad = wp.slice();
      bad[5] ^= 1;
      assert.equal(unwrapValue(crypto, suite, kp, bad), null, "a tampered wrapping does not open");
      assert.equal(unwrapValue(crypto, suite, kn, wp), null, "the other label's key does not open it");
    }
  });
});
