/* grants_draw.c -- grants consumed by credits, in the policy's order
 * (grants_draw.h).  Groups of grants by (account, currency, key) live in a
 * hash table; each group keeps its grants in the policy's order and a
 * cursor past its exhausted head, so that a credit visits live grants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "grants_draw.h"

typedef struct group {
    char *key;                     /* "account\x1f" "currency\x1f" "credit_key" */
    size_t *idx;                   /* grants, policy order */
    size_t n, cap, live;           /* live: first grant not known exhausted */
} group;

typedef struct miss {
    char *key;                     /* "account\x1f" "key\x1f" "currency" */
    awc_sum amount;
} miss;

struct awc_draw {
    awc_policy policy;
    awc_draw_window w;
    awc_dgrant *g;
    size_t n, cap;
    group *groups;                 /* open addressing, nbuckets a power of 2 */
    size_t ngroups, nbuckets;
    miss *misses;
    size_t nmisses, mbuckets;
    int ready;
};

int awc_policy_parse(awc_policy *out, const char *s)
{
    if (s && strcmp(s, "fifo") == 0)
        *out = AWC_POLICY_FIFO;
    else if (s && strcmp(s, "aws") == 0)
        *out = AWC_POLICY_AWS;
    else
        return awc_error_set(AWC_EUSAGE, "policy '%s': expected fifo or aws", s ? s : "");
    return 0;
}

const char *awc_policy_name(awc_policy p)
{
    return p == AWC_POLICY_AWS ? "aws" : "fifo";
}

int awc_draw_new(awc_draw **out, awc_policy policy, const awc_draw_window *w)
{
    awc_draw *d = awc_calloc(1, sizeof(*d));
    if (!d)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    d->policy = policy;
    if (w)
        d->w = *w;
    *out = d;
    return 0;
}

void awc_draw_free(awc_draw *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        awc_free(d->g[i].grant_id);
        awc_free(d->g[i].credit_key);
        awc_free(d->g[i].reference);
        awc_free(d->g[i].node_id);
        awc_free(d->g[i].products);
    }
    for (size_t i = 0; i < d->nbuckets; i++) {
        awc_free(d->groups[i].key);
        awc_free(d->groups[i].idx);
    }
    for (size_t i = 0; i < d->mbuckets; i++)
        awc_free(d->misses[i].key);
    awc_free(d->groups);
    awc_free(d->misses);
    awc_free(d->g);
    awc_free(d);
}

static int count_products(const char *s)
{
    int n = 0;
    while (*s) {
        s += strspn(s, " ");
        if (*s) {
            n++;
            s += strcspn(s, " ");
        }
    }
    return n;
}

int awc_draw_add(awc_draw *d, const awc_grant_rec *r)
{
    awc_dgrant *g;

    if (d->ready)
        return awc_error_set(AWC_ERROR, "grants: added after ready");
    if (!(g = awc_grow(d->g, &d->cap, d->n, sizeof(*g), 256)))
        return AWC_ENOMEM;
    d->g = g;
    g = &d->g[d->n];
    memset(g, 0, sizeof(*g));
    g->grant_id = awc_strdup(r->grant_id);
    g->credit_key = awc_strdup(r->credit_key ? r->credit_key : "");
    g->reference = awc_strdup(r->reference ? r->reference : "");
    g->node_id = awc_strdup(r->node_id ? r->node_id : "");
    g->products = awc_strdup(r->products ? r->products : "");
    d->n++;                        /* freed with the set even when a copy failed */
    if (!g->grant_id || !g->credit_key || !g->reference || !g->node_id || !g->products)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    snprintf(g->account_id, sizeof(g->account_id), "%s", r->account_id);
    snprintf(g->currency, sizeof(g->currency), "%s", r->currency);
    snprintf(g->issue_date, sizeof(g->issue_date), "%s",
             r->issue_date[0] ? r->issue_date : r->first_use);
    snprintf(g->end_date, sizeof(g->end_date), "%s", r->end_date);
    g->amount = r->amount;
    g->nproducts = count_products(g->products);
    g->billing = r->billing;
    return 0;
}

/* ---- hashing ------------------------------------------------------------ */

static uint64_t hash3(const char *a, const char *b, const char *c)
{
    const char *parts[3] = { a, b, c };
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0x1f) * 1099511628211ULL;
    }
    return h;
}

static int key_eq(const char *k, const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b);
    return strncmp(k, a, la) == 0 && k[la] == 0x1f && strncmp(k + la + 1, b, lb) == 0 &&
           k[la + 1 + lb] == 0x1f && strcmp(k + la + lb + 2, c) == 0;
}

static char *key_make(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *k = awc_malloc(la + lb + lc + 3);
    if (!k)
        return NULL;
    memcpy(k, a, la);
    k[la] = 0x1f;
    memcpy(k + la + 1, b, lb);
    k[la + 1 + lb] = 0x1f;
    memcpy(k + la + lb + 2, c, lc + 1);
    return k;
}

static group *group_find(const awc_draw *d, const char *acc, const char *cur, const char *key)
{
    size_t mask = d->nbuckets - 1, i;
    if (!d->nbuckets)
        return NULL;
    for (i = hash3(acc, cur, key) & mask; d->groups[i].key; i = (i + 1) & mask)
        if (key_eq(d->groups[i].key, acc, cur, key))
            return &d->groups[i];
    return NULL;
}

static group *group_add(awc_draw *d, const char *acc, const char *cur, const char *key)
{
    size_t mask = d->nbuckets - 1, i;
    for (i = hash3(acc, cur, key) & mask; d->groups[i].key; i = (i + 1) & mask)
        if (key_eq(d->groups[i].key, acc, cur, key))
            return &d->groups[i];
    if (!(d->groups[i].key = key_make(acc, cur, key)))
        return NULL;
    d->ngroups++;
    return &d->groups[i];
}

/* ---- order ---------------------------------------------------------------- */

/* "" (none) after every date */
static int date_cmp(const char *a, const char *b)
{
    if (!a[0] || !b[0])
        return (!a[0]) - (!b[0]);
    return strcmp(a, b);
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const awc_dgrant *)a)->grant_id, ((const awc_dgrant *)b)->grant_id);
}

static int policy_cmp(const awc_draw *d, const awc_dgrant *x, const awc_dgrant *y)
{
    int c;
    if (d->policy == AWC_POLICY_AWS) {
        if ((c = date_cmp(x->end_date, y->end_date)) != 0)
            return c;
        /* fewest products; every product (0) counts as the most */
        long px = x->nproducts ? x->nproducts : 1L << 30, py = y->nproducts ? y->nproducts : 1L << 30;
        if (px != py)
            return px < py ? -1 : 1;
        if ((c = date_cmp(x->issue_date, y->issue_date)) != 0)
            return c;
    } else {
        if ((c = date_cmp(x->issue_date, y->issue_date)) != 0)
            return c;
        if ((c = date_cmp(x->end_date, y->end_date)) != 0)
            return c;
    }
    return strcmp(x->grant_id, y->grant_id);
}

static int by_policy(const void *a, const void *b, void *arg)
{
    const awc_draw *d = arg;
    return policy_cmp(d, &d->g[*(const size_t *)a], &d->g[*(const size_t *)b]);
}

int awc_draw_ready(awc_draw *d)
{
    size_t want = 16;

    if (d->ready)
        return 0;
    if (d->n > 1)
        qsort(d->g, d->n, sizeof(*d->g), by_id);
    while (want < d->n * 2)
        want *= 2;
    d->nbuckets = want;
    if (!(d->groups = awc_calloc(want, sizeof(*d->groups))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->n; i++) {
        group *gr = group_add(d, d->g[i].account_id, d->g[i].currency, d->g[i].credit_key);
        size_t *idx;
        if (!gr || !(idx = awc_grow(gr->idx, &gr->cap, gr->n, sizeof(*idx), 4)))
            return awc_error_set(AWC_ENOMEM, "out of memory");
        gr->idx = idx;
        gr->idx[gr->n++] = i;
    }
    for (size_t i = 0; i < d->nbuckets; i++)
        if (d->groups[i].key && d->groups[i].n > 1)
            qsort_r(d->groups[i].idx, d->groups[i].n, sizeof(size_t), by_policy, d);
    d->mbuckets = 1024;
    if (!(d->misses = awc_calloc(d->mbuckets, sizeof(*d->misses))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    d->ready = 1;
    return 0;
}

/* ---- drawing -------------------------------------------------------------- */

static int has_product(const awc_dgrant *g, const char *product)
{
    size_t n = strlen(product);
    const char *s = g->products;

    if (g->nproducts == 0)
        return 1;
    while (*s) {
        size_t len;
        s += strspn(s, " ");
        len = strcspn(s, " ");
        if (len == n && len && memcmp(s, product, n) == 0)
            return 1;
        s += len;
    }
    return 0;
}

static int miss_add(awc_draw *d, const awc_draw_row *c, awc_amount amount)
{
    size_t mask, i;

    if (d->nmisses * 2 >= d->mbuckets) {
        size_t nb = d->mbuckets * 2;
        miss *m = awc_calloc(nb, sizeof(*m));
        if (!m)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        for (size_t j = 0; j < d->mbuckets; j++) {
            if (!d->misses[j].key)
                continue;
            const char *k = d->misses[j].key;
            size_t la = strcspn(k, "\x1f"), lb = strcspn(k + la + 1, "\x1f");
            char a[AWC_ACCOUNT_LEN + 1];
            snprintf(a, sizeof(a), "%.*s", (int)la, k);
            char *b = awc_strndup(k + la + 1, lb);
            if (!b) {
                awc_free(m);
                return awc_error_set(AWC_ENOMEM, "out of memory");
            }
            size_t at = hash3(a, b, k + la + lb + 2) & (nb - 1);
            awc_free(b);
            while (m[at].key)
                at = (at + 1) & (nb - 1);
            m[at] = d->misses[j];
        }
        awc_free(d->misses);
        d->misses = m;
        d->mbuckets = nb;
    }
    mask = d->mbuckets - 1;
    for (i = hash3(c->account_id, c->credit_key, c->currency) & mask; d->misses[i].key;
         i = (i + 1) & mask)
        if (key_eq(d->misses[i].key, c->account_id, c->credit_key, c->currency)) {
            d->misses[i].amount += amount;
            return 0;
        }
    if (!(d->misses[i].key = key_make(c->account_id, c->credit_key, c->currency)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    d->misses[i].amount = amount;
    d->nmisses++;
    return 0;
}

static awc_amount draw_group(awc_draw *d, group *gr, const awc_draw_row *c, awc_amount need,
                             int in_window, int recent)
{
    for (size_t k = gr->live; k < gr->n && need > 0; k++) {
        awc_dgrant *g = &d->g[gr->idx[k]];
        awc_sum left = (awc_sum)g->amount - g->drawn;
        awc_amount take;

        if (left <= 0) {
            if (k == gr->live)
                gr->live++;
            continue;
        }
        if ((g->issue_date[0] && strcmp(c->issue_date, g->issue_date) < 0) ||
            (g->end_date[0] && strcmp(c->issue_date, g->end_date) > 0) ||
            !has_product(g, c->product_code))
            continue;
        take = left < need ? (awc_amount)left : need;
        g->drawn += take;
        if (in_window)
            g->used += take;
        if (recent)
            g->recent += take;
        need -= take;
        if ((awc_sum)g->amount - g->drawn <= 0 && k == gr->live)
            gr->live++;
    }
    return need;
}

int awc_draw_credit(awc_draw *d, const awc_draw_row *c, awc_amount *unmatched)
{
    awc_amount need;
    int in_window, recent;
    group *gr;

    if (unmatched)
        *unmatched = 0;
    if (!d->ready)
        return awc_error_set(AWC_ERROR, "grants: credit drawn before ready");
    if (c->amount >= 0)
        return 0;
    need = -c->amount;             /* amounts are symmetric: never overflows */
    in_window = !d->w.from[0] || strcmp(c->issue_date, d->w.from) >= 0;
    recent = d->w.recent_from[0] && strcmp(c->issue_date, d->w.recent_from) >= 0 &&
             strcmp(c->issue_date, d->w.recent_to) <= 0;
    if (c->credit_key[0] && (gr = group_find(d, c->account_id, c->currency, c->credit_key)))
        need = draw_group(d, gr, c, need, in_window, recent);
    if (need > 0 && (gr = group_find(d, c->account_id, c->currency, "")))
        need = draw_group(d, gr, c, need, in_window, recent);
    if (unmatched)
        *unmatched = need;
    if (need > 0 && in_window)
        return miss_add(d, c, need);
    return 0;
}

size_t awc_draw_count(const awc_draw *d)
{
    return d->n;
}

awc_dgrant *awc_draw_grants(awc_draw *d)
{
    return d->g;
}

int awc_draw_unmatched(const awc_draw *d,
                       int (*fn)(void *, const char *, const char *, const char *, awc_sum),
                       void *arg)
{
    char account[AWC_ACCOUNT_LEN + 1], key[AWC_KEY_MAX * 4 + 1];
    int rc;

    for (size_t i = 0; i < d->mbuckets; i++) {
        const char *k = d->misses[i].key;
        size_t la, lb;
        if (!k)
            continue;
        la = strcspn(k, "\x1f");
        lb = strcspn(k + la + 1, "\x1f");
        snprintf(account, sizeof(account), "%.*s", (int)la, k);
        snprintf(key, sizeof(key), "%.*s", (int)lb, k + la + 1);
        if ((rc = fn(arg, account, key, k + la + lb + 2, d->misses[i].amount)) != 0)
            return rc;
    }
    return 0;
}

/* ---- status and forecast --------------------------------------------------- */

const char *awc_grant_status(const awc_dgrant *g, const char *as_of, int expiring_days)
{
    char by[11];

    if ((awc_sum)g->amount - g->drawn <= 0)
        return "EXHAUSTED";
    if (g->end_date[0] && strcmp(g->end_date, as_of) < 0)
        return "EXPIRED";
    if (g->end_date[0] && awc_date_add(by, as_of, expiring_days) == 0 &&
        strcmp(g->end_date, by) <= 0)
        return "EXPIRING";
    return "ACTIVE";
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

long awc_whole_months(const char *as_of, const char *end)
{
    long m;
    if (!end[0] || strcmp(end, as_of) <= 0)
        return 0;
    m = (num(end, 4) * 12L + num(end + 5, 2)) - (num(as_of, 4) * 12L + num(as_of + 5, 2));
    if (num(end + 8, 2) < num(as_of + 8, 2))
        m--;
    return m < 0 ? 0 : m;
}

awc_sum awc_grant_forecast_unused(const awc_dgrant *g, long months_left)
{
    awc_sum remaining = (awc_sum)g->amount - g->drawn, burn, f;

    /* recent * months / 3, rounded half away from zero (both >= 0) */
    burn = (g->recent * months_left * 2 + 3) / 6;
    f = remaining - burn;
    return f < 0 ? 0 : f;
}

void awc_recent_months(const char *as_of, char from[11], char to[11])
{
    int y = num(as_of, 4), m = num(as_of + 5, 2);
    char first[11];
    int fy = y, fm = m - 3;

    if (fm < 1) {
        fm += 12;
        fy--;
    }
    snprintf(from, 11, "%04u-%02u-01", (unsigned)fy % 10000u, (unsigned)fm % 100u);
    snprintf(first, sizeof(first), "%04u-%02u-01", (unsigned)y % 10000u, (unsigned)m % 100u);
    if (awc_date_add(to, first, -1) != 0)
        snprintf(to, 11, "%s", first);
}
