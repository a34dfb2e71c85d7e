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

/* A queued credit: its strings are ids in the string table. */
typedef struct qrow {
    uint64_t seq;
    awc_amount amount;
    int32_t day;
    uint32_t date, account, key, product, currency;
} qrow;

struct awc_draw {
    char **strs;                   /* interned strings; strs[id] */
    size_t nstrs, scap;
    uint32_t *sidx;                /* open addressing: id + 1, 0 = empty */
    size_t sbuckets;
    qrow *q;
    size_t nq, qcap;
    awc_policy policy;
    awc_draw_window w;
    awc_dgrant *g;
    size_t n, cap;
    group *groups;                 /* open addressing, nbuckets a power of 2 */
    size_t ngroups, nbuckets;
    miss *misses;
    size_t nmisses, mbuckets;
    int ready;
    uint64_t watch;                /* awc_draw_observe */
    void (*seen)(void *, const awc_dgrant *, awc_amount);
    void *seen_arg;
};

void awc_draw_observe(awc_draw *d, uint64_t seq,
                      void (*fn)(void *, const awc_dgrant *, awc_amount), void *arg)
{
    d->watch = seq;
    d->seen = fn;
    d->seen_arg = arg;
}

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
        awc_free(d->g[i].months);
    }
    for (size_t i = 0; i < d->nbuckets; i++) {
        awc_free(d->groups[i].key);
        awc_free(d->groups[i].idx);
    }
    for (size_t i = 0; i < d->mbuckets; i++)
        awc_free(d->misses[i].key);
    for (size_t i = 0; i < d->nstrs; i++)
        awc_free(d->strs[i]);
    awc_free(d->strs);
    awc_free(d->sidx);
    awc_free(d->q);
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

/* A credit as drawing reads it. */
typedef struct cview {
    const char *account, *key, *product, *currency, *date;
    awc_amount amount;
    uint64_t seq;
} cview;

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

static int miss_add(awc_draw *d, const cview *c, awc_amount amount)
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
    for (i = hash3(c->account, c->key, c->currency) & mask; d->misses[i].key;
         i = (i + 1) & mask)
        if (key_eq(d->misses[i].key, c->account, c->key, c->currency)) {
            d->misses[i].amount += amount;
            return 0;
        }
    if (!(d->misses[i].key = key_make(c->account, c->key, c->currency)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    d->misses[i].amount = amount;
    d->nmisses++;
    return 0;
}

/* Add take to g's use in the month of date.  Credits come in issue-date
 * order, so the month is nearly always the last one or a new one after it;
 * one fed out of order is still put in its place. */
static int month_add(awc_dgrant *g, const char *date, awc_amount take)
{
    size_t i = g->nmonths;
    awc_dmonth *m;

    while (i > 0 && strncmp(g->months[i - 1].month, date, 7) > 0)
        i--;
    if (i > 0 && strncmp(g->months[i - 1].month, date, 7) == 0) {
        g->months[i - 1].used += take;
        return 0;
    }
    if (!(m = awc_grow(g->months, &g->mcap, g->nmonths, sizeof(*m), 4)))
        return AWC_ENOMEM;
    g->months = m;
    memmove(&m[i + 1], &m[i], (g->nmonths - i) * sizeof(*m));
    memset(&m[i], 0, sizeof(m[i]));
    snprintf(m[i].month, sizeof(m[i].month), "%.7s", date);
    m[i].used = take;
    g->nmonths++;
    return 0;
}

/* Draw up to need from gr's grants; the rest is returned.  *rc is set
 * when keeping a month failed (the draw itself is complete). */
static awc_amount draw_group(awc_draw *d, group *gr, const cview *c, awc_amount need,
                             int in_window, int recent, int *rc)
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
        if ((g->issue_date[0] && strcmp(c->date, g->issue_date) < 0) ||
            (g->end_date[0] && strcmp(c->date, g->end_date) > 0) ||
            !has_product(g, c->product))
            continue;
        take = left < need ? (awc_amount)left : need;
        g->drawn += take;
        if (in_window) {
            g->used += take;
            if (d->w.months && *rc == 0)
                *rc = month_add(g, c->date, take);
        }
        if (recent)
            g->recent += take;
        need -= take;
        if (d->seen && c->seq == d->watch)
            d->seen(d->seen_arg, g, take);
        if ((awc_sum)g->amount - g->drawn <= 0 && k == gr->live)
            gr->live++;
    }
    return need;
}

/* Draw c from the grants of its key (gk) then of the blank key (gb). */
static int draw_view(awc_draw *d, const cview *c, group *gk, group *gb, awc_amount *unmatched)
{
    awc_amount need = -c->amount;  /* amounts are symmetric: never overflows */
    int in_window = !d->w.from[0] || strcmp(c->date, d->w.from) >= 0;
    int recent = d->w.recent_from[0] && strcmp(c->date, d->w.recent_from) >= 0 &&
                 strcmp(c->date, d->w.recent_to) <= 0;
    int rc = 0;

    if (gk)
        need = draw_group(d, gk, c, need, in_window, recent, &rc);
    if (need > 0 && gb)
        need = draw_group(d, gb, c, need, in_window, recent, &rc);
    if (unmatched)
        *unmatched = need;
    if (rc != 0)
        return rc;
    if (need > 0 && in_window)
        return miss_add(d, c, need);
    return 0;
}

int awc_draw_credit(awc_draw *d, const awc_draw_row *c, awc_amount *unmatched)
{
    cview v = { c->account_id, c->credit_key, c->product_code, c->currency, c->issue_date,
                c->amount, c->seq };

    if (unmatched)
        *unmatched = 0;
    if (!d->ready)
        return awc_error_set(AWC_ERROR, "grants: credit drawn before ready");
    if (c->amount >= 0)
        return 0;
    return draw_view(d, &v,
                     c->credit_key[0] ? group_find(d, c->account_id, c->currency, c->credit_key)
                                      : NULL,
                     group_find(d, c->account_id, c->currency, ""), unmatched);
}

/* ---- the queue ---------------------------------------------------------- */

static uint64_t hash1(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static int intern(awc_draw *d, const char *s, uint32_t *out)
{
    size_t mask, i;
    char **a;

    if (d->nstrs * 2 >= d->sbuckets) {
        size_t nb = d->sbuckets ? d->sbuckets * 2 : 1024;
        uint32_t *t = awc_calloc(nb, sizeof(*t));
        if (!t)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        for (size_t k = 0; k < d->nstrs; k++) {
            size_t at = hash1(d->strs[k]) & (nb - 1);
            while (t[at])
                at = (at + 1) & (nb - 1);
            t[at] = (uint32_t)k + 1;
        }
        awc_free(d->sidx);
        d->sidx = t;
        d->sbuckets = nb;
    }
    mask = d->sbuckets - 1;
    for (i = hash1(s) & mask; d->sidx[i]; i = (i + 1) & mask)
        if (strcmp(d->strs[d->sidx[i] - 1], s) == 0) {
            *out = d->sidx[i] - 1;
            return 0;
        }
    if (d->nstrs >= UINT32_MAX - 1)
        return awc_error_set(AWC_EOVERFLOW, "grants: too many distinct strings");
    if (!(a = awc_grow(d->strs, &d->scap, d->nstrs, sizeof(*a), 1024)))
        return AWC_ENOMEM;
    d->strs = a;
    if (!(a[d->nstrs] = awc_strdup(s)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    d->sidx[i] = (uint32_t)d->nstrs + 1;
    *out = (uint32_t)d->nstrs++;
    return 0;
}

int awc_draw_queue(awc_draw *d, const awc_draw_row *c)
{
    qrow *q;
    int rc;

    if (c->amount >= 0)
        return 0;
    if (!awc_date_valid(c->issue_date, strlen(c->issue_date)))
        return awc_error_set(AWC_EBADINPUT, "grants: credit %llu has no issue date",
                             (unsigned long long)c->seq);
    if (!(q = awc_grow(d->q, &d->qcap, d->nq, sizeof(*q), 4096)))
        return AWC_ENOMEM;
    d->q = q;
    q = &d->q[d->nq];
    q->seq = c->seq;
    q->amount = c->amount;
    q->day = (int32_t)awc_date_days(c->issue_date);
    if ((rc = intern(d, c->issue_date, &q->date)) != 0 ||
        (rc = intern(d, c->account_id, &q->account)) != 0 ||
        (rc = intern(d, c->credit_key, &q->key)) != 0 ||
        (rc = intern(d, c->product_code, &q->product)) != 0 ||
        (rc = intern(d, c->currency, &q->currency)) != 0)
        return rc;
    d->nq++;
    return 0;
}

static int by_day_seq(const void *a, const void *b)
{
    const qrow *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The groups of an (account, key, currency) of interned ids, looked up once. */
typedef struct memo {
    uint32_t a, k, c, used;
    group *gk, *gb;
} memo;

int awc_draw_run(awc_draw *d)
{
    size_t nb = 1024, nm = 0;
    memo *m = awc_calloc(nb, sizeof(*m));
    int rc = 0;

    if (!m)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if (!d->ready)
        rc = awc_error_set(AWC_ERROR, "grants: credits drawn before ready");
    if (d->nq > 1)
        qsort(d->q, d->nq, sizeof(*d->q), by_day_seq);
    for (size_t i = 0; rc == 0 && i < d->nq; i++) {
        const qrow *q = &d->q[i];
        cview v = { d->strs[q->account], d->strs[q->key], d->strs[q->product],
                    d->strs[q->currency], d->strs[q->date], q->amount, q->seq };
        size_t at;

        if (nm * 2 >= nb) {        /* grow the memo */
            memo *w = awc_calloc(nb * 2, sizeof(*w));
            if (!w) {
                rc = awc_error_set(AWC_ENOMEM, "out of memory");
                break;
            }
            for (size_t k = 0; k < nb; k++) {
                if (!m[k].used)
                    continue;
                at = ((m[k].a * 2654435761u) ^ (m[k].k * 40503u) ^ m[k].c) & (nb * 2 - 1);
                while (w[at].used)
                    at = (at + 1) & (nb * 2 - 1);
                w[at] = m[k];
            }
            awc_free(m);
            m = w;
            nb *= 2;
        }
        at = ((q->account * 2654435761u) ^ (q->key * 40503u) ^ q->currency) & (nb - 1);
        while (m[at].used && !(m[at].a == q->account && m[at].k == q->key &&
                               m[at].c == q->currency))
            at = (at + 1) & (nb - 1);
        if (!m[at].used) {
            m[at].used = 1;
            m[at].a = q->account;
            m[at].k = q->key;
            m[at].c = q->currency;
            m[at].gk = v.key[0] ? group_find(d, v.account, v.currency, v.key) : NULL;
            m[at].gb = group_find(d, v.account, v.currency, "");
            nm++;
        }
        if (q->amount < 0)
            rc = draw_view(d, &v, m[at].gk, m[at].gb, NULL);
    }
    awc_free(m);
    awc_free(d->q);
    d->q = NULL;
    d->nq = d->qcap = 0;
    return rc;
}

size_t awc_draw_count(const awc_draw *d)
{
    return d->n;
}

awc_dgrant *awc_draw_grants(awc_draw *d)
{
    return d->g;
}

static int by_miss_key(const void *a, const void *b)
{
    return strcmp((*(const miss *const *)a)->key, (*(const miss *const *)b)->key);
}

int awc_draw_unmatched(const awc_draw *d,
                       int (*fn)(void *, const char *, const char *, const char *, awc_sum),
                       void *arg)
{
    char account[AWC_ACCOUNT_LEN + 1], key[AWC_KEY_MAX * 4 + 1];
    const miss **order = awc_calloc(d->nmisses ? d->nmisses : 1, sizeof(*order));
    size_t n = 0;
    int rc = 0;

    if (!order)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->mbuckets; i++)
        if (d->misses[i].key)
            order[n++] = &d->misses[i];
    if (n > 1)                     /* by account, then key, then currency */
        qsort(order, n, sizeof(*order), by_miss_key);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *k = order[i]->key;
        size_t la = strcspn(k, "\x1f"), lb = strcspn(k + la + 1, "\x1f");
        snprintf(account, sizeof(account), "%.*s", (int)la, k);
        snprintf(key, sizeof(key), "%.*s", (int)lb, k + la + 1);
        rc = fn(arg, account, key, k + la + lb + 2, order[i]->amount);
    }
    awc_free(order);
    return rc;
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
