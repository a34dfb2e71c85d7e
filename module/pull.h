/*
 * pull.h -- write one period's aggregated credits to the store (SPEC 5.4).
 *
 * In one unit of work: the period's stored credits are read under lock and
 * matched by natural key; a new key becomes a PENDING_ASSIGN credit with a
 * fresh ID; an unchanged sum changes nothing; a changed sum restates the
 * credit while it may still change (PENDING_ASSIGN / ASSIGNED), and
 * otherwise becomes an adjustment credit linked to the original (never a
 * change to a PROCESSING / PROCESSED one).  A stored credit the pull did
 * not see is counted as missing and left alone.
 */
#ifndef AWC_PULL_H
#define AWC_PULL_H

#include "aggregate.h"
#include "store.h"

typedef struct awc_pull_result {
    size_t credits;                /* aggregated credits in the input */
    size_t inserted;               /* new credits */
    size_t restated;               /* sums updated in place */
    size_t adjustments;            /* adjustment credits created */
    size_t unchanged;
    size_t missing;                /* stored, but not in this input */
} awc_pull_result;

int awc_pull_apply(awc_store *st, awc_agg *agg, const char *period, const awc_actor *actor,
                   awc_pull_result *out);

#endif
