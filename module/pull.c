/* pull.c -- the restatement rules of SPEC 5.4, applied in one unit of work. */
#include <string.h>

#include "assign.h"
#include "awc.h"
#include "pull.h"
#include "split.h"

/* What the store holds for one aggregated key. */
typedef struct match {
    int found;
    uint64_t seq;                  /* the original (revision 0) */
    awc_state state;
    int64_t version;
    awc_amount amount;
    awc_amount total;              /* original + every adjustment */
    int max_revision;
    uint64_t last_seq;             /* the newest adjustment, if any */
    awc_state last_state;
    int64_t last_version;
    awc_amount last_amount;
} match;

typedef struct plan {
    awc_agg *agg;
    const char *period;
    const awc_actor *actor;
    match *m;                      /* parallel to the aggregate's items */
    awc_pull_result res;
    int rc;
} plan;

static int on_head(void *arg, const awc_credit_head *h)
{
    plan *p = arg;
    awc_credit_draft *d = awc_agg_find(p->agg, h->payer_account_id, h->usage_account_id,
                                       h->credit_key, h->product_code, h->currency);
    match *m;

    if (!d) {
        if (h->revision == 0)
            p->res.missing++;
        return 0;
    }
    m = &p->m[d - awc_agg_items(p->agg)];
    if (awc_money_add(&m->total, m->total, h->amount) != 0)
        return awc_error_set(AWC_EOVERFLOW, "stored credits of one key overflow");
    /* a credit waiting in an outbox file changes no more than a PROCESSING
     * one: a restatement of it becomes an adjustment */
    awc_state state = h->outboxed ? AWC_PROCESSING : h->state;
    if (h->revision == 0) {
        m->found = 1;
        m->seq = h->seq;
        m->state = state;
        m->version = h->version;
        m->amount = h->amount;
    } else if (h->revision > m->max_revision) {
        m->max_revision = h->revision;
        m->last_seq = h->seq;
        m->last_state = state;
        m->last_version = h->version;
        m->last_amount = h->amount;
    }
    return 0;
}

typedef struct lines_buf {
    awc_split_line l[AWC_SPEC_MAX + 1];
    size_t n;
    int overflow;
} lines_buf;

static int collect_line(void *arg, const awc_split_line *l)
{
    lines_buf *b = arg;
    if (b->n == sizeof(b->l) / sizeof(b->l[0])) {
        b->overflow = 1;
        return 1;
    }
    b->l[b->n++] = *l;
    return 0;
}

/* An assigned credit's lines for its restated invoiceable amount, in the
 * same proportions: percentages stay percentages (largest remainder, the
 * retained line last); fixed amounts are scaled by their old share. */
static int resplit(lines_buf *b, awc_amount amount, const char *currency)
{
    int64_t total, shares[AWC_SPEC_MAX + 1], weights[AWC_SPEC_MAX + 1], retained = 0;
    int32_t bp[AWC_SPEC_MAX + 1];
    size_t n = 0, i;
    int e, rc, percent = 1;

    if ((rc = awc_invoiceable(&total, &e, amount, currency)) != 0)
        return rc;
    for (i = 0; i < b->n; i++) {
        if (b->l[i].kind == AWC_SPLIT_RETAINED)
            continue;
        if (b->l[i].bp < 0)
            percent = 0;
        bp[n++] = b->l[i].bp;
    }
    if (percent) {
        if ((rc = awc_split_percent(shares, &retained, total, bp, n)) != 0)
            return rc;
        for (i = 0, n = 0; i < b->n; i++)
            b->l[i].amount_minor = b->l[i].kind == AWC_SPLIT_RETAINED ? retained : shares[n++];
        return 0;
    }
    for (i = 0; i < b->n; i++)
        weights[i] = b->l[i].amount_minor;
    if ((rc = awc_split_weighted(shares, total, weights, b->n)) != 0)
        return rc;
    for (i = 0; i < b->n; i++)
        b->l[i].amount_minor = shares[i];
    return 0;
}

static int restate(plan *p, awc_store *st, const awc_credit_draft *now, uint64_t seq,
                   awc_state state, int64_t version, awc_amount old, awc_amount delta)
{
    awc_credit_draft d = *now;
    awc_restatement r = { seq, version, state, &d, old, p->actor, NULL, 0 };
    lines_buf *b = NULL;
    int rc;

    if (awc_money_add(&d.amount, old, delta) != 0)
        return awc_error_set(AWC_EOVERFLOW, "restated amount overflows");
    if (state == AWC_ASSIGNED) {
        if (!(b = awc_calloc(1, sizeof(*b))))
            return awc_error_set(AWC_ENOMEM, "out of memory");
        rc = st->ops->splits_of(st, seq, collect_line, b);
        if (rc == 0 && b->overflow)
            rc = awc_error_set(AWC_ERROR, "credit %llu has too many split lines",
                               (unsigned long long)seq);
        if (rc == 0 && b->n)
            rc = resplit(b, d.amount, d.currency);
        if (rc != 0) {
            awc_free(b);
            return rc;
        }
        r.lines = b->l;
        r.nlines = b->n;
    }
    p->res.restated++;
    rc = awc_error_busy(st->ops->credit_restate(st, &r), "run the pull again");
    awc_free(b);
    return rc;
}

static int apply(awc_store *st, void *arg)
{
    plan *p = arg;
    size_t n = awc_agg_count(p->agg), nnew = 0;
    awc_credit_draft *items = awc_agg_items(p->agg), *news = NULL;
    int rc;

    /* repeatable: everything is rebuilt from the aggregate on each attempt */
    memset(&p->res, 0, sizeof(p->res));
    memset(p->m, 0, n * sizeof(*p->m));
    p->res.credits = n;
    if ((rc = st->ops->credits_of_period(st, p->period, on_head, p)) != 0)
        return rc;
    news = awc_calloc(n ? n : 1, sizeof(*news));
    if (!news)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const awc_credit_draft *d = &items[i];
        const match *m = &p->m[i];
        awc_amount delta;

        if (!m->found) {
            news[nnew++] = *d;
            continue;
        }
        if (awc_money_add(&delta, d->amount, -m->total) != 0) {
            rc = awc_error_set(AWC_EOVERFLOW, "restated amount overflows");
            break;
        }
        if (delta == 0) {
            p->res.unchanged++;
        } else if (awc_state_editable(m->state)) {
            rc = restate(p, st, d, m->seq, m->state, m->version, m->amount, delta);
        } else if (m->last_seq && awc_state_editable(m->last_state)) {
            rc = restate(p, st, d, m->last_seq, m->last_state, m->last_version, m->last_amount,
                         delta);
        } else {
            awc_credit_draft *adj = &news[nnew++];
            *adj = *d;
            adj->amount = delta;
            adj->adjusts = m->seq;
            adj->revision = m->max_revision + 1;
            p->res.adjustments++;
        }
    }
    if (rc == 0)
        rc = st->ops->credits_insert(st, news, nnew, p->actor);
    if (rc == 0)
        p->res.inserted = nnew - p->res.adjustments;
    awc_free(news);
    return rc;
}

int awc_pull_apply(awc_store *st, awc_agg *agg, const char *period, const awc_actor *actor,
                   awc_pull_result *out)
{
    size_t n = awc_agg_count(agg);
    plan p = { agg, period, actor, NULL, { 0 }, 0 };
    int rc;

    p.m = awc_calloc(n ? n : 1, sizeof(*p.m));
    if (!p.m)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    rc = st->ops->tx(st, apply, &p);
    if (rc == 0)
        *out = p.res;
    awc_free(p.m);
    return rc;
}
