/*
 * The native crypto core of the speaker: the primitives behind the CryptoProvider port, in C, independent
 * of XS and of the library underneath (sendspin_crypto_psa.c implements it over the PSA Crypto API of
 * Mbed TLS: ESP-IDF 6.0 ships Mbed TLS 4, Debian's libmbedtls-dev stands in for it on a desktop).
 *
 * Shape rules (the same as crypto/provider.ts):
 * - AEAD works in place: seal encrypts buf[0, len) and appends the 16-byte tag; open verifies the tag that
 *   follows the ciphertext and decrypts in place. The Noise nonce is the 64-bit counter as two int32
 *   halves, laid out per suite (ChaChaPoly: 4 zero bytes + LE64; AESGCM: 4 zero bytes + BE64).
 * - A key is bound once per cipher state (ssc_aead_init) and used for every message of that state; the
 *   transport path makes no allocation of its own.
 * - Multi-part hashing/MAC takes an array of spans, so one call covers what the JavaScript side passes as
 *   `...parts` and no library state crosses the binding.
 * Every function returns 0 on success and a negative value on failure; outputs are then unspecified.
 * SSC_ERR_FULL says the library's key store (a fixed number of slots on the device) or its heap is full:
 * the caller may release keys (in XS: collect garbage, which runs the destructors of lost AEADs) and retry.
 */

#ifndef SENDSPIN_CRYPTO_H
#define SENDSPIN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Suite numbers: the order of SUITES in crypto/provider.ts. */
#define SSC_CHACHAPOLY 0
#define SSC_AESGCM 1
#define SSC_SUITE_COUNT 2

#define SSC_ERR (-1)
#define SSC_ERR_FULL (-2)

#define SSC_KEY_BYTES 32
#define SSC_TAG_BYTES 16
#define SSC_NONCE_BYTES 12
#define SSC_DH_BYTES 32
#define SSC_SHA1_BYTES 20
#define SSC_SHA256_BYTES 32
#define SSC_SHA512_BYTES 64

typedef struct {
	const uint8_t *data;
	size_t length;
} ssc_span;

/* Library start-up (psa_crypto_init); idempotent. */
int ssc_init(void);

/* 1 when the library this file was compiled against was configured with the suite's AEAD and key type (the
   build's PSA_WANT_* macros: ESP-IDF's sdkconfig decides them), else 0. */
int ssc_suite_built(int suite);
/* 1 when the library built here serves the suite's AEAD, else 0 (checked by sealing a probe message). */
int ssc_suite_available(int suite);

/* A keyed AEAD: the library's key handle and algorithm. Plain data, no pointers into the caller. */
typedef struct {
	uint32_t key;     /* PSA key id, 0 when not keyed */
	uint32_t alg;     /* PSA algorithm */
	int32_t suite;
} ssc_aead;

int ssc_aead_init(ssc_aead *aead, int suite, const uint8_t key[SSC_KEY_BYTES]);
/* Encrypts buf[0, len) in place and writes the tag at buf[len, len + 16): the caller provides the room. */
int ssc_aead_seal(const ssc_aead *aead, int32_t nonce_hi, int32_t nonce_lo, const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len);
/* buf[0, len) is ciphertext || tag (len >= 16); on success buf[0, len - 16) holds the plaintext. */
int ssc_aead_open(const ssc_aead *aead, int32_t nonce_hi, int32_t nonce_lo, const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len);
/* Forgets the key (destroys the library's copy). Safe to call twice. */
void ssc_aead_wipe(ssc_aead *aead);
/* The 12-byte nonce of a Noise counter for a suite (exposed for tests). */
void ssc_noise_nonce(int suite, int32_t nonce_hi, int32_t nonce_lo, uint8_t nonce[SSC_NONCE_BYTES]);
/* AEAD with an explicit 12-byte nonce (the RFC test vectors use nonces outside the Noise layout). */
int ssc_aead_seal_nonce(const ssc_aead *aead, const uint8_t nonce[SSC_NONCE_BYTES], const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len);
int ssc_aead_open_nonce(const ssc_aead *aead, const uint8_t nonce[SSC_NONCE_BYTES], const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len);

/* X25519 (RFC 7748). Fails on a low-order u (an all-zero shared secret), like the portable backend. */
int ssc_x25519(uint8_t out[SSC_DH_BYTES], const uint8_t scalar[SSC_DH_BYTES], const uint8_t u[SSC_DH_BYTES]);
/* X25519(scalar, 9): the public key of a private scalar. */
int ssc_x25519_base(uint8_t out[SSC_DH_BYTES], const uint8_t scalar[SSC_DH_BYTES]);

/* SHA-1: only for the WebSocket handshake's Sec-WebSocket-Accept (RFC 6455), never for security. */
int ssc_sha1(uint8_t out[SSC_SHA1_BYTES], const ssc_span *parts, size_t count);
int ssc_sha256(uint8_t out[SSC_SHA256_BYTES], const ssc_span *parts, size_t count);
int ssc_sha512(uint8_t out[SSC_SHA512_BYTES], const ssc_span *parts, size_t count);
int ssc_hmac_sha256(uint8_t out[SSC_SHA256_BYTES], const uint8_t *key, size_t key_len, const ssc_span *parts, size_t count);
int ssc_hmac_sha512(uint8_t out[SSC_SHA512_BYTES], const uint8_t *key, size_t key_len, const ssc_span *parts, size_t count);
/* Noise's HKDF (§4.3): HMAC-SHA-256 with the chaining key as salt and empty info; writes count (2 or 3) × 32 bytes. */
int ssc_hkdf_noise(uint8_t *out, const uint8_t ck[SSC_SHA256_BYTES], const uint8_t *ikm, size_t ikm_len, int count);

/* Overwrites memory in a way the compiler may not elide. */
void ssc_wipe(void *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif
