/*
 * test_split.c -- split.c: percentages in basis points, largest-remainder
 * split, fixed amounts.  Tables for the known cases, then properties over
 * random totals and splits from a fixed-seed splitmix64 (seed printed;
 * AWC_TEST_SEED overrides it), checked against a plain reference split.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "split.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define PROPERTY_ROUNDS 20000
#define MAX_TARGETS 16

#include "prng.h"

/* Totals of every kind: any int64, invoice-sized ones, the limits, tiny ones. */
static int64_t random_total(void)
{
    uint64_t r = rng_next();
    int64_t mid = (int64_t)(r % UINT64_C(100000000000));
    switch (rng_below(5)) {
    case 0: return (int64_t)r;
    case 1: return rng_below(2) ? mid : -mid;
    case 2: return INT64_MAX - (int64_t)rng_below(100);
    case 3: return INT64_MIN + (int64_t)rng_below(100);
    default: return (int64_t)rng_below(41) - 20;
    }
}

/* n basis-point values with sum <= 10000: zeros, 100 %, round and odd ones. */
static size_t random_bp(int32_t *bp)
{
    size_t n = (size_t)rng_below(MAX_TARGETS + 1), i;
    int32_t left = AWC_BP_FULL;
    int full = rng_below(3) == 0;          /* sometimes nothing is retained */

    for (i = 0; i < n; i++) {
        int32_t v;
        switch (rng_below(4)) {
        case 0: v = 0; break;
        case 1: v = (int32_t)rng_below((uint64_t)left / 100 + 1) * 100; break;
        default: v = (int32_t)rng_below((uint64_t)left + 1); break;
        }
        if (full && i == n - 1)
            v = left;
        bp[i] = v;
        left -= v;
    }
    return n;
}

/* --- percentages --------------------------------------------------------------------- */

static const struct {
    const char *in;
    int rc;
    int32_t want;
} percent_cases[] = {
    {"80", 0, 8000},
    {"12.5", 0, 1250},
    {"33.33", 0, 3333},
    {"100", 0, 10000},
    {"100.00", 0, 10000},
    {"0", 0, 0},
    {"0.01", 0, 1},
    {".5", 0, 50},
    {"5.", 0, 500},
    {"007", 0, 700},
    {"", AWC_EBADINPUT, 0},
    {".", AWC_EBADINPUT, 0},
    {"-5", AWC_EBADINPUT, 0},
    {"-0", AWC_EBADINPUT, 0},
    {"+5", AWC_EBADINPUT, 0},
    {"100.01", AWC_EBADINPUT, 0},
    {"101", AWC_EBADINPUT, 0},
    {"99999999999999999999999", AWC_EBADINPUT, 0},
    {"12.345", AWC_EBADINPUT, 0},
    {"12.500", AWC_EBADINPUT, 0},
    {"abc", AWC_EBADINPUT, 0},
    {"12%", AWC_EBADINPUT, 0},
    {" 5", AWC_EBADINPUT, 0},
    {"5 ", AWC_EBADINPUT, 0},
    {"1e2", AWC_EBADINPUT, 0},
    {"12.3.4", AWC_EBADINPUT, 0},
};

static void test_percent_parse_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(percent_cases) / sizeof(percent_cases[0]); i++) {
        int32_t bp = -7;
        const char *in = percent_cases[i].in;
        int rc = awc_percent_parse(&bp, in, strlen(in));
        if (rc != percent_cases[i].rc || (rc == 0 && bp != percent_cases[i].want)
            || (rc != 0 && bp != -7))
            fail_msg("percent '%s': rc %d bp %" PRId32, in, rc, bp);
    }
}

static void test_percent_messages(void **state)
{
    int32_t bp;
    (void)state;
    assert_int_equal(awc_percent_parse(&bp, "-5", 2), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "percentage '-5': must not be negative");
    assert_int_equal(awc_percent_parse(&bp, "12.345", 6), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "percentage '12.345': more than two decimals");
    assert_int_equal(awc_percent_parse(&bp, "101", 3), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "percentage '101': more than 100");
    assert_int_equal(awc_percent_parse(&bp, "80x", 3), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "percentage '80x': not a number like 80 or 33.33");
}

static void test_percent_format(void **state)
{
    static const struct {
        int32_t bp;
        const char *want;
    } cases[] = {
        {3333, "33.33"}, {8000, "80"}, {1250, "12.5"}, {0, "0"}, {10000, "100"},
        {1, "0.01"}, {10, "0.1"}, {5, "0.05"}, {-1250, "-12.5"},
    };
    char buf[16];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = awc_percent_format(buf, sizeof(buf), cases[i].bp);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, (int)strlen(cases[i].want));
    }
    assert_int_equal(awc_percent_format(buf, 5, 3333), AWC_EOVERFLOW);
    assert_string_equal(buf, "");
    assert_int_equal(awc_percent_format(buf, 6, 3333), 5);
}

/* Every value from 0 to 100.00 % prints and parses back to itself. */
static void test_percent_round_trip_all(void **state)
{
    int32_t bp, back;
    char buf[16];
    (void)state;
    for (bp = 0; bp <= AWC_BP_FULL; bp++) {
        int n = awc_percent_format(buf, sizeof(buf), bp);
        assert_true(n > 0);
        assert_int_equal(awc_percent_parse(&back, buf, (size_t)n), 0);
        if (back != bp)
            fail_msg("%" PRId32 " -> '%s' -> %" PRId32, bp, buf, back);
    }
}

/* --- split by percentage ------------------------------------------------------------- */

struct split_case {
    int64_t total;
    size_t n;
    int32_t bp[4];
    int64_t want[4];
    int64_t retained;
};

static const struct split_case split_cases[] = {
    {100, 3, {3333, 3333, 3334}, {33, 33, 34}, 0},
    {1, 2, {5000, 5000}, {1, 0}, 0},                 /* tie: the earlier target */
    {-1, 2, {5000, 5000}, {-1, 0}, 0},
    {10, 2, {3333, 3333}, {3, 3}, 4},                /* retained has the largest remainder */
    {1, 1, {5000}, {1}, 0},                          /* tie with retained: the target */
    {2, 3, {3333, 3333, 3333}, {1, 1, 0}, 0},
    {3, 3, {3333, 3333, 3333}, {1, 1, 1}, 0},
    {0, 3, {3333, 3333, 3334}, {0, 0, 0}, 0},
    {-1000, 2, {8000, 1500}, {-800, -150}, -50},
    {-99999, 2, {8000, 1500}, {-79999, -15000}, -5000},
    {1, 2, {0, 10000}, {0, 1}, 0},
    {101, 1, {0}, {0}, 101},
    {7, 0, {0}, {0}, 7},
    {INT64_MIN, 1, {10000}, {INT64_MIN}, 0},
    {INT64_MIN, 2, {5000, 5000}, {INT64_MIN / 2, INT64_MIN / 2}, 0},
    {INT64_MAX, 2, {5000, 5000}, {INT64_C(1) << 62, (INT64_C(1) << 62) - 1}, 0},
    {INT64_MIN, 1, {1}, {INT64_C(-922337203685478)}, INT64_C(-9222449699651090330)},
};

static void test_split_table(void **state)
{
    size_t i, j;
    (void)state;
    for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
        const struct split_case *c = &split_cases[i];
        int64_t shares[4] = {SENTINEL, SENTINEL, SENTINEL, SENTINEL}, retained = SENTINEL;

        assert_int_equal(awc_split_percent(shares, &retained, c->total, c->bp, c->n), 0);
        for (j = 0; j < c->n; j++)
            if (shares[j] != c->want[j])
                fail_msg("case %zu share %zu: %" PRId64 ", want %" PRId64, i, j, shares[j],
                         c->want[j]);
        assert_true(shares[c->n] == SENTINEL || c->n == 4);
        if (retained != c->retained)
            fail_msg("case %zu retained %" PRId64 ", want %" PRId64, i, retained, c->retained);
    }
}

static void test_split_errors(void **state)
{
    static const int32_t too_big[] = {10001}, negative[] = {100, -1}, over[] = {6000, 4001};
    int64_t shares[2] = {SENTINEL, SENTINEL}, retained = SENTINEL;
    (void)state;

    assert_int_equal(awc_split_percent(shares, &retained, 100, too_big, 1), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "split target 1: 10001 basis points outside 0..10000");
    assert_int_equal(awc_split_percent(shares, &retained, 100, negative, 2), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "split target 2: -1 basis points outside 0..10000");
    assert_int_equal(awc_split_percent(shares, &retained, 100, over, 2), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "split percentages add up to 100.01 %, more than 100");
    assert_true(shares[0] == SENTINEL && shares[1] == SENTINEL && retained == SENTINEL);
}

/*
 * Reference: the textbook method, written plainly.  Floors, then the
 * leftover units one at a time to the largest remainder not yet served,
 * the earliest on ties, the retained part last.
 */
static void reference_split(int64_t *shares, int64_t *retained, int64_t total,
                            const int32_t *bp, size_t n)
{
    unsigned __int128 mag = total < 0 ? -(__int128)total : (__int128)total, given = 0;
    uint64_t part[MAX_TARGETS + 1];
    int32_t rem[MAX_TARGETS + 1], rest = AWC_BP_FULL;
    int served[MAX_TARGETS + 1] = {0};
    size_t i;

    for (i = 0; i < n; i++)
        rest -= bp[i];
    for (i = 0; i <= n; i++) {
        int32_t b = i < n ? bp[i] : rest;
        part[i] = (uint64_t)(mag * (uint32_t)b / AWC_BP_FULL);
        rem[i] = (int32_t)(mag * (uint32_t)b % AWC_BP_FULL);
        given += part[i];
    }
    for (; given < mag; given++) {
        size_t best = 0;
        int32_t best_rem = -1;
        for (i = 0; i <= n; i++)
            if (!served[i] && rem[i] > best_rem)
                best = i, best_rem = rem[i];
        served[best] = 1;
        part[best]++;
    }
    for (i = 0; i <= n; i++) {
        __int128 v = total < 0 ? -(__int128)part[i] : (__int128)part[i];
        if (i < n)
            shares[i] = (int64_t)v;
        else
            *retained = (int64_t)v;
    }
}

/* sum + retained == total, signs, bounds, each share within one unit of its
 * exact quota, and the same result as the reference. */
static void test_prop_split_percent(void **state)
{
    int round;
    (void)state;
    rng_seed("split percent");
    for (round = 0; round < PROPERTY_ROUNDS; round++) {
        int32_t bp[MAX_TARGETS];
        int64_t shares[MAX_TARGETS], want[MAX_TARGETS], retained, want_retained;
        int64_t total = random_total();
        size_t n = random_bp(bp), i;
        __int128 sum = 0, mag = total < 0 ? -(__int128)total : (__int128)total;

        assert_int_equal(awc_split_percent(shares, &retained, total, bp, n), 0);
        reference_split(want, &want_retained, total, bp, n);
        for (i = 0; i < n; i++) {
            __int128 s = shares[i], abs_s = s < 0 ? -s : s, quota = mag * bp[i];
            sum += s;
            assert_true(s == 0 || (s < 0) == (total < 0));
            assert_true(abs_s <= mag);
            assert_true(abs_s * AWC_BP_FULL > quota - AWC_BP_FULL);
            assert_true(abs_s * AWC_BP_FULL < quota + AWC_BP_FULL);
            if (shares[i] != want[i])
                fail_msg("total %" PRId64 " target %zu of %zu: %" PRId64 ", reference %" PRId64,
                         total, i, n, shares[i], want[i]);
        }
        assert_true(retained == 0 || (retained < 0) == (total < 0));
        assert_true(retained == want_retained);
        if (sum + retained != total)
            fail_msg("total %" PRId64 ": shares and retained do not add up", total);
    }
}

/* --- fixed amounts ------------------------------------------------------------------- */

static void test_split_fixed_table(void **state)
{
    static const struct {
        int64_t total;
        size_t n;
        int64_t amounts[3];
        int rc;
        int64_t retained;
    } cases[] = {
        {-1000, 2, {-500, -250}, 0, -250},
        {-1000, 2, {-500, -500}, 0, 0},
        {-1000, 3, {-500, 0, -499}, 0, -1},
        {-1000, 2, {-500, -501}, AWC_EBADINPUT, 0},
        {-1000, 2, {-500, 10}, AWC_EBADINPUT, 0},
        {1000, 1, {1000}, 0, 0},
        {1000, 1, {-1}, AWC_EBADINPUT, 0},
        {0, 2, {0, 0}, 0, 0},
        {0, 1, {1}, AWC_EBADINPUT, 0},
        {0, 1, {-1}, AWC_EBADINPUT, 0},
        {5, 0, {0}, 0, 5},
        {INT64_MIN, 1, {INT64_MIN}, 0, 0},
        {INT64_MIN, 2, {-1, INT64_MIN}, AWC_EBADINPUT, 0},
        {INT64_MIN, 3, {INT64_MIN / 2, INT64_MIN / 2, 0}, 0, 0},
        {INT64_MAX, 2, {INT64_MAX, 0}, 0, 0},
        {INT64_MAX, 2, {INT64_MAX, 1}, AWC_EBADINPUT, 0},
        {INT64_MAX, 2, {1, INT64_MAX - 1}, 0, 0},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t retained = SENTINEL;
        int rc = awc_split_fixed(&retained, cases[i].total, cases[i].amounts, cases[i].n);
        if (rc != cases[i].rc || (rc == 0 && retained != cases[i].retained)
            || (rc != 0 && retained != SENTINEL))
            fail_msg("fixed case %zu: rc %d retained %" PRId64, i, rc, retained);
    }
}

static void test_split_fixed_messages(void **state)
{
    static const int64_t sign[] = {-500, 10}, over[] = {-500, -400, -101};
    int64_t retained;
    (void)state;
    assert_int_equal(awc_split_fixed(&retained, -1000, sign, 2), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(),
                        "split amount 2: 10 does not have the sign of the total -1000 (minor units)");
    assert_int_equal(awc_split_fixed(&retained, -1000, over, 3), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(),
                        "split amount 3: the amounts add up to more than the total -1000 (minor units)");
}

/* Random cuts of a random total always fit and add up; one unit more never does. */
static void test_prop_split_fixed(void **state)
{
    int round;
    (void)state;
    rng_seed("split fixed");
    for (round = 0; round < PROPERTY_ROUNDS; round++) {
        int64_t amounts[MAX_TARGETS], total = random_total(), retained = SENTINEL, before;
        uint64_t left = total < 0 ? (uint64_t)0 - (uint64_t)total : (uint64_t)total;
        size_t n = (size_t)rng_below(MAX_TARGETS) + 1, i;
        __int128 sum = 0;

        for (i = 0; i < n; i++) {
            uint64_t a = rng_below(3) == 0 ? 0 : rng_next() % (left + (left < UINT64_MAX));
            if (rng_below(4) == 0 && i == n - 1)
                a = left;                     /* sometimes everything is handed out */
            left -= a;
            amounts[i] = (int64_t)(total < 0 ? -(__int128)a : (__int128)a);
            sum += amounts[i];
        }
        assert_int_equal(awc_split_fixed(&retained, total, amounts, n), 0);
        assert_true(sum + retained == total);
        assert_true(retained == 0 || (retained < 0) == (total < 0));

        /* push the last amount one unit further from zero, where it still fits in int64 */
        if (left == 0 && total != 0 && amounts[n - 1] != INT64_MIN && amounts[n - 1] != INT64_MAX) {
            before = retained;
            amounts[n - 1] += total < 0 ? -1 : 1;
            assert_int_equal(awc_split_fixed(&retained, total, amounts, n), AWC_EBADINPUT);
            assert_true(retained == before);
        }
    }
}

/* Weighted split: restating an assigned credit keeps its proportions. */
static void test_split_weighted_table(void **state)
{
    int64_t sh[4];
    (void)state;
    /* same total: the lines come back unchanged */
    int64_t w1[3] = { -8001, -1500, -500 };
    assert_int_equal(awc_split_weighted(sh, -10001, w1, 3), 0);
    assert_true(sh[0] == -8001 && sh[1] == -1500 && sh[2] == -500);
    /* doubled total: doubled lines */
    assert_int_equal(awc_split_weighted(sh, -20002, w1, 3), 0);
    assert_true(sh[0] == -16002 && sh[1] == -3000 && sh[2] == -1000);
    /* 1 unit over three equal weights: the earlier line gets it */
    int64_t w2[3] = { 1, 1, 1 };
    assert_int_equal(awc_split_weighted(sh, 1, w2, 3), 0);
    assert_true(sh[0] == 1 && sh[1] == 0 && sh[2] == 0);
    assert_int_equal(awc_split_weighted(sh, -2, w2, 3), 0);
    assert_true(sh[0] == -1 && sh[1] == -1 && sh[2] == 0);
    /* all weights zero: the last line (retained) takes it */
    int64_t w3[2] = { 0, 0 };
    assert_int_equal(awc_split_weighted(sh, -7, w3, 2), 0);
    assert_true(sh[0] == 0 && sh[1] == -7);
    /* zero total */
    assert_int_equal(awc_split_weighted(sh, 0, w1, 3), 0);
    assert_true(sh[0] == 0 && sh[1] == 0 && sh[2] == 0);
    assert_int_equal(awc_split_weighted(sh, 5, w1, 0), AWC_EBADINPUT);
}

static void test_prop_split_weighted(void **state)
{
    (void)state;
    for (int round = 0; round < 20000; round++) {
        int64_t w[8], sh[8], total;
        size_t n = 1 + (size_t)rng_below(8);
        __int128 sum = 0;
        total = (int64_t)rng_below(2000000001ULL) - 1000000000;
        if (round % 7 == 0)
            total = round % 2 ? INT64_MAX / 3 : INT64_MIN / 3;
        for (size_t i = 0; i < n; i++)
            w[i] = -(int64_t)rng_below(1000000);
        assert_int_equal(awc_split_weighted(sh, total, w, n), 0);
        for (size_t i = 0; i < n; i++) {
            sum += sh[i];
            assert_true(sh[i] == 0 || (sh[i] < 0) == (total < 0));
            assert_true((sh[i] < 0 ? -(__int128)sh[i] : sh[i]) <=
                        (total < 0 ? -(__int128)total : total));
        }
        assert_true(sum == total);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_parse_table),
        cmocka_unit_test(test_percent_messages),
        cmocka_unit_test(test_percent_format),
        cmocka_unit_test(test_percent_round_trip_all),
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_prop_split_percent),
        cmocka_unit_test(test_split_fixed_table),
        cmocka_unit_test(test_split_fixed_messages),
        cmocka_unit_test(test_prop_split_fixed),
        cmocka_unit_test(test_split_weighted_table),
        cmocka_unit_test(test_prop_split_weighted),
    };
    return cmocka_run_group_tests_name("split", tests, NULL, NULL);
}
