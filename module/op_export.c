/*
 * op_export.c -- `export [filters]`: the credits as CSV (SPEC section 10),
 * streamed from the store to the host row by row.
 *
 * The columns and their order are fixed by the SPEC; docs/EXPORT.md says
 * what each holds.  Amounts carry all 10 places; the split sums are the
 * invoiceable minor units written in the same 10-place form, empty when
 * the credit has no split lines.  Quoting, CRLF line ends and the formula
 * guard are csvout.c's.  Memory does not grow with the number of rows: the
 * store streams, and output goes through one 64 KiB buffer.
 *
 * Export is a CSV download in every format: with --json the output is the
 * same CSV (a JSON wrapper would have to hold, or escape, every row).
 * The host writes the file (-o) and replaces it only when this returns 0.
 */
#include <string.h>

#include "credit_id.h"
#include "csvout.h"
#include "mod.h"
#include "out.h"
#include "query.h"

#define PROGRESS_EVERY 10000

static const char *const columns[] = {
    "credit_id", "period", "status", "payer_account_id", "usage_account_id", "customer_id",
    "asset_id", "reseller_id", "product_code", "credit_type", "description", "amount",
    "currency", "assigned_amount", "retained_amount", "rule_id", "usage_file_id", "record_id",
    "processing_date", "issue_date", "updated_at",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

typedef struct export_ctx {
    awc_module *m;
    awc_csvout *w;
    uint64_t rows;
} export_ctx;

static int put(awc_csvout *w, const char *s)
{
    return awc_csvout_cellz(w, s);
}

static int export_row(void *arg, const awc_credit_row *r)
{
    export_ctx *x = arg;
    const awc_credit *c = &r->c;
    awc_csvout *w = x->w;
    char id[AWC_CREDIT_ID_BUFSZ], amount[AWC_MONEY_BUFSZ], assigned[AWC_MONEY_BUFSZ];
    char retained[AWC_MONEY_BUFSZ], updated[21];
    int rc;

    if ((rc = awc_credit_id_format(id, sizeof(id), x->m->cfg.ids.prefix, c->seq)) < 0 ||
        (rc = awc_money_format(amount, sizeof(amount), c->amount)) < 0 ||
        (rc = awc_row_split_amount(assigned, sizeof(assigned), r, r->assigned_minor)) < 0 ||
        (rc = awc_row_split_amount(retained, sizeof(retained), r, r->retained_minor)) < 0)
        return rc;
    awc_row_time_iso(updated, c->updated_at);

    put(w, id);
    put(w, c->period);
    put(w, awc_state_name(c->state));
    put(w, c->payer_account_id);
    put(w, c->usage_account_id);
    put(w, c->customer_id);
    put(w, c->asset_id);
    put(w, c->reseller_id);
    put(w, c->product_code);
    put(w, c->credit_type);
    put(w, c->description);
    put(w, amount);
    put(w, c->currency);
    put(w, assigned);
    put(w, retained);
    put(w, c->rule_id);
    put(w, c->usage_file_id);
    put(w, r->record_ids);
    put(w, c->processing_date);
    put(w, c->issue_date);
    put(w, updated);
    if ((rc = awc_csvout_end(w)) != 0) /* the writer's first failure, if any */
        return rc;
    if (++x->rows % PROGRESS_EVERY == 0 && x->m->host.progress)
        x->m->host.progress(x->m->host.ctx, "export", x->rows, 0);
    return 0;
}

int awc_op_export_csv(awc_module *m, const awc_call *c, const awc_filter *f)
{
    export_ctx x = { m, NULL, 0 };
    awc_store *st;
    awc_query q;
    int rc;

    awc_op_begin();
    if ((rc = awc_query_from_filter(&q, f, c->actor, m->cfg.ids.prefix)) != 0)
        return awc_op_end(c, rc);
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    if (!st->ops->credits_query)
        return awc_op_end(c, awc_error_set(AWC_ENOTSUP, "export: the store cannot query"));
    if ((rc = awc_query_amounts_check(st, &q)) != 0)
        return awc_op_end(c, rc);
    if (!(x.w = awc_malloc(sizeof(*x.w))))
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    awc_csvout_init(x.w, c);
    for (size_t i = 0; i < NCOLUMNS; i++)
        put(x.w, columns[i]);
    rc = awc_csvout_end(x.w);
    if (rc == 0)
        rc = st->ops->credits_query(st, &q, export_row, &x);
    if (rc == 0)
        rc = awc_csvout_flush(x.w);
    if (rc == 0)
        awc_mod_log(m, AWC_LOG_INFO, "export: %llu credit%s", (unsigned long long)x.rows,
                    x.rows == 1 ? "" : "s");
    awc_free(x.w);
    return awc_op_end(c, rc);
}
