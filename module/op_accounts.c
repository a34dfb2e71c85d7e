/* op_accounts.c -- `accounts import FILE`: the accounts map, all or nothing. */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "date.h"
#include "mod.h"
#include "out.h"

#define ACCOUNTS_FILE_MAX (256u * 1024 * 1024)
#define BAD_SHOWN 20

enum { C_ACCOUNT, C_CUSTOMER, C_ASSET, C_RESELLER, C_CNAME, C_RNAME, C_FROM, C_TO, C_COUNT };
static const char *const columns[C_COUNT] = {
    "account_id", "customer_id", "asset_id", "reseller_id",
    "customer_name", "reseller_name", "valid_from", "valid_to",
};

typedef struct import {
    awc_module *m;
    const char *path;
    awc_account_row *rows;
    unsigned long *lines;
    size_t n, cap;
    unsigned long bad;
    char first_bad[AWC_ERRMSG_MAX];
} import;

static void bad_row(import *im, const char *fmt_line, unsigned long line, const char *col,
                    const char *why)
{
    char msg[AWC_ERRMSG_MAX];
    snprintf(msg, sizeof(msg), "%s:%lu: %s: %s", fmt_line, line, col, why);
    if (im->bad == 0)
        memcpy(im->first_bad, msg, sizeof(msg));
    if (im->bad < BAD_SHOWN)
        awc_mod_log(im->m, AWC_LOG_ERROR, "%s", msg);
    im->bad++;
}

/* Ids travel to the billing platform, which matches them exactly: no
 * control characters, and nothing a spreadsheet would take for a formula. */
static int id_ok(const char *s)
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

static int account_ok(const char *s)
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

static int add_row(import *im, awc_csv *c, const int *map)
{
    const char *f[C_COUNT];
    awc_account_row *r;
    int oom = 0;
    unsigned long before = im->bad;

    for (int k = 0; k < C_COUNT; k++)
        f[k] = c->field[map[k]];
    if (!account_ok(f[C_ACCOUNT]))
        bad_row(im, im->path, c->line, "account_id", "expected 12 digits");
    for (int k = C_CUSTOMER; k <= C_RESELLER; k++)
        if (!id_ok(f[k]))
            bad_row(im, im->path, c->line, columns[k], "required, at most 128 bytes, no control "
                    "characters, not starting with = + - @");
    if (chars(f[C_CNAME]) > 256 || chars(f[C_RNAME]) > 256)
        bad_row(im, im->path, c->line, "customer_name", "names are at most 256 characters");
    if (!awc_date_valid(f[C_FROM], strlen(f[C_FROM])))
        bad_row(im, im->path, c->line, "valid_from", "expected a date YYYY-MM-DD");
    if (f[C_TO][0] && !awc_date_valid(f[C_TO], strlen(f[C_TO])))
        bad_row(im, im->path, c->line, "valid_to", "expected a date YYYY-MM-DD or nothing");
    else if (f[C_TO][0] && strcmp(f[C_TO], f[C_FROM]) < 0)
        bad_row(im, im->path, c->line, "valid_to", "before valid_from");
    if (im->bad != before)
        return 0;
    if (im->n == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 1024;
        awc_account_row *rows = awc_realloc(im->rows, cap * sizeof(*rows));
        unsigned long *lines = rows ? awc_realloc(im->lines, cap * sizeof(*lines)) : NULL;
        if (rows)
            im->rows = rows;
        if (!rows || !lines)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        im->lines = lines;
        im->cap = cap;
    }
    r = &im->rows[im->n];
    memset(r, 0, sizeof(*r));
    snprintf(r->account_id, sizeof(r->account_id), "%s", f[C_ACCOUNT]);
    snprintf(r->valid_from, sizeof(r->valid_from), "%s", f[C_FROM]);
    snprintf(r->valid_to, sizeof(r->valid_to), "%s", f[C_TO]);
    r->customer_id = dup(f[C_CUSTOMER], &oom);
    r->asset_id = dup(f[C_ASSET], &oom);
    r->reseller_id = dup(f[C_RESELLER], &oom);
    r->customer_name = dup(f[C_CNAME], &oom);
    r->reseller_name = dup(f[C_RNAME], &oom);
    im->lines[im->n++] = c->line;
    return oom ? awc_error_set(AWC_ENOMEM, "out of memory") : 0;
}

static int by_account_then_from(const void *a, const void *b, void *arg)
{
    const awc_account_row *rows = arg;
    const awc_account_row *x = &rows[*(const size_t *)a], *y = &rows[*(const size_t *)b];
    int c = strcmp(x->account_id, y->account_id);
    return c ? c : strcmp(x->valid_from, y->valid_from);
}

/* Ranges of one account must not overlap: one owner per day.  Sets
 * *accounts to the number of distinct accounts. */
static int check_overlaps(import *im, size_t *accounts)
{
    size_t *order = awc_calloc(im->n ? im->n : 1, sizeof(*order));

    if (!order)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < im->n; i++)
        order[i] = i;
    qsort_r(order, im->n, sizeof(*order), by_account_then_from, im->rows);
    *accounts = im->n > 0;
    for (size_t i = 1; i < im->n; i++) {
        const awc_account_row *a = &im->rows[order[i - 1]], *b = &im->rows[order[i]];
        if (strcmp(a->account_id, b->account_id) != 0) {
            ++*accounts;
            continue;
        }
        if (!a->valid_to[0] || strcmp(a->valid_to, b->valid_from) >= 0) {
            char why[200];
            snprintf(why, sizeof(why), "account %s already has an owner on %s (line %lu "
                     "covers %s..%s)", b->account_id, b->valid_from, im->lines[order[i - 1]],
                     a->valid_from, a->valid_to[0] ? a->valid_to : "open");
            bad_row(im, im->path, im->lines[order[i]], "valid_from", why);
        }
    }
    awc_free(order);
    return 0;
}

static void free_rows(import *im)
{
    for (size_t i = 0; i < im->n; i++) {
        awc_free((char *)im->rows[i].customer_id);
        awc_free((char *)im->rows[i].asset_id);
        awc_free((char *)im->rows[i].reseller_id);
        awc_free((char *)im->rows[i].customer_name);
        awc_free((char *)im->rows[i].reseller_name);
    }
    awc_free(im->rows);
    awc_free(im->lines);
}

static int read_map(import *im, const char *text, size_t len)
{
    int map[C_COUNT], rc;
    awc_csv c;

    awc_csv_init(&c, im->path, text, len);
    if ((rc = awc_csv_next(&c)) <= 0) {
        awc_csv_free(&c);
        return rc < 0 ? rc : awc_error_set(AWC_EBADINPUT, "%s: empty file", im->path);
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
                                 "reseller_name,valid_from,valid_to)", im->path, columns[k]);
        }
    }
    size_t width = c.nfields;
    while ((rc = awc_csv_next(&c)) == 1) {
        if (c.nfields != width) {
            char why[64];
            snprintf(why, sizeof(why), "%zu fields, the header has %zu", c.nfields, width);
            bad_row(im, im->path, c.line, "row", why);
            continue;
        }
        if ((rc = add_row(im, &c, map)) != 0)
            break;
    }
    awc_csv_free(&c);
    return rc < 0 ? rc : 0;
}

int awc_op_accounts_import(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    import im;
    awc_store *st;
    char *text = NULL;
    size_t len = 0, accounts = 0;
    int rc;

    awc_op_begin();
    memset(&im, 0, sizeof(im));
    if (!a || !a->path || !*a->path)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "accounts import: a CSV file is required"));
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "accounts import: only a distributor may "
                                                      "change the accounts map"));
    im.m = m;
    im.path = a->path;
    if ((rc = awc_file_read(&text, &len, a->path, ACCOUNTS_FILE_MAX)) != 0)
        return awc_op_end(c, rc);
    rc = read_map(&im, text, len);
    if (rc == 0)
        rc = check_overlaps(&im, &accounts);
    if (rc == 0 && im.bad)
        rc = awc_error_set(AWC_EBADINPUT, "%lu bad row%s, nothing imported; first: %s", im.bad,
                           im.bad == 1 ? "" : "s", im.first_bad);
    if (rc == 0 && (rc = awc_mod_store(m, &st)) == 0)
        rc = st->ops->accounts_replace(st, im.rows, im.n);
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "rows", json_integer((json_int_t)im.n)) |
                  awc_json_set(doc, "accounts", json_integer((json_int_t)accounts));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "accounts: imported %zu row%s for %zu account%s; the previous "
                            "map was replaced\n", im.n, im.n == 1 ? "" : "s", accounts,
                            accounts == 1 ? "" : "s");
    }
    free_rows(&im);
    awc_free(text);
    return awc_op_end(c, rc);
}
