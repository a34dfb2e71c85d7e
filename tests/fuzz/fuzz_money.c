/*
 * fuzz_money.c -- money and percentage text (module/money.h, rules/split.h).
 *
 * The whole input is one text.  Checks, each an abort() when it fails:
 *   - awc_money_parse: a value that parses formats (awc_money_format) to
 *     text that parses back to the same value;
 *   - awc_money_parse_minor for every exponent 0..4: the minor units format
 *     (awc_money_format_minor) and parse back to the same count, and agree
 *     with awc_money_parse (the same text is the same amount exactly:
 *     awc_money_from_minor and awc_money_to_minor give it back);
 *   - awc_money_to_minor of a parsed value is within half a minor unit;
 *   - awc_percent_parse: 0..10000 basis points, and awc_percent_format
 *     parses back to the same value;
 *   - when the text is "A,B" and both halves parse, awc_money_add agrees
 *     with 128-bit arithmetic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "money.h"
#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_money: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static int64_t pow10i(int e)
{
    int64_t p = 1;
    while (e-- > 0)
        p *= 10;
    return p;
}

static void check_amount(const char *s, size_t n)
{
    char buf[AWC_MONEY_BUFSZ];
    awc_amount a = 0, b = 0;
    int len, e;

    if (awc_money_parse(&a, s, n) != 0)
        return;
    len = awc_money_format(buf, sizeof(buf), a);
    CHECK(len > 0 && (size_t)len < sizeof(buf) && strlen(buf) == (size_t)len);
    CHECK(awc_money_parse(&b, buf, (size_t)len) == 0);
    CHECK(a == b);

    /* rounding to minor units moves the value by at most half a unit */
    for (e = 0; e <= 4; e++) {
        int64_t m = 0, unit = pow10i(AWC_MONEY_SCALE - e);
        awc_amount back = 0;
        __int128 diff;
        CHECK(awc_money_to_minor(&m, a, e) == 0);
        if (awc_money_from_minor(&back, m, e) != 0)
            continue;          /* rounded up past the range: only at the very ends */
        diff = (__int128)back - a;
        if (diff < 0)
            diff = -diff;
        CHECK(2 * diff <= unit);
    }
}

static void check_minor(const char *s, size_t n)
{
    char buf[AWC_MONEY_BUFSZ];
    int e;

    for (e = 0; e <= 4; e++) {
        int64_t m = 0, m2 = 0, m3 = 0;
        awc_amount a = 0, b = 0;
        int len;

        if (awc_money_parse_minor(&m, s, n, e) != 0)
            continue;
        len = awc_money_format_minor(buf, sizeof(buf), m, e);
        CHECK(len > 0 && (size_t)len < sizeof(buf));
        CHECK(awc_money_parse_minor(&m2, buf, (size_t)len, e) == 0);
        CHECK(m == m2);
        /* the same text read as an amount is the same value, exactly */
        CHECK(awc_money_parse(&a, s, n) == 0);
        CHECK(awc_money_from_minor(&b, m, e) == 0);
        CHECK(a == b);
        CHECK(awc_money_to_minor(&m3, a, e) == 0);
        CHECK(m3 == m);
    }
}

static void check_percent(const char *s, size_t n)
{
    char buf[32];
    int32_t bp = -1, bp2 = -1;
    int len;

    if (awc_percent_parse(&bp, s, n) != 0)
        return;
    CHECK(bp >= 0 && bp <= AWC_BP_FULL);
    len = awc_percent_format(buf, sizeof(buf), bp);
    CHECK(len > 0 && (size_t)len < sizeof(buf));
    CHECK(awc_percent_parse(&bp2, buf, (size_t)len) == 0);
    CHECK(bp == bp2);
}

static void check_add(const char *s, size_t n)
{
    const char *comma = memchr(s, ',', n);
    awc_amount a, b, sum = 12345;
    __int128 want;
    int rc;

    if (!comma)
        return;
    if (awc_money_parse(&a, s, (size_t)(comma - s)) != 0 ||
        awc_money_parse(&b, comma + 1, n - (size_t)(comma - s) - 1) != 0)
        return;
    want = (__int128)a + b;
    rc = awc_money_add(&sum, a, b);
    if (want > INT64_MAX || want < INT64_MIN) {
        CHECK(rc == AWC_EOVERFLOW);
        CHECK(sum == 12345);       /* unchanged on error */
    } else {
        CHECK(rc == 0);
        CHECK(sum == (awc_amount)want);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so reading past the end is caught */
    char *s = malloc(size ? size : 1);

    if (!s)
        return 0;
    if (size)
        memcpy(s, data, size);
    check_amount(s, size);
    check_minor(s, size);
    check_percent(s, size);
    check_add(s, size);
    free(s);
    awc_error_clear();
    return 0;
}
