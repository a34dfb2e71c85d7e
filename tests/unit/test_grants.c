/* test_grants.c -- consumption of grants by credits (SPEC 16): both
 * policies (a grant exhausted mid-month and the next taking over; ties),
 * key-specific before blank-key grants, products, unmatched credits, the
 * four statuses at their boundaries, the forecast on a known burn, the
 * window of issue dates across a month boundary, the use per month of a
 * burn-down, and the grants and
 * hierarchy CSV files (bad rows named by line and field; cycles, unknown
 * parents). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>

#include <cmocka.h>

#include "awc.h"
#include "grants_csv.h"
#include "grants_draw.h"

#define ONE AWC_MONEY_ONE

static awc_grant_rec grant(const char *id, const char *acc, const char *key, long units,
                           const char *issue, const char *end, const char *products)
{
    awc_grant_rec g;
    memset(&g, 0, sizeof(g));
    snprintf(g.grant_id, sizeof(g.grant_id), "%s", id);
    snprintf(g.account_id, sizeof(g.account_id), "%s", acc);
    snprintf(g.currency, sizeof(g.currency), "USD");
    snprintf(g.issue_date, sizeof(g.issue_date), "%s", issue);
    snprintf(g.end_date, sizeof(g.end_date), "%s", end);
    g.credit_key = key;
    g.amount = units * ONE;
    g.reference = "";
    g.node_id = "";
    g.products = products;
    return g;
}

static awc_draw_row credit(uint64_t seq, const char *acc, const char *key, const char *product,
                           const char *date, awc_amount amount)
{
    awc_draw_row r;
    memset(&r, 0, sizeof(r));
    r.seq = seq;
    snprintf(r.account_id, sizeof(r.account_id), "%s", acc);
    snprintf(r.credit_key, sizeof(r.credit_key), "%s", key);
    snprintf(r.product_code, sizeof(r.product_code), "%s", product);
    snprintf(r.currency, sizeof(r.currency), "USD");
    snprintf(r.issue_date, sizeof(r.issue_date), "%s", date);
    r.amount = amount;
    return r;
}

static const awc_dgrant *find(awc_draw *d, const char *id)
{
    awc_dgrant *g = awc_draw_grants(d);
    for (size_t i = 0; i < awc_draw_count(d); i++)
        if (strcmp(g[i].grant_id, id) == 0)
            return &g[i];
    fail_msg("no grant %s", id);
    return NULL;
}

#define A "111111111111"

static awc_draw *setup(awc_policy p, const awc_draw_window *w, const awc_grant_rec *g, size_t n)
{
    awc_draw *d;
    assert_int_equal(awc_draw_new(&d, p, w), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(awc_draw_add(d, &g[i]), 0);
    assert_int_equal(awc_draw_ready(d), 0);
    return d;
}

/* fifo: the earliest issue date first; it runs out mid-month and the next
 * takes over, to the cent. */
static void test_fifo_takes_over(void **state)
{
    awc_grant_rec g[] = {
        grant("B", A, "", 100, "2026-02-01", "2026-12-31", ""),
        grant("A", A, "", 100, "2026-01-01", "2027-12-31", ""),
    };
    awc_draw *d = setup(AWC_POLICY_FIFO, NULL, g, 2);
    awc_draw_row c1 = credit(1, A, "k", "AmazonEC2", "2026-03-10", -60 * ONE);
    awc_draw_row c2 = credit(2, A, "k", "AmazonEC2", "2026-03-20", -(60 * ONE + 1));
    awc_amount un;

    (void)state;
    assert_int_equal(awc_draw_credit(d, &c1, &un), 0);
    assert_true(un == 0);
    assert_int_equal(awc_draw_credit(d, &c2, &un), 0);
    assert_true(un == 0);
    assert_true(find(d, "A")->drawn == (awc_sum)100 * ONE);
    assert_true(find(d, "B")->drawn == (awc_sum)20 * ONE + 1);
    assert_string_equal(awc_grant_status(find(d, "A"), "2026-04-01", 60), "EXHAUSTED");
    awc_draw_free(d);
}

/* aws: the closest end date first, then the fewest products; ties by
 * issue date, then grant_id. */
static void test_aws_order_and_ties(void **state)
{
    awc_grant_rec g[] = {
        grant("LATE", A, "", 100, "2026-01-01", "2027-12-31", ""),
        grant("SOON-ALL", A, "", 10, "2026-01-01", "2026-06-30", ""),
        grant("SOON-EC2", A, "", 10, "2026-01-01", "2026-06-30", "AmazonEC2"),
        grant("TIE-B", A, "", 5, "2025-01-01", "2026-05-31", "AmazonEC2"),
        grant("TIE-A", A, "", 5, "2025-01-01", "2026-05-31", "AmazonEC2"),
    };
    awc_draw *d = setup(AWC_POLICY_AWS, NULL, g, 5);
    awc_draw_row c = credit(1, A, "k", "AmazonEC2", "2026-03-01", -27 * ONE);

    (void)state;
    assert_int_equal(awc_draw_credit(d, &c, NULL), 0);
    assert_true(find(d, "TIE-A")->drawn == (awc_sum)5 * ONE);
    assert_true(find(d, "TIE-B")->drawn == (awc_sum)5 * ONE);
    assert_true(find(d, "SOON-EC2")->drawn == (awc_sum)10 * ONE);
    assert_true(find(d, "SOON-ALL")->drawn == (awc_sum)7 * ONE);
    assert_true(find(d, "LATE")->drawn == 0);
    awc_draw_free(d);

    /* the same grants under fifo: earliest issue date, then end date, then id */
    d = setup(AWC_POLICY_FIFO, NULL, g, 5);
    assert_int_equal(awc_draw_credit(d, &c, NULL), 0);
    assert_true(find(d, "TIE-A")->drawn == (awc_sum)5 * ONE);
    assert_true(find(d, "TIE-B")->drawn == (awc_sum)5 * ONE);
    assert_true(find(d, "SOON-ALL")->drawn == (awc_sum)10 * ONE);
    assert_true(find(d, "SOON-EC2")->drawn == (awc_sum)7 * ONE);
    awc_draw_free(d);
}

/* key-specific grants first, then blank-key ones; products and dates
 * limit a grant; what is left over is unmatched, per account and key. */
static void test_keys_products_unmatched(void **state)
{
    awc_grant_rec g[] = {
        grant("ANY", A, "", 50, "2026-01-01", "", ""),
        grant("KEYED", A, "K1", 30, "2026-06-01", "", ""),
        grant("S3", A, "K2", 100, "2026-01-01", "", "AmazonS3 AmazonRDS"),
        grant("OTHER", "222222222222", "", 100, "2026-01-01", "", ""),
    };
    awc_draw *d = setup(AWC_POLICY_FIFO, NULL, g, 4);
    awc_draw_row c1 = credit(1, A, "K1", "AmazonEC2", "2026-07-01", -40 * ONE);
    awc_draw_row c2 = credit(2, A, "K2", "AmazonEC2", "2026-07-02", -45 * ONE);
    awc_draw_row c3 = credit(3, A, "K1", "AmazonEC2", "2026-05-01", -1 * ONE);
    awc_amount un;

    (void)state;
    assert_int_equal(awc_draw_credit(d, &c1, &un), 0);
    assert_true(un == 0);
    assert_true(find(d, "KEYED")->drawn == (awc_sum)30 * ONE);
    assert_true(find(d, "ANY")->drawn == (awc_sum)10 * ONE);
    /* K2's grant is for S3 and RDS only: EC2 falls to the blank key */
    assert_int_equal(awc_draw_credit(d, &c2, &un), 0);
    assert_true(un == 5 * ONE);
    assert_true(find(d, "S3")->drawn == 0);
    assert_true(find(d, "ANY")->drawn == (awc_sum)50 * ONE);
    /* before KEYED's issue date; ANY is used up */
    assert_int_equal(awc_draw_credit(d, &c3, &un), 0);
    assert_true(un == 1 * ONE);
    assert_true(find(d, "OTHER")->drawn == 0);
    awc_draw_free(d);
}

typedef struct misses {
    int n;
    awc_sum k1, k2;
} misses;

static int on_miss(void *arg, const char *account, const char *key, const char *currency,
                   awc_sum amount)
{
    misses *m = arg;
    assert_string_equal(account, A);
    assert_string_equal(currency, "USD");
    m->n++;
    if (strcmp(key, "K1") == 0)
        m->k1 += amount;
    else
        m->k2 += amount;
    return 0;
}

/* The window: a credit issued on 31 October counts in October, one issued
 * on 1 November does not; both are drawn (remaining is after both). */
static void test_window_and_unmatched_by_key(void **state)
{
    awc_draw_window w;
    awc_grant_rec g[] = { grant("G", A, "K1", 10, "2026-01-01", "", "") };
    awc_draw *d;
    awc_draw_row sep = credit(1, A, "K1", "x", "2026-09-30", -3 * ONE);
    awc_draw_row oct = credit(2, A, "K1", "x", "2026-10-31", -4 * ONE);
    awc_draw_row nov = credit(3, A, "K1", "x", "2026-11-01", -5 * ONE);
    awc_draw_row other = credit(4, A, "K2", "x", "2026-10-02", -7 * ONE);
    misses m = { 0, 0, 0 };

    (void)state;
    memset(&w, 0, sizeof(w));
    snprintf(w.from, sizeof(w.from), "2026-10-01");
    d = setup(AWC_POLICY_FIFO, &w, g, 1);
    assert_int_equal(awc_draw_credit(d, &sep, NULL), 0);
    assert_int_equal(awc_draw_credit(d, &oct, NULL), 0);
    assert_int_equal(awc_draw_credit(d, &other, NULL), 0);
    assert_int_equal(awc_draw_credit(d, &nov, NULL), 0);
    assert_true(find(d, "G")->used == (awc_sum)4 * ONE + 3 * ONE); /* oct + 3 of nov */
    assert_true(find(d, "G")->drawn == (awc_sum)10 * ONE);
    assert_int_equal(awc_draw_unmatched(d, on_miss, &m), 0);
    assert_int_equal(m.n, 2);
    assert_true(m.k1 == (awc_sum)2 * ONE);
    assert_true(m.k2 == (awc_sum)7 * ONE);
    awc_draw_free(d);
}

/* The months of a burn-down: each grant's use per issue month of the window,
 * only months with use, in month order, exact, summing to used; none kept
 * unless asked for. */
static void test_months(void **state)
{
    awc_draw_window w;
    awc_grant_rec g[] = {
        grant("G1", A, "", 10, "2026-01-01", "", ""),
        grant("G2", A, "", 100, "2026-02-01", "", ""),
    };
    awc_draw *d;
    awc_draw_row rows[] = {
        credit(1, A, "k", "x", "2026-08-31", -1 * ONE),          /* before the window */
        credit(2, A, "k", "x", "2026-09-01", -3 * ONE),
        credit(3, A, "k", "x", "2026-09-30", -ONE / 3),
        credit(4, A, "k", "x", "2026-10-31", -9 * ONE),          /* G1's last 5.67, G2 3.33 */
        credit(5, A, "k", "x", "2026-12-01", -2 * ONE),          /* no use in November */
    };
    const awc_dgrant *x, *y;

    (void)state;
    memset(&w, 0, sizeof(w));
    snprintf(w.from, sizeof(w.from), "2026-09-01");
    w.months = 1;
    d = setup(AWC_POLICY_FIFO, &w, g, 2);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(awc_draw_queue(d, &rows[sizeof(rows) / sizeof(rows[0]) - 1 - i]), 0);
    assert_int_equal(awc_draw_run(d), 0);
    x = find(d, "G1");
    y = find(d, "G2");
    assert_int_equal(x->nmonths, 2);
    assert_string_equal(x->months[0].month, "2026-09");
    assert_true(x->months[0].used == (awc_sum)3 * ONE + ONE / 3);
    assert_string_equal(x->months[1].month, "2026-10");
    assert_true(x->months[0].used + x->months[1].used == x->used);
    assert_true(x->drawn == (awc_sum)10 * ONE);
    assert_int_equal(y->nmonths, 2);
    assert_string_equal(y->months[0].month, "2026-10");
    assert_string_equal(y->months[1].month, "2026-12");
    assert_true(y->months[1].used == (awc_sum)2 * ONE);
    assert_true(y->months[0].used + y->months[1].used == y->used);
    assert_true(x->used + y->used == (awc_sum)14 * ONE + ONE / 3);
    awc_draw_free(d);

    /* fed one by one out of order, a month still goes in its place */
    d = setup(AWC_POLICY_FIFO, &w, g, 2);
    assert_int_equal(awc_draw_credit(d, &rows[4], NULL), 0);
    assert_int_equal(awc_draw_credit(d, &rows[1], NULL), 0);
    x = find(d, "G1");
    assert_int_equal(x->nmonths, 2);
    assert_string_equal(x->months[0].month, "2026-09");
    assert_string_equal(x->months[1].month, "2026-12");
    awc_draw_free(d);

    /* out of memory keeping a month: the credit's draw says so, and the set
     * is still whole to free */
    d = setup(AWC_POLICY_FIFO, &w, g, 2);
    awc_alloc_fail_after(0);
    assert_int_equal(awc_draw_credit(d, &rows[1], NULL), AWC_ENOMEM);
    awc_alloc_fail_after(-1);
    assert_int_equal(find(d, "G1")->nmonths, 0);
    assert_int_equal(awc_draw_credit(d, &rows[2], NULL), 0);
    assert_int_equal(find(d, "G1")->nmonths, 1);
    awc_draw_free(d);

    /* not asked for: nothing kept */
    w.months = 0;
    d = setup(AWC_POLICY_FIFO, &w, g, 2);
    assert_int_equal(awc_draw_credit(d, &rows[1], NULL), 0);
    assert_true(find(d, "G1")->used == (awc_sum)3 * ONE);
    assert_int_equal(find(d, "G1")->nmonths, 0);
    assert_null(find(d, "G1")->months);
    awc_draw_free(d);
}

/* The four statuses, the day before, on and after an end date. */
static void test_status_boundaries(void **state)
{
    awc_grant_rec g[] = {
        grant("G", A, "", 10, "2026-01-01", "2026-06-30", ""),
        grant("OPEN", A, "", 10, "2026-01-01", "", ""),
    };
    awc_draw *d = setup(AWC_POLICY_FIFO, NULL, g, 2);
    const awc_dgrant *x = find(d, "G");
    awc_draw_row all = credit(1, A, "k", "x", "2026-02-01", -20 * ONE);

    (void)state;
    assert_string_equal(awc_grant_status(x, "2026-06-29", 60), "EXPIRING");
    assert_string_equal(awc_grant_status(x, "2026-06-30", 60), "EXPIRING");
    assert_string_equal(awc_grant_status(x, "2026-07-01", 60), "EXPIRED");
    /* expiring_days 60: the end date 60 days ahead is EXPIRING, 61 is not */
    assert_string_equal(awc_grant_status(x, "2026-05-01", 60), "EXPIRING");
    assert_string_equal(awc_grant_status(x, "2026-04-30", 60), "ACTIVE");
    assert_string_equal(awc_grant_status(x, "2026-06-29", 0), "ACTIVE");
    assert_string_equal(awc_grant_status(x, "2026-06-30", 0), "EXPIRING");
    assert_string_equal(awc_grant_status(find(d, "OPEN"), "2099-01-01", 60), "ACTIVE");
    assert_int_equal(awc_draw_credit(d, &all, NULL), 0);
    assert_string_equal(awc_grant_status(x, "2026-07-01", 60), "EXHAUSTED");
    awc_draw_free(d);
}

/* forecast_unused from a known burn: 30 a month over the last three whole
 * months, four whole months left, 200 remaining -> 200 - 120 = 80. */
static void test_forecast(void **state)
{
    awc_draw_window w;
    awc_grant_rec g[] = { grant("G", A, "", 300, "2026-01-01", "2026-11-20", "") };
    awc_draw *d;
    char from[11], to[11];

    (void)state;
    awc_recent_months("2026-07-15", from, to);
    assert_string_equal(from, "2026-04-01");
    assert_string_equal(to, "2026-06-30");
    awc_recent_months("2026-02-01", from, to);
    assert_string_equal(from, "2025-11-01");
    assert_string_equal(to, "2026-01-31");
    memset(&w, 0, sizeof(w));
    awc_recent_months("2026-07-15", w.recent_from, w.recent_to);
    d = setup(AWC_POLICY_FIFO, &w, g, 1);
    const char *dates[] = { "2026-03-31", "2026-04-10", "2026-05-10", "2026-06-30",
                            "2026-07-01" };
    long amounts[] = { 10, 30, 30, 30, -1 };
    for (int i = 0; i < 4; i++) {
        awc_draw_row c = credit((uint64_t)i + 1, A, "k", "x", dates[i], -amounts[i] * ONE);
        assert_int_equal(awc_draw_credit(d, &c, NULL), 0);
    }
    assert_int_equal(awc_whole_months("2026-07-15", "2026-11-20"), 4);
    assert_int_equal(awc_whole_months("2026-07-15", "2026-11-14"), 3);
    assert_int_equal(awc_whole_months("2026-07-15", "2026-07-01"), 0);
    assert_true(find(d, "G")->recent == (awc_sum)90 * ONE);
    assert_true(awc_grant_forecast_unused(find(d, "G"), 4) == (awc_sum)80 * ONE);
    assert_true(awc_grant_forecast_unused(find(d, "G"), 12) == 0);
    awc_draw_free(d);
}

/* A grant without an issue date takes its first matching credit's. */
static void test_first_use(void **state)
{
    awc_grant_rec g[] = {
        grant("LATER", A, "", 10, "2026-03-01", "", ""),
        grant("NODATE", A, "", 10, "", "", ""),
    };
    awc_draw *d;
    awc_draw_row c = credit(1, A, "k", "x", "2026-04-01", -5 * ONE);

    (void)state;
    snprintf(g[1].first_use, sizeof(g[1].first_use), "2026-02-01");
    d = setup(AWC_POLICY_FIFO, NULL, g, 2);
    assert_int_equal(awc_draw_credit(d, &c, NULL), 0);
    assert_true(find(d, "NODATE")->drawn == (awc_sum)5 * ONE);
    assert_string_equal(find(d, "NODATE")->issue_date, "2026-02-01");
    awc_draw_free(d);
}

/* Queued in any order, credits are drawn by issue date, then seq: the
 * order decides here whether the P2 credit finds a grant. */
static void test_queue_order(void **state)
{
    awc_grant_rec g[] = {
        grant("X", A, "", 10, "2026-01-01", "", "P1 P2"),
        grant("Y", A, "", 10, "2026-02-01", "", "P1"),
    };
    awc_draw *d = setup(AWC_POLICY_FIFO, NULL, g, 2);
    awc_draw_row late = credit(1, A, "k", "P2", "2026-03-02", -10 * ONE);
    awc_draw_row same_day_2 = credit(3, A, "k", "P1", "2026-03-01", -4 * ONE);
    awc_draw_row same_day_1 = credit(2, A, "k", "P1", "2026-03-01", -6 * ONE);
    misses m = { 0, 0, 0 };

    (void)state;
    assert_int_equal(awc_draw_queue(d, &late), 0);
    assert_int_equal(awc_draw_queue(d, &same_day_2), 0);
    assert_int_equal(awc_draw_queue(d, &same_day_1), 0);
    assert_int_equal(awc_draw_run(d), 0);
    assert_true(find(d, "X")->drawn == (awc_sum)10 * ONE);
    assert_true(find(d, "Y")->drawn == 0);
    assert_int_equal(awc_draw_unmatched(d, on_miss, &m), 0);
    assert_int_equal(m.n, 1);
    assert_true(m.k2 == (awc_sum)10 * ONE);
    awc_draw_free(d);
}

static void test_grants_csv(void **state)
{
    const char *text =
        "grant_id,account_id,credit_key,currency,amount,issue_date,end_date,reference,node,products\n"
        "G1,111111111111,,USD,100.25,2026-01-01,2026-12-31,MAP MPE1,N1,AmazonEC2 AmazonS3\n"
        "G2,11111111111,,USD,1,,,,,\n"
        "G3,111111111111,,usd,1,,,,,\n"
        "G4,111111111111,,USD,0,,,,,\n"
        "G5,111111111111,,USD,5,2026-02-01,2026-01-31,,,\n"
        "G1,111111111111,,USD,5,,,,,\n";
    awc_csv_set s;
    char *nodes[] = { "N1" };
    char *none[] = { "N0" };

    (void)state;
    awc_csv_set_init(&s, "g.csv");
    assert_int_equal(awc_grants_csv_read(&s, text, strlen(text)), 0);
    assert_int_equal(s.bad, 5);
    assert_string_equal(s.first_bad, "g.csv:3: account_id: expected 12 digits");
    assert_int_equal(s.n, 2);
    assert_true(s.grants[0].amount == 100 * ONE + ONE / 4);
    assert_string_equal(s.grants[0].products, "AmazonEC2 AmazonS3");
    awc_grants_csv_check_nodes(&s, nodes, 1);
    assert_int_equal(s.bad, 5);
    awc_grants_csv_check_nodes(&s, none, 1);
    assert_int_equal(s.bad, 6);
    awc_csv_set_free(&s);

    awc_csv_set_init(&s, "h.csv");
    assert_int_equal(awc_grants_csv_read(&s, "grant_id,account_id\n", 20), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "missing column 'credit_key'"));
    awc_csv_set_free(&s);
}

static void test_hierarchy_csv(void **state)
{
    const char *good = "node_id,parent_id,name,level\n"
                       "BU,,Business,BU\nD1,BU,Dept 1,Department\nP1,D1,Portfolio,Portfolio\n"
                       "X,,Another root,BU\nPR,P1,Product,Product\n";
    const char *cycle = "node_id,parent_id,name,level\n"
                        "R,,Root,L\nA,C,A,L\nB,A,B,L\nC,B,C,L\n";
    const char *unknown = "node_id,parent_id,name,level\nA,,A,L\nB,Z,B,L\n";
    const char *twice = "node_id,parent_id,name,level\nA,,A,L\nA,,A,L\n";
    const char *self = "node_id,parent_id,name,level\nA,A,A,L\n";
    awc_csv_set s;

    (void)state;
    awc_csv_set_init(&s, "h.csv");
    assert_int_equal(awc_hierarchy_csv_read(&s, good, strlen(good)), 0);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.n, 5);
    awc_csv_set_free(&s);

    awc_csv_set_init(&s, "h.csv");
    assert_int_equal(awc_hierarchy_csv_read(&s, cycle, strlen(cycle)), 0);
    assert_int_equal(s.bad, 1);
    assert_non_null(strstr(s.first_bad, "h.csv:3: parent_id: node 'A' is its own ancestor"));
    awc_csv_set_free(&s);

    awc_csv_set_init(&s, "h.csv");
    assert_int_equal(awc_hierarchy_csv_read(&s, unknown, strlen(unknown)), 0);
    assert_string_equal(s.first_bad, "h.csv:3: parent_id: unknown parent 'Z'");
    awc_csv_set_free(&s);

    awc_csv_set_init(&s, "h.csv");
    assert_int_equal(awc_hierarchy_csv_read(&s, twice, strlen(twice)), 0);
    assert_string_equal(s.first_bad, "h.csv:3: node_id: the same node as line 2");
    awc_csv_set_free(&s);

    awc_csv_set_init(&s, "h.csv");
    assert_int_equal(awc_hierarchy_csv_read(&s, self, strlen(self)), 0);
    assert_int_equal(s.bad, 1);
    assert_non_null(strstr(s.first_bad, "h.csv:2: parent_id:"));
    awc_csv_set_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_takes_over),
        cmocka_unit_test(test_aws_order_and_ties),
        cmocka_unit_test(test_keys_products_unmatched),
        cmocka_unit_test(test_window_and_unmatched_by_key),
        cmocka_unit_test(test_status_boundaries),
        cmocka_unit_test(test_forecast),
        cmocka_unit_test(test_first_use),
        cmocka_unit_test(test_queue_order),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_grants_csv),
        cmocka_unit_test(test_hierarchy_csv),
    };
    return cmocka_run_group_tests_name("grants", tests, NULL, NULL);
}
