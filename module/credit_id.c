/*
 * credit_id.c -- Connect-style credit IDs "PREFIX-DDDDDD-DDDD-DDDD" with a
 * Damm check digit (SPEC section 5.3).
 *
 * The 14 digits are the 13-digit zero-padded sequence number and the Damm
 * digit of those 13.  Parsing checks, in order: the shape, the prefix
 * (without regard to case), that every digit place holds a digit, the
 * check digit, and that the sequence number is not 0; the message says
 * which of these failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "awc.h"
#include "credit_id.h"

#define SEQ_DIGITS 13
#define ALL_DIGITS 14
/* "-DDDDDD-DDDD-DDDD" after the prefix. */
#define TAIL_LEN 17
#define QUOTE_MAX 40

/*
 * The order-10 weakly totally anti-symmetric quasigroup of Damm's thesis
 * (2004), as printed in most references: row = interim digit, column = next
 * digit.  The diagonal is 0, so a number followed by its check digit has
 * check digit 0.
 */
static const unsigned char damm[10][10] = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
    {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
    {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
    {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
    {6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
    {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
    {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
    {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
    {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int awc_damm_digit(const char *digits, size_t n)
{
    unsigned interim = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (!is_digit(digits[i]))
            return -1;
        interim = damm[interim][digits[i] - '0'];
    }
    return (int)interim;
}

int awc_credit_prefix_check(const char *prefix)
{
    size_t i, len = prefix ? strlen(prefix) : 0;

    for (i = 0; i < len && i <= AWC_CREDIT_PREFIX_MAX; i++)
        if (!is_alnum(prefix[i]))
            break;
    if (len == 0 || len > AWC_CREDIT_PREFIX_MAX || i != len)
        return awc_error_set(AWC_ECONFIG,
                             "ids.prefix '%.*s%s': must be 1 to %d ASCII letters or digits",
                             len > QUOTE_MAX ? QUOTE_MAX : (int)len, prefix ? prefix : "",
                             len > QUOTE_MAX ? "..." : "", AWC_CREDIT_PREFIX_MAX);
    return 0;
}

int awc_credit_id_format(char *buf, size_t n, const char *prefix, uint64_t seq)
{
    char d[ALL_DIGITS + 1];
    int rc, len;

    if ((rc = awc_credit_prefix_check(prefix)) != 0)
        return rc;
    if (seq < 1 || seq > AWC_CREDIT_SEQ_MAX)
        return awc_error_set(AWC_EOVERFLOW, "credit sequence number %" PRIu64
                             " outside 1..%" PRIu64, seq, AWC_CREDIT_SEQ_MAX);
    snprintf(d, sizeof(d), "%013" PRIu64, seq);
    d[SEQ_DIGITS] = (char)('0' + awc_damm_digit(d, SEQ_DIGITS));
    d[ALL_DIGITS] = '\0';
    len = snprintf(buf, n, "%s-%.6s-%.4s-%.4s", prefix, d, d + 6, d + 10);
    if (len < 0 || (size_t)len >= n) {
        if (buf && n > 0)
            buf[0] = '\0';
        return awc_error_set(AWC_EOVERFLOW, "buffer of %zu bytes too small for a credit ID", n);
    }
    return len;
}

/* --- parse ----------------------------------------------------------------------- */

/* Say what is wrong with id, quoted and cut to QUOTE_MAX bytes. */
static int bad_id(const char *id, const char *what)
{
    size_t len = strlen(id);
    return awc_error_set(AWC_EBADINPUT, "credit ID '%.*s%s': %s",
                         len > QUOTE_MAX ? QUOTE_MAX : (int)len, id,
                         len > QUOTE_MAX ? "..." : "", what);
}

/* Is the dash/digit-place layout right: "P-xxxxxx-xxxx-xxxx" with a prefix
 * of 1..AWC_CREDIT_PREFIX_MAX bytes that holds no dash? */
static int shape_ok(const char *id, size_t len)
{
    size_t plen, i;
    const char *t;

    if (len < TAIL_LEN + 1 || len > TAIL_LEN + AWC_CREDIT_PREFIX_MAX)
        return 0;
    plen = len - TAIL_LEN;
    t = id + plen;
    if (t[0] != '-' || t[7] != '-' || t[12] != '-')
        return 0;
    for (i = 0; i < plen; i++)
        if (id[i] == '-')
            return 0;
    for (i = 1; i < TAIL_LEN; i++)
        if (i != 7 && i != 12 && t[i] == '-')
            return 0;
    return 1;
}

static int prefix_matches(const char *id, size_t plen, const char *prefix)
{
    size_t i;

    if (strlen(prefix) != plen)
        return 0;
    for (i = 0; i < plen; i++)
        if (lower(id[i]) != lower(prefix[i]))
            return 0;
    return 1;
}

/* Gather the 14 digits of the tail into d; 0, or the 1-based position in
 * the whole ID of the first digit place that holds something else. */
static size_t gather_digits(char *d, const char *id, size_t plen)
{
    const char *t = id + plen;
    size_t i, k = 0;

    for (i = 1; i < TAIL_LEN; i++) {
        if (i == 7 || i == 12)
            continue;
        if (!is_digit(t[i]))
            return plen + i + 1;
        d[k++] = t[i];
    }
    d[k] = '\0';
    return 0;
}

static int not_a_digit(const char *id, size_t pos)
{
    char what[96];
    unsigned char c = (unsigned char)id[pos - 1];

    if (c > 0x20 && c < 0x7f)
        snprintf(what, sizeof(what), "'%c' at position %zu is not a digit", c, pos);
    else
        snprintf(what, sizeof(what), "byte 0x%02x at position %zu is not a digit", c, pos);
    return bad_id(id, what);
}

int awc_credit_id_parse(uint64_t *out, const char *id, const char *prefix)
{
    char d[ALL_DIGITS + 1], what[96];
    size_t len, plen, bad;
    uint64_t seq = 0;
    int rc, i;

    if ((rc = awc_credit_prefix_check(prefix)) != 0)
        return rc;
    if (!id)
        return awc_error_set(AWC_EBADINPUT, "credit ID missing");
    len = strlen(id);
    if (!shape_ok(id, len)) {
        snprintf(what, sizeof(what), "expected %s-DDDDDD-DDDD-DDDD", prefix);
        return bad_id(id, what);
    }
    plen = len - TAIL_LEN;
    if (!prefix_matches(id, plen, prefix)) {
        snprintf(what, sizeof(what), "unknown prefix '%.*s' (expected '%s')", (int)plen, id, prefix);
        return bad_id(id, what);
    }
    if ((bad = gather_digits(d, id, plen)) != 0)
        return not_a_digit(id, bad);
    if (awc_damm_digit(d, ALL_DIGITS) != 0)
        return bad_id(id, "wrong check digit");
    for (i = 0; i < SEQ_DIGITS; i++)
        seq = seq * 10 + (uint64_t)(d[i] - '0');
    if (seq == 0)
        return bad_id(id, "sequence number 0 is never issued");
    *out = seq;
    return 0;
}
