/*
 * sha256.h -- SHA-256 (FIPS 180-4), small and dependency-free.
 *
 * The AWS adapters need SHA-256 twice: the x-amz-content-sha256 header S3
 * wants with every request (libcurl 7.88 does not add it), and Athena's
 * ClientRequestToken, derived from the query text so that a retried run
 * names the same query.  libcurl happens to link a TLS library here, but
 * the module does not rely on what libcurl was built with, so this unit
 * carries its own implementation, checked against the FIPS 180-4 / NIST
 * test vectors in tests/unit/test_sha256.c.
 *
 * Ownership: a context is a plain value the caller owns; nothing here
 * allocates.  Not for secrets that must be wiped: the context keeps the
 * last partial block until the caller clears it.
 */
#ifndef AWC_SHA256_H
#define AWC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define AWC_SHA256_LEN 32
#define AWC_SHA256_HEXLEN 64
/* SHA-256 of no bytes: what S3 wants in x-amz-content-sha256 for a GET. */
#define AWC_SHA256_EMPTY_HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct awc_sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;                /* message length so far */
    uint8_t block[64];
    size_t fill;                   /* bytes waiting in block */
} awc_sha256_ctx;

/* Start a new hash. */
void awc_sha256_init(awc_sha256_ctx *c);
/* Add n bytes (n may be 0; data may be NULL then). */
void awc_sha256_update(awc_sha256_ctx *c, const void *data, size_t n);
/* Finish: the 32-byte digest into out.  c must be initialised again
 * before reuse. */
void awc_sha256_final(awc_sha256_ctx *c, uint8_t out[AWC_SHA256_LEN]);

/* One call: digest of n bytes. */
void awc_sha256(uint8_t out[AWC_SHA256_LEN], const void *data, size_t n);
/* One call: lower-case hex digest, NUL-terminated (65 bytes). */
void awc_sha256_hex(char out[AWC_SHA256_HEXLEN + 1], const void *data, size_t n);
/* Lower-case hex of a finished digest into out (65 bytes). */
void awc_sha256_tohex(char out[AWC_SHA256_HEXLEN + 1], const uint8_t digest[AWC_SHA256_LEN]);

#endif /* AWC_SHA256_H */
