/* store_mariadb_grants.c -- grants: as the Billing API describes them
 * (credit_grants), as a FinOps admin enters them (grants), their events,
 * the hierarchy and its roll-ups (SPEC 16). */
#include <stdio.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

typedef struct upsert_ctx {
    const awc_grant *g;
    size_t n;
} upsert_ctx;

static const enum mdb_col grant_cols[] = {
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};

static int do_upsert(mdb *st, void *arg)
{
    upsert_ctx *x = arg;
    char (*amounts)[2][AWC_MONEY_BUFSZ] = awc_calloc(x->n ? x->n : 1, sizeof(*amounts));
    mdb_batch b;
    int rc = 0;

    if (!amounts)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = mdb_batch_init(&b, x->n ? (unsigned)x->n : 1, 12, grant_cols)) != 0) {
        awc_free(amounts);
        return rc;
    }
    for (size_t i = 0; i < x->n; i++) {
        const awc_grant *g = &x->g[i];
        awc_money_format(amounts[i][0], AWC_MONEY_BUFSZ, g->initial_amount);
        awc_money_format(amounts[i][1], AWC_MONEY_BUFSZ, g->remaining_amount);
        mdb_batch_str(&b, 0, g->credit_id);
        mdb_batch_str(&b, 1, g->payer_account_id);
        mdb_batch_str(&b, 2, g->account_id);
        mdb_batch_str(&b, 3, g->credit_type);
        mdb_batch_str(&b, 4, g->description ? g->description : "");
        mdb_batch_str(&b, 5, amounts[i][0]);
        mdb_batch_str(&b, 6, amounts[i][1]);
        mdb_batch_str(&b, 7, g->currency);
        mdb_batch_str(&b, 8, g->start_date[0] ? g->start_date : NULL);
        mdb_batch_str(&b, 9, g->expiry_date[0] ? g->expiry_date : NULL);
        mdb_batch_str(&b, 10, g->products ? g->products : "");
        mdb_batch_str(&b, 11, g->status ? g->status : "");
        mdb_batch_next_row(&b);
    }
    rc = mdb_batch_exec(st, Q_GRANT_UPSERT, &b);
    mdb_batch_free(&b);
    awc_free(amounts);
    return rc;
}

int mdb_grants_upsert(awc_store *s, const awc_grant *g, size_t n)
{
    upsert_ctx x = { g, n };
    return n ? mdb_tx((mdb *)s, do_upsert, &x) : 0;
}

typedef struct grants_ctx {
    const char *by;
    int (*fn)(void *, const awc_grant *);
    void *arg;
    uint64_t delivered;
} grants_ctx;

typedef struct grant_buf {
    awc_grant g;
    char desc[AWC_DESC_MAX * 4 + 1], products[8192], status[129];
    char initial[64], remaining[64], pulled[64];
} grant_buf;

static int do_grants(mdb *st, void *arg)
{
    grants_ctx *x = arg;
    grant_buf *b = awc_calloc(1, sizeof(*b));
    uint64_t row = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    if (!b)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    mdb_p_init(&p);
    mdb_p_str(&p, x->by);
    mdb_p_str(&p, x->by);
    if ((rc = mdb_exec(st, Q_GRANTS, &p)) == 0) {
        mdb_r_init(&r);
        mdb_r_str(&r, b->g.credit_id, sizeof(b->g.credit_id));
        mdb_r_str(&r, b->g.payer_account_id, sizeof(b->g.payer_account_id));
        mdb_r_str(&r, b->g.account_id, sizeof(b->g.account_id));
        mdb_r_str(&r, b->g.credit_type, sizeof(b->g.credit_type));
        mdb_r_str(&r, b->desc, sizeof(b->desc));
        mdb_r_str(&r, b->initial, sizeof(b->initial));
        mdb_r_str(&r, b->remaining, sizeof(b->remaining));
        mdb_r_str(&r, b->g.currency, sizeof(b->g.currency));
        mdb_r_str(&r, b->g.start_date, sizeof(b->g.start_date));
        mdb_r_str(&r, b->g.expiry_date, sizeof(b->g.expiry_date));
        mdb_r_str(&r, b->products, sizeof(b->products));
        mdb_r_str(&r, b->status, sizeof(b->status));
        mdb_r_i64(&r, &b->g.credits);
        mdb_r_str(&r, b->pulled, sizeof(b->pulled));
        rc = mdb_bind_result(st, Q_GRANTS, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_GRANTS, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue;
        x->delivered++;
        b->g.description = b->desc;
        b->g.products = b->products;
        b->g.status = b->status;
        if (awc_money_parse(&b->g.initial_amount, b->initial, strlen(b->initial)) != 0 ||
            awc_money_parse(&b->g.remaining_amount, b->remaining, strlen(b->remaining)) != 0 ||
            awc_sum_parse(&b->g.pulled, b->pulled, strlen(b->pulled)) != 0) {
            rc = awc_error_prefix(AWC_EDB, "database: grant %s", b->g.credit_id);
            break;
        }
        if ((rc = x->fn(x->arg, &b->g)) != 0)
            break;
    }
    mdb_done(st, Q_GRANTS);
    awc_free(b);
    return rc < 0 ? rc : 0;
}

int mdb_grants_each(awc_store *s, const char *expiring_by,
                    int (*fn)(void *, const awc_grant *), void *arg)
{
    grants_ctx x = { expiring_by, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_grants, &x);
}

/* ---- grants as entered (SPEC 16) ---------------------------------------- */

#define PUT_ROWS 500u

typedef struct put_ctx {
    const awc_grant_rec *g;
    const char *const *detail;
    size_t n;
    const awc_actor *actor;
    size_t added;
} put_ctx;

static const enum mdb_col put_cols[10] = {
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};
static const enum mdb_col event_cols[7] = {
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};

static int count_grants(mdb *st, int64_t *out)
{
    mdb_result r;
    int rc;

    mdb_r_init(&r);
    mdb_r_i64(&r, out);
    rc = mdb_one_row(st, Q_GRANT_COUNT, NULL, &r);
    return rc < 0 ? rc : 0;
}

static int do_put(mdb *st, void *arg)
{
    put_ctx *x = arg;
    char (*amounts)[AWC_MONEY_BUFSZ] = awc_calloc(PUT_ROWS, sizeof(*amounts));
    mdb_batch gb, eb;
    int64_t before = 0, after = 0;
    int rc, ginit = 0, einit = 0;

    if (!amounts)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = count_grants(st, &before)) == 0 &&
        (rc = mdb_batch_init(&gb, PUT_ROWS, 10, put_cols)) == 0)
        ginit = 1;
    if (rc == 0 && (rc = mdb_batch_init(&eb, PUT_ROWS, 7, event_cols)) == 0)
        einit = 1;
    for (size_t i = 0; rc == 0 && i < x->n; i++) {
        const awc_grant_rec *g = &x->g[i];
        char *a = amounts[gb.n];
        awc_money_format(a, AWC_MONEY_BUFSZ, g->amount);
        mdb_batch_str(&gb, 0, g->grant_id);
        mdb_batch_str(&gb, 1, g->account_id);
        mdb_batch_str(&gb, 2, g->credit_key ? g->credit_key : "");
        mdb_batch_str(&gb, 3, g->currency);
        mdb_batch_str(&gb, 4, a);
        mdb_batch_str(&gb, 5, g->issue_date[0] ? g->issue_date : NULL);
        mdb_batch_str(&gb, 6, g->end_date[0] ? g->end_date : NULL);
        mdb_batch_str(&gb, 7, g->reference ? g->reference : "");
        mdb_batch_str(&gb, 8, g->node_id && g->node_id[0] ? g->node_id : NULL);
        mdb_batch_str(&gb, 9, g->products ? g->products : "");
        mdb_batch_next_row(&gb);
        mdb_batch_str(&eb, 0, g->grant_id);
        mdb_batch_str(&eb, 1, "IMPORT");
        mdb_batch_actor(&eb, 2, x->actor);
        mdb_batch_str(&eb, 6, x->detail ? x->detail[i] : NULL);
        mdb_batch_next_row(&eb);
        if (gb.n == PUT_ROWS || i + 1 == x->n) {
            if ((rc = mdb_batch_exec(st, Q_GRANT_PUT, &gb)) == 0)
                rc = mdb_batch_exec(st, Q_GRANT_EVENT, &eb);
        }
    }
    if (rc == 0 && (rc = count_grants(st, &after)) == 0)
        x->added = (size_t)(after - before);
    if (ginit)
        mdb_batch_free(&gb);
    if (einit)
        mdb_batch_free(&eb);
    awc_free(amounts);
    return rc;
}

int mdb_grants_put(awc_store *s, const awc_grant_rec *g, const char *const *detail, size_t n,
                   const awc_actor *actor, size_t *added)
{
    put_ctx x = { g, detail, n, actor, 0 };
    int rc = n ? mdb_tx((mdb *)s, do_put, &x) : 0;
    if (rc == 0 && added)
        *added = x.added;
    return rc;
}

typedef struct set_ctx {
    const awc_grant_change *ch;
    const awc_actor *actor;
} set_ctx;

static int do_set(mdb *st, void *arg)
{
    set_ctx *x = arg;
    const awc_grant_change *ch = x->ch;
    char amount[AWC_MONEY_BUFSZ];
    const char *a = NULL;
    mdb_params p;
    int rc;

    if (ch->amount) {
        awc_money_format(amount, sizeof(amount), *ch->amount);
        a = amount;
    }
    mdb_p_init(&p);
    mdb_p_str(&p, ch->grant_id);
    mdb_p_str(&p, ch->grant_id);
    if ((rc = mdb_exec(st, Q_GRANT_ADOPT, &p)) != 0)
        return rc;
    mdb_p_init(&p);
    mdb_p_str(&p, a);
    mdb_p_str(&p, a);
    mdb_p_str(&p, ch->end_date);
    mdb_p_str(&p, ch->end_date);
    mdb_p_str(&p, ch->reference);
    mdb_p_str(&p, ch->node_id);
    mdb_p_str(&p, ch->node_id);
    mdb_p_str(&p, ch->grant_id);
    if ((rc = mdb_exec(st, Q_GRANT_SET, &p)) != 0)
        return rc;
    if (mdb_affected(st, Q_GRANT_SET) == 0)
        return awc_error_set(AWC_ENOTFOUND, "grant %s: no such grant", ch->grant_id);
    mdb_p_init(&p);
    mdb_p_str(&p, ch->grant_id);
    mdb_p_str(&p, "SET");
    mdb_p_actor(&p, x->actor);
    mdb_p_str(&p, ch->detail);
    return mdb_exec(st, Q_GRANT_EVENT, &p);
}

int mdb_grant_set(awc_store *s, const awc_grant_change *ch, const awc_actor *actor)
{
    set_ctx x = { ch, actor };
    return mdb_tx((mdb *)s, do_set, &x);
}

typedef struct all_ctx {
    int (*fn)(void *, const awc_grant_rec *);
    void *arg;
    uint64_t delivered;
} all_ctx;

typedef struct rec_buf {
    awc_grant_rec g;
    char key[AWC_KEY_MAX * 4 + 1], reference[AWC_DESC_MAX * 4 + 1];
    char node[AWC_CODE_MAX * 4 + 1], products[AWC_PRODUCTS_MAX * 4 + 1], amount[64];
    int64_t billing;
} rec_buf;

static int do_all(mdb *st, void *arg)
{
    all_ctx *x = arg;
    rec_buf *b = awc_calloc(1, sizeof(*b));
    uint64_t row = 0;
    mdb_result r;
    int rc;

    if (!b)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = mdb_exec(st, Q_GRANTS_ALL, NULL)) == 0) {
        mdb_r_init(&r);
        mdb_r_str(&r, b->g.grant_id, sizeof(b->g.grant_id));
        mdb_r_str(&r, b->g.account_id, sizeof(b->g.account_id));
        mdb_r_str(&r, b->key, sizeof(b->key));
        mdb_r_str(&r, b->g.currency, sizeof(b->g.currency));
        mdb_r_str(&r, b->amount, sizeof(b->amount));
        mdb_r_str(&r, b->g.issue_date, sizeof(b->g.issue_date));
        mdb_r_str(&r, b->g.end_date, sizeof(b->g.end_date));
        mdb_r_str(&r, b->reference, sizeof(b->reference));
        mdb_r_str(&r, b->node, sizeof(b->node));
        mdb_r_str(&r, b->products, sizeof(b->products));
        mdb_r_i64(&r, &b->billing);
        mdb_r_str(&r, b->g.first_use, sizeof(b->g.first_use));
        rc = mdb_bind_result(st, Q_GRANTS_ALL, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_GRANTS_ALL, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue;
        x->delivered++;
        b->g.credit_key = b->key;
        b->g.reference = b->reference;
        b->g.node_id = b->node;
        b->g.products = b->products;
        b->g.billing = b->billing != 0;
        if (awc_money_parse(&b->g.amount, b->amount, strlen(b->amount)) != 0) {
            rc = awc_error_prefix(AWC_EDB, "database: grant %s", b->g.grant_id);
            break;
        }
        if ((rc = x->fn(x->arg, &b->g)) != 0)
            break;
    }
    mdb_done(st, Q_GRANTS_ALL);
    awc_free(b);
    return rc < 0 ? rc : 0;
}

int mdb_grants_all(awc_store *s, int (*fn)(void *, const awc_grant_rec *), void *arg)
{
    all_ctx x = { fn, arg, 0 };
    return mdb_tx((mdb *)s, do_all, &x);
}

typedef struct draw_ctx {
    const char *to, *account;
    int (*fn)(void *, const awc_draw_row *);
    void *arg;
    uint64_t delivered;
} draw_ctx;

static int do_draw(mdb *st, void *arg)
{
    draw_ctx *x = arg;
    awc_draw_row *d = awc_calloc(1, sizeof(*d));
    char amount[64];
    uint64_t row = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    if (!d)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    enum mdb_sql q = x->account ? Q_DRAW_CREDITS_OF : Q_DRAW_CREDITS;

    mdb_p_init(&p);
    if (x->account)
        mdb_p_str(&p, x->account);
    mdb_p_str(&p, x->to);
    if ((rc = mdb_exec(st, q, &p)) == 0) {
        mdb_r_init(&r);
        mdb_r_u64(&r, &d->seq);
        mdb_r_str(&r, d->account_id, sizeof(d->account_id));
        mdb_r_str(&r, d->credit_key, sizeof(d->credit_key));
        mdb_r_str(&r, d->product_code, sizeof(d->product_code));
        mdb_r_str(&r, d->currency, sizeof(d->currency));
        mdb_r_str(&r, d->issue_date, sizeof(d->issue_date));
        mdb_r_str(&r, amount, sizeof(amount));
        rc = mdb_bind_result(st, q, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, q, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue;
        x->delivered++;
        if (awc_money_parse(&d->amount, amount, strlen(amount)) != 0) {
            rc = awc_error_prefix(AWC_EDB, "database: credit %llu",
                                  (unsigned long long)d->seq);
            break;
        }
        if ((rc = x->fn(x->arg, d)) != 0)
            break;
    }
    mdb_done(st, q);
    awc_free(d);
    return rc < 0 ? rc : 0;
}

int mdb_draw_credits(awc_store *s, const char *to_date, const char *account,
                     int (*fn)(void *, const awc_draw_row *), void *arg)
{
    draw_ctx x = { to_date, account, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_draw, &x);
}

/* ---- the hierarchy -------------------------------------------------------- */

typedef struct nodes_ctx {
    const awc_node_row *rows;
    size_t n;
    const awc_actor *actor;
} nodes_ctx;

static const enum mdb_col node_cols[4] = { MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR };

static int do_nodes(mdb *st, void *arg)
{
    nodes_ctx *x = arg;
    char detail[64];
    mdb_batch b;
    mdb_params p;
    int rc;

    if ((rc = mdb_exec(st, Q_NODES_DELETE, NULL)) != 0)
        return rc;
    if ((rc = mdb_batch_init(&b, PUT_ROWS, 4, node_cols)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < x->n; i++) {
        const awc_node_row *r = &x->rows[i];
        mdb_batch_str(&b, 0, r->node_id);
        mdb_batch_str(&b, 1, r->parent_id && r->parent_id[0] ? r->parent_id : NULL);
        mdb_batch_str(&b, 2, r->name ? r->name : "");
        mdb_batch_str(&b, 3, r->level ? r->level : "");
        mdb_batch_next_row(&b);
        if (b.n == PUT_ROWS || i + 1 == x->n)
            rc = mdb_batch_exec(st, Q_NODES_INSERT, &b);
    }
    mdb_batch_free(&b);
    if (rc != 0)
        return rc;
    snprintf(detail, sizeof(detail), "{\"nodes\":%zu}", x->n);
    mdb_p_init(&p);
    mdb_p_str(&p, "");
    mdb_p_str(&p, "HIERARCHY");
    mdb_p_actor(&p, x->actor);
    mdb_p_str(&p, detail);
    return mdb_exec(st, Q_GRANT_EVENT, &p);
}

int mdb_nodes_replace(awc_store *s, const awc_node_row *rows, size_t n, const awc_actor *actor)
{
    nodes_ctx x = { rows, n, actor };
    return mdb_tx((mdb *)s, do_nodes, &x);
}

typedef struct each_ctx {
    const char *under;
    int (*fn)(void *, const awc_node_row *);
    void *arg;
    uint64_t delivered;
} each_ctx;

typedef struct node_buf {
    char id[AWC_CODE_MAX * 4 + 1], parent[AWC_CODE_MAX * 4 + 1];
    char name[256 * 4 + 1], level[64 * 4 + 1];
} node_buf;

static void node_result(mdb_result *r, node_buf *b)
{
    mdb_r_str(r, b->id, sizeof(b->id));
    mdb_r_str(r, b->parent, sizeof(b->parent));
    mdb_r_str(r, b->name, sizeof(b->name));
    mdb_r_str(r, b->level, sizeof(b->level));
}

static int do_each(mdb *st, void *arg)
{
    each_ctx *x = arg;
    enum mdb_sql q = x->under ? Q_NODES_UNDER : Q_NODES_ALL;
    node_buf *b = awc_calloc(1, sizeof(*b));
    awc_node_row row;
    uint64_t at = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    if (!b)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    mdb_p_init(&p);
    if (x->under)
        mdb_p_str(&p, x->under);
    if ((rc = mdb_exec(st, q, x->under ? &p : NULL)) == 0) {
        mdb_r_init(&r);
        node_result(&r, b);
        rc = mdb_bind_result(st, q, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, q, &r)) == 1) {
        rc = 0;
        if (at++ < x->delivered)
            continue;
        x->delivered++;
        row.node_id = b->id;
        row.parent_id = b->parent;
        row.name = b->name;
        row.level = b->level;
        if ((rc = x->fn(x->arg, &row)) != 0)
            break;
    }
    mdb_done(st, q);
    awc_free(b);
    if (rc == 0 && x->under && x->delivered == 0)
        rc = awc_error_set(AWC_ENOTFOUND, "node %s: no such node", x->under);
    return rc < 0 ? rc : 0;
}

int mdb_nodes_each(awc_store *s, const char *under, int (*fn)(void *, const awc_node_row *),
                   void *arg)
{
    each_ctx x = { under, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_each, &x);
}

typedef struct rollup_ctx {
    const awc_grant_fig *f;
    size_t n;
    const char *under, *level;
    int (*fn)(void *, const awc_node_fig *);
    void *arg;
    uint64_t delivered;
} rollup_ctx;

static const enum mdb_col fig_cols[5] = {
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};

typedef struct fig_text {
    char amount[AWC_SUM_BUFSZ], used[AWC_SUM_BUFSZ], remaining[AWC_SUM_BUFSZ];
} fig_text;

static int figs_load(mdb *st, const rollup_ctx *x)
{
    fig_text *t = awc_calloc(PUT_ROWS, sizeof(*t));
    mdb_batch b;
    int rc;

    if (!t)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = mdb_exec(st, Q_FIG_CREATE, NULL)) != 0 ||
        (rc = mdb_exec(st, Q_FIG_CLEAR, NULL)) != 0 ||
        (rc = mdb_batch_init(&b, PUT_ROWS, 5, fig_cols)) != 0) {
        awc_free(t);
        return rc;
    }
    for (size_t i = 0; rc == 0 && i < x->n; i++) {
        fig_text *w = &t[b.n];
        awc_sum_format(w->amount, sizeof(w->amount), x->f[i].amount_sum);
        awc_sum_format(w->used, sizeof(w->used), x->f[i].used);
        awc_sum_format(w->remaining, sizeof(w->remaining), x->f[i].remaining);
        mdb_batch_str(&b, 0, x->f[i].node_id);
        mdb_batch_str(&b, 1, x->f[i].currency);
        mdb_batch_str(&b, 2, w->amount);
        mdb_batch_str(&b, 3, w->used);
        mdb_batch_str(&b, 4, w->remaining);
        mdb_batch_next_row(&b);
        if (b.n == PUT_ROWS || i + 1 == x->n)
            rc = mdb_batch_exec(st, Q_FIG_INSERT, &b);
    }
    mdb_batch_free(&b);
    awc_free(t);
    return rc;
}

typedef struct fig_buf {
    node_buf nb;
    awc_node_fig f;
    char amount[80], used[80], remaining[80];
} fig_buf;

static int do_rollup(mdb *st, void *arg)
{
    rollup_ctx *x = arg;
    fig_buf *b = awc_calloc(1, sizeof(*b));
    uint64_t at = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    if (!b)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = figs_load(st, x)) != 0) {
        awc_free(b);
        return rc;
    }
    mdb_p_init(&p);
    mdb_p_str(&p, x->under);
    mdb_p_str(&p, x->under);
    mdb_p_str(&p, x->level);
    mdb_p_str(&p, x->level);
    if ((rc = mdb_exec(st, Q_ROLLUP, &p)) == 0) {
        mdb_r_init(&r);
        node_result(&r, &b->nb);
        mdb_r_str(&r, b->f.currency, sizeof(b->f.currency));
        mdb_r_str(&r, b->amount, sizeof(b->amount));
        mdb_r_str(&r, b->used, sizeof(b->used));
        mdb_r_str(&r, b->remaining, sizeof(b->remaining));
        rc = mdb_bind_result(st, Q_ROLLUP, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_ROLLUP, &r)) == 1) {
        rc = 0;
        if (at++ < x->delivered)
            continue;
        x->delivered++;
        b->f.node.node_id = b->nb.id;
        b->f.node.parent_id = b->nb.parent;
        b->f.node.name = b->nb.name;
        b->f.node.level = b->nb.level;
        if (awc_sum_parse(&b->f.amount, b->amount, strlen(b->amount)) != 0 ||
            awc_sum_parse(&b->f.used, b->used, strlen(b->used)) != 0 ||
            awc_sum_parse(&b->f.remaining, b->remaining, strlen(b->remaining)) != 0) {
            rc = awc_error_prefix(AWC_EDB, "database: roll-up of node %s", b->nb.id);
            break;
        }
        if ((rc = x->fn(x->arg, &b->f)) != 0)
            break;
    }
    mdb_done(st, Q_ROLLUP);
    awc_free(b);
    return rc < 0 ? rc : 0;
}

int mdb_rollup(awc_store *s, const awc_grant_fig *f, size_t n, const char *under,
               const char *level, int (*fn)(void *, const awc_node_fig *), void *arg)
{
    rollup_ctx x = { f, n, under, level, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_rollup, &x);
}
