import { assert, report, test } from "../../harness.js";
import {
  CPaceInitiator,
  CPaceResponder,
  cpaceGenerator,
  cpaceSid,
  elligator2Curve25519,
  generatorString,
  lvCat,
  type CPaceOptions,
} from "../../../crypto/cpace.js";
import { pinPrs } from "../../../crypto/pin.js";
import type { CryptoProvider } from "../../../crypto/provider.js";
import { fromHex, toHex } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";
import { describeEachBackend } from "../../support/backends.js";
import { Field, FpIsSquare } from "@noble/curves/abstract/modular.js";
import { CPACE_CASES, DRAFT_CASE, DRAFT_GENERATOR_STRING, ELLIGATOR2_CASES, LOW_ORDER_CASES, LOW_ORDER_SCALAR, type CPaceCase } from "./vectors/cpace.js";

function options(c: CPaceCase, scalar: string): CPaceOptions {
  return { prs: fromHex(c.prs), ci: fromHex(c.ci), sid: fromHex(c.sid), ada: fromHex(c.ada), adb: fromHex(c.adb), scalar: fromHex(scalar) };
}

/** A full Sendspin-shaped run (empty CI/AD); returns both parties after the share exchange. */
function sendspinPair(crypto: CryptoProvider, pinA: string, pinB: string, h: Uint8Array) {
  const sid = cpaceSid(h);
  const a = new CPaceInitiator(crypto, { prs: pinPrs(pinA), sid });
  const b = new CPaceResponder(crypto, { prs: pinPrs(pinB), sid });
  const ya = a.start();
  const yb = b.respond(ya);
  return { a, b, ya, yb };
}

describeEachBackend("cpace", (crypto) => {
  test("lv_cat and the generator string follow the draft's encodings", () => {
    assert.equal(toHex(lvCat(utf8Encode("1234"), utf8Encode("5"), new Uint8Array(0), utf8Encode("678"))), "043132333401350003363738");
    assert.equal(toHex(lvCat(new Uint8Array(127))).slice(0, 2), "7f");
    assert.equal(toHex(lvCat(new Uint8Array(128))).slice(0, 4), "8001");
    assert.equal(lvCat(new Uint8Array(300)).length, 302);
    const d = DRAFT_CASE;
    assert.equal(toHex(generatorString(fromHex(d.prs), fromHex(d.ci), fromHex(d.sid))), DRAFT_GENERATOR_STRING);
    // A PRS longer than a block gets no padding at all.
    const long = generatorString(new Uint8Array(200), new Uint8Array(0), new Uint8Array(0));
    assert.equal(long.length, 1 + 8 + 2 + 200 + 1 + 1 + 1);
  });

  test("every elligator2 vector maps r to its u-coordinate", () => {
    for (const { r, x } of ELLIGATOR2_CASES) assert.equal(toHex(elligator2Curve25519(fromHex(r))), x, `r=${r}`);
    report(`cpace: ${ELLIGATOR2_CASES.length} elligator2 vectors`);
  });

  test("elligator2 agrees with a reference built on noble's inversion and square test (both branches)", () => {
    // Independent oracle: Euclidean inversion and noble's Legendre test instead of our addition chains.
    const P = (1n << 255n) - 19n;
    const F = Field(P);
    const A = 486662n;
    const rnd = new SeededRandom(23);
    let squares = 0;
    const N = 64;
    for (let i = 0; i < N; i++) {
      const bytes = rnd.bytes(32);
      let r = 0n;
      for (let k = 31; k >= 0; k--) r = (r << 8n) | BigInt(k === 31 ? bytes[k] & 127 : bytes[k]);
      r = F.create(r);
      const x1 = F.neg(F.mul(F.inv(F.add(F.ONE, F.mul(F.sqr(r), 2n))), A));
      const gx1 = F.add(F.add(F.mul(F.sqr(x1), x1), F.mul(F.sqr(x1), A)), x1);
      const square = FpIsSquare(F, gx1);
      if (square) squares++;
      const x = square ? x1 : F.sub(F.neg(x1), A);
      let expected = "";
      for (let k = 0, v = x; k < 32; k++, v >>= 8n) expected += Number(v & 255n).toString(16).padStart(2, "0");
      assert.equal(toHex(elligator2Curve25519(bytes)), expected, `case ${i}`);
    }
    assert.ok(squares > 0 && squares < N, "both branches taken");
    report(`cpace: elligator2 = reference for ${N} random inputs (${squares} on the square branch)`);
  });

  test("every CPace vector: generator, Ya, Yb, ISK, Ta, Tb (both roles)", () => {
    for (const c of [...CPACE_CASES, DRAFT_CASE]) {
      const sid = fromHex(c.sid);
      assert.equal(toHex(cpaceGenerator(crypto, fromHex(c.prs), fromHex(c.ci), sid)), c.generator, "generator");
      const a = new CPaceInitiator(crypto, options(c, c.scalarA));
      const b = new CPaceResponder(crypto, options(c, c.scalarB));
      const ya = a.start();
      assert.equal(toHex(ya), c.Ya, "Ya");
      const yb = b.respond(ya);
      assert.ok(yb, "responder accepted Ya");
      assert.equal(toHex(yb), c.Yb, "Yb");
      assert.ok(a.receive(yb), "initiator accepted Yb");
      assert.equal(toHex(a.isk), c.isk, "isk A");
      assert.equal(toHex(b.isk), c.isk, "isk B");
      const ta = a.initiatorTag();
      const tb = b.responderTag();
      if (c.Ta !== undefined && c.Tb !== undefined) {
        assert.equal(toHex(ta), c.Ta, "Ta");
        assert.equal(toHex(tb), c.Tb, "Tb");
      }
      assert.ok(b.verifyInitiatorTag(ta), "B accepts Ta");
      assert.ok(a.verifyResponderTag(tb), "A accepts Tb");
    }
    report(`cpace: ${CPACE_CASES.length} shared vectors (generator, Ya, Yb, isk, Ta, Tb) + the draft's X25519 vector (generator, Ya, Yb, isk)`);
  });

  test("Sendspin inputs (sid = label || h, empty CI/AD): a full A↔B run agrees", () => {
    const rnd = new SeededRandom(11);
    for (let i = 0; i < 3; i++) {
      const h = rnd.bytes(32);
      const { a, b, yb } = sendspinPair(crypto, "12345678", "12345678", h);
      assert.ok(yb && yb.length === 32);
      assert.ok(a.receive(yb));
      assert.ok(b.verifyInitiatorTag(a.initiatorTag()), "B verifies server_kc");
      assert.ok(a.verifyResponderTag(b.responderTag()), "A verifies client_kc");
      assert.deepEqual(a.isk, b.isk);
      assert.equal(a.isk.length, 64);
    }
    assert.equal(toHex(cpaceSid(new Uint8Array([0xab]))), toHex(utf8Encode("sendspin-pair-pake-v1")) + "ab");
  });

  test("fresh scalars come from the CSPRNG: two runs give different shares and keys", () => {
    const h = new Uint8Array(32);
    const r1 = sendspinPair(crypto, "0000", "0000", h);
    const r2 = sendspinPair(crypto, "0000", "0000", h);
    assert.notEqual(toHex(r1.ya), toHex(r2.ya));
    assert.ok(r1.a.receive(r1.yb) && r2.a.receive(r2.yb));
    assert.notEqual(toHex(r1.a.isk), toHex(r2.a.isk));
  });

  test("a wrong PIN fails both tags", () => {
    const { a, b, yb } = sendspinPair(crypto, "12345678", "12345679", new Uint8Array(32).fill(3));
    assert.ok(yb, "shares are exchanged: a wrong PIN is invisible until confirmation");
    assert.ok(a.receive(yb));
    const ta = a.initiatorTag();
    const tb = b.responderTag();
    assert.equal(b.verifyInitiatorTag(ta), false, "B rejects Ta");
    assert.equal(a.verifyResponderTag(tb), false, "A rejects Tb");
    // A failed party is dead: no second chance, no key.
    assert.equal(b.verifyInitiatorTag(ta), false);
    assert.throws(() => b.isk, /no key/);
  });

  test("a different sid (another Noise handshake) fails both tags", () => {
    const sidA = cpaceSid(new Uint8Array(32).fill(1));
    const sidB = cpaceSid(new Uint8Array(32).fill(2));
    const a = new CPaceInitiator(crypto, { prs: pinPrs("1234"), sid: sidA });
    const b = new CPaceResponder(crypto, { prs: pinPrs("1234"), sid: sidB });
    const yb = b.respond(a.start());
    assert.ok(yb && a.receive(yb));
    const tb = b.responderTag();
    assert.equal(b.verifyInitiatorTag(a.initiatorTag()), false);
    assert.equal(a.verifyResponderTag(tb), false);
  });

  test("tampered or malformed tags are rejected", () => {
    const { a, b, yb } = sendspinPair(crypto, "5555", "5555", new Uint8Array(32));
    assert.ok(yb && a.receive(yb));
    const tb = b.responderTag();
    const bad = tb.slice();
    bad[63] ^= 1;
    assert.equal(a.verifyResponderTag(bad), false, "flipped bit");
    const { a: a2, b: b2, yb: yb2 } = sendspinPair(crypto, "5555", "5555", new Uint8Array(32));
    assert.ok(yb2 && a2.receive(yb2));
    assert.equal(b2.verifyInitiatorTag(a2.initiatorTag().subarray(0, 32)), false, "short tag");
    const { a: a3, b: b3, yb: yb3 } = sendspinPair(crypto, "5555", "5555", new Uint8Array(32));
    assert.ok(yb3 && a3.receive(yb3));
    assert.equal(b3.verifyInitiatorTag("not bytes"), false, "not bytes");
  });

  test("low-order points: the draft's scalar_mult_vfy vectors, and every aborting one aborts both roles", () => {
    const s = fromHex(LOW_ORDER_SCALAR);
    let aborted = 0;
    for (const lo of LOW_ORDER_CASES) {
      const u = fromHex(lo.u);
      // The provider's X25519 gives q (the portable backend refuses the all-zero result itself).
      if (lo.abort) assert.throws(() => crypto.x25519(s, u), undefined, lo.name);
      else assert.equal(toHex(crypto.x25519(s, u)), lo.q, lo.name);
      const b = new CPaceResponder(crypto, { prs: pinPrs("1234"), sid: cpaceSid(new Uint8Array(32)), scalar: s });
      const yb = b.respond(u);
      assert.equal(yb === null, lo.abort, `responder ${lo.name}`);
      const a = new CPaceInitiator(crypto, { prs: pinPrs("1234"), sid: cpaceSid(new Uint8Array(32)), scalar: s });
      a.start();
      assert.equal(a.receive(u), !lo.abort, `initiator ${lo.name}`);
      if (lo.abort) {
        aborted++;
        assert.throws(() => b.responderTag(), /no key/);
        assert.throws(() => a.initiatorTag(), /no key/);
      }
    }
    assert.equal(aborted, 7, "u0, u1, u2, u3, u4, u5, u7 abort");
    report(`cpace: ${LOW_ORDER_CASES.length} low-order/non-canonical u-coordinates, ${aborted} aborted in both roles`);
  });

  test("the small-order u-coordinates of Curve25519 and their twists abort, whatever the scalar", () => {
    // 0 (order 4 / identity), 1 (order 4 on the twist), p-1 (order 2), the two order-8 points, and the
    // same values + p (non-canonical encodings the X25519 input decoding reduces).
    const smallOrder = [LOW_ORDER_CASES[0], LOW_ORDER_CASES[1], LOW_ORDER_CASES[2], LOW_ORDER_CASES[3], LOW_ORDER_CASES[4], LOW_ORDER_CASES[5], LOW_ORDER_CASES[7]];
    const rnd = new SeededRandom(5);
    for (let i = 0; i < 4; i++) {
      for (const lo of smallOrder) {
        const b = new CPaceResponder(crypto, { prs: pinPrs("87654321"), sid: cpaceSid(rnd.bytes(32)), scalar: rnd.bytes(32) });
        assert.equal(b.respond(fromHex(lo.u)), null, lo.name);
      }
    }
  });

  test("malformed shares are rejected (wrong length, not bytes, out of order)", () => {
    const sid = cpaceSid(new Uint8Array(32));
    for (const bad of [new Uint8Array(0), new Uint8Array(31).fill(9), new Uint8Array(33).fill(9), new Uint8Array(64).fill(9), "AAAA", null, undefined, [9, 0, 0]]) {
      const b = new CPaceResponder(crypto, { prs: pinPrs("1234"), sid });
      assert.equal(b.respond(bad), null);
      assert.throws(() => b.responderTag(), /no key/);
      const a = new CPaceInitiator(crypto, { prs: pinPrs("1234"), sid });
      a.start();
      assert.equal(a.receive(bad), false);
    }
    // Out of order: a second respond, receive before start.
    const { b } = sendspinPair(crypto, "1234", "1234", new Uint8Array(32));
    assert.equal(b.respond(new Uint8Array(32).fill(9)), null);
    const a = new CPaceInitiator(crypto, { prs: pinPrs("1234"), sid });
    assert.equal(a.receive(new Uint8Array(32).fill(9)), false);
  });

  test("dispose forgets the key", () => {
    const { a, b, yb } = sendspinPair(crypto, "2468", "2468", new Uint8Array(32));
    assert.ok(yb && a.receive(yb));
    b.dispose();
    assert.throws(() => b.isk, /no key/);
    assert.equal(b.verifyInitiatorTag(a.initiatorTag()), false);
  });
}, 7);
