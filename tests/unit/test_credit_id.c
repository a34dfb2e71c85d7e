/*
 * test_credit_id.c -- credit_id.c: Damm digit, ID format and parse, prefix
 * check.  Tables for the known cases and messages; an exhaustive check of
 * the Damm table's two promises (every single-digit error, every adjacent
 * transposition); then, over random sequence numbers from a fixed-seed
 * splitmix64 (seed printed; AWC_TEST_SEED overrides it), every such error
 * in a real ID is refused by awc_credit_id_parse().
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
#include "credit_id.h"

#define SENTINEL UINT64_C(0x5a5a5a5a5a5a5a5a)
#define RANDOM_SEQS 10000

#include "prng.h"

/* --- Damm ------------------------------------------------------------------------- */

static void test_damm_known(void **state)
{
    (void)state;
    assert_int_equal(awc_damm_digit("572", 3), 4);        /* the usual worked example */
    assert_int_equal(awc_damm_digit("5724", 4), 0);
    assert_int_equal(awc_damm_digit("", 0), 0);
    assert_int_equal(awc_damm_digit("0000000000000", 13), 0);
    assert_int_equal(awc_damm_digit("0000000000001", 13), 3);
    assert_int_equal(awc_damm_digit("12a", 3), -1);
    assert_int_equal(awc_damm_digit("12 ", 3), -1);
    assert_int_equal(awc_damm_digit("12a", 2), awc_damm_digit("12", 2));
}

/* The interim digit after the n digits d[0..n-1]. */
static int state_after(const int *d, size_t n)
{
    char s[8];
    size_t i;
    for (i = 0; i < n; i++)
        s[i] = (char)('0' + d[i]);
    return awc_damm_digit(s, n);
}

/*
 * The spec's statement, for IDs of any length: after any prefix the interim
 * digit can be anything (first digit alone reaches all ten), a different
 * next digit always gives a different interim digit (single errors), a
 * different interim digit stays different after any same digit (the error
 * is carried to the end), and swapping two different adjacent digits
 * always gives a different interim digit (transpositions).
 */
static void test_damm_promises_exhaustive(void **state)
{
    int seen[10] = {0}, c, a, b, x;
    (void)state;

    for (c = 0; c < 10; c++)
        seen[state_after((int[]){c}, 1)]++;
    for (c = 0; c < 10; c++)
        assert_int_equal(seen[c], 1);

    for (a = 0; a < 10; a++)
        for (b = 0; b < 10; b++) {
            if (a == b)
                continue;
            for (c = 0; c < 10; c++) {        /* c: every interim state reached */
                assert_int_not_equal(state_after((int[]){c, a}, 2),
                                     state_after((int[]){c, b}, 2));       /* substitution */
                assert_int_not_equal(state_after((int[]){c, a, b}, 3),
                                     state_after((int[]){c, b, a}, 3));    /* swap */
            }
            for (x = 0; x < 10; x++)        /* states a' != b' stay apart */
                assert_int_not_equal(state_after((int[]){a, x}, 2),
                                     state_after((int[]){b, x}, 2));
        }
}

/* Concretely: every 5-digit code word (4 digits + check) has every single
 * substitution and every adjacent swap detected. */
static void test_damm_all_short_codewords(void **state)
{
    unsigned v;
    int pos, d;
    (void)state;
    for (v = 0; v < 10000; v++) {
        char w[6], e[6];
        snprintf(w, sizeof(w), "%04u", v);
        w[4] = (char)('0' + awc_damm_digit(w, 4));
        w[5] = '\0';
        assert_int_equal(awc_damm_digit(w, 5), 0);
        for (pos = 0; pos < 5; pos++)
            for (d = 0; d < 10; d++) {
                if ('0' + d == w[pos])
                    continue;
                memcpy(e, w, sizeof(e));
                e[pos] = (char)('0' + d);
                assert_int_not_equal(awc_damm_digit(e, 5), 0);
            }
        for (pos = 0; pos < 4; pos++) {
            if (w[pos] == w[pos + 1])
                continue;
            memcpy(e, w, sizeof(e));
            e[pos] = w[pos + 1];
            e[pos + 1] = w[pos];
            assert_int_not_equal(awc_damm_digit(e, 5), 0);
        }
    }
}

/* --- prefix, format --------------------------------------------------------------- */

static void test_prefix_check(void **state)
{
    (void)state;
    assert_int_equal(awc_credit_prefix_check("AWSC"), 0);
    assert_int_equal(awc_credit_prefix_check("a"), 0);
    assert_int_equal(awc_credit_prefix_check("X9"), 0);
    assert_int_equal(awc_credit_prefix_check("ABCDEFGHIJKLMNOP"), 0);
    assert_int_equal(awc_credit_prefix_check("ABCDEFGHIJKLMNOPQ"), AWC_ECONFIG);
    assert_int_equal(awc_credit_prefix_check(""), AWC_ECONFIG);
    assert_int_equal(awc_credit_prefix_check(NULL), AWC_ECONFIG);
    assert_int_equal(awc_credit_prefix_check("AW-SC"), AWC_ECONFIG);
    assert_int_equal(awc_credit_prefix_check("AW SC"), AWC_ECONFIG);
    assert_int_equal(awc_credit_prefix_check("AWSÇ"), AWC_ECONFIG);
    assert_string_equal(awc_error_last(),
                        "ids.prefix 'AWSÇ': must be 1 to 16 ASCII letters or digits");
}

static void test_format_table(void **state)
{
    static const struct {
        const char *prefix;
        uint64_t seq;
        const char *want;
    } cases[] = {
        {"AWSC", 1, "AWSC-000000-0000-0013"},
        {"AWSC", 7, "AWSC-000000-0000-0076"},
        {"AWSC", 8, "AWSC-000000-0000-0084"},
        {"AWSC", 42, "AWSC-000000-0000-0427"},
        {"AWSC", UINT64_C(1234567890123), "AWSC-123456-7890-1230"},
        {"AWSC", AWC_CREDIT_SEQ_MAX, "AWSC-999999-9999-9992"},
        {"Acme", 1, "Acme-000000-0000-0013"},
        {"ABCDEFGHIJKLMNOP", 1, "ABCDEFGHIJKLMNOP-000000-0000-0013"},
    };
    char buf[AWC_CREDIT_ID_BUFSZ];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = awc_credit_id_format(buf, sizeof(buf), cases[i].prefix, cases[i].seq);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, (int)strlen(cases[i].want));
    }
}

static void test_format_errors(void **state)
{
    char buf[AWC_CREDIT_ID_BUFSZ];
    (void)state;
    assert_int_equal(awc_credit_id_format(buf, sizeof(buf), "AWSC", 0), AWC_EOVERFLOW);
    assert_int_equal(awc_credit_id_format(buf, sizeof(buf), "AWSC", AWC_CREDIT_SEQ_MAX + 1),
                     AWC_EOVERFLOW);
    assert_string_equal(awc_error_last(),
                        "credit sequence number 10000000000000 outside 1..9999999999999");
    assert_int_equal(awc_credit_id_format(buf, sizeof(buf), "", 1), AWC_ECONFIG);
    assert_int_equal(awc_credit_id_format(buf, sizeof(buf), "AW-SC", 1), AWC_ECONFIG);
    /* "AWSC-000000-0000-0013" is 21 bytes, 22 with the NUL */
    assert_int_equal(awc_credit_id_format(buf, 21, "AWSC", 1), AWC_EOVERFLOW);
    assert_string_equal(buf, "");
    assert_int_equal(awc_credit_id_format(buf, 22, "AWSC", 1), 21);
}

/* --- parse -------------------------------------------------------------------------- */

static const struct {
    const char *id;
    const char *prefix;
    int rc;
    uint64_t seq;
    const char *msg;            /* NULL: not checked */
} parse_cases[] = {
    {"AWSC-000000-0000-0013", "AWSC", 0, 1, NULL},
    {"awsc-000000-0000-0013", "AWSC", 0, 1, NULL},
    {"AwSc-000000-0000-0013", "AWSC", 0, 1, NULL},
    {"AWSC-000000-0000-0013", "awsc", 0, 1, NULL},
    {"AWSC-123456-7890-1230", "AWSC", 0, UINT64_C(1234567890123), NULL},
    {"AWSC-999999-9999-9992", "AWSC", 0, AWC_CREDIT_SEQ_MAX, NULL},
    {"AWSC-000000-0000-0018", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC-000000-0000-0018': wrong check digit"},
    {"AWSC-000000-0000-0031", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC-000000-0000-0031': wrong check digit"},
    {"AWSC-000000-0000-0000", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC-000000-0000-0000': sequence number 0 is never issued"},
    {"XYZ-000000-0000-0013", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'XYZ-000000-0000-0013': unknown prefix 'XYZ' (expected 'AWSC')"},
    {"AWS-000000-0000-0013", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWS-000000-0000-0013': unknown prefix 'AWS' (expected 'AWSC')"},
    {"AWSC-0000000-000-0013", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC-0000000-000-0013': expected AWSC-DDDDDD-DDDD-DDDD"},
    {"AWSC000000-0000-0013", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC000000-0000-0013': expected AWSC-DDDDDD-DDDD-DDDD"},
    {"AWSC-00000000000013", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"AWSC-000000-0000-00131", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"AWSC-000000-0000-001", "AWSC", AWC_EBADINPUT, 0, NULL},
    {" AWSC-000000-0000-0013", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"AWSC-000000-0000-0013 ", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"AWSC-000000-0000-0013\n", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"-000000-0000-0013", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"000000-0000-0013", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"AWSC--000000-0000-0013", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"AWSC-00000--0000-0013", "AWSC", AWC_EBADINPUT, 0, NULL},
    {"", "AWSC", AWC_EBADINPUT, 0, "credit ID '': expected AWSC-DDDDDD-DDDD-DDDD"},
    {"AWSC-000000-0000-001x", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC-000000-0000-001x': 'x' at position 21 is not a digit"},
    {"AWSC-00000O-0000-0013", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC-00000O-0000-0013': 'O' at position 11 is not a digit"},
    {"AWSC-000000-0000-001\t", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'AWSC-000000-0000-001 ': byte 0x09 at position 21 is not a digit"},
    {"AWSC-000000-0000-0013", "", AWC_ECONFIG, 0, NULL},
    {"AWSC-000000-0000-0013", "AW-SC", AWC_ECONFIG, 0, NULL},
    {"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "AWSC", AWC_EBADINPUT, 0,
     "credit ID 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...': expected AWSC-DDDDDD-DDDD-DDDD"},
};

static void test_parse_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        uint64_t seq = SENTINEL;
        int rc = awc_credit_id_parse(&seq, parse_cases[i].id, parse_cases[i].prefix);
        if (rc != parse_cases[i].rc || (rc == 0 && seq != parse_cases[i].seq)
            || (rc != 0 && seq != SENTINEL))
            fail_msg("parse '%s' (prefix '%s'): rc %d seq %" PRIu64 " (%s)", parse_cases[i].id,
                     parse_cases[i].prefix, rc, seq, awc_error_last());
        if (parse_cases[i].msg)
            assert_string_equal(awc_error_last(), parse_cases[i].msg);
    }
}

/* --- properties over real IDs ----------------------------------------------------------- */

/* Offsets of the 14 digits in "AWSC-DDDDDD-DDDD-DDDD". */
static const size_t digit_at[14] = {5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20};

static void expect_refused(const char *id)
{
    uint64_t seq = SENTINEL;
    int rc = awc_credit_id_parse(&seq, id, "AWSC");
    if (rc != AWC_EBADINPUT || seq != SENTINEL)
        fail_msg("'%s' was accepted (rc %d seq %" PRIu64 ")", id, rc, seq);
    if (!strstr(awc_error_last(), "wrong check digit"))
        fail_msg("'%s': unexpected message %s", id, awc_error_last());
}

/* One ID: it parses back; every single-digit error and every adjacent
 * transposition of its 14 digits is refused as a wrong check digit. */
static void check_all_errors(uint64_t seq)
{
    char id[AWC_CREDIT_ID_BUFSZ], bad[AWC_CREDIT_ID_BUFSZ];
    uint64_t back = SENTINEL;
    size_t i;
    int d;

    assert_int_equal(awc_credit_id_format(id, sizeof(id), "AWSC", seq), 21);
    assert_int_equal(awc_credit_id_parse(&back, id, "AWSC"), 0);
    if (back != seq)
        fail_msg("'%s' parsed as %" PRIu64 ", want %" PRIu64, id, back, seq);

    for (i = 0; i < 14; i++)
        for (d = '0'; d <= '9'; d++) {
            if (id[digit_at[i]] == d)
                continue;
            memcpy(bad, id, sizeof(bad));
            bad[digit_at[i]] = (char)d;
            expect_refused(bad);
        }
    for (i = 0; i + 1 < 14; i++) {
        char x = id[digit_at[i]], y = id[digit_at[i + 1]];
        if (x == y)
            continue;
        memcpy(bad, id, sizeof(bad));
        bad[digit_at[i]] = y;
        bad[digit_at[i + 1]] = x;
        expect_refused(bad);
    }
}

static void test_prop_every_error_caught(void **state)
{
    static const uint64_t edges[] = {1, 2, 9, 10, 99, 100, 1000000, AWC_CREDIT_SEQ_MAX - 1,
                                     AWC_CREDIT_SEQ_MAX, UINT64_C(1010101010101),
                                     UINT64_C(1234567890123), UINT64_C(9876543210987)};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        check_all_errors(edges[i]);
    rng_seed("credit ID errors");
    for (i = 0; i < RANDOM_SEQS; i++) {
        /* half spread over all 13 digits, half small like a young database */
        uint64_t seq = i % 2 ? rng_next() % AWC_CREDIT_SEQ_MAX + 1 : rng_next() % 1000000 + 1;
        check_all_errors(seq);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_damm_known),
        cmocka_unit_test(test_damm_promises_exhaustive),
        cmocka_unit_test(test_damm_all_short_codewords),
        cmocka_unit_test(test_prefix_check),
        cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_prop_every_error_caught),
    };
    return cmocka_run_group_tests_name("credit_id", tests, NULL, NULL);
}
