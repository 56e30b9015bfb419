/*
 * Unit tests of the native crypto core (drivers/crypto/sendspin_crypto.h) in C, against published
 * known answers (RFC 8439, McGrew-Viega GCM, RFC 7748, FIPS 180 examples, RFC 4231, RFC 5869), the
 * project's shared vectors (Noise and CPace public values), and a seeded differential run against an
 * independent implementation (libsodium) on random inputs.
 * Output: "ok <name>" / "not ok <name>: <why>", "# report <figure>", then "# c-summary <pass> <fail>".
 */

#include "sendspin_crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int gPass = 0, gFail = 0, gCaseFailed = 0;

/* Mbed TLS allocates with calloc: counting the calls (this definition interposes glibc's for the library too)
   shows what the library allocates per message. */
extern void *__libc_calloc(size_t n, size_t size);
static long gCallocs = 0;
void *calloc(size_t n, size_t size)
{
	gCallocs++;
	return __libc_calloc(n, size);
}
static char gWhy[256];

#define CHECK(cond, ...) do { if (!(cond) && !gCaseFailed) { gCaseFailed = 1; snprintf(gWhy, sizeof(gWhy), __VA_ARGS__); } } while (0)

static void run(const char *name, void (*fn)(void))
{
	gCaseFailed = 0;
	gWhy[0] = 0;
	fn();
	if (gCaseFailed) {
		gFail++;
		printf("not ok %s: %s\n", name, gWhy);
	}
	else {
		gPass++;
		printf("ok %s\n", name);
	}
}

static size_t hex(uint8_t *out, const char *s)
{
	size_t n = 0;
	unsigned v;
	while (s[0] && s[1] && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static int equal_hex(const uint8_t *p, size_t n, const char *expected)
{
	uint8_t e[512];
	size_t m = hex(e, expected);
	return m == n && memcmp(p, e, n) == 0;
}

/* xorshift32: reproducible inputs for the differential tests */
static uint32_t gSeed = 0x9e3779b9;
static void random_bytes(uint8_t *p, size_t n)
{
	while (n--) {
		gSeed ^= gSeed << 13;
		gSeed ^= gSeed >> 17;
		gSeed ^= gSeed << 5;
		*p++ = (uint8_t)gSeed;
	}
}

static const char *SUNSCREEN = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";

static void test_chachapoly_rfc8439(void)
{
	uint8_t key[32], nonce[12], ad[12], buf[200];
	size_t len = strlen(SUNSCREEN);
	ssc_aead aead;
	hex(key, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
	hex(nonce, "070000004041424344454647");
	hex(ad, "50515253c0c1c2c3c4c5c6c7");
	CHECK(ssc_aead_init(&aead, SSC_CHACHAPOLY, key) == 0, "init");
	memcpy(buf, SUNSCREEN, len);
	CHECK(ssc_aead_seal_nonce(&aead, nonce, ad, sizeof(ad), buf, len) == 0, "seal");
	CHECK(equal_hex(buf, len + 16,
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
		"1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		"3ff4def08e4b7a9de576d26586cec64b6116" "1ae10b594f09e26a7e902ecbd0600691"), "RFC 8439 §2.8.2 ciphertext || tag");
	CHECK(ssc_aead_open_nonce(&aead, nonce, ad, sizeof(ad), buf, len + 16) == 0, "open");
	CHECK(memcmp(buf, SUNSCREEN, len) == 0, "plaintext back in place");
	ssc_aead_wipe(&aead);
}

static void test_aesgcm_known_answers(void)
{
	/* McGrew-Viega test cases 13 and 14: AES-256, zero key, zero IV = the Noise nonce of counter 0. */
	uint8_t key[32] = { 0 }, buf[32] = { 0 };
	ssc_aead aead;
	CHECK(ssc_aead_init(&aead, SSC_AESGCM, key) == 0, "init");
	CHECK(ssc_aead_seal(&aead, 0, 0, NULL, 0, buf, 0) == 0 && equal_hex(buf, 16, "530f8afbc74536b9a963b4f1c4cb738b"), "test case 13 tag");
	memset(buf, 0, sizeof(buf));
	CHECK(ssc_aead_seal(&aead, 0, 0, NULL, 0, buf, 16) == 0, "seal 16");
	CHECK(equal_hex(buf, 32, "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"), "test case 14 ciphertext || tag");
	CHECK(ssc_aead_open(&aead, 0, 0, NULL, 0, buf, 32) == 0, "open");
	for (int i = 0; i < 16; i++)
		CHECK(buf[i] == 0, "plaintext back");
	ssc_aead_wipe(&aead);
}

/* ssc_suite_built reads the build's PSA_WANT_* macros; here it must agree with what the library does when asked
   directly (a seal and an open, not through ssc_suite_available, which consults ssc_suite_built first). */
static void test_suite_built_matches_library(void)
{
	static const uint8_t key[SSC_KEY_BYTES] = { 7 };
	int suite;
	for (suite = 0; suite < SSC_SUITE_COUNT; suite++) {
		uint8_t probe[3 + SSC_TAG_BYTES] = { 1, 2, 3 };
		ssc_aead aead;
		int works = ssc_aead_init(&aead, suite, key) == 0 && ssc_aead_seal(&aead, 0, 5, NULL, 0, probe, 3) == 0
			&& ssc_aead_open(&aead, 0, 5, NULL, 0, probe, sizeof(probe)) == 0 && probe[0] == 1 && probe[2] == 3;
		ssc_aead_wipe(&aead);
		CHECK(ssc_suite_built(suite) == works, "suite %d: built %d, library serves it %d", suite, ssc_suite_built(suite), works);
		CHECK(ssc_suite_available(suite) == works, "suite %d: available %d", suite, ssc_suite_available(suite));
	}
	CHECK(!ssc_suite_built(-1) && !ssc_suite_built(SSC_SUITE_COUNT), "no suite outside the table");
}

static void test_noise_nonce_layout(void)
{
	uint8_t n[12];
	ssc_noise_nonce(SSC_CHACHAPOLY, 0x01020304, 0x05060708, n);
	CHECK(equal_hex(n, 12, "000000000807060504030201"), "ChaChaPoly: 4 zero bytes + LE64");
	ssc_noise_nonce(SSC_AESGCM, 0x01020304, 0x05060708, n);
	CHECK(equal_hex(n, 12, "000000000102030405060708"), "AESGCM: 4 zero bytes + BE64");
	ssc_noise_nonce(SSC_CHACHAPOLY, -1, -2, n);
	CHECK(equal_hex(n, 12, "00000000feffffffffffffff"), "negative halves are bit patterns");
	ssc_noise_nonce(SSC_AESGCM, -1, -2, n);
	CHECK(equal_hex(n, 12, "00000000fffffffffffffffe"), "negative halves are bit patterns (BE)");
}

static void test_open_failures(void)
{
	for (int suite = 0; suite < SSC_SUITE_COUNT; suite++) {
		uint8_t key[32], ad[5] = { 1, 2, 3, 4, 5 }, sealed[40], work[40];
		ssc_aead aead;
		random_bytes(key, sizeof(key));
		random_bytes(sealed, 24);
		CHECK(ssc_aead_init(&aead, suite, key) == 0, "init %d", suite);
		CHECK(ssc_aead_seal(&aead, 0, 5, ad, 5, sealed, 24) == 0, "seal");
#define TRY(hi, lo, a, alen, len) (memcpy(work, sealed, 40), ssc_aead_open(&aead, hi, lo, a, alen, work, len))
		CHECK(TRY(0, 6, ad, 5, 40) != 0, "wrong nonce accepted (suite %d)", suite);
		CHECK(TRY(1, 5, ad, 5, 40) != 0, "wrong high half accepted (suite %d)", suite);
		CHECK(TRY(0, 5, ad, 4, 40) != 0, "wrong AD accepted (suite %d)", suite);
		CHECK(TRY(0, 5, NULL, 0, 40) != 0, "missing AD accepted (suite %d)", suite);
		CHECK(TRY(0, 5, ad, 5, 15) != 0, "shorter than a tag accepted (suite %d)", suite);
		CHECK(TRY(0, 5, ad, 5, 39) != 0, "truncated accepted (suite %d)", suite);
		memcpy(work, sealed, 40);
		work[39] ^= 0x80;
		CHECK(ssc_aead_open(&aead, 0, 5, ad, 5, work, 40) != 0, "flipped tag bit accepted (suite %d)", suite);
		memcpy(work, sealed, 40);
		work[0] ^= 1;
		CHECK(ssc_aead_open(&aead, 0, 5, ad, 5, work, 40) != 0, "flipped ciphertext bit accepted (suite %d)", suite);
		CHECK(TRY(0, 5, ad, 5, 40) == 0, "genuine message refused (suite %d)", suite);
#undef TRY
		ssc_aead_wipe(&aead);
		CHECK(ssc_aead_seal(&aead, 0, 0, NULL, 0, work, 0) != 0, "a wiped AEAD still seals");
		ssc_aead_wipe(&aead);
	}
	CHECK(ssc_aead_init(&(ssc_aead){ 0 }, 7, (const uint8_t[32]){ 0 }) != 0, "unknown suite accepted");
}

static void test_key_store_does_not_leak(void)
{
	/* The library's key store has a fixed number of slots on the device: binding, DH and HMAC must give theirs back. */
	uint8_t key[32] = { 3 }, out[64], u[32];
	ssc_span part = { key, 32 };
	for (int i = 0; i < 500; i++) {
		ssc_aead aead;
		CHECK(ssc_aead_init(&aead, i & 1, key) == 0, "AEAD bind %d", i);
		ssc_aead_wipe(&aead);
		CHECK(ssc_x25519_base(u, key) == 0, "x25519 base %d", i);
		CHECK(ssc_x25519(out, key, u) == 0, "x25519 %d", i);
		CHECK(ssc_hmac_sha512(out, key, 32, &part, 1) == 0, "hmac %d", i);
	}
	printf("# report native: 500 × (AEAD bind/wipe, 2 X25519, HMAC) left the key store usable\n");
}

static void test_no_allocation_per_message(void)
{
	static uint8_t key[32] = { 7 }, buf[3865];
	long per[SSC_SUITE_COUNT];
	for (int suite = 0; suite < SSC_SUITE_COUNT; suite++) {
		ssc_aead aead;
		long before;
		CHECK(ssc_aead_init(&aead, suite, key) == 0, "init");
		before = gCallocs;
		for (int i = 0; i < 100; i++) {
			CHECK(ssc_aead_seal(&aead, 0, i, NULL, 0, buf, 3849) == 0, "seal");
			CHECK(ssc_aead_open(&aead, 0, i, NULL, 0, buf, 3865) == 0, "open");
		}
		per[suite] = gCallocs - before;
		ssc_aead_wipe(&aead);
	}
	CHECK(per[SSC_CHACHAPOLY] == 0, "ChaChaPoly: the library allocated %ld times for 100 messages", per[SSC_CHACHAPOLY]);
	printf("# report native: library heap allocations per 100 sealed + opened 20 ms frames: ChaChaPoly %ld, AES-GCM %ld (Mbed TLS %s)\n",
		per[SSC_CHACHAPOLY], per[SSC_AESGCM], "2.28 here: its GCM sets up a cipher context per message");
}

static void test_x25519(void)
{
	uint8_t s[32], u[32], out[32], a[32], b[32], pa[32], pb[32];
	/* RFC 7748 §5.2 (the second u has its top bit set: it must be masked) */
	hex(s, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
	hex(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
	CHECK(ssc_x25519(out, s, u) == 0 && equal_hex(out, 32, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"), "RFC 7748 §5.2 #1");
	hex(s, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
	hex(u, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
	CHECK(ssc_x25519(out, s, u) == 0 && equal_hex(out, 32, "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"), "RFC 7748 §5.2 #2");
	/* RFC 7748 §6.1 */
	hex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	hex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	CHECK(ssc_x25519_base(pa, a) == 0 && equal_hex(pa, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), "Alice's public key");
	CHECK(ssc_x25519_base(pb, b) == 0 && equal_hex(pb, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), "Bob's public key");
	CHECK(ssc_x25519(out, a, pb) == 0 && equal_hex(out, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), "shared secret (Alice)");
	CHECK(ssc_x25519(out, b, pa) == 0 && equal_hex(out, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), "shared secret (Bob)");
	/* low-order points: 0, 1, and an order-8 point */
	memset(u, 0, 32);
	CHECK(ssc_x25519(out, a, u) != 0, "u = 0 accepted");
	u[0] = 1;
	CHECK(ssc_x25519(out, a, u) != 0, "u = 1 accepted");
	hex(u, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
	CHECK(ssc_x25519(out, a, u) != 0, "order-8 point accepted");
}

static void test_shared_vector_public_values(void)
{
	/* test/unit/crypto/fixtures (from the shared vectors): Noise statics/ephemerals and CPace Ya/Yb. */
	uint8_t s[32], g[32], out[32];
	hex(s, "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1");
	CHECK(ssc_x25519_base(out, s) == 0 && equal_hex(out, 32, "6bc3822a2aa7f4e6981d6538692b3cdf3e6df9eea6ed269eb41d93c22757b75a"), "Noise init_static public");
	hex(s, "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893");
	CHECK(ssc_x25519_base(out, s) == 0 && equal_hex(out, 32, "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62"), "Noise resp_static public");
	hex(g, "79c9392c93ec0f7ae71b5b9c82a7d987a6c77b7769e77f4563bcbb069e31d64f");
	memset(s, 3, 32);
	CHECK(ssc_x25519(out, s, g) == 0 && equal_hex(out, 32, "5aecc9cf88b52dfaf89e006b944a60a959069570fd2d1693caa0fe316c618e7f"), "CPace Ya = X25519(scalarA, generator)");
	memset(s, 5, 32);
	CHECK(ssc_x25519(out, s, g) == 0 && equal_hex(out, 32, "a75d2ab95f216f8203290778a3976f3bc6808c9fed2791e36f56216f06fcf842"), "CPace Yb = X25519(scalarB, generator)");
}

static void test_hashes(void)
{
	uint8_t out[64];
	ssc_span abc[2] = { { (const uint8_t *)"a", 1 }, { (const uint8_t *)"bc", 2 } };
	ssc_span one = { (const uint8_t *)"abc", 3 };
	CHECK(ssc_sha1(out, abc, 2) == 0 && equal_hex(out, 20, "a9993e364706816aba3e25717850c26c9cd0d89d"), "SHA-1(abc) in two parts");
	CHECK(ssc_sha1(out, NULL, 0) == 0 && equal_hex(out, 20, "da39a3ee5e6b4b0d3255bfef95601890afd80709"), "SHA-1 of nothing");
	CHECK(ssc_sha256(out, abc, 2) == 0 && equal_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "SHA-256(abc) in two parts");
	CHECK(ssc_sha256(out, &one, 1) == 0 && equal_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "SHA-256(abc)");
	CHECK(ssc_sha256(out, NULL, 0) == 0 && equal_hex(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "SHA-256 of nothing");
	CHECK(ssc_sha512(out, abc, 2) == 0 && equal_hex(out, 64,
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"), "SHA-512(abc)");
}

static void test_hmac_hkdf(void)
{
	uint8_t key[4], data[28], out[96], zero32[32] = { 0 }, ikm[22];
	ssc_span parts[2];
	hex(key, "4a656665");
	hex(data, "7768617420646f2079612077616e7420666f72206e6f7468696e673f");
	parts[0].data = data;
	parts[0].length = 5;
	parts[1].data = data + 5;
	parts[1].length = 23;
	CHECK(ssc_hmac_sha256(out, key, 4, parts, 2) == 0 && equal_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), "RFC 4231 case 2, SHA-256");
	CHECK(ssc_hmac_sha512(out, key, 4, parts, 2) == 0 && equal_hex(out, 64,
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"), "RFC 4231 case 2, SHA-512");
	parts[0].data = zero32;
	parts[0].length = 1;
	CHECK(ssc_hmac_sha256(out, NULL, 0, parts, 1) == 0 && equal_hex(out, 32, "6620b31f2924b8c01547745f41825d322336f83ebb13d723678789d554d8a3ef"), "empty HMAC key");
	/* RFC 5869 case 3 (no salt = a zero salt of hash length, empty info): the first 42 bytes of Noise's HKDF output */
	memset(ikm, 0x0b, sizeof(ikm));
	CHECK(ssc_hkdf_noise(out, zero32, ikm, sizeof(ikm), 2) == 0 && equal_hex(out, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"), "RFC 5869 case 3");
	CHECK(ssc_hkdf_noise(out, zero32, ikm, sizeof(ikm), 4) != 0, "HKDF count 4 accepted");
}

static void test_differential_libsodium(void)
{
	/* Independent implementation, random inputs: AEAD (both suites when libsodium can), X25519, SHA-2, HMAC. */
	enum { CASES = 300 };
	int aesgcm = crypto_aead_aes256gcm_is_available();
	uint8_t key[32], ad[40], msg[1100], mine[1200], theirs[1200], nonce[12], out1[64], out2[64];
	unsigned long long clen;
	for (int i = 0; i < CASES; i++) {
		size_t len = (size_t)(i * 37) % 1100, adlen = (size_t)i % 40;
		int32_t hi = (int32_t)(i * 7919), lo = (int32_t)(0x7fffffff - i * 104729);
		for (int suite = 0; suite < SSC_SUITE_COUNT; suite++) {
			ssc_aead aead;
			if (suite == SSC_AESGCM && !aesgcm)
				continue;
			random_bytes(key, 32);
			random_bytes(ad, adlen);
			random_bytes(msg, len);
			memcpy(mine, msg, len);
			ssc_noise_nonce(suite, hi, lo, nonce);
			CHECK(ssc_aead_init(&aead, suite, key) == 0 && ssc_aead_seal(&aead, hi, lo, ad, adlen, mine, len) == 0, "seal %d", i);
			if (suite == SSC_CHACHAPOLY)
				crypto_aead_chacha20poly1305_ietf_encrypt(theirs, &clen, msg, len, ad, adlen, NULL, nonce, key);
			else
				crypto_aead_aes256gcm_encrypt(theirs, &clen, msg, len, ad, adlen, NULL, nonce, key);
			CHECK(clen == len + 16 && memcmp(mine, theirs, len + 16) == 0, "suite %d case %d: ciphertext differs from libsodium", suite, i);
			CHECK(ssc_aead_open(&aead, hi, lo, ad, adlen, mine, len + 16) == 0 && memcmp(mine, msg, len) == 0, "suite %d case %d: open", suite, i);
			ssc_aead_wipe(&aead);
		}
		random_bytes(key, 32);
		random_bytes(msg, 32);
		CHECK(ssc_x25519_base(out1, key) == 0 && crypto_scalarmult_base(out2, key) == 0 && memcmp(out1, out2, 32) == 0, "x25519 base %d", i);
		if (ssc_x25519(out1, key, msg) == 0) {
			CHECK(crypto_scalarmult(out2, key, msg) == 0 && memcmp(out1, out2, 32) == 0, "x25519 %d", i);
		}
		else
			CHECK(crypto_scalarmult(out2, key, msg) != 0, "x25519 %d refused a point libsodium accepts", i);
		{
			ssc_span parts[2] = { { msg, len / 2 }, { msg + len / 2, len - len / 2 } };
			crypto_hash_sha256(out2, msg, len);
			CHECK(ssc_sha256(out1, parts, 2) == 0 && memcmp(out1, out2, 32) == 0, "sha256 %d", i);
			crypto_hash_sha512(out2, msg, len);
			CHECK(ssc_sha512(out1, parts, 2) == 0 && memcmp(out1, out2, 64) == 0, "sha512 %d", i);
			crypto_auth_hmacsha256_state s256;
			crypto_auth_hmacsha256_init(&s256, ad, adlen);
			crypto_auth_hmacsha256_update(&s256, msg, len);
			crypto_auth_hmacsha256_final(&s256, out2);
			CHECK(ssc_hmac_sha256(out1, ad, adlen, parts, 2) == 0 && memcmp(out1, out2, 32) == 0, "hmac-sha256 %d (key %zu bytes)", i, adlen);
			crypto_auth_hmacsha512_state s512;
			crypto_auth_hmacsha512_init(&s512, ad, adlen);
			crypto_auth_hmacsha512_update(&s512, msg, len);
			crypto_auth_hmacsha512_final(&s512, out2);
			CHECK(ssc_hmac_sha512(out1, ad, adlen, parts, 2) == 0 && memcmp(out1, out2, 64) == 0, "hmac-sha512 %d", i);
		}
	}
	printf("# report native: %d random cases each agree with libsodium: ChaChaPoly seal/open%s, X25519 (base and shared), SHA-256, SHA-512, HMAC-SHA-256/512\n",
		CASES, aesgcm ? ", AES-256-GCM seal/open" : " (AES-GCM: libsodium has no software AES-GCM on this CPU)");
}

int main(void)
{
	if (ssc_init() != 0 || sodium_init() < 0) {
		printf("not ok library start-up\n# c-summary 0 1\n");
		return 1;
	}
	printf("# report native: suites served: ChaChaPoly %s, AESGCM %s\n", ssc_suite_available(SSC_CHACHAPOLY) ? "yes" : "no", ssc_suite_available(SSC_AESGCM) ? "yes" : "no");
	run("ChaCha20-Poly1305: RFC 8439 §2.8.2 in place", test_chachapoly_rfc8439);
	run("AES-256-GCM: McGrew-Viega test cases 13 and 14 at Noise counter 0", test_aesgcm_known_answers);
	run("the suites the build reports as compiled in are the ones the library serves", test_suite_built_matches_library);
	run("Noise nonce layout per suite", test_noise_nonce_layout);
	run("AEAD open refuses a wrong nonce, AD, tag, ciphertext or length", test_open_failures);
	run("the key store gives every slot back", test_key_store_does_not_leak);
	run("ChaChaPoly seal/open allocate nothing in the library (calloc counted)", test_no_allocation_per_message);
	run("X25519: RFC 7748 §5.2 and §6.1; low-order points refused", test_x25519);
	run("X25519: public values of the shared Noise and CPace vectors", test_shared_vector_public_values);
	run("SHA-1/256/512: FIPS 180 examples, in parts", test_hashes);
	run("HMAC-SHA-256/512 (RFC 4231), empty key, Noise HKDF (RFC 5869 case 3)", test_hmac_hkdf);
	run("differential against libsodium on seeded random inputs", test_differential_libsodium);
	printf("# c-summary %d %d\n", gPass, gFail);
	return gFail ? 1 : 0;
}
