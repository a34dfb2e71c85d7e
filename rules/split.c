/*
 * split.c -- exact split of an amount in minor units (SPEC 4, 7).
 *
 * Percentages are basis points (10000 = 100.00 %).  awc_split_percent()
 * uses the largest-remainder method on |total|: floors first, then the
 * few units left over (fewer than the number of targets) go one each to
 * the largest remainders, ties to the earlier target, the retained part
 * being an implicit last target.  The cut-off remainder is found by a
 * binary search over 0..9999, so no memory is needed and the cost is
 * O(n log 10000).  Work is in unsigned magnitudes so a total of INT64_MIN
 * needs no special case; the total's sign is applied at the end.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "awc.h"
#include "split.h"

#define QUOTE_MAX 40

/* --- percentages ------------------------------------------------------------ */

static int bad_percent(const char *s, size_t len, const char *why)
{
    return awc_error_set(AWC_EBADINPUT, "percentage '%.*s%s': %s",
                         len > QUOTE_MAX ? QUOTE_MAX : (int)len, s ? s : "",
                         len > QUOTE_MAX ? "..." : "", why);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "digits[.digits]" with at most two decimals, 0..100. */
int awc_percent_parse(int32_t *out, const char *s, size_t len)
{
    int64_t bp = 0;
    size_t i = 0, nint = 0, nfrac = 0;

    if (!s || len == 0)
        return bad_percent(s, len, "empty");
    if (s[0] == '-')
        return bad_percent(s, len, "must not be negative");
    for (; i < len && is_digit(s[i]); i++, nint++)
        if (bp <= AWC_BP_FULL)            /* saturate: anything above is an error */
            bp = bp * 10 + (s[i] - '0');
    bp *= 100;
    if (i < len && s[i] == '.') {
        int64_t scale = 10;
        for (i++; i < len && is_digit(s[i]); i++, nfrac++, scale /= 10)
            if (nfrac < 2)
                bp += (s[i] - '0') * scale;
    }
    if (i != len || nint + nfrac == 0)
        return bad_percent(s, len, "not a number like 80 or 33.33");
    if (nfrac > 2)
        return bad_percent(s, len, "more than two decimals");
    if (bp > AWC_BP_FULL)
        return bad_percent(s, len, "more than 100");
    *out = (int32_t)bp;
    return 0;
}

int awc_percent_format(char *buf, size_t n, int32_t bp)
{
    char tmp[24];
    int64_t v = bp;
    uint64_t m = v < 0 ? (uint64_t)-v : (uint64_t)v;
    const char *sign = v < 0 ? "-" : "";
    int len;

    if (m % 100 == 0)
        len = snprintf(tmp, sizeof(tmp), "%s%" PRIu64, sign, m / 100);
    else if (m % 10 == 0)
        len = snprintf(tmp, sizeof(tmp), "%s%" PRIu64 ".%" PRIu64, sign, m / 100, m % 100 / 10);
    else
        len = snprintf(tmp, sizeof(tmp), "%s%" PRIu64 ".%02" PRIu64, sign, m / 100, m % 100);
    if (len < 0 || (size_t)len >= n) {
        if (buf && n > 0)
            buf[0] = '\0';
        return awc_error_set(AWC_EOVERFLOW, "buffer of %zu bytes too small for '%s'", n, tmp);
    }
    memcpy(buf, tmp, (size_t)len + 1);
    return len;
}

/* --- split by percentage -------------------------------------------------------- */

/* |v| as uint64_t; exact for INT64_MIN too. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* mag with the sign of total; mag <= |total| so it always fits. */
static int64_t signed_like(uint64_t mag, int64_t total)
{
    __int128 v = (__int128)mag;
    return (int64_t)(total < 0 ? -v : v);
}

/* Basis points of target i, the retained part being target n. */
static int32_t bp_of(const int32_t *bp, size_t n, int32_t rest, size_t i)
{
    return i < n ? bp[i] : rest;
}

static uint64_t floor_share(uint64_t mag, int32_t bp)
{
    return (uint64_t)((unsigned __int128)mag * (uint32_t)bp / AWC_BP_FULL);
}

static uint32_t remainder_of(uint64_t mag, int32_t bp)
{
    return (uint32_t)((unsigned __int128)mag * (uint32_t)bp % AWC_BP_FULL);
}

/* How many of the n + 1 targets have a remainder >= t. */
static size_t count_at_least(uint64_t mag, const int32_t *bp, size_t n, int32_t rest, uint32_t t)
{
    size_t i, c = 0;
    for (i = 0; i <= n; i++)
        if (remainder_of(mag, bp_of(bp, n, rest, i)) >= t)
            c++;
    return c;
}

/* The remainder of the k-th largest (k >= 1): the largest t with at least k
 * remainders >= t.  Some remainder is positive whenever k >= 1. */
static uint32_t cutoff(uint64_t mag, const int32_t *bp, size_t n, int32_t rest, size_t k)
{
    uint32_t lo = 1, hi = AWC_BP_FULL - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (count_at_least(mag, bp, n, rest, mid) >= k)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static int check_percents(int32_t *rest, const int32_t *bp, size_t n)
{
    int64_t sum = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (bp[i] < 0 || bp[i] > AWC_BP_FULL)
            return awc_error_set(AWC_EBADINPUT,
                                 "split target %zu: %" PRId32 " basis points outside 0..10000",
                                 i + 1, bp[i]);
        sum += bp[i];
    }
    if (sum > AWC_BP_FULL)
        return awc_error_set(AWC_EBADINPUT,
                             "split percentages add up to %" PRId64 ".%02" PRId64 " %%, more than 100",
                             sum / 100, sum % 100);
    *rest = (int32_t)(AWC_BP_FULL - sum);
    return 0;
}

int awc_split_percent(int64_t *shares, int64_t *retained, int64_t total,
                      const int32_t *bp, size_t n)
{
    uint64_t mag = magnitude(total), given = 0, floors = 0;
    size_t i, left, above;
    uint32_t t;
    int32_t rest = AWC_BP_FULL;
    int rc;

    assert(retained && (n == 0 || (shares && bp)));
    if ((rc = check_percents(&rest, bp, n)) != 0)
        return rc;

    for (i = 0; i <= n; i++)
        floors += floor_share(mag, bp_of(bp, n, rest, i));
    left = (size_t)(mag - floors);                /* < n + 1 */
    t = left ? cutoff(mag, bp, n, rest, left) : AWC_BP_FULL;
    above = left ? count_at_least(mag, bp, n, rest, t + 1) : 0;
    left -= above;                                /* units for remainders == t */

    for (i = 0; i < n; i++) {
        uint64_t s = floor_share(mag, bp[i]);
        uint32_t r = remainder_of(mag, bp[i]);
        if (r > t) {
            s++;
        } else if (r == t && left > 0) {
            s++;
            left--;
        }
        given += s;
        shares[i] = signed_like(s, total);
    }
    assert(given <= mag);
    *retained = signed_like(mag - given, total);
    return 0;
}

/* --- fixed amounts ----------------------------------------------------------------- */

int awc_split_fixed(int64_t *retained, int64_t total, const int64_t *amounts, size_t n)
{
    unsigned __int128 sum = 0;
    uint64_t mag = magnitude(total);
    size_t i;

    assert(retained && (n == 0 || amounts));
    for (i = 0; i < n; i++) {
        int64_t a = amounts[i];
        if (a != 0 && (total == 0 || (a < 0) != (total < 0)))
            return awc_error_set(AWC_EBADINPUT,
                                 "split amount %zu: %" PRId64 " does not have the sign of the "
                                 "total %" PRId64 " (minor units)", i + 1, a, total);
        sum += magnitude(a);
        if (sum > mag)
            return awc_error_set(AWC_EBADINPUT,
                                 "split amount %zu: the amounts add up to more than the "
                                 "total %" PRId64 " (minor units)", i + 1, total);
    }
    *retained = signed_like(mag - (uint64_t)sum, total);
    return 0;
}

int awc_split_weighted(int64_t *shares, int64_t total, const int64_t *weights, size_t n)
{
    unsigned __int128 wsum = 0, given = 0;
    unsigned char taken[AWC_SPLIT_WEIGHTS_MAX];
    uint64_t mag = magnitude(total);
    size_t i;

    assert(shares && weights);
    if (n == 0 || n > AWC_SPLIT_WEIGHTS_MAX)
        return awc_error_set(AWC_EBADINPUT, "split: 1 to %d lines", AWC_SPLIT_WEIGHTS_MAX);
    for (i = 0; i < n; i++)
        wsum += magnitude(weights[i]);
    if (wsum == 0) {
        /* nothing to weigh by: the last line takes it all */
        for (i = 0; i < n; i++)
            shares[i] = 0;
        shares[n - 1] = total;
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned __int128 q = (unsigned __int128)mag * magnitude(weights[i]) / wsum;
        shares[i] = (int64_t)q;
        given += q;
        taken[i] = 0;
    }
    /* fewer than n units are left: one each to the largest remainders,
     * ties to the earlier line */
    while (given < mag) {
        size_t best = n;
        unsigned __int128 best_rem = 0;
        for (i = 0; i < n; i++) {
            unsigned __int128 rem = (unsigned __int128)mag * magnitude(weights[i]) % wsum;
            if (!taken[i] && (best == n || rem > best_rem)) {
                best = i;
                best_rem = rem;
            }
        }
        taken[best] = 1;
        shares[best]++;
        given++;
    }
    for (i = 0; i < n; i++)
        shares[i] = signed_like((uint64_t)shares[i], total);
    return 0;
}
