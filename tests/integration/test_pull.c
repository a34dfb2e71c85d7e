/*
 * test_pull.c -- CUR rows to stored credits on a real MariaDB (SPEC 5.2-5.4):
 * a second pull of the same data changes nothing; a restated sum updates an
 * editable credit and becomes a linked adjustment for a processed one; a
 * failure part-way writes nothing; batches cross the 1000-row boundary both
 * with array binding and row at a time; totals match an independent sum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aggregate.h"
#include "awc.h"
#include "credit.h"
#include "cur.h"
#include "pull.h"
#include "testdb.h"

static testdb db;
static awc_store *st;
static char csv[256];

static const awc_actor ops = { sizeof(awc_actor), AWC_ROLE_DISTRIBUTOR, "ops", NULL, NULL };

static const char header[] =
    "identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,"
    "line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,"
    "line_item_product_code,line_item_currency_code,line_item_unblended_cost,"
    "line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id\n";

static void write_csv(const char *rows)
{
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs(header, f);
    fputs(rows, f);
    assert_int_equal(fclose(f), 0);
}

/* Two credits of 2026-10 from three credit rows, plus noise. */
static const char rows_v1[] =
    "a1,2026-10-01T00:00:00Z,111122223333,444455556666,Usage,2026-10-03T00:00:00Z,AmazonEC2,USD,12.5,EC2 usage,AWS,\"Amazon Web Services, Inc.\",\n"
    "a2,2026-10-01T00:00:00Z,111122223333,444455556666,Credit,2026-10-05T00:00:00Z,AmazonEC2,USD,-10.1234567891,\"MAP credit _MPE12345, credit id: 10063543426\",AWS,\"Amazon Web Services, Inc.\",\n"
    "a3,2026-10-01T00:00:00Z,111122223333,444455556666,Credit,2026-10-02T00:00:00Z,AmazonEC2,USD,-0.0000000009,\"MAP credit _MPE12345, credit id: 10063543426\",AWS,\"Amazon Web Services, Inc.\",\n"
    "a4,2026-10-01T00:00:00Z,111122223333,777788889999,Credit,2026-10-09T00:00:00Z,AmazonS3,EUR,-3.25,\"  SLA   credit  for S3 \",AWS,\"Amazon Web Services EMEA SARL\",\n"
    "a5,2026-09-01T00:00:00Z,111122223333,777788889999,Credit,2026-09-09T00:00:00Z,AmazonS3,EUR,-99,Old month,AWS,x,\n"
    "a6,2026-10-01T00:00:00Z,111122223333,444455556666,Tax,2026-10-01T00:00:00Z,AmazonEC2,USD,1.00,Tax,AWS,x,\n";

static int pull(awc_pull_result *res)
{
    awc_cur_options opt;
    awc_agg *agg;
    int rc;

    memset(&opt, 0, sizeof(opt));
    opt.period = "2026-10";
    assert_int_equal(awc_agg_new(&agg), 0);
    rc = awc_cur_read_path(csv, &opt, awc_agg_add, agg, NULL);
    if (rc == 0)
        rc = awc_agg_finish(agg);
    if (rc == 0)
        rc = awc_pull_apply(st, agg, "2026-10", &ops, res);
    awc_agg_free(agg);
    return rc;
}

static long long q(const char *sql)
{
    return testdb_scalar(&db, sql);
}

static int setup(void **state)
{
    (void)state;
    snprintf(csv, sizeof(csv), "%s/awc-test-pull-%ld.csv", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                             : "/tmp",
             (long)getpid());
    if (testdb_create(&db, "pull") != 0 || testdb_store(&db, &st, 1) != 0) {
        fprintf(stderr, "setup: %s\n", awc_error_last());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(csv);
    if (st)
        st->ops->close(st);
    testdb_drop(&db);
    return 0;
}

static void test_first_pull(void **state)
{
    awc_pull_result r;
    (void)state;
    write_csv(rows_v1);
    assert_int_equal(pull(&r), 0);
    assert_int_equal(r.credits, 2);
    assert_int_equal(r.inserted, 2);
    assert_int_equal(q("SELECT COUNT(*) FROM credits"), 2);
    assert_int_equal(q("SELECT COUNT(*) FROM credit_events WHERE kind = 'create'"), 2);
    /* exact sum of two rows, type, key, dates, issue date = first usage - 1 */
    assert_int_equal(q("SELECT COUNT(*) FROM credits WHERE credit_key = '10063543426' AND "
                       "amount = -10.1234567900 AND credit_type = 'MAP' AND line_count = 2 AND "
                       "first_usage = '2026-10-02' AND last_usage = '2026-10-05' AND "
                       "issue_date = '2026-10-01' AND status = 'PENDING_ASSIGN'"), 1);
    assert_int_equal(q("SELECT COUNT(*) FROM credits WHERE credit_key = 'SLA credit for S3' AND "
                       "currency = 'EUR' AND amount = -3.25 AND credit_type = 'SLA' AND "
                       "legal_entity = 'Amazon Web Services EMEA SARL'"), 1);
}

static void test_same_data_twice_changes_nothing(void **state)
{
    awc_pull_result r;
    long long events = q("SELECT COUNT(*) FROM credit_events");
    (void)state;
    write_csv(rows_v1);
    assert_int_equal(pull(&r), 0);
    assert_int_equal(r.inserted, 0);
    assert_int_equal(r.unchanged, 2);
    assert_int_equal(q("SELECT COUNT(*) FROM credits"), 2);
    assert_int_equal(q("SELECT COUNT(*) FROM credit_events"), events);
    assert_int_equal(q("SELECT MAX(version) FROM credits"), 1);
}

static void test_restated_pending_credit(void **state)
{
    awc_pull_result r;
    char rows[4096];
    (void)state;
    /* AWS restates the SLA credit: -3.25 becomes -4.75 */
    snprintf(rows, sizeof(rows), "%s", rows_v1);
    char *p = strstr(rows, "EUR,-3.25");
    assert_non_null(p);
    memcpy(p, "EUR,-4.75", 9);
    write_csv(rows);
    assert_int_equal(pull(&r), 0);
    assert_int_equal(r.restated, 1);
    assert_int_equal(r.unchanged, 1);
    assert_int_equal(q("SELECT COUNT(*) FROM credits"), 2);
    assert_int_equal(q("SELECT COUNT(*) FROM credits WHERE currency = 'EUR' AND amount = -4.75 "
                       "AND version = 2"), 1);
    assert_int_equal(q("SELECT COUNT(*) FROM credit_events WHERE kind = 'restate' AND "
                       "detail LIKE '%-3.2500000000%-4.7500000000%'"), 1);
}

static uint64_t seq_of(const char *currency)
{
    const char *p[] = { currency };
    return (uint64_t)testdb_scalarp(&db, "SELECT seq FROM credits WHERE currency = ? AND "
                                         "revision = 0", p, 1);
}

static void test_processed_credit_gets_adjustment(void **state)
{
    awc_pull_result r;
    uint64_t usd = seq_of("USD");
    char rows[4096];
    (void)state;
    /* invoice the USD credit */
    assert_int_equal(awc_credit_step(st, &ops, usd, AWC_EV_ASSIGN, 0, NULL, NULL, NULL), 0);
    assert_int_equal(awc_credit_step(st, &ops, usd, AWC_EV_COLLECT, 0, NULL, NULL, NULL), 0);
    assert_int_equal(awc_credit_step(st, &ops, usd, AWC_EV_CLOSE, 0, NULL, NULL, NULL), 0);
    /* a late row adds -2.00 to it */
    snprintf(rows, sizeof(rows), "%s%s", rows_v1,
             "a7,2026-10-01T00:00:00Z,111122223333,444455556666,Credit,2026-10-20T00:00:00Z,AmazonEC2,USD,-2.00,\"MAP credit _MPE12345, credit id: 10063543426\",AWS,x,\n");
    char *p = strstr(rows, "EUR,-3.25");
    memcpy(p, "EUR,-4.75", 9);
    write_csv(rows);
    assert_int_equal(pull(&r), 0);
    assert_int_equal(r.adjustments, 1);
    assert_int_equal(r.inserted, 0);
    /* the processed credit is untouched; the difference is a new linked credit */
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credits WHERE seq = %llu AND "
             "amount = -10.1234567900 AND status = 'PROCESSED' AND version = 4",
             (unsigned long long)usd);
    assert_int_equal(q(sql), 1);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credits WHERE adjusts = %llu AND "
             "revision = 1 AND amount = -2 AND status = 'PENDING_ASSIGN'",
             (unsigned long long)usd);
    assert_int_equal(q(sql), 1);
    /* pulling it again changes nothing: no second adjustment */
    assert_int_equal(pull(&r), 0);
    assert_int_equal(r.adjustments, 0);
    assert_int_equal(r.unchanged, 2);
    /* a further change while the adjustment is pending restates the adjustment */
    p = strstr(rows, "USD,-2.00");
    memcpy(p, "USD,-3.00", 9);
    write_csv(rows);
    assert_int_equal(pull(&r), 0);
    assert_int_equal(r.restated, 1);
    assert_int_equal(r.adjustments, 0);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credits WHERE adjusts = %llu",
             (unsigned long long)usd);
    assert_int_equal(q(sql), 1);
    assert_int_equal(q("SELECT COUNT(*) FROM credits WHERE revision = 1 AND amount = -3"), 1);
    /* the input's total equals the stored total per currency */
    assert_int_equal(q("SELECT SUM(amount) = -13.12345679 FROM credits WHERE currency = 'USD'"), 1);
}

static void test_failure_writes_nothing(void **state)
{
    long long credits = q("SELECT COUNT(*) FROM credits");
    long long events = q("SELECT COUNT(*) FROM credit_events");
    char longcode[300];
    awc_credit_draft d[3];
    (void)state;
    memset(d, 0, sizeof(d));
    memset(longcode, 'X', sizeof(longcode) - 1);
    longcode[sizeof(longcode) - 1] = '\0';
    for (int i = 0; i < 3; i++) {
        snprintf(d[i].period, sizeof(d[i].period), "2026-11");
        snprintf(d[i].payer_account_id, 13, "111122223333");
        snprintf(d[i].usage_account_id, 13, "444455556666");
        snprintf(d[i].currency, 4, "USD");
        d[i].credit_key = i == 0 ? "k0" : i == 1 ? "k1" : "k2";
        d[i].product_code = i == 2 ? longcode : "AmazonEC2"; /* the third cannot be stored */
        d[i].amount = -AWC_MONEY_ONE;
        d[i].line_count = 1;
    }
    assert_int_equal(st->ops->credits_insert(st, d, 3, &ops), AWC_EDB);
    assert_int_equal(q("SELECT COUNT(*) FROM credits"), credits);
    assert_int_equal(q("SELECT COUNT(*) FROM credit_events"), events);
}

/* n credits across the 1000-row batch boundary; seqs distinct, all stored. */
static void big_batch(const char *period, size_t n)
{
    awc_credit_draft *d = calloc(n, sizeof(*d));
    char (*keys)[24] = calloc(n, 24);
    assert_non_null(d);
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++) {
        snprintf(d[i].period, sizeof(d[i].period), "%s", period);
        snprintf(d[i].payer_account_id, 13, "111122223333");
        snprintf(d[i].usage_account_id, 13, "%012zu", 100000000000 + i % 97);
        snprintf(d[i].currency, 4, "%s", i % 3 ? "USD" : "JPY");
        snprintf(keys[i], 24, "k%zu", i);
        d[i].credit_key = keys[i];
        d[i].product_code = "AmazonEC2";
        d[i].amount = -(awc_amount)(i + 1) * 1234567;
        d[i].line_count = 1;
    }
    assert_int_equal(st->ops->credits_insert(st, d, n, &ops), 0);
    for (size_t i = 1; i < n; i++)
        assert_true(d[i].seq != d[i - 1].seq && d[i].seq > 0);
    const char *p[] = { period };
    assert_int_equal(testdb_scalarp(&db, "SELECT COUNT(DISTINCT seq) FROM credits "
                                         "WHERE period = ?", p, 1), (long long)n);
    assert_int_equal(testdb_scalarp(&db, "SELECT SUM(amount) * 10000000000 FROM credits "
                                         "WHERE period = ?", p, 1),
                     -(long long)(n * (n + 1) / 2) * 1234567);
    assert_int_equal(testdb_scalarp(&db, "SELECT COUNT(*) FROM credit_events e JOIN credits c "
                                         "USING (seq) WHERE c.period = ? AND e.kind = 'create'",
                                    p, 1), (long long)n);
    free(d);
    free(keys);
}

static void test_batches_bulk(void **state)
{
    (void)state;
    big_batch("2025-01", 2345);
}

static void test_batches_row_at_a_time(void **state)
{
    (void)state;
    awc_store_mariadb_force_rows(st, 1);
    big_batch("2025-02", 1001);
    awc_store_mariadb_force_rows(st, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_pull),
        cmocka_unit_test(test_same_data_twice_changes_nothing),
        cmocka_unit_test(test_restated_pending_credit),
        cmocka_unit_test(test_processed_credit_gets_adjustment),
        cmocka_unit_test(test_failure_writes_nothing),
        cmocka_unit_test(test_batches_bulk),
        cmocka_unit_test(test_batches_row_at_a_time),
    };
    return cmocka_run_group_tests_name("pull", tests, setup, teardown);
}
