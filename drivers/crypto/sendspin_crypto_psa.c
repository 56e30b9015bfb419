/*
 * sendspin_crypto.h over the PSA Crypto API (Mbed TLS): what ESP-IDF 6.0 offers natively (Mbed TLS 4,
 * where PSA is the crypto interface and the legacy mbedtls_* primitives are gone; ESP-IDF plugs its
 * AES/SHA accelerators in as PSA drivers). Only PSA calls present in both Mbed TLS 2.28 (Debian 12's
 * libmbedtls-dev, the desktop stand-in) and 4.x are used.
 *
 * Notes for the device build (see docs/native-crypto.md):
 * - Mbed TLS 3.6+ copies caller buffers inside PSA calls unless MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS is
 *   set; the copies are heap allocations per AEAD call. ESP-IDF 6.0's esp_config.h sets it (our buffers are
 *   never shared with another thread). Its comment says overlapping input and output are then unsupported;
 *   the seal/open below work in place, which Mbed TLS's own GCM and ChaCha20-Poly1305 allow: whether ESP-IDF's
 *   AES-GCM driver does is for the known-answer tests on a chip (docs/esp32.md).
 * - The AEAD key is imported once per cipher state; the library still runs its key schedule per message
 *   (AES expansion and the GHASH table for GCM, a 64-byte state for ChaCha20), which is cheap next to the
 *   3.8 KB of a 20 ms audio frame.
 */

#include "sendspin_crypto.h"

#if defined(ESP_PLATFORM)
/* Moddable compiles this file with its own make, outside ESP-IDF's CMake: it must see the configuration that
   ESP-IDF's mbedtls component gives the library (components/mbedtls/CMakeLists.txt), or the PSA operation
   structures declared here (hash, MAC) differ in size and layout from the library's. The include folders come
   from drivers/crypto/manifest.json. */
#include "esp_idf_version.h"
#ifndef MBEDTLS_CONFIG_FILE
#define MBEDTLS_CONFIG_FILE "mbedtls/esp_config.h"
#endif
#if ESP_IDF_VERSION_MAJOR >= 6
/* Mbed TLS 4: the crypto half is TF-PSA-Crypto, configured by the same ESP-IDF file. */
#ifndef TF_PSA_CRYPTO_USER_CONFIG_FILE
#define TF_PSA_CRYPTO_USER_CONFIG_FILE "mbedtls/esp_config.h"
#endif
#ifndef MBEDTLS_MAJOR_VERSION
#define MBEDTLS_MAJOR_VERSION 4
#endif
#endif
#endif

#include <psa/crypto.h>
#include <string.h>

static int gInitialized = 0;

int ssc_init(void)
{
	if (gInitialized)
		return 0;
	if (psa_crypto_init() != PSA_SUCCESS)
		return -1;
	gInitialized = 1;
	return 0;
}

void ssc_wipe(void *p, size_t n)
{
	/* A volatile function pointer: the compiler cannot prove the store is dead and drop it. */
	static void *(*const volatile wipe)(void *, int, size_t) = memset;
	if (p && n)
		wipe(p, 0, n);
}

/* The failure code for a PSA status: SSC_ERR_FULL when the key store or the library's heap ran out. */
static int failure(psa_status_t status)
{
	return status == PSA_ERROR_INSUFFICIENT_MEMORY ? SSC_ERR_FULL : SSC_ERR;
}

static psa_algorithm_t suite_alg(int suite)
{
	return suite == SSC_CHACHAPOLY ? PSA_ALG_CHACHA20_POLY1305 : PSA_ALG_GCM;
}

void ssc_noise_nonce(int suite, int32_t nonce_hi, int32_t nonce_lo, uint8_t nonce[SSC_NONCE_BYTES])
{
	uint32_t hi = (uint32_t)nonce_hi, lo = (uint32_t)nonce_lo;
	int i;
	memset(nonce, 0, 4);
	for (i = 0; i < 4; i++) {
		if (suite == SSC_CHACHAPOLY) {
			/* little-endian 64-bit counter: low word first, least significant byte first */
			nonce[4 + i] = (uint8_t)(lo >> (8 * i));
			nonce[8 + i] = (uint8_t)(hi >> (8 * i));
		}
		else {
			/* big-endian 64-bit counter: high word first, most significant byte first */
			nonce[7 - i] = (uint8_t)(hi >> (8 * i));
			nonce[11 - i] = (uint8_t)(lo >> (8 * i));
		}
	}
}

int ssc_aead_init(ssc_aead *aead, int suite, const uint8_t key[SSC_KEY_BYTES])
{
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;
	psa_status_t status;
	memset(aead, 0, sizeof(*aead));
	if ((suite != SSC_CHACHAPOLY && suite != SSC_AESGCM) || ssc_init() != 0)
		return -1;
	psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
	psa_set_key_algorithm(&attributes, suite_alg(suite));
	psa_set_key_type(&attributes, suite == SSC_CHACHAPOLY ? PSA_KEY_TYPE_CHACHA20 : PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attributes, 256);
	status = psa_import_key(&attributes, key, SSC_KEY_BYTES, &id);
	psa_reset_key_attributes(&attributes);
	if (status != PSA_SUCCESS)
		return failure(status);
	aead->key = id;
	aead->alg = suite_alg(suite);
	aead->suite = suite;
	return 0;
}

int ssc_aead_seal_nonce(const ssc_aead *aead, const uint8_t nonce[SSC_NONCE_BYTES], const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len)
{
	size_t written = 0;
	if (!aead->key)
		return -1;
	/* In place: the plaintext and the ciphertext buffers are the same bytes (Mbed TLS's GCM and ChaCha20-Poly1305
	   read each input byte before writing the output byte at the same index). */
	if (psa_aead_encrypt(aead->key, aead->alg, nonce, SSC_NONCE_BYTES, ad, ad_len, buf, len, buf, len + SSC_TAG_BYTES, &written) != PSA_SUCCESS)
		return -1;
	return written == len + SSC_TAG_BYTES ? 0 : -1;
}

int ssc_aead_open_nonce(const ssc_aead *aead, const uint8_t nonce[SSC_NONCE_BYTES], const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len)
{
	size_t written = 0;
	if (!aead->key || len < SSC_TAG_BYTES)
		return -1;
	if (psa_aead_decrypt(aead->key, aead->alg, nonce, SSC_NONCE_BYTES, ad, ad_len, buf, len, buf, len - SSC_TAG_BYTES, &written) != PSA_SUCCESS)
		return -1;
	return written == len - SSC_TAG_BYTES ? 0 : -1;
}

int ssc_aead_seal(const ssc_aead *aead, int32_t nonce_hi, int32_t nonce_lo, const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len)
{
	uint8_t nonce[SSC_NONCE_BYTES];
	ssc_noise_nonce(aead->suite, nonce_hi, nonce_lo, nonce);
	return ssc_aead_seal_nonce(aead, nonce, ad, ad_len, buf, len);
}

int ssc_aead_open(const ssc_aead *aead, int32_t nonce_hi, int32_t nonce_lo, const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len)
{
	uint8_t nonce[SSC_NONCE_BYTES];
	ssc_noise_nonce(aead->suite, nonce_hi, nonce_lo, nonce);
	return ssc_aead_open_nonce(aead, nonce, ad, ad_len, buf, len);
}

void ssc_aead_wipe(ssc_aead *aead)
{
	if (aead->key)
		psa_destroy_key(aead->key);
	aead->key = 0;
}

int ssc_suite_built(int suite)
{
	switch (suite) {
	case SSC_CHACHAPOLY:
#if defined(PSA_WANT_ALG_CHACHA20_POLY1305) && defined(PSA_WANT_KEY_TYPE_CHACHA20)
		return 1;
#else
		return 0;
#endif
	case SSC_AESGCM:
#if defined(PSA_WANT_ALG_GCM) && defined(PSA_WANT_KEY_TYPE_AES)
		return 1;
#else
		return 0;
#endif
	default:
		return 0;
	}
}

int ssc_suite_available(int suite)
{
	static const uint8_t key[SSC_KEY_BYTES] = { 1 };
	uint8_t probe[1 + SSC_TAG_BYTES] = { 0 };
	ssc_aead aead;
	int ok;
	if (!ssc_suite_built(suite) || ssc_aead_init(&aead, suite, key) != 0)
		return 0;
	ok = ssc_aead_seal(&aead, 0, 0, NULL, 0, probe, 1) == 0 && ssc_aead_open(&aead, 0, 0, NULL, 0, probe, sizeof(probe)) == 0;
	ssc_aead_wipe(&aead);
	return ok;
}

/* An X25519 private key in the PSA key store, for one key agreement or one public-key export. */
static int import_x25519(const uint8_t scalar[SSC_DH_BYTES], psa_key_id_t *id)
{
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_status_t status;
	if (ssc_init() != 0)
		return -1;
	psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_DERIVE);
	psa_set_key_algorithm(&attributes, PSA_ALG_ECDH);
	psa_set_key_type(&attributes, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY));
	psa_set_key_bits(&attributes, 255);
	/* The library clamps the scalar as RFC 7748 §5 says (the caller's bytes are the raw private key). */
	status = psa_import_key(&attributes, scalar, SSC_DH_BYTES, id);
	psa_reset_key_attributes(&attributes);
	return status == PSA_SUCCESS ? 0 : failure(status);
}

int ssc_x25519(uint8_t out[SSC_DH_BYTES], const uint8_t scalar[SSC_DH_BYTES], const uint8_t u[SSC_DH_BYTES])
{
	psa_key_id_t id;
	psa_status_t status;
	size_t written = 0, i;
	uint8_t any = 0;
	int imported = import_x25519(scalar, &id);
	if (imported != 0)
		return imported;
	/* Mbed TLS refuses the known low-order points outright; the all-zero check below covers any other
	   library (RFC 7748 §6.1: an all-zero shared secret must be rejected). */
	status = psa_raw_key_agreement(PSA_ALG_ECDH, id, u, SSC_DH_BYTES, out, SSC_DH_BYTES, &written);
	psa_destroy_key(id);
	if (status != PSA_SUCCESS || written != SSC_DH_BYTES)
		return -1;
	for (i = 0; i < SSC_DH_BYTES; i++)
		any |= out[i];
	return any ? 0 : -1;
}

int ssc_x25519_base(uint8_t out[SSC_DH_BYTES], const uint8_t scalar[SSC_DH_BYTES])
{
	psa_key_id_t id;
	psa_status_t status;
	size_t written = 0;
	int imported = import_x25519(scalar, &id);
	if (imported != 0)
		return imported;
	status = psa_export_public_key(id, out, SSC_DH_BYTES, &written);
	psa_destroy_key(id);
	return status == PSA_SUCCESS && written == SSC_DH_BYTES ? 0 : -1;
}

static int hash_parts(psa_algorithm_t alg, uint8_t *out, size_t out_len, const ssc_span *parts, size_t count)
{
	psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;
	size_t written = 0, i;
	if (ssc_init() != 0 || psa_hash_setup(&op, alg) != PSA_SUCCESS)
		return -1;
	for (i = 0; i < count; i++) {
		if (psa_hash_update(&op, parts[i].data, parts[i].length) != PSA_SUCCESS) {
			psa_hash_abort(&op);
			return -1;
		}
	}
	if (psa_hash_finish(&op, out, out_len, &written) != PSA_SUCCESS) {
		psa_hash_abort(&op);
		return -1;
	}
	return written == out_len ? 0 : -1;
}

int ssc_sha1(uint8_t out[SSC_SHA1_BYTES], const ssc_span *parts, size_t count)
{
	return hash_parts(PSA_ALG_SHA_1, out, SSC_SHA1_BYTES, parts, count);
}

int ssc_sha256(uint8_t out[SSC_SHA256_BYTES], const ssc_span *parts, size_t count)
{
	return hash_parts(PSA_ALG_SHA_256, out, SSC_SHA256_BYTES, parts, count);
}

int ssc_sha512(uint8_t out[SSC_SHA512_BYTES], const ssc_span *parts, size_t count)
{
	return hash_parts(PSA_ALG_SHA_512, out, SSC_SHA512_BYTES, parts, count);
}

static int hmac_parts(psa_algorithm_t hash, uint8_t *out, size_t out_len, const uint8_t *key, size_t key_len, const ssc_span *parts, size_t count)
{
	static const uint8_t zero = 0;
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	psa_key_id_t id = 0;
	psa_status_t status;
	size_t written = 0, i;
	int result = -1;
	if (ssc_init() != 0)
		return -1;
	/* PSA may refuse a zero-length key. HMAC pads the key with zero bytes to the block size, so the empty key
	   and the one-byte key 0x00 are the same key. */
	if (key_len == 0) {
		key = &zero;
		key_len = 1;
	}
	psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_SIGN_MESSAGE);
	psa_set_key_algorithm(&attributes, PSA_ALG_HMAC(hash));
	psa_set_key_type(&attributes, PSA_KEY_TYPE_HMAC);
	status = psa_import_key(&attributes, key, key_len, &id);
	psa_reset_key_attributes(&attributes);
	if (status != PSA_SUCCESS)
		return failure(status);
	if (psa_mac_sign_setup(&op, id, PSA_ALG_HMAC(hash)) != PSA_SUCCESS)
		goto done;
	for (i = 0; i < count; i++)
		if (psa_mac_update(&op, parts[i].data, parts[i].length) != PSA_SUCCESS)
			goto done;
	if (psa_mac_sign_finish(&op, out, out_len, &written) == PSA_SUCCESS && written == out_len)
		result = 0;
done:
	psa_mac_abort(&op);
	psa_destroy_key(id);
	return result;
}

int ssc_hmac_sha256(uint8_t out[SSC_SHA256_BYTES], const uint8_t *key, size_t key_len, const ssc_span *parts, size_t count)
{
	return hmac_parts(PSA_ALG_SHA_256, out, SSC_SHA256_BYTES, key, key_len, parts, count);
}

int ssc_hmac_sha512(uint8_t out[SSC_SHA512_BYTES], const uint8_t *key, size_t key_len, const ssc_span *parts, size_t count)
{
	return hmac_parts(PSA_ALG_SHA_512, out, SSC_SHA512_BYTES, key, key_len, parts, count);
}

int ssc_hkdf_noise(uint8_t *out, const uint8_t ck[SSC_SHA256_BYTES], const uint8_t *ikm, size_t ikm_len, int count)
{
	/* Noise §4.3: temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01); out_i = HMAC(temp, out_{i-1} || i). */
	uint8_t temp[SSC_SHA256_BYTES];
	uint8_t index;
	ssc_span part[2];
	int i, result = 0;
	if (count != 2 && count != 3)
		return -1;
	part[0].data = ikm;
	part[0].length = ikm_len;
	result = ssc_hmac_sha256(temp, ck, SSC_SHA256_BYTES, part, 1);
	if (result != 0)
		return result;
	for (i = 0; i < count && result == 0; i++) {
		index = (uint8_t)(i + 1);
		part[0].data = i ? out + (i - 1) * SSC_SHA256_BYTES : out;
		part[0].length = i ? SSC_SHA256_BYTES : 0;
		part[1].data = &index;
		part[1].length = 1;
		result = ssc_hmac_sha256(out + i * SSC_SHA256_BYTES, temp, SSC_SHA256_BYTES, part, 2);
	}
	ssc_wipe(temp, sizeof(temp));
	return result;
}
