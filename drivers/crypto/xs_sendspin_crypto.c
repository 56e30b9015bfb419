/*
 * The XS binding of the native crypto core: host functions for drivers/crypto/native-crypto.ts,
 * reached through XS's Native()/native() (compiled by xsc into host references on the device; the test
 * host in test/native/host resolves the same names at run time).
 *
 * Buffers are any 1-byte view or ArrayBuffer (xsmcGetBuffer*). Their pointers are taken after every other
 * argument has been converted and are used before anything can allocate in XS (relocatable memory); when
 * the library's key store is full, a function collects garbage (which can move buffers), fetches its
 * buffers again and retries once.
 * Outputs go into caller-provided Uint8Arrays, so nothing here allocates in the XS heap; an AEAD's state is
 * a small malloc'd struct owned by its host object (freed by close() or the destructor).
 */

#include "xsmc.h"
#if defined(__has_include)
#if __has_include("mc.defines.h")
#include "mc.defines.h"
#endif
#endif
#include "sendspin_crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 16

typedef struct {
	uint8_t *data;
	xsUnsignedValue length;
} buffer_t;

static buffer_t readable(xsMachine *the, xsSlot *slot)
{
	buffer_t b;
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferReadable(*slot, &data, &length);
	b.data = data;
	b.length = length;
	return b;
}

static buffer_t writable(xsMachine *the, xsSlot *slot)
{
	buffer_t b;
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferWritable(*slot, &data, &length);
	b.data = data;
	b.length = length;
	return b;
}

static uint8_t *exactly(xsMachine *the, buffer_t b, xsUnsignedValue length, const char *what)
{
	if (b.length != length)
		xsRangeError("%s: %u bytes expected", what, (unsigned)length);
	return b.data;
}

/* What this build does with each suite, preferred first: "25519_ChaChaPoly_SHA256=ok,25519_AESGCM_SHA256=unbuilt".
   ok: compiled into the library and a probe message seals and opens; unbuilt: the library was configured without
   it (ESP-IDF's sdkconfig: sdkconfig/sdkconfig.defaults); failed: compiled in but the probe failed.
   crypto/suite-report.ts reads it. ChaChaPoly leads unless the build prefers AES-GCM (a chip whose AES and GHASH
   are in hardware). */
void xs_ssc_suites(xsMachine *the)
{
	static const char *names[SSC_SUITE_COUNT] = { "25519_ChaChaPoly_SHA256", "25519_AESGCM_SHA256" };
#if defined(MODDEF_SENDSPIN_CRYPTO_PREFER_AESGCM) && MODDEF_SENDSPIN_CRYPTO_PREFER_AESGCM
	static const int order[SSC_SUITE_COUNT] = { SSC_AESGCM, SSC_CHACHAPOLY };
#else
	static const int order[SSC_SUITE_COUNT] = { SSC_CHACHAPOLY, SSC_AESGCM };
#endif
	char list[96];
	size_t used = 0;
	int i;
	if (ssc_init() != 0)
		xsUnknownError("crypto: library start-up failed");
	for (i = 0; i < SSC_SUITE_COUNT; i++) {
		const char *state = !ssc_suite_built(order[i]) ? "unbuilt" : ssc_suite_available(order[i]) ? "ok" : "failed";
		int n = snprintf(list + used, sizeof(list) - used, "%s%s=%s", used ? "," : "", names[order[i]], state);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			xsUnknownError("crypto: suite report too long");
		used += (size_t)n;
	}
	xsmcSetString(xsResult, list);
}

/* ---- AEAD: a host object per cipher state ---- */

void xs_ssc_aead_destructor(void *data)
{
	if (data) {
		ssc_aead_wipe((ssc_aead *)data);
		free(data);
	}
}

/* init(suite, key) */
void xs_ssc_aead_init(xsMachine *the)
{
	int suite = xsmcToInteger(xsArg(0)), attempt, result = SSC_ERR;
	ssc_aead *aead = malloc(sizeof(ssc_aead));
	if (!aead)
		xsUnknownError("aead: no memory");
	for (attempt = 0; attempt < 2; attempt++) {
		buffer_t key = readable(the, &xsArg(1));
		if (key.length != SSC_KEY_BYTES) {
			free(aead);
			xsRangeError("aead key: %u bytes expected", (unsigned)SSC_KEY_BYTES);
		}
		result = ssc_aead_init(aead, suite, key.data);
		if (result != SSC_ERR_FULL)
			break;
		/* The key store is full: collecting garbage runs the destructors of AEADs nobody disposed. */
		xsCollectGarbage();
	}
	if (result != 0) {
		free(aead);
		if (result == SSC_ERR_FULL)
			xsUnknownError("aead: the key store is full");
		xsUnknownError("aead: suite %d not served by this build", suite);
	}
	xsmcSetHostData(xsThis, aead);
}

static ssc_aead *aead_of(xsMachine *the)
{
	ssc_aead *aead = xsmcGetHostData(xsThis);
	if (!aead)
		xsUnknownError("aead: disposed");
	return aead;
}

/* seal(hi, lo, ad | null, buf, off, len) → len + 16 (throws when buf has no room: a caller bug) */
void xs_ssc_aead_seal(xsMachine *the)
{
	ssc_aead *aead = aead_of(the);
	int32_t hi = xsmcToInteger(xsArg(0)), lo = xsmcToInteger(xsArg(1));
	xsIntegerValue off = xsmcToInteger(xsArg(4)), len = xsmcToInteger(xsArg(5));
	buffer_t ad = { NULL, 0 }, buf;
	if (xsmcTest(xsArg(2)))
		ad = readable(the, &xsArg(2));
	buf = writable(the, &xsArg(3));
	if (off < 0 || len < 0 || (xsUnsignedValue)off > buf.length || (xsUnsignedValue)len + SSC_TAG_BYTES > buf.length - (xsUnsignedValue)off)
		xsRangeError("aead seal: no room for the message and its tag");
	if (ssc_aead_seal(aead, hi, lo, ad.data, ad.length, buf.data + off, (size_t)len) != 0)
		xsUnknownError("aead seal failed");
	xsmcSetInteger(xsResult, len + SSC_TAG_BYTES);
}

/* open(hi, lo, ad | null, buf, off, len) → len - 16, or -1 (authentication failure or a bad range: never throws) */
void xs_ssc_aead_open(xsMachine *the)
{
	ssc_aead *aead = aead_of(the);
	int32_t hi = xsmcToInteger(xsArg(0)), lo = xsmcToInteger(xsArg(1));
	xsIntegerValue off = xsmcToInteger(xsArg(4)), len = xsmcToInteger(xsArg(5));
	buffer_t ad = { NULL, 0 }, buf;
	if (xsmcTest(xsArg(2)))
		ad = readable(the, &xsArg(2));
	buf = writable(the, &xsArg(3));
	if (off < 0 || len < SSC_TAG_BYTES || (xsUnsignedValue)off > buf.length || (xsUnsignedValue)len > buf.length - (xsUnsignedValue)off
			|| ssc_aead_open(aead, hi, lo, ad.data, ad.length, buf.data + off, (size_t)len) != 0) {
		xsmcSetInteger(xsResult, -1);
		return;
	}
	xsmcSetInteger(xsResult, len - SSC_TAG_BYTES);
}

/* close(): forget the key now (the destructor would only run at the next garbage collection) */
void xs_ssc_aead_close(xsMachine *the)
{
	ssc_aead *aead = xsmcGetHostData(xsThis);
	if (aead) {
		xs_ssc_aead_destructor(aead);
		xsmcSetHostData(xsThis, NULL);
	}
}

/* ---- X25519, hashes, MACs: outputs into the caller's arrays ---- */

/* x25519(out32, scalar32, u32) → true, or false for a low-order u */
void xs_ssc_x25519(xsMachine *the)
{
	uint8_t result[SSC_DH_BYTES];
	int attempt, status = SSC_ERR;
	for (attempt = 0; attempt < 2 && status != 0; attempt++) {
		uint8_t *out = exactly(the, writable(the, &xsArg(0)), SSC_DH_BYTES, "x25519 output");
		uint8_t *scalar = exactly(the, readable(the, &xsArg(1)), SSC_DH_BYTES, "x25519 scalar");
		uint8_t *u = exactly(the, readable(the, &xsArg(2)), SSC_DH_BYTES, "x25519 point");
		status = ssc_x25519(result, scalar, u);
		if (status == 0)
			memcpy(out, result, SSC_DH_BYTES);
		else if (status == SSC_ERR_FULL)
			xsCollectGarbage(); /* then fetch the (possibly moved) buffers again and retry */
		else
			break;
	}
	ssc_wipe(result, sizeof(result));
	if (status == SSC_ERR_FULL)
		xsUnknownError("x25519: the key store is full");
	xsmcSetBoolean(xsResult, status == 0);
}

/* x25519Base(out32, scalar32) */
void xs_ssc_x25519_base(xsMachine *the)
{
	int attempt, status = SSC_ERR;
	for (attempt = 0; attempt < 2 && status != 0; attempt++) {
		uint8_t *out = exactly(the, writable(the, &xsArg(0)), SSC_DH_BYTES, "x25519 output");
		uint8_t *scalar = exactly(the, readable(the, &xsArg(1)), SSC_DH_BYTES, "x25519 scalar");
		status = ssc_x25519_base(out, scalar);
		if (status == SSC_ERR_FULL)
			xsCollectGarbage();
		else if (status != 0)
			break;
	}
	if (status != 0)
		xsUnknownError("x25519: public key failed");
}

/* Arguments first..argc-1 as spans (pointers valid until XS next allocates: use them at once). */
static size_t parts_from(xsMachine *the, int first, ssc_span *parts)
{
	int argc = xsmcArgc, i;
	if (argc - first > MAX_PARTS)
		xsRangeError("crypto: more than %d parts", MAX_PARTS);
	for (i = first; i < argc; i++) {
		buffer_t b = readable(the, &xsArg(i));
		parts[i - first].data = b.data;
		parts[i - first].length = b.length;
	}
	return argc > first ? (size_t)(argc - first) : 0;
}

typedef int (*digest_fn)(uint8_t *out, const ssc_span *parts, size_t count);

static void digest(xsMachine *the, digest_fn fn, xsUnsignedValue size, const char *name)
{
	ssc_span parts[MAX_PARTS];
	uint8_t *out = exactly(the, writable(the, &xsArg(0)), size, name);
	size_t n = parts_from(the, 1, parts);
	if (fn(out, parts, n) != 0)
		xsUnknownError("%s failed", name); /* sha1: Mbed TLS built without SHA-1 (docs/native-crypto.md) */
}

/* sha1(out20, ...parts) / sha256(out32, ...parts) / sha512(out64, ...parts) */
void xs_ssc_sha1(xsMachine *the)
{
	digest(the, ssc_sha1, SSC_SHA1_BYTES, "sha1");
}

void xs_ssc_sha256(xsMachine *the)
{
	digest(the, ssc_sha256, SSC_SHA256_BYTES, "sha256");
}

void xs_ssc_sha512(xsMachine *the)
{
	digest(the, ssc_sha512, SSC_SHA512_BYTES, "sha512");
}

typedef int (*hmac_fn)(uint8_t *out, const uint8_t *key, size_t key_len, const ssc_span *parts, size_t count);

static void hmac(xsMachine *the, hmac_fn fn, xsUnsignedValue size)
{
	ssc_span parts[MAX_PARTS];
	int attempt, status = SSC_ERR;
	for (attempt = 0; attempt < 2 && status != 0; attempt++) {
		uint8_t *out = exactly(the, writable(the, &xsArg(0)), size, "hmac output");
		buffer_t key = readable(the, &xsArg(1));
		size_t n = parts_from(the, 2, parts);
		status = fn(out, key.data, key.length, parts, n);
		if (status == SSC_ERR_FULL)
			xsCollectGarbage();
		else if (status != 0)
			break;
	}
	if (status != 0)
		xsUnknownError("hmac failed");
}

/* hmacSha256(out32, key, ...parts) / hmacSha512(out64, key, ...parts) */
void xs_ssc_hmac_sha256(xsMachine *the)
{
	hmac(the, ssc_hmac_sha256, SSC_SHA256_BYTES);
}

void xs_ssc_hmac_sha512(xsMachine *the)
{
	hmac(the, ssc_hmac_sha512, SSC_SHA512_BYTES);
}

/* hkdf(out64|out96, ck32, ikm, count) */
void xs_ssc_hkdf(xsMachine *the)
{
	int count = xsmcToInteger(xsArg(3)), attempt, status = SSC_ERR;
	if (count != 2 && count != 3)
		xsRangeError("hkdf: 2 or 3 outputs");
	for (attempt = 0; attempt < 2 && status != 0; attempt++) {
		uint8_t *out = exactly(the, writable(the, &xsArg(0)), (xsUnsignedValue)count * SSC_SHA256_BYTES, "hkdf output");
		uint8_t *ck = exactly(the, readable(the, &xsArg(1)), SSC_SHA256_BYTES, "hkdf chaining key");
		buffer_t ikm = readable(the, &xsArg(2));
		status = ssc_hkdf_noise(out, ck, ikm.data, ikm.length, count);
		if (status == SSC_ERR_FULL)
			xsCollectGarbage();
		else if (status != 0)
			break;
	}
	if (status != 0)
		xsUnknownError("hkdf failed");
}

/* ---- the WebSocket receive path's one per-byte loop ---- */

/* xorMask(buf, from, to, mask4, phase): buf[i] ^= mask[(phase + i - from) & 3] for i in [from, to) (RFC 6455
   unmasking in place; the Unmasker of modules/websocket/frames.ts). A bad range throws: the decoder's bug. */
void xs_ssc_xor_mask(xsMachine *the)
{
	xsIntegerValue from = xsmcToInteger(xsArg(1)), to = xsmcToInteger(xsArg(2)), phase = xsmcToInteger(xsArg(4)) & 3;
	buffer_t buf = writable(the, &xsArg(0));
	uint8_t *m = exactly(the, readable(the, &xsArg(3)), 4, "mask");
	uint8_t k[4];
	uint32_t word;
	uint8_t *p, *end;
	if (from < 0 || to < from || (xsUnsignedValue)to > buf.length)
		xsRangeError("xorMask: bad range");
	p = buf.data + from;
	end = buf.data + to;
	k[0] = m[phase];
	k[1] = m[(phase + 1) & 3];
	k[2] = m[(phase + 2) & 3];
	k[3] = m[(phase + 3) & 3];
	/* byte by byte to a word boundary of the mask phase, then a word at a time (memcpy: no alignment assumption) */
	while (p < end && ((uintptr_t)(p - (buf.data + from)) & 3)) {
		*p ^= k[(p - (buf.data + from)) & 3];
		p++;
	}
	memcpy(&word, k, 4);
	while (end - p >= 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		v ^= word;
		memcpy(p, &v, 4);
		p += 4;
	}
	while (p < end) {
		*p ^= k[(p - (buf.data + from)) & 3];
		p++;
	}
}
