/*
 * cur_file.c -- the streaming CUR CSV reader (see cur.h, docs/CUR-INPUT.md).
 *
 * How a row travels.  Bytes come from the source into one buffer (block_size
 * + max_record bytes), through zlib when the data is gzip.  The main loop
 * looks at the record that starts at buf[beg]:
 *
 *   fast path   memchr finds its '\n' and no '"' lies before it (the
 *               position of the next quote is cached, so a file with few
 *               quotes is searched for quotes about once per block).  The
 *               line item type field is reached by memchr over type_col
 *               commas and compared with the wanted types in place.
 *   quoted line the record has quotes that all close before that '\n':
 *               find_end() checks it with the quote rules and field_at()
 *               walks to the type field.
 *   slow path   the record spans lines or its end is not in the buffer:
 *               slow_next() refills, and reports and skips over-long
 *               records.
 *
 * Only a row of a wanted type is split into all its fields (quotes removed
 * in place) and validated.  Records that span lines (a newline inside
 * quotes) are always split and counted, because a stray quote would
 * otherwise hide the rows it swallowed.
 *
 * No floating point here: amounts go through awc_money_parse().
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "awc.h"
#include "cur.h"
#include "money.h"

#define KIB ((size_t)1024)
#define MIB (KIB * KIB)
#define DEF_BLOCK MIB
#define DEF_RECORD MIB
#define DEF_FIELD (64 * KIB)
#define ZIN_SIZE (256 * KIB)
#define MAX_TYPES 16
#define TYPE_MAX 64
#define SHOW_MAX 40                /* bytes of a bad value quoted in a message */

/* --- columns per dialect ------------------------------------------------------ */

/* Header names of each logical field, per dialect; a second name is an
 * alternative used when the first is absent. */
struct colspec {
    const char *name[3][2];        /* [dialect - 1][alternative] */
    int required;
};

static const struct colspec columns[AWC_CUR_NFIELDS] = {
    [AWC_CUR_TYPE] = {{{"lineItem/LineItemType"}, {"line_item_line_item_type"},
                       {"ChargeCategory"}}, 1},
    [AWC_CUR_PERIOD_START] = {{{"bill/BillingPeriodStartDate"}, {"bill_billing_period_start_date"},
                               {"BillingPeriodStart"}}, 1},
    [AWC_CUR_PAYER] = {{{"bill/PayerAccountId"}, {"bill_payer_account_id"},
                        {"BillingAccountId"}}, 1},
    [AWC_CUR_ACCOUNT] = {{{"lineItem/UsageAccountId"}, {"line_item_usage_account_id"},
                          {"SubAccountId"}}, 1},
    [AWC_CUR_PRODUCT] = {{{"lineItem/ProductCode"}, {"line_item_product_code"},
                          {"x_ServiceCode", "ServiceName"}}, 1},
    [AWC_CUR_CURRENCY] = {{{"lineItem/CurrencyCode"}, {"line_item_currency_code"},
                           {"BillingCurrency"}}, 1},
    [AWC_CUR_COST] = {{{"lineItem/UnblendedCost"}, {"line_item_unblended_cost"},
                       {"BilledCost"}}, 1},
    [AWC_CUR_DESCRIPTION] = {{{"lineItem/LineItemDescription"}, {"line_item_line_item_description"},
                              {"ChargeDescription"}}, 1},
    [AWC_CUR_USAGE_START] = {{{"lineItem/UsageStartDate"}, {"line_item_usage_start_date"},
                              {"ChargePeriodStart"}}, 1},
    [AWC_CUR_BILLING_ENTITY] = {{{"bill/BillingEntity"}, {"bill_billing_entity"},
                                 {"InvoiceIssuerName"}}, 0},
    [AWC_CUR_LEGAL_ENTITY] = {{{"lineItem/LegalEntity"}, {"line_item_legal_entity"},
                               {"PublisherName"}}, 0},
    [AWC_CUR_INVOICE_ID] = {{{"bill/InvoiceId"}, {"bill_invoice_id"}, {"InvoiceId"}}, 0},
};

const char *awc_cur_dialect_name(awc_cur_dialect d)
{
    switch (d) {
    case AWC_CUR_LEGACY: return "legacy CUR";
    case AWC_CUR_CUR2: return "CUR 2.0";
    case AWC_CUR_FOCUS: return "FOCUS";
    }
    return "unknown";
}

/* --- the reader ------------------------------------------------------------------ */

struct file_src {
    int fd;
    const char *name;
};

struct awc_cur_reader {
    char *name;
    awc_cur_source src;
    struct file_src file;          /* awc_cur_open_path only; fd -1 otherwise */

    /* input: plain, or gzip through zlib */
    int gz, zlive, member_open, src_eof;
    z_stream zs;
    unsigned char *zin;

    /* the buffer: unread bytes are buf[beg, end) */
    char *buf;
    size_t cap, beg, end;
    int eof;                       /* no more bytes will come */
    size_t block, max_record, max_field;

    /* header */
    awc_cur_dialect dialect;
    size_t ncols;
    char *names;                   /* the header's names, NUL-separated */
    const char **colname;          /* ncols pointers into names */
    int col[AWC_CUR_NFIELDS];      /* column of each field, -1 when absent */
    size_t type_col;
    awc_cur_view *fv;              /* nfv views, filled by split() */
    size_t nfv;
    size_t nfields;                /* fields found by the last split() */
    int in_header;                 /* problems are header errors, not bad rows */

    /* options */
    char types[MAX_TYPES][TYPE_MAX + 1];
    size_t type_len[MAX_TYPES], ntypes;
    char period[8];                /* "" = every period */
    long max_bad;
    awc_cur_bad_fn on_bad;
    void *bad_ctx;

    /* progress */
    uint64_t line;                 /* physical line where the current record starts */
    uint64_t bad_base;             /* stats->bad when the read began */
    awc_cur_stats st;
    int done;
};

/* One record found by the slow path. */
struct rec {
    char *p, *le;                  /* content, without the line end */
    char *next;                    /* first byte after it */
    int quoted, unterminated;
    uint64_t lines;                /* newlines inside it */
};

/* --- messages ----------------------------------------------------------------------- */

/* Copy at most SHOW_MAX bytes of v into out for a message, cut at a UTF-8
 * character boundary, control characters shown as '?'. */
static const char *show(char *out, size_t outsz, const char *v, size_t n)
{
    size_t k = n, i;
    int cut = 0;

    if (k > SHOW_MAX) {
        k = SHOW_MAX;
        while (k > 0 && ((unsigned char)v[k] & 0xC0) == 0x80)
            k--;
        cut = 1;
    }
    if (k + 4 > outsz)
        k = outsz > 4 ? outsz - 4 : 0;
    for (i = 0; i < k; i++) {
        unsigned char c = (unsigned char)v[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (cut)
        out[i++] = '.', out[i++] = '.', out[i++] = '.';
    out[i] = '\0';
    return out;
}

static const char *colname_of(const awc_cur_reader *r, size_t i, char *tmp, size_t tmpsz)
{
    if (r->colname && i < r->ncols)
        return r->colname[i];
    snprintf(tmp, tmpsz, "column %zu", i + 1);
    return tmp;
}

/* A bad row at r->line: report it, count it, and say whether to go on
 * (0: skip the row) or stop (AWC_EBADINPUT, or the callback's code). */
static int bad_row(awc_cur_reader *r, const char *col, const char *fmt, ...) AWC_PRINTF(3, 4);
static int bad_row(awc_cur_reader *r, const char *col, const char *fmt, ...)
{
    char reason[256], msg[AWC_ERRMSG_MAX];
    va_list ap;
    uint64_t total;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (r->in_header) {
        if (strcmp(col, "row") == 0)
            return awc_error_set(AWC_EBADINPUT, "%s: header: %s", r->name, reason);
        return awc_error_set(AWC_EBADINPUT, "%s: header: %s: %s", r->name, col, reason);
    }
    snprintf(msg, sizeof(msg), "%s:%llu: %s: %s", r->name, (unsigned long long)r->line, col,
             reason);
    r->st.bad++;
    if (r->max_bad == 0)
        return awc_error_set(AWC_EBADINPUT, "%s", msg);
    if (r->on_bad) {
        int rc = r->on_bad(r->bad_ctx, msg);
        if (rc < 0)
            return rc;
    }
    total = r->bad_base + r->st.bad;
    if (r->max_bad > 0 && total > (uint64_t)r->max_bad)
        return awc_error_set(AWC_EBADINPUT, "%s: too many bad rows (%llu, max_bad_rows is %ld); last: %s",
                             r->name, (unsigned long long)total, r->max_bad, msg);
    return 0;
}

/* --- input -------------------------------------------------------------------------- */

static ssize_t file_read(void *ctx, void *buf, size_t n)
{
    struct file_src *f = ctx;
    for (;;) {
        ssize_t k = read(f->fd, buf, n);
        if (k >= 0)
            return k;
        if (errno != EINTR)
            return awc_error_set(AWC_EIO, "%s: read: %s", f->name, strerror(errno));
    }
}

/* One read from the source, counted: bytes, 0 at the end (and src_eof
 * set), or the source's error. */
static ssize_t src_read(awc_cur_reader *r, void *buf, size_t n)
{
    ssize_t k = r->src.read(r->src.ctx, buf, n);
    if (k > 0)
        r->st.bytes_in += (uint64_t)k;
    else if (k == 0)
        r->src_eof = 1;
    return k;
}

/* Inflate one block into buf[end, cap), less at the end of the input. */
static int inflate_more(awc_cur_reader *r)
{
    z_stream *z = &r->zs;
    size_t before = r->end, room = r->cap - r->end, want = room < r->block ? room : r->block;

    z->next_out = (Bytef *)r->buf + r->end;
    z->avail_out = (uInt)want;
    while (z->avail_out > 0) {
        int zr;
        if (z->avail_in == 0 && !r->src_eof) {
            ssize_t k = src_read(r, r->zin, ZIN_SIZE);
            if (k < 0)
                return (int)k;
            z->next_in = r->zin;
            z->avail_in = (uInt)k;
        }
        if (z->avail_in == 0) {
            if (r->member_open)
                return awc_error_set(AWC_EBADINPUT, "%s: truncated gzip data at byte %llu",
                                     r->name, (unsigned long long)r->st.bytes_in);
            r->eof = 1;
            break;
        }
        r->member_open = 1;
        zr = inflate(z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            r->member_open = 0;
            if (inflateReset(z) != Z_OK)
                return awc_error_set(AWC_ERROR, "%s: inflateReset failed", r->name);
        } else if (zr == Z_MEM_ERROR) {
            return awc_error_set(AWC_ENOMEM, "%s: out of memory in zlib", r->name);
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return awc_error_set(AWC_EBADINPUT, "%s: corrupt gzip data at byte %llu", r->name,
                                 (unsigned long long)(r->st.bytes_in - z->avail_in));
        }
    }
    r->end = before + (want - z->avail_out);
    r->st.bytes_out += r->end - before;
    return 0;
}

/* Keep buf[beg, end), move it to the front and read more behind it.  Sets
 * r->eof at the end of the input.  Pointers into buf are stale afterwards. */
static int fill(awc_cur_reader *r)
{
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    if (r->eof || r->end == r->cap)
        return 0;
    if (r->gz)
        return inflate_more(r);
    {
        /* one block at a time: the pages past it are touched only by long
         * records, and a block read is still warm in cache when scanned */
        size_t room = r->cap - r->end;
        ssize_t k = src_read(r, r->buf + r->end, room < r->block ? room : r->block);
        if (k < 0)
            return (int)k;
        if (k == 0)
            r->eof = 1;
        r->end += (size_t)k;
        r->st.bytes_out += (uint64_t)k;
    }
    return 0;
}

/* First bytes: plain CSV stays in buf; gzip moves to zin and is inflated. */
static int start_input(awc_cur_reader *r)
{
    size_t first = r->cap < ZIN_SIZE ? r->cap : ZIN_SIZE;

    while (r->end < 2 && !r->eof) {
        ssize_t k = src_read(r, r->buf + r->end, first - r->end);
        if (k < 0)
            return (int)k;
        if (k == 0)
            r->eof = 1;
        r->end += (size_t)k;
    }
    if (r->end < 2 || (unsigned char)r->buf[0] != 0x1f || (unsigned char)r->buf[1] != 0x8b) {
        r->st.bytes_out += r->end;
        return 0;
    }
    r->zin = awc_malloc(ZIN_SIZE);
    if (!r->zin)
        return awc_error_set(AWC_ENOMEM, "%s: out of memory", r->name);
    memcpy(r->zin, r->buf, r->end);
    memset(&r->zs, 0, sizeof(r->zs));
    if (inflateInit2(&r->zs, 15 + 32) != Z_OK)
        return awc_error_set(AWC_ENOMEM, "%s: cannot start zlib", r->name);
    r->zlive = 1;
    r->gz = 1;
    r->zs.next_in = r->zin;
    r->zs.avail_in = (uInt)r->end;
    r->end = 0;
    r->eof = 0;
    return fill(r);
}

/* --- scanning --------------------------------------------------------------------- */

static uint64_t count_nl(const char *p, const char *e)
{
    uint64_t n = 0;
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL)
        n++, p++;
    return n;
}

/* The '\n' that ends the record starting at p in [p, e), following RFC 4180
 * quotes: a quote opens a quoted field only at the start of a field, "" in
 * one is a quote, and elsewhere a quote is an ordinary byte (the field
 * parser rejects it later in wanted rows).  With known set, nl and q are
 * what the caller already found: the first '\n' after p (NULL: none before
 * e) and the first '"' before it (NULL: none).  Returns NULL when the data
 * ends first (*unterminated: inside a quoted field).  *lines counts the
 * newlines inside quoted fields. */
static char *find_end(char *p, char *e, int known, char *nl, char *q, int *quoted,
                      int *unterminated, uint64_t *lines)
{
    if (!known) {
        nl = memchr(p, '\n', (size_t)(e - p));
        q = memchr(p, '"', (size_t)((nl ? nl : e) - p));
    }
    *quoted = 0;
    *unterminated = 0;
    *lines = 0;
    if (!q)
        return nl;
    *quoted = 1;
    for (;;) {
        char *pos;
        if (q == p || q[-1] == ',') {
            char *c = q + 1;
            for (;;) {
                c = memchr(c, '"', (size_t)(e - c));
                if (!c) {
                    *unterminated = 1;
                    return NULL;
                }
                if (c + 1 < e && c[1] == '"') {
                    c += 2;
                    continue;
                }
                break;
            }
            pos = c + 1;
        } else {
            pos = q + 1;
        }
        if (nl && nl < pos) {
            *lines += count_nl(nl, pos);
            nl = memchr(pos, '\n', (size_t)(e - pos));
        }
        /* the next quote is often the next field's: look there first */
        {
            char *lim = nl ? nl : e;
            q = pos + 1 < lim && pos[0] == ',' && pos[1] == '"' ? pos + 1
                                                                : memchr(pos, '"', (size_t)(lim - pos));
        }
        if (!q)
            return nl;
    }
}

/* Skip the rest of an over-long record that starts at buf[beg] and does not
 * end in the buffer, reading on as needed, with the quote rules of
 * find_end().  Leaves beg after it and r->line at the next record. */
static int skip_record(awc_cur_reader *r)
{
    enum { FSTART, PLAIN, QUOTED, QUOTE_SEEN } s = FSTART;
    uint64_t lines = 0;
    int rc;

    for (;;) {
        char *q = r->buf + r->beg, *e = r->buf + r->end;
        for (; q < e; q++) {
            char c = *q;
            switch (s) {
            case FSTART:
            case PLAIN:
                if (c == '\n')
                    goto done;
                s = c == ',' ? FSTART : (c == '"' && s == FSTART) ? QUOTED : PLAIN;
                break;
            case QUOTED:
                if (c == '"')
                    s = QUOTE_SEEN;
                else if (c == '\n')
                    lines++;
                break;
            case QUOTE_SEEN:
                if (c == '\n')
                    goto done;
                s = c == '"' ? QUOTED : c == ',' ? FSTART : PLAIN;
                break;
            }
        }
        r->beg = r->end;
        if (r->eof) {
            r->line += lines + 1;
            return 0;
        }
        if ((rc = fill(r)) < 0)
            return rc;
        continue;
done:
        r->beg = (size_t)(q + 1 - r->buf);
        r->line += lines + 1;
        return 0;
    }
}

/* The next record by the careful path: refills, over-long records, end of
 * input.  1 with *out set, 0 at the end, or an error. */
static int slow_next(awc_cur_reader *r, struct rec *out)
{
    for (;;) {
        char *p = r->buf + r->beg, *e = r->buf + r->end;
        char *end = find_end(p, e, 0, NULL, NULL, &out->quoted, &out->unterminated, &out->lines);
        int rc;

        if (!end) {
            if (!r->eof) {
                if ((size_t)(e - p) > r->max_record) {
                    r->st.rows++;
                    if ((rc = bad_row(r, "row", "longer than %zu bytes", r->max_record)) < 0)
                        return rc;
                    if ((rc = skip_record(r)) < 0)
                        return rc;
                    continue;
                }
                if ((rc = fill(r)) < 0)
                    return rc;
                continue;
            }
            if (p == e)
                return 0;
            end = e;
            out->next = e;
        } else {
            out->next = end + 1;
            out->unterminated = 0;
        }
        out->p = p;
        out->le = (end > p && end[-1] == '\r' && !out->unterminated) ? end - 1 : end;
        if ((size_t)(end - p) > r->max_record) {
            r->st.rows++;
            if ((rc = bad_row(r, "row", "longer than %zu bytes", r->max_record)) < 0)
                return rc;
            r->line += out->lines + 1;
            r->beg = (size_t)(out->next - r->buf);
            continue;
        }
        return 1;
    }
}

/* Field k of a record that holds quotes, by the quote rules.  Returns 1
 * with [*fs, *fe) the field's bytes (quotes included), 0 when the record
 * has fewer fields, or -1 with *why set when its quoting is broken before
 * field k ends (*bad = the broken field's index). */
static int field_at(char *p, char *le, size_t k, char **fs, char **fe, const char **why,
                    size_t *bad)
{
    char *s = p;
    size_t i;

    for (i = 0;; i++) {
        char *end;
        if (s < le && *s == '"') {
            char *c = s + 1;
            for (;;) {
                c = memchr(c, '"', (size_t)(le - c));
                if (!c) {
                    *why = "unterminated quoted field";
                    *bad = i;
                    return -1;
                }
                if (c + 1 < le && c[1] == '"') {
                    c += 2;
                    continue;
                }
                break;
            }
            end = c + 1;
            if (end < le && *end != ',') {
                *why = "text after closing quote";
                *bad = i;
                return -1;
            }
        } else {
            end = memchr(s, ',', (size_t)(le - s));
            if (!end)
                end = le;
        }
        if (i == k) {
            *fs = s;
            *fe = end;
            return 1;
        }
        if (end == le)
            return 0;
        s = end + 1;
    }
}

/* Split a record into fields, removing quotes in place; the first ncols
 * go to r->fv, the count to r->nfields.  A quoting error is a bad row
 * (returns its bad_row() result, 1 when the row is to be skipped). */
static int split(awc_cur_reader *r, char *p, char *le)
{
    char *s = p, tmp[32];
    size_t i = 0;

    for (;;) {
        char *fs = s, *fe, *next;
        if (s < le && *s == '"') {
            char *w = s, *c = s + 1;
            for (;;) {
                char *q = memchr(c, '"', (size_t)(le - c));
                size_t n;
                if (!q) {
                    int rc = bad_row(r, colname_of(r, i, tmp, sizeof(tmp)),
                                     "unterminated quoted field");
                    return rc < 0 ? rc : 1;
                }
                n = (size_t)(q - c);
                memmove(w, c, n);
                w += n;
                if (q + 1 < le && q[1] == '"') {
                    *w++ = '"';
                    c = q + 2;
                    continue;
                }
                c = q + 1;
                break;
            }
            fe = w;
            if (c < le && *c != ',') {
                int rc = bad_row(r, colname_of(r, i, tmp, sizeof(tmp)), "text after closing quote");
                return rc < 0 ? rc : 1;
            }
            next = c;
        } else {
            next = memchr(s, ',', (size_t)(le - s));
            if (!next)
                next = le;
            if (memchr(s, '"', (size_t)(next - s))) {
                int rc = bad_row(r, colname_of(r, i, tmp, sizeof(tmp)),
                                 "quote inside an unquoted field");
                return rc < 0 ? rc : 1;
            }
            fe = next;
        }
        if (i < r->nfv) {
            r->fv[i].p = fs;
            r->fv[i].n = (size_t)(fe - fs);
        }
        i++;
        if (next >= le)
            break;
        s = next + 1;
    }
    r->nfields = i;
    return 0;
}

/* --- validation ------------------------------------------------------------------------ */

/* Index of the first byte that is not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF are invalid), or n. */
static size_t utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            uint64_t w;
            if (i + 8 <= n) {
                memcpy(&w, s + i, 8);
                if (!(w & UINT64_C(0x8080808080808080))) {
                    i += 8;
                    continue;
                }
            }
            i++;
            continue;
        }
        if (c < 0xC2 || c > 0xF4)
            return i;
        if (c < 0xE0) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
                return i;
            i += 2;
        } else if (c < 0xF0) {
            unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            if (i + 2 >= n || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80)
                return i;
            i += 3;
        } else {
            unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            if (i + 3 >= n || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return i;
            i += 4;
        }
    }
    return n;
}

static int digits(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    size_t i;
    for (i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* A calendar date "YYYY-MM-DD", alone or followed by 'T' or ' ' and a time
 * (the time is not parsed).  Writes the date (11 bytes) to out. */
static int parse_date(char out[11], const char *s, size_t n)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, dim;

    if (n < 10 || (n > 10 && s[10] != 'T' && s[10] != ' '))
        return -1;
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return -1;
    y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return -1;
    dim = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        dim = 29;
    if (d > dim)
        return -1;
    memcpy(out, s, 10);
    out[10] = '\0';
    return 0;
}

static int upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_type_wanted(const awc_cur_reader *r, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < r->ntypes; i++)
        if (r->type_len[i] == n && memcmp(r->types[i], s, n) == 0)
            return 1;
    return 0;
}

/* Validate the split row in r->fv and hand it to on_row.  0 to go on
 * (row delivered or skipped), or an error. */
static int deliver(awc_cur_reader *r, awc_cur_row_fn on_row, void *ctx)
{
    awc_cur_row row;
    char shown[SHOW_MAX * 2];
    const awc_cur_view *v;
    size_t i;
    int f, rc;

    if (r->nfields != r->ncols)
        return bad_row(r, "row", "expected %zu fields, found %zu", r->ncols, r->nfields);
    for (i = 0; i < r->ncols; i++) {
        size_t at;
        v = &r->fv[i];
        if (v->n > r->max_field)
            return bad_row(r, r->colname[i], "longer than %zu bytes", r->max_field);
        if ((at = utf8_check((const unsigned char *)v->p, v->n)) < v->n)
            return bad_row(r, r->colname[i], "invalid UTF-8 at byte %zu", at + 1);
        if (memchr(v->p, '\0', v->n))
            return bad_row(r, r->colname[i], "contains a NUL byte");
    }
    memset(&row, 0, sizeof(row));
    for (f = 0; f < AWC_CUR_NFIELDS; f++) {
        if (r->col[f] >= 0) {
            row.f[f].p = r->fv[r->col[f]].p;
            row.f[f].n = r->fv[r->col[f]].n;
        } else {
            row.f[f].p = "";
        }
    }
#define COL(fld) (r->colname[r->col[fld]])
#define SHOW(fld) show(shown, sizeof(shown), row.f[fld].p, row.f[fld].n)
    v = &row.f[AWC_CUR_PERIOD_START];
    {
        char date[11];
        if (parse_date(date, v->p, v->n) != 0)
            return bad_row(r, COL(AWC_CUR_PERIOD_START), "not a date: '%s'", SHOW(AWC_CUR_PERIOD_START));
        memcpy(row.period, date, 7);
        row.period[7] = '\0';
    }
    if (r->period[0] && memcmp(row.period, r->period, 7) != 0) {
        r->st.other_period++;
        return 0;
    }
    for (f = AWC_CUR_PAYER; f <= AWC_CUR_ACCOUNT; f++) {
        v = &row.f[f];
        if (v->n != 12 || !digits(v->p, 12))
            return bad_row(r, COL(f), "not a 12-digit account id: '%s'", SHOW(f));
    }
    v = &row.f[AWC_CUR_CURRENCY];
    if (v->n != 3 || !upper(v->p[0]) || !upper(v->p[1]) || !upper(v->p[2]))
        return bad_row(r, COL(AWC_CUR_CURRENCY), "not a currency code: '%s'", SHOW(AWC_CUR_CURRENCY));
    memcpy(row.currency, v->p, 3);
    v = &row.f[AWC_CUR_COST];
    rc = awc_money_parse(&row.amount, v->p, v->n);
    if (rc == AWC_EOVERFLOW)
        return bad_row(r, COL(AWC_CUR_COST), "amount out of range (at most "
                       "+/-922337203.6854775807): '%s'", SHOW(AWC_CUR_COST));
    if (rc < 0)
        return bad_row(r, COL(AWC_CUR_COST), "not a number: '%s'", SHOW(AWC_CUR_COST));
    v = &row.f[AWC_CUR_USAGE_START];
    if (parse_date(row.usage_date, v->p, v->n) != 0)
        return bad_row(r, COL(AWC_CUR_USAGE_START), "not a date: '%s'", SHOW(AWC_CUR_USAGE_START));
#undef COL
#undef SHOW
    row.file = r->name;
    row.line = r->line;
    row.dialect = r->dialect;
    r->st.wanted++;
    return on_row(ctx, &row);
}

/* A record of the slow path: quoted and/or spanning lines. */
static int slow_record(awc_cur_reader *r, struct rec *c, awc_cur_row_fn on_row, void *ctx)
{
    char tmp[32];
    int rc;

    if (c->le == c->p)
        return 0;                  /* blank line */
    r->st.rows++;
    if (c->unterminated)
        return bad_row(r, "row", "unterminated quoted field at end of input");
    if (c->lines > 0) {
        const awc_cur_view *t;
        if ((rc = split(r, c->p, c->le)) != 0)
            return rc < 0 ? rc : 0;
        if (r->nfields != r->ncols)
            return bad_row(r, "row", "expected %zu fields, found %zu", r->ncols, r->nfields);
        t = &r->fv[r->type_col];
        return is_type_wanted(r, t->p, t->n) ? deliver(r, on_row, ctx) : 0;
    } else {
        char *fs, *fe;
        const char *why = NULL;
        size_t badi = 0;
        int k = field_at(c->p, c->le, r->type_col, &fs, &fe, &why, &badi);
        if (k < 0)
            return bad_row(r, colname_of(r, badi, tmp, sizeof(tmp)), "%s", why);
        if (k == 0)
            return bad_row(r, "row", "expected %zu fields, found fewer than %zu", r->ncols,
                           r->type_col + 1);
        if (*fs == '"')
            fs++, fe--;
        if (!is_type_wanted(r, fs, (size_t)(fe - fs)))
            return 0;
        if ((rc = split(r, c->p, c->le)) != 0)
            return rc < 0 ? rc : 0;
        return deliver(r, on_row, ctx);
    }
}

/* --- header ---------------------------------------------------------------------------- */

static int header_error(awc_cur_reader *r, const char *fmt, ...) AWC_PRINTF(2, 3);
static int header_error(awc_cur_reader *r, const char *fmt, ...)
{
    char reason[AWC_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return awc_error_set(AWC_EBADINPUT, "%s: header: %s", r->name, reason);
}

/* Column index of name: exact match first, then ASCII case-insensitive.
 * -1 when absent, -2 when it appears twice (exactly). */
static int find_col(const awc_cur_reader *r, const char *name)
{
    size_t i;
    int hit = -1;

    for (i = 0; i < r->ncols; i++)
        if (strcmp(r->colname[i], name) == 0) {
            if (hit >= 0)
                return -2;
            hit = (int)i;
        }
    if (hit >= 0)
        return hit;
    for (i = 0; i < r->ncols; i++)
        if (strcasecmp(r->colname[i], name) == 0)
            return (int)i;
    return -1;
}

static int read_header(awc_cur_reader *r)
{
    struct rec c;
    size_t i, n, len;
    char *w;
    int rc, d, f;

    /* a UTF-8 byte order mark before the header (a buffer smaller than the
     * mark cannot hold one: stop when it is full) */
    while (r->end - r->beg < 3 && !r->eof && (r->beg > 0 || r->end < r->cap))
        if ((rc = fill(r)) < 0)
            return rc;
    if (r->end - r->beg >= 3 && memcmp(r->buf + r->beg, "\xEF\xBB\xBF", 3) == 0)
        r->beg += 3;
    r->line = 1;
    for (;;) {
        if ((rc = slow_next(r, &c)) < 0)
            return rc;
        if (rc == 0)
            return awc_error_set(AWC_EBADINPUT, "%s: empty file: no CUR header", r->name);
        if (c.le > c.p)
            break;
        r->line += c.lines + 1;
        r->beg = (size_t)(c.next - r->buf);
    }
    if (c.unterminated)
        return header_error(r, "unterminated quoted field");
    /* count the fields, then split them into n views */
    for (n = 0;; n++) {
        char *fs, *fe;
        const char *why = NULL;
        size_t badi = 0;
        int k = field_at(c.p, c.le, n, &fs, &fe, &why, &badi);
        if (k < 0)
            return header_error(r, "column %zu: %s", badi + 1, why);
        if (k == 0)
            break;
    }
    r->fv = awc_calloc(n, sizeof(*r->fv));
    r->colname = awc_calloc(n, sizeof(*r->colname));
    len = (size_t)(c.le - c.p);
    r->names = awc_malloc(len + n + 1);
    if (!r->fv || !r->colname || !r->names)
        return awc_error_set(AWC_ENOMEM, "%s: out of memory", r->name);
    r->nfv = n;
    if ((rc = split(r, c.p, c.le)) != 0)
        return rc < 0 ? rc : AWC_EBADINPUT;
    w = r->names;
    for (i = 0; i < n; i++) {
        const char *s = r->fv[i].p;
        size_t k = r->fv[i].n;
        while (k > 0 && (*s == ' ' || *s == '\t'))
            s++, k--;
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            k--;
        if (utf8_check((const unsigned char *)s, k) < k || memchr(s, '\0', k))
            return header_error(r, "column %zu: invalid UTF-8", i + 1);
        memcpy(w, s, k);
        w[k] = '\0';
        r->colname[i] = w;
        w += k + 1;
    }
    r->ncols = n;
    r->line += c.lines + 1;
    r->beg = (size_t)(c.next - r->buf);

    /* dialect: which line item type column is there */
    r->dialect = 0;
    for (d = AWC_CUR_LEGACY; d <= AWC_CUR_FOCUS && !r->dialect; d++)
        if (find_col(r, columns[AWC_CUR_TYPE].name[d - 1][0]) != -1)
            r->dialect = (awc_cur_dialect)d;
    if (!r->dialect)
        return header_error(r, "not a CUR header: no column %s, %s or %s",
                            columns[AWC_CUR_TYPE].name[0][0], columns[AWC_CUR_TYPE].name[1][0],
                            columns[AWC_CUR_TYPE].name[2][0]);
    for (f = 0; f < AWC_CUR_NFIELDS; f++) {
        const char *const *names = columns[f].name[r->dialect - 1];
        int col = -1, a;
        for (a = 0; a < 2 && names[a] && col == -1; a++) {
            col = find_col(r, names[a]);
            if (col == -2)
                return header_error(r, "column '%s' appears twice", names[a]);
        }
        if (col < 0 && columns[f].required) {
            if (names[1])
                return header_error(r, "missing column '%s' or '%s' (%s dialect)", names[0],
                                    names[1], awc_cur_dialect_name(r->dialect));
            return header_error(r, "missing column '%s' (%s dialect)", names[0],
                                awc_cur_dialect_name(r->dialect));
        }
        r->col[f] = col;
    }
    r->type_col = (size_t)r->col[AWC_CUR_TYPE];
    return 0;
}

/* --- options, open, close ------------------------------------------------------------- */

static int set_options(awc_cur_reader *r, const awc_cur_options *opt)
{
    static const awc_cur_options none;
    const char *t, *s;

    if (!opt)
        opt = &none;
    r->block = opt->block_size ? opt->block_size : DEF_BLOCK;
    r->max_record = opt->max_record ? opt->max_record : DEF_RECORD;
    r->max_field = opt->max_field ? opt->max_field : DEF_FIELD;
    if (r->block > 256 * MIB || r->max_record > 256 * MIB)
        return awc_error_set(AWC_EUSAGE, "cur: block_size and max_record must be at most 256 MiB");
    r->max_bad = opt->max_bad_rows;
    r->on_bad = opt->on_bad;
    r->bad_ctx = opt->bad_ctx;
    if (opt->period) {
        s = opt->period;
        if (strlen(s) != 7 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
            num(s + 5, 2) < 1 || num(s + 5, 2) > 12)
            return awc_error_set(AWC_EUSAGE, "cur: period '%s': expected YYYY-MM", s);
        memcpy(r->period, s, 8);
    }
    t = opt->line_item_types ? opt->line_item_types : "Credit";
    while (*t) {
        size_t n;
        while (*t == ' ' || *t == '\t' || *t == ',')
            t++;
        s = t;
        while (*t && *t != ',')
            t++;
        n = (size_t)(t - s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n == 0)
            continue;
        if (r->ntypes == MAX_TYPES || n > TYPE_MAX)
            return awc_error_set(AWC_EUSAGE, "cur: line_item_types: at most %d types of at most %d bytes",
                                 MAX_TYPES, TYPE_MAX);
        memcpy(r->types[r->ntypes], s, n);
        r->types[r->ntypes][n] = '\0';
        r->type_len[r->ntypes++] = n;
    }
    if (r->ntypes == 0)
        return awc_error_set(AWC_EUSAGE, "cur: line_item_types is empty");
    return 0;
}

void awc_cur_close(awc_cur_reader *r)
{
    if (!r)
        return;
    if (r->zlive)
        inflateEnd(&r->zs);
    if (r->file.fd >= 0)
        close(r->file.fd);
    awc_free(r->zin);
    awc_free(r->buf);
    awc_free(r->fv);
    awc_free(r->colname);
    awc_free(r->names);
    awc_free(r->name);
    awc_free(r);
}

static int open_common(awc_cur_reader **out, awc_cur_reader *r, const awc_cur_options *opt)
{
    int rc;

    if ((rc = set_options(r, opt)) < 0)
        goto fail;
    r->cap = r->block + r->max_record;
    r->buf = awc_malloc(r->cap);
    if (!r->buf) {
        rc = awc_error_set(AWC_ENOMEM, "%s: out of memory", r->name);
        goto fail;
    }
    r->in_header = 1;
    if ((rc = start_input(r)) < 0 || (rc = read_header(r)) < 0)
        goto fail;
    r->in_header = 0;
    *out = r;
    return 0;
fail:
    awc_cur_close(r);
    return rc;
}

static awc_cur_reader *new_reader(const char *name)
{
    awc_cur_reader *r = awc_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->file.fd = -1;
    r->name = awc_strdup(name ? name : "(stream)");
    if (!r->name) {
        awc_free(r);
        return NULL;
    }
    return r;
}

int awc_cur_open_source(awc_cur_reader **out, const char *name, const awc_cur_source *src,
                        const awc_cur_options *opt)
{
    awc_cur_reader *r;

    assert(out);
    if (!src || !src->read)
        return awc_error_set(AWC_EUSAGE, "cur: no source to read");
    if (!(r = new_reader(name)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    r->src = *src;
    return open_common(out, r, opt);
}

int awc_cur_open_path(awc_cur_reader **out, const char *path, const awc_cur_options *opt)
{
    awc_cur_reader *r;

    assert(out && path);
    if (!(r = new_reader(path)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    r->file.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->file.fd < 0) {
        int rc = awc_error_set(AWC_EIO, "%s: cannot open: %s", path, strerror(errno));
        awc_cur_close(r);
        return rc;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(r->file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    r->file.name = r->name;
    r->src.ctx = &r->file;
    r->src.read = file_read;
    return open_common(out, r, opt);
}

awc_cur_dialect awc_cur_reader_dialect(const awc_cur_reader *r)
{
    return r->dialect;
}

const char *awc_cur_reader_column(const awc_cur_reader *r, awc_cur_field f)
{
    if ((int)f < 0 || f >= AWC_CUR_NFIELDS || r->col[f] < 0)
        return NULL;
    return r->colname[r->col[f]];
}

/* --- the main loop ----------------------------------------------------------------------- */

/* The type field of a one-line record without quotes starts type_col
 * commas in: 1 when it is a wanted type, 0 when not, -1 when the record
 * has fewer fields. */
static int plain_type_wanted(const awc_cur_reader *r, const char *p, const char *le)
{
    const char *s = p;
    size_t k = r->type_col, room, i;

    while (k > 0) {
        s = memchr(s, ',', (size_t)(le - s));
        if (!s)
            return -1;
        s++, k--;
    }
    room = (size_t)(le - s);
    for (i = 0; i < r->ntypes; i++) {
        size_t n = r->type_len[i];
        if (room >= n && memcmp(s, r->types[i], n) == 0 && (room == n || s[n] == ','))
            return 1;
    }
    return 0;
}

static int read_rows(awc_cur_reader *r, awc_cur_row_fn on_row, void *ctx)
{
    char *qpos = NULL;             /* next '"' at or after the record, or the buffer end */

    for (;;) {
        char *p = r->buf + r->beg, *e = r->buf + r->end;
        char *nl = memchr(p, '\n', (size_t)(e - p));
        struct rec c;
        int rc;

        if (nl && (size_t)(nl - p) <= r->max_record) {
            if (!qpos || qpos < p) {
                qpos = memchr(p, '"', (size_t)(e - p));
                if (!qpos)
                    qpos = e;
            }
            if (qpos > nl) {
                /* the fast path: one line, no quote */
                char *le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
                if (le > p) {
                    int w = plain_type_wanted(r, p, le);
                    r->st.rows++;
                    rc = 0;
                    if (w < 0)
                        rc = bad_row(r, "row", "expected %zu fields, found fewer than %zu",
                                     r->ncols, r->type_col + 1);
                    else if (w > 0 && (rc = split(r, p, le)) == 0)
                        rc = deliver(r, on_row, ctx);
                    if (rc < 0)
                        return rc;
                }
                r->line++;
                r->beg = (size_t)(nl + 1 - r->buf);
                continue;
            }
            /* quotes: still one line when they all close before nl */
            if (find_end(p, e, 1, nl, qpos, &c.quoted, &c.unterminated, &c.lines) == nl) {
                qpos = NULL;
                c.p = p;
                c.le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
                c.next = nl + 1;
                if ((rc = slow_record(r, &c, on_row, ctx)) < 0)
                    return rc;
                r->line++;
                r->beg = (size_t)(c.next - r->buf);
                continue;
            }
        }
        /* the careful path: spans lines, over-long, or not all in the buffer */
        rc = slow_next(r, &c);
        qpos = NULL;
        if (rc <= 0)
            return rc;
        if ((rc = slow_record(r, &c, on_row, ctx)) < 0)
            return rc;
        r->line += c.lines + 1;
        r->beg = (size_t)(c.next - r->buf);
    }
}

int awc_cur_read(awc_cur_reader *r, awc_cur_row_fn on_row, void *ctx, awc_cur_stats *stats)
{
    int rc = 0;

    assert(r);
    if (!on_row)
        return awc_error_set(AWC_EUSAGE, "cur: no row callback");
    if (!r->done) {
        r->done = 1;
        r->bad_base = stats ? stats->bad : 0;
        rc = read_rows(r, on_row, ctx);
        r->st.files = 1;
    }
    if (stats) {
        stats->files += r->st.files;
        stats->rows += r->st.rows;
        stats->wanted += r->st.wanted;
        stats->other_period += r->st.other_period;
        stats->bad += r->st.bad;
        stats->bytes_in += r->st.bytes_in;
        stats->bytes_out += r->st.bytes_out;
        memset(&r->st, 0, sizeof(r->st));
    }
    return rc;
}

int awc_cur_read_path(const char *path, const awc_cur_options *opt, awc_cur_row_fn on_row,
                      void *ctx, awc_cur_stats *stats)
{
    awc_cur_reader *r;
    int rc = awc_cur_open_path(&r, path, opt);
    if (rc < 0)
        return rc;
    rc = awc_cur_read(r, on_row, ctx, stats);
    awc_cur_close(r);
    return rc;
}

/* --- glob ---------------------------------------------------------------------------------- */

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int awc_cur_glob(awc_cur_paths *out, const char *pattern)
{
    glob_t g;
    size_t i, n = 0, bytes = 0;
    char *w;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = glob(pattern, GLOB_MARK, NULL, &g);
    if (rc == GLOB_NOMATCH)
        return awc_error_set(AWC_ENOTFOUND, "%s: no file matches", pattern);
    if (rc == GLOB_NOSPACE)
        return awc_error_set(AWC_ENOMEM, "%s: out of memory in glob", pattern);
    if (rc != 0)
        return awc_error_set(AWC_EIO, "%s: cannot read a directory", pattern);
    for (i = 0; i < g.gl_pathc; i++) {
        size_t k = strlen(g.gl_pathv[i]);
        if (k > 0 && g.gl_pathv[i][k - 1] == '/')
            continue;              /* a directory (GLOB_MARK) */
        n++;
        bytes += k + 1;
    }
    if (n == 0) {
        globfree(&g);
        return awc_error_set(AWC_ENOTFOUND, "%s: no file matches", pattern);
    }
    out->v = awc_malloc(n * sizeof(char *) + bytes);
    if (!out->v) {
        globfree(&g);
        return awc_error_set(AWC_ENOMEM, "%s: out of memory", pattern);
    }
    w = (char *)(out->v + n);
    for (i = 0; i < g.gl_pathc; i++) {
        size_t k = strlen(g.gl_pathv[i]);
        if (k > 0 && g.gl_pathv[i][k - 1] == '/')
            continue;
        memcpy(w, g.gl_pathv[i], k + 1);
        out->v[out->n++] = w;
        w += k + 1;
    }
    globfree(&g);
    qsort(out->v, out->n, sizeof(char *), cmp_path);
    return 0;
}

void awc_cur_paths_free(awc_cur_paths *p)
{
    if (!p)
        return;
    awc_free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* --- credit key ------------------------------------------------------------------------------ */

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Position of needle (lower case ASCII) in s[0, n), case-insensitive, from
 * offset from; n when absent. */
static size_t find_ci(const char *s, size_t n, size_t from, const char *needle)
{
    size_t k = strlen(needle), i, j;
    if (k == 0 || k > n)
        return n;
    for (i = from; i + k <= n; i++) {
        for (j = 0; j < k && lower((unsigned char)s[i + j]) == needle[j]; j++)
            ;
        if (j == k)
            return i;
    }
    return n;
}

int awc_cur_credit_key(char *out, size_t outsz, const char *desc, size_t len)
{
    size_t at = 0, i, o = 0;

    while ((at = find_ci(desc, len, at, "credit id")) < len) {
        size_t d, e;
        i = at + 9;
        while (i < len && (desc[i] == ' ' || desc[i] == '\t'))
            i++;
        if (i < len && desc[i] == ':') {
            i++;
            while (i < len && (desc[i] == ' ' || desc[i] == '\t'))
                i++;
            for (d = i, e = i; e < len && desc[e] >= '0' && desc[e] <= '9'; e++)
                ;
            if (e > d) {
                if (e - d + 1 > outsz)
                    goto overflow;
                memcpy(out, desc + d, e - d);
                out[e - d] = '\0';
                return (int)(e - d);
            }
        }
        at++;
    }
    i = 0;
    while (i < len && blank(desc[i]))
        i++;
    while (len > i && blank(desc[len - 1]))
        len--;
    for (; i < len; i++) {
        if (blank(desc[i])) {
            if (blank(desc[i - 1]))
                continue;
            if (o + 1 >= outsz)
                goto overflow;
            out[o++] = ' ';
        } else {
            if (o + 1 >= outsz)
                goto overflow;
            out[o++] = desc[i];
        }
    }
    if (o >= outsz)
        goto overflow;
    out[o] = '\0';
    return (int)o;
overflow:
    if (outsz > 0)
        out[0] = '\0';
    return awc_error_set(AWC_EOVERFLOW, "credit key longer than %zu bytes", outsz ? outsz - 1 : 0);
}

/* --- credit type ------------------------------------------------------------------------------ */

/*
 * The default credit type table (SPEC 5.5), read top to bottom: the first
 * pattern found in the description decides, and a description that matches
 * none is PROMOTIONAL.  Matching is ASCII case-insensitive; AWC_CP_WORD
 * means the match must not touch a letter on either side, so short codes do
 * not fire inside words ("MPE" in "_MPE12345" and "MPE-2291", not in
 * "COMPETE").  The table is data so that it can later be replaced by an
 * editable one: keep types upper case and at most 32 bytes.
 */
const awc_credit_pattern awc_cur_credit_patterns[] = {
    {"MAP", "_MPE", 0},                         /* MAP engagement ids: "Credit_MPE12345" */
    {"MAP", "MPE", AWC_CP_WORD},                /* "MPE12345" */
    {"MAP", "Migration Acceleration", 0},       /* "Migration Acceleration Program" */
    {"MAP", "MAP", AWC_CP_WORD},                /* "MAP 2.0 credit" */
    {"EDP", "EDP", AWC_CP_WORD},
    {"EDP", "Enterprise Discount Program", 0},
    {"POC", "POC", AWC_CP_WORD},
    {"POC", "Proof of Concept", 0},
    {"POC", "Proof-of-Concept", 0},
    {"GRAVITON", "Graviton", 0},
    {"MARKETPLACE", "Marketplace", 0},
    {"PARTNER", "Partner", 0},                  /* partner-funded, APN */
    {"PARTNER", "APN", AWC_CP_WORD},
    {"PARTNER", "MDF", AWC_CP_WORD},            /* market development funds */
    {"SLA", "SLA", AWC_CP_WORD},
    {"SLA", "Service Level Agreement", 0},
};
const size_t awc_cur_credit_npatterns =
    sizeof(awc_cur_credit_patterns) / sizeof(awc_cur_credit_patterns[0]);

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

const char *awc_cur_credit_type_in(const awc_credit_pattern *table, size_t n, const char *text,
                                   size_t len)
{
    size_t t;

    for (t = 0; t < n; t++) {
        const char *pat = table[t].text;
        size_t k = strlen(pat), i, j;
        if (k == 0 || k > len)
            continue;
        for (i = 0; i + k <= len; i++) {
            for (j = 0; j < k && lower((unsigned char)text[i + j]) == lower((unsigned char)pat[j]); j++)
                ;
            if (j < k)
                continue;
            if ((table[t].flags & AWC_CP_WORD) &&
                ((i > 0 && is_alpha(text[i - 1])) || (i + k < len && is_alpha(text[i + k]))))
                continue;
            return table[t].type;
        }
    }
    return AWC_CREDIT_TYPE_DEFAULT;
}

const char *awc_cur_credit_type(const char *text, size_t len)
{
    return awc_cur_credit_type_in(awc_cur_credit_patterns, awc_cur_credit_npatterns, text, len);
}
