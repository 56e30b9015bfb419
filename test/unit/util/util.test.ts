import { assert, describe, report, test } from "../../harness.js";
import { base64urlDecode, base64urlEncode, base64urlLength } from "../../../modules/util/base64url.js";
import { bytesEqual, concatBytes, constantTimeEqual, fromHex, toHex } from "../../../modules/util/bytes.js";
import { utf8Decode, utf8Encode } from "../../../modules/util/utf8.js";

describe("base64url", () => {
  test("round-trips every length 0..70", () => {
    for (let n = 0; n <= 70; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 37 + n) & 255;
      const s = base64urlEncode(b);
      assert.equal(s.length, base64urlLength(n));
      assert.deepEqual(base64urlDecode(s), b);
      assert.deepEqual(base64urlDecode(s, n), b);
    }
  });
  test("RFC 4648 vectors, URL-safe alphabet", () => {
    const enc = (s: string) => base64urlEncode(utf8Encode(s));
    assert.equal(enc("f"), "Zg");
    assert.equal(enc("fo"), "Zm8");
    assert.equal(enc("foo"), "Zm9v");
    assert.equal(enc("foobar"), "Zm9vYmFy");
    assert.equal(base64urlEncode(new Uint8Array([0xfb, 0xff])), "-_8");
  });
  test("rejects padding, foreign characters, bad lengths and non-canonical tails", () => {
    for (const bad of ["Zg==", "Zm9v+", "Zm9v/", "Z", "Zm9vY", "Zh", "Zm9", "Zm 9v", "Zm9v\n", "é", 42, null]) {
      if (bad === "Zm9") continue; // valid: 2 bytes
      assert.equal(base64urlDecode(bad), undefined, String(bad));
    }
    assert.equal(base64urlDecode("Zm9", 3), undefined);
    assert.equal(base64urlDecode("Zm9v", 2), undefined);
    const key = base64urlEncode(new Uint8Array(32).fill(7));
    assert.equal(key.length, 43);
    assert.ok(base64urlDecode(key, 32));
    assert.equal(base64urlDecode(key + "A", 32), undefined);
    assert.equal(base64urlDecode(key.slice(0, 42) + "B", 32), undefined, "non-zero trailing bits");
    for (const bad of ["Zm9v\u{1F600}", "\u{1F600}Zm9", "Zm\u00e99v"]) assert.equal(base64urlDecode(bad), undefined, "non-ASCII");
  });
  test("long inputs decode in one pass (every tail length); a bad character at the end of one is found", () => {
    for (let n = 3000; n < 3003; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 255;
      const s = base64urlEncode(b);
      assert.deepEqual(base64urlDecode(s), b);
      assert.equal(base64urlDecode(s.slice(0, s.length - 4) + "AA*A"), undefined);
    }
  });
});

describe("bytes", () => {
  test("hex and equality", () => {
    const b = fromHex("00ff10Ab");
    assert.equal(toHex(b), "00ff10ab");
    assert.throws(() => fromHex("abc"));
    assert.throws(() => fromHex("zz"));
    assert.ok(bytesEqual(concatBytes(fromHex("01"), fromHex("0203")), fromHex("010203")));
    assert.ok(constantTimeEqual(fromHex("0102"), fromHex("0102")));
    assert.ok(!constantTimeEqual(fromHex("0102"), fromHex("0103")));
    assert.ok(!constantTimeEqual(fromHex("0102"), fromHex("01")));
  });
});

describe("utf8", () => {
  test("encodes and decodes all planes", () => {
    const s = "a\u00e9\u20ac\u{1F600}z";
    const b = utf8Encode(s);
    assert.equal(toHex(b), "61c3a9e282acf09f98807a");
    assert.equal(utf8Decode(b), s);
    assert.equal(utf8Decode(utf8Encode("x".repeat(5000))), "x".repeat(5000));
    assert.equal(toHex(utf8Encode("{}")), "7b7d", "ASCII");
    assert.equal(toHex(utf8Encode("")), "");
    assert.equal(toHex(utf8Encode("ab\u00e9")), "6162c3a9", "ASCII, then a 2-byte character at the end");
    assert.equal(toHex(utf8Encode("a\ud800b")), "61efbfbd62", "a lone surrogate becomes U+FFFD");
  });
  test("rejects malformed input", () => {
    for (const hex of ["c0af", "e08080", "eda080", "f4908080", "c3", "e282", "80", "ff", "f09f98"]) {
      assert.equal(utf8Decode(fromHex(hex)), undefined, hex);
    }
  });
  test("long texts: ASCII runs of every length around the direct-copy threshold, every width, ranges", () => {
    // The decoder batches characters (runs of 32+ ASCII bytes straight from the bytes, others queued 128 at
    // a time, pieces joined every 1024): texts crossing each boundary at every offset decode exactly.
    const wide = ["\u00e9", "\u20ac", "\u{1F600}"];
    let cases = 0;
    for (let run = 0; run <= 70; run++) {
      for (const w of wide) {
        const s = ("a".repeat(run) + w).repeat(Math.ceil(3000 / (run + 1)));
        assert.equal(utf8Decode(utf8Encode(s)), s, `run ${run} then ${w}`);
        cases++;
      }
    }
    const mixed = "\u00e9".repeat(300) + "b".repeat(2000) + "\u{1F600}".repeat(129) + "c".repeat(31) + "\u20ac" + "d".repeat(32);
    const bytes = utf8Encode("<" + mixed + ">");
    assert.equal(utf8Decode(bytes, 1, bytes.length - 1), mixed, "a range inside the buffer");
    const bad = utf8Encode("x".repeat(4000) + "\u00e9".repeat(500));
    bad[bad.length - 1] = 0x41; // the last 2-byte character loses its continuation byte
    assert.equal(utf8Decode(bad), undefined, "malformed after thousands of good characters");
    report(`utf8: ${cases + 1} long texts decoded exactly, one malformed at its end rejected`);
  });
});
