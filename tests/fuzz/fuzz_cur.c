/*
 * fuzz_cur.c -- the streaming CUR reader (adapters/cur.h) and the
 * aggregator it feeds (module/aggregate.h).
 *
 * Input: the bytes of a CUR file (plain or gzip; any dialect), read with
 * awc_cur_open_source() over an in-memory source.  An input whose first
 * byte is 0xF0..0xFF (never the start of a CUR file: not ASCII, not gzip,
 * not a byte order mark) carries 4 option bytes first:
 *
 *   c0 bits 0-1  period: none, 2026-10, 2026-11, 1999-12
 *      bits 2-3  types: "Credit", "Credit,Refund", every common type,
 *                " Credit , ,Tax " (blanks and empty items)
 *   c1 bits 0-1  max_bad_rows: 0, 1, 3, -1 (no limit)
 *      bits 2-4  how many bytes a source read returns at most
 *      bit  5    the source fails (AWC_EIO) at byte c3 * 16 of the input
 *      bit  6    the row callback fails (AWC_ECONFLICT) at row c3 % 8 + 1
 *   c2 bits 0-2  block_size, bits 3-5 max_record, bits 6-7 max_field
 *
 * Other inputs (the fixtures) are read whole with max_bad_rows -1, every
 * type the fixtures use, and a 4 KiB block.
 *
 * Checks (abort() when one fails), from the contract in cur.h: every row
 * handed to on_row has a wanted type, the asked-for period (YYYY-MM), a
 * 12-digit payer and usage account, a three-letter upper-case currency
 * equal to its field, an amount equal to awc_money_parse() of the cost and
 * a valid usage date; stats.wanted counts the on_row calls; on_bad is never
 * called when max_bad_rows is 0 and at most max_bad_rows + 1 times
 * otherwise; a source's or callback's error comes back unchanged, and a
 * failing source is never mistaken for the end of the data.  The rows
 * are folded with awc_agg_add(), the aggregate finished, and every draft
 * can be found again by its key (awc_agg_find).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "aggregate.h"
#include "awc.h"
#include "cur.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_cur: check failed: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

typedef struct src {
    const uint8_t *p;
    size_t len, at;
    size_t chunk;                  /* most bytes one read returns; 0 = no limit */
    size_t fail_at;                /* fail when a read reaches here; SIZE_MAX = never */
    int failed;
} src;

static ssize_t src_read(void *ctx, void *buf, size_t n)
{
    src *s = ctx;
    size_t k = s->len - s->at;

    if (s->at >= s->fail_at) {
        s->failed = 1;
        return awc_error_set(AWC_EIO, "fuzz: injected read error at byte %zu", s->at);
    }
    if (k > n)
        k = n;
    if (s->chunk && k > s->chunk)
        k = s->chunk;
    if (s->fail_at != SIZE_MAX && k > s->fail_at - s->at)
        k = s->fail_at - s->at;
    memcpy(buf, s->p + s->at, k);
    s->at += k;
    return (ssize_t)k;
}

typedef struct ctx {
    awc_agg *agg;
    const awc_cur_options *opt;
    unsigned long rows, fail_row;  /* fail_row 0 = never */
    unsigned long bad_calls;
    int agg_rc;
} ctx;

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Is t[0..n) one of the comma-separated, blank-trimmed items of list? */
static int in_list(const char *list, const char *t, size_t n)
{
    const char *p = list;

    while (*p) {
        const char *s, *e;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        s = p;
        while (*p && *p != ',')
            p++;
        e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s && (size_t)(e - s) == n && memcmp(s, t, n) == 0)
            return 1;
    }
    return 0;
}

static int on_row(void *arg, const awc_cur_row *row)
{
    ctx *c = arg;
    const awc_cur_view *f = row->f;
    awc_amount amount = 0;

    c->rows++;
    CHECK(row->dialect >= AWC_CUR_LEGACY && row->dialect <= AWC_CUR_FOCUS);
    CHECK(row->file && row->line >= 2);
    for (int i = 0; i < AWC_CUR_NFIELDS; i++)
        CHECK(f[i].p != NULL);
    CHECK(in_list(c->opt->line_item_types ? c->opt->line_item_types : "Credit",
                  f[AWC_CUR_TYPE].p, f[AWC_CUR_TYPE].n));
    CHECK(strlen(row->period) == 7 && is_digits(row->period, 4) && row->period[4] == '-' &&
          is_digits(row->period + 5, 2));
    if (c->opt->period)
        CHECK(strcmp(row->period, c->opt->period) == 0);
    CHECK(f[AWC_CUR_PAYER].n == 12 && is_digits(f[AWC_CUR_PAYER].p, 12));
    CHECK(f[AWC_CUR_ACCOUNT].n == 12 && is_digits(f[AWC_CUR_ACCOUNT].p, 12));
    CHECK(strlen(row->currency) == 3 && f[AWC_CUR_CURRENCY].n == 3 &&
          memcmp(row->currency, f[AWC_CUR_CURRENCY].p, 3) == 0);
    for (int i = 0; i < 3; i++)
        CHECK(row->currency[i] >= 'A' && row->currency[i] <= 'Z');
    CHECK(awc_money_parse(&amount, f[AWC_CUR_COST].p, f[AWC_CUR_COST].n) == 0);
    CHECK(amount == row->amount);
    CHECK(strlen(row->usage_date) == 10 && row->usage_date[4] == '-' &&
          row->usage_date[7] == '-' && is_digits(row->usage_date, 4));
    CHECK(memchr(f[AWC_CUR_DESCRIPTION].p, '\0', f[AWC_CUR_DESCRIPTION].n) == NULL);

    if (c->fail_row && c->rows == c->fail_row)
        return awc_error_set(AWC_ECONFLICT, "fuzz: row callback stops at row %lu", c->rows);
    /* a bad amount sum (overflow) or key is the aggregate's to report; keep reading */
    if (c->agg_rc == 0)
        c->agg_rc = awc_agg_add(c->agg, row);
    return 0;
}

static int on_bad(void *arg, const char *message)
{
    ctx *c = arg;
    CHECK(message && message[0] != '\0');
    c->bad_calls++;
    return 0;
}

static void check_aggregate(awc_agg *a)
{
    awc_credit_draft *d;
    size_t n;

    if (awc_agg_finish(a) != 0)
        return;
    n = awc_agg_count(a);
    d = awc_agg_items(a);
    for (size_t i = 0; i < n; i++) {
        CHECK(d[i].credit_key && d[i].product_code && d[i].description);
        CHECK(d[i].line_count >= 1);
        CHECK(awc_agg_find(a, d[i].payer_account_id, d[i].usage_account_id, d[i].credit_key,
                           d[i].product_code, d[i].currency) == &d[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const periods[] = {NULL, "2026-10", "2026-11", "1999-12"};
    static const char *const types[] = {
        "Credit", "Credit,Refund",
        "Credit,Refund,Usage,Tax,Fee,DiscountedUsage,SavingsPlanNegation,BundledDiscount",
        " Credit , ,Tax "};
    static const long max_bad[] = {0, 1, 3, -1};
    static const size_t chunks[] = {0, 1, 2, 3, 7, 64, 511, 4096};
    static const size_t blocks[] = {1, 2, 16, 64, 100, 1024, 4096, 65536};
    static const size_t records[] = {1, 8, 64, 200, 1000, 4096, 16384, 0};
    static const size_t fields[] = {0, 4, 30, 300};
    awc_cur_options opt;
    awc_cur_stats st;
    awc_cur_reader *r = NULL;
    awc_cur_source source;
    src s;
    ctx c;
    int rc, src_fails = 0, cb_fails = 0;

    memset(&opt, 0, sizeof(opt));
    memset(&st, 0, sizeof(st));
    memset(&s, 0, sizeof(s));
    memset(&c, 0, sizeof(c));
    s.fail_at = SIZE_MAX;
    if (size >= 4 && data[0] >= 0xF0) {
        uint8_t c0 = data[0], c1 = data[1], c2 = data[2], c3 = data[3];
        opt.period = periods[c0 & 3];
        opt.line_item_types = types[(c0 >> 2) & 3];
        opt.max_bad_rows = max_bad[c1 & 3];
        s.chunk = chunks[(c1 >> 2) & 7];
        if (c1 & 0x20) {
            s.fail_at = (size_t)c3 * 16;
            src_fails = 1;
        }
        if (c1 & 0x40) {
            c.fail_row = (unsigned long)(c3 % 8) + 1;
            cb_fails = 1;
        }
        opt.block_size = blocks[c2 & 7];
        opt.max_record = records[(c2 >> 3) & 7];
        opt.max_field = fields[(c2 >> 6) & 3];
        data += 4;
        size -= 4;
    } else {
        opt.line_item_types = types[2];
        opt.max_bad_rows = -1;
        opt.block_size = 4096;
    }
    opt.on_bad = on_bad;
    opt.bad_ctx = &c;
    c.opt = &opt;

    /* an exact-size copy, so reading past the end is caught */
    s.p = malloc(size ? size : 1);
    if (!s.p)
        return 0;
    if (size)
        memcpy((void *)s.p, data, size);
    s.len = size;
    source.ctx = &s;
    source.read = src_read;

    if (awc_agg_new(&c.agg) != 0)
        abort();
    rc = awc_cur_open_source(&r, "fuzz.csv", &source, &opt);
    if (rc == 0) {
        CHECK(r != NULL);
        CHECK(awc_cur_reader_dialect(r) >= AWC_CUR_LEGACY &&
              awc_cur_reader_dialect(r) <= AWC_CUR_FOCUS);
        CHECK(awc_cur_reader_column(r, AWC_CUR_TYPE) != NULL);
        CHECK(awc_cur_reader_column(r, AWC_CUR_COST) != NULL);
        rc = awc_cur_read(r, on_row, &c, &st);
        CHECK(st.wanted == c.rows);
        CHECK(st.files == 1);
        /* one read per reader: a second reads nothing */
        {
            awc_cur_stats st2;
            memset(&st2, 0, sizeof(st2));
            CHECK(awc_cur_read(r, on_row, &c, &st2) == 0);
            CHECK(st2.wanted == 0 && st2.rows == 0 && st2.bad == 0);
        }
        awc_cur_close(r);
    } else {
        CHECK(rc < 0);
        CHECK(c.rows == 0);
    }
    if (rc < 0)
        CHECK(awc_error_last()[0] != '\0');
    if (opt.max_bad_rows == 0)
        CHECK(c.bad_calls == 0);
    else if (opt.max_bad_rows > 0)
        CHECK(c.bad_calls <= (unsigned long)opt.max_bad_rows + 1);
    if (rc == 0 && opt.max_bad_rows != 0)
        CHECK(st.bad == c.bad_calls);
    /* injected errors come back unchanged; a failed read is never the end */
    if (src_fails && s.failed)
        CHECK(rc == AWC_EIO);
    if (rc == 0 && src_fails)
        CHECK(!s.failed && s.fail_at > s.len);
    if (cb_fails && c.rows == c.fail_row)
        CHECK(rc == AWC_ECONFLICT);
    if (rc == 0)
        CHECK(s.at == s.len);

    if (c.agg_rc == 0)
        check_aggregate(c.agg);
    awc_agg_free(c.agg);
    free((void *)s.p);
    awc_error_clear();
    return 0;
}
