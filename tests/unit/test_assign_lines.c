/*
 * test_assign_lines.c -- assign.c: the split lines of one credit and their
 * JSON (the detail of every assign event).  Lines are filled into buffers
 * that held other lines before, as assignment reuses them chunk after
 * chunk: nothing of the old content may show through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "assign.h"
#include "awc.h"
#include "prng.h"

static const awc_owner OWNER = { "C-7", "AS-42", "R-NORTH", "Customer Seven", "North" };

static awc_split_spec percent(const char *s)
{
    awc_split_spec spec;
    assert_int_equal(awc_splitspec_parse_percent(&spec, s), 0);
    return spec;
}

static void test_lines_fields(void **state)
{
    awc_split_line l[AWC_SPEC_MAX + 1];
    awc_split_spec spec = percent("customer:60,reseller:30,party:P-1:5");
    size_t n = 0;

    (void)state;
    memset(l, 'x', sizeof(l)); /* stale content everywhere */
    assert_int_equal(awc_assign_lines(l, AWC_SPEC_MAX + 1, &n, -10001, &spec, &OWNER), 0);
    assert_int_equal(n, 4);

    assert_int_equal(l[0].line_no, 1);
    assert_int_equal(l[0].kind, AWC_SPLIT_CUSTOMER);
    assert_string_equal(l[0].target_name, "Customer Seven");
    assert_string_equal(l[0].party_id, "");
    assert_int_equal(l[0].bp, 6000);
    assert_string_equal(l[1].target_name, "North");
    assert_int_equal(l[1].kind, AWC_SPLIT_RESELLER);
    assert_int_equal(l[2].kind, AWC_SPLIT_PARTY);
    assert_string_equal(l[2].party_id, "P-1");
    assert_string_equal(l[2].target_name, "P-1");
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(l[i].customer_id, "C-7");
        assert_string_equal(l[i].asset_id, "AS-42");
        assert_string_equal(l[i].reseller_id, "R-NORTH");
        assert_string_equal(l[i].record_id, "");
    }

    assert_int_equal(l[3].line_no, 4);
    assert_int_equal(l[3].kind, AWC_SPLIT_RETAINED);
    assert_int_equal(l[3].bp, -1);
    assert_string_equal(l[3].target_name, "distributor");
    assert_string_equal(l[3].party_id, "");
    assert_string_equal(l[3].customer_id, "");
    assert_string_equal(l[3].asset_id, "");
    assert_string_equal(l[3].reseller_id, "");
    assert_string_equal(l[3].record_id, "");
    assert_int_equal(l[0].amount_minor + l[1].amount_minor + l[2].amount_minor +
                         l[3].amount_minor, -10001);
}

/* Without an owner (an edit that names no account) the ids stay empty. */
static void test_lines_no_owner(void **state)
{
    awc_split_line l[AWC_SPEC_MAX + 1];
    awc_split_spec spec = percent("customer:100");
    size_t n = 0;

    (void)state;
    memset(l, 'x', sizeof(l));
    assert_int_equal(awc_assign_lines(l, AWC_SPEC_MAX + 1, &n, 500, &spec, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(l[0].customer_id, "");
    assert_string_equal(l[0].asset_id, "");
    assert_string_equal(l[0].reseller_id, "");
    assert_string_equal(l[0].target_name, "");
    assert_int_equal(l[0].amount_minor, 500);
    assert_int_equal(l[1].amount_minor, 0);
}

/* A name longer than 256 characters is cut at a character boundary. */
static void test_lines_long_name(void **state)
{
    awc_split_line l[AWC_SPEC_MAX + 1];
    awc_split_spec spec = percent("customer:100");
    char name[1200] = "";
    awc_owner o = OWNER;
    size_t n = 0;

    (void)state;
    for (size_t i = 0; i < 300; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2); /* e acute, two bytes; name stays terminated */
    o.customer_name = name;
    assert_int_equal(awc_assign_lines(l, AWC_SPEC_MAX + 1, &n, 1, &spec, &o), 0);
    assert_int_equal(strlen(l[0].target_name), 512);
}

static void test_json_text(void **state)
{
    awc_split_line l[AWC_SPEC_MAX + 1];
    awc_split_spec spec = percent("customer:60,party:P-1.x_2:5");
    char buf[512];
    size_t n = 0;

    (void)state;
    assert_int_equal(awc_assign_lines(l, AWC_SPEC_MAX + 1, &n, -10001, &spec, &OWNER), 0);
    awc_lines_json(buf, sizeof(buf), l, n);
    assert_string_equal(buf, "[{\"target\":\"customer\",\"percent_bp\":6000,\"amount_minor\":-6001},"
                             "{\"target\":\"party\",\"party_id\":\"P-1.x_2\",\"percent_bp\":500,"
                             "\"amount_minor\":-500},"
                             "{\"target\":\"retained\",\"percent_bp\":-1,\"amount_minor\":-3500}]");
    awc_lines_json(buf, sizeof(buf), l, 0);
    assert_string_equal(buf, "[]");
}

static void test_json_limits(void **state)
{
    awc_split_line l[2];
    char buf[256];
    size_t n = 0;
    awc_split_spec spec = percent("customer:100");

    (void)state;
    assert_int_equal(awc_assign_lines(l, 2, &n, 0, &spec, &OWNER), 0);
    l[0].amount_minor = INT64_MIN;
    l[1].amount_minor = INT64_MAX;
    awc_lines_json(buf, sizeof(buf), l, 2);
    assert_string_equal(buf, "[{\"target\":\"customer\",\"percent_bp\":10000,"
                             "\"amount_minor\":-9223372036854775808},"
                             "{\"target\":\"retained\",\"percent_bp\":-1,"
                             "\"amount_minor\":9223372036854775807}]");
}

/* Exactly the room it needs, and one byte less: then "[]", never a cut
 * document. */
static void test_json_room(void **state)
{
    awc_split_line l[AWC_SPEC_MAX + 1];
    awc_split_spec spec = percent("customer:80,reseller:20");
    char full[512], buf[512];
    size_t n = 0, need;

    (void)state;
    assert_int_equal(awc_assign_lines(l, AWC_SPEC_MAX + 1, &n, -999, &spec, &OWNER), 0);
    awc_lines_json(full, sizeof(full), l, n);
    need = strlen(full) + 1;
    memset(buf, '#', sizeof(buf));
    awc_lines_json(buf, need, l, n);
    assert_string_equal(buf, full);
    memset(buf, '#', sizeof(buf));
    awc_lines_json(buf, need - 1, l, n);
    assert_string_equal(buf, "[]");
    assert_int_equal(buf[need - 1], '#'); /* nothing written past the room */
    awc_lines_json(buf, 3, l, n);
    assert_string_equal(buf, "[]");
    awc_lines_json(buf, 1, l, n);
    assert_string_equal(buf, "");
}

/* ---- the money rule for a reseller admin (SPEC 7) --------------------------------- */

typedef struct lines_t {
    awc_split_line l[AWC_SPEC_MAX + 1];
    size_t n;
} lines_t;

static lines_t lines_of(const char *pct, int64_t total)
{
    lines_t b;
    awc_split_spec spec = percent(pct);
    assert_int_equal(awc_assign_lines(b.l, AWC_SPEC_MAX + 1, &b.n, total, &spec, &OWNER), 0);
    return b;
}

/* rc of a reseller's spec text (percent, or amounts when it has a '.') */
static int reseller(lines_t *out, const lines_t *before, int64_t total, int e, const char *text)
{
    awc_split_spec spec;
    if (strstr(text, ":-"))                /* amounts are negative, like credits */
        assert_int_equal(awc_splitspec_parse_amounts(&spec, text, e), 0);
    else
        spec = percent(text);
    return awc_reseller_lines(out->l, AWC_SPEC_MAX + 1, &out->n, total, e, &spec, before->l,
                              before->n, &OWNER);
}

static int64_t sum(const lines_t *x)
{
    int64_t s = 0;
    for (size_t i = 0; i < x->n; i++)
        s += x->l[i].amount_minor;
    return s;
}

/* The hardening issue's case: a MAP credit split 80/15 with 5 % retained;
 * "reseller:100" took the distributor's share. */
static void test_reseller_keeps_retained(void **state)
{
    lines_t b = lines_of("customer:80,reseller:15", -10000), a;
    (void)state;

    assert_int_equal(b.l[2].amount_minor, -500);
    assert_int_equal(reseller(&a, &b, -10000, 2, "reseller:100"), AWC_EPERM);
    assert_non_null(strstr(awc_error_last(), "share 95 %"));
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:60,reseller:30"), AWC_EPERM);
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:100"), AWC_EPERM);
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:-95.00,reseller:-5.00"), AWC_EPERM);
    assert_non_null(strstr(awc_error_last(), "share -95.00"));
    assert_non_null(strstr(awc_error_last(), "add up to -100.00"));

    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:60,reseller:35"), 0);
    assert_int_equal(a.n, 3);
    assert_int_equal(a.l[0].kind, AWC_SPLIT_CUSTOMER);
    assert_int_equal(a.l[0].amount_minor, -6000);
    assert_int_equal(a.l[0].bp, 6000);
    assert_int_equal(a.l[1].amount_minor, -3500);
    assert_int_equal(a.l[1].bp, 3500);
    assert_int_equal(a.l[2].kind, AWC_SPLIT_RETAINED);
    assert_int_equal(a.l[2].amount_minor, -500);

    assert_int_equal(reseller(&a, &b, -10000, 2, "reseller:95"), 0);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.l[0].amount_minor, -9500);
    assert_int_equal(a.l[1].amount_minor, -500);

    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:-90.00,reseller:-5.00"), 0);
    assert_int_equal(a.l[0].amount_minor, -9000);
    assert_int_equal(a.l[0].bp, -1);
    assert_int_equal(a.l[2].amount_minor, -500);
}

static void test_reseller_keeps_parties(void **state)
{
    lines_t b = lines_of("customer:80,reseller:10,party:P-1:5", -10000), a;
    (void)state;

    /* the party stays, with its share and percentage, wherever it is named */
    assert_int_equal(reseller(&a, &b, -10000, 2, "reseller:5,customer:85"), 0);
    assert_int_equal(a.n, 4);
    assert_int_equal(a.l[0].kind, AWC_SPLIT_RESELLER);
    assert_int_equal(a.l[0].amount_minor, -500);
    assert_int_equal(a.l[1].amount_minor, -8500);
    assert_int_equal(a.l[2].kind, AWC_SPLIT_PARTY);
    assert_string_equal(a.l[2].party_id, "P-1");
    assert_int_equal(a.l[2].amount_minor, -500);
    assert_int_equal(a.l[2].bp, 500);
    assert_int_equal(a.l[3].amount_minor, -500);
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:80,reseller:10,party:P-1:5"), 0);

    /* only a distributor adds, removes or changes a named party */
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:80,reseller:5,party:P-1:10"),
                     AWC_EPERM);
    assert_non_null(strstr(awc_error_last(), "changes party P-1"));
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:85,party:P-2:5"), AWC_EPERM);
    assert_non_null(strstr(awc_error_last(), "adds party P-2"));
    assert_int_equal(reseller(&a, &b, -10000, 2, "party:P-1:5"), AWC_EPERM);
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:-85.00,reseller:-5.00"), 0);
    assert_int_equal(a.l[2].amount_minor, -500);
}

/* JPY: no decimals; the budget is split to the yen and nothing drifts */
static void test_reseller_jpy(void **state)
{
    lines_t b = lines_of("customer:33.33,reseller:33.33,party:P-1:33.33", -1001), a;
    (void)state;

    assert_int_equal(sum(&b), -1001);
    assert_int_equal(reseller(&a, &b, -1001, 0, "customer:66.66"), 0);
    assert_int_equal(a.l[0].amount_minor, b.l[0].amount_minor + b.l[1].amount_minor);
    assert_int_equal(a.l[1].amount_minor, b.l[2].amount_minor);
    assert_int_equal(a.l[2].amount_minor, b.l[3].amount_minor);
    assert_int_equal(sum(&a), -1001);
    assert_int_equal(reseller(&a, &b, -1001, 0, "customer:0.01,reseller:66.65"), 0);
    assert_int_equal(sum(&a), -1001);
    assert_int_equal(a.l[3].amount_minor, b.l[3].amount_minor);
}

/* A split by amounts is redistributed by amounts. */
static void test_reseller_amount_split(void **state)
{
    awc_split_spec spec;
    lines_t b, a;
    (void)state;

    assert_int_equal(awc_splitspec_parse_amounts(&spec, "customer:-40.00,reseller:-10.00", 2), 0);
    assert_int_equal(awc_assign_lines(b.l, AWC_SPEC_MAX + 1, &b.n, -10000, &spec, &OWNER), 0);
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:50"), AWC_EPERM);
    assert_non_null(strstr(awc_error_last(), "give --amounts"));
    assert_int_equal(reseller(&a, &b, -10000, 2, "customer:-25.00,reseller:-25.00"), 0);
    assert_int_equal(a.l[2].amount_minor, -5000);
}

/* Property: every redistribution a reseller may make keeps the retained
 * and party lines exactly and adds up to the total. */
static void test_reseller_property(void **state)
{
    (void)state;
    rng_seed("reseller money rule");
    for (int round = 0; round < 3000; round++) {
        int e = rng_below(2) ? 0 : 2;
        int64_t total = -(int64_t)rng_below(100000000) - 1;
        int32_t c = (int32_t)rng_below(6001), r = (int32_t)rng_below(2001);
        int32_t p = (int32_t)rng_below(1001);
        char text[128];
        lines_t b, a;

        snprintf(text, sizeof(text), "customer:%d.%02d,reseller:%d.%02d,party:P-1:%d.%02d",
                 c / 100, c % 100, r / 100, r % 100, p / 100, p % 100);
        b = lines_of(text, total);
        {
            int32_t budget = c + r, nc = (int32_t)rng_below((uint64_t)budget + 1);
            snprintf(text, sizeof(text), "customer:%d.%02d,reseller:%d.%02d", nc / 100,
                     nc % 100, (budget - nc) / 100, (budget - nc) % 100);
        }
        assert_int_equal(reseller(&a, &b, total, e, text), 0);
        assert_int_equal(sum(&a), total);
        assert_int_equal(a.l[0].amount_minor + a.l[1].amount_minor,
                         b.l[0].amount_minor + b.l[1].amount_minor);
        assert_int_equal(a.l[2].amount_minor, b.l[2].amount_minor);
        assert_string_equal(a.l[2].party_id, "P-1");
        assert_int_equal(a.l[3].amount_minor, b.l[3].amount_minor);
        for (size_t i = 0; i < a.n; i++)
            assert_true(a.l[i].amount_minor <= 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_fields),
        cmocka_unit_test(test_lines_no_owner),
        cmocka_unit_test(test_lines_long_name),
        cmocka_unit_test(test_json_text),
        cmocka_unit_test(test_json_limits),
        cmocka_unit_test(test_json_room),
        cmocka_unit_test(test_reseller_keeps_retained),
        cmocka_unit_test(test_reseller_keeps_parties),
        cmocka_unit_test(test_reseller_jpy),
        cmocka_unit_test(test_reseller_amount_split),
        cmocka_unit_test(test_reseller_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
