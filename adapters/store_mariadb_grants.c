/* store_mariadb_grants.c -- credits as AWS's Billing API describes them. */
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
