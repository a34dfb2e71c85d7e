/*
 * test_cur_file.c -- adapters/cur_file.c: the streaming CUR CSV reader and
 * the credit key / credit type helpers.
 *
 * Fixtures live in tests/fixtures/cur/ (found under $AWC_TEST_ROOT, else
 * the current directory): one file per dialect, a gzip copy, a file with
 * several bad rows, and the bad-input corpus bad/ whose exact messages are
 * listed in bad/expected.txt.  The expected sums below were worked out by
 * hand from the fixture rows, not by the reader.  Generated input (random
 * rows, quotes, CRLF, gzip, tiny buffers, sources that return a few bytes
 * at a time) uses a fixed-seed splitmix64; AWC_TEST_SEED replays another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "awc.h"
#include "cur.h"
#include "money.h"

#define ONE AWC_MONEY_ONE

/* --- helpers ------------------------------------------------------------------------- */

static char root[900];

static const char *fixture(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/tests/fixtures/cur/%s", root, name);
    return buf;
}

static int setup_root(void **state)
{
    const char *r = getenv("AWC_TEST_ROOT");
    (void)state;
    snprintf(root, sizeof(root), "%s", r && *r ? r : ".");
    return 0;
}

static uint64_t rng;

static uint64_t rng_next(void)
{
    uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? rng_next() % n : 0;
}

static void rng_seed(const char *test)
{
    const char *env = getenv("AWC_TEST_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 0) : UINT64_C(20261001);
    rng = seed;
    print_message("%s: seed %" PRIu64 "\n", test, seed);
}

/* A copy of one delivered row. */
struct got {
    uint64_t line;
    awc_cur_dialect dialect;
    char f[AWC_CUR_NFIELDS][300];
    awc_amount amount;
    char period[8], usage_date[11], currency[4];
};

struct sink {
    struct got *rows;
    size_t n, cap;
    char bad[16][AWC_ERRMSG_MAX];
    size_t nbad;
    int stop_at;                   /* return AWC_ECONFLICT on this row (1-based), 0 = never */
};

static int on_row(void *ctx, const awc_cur_row *r)
{
    struct sink *s = ctx;
    struct got *g;
    int f;

    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->rows = realloc(s->rows, s->cap * sizeof(*s->rows));
        assert_non_null(s->rows);
    }
    g = &s->rows[s->n++];
    memset(g, 0, sizeof(*g));
    g->line = r->line;
    g->dialect = r->dialect;
    for (f = 0; f < AWC_CUR_NFIELDS; f++) {
        size_t n = r->f[f].n < sizeof(g->f[f]) - 1 ? r->f[f].n : sizeof(g->f[f]) - 1;
        assert_non_null(r->f[f].p);
        memcpy(g->f[f], r->f[f].p, n);
    }
    g->amount = r->amount;
    memcpy(g->period, r->period, sizeof(g->period));
    memcpy(g->usage_date, r->usage_date, sizeof(g->usage_date));
    memcpy(g->currency, r->currency, sizeof(g->currency));
    if (s->stop_at && (int)s->n == s->stop_at)
        return awc_error_set(AWC_ECONFLICT, "stopped by the test");
    return 0;
}

static int on_bad(void *ctx, const char *msg)
{
    struct sink *s = ctx;
    if (s->nbad < 16)
        snprintf(s->bad[s->nbad], sizeof(s->bad[0]), "%s", msg);
    s->nbad++;
    return 0;
}

static void sink_free(struct sink *s)
{
    free(s->rows);
    memset(s, 0, sizeof(*s));
}

static awc_amount sum_of(const struct sink *s, const char *currency)
{
    awc_amount t = 0;
    size_t i;
    for (i = 0; i < s->n; i++)
        if (!strcmp(s->rows[i].currency, currency))
            assert_int_equal(awc_money_add(&t, t, s->rows[i].amount), 0);
    return t;
}

static size_t count_of(const struct sink *s, const char *currency)
{
    size_t i, n = 0;
    for (i = 0; i < s->n; i++)
        n += !strcmp(s->rows[i].currency, currency);
    return n;
}

static const struct got *row_at_line(const struct sink *s, uint64_t line)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (s->rows[i].line == line)
            return &s->rows[i];
    fail_msg("no row at line %" PRIu64, line);
    return NULL;
}

static int read_fixture(const char *name, const awc_cur_options *opt, struct sink *s,
                        awc_cur_stats *st)
{
    char path[1200];
    return awc_cur_read_path(fixture(path, sizeof(path), name), opt, on_row, s, st);
}

static long file_size(const char *name)
{
    char path[1200];
    struct stat sb;
    assert_int_equal(stat(fixture(path, sizeof(path), name), &sb), 0);
    return (long)sb.st_size;
}

/* A source over memory: whole reads, one byte at a time, or random sizes. */
enum chunking { WHOLE, ONE_BYTE, RANDOM };

struct mem {
    const char *p;
    size_t n, off;
    enum chunking how;
    size_t fail_at;                /* return AWC_EIO once off reaches this (0 = never) */
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
    struct mem *m = ctx;
    size_t k = m->n - m->off;
    if (m->fail_at && m->off >= m->fail_at)
        return awc_error_set(AWC_EIO, "s3://bucket/cur.csv: connection reset");
    if (k > n)
        k = n;
    if (m->how == ONE_BYTE && k > 1)
        k = 1;
    else if (m->how == RANDOM && k > 1)
        k = 1 + (size_t)below(k < 97 ? k : 97);
    if (m->fail_at && m->off < m->fail_at && m->off + k > m->fail_at)
        k = m->fail_at - m->off;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

static int read_mem(const char *name, const char *data, size_t n, enum chunking how,
                    const awc_cur_options *opt, struct sink *s, awc_cur_stats *st)
{
    struct mem m = {data, n, 0, how, 0};
    awc_cur_source src = {&m, mem_read};
    awc_cur_reader *r;
    int rc = awc_cur_open_source(&r, name, &src, opt);
    if (rc < 0)
        return rc;
    rc = awc_cur_read(r, on_row, s, st);
    awc_cur_close(r);
    return rc;
}

static char *slurp(const char *name, size_t *n)
{
    char path[1200];
    FILE *f = fopen(fixture(path, sizeof(path), name), "rb");
    char *buf;
    long k;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    k = ftell(f);
    assert_true(k >= 0);
    rewind(f);
    buf = malloc((size_t)k + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)k, f), (size_t)k);
    fclose(f);
    *n = (size_t)k;
    return buf;
}

/* Every field of every row, for comparing two reads of the same data. */
static void assert_same_rows(const struct sink *a, const struct sink *b)
{
    size_t i;
    int f;
    assert_int_equal(a->n, b->n);
    for (i = 0; i < a->n; i++) {
        assert_int_equal(a->rows[i].line, b->rows[i].line);
        assert_int_equal(a->rows[i].amount, b->rows[i].amount);
        assert_string_equal(a->rows[i].usage_date, b->rows[i].usage_date);
        for (f = 0; f < AWC_CUR_NFIELDS; f++)
            assert_string_equal(a->rows[i].f[f], b->rows[i].f[f]);
    }
}

/* --- dialect fixtures ------------------------------------------------------------------ */

static void test_legacy(void **state)
{
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    const struct got *g;
    (void)state;

    o.period = "2026-10";
    assert_int_equal(read_fixture("legacy.csv", &o, &s, &st), 0);
    /* USD: -100.5 - 1234.5678901234 - 0.0000000001 - 3.25 - 0.01 - 0.0021 */
    assert_int_equal(count_of(&s, "USD"), 6);
    assert_int_equal(sum_of(&s, "USD"), INT64_C(-13383299901235));
    assert_int_equal(count_of(&s, "EUR"), 1);
    assert_int_equal(sum_of(&s, "EUR"), -20 * ONE);
    assert_int_equal(s.n, 7);
    assert_int_equal(st.files, 1);
    assert_int_equal(st.rows, 14);
    assert_int_equal(st.wanted, 7);
    assert_int_equal(st.other_period, 1);
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.bytes_in, (uint64_t)file_size("legacy.csv"));
    assert_int_equal(st.bytes_out, st.bytes_in);

    g = row_at_line(&s, 3);
    assert_int_equal(g->dialect, AWC_CUR_LEGACY);
    assert_string_equal(g->f[AWC_CUR_TYPE], "Credit");
    assert_string_equal(g->f[AWC_CUR_PERIOD_START], "2026-10-01T00:00:00Z");
    assert_string_equal(g->f[AWC_CUR_PAYER], "111122223333");
    assert_string_equal(g->f[AWC_CUR_ACCOUNT], "210987654321");
    assert_string_equal(g->f[AWC_CUR_PRODUCT], "AmazonEC2");
    assert_string_equal(g->f[AWC_CUR_COST], "-100.5");
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION],
                        "AWS Credit - Enterprise Discount Program (EDP) service credit");
    assert_string_equal(g->f[AWC_CUR_BILLING_ENTITY], "AWS");
    assert_string_equal(g->f[AWC_CUR_LEGAL_ENTITY], "Amazon Web Services, Inc.");
    assert_string_equal(g->f[AWC_CUR_INVOICE_ID], "2026123456");
    assert_string_equal(g->period, "2026-10");
    assert_string_equal(g->usage_date, "2026-10-05");
    assert_string_equal(g->currency, "USD");
    assert_int_equal(g->amount, -1005 * ONE / 10);

    g = row_at_line(&s, 4);
    assert_string_equal(g->f[AWC_CUR_PRODUCT], "AmazonRDS");
    assert_int_equal(g->amount, INT64_C(-12345678901234));
    /* quoted commas and doubled quotes */
    g = row_at_line(&s, 6);
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION], "SLA Credit, \"EC2\" outage of 2026-10-03");
    assert_int_equal(g->amount, -1);
    /* an embedded newline: the record starts on line 9, the next on 11 */
    g = row_at_line(&s, 9);
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION], "Proof of Concept credits,\nproject 77 (SageMaker)");
    assert_string_equal(g->f[AWC_CUR_ACCOUNT], "123456789012");
    g = row_at_line(&s, 11);
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION], "Goodwill Credits, credit id: 10063543426");
    assert_string_equal(g->f[AWC_CUR_PAYER], "444455556666");
    assert_string_equal(g->f[AWC_CUR_LEGAL_ENTITY], "Amazon Web Services EMEA SARL");
    g = row_at_line(&s, 13);
    assert_string_equal(g->f[AWC_CUR_BILLING_ENTITY], "AWS Marketplace");
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION], "AWS Marketplace ISV Credit, seller \"Acme Data, Inc.\"");
    assert_int_equal(g->amount, -ONE / 100);
    /* exponent form, blank invoice id, last day */
    g = row_at_line(&s, 16);
    assert_int_equal(g->amount, -21000000);
    assert_string_equal(g->f[AWC_CUR_INVOICE_ID], "");
    assert_string_equal(g->usage_date, "2026-10-31");
    sink_free(&s);
}

static void test_gzip_same_as_plain(void **state)
{
    awc_cur_options o = {0};
    awc_cur_stats a = {0}, b = {0};
    struct sink plain = {0}, gz = {0};
    (void)state;

    o.period = "2026-10";
    assert_int_equal(read_fixture("legacy.csv", &o, &plain, &a), 0);
    /* two concatenated gzip members, detected by magic, not by name */
    assert_int_equal(read_fixture("legacy.csv.gz", &o, &gz, &b), 0);
    assert_same_rows(&plain, &gz);
    assert_int_equal(b.bytes_in, (uint64_t)file_size("legacy.csv.gz"));
    assert_int_equal(b.bytes_out, (uint64_t)file_size("legacy.csv"));
    assert_int_equal(b.rows, a.rows);
    sink_free(&gz);
    {
        /* the same bytes through a stream named like a plain file, one byte at a time */
        size_t n;
        char *data = slurp("legacy.csv.gz", &n);
        assert_int_equal(read_mem("cur.csv", data, n, ONE_BYTE, &o, &gz, NULL), 0);
        assert_same_rows(&plain, &gz);
        free(data);
    }
    sink_free(&plain);
    sink_free(&gz);
}

static void test_cur2(void **state)
{
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    const struct got *g;
    char path[1200];
    awc_cur_reader *r;
    (void)state;

    /* BOM, CRLF line ends, no newline after the last row */
    o.period = "2026-10";
    assert_int_equal(awc_cur_open_path(&r, fixture(path, sizeof(path), "cur2.csv"), &o), 0);
    assert_int_equal(awc_cur_reader_dialect(r), AWC_CUR_CUR2);
    assert_string_equal(awc_cur_reader_column(r, AWC_CUR_TYPE), "line_item_line_item_type");
    assert_string_equal(awc_cur_reader_column(r, AWC_CUR_COST), "line_item_unblended_cost");
    assert_string_equal(awc_cur_reader_column(r, AWC_CUR_INVOICE_ID), "bill_invoice_id");
    assert_int_equal(awc_cur_read(r, on_row, &s, &st), 0);
    awc_cur_close(r);

    /* USD: -1.25E-4 - 50.000000000049 (rounds to -50) - 5 */
    assert_int_equal(count_of(&s, "USD"), 3);
    assert_int_equal(sum_of(&s, "USD"), INT64_C(-550001250000));
    assert_int_equal(sum_of(&s, "EUR"), -1999 * ONE / 100);
    assert_int_equal(st.rows, 6);
    assert_int_equal(st.other_period, 1);
    g = row_at_line(&s, 3);
    assert_int_equal(g->dialect, AWC_CUR_CUR2);
    assert_int_equal(g->amount, -1250000);
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION], "AWS Activate Credits, credit id: 10063543427");
    g = row_at_line(&s, 4);
    assert_string_equal(g->period, "2026-10");              /* "2026-10-01", no time */
    g = row_at_line(&s, 5);
    assert_string_equal(g->usage_date, "2026-10-01");       /* "2026-10-01 00:00:00" */
    g = row_at_line(&s, 7);                                 /* the last line, no CRLF after it */
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION], "SLA Credit - \"Service Level Agreement\", EC2");
    assert_string_equal(g->f[AWC_CUR_LEGAL_ENTITY], "Amazon Web Services, Inc.");
    assert_string_equal(g->f[AWC_CUR_INVOICE_ID], "2026123456");
    assert_int_equal(strchr(g->f[AWC_CUR_INVOICE_ID], '\r') == NULL, 1);
    /* the last column of a CRLF file carries no CR */
    assert_string_equal(g->f[AWC_CUR_TYPE], "Credit");
    sink_free(&s);
}

static void test_focus(void **state)
{
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    const struct got *g;
    (void)state;

    o.period = "2026-10";
    assert_int_equal(read_fixture("focus.csv", &o, &s, &st), 0);
    assert_int_equal(sum_of(&s, "USD"), -76 * ONE);          /* -75.125 - 0.875 */
    assert_int_equal(sum_of(&s, "JPY"), -1000 * ONE);
    assert_int_equal(s.n, 3);
    assert_int_equal(st.rows, 7);
    assert_int_equal(st.other_period, 1);
    g = row_at_line(&s, 3);
    assert_int_equal(g->dialect, AWC_CUR_FOCUS);
    assert_string_equal(g->f[AWC_CUR_TYPE], "Credit");
    assert_string_equal(g->f[AWC_CUR_PRODUCT], "AmazonEC2"); /* x_ServiceCode */
    assert_string_equal(g->f[AWC_CUR_PAYER], "111122223333");
    assert_string_equal(g->f[AWC_CUR_ACCOUNT], "210987654321");
    assert_string_equal(g->f[AWC_CUR_BILLING_ENTITY], "Amazon Web Services, Inc.");
    assert_string_equal(g->f[AWC_CUR_LEGAL_ENTITY], "Amazon Web Services, Inc.");
    assert_string_equal(g->f[AWC_CUR_INVOICE_ID], "EUINIE26-0001");
    assert_string_equal(g->usage_date, "2026-10-07");
    assert_string_equal(g->period, "2026-10");
    g = row_at_line(&s, 7);
    assert_string_equal(g->f[AWC_CUR_PRODUCT], "AWSMarketplace");
    assert_string_equal(g->f[AWC_CUR_LEGAL_ENTITY], "Acme");
    assert_string_equal(g->f[AWC_CUR_DESCRIPTION], "Marketplace credit, seller \"Acme\"");
    sink_free(&s);

    /* without x_ServiceCode the product is ServiceName */
    {
        char path[1200];
        awc_cur_reader *r;
        assert_int_equal(awc_cur_open_path(&r, fixture(path, sizeof(path), "focus-servicename.csv"), &o), 0);
        assert_string_equal(awc_cur_reader_column(r, AWC_CUR_PRODUCT), "ServiceName");
        assert_int_equal(awc_cur_read(r, on_row, &s, NULL), 0);
        awc_cur_close(r);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.rows[0].f[AWC_CUR_PRODUCT], "Amazon Elastic Compute Cloud");
        sink_free(&s);
    }
}

/* --- filters ------------------------------------------------------------------------------- */

static void test_type_filter(void **state)
{
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    (void)state;

    o.period = "2026-10";
    o.line_item_types = "Credit,Refund";
    assert_int_equal(read_fixture("legacy.csv", &o, &s, &st), 0);
    assert_int_equal(s.n, 8);
    assert_int_equal(sum_of(&s, "USD"), INT64_C(-13383299901235) - 525 * ONE / 100);
    assert_string_equal(row_at_line(&s, 8)->f[AWC_CUR_TYPE], "Refund");
    assert_string_equal(row_at_line(&s, 8)->f[AWC_CUR_DESCRIPTION], "Refund for \"double billing\", case 1234");
    sink_free(&s);

    o.line_item_types = " Refund ";
    assert_int_equal(read_fixture("legacy.csv", &o, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rows[0].amount, -525 * ONE / 100);
    sink_free(&s);

    /* exact match only: "Credits" is not "Credit" and vice versa */
    o.line_item_types = "Credits";
    assert_int_equal(read_fixture("legacy.csv", &o, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rows[0].line, 15);
    sink_free(&s);

    o.line_item_types = "SavingsPlanNegation, Tax,Usage";
    assert_int_equal(read_fixture("legacy.csv", &o, &s, NULL), 0);
    assert_int_equal(s.n, 4);
    sink_free(&s);

    /* FOCUS: the wanted category is matched against ChargeCategory */
    o.line_item_types = "Adjustment";
    assert_int_equal(read_fixture("focus.csv", &o, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rows[0].amount, -3 * ONE);
    sink_free(&s);
}

static void test_period_filter(void **state)
{
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    (void)state;

    /* no period: every credit */
    assert_int_equal(read_fixture("legacy.csv", &o, &s, &st), 0);
    assert_int_equal(s.n, 8);
    assert_int_equal(st.other_period, 0);
    sink_free(&s);

    memset(&st, 0, sizeof(st));
    o.period = "2026-09";
    assert_int_equal(read_fixture("legacy.csv", &o, &s, &st), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rows[0].line, 7);
    assert_int_equal(s.rows[0].amount, -7 * ONE);
    assert_string_equal(s.rows[0].period, "2026-09");
    assert_int_equal(st.other_period, 7);
    sink_free(&s);

    o.period = "2025-10";
    assert_int_equal(read_fixture("legacy.csv", &o, &s, NULL), 0);
    assert_int_equal(s.n, 0);
    sink_free(&s);
}

/* --- bad input --------------------------------------------------------------------------- */

static void test_bad_corpus(void **state)
{
    char path[1600], dir[1000], line[512];
    FILE *f;
    DIR *d;
    struct dirent *de;
    size_t checked = 0, files = 0;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/tests/fixtures/cur/bad", root);
    snprintf(path, sizeof(path), "%s/expected.txt", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char *tab = strchr(line, '\t'), *nl = strchr(line, '\n'), want[1600];
        awc_cur_options o = {0};
        awc_cur_stats st = {0};
        struct sink s = {0};
        int rc;
        if (line[0] == '#' || !tab)
            continue;
        *tab = '\0';
        if (nl)
            *nl = '\0';
        snprintf(path, sizeof(path), "%s/%s", dir, line);
        snprintf(want, sizeof(want), "%s/%s", dir, tab + 1);
        o.period = "2026-10";
        rc = awc_cur_read_path(path, &o, on_row, &s, &st);
        if (rc != AWC_EBADINPUT || strcmp(awc_error_last(), want) != 0)
            fail_msg("%s: rc %d, message\n  got  '%s'\n  want '%s'", line, rc, awc_error_last(), want);
        /* the good row before a bad one was delivered */
        if (strstr(want, ".csv:3: "))
            assert_int_equal(s.n, 1);
        sink_free(&s);
        checked++;
    }
    fclose(f);
    /* every file of the corpus has its expected message */
    d = opendir(dir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && strcmp(de->d_name, "expected.txt") != 0)
            files++;
    closedir(d);
    assert_int_equal(files, checked);
    assert_true(checked >= 30);
}

static void test_max_bad_rows(void **state)
{
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    char path[1200], want[3000];
    (void)state;

    fixture(path, sizeof(path), "several-bad.csv");
    o.period = "2026-10";
    o.on_bad = on_bad;
    o.bad_ctx = &s;

    /* 0: the first bad row fails the read, its message is the error */
    assert_int_equal(awc_cur_read_path(path, &o, on_row, &s, &st), AWC_EBADINPUT);
    snprintf(want, sizeof(want), "%s:3: lineItem/UnblendedCost: not a number: 'abc'", path);
    assert_string_equal(awc_error_last(), want);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.nbad, 0);
    assert_int_equal(st.bad, 1);
    sink_free(&s);

    /* 3: every bad row goes to on_bad and is skipped */
    memset(&st, 0, sizeof(st));
    o.max_bad_rows = 3;
    assert_int_equal(awc_cur_read_path(path, &o, on_row, &s, &st), 0);
    assert_int_equal(s.nbad, 3);
    assert_string_equal(s.bad[0], want);
    snprintf(want, sizeof(want), "%s:5: bill/PayerAccountId: not a 12-digit account id: '11112222333'", path);
    assert_string_equal(s.bad[1], want);
    snprintf(want, sizeof(want), "%s:7: lineItem/CurrencyCode: not a currency code: 'usd'", path);
    assert_string_equal(s.bad[2], want);
    assert_int_equal(s.n, 3);
    assert_int_equal(sum_of(&s, "USD"), -11 * ONE);
    assert_int_equal(st.bad, 3);
    assert_int_equal(st.wanted, 3);
    sink_free(&s);

    /* 2: the third bad row is one too many */
    o.max_bad_rows = 2;
    assert_int_equal(awc_cur_read_path(path, &o, on_row, &s, NULL), AWC_EBADINPUT);
    snprintf(want, sizeof(want),
             "%s: too many bad rows (3, max_bad_rows is 2); last: %s:7: lineItem/CurrencyCode: "
             "not a currency code: 'usd'", path, path);
    assert_string_equal(awc_error_last(), want);
    assert_int_equal(s.nbad, 3);
    sink_free(&s);

    /* negative: no limit */
    o.max_bad_rows = -1;
    assert_int_equal(awc_cur_read_path(path, &o, on_row, &s, NULL), 0);
    assert_int_equal(s.nbad, 3);
    sink_free(&s);

    /* the limit spans the reads that share one stats struct */
    memset(&st, 0, sizeof(st));
    o.max_bad_rows = 4;
    assert_int_equal(awc_cur_read_path(path, &o, on_row, &s, &st), 0);
    assert_int_equal(awc_cur_read_path(path, &o, on_row, &s, &st), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "too many bad rows (5, max_bad_rows is 4)"));
    assert_int_equal(st.files, 2);
    assert_int_equal(st.bad, 5);
    sink_free(&s);
}

static void test_missing_column_message(void **state)
{
    static const char csv[] =
        "lineItem/LineItemType,bill/PayerAccountId,lineItem/UsageAccountId,bill/BillingPeriodStartDate,"
        "lineItem/ProductCode,lineItem/CurrencyCode,lineItem/LineItemDescription,lineItem/UsageStartDate\n"
        "Credit,111122223333,111122223333,2026-10-01T00:00:00Z,AmazonEC2,USD,x,2026-10-01T00:00:00Z\n";
    struct sink s = {0};
    (void)state;

    assert_int_equal(read_mem("file.csv", csv, sizeof(csv) - 1, WHOLE, NULL, &s, NULL), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(),
                        "file.csv: header: missing column 'lineItem/UnblendedCost' (legacy CUR dialect)");
    assert_int_equal(s.n, 0);
}

/* --- RFC 4180 in memory ------------------------------------------------------------------- */

#define MINI_HEADER                                                                                 \
    "lineItem/LineItemType,bill/PayerAccountId,lineItem/UsageAccountId,bill/BillingPeriodStartDate," \
    "lineItem/ProductCode,lineItem/CurrencyCode,lineItem/UnblendedCost,lineItem/LineItemDescription," \
    "lineItem/UsageStartDate"
#define MINI_PREFIX "Credit,111122223333,210987654321,2026-10-01T00:00:00Z,AmazonEC2,USD,"

static void test_rfc4180(void **state)
{
    static const char csv[] =
        "\xEF\xBB\xBF" MINI_HEADER "\r\n"                                       /* 1 */
        MINI_PREFIX "-1,\"a, b\",2026-10-02\r\n"                                  /* 2 */
        MINI_PREFIX "-2,\"say \"\"hi\"\"\",2026-10-03T00:00:00.000Z\n"            /* 3: LF after CRLF */
        "\r\n"                                                                    /* 4: blank */
        MINI_PREFIX "-3,\"two\r\nlines\",2026-10-04\r\n"                          /* 5-6 */
        MINI_PREFIX "-4,\"\",2026-10-05\n"                                        /* 7: empty quoted */
        MINI_PREFIX "-5,\"\"\"\",2026-10-06\n"                                    /* 8: one quote */
        "\"Credit\",\"111122223333\",210987654321,2026-10-01T00:00:00Z,AmazonEC2,\"USD\",\"-6\",x,\"2026-10-07\"\n" /* 9 */
        "Usage,111122223333,210987654321,2026-10-01T00:00:00Z,AmazonEC2,USD,1,\"a\nb\nc\",2026-10-01\n" /* 10-12 */
        MINI_PREFIX "-7,\"end\",\"2026-10-08\"";                                 /* 13, no newline */
    static const enum chunking hows[] = {WHOLE, ONE_BYTE, RANDOM};
    size_t h;
    (void)state;

    rng_seed("rfc4180");
    for (h = 0; h < 3; h++) {
        awc_cur_options o = {0};
        awc_cur_stats st = {0};
        struct sink s = {0};
        o.block_size = h == 0 ? 0 : 16;     /* tiny blocks: every record crosses a refill */
        o.max_record = h == 0 ? 0 : 300;
        if (read_mem("mem.csv", csv, sizeof(csv) - 1, hows[h], &o, &s, &st) != 0)
            fail_msg("chunking %zu: %s", h, awc_error_last());
        assert_int_equal(s.n, 7);
        assert_int_equal(st.rows, 8);
        assert_int_equal(s.rows[0].line, 2);
        assert_string_equal(s.rows[0].f[AWC_CUR_DESCRIPTION], "a, b");
        assert_string_equal(s.rows[0].f[AWC_CUR_USAGE_START], "2026-10-02");
        assert_int_equal(s.rows[1].line, 3);
        assert_string_equal(s.rows[1].f[AWC_CUR_DESCRIPTION], "say \"hi\"");
        assert_string_equal(s.rows[1].usage_date, "2026-10-03");
        assert_int_equal(s.rows[2].line, 5);
        assert_string_equal(s.rows[2].f[AWC_CUR_DESCRIPTION], "two\r\nlines");
        assert_int_equal(s.rows[3].line, 7);
        assert_string_equal(s.rows[3].f[AWC_CUR_DESCRIPTION], "");
        assert_int_equal(s.rows[4].line, 8);
        assert_string_equal(s.rows[4].f[AWC_CUR_DESCRIPTION], "\"");
        assert_int_equal(s.rows[5].line, 9);
        assert_string_equal(s.rows[5].f[AWC_CUR_TYPE], "Credit");
        assert_string_equal(s.rows[5].f[AWC_CUR_CURRENCY], "USD");
        assert_int_equal(s.rows[5].amount, -6 * ONE);
        assert_string_equal(s.rows[5].usage_date, "2026-10-07");
        assert_int_equal(s.rows[6].line, 13);
        assert_string_equal(s.rows[6].f[AWC_CUR_DESCRIPTION], "end");
        assert_string_equal(s.rows[6].usage_date, "2026-10-08");
        assert_int_equal(sum_of(&s, "USD"), -28 * ONE);
        assert_int_equal(st.bytes_out, sizeof(csv) - 1);
        sink_free(&s);
    }
}

/* Quoted fields before the type column: the type is found by the quote rules. */
static void test_quoted_before_type(void **state)
{
    static const char csv[] =
        "lineItem/LineItemDescription,lineItem/LineItemType,bill/PayerAccountId,lineItem/UsageAccountId,"
        "bill/BillingPeriodStartDate,lineItem/ProductCode,lineItem/CurrencyCode,lineItem/UnblendedCost,"
        "lineItem/UsageStartDate\n"
        "\"x \"\"y\"\", z\",Credit,111122223333,210987654321,2026-10-01,AmazonEC2,USD,-1,2026-10-01\n"
        "\"\"\"Credit\"\"\",Usage,111122223333,210987654321,2026-10-01,AmazonEC2,USD,-2,2026-10-01\n"
        "\"a,b\",\"Credit\",111122223333,210987654321,2026-10-01,AmazonEC2,USD,-4,2026-10-01\n"
        "\"\",Credits,111122223333,210987654321,2026-10-01,AmazonEC2,USD,-8,2026-10-01\n";
    struct sink s = {0};
    awc_cur_stats st = {0};
    (void)state;

    assert_int_equal(read_mem("q.csv", csv, sizeof(csv) - 1, WHOLE, NULL, &s, &st), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rows[0].f[AWC_CUR_DESCRIPTION], "x \"y\", z");
    assert_string_equal(s.rows[1].f[AWC_CUR_DESCRIPTION], "a,b");
    assert_int_equal(sum_of(&s, "USD"), -5 * ONE);
    assert_int_equal(st.rows, 4);
    sink_free(&s);
}

static void test_line_numbers_in_messages(void **state)
{
    /* a multi-line record, a blank line and a quoted one before the bad row */
    static const char csv[] =
        MINI_HEADER "\n"
        "Usage,111122223333,210987654321,2026-10-01T00:00:00Z,AmazonEC2,USD,1,\"x\ny\",2026-10-01\n"
        "\n"
        MINI_PREFIX "-1,\"q\",2026-10-02\n"
        MINI_PREFIX "-1,ok,2026-13-02\n";
    struct sink s = {0};
    (void)state;

    assert_int_equal(read_mem("m.csv", csv, sizeof(csv) - 1, WHOLE, NULL, &s, NULL), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "m.csv:6: lineItem/UsageStartDate: not a date: '2026-13-02'");
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rows[0].line, 5);
    sink_free(&s);
}

static void test_limits(void **state)
{
    char *csv, *w;
    size_t i;
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    (void)state;

    /* a long plain row, a long quoted multi-line row that cannot sit in the
     * buffer, then a good row: both long ones are bad, the good one is read
     * at the right line */
    csv = malloc(8192);
    assert_non_null(csv);
    w = csv;
    w += snprintf(w, 400, "%s\n", MINI_HEADER);
    w += snprintf(w, 400, "%s-1,", MINI_PREFIX);
    for (i = 0; i < 600; i++)
        *w++ = 'x';
    w += snprintf(w, 400, ",2026-10-02\n");                              /* line 2 */
    w += snprintf(w, 400, "%s-1,\"", MINI_PREFIX);
    for (i = 0; i < 1500; i++)
        *w++ = i % 100 == 99 ? '\n' : 'y';                               /* 15 newlines */
    w += snprintf(w, 400, "\",2026-10-02\n");                            /* lines 3-18 */
    w += snprintf(w, 400, "%s-2,fine,2026-10-03\n", MINI_PREFIX);        /* line 19 */
    w += snprintf(w, 400, "%s-3,0123456789012345678901234,2026-10-04\n", MINI_PREFIX); /* line 20 */

    o.block_size = 64;
    o.max_record = 300;
    o.max_field = 24;                  /* timestamps are 20 */
    o.max_bad_rows = 10;
    o.on_bad = on_bad;
    o.bad_ctx = &s;
    assert_int_equal(read_mem("long.csv", csv, (size_t)(w - csv), WHOLE, &o, &s, &st), 0);
    assert_int_equal(s.nbad, 3);
    assert_string_equal(s.bad[0], "long.csv:2: row: longer than 300 bytes");
    assert_string_equal(s.bad[1], "long.csv:3: row: longer than 300 bytes");
    assert_string_equal(s.bad[2], "long.csv:20: lineItem/LineItemDescription: longer than 24 bytes");
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rows[0].line, 19);
    assert_int_equal(st.rows, 4);
    assert_int_equal(st.bad, 3);
    sink_free(&s);

    /* the same with the default limits: all read */
    memset(&o, 0, sizeof(o));
    assert_int_equal(read_mem("long.csv", csv, (size_t)(w - csv), RANDOM, &o, &s, NULL), 0);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.rows[2].line, 19);
    sink_free(&s);
    free(csv);
}

/* --- sources, errors, options ----------------------------------------------------------------- */

static void test_source_error(void **state)
{
    size_t n;
    char *data = slurp("legacy.csv", &n);
    struct mem m = {data, n, 0, WHOLE, 3000};
    awc_cur_source src = {&m, mem_read};
    awc_cur_reader *r;
    struct sink s = {0};
    awc_cur_stats st = {0};
    (void)state;

    assert_int_equal(awc_cur_open_source(&r, "s3://bucket/cur.csv", &src, NULL), 0);
    assert_int_equal(awc_cur_read(r, on_row, &s, &st), AWC_EIO);
    assert_string_equal(awc_error_last(), "s3://bucket/cur.csv: connection reset");
    assert_int_equal(st.files, 1);
    assert_int_equal(st.bytes_in, 3000);
    awc_cur_close(r);
    sink_free(&s);
    free(data);

    /* no source */
    assert_int_equal(awc_cur_open_source(&r, "x", NULL, NULL), AWC_EUSAGE);
}

static void test_open_errors(void **state)
{
    awc_cur_reader *r = NULL;
    awc_cur_options o = {0};
    char path[1200], want[1400];
    (void)state;

    assert_int_equal(awc_cur_open_path(&r, "/nonexistent/cur.csv", NULL), AWC_EIO);
    assert_string_equal(awc_error_last(), "/nonexistent/cur.csv: cannot open: No such file or directory");
    assert_null(r);

    snprintf(path, sizeof(path), "%s/tests/fixtures/cur", root);
    assert_int_equal(awc_cur_open_path(&r, path, NULL), AWC_EIO);
    snprintf(want, sizeof(want), "%s: read: Is a directory", path);
    assert_string_equal(awc_error_last(), want);

    o.period = "2026-13";
    assert_int_equal(awc_cur_open_path(&r, fixture(path, sizeof(path), "legacy.csv"), &o), AWC_EUSAGE);
    assert_string_equal(awc_error_last(), "cur: period '2026-13': expected YYYY-MM");
    o.period = "2026-1";
    assert_int_equal(awc_cur_open_path(&r, path, &o), AWC_EUSAGE);
    o.period = NULL;
    o.line_item_types = " , ";
    assert_int_equal(awc_cur_open_path(&r, path, &o), AWC_EUSAGE);
    assert_string_equal(awc_error_last(), "cur: line_item_types is empty");
    assert_null(r);
}

static void test_callback_stops(void **state)
{
    struct sink s = {0};
    awc_cur_stats st = {0};
    awc_cur_reader *r;
    char path[1200];
    (void)state;

    s.stop_at = 2;
    assert_int_equal(awc_cur_open_path(&r, fixture(path, sizeof(path), "legacy.csv"), NULL), 0);
    assert_int_equal(awc_cur_read(r, on_row, &s, &st), AWC_ECONFLICT);
    assert_string_equal(awc_error_last(), "stopped by the test");
    assert_int_equal(s.n, 2);
    assert_int_equal(st.wanted, 2);
    /* a second read reads nothing and adds nothing */
    assert_int_equal(awc_cur_read(r, on_row, &s, &st), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(st.files, 1);
    awc_cur_close(r);
    sink_free(&s);
    awc_cur_close(NULL);
}

static void test_alloc_failures(void **state)
{
    char path[1200];
    long n;
    int ok = 0;
    (void)state;

    fixture(path, sizeof(path), "legacy.csv.gz");
    for (n = 0; n < 20 && !ok; n++) {
        awc_cur_reader *r = NULL;
        int rc;
        awc_alloc_fail_after(n);
        rc = awc_cur_open_path(&r, path, NULL);
        awc_alloc_fail_after(-1);
        if (rc == 0) {
            struct sink s = {0};
            assert_int_equal(awc_cur_read(r, on_row, &s, NULL), 0);
            assert_int_equal(s.n, 8);
            awc_cur_close(r);
            sink_free(&s);
            ok = 1;
        } else {
            assert_int_equal(rc, AWC_ENOMEM);
            assert_null(r);
        }
    }
    assert_true(ok);
    assert_true(n > 3);
}

/* --- generated data ------------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t n, cap;
};

static void bput(struct buf *b, const char *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void bputs(struct buf *b, const char *s)
{
    bput(b, s, strlen(s));
}

/* v (10^-10 units) printed with dec decimals; v must be a multiple of 10^(10-dec). */
static void bamount(struct buf *b, int64_t v, int dec)
{
    char t[64];
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t ip = m / (uint64_t)ONE, fp = m % (uint64_t)ONE;
    int k;
    for (k = dec; k < 10; k++)
        fp /= 10;
    if (dec)
        snprintf(t, sizeof(t), "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", ip, dec, fp);
    else
        snprintf(t, sizeof(t), "%s%" PRIu64, v < 0 ? "-" : "", ip);
    bputs(b, t);
}

static const char *const gen_types[] = {"Usage", "Credits", "Usage", "Tax", "Credit", "SavingsPlanNegation",
                                        "Refund", "Credit2"};
static const char *const gen_cur[] = {"USD", "EUR", "JPY"};
static const char *const gen_desc[] = {
    "plain description",
    "with, comma",
    "with \"quotes\"",
    "multi\nline",
    "multi\r\nline, crlf",
    "",
    "Goodwill Credits",
};

/* One CSV field: quoted when it must be, or always (as Athena writes). */
static void bfield(struct buf *b, const char *v, int quote_all, int last)
{
    if (quote_all || strpbrk(v, ",\"\r\n")) {
        bput(b, "\"", 1);
        for (; *v; v++) {
            if (*v == '"')
                bput(b, "\"", 1);
            bput(b, v, 1);
        }
        bput(b, "\"", 1);
    } else {
        bputs(b, v);
    }
    if (!last)
        bput(b, ",", 1);
}

/* Random CUR rows; expected per-currency sums of period 2026-10 credits. */
static void generate(struct buf *b, size_t rows, int quote_all, awc_amount want[3], size_t count[3])
{
    static const char *const names[] = {
        "identity/LineItemId", "bill/PayerAccountId", "bill/BillingPeriodStartDate",
        "lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/UsageStartDate",
        "lineItem/ProductCode", "lineItem/CurrencyCode", "lineItem/UnblendedCost",
        "lineItem/LineItemDescription", "bill/InvoicingEntity"};
    size_t i;
    int c;

    for (c = 0; c < 11; c++)
        bfield(b, names[c], quote_all, c == 10);
    bputs(b, "\n");
    for (c = 0; c < 3; c++)
        want[c] = 0, count[c] = 0;
    for (i = 0; i < rows; i++) {
        char id[32], payer[16], account[16], day[16], amount[64];
        const char *type = gen_types[below(8)];
        int cur = (int)below(3), dec = (int)below(11), other = below(50) == 0;
        int64_t v = (int64_t)(below(UINT64_C(100000000000)) * (uint64_t)ONE / 1000);
        uint64_t p10 = 1;
        struct buf a = {0};

        for (c = 0; c < 10 - dec; c++)
            p10 *= 10;
        v = v / (int64_t)p10 * (int64_t)p10;
        if (below(2))
            v = -v;
        snprintf(id, sizeof(id), "id%zu", i);
        snprintf(payer, sizeof(payer), "%012" PRIu64, 100000000000 + below(9));
        snprintf(account, sizeof(account), "%012" PRIu64, 200000000000 + below(99));
        snprintf(day, sizeof(day), "2026-%s-%02d", other ? "09" : "10", 1 + (int)below(28));
        bamount(&a, v, dec);
        bput(&a, "", 1);
        snprintf(amount, sizeof(amount), "%s", a.p);
        free(a.p);

        bfield(b, id, quote_all, 0);
        bfield(b, payer, quote_all, 0);
        bfield(b, other ? "2026-09-01T00:00:00Z" : "2026-10-01T00:00:00Z", quote_all, 0);
        bfield(b, account, quote_all, 0);
        bfield(b, type, quote_all || below(20) == 0, 0);
        bfield(b, day, quote_all, 0);
        bfield(b, "AmazonEC2", quote_all, 0);
        bfield(b, gen_cur[cur], quote_all, 0);
        bfield(b, amount, quote_all, 0);
        bfield(b, gen_desc[below(7)], quote_all, 0);
        bfield(b, below(2) ? "Amazon Web Services, Inc." : "AWS EMEA", quote_all, 1);
        bputs(b, below(4) == 0 ? "\r\n" : "\n");
        if (!strcmp(type, "Credit") && !other) {
            want[cur] += v;
            count[cur]++;
        }
    }
}

static void gzip_buf(struct buf *out, const struct buf *in)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    out->cap = deflateBound(&z, (uLong)in->n) + 64;
    out->p = malloc(out->cap);
    assert_non_null(out->p);
    z.next_in = (Bytef *)in->p;
    z.avail_in = (uInt)in->n;
    z.next_out = (Bytef *)out->p;
    z.avail_out = (uInt)out->cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->n = out->cap - z.avail_out;
    deflateEnd(&z);
}

static void check_generated(const struct buf *b, enum chunking how, size_t block,
                            const awc_amount want[3], const size_t count[3], size_t rows,
                            size_t plain_len)
{
    awc_cur_options o = {0};
    awc_cur_stats st = {0};
    struct sink s = {0};
    int c;

    o.period = "2026-10";
    o.block_size = block;
    o.max_record = block ? 512 : 0;
    assert_int_equal(read_mem("gen.csv", b->p, b->n, how, &o, &s, &st), 0);
    for (c = 0; c < 3; c++) {
        assert_int_equal(count_of(&s, gen_cur[c]), count[c]);
        assert_int_equal(sum_of(&s, gen_cur[c]), want[c]);
    }
    assert_int_equal(st.rows, rows);
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.bytes_in, b->n);
    assert_int_equal(st.bytes_out, plain_len);
    sink_free(&s);
}

static void test_generated(void **state)
{
    struct buf b = {0}, gz = {0};
    awc_amount want[3];
    size_t count[3], rows = 20000;
    (void)state;

    int quote_all;

    rng_seed("generated");
    for (quote_all = 0; quote_all < 2; quote_all++) {
        memset(&b, 0, sizeof(b));
        generate(&b, rows, quote_all, want, count);
        assert_true(count[0] > 100);
        check_generated(&b, WHOLE, 0, want, count, rows, b.n);
        check_generated(&b, RANDOM, 300, want, count, rows, b.n);
        gzip_buf(&gz, &b);
        check_generated(&gz, WHOLE, 0, want, count, rows, b.n);
        check_generated(&gz, RANDOM, 1000, want, count, rows, b.n);
        free(b.p);
        free(gz.p);
    }
}

/* --- credit key and type ------------------------------------------------------------------------ */

static void test_credit_key(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Goodwill Credits, credit id: 10063543426", "10063543426"},
        {"AWS Activate Credits, Credit ID: 10063543427", "10063543427"},
        {"x CREDIT ID:42 more text", "42"},
        {"credit id :  7", "7"},
        {"credit id: none, credit id: 99", "99"},
        {"credit id: abc", "credit id: abc"},
        {"credit identifier 12", "credit identifier 12"},
        {"  AWS   Activate\tCredits  ", "AWS Activate Credits"},
        {"\t EDP \r\n credit \n", "EDP credit"},
        {"MAP Credit_MPE12345", "MAP Credit_MPE12345"},
        {"", ""},
        {"   ", ""},
    };
    char out[64];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = awc_cur_credit_key(out, sizeof(out), cases[i].in, strlen(cases[i].in));
        if (n < 0 || strcmp(out, cases[i].want) != 0 || (size_t)n != strlen(cases[i].want))
            fail_msg("key('%s') = %d '%s', want '%s'", cases[i].in, n, out, cases[i].want);
    }
    /* the length is used, not the NUL */
    assert_int_equal(awc_cur_credit_key(out, sizeof(out), "credit id: 12345", 14), 3);
    assert_string_equal(out, "123");
    /* too small: AWC_EOVERFLOW and "" */
    assert_int_equal(awc_cur_credit_key(out, 5, "abcdef", 6), AWC_EOVERFLOW);
    assert_string_equal(out, "");
    assert_int_equal(awc_cur_credit_key(out, 5, "credit id: 123456", 17), AWC_EOVERFLOW);
    assert_int_equal(awc_cur_credit_key(out, 5, "abcd", 4), 4);
    assert_string_equal(out, "abcd");
}

static void test_credit_type(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"AWS Credit - Enterprise Discount Program (EDP) service credit", "EDP"},
        {"EDP Commitment Credit", "EDP"},
        {"AWS Migration Acceleration Program Credit_MPE12345", "MAP"},
        {"MAP 2.0 Migrate Credit MPE54321", "MAP"},
        {"Credit for engagement mpe-2291", "MAP"},
        {"migration acceleration credit", "MAP"},
        {"POC Credit for Amazon SageMaker", "POC"},
        {"Proof of Concept credits, project 77", "POC"},
        {"AWS Graviton Adoption Credit", "GRAVITON"},
        {"AWS Marketplace ISV Credit, seller \"Acme\"", "MARKETPLACE"},
        {"APN Partner Funded Credit", "PARTNER"},
        {"Partner MDF credit", "PARTNER"},
        {"MDF-2026 funds", "PARTNER"},
        {"SLA Credit - Amazon EC2", "SLA"},
        {"Service Level Agreement credit", "SLA"},
        {"AWS Activate Credits, credit id: 10063543426", "PROMOTIONAL"},
        {"Goodwill Credits", "PROMOTIONAL"},
        {"COMPETE program credit", "PROMOTIONAL"},   /* MPE inside a word */
        {"Slack integration credit", "PROMOTIONAL"}, /* SLA inside a word */
        {"Maps credit", "PROMOTIONAL"},              /* MAP inside a word */
        {"", "PROMOTIONAL"},
    };
    static const awc_credit_pattern custom[] = {
        {"ACTIVATE", "activate", 0},
        {"GOODWILL", "GOODWILL", AWC_CP_WORD},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *t = awc_cur_credit_type(cases[i].in, strlen(cases[i].in));
        if (strcmp(t, cases[i].want) != 0)
            fail_msg("type('%s') = %s, want %s", cases[i].in, t, cases[i].want);
    }
    /* the table is data: every entry is upper case, short, and non-empty */
    assert_true(awc_cur_credit_npatterns >= 10);
    for (i = 0; i < awc_cur_credit_npatterns; i++) {
        const char *t = awc_cur_credit_patterns[i].type;
        assert_true(strlen(t) > 0 && strlen(t) <= 32);
        assert_true(strlen(awc_cur_credit_patterns[i].text) > 0);
        for (; *t; t++)
            assert_true(*t >= 'A' && *t <= 'Z');
    }
    /* a replacement table */
    assert_string_equal(awc_cur_credit_type_in(custom, 2, "AWS Activate Credits", 20), "ACTIVATE");
    assert_string_equal(awc_cur_credit_type_in(custom, 2, "Goodwill Credits", 16), "GOODWILL");
    assert_string_equal(awc_cur_credit_type_in(custom, 2, "Goodwills", 9), AWC_CREDIT_TYPE_DEFAULT);
    assert_string_equal(awc_cur_credit_type_in(custom, 0, "Goodwill", 8), AWC_CREDIT_TYPE_DEFAULT);
    /* the length is used, not the NUL */
    assert_string_equal(awc_cur_credit_type("EDP credit", 2), "PROMOTIONAL");
}

/* --- glob ---------------------------------------------------------------------------------------- */

static void test_glob(void **state)
{
    char dir[] = "/tmp/awc-cur-glob-XXXXXX", path[256], pat[256];
    static const char *const names[] = {"cur-2026-10-2.csv", "cur-2026-10-1.csv.gz", "cur-2026-10-10.csv"};
    awc_cur_paths ps;
    size_t i;
    (void)state;

    assert_non_null(mkdtemp(dir));
    for (i = 0; i < 3; i++) {
        FILE *f;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/cur-2026-10-dir", dir);
    assert_int_equal(mkdir(path, 0700), 0);

    snprintf(pat, sizeof(pat), "%s/cur-2026-10-*", dir);
    assert_int_equal(awc_cur_glob(&ps, pat), 0);
    assert_int_equal(ps.n, 3);
    snprintf(path, sizeof(path), "%s/cur-2026-10-1.csv.gz", dir);
    assert_string_equal(ps.v[0], path);
    snprintf(path, sizeof(path), "%s/cur-2026-10-10.csv", dir);
    assert_string_equal(ps.v[1], path);
    snprintf(path, sizeof(path), "%s/cur-2026-10-2.csv", dir);
    assert_string_equal(ps.v[2], path);
    awc_cur_paths_free(&ps);
    assert_null(ps.v);

    snprintf(pat, sizeof(pat), "%s/nothing-*.csv", dir);
    assert_int_equal(awc_cur_glob(&ps, pat), AWC_ENOTFOUND);
    assert_int_equal(ps.n, 0);
    snprintf(pat, sizeof(pat), "%s/cur-2026-10-d*", dir);   /* only a directory */
    assert_int_equal(awc_cur_glob(&ps, pat), AWC_ENOTFOUND);

    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/cur-2026-10-dir", dir);
    rmdir(path);
    rmdir(dir);
}

/* Found by fuzzing: a buffer smaller than a byte order mark used to make
 * the header read wait for bytes that could never fit. */
static void test_tiny_buffer_header(void **state)
{
    struct mem m = {"ab", 2, 0, WHOLE, 0};
    awc_cur_source src = {&m, mem_read};
    awc_cur_options opt;
    awc_cur_reader *r = NULL;
    (void)state;
    memset(&opt, 0, sizeof(opt));
    opt.block_size = 1;
    opt.max_record = 1;
    opt.max_bad_rows = -1;
    assert_int_equal(awc_cur_open_source(&r, "tiny", &src, &opt), AWC_EBADINPUT);
    assert_null(r);
    assert_non_null(strstr(awc_error_last(), "header"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_gzip_same_as_plain),
        cmocka_unit_test(test_cur2),
        cmocka_unit_test(test_focus),
        cmocka_unit_test(test_type_filter),
        cmocka_unit_test(test_period_filter),
        cmocka_unit_test(test_bad_corpus),
        cmocka_unit_test(test_max_bad_rows),
        cmocka_unit_test(test_missing_column_message),
        cmocka_unit_test(test_rfc4180),
        cmocka_unit_test(test_quoted_before_type),
        cmocka_unit_test(test_line_numbers_in_messages),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_source_error),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_credit_key),
        cmocka_unit_test(test_credit_type),
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_tiny_buffer_header),
    };
    return cmocka_run_group_tests_name("cur_file", tests, setup_root, NULL);
}
