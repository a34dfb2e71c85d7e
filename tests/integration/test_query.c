/*
 * test_query.c -- list and export on a real MariaDB (SPEC section 10):
 * every filter alone and in combination (exact credit sets, and random
 * combinations against a model written here), sort orders with limit and
 * offset, reseller scope, streaming 50,000 rows without allocating per
 * row, a lost connection in the middle of a stream (no row twice), the CSV
 * export read back with an RFC 4180 reader written here (and python3's csv
 * module when there is one) and compared cell by cell with the database,
 * the formula guard, and the JSON of list.
 *
 * The credits are inserted through the store's credits_insert (so their
 * descriptions with quotes, commas, CR/LF, tabs and UTF-8 go through real
 * bindings); states, owners and split lines are then set with plain SQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "awc.h"
#include "credit_id.h"
#include "csvout.h"
#include "mod.h"
#include "query.h"
#include "testdb.h"

static testdb db;
static awc_store *st;
static awc_module mod;

static const awc_actor ops = { sizeof(awc_actor), AWC_ROLE_DISTRIBUTOR, "ops", NULL, NULL };
static const awc_actor viewer = { sizeof(awc_actor), AWC_ROLE_VIEWER, "vic", NULL, NULL };
static const awc_actor r1 = { sizeof(awc_actor), AWC_ROLE_RESELLER, "alice", "R-1", NULL };
static const awc_actor r2 = { sizeof(awc_actor), AWC_ROLE_RESELLER, "bob", "R-2", NULL };
static const awc_actor r_none = { sizeof(awc_actor), AWC_ROLE_RESELLER, "eve", NULL, NULL };

/* ---- the seeded credits ------------------------------------------------------------ */

typedef struct split {
    const char *target;            /* NULL = no line */
    int64_t minor;
    const char *record;            /* NULL = no record id */
} split;

typedef struct seed {
    const char *period, *payer, *usage, *currency, *amount, *type, *status;
    const char *desc;
    const char *customer, *asset, *reseller, *rule; /* NULL = none */
    int unmapped;
    const char *usage_file, *processing_date, *issue_date;
    split lines[3];
    uint64_t seq;                  /* set by seed_all */
    awc_amount value;              /* amount parsed */
} seed;

#define A1 "111111111111"
#define A2 "222222222222"
#define A3 "333333333333"
#define A4 "444444444444"

static seed seeds[] = {
    /* 0 */ {"2026-01", A1, A2, "USD", "-100.00", "MAP", "PENDING_ASSIGN",
             "MAP credit _MPE123, credit id: 1001", NULL, NULL, NULL, NULL, 1, NULL, NULL,
             "2025-12-31", {{0}}, 0, 0},
    /* 1 */ {"2026-01", A3, A4, "USD", "-12.5", "EDP", "ASSIGNED", "Plain, with a comma",
             "C-1", "A-1", "R-1", "R-A", 0, NULL, NULL, "2026-01-01",
             {{"customer", -1000, NULL}, {"reseller", -200, NULL}, {"retained", -50, NULL}}, 0, 0},
    /* 2 */ {"2026-02", A3, A4, "EUR", "-3.25", "SLA", "ASSIGNED", "He said \"hi\"",
             "C-2", "A-2", "R-1", "R-B", 0, NULL, NULL, NULL,
             {{"customer", -325, NULL}}, 0, 0},
    /* 3 */ {"2026-02", A3, A2, "JPY", "-1500", "PROMOTIONAL", "PROCESSING", "line1\nline2",
             "C-3", "A-3", "R-2", "R-A", 0, "UF-2026-02-0001-0001", "2026-03-02", NULL,
             {{"customer", -1200, "UR-2026-02-0001-0001-0001-0001"}, {"retained", -300, NULL}},
             0, 0},
    /* 4 */ {"2026-03", A3, A4, "USD", "-0.0000000001", "POC", "PROCESSED", "=1+1",
             "C-1", "A-1", "R-1", "R-A", 0, "UF-2026-03-0001-0001", "2026-04-02", NULL,
             {{"customer", 0, "UR-2026-03-0001-0001-0001-0001"}}, 0, 0},
    /* 5 */ {"2026-03", A3, A4, "USD", "-7.77", "PROMOTIONAL", "PENDING_ASSIGN", "+x",
             NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, {{0}}, 0, 0},
    /* 6 */ {"2026-03", A3, A4, "USD", "-8.88", "EDP", "ASSIGNED", "-x",
             "C-4", "A-4", "R-2", NULL, 0, NULL, NULL, NULL, {{"customer", -888, NULL}}, 0, 0},
    /* 7 */ {"2026-04", A3, A4, "USD", "-9.99", "GRAVITON", "ASSIGNED", "@x",
             "C-4", "A-4", "R-2", "R-C", 0, NULL, NULL, NULL,
             {{"customer", -999, NULL}}, 0, 0},
    /* 8 */ {"2026-04", A3, A2, "USD", "-1.00", "MARKETPLACE", "PENDING_ASSIGN", "\tx",
             NULL, NULL, NULL, NULL, 1, NULL, NULL, NULL, {{0}}, 0, 0},
    /* 9 */ {"2026-04", A3, A4, "EUR", "-2.00", "PARTNER", "ASSIGNED", "\rx",
             "C-5", "A-5", "R-3", NULL, 0, NULL, NULL, NULL, {{"customer", -200, NULL}}, 0, 0},
    /* 10 */ {"2026-05", A3, A4, "USD", "-12.5", "PROMOTIONAL", "ASSIGNED", "-12.5",
              "C-5", "A-5", "R-3", "R-B", 0, NULL, NULL, NULL,
              {{"customer", -1250, NULL}}, 0, 0},
    /* 11 */ {"2026-05", A3, A4, "USD", "-1234567.8912345678", "EDP", "PROCESSED",
              "Cr\xc3\xa9" "dit sp\xc3\xa9" "cial \xe6\x97\xa5\xe6\x9c\xac \xe2\x80\x94 50% off_x\\y",
              "C-6", "A-6", "R-3", "R-A", 0, "UF-2026-05-0001-0001", "2026-06-01", NULL,
              {{"customer", -100000000, "UR-2026-05-0001-0001-0001-0001"},
               {"reseller", -23456789, "UR-2026-05-0001-0001-0001-0002"},
               {"retained", -1, NULL}}, 0, 0},
    /* 12 */ {"2026-06", A3, A4, "BHD", "-1.2345", "SLA", "ASSIGNED", "Bahrain credit",
              "C-7", "A-7", "R-4", NULL, 0, NULL, NULL, NULL,
              {{"customer", -1235, NULL}}, 0, 0},
    /* 13 */ {"2026-06", A3, A4, "USD", "5.00", "PROMOTIONAL", "PENDING_ASSIGN",
              "Refund, positive", NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, {{0}}, 0, 0},
    /* 14 */ {"2026-01", A4, A1, "USD", "-50", "MAP", "ASSIGNED", "MAP credit _MPE999",
              "C-1", "A-1", "R-1", "R-C", 0, NULL, NULL, NULL,
              {{"customer", -4000, NULL}, {"retained", -1000, NULL}}, 0, 0},
    /* 15 */ {"2026-02", A3, A4, "USD", "-0.5", "PROMOTIONAL", "ASSIGNED", "100% match_test",
              "C-2", "A-2", "R-1", NULL, 0, NULL, NULL, NULL, {{"customer", -50, NULL}}, 0, 0},
};
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))
#define END (-1)

static void seed_all(void)
{
    awc_credit_draft d[NSEEDS];
    char unm[16], secs[32], seqt[32];
    char key[NSEEDS][16];

    memset(d, 0, sizeof(d));
    for (size_t i = 0; i < NSEEDS; i++) {
        seed *s = &seeds[i];
        snprintf(key[i], sizeof(key[i]), "key-%zu", i);
        snprintf(d[i].period, sizeof(d[i].period), "%s", s->period);
        snprintf(d[i].payer_account_id, sizeof(d[i].payer_account_id), "%s", s->payer);
        snprintf(d[i].usage_account_id, sizeof(d[i].usage_account_id), "%s", s->usage);
        snprintf(d[i].currency, sizeof(d[i].currency), "%s", s->currency);
        snprintf(d[i].credit_type, sizeof(d[i].credit_type), "%s", s->type);
        snprintf(d[i].issue_date, sizeof(d[i].issue_date), "%s", s->issue_date ? s->issue_date : "");
        d[i].credit_key = key[i];
        d[i].product_code = i % 2 ? "AmazonEC2" : "AmazonS3";
        d[i].description = s->desc;
        d[i].billing_entity = "AWS";
        d[i].legal_entity = "Amazon Web Services, Inc.";
        d[i].invoice_id = "";
        d[i].line_count = 1;
        assert_int_equal(awc_money_parse(&s->value, s->amount, strlen(s->amount)), 0);
        d[i].amount = s->value;
    }
    assert_int_equal(st->ops->credits_insert(st, d, NSEEDS, &ops), 0);
    for (size_t i = 0; i < NSEEDS; i++) {
        seed *s = &seeds[i];
        s->seq = d[i].seq;
        assert_true(i == 0 || s->seq > seeds[i - 1].seq); /* index order = seq order */
        /* updated_at: a permutation of seconds, so sorting by it is not by seq */
        snprintf(unm, sizeof(unm), "%d", s->unmapped);
        snprintf(secs, sizeof(secs), "%zu", (i * 7) % NSEEDS);
        snprintf(seqt, sizeof(seqt), "%llu", (unsigned long long)s->seq);
        const char *val[] = { s->customer, s->asset, s->reseller, s->rule, unm };
        const char *up[] = { s->status, s->customer, s->asset, s->reseller, s->rule, unm,
                             s->usage_file, s->processing_date, secs, seqt };
        assert_int_equal(testdb_execp(&db,
                         "INSERT IGNORE INTO assignments (customer_id, asset_id, reseller_id, "
                         "rule_id, unmapped) VALUES (COALESCE(?, ''), COALESCE(?, ''), "
                         "COALESCE(?, ''), COALESCE(?, ''), ?)", val, 5), 0);
        assert_int_equal(testdb_execp(&db,
                         "UPDATE credits SET status = ?, assignment_id = (SELECT id FROM "
                         "assignments WHERE owner_account_id = '' AND customer_id = COALESCE(?, '') "
                         "AND asset_id = COALESCE(?, '') AND reseller_id = COALESCE(?, '') "
                         "AND rule_id = COALESCE(?, '') AND unmapped = ?), usage_file_id = ?, "
                         "processing_date = ?, "
                         "updated_at = '2026-07-01 10:00:00' + INTERVAL ? SECOND WHERE seq = ?",
                         up, 10), 0);
        for (int l = 0; l < 3 && s->lines[l].target; l++) {
            char line[16], minor[32];
            snprintf(line, sizeof(line), "%d", l + 1);
            snprintf(minor, sizeof(minor), "%lld", (long long)s->lines[l].minor);
            const char *ip[] = { seqt, line, s->lines[l].target, minor, s->lines[l].record };
            assert_int_equal(testdb_execp(&db, "INSERT INTO credit_splits (seq, line_no, target, "
                                               "amount_minor, record_id) VALUES (?, ?, ?, ?, ?)",
                                          ip, 5), 0);
        }
    }
}

/* ---- calling the store and the operations -------------------------------------------- */

typedef struct seqs {
    uint64_t v[64];
    size_t n;
    awc_credit_row last;
} seqs;

static int collect(void *arg, const awc_credit_row *r)
{
    seqs *s = arg;
    if (s->n < 64)
        s->v[s->n] = r->c.seq;
    s->n++;
    s->last = *r;
    return 0;
}

static awc_filter filter(void)
{
    awc_filter f;
    memset(&f, 0, sizeof(f));
    f.size = sizeof(f);
    return f;
}

/* Run f as actor a through awc_query_from_filter and credits_query. */
static void query(const awc_filter *f, const awc_actor *a, seqs *out)
{
    awc_query q;
    int rc = awc_query_from_filter(&q, f, a, "AWSC");
    if (rc != 0)
        fail_msg("awc_query_from_filter: %d %s", rc, awc_error_last());
    memset(out, 0, sizeof(*out));
    rc = st->ops->credits_query(st, &q, collect, out);
    if (rc != 0)
        fail_msg("credits_query: %d %s", rc, awc_error_last());
}

/* The seqs of seed indices idx[0..] (END-terminated), in that order. */
static void expect_list(const seqs *got, const int *idx, const char *what)
{
    size_t n = 0;
    while (idx[n] != END)
        n++;
    if (got->n != n) {
        fprintf(stderr, "%s: %zu credits, expected %zu; got seed", what, got->n, n);
        for (size_t i = 0; i < got->n && i < 64; i++)
            for (size_t k = 0; k < NSEEDS; k++)
                if (seeds[k].seq == got->v[i])
                    fprintf(stderr, " %zu", k);
        fprintf(stderr, "\n");
    }
    assert_int_equal(got->n, n);
    for (size_t i = 0; i < n; i++) {
        if (got->v[i] != seeds[idx[i]].seq)
            fail_msg("%s: position %zu is seq %llu, expected seed %d (seq %llu)", what, i,
                     (unsigned long long)got->v[i], idx[i],
                     (unsigned long long)seeds[idx[i]].seq);
    }
}

#define EXPECT(f, a, ...) do { \
        static const int idx_[] = { __VA_ARGS__ }; \
        seqs got_; \
        query((f), (a), &got_); \
        expect_list(&got_, idx_, #__VA_ARGS__); \
    } while (0)

typedef struct outbuf {
    char *p;
    size_t n, cap;
    int fail_after;                /* > 0: the nth write fails */
    int writes;
} outbuf;

static int out_write(void *ctx, const char *b, size_t n)
{
    outbuf *o = ctx;
    if (o->fail_after && ++o->writes >= o->fail_after)
        return -1;
    if (o->n + n + 1 > o->cap) {
        size_t cap = (o->n + n + 1) * 2;
        char *p = realloc(o->p, cap);
        assert_non_null(p);
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, b, n);
    o->n += n;
    o->p[o->n] = '\0';
    return 0;
}

static char errbuf[512];

static int run_op(int export, int json, const awc_actor *a, const awc_filter *f, outbuf *o)
{
    awc_call c;

    memset(&c, 0, sizeof(c));
    c.size = sizeof(c);
    c.actor = a;
    c.format = json ? AWC_FORMAT_JSON : AWC_FORMAT_TEXT;
    c.write = out_write;
    c.write_ctx = o;
    c.errbuf = errbuf;
    c.errbuf_size = sizeof(errbuf);
    errbuf[0] = '\0';
    return export ? awc_op_export_csv(&mod, &c, f) : awc_op_list(&mod, &c, f);
}

static uint64_t progress_calls, progress_last;

static void on_progress(void *ctx, const char *task, uint64_t done, uint64_t total)
{
    (void)ctx;
    assert_string_equal(task, "export");
    assert_int_equal(total, 0);
    progress_calls++;
    progress_last = done;
}

/* ---- setup --------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "query") != 0 || testdb_store(&db, &st, 1) != 0) {
        fprintf(stderr, "setup: %s\n", awc_error_last());
        return -1;
    }
    memset(&mod, 0, sizeof(mod));
    mod.host.size = sizeof(mod.host);
    mod.host.progress = on_progress;
    mod.cfg.ids.prefix = "AWSC";
    mod.store = st;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (st)
        st->ops->close(st);
    testdb_drop(&db);
    return 0;
}

static void test_seed(void **state)
{
    (void)state;
    seed_all();
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credits"), NSEEDS);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_splits"), 18);
}

/* ---- each filter alone ----------------------------------------------------------------- */

static void test_no_filter(void **state)
{
    awc_filter f = filter();
    (void)state;
    EXPECT(&f, &ops, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, END);
    EXPECT(&f, &viewer, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, END);
}

static void test_filter_status(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.status = "PENDING_ASSIGN";
    EXPECT(&f, &ops, 0, 5, 8, 13, END);
    f.status = "processing";
    EXPECT(&f, &ops, 3, END);
    f.status = "PROCESSED, Processing";
    EXPECT(&f, &ops, 3, 4, 11, END);
    f.status = "ASSIGNED";
    EXPECT(&f, &ops, 1, 2, 6, 7, 9, 10, 12, 14, 15, END);
}

static void test_filter_period(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.period_from = f.period_to = "2026-02";
    EXPECT(&f, &ops, 2, 3, 15, END);
    f.period_from = "2026-03", f.period_to = "2026-04";
    EXPECT(&f, &ops, 4, 5, 6, 7, 8, 9, END);
    f.period_from = "2026-05", f.period_to = NULL;      /* open end */
    EXPECT(&f, &ops, 10, 11, 12, 13, END);
    f.period_from = NULL, f.period_to = "2026-01";      /* open start */
    EXPECT(&f, &ops, 0, 1, 14, END);
    f.period_from = f.period_to = "2025-12";
    EXPECT(&f, &ops, END);
}

static void test_filter_owner(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.customer = "C-1";
    EXPECT(&f, &ops, 1, 4, 14, END);
    f.customer = "c-1";                                 /* ids are exact */
    EXPECT(&f, &ops, END);
    f = filter();
    f.reseller = "R-2";
    EXPECT(&f, &ops, 3, 6, 7, END);
    f = filter();
    f.asset = "A-5";
    EXPECT(&f, &ops, 9, 10, END);
}

static void test_filter_account(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.account = A1;                                     /* payer of 0, usage of 14 */
    EXPECT(&f, &ops, 0, 14, END);
    f.account = A2;                                     /* usage only */
    EXPECT(&f, &ops, 0, 3, 8, END);
    f.account = A4;                                     /* payer of 14 and usage of most */
    EXPECT(&f, &ops, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, END);
}

static void test_filter_credit_id(void **state)
{
    awc_filter f = filter();
    char id[AWC_CREDIT_ID_BUFSZ];
    (void)state;
    assert_true(awc_credit_id_format(id, sizeof(id), "AWSC", seeds[7].seq) > 0);
    f.credit_id = id;
    EXPECT(&f, &ops, 7, END);
    assert_true(awc_credit_id_format(id, sizeof(id), "AWSC", seeds[15].seq + 1000) > 0);
    EXPECT(&f, &ops, END);                              /* well-formed, no such credit */
}

static void test_filter_description(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.description = "mpe";
    EXPECT(&f, &ops, 0, 14, END);
    f.description = "CREDIT";
    EXPECT(&f, &ops, 0, 12, 14, END);
    f.description = "%";                                /* literal, not a wildcard */
    EXPECT(&f, &ops, 11, 15, END);
    f.description = "_";                                /* literal, not any character */
    EXPECT(&f, &ops, 0, 11, 14, 15, END);
    f.description = "0%";                               /* unescaped it would match seed 0 */
    EXPECT(&f, &ops, 11, 15, END);
    f.description = "\\";                               /* a backslash */
    EXPECT(&f, &ops, 11, END);
    f.description = "x\\y";
    EXPECT(&f, &ops, 11, END);
    f.description = "CR\xc3\x89" "DIT SP";              /* "CRÉDIT SP": UTF-8 case folding */
    EXPECT(&f, &ops, 11, END);
    f.description = "\xe6\x97\xa5\xe6\x9c\xac";         /* 日本 */
    EXPECT(&f, &ops, 11, END);
    f.description = "\"hi\"";
    EXPECT(&f, &ops, 2, END);
    f.description = "line1\nline2";
    EXPECT(&f, &ops, 3, END);
    f.description = ", ";
    EXPECT(&f, &ops, 0, 1, 13, END);
    f.description = "' OR 1=1 -- ";                     /* bound, never SQL */
    EXPECT(&f, &ops, END);
}

static void test_filter_type_rule_unmapped(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.type = "MAP";
    EXPECT(&f, &ops, 0, 14, END);
    f.type = "edp";                                     /* types compare without case */
    EXPECT(&f, &ops, 1, 6, 11, END);
    f = filter();
    f.rule = "R-A";
    EXPECT(&f, &ops, 1, 3, 4, 11, END);
    f.rule = "R-C";
    EXPECT(&f, &ops, 7, 14, END);
    f = filter();
    f.unmapped = 1;
    EXPECT(&f, &ops, 0, 8, END);
}

static void test_filter_amount(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.min_amount = "-10";                               /* amount >= -10 */
    EXPECT(&f, &ops, 2, 4, 5, 6, 7, 8, 9, 12, 13, 15, END);
    f.min_amount = NULL, f.max_amount = "-12.5";        /* amount <= -12.5, inclusive */
    EXPECT(&f, &ops, 0, 1, 3, 10, 11, 14, END);
    f.min_amount = "-12.5", f.max_amount = "-12.5";
    EXPECT(&f, &ops, 1, 10, END);
    /* exact at the 10th place: -0.0000000001 is below -0.00000000005 rounded */
    f.min_amount = "-0.0000000001", f.max_amount = "-0.0000000001";
    EXPECT(&f, &ops, 4, END);
    f.min_amount = "-0.00000000009", f.max_amount = "0";  /* rounds to -0.0000000001 */
    EXPECT(&f, &ops, 4, END);
    f.min_amount = "-1.25E6", f.max_amount = "-1E6";    /* exponent form, exact */
    EXPECT(&f, &ops, 11, END);
    f.min_amount = "0", f.max_amount = NULL;
    EXPECT(&f, &ops, 13, END);
}

/* ---- combinations ----------------------------------------------------------------------- */

static void test_combinations(void **state)
{
    awc_filter f = filter();
    (void)state;
    f.status = "ASSIGNED";
    f.reseller = "R-1";
    EXPECT(&f, &ops, 1, 2, 14, 15, END);
    f.period_from = f.period_to = "2026-02";
    EXPECT(&f, &ops, 2, 15, END);
    f.max_amount = "-1";
    EXPECT(&f, &ops, 2, END);
    f.description = "SAID";
    EXPECT(&f, &ops, 2, END);
    f.type = "EDP";
    EXPECT(&f, &ops, END);

    f = filter();
    f.account = A2;
    f.status = "PENDING_ASSIGN";
    f.unmapped = 1;
    EXPECT(&f, &ops, 0, 8, END);
    f.period_from = "2026-04";
    EXPECT(&f, &ops, 8, END);

    f = filter();
    f.customer = "C-1";
    f.rule = "R-A";
    f.status = "ASSIGNED,PROCESSED";
    EXPECT(&f, &ops, 1, 4, END);
    f.min_amount = "-1";
    EXPECT(&f, &ops, 4, END);
}

/* ---- random combinations against a model ------------------------------------------------ */

static uint64_t rng = UINT64_C(20260110);

static uint64_t rnd(void)
{
    uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#define PICK(arr) ((arr)[rnd() % (sizeof(arr) / sizeof((arr)[0]))])

static int state_rank(const char *s)
{
    return strcmp(s, "PENDING_ASSIGN") == 0 ? 1 : strcmp(s, "ASSIGNED") == 0 ? 2
         : strcmp(s, "PROCESSING") == 0 ? 3 : 4;
}

/* ASCII-only, case-insensitive substring (the needles below are ASCII). */
static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return n == 0;
}

static int eq_or_unset(const char *filter_value, const char *v)
{
    return !filter_value || (v && strcmp(filter_value, v) == 0);
}

/* Does seed s pass filter f (already known to be valid) for actor a? */
static int model(const seed *s, const awc_filter *f, const awc_actor *a, awc_amount lo,
                 int has_lo, awc_amount hi, int has_hi)
{
    if (f->status) {
        int ok = 0;
        for (const char *t = f->status; t; t = strchr(t, ',') ? strchr(t, ',') + 1 : NULL) {
            size_t n = strchr(t, ',') ? (size_t)(strchr(t, ',') - t) : strlen(t);
            if (n == strlen(s->status) && strncasecmp(t, s->status, n) == 0)
                ok = 1;
        }
        if (!ok)
            return 0;
    }
    if (f->period_from && strcmp(s->period, f->period_from) < 0)
        return 0;
    if (f->period_to && strcmp(s->period, f->period_to) > 0)
        return 0;
    if (!eq_or_unset(f->customer, s->customer) || !eq_or_unset(f->reseller, s->reseller) ||
        !eq_or_unset(f->asset, s->asset) || !eq_or_unset(f->rule, s->rule))
        return 0;
    if (f->account && strcmp(f->account, s->payer) != 0 && strcmp(f->account, s->usage) != 0)
        return 0;
    if (f->description && !contains_ci(s->desc, f->description))
        return 0;
    if (f->type && strcasecmp(f->type, s->type) != 0)
        return 0;
    if ((has_lo && s->value < lo) || (has_hi && s->value > hi))
        return 0;
    if (f->unmapped && !s->unmapped)
        return 0;
    if (a->role == AWC_ROLE_RESELLER && !eq_or_unset(a->reseller_id ? a->reseller_id : "",
                                                     s->reseller))
        return 0;
    return 1;
}

static void test_random_combinations_match_model(void **state)
{
    static const char *const statuses[] = {"PENDING_ASSIGN", "ASSIGNED", "PROCESSING,PROCESSED",
                                           "assigned,pending_assign", "PROCESSED"};
    static const char *const periods[] = {"2026-01", "2026-02", "2026-03", "2026-04",
                                          "2026-05", "2026-06", "2025-12"};
    static const char *const customers[] = {"C-1", "C-2", "C-4", "C-5", "C-9"};
    static const char *const resellers[] = {"R-1", "R-2", "R-3", "R-9"};
    static const char *const assets[] = {"A-1", "A-4", "A-6"};
    static const char *const accounts[] = {A1, A2, A3, A4};
    static const char *const needles[] = {"credit", "x", "MPE", ",", "_", "%", "e", "zz"};
    static const char *const types[] = {"MAP", "edp", "SLA", "PROMOTIONAL", "POC"};
    static const char *const amounts[] = {"-100", "-12.5", "-9.99", "-1", "0", "-0.5",
                                          "-0.0000000001"};
    static const char *const rules[] = {"R-A", "R-B", "R-C", "R-Z"};
    static const awc_actor *const actors[] = {&ops, &viewer, &r1, &r2};
    int nonempty = 0;
    (void)state;

    for (int round = 0; round < 400; round++) {
        awc_filter f = filter();
        const awc_actor *a = PICK(actors);
        awc_amount lo = 0, hi = 0;
        int has_lo = 0, has_hi = 0;
        seqs got;
        size_t k = 0;

        if (rnd() % 4 == 0) f.status = PICK(statuses);
        if (rnd() % 4 == 0) f.period_from = PICK(periods);
        if (rnd() % 4 == 0) f.period_to = PICK(periods);
        if (f.period_from && f.period_to && strcmp(f.period_from, f.period_to) > 0)
            f.period_to = f.period_from;
        if (rnd() % 6 == 0) f.customer = PICK(customers);
        if (rnd() % 6 == 0) f.reseller = PICK(resellers);
        if (rnd() % 8 == 0) f.asset = PICK(assets);
        if (rnd() % 5 == 0) f.account = PICK(accounts);
        if (rnd() % 4 == 0) f.description = PICK(needles);
        if (rnd() % 6 == 0) f.type = PICK(types);
        if (rnd() % 5 == 0) f.min_amount = PICK(amounts);
        if (rnd() % 5 == 0) f.max_amount = PICK(amounts);
        if (rnd() % 7 == 0) f.rule = PICK(rules);
        if (rnd() % 8 == 0) f.unmapped = 1;
        if (f.min_amount) {
            assert_int_equal(awc_money_parse(&lo, f.min_amount, strlen(f.min_amount)), 0);
            has_lo = 1;
        }
        if (f.max_amount) {
            assert_int_equal(awc_money_parse(&hi, f.max_amount, strlen(f.max_amount)), 0);
            has_hi = 1;
        }
        if (has_lo && has_hi && lo > hi)
            f.max_amount = f.min_amount, hi = lo;

        query(&f, a, &got);
        for (size_t i = 0; i < NSEEDS; i++) {
            if (!model(&seeds[i], &f, a, lo, has_lo, hi, has_hi))
                continue;
            if (k >= got.n || got.v[k] != seeds[i].seq)
                fail_msg("round %d: seed %zu expected at position %zu (status=%s period=%s..%s "
                         "customer=%s reseller=%s asset=%s account=%s description=%s type=%s "
                         "min=%s max=%s rule=%s unmapped=%d actor=%s)", round, i, k,
                         f.status, f.period_from, f.period_to, f.customer, f.reseller, f.asset,
                         f.account, f.description, f.type, f.min_amount, f.max_amount, f.rule,
                         f.unmapped, a->id);
            k++;
        }
        if (k != got.n)
            fail_msg("round %d: %zu credits, the model has %zu", round, got.n, k);
        nonempty += k > 0;
    }
    printf("# %d of 400 random filters matched at least one credit\n", nonempty);
    assert_true(nonempty > 100);                        /* the rounds were not all empty */
}

/* ---- sorting, limit, offset -------------------------------------------------------------- */

static awc_sort_key sort_by;

static int null_first(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_seed(const void *pa, const void *pb)
{
    const seed *a = &seeds[*(const int *)pa], *b = &seeds[*(const int *)pb];
    int c = 0;

    switch (sort_by) {
    case AWC_SORT_ID: break;
    case AWC_SORT_PERIOD: c = strcmp(a->period, b->period); break;
    case AWC_SORT_AMOUNT: c = (a->value > b->value) - (a->value < b->value); break;
    case AWC_SORT_STATUS: c = state_rank(a->status) - state_rank(b->status); break;
    case AWC_SORT_CUSTOMER: c = null_first(a->customer, b->customer); break;
    case AWC_SORT_RESELLER: c = null_first(a->reseller, b->reseller); break;
    case AWC_SORT_ACCOUNT: c = strcmp(a->usage, b->usage); break;
    case AWC_SORT_UPDATED: {
        size_t ia = (size_t)(a - seeds), ib = (size_t)(b - seeds);
        c = (int)((ia * 7) % NSEEDS) - (int)((ib * 7) % NSEEDS);
        break;
    }
    case AWC_SORT_TYPE: c = strcmp(a->type, b->type); break;
    }
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static void expect_order(const char *sortname, awc_sort_key key, int desc, int64_t limit,
                         int64_t offset)
{
    int order[NSEEDS], want[NSEEDS + 1];
    awc_filter f = filter();
    char s[32];
    seqs got;
    size_t n = 0;

    for (size_t i = 0; i < NSEEDS; i++)
        order[i] = (int)i;
    sort_by = key;
    qsort(order, NSEEDS, sizeof(int), cmp_seed);
    if (desc)
        for (size_t i = 0; i < NSEEDS / 2; i++) {
            int t = order[i];
            order[i] = order[NSEEDS - 1 - i];
            order[NSEEDS - 1 - i] = t;
        }
    for (size_t i = (size_t)offset; i < NSEEDS && (limit == 0 || n < (size_t)limit); i++)
        want[n++] = order[i];
    want[n] = END;
    snprintf(s, sizeof(s), "%s%s", desc ? "-" : "", sortname);
    f.sort = s;
    f.limit = limit;
    f.offset = offset;
    query(&f, &ops, &got);
    expect_list(&got, want, s);
}

static void test_sort_orders(void **state)
{
    static const struct { const char *name; awc_sort_key key; } keys[] = {
        {"id", AWC_SORT_ID}, {"period", AWC_SORT_PERIOD}, {"amount", AWC_SORT_AMOUNT},
        {"status", AWC_SORT_STATUS}, {"customer", AWC_SORT_CUSTOMER},
        {"reseller", AWC_SORT_RESELLER}, {"account", AWC_SORT_ACCOUNT},
        {"updated", AWC_SORT_UPDATED}, {"type", AWC_SORT_TYPE},
        /* the CSV column names are accepted too */
        {"credit_id", AWC_SORT_ID}, {"updated_at", AWC_SORT_UPDATED},
        {"customer_id", AWC_SORT_CUSTOMER}, {"credit_type", AWC_SORT_TYPE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        expect_order(keys[i].name, keys[i].key, 0, 0, 0);
        expect_order(keys[i].name, keys[i].key, 1, 0, 0);
    }
}

static void test_limit_offset(void **state)
{
    awc_filter f = filter();
    seqs all, page;
    (void)state;
    expect_order("amount", AWC_SORT_AMOUNT, 0, 3, 2);
    expect_order("amount", AWC_SORT_AMOUNT, 1, 3, 2);
    expect_order("period", AWC_SORT_PERIOD, 0, 0, 14);   /* offset without limit */
    expect_order("id", AWC_SORT_ID, 0, 1, 0);
    expect_order("id", AWC_SORT_ID, 0, 5, NSEEDS);       /* past the end: nothing */
    /* pages of 4 by customer put together are the whole listing */
    f.sort = "customer";
    query(&f, &ops, &all);
    assert_int_equal(all.n, NSEEDS);
    for (int64_t off = 0; off < (int64_t)NSEEDS; off += 4) {
        f.limit = 4;
        f.offset = off;
        query(&f, &ops, &page);
        assert_true(page.n <= 4);
        for (size_t i = 0; i < page.n; i++)
            assert_int_equal(page.v[i], all.v[(size_t)off + i]);
    }
}

/* ---- scope --------------------------------------------------------------------------------- */

static void test_reseller_scope(void **state)
{
    awc_filter f = filter();
    char id[AWC_CREDIT_ID_BUFSZ];
    outbuf o = {0};
    json_t *doc;
    (void)state;

    EXPECT(&f, &r1, 1, 2, 4, 14, 15, END);
    EXPECT(&f, &r2, 3, 6, 7, END);
    EXPECT(&f, &r_none, END);                           /* no reseller id: sees nothing */
    f.customer = "C-2";
    EXPECT(&f, &r1, 2, 15, END);
    f.customer = "C-4";                                 /* R-2's customer */
    EXPECT(&f, &r1, END);
    f = filter();
    f.reseller = "R-2";                                 /* cannot widen the scope */
    EXPECT(&f, &r1, END);
    f = filter();
    assert_true(awc_credit_id_format(id, sizeof(id), "AWSC", seeds[3].seq) > 0);
    f.credit_id = id;                                   /* another reseller's credit */
    EXPECT(&f, &r1, END);
    EXPECT(&f, &r2, 3, END);

    /* through the operations: export and list see the same scope */
    f = filter();
    assert_int_equal(run_op(1, 0, &r2, &f, &o), 0);
    {
        size_t lines = 0;
        for (size_t i = 0; i < o.n; i++)
            lines += o.p[i] == '\n';
        /* header + 3 credits; seed 3's description holds one LF inside quotes */
        assert_int_equal(lines, 1 + 3 + 1);
        assert_null(strstr(o.p, "R-1"));
    }
    free(o.p);
    memset(&o, 0, sizeof(o));
    assert_int_equal(run_op(0, 1, &r1, &f, &o), 0);
    doc = json_loads(o.p, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 5);
    for (size_t i = 0; i < json_array_size(json_object_get(doc, "credits")); i++)
        assert_string_equal(json_string_value(json_object_get(
            json_array_get(json_object_get(doc, "credits"), i), "reseller_id")), "R-1");
    json_decref(doc);
    free(o.p);
}

/* ---- bad filters --------------------------------------------------------------------------- */

static void expect_refused(const awc_filter *f, int code, const char *part1, const char *part2)
{
    awc_query q;
    outbuf o = {0};
    int rc = awc_query_from_filter(&q, f, &ops, "AWSC");

    if (rc != code)
        fail_msg("expected %d, got %d (%s)", code, rc, awc_error_last());
    if (!strstr(awc_error_last(), part1) || (part2 && !strstr(awc_error_last(), part2)))
        fail_msg("message '%s' lacks '%s' / '%s'", awc_error_last(), part1, part2 ? part2 : "");
    /* the operations refuse it the same way, with the message in errbuf and no output */
    assert_int_equal(run_op(0, 0, &ops, f, &o), code);
    assert_non_null(strstr(errbuf, part1));
    assert_int_equal(o.n, 0);
    assert_int_equal(run_op(1, 0, &ops, f, &o), code);
    assert_int_equal(o.n, 0);
    free(o.p);
}

static void test_bad_filters(void **state)
{
    awc_filter f;
    char id[AWC_CREDIT_ID_BUFSZ];
    (void)state;

    f = filter(); f.status = "OPEN";
    expect_refused(&f, AWC_EUSAGE, "--status", "OPEN");
    f = filter(); f.status = "ASSIGNED,,PROCESSED";
    expect_refused(&f, AWC_EUSAGE, "--status", "empty");
    f = filter(); f.period_from = "2026-13";
    expect_refused(&f, AWC_EUSAGE, "--period", "2026-13");
    f = filter(); f.period_from = "2026-05"; f.period_to = "2026-02";
    expect_refused(&f, AWC_EUSAGE, "--period", "before it starts");
    assert_true(awc_credit_id_format(id, sizeof(id), "AWSC", seeds[0].seq) > 0);
    id[strlen(id) - 1] = id[strlen(id) - 1] == '0' ? '1' : '0';
    f = filter(); f.credit_id = id;
    expect_refused(&f, AWC_EUSAGE, "--credit-id", "check digit");
    f = filter(); f.credit_id = "XYZ-000000-0000-0019";
    expect_refused(&f, AWC_EUSAGE, "--credit-id", NULL);
    f = filter(); f.min_amount = "abc";
    expect_refused(&f, AWC_EUSAGE, "--min-amount", "'abc': not a decimal number");
    f = filter(); f.max_amount = "1,000";
    expect_refused(&f, AWC_EUSAGE, "--max-amount", "1,000");
    f = filter(); f.min_amount = "-1"; f.max_amount = "-2";
    expect_refused(&f, AWC_EUSAGE, "--min-amount", "--max-amount");
    f = filter(); f.sort = "colour";
    expect_refused(&f, AWC_EUSAGE, "--sort", "colour");
    f = filter(); f.limit = -1;
    expect_refused(&f, AWC_EUSAGE, "--limit", NULL);
    f = filter(); f.offset = -5;
    expect_refused(&f, AWC_EUSAGE, "--offset", NULL);
    f = filter(); f.customer = "";
    expect_refused(&f, AWC_EUSAGE, "--customer", "empty");
    f = filter(); f.account = "12345";
    expect_refused(&f, AWC_EUSAGE, "--account", "12-digit");
    f = filter(); f.type = "MAP' OR '1";
    expect_refused(&f, AWC_EUSAGE, "--type", NULL);
    f = filter(); f.type = "FOO";
    expect_refused(&f, AWC_EUSAGE, "--type", "expected MAP, EDP");
    f = filter(); f.currency = "usd";
    expect_refused(&f, AWC_EUSAGE, "--currency", "three capital letters");
}

/* A host built before sort/limit/offset existed passes a smaller filter:
 * the module must not read past it. */
static void test_old_host_filter_size(void **state)
{
    awc_filter f = filter();
    seqs got;
    (void)state;
    f.status = "ASSIGNED";
    f.sort = "-amount";
    f.limit = 1;
    f.size = offsetof(awc_filter, sort);
    query(&f, &ops, &got);
    assert_int_equal(got.n, 9);                         /* sort and limit unseen */
    assert_int_equal(got.v[0], seeds[1].seq);
}

/* ---- the formula guard and quoting --------------------------------------------------------- */

static void test_csv_cell_guard(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        {"=1+1", "'=1+1"}, {"+x", "'+x"}, {"-x", "'-x"}, {"@x", "'@x"}, {"\tx", "'\tx"},
        {"\rx", "\"'\rx\""}, {"@SUM(A1:A9)", "'@SUM(A1:A9)"}, {"-", "'-"}, {"+", "'+"},
        {"=", "'="}, {"-1e5", "'-1e5"}, {"-1.", "'-1."}, {"-.5", "'-.5"}, {"--1", "'--1"},
        {"-1-2", "'-1-2"}, {"=A1,B1", "\"'=A1,B1\""}, {"=\"x\"", "\"'=\"\"x\"\"\""},
        /* plain numbers keep their sign and stay numbers */
        {"-12.5", "-12.5"}, {"-12.5000000000", "-12.5000000000"}, {"+3", "+3"}, {"12", "12"},
        {"0.0000000000", "0.0000000000"},
        /* no guard needed */
        {"", ""}, {" =1", " =1"}, {"x=1", "x=1"}, {"AWSC-000000-0000-0019", "AWSC-000000-0000-0019"},
        {"2026-01-31T10:00:00Z", "2026-01-31T10:00:00Z"},
        /* RFC 4180 quoting */
        {"a,b", "\"a,b\""}, {"say \"hi\"", "\"say \"\"hi\"\"\""}, {"a\nb", "\"a\nb\""},
        {"a\r\nb", "\"a\r\nb\""}, {"\"", "\"\"\"\""}, {"\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"},
    };
    char buf[64];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = awc_csv_cell(buf, sizeof(buf), cases[i].in, strlen(cases[i].in));
        if (n != strlen(cases[i].out) || memcmp(buf, cases[i].out, n) != 0 || buf[n])
            fail_msg("case %zu: got [%.*s], expected [%s]", i, (int)n, buf, cases[i].out);
    }
    /* too small a buffer: the length it would take, like snprintf */
    assert_int_equal(awc_csv_cell(buf, 3, "=a,b", 4), 7);
    assert_true(awc_csv_is_number("-1234567.8912345678", 19));
    assert_false(awc_csv_is_number("1.2.3", 5));
}

/* ---- export: CSV read back and compared with the database ----------------------------------- */

#define MAXCELLS 32

typedef struct csv_row {
    char *cell[MAXCELLS];
    size_t len[MAXCELLS];
    size_t n;
} csv_row;

typedef struct csv_table {
    csv_row *row;
    size_t n, cap;
} csv_table;

static void csv_free(csv_table *t)
{
    for (size_t r = 0; r < t->n; r++)
        for (size_t c = 0; c < t->row[r].n; c++)
            free(t->row[r].cell[c]);
    free(t->row);
    memset(t, 0, sizeof(*t));
}

/* A strict RFC 4180 reader written for this test: every record ends with
 * CRLF (the last one too); a field is plain (no quote, comma, CR or LF) or
 * quoted, with "" for a quote.  -1 on anything else. */
static int csv_parse(const char *p, size_t n, csv_table *t)
{
    size_t i = 0;

    memset(t, 0, sizeof(*t));
    while (i < n) {
        csv_row row;
        memset(&row, 0, sizeof(row));
        for (;;) {
            char *cell = malloc(n - i + 1);
            size_t len = 0;
            assert_non_null(cell);
            if (p[i] == '"') {
                for (i++;; i++) {
                    if (i >= n)
                        goto bad_cell;
                    if (p[i] == '"') {
                        if (i + 1 < n && p[i + 1] == '"') {
                            cell[len++] = '"';
                            i++;
                            continue;
                        }
                        i++;
                        break;
                    }
                    cell[len++] = p[i];
                }
            } else {
                for (; i < n && p[i] != ',' && p[i] != '\r' && p[i] != '\n'; i++) {
                    if (p[i] == '"')
                        goto bad_cell;
                    cell[len++] = p[i];
                }
            }
            cell[len] = '\0';
            if (row.n == MAXCELLS)
                goto bad_cell;
            row.cell[row.n] = cell;
            row.len[row.n++] = len;
            if (i < n && p[i] == ',') {
                i++;
                continue;
            }
            if (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n') {
                i += 2;
                break;
            }
            goto bad_row;              /* bare CR or LF, junk after a quote, no CRLF at the end */
        bad_cell:
            free(cell);
        bad_row:
            for (size_t c = 0; c < row.n; c++)
                free(row.cell[c]);
            csv_free(t);
            return -1;
        }
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 16;
            t->row = realloc(t->row, t->cap * sizeof(*t->row));
            assert_non_null(t->row);
        }
        t->row[t->n++] = row;
    }
    return 0;
}

#define CSV_PARSE(lit, t) csv_parse((lit), strlen(lit), (t))

static void test_csv_reader_is_strict(void **state)
{
    csv_table t;
    (void)state;
    assert_int_equal(CSV_PARSE("a,\"b\"\"c\",\"d\r\ne\"\r\n", &t), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.row[0].n, 3);
    assert_string_equal(t.row[0].cell[1], "b\"c");
    assert_string_equal(t.row[0].cell[2], "d\r\ne");
    csv_free(&t);
    assert_int_equal(CSV_PARSE("a,b\n", &t), -1);         /* LF only */
    assert_int_equal(CSV_PARSE("a,b", &t), -1);           /* no line end */
    assert_int_equal(CSV_PARSE("a\"b\r\n", &t), -1);      /* quote in a plain field */
    assert_int_equal(CSV_PARSE("\"a\"b\r\n", &t), -1);    /* junk after the quote */
}

/* What a cell of value v must look like after the guard (written from the
 * SPEC, not from csvout.c). */
static void guarded(char *out, size_t n, const char *v, size_t len)
{
    int number = 1, digits = 0;
    size_t i = 0;

    if (i < len && (v[i] == '-' || v[i] == '+'))
        i++;
    for (; i < len && v[i] >= '0' && v[i] <= '9'; i++)
        digits++;
    if (i < len && v[i] == '.') {
        int frac = 0;
        for (i++; i < len && v[i] >= '0' && v[i] <= '9'; i++)
            frac++;
        if (!frac)
            number = 0;
    }
    if (!digits || i != len)
        number = 0;
    if (len && (strchr("=@\t\r", v[0]) || ((v[0] == '+' || v[0] == '-') && !number)))
        snprintf(out, n, "'%.*s", (int)len, v);
    else
        snprintf(out, n, "%.*s", (int)len, v);
}

static const char *const header_cols =
    "credit_id,period,status,payer_account_id,usage_account_id,customer_id,asset_id,"
    "reseller_id,product_code,credit_type,description,amount,currency,assigned_amount,"
    "retained_amount,rule_id,usage_file_id,record_id,processing_date,issue_date,updated_at";

/* The same columns, computed by the database alone (text protocol). */
static const char *const db_export_sql =
    "SELECT c.seq, c.period, c.status, c.payer_account_id, c.usage_account_id, "
    "IFNULL(c.customer_id, ''), IFNULL(c.asset_id, ''), IFNULL(c.reseller_id, ''), "
    "c.product_code, c.credit_type, c.description, c.amount, c.currency, "
    "IF(COUNT(s.seq) = 0, '', CAST(SUM(IF(s.target <> 'retained', s.amount_minor, 0)) / "
    "  CASE c.currency WHEN 'JPY' THEN 1 WHEN 'BHD' THEN 1000 ELSE 100 END AS DECIMAL(30,10))), "
    "IF(COUNT(s.seq) = 0, '', CAST(SUM(IF(s.target = 'retained', s.amount_minor, 0)) / "
    "  CASE c.currency WHEN 'JPY' THEN 1 WHEN 'BHD' THEN 1000 ELSE 100 END AS DECIMAL(30,10))), "
    "IFNULL(c.rule_id, ''), IFNULL(c.usage_file_id, ''), "
    "IFNULL(GROUP_CONCAT(s.record_id ORDER BY s.line_no SEPARATOR ';'), ''), "
    "IFNULL(c.processing_date, ''), IFNULL(c.issue_date, ''), "
    "DATE_FORMAT(c.updated_at, '%Y-%m-%dT%H:%i:%sZ') "
    "FROM credit_view c LEFT JOIN credit_splits s ON s.seq = c.seq "
    "WHERE c.period BETWEEN '2026-01' AND '2026-06' GROUP BY c.seq ORDER BY c.seq";

/* python3's csv module reads the same bytes to the same cells. */
static void python_agrees(const char *data, size_t n, const csv_table *t)
{
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512], cmd[1024], *out = NULL;
    size_t len = 0, cap = 0, got;
    json_error_t jerr;
    json_t *rows;
    FILE *f, *p;
    int fd, status;

    snprintf(path, sizeof(path), "%s/awc-test-query-XXXXXX", tmp);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import csv, json, sys; "
             "f = open(sys.argv[1], newline=\"\", encoding=\"utf-8\", errors=\"strict\"); "
             "json.dump(list(csv.reader(f, strict=True)), sys.stdout)' %s 2>&1", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = (len + 4096 + 1) * 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        if ((got = fread(out + len, 1, 4096, p)) == 0)
            break;
        len += got;
    }
    out[len] = '\0';
    status = pclose(p);
    unlink(path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        printf("# python3 not found: the second, independent CSV reader was skipped\n");
        free(out);
        return;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("python3 csv reader failed: %s", out);
    rows = json_loads(out, 0, &jerr);
    if (!rows)
        fail_msg("python3 output is not JSON: %s", jerr.text);
    assert_int_equal(json_array_size(rows), t->n);
    for (size_t r = 0; r < t->n; r++) {
        json_t *row = json_array_get(rows, r);
        assert_int_equal(json_array_size(row), t->row[r].n);
        for (size_t c = 0; c < t->row[r].n; c++) {
            json_t *cell = json_array_get(row, c);
            assert_int_equal(json_string_length(cell), t->row[r].len[c]);
            assert_memory_equal(json_string_value(cell), t->row[r].cell[c], t->row[r].len[c]);
        }
    }
    json_decref(rows);
    free(out);
}

static void test_export_round_trip(void **state)
{
    awc_filter f = filter();
    outbuf o = {0};
    csv_table t;
    MYSQL_RES *res;
    MYSQL_ROW dbrow;
    char want[8192];
    size_t r = 1;
    (void)state;

    f.period_from = "2026-01";
    f.period_to = "2026-06";
    assert_int_equal(run_op(1, 0, &ops, &f, &o), 0);
    /* RFC 4180 line ends: no LF without its CR except inside quoted cells */
    assert_int_equal(memcmp(o.p, header_cols, strlen(header_cols)), 0);
    assert_int_equal(memcmp(o.p + strlen(header_cols), "\r\n", 2), 0);
    assert_int_equal(csv_parse(o.p, o.n, &t), 0);
    assert_int_equal(t.n, NSEEDS + 1);
    for (size_t c = 0; c < t.row[0].n; c++) {
        const char *h = header_cols;
        for (size_t k = 0; k < c; k++)
            h = strchr(h, ',') + 1;
        assert_int_equal(strncmp(h, t.row[0].cell[c], t.row[0].len[c]), 0);
    }
    assert_int_equal(t.row[0].n, 21);

    assert_int_equal(mysql_query(db.admin, db_export_sql), 0);
    res = mysql_store_result(db.admin);
    assert_non_null(res);
    while ((dbrow = mysql_fetch_row(res))) {
        unsigned long *lens = mysql_fetch_lengths(res);
        const csv_row *row = &t.row[r++];
        uint64_t seq = 0;

        assert_int_equal(row->n, 21);
        assert_int_equal(awc_credit_id_parse(&seq, row->cell[0], "AWSC"), 0);
        assert_int_equal(seq, strtoull(dbrow[0], NULL, 10));
        for (unsigned c = 1; c < 21; c++) {
            guarded(want, sizeof(want), dbrow[c], lens[c]);
            if (row->len[c] != strlen(want) || memcmp(row->cell[c], want, row->len[c]) != 0)
                fail_msg("credit %llu, column %u (%s): export [%s], database [%s]",
                         (unsigned long long)seq, c, t.row[0].cell[c], row->cell[c], want);
        }
    }
    mysql_free_result(res);
    assert_int_equal(r, NSEEDS + 1);

    /* the formula guard as the bytes show it */
    assert_non_null(strstr(o.p, ",'=1+1,-0.0000000001,USD,"));
    assert_non_null(strstr(o.p, ",'+x,-7.7700000000,USD,"));
    assert_non_null(strstr(o.p, ",'-x,-8.8800000000,USD,"));
    assert_non_null(strstr(o.p, ",'@x,-9.9900000000,USD,"));
    assert_non_null(strstr(o.p, ",'\tx,-1.0000000000,USD,"));
    assert_non_null(strstr(o.p, ",\"'\rx\",-2.0000000000,EUR,"));
    assert_non_null(strstr(o.p, ",-12.5,-12.5000000000,USD,-12.5000000000,0.0000000000,"));
    assert_non_null(strstr(o.p, ",\"He said \"\"hi\"\"\",-3.2500000000,EUR,-3.2500000000,"));
    assert_non_null(strstr(o.p, ",5.0000000000,USD,,,,,,,,"));         /* no splits: empty */
    assert_non_null(strstr(o.p, ",-1.2345000000,BHD,-1.2350000000,0.0000000000,"));
    assert_non_null(strstr(o.p, "UR-2026-05-0001-0001-0001-0001;UR-2026-05-0001-0001-0001-0002"));

    python_agrees(o.p, o.n, &t);
    csv_free(&t);
    free(o.p);
}

static void test_export_json_mode_is_csv(void **state)
{
    awc_filter f = filter();
    outbuf a = {0}, b = {0};
    (void)state;
    f.status = "ASSIGNED";
    assert_int_equal(run_op(1, 0, &ops, &f, &a), 0);
    assert_int_equal(run_op(1, 1, &ops, &f, &b), 0);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.p, b.p, a.n);
    free(a.p);
    free(b.p);
}

static void test_export_write_failure(void **state)
{
    awc_filter f = filter();
    outbuf o = {0};
    (void)state;
    o.fail_after = 1;
    assert_int_equal(run_op(1, 0, &ops, &f, &o), AWC_EIO);
    assert_non_null(strstr(errbuf, "write failed"));
}

/* ---- list: JSON and text ---------------------------------------------------------------------- */

static const char *const json_fields[] = {
    "credit_id", "period", "status", "version", "payer_account_id", "usage_account_id",
    "customer_id", "asset_id", "reseller_id", "product_code", "credit_type", "description",
    "amount", "currency", "assigned_amount", "retained_amount", "rule_id", "usage_file_id",
    "record_ids", "processing_date", "issue_date", "unmapped", "held", "excluded", "updated_at",
};

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    return json_is_null(v) ? NULL : json_string_value(v);
}

static void test_list_json(void **state)
{
    awc_filter f = filter();
    outbuf o = {0};
    json_error_t jerr;
    json_t *doc, *credits, *totals, *c;
    char amount[AWC_MONEY_BUFSZ], upd[32];
    awc_amount usd = 0;
    const char *key;
    size_t k = 0;
    (void)state;

    assert_int_equal(run_op(0, 1, &ops, &f, &o), 0);
    doc = json_loads(o.p, 0, &jerr);
    if (!doc)
        fail_msg("list --json is not JSON: %s", jerr.text);
    assert_int_equal(json_object_size(doc), 3);
    credits = json_object_get(doc, "credits");
    totals = json_object_get(doc, "totals");
    assert_true(json_is_array(credits));
    assert_int_equal(json_array_size(credits), NSEEDS);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), NSEEDS);

    /* totals per currency, exact, as decimal strings, in currency order */
    for (size_t i = 0; i < NSEEDS; i++)
        if (strcmp(seeds[i].currency, "USD") == 0)
            usd += seeds[i].value;
    assert_true(awc_money_format(amount, sizeof(amount), usd) > 0);
    assert_int_equal(json_object_size(totals), 4);
    assert_string_equal(jstr(totals, "USD"), amount);
    assert_string_equal(jstr(totals, "EUR"), "-5.2500000000");
    assert_string_equal(jstr(totals, "JPY"), "-1500.0000000000");
    assert_string_equal(jstr(totals, "BHD"), "-1.2345000000");
    {
        static const char *const order[] = {"BHD", "EUR", "JPY", "USD"};
        json_t *v;
        json_object_foreach(totals, key, v) {
            (void)v;
            assert_string_equal(key, order[k++]);
        }
    }

    for (size_t i = 0; i < NSEEDS; i++) {
        uint64_t seq = 0;
        c = json_array_get(credits, i);
        assert_int_equal(json_object_size(c), sizeof(json_fields) / sizeof(json_fields[0]));
        for (size_t j = 0; j < sizeof(json_fields) / sizeof(json_fields[0]); j++)
            if (!json_object_get(c, json_fields[j]))
                fail_msg("credit %zu lacks \"%s\"", i, json_fields[j]);
        assert_int_equal(awc_credit_id_parse(&seq, jstr(c, "credit_id"), "AWSC"), 0);
        assert_int_equal(seq, seeds[i].seq);
        assert_string_equal(jstr(c, "status"), seeds[i].status);
        assert_string_equal(jstr(c, "description"), seeds[i].desc);
        assert_true(awc_money_format(amount, sizeof(amount), seeds[i].value) > 0);
        assert_string_equal(jstr(c, "amount"), amount);
        assert_true(json_is_string(json_object_get(c, "amount")));
        assert_true(json_is_boolean(json_object_get(c, "unmapped")));
        assert_int_equal(json_is_true(json_object_get(c, "unmapped")), seeds[i].unmapped);
        assert_true(json_is_array(json_object_get(c, "record_ids")));
        snprintf(upd, sizeof(upd), "2026-07-01T10:00:%02zuZ", (i * 7) % NSEEDS);
        assert_string_equal(jstr(c, "updated_at"), upd);
        if (seeds[i].customer)
            assert_string_equal(jstr(c, "customer_id"), seeds[i].customer);
        else
            assert_null(jstr(c, "customer_id"));
        if (!seeds[i].lines[0].target) {
            assert_null(jstr(c, "assigned_amount"));
            assert_null(jstr(c, "retained_amount"));
        }
    }
    c = json_array_get(credits, 11);
    assert_string_equal(jstr(c, "amount"), "-1234567.8912345678");
    assert_string_equal(jstr(c, "assigned_amount"), "-1234567.8900000000");
    assert_string_equal(jstr(c, "retained_amount"), "-0.0100000000");
    assert_int_equal(json_array_size(json_object_get(c, "record_ids")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "record_ids"), 1)),
                        "UR-2026-05-0001-0001-0001-0002");
    assert_string_equal(jstr(c, "usage_file_id"), "UF-2026-05-0001-0001");
    assert_string_equal(jstr(c, "processing_date"), "2026-06-01");
    c = json_array_get(credits, 3);
    assert_string_equal(jstr(c, "assigned_amount"), "-1200.0000000000");
    assert_string_equal(jstr(c, "retained_amount"), "-300.0000000000");
    c = json_array_get(credits, 12);
    assert_string_equal(jstr(c, "assigned_amount"), "-1.2350000000");
    c = json_array_get(credits, 0);
    assert_string_equal(jstr(c, "issue_date"), "2025-12-31");
    assert_null(jstr(c, "rule_id"));
    json_decref(doc);
    free(o.p);

    /* with a sort and a limit */
    memset(&o, 0, sizeof(o));
    f.sort = "-amount";
    f.limit = 2;
    assert_int_equal(run_op(0, 1, &ops, &f, &o), 0);
    doc = json_loads(o.p, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 2);
    assert_string_equal(jstr(json_array_get(json_object_get(doc, "credits"), 0), "amount"),
                        "5.0000000000");
    assert_string_equal(jstr(json_array_get(json_object_get(doc, "credits"), 1), "amount"),
                        "-0.0000000001");
    json_decref(doc);
    free(o.p);

    /* nothing matches: still one document */
    memset(&o, 0, sizeof(o));
    f = filter();
    f.customer = "C-404";
    assert_int_equal(run_op(0, 1, &ops, &f, &o), 0);
    doc = json_loads(o.p, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "credits")), 0);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 0);
    assert_int_equal(json_object_size(json_object_get(doc, "totals")), 0);
    json_decref(doc);
    free(o.p);
}

static void test_list_text(void **state)
{
    awc_filter f = filter();
    char id[AWC_CREDIT_ID_BUFSZ];
    outbuf o = {0};
    size_t lines = 0;
    const char *p;
    (void)state;

    assert_int_equal(run_op(0, 0, &ops, &f, &o), 0);
    for (size_t i = 0; i < o.n; i++)
        lines += o.p[i] == '\n';
    assert_int_equal(lines, 1 + NSEEDS + 1 + 4);        /* header, rows, count, 4 totals */
    assert_null(memchr(o.p, '\r', o.n));                /* control characters are blanked */
    assert_null(memchr(o.p, '\t', o.n));
    assert_int_equal(strncmp(o.p, "CREDIT ID", 9), 0);
    p = strchr(o.p, '\n') + 1;
    for (size_t i = 0; i < NSEEDS; i++) {
        assert_true(awc_credit_id_format(id, sizeof(id), "AWSC", seeds[i].seq) > 0);
        assert_int_equal(strncmp(p, id, strlen(id)), 0);
        p = strchr(p, '\n') + 1;
    }
    assert_int_equal(strncmp(p, "16 credits\n", 11), 0);
    assert_non_null(strstr(p, "total BHD -1.2345\n"));
    assert_non_null(strstr(p, "total EUR -5.25\n"));
    assert_non_null(strstr(p, "total JPY -1500\n"));
    assert_non_null(strstr(o.p, " -1234567.8912345678 USD "));
    assert_non_null(strstr(o.p, " -12.50 USD "));
    assert_non_null(strstr(o.p, " -1500 JPY "));
    assert_non_null(strstr(o.p, " -0.0000000001 USD "));
    assert_non_null(strstr(o.p, "line1 line2"));
    free(o.p);

    memset(&o, 0, sizeof(o));
    assert_true(awc_credit_id_format(id, sizeof(id), "AWSC", seeds[2].seq) > 0);
    f.credit_id = id;
    assert_int_equal(run_op(0, 0, &ops, &f, &o), 0);
    assert_non_null(strstr(o.p, "\n1 credit\ntotal EUR -3.25\n"));
    free(o.p);
}

/* ---- streaming ---------------------------------------------------------------------------------- */

#define BULK 50000
#define BULK_BASE 1000000

static long allocs;

static void *count_malloc(void *ctx, size_t n)
{
    (void)ctx;
    allocs++;
    return malloc(n);
}

static void *count_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    allocs++;
    return realloc(p, n);
}

static void count_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

typedef struct stream_ctx {
    uint64_t n, last;
    int bad;
    unsigned long killed;          /* the thread killed at row kill_at */
    uint64_t kill_at;
} stream_ctx;

static int stream_row(void *arg, const awc_credit_row *r)
{
    stream_ctx *x = arg;

    if (x->n && r->c.seq <= x->last)
        x->bad = 1;                                     /* out of order or twice */
    if (!r->has_splits || r->assigned_minor != -(int64_t)(r->c.seq - BULK_BASE) ||
        r->retained_minor != 0 || r->c.state != AWC_ASSIGNED)
        x->bad = 1;
    x->last = r->c.seq;
    x->n++;
    if (x->kill_at && x->n == x->kill_at) {
        char sql[64];
        x->killed = awc_store_mariadb_thread_id(st);
        snprintf(sql, sizeof(sql), "KILL CONNECTION %lu", x->killed);
        assert_int_equal(testdb_exec(&db, sql), 0);
    }
    return 0;
}

static void test_stream_50k_rows(void **state)
{
    char sql[1024];
    awc_filter f = filter();
    stream_ctx x;
    awc_query q;
    outbuf o = {0};
    size_t lines = 0;
    (void)state;

    snprintf(sql, sizeof(sql),
             "INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, "
             "product_code, currency, description, amount, status, assignment_id) "
             "SELECT %d + seq, '2030-01', '555555555555', '666666666666', "
             "CONCAT('bulk ', seq), 'AmazonEC2', 'USD', CONCAT('bulk credit, number ', seq), "
             "-seq / 100, 'ASSIGNED', @bulk FROM seq_1_to_%d", BULK_BASE, BULK);
    assert_int_equal(testdb_exec(&db, "INSERT IGNORE INTO assignments (customer_id, reseller_id) "
                                      "VALUES ('C-BULK', 'R-BULK')"), 0);
    assert_int_equal(testdb_exec(&db, "SET @bulk = (SELECT id FROM assignments WHERE "
                                      "customer_id = 'C-BULK' AND reseller_id = 'R-BULK' AND "
                                      "asset_id = '' AND owner_account_id = '' AND rule_id = '' "
                                      "AND unmapped = 0)"), 0);
    assert_int_equal(testdb_exec(&db, sql), 0);
    snprintf(sql, sizeof(sql),
             "INSERT INTO credit_splits (seq, line_no, target, amount_minor) "
             "SELECT %d + seq, 1, 'customer', -seq FROM seq_1_to_%d", BULK_BASE, BULK);
    assert_int_equal(testdb_exec(&db, sql), 0);

    f.period_from = f.period_to = "2030-01";
    assert_int_equal(awc_query_from_filter(&q, &f, &ops, "AWSC"), 0);
    memset(&x, 0, sizeof(x));
    allocs = 0;
    awc_alloc_use(NULL, count_malloc, count_realloc, count_free);
    assert_int_equal(st->ops->credits_query(st, &q, stream_row, &x), 0);
    awc_alloc_use(NULL, NULL, NULL, NULL);
    assert_int_equal(x.n, BULK);
    assert_false(x.bad);
    printf("# credits_query: %d rows, %ld module allocations\n", BULK, allocs);
    assert_true(allocs <= 2);                           /* per call, never per row */

    /* the export of the same rows: constant allocations, progress every 10,000 */
    progress_calls = progress_last = 0;
    allocs = 0;
    awc_alloc_use(NULL, count_malloc, count_realloc, count_free);
    assert_int_equal(run_op(1, 0, &ops, &f, &o), 0);
    awc_alloc_use(NULL, NULL, NULL, NULL);
    printf("# export: %d rows, %zu bytes, %ld module allocations\n", BULK, o.n, allocs);
    assert_true(allocs <= 4);
    assert_int_equal(progress_calls, BULK / 10000);
    assert_int_equal(progress_last, BULK);
    for (size_t i = 0; i < o.n; i++)
        lines += o.p[i] == '\n';
    assert_int_equal(lines, BULK + 1);
    assert_non_null(strstr(o.p, "\r\nAWSC-"));
    free(o.p);
}

/* The connection dies in the middle of a stream: the store reconnects, runs
 * the query again and skips what the callback already had. */
static void test_lost_connection_mid_stream(void **state)
{
    awc_filter f = filter();
    stream_ctx x;
    awc_query q;
    (void)state;

    f.period_from = f.period_to = "2030-01";
    assert_int_equal(awc_query_from_filter(&q, &f, &ops, "AWSC"), 0);
    memset(&x, 0, sizeof(x));
    x.kill_at = 1000;
    if (st->ops->credits_query(st, &q, stream_row, &x) != 0)
        fail_msg("credits_query after a kill: %s", awc_error_last());
    assert_true(x.killed != 0);
    assert_true(awc_store_mariadb_thread_id(st) != x.killed); /* a new connection */
    assert_int_equal(x.n, BULK);                         /* every row once */
    assert_false(x.bad);
}

/* The same in another order: the rows already had are skipped by count. */
static void test_lost_connection_mid_stream_sorted(void **state)
{
    awc_filter f = filter();
    stream_ctx x;
    awc_query q;
    (void)state;

    f.period_from = f.period_to = "2030-01";
    f.sort = "-amount";                                 /* -0.01, -0.02, ...: seq ascending */
    assert_int_equal(awc_query_from_filter(&q, &f, &ops, "AWSC"), 0);
    memset(&x, 0, sizeof(x));
    x.kill_at = 20000;
    if (st->ops->credits_query(st, &q, stream_row, &x) != 0)
        fail_msg("credits_query after a kill: %s", awc_error_last());
    assert_true(x.killed != 0);
    assert_true(awc_store_mariadb_thread_id(st) != x.killed); /* it did run again */
    assert_int_equal(x.n, BULK);
    assert_false(x.bad);
}

/* The host's write fails in the middle of a long export: the export stops
 * with AWC_EIO and the store stays usable. */
static void test_export_fails_mid_stream(void **state)
{
    awc_filter f = filter();
    outbuf o = {0};
    seqs got;
    (void)state;
    f.period_from = f.period_to = "2030-01";
    o.fail_after = 3;
    assert_int_equal(run_op(1, 0, &ops, &f, &o), AWC_EIO);
    free(o.p);
    f = filter();
    f.customer = "C-1";
    query(&f, &ops, &got);
    assert_int_equal(got.n, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_no_filter),
        cmocka_unit_test(test_filter_status),
        cmocka_unit_test(test_filter_period),
        cmocka_unit_test(test_filter_owner),
        cmocka_unit_test(test_filter_account),
        cmocka_unit_test(test_filter_credit_id),
        cmocka_unit_test(test_filter_description),
        cmocka_unit_test(test_filter_type_rule_unmapped),
        cmocka_unit_test(test_filter_amount),
        cmocka_unit_test(test_combinations),
        cmocka_unit_test(test_random_combinations_match_model),
        cmocka_unit_test(test_sort_orders),
        cmocka_unit_test(test_limit_offset),
        cmocka_unit_test(test_reseller_scope),
        cmocka_unit_test(test_bad_filters),
        cmocka_unit_test(test_old_host_filter_size),
        cmocka_unit_test(test_csv_cell_guard),
        cmocka_unit_test(test_csv_reader_is_strict),
        cmocka_unit_test(test_export_round_trip),
        cmocka_unit_test(test_export_json_mode_is_csv),
        cmocka_unit_test(test_export_write_failure),
        cmocka_unit_test(test_list_json),
        cmocka_unit_test(test_list_text),
        cmocka_unit_test(test_stream_50k_rows),
        cmocka_unit_test(test_lost_connection_mid_stream),
        cmocka_unit_test(test_lost_connection_mid_stream_sorted),
        cmocka_unit_test(test_export_fails_mid_stream),
    };
    return cmocka_run_group_tests_name("query", tests, setup, teardown);
}
