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

static const awc_actor ops = { sizeof(awc_actor), AWC_ROLE_DISTRIBUTOR, "ops", NULL };
static const awc_actor viewer = { sizeof(awc_actor), AWC_ROLE_VIEWER, "vic", NULL };
static const awc_actor r1 = { sizeof(awc_actor), AWC_ROLE_RESELLER, "alice", "R-1" };
static const awc_actor r2 = { sizeof(awc_actor), AWC_ROLE_RESELLER, "bob", "R-2" };
static const awc_actor r_none = { sizeof(awc_actor), AWC_ROLE_RESELLER, "eve", NULL };

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

static const char *sql_str(char *buf, size_t n, const char *s)
{
    if (!s)
        snprintf(buf, n, "NULL");
    else
        snprintf(buf, n, "'%s'", s);  /* test constants: no quotes inside */
    return buf;
}

static void seed_all(void)
{
    awc_credit_draft d[NSEEDS];
    char sql[1024], cu[64], as[64], re[64], ru[64], uf[64], pd[64], rec[64];
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
        snprintf(sql, sizeof(sql),
                 "UPDATE credits SET status = '%s', customer_id = %s, asset_id = %s, "
                 "reseller_id = %s, rule_id = %s, unmapped = %d, usage_file_id = %s, "
                 "processing_date = %s, "
                 "updated_at = '2026-07-01 10:00:00' + INTERVAL %zu SECOND "
                 "WHERE seq = %llu",
                 s->status, sql_str(cu, sizeof(cu), s->customer), sql_str(as, sizeof(as), s->asset),
                 sql_str(re, sizeof(re), s->reseller), sql_str(ru, sizeof(ru), s->rule),
                 s->unmapped, sql_str(uf, sizeof(uf), s->usage_file),
                 sql_str(pd, sizeof(pd), s->processing_date), (i * 7) % NSEEDS,
                 (unsigned long long)s->seq);
        assert_int_equal(testdb_exec(&db, sql), 0);
        for (int l = 0; l < 3 && s->lines[l].target; l++) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO credit_splits (seq, line_no, target, amount_minor, record_id) "
                     "VALUES (%llu, %d, '%s', %lld, %s)", (unsigned long long)s->seq, l + 1,
                     s->lines[l].target, (long long)s->lines[l].minor,
                     sql_str(rec, sizeof(rec), s->lines[l].record));
            assert_int_equal(testdb_exec(&db, sql), 0);
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
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_splits"), 19);
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

        if (rnd() % 3 == 0) f.status = PICK(statuses);
        if (rnd() % 3 == 0) f.period_from = PICK(periods);
        if (rnd() % 3 == 0) f.period_to = PICK(periods);
        if (f.period_from && f.period_to && strcmp(f.period_from, f.period_to) > 0)
            f.period_to = f.period_from;
        if (rnd() % 4 == 0) f.customer = PICK(customers);
        if (rnd() % 4 == 0) f.reseller = PICK(resellers);
        if (rnd() % 6 == 0) f.asset = PICK(assets);
        if (rnd() % 4 == 0) f.account = PICK(accounts);
        if (rnd() % 3 == 0) f.description = PICK(needles);
        if (rnd() % 4 == 0) f.type = PICK(types);
        if (rnd() % 4 == 0) f.min_amount = PICK(amounts);
        if (rnd() % 4 == 0) f.max_amount = PICK(amounts);
        if (rnd() % 5 == 0) f.rule = PICK(rules);
        if (rnd() % 6 == 0) f.unmapped = 1;
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
    expect_refused(&f, AWC_EBADINPUT, "--status", "OPEN");
    f = filter(); f.status = "ASSIGNED,,PROCESSED";
    expect_refused(&f, AWC_EUSAGE, "--status", "empty");
    f = filter(); f.period_from = "2026-13";
    expect_refused(&f, AWC_EBADINPUT, "--period", "2026-13");
    f = filter(); f.period_from = "2026-05"; f.period_to = "2026-02";
    expect_refused(&f, AWC_EUSAGE, "--period", "before it starts");
    assert_true(awc_credit_id_format(id, sizeof(id), "AWSC", seeds[0].seq) > 0);
    id[strlen(id) - 1] = id[strlen(id) - 1] == '0' ? '1' : '0';
    f = filter(); f.credit_id = id;
    expect_refused(&f, AWC_EBADINPUT, "--credit-id", "check digit");
    f = filter(); f.credit_id = "XYZ-000000-0000-0019";
    expect_refused(&f, AWC_EBADINPUT, "--credit-id", NULL);
    f = filter(); f.min_amount = "abc";
    expect_refused(&f, AWC_EBADINPUT, "--min-amount", "'abc': not a decimal number");
    f = filter(); f.max_amount = "1,000";
    expect_refused(&f, AWC_EBADINPUT, "--max-amount", "1,000");
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
    expect_refused(&f, AWC_EBADINPUT, "--account", "12-digit");
    f = filter(); f.type = "MAP' OR '1";
    expect_refused(&f, AWC_EBADINPUT, "--type", NULL);
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
