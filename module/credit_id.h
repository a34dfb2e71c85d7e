/*
 * credit_id.h -- Connect-style credit IDs (SPEC section 5.3).
 *
 * "AWSC-DDDDDD-DDDD-DDDD": the 13-digit, zero-padded, never-reused sequence
 * number from the database, then one Damm check digit over those 13 digits.
 * The prefix is configurable (ids.prefix); parsing compares it without
 * regard to case.  The Damm algorithm catches every single-digit error and
 * every transposition of adjacent digits.
 */
#ifndef AWC_CREDIT_ID_H
#define AWC_CREDIT_ID_H

#include <stddef.h>
#include <stdint.h>

#define AWC_CREDIT_SEQ_MAX UINT64_C(9999999999999)
#define AWC_CREDIT_ID_BUFSZ 48
#define AWC_CREDIT_PREFIX_MAX 16

/* Damm check digit (0..9) of n ASCII digits; -1 if a byte is not a digit. */
int awc_damm_digit(const char *digits, size_t n);

/* Format seq (1..AWC_CREDIT_SEQ_MAX) with prefix into buf.  Returns the
 * length, AWC_EOVERFLOW if seq is out of range or buf too small. */
int awc_credit_id_format(char *buf, size_t n, const char *prefix, uint64_t seq);

/* Parse an ID.  AWC_EBADINPUT with a message that says what is wrong
 * (prefix, shape, a non-digit, or "wrong check digit") and *out unchanged. */
int awc_credit_id_parse(uint64_t *out, const char *id, const char *prefix);

/* A prefix is 1..16 ASCII letters or digits; 0 or AWC_ECONFIG. */
int awc_credit_prefix_check(const char *prefix);

#endif /* AWC_CREDIT_ID_H */
