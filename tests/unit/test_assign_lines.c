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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_fields),
        cmocka_unit_test(test_lines_no_owner),
        cmocka_unit_test(test_lines_long_name),
        cmocka_unit_test(test_json_text),
        cmocka_unit_test(test_json_limits),
        cmocka_unit_test(test_json_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
