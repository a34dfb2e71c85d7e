/*
 * grants.h -- credits as the AWS Billing API describes them (issued,
 * remaining, expiry), fetched for the payer accounts of a pull.
 */
#ifndef AWC_GRANTS_H
#define AWC_GRANTS_H

#include "aggregate.h"
#include "mod.h"

typedef struct awc_grants awc_grants;

/* GetCredits for every payer account of agg, from the first day of
 * period on.  *out holds the grants (possibly none). */
int awc_grants_fetch(awc_grants **out, awc_module *m, awc_agg *agg, const char *period);
void awc_grants_free(awc_grants *g);
size_t awc_grants_count(const awc_grants *g);
const awc_grant *awc_grants_items(const awc_grants *g);

#endif
