/*
 * store_mariadb_assign.c -- the accounts map, stored rules, and assignment:
 * pending credits read under lock, new split lines and states written in
 * batches, each credit with its event, in the caller's unit of work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

#define BATCH_ROWS 1000
#define PRELOAD_MIN 256 /* assignments in one call that make reading every value worth it */

/* ---- accounts ---------------------------------------------------------------- */

/* Result buffers for one accounts row. */
typedef struct account_buf {
    awc_account_row row;
    char customer[AWC_CODE_MAX * 4 + 1], asset[AWC_CODE_MAX * 4 + 1];
    char reseller[AWC_CODE_MAX * 4 + 1];
    char cname[AWC_CODE_MAX * 8 + 1], rname[AWC_CODE_MAX * 8 + 1];
} account_buf;

static void bind_account(mdb_result *r, account_buf *a)
{
    mdb_r_init(r);
    mdb_r_str(r, a->row.account_id, sizeof(a->row.account_id));
    mdb_r_str(r, a->row.valid_from, sizeof(a->row.valid_from));
    mdb_r_str(r, a->row.valid_to, sizeof(a->row.valid_to));
    mdb_r_str(r, a->customer, sizeof(a->customer));
    mdb_r_str(r, a->asset, sizeof(a->asset));
    mdb_r_str(r, a->reseller, sizeof(a->reseller));
    mdb_r_str(r, a->cname, sizeof(a->cname));
    mdb_r_str(r, a->rname, sizeof(a->rname));
    a->row.customer_id = a->customer;
    a->row.asset_id = a->asset;
    a->row.reseller_id = a->reseller;
    a->row.customer_name = a->cname;
    a->row.reseller_name = a->rname;
}

/*
 * Replacing the map writes only what changed.  The stored map is read in
 * key order (account, valid_from) under lock, beside the new rows sorted
 * the same way: a stored row missing from the new map is deleted, one
 * whose values changed is updated, a new key is inserted, and a row that
 * is the same is left alone.  Re-importing a map with few changes then
 * costs one read of the table instead of rewriting every row twice.  When
 * more than a quarter of the stored rows would be deleted or updated one by
 * one (a statement per row on the server), the whole map is deleted with
 * one statement and inserted again instead, which is cheaper at that size.
 */
#define CHANGES_MAX_PER 4

enum { KEEP, INSERT, UPDATE };

typedef struct accounts_ctx {
    const awc_account_row *rows;
    size_t n;
    size_t *order;                 /* rows by key */
    unsigned char *act;            /* per row: KEEP, INSERT or UPDATE */
    struct gone { char account[AWC_ACCOUNT_LEN + 1], from[11]; } *gone; /* keys to delete */
    size_t ngone, capgone;
} accounts_ctx;

static const enum mdb_col account_cols[] = {
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};
static const enum mdb_col key_cols[] = { MDB_COL_STR, MDB_COL_STR };

/* account_id is 12 digits and valid_from YYYY-MM-DD on both sides, so
 * bytes order them as the table's key does. */
static int key_cmp(const awc_account_row *a, const awc_account_row *b)
{
    int c = memcmp(a->account_id, b->account_id, AWC_ACCOUNT_LEN);
    return c ? c : memcmp(a->valid_from, b->valid_from, 10);
}

static int by_key(const void *a, const void *b, void *arg)
{
    const awc_account_row *rows = arg;
    return key_cmp(&rows[*(const size_t *)a], &rows[*(const size_t *)b]);
}

static int same_values(const awc_account_row *a, const awc_account_row *b)
{
    return strcmp(a->valid_to, b->valid_to) == 0 && strcmp(a->customer_id, b->customer_id) == 0 &&
           strcmp(a->asset_id, b->asset_id) == 0 && strcmp(a->reseller_id, b->reseller_id) == 0 &&
           strcmp(a->customer_name ? a->customer_name : "", b->customer_name) == 0 &&
           strcmp(a->reseller_name ? a->reseller_name : "", b->reseller_name) == 0;
}

static int add_gone(accounts_ctx *x, const awc_account_row *r)
{
    if (x->ngone == x->capgone) {
        size_t cap = x->capgone ? x->capgone * 2 : 1024;
        void *g = awc_realloc(x->gone, cap * sizeof(*x->gone));
        if (!g)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        x->gone = g;
        x->capgone = cap;
    }
    memcpy(x->gone[x->ngone].account, r->account_id, sizeof(x->gone->account));
    memcpy(x->gone[x->ngone].from, r->valid_from, sizeof(x->gone->from));
    x->ngone++;
    return 0;
}

/* Reads the stored map beside the new one and sets x->act and x->gone.
 * *whole = 1 when so much changed that the whole map is to be rewritten. */
static int compare_stored(mdb *st, accounts_ctx *x, int *whole)
{
    account_buf *a = awc_malloc(sizeof(*a));
    size_t j = 0, stored = 0, changes = 0;
    mdb_result r;
    int rc;

    *whole = 0;
    x->ngone = 0;
    if (!a)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = mdb_exec(st, Q_ACCOUNTS_ALL, NULL)) == 0) {
        bind_account(&r, a);
        rc = mdb_bind_result(st, Q_ACCOUNTS_ALL, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_ACCOUNTS_ALL, &r)) == 1) {
        int c = 1;
        rc = 0;
        stored++;
        while (j < x->n && (c = key_cmp(&x->rows[x->order[j]], &a->row)) < 0)
            x->act[x->order[j++]] = INSERT;
        if (c == 0) {
            int same = same_values(&x->rows[x->order[j]], &a->row);
            x->act[x->order[j++]] = same ? KEEP : UPDATE;
            changes += !same;
        } else {
            changes++;
            rc = add_gone(x, &a->row);
        }
    }
    mdb_done(st, Q_ACCOUNTS_ALL);
    awc_free(a);
    while (j < x->n)
        x->act[x->order[j++]] = INSERT;
    if (rc == 0 && changes > BATCH_ROWS && changes * CHANGES_MAX_PER > stored)
        *whole = 1;
    return rc < 0 ? rc : 0;
}

static void batch_row(mdb_batch *b, const awc_account_row *r, int update)
{
    unsigned c = 0;
    if (!update) {
        mdb_batch_str(b, c++, r->account_id);
        mdb_batch_str(b, c++, r->valid_from);
    }
    mdb_batch_str(b, c++, r->valid_to[0] ? r->valid_to : NULL);
    mdb_batch_str(b, c++, r->customer_id);
    mdb_batch_str(b, c++, r->asset_id);
    mdb_batch_str(b, c++, r->reseller_id);
    mdb_batch_str(b, c++, r->customer_name ? r->customer_name : "");
    mdb_batch_str(b, c++, r->reseller_name ? r->reseller_name : "");
    if (update) {
        mdb_batch_str(b, c++, r->account_id);
        mdb_batch_str(b, c++, r->valid_from);
    }
    mdb_batch_next_row(b);
}

/* Sends the rows whose action is `act` (any row when whole) with q. */
static int write_rows(mdb *st, accounts_ctx *x, mdb_batch *b, enum mdb_sql q, int act, int whole)
{
    int rc = 0;
    for (size_t i = 0; i < x->n && rc == 0; i++) {
        if (!whole && x->act[i] != act)
            continue;
        batch_row(b, &x->rows[i], act == UPDATE);
        if (b->n == BATCH_ROWS)
            rc = mdb_batch_exec(st, q, b);
    }
    return rc ? rc : mdb_batch_exec(st, q, b);
}

static int do_accounts_replace(mdb *st, void *arg)
{
    accounts_ctx *x = arg;
    mdb_batch b;
    int rc, whole;

    if ((rc = compare_stored(st, x, &whole)) != 0)
        return rc;
    if (whole) {
        if ((rc = mdb_exec(st, Q_ACCOUNTS_DELETE, NULL)) != 0 ||
            (rc = mdb_batch_init(&b, BATCH_ROWS, 8, account_cols)) != 0)
            return rc;
        rc = write_rows(st, x, &b, Q_ACCOUNTS_INSERT, INSERT, 1);
        mdb_batch_free(&b);
        return rc;
    }
    if ((rc = mdb_batch_init(&b, BATCH_ROWS, 2, key_cols)) != 0)
        return rc;
    for (size_t i = 0; i < x->ngone && rc == 0; i++) {
        mdb_batch_str(&b, 0, x->gone[i].account);
        mdb_batch_str(&b, 1, x->gone[i].from);
        mdb_batch_next_row(&b);
        if (b.n == BATCH_ROWS)
            rc = mdb_batch_exec(st, Q_ACCOUNTS_DELETE_KEY, &b);
    }
    if (rc == 0)
        rc = mdb_batch_exec(st, Q_ACCOUNTS_DELETE_KEY, &b);
    mdb_batch_free(&b);
    if (rc != 0 || (rc = mdb_batch_init(&b, BATCH_ROWS, 8, account_cols)) != 0)
        return rc;
    if ((rc = write_rows(st, x, &b, Q_ACCOUNTS_UPDATE, UPDATE, 0)) == 0)
        rc = write_rows(st, x, &b, Q_ACCOUNTS_INSERT, INSERT, 0);
    mdb_batch_free(&b);
    return rc;
}

int mdb_accounts_replace(awc_store *s, const awc_account_row *rows, size_t n)
{
    accounts_ctx x = { rows, n, NULL, NULL, NULL, 0, 0 };
    int rc;

    x.order = awc_malloc((n ? n : 1) * sizeof(*x.order));
    x.act = awc_malloc(n ? n : 1);
    if (!x.order || !x.act) {
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
    } else {
        int sorted = 1;
        for (size_t i = 0; i < n; i++) {
            x.order[i] = i;
            sorted &= i == 0 || key_cmp(&rows[i - 1], &rows[i]) < 0;
        }
        if (!sorted)
            qsort_r(x.order, n, sizeof(*x.order), by_key, (void *)rows);
        rc = mdb_tx((mdb *)s, do_accounts_replace, &x);
    }
    awc_free(x.order);
    awc_free(x.act);
    awc_free(x.gone);
    return rc;
}

typedef struct at_ctx {
    const char *date;
    int (*fn)(void *, const awc_account_row *);
    void *arg;
    uint64_t delivered;
} at_ctx;

static int do_accounts_at(mdb *st, void *arg)
{
    at_ctx *x = arg;
    account_buf *a = awc_malloc(sizeof(*a));
    uint64_t row = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    if (!a)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    mdb_p_init(&p);
    mdb_p_str(&p, x->date);
    mdb_p_str(&p, x->date);
    if ((rc = mdb_exec(st, Q_ACCOUNTS_AT, &p)) == 0) {
        bind_account(&r, a);
        rc = mdb_bind_result(st, Q_ACCOUNTS_AT, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_ACCOUNTS_AT, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue; /* handed out before a retried attempt */
        x->delivered++;
        if ((rc = x->fn(x->arg, &a->row)) != 0)
            break;
    }
    mdb_done(st, Q_ACCOUNTS_AT);
    awc_free(a);
    return rc < 0 ? rc : 0;
}

int mdb_accounts_at(awc_store *s, const char *date,
                    int (*fn)(void *, const awc_account_row *), void *arg)
{
    at_ctx x = { date, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_accounts_at, &x);
}

typedef struct owner_ctx {
    const char *account, *date;
    account_buf *a;
    int found;
} owner_ctx;

static int do_owner(mdb *st, void *arg)
{
    owner_ctx *x = arg;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->account);
    mdb_p_str(&p, x->date);
    mdb_p_str(&p, x->date);
    bind_account(&r, x->a);
    rc = mdb_one_row(st, Q_ACCOUNT_OWNER, &p, &r);
    if (rc < 0)
        return rc;
    x->found = rc;
    return 0;
}

static char *put(char **at, char *end, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = *at;
    if ((size_t)(end - p) < n)
        return NULL;
    memcpy(p, s, n);
    *at += n;
    return p;
}

int mdb_account_owner(awc_store *s, const char *account, const char *date,
                      awc_account_row *out, char *buf, size_t bufsz)
{
    owner_ctx x = { account, date, awc_malloc(sizeof(account_buf)), 0 };
    char *at = buf, *end = buf + bufsz;
    int rc;

    if (!x.a)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    rc = mdb_tx((mdb *)s, do_owner, &x);
    if (rc == 0 && !x.found)
        rc = awc_error_set(AWC_ENOTFOUND, "account %s has no owner on %s", account, date);
    if (rc == 0) {
        *out = x.a->row;
        out->customer_id = put(&at, end, x.a->customer);
        out->asset_id = put(&at, end, x.a->asset);
        out->reseller_id = put(&at, end, x.a->reseller);
        out->customer_name = put(&at, end, x.a->cname);
        out->reseller_name = put(&at, end, x.a->rname);
        if (!out->customer_id || !out->asset_id || !out->reseller_id || !out->customer_name ||
            !out->reseller_name)
            rc = awc_error_set(AWC_EOVERFLOW, "account owner: buffer too small");
    }
    awc_free(x.a);
    return rc;
}

/* ---- rules ------------------------------------------------------------------ */

typedef struct rules_ctx {
    const awc_rule_row *rows;
    size_t n;
    const awc_actor *actor;
} rules_ctx;

static const enum mdb_col rule_cols[] = {
    MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};

static int do_rules_replace(mdb *st, void *arg)
{
    rules_ctx *x = arg;
    mdb_batch b;
    int rc;

    if ((rc = mdb_exec(st, Q_RULES_DELETE, NULL)) != 0)
        return rc;
    if ((rc = mdb_batch_init(&b, BATCH_ROWS, 7, rule_cols)) != 0)
        return rc;
    for (size_t i = 0; i < x->n && rc == 0; i++) {
        const awc_rule_row *r = &x->rows[i];
        mdb_batch_str(&b, 0, r->id);
        mdb_batch_str(&b, 1, r->name);
        mdb_batch_str(&b, 2, r->created);
        mdb_batch_str(&b, 3, r->match_kind);
        mdb_batch_str(&b, 4, r->match_text ? r->match_text : "");
        mdb_batch_str(&b, 5, r->definition);
        mdb_batch_str(&b, 6, x->actor->id ? x->actor->id : "");
        mdb_batch_next_row(&b);
        if (b.n == BATCH_ROWS || i + 1 == x->n)
            rc = mdb_batch_exec(st, Q_RULES_INSERT, &b);
    }
    mdb_batch_free(&b);
    return rc;
}

int mdb_rules_replace(awc_store *s, const awc_rule_row *rows, size_t n, const awc_actor *actor)
{
    rules_ctx x = { rows, n, actor };
    return mdb_tx((mdb *)s, do_rules_replace, &x);
}

#define RULE_DEF_MAX (1024 * 1024)

typedef struct rule_buf {
    char id[AWC_CODE_MAX + 1], name[1025], created[27], kind[16], text[4097];
    char def[RULE_DEF_MAX];
} rule_buf;

typedef struct each_rule_ctx {
    int (*fn)(void *, const awc_rule_row *);
    void *arg;
    uint64_t delivered;
} each_rule_ctx;

static int do_rules_each(mdb *st, void *arg)
{
    each_rule_ctx *x = arg;
    rule_buf *b = awc_malloc(sizeof(*b));
    awc_rule_row row;
    uint64_t n = 0;
    mdb_result r;
    int rc;

    if (!b)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = mdb_exec(st, Q_RULES_ALL, NULL)) == 0) {
        mdb_r_init(&r);
        mdb_r_str(&r, b->id, sizeof(b->id));
        mdb_r_str(&r, b->name, sizeof(b->name));
        mdb_r_str(&r, b->created, sizeof(b->created));
        mdb_r_str(&r, b->kind, sizeof(b->kind));
        mdb_r_str(&r, b->text, sizeof(b->text));
        mdb_r_str(&r, b->def, sizeof(b->def));
        rc = mdb_bind_result(st, Q_RULES_ALL, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_RULES_ALL, &r)) == 1) {
        rc = 0;
        if (n++ < x->delivered)
            continue;
        x->delivered++;
        row = (awc_rule_row){ b->id, b->name, b->created, b->kind, b->text, b->def };
        if ((rc = x->fn(x->arg, &row)) != 0)
            break;
    }
    mdb_done(st, Q_RULES_ALL);
    awc_free(b);
    return rc < 0 ? rc : 0;
}

int mdb_rules_each(awc_store *s, int (*fn)(void *, const awc_rule_row *), void *arg)
{
    each_rule_ctx x = { fn, arg, 0 };
    return mdb_tx((mdb *)s, do_rules_each, &x);
}

/* ---- pending credits --------------------------------------------------------- */

typedef struct pending_ctx {
    const awc_pending_range *q;
    int (*fn)(void *, const awc_pending *);
    void *arg;
} pending_ctx;

static int do_pending(mdb *st, void *arg)
{
    pending_ctx *x = arg;
    enum mdb_sql q = x->q->lock ? Q_PENDING_LOCKED : Q_PENDING;
    uint64_t upto = x->q->upto ? x->q->upto : UINT64_MAX;
    uint64_t limit = x->q->limit ? x->q->limit : UINT64_MAX;
    awc_pending *p = awc_malloc(sizeof(*p));
    char amount[64];
    uint64_t asg = 0;
    mdb_asg v;
    mdb_params prm;
    mdb_result r;
    int rc;

    if (!p)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    memset(p, 0, sizeof(*p));
    mdb_p_init(&prm);
    mdb_p_str(&prm, x->q->period);
    mdb_p_u64(&prm, &x->q->after);
    mdb_p_u64(&prm, &upto);
    mdb_p_u64(&prm, &limit);
    if ((rc = mdb_exec(st, q, &prm)) == 0) {
        mdb_r_init(&r);
        mdb_r_u64(&r, &p->seq);
        mdb_r_i64(&r, &p->version);
        mdb_r_u64(&r, &asg);
        mdb_r_str(&r, p->usage_account_id, sizeof(p->usage_account_id));
        mdb_r_str(&r, p->currency, sizeof(p->currency));
        mdb_r_str(&r, p->credit_type, sizeof(p->credit_type));
        mdb_r_str(&r, p->product_code, sizeof(p->product_code));
        mdb_r_str(&r, p->description, sizeof(p->description));
        mdb_r_str(&r, amount, sizeof(amount));
        rc = mdb_bind_result(st, q, &r);
    }
    /* the whole set first: the callback, and the look-up of assignment
     * values, may run statements while the rows are read */
    if (rc == 0 && mysql_stmt_store_result(st->stmt[q]))
        rc = mdb_stmt_fail(st, st->stmt[q], "store result");
    while (rc == 0 && (rc = mdb_fetch(st, q, &r)) == 1) {
        if ((rc = mdb_asg_get(st, asg, &v)) != 0)
            break;
        snprintf(p->owner_account_id, sizeof(p->owner_account_id), "%s", v.owner_account_id);
        p->flag = v.flag;
        if (awc_money_parse(&p->amount, amount, strlen(amount)) != 0) {
            rc = awc_error_prefix(AWC_EDB, "database: credit %llu", (unsigned long long)p->seq);
            break;
        }
        if ((rc = x->fn(x->arg, p)) != 0)
            break;
    }
    mdb_done(st, q);
    awc_free(p);
    return rc < 0 ? rc : 0;
}

int mdb_credits_pending(awc_store *s, const awc_pending_range *q,
                        int (*fn)(void *, const awc_pending *), void *arg)
{
    pending_ctx x = { q, fn, arg };
    return mdb_tx((mdb *)s, do_pending, &x);
}

typedef struct span_ctx {
    const char *period;
    uint64_t *first, *last;
} span_ctx;

static int do_span(mdb *st, void *arg)
{
    span_ctx *x = arg;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->period);
    mdb_r_init(&r);
    mdb_r_u64(&r, x->first);
    mdb_r_u64(&r, x->last);
    rc = mdb_one_row(st, Q_CREDITS_SPAN, &p, &r);
    return rc < 0 ? rc : 0;
}

int mdb_credits_span(awc_store *s, const char *period, uint64_t *first, uint64_t *last)
{
    span_ctx x = { period, first, last };
    *first = *last = 0;
    return mdb_tx((mdb *)s, do_span, &x);
}

/* ---- assignment ------------------------------------------------------------------ */

/* Per credit: its assignment id, then three set-based statements per chunk
 * (the credits rewritten in place from an in-memory table, their events,
 * their split lines) and one more when a chunk replaces earlier lines. */

typedef struct assign_ctx {
    const awc_assignment *a;
    size_t n;
    const awc_actor *actor;
    awc_stage *stage;              /* NULL, or what assign_stage made of a[0..n) */
} assign_ctx;

/* States and split targets go as numbers: awc_state and awc_split_kind
 * count from 1 in the order of the ENUMs of sql/migrations (an ENUM column
 * takes its value's position), which spares the server a look-up of the
 * name for every row. */
_Static_assert(AWC_PENDING_ASSIGN == 1 && AWC_ASSIGNED == 2 && AWC_PROCESSING == 3 &&
                   AWC_PROCESSED == 4, "awc_state must follow the states' ENUM");
_Static_assert(AWC_SPLIT_CUSTOMER == 1 && AWC_SPLIT_RESELLER == 2 && AWC_SPLIT_PARTY == 3 &&
                   AWC_SPLIT_RETAINED == 4, "awc_split_kind must follow credit_splits.target");
static const enum mdb_col batch_cols[] = {
    MDB_COL_U64, MDB_COL_I64, MDB_COL_I64, MDB_COL_I64, MDB_COL_U64,
};
static const enum mdb_col event_cols[] = {
    MDB_COL_U64, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_I64, MDB_COL_I64,
    MDB_COL_U64, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
    MDB_COL_STR,
};
#define EVENT_COLS 13
static const enum mdb_col split_cols[] = {
    MDB_COL_U64, MDB_COL_I64, MDB_COL_I64, MDB_COL_STR, MDB_COL_STR,
    MDB_COL_I64, MDB_COL_I64, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR,
};

static const char *or_null(const char *s)
{
    return (s && *s) ? s : NULL;
}

/* Where a stage copies the strings of its rows, so that the thread that
 * sends them reads them packed together (the caller's lines keep each
 * string in a fixed array of its own). */
typedef struct arena {
    char *p;
    size_t len, cap;
    int full;                      /* a string did not fit */
} arena;

/* s, or its copy in t when there is a t; NULL stays NULL. */
static const char *keep(arena *t, const char *s)
{
    size_t n;
    char *d;

    if (!t || !s)
        return s;
    n = strlen(s) + 1;
    if (t->cap - t->len < n) {
        t->full = 1;
        return s;
    }
    d = t->p + t->len;
    memcpy(d, s, n);
    t->len += n;
    return d;
}

static void add_lines(mdb_batch *b, const awc_assignment *a, arena *t)
{
    for (size_t i = 0; i < a->nlines; i++) {
        const awc_split_line *l = &a->lines[i];
        mdb_batch_num(b, 0, (int64_t)a->seq);
        mdb_batch_num(b, 1, l->line_no);
        mdb_batch_num(b, 2, (int64_t)l->kind);
        mdb_batch_str(b, 3, keep(t, or_null(l->party_id)));
        mdb_batch_str(b, 4, keep(t, l->target_name));
        if (l->bp >= 0)
            mdb_batch_num(b, 5, l->bp);
        else
            mdb_batch_null(b, 5);
        mdb_batch_num(b, 6, l->amount_minor);
        mdb_batch_str(b, 7, keep(t, or_null(l->customer_id)));
        mdb_batch_str(b, 8, keep(t, or_null(l->asset_id)));
        mdb_batch_str(b, 9, keep(t, or_null(l->reseller_id)));
        mdb_batch_next_row(b);
    }
}

#define MAX_LINES_PER_CREDIT 16

int mdb_splits_write(mdb *st, uint64_t seq, const awc_split_line *l, size_t n)
{
    awc_assignment a;
    mdb_params p;
    mdb_batch b;
    int rc;

    mdb_p_init(&p);
    mdb_p_u64(&p, &seq);
    if ((rc = mdb_exec(st, Q_SPLITS_OF_DELETE, &p)) != 0 || n == 0)
        return rc;
    if ((rc = mdb_batch_init(&b, (unsigned)n, 10, split_cols)) != 0)
        return rc;
    memset(&a, 0, sizeof(a));
    a.seq = seq;
    a.lines = l;
    a.nlines = n;
    add_lines(&b, &a, NULL);
    rc = mdb_batch_exec(st, Q_SPLITS_INSERT, &b);
    mdb_batch_free(&b);
    return rc;
}

/* Kept with the store from the first assignment to mdb_close(): a caller
 * applies a large assignment a chunk per call, and making these afresh
 * for every call (2.7 MB, cleared, new pages) was about 5 % of the calling
 * thread's time in assignment. */
struct mdb_chunk_bufs {
    mdb_batch credits, events, lines;
    mdb_asg *values;               /* BATCH_ROWS */
    uint64_t *ids;                 /* BATCH_ROWS: the values' ids */
};
typedef struct mdb_chunk_bufs chunk_bufs;

static mdb_asg value_of(const awc_assignment *a)
{
    mdb_asg v = { a->owner_account_id, a->customer_id, a->asset_id, a->reseller_id,
                  a->rule_id, a->flag };
    return v;
}

static void add_credit(mdb_batch *b, const awc_assignment *a, uint64_t id)
{
    mdb_batch_num(b, 0, (int64_t)a->seq);
    mdb_batch_num(b, 1, a->expect_version);
    mdb_batch_num(b, 2, (int64_t)a->from);
    mdb_batch_num(b, 3, (int64_t)a->to);
    mdb_batch_num(b, 4, (int64_t)id);
    mdb_batch_next_row(b);
}

#define EVENT_ASG_COL 6

/* The event of one assignment, whose value has id (a stage sets it later). */
static void add_event(mdb_batch *b, const awc_assignment *a, uint64_t id,
                      const awc_actor *actor, arena *t)
{
    mdb_batch_num(b, 0, (int64_t)a->seq);
    mdb_batch_str(b, 1, awc_event_name(a->kind));
    mdb_batch_str(b, 2, awc_state_name(a->from));
    mdb_batch_str(b, 3, awc_state_name(a->to));
    mdb_batch_num(b, 4, a->expect_version);
    mdb_batch_num(b, 5, a->expect_version + 1);
    mdb_batch_num(b, EVENT_ASG_COL, (int64_t)id);
    mdb_batch_actor(b, 7, actor);  /* 7 to 10 */
    mdb_batch_str(b, 11, keep(t, or_null(a->note)));
    mdb_batch_str(b, 12, keep(t, or_null(a->detail)));
    mdb_batch_next_row(b);
}

/* ---- stages ---------------------------------------------------------------------- */

/* A chunk's events and split lines, bound ahead on the caller's other
 * thread, so that the thread that sends them has Connector/C pack them and
 * nothing more (store.h, assign_stage).  Each event's assignment id is set
 * when the chunk is applied, since a new value gets its id then. */
#define STAGE_TEXT (2u << 20) /* a chunk of the benchmark needs 0.3 MB */
struct awc_stage {
    mdb_batch events, lines;
    arena text;                    /* the strings they point to */
    size_t n;                      /* assignments staged */
    uint64_t first, last;          /* their first and last credit */
    const awc_actor *actor;
    int ok;                        /* the batches stand for a[0..n) */
};

awc_stage *mdb_stage_new(awc_store *s)
{
    awc_stage *g = awc_calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    if (mdb_batch_init(&g->events, BATCH_ROWS, EVENT_COLS, event_cols) != 0 ||
        mdb_batch_init(&g->lines, BATCH_ROWS * MAX_LINES_PER_CREDIT, 10, split_cols) != 0 ||
        !(g->text.p = awc_malloc(STAGE_TEXT))) {
        mdb_stage_free(s, g);
        return NULL;
    }
    g->text.cap = STAGE_TEXT;
    return g;
}

void mdb_stage_free(awc_store *s, awc_stage *g)
{
    (void)s;
    if (!g)
        return;
    mdb_batch_free(&g->events);
    mdb_batch_free(&g->lines);
    awc_free(g->text.p);
    awc_free(g);
}

/* Reads nothing of s and allocates nothing (store.h). */
void mdb_assign_stage(awc_store *s, awc_stage *g, const awc_assignment *a, size_t n,
                      const awc_actor *actor)
{
    (void)s;
    g->ok = 0;
    g->n = n;
    g->first = n ? a[0].seq : 0;
    g->last = n ? a[n - 1].seq : 0;
    g->actor = actor;
    g->events.n = g->lines.n = 0;
    g->text.len = 0;
    g->text.full = 0;
    if (n > BATCH_ROWS)
        return;
    for (size_t i = 0; i < n; i++) {
        if (a[i].nlines > MAX_LINES_PER_CREDIT)
            return; /* apply_chunk refuses it */
        add_event(&g->events, &a[i], 0, actor, &g->text);
        add_lines(&g->lines, &a[i], &g->text);
    }
    g->ok = !g->text.full;
}

/* A stage's batch is sent again by a retried attempt: its rows stay. */
static int exec_kept(mdb *st, enum mdb_sql q, mdb_batch *b)
{
    unsigned n = b->n;
    int rc = mdb_batch_exec(st, q, b);
    b->n = n;
    return rc;
}

/* One chunk of at most BATCH_ROWS assignments, set-based; g, when not
 * NULL, holds its events and lines. */
static int apply_chunk(mdb *st, const awc_assignment *a, size_t n, const awc_actor *actor,
                       chunk_bufs *cb, awc_stage *g)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    int replaces = 0, rc;
    mdb_params p;

    for (size_t i = 0; i < n; i++) {
        if (a[i].nlines > MAX_LINES_PER_CREDIT)
            return awc_error_set(AWC_EBADINPUT, "at most %d split lines per credit",
                                 MAX_LINES_PER_CREDIT);
        cb->values[i] = value_of(&a[i]);
    }
    /* the chunk's new values in one statement, not one each */
    if ((rc = mdb_asg_ids(st, cb->values, n, cb->ids)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        add_credit(&cb->credits, &a[i], cb->ids[i]);
        if (g) {
            mdb_batch_set_num(&g->events, (unsigned)i, EVENT_ASG_COL, (int64_t)cb->ids[i]);
        } else {
            add_event(&cb->events, &a[i], cb->ids[i], actor, NULL);
            add_lines(&cb->lines, &a[i], NULL);
        }
        replaces |= a[i].from != AWC_PENDING_ASSIGN;
        lo = a[i].seq < lo ? a[i].seq : lo;
        hi = a[i].seq > hi ? a[i].seq : hi;
    }
    if ((rc = mdb_exec(st, Q_ATMP_CLEAR, NULL)) != 0 ||
        (rc = mdb_batch_exec(st, Q_ATMP_INSERT, &cb->credits)) != 0)
        return rc;
    /* every credit still at the state and version the caller saw, or none */
    mdb_p_init(&p);
    mdb_p_u64(&p, &lo);
    mdb_p_u64(&p, &hi);
    if ((rc = mdb_exec(st, Q_ATMP_UPDATE, &p)) != 0)
        return rc;
    if (mdb_affected(st, Q_ATMP_UPDATE) != n)
        return awc_error_set(AWC_ECONFLICT, "a credit changed during the assignment");
    if ((rc = g ? exec_kept(st, Q_ASSIGN_EVENT, &g->events)
                : mdb_batch_exec(st, Q_ASSIGN_EVENT, &cb->events)) != 0)
        return rc;
    if (replaces && (rc = mdb_exec(st, Q_ATMP_SPLITS_DELETE, NULL)) != 0)
        return rc;
    if (g)
        return g->lines.n ? exec_kept(st, Q_SPLITS_INSERT, &g->lines) : 0;
    return cb->lines.n ? mdb_batch_exec(st, Q_SPLITS_INSERT, &cb->lines) : 0;
}

static chunk_bufs *chunk_bufs_get(mdb *st)
{
    chunk_bufs *cb = st->chunks;

    if (cb)
        return cb;
    if (!(cb = awc_calloc(1, sizeof(*cb))))
        return NULL;
    if (mdb_batch_init(&cb->credits, BATCH_ROWS, 5, batch_cols) != 0 ||
        mdb_batch_init(&cb->events, BATCH_ROWS, EVENT_COLS, event_cols) != 0 ||
        mdb_batch_init(&cb->lines, BATCH_ROWS * MAX_LINES_PER_CREDIT, 10, split_cols) != 0 ||
        !(cb->values = awc_calloc(BATCH_ROWS, sizeof(*cb->values))) ||
        !(cb->ids = awc_calloc(BATCH_ROWS, sizeof(*cb->ids)))) {
        st->chunks = cb;
        mdb_chunk_bufs_free(st);
        return NULL;
    }
    return st->chunks = cb;
}

void mdb_chunk_bufs_free(mdb *st)
{
    chunk_bufs *cb = st->chunks;

    if (!cb)
        return;
    mdb_batch_free(&cb->credits);
    mdb_batch_free(&cb->events);
    mdb_batch_free(&cb->lines);
    awc_free(cb->values);
    awc_free(cb->ids);
    awc_free(cb);
    st->chunks = NULL;
}

static int do_assign(mdb *st, void *arg)
{
    assign_ctx *x = arg;
    awc_stage *g;
    chunk_bufs *cb;
    int rc;

    /* The events and split lines below are written only after the UPDATE
     * found every one of their credits, which this transaction then holds
     * locked: their foreign keys are proven, so the server need not look
     * each parent up again. */
    if ((rc = mdb_query(st, "SET SESSION foreign_key_checks = 0")) != 0)
        return rc;
    /* many credits: one read of every value beats a look-up per value */
    if (x->n >= PRELOAD_MIN && (rc = mdb_asg_preload(st)) != 0)
        goto out;
    if ((rc = mdb_exec(st, Q_ATMP_CREATE, NULL)) != 0)
        goto out;
    if (!(cb = chunk_bufs_get(st))) {
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
        goto out;
    }
    /* a retried attempt starts from empty batches */
    cb->credits.n = cb->events.n = cb->lines.n = 0;
    /* a stage holds one chunk at most (mdb_assign_stage), and must be of
     * these assignments: else they are bound here */
    g = x->stage;
    if (g && !(g->ok && g->n == x->n && g->first == x->a[0].seq &&
               g->last == x->a[x->n - 1].seq && g->actor == x->actor))
        g = NULL;
    for (size_t at = 0; at < x->n && rc == 0; at += BATCH_ROWS) {
        size_t k = x->n - at < BATCH_ROWS ? x->n - at : BATCH_ROWS;
        rc = apply_chunk(st, x->a + at, k, x->actor, cb, g);
    }
out:
    if (st->conn && mdb_query(st, "SET SESSION foreign_key_checks = 1") != 0 && rc == 0)
        rc = AWC_EDB;
    return rc;
}

/* The ids of the assignments' values, new values added: a unit of its own
 * ahead of a large assignment's.  The new values are then committed within
 * milliseconds, so that another connection assigning at the same time,
 * which needs some of the same values, waits for this short unit rather
 * than for the assignment's.  A value whose credits then fail to be
 * written stays unused: values never change. */
static int do_values(mdb *st, void *arg)
{
    assign_ctx *x = arg;
    chunk_bufs *cb = chunk_bufs_get(st);
    int rc;

    if (!cb)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = mdb_asg_preload(st)) != 0)
        return rc;
    for (size_t at = 0; at < x->n && rc == 0; at += BATCH_ROWS) {
        size_t k = x->n - at < BATCH_ROWS ? x->n - at : BATCH_ROWS;
        for (size_t i = 0; i < k; i++)
            cb->values[i] = value_of(&x->a[at + i]);
        rc = mdb_asg_ids(st, cb->values, k, cb->ids);
    }
    return rc;
}

int mdb_assign_apply(awc_store *s, const awc_assignment *a, size_t n, const awc_actor *actor,
                     awc_stage *stage)
{
    mdb *st = (mdb *)s;
    assign_ctx x = { a, n, actor, stage };
    int rc;

    if (!n)
        return 0;
    if (!st->in_tx && n >= PRELOAD_MIN && (rc = mdb_tx(st, do_values, &x)) != 0)
        return rc;
    return mdb_tx(st, do_assign, &x);
}

/* ---- split lines ----------------------------------------------------------------- */

typedef struct splits_ctx {
    uint64_t seq;
    int (*fn)(void *, const awc_split_line *);
    void *arg;
    uint64_t delivered;
} splits_ctx;

static int kind_from_name(const char *s)
{
    if (strcmp(s, "customer") == 0)
        return AWC_SPLIT_CUSTOMER;
    if (strcmp(s, "reseller") == 0)
        return AWC_SPLIT_RESELLER;
    if (strcmp(s, "party") == 0)
        return AWC_SPLIT_PARTY;
    return AWC_SPLIT_RETAINED;
}

static int do_splits(mdb *st, void *arg)
{
    splits_ctx *x = arg;
    awc_split_line l;
    int64_t line = 0, bp = 0;
    char kind[16];
    uint64_t row = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    memset(&l, 0, sizeof(l));
    mdb_p_init(&p);
    mdb_p_u64(&p, &x->seq);
    if ((rc = mdb_exec(st, Q_SPLITS_OF, &p)) == 0) {
        mdb_r_init(&r);
        mdb_r_i64(&r, &line);
        mdb_r_str(&r, kind, sizeof(kind));
        mdb_r_str(&r, l.party_id, sizeof(l.party_id));
        mdb_r_str(&r, l.target_name, sizeof(l.target_name));
        mdb_r_i64(&r, &bp);
        mdb_r_i64(&r, &l.amount_minor);
        mdb_r_str(&r, l.customer_id, sizeof(l.customer_id));
        mdb_r_str(&r, l.asset_id, sizeof(l.asset_id));
        mdb_r_str(&r, l.reseller_id, sizeof(l.reseller_id));
        mdb_r_str(&r, l.record_id, sizeof(l.record_id));
        rc = mdb_bind_result(st, Q_SPLITS_OF, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_SPLITS_OF, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue;
        x->delivered++;
        l.line_no = (int)line;
        l.kind = (awc_split_kind)kind_from_name(kind);
        l.bp = r.nul[4] ? -1 : (int32_t)bp;
        if ((rc = x->fn(x->arg, &l)) != 0)
            break;
    }
    mdb_done(st, Q_SPLITS_OF);
    return rc < 0 ? rc : 0;
}

int mdb_splits_of(awc_store *s, uint64_t seq, int (*fn)(void *, const awc_split_line *),
                  void *arg)
{
    splits_ctx x = { seq, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_splits, &x);
}

/* ---- periods ---------------------------------------------------------------------- */

typedef struct period_ctx {
    const char *period;
    int *closed;
    char *by, *at;
    size_t bysz, atsz;
    const awc_actor *actor;
} period_ctx;

static int do_period_get(mdb *st, void *arg)
{
    period_ctx *x = arg;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->period);
    mdb_r_init(&r);
    mdb_r_str(&r, x->by, x->bysz);
    mdb_r_str(&r, x->at, x->atsz);
    rc = mdb_one_row(st, Q_PERIOD_GET, &p, &r);
    if (rc < 0)
        return rc;
    *x->closed = rc;
    return 0;
}

int mdb_period_get(awc_store *s, const char *period, int *closed, char *by, size_t bysz,
                   char *at, size_t atsz)
{
    period_ctx x = { period, closed, by, at, bysz, atsz, NULL };
    by[0] = at[0] = '\0';
    *closed = 0;
    return mdb_tx((mdb *)s, do_period_get, &x);
}

/* A close or reopen of period as an event of actor (016_period_events). */
static int period_event(mdb *st, const char *period, const char *kind, const char *reason,
                        const awc_actor *actor)
{
    mdb_params p;

    mdb_p_init(&p);
    mdb_p_str(&p, period);
    mdb_p_str(&p, kind);
    mdb_p_str(&p, reason);
    mdb_p_actor(&p, actor);
    return mdb_exec(st, Q_PERIOD_EVENT, &p);
}

static int do_period_close(mdb *st, void *arg)
{
    period_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->period);
    mdb_p_str(&p, x->actor->id ? x->actor->id : "");
    if ((rc = mdb_exec(st, Q_PERIOD_CLOSE, &p)) != 0)
        return rc;
    /* INSERT IGNORE: a period closed already gets no second event */
    return mdb_affected(st, Q_PERIOD_CLOSE) ? period_event(st, x->period, "close", NULL, x->actor)
                                            : 0;
}

typedef struct reopen_ctx {
    const char *period, *reason;
    const awc_actor *actor;
} reopen_ctx;

static int do_period_reopen(mdb *st, void *arg)
{
    reopen_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->period);
    if ((rc = mdb_exec(st, Q_PERIOD_REOPEN, &p)) != 0)
        return rc;
    if (mdb_affected(st, Q_PERIOD_REOPEN) == 0)
        return awc_error_set(AWC_EINVALID_TRANSITION, "reopen: period %s is not closed",
                             x->period);
    return period_event(st, x->period, "reopen", x->reason, x->actor);
}

int mdb_period_reopen(awc_store *s, const char *period, const char *reason,
                      const awc_actor *actor)
{
    reopen_ctx x = { period, reason, actor };
    return mdb_tx((mdb *)s, do_period_reopen, &x);
}

int mdb_period_close(awc_store *s, const char *period, const awc_actor *actor)
{
    period_ctx x = { period, NULL, NULL, NULL, 0, 0, actor };
    return mdb_tx((mdb *)s, do_period_close, &x);
}

/* Every period with its credits counted by state, and whether it is
 * closed (SPEC 15, the distributor's periods view). */
typedef struct periods_ctx {
    int (*fn)(void *, const awc_period_row *);
    void *arg;
    uint64_t delivered;
} periods_ctx;

static int do_periods(mdb *st, void *arg)
{
    periods_ctx *x = arg;
    awc_period_row row;
    uint64_t n = 0;
    mdb_result r;
    int rc;

    memset(&row, 0, sizeof(row));
    if ((rc = mdb_exec(st, Q_PERIODS, NULL)) == 0) {
        mdb_r_init(&r);
        mdb_r_str(&r, row.period, sizeof(row.period));
        for (int i = 0; i < 4; i++)
            mdb_r_i64(&r, &row.counts[i]);
        mdb_r_str(&r, row.closed_by, sizeof(row.closed_by));
        mdb_r_str(&r, row.closed_at, sizeof(row.closed_at));
        rc = mdb_bind_result(st, Q_PERIODS, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_PERIODS, &r)) == 1) {
        rc = 0;
        if (n++ < x->delivered)
            continue;
        x->delivered++;
        row.closed = row.closed_at[0] != '\0';
        if ((rc = x->fn(x->arg, &row)) != 0)
            break;
    }
    mdb_done(st, Q_PERIODS);
    return rc < 0 ? rc : 0;
}

int mdb_periods_each(awc_store *s, int (*fn)(void *, const awc_period_row *), void *arg)
{
    periods_ctx x = { fn, arg, 0 };
    return mdb_tx((mdb *)s, do_periods, &x);
}
