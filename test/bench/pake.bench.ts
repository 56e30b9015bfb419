// CPace role B (the speaker's side of a PIN pairing) and its parts, in Node and in XS.
// A pairing attempt costs one full role-B run; this shows what that is on the portable backend.

import { CPaceInitiator, CPaceResponder, cpaceGenerator, cpaceSid, elligator2Curve25519 } from "../../crypto/cpace.js";
import { derivePin, pinPrs } from "../../crypto/pin.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import { SeededRandom } from "../support/random.js";
import { timePerCall, type Bench } from "./context.js";

const TABLE = "CPace role B (CPACE-X25519-SHA512, portable backend), ms per operation";

const bench: Bench = (ctx) => {
  const crypto = createPortableCrypto(new SeededRandom(1));
  const rnd = new SeededRandom(2);
  const h = rnd.bytes(32);
  const sid = cpaceSid(h);
  const prs = pinPrs("12345678");
  const scalar = rnd.bytes(32);
  const u = rnd.bytes(32);

  // The responder's scalar is fixed (the `scalar` option instead of a CSPRNG draw: same work), so one
  // initiator run gives the Ta that every measured responder run verifies successfully.
  const a = new CPaceInitiator(crypto, { prs, sid });
  const ya = a.start();
  const yb = new CPaceResponder(crypto, { prs, sid, scalar }).respond(ya);
  if (!yb || !a.receive(yb)) throw new Error("bench: CPace run failed");
  const ta = a.initiatorTag();

  const col = ctx.engine;
  const row = (name: string, fn: () => void) => ctx.record(TABLE, name, col, timePerCall(ctx, fn, ctx.engine === "xs" ? 1000 : 300));

  row("elligator2 map (BigInt field)", () => elligator2Curve25519(u));
  row("generator (SHA-512 + elligator2)", () => cpaceGenerator(crypto, prs, new Uint8Array(0), sid));
  row("X25519 (provider)", () => crypto.x25519(scalar, ya));
  row("respond(Ya) → Yb, ISK", () => {
    new CPaceResponder(crypto, { prs, sid }).respond(ya);
  });
  row("full role B: respond + verify Ta + Tb", () => {
    const b = new CPaceResponder(crypto, { prs, sid, scalar });
    b.respond(ya);
    if (!b.verifyInitiatorTag(ta)) throw new Error("bench: Ta rejected");
    b.responderTag();
  });
  row("derivePin (L = 8)", () => derivePin(crypto, h, h, h, 8));
  ctx.note(TABLE, "respond = generator + 2 X25519 (Yb, K) + ISK and mac_key (2 SHA-512); full role B adds 2 HMAC-SHA-512. One pairing attempt costs one full role B.");
};

export default bench;
