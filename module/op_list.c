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
 * "total": M, "totals": {"USD": "-12.3400000000"}}: count is the credits
 * in this page, total and totals are of every credit that matches (limit
 * and offset aside) -- acceptable for a listing (use
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

/* Column widths of the table, in characters. */
#define W_PERIOD 7
#define W_STATUS 14
#define W_AMOUNT 20
#define W_CUR 3
#define W_CUSTOMER 14
#define W_RESELLER 12
#define W_TYPE 11
#define W_DESC 40

typedef struct total {
    char currency[4];
    awc_sum sum;
} total;

typedef struct list_ctx {
    awc_module *m;
    const awc_call *c;
    int id_width;
    uint64_t count;
    total *totals;
    size_t ntotals, cap;
    json_t *credits;               /* JSON mode */
    json_t *names[2];              /* JSON mode: customer and reseller ids -> name */
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

/* Append s to line[*at..cap) in a column of width (>= 1) characters: control
 * characters (C0, DEL, C1) become spaces, a longer text is cut and ends with '~', the
 * rest is padded with blanks (on the left when right != 0). */
static void cell(char *line, size_t *at, size_t cap, const char *s, size_t width, int right)
{
    size_t chars = u8chars(s), show = chars > width ? width - 1 : chars, pad = width - show;
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
    if (chars > width && *at < cap)
        line[(*at)++] = '~';
    for (; pad && *at < cap; pad--)
        line[(*at)++] = ' ';
    if (*at < cap)
        line[(*at)++] = ' ';       /* the gap to the next column */
}

/* The exact amount with trailing zeros dropped down to the currency's
 * minor unit (2 when unknown): -3.2500000000 USD -> "-3.25". */
static void short_amount(char *buf, size_t n, const char *full, const char *currency)
{
    int e = awc_currency_exponent(currency);
    const char *dot = strchr(full, '.');
    size_t len = strlen(full), keep;

    snprintf(buf, n, "%s", full);
    if (!dot)
        return;
    if (e < 0)
        e = 2;
    keep = (size_t)(dot - full) + (e ? (size_t)e + 1 : 0); /* at least e places */
    while (len > keep && buf[len - 1] == '0')
        len--;
    if (len > 0 && buf[len - 1] == '.')
        len--;
    if (len < n)
        buf[len] = '\0';
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

static int header_text(list_ctx *x)
{
    char line[512];
    size_t at = 0;

    cell(line, &at, sizeof(line), "CREDIT ID", (size_t)x->id_width, 0);
    cell(line, &at, sizeof(line), "PERIOD", W_PERIOD, 0);
    cell(line, &at, sizeof(line), "STATUS", W_STATUS, 0);
    cell(line, &at, sizeof(line), "AMOUNT", W_AMOUNT, 1);
    cell(line, &at, sizeof(line), "CUR", W_CUR, 0);
    cell(line, &at, sizeof(line), "CUSTOMER", W_CUSTOMER, 0);
    cell(line, &at, sizeof(line), "RESELLER", W_RESELLER, 0);
    cell(line, &at, sizeof(line), "TYPE", W_TYPE, 0);
    cell(line, &at, sizeof(line), "DESCRIPTION", W_DESC, 0);
    while (at && line[at - 1] == ' ')
        at--;
    line[at++] = '\n';
    return awc_out_write(x->c, line, at);
}

static int row_text(void *arg, const awc_credit_row *r)
{
    list_ctx *x = arg;
    const awc_credit *c = &r->c;
    char line[2048], id[AWC_CREDIT_ID_BUFSZ], full[AWC_MONEY_BUFSZ], amount[AWC_MONEY_BUFSZ];
    size_t at = 0;
    int rc;

    if ((rc = awc_credit_id_format(id, sizeof(id), x->m->cfg.ids.prefix, c->seq)) < 0 ||
        (rc = awc_money_format(full, sizeof(full), c->amount)) < 0 ||
        (rc = add_total(x, c)) != 0)
        return rc;
    short_amount(amount, sizeof(amount), full, c->currency);
    cell(line, &at, sizeof(line), id, (size_t)x->id_width, 0);
    cell(line, &at, sizeof(line), c->period, W_PERIOD, 0);
    cell(line, &at, sizeof(line), awc_state_name(c->state), W_STATUS, 0);
    cell(line, &at, sizeof(line), amount, W_AMOUNT, 1);
    cell(line, &at, sizeof(line), c->currency, W_CUR, 0);
    cell(line, &at, sizeof(line), c->customer_id[0] ? c->customer_id : "-", W_CUSTOMER, 0);
    cell(line, &at, sizeof(line), c->reseller_id[0] ? c->reseller_id : "-", W_RESELLER, 0);
    cell(line, &at, sizeof(line), c->credit_type, W_TYPE, 0);
    cell(line, &at, sizeof(line), c->description, W_DESC, 0);
    while (at && line[at - 1] == ' ')
        at--;
    line[at++] = '\n';
    x->count++;
    return awc_out_write(x->c, line, at);
}

static int footer_text(list_ctx *x)
{
    char full[64], amount[64];
    int rc;

    rc = awc_out_printf(x->c, "%llu credit%s\n", (unsigned long long)x->count,
                        x->count == 1 ? "" : "s");
    for (size_t i = 0; rc == 0 && i < x->ntotals; i++) {
        awc_sum_format(full, sizeof(full), x->totals[i].sum);
        short_amount(amount, sizeof(amount), full, x->totals[i].currency);
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
          awc_json_set(o, "updated_at", json_string(updated));
    if (c->customer_id[0])
        bad |= json_object_set_new(x->names[0], c->customer_id, json_null());
    if (c->reseller_id[0])
        bad |= json_object_set_new(x->names[1], c->reseller_id, json_null());
    if (bad || json_array_append_new(x->credits, o) != 0)
        return awc_error_set(AWC_ENOMEM, "out of memory (a listing this long wants --limit)");
    x->count++;
    return 0;
}

static int name_found(void *arg, int kind, const char *id, const char *name)
{
    list_ctx *x = arg;

    if (name[0] && json_object_set_new(x->names[kind == 'c' ? 0 : 1], id, json_string(name)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    return 0;
}

/* customer_name and reseller_name of every listed credit, from the
 * accounts map (null when it names none). */
static int add_names(list_ctx *x, awc_store *st)
{
    char *ids[2] = {NULL, NULL};
    size_t i;
    json_t *o;
    int rc = 0;

    if (!st->ops->names_of || !json_array_size(x->credits))
        return 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        json_t *list = json_array();
        const char *key;
        json_t *v;
        json_object_foreach(x->names[k], key, v)
            json_array_append_new(list, json_string(key));
        if (!(ids[k] = json_dumps(list, JSON_COMPACT)))
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
        json_decref(list);
    }
    if (rc == 0)
        rc = st->ops->names_of(st, ids[0], ids[1], name_found, x);
    free(ids[0]);
    free(ids[1]);
    json_array_foreach(x->credits, i, o) {
        const char *cid = json_string_value(json_object_get(o, "customer_id"));
        const char *rid = json_string_value(json_object_get(o, "reseller_id"));
        json_t *cn = cid ? json_object_get(x->names[0], cid) : NULL;
        json_t *rn = rid ? json_object_get(x->names[1], rid) : NULL;
        if (rc == 0 && (awc_json_set(o, "customer_name", cn ? json_incref(cn) : json_null()) |
                        awc_json_set(o, "reseller_name", rn ? json_incref(rn) : json_null())))
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
    }
    return rc;
}

/* credits_totals callback: one currency of the whole match. */
static int total_json(void *arg, const char *currency, int64_t count, const char *sum)
{
    void **a = arg;
    json_t *totals = a[0];
    int64_t *all = a[1];
    awc_sum v;
    char text[64];

    if (awc_sum_parse(&v, sum, strlen(sum)) != 0)
        return awc_error_set(AWC_EDB, "database: total of %s unreadable", currency);
    awc_sum_format(text, sizeof(text), v);
    *all += count;
    return awc_json_set(totals, currency, json_string(text)) ? awc_error_set(AWC_ENOMEM,
                                                                             "out of memory")
                                                             : 0;
}

static int list_json(list_ctx *x, awc_store *st, const awc_query *q, int skip_totals)
{
    json_t *doc = json_object(), *totals = json_object();
    int64_t matched = 0;
    char sum[64];
    int rc, bad;

    x->credits = json_array();
    x->names[0] = json_object();
    x->names[1] = json_object();
    if (!doc || !totals || !x->credits || !x->names[0] || !x->names[1]) {
        json_decref(x->names[0]);
        json_decref(x->names[1]);
        json_decref(doc);
        json_decref(totals);
        json_decref(x->credits);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    bad = awc_json_set(doc, "credits", x->credits);
    rc = st->ops->credits_query(st, q, row_json, x);
    if (rc == 0)
        rc = add_names(x, st);
    json_decref(x->names[0]);
    json_decref(x->names[1]);
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
        for (size_t i = 0; i < x->ntotals; i++) {
            awc_sum_format(sum, sizeof(sum), x->totals[i].sum);
            bad |= awc_json_set(totals, x->totals[i].currency, json_string(sum));
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
