import { assert, test } from "../../harness.js";
import { decodeKeyId, keyId, pskId, SENTINEL_PSK, SENTINEL_PSK_ID } from "../../../crypto/ids.js";
import { fromHex, toHex } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";
import { describeEachBackend } from "../../support/backends.js";

describeEachBackend("ids", (crypto) => {
  test("Sentinel PSK and its psk_id are the spec's constants", () => {
    assert.equal(toHex(crypto.sha256(utf8Encode("sendspin-sentinel-psk-v1"))), toHex(SENTINEL_PSK));
    assert.equal(pskId(crypto, SENTINEL_PSK), SENTINEL_PSK_ID);
    assert.equal(toHex(decodeKeyId(SENTINEL_PSK_ID)!), "185b15f6d2da4909bd1dc156a4ab206103abef0153bcd52d926170b95cf7ce8a");
  });
  test("client_id is 43-char base64url of the public key; strict decoding", () => {
    const pub = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const id = keyId(pub);
    assert.equal(id, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
    assert.deepEqual(decodeKeyId(id), pub);
    assert.equal(decodeKeyId(id + "="), undefined);
    assert.equal(decodeKeyId(id.slice(1)), undefined);
    assert.equal(decodeKeyId(id.replace("A", "+")), undefined);
  });
}, 1);
