/* accounts.c -- the accounts map from CSV: rows checked alone, then together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "csv.h"
#include "date.h"

enum { C_ACCOUNT, C_CUSTOMER, C_ASSET, C_RESELLER, C_CNAME, C_RNAME, C_FROM, C_TO, C_COUNT };
static const char *const columns[C_COUNT] = {
    "account_id", "customer_id", "asset_id", "reseller_id",
    "customer_name", "reseller_name", "valid_from", "valid_to",
};

void awc_accounts_init(awc_accounts *am, const char *name)
{
    memset(am, 0, sizeof(*am));
    am->name = name;
}

void awc_accounts_free(awc_accounts *am)
{
    for (size_t i = 0; i < am->n; i++) {
        awc_free((char *)am->rows[i].customer_id);
        awc_free((char *)am->rows[i].asset_id);
        awc_free((char *)am->rows[i].reseller_id);
        awc_free((char *)am->rows[i].customer_name);
        awc_free((char *)am->rows[i].reseller_name);
    }
    awc_free(am->rows);
    awc_free(am->lines);
    am->rows = NULL;
    am->lines = NULL;
    am->n = am->cap = 0;
}

static void bad_row(awc_accounts *am, unsigned long line, const char *col, const char *why)
{
    char msg[AWC_ERRMSG_MAX];
    snprintf(msg, sizeof(msg), "%s:%lu: %s: %s", am->name, line, col, why);
    if (am->bad == 0)
        memcpy(am->first_bad, msg, sizeof(msg));
    if (am->bad < AWC_ACCOUNTS_BAD_SHOWN && am->log)
        am->log(am->log_arg, msg);
    am->bad++;
}

int awc_accounts_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AWC_CODE_MAX || strchr("=+-@", s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static size_t chars(const char *s)
{
    size_t c = 0;
    for (; *s; s++)
        c += ((unsigned char)*s & 0xC0) != 0x80;
    return c;
}

int awc_accounts_account_ok(const char *s)
{
    if (strlen(s) != AWC_ACCOUNT_LEN)
        return 0;
    for (int i = 0; i < AWC_ACCOUNT_LEN; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static char *dup(const char *s, int *oom)
{
    char *d = awc_strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static int add_row(awc_accounts *am, awc_csv *c, const int *map)
{
    const char *f[C_COUNT];
    awc_account_row *r;
    int oom = 0;
    unsigned long before = am->bad;

    for (int k = 0; k < C_COUNT; k++)
        f[k] = c->field[map[k]];
    if (!awc_accounts_account_ok(f[C_ACCOUNT]))
        bad_row(am, c->line, "account_id", "expected 12 digits");
    for (int k = C_CUSTOMER; k <= C_RESELLER; k++)
        if (!awc_accounts_id_ok(f[k]))
            bad_row(am, c->line, columns[k], "required, at most 128 bytes, no control "
                    "characters, not starting with = + - @");
    if (chars(f[C_CNAME]) > 256 || chars(f[C_RNAME]) > 256)
        bad_row(am, c->line, "customer_name", "names are at most 256 characters");
    if (!awc_date_valid(f[C_FROM], strlen(f[C_FROM])))
        bad_row(am, c->line, "valid_from", "expected a date YYYY-MM-DD");
    if (f[C_TO][0] && !awc_date_valid(f[C_TO], strlen(f[C_TO])))
        bad_row(am, c->line, "valid_to", "expected a date YYYY-MM-DD or nothing");
    else if (f[C_TO][0] && strcmp(f[C_TO], f[C_FROM]) < 0)
        bad_row(am, c->line, "valid_to", "before valid_from");
    if (am->bad != before)
        return 0;
    if (am->n == am->cap) {
        size_t cap = am->cap ? am->cap * 2 : 1024;
        awc_account_row *rows = awc_realloc(am->rows, cap * sizeof(*rows));
        unsigned long *lines = rows ? awc_realloc(am->lines, cap * sizeof(*lines)) : NULL;
        if (rows)
            am->rows = rows;
        if (!rows || !lines)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        am->lines = lines;
        am->cap = cap;
    }
    r = &am->rows[am->n];
    memset(r, 0, sizeof(*r));
    snprintf(r->account_id, sizeof(r->account_id), "%s", f[C_ACCOUNT]);
    snprintf(r->valid_from, sizeof(r->valid_from), "%s", f[C_FROM]);
    snprintf(r->valid_to, sizeof(r->valid_to), "%s", f[C_TO]);
    r->customer_id = dup(f[C_CUSTOMER], &oom);
    r->asset_id = dup(f[C_ASSET], &oom);
    r->reseller_id = dup(f[C_RESELLER], &oom);
    r->customer_name = dup(f[C_CNAME], &oom);
    r->reseller_name = dup(f[C_RNAME], &oom);
    am->lines[am->n++] = c->line;
    return oom ? awc_error_set(AWC_ENOMEM, "out of memory") : 0;
}

int awc_accounts_read(awc_accounts *am, const char *text, size_t len)
{
    int map[C_COUNT], rc;
    awc_csv c;

    awc_csv_init(&c, am->name, text, len);
    if ((rc = awc_csv_next(&c)) <= 0) {
        awc_csv_free(&c);
        return rc < 0 ? rc : awc_error_set(AWC_EBADINPUT, "%s: empty file", am->name);
    }
    for (int k = 0; k < C_COUNT; k++) {
        map[k] = -1;
        for (size_t i = 0; i < c.nfields; i++)
            if (strcmp(c.field[i], columns[k]) == 0)
                map[k] = (int)i;
        if (map[k] < 0) {
            awc_csv_free(&c);
            return awc_error_set(AWC_EBADINPUT, "%s:1: missing column '%s' (the header is "
                                 "account_id,customer_id,asset_id,reseller_id,customer_name,"
                                 "reseller_name,valid_from,valid_to)", am->name, columns[k]);
        }
    }
    size_t width = c.nfields;
    while ((rc = awc_csv_next(&c)) == 1) {
        if (c.nfields != width) {
            char why[64];
            snprintf(why, sizeof(why), "%zu fields, the header has %zu", c.nfields, width);
            bad_row(am, c.line, "row", why);
            continue;
        }
        if ((rc = add_row(am, &c, map)) != 0)
            break;
    }
    awc_csv_free(&c);
    return rc < 0 ? rc : 0;
}

/* Sort key: account, then valid_from, then file order (so that of two rows
 * with the same start the later line is the one reported). */
typedef struct sort_ctx {
    const awc_account_row *rows;
    uint64_t compares;
} sort_ctx;

static int by_account_then_from(const void *a, const void *b, void *arg)
{
    sort_ctx *s = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const awc_account_row *x = &s->rows[i], *y = &s->rows[j];
    int c;

    s->compares++;
    if ((c = memcmp(x->account_id, y->account_id, AWC_ACCOUNT_LEN)) != 0)
        return c;
    if ((c = memcmp(x->valid_from, y->valid_from, 10)) != 0)
        return c;
    return (i > j) - (i < j);
}

int awc_accounts_check(awc_accounts *am)
{
    size_t *order = awc_calloc(am->n ? am->n : 1, sizeof(*order));
    sort_ctx s = { am->rows, 0 };

    if (!order)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < am->n; i++)
        order[i] = i;
    qsort_r(order, am->n, sizeof(*order), by_account_then_from, &s);
    am->accounts = am->n > 0;
    for (size_t i = 1; i < am->n; i++) {
        const awc_account_row *a = &am->rows[order[i - 1]], *b = &am->rows[order[i]];
        s.compares++;
        if (memcmp(a->account_id, b->account_id, AWC_ACCOUNT_LEN) != 0) {
            am->accounts++;
            continue;
        }
        /* a starts no later than b: they share a day unless a ends first */
        if (!a->valid_to[0] || strcmp(a->valid_to, b->valid_from) >= 0) {
            char why[200];
            snprintf(why, sizeof(why), "account %s already has an owner on %s (line %lu "
                     "covers %s..%s)", b->account_id, b->valid_from, am->lines[order[i - 1]],
                     a->valid_from, a->valid_to[0] ? a->valid_to : "open");
            bad_row(am, am->lines[order[i]], "valid_from", why);
        }
    }
    am->compares += s.compares;
    awc_free(order);
    return 0;
}
