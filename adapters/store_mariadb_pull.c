/*
 * store_mariadb_pull.c -- what a pull writes: the period's credits read
 * under lock, new credits inserted in batches with their events, and
 * restated amounts.  All of it runs inside the caller's unit of work
 * (awc_store_ops.tx), so a pull commits whole or not at all.
 */
#include <stdio.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

#define BATCH_ROWS 1000

typedef struct op_wrap {
    int (*fn)(awc_store *st, void *arg);
    void *arg;
} op_wrap;

static int run_wrapped(mdb *st, void *arg)
{
    op_wrap *w = arg;
    return w->fn(&st->base, w->arg);
}

int mdb_tx_op(awc_store *s, int (*fn)(awc_store *st, void *arg), void *arg)
{
    op_wrap w = { fn, arg };
    return mdb_tx((mdb *)s, run_wrapped, &w);
}

/* ---- the period's credits ------------------------------------------------ */

typedef struct heads_ctx {
    const char *period;
    int (*fn)(void *, const awc_credit_head *);
    void *arg;
} heads_ctx;

typedef struct head_row {
    uint64_t seq, adjusts;
    int64_t revision, version;
    char payer[AWC_ACCOUNT_LEN + 1], account[AWC_ACCOUNT_LEN + 1], currency[4];
    char credit_key[AWC_KEY_MAX * 4 + 1], product_code[AWC_CODE_MAX * 4 + 1];
    char amount[64], status[20];
    int64_t outboxed;
} head_row;

static int do_heads(mdb *st, void *arg)
{
    heads_ctx *x = arg;
    head_row *row = awc_malloc(sizeof(*row));
    awc_credit_head h;
    mdb_params p;
    mdb_result r;
    int rc;

    if (!row)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    mdb_p_init(&p);
    mdb_p_str(&p, x->period);
    if ((rc = mdb_exec(st, Q_PERIOD_HEADS, &p)) != 0)
        goto out;
    mdb_r_init(&r);
    mdb_r_u64(&r, &row->seq);
    mdb_r_str(&r, row->payer, sizeof(row->payer));
    mdb_r_str(&r, row->account, sizeof(row->account));
    mdb_r_str(&r, row->credit_key, sizeof(row->credit_key));
    mdb_r_str(&r, row->product_code, sizeof(row->product_code));
    mdb_r_str(&r, row->currency, sizeof(row->currency));
    mdb_r_i64(&r, &row->revision);
    mdb_r_u64(&r, &row->adjusts);
    mdb_r_str(&r, row->amount, sizeof(row->amount));
    mdb_r_str(&r, row->status, sizeof(row->status));
    mdb_r_i64(&r, &row->version);
    mdb_r_i64(&r, &row->outboxed);
    if ((rc = mdb_bind_result(st, Q_PERIOD_HEADS, &r)) != 0)
        goto out;
    /* store the whole set first: the callback may run other statements */
    if (mysql_stmt_store_result(st->stmt[Q_PERIOD_HEADS])) {
        rc = mdb_stmt_fail(st, st->stmt[Q_PERIOD_HEADS], "store result");
        goto out;
    }
    while ((rc = mdb_fetch(st, Q_PERIOD_HEADS, &r)) == 1) {
        memset(&h, 0, sizeof(h));
        h.seq = row->seq;
        h.payer_account_id = row->payer;
        h.usage_account_id = row->account;
        h.credit_key = row->credit_key;
        h.product_code = row->product_code;
        h.currency = row->currency;
        h.revision = (int)row->revision;
        h.adjusts = row->adjusts;
        h.version = row->version;
        h.outboxed = row->outboxed != 0;
        if (awc_money_parse(&h.amount, row->amount, strlen(row->amount)) != 0 ||
            awc_state_parse(&h.state, row->status) != 0) {
            rc = awc_error_prefix(AWC_EDB, "database: credit %llu", (unsigned long long)h.seq);
            break;
        }
        if ((rc = x->fn(x->arg, &h)) != 0)
            break;
    }
    mdb_done(st, Q_PERIOD_HEADS);
out:
    awc_free(row);
    return rc;
}

int mdb_credits_of_period(awc_store *s, const char *period,
                          int (*fn)(void *, const awc_credit_head *), void *arg)
{
    heads_ctx x = { period, fn, arg };
    return mdb_tx((mdb *)s, do_heads, &x);
}

/* ---- batched insert ------------------------------------------------------ */

typedef struct insert_ctx {
    awc_credit_draft *d;
    size_t n;
    const awc_actor *actor;
} insert_ctx;

/* Take up to want IDs from the sequence in one round trip. */
static int seq_block(mdb *st, awc_credit_draft *d, size_t want)
{
    uint64_t v = 0;
    mdb_result r;
    size_t got = 0;
    int rc;

    if ((rc = mdb_exec(st, Q_SEQ_BLOCK, NULL)) != 0)
        return rc;
    mdb_r_init(&r);
    mdb_r_u64(&r, &v);
    if ((rc = mdb_bind_result(st, Q_SEQ_BLOCK, &r)) != 0)
        return rc;
    while (got < want && (rc = mdb_fetch(st, Q_SEQ_BLOCK, &r)) == 1)
        d[got++].seq = v;
    mdb_done(st, Q_SEQ_BLOCK);
    if (rc < 0)
        return rc;
    return got == want ? 0 : awc_error_set(AWC_EDB, "database: credit_seq gave %zu of %zu IDs",
                                           got, want);
}

static const enum mdb_col credit_cols[] = {
    MDB_COL_U64, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
    MDB_COL_I64, MDB_COL_U64, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_I64, MDB_COL_STR,
};
static const enum mdb_col event_cols[] = {
    MDB_COL_U64, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};

static const char *or_null(const char *s)
{
    return (s && *s) ? s : NULL;
}

static void add_credit_row(mdb_batch *b, const awc_credit_draft *d, const char *amount)
{
    unsigned c = 0;

    mdb_batch_num(b, c++, (int64_t)d->seq);
    mdb_batch_str(b, c++, d->period);
    mdb_batch_str(b, c++, d->payer_account_id);
    mdb_batch_str(b, c++, d->usage_account_id);
    mdb_batch_str(b, c++, d->credit_key);
    mdb_batch_str(b, c++, d->product_code);
    mdb_batch_str(b, c++, d->currency);
    mdb_batch_num(b, c++, d->revision);
    if (d->adjusts)
        mdb_batch_num(b, c++, (int64_t)d->adjusts);
    else
        mdb_batch_null(b, c++);
    mdb_batch_str(b, c++, d->description ? d->description : "");
    mdb_batch_str(b, c++, d->credit_type[0] ? d->credit_type : "PROMOTIONAL");
    mdb_batch_str(b, c++, d->billing_entity ? d->billing_entity : "");
    mdb_batch_str(b, c++, d->legal_entity ? d->legal_entity : "");
    mdb_batch_str(b, c++, d->invoice_id ? d->invoice_id : "");
    mdb_batch_str(b, c++, or_null(d->first_usage));
    mdb_batch_str(b, c++, or_null(d->last_usage));
    mdb_batch_str(b, c++, or_null(d->issue_date));
    mdb_batch_num(b, c++, d->line_count);
    mdb_batch_str(b, c++, amount);
    mdb_batch_next_row(b);
}

static int do_insert_batch(mdb *st, void *arg)
{
    insert_ctx *x = arg;
    const awc_actor *a = x->actor;
    char (*amounts)[AWC_MONEY_BUFSZ] = NULL;
    mdb_batch cb, eb;
    int rc;

    memset(&cb, 0, sizeof(cb));
    memset(&eb, 0, sizeof(eb));
    if ((rc = mdb_batch_init(&cb, BATCH_ROWS, 19, credit_cols)) != 0 ||
        (rc = mdb_batch_init(&eb, BATCH_ROWS, 7, event_cols)) != 0)
        goto out;
    amounts = awc_calloc(BATCH_ROWS, sizeof(*amounts));
    if (!amounts) {
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t at = 0; at < x->n; at += BATCH_ROWS) {
        size_t k = x->n - at < BATCH_ROWS ? x->n - at : BATCH_ROWS;
        awc_credit_draft *d = x->d + at;

        if ((rc = seq_block(st, d, k)) != 0)
            goto out;
        for (size_t i = 0; i < k; i++) {
            if (awc_money_format(amounts[i], sizeof(amounts[i]), d[i].amount) < 0) {
                rc = awc_error_set(AWC_EOVERFLOW, "amount does not fit");
                goto out;
            }
            add_credit_row(&cb, &d[i], amounts[i]);
            mdb_batch_num(&eb, 0, (int64_t)d[i].seq);
            mdb_batch_actor(&eb, 1, a);   /* 1 to 4 */
            mdb_batch_str(&eb, 5, d[i].adjusts ? "adjustment of a processed credit" : NULL);
            mdb_batch_str(&eb, 6, NULL);
            mdb_batch_next_row(&eb);
        }
        if ((rc = mdb_batch_exec(st, Q_BATCH_CREDIT_INSERT, &cb)) != 0 ||
            (rc = mdb_batch_exec(st, Q_BATCH_EVENT_CREATE, &eb)) != 0)
            goto out;
    }
out:
    awc_free(amounts);
    mdb_batch_free(&cb);
    mdb_batch_free(&eb);
    return rc;
}

int mdb_credits_insert(awc_store *s, awc_credit_draft *d, size_t n, const awc_actor *actor)
{
    insert_ctx x = { d, n, actor };
    return n ? mdb_tx((mdb *)s, do_insert_batch, &x) : 0;
}

/* ---- restatement --------------------------------------------------------- */

static int do_restate(mdb *st, void *arg)
{
    const awc_restatement *r = arg;
    const awc_credit_draft *d = r->now;
    char amount[AWC_MONEY_BUFSZ], old[AWC_MONEY_BUFSZ], detail[160];
    int64_t lines = d->line_count;
    mdb_params p;
    int rc;

    if (awc_money_format(amount, sizeof(amount), d->amount) < 0 ||
        awc_money_format(old, sizeof(old), r->old_amount) < 0)
        return awc_error_set(AWC_EOVERFLOW, "amount does not fit");
    snprintf(detail, sizeof(detail), "{\"amount_before\":\"%s\",\"amount_after\":\"%s\"}", old,
             amount);
    mdb_p_init(&p);
    mdb_p_str(&p, amount);
    mdb_p_str(&p, d->description ? d->description : "");
    mdb_p_str(&p, d->credit_type[0] ? d->credit_type : "PROMOTIONAL");
    mdb_p_str(&p, d->billing_entity ? d->billing_entity : "");
    mdb_p_str(&p, d->legal_entity ? d->legal_entity : "");
    mdb_p_str(&p, d->invoice_id ? d->invoice_id : "");
    mdb_p_str_or_null(&p, d->first_usage);
    mdb_p_str_or_null(&p, d->last_usage);
    mdb_p_str_or_null(&p, d->issue_date);
    mdb_p_i64(&p, &lines);
    mdb_p_u64(&p, &r->seq);
    mdb_p_i64(&p, &r->expect_version);
    if ((rc = mdb_exec(st, Q_CREDIT_RESTATE, &p)) != 0)
        return rc;
    if (mdb_affected(st, Q_CREDIT_RESTATE) != 1)
        return awc_error_set(AWC_ECONFLICT, "credit %llu changed during the pull",
                             (unsigned long long)r->seq);
    if (r->nlines && (rc = mdb_splits_write(st, r->seq, r->lines, r->nlines)) != 0)
        return rc;
    return mdb_event_insert(st, r->seq, AWC_EV_RESTATE, r->state, r->state, r->expect_version,
                            r->expect_version + 1, r->actor, "amount restated by AWS", detail);
}

int mdb_credit_restate(awc_store *s, const awc_restatement *r)
{
    return mdb_tx((mdb *)s, do_restate, (void *)r);
}
