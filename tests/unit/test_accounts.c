/* test_accounts.c -- the accounts map from CSV: rows, bad rows named by file,
 * line and column, overlaps found in large files, and the number of key
 * comparisons held to O(n log n). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>

#include <cmocka.h>

#include "accounts.h"
#include "awc.h"
#include "prng.h"

#define HEADER "account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name," \
               "valid_from,valid_to\n"

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (t->cap - t->n < 256) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    assert_true(k > 0 && (size_t)k < t->cap - t->n);
    t->n += (size_t)k;
}

/* One row: account 100000000000 + acct, the range [from, to] given as
 * years (to 0 = open). */
static void row(text *t, unsigned long acct, int from, int to)
{
    char end[16] = "";
    if (to)
        snprintf(end, sizeof(end), "%04d-12-31", to);
    add(t, "%012lu,C-%lu,AS-%lu,R-%lu,Customer %lu,Reseller,%04d-01-01,%s\n",
        100000000000UL + acct, acct % 997, acct, acct % 7, acct % 997, from, end);
}

/* n accounts in a shuffled order, each with `per` consecutive ranges of a
 * year, the last one open. */
static void shuffled(text *t, size_t n, int per)
{
    size_t *order = malloc(n * sizeof(*order));
    assert_non_null(order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(i), x = order[i - 1];
        order[i - 1] = order[j];
        order[j] = x;
    }
    add(t, HEADER);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < per; k++)
            row(t, order[i], 2020 + k, k + 1 == per ? 0 : 2020 + k);
    free(order);
}

static int load(awc_accounts *am, const char *name, const text *t)
{
    int rc;
    awc_accounts_init(am, name);
    if ((rc = awc_accounts_read(am, t->s, t->n)) == 0)
        rc = awc_accounts_check(am);
    return rc;
}

static void test_large_file(void **state)
{
    text t = { 0 };
    awc_accounts am;
    (void)state;
    rng_seed("large_file");
    shuffled(&t, 10000, 2);
    assert_int_equal(load(&am, "big.csv", &t), 0);
    assert_int_equal(am.bad, 0);
    assert_int_equal(am.n, 20000);
    assert_int_equal(am.accounts, 10000);
    /* the rows stay in file order, each with its line */
    for (size_t i = 0; i < am.n; i++)
        assert_int_equal(am.lines[i], i + 2);
    assert_string_equal(am.rows[0].valid_from, "2020-01-01");
    assert_string_equal(am.rows[0].valid_to, "2020-12-31");
    assert_string_equal(am.rows[1].valid_from, "2021-01-01");
    assert_string_equal(am.rows[1].valid_to, "");
    assert_string_equal(am.rows[19999].reseller_name, "Reseller");
    awc_accounts_free(&am);
    free(t.s);
}

/* An overlap far from the row it meets: line 15001 starts inside line 3's
 * range; and a bad date on line 12345, named by column. */
static void test_overlap_in_large_file(void **state)
{
    text t = { 0 };
    awc_accounts am;
    char want[256];
    (void)state;
    add(&t, HEADER);
    for (unsigned long i = 0; i < 19999; i++) {
        if (i == 12343)
            add(&t, "%012lu,C-1,AS-1,R-1,x,y,2024-02-30,\n", 100000000000UL + 500000 + i);
        else if (i == 14999)
            row(&t, 1, 2023, 0); /* line 15001: account 1 again, from 2023 */
        else
            row(&t, i, 2020, i % 3 ? 2025 : 0);
    }
    assert_int_equal(load(&am, "big.csv", &t), 0);
    assert_int_equal(am.bad, 2);
    assert_string_equal(am.first_bad, "big.csv:12345: valid_from: expected a date YYYY-MM-DD");
    awc_accounts_free(&am);

    /* without the bad date, the overlap comes first */
    memcpy(strstr(t.s, "2024-02-30"), "2024-02-28", 10);
    assert_int_equal(load(&am, "big.csv", &t), 0);
    assert_int_equal(am.bad, 1);
    snprintf(want, sizeof(want), "big.csv:15001: valid_from: account %012lu already has an "
             "owner on 2023-01-01 (line 3 covers 2020-01-01..2025-12-31)", 100000000001UL);
    assert_string_equal(am.first_bad, want);
    assert_int_equal(am.n, 19999);
    awc_accounts_free(&am);
    free(t.s);
}

static void log_count(void *arg, const char *msg)
{
    (void)msg;
    ++*(int *)arg;
}

/* Two rows with the same start: the later line is the one reported,
 * whatever order the sort leaves them in; bad rows beyond the first
 * AWC_ACCOUNTS_BAD_SHOWN are counted, not logged. */
static void test_same_start_and_many_bad(void **state)
{
    text t = { 0 };
    awc_accounts am;
    int logged = 0;
    (void)state;
    add(&t, HEADER);
    row(&t, 5, 2020, 0);
    for (int i = 0; i < 30; i++)
        row(&t, 5, 2020, 2020);
    awc_accounts_init(&am, "same.csv");
    am.log = log_count;
    am.log_arg = &logged;
    assert_int_equal(awc_accounts_read(&am, t.s, t.n), 0);
    assert_int_equal(awc_accounts_check(&am), 0);
    assert_int_equal(am.bad, 30);
    assert_int_equal(logged, AWC_ACCOUNTS_BAD_SHOWN);
    assert_string_equal(am.first_bad, "same.csv:3: valid_from: account 100000000005 already "
                        "has an owner on 2020-01-01 (line 2 covers 2020-01-01..open)");
    assert_int_equal(am.accounts, 1);
    awc_accounts_free(&am);
    free(t.s);
}

static void test_header_and_fields(void **state)
{
    text t = { 0 };
    awc_accounts am;
    (void)state;
    add(&t, "account_id,customer_id\n");
    awc_accounts_init(&am, "h.csv");
    assert_int_equal(awc_accounts_read(&am, t.s, t.n), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "h.csv:1: missing column 'asset_id'"));
    awc_accounts_free(&am);

    t.n = 0;
    add(&t, "valid_to,valid_from,reseller_name,customer_name,reseller_id,asset_id,"
            "customer_id,account_id,extra\n");
    add(&t, ",2026-01-01,R,C,R-1,AS-1,C-1,123456789012,x\n");
    add(&t, ",2026-01-01,R,C,R-1,AS-1,=C-1,123456789013,x\n");
    add(&t, "2025-01-01,2026-01-01,R,C,R-1,AS-1,C-1,123456789014,x\n");
    add(&t, ",2026-01-01,R,C,R-1,AS-1,C-1,12345678901,x\n");
    add(&t, ",2026-01-01,R,C\n");
    assert_int_equal(load(&am, "f.csv", &t), 0);
    assert_int_equal(am.n, 1);
    assert_int_equal(am.accounts, 1);
    assert_int_equal(am.bad, 4);
    assert_string_equal(am.first_bad, "f.csv:3: customer_id: required, at most 128 bytes, no "
                        "control characters, not starting with = + - @");
    assert_string_equal(am.rows[0].account_id, "123456789012");
    assert_string_equal(am.rows[0].customer_id, "C-1");
    awc_accounts_free(&am);
    free(t.s);
}

/* The number of key comparisons, not the time: every check of rows
 * against rows goes through the sorted order, so n rows take at most
 * about n log2 n comparisons.  Comparing each row with every earlier one
 * (as counting the accounts once did) takes n^2 / 2: 2.1e9 for the last
 * size here, against a bound of 3.1e6. */
static void test_comparisons_n_log_n(void **state)
{
    (void)state;
    rng_seed("comparisons");
    for (size_t n = 4096; n <= 65536; n *= 4) {
        for (int per = 1; per <= 2; per++) {
            text t = { 0 };
            awc_accounts am;
            size_t rows = n * (size_t)per;
            double bound = 1.5 * (double)rows * log2((double)rows) + (double)rows;
            shuffled(&t, n, per);
            assert_int_equal(load(&am, "c.csv", &t), 0);
            assert_int_equal(am.n, rows);
            assert_int_equal(am.accounts, n);
            print_message("%zu rows: %llu comparisons (bound %.0f)\n", rows,
                          (unsigned long long)am.compares, bound);
            assert_true(am.compares > 0);
            assert_true((double)am.compares <= bound);
            awc_accounts_free(&am);
            free(t.s);
        }
    }
}

static void test_out_of_memory(void **state)
{
    text t = { 0 };
    int enomem = 0;
    (void)state;
    add(&t, HEADER);
    for (unsigned long i = 0; i < 1500; i++)
        row(&t, i, 2020, 0);
    for (long k = 0; k < 40; k++) {
        awc_accounts am;
        int rc;
        awc_alloc_fail_after(k);
        rc = load(&am, "m.csv", &t);
        awc_alloc_fail_after(-1);
        assert_true(rc == 0 || rc == AWC_ENOMEM);
        enomem += rc == AWC_ENOMEM;
        awc_accounts_free(&am);
    }
    assert_true(enomem > 0);
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_file),
        cmocka_unit_test(test_overlap_in_large_file),
        cmocka_unit_test(test_same_start_and_many_bad),
        cmocka_unit_test(test_header_and_fields),
        cmocka_unit_test(test_comparisons_n_log_n),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests_name("accounts", tests, NULL, NULL);
}
