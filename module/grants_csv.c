/* grants_csv.c -- the grants and hierarchy files of SPEC 16 (grants_csv.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "csv.h"
#include "date.h"
#include "grants_csv.h"

void awc_csv_set_init(awc_csv_set *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->name = name;
}

void awc_csv_set_free(awc_csv_set *s)
{
    for (size_t i = 0; i < s->nstrings; i++)
        awc_free(s->strings[i]);
    awc_free(s->strings);
    awc_free(s->grants);
    awc_free(s->nodes);
    awc_free(s->lines);
    memset(s, 0, sizeof(*s));
}

static void bad(awc_csv_set *s, unsigned long line, const char *field, const char *why)
{
    if (s->bad++ == 0)
        snprintf(s->first_bad, sizeof(s->first_bad), "%.200s:%lu: %.32s: %.240s", s->name, line, field,
                 why);
}

static const char *keep(awc_csv_set *s, const char *v, int *oom)
{
    char **a, *d;
    if (!(a = awc_grow(s->strings, &s->scap, s->nstrings, sizeof(*a), 1024)) ||
        !(d = awc_strdup(v))) {
        if (a)
            s->strings = a;
        *oom = 1;
        return "";
    }
    s->strings = a;
    s->strings[s->nstrings++] = d;
    return d;
}

static size_t chars(const char *s)
{
    size_t c = 0;
    for (; *s; s++)
        c += ((unsigned char)*s & 0xC0) != 0x80;
    return c;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

int awc_grants_id_ok(const char *s, size_t max)
{
    return s[0] && chars(s) <= max && !strchr("=+-@", s[0]) && !has_control(s);
}

static int products_ok(const char *s)
{
    if (strlen(s) > AWC_PRODUCTS_MAX)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 ? *s != ' ' : (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

/* The header: map[k] = the column of names[k]. */
static int header(awc_csv_set *s, awc_csv *c, const char *const *names, int n, int *map,
                  const char *all)
{
    int rc = awc_csv_next(c);
    if (rc <= 0)
        return rc < 0 ? rc : awc_error_set(AWC_EBADINPUT, "%s: empty file", s->name);
    for (int k = 0; k < n; k++) {
        map[k] = -1;
        for (size_t i = 0; i < c->nfields; i++)
            if (strcmp(c->field[i], names[k]) == 0)
                map[k] = (int)i;
        if (map[k] < 0)
            return awc_error_set(AWC_EBADINPUT, "%s:1: missing column '%s' (the header is %s)",
                                 s->name, names[k], all);
    }
    return 0;
}

static int room(awc_csv_set *s, size_t elem, void **rows)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        void *r = awc_realloc(*rows, cap * elem);
        unsigned long *l = r ? awc_realloc(s->lines, cap * sizeof(*l)) : NULL;
        if (r)
            *rows = r;
        if (!r || !l)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        s->lines = l;
        s->cap = cap;
    }
    return 0;
}

/* ---- grants ---------------------------------------------------------------- */

enum { G_ID, G_ACCOUNT, G_KEY, G_CURRENCY, G_AMOUNT, G_ISSUE, G_END, G_REF, G_NODE, G_PRODUCTS,
       G_COUNT };
static const char *const gcols[G_COUNT] = {
    "grant_id", "account_id", "credit_key", "currency", "amount", "issue_date", "end_date",
    "reference", "node", "products",
};
#define GHEADER "grant_id,account_id,credit_key,currency,amount,issue_date,end_date," \
                "reference,node,products"

static int date_or_blank(const char *s)
{
    return !s[0] || awc_date_valid(s, strlen(s));
}

static int grant_row(awc_csv_set *s, awc_csv *c, const int *map)
{
    const char *f[G_COUNT];
    unsigned long before = s->bad, line = c->line;
    awc_amount amount = 0;
    awc_grant_rec *g;
    int oom = 0, rc;

    for (int k = 0; k < G_COUNT; k++)
        f[k] = c->field[map[k]];
    if (!awc_grants_id_ok(f[G_ID], AWC_GRANT_ID_MAX))
        bad(s, line, "grant_id", "required, at most 64 characters, no control characters, "
            "not starting with = + - @");
    if (!awc_accounts_account_ok(f[G_ACCOUNT]))
        bad(s, line, "account_id", "expected 12 digits");
    if (chars(f[G_KEY]) > AWC_KEY_MAX || has_control(f[G_KEY]))
        bad(s, line, "credit_key", "at most 255 characters, no control characters");
    if (strlen(f[G_CURRENCY]) != 3 || f[G_CURRENCY][0] < 'A' || f[G_CURRENCY][0] > 'Z' ||
        f[G_CURRENCY][1] < 'A' || f[G_CURRENCY][1] > 'Z' || f[G_CURRENCY][2] < 'A' ||
        f[G_CURRENCY][2] > 'Z')
        bad(s, line, "currency", "expected an ISO 4217 code, three capital letters");
    if (!f[G_AMOUNT][0] || awc_money_parse(&amount, f[G_AMOUNT], strlen(f[G_AMOUNT])) != 0 ||
        amount <= 0)
        bad(s, line, "amount", "expected the issued amount, a decimal greater than 0");
    if (!date_or_blank(f[G_ISSUE]))
        bad(s, line, "issue_date", "expected a date YYYY-MM-DD or nothing");
    if (!date_or_blank(f[G_END]))
        bad(s, line, "end_date", "expected a date YYYY-MM-DD or nothing");
    else if (f[G_END][0] && f[G_ISSUE][0] && strcmp(f[G_END], f[G_ISSUE]) < 0)
        bad(s, line, "end_date", "before issue_date");
    if (chars(f[G_REF]) > AWC_REFERENCE_MAX || has_control(f[G_REF]))
        bad(s, line, "reference", "at most 512 characters, no control characters");
    if (f[G_NODE][0] && !awc_grants_id_ok(f[G_NODE], AWC_CODE_MAX))
        bad(s, line, "node", "at most 128 characters, no control characters, not starting "
            "with = + - @");
    if (!products_ok(f[G_PRODUCTS]))
        bad(s, line, "products", "product codes separated by spaces, at most 1024 bytes");
    if (s->bad != before)
        return 0;
    if ((rc = room(s, sizeof(*s->grants), (void **)&s->grants)) != 0)
        return rc;
    g = &s->grants[s->n];
    memset(g, 0, sizeof(*g));
    snprintf(g->grant_id, sizeof(g->grant_id), "%s", f[G_ID]);
    snprintf(g->account_id, sizeof(g->account_id), "%s", f[G_ACCOUNT]);
    snprintf(g->currency, sizeof(g->currency), "%s", f[G_CURRENCY]);
    snprintf(g->issue_date, sizeof(g->issue_date), "%s", f[G_ISSUE]);
    snprintf(g->end_date, sizeof(g->end_date), "%s", f[G_END]);
    g->amount = amount;
    g->credit_key = keep(s, f[G_KEY], &oom);
    g->reference = keep(s, f[G_REF], &oom);
    g->node_id = keep(s, f[G_NODE], &oom);
    g->products = keep(s, f[G_PRODUCTS], &oom);
    s->lines[s->n++] = line;
    return oom ? awc_error_set(AWC_ENOMEM, "out of memory") : 0;
}

static int by_grant_id(const void *a, const void *b, void *arg)
{
    const awc_csv_set *s = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(s->grants[i].grant_id, s->grants[j].grant_id);
    return c ? c : (i > j) - (i < j);
}

int awc_grants_csv_read(awc_csv_set *s, const char *text, size_t len)
{
    int map[G_COUNT], rc;
    size_t width, *order;
    awc_csv c;

    awc_csv_init(&c, s->name, text, len);
    if ((rc = header(s, &c, gcols, G_COUNT, map, GHEADER)) != 0) {
        awc_csv_free(&c);
        return rc;
    }
    width = c.nfields;
    while ((rc = awc_csv_next(&c)) == 1) {
        if (c.nfields != width) {
            char why[64];
            snprintf(why, sizeof(why), "%zu fields, the header has %zu", c.nfields, width);
            bad(s, c.line, "row", why);
            continue;
        }
        if ((rc = grant_row(s, &c, map)) != 0)
            break;
    }
    awc_csv_free(&c);
    if (rc < 0)
        return rc;
    /* a grant_id twice: the later line is the bad one */
    if (!(order = awc_calloc(s->n ? s->n : 1, sizeof(*order))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++)
        order[i] = i;
    qsort_r(order, s->n, sizeof(*order), by_grant_id, s);
    for (size_t i = 1; i < s->n; i++)
        if (strcmp(s->grants[order[i]].grant_id, s->grants[order[i - 1]].grant_id) == 0) {
            char why[96];
            snprintf(why, sizeof(why), "the same grant as line %lu", s->lines[order[i - 1]]);
            bad(s, s->lines[order[i]], "grant_id", why);
        }
    awc_free(order);
    return 0;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void awc_grants_csv_check_nodes(awc_csv_set *s, char *const *nodes, size_t n)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *node = s->grants[i].node_id;
        if (node[0] && !(n && bsearch(&node, nodes, n, sizeof(*nodes), by_str)))
            bad(s, s->lines[i], "node", "no such node in the hierarchy (hierarchy import "
                "first)");
    }
}

/* ---- the hierarchy ------------------------------------------------------------ */

enum { H_ID, H_PARENT, H_NAME, H_LEVEL, H_COUNT };
static const char *const hcols[H_COUNT] = { "node_id", "parent_id", "name", "level" };

static int node_row(awc_csv_set *s, awc_csv *c, const int *map)
{
    const char *f[H_COUNT];
    unsigned long before = s->bad, line = c->line;
    awc_node_row *r;
    int oom = 0, rc;

    for (int k = 0; k < H_COUNT; k++)
        f[k] = c->field[map[k]];
    if (!awc_grants_id_ok(f[H_ID], AWC_CODE_MAX))
        bad(s, line, "node_id", "required, at most 128 characters, no control characters, "
            "not starting with = + - @");
    if (f[H_PARENT][0] && !awc_grants_id_ok(f[H_PARENT], AWC_CODE_MAX))
        bad(s, line, "parent_id", "a node_id, or nothing for a root");
    if (chars(f[H_NAME]) > 256 || has_control(f[H_NAME]))
        bad(s, line, "name", "at most 256 characters, no control characters");
    if (chars(f[H_LEVEL]) > 64 || has_control(f[H_LEVEL]))
        bad(s, line, "level", "at most 64 characters, no control characters");
    if (s->bad != before)
        return 0;
    if ((rc = room(s, sizeof(*s->nodes), (void **)&s->nodes)) != 0)
        return rc;
    r = &s->nodes[s->n];
    r->node_id = keep(s, f[H_ID], &oom);
    r->parent_id = keep(s, f[H_PARENT], &oom);
    r->name = keep(s, f[H_NAME], &oom);
    r->level = keep(s, f[H_LEVEL], &oom);
    s->lines[s->n++] = line;
    return oom ? awc_error_set(AWC_ENOMEM, "out of memory") : 0;
}

static int by_node_id(const void *a, const void *b, void *arg)
{
    const awc_csv_set *s = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(s->nodes[i].node_id, s->nodes[j].node_id);
    return c ? c : (i > j) - (i < j);
}

/* The row of node id in order[0..n) (sorted by id), or -1. */
static long find(const awc_csv_set *s, const size_t *order, const char *id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->nodes[order[mid]].node_id, id);
        if (c == 0)
            return (long)order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int check_tree(awc_csv_set *s)
{
    size_t *order = awc_calloc(s->n ? s->n : 1, sizeof(*order));
    long *parent = awc_calloc(s->n ? s->n : 1, sizeof(*parent));
    unsigned char *mark = awc_calloc(s->n ? s->n : 1, 1);
    char why[AWC_CODE_MAX * 4 + 96];
    int dup = 0;

    if (!order || !parent || !mark) {
        awc_free(order);
        awc_free(parent);
        awc_free(mark);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->n; i++)
        order[i] = i;
    qsort_r(order, s->n, sizeof(*order), by_node_id, s);
    for (size_t i = 1; i < s->n; i++)
        if (strcmp(s->nodes[order[i]].node_id, s->nodes[order[i - 1]].node_id) == 0) {
            snprintf(why, sizeof(why), "the same node as line %lu", s->lines[order[i - 1]]);
            bad(s, s->lines[order[i]], "node_id", why);
            dup = 1;
        }
    for (size_t i = 0; i < s->n; i++) {
        parent[i] = -1;
        if (!s->nodes[i].parent_id[0])
            continue;
        if ((parent[i] = find(s, order, s->nodes[i].parent_id)) < 0) {
            snprintf(why, sizeof(why), "unknown parent '%s'", s->nodes[i].parent_id);
            bad(s, s->lines[i], "parent_id", why);
        }
    }
    /* cycles: walk up from each node not yet known to reach a root; 1 = on
     * the current walk, 2 = reaches a root (or a reported cycle) */
    for (size_t i = 0; !dup && i < s->n; i++) {
        long at = (long)i;
        while (at >= 0 && mark[at] == 0) {
            mark[at] = 1;
            at = parent[at];
        }
        if (at >= 0 && mark[at] == 1) {
            snprintf(why, sizeof(why), "node '%s' is its own ancestor (a cycle)",
                     s->nodes[at].node_id);
            bad(s, s->lines[at], "parent_id", why);
        }
        for (at = (long)i; at >= 0 && mark[at] == 1; at = parent[at])
            mark[at] = 2;
    }
    awc_free(order);
    awc_free(parent);
    awc_free(mark);
    return 0;
}

int awc_hierarchy_csv_read(awc_csv_set *s, const char *text, size_t len)
{
    int map[H_COUNT], rc;
    size_t width;
    awc_csv c;

    awc_csv_init(&c, s->name, text, len);
    if ((rc = header(s, &c, hcols, H_COUNT, map, "node_id,parent_id,name,level")) != 0) {
        awc_csv_free(&c);
        return rc;
    }
    width = c.nfields;
    while ((rc = awc_csv_next(&c)) == 1) {
        if (c.nfields != width) {
            char why[64];
            snprintf(why, sizeof(why), "%zu fields, the header has %zu", c.nfields, width);
            bad(s, c.line, "row", why);
            continue;
        }
        if ((rc = node_row(s, &c, map)) != 0)
            break;
    }
    awc_csv_free(&c);
    if (rc < 0)
        return rc;
    return check_tree(s);
}
