/*
 * test_athena_template.c -- cur_athena.c's query templates and their
 * expansion: the templates built into the module are byte for byte the
 * files sql/athena/cur1.sql and cur2.sql (found through AWC_TEST_ROOT, else
 * the current directory); every placeholder is filled and comment lines
 * dropped; values that could change the SQL (quotes, semicolons, comment
 * marks, spaces, dots in names, bad periods, odd line item types) are
 * refused before anything is sent; the ClientRequestToken is 64 hex
 * characters, the same for the same query and period, different otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "cur_athena.h"

static char *read_file(const char *rel)
{
    const char *root = getenv("AWC_TEST_ROOT");
    char path[1024];
    FILE *f;
    long n;
    char *p;

    snprintf(path, sizeof(path), "%s/%s", root && *root ? root : ".", rel);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    return p;
}

static void conf(awc_athena_conf *c, int version)
{
    memset(c, 0, sizeof(*c));
    c->database = "cur_db";
    c->table = "cur_2026";
    c->cur_version = version;
    c->workgroup = "primary";
    c->output_location = "s3://results/prefix/";
}

static void test_templates_equal_files(void **state)
{
    char *f1 = read_file("sql/athena/cur1.sql"), *f2 = read_file("sql/athena/cur2.sql");
    (void)state;
    assert_string_equal(awc_athena_cur1_sql, f1);
    assert_string_equal(awc_athena_cur2_sql, f2);
    free(f1);
    free(f2);
}

static void test_render_cur2(void **state)
{
    awc_athena_conf c;
    char *q = NULL;
    (void)state;
    conf(&c, 2);
    c.line_item_types = " Credit ,Refund";
    assert_int_equal(awc_athena_render(&q, &c, "2026-10"), 0);
    assert_non_null(strstr(q, "FROM \"cur_db\".\"cur_2026\"\n"));
    assert_non_null(strstr(q, "WHERE billing_period = '2026-10'\n"));
    assert_non_null(strstr(q, "AND line_item_line_item_type IN ('Credit', 'Refund')\n"));
    assert_true(strncmp(q, "SELECT\n", 7) == 0); /* the comment lines are gone */
    assert_null(strstr(q, "--"));
    assert_null(strstr(q, "{{"));
    assert_null(strstr(q, "}}"));
    awc_free(q);
}

static void test_render_cur1(void **state)
{
    awc_athena_conf c;
    char *q = NULL;
    (void)state;
    conf(&c, 1);
    assert_int_equal(awc_athena_render(&q, &c, "2026-03"), 0);
    assert_non_null(strstr(q, "WHERE year = '2026'\n"));
    assert_non_null(strstr(q, "AND month IN ('03', '3')\n"));
    assert_non_null(strstr(q, "AND bill_billing_period_start_date = TIMESTAMP '2026-03-01 "
                              "00:00:00'\n"));
    assert_non_null(strstr(q, "IN ('Credit')\n")); /* the default type */
    assert_null(strstr(q, "{{"));
    awc_free(q);
    assert_int_equal(awc_athena_render(&q, &c, "2026-12"), 0);
    assert_non_null(strstr(q, "AND month IN ('12', '12')\n"));
    awc_free(q);
}

static void test_injection_refused(void **state)
{
    static const char *const bad_names[] = {
        "cur\"; DROP TABLE x; --", "cur db", "cur.db", "cur'db", "cur--", "cur;", "", "cur\n",
        "cur\xc3\xa9", "a\"", "{{table}}",
    };
    static const char *const bad_periods[] = {
        "2026-13", "2026-00", "2026-1", "26-10", "2026-10' OR '1'='1", "2026/10", "2026-10 ",
        "", "0999-10",
    };
    static const char *const bad_types[] = {
        "Credit'", "Credit) OR (1=1", "Credit;--", "Cred it", "Credit,,Refund", "Credit,",
        "Crédit", "Credit1",
    };
    awc_athena_conf c;
    char *q = (char *)"untouched";
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        conf(&c, 2);
        c.database = bad_names[i];
        assert_int_equal(awc_athena_render(&q, &c, "2026-10"), AWC_ECONFIG);
        assert_null(q);
        assert_non_null(strstr(awc_error_last(), "athena.database"));
        conf(&c, 1);
        c.table = bad_names[i];
        assert_int_equal(awc_athena_render(&q, &c, "2026-10"), AWC_ECONFIG);
        assert_non_null(strstr(awc_error_last(), "athena.table"));
    }
    conf(&c, 2);
    c.table = NULL;
    assert_int_equal(awc_athena_render(&q, &c, "2026-10"), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "athena.table: not set"));
    for (i = 0; i < sizeof(bad_periods) / sizeof(bad_periods[0]); i++) {
        conf(&c, 2);
        assert_int_equal(awc_athena_render(&q, &c, bad_periods[i]), AWC_EUSAGE);
        assert_non_null(strstr(awc_error_last(), "period"));
    }
    for (i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
        conf(&c, 2);
        c.line_item_types = bad_types[i];
        assert_int_equal(awc_athena_render(&q, &c, "2026-10"), AWC_ECONFIG);
        assert_non_null(strstr(awc_error_last(), "cur.line_item_types"));
    }
    conf(&c, 3);
    assert_int_equal(awc_athena_render(&q, &c, "2026-10"), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "athena.cur_version"));
}

static int is_hex64(const char *s)
{
    size_t i;
    for (i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

static void test_token(void **state)
{
    awc_athena_conf c;
    char t1[65], t2[65], t3[65], t4[65], t5[65];
    (void)state;
    conf(&c, 2);
    awc_athena_token(t1, &c, "SELECT 1", "2026-10");
    awc_athena_token(t2, &c, "SELECT 1", "2026-10");
    assert_true(is_hex64(t1));
    assert_string_equal(t1, t2); /* a retried run: the same token */
    awc_athena_token(t3, &c, "SELECT 1", "2026-11");
    assert_string_not_equal(t1, t3);
    awc_athena_token(t4, &c, "SELECT 2", "2026-10");
    assert_string_not_equal(t1, t4);
    c.token_salt = "re-pull";
    awc_athena_token(t5, &c, "SELECT 1", "2026-10");
    assert_string_not_equal(t1, t5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates_equal_files),
        cmocka_unit_test(test_render_cur2),
        cmocka_unit_test(test_render_cur1),
        cmocka_unit_test(test_injection_refused),
        cmocka_unit_test(test_token),
    };
    return cmocka_run_group_tests_name("athena_template", tests, NULL, NULL);
}
