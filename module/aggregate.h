/*
 * aggregate.h -- credit rows folded into credits by natural key (SPEC 5.2).
 *
 * One credit = the sum of the rows sharing (period, payer, usage account,
 * credit key, product code, currency).  Memory grows with the number of
 * distinct credits, never with the number of rows: strings are copied once
 * into an arena, and the map is an open-addressing table of indexes.
 * Sums are exact and checked (AWC_EOVERFLOW names the row).
 *
 * The drafts and their strings belong to the aggregate and live until
 * awc_agg_free(); awc_agg_items() may move after a later add.
 */
#ifndef AWC_AGGREGATE_H
#define AWC_AGGREGATE_H

#include "cur.h"
#include "store.h"

typedef struct awc_agg awc_agg;

int awc_agg_new(awc_agg **out);
void awc_agg_free(awc_agg *a);

/* Fold one row in (an awc_cur_row_fn: pass the aggregate as ctx).
 * AWC_EBADINPUT / AWC_EOVERFLOW with "file:line: ..." on a bad row. */
int awc_agg_add(void *agg, const awc_cur_row *row);

/* A row some other engine already summed (Athena): one (payer, account,
 * description, product, currency) with its amount, line count and usage
 * dates.  Rows whose descriptions share a credit key fold together. */
typedef struct awc_agg_summary {
    const char *period, *payer_account_id, *usage_account_id, *product_code, *currency;
    const char *description, *billing_entity, *legal_entity, *invoice_id;
    const char *first_usage, *last_usage;   /* YYYY-MM-DD */
    int64_t line_count;
    awc_amount amount;
    const char *source;            /* for messages, e.g. "athena" */
    unsigned long long row;
} awc_agg_summary;

int awc_agg_add_summary(awc_agg *a, const awc_agg_summary *s);

/* Fill in the derived fields (issue date = first usage - 1 day). */
int awc_agg_finish(awc_agg *a);

size_t awc_agg_count(const awc_agg *a);
awc_credit_draft *awc_agg_items(awc_agg *a);

/* The draft with this natural key (period is the aggregate's), or NULL. */
awc_credit_draft *awc_agg_find(awc_agg *a, const char *payer, const char *account,
                               const char *credit_key, const char *product,
                               const char *currency);

#endif
