import { assert, report, test } from "../../harness.js";
import { commitB, derivePin, pinPrs, randomStaticPin } from "../../../crypto/pin.js";
import { fromHex, toHex } from "../../../modules/util/bytes.js";
import type { RandomPort } from "../../../modules/platform.js";
import { SeededRandom } from "../../support/random.js";
import { describeEachBackend } from "../../support/backends.js";
import { COMMIT_B_CASE, DERIVE_PIN_CASES } from "./vectors/pin.js";

/** A random port replaying a fixed byte script (then repeating its last byte). */
class ScriptedRandom implements RandomPort {
  private i = 0;
  constructor(private readonly script: number[]) {}
  fill(out: Uint8Array): void {
    for (let k = 0; k < out.length; k++) out[k] = this.script[Math.min(this.i++, this.script.length - 1)];
  }
}

describeEachBackend("pin", (crypto, backend) => {
  test("every derive_pin vector and the commit_B vector", () => {
    for (const c of DERIVE_PIN_CASES) {
      assert.equal(derivePin(crypto, fromHex(c.h), fromHex(c.nonceA), fromHex(c.nonceB), c.length), c.pin, `L=${c.length}`);
    }
    assert.equal(toHex(commitB(crypto, fromHex(COMMIT_B_CASE.nonceB))), COMMIT_B_CASE.commitB);
    report(`pin: ${DERIVE_PIN_CASES.length} derive_pin vectors, 1 commit_B vector`);
  });

  test("the int32 reduction equals uint256_be(digest) mod 10^L computed with BigInt, for every L", () => {
    const rnd = new SeededRandom(99);
    const label = pinPrs("sendspin-pin-derive-v1");
    let n = 0;
    for (let i = 0; i < 150; i++) {
      const h = rnd.bytes(32), na = rnd.bytes(32), nb = rnd.bytes(32);
      const digest = BigInt("0x" + toHex(crypto.sha256(label, h, na, nb)));
      for (let len = 4; len <= 12; len++) {
        const expected = (digest % 10n ** BigInt(len)).toString().padStart(len, "0");
        assert.equal(derivePin(crypto, h, na, nb, len), expected, `case ${i} L=${len}`);
        n++;
      }
    }
    report(`pin: ${n} random derivations checked against a BigInt reference`);
  });

  test("derivePin refuses lengths outside 4–12 and inputs that are not 32 bytes", () => {
    const z = new Uint8Array(32);
    for (const len of [3, 13, 0, -1, 6.5, NaN]) assert.throws(() => derivePin(crypto, z, z, z, len), /length/);
    assert.throws(() => derivePin(crypto, new Uint8Array(31), z, z, 6), /32 bytes/);
    assert.throws(() => derivePin(crypto, z, z, new Uint8Array(33), 6), /32 bytes/);
  });

  test("static PIN: 8 digits, uniform per position (chi-square), from the CSPRNG", () => {
    const c = backend.create(new SeededRandom(2024));
    const N = 4000;
    const counts: number[][] = [];
    for (let p = 0; p < 8; p++) counts.push(new Array(10).fill(0));
    const seen = new Set<string>();
    for (let i = 0; i < N; i++) {
      const pin = randomStaticPin(c);
      assert.ok(/^[0-9]{8}$/.test(pin), pin);
      seen.add(pin);
      for (let p = 0; p < 8; p++) counts[p][pin.charCodeAt(p) - 48]++;
    }
    // 9 degrees of freedom: P(chi² > 33.72) = 0.0001 per position (the seed is fixed: this is a sanity bound).
    let worst = 0;
    for (let p = 0; p < 8; p++) {
      let chi = 0;
      for (let d = 0; d < 10; d++) chi += (counts[p][d] - N / 10) ** 2 / (N / 10);
      worst = Math.max(worst, chi);
      assert.ok(chi < 33.72, `position ${p}: chi² ${chi.toFixed(2)}`);
    }
    assert.ok(seen.size > N - 5, "no repeats to speak of among 10^8 values");
    report(`pin: ${N} static PINs, worst per-position chi² ${worst.toFixed(2)} (9 dof, limit 33.72), ${seen.size} distinct`);
  });

  test("static PIN rejection sampling: bytes ≥ 250 are skipped, others give byte % 10", () => {
    const r = new ScriptedRandom([250, 255, 9, 19, 249, 251, 0, 100, 37, 45, 56]);
    assert.equal(randomStaticPin(backend.create(r)), "99900756");
    // A broken random port (always 0xff) is reported, not looped on forever.
    assert.throws(() => randomStaticPin(backend.create(new ScriptedRandom([255]))), /random port/);
  });
}, 3);
