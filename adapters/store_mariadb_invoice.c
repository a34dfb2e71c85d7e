/*
 * store_mariadb_invoice.c -- the invoicing outbox and the run journal.
 *
 * A usage file is first written here (prepared) with its external id and
 * records, and its credits are marked so that nobody edits them meanwhile;
 * only when the platform has the file are its ids recorded and its credits
 * moved to PROCESSING, in one transaction with their events.  Settling a
 * file (closed / rejected) moves all its credits at once, again with events.
 */
#include <stdio.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

#define BATCH_ROWS 1000

static const char *const ob_status_names[] = {
    [AWC_OB_PREPARED] = "prepared", [AWC_OB_SENDING] = "sending", [AWC_OB_SENT] = "sent",
    [AWC_OB_ACCEPTED] = "accepted", [AWC_OB_CLOSED] = "closed", [AWC_OB_REJECTED] = "rejected",
};

static int ob_status_parse(const char *s)
{
    for (int i = AWC_OB_PREPARED; i <= AWC_OB_REJECTED; i++)
        if (strcmp(s, ob_status_names[i]) == 0)
            return i;
    return 0;
}

/* ---- lines to invoice --------------------------------------------------------- */

typedef struct lines_ctx {
    const char *period;
    int (*fn)(void *, const awc_invoice_line *);
    void *arg;
} lines_ctx;

static int do_lines(mdb *st, void *arg)
{
    lines_ctx *x = arg;
    char kind[16], reseller[AWC_CODE_MAX * 4 + 1], currency[4];
    char customer[AWC_CODE_MAX * 4 + 1], asset[AWC_CODE_MAX * 4 + 1];
    awc_invoice_line l;
    int64_t line_no = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    memset(&l, 0, sizeof(l));
    mdb_p_init(&p);
    mdb_p_str(&p, x->period);
    if ((rc = mdb_exec(st, Q_INV_LOCK, &p)) != 0)
        return rc;
    mdb_done(st, Q_INV_LOCK);
    if ((rc = mdb_exec(st, Q_INV_LINES, &p)) != 0)
        return rc;
    mdb_r_init(&r);
    mdb_r_u64(&r, &l.seq);
    mdb_r_i64(&r, &line_no);
    mdb_r_str(&r, kind, sizeof(kind));
    mdb_r_i64(&r, &l.amount_minor);
    mdb_r_str(&r, reseller, sizeof(reseller));
    mdb_r_str(&r, currency, sizeof(currency));
    mdb_r_str(&r, customer, sizeof(customer));
    mdb_r_str(&r, asset, sizeof(asset));
    if ((rc = mdb_bind_result(st, Q_INV_LINES, &r)) != 0)
        return rc;
    /* buffered: the callback writes outbox files as each group ends */
    if (mysql_stmt_store_result(st->stmt[Q_INV_LINES]))
        return mdb_stmt_fail(st, st->stmt[Q_INV_LINES], "store result");
    while ((rc = mdb_fetch(st, Q_INV_LINES, &r)) == 1) {
        l.line_no = (int)line_no;
        l.kind = strcmp(kind, "customer") == 0 ? AWC_SPLIT_CUSTOMER
               : strcmp(kind, "reseller") == 0 ? AWC_SPLIT_RESELLER
               : strcmp(kind, "party") == 0 ? AWC_SPLIT_PARTY : AWC_SPLIT_RETAINED;
        l.reseller_id = reseller;
        l.currency = currency;
        l.customer_id = customer;
        l.asset_id = asset;
        l.period = x->period;
        if ((rc = x->fn(x->arg, &l)) != 0)
            break;
    }
    mdb_done(st, Q_INV_LINES);
    return rc;
}

int mdb_invoice_lines(awc_store *s, const char *period,
                      int (*fn)(void *, const awc_invoice_line *), void *arg)
{
    lines_ctx x = { period, fn, arg };
    return mdb_tx((mdb *)s, do_lines, &x);
}

/* ---- outbox files --------------------------------------------------------------- */

typedef struct create_ctx {
    awc_outbox_file *f;
    const awc_invoice_line *lines;
    size_t n;
    const uint64_t *seqs;
    size_t nseqs;
} create_ctx;

static const enum mdb_col rec_cols[] = {
    MDB_COL_U64, MDB_COL_I64, MDB_COL_U64, MDB_COL_I64, MDB_COL_I64,
};
static const enum mdb_col mark_cols[] = { MDB_COL_U64, MDB_COL_U64 };

static int count_files(mdb *st, awc_outbox_file *f, int64_t *out)
{
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, f->period);
    mdb_p_str(&p, f->reseller_id);
    mdb_p_str(&p, f->currency);
    mdb_r_init(&r);
    mdb_r_i64(&r, out);
    rc = mdb_one_row(st, Q_OB_FILE_COUNT, &p, &r);
    return rc < 0 ? rc : 0;
}

static int do_create(mdb *st, void *arg)
{
    create_ctx *x = arg;
    awc_outbox_file *f = x->f;
    char external[160];
    int64_t count = 0, records = (int64_t)x->n;
    mdb_batch b;
    mdb_params p;
    int rc;

    /* the stem comes from the module; the number makes a re-invoice after a
     * rejection a new file, and is the same on every retry of this unit */
    if ((rc = count_files(st, f, &count)) != 0)
        return rc;
    snprintf(external, sizeof(external), "%s:%lld", f->external_id, (long long)count + 1);
    if (strlen(external) >= sizeof(f->external_id))
        return awc_error_set(AWC_ERROR, "usage file external id too long");
    mdb_p_init(&p);
    mdb_p_str(&p, external);
    mdb_p_str(&p, f->period);
    mdb_p_str(&p, f->reseller_id);
    mdb_p_str(&p, f->currency);
    mdb_p_str(&p, f->adapter);
    mdb_p_i64(&p, &records);
    if ((rc = mdb_exec(st, Q_OB_FILE_INSERT, &p)) != 0)
        return rc;
    f->local_id = (uint64_t)mysql_stmt_insert_id(st->stmt[Q_OB_FILE_INSERT]);
    if ((rc = mdb_batch_init(&b, BATCH_ROWS, 5, rec_cols)) != 0)
        return rc;
    for (size_t i = 0; i < x->n && rc == 0; i++) {
        mdb_batch_num(&b, 0, (int64_t)f->local_id);
        mdb_batch_num(&b, 1, (int64_t)i + 1);
        mdb_batch_num(&b, 2, (int64_t)x->lines[i].seq);
        mdb_batch_num(&b, 3, x->lines[i].line_no);
        mdb_batch_num(&b, 4, x->lines[i].amount_minor);
        mdb_batch_next_row(&b);
        if (b.n == BATCH_ROWS || i + 1 == x->n)
            rc = mdb_batch_exec(st, Q_OB_REC_INSERT, &b);
    }
    mdb_batch_free(&b);
    if (rc != 0)
        return rc;
    if ((rc = mdb_batch_init(&b, BATCH_ROWS, 2, mark_cols)) != 0)
        return rc;
    for (size_t i = 0; i < x->nseqs && rc == 0; i++) {
        mdb_batch_num(&b, 0, (int64_t)f->local_id);
        mdb_batch_num(&b, 1, (int64_t)x->seqs[i]);
        mdb_batch_next_row(&b);
        if (b.n == BATCH_ROWS || i + 1 == x->nseqs)
            rc = mdb_batch_exec(st, Q_OB_MARK, &b);
    }
    if (rc == 0 && b.affected != x->nseqs)
        rc = awc_error_set(AWC_ECONFLICT, "a credit changed while its usage file was prepared");
    mdb_batch_free(&b);
    if (rc == 0) {
        memcpy(f->external_id, external, strlen(external) + 1);
        f->status = AWC_OB_PREPARED;
        f->record_count = records;
    }
    return rc;
}

int mdb_outbox_create(awc_store *s, awc_outbox_file *f, const awc_invoice_line *lines, size_t n,
                      const uint64_t *seqs, size_t nseqs)
{
    char stem[sizeof(f->external_id)];
    create_ctx x = { f, lines, n, seqs, nseqs };
    int rc;

    memcpy(stem, f->external_id, sizeof(stem));
    rc = mdb_tx((mdb *)s, do_create, &x);
    if (rc != 0)
        memcpy(f->external_id, stem, sizeof(stem));
    return rc;
}

typedef struct files_ctx {
    const char *period;
    unsigned mask;
    int (*fn)(void *, const awc_outbox_file *);
    void *arg;
    awc_outbox_file *list;
    size_t n, cap;
} files_ctx;

static int do_files(mdb *st, void *arg)
{
    files_ctx *x = arg;
    awc_outbox_file f, *l;
    char status[16];
    mdb_params p;
    mdb_result r;
    int rc;

    x->n = 0;
    memset(&f, 0, sizeof(f));
    mdb_p_init(&p);
    mdb_p_str(&p, x->period);
    mdb_p_str(&p, x->period);
    if ((rc = mdb_exec(st, Q_OB_FILES, &p)) != 0)
        return rc;
    mdb_r_init(&r);
    mdb_r_u64(&r, &f.local_id);
    mdb_r_str(&r, f.external_id, sizeof(f.external_id));
    mdb_r_str(&r, f.usage_file_id, sizeof(f.usage_file_id));
    mdb_r_str(&r, f.period, sizeof(f.period));
    mdb_r_str(&r, f.reseller_id, sizeof(f.reseller_id));
    mdb_r_str(&r, f.currency, sizeof(f.currency));
    mdb_r_str(&r, f.adapter, sizeof(f.adapter));
    mdb_r_str(&r, status, sizeof(status));
    mdb_r_i64(&r, &f.record_count);
    if ((rc = mdb_bind_result(st, Q_OB_FILES, &r)) != 0)
        return rc;
    while ((rc = mdb_fetch(st, Q_OB_FILES, &r)) == 1) {
        rc = 0;
        f.status = (awc_outbox_status)ob_status_parse(status);
        if (!(x->mask & (1u << f.status)))
            continue;
        if (!(l = awc_grow(x->list, &x->cap, x->n, sizeof(*l), 16))) {
            rc = AWC_ENOMEM;
            break;
        }
        x->list = l;
        x->list[x->n++] = f;
    }
    mdb_done(st, Q_OB_FILES);
    return rc < 0 ? rc : 0;
}

int mdb_outbox_files(awc_store *s, const char *period, unsigned mask,
                     int (*fn)(void *, const awc_outbox_file *), void *arg)
{
    files_ctx x = { period, mask, fn, arg, NULL, 0, 0 };
    int rc = mdb_tx((mdb *)s, do_files, &x);

    /* the callback runs after the unit: it may call other store operations */
    for (size_t i = 0; rc == 0 && i < x.n; i++)
        rc = fn(arg, &x.list[i]);
    awc_free(x.list);
    return rc;
}

typedef struct records_ctx {
    uint64_t local_id;
    int (*fn)(void *, const awc_outbox_record *);
    void *arg;
    uint64_t delivered;
} records_ctx;

static int do_records(mdb *st, void *arg)
{
    records_ctx *x = arg;
    awc_outbox_record *o = awc_calloc(1, sizeof(*o));
    int64_t position = 0, line_no = 0;
    uint64_t row = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    if (!o)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    mdb_p_init(&p);
    mdb_p_u64(&p, &x->local_id);
    if ((rc = mdb_exec(st, Q_OB_RECORDS, &p)) == 0) {
        mdb_r_init(&r);
        mdb_r_i64(&r, &position);
        mdb_r_u64(&r, &o->seq);
        mdb_r_i64(&r, &line_no);
        mdb_r_i64(&r, &o->amount_minor);
        mdb_r_str(&r, o->customer_id, sizeof(o->customer_id));
        mdb_r_str(&r, o->asset_id, sizeof(o->asset_id));
        mdb_r_str(&r, o->description, sizeof(o->description));
        mdb_r_str(&r, o->record_id, sizeof(o->record_id));
        mdb_r_str(&r, o->target, sizeof(o->target));
        rc = mdb_bind_result(st, Q_OB_RECORDS, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_OB_RECORDS, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue;
        x->delivered++;
        o->position = (int)position;
        o->line_no = (int)line_no;
        if ((rc = x->fn(x->arg, o)) != 0)
            break;
    }
    mdb_done(st, Q_OB_RECORDS);
    awc_free(o);
    return rc < 0 ? rc : 0;
}

int mdb_outbox_records(awc_store *s, uint64_t local_id,
                       int (*fn)(void *, const awc_outbox_record *), void *arg)
{
    records_ctx x = { local_id, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_records, &x);
}

typedef struct status_ctx {
    uint64_t local_id;
    awc_outbox_status status;
    const char *note;
} status_ctx;

static int do_set_status(mdb *st, void *arg)
{
    status_ctx *x = arg;
    mdb_params p;

    mdb_p_init(&p);
    mdb_p_str(&p, ob_status_names[x->status]);
    mdb_p_str(&p, x->note);
    mdb_p_u64(&p, &x->local_id);
    return mdb_exec(st, Q_OB_SET_STATUS, &p);
}

int mdb_outbox_set_status(awc_store *s, uint64_t local_id, awc_outbox_status status,
                          const char *note)
{
    status_ctx x = { local_id, status, note };
    return mdb_tx((mdb *)s, do_set_status, &x);
}

/* ---- confirm and settle --------------------------------------------------------------- */

typedef struct confirm_ctx {
    uint64_t local_id;
    const char *usage_file_id;
    const char *const *ids;
    size_t n;
    const awc_actor *actor;
    const char *note;
} confirm_ctx;

static const enum mdb_col setid_cols[] = { MDB_COL_STR, MDB_COL_U64, MDB_COL_I64 };

static void bind_actor_note(mdb_params *p, const awc_actor *a, const char *note)
{
    mdb_p_actor(p, a);
    mdb_p_str(p, note);
}

static int do_confirm(mdb *st, void *arg)
{
    confirm_ctx *x = arg;
    char note[160];
    mdb_params p;
    mdb_batch b;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->usage_file_id);
    mdb_p_u64(&p, &x->local_id);
    if ((rc = mdb_exec(st, Q_OB_CONFIRM_FILE, &p)) != 0)
        return rc;
    if ((rc = mdb_batch_init(&b, BATCH_ROWS, 3, setid_cols)) != 0)
        return rc;
    for (size_t i = 0; i < x->n && rc == 0; i++) {
        mdb_batch_str(&b, 0, x->ids[i]);
        mdb_batch_num(&b, 1, (int64_t)x->local_id);
        mdb_batch_num(&b, 2, (int64_t)i + 1);
        mdb_batch_next_row(&b);
        if (b.n == BATCH_ROWS || i + 1 == x->n)
            rc = mdb_batch_exec(st, Q_OB_REC_SET_ID, &b);
    }
    mdb_batch_free(&b);
    if (rc != 0)
        return rc;
    mdb_p_init(&p);
    mdb_p_u64(&p, &x->local_id);
    if ((rc = mdb_exec(st, Q_OB_SPLIT_SET_ID, &p)) != 0)
        return rc;
    snprintf(note, sizeof(note), "usage file %s", x->usage_file_id);
    mdb_p_init(&p);
    bind_actor_note(&p, x->actor, note);
    mdb_p_u64(&p, &x->local_id);
    if ((rc = mdb_exec(st, Q_OB_COLLECT_EVENTS, &p)) != 0)
        return rc;
    mdb_p_init(&p);
    mdb_p_str(&p, x->usage_file_id);
    mdb_p_u64(&p, &x->local_id);
    return mdb_exec(st, Q_OB_COLLECT, &p);
}

int mdb_outbox_confirm(awc_store *s, uint64_t local_id, const char *usage_file_id,
                       const char *const *record_ids, size_t n, const awc_actor *actor)
{
    confirm_ctx x = { local_id, usage_file_id, record_ids, n, actor, NULL };
    return mdb_tx((mdb *)s, do_confirm, &x);
}

typedef struct settle_ctx {
    uint64_t local_id;
    awc_outbox_status status;
    const char *note;
    const awc_actor *actor;
} settle_ctx;

static int do_settle(mdb *st, void *arg)
{
    settle_ctx *x = arg;
    int closing = x->status == AWC_OB_CLOSED;
    char note[AWC_NOTE_MAX];
    mdb_params p;
    int rc;

    snprintf(note, sizeof(note), "%s%s%s", closing ? "invoiced" : "usage file rejected",
             x->note && *x->note ? ": " : "", x->note ? x->note : "");
    mdb_p_init(&p);
    bind_actor_note(&p, x->actor, note);
    mdb_p_u64(&p, &x->local_id);
    if ((rc = mdb_exec(st, closing ? Q_OB_CLOSE_EVENTS : Q_OB_REJECT_EVENTS, &p)) != 0)
        return rc;
    if (!closing) {
        mdb_p_init(&p);
        mdb_p_u64(&p, &x->local_id);
        if ((rc = mdb_exec(st, Q_OB_REJECT_SPLITS, &p)) != 0)
            return rc;
    }
    mdb_p_init(&p);
    mdb_p_u64(&p, &x->local_id);
    if ((rc = mdb_exec(st, closing ? Q_OB_CLOSE : Q_OB_REJECT, &p)) != 0)
        return rc;
    status_ctx sx = { x->local_id, x->status, x->note };
    return do_set_status(st, &sx);
}

int mdb_outbox_settle(awc_store *s, uint64_t local_id, awc_outbox_status status,
                      const char *note, const awc_actor *actor)
{
    settle_ctx x = { local_id, status, note, actor };
    if (status != AWC_OB_CLOSED && status != AWC_OB_REJECTED)
        return awc_error_set(AWC_ERROR, "settle: closed or rejected only");
    return mdb_tx((mdb *)s, do_settle, &x);
}

/* ---- runs ---------------------------------------------------------------------------------- */

static void lock_name(char *buf, size_t n, const char *period)
{
    snprintf(buf, n, "awscredit.run.%.7s", period);
}

int mdb_run_lock(awc_store *s, const char *period, const awc_actor *actor, const char *host,
                 uint64_t *run_id)
{
    mdb *st = (mdb *)s;
    char name[64], who[AWC_CODE_MAX * 4 + 1] = "", where[256] = "", since[27] = "";
    int64_t got = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    lock_name(name, sizeof(name), period);
    rc = mdb_lock(s, name);
    if (rc != 0 && rc != AWC_ELOCKED)
        return rc;
    got = rc == 0;
    if (got != 1) {
        char holder[AWC_ERRMSG_MAX];
        snprintf(holder, sizeof(holder), "%s", awc_error_last());
        mdb_p_init(&p);
        mdb_p_str(&p, period);
        if (mdb_exec(st, Q_RUN_HOLDER, &p) == 0) {
            mdb_r_init(&r);
            mdb_r_str(&r, who, sizeof(who));
            mdb_r_str(&r, where, sizeof(where));
            mdb_r_str(&r, since, sizeof(since));
            if (mdb_bind_result(st, Q_RUN_HOLDER, &r) == 0)
                mdb_fetch(st, Q_RUN_HOLDER, &r);
            mdb_done(st, Q_RUN_HOLDER);
        }
        return awc_error_set(AWC_ELOCKED, "a run for %s is already in progress%s%s%s%s%s%.19s%s: "
                             "%s", period, who[0] ? " (started by " : "", who,
                             where[0] ? " on " : "", where, since[0] ? " at " : "", since,
                             who[0] ? " UTC)" : "", holder);
    }
    mdb_p_init(&p);
    mdb_p_str(&p, period);
    if ((rc = mdb_exec(st, Q_RUN_STALE, &p)) != 0)
        return rc;
    mdb_p_init(&p);
    mdb_p_str(&p, period);
    mdb_p_str(&p, actor->id ? actor->id : "");
    mdb_p_str(&p, host ? host : "");
    if ((rc = mdb_exec(st, Q_RUN_INSERT, &p)) != 0)
        return rc;
    *run_id = (uint64_t)mysql_stmt_insert_id(st->stmt[Q_RUN_INSERT]);
    return 0;
}

int mdb_run_step(awc_store *s, uint64_t run_id, const char *step, const char *status,
                 const char *detail)
{
    mdb *st = (mdb *)s;
    mdb_params p;

    mdb_p_init(&p);
    mdb_p_str(&p, step);
    mdb_p_str(&p, status);
    mdb_p_str(&p, detail);
    mdb_p_u64(&p, &run_id);
    return mdb_ensure(st) ? AWC_EDB : mdb_exec(st, Q_RUN_STEP, &p);
}

int mdb_run_unlock(awc_store *s, const char *period, uint64_t run_id, const char *status)
{
    mdb *st = (mdb *)s;
    char name[64];
    int64_t released = 0;
    mdb_params p;
    int rc;

    lock_name(name, sizeof(name), period);
    if ((rc = mdb_ensure(st)) != 0) {
        mdb_unlock(s, name);
        return rc;
    }
    mdb_p_init(&p);
    mdb_p_str(&p, status);
    mdb_p_u64(&p, &run_id);
    rc = mdb_exec(st, Q_RUN_FINISH, &p);
    mdb_unlock(s, name);
    (void)released;
    return rc;
}
