/*
 * test_money.c -- money.c: parse, format, checked add, ISO 4217 exponents,
 * minor units.  Tables for the known cases, then properties over random
 * amounts from a fixed-seed splitmix64 (seed printed; AWC_TEST_SEED
 * overrides it to replay another run).
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
#include "money.h"

#define ONE AWC_MONEY_ONE
#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define PROPERTY_ROUNDS 20000

#include "prng.h"

/* Amounts of every kind: any int64, small ones, the limits, round ones. */
static int64_t random_amount(void)
{
    uint64_t r = rng_next();
    int64_t small = (int64_t)(r % UINT64_C(100000000000000));
    switch (rng_below(6)) {
    case 0: return (int64_t)r == INT64_MIN ? -INT64_MAX : (int64_t)r; /* never an amount */
    case 1: return rng_below(2) ? small : -small;
    case 2: return INT64_MAX - (int64_t)rng_below(1000);
    case 3: return -INT64_MAX + (int64_t)rng_below(1000);
    case 4: return (rng_below(2) ? 1 : -1) * (int64_t)rng_below(1000000) * ONE;
    default: return (int64_t)rng_below(21) - 10;
    }
}

/* --- parse ------------------------------------------------------------------------ */

struct parse_case {
    const char *in;
    int rc;
    int64_t want;
};

static const struct parse_case parse_cases[] = {
    {"0", 0, 0},
    {"-0", 0, 0},
    {"+3", 0, 3 * ONE},
    {"12.5", 0, 125 * ONE / 10},
    {"-12.5", 0, -125 * ONE / 10},
    {".5", 0, ONE / 2},
    {"5.", 0, 5 * ONE},
    {"-1234.56", 0, INT64_C(-12345600000000)},
    {"1.25E-4", 0, 1250000},
    {"-1.25E-4", 0, -1250000},
    {"1e3", 0, 1000 * ONE},
    {"1E+3", 0, 1000 * ONE},
    {"1.5e-0", 0, 15 * ONE / 10},
    {"0.0000000001", 0, 1},
    {"0.00000000005", 0, 1},
    {"0.00000000004999", 0, 0},
    {"-0.00000000005", 0, -1},
    {"-0.000000000049", 0, 0},
    {"5E-11", 0, 1},
    {"-5E-11", 0, -1},
    {"4.9999E-11", 0, 0},
    {"0.12345678905", 0, 1234567891},
    {"0.12345678904999999", 0, 1234567890},
    {"-0.12345678905", 0, -1234567891},
    {"000000000000000000000000000000012.5", 0, 125 * ONE / 10},
    {"12.50000000000000000000000000000000000001", 0, 125 * ONE / 10},
    {"123456789012345678901234567890E-21", 0, INT64_C(1234567890123456789)},
    {"0.000000000000000000000000000000000000000001E+42", 0, ONE},
    {"9.22337203E8", 0, INT64_C(922337203) * ONE},
    {"922337203.6854775807", 0, INT64_MAX},
    {"-922337203.6854775807", 0, -INT64_MAX},
    {"-922337203.6854775808", AWC_EOVERFLOW, 0},
    {"922337203.68547758074", 0, INT64_MAX},
    {"-922337203.68547758074", 0, -INT64_MAX},
    {"-922337203.68547758075", AWC_EOVERFLOW, 0},
    {"922337203.6854775808", AWC_EOVERFLOW, 0},
    {"922337203.68547758075", AWC_EOVERFLOW, 0},
    {"-922337203.6854775809", AWC_EOVERFLOW, 0},
    {"-922337203.68547758085", AWC_EOVERFLOW, 0},
    {"1E9", AWC_EOVERFLOW, 0},
    {"-1E9", AWC_EOVERFLOW, 0},
    {"99999999999999999999999999999999999999999999", AWC_EOVERFLOW, 0},
    {"1E999999999999999999999", AWC_EOVERFLOW, 0},
    {"0E999999999999999999999", 0, 0},
    {"0.000E999999999999999999999", 0, 0},
    {"1E-999999999999999999", 0, 0},
    {"-9E-999999999999999999", 0, 0},
    {"", AWC_EBADINPUT, 0},
    {"-", AWC_EBADINPUT, 0},
    {"+", AWC_EBADINPUT, 0},
    {".", AWC_EBADINPUT, 0},
    {"-.", AWC_EBADINPUT, 0},
    {"e5", AWC_EBADINPUT, 0},
    {".e5", AWC_EBADINPUT, 0},
    {"1e", AWC_EBADINPUT, 0},
    {"1e+", AWC_EBADINPUT, 0},
    {"1e-", AWC_EBADINPUT, 0},
    {"1.2.3", AWC_EBADINPUT, 0},
    {" 1", AWC_EBADINPUT, 0},
    {"1 ", AWC_EBADINPUT, 0},
    {"1\t", AWC_EBADINPUT, 0},
    {"1,5", AWC_EBADINPUT, 0},
    {"0x10", AWC_EBADINPUT, 0},
    {"1e5.5", AWC_EBADINPUT, 0},
    {"--1", AWC_EBADINPUT, 0},
    {"+-1", AWC_EBADINPUT, 0},
    {"nan", AWC_EBADINPUT, 0},
    {"inf", AWC_EBADINPUT, 0},
    {"1_000", AWC_EBADINPUT, 0},
    {"$1", AWC_EBADINPUT, 0},
    {"1E9x", AWC_EBADINPUT, 0},
};

static void test_parse_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        int64_t v = SENTINEL;
        int rc = awc_money_parse(&v, c->in, strlen(c->in));
        if (rc != c->rc || (rc == 0 && v != c->want) || (rc != 0 && v != SENTINEL))
            fail_msg("parse '%s': rc %d value %" PRId64 ", want rc %d value %" PRId64,
                     c->in, rc, v, c->rc, c->want);
    }
}

static void test_parse_uses_len(void **state)
{
    int64_t v = 0;
    (void)state;
    assert_int_equal(awc_money_parse(&v, "12.5junk", 4), 0);
    assert_int_equal(v, 125 * ONE / 10);
    assert_int_equal(awc_money_parse(&v, "1\0" "2", 3), AWC_EBADINPUT);
    assert_int_equal(awc_money_parse(&v, NULL, 0), AWC_EBADINPUT);
}

static void test_parse_messages(void **state)
{
    char lng[101];
    int64_t v = 0;
    (void)state;

    assert_int_equal(awc_money_parse(&v, "12,50", 5), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "amount '12,50': not a decimal number");

    assert_int_equal(awc_money_parse(&v, "1E9", 3), AWC_EOVERFLOW);
    assert_non_null(strstr(awc_error_last(), "amount '1E9': out of range"));

    memset(lng, 'x', 100);
    lng[100] = '\0';
    assert_int_equal(awc_money_parse(&v, lng, 100), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(),
                        "amount 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': not a decimal number");
}

/* --- format ------------------------------------------------------------------------- */

struct format_case {
    int64_t a;
    const char *want;
};

static const struct format_case format_cases[] = {
    {0, "0.0000000000"},
    {1, "0.0000000001"},
    {-1, "-0.0000000001"},
    {ONE, "1.0000000000"},
    {-ONE, "-1.0000000000"},
    {INT64_C(-12345600000000), "-1234.5600000000"},
    {-1250000, "-0.0001250000"},
    {INT64_MAX, "922337203.6854775807"},
    {INT64_MIN, "-922337203.6854775808"},
    {INT64_MIN + 1, "-922337203.6854775807"},
};

static void test_format_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
        char buf[AWC_MONEY_BUFSZ];
        int n = awc_money_format(buf, sizeof(buf), format_cases[i].a);
        assert_string_equal(buf, format_cases[i].want);
        assert_int_equal(n, (int)strlen(format_cases[i].want));
    }
}

static void test_format_small_buffer(void **state)
{
    char buf[AWC_MONEY_BUFSZ];
    (void)state;
    /* "-922337203.6854775808" is 21 bytes: 22 with the NUL. */
    assert_int_equal(awc_money_format(buf, 21, INT64_MIN), AWC_EOVERFLOW);
    assert_string_equal(buf, "");
    assert_int_equal(awc_money_format(buf, 22, INT64_MIN), 21);
    assert_int_equal(awc_money_format(NULL, 0, 0), AWC_EOVERFLOW);
}

static void test_add(void **state)
{
    int64_t v = SENTINEL;
    (void)state;
    assert_int_equal(awc_money_add(&v, INT64_MAX, 1), AWC_EOVERFLOW);
    assert_int_equal(awc_money_add(&v, -INT64_MAX, -1), AWC_EOVERFLOW);
    assert_true(v == SENTINEL);
    assert_non_null(strstr(awc_error_last(), "-922337203.6854775807 + -0.0000000001"));
    assert_int_equal(awc_money_add(&v, -INT64_MAX, INT64_MAX), 0);
    assert_true(v == 0);
    assert_int_equal(awc_money_add(&v, INT64_MAX - 1, 1), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(awc_money_add(&v, -ONE, ONE / 2), 0);
    assert_true(v == -ONE / 2);
}

/* Sums (issue: three JPY credits of -400000000 were totalled as
 * -800000000 because the overflow of a checked add was ignored). */
static void test_sums(void **state)
{
    char buf[AWC_SUM_BUFSZ];
    awc_sum s = 0;
    awc_amount a = SENTINEL;
    (void)state;

    for (int i = 0; i < 3; i++)
        s += INT64_C(-400000000) * ONE;
    assert_int_equal(awc_sum_format(buf, sizeof(buf), s), 22);
    assert_string_equal(buf, "-1200000000.0000000000");
    assert_int_equal(awc_sum_to_amount(&a, s, "total"), AWC_EOVERFLOW);
    assert_true(a == SENTINEL);
    assert_non_null(strstr(awc_error_last(), "total -1200000000.0000000000: out of range"));
    /* the largest amount added 2^40 times, and back */
    s = 0;
    for (int i = 0; i < 40; i++)
        s = i ? s * 2 : (awc_sum)INT64_MAX;
    assert_true(awc_sum_format(buf, sizeof(buf), s) > 0);
    assert_string_equal(buf, "507060240091291760543.7057007616");
    assert_true(awc_sum_format(buf, sizeof(buf), 0) > 0);
    assert_string_equal(buf, "0.0000000000");
    assert_true(awc_sum_format(buf, sizeof(buf), -1) > 0);
    assert_string_equal(buf, "-0.0000000001");
    assert_int_equal(awc_sum_format(buf, 5, -1), AWC_EOVERFLOW);
    assert_true(awc_sum_format_minor(buf, sizeof(buf), -120000000000, 0) > 0);
    assert_string_equal(buf, "-120000000000");
    assert_true(awc_sum_format_minor(buf, sizeof(buf), -5, 2) > 0);
    assert_string_equal(buf, "-0.05");
    assert_true(awc_sum_format_minor(buf, sizeof(buf), 123456, 3) > 0);
    assert_string_equal(buf, "123.456");
    assert_int_equal(awc_sum_format_minor(buf, sizeof(buf), 1, 5), AWC_EBADINPUT);
    /* parse: what SQL's SUM() prints, round trip */
    assert_int_equal(awc_sum_parse(&s, "-1200000000.0000000000", 22), 0);
    assert_true(s == (awc_sum)INT64_C(-1200000000) * ONE);
    assert_int_equal(awc_sum_parse(&s, "99999999999999999999.9999999999", 31), 0);
    assert_int_equal(awc_sum_parse(&s, "100000000000000000000.0000000001", 32), AWC_EOVERFLOW);
    assert_int_equal(awc_sum_parse(&s, "12x", 3), AWC_EBADINPUT);
    assert_int_equal(awc_sum_to_amount(&a, (awc_sum)-INT64_MAX, "x"), 0);
    assert_true(a == -INT64_MAX);
}

/* Property: a sum in random order equals the sum computed in 128 bits
 * from exact decimal text, whatever the number of terms. */
static void test_sum_property(void **state)
{
    (void)state;
    for (int round = 0; round < 200; round++) {
        awc_sum s = 0, back;
        char buf[AWC_SUM_BUFSZ];
        int n = (int)rng_below(64) + 1;
        for (int i = 0; i < n; i++) {
            int64_t v = random_amount();
            s += v == INT64_MIN ? -INT64_MAX : v;
        }
        assert_true(awc_sum_format(buf, sizeof(buf), s) > 0);
        assert_int_equal(awc_sum_parse(&back, buf, strlen(buf)), 0);
        assert_true(back == s);
    }
}

/* --- ISO 4217 ------------------------------------------------------------------------- */

struct currency_case {
    const char *code;
    int want;
};

static const struct currency_case currency_cases[] = {
    {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CHF", 2}, {"AED", 2}, {"ZAR", 2},
    {"JPY", 0}, {"KRW", 0}, {"ISK", 0}, {"VND", 0}, {"XAF", 0}, {"XOF", 0},
    {"XPF", 0}, {"CLP", 0}, {"PYG", 0}, {"UGX", 0}, {"RWF", 0}, {"KMF", 0},
    {"GNF", 0}, {"DJF", 0}, {"VUV", 0}, {"BIF", 0}, {"UYI", 0},
    {"BHD", 3}, {"KWD", 3}, {"JOD", 3}, {"OMR", 3}, {"TND", 3}, {"LYD", 3},
    {"IQD", 3}, {"CLF", 4}, {"UYW", 4},
    {"usd", -1}, {"Usd", -1}, {"XXX", -1}, {"XAU", -1}, {"XDR", -1},
    {"", -1}, {"US", -1}, {"USDD", -1}, {"AAA", -1}, {"ZZZ", -1},
};

static void test_currency_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(currency_cases) / sizeof(currency_cases[0]); i++)
        if (awc_currency_exponent(currency_cases[i].code) != currency_cases[i].want)
            fail_msg("%s: exponent %d, want %d", currency_cases[i].code,
                     awc_currency_exponent(currency_cases[i].code), currency_cases[i].want);
    assert_int_equal(awc_currency_exponent(NULL), -1);
}

/*
 * Every code from AAA to ZZZ: bsearch finds all 170 entries only if the
 * table is sorted, and exactly these have an exponent other than 2.
 */
static void test_currency_all_codes(void **state)
{
    static const char *const not_two =
        "BHD3 BIF0 CLF4 CLP0 DJF0 GNF0 IQD3 ISK0 JOD3 JPY0 KMF0 KRW0 KWD3 LYD3 OMR3 "
        "PYG0 RWF0 TND3 UGX0 UYI0 UYW4 VND0 VUV0 XAF0 XOF0 XPF0 ";
    char code[4] = "AAA", got[400] = "";
    size_t used = 0;
    int known = 0, a, b, c;
    (void)state;

    for (a = 'A'; a <= 'Z'; a++)
        for (b = 'A'; b <= 'Z'; b++)
            for (c = 'A'; c <= 'Z'; c++) {
                int e;
                code[0] = (char)a, code[1] = (char)b, code[2] = (char)c;
                e = awc_currency_exponent(code);
                assert_true(e >= -1 && e <= 4);
                if (e < 0)
                    continue;
                known++;
                if (e != 2)
                    used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%d ", code, e);
            }
    assert_int_equal(known, 170);
    assert_string_equal(got, not_two);
}

/* --- minor units -------------------------------------------------------------------------- */

struct minor_case {
    int64_t a;
    int e;
    int64_t want;
};

static const struct minor_case to_minor_cases[] = {
    {INT64_C(12345000000), 2, 123},            /* 1.2345 */
    {INT64_C(12350000000), 2, 124},            /* 1.235: half away from zero */
    {INT64_C(-12350000000), 2, -124},
    {INT64_C(12349999999), 2, 123},
    {INT64_C(-12349999999), 2, -123},
    {INT64_C(50000000), 2, 1},                 /* 0.005 */
    {INT64_C(-50000000), 2, -1},
    {INT64_C(49999999), 2, 0},
    {INT64_C(-49999999), 2, 0},
    {INT64_C(12345000000000), 0, 1235},        /* JPY 1234.5 */
    {INT64_C(-12345000000000), 0, -1235},
    {INT64_C(12344999999999), 0, 1234},
    {INT64_C(12345000000), 3, 1235},           /* BHD 1.2345 */
    {INT64_C(12345500000), 4, 12346},          /* CLF 1.23455 */
    {0, 2, 0},
    {INT64_MAX, 2, INT64_C(92233720369)},
    {INT64_MIN, 2, INT64_C(-92233720369)},
    {INT64_MAX, 0, 922337204},
    {INT64_MIN, 4, INT64_C(-9223372036855)},
};

static void test_to_minor_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(to_minor_cases) / sizeof(to_minor_cases[0]); i++) {
        int64_t m = SENTINEL;
        assert_int_equal(awc_money_to_minor(&m, to_minor_cases[i].a, to_minor_cases[i].e), 0);
        if (m != to_minor_cases[i].want)
            fail_msg("to_minor(%" PRId64 ", %d) = %" PRId64 ", want %" PRId64,
                     to_minor_cases[i].a, to_minor_cases[i].e, m, to_minor_cases[i].want);
    }
}

static void test_from_minor(void **state)
{
    int64_t v = SENTINEL;
    (void)state;
    assert_int_equal(awc_money_from_minor(&v, 12345, 2), 0);
    assert_true(v == INT64_C(1234500000000));
    assert_int_equal(awc_money_from_minor(&v, -1, 0), 0);
    assert_true(v == -ONE);
    assert_int_equal(awc_money_from_minor(&v, 922337203, 0), 0);
    assert_true(v == INT64_C(922337203) * ONE);
    v = SENTINEL;
    assert_int_equal(awc_money_from_minor(&v, 922337204, 0), AWC_EOVERFLOW);
    assert_int_equal(awc_money_from_minor(&v, INT64_MIN, 4), AWC_EOVERFLOW);
    assert_int_equal(awc_money_from_minor(&v, 1, 5), AWC_EBADINPUT);
    assert_int_equal(awc_money_from_minor(&v, 1, -1), AWC_EBADINPUT);
    assert_true(v == SENTINEL);
    assert_int_equal(awc_money_to_minor(&v, 1, 5), AWC_EBADINPUT);
    assert_int_equal(awc_money_to_minor(&v, 1, -1), AWC_EBADINPUT);
    assert_true(v == SENTINEL);
}

struct fmt_minor_case {
    int64_t m;
    int e;
    const char *want;
};

static const struct fmt_minor_case fmt_minor_cases[] = {
    {-1234, 2, "-12.34"},
    {5, 2, "0.05"},
    {-5, 2, "-0.05"},
    {0, 2, "0.00"},
    {0, 0, "0"},
    {-1234, 0, "-1234"},
    {1234567, 3, "1234.567"},
    {1, 4, "0.0001"},
    {INT64_MIN, 2, "-92233720368547758.08"},
    {INT64_MAX, 0, "9223372036854775807"},
};

static void test_format_minor_table(void **state)
{
    size_t i;
    char buf[AWC_MONEY_BUFSZ];
    (void)state;
    for (i = 0; i < sizeof(fmt_minor_cases) / sizeof(fmt_minor_cases[0]); i++) {
        int n = awc_money_format_minor(buf, sizeof(buf), fmt_minor_cases[i].m, fmt_minor_cases[i].e);
        assert_string_equal(buf, fmt_minor_cases[i].want);
        assert_int_equal(n, (int)strlen(fmt_minor_cases[i].want));
    }
    assert_int_equal(awc_money_format_minor(buf, 6, -1234, 2), AWC_EOVERFLOW);
    assert_int_equal(awc_money_format_minor(buf, 7, -1234, 2), 6);
    assert_int_equal(awc_money_format_minor(buf, sizeof(buf), 1, 7), AWC_EBADINPUT);
}

static const struct {
    const char *in;
    int e;
    int rc;
    int64_t want;
} parse_minor_cases[] = {
    {"12.34", 2, 0, 1234},
    {"-12.3", 2, 0, -1230},
    {"12", 2, 0, 1200},
    {"+0.05", 2, 0, 5},
    {"-0.05", 2, 0, -5},
    {"1234", 0, 0, 1234},
    {"1234.", 0, 0, 1234},
    {"1.234", 3, 0, 1234},
    {"0.0001", 4, 0, 1},
    {"922337203.68", 2, 0, INT64_C(92233720368)},
    {"-922337203", 0, 0, -922337203},
    {"922337203.69", 2, AWC_EOVERFLOW, 0},
    {"-922337203.69", 2, AWC_EOVERFLOW, 0},
    {"99999999999999999999", 0, AWC_EOVERFLOW, 0},
    {"12.345", 2, AWC_EBADINPUT, 0},
    {"12.340", 2, AWC_EBADINPUT, 0},
    {"12.5", 0, AWC_EBADINPUT, 0},
    {"1E2", 2, AWC_EBADINPUT, 0},
    {"", 2, AWC_EBADINPUT, 0},
    {"-", 2, AWC_EBADINPUT, 0},
    {"abc", 2, AWC_EBADINPUT, 0},
    {" 1", 2, AWC_EBADINPUT, 0},
    {"1", 5, AWC_EBADINPUT, 0},
};

static void test_parse_minor_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(parse_minor_cases) / sizeof(parse_minor_cases[0]); i++) {
        int64_t m = SENTINEL;
        const char *in = parse_minor_cases[i].in;
        int rc = awc_money_parse_minor(&m, in, strlen(in), parse_minor_cases[i].e);
        if (rc != parse_minor_cases[i].rc || (rc == 0 && m != parse_minor_cases[i].want)
            || (rc != 0 && m != SENTINEL))
            fail_msg("parse_minor('%s', %d): rc %d value %" PRId64, in, parse_minor_cases[i].e,
                     rc, m);
    }
}

static void test_parse_minor_messages(void **state)
{
    int64_t m;
    (void)state;
    assert_int_equal(awc_money_parse_minor(&m, "12.345", 6, 2), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(),
                        "amount '12.345': more than 2 decimal places for this currency");
    assert_int_equal(awc_money_parse_minor(&m, "12.5", 4, 0), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "amount '12.5': this currency has no decimals");
    assert_int_equal(awc_money_parse_minor(&m, "1E2", 3, 2), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "amount '1E2': exponent form not accepted here");
}

/* --- properties ------------------------------------------------------------------------- */

static int64_t parse_ok(const char *s)
{
    int64_t v = SENTINEL;
    int rc = awc_money_parse(&v, s, strlen(s));
    if (rc != 0)
        fail_msg("parse '%s' failed: %s", s, awc_error_last());
    return v;
}

/* format -> parse gives the amount back, for every kind of amount. */
static void test_prop_round_trip(void **state)
{
    int i;
    (void)state;
    rng_seed("money round trip");
    for (i = 0; i < PROPERTY_ROUNDS; i++) {
        char buf[AWC_MONEY_BUFSZ];
        int64_t a = random_amount(), b;
        int n = awc_money_format(buf, sizeof(buf), a);
        assert_int_equal(n, (int)strlen(buf));
        b = parse_ok(buf);
        if (a != b)
            fail_msg("round trip %" PRId64 " -> '%s' -> %" PRId64, a, buf, b);
    }
}

/* The same amount written with an exponent, in several shapes. */
static void test_prop_exponent_forms(void **state)
{
    int i;
    (void)state;
    rng_seed("money exponent forms");
    for (i = 0; i < PROPERTY_ROUNDS; i++) {
        char digits[24], text[128];
        int64_t a = random_amount();
        uint64_t m = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
        const char *sign = a < 0 ? "-" : (rng_below(2) ? "+" : "");
        int nd = snprintf(digits, sizeof(digits), "%" PRIu64, m);
        int k = (int)rng_below(40);

        snprintf(text, sizeof(text), "%s%sE-10", sign, digits);
        assert_true(parse_ok(text) == a);
        snprintf(text, sizeof(text), "%s%s%0*dE-%d", sign, digits, k + 1, 0, 11 + k);
        assert_true(parse_ok(text) == a);
        snprintf(text, sizeof(text), "%s0.%0*d%se%+d", sign, k + 1, 0, digits, k + 1 + nd - 10);
        assert_true(parse_ok(text) == a);
    }
}

/* Digits past the 10th place round half away from zero on the first one. */
static void test_prop_rounding(void **state)
{
    int i;
    (void)state;
    rng_seed("money rounding");
    for (i = 0; i < PROPERTY_ROUNDS; i++) {
        char text[80];
        int64_t a = random_amount(), v = SENTINEL;
        int n = awc_money_format(text, sizeof(text), a), extra = 1 + (int)rng_below(20), j, rc;
        __int128 want = a;

        for (j = 0; j < extra; j++)
            text[n++] = (char)('0' + rng_below(10));
        text[n] = '\0';
        if (text[n - extra] >= '5')
            want += text[0] == '-' ? -1 : 1;
        rc = awc_money_parse(&v, text, (size_t)n);
        if (want > INT64_MAX || want < -INT64_MAX) {
            assert_int_equal(rc, AWC_EOVERFLOW);
            assert_true(v == SENTINEL);
        } else if (rc != 0 || v != (int64_t)want) {
            fail_msg("'%s' -> rc %d %" PRId64 ", want %" PRId64, text, rc, v, (int64_t)want);
        }
    }
}

/* to_minor rounds half away from zero; from_minor goes back exactly. */
static void test_prop_minor(void **state)
{
    int i;
    (void)state;
    rng_seed("money minor units");
    for (i = 0; i < PROPERTY_ROUNDS; i++) {
        int e = (int)rng_below(5), rc;
        int64_t unit = 1, a = random_amount(), m, b = SENTINEL;
        __int128 diff;
        int k;

        for (k = e; k < AWC_MONEY_SCALE; k++)
            unit *= 10;
        assert_int_equal(awc_money_to_minor(&m, a, e), 0);
        rc = awc_money_from_minor(&b, m, e);
        if (rc != 0) {
            /* only a rounding up past the last amount can fail to fit */
            assert_int_equal(rc, AWC_EOVERFLOW);
            assert_true(a > INT64_MAX - unit || a < -INT64_MAX + unit);
            continue;
        }
        diff = (__int128)b - a;
        if (diff < 0)
            diff = -diff;
        assert_true(2 * diff <= unit);
        if (2 * diff == unit)
            assert_true(a < 0 ? b < a : b > a);
        /* a random m of this exponent goes back and forth unchanged */
        m = (int64_t)(rng_next() % (uint64_t)(INT64_MAX / unit)) * (rng_below(2) ? 1 : -1);
        assert_int_equal(awc_money_from_minor(&b, m, e), 0);
        assert_int_equal(awc_money_to_minor(&a, b, e), 0);
        assert_true(a == m);
    }
}

/* format_minor -> parse_minor gives the minor units back. */
static void test_prop_minor_text(void **state)
{
    int i;
    (void)state;
    rng_seed("money minor text");
    for (i = 0; i < PROPERTY_ROUNDS; i++) {
        char buf[AWC_MONEY_BUFSZ];
        int e = (int)rng_below(5), k, n;
        int64_t unit = 1, m, back = SENTINEL;

        for (k = e; k < AWC_MONEY_SCALE; k++)
            unit *= 10;
        m = (int64_t)(rng_next() % ((uint64_t)(INT64_MAX / unit) + 1)) * (rng_below(2) ? 1 : -1);
        n = awc_money_format_minor(buf, sizeof(buf), m, e);
        assert_true(n > 0);
        assert_int_equal(awc_money_parse_minor(&back, buf, (size_t)n, e), 0);
        if (back != m)
            fail_msg("minor %" PRId64 " e %d -> '%s' -> %" PRId64, m, e, buf, back);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_uses_len),
        cmocka_unit_test(test_parse_messages),
        cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_sums),
        cmocka_unit_test(test_sum_property),
        cmocka_unit_test(test_currency_table),
        cmocka_unit_test(test_currency_all_codes),
        cmocka_unit_test(test_to_minor_table),
        cmocka_unit_test(test_from_minor),
        cmocka_unit_test(test_format_minor_table),
        cmocka_unit_test(test_parse_minor_table),
        cmocka_unit_test(test_parse_minor_messages),
        cmocka_unit_test(test_prop_round_trip),
        cmocka_unit_test(test_prop_exponent_forms),
        cmocka_unit_test(test_prop_rounding),
        cmocka_unit_test(test_prop_minor),
        cmocka_unit_test(test_prop_minor_text),
    };
    return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
