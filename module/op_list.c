/*
 * op_list.c -- `list [filters]`: the matching credits as a table (text) or
 * as one JSON document.
 *
 * Text streams: each row is printed as it arrives, in fixed-width columns
 * (a cell too wide is cut and ends with "~"), then a footer with the count
 * and a total per currency.  Amounts in the table are exact, with trailing
 * zeros beyond the currency's minor unit left off ("-3.25", "-10.12345679").
 *
 * JSON builds one document in memory: {"credits": [...], "count": N,
 * "total": M, "totals": [{"currency": "USD", "amount": "-12.3400000000"}]}:
 * count is the credits in this page, total and totals are of every credit
 * that matches (limit and offset aside) -- acceptable for a listing (use
 * --limit / --offset to page); `export` is the streaming download.  Field
 * names are stable and follow the CSV columns (docs/EXPORT.md); amounts are
 * decimal strings with all 10 places.
 */
#include <stdlib.h>
#include <string.h>

#include "credit_id.h"
#include "mod.h"
#include "out.h"
#include "query.h"

/* The table's columns and their widths in characters.  The description
 * takes what the terminal has left (awc_call.width); a narrower terminal
 * first loses the asset and account columns, then the names.  Into a pipe
 * or a file (width 0) every column is whole and nothing is cut. */
#define W_PERIOD 7
#define W_STATUS 14
#define W_AMOUNT 14
#define W_CUR 3
#define W_TYPE 11
#define W_ASSET 14
#define W_ACCOUNT 12
#define W_DESC_MIN 24              /* below this, a narrower layout is tried */

typedef struct layout {
    int customer, reseller;        /* widths: id and name, or the id alone */
    int names, asset_account;      /* what is shown */
    int desc;                      /* 0 = whole */
} layout;

static const layout layouts[] = {
    {28, 30, 1, 1, 0}, {28, 30, 1, 0, 0}, {14, 12, 0, 0, 0},
};

typedef struct total {
    char currency[4];
    awc_sum sum;
} total;

typedef struct list_ctx {
    awc_module *m;
    const awc_call *c;
    int id_width;
    layout lay;
    uint64_t count;
    total *totals;
    size_t ntotals, cap;
    json_t *credits;               /* JSON mode */
} list_ctx;

/* ---- text helpers ------------------------------------------------------------ */

/* Bytes in the UTF-8 sequence that starts with b (1 for a stray byte). */
static size_t u8len(unsigned char b)
{
    return b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

static size_t u8chars(const char *s)
{
    size_t n = 0;
    for (size_t i = 0, len = strlen(s); i < len; n++)
        i += u8len((unsigned char)s[i]);
    return n;
}

/* Append s to line[*at..cap) in a column of width (>= 1) characters, or
 * whole when width is 0: control characters (C0, DEL, C1) become spaces, a
 * longer text is cut and ends with an ellipsis, the rest is padded with
 * blanks (on the left when right != 0). */
static void cell(char *line, size_t *at, size_t cap, const char *s, size_t width, int right)
{
    size_t chars = u8chars(s), show, pad;

    if (width == 0)
        width = chars ? chars : 1;
    show = chars > width ? width - 1 : chars;
    pad = width - show;
    size_t i = 0, len = strlen(s);

    if (chars > width)
        pad = 0;
    if (right)
        for (; pad && *at < cap; pad--)
            line[(*at)++] = ' ';
    for (size_t k = 0; k < show && i < len; k++) {
        size_t n = u8len((unsigned char)s[i]);
        if (i + n > len)
            n = len - i;
        if (*at + n >= cap)
            break;
        if (n == 2 && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] <= 0x9F) {
            line[(*at)++] = ' ';   /* a C1 control character, like C0 ones */
            i += n;
            continue;
        }
        for (size_t j = 0; j < n; j++) {
            unsigned char b = (unsigned char)s[i + j];
            line[(*at)++] = (b < 0x20 || b == 0x7f) ? ' ' : (char)b;
        }
        i += n;
    }
    if (chars > width && *at + 3 < cap) {
        memcpy(line + *at, "\xe2\x80\xa6", 3);   /* U+2026 HORIZONTAL ELLIPSIS */
        *at += 3;
    }
    for (; pad && *at < cap; pad--)
        line[(*at)++] = ' ';
    if (*at < cap)
        line[(*at)++] = ' ';       /* the gap to the next column */
}

/* An amount at the currency's minor unit, rounded half away from zero as
 * invoicing rounds it (-828.4045 USD -> "-828.40"); exact, trailing zeros
 * dropped, for a currency without a known minor unit. */
static void text_amount(char *buf, size_t n, awc_sum v, const char *currency)
{
    int e = awc_currency_exponent(currency);
    awc_sum unit = 1, minor;
    char *dot;

    if (e < 0) {
        awc_sum_format(buf, n, v);
        if ((dot = strchr(buf, '.')) != NULL) {
            char *end = buf + strlen(buf);
            while (end > dot + 1 && end[-1] == '0')
                *--end = '\0';
            if (end == dot + 1)
                *dot = '\0';
        }
        return;
    }
    for (int i = e; i < AWC_MONEY_SCALE; i++)
        unit *= 10;
    minor = (v < 0 ? v - unit / 2 : v + unit / 2) / unit;
    awc_sum_format_minor(buf, n, minor, e);
}

/* "ID NAME", or the id alone when the accounts map names none. */
static void id_name(char *buf, size_t n, const char *id, const char *name, int names)
{
    if (!id[0])
        snprintf(buf, n, "-");
    else if (names && name[0])
        snprintf(buf, n, "%s %s", id, name);
    else
        snprintf(buf, n, "%s", id);
}

static int add_total(list_ctx *x, const awc_credit *c)
{
    size_t i;

    for (i = 0; i < x->ntotals; i++)
        if (strcmp(x->totals[i].currency, c->currency) == 0)
            break;
    if (i == x->ntotals) {
        if (x->ntotals == x->cap) {
            size_t cap = x->cap ? 2 * x->cap : 8;
            total *t = awc_realloc(x->totals, cap * sizeof(*t));
            if (!t)
                return awc_error_set(AWC_ENOMEM, "out of memory");
            x->totals = t;
            x->cap = cap;
        }
        snprintf(x->totals[i].currency, sizeof(x->totals[i].currency), "%s", c->currency);
        x->totals[i].sum = 0;
        x->ntotals++;
    }
    x->totals[i].sum += c->amount;
    return 0;
}

static int by_currency(const void *a, const void *b)
{
    return strcmp(((const total *)a)->currency, ((const total *)b)->currency);
}

/* ---- text ------------------------------------------------------------------------ */

/* The layout for the terminal's width (0: everything whole). */
static void choose_layout(list_ctx *x)
{
    unsigned width = x->c->size >= offsetof(awc_call, width) + sizeof(x->c->width)
                         ? x->c->width : 0;
    size_t i;

    x->lay = layouts[0];
    if (width == 0)
        return;
    for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        const layout *l = &layouts[i];
        int used = x->id_width + W_PERIOD + W_STATUS + W_AMOUNT + W_CUR + l->customer +
                   l->reseller + W_TYPE + 9 + (l->asset_account ? W_ASSET + W_ACCOUNT + 2 : 0);
        x->lay = *l;
        x->lay.desc = (int)width - used - 1;
        if (x->lay.desc >= W_DESC_MIN)
            return;
    }
    if (x->lay.desc < 10)
        x->lay.desc = 10;
}

static void cells(list_ctx *x, char *line, size_t *at, size_t cap, const char *const v[10])
{
    const layout *l = &x->lay;

    cell(line, at, cap, v[0], (size_t)x->id_width, 0);
    cell(line, at, cap, v[1], W_PERIOD, 0);
    cell(line, at, cap, v[2], W_STATUS, 0);
    cell(line, at, cap, v[3], W_AMOUNT, 1);
    cell(line, at, cap, v[4], W_CUR, 0);
    cell(line, at, cap, v[5], (size_t)l->customer, 0);
    if (l->asset_account) {
        cell(line, at, cap, v[6], W_ASSET, 0);
        cell(line, at, cap, v[7], W_ACCOUNT, 0);
    }
    cell(line, at, cap, v[8], (size_t)l->reseller, 0);
    cell(line, at, cap, v[9], W_TYPE, 0);
}

static int header_text(list_ctx *x)
{
    static const char *const names[10] = {"CREDIT ID", "PERIOD", "STATUS", "AMOUNT", "CUR",
                                          "CUSTOMER", "ASSET", "ACCOUNT", "RESELLER", "TYPE"};
    char line[512];
    size_t at = 0;

    choose_layout(x);
    cells(x, line, &at, sizeof(line), names);
    cell(line, &at, sizeof(line), "DESCRIPTION", (size_t)x->lay.desc, 0);
    while (at && line[at - 1] == ' ')
        at--;
    line[at++] = '\n';
    return awc_out_write(x->c, line, at);
}

static int row_text(void *arg, const awc_credit_row *r)
{
    list_ctx *x = arg;
    const awc_credit *c = &r->c;
    char line[4096], id[AWC_CREDIT_ID_BUFSZ], amount[AWC_MONEY_BUFSZ];
    char customer[1200], reseller[1200];
    size_t at = 0;
    int rc;

    if ((rc = awc_credit_id_format(id, sizeof(id), x->m->cfg.ids.prefix, c->seq)) < 0 ||
        (rc = add_total(x, c)) != 0)
        return rc;
    text_amount(amount, sizeof(amount), (awc_sum)c->amount, c->currency);
    id_name(customer, sizeof(customer), c->customer_id, r->customer_name, x->lay.names);
    id_name(reseller, sizeof(reseller), c->reseller_id, r->reseller_name, x->lay.names);
    {
        const char *const v[10] = {id, c->period, awc_state_name(c->state), amount,
                                   c->currency, customer, c->asset_id[0] ? c->asset_id : "-",
                                   c->usage_account_id, reseller, c->credit_type};
        cells(x, line, &at, sizeof(line), v);
    }
    cell(line, &at, sizeof(line), c->description, (size_t)x->lay.desc, 0);
    while (at && line[at - 1] == ' ')
        at--;
    line[at++] = '\n';
    x->count++;
    return awc_out_write(x->c, line, at);
}

static int footer_text(list_ctx *x)
{
    char amount[64];
    int rc;

    rc = awc_out_printf(x->c, "%llu credit%s\n", (unsigned long long)x->count,
                        x->count == 1 ? "" : "s");
    for (size_t i = 0; rc == 0 && i < x->ntotals; i++) {
        text_amount(amount, sizeof(amount), x->totals[i].sum, x->totals[i].currency);
        rc = awc_out_printf(x->c, "total %s %s\n", x->totals[i].currency, amount);
    }
    return rc;
}

/* ---- JSON ------------------------------------------------------------------------ */

static json_t *record_ids(const char *s)
{
    json_t *a = json_array();
    const char *p = s;

    while (a && *p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n && json_array_append_new(a, json_stringn(p, n)) != 0) {
            json_decref(a);
            return NULL;
        }
        p += n + (end ? 1 : 0);
    }
    return a;
}

static int row_json(void *arg, const awc_credit_row *r)
{
    list_ctx *x = arg;
    const awc_credit *c = &r->c;
    char id[AWC_CREDIT_ID_BUFSZ], amount[AWC_MONEY_BUFSZ], assigned[AWC_MONEY_BUFSZ];
    char retained[AWC_MONEY_BUFSZ], updated[21];
    json_t *o;
    int rc, bad;

    if ((rc = awc_credit_id_format(id, sizeof(id), x->m->cfg.ids.prefix, c->seq)) < 0 ||
        (rc = awc_money_format(amount, sizeof(amount), c->amount)) < 0 ||
        (rc = awc_row_split_amount(assigned, sizeof(assigned), r, r->assigned_minor)) < 0 ||
        (rc = awc_row_split_amount(retained, sizeof(retained), r, r->retained_minor)) < 0 ||
        (rc = add_total(x, c)) != 0)
        return rc;
    awc_row_time_iso(updated, c->updated_at);
    o = json_object();
    bad = awc_json_set(o, "credit_id", json_string(id)) |
          awc_json_set(o, "period", json_string(c->period)) |
          awc_json_set(o, "status", json_string(awc_state_name(c->state))) |
          awc_json_set(o, "version", json_integer(c->version)) |
          awc_json_set(o, "payer_account_id", json_string(c->payer_account_id)) |
          awc_json_set(o, "usage_account_id", json_string(c->usage_account_id)) |
          awc_json_set(o, "customer_id", awc_json_str_or_null(c->customer_id)) |
          awc_json_set(o, "asset_id", awc_json_str_or_null(c->asset_id)) |
          awc_json_set(o, "reseller_id", awc_json_str_or_null(c->reseller_id)) |
          awc_json_set(o, "product_code", json_string(c->product_code)) |
          awc_json_set(o, "credit_type", json_string(c->credit_type)) |
          awc_json_set(o, "description", json_string(c->description)) |
          awc_json_set(o, "amount", json_string(amount)) |
          awc_json_set(o, "currency", json_string(c->currency)) |
          awc_json_set(o, "assigned_amount", awc_json_str_or_null(assigned)) |
          awc_json_set(o, "retained_amount", awc_json_str_or_null(retained)) |
          awc_json_set(o, "rule_id", awc_json_str_or_null(c->rule_id)) |
          awc_json_set(o, "usage_file_id", awc_json_str_or_null(c->usage_file_id)) |
          awc_json_set(o, "record_ids", record_ids(r->record_ids)) |
          awc_json_set(o, "processing_date", awc_json_str_or_null(c->processing_date)) |
          awc_json_set(o, "issue_date", awc_json_str_or_null(c->issue_date)) |
          awc_json_set(o, "unmapped", json_boolean(c->flag == AWC_FLAG_UNMAPPED)) |
          awc_json_set(o, "held", json_boolean(c->flag == AWC_FLAG_HELD)) |
          awc_json_set(o, "excluded", json_boolean(c->flag == AWC_FLAG_EXCLUDED)) |
          awc_json_set(o, "updated_at", json_string(updated)) |
          awc_json_set(o, "note", awc_json_str_or_null(r->note)) |
          awc_json_set(o, "customer_name", awc_json_str_or_null(r->customer_name)) |
          awc_json_set(o, "reseller_name", awc_json_str_or_null(r->reseller_name));
    if (bad || json_array_append_new(x->credits, o) != 0)
        return awc_error_set(AWC_ENOMEM, "out of memory (a listing this long wants --limit)");
    x->count++;
    return 0;
}

/* {"currency": ..., "amount": ...} appended to the array totals. */
static int total_add(json_t *totals, const char *currency, const char *amount)
{
    json_t *t = json_object();

    if (!t || awc_json_set(t, "currency", json_string(currency)) |
                  awc_json_set(t, "amount", json_string(amount)) ||
        json_array_append_new(totals, t) != 0)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    return 0;
}

/* credits_totals callback: one currency of the whole match. */
static int total_json(void *arg, const char *currency, int64_t count, const char *sum)
{
    void **a = arg;
    int64_t *all = a[1];
    awc_sum v;
    char text[64];

    if (awc_sum_parse(&v, sum, strlen(sum)) != 0)
        return awc_error_set(AWC_EDB, "database: total of %s unreadable", currency);
    awc_sum_format(text, sizeof(text), v);
    *all += count;
    return total_add(a[0], currency, text);
}

static int list_json(list_ctx *x, awc_store *st, const awc_query *q, int skip_totals)
{
    json_t *doc = json_object(), *totals = json_array();
    int64_t matched = 0;
    char sum[64];
    int rc, bad;

    x->credits = json_array();
    if (!doc || !totals || !x->credits) {
        json_decref(doc);
        json_decref(totals);
        json_decref(x->credits);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    bad = awc_json_set(doc, "credits", x->credits);
    rc = st->ops->credits_query(st, q, row_json, x);
    if (rc == 0 && skip_totals) {
        bad |= awc_json_set(doc, "count", json_integer((json_int_t)x->count)) |
               awc_json_set(doc, "total", json_null()) | awc_json_set(doc, "totals", json_null());
        json_decref(totals);
        totals = NULL;
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(x->c, doc);
        json_decref(doc);
        return rc;
    }
    if (rc == 0 && st->ops->credits_totals) {
        /* the total and the totals are of every match, not only this page */
        void *arg[2] = {totals, &matched};
        rc = st->ops->credits_totals(st, q, total_json, arg);
    } else if (rc == 0) {
        if (x->ntotals)
            qsort(x->totals, x->ntotals, sizeof(*x->totals), by_currency);
        for (size_t i = 0; rc == 0 && i < x->ntotals; i++) {
            awc_sum_format(sum, sizeof(sum), x->totals[i].sum);
            rc = total_add(totals, x->totals[i].currency, sum);
        }
        matched = (int64_t)x->count;
    }
    if (rc == 0) {
        bad |= awc_json_set(doc, "count", json_integer((json_int_t)x->count));
        bad |= awc_json_set(doc, "total", json_integer((json_int_t)matched));
        bad |= awc_json_set(doc, "totals", totals);
        totals = NULL;
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(x->c, doc);
    }
    json_decref(totals);
    json_decref(doc);
    return rc;
}

int awc_op_list(awc_module *m, const awc_call *c, const awc_filter *f)
{
    list_ctx x;
    awc_store *st;
    awc_query q;
    int rc;

    awc_op_begin();
    memset(&x, 0, sizeof(x));
    x.m = m;
    x.c = c;
    x.id_width = (int)strlen(m->cfg.ids.prefix) + 17; /* P-DDDDDD-DDDD-DDDD */
    if ((rc = awc_query_from_filter(&q, f, c->actor, m->cfg.ids.prefix)) != 0)
        return awc_op_end(c, rc);
    q.with_names = 1;
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    if (!st->ops->credits_query)
        return awc_op_end(c, awc_error_set(AWC_ENOTSUP, "list: the store cannot query"));
    if ((rc = awc_query_amounts_check(st, &q)) != 0)
        return awc_op_end(c, rc);
    if (c->format == AWC_FORMAT_JSON) {
        int skip = f->size >= offsetof(awc_filter, skip_totals) + sizeof(f->skip_totals) &&
                   f->skip_totals;
        rc = list_json(&x, st, &q, skip);
    } else {
        rc = header_text(&x);
        if (rc == 0)
            rc = st->ops->credits_query(st, &q, row_text, &x);
        if (rc == 0) {
            if (x.ntotals)
                qsort(x.totals, x.ntotals, sizeof(*x.totals), by_currency);
            rc = footer_text(&x);
        }
    }
    awc_free(x.totals);
    return awc_op_end(c, rc);
}
