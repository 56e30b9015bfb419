// Known answers through the native backend on Moddable's XS; one "ok"/"not ok" line per check, then a summary.
import { createNativeCrypto, nativeSuites } from "drivers/crypto/native-crypto";
import { nativeUnmask } from "drivers/crypto/native-unmask";

function hex(b) {
	let s = "";
	for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
	return s;
}
function fromHex(s) {
	const b = new Uint8Array(s.length / 2);
	for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(2 * i, 2), 16);
	return b;
}
let pass = 0, fail = 0;
function check(name, actual, expected) {
	if (actual === expected) { pass++; trace(`ok ${name}\n`); }
	else { fail++; trace(`not ok ${name}: ${actual} != ${expected}\n`); }
}
try {
	const crypto = createNativeCrypto({ fill(o) { for (let i = 0; i < o.length; i++) o[i] = (i * 37) & 255; } });
	check("suites", nativeSuites().join(","), "25519_ChaChaPoly_SHA256,25519_AESGCM_SHA256");
	const alice = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	const bob = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	check("X25519 base (RFC 7748 §6.1)", hex(crypto.x25519Base(alice)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	check("X25519 shared", hex(crypto.x25519(alice, crypto.x25519Base(bob))), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	let threw = false;
	try { crypto.x25519(alice, new Uint8Array(32)); } catch { threw = true; }
	check("X25519 low-order point refused", threw, true);
	const gcm = crypto.aead("25519_AESGCM_SHA256", new Uint8Array(32));
	const buf = new Uint8Array(32);
	check("AES-GCM seal in place", gcm.seal(0, 0, null, buf, 0, 16), 32);
	check("AES-GCM test case 14", hex(buf), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
	check("AES-GCM open in place", gcm.open(0, 0, null, buf, 0, 32), 16);
	gcm.dispose();
	const chacha = crypto.aead("25519_ChaChaPoly_SHA256", fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
	const frame = new Uint8Array(3849 + 16);
	for (let i = 0; i < 3849; i++) frame[i] = i & 255;
	chacha.seal(0x01020304, -2, null, frame, 0, 3849);
	check("ChaChaPoly round trip", chacha.open(0x01020304, -2, null, frame, 0, 3865), 3849);
	check("ChaChaPoly wrong nonce refused", chacha.open(0, 0, null, frame, 0, 3865), -1);
	chacha.dispose();
	check("SHA-1(abc)", hex(crypto.sha1(fromHex("61"), fromHex("6263"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
	check("SHA-256(abc)", hex(crypto.sha256(fromHex("61"), fromHex("6263"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("HMAC-SHA-512 (RFC 4231 case 2)", hex(crypto.hmacSha512(fromHex("4a656665"), fromHex("7768617420646f2079612077616e7420666f72206e6f7468696e673f"))),
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	const okm = crypto.hkdfSha256(new Uint8Array(32), new Uint8Array(22).fill(11), 2);
	check("Noise HKDF (RFC 5869 case 3)", (hex(okm[0]) + hex(okm[1])).slice(0, 84), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
	const masked = new Uint8Array([1, 2, 3, 4, 5, 6]);
	nativeUnmask(masked, 1, 6, new Uint8Array([1, 2, 3, 4]), 1);
	check("xorMask", hex(masked), "010000000404");
}
catch (e) {
	fail++;
	trace(`not ok exception: ${e}\n`);
}
trace(`# moddable-summary ${pass} ${fail}\n`);
