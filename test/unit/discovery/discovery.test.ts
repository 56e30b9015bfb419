import { assert, describe, test } from "../../harness.js";
import { MAX_TXT_STRING_BYTES, hostLabel, instanceLabel, truncateUtf8, txtAsNamedArray, txtEntries, txtString } from "../../../modules/discovery.js";
import { utf8Encode } from "../../../modules/util/utf8.js";

describe("discovery names", () => {
  test("host labels: lower-case letters, digits and single hyphens, at most 63 bytes", () => {
    assert.equal(hostLabel("Kitchen Speaker #2"), "kitchen-speaker-2");
    assert.equal(hostLabel("  --Büro  Lautsprecher--  "), "b-ro-lautsprecher");
    assert.equal(hostLabel("♪♪♪"), "sendspin-speaker");
    assert.equal(hostLabel("", "x"), "x");
    const long = hostLabel("a".repeat(62) + " b c");
    assert.equal(long, "a".repeat(62));
    assert.ok(hostLabel("x".repeat(100)).length === 63);
  });

  test("UTF-8 truncation never splits a code point", () => {
    assert.equal(truncateUtf8("héllo", 2), "h");
    assert.equal(truncateUtf8("héllo", 3), "hé");
    assert.equal(truncateUtf8("🎵🎵", 7), "🎵");
    assert.equal(truncateUtf8("abc", 10), "abc");
    assert.equal(utf8Encode(instanceLabel("é".repeat(40))).length, 62);
    assert.equal(instanceLabel(""), "Sendspin Speaker");
  });

  test("TXT entries: path, then name cut to fit 255 bytes", () => {
    assert.deepEqual(txtEntries({ path: "/sendspin", name: "Kitchen" }), [["path", "/sendspin"], ["name", "Kitchen"]]);
    const [, [, name]] = txtEntries({ path: "/p", name: "🎵".repeat(100) });
    assert.ok(txtString("name", name).length <= MAX_TXT_STRING_BYTES);
    assert.equal(txtString("name", name).length, 5 + 4 * 62);
  });

  test("the named-property Array is walked by for…in exactly as Moddable's TXT serializer walks it", () => {
    const txt = txtAsNamedArray({ path: "/sendspin", name: "Wohnzimmer ♪" });
    assert.ok(Array.isArray(txt));
    const written: string[] = [];
    // dnsserializer.js, Array branch: for (let property in data) { value = data[property]; ... property + "=" + value }
    for (const property in txt) {
      const value = txt[property];
      if (undefined === value) continue;
      written.push(property + "=" + value.toString());
    }
    assert.deepEqual(written, ["path=/sendspin", "name=Wohnzimmer ♪"]);
  });
});
