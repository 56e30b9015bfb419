import { assert, describe, report, test } from "../../harness.js";
import { decodePairingToken, encodePairingToken } from "../../../crypto/pairing-token.js";
import { toHex } from "../../../modules/util/bytes.js";
import { SeededRandom } from "../../support/random.js";

// Reference vector of the version-0 pairing token (a project decision): client key 00 01 … 1f, PSK e0 e1 … ff.
const KEY = new Uint8Array(32).map((_, i) => i);
const PSK = new Uint8Array(32).map((_, i) => 0xe0 + i);
const TOKEN = "SP:0AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYP6BYPC4PSOLZXH5DU6V97M5XXO74HR6LZ7J5PW674PT6X37T6757Y";

describe("pairing token", () => {
  test("the reference vector, both ways", () => {
    assert.equal(encodePairingToken(KEY, PSK), TOKEN);
    const d = decodePairingToken(TOKEN);
    assert.ok(d);
    assert.deepEqual(d.clientPublicKey, KEY);
    assert.deepEqual(d.pairingPsk, PSK);
  });

  test("no 2, no padding, 107 characters; random round trips", () => {
    const rnd = new SeededRandom(17);
    for (let i = 0; i < 200; i++) {
      const k = rnd.bytes(32), p = rnd.bytes(32);
      const t = encodePairingToken(k, p);
      assert.equal(t.length, 107);
      assert.ok(/^SP:0[A-Z3-79]+$/.test(t), t);
      const d = decodePairingToken(t);
      assert.ok(d, t);
      assert.equal(toHex(d.clientPublicKey) + toHex(d.pairingPsk), toHex(k) + toHex(p));
      const lower = decodePairingToken(t.toLowerCase());
      assert.ok(lower && toHex(lower.pairingPsk) === toHex(p), "lower case decodes the same");
    }
    report("pairing token: reference vector + 200 random round trips (upper and lower case)");
  });

  test("strict decoding: everything else is refused without an exception", () => {
    const body = TOKEN.slice(4);
    const bad: unknown[] = [
      "",
      "SP:0",
      TOKEN.slice(0, -1), // one character short
      TOKEN + "A", // one too many
      TOKEN + "=", // padding is stripped, never sent
      "SP:1" + body, // another version
      "SQ:0" + body,
      " " + TOKEN.slice(1),
      TOKEN.slice(0, 50) + " " + TOKEN.slice(51), // whitespace
      TOKEN.slice(0, 50) + "1" + TOKEN.slice(51), // 0, 1, 8 are not base32
      TOKEN.slice(0, 50) + "0" + TOKEN.slice(51),
      TOKEN.slice(0, 50) + "8" + TOKEN.slice(51),
      TOKEN.slice(0, 50) + "=" + TOKEN.slice(51),
      TOKEN.slice(0, 50) + "\u0131" + TOKEN.slice(51), // dotless i: toUpperCase would make it "I"
      TOKEN.slice(0, -1) + "Z", // the last character carries 3 unused bits: Y = 11000, Z = 11001 is non-canonical
      null,
      undefined,
      42,
      {},
    ];
    for (const s of bad) assert.equal(decodePairingToken(s), undefined, JSON.stringify(s));
    // The decoding rule maps "9" back to "2", so a literal "2" decodes like the "9" the encoder writes.
    const with2 = TOKEN.replace("V97M", "V27M");
    assert.deepEqual(decodePairingToken(with2)?.pairingPsk, PSK);
    assert.throws(() => encodePairingToken(new Uint8Array(31), PSK), /32 bytes/);
  });
});
