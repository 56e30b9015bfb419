import { assert, test } from "../../harness.js";
import { announcedSuite } from "../../../crypto/suite.js";
import { SUITES, type CryptoProvider } from "../../../crypto/provider.js";
import { describeEachBackend } from "../../support/backends.js";

describeEachBackend("announced suite", (crypto) => {
  test("auto names the backend's first (fastest) suite; a forced suite is named as configured", () => {
    assert.ok(crypto.suites.length > 0);
    assert.equal(announcedSuite("auto", crypto), crypto.suites[0]);
    for (const suite of crypto.suites) assert.equal(announcedSuite(suite, crypto), suite);
  });

  test("a forced suite the backend does not serve is refused at start-up", () => {
    const only: CryptoProvider = { ...crypto, suites: [crypto.suites[0]] };
    const other = SUITES.find((s) => s !== crypto.suites[0])!;
    assert.equal(announcedSuite("auto", only), crypto.suites[0]);
    assert.throws(() => announcedSuite(other, only), /not served/);
    assert.throws(() => announcedSuite("auto", { ...crypto, suites: [] }), /serves no suite/);
  });
});
