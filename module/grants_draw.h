/*
 * grants_draw.h -- consumption of grants by credits (SPEC 16), pure
 * computation: no store, no output.
 *
 * The caller adds every grant (copied), calls awc_draw_ready(), then feeds
 * the negative credits in issue-date order, then credit id.  Each credit of
 * account A, key K and currency C is drawn from A's grants of key K, then
 * from A's grants of a blank key, each group in the policy's order, each
 * grant giving at most what it has left and only to a credit of one of its
 * products, issued on or after its issue date and on or before its end date;
 * what no grant covers is unmatched, per account, key and currency.
 *
 *   fifo: earliest issue date, then earliest end date, then grant_id
 *   aws:  closest end date, then fewest products, then earliest issue
 *         date, then grant_id
 * (no end date sorts after every date; a grant without an issue date takes
 * that of its first matching credit, first_use.)
 *
 * Amounts are exact: a grant's drawn total is an awc_sum of 10^-10 units.
 * Every function returns 0 or a negative awc_err with the message set.
 */
#ifndef AWC_GRANTS_DRAW_H
#define AWC_GRANTS_DRAW_H

#include "awc.h"
#include "store.h"

typedef enum awc_policy { AWC_POLICY_FIFO = 0, AWC_POLICY_AWS = 1 } awc_policy;

/* "fifo" / "aws" -> *out; AWC_EUSAGE for anything else. */
int awc_policy_parse(awc_policy *out, const char *s);
const char *awc_policy_name(awc_policy p);

/* What a grant gave to the credits issued in one month of the window. */
typedef struct awc_dmonth {
    awc_sum used;
    char month[8];                 /* "YYYY-MM" of the credits' issue date */
} awc_dmonth;

/* One grant and what consumption made of it.  Strings are owned by the set. */
typedef struct awc_dgrant {
    char *grant_id, *credit_key, *reference, *node_id, *products;
    char account_id[AWC_ACCOUNT_LEN + 1], currency[4];
    awc_amount amount;
    char issue_date[11];           /* as given, else first_use, else "" */
    char end_date[11];             /* "" = none */
    int nproducts;                 /* 0 = every product */
    int billing;
    awc_sum used;                  /* drawn by credits issued in the window */
    awc_sum drawn;                 /* drawn by every credit fed */
    awc_sum recent;                /* drawn by credits issued in the recent range */
    awc_dmonth *months;            /* window.months: used per issue month, in
                                    * month order, only months with use; their
                                    * sum is used.  Owned by the set. */
    size_t nmonths, mcap;
} awc_dgrant;

/* What the window and the forecast need of a credit's issue date:
 * [from, to] is the balance window ("" from = the beginning), [recent_from,
 * recent_to] the last three whole months before the as-of date.  months:
 * keep each grant's use per issue month (awc_dgrant.months, for a burn-down);
 * it costs 32 bytes per grant and month in which the grant was used, so it
 * is asked for only where the months are shown (balance --json). */
typedef struct awc_draw_window {
    char from[11], recent_from[11], recent_to[11];
    int months;
} awc_draw_window;

typedef struct awc_draw awc_draw;

int awc_draw_new(awc_draw **out, awc_policy policy, const awc_draw_window *w);
void awc_draw_free(awc_draw *d);
/* Copy g into the set (before awc_draw_ready). */
int awc_draw_add(awc_draw *d, const awc_grant_rec *g);
/* Order and index the grants; afterwards no grant may be added. */
int awc_draw_ready(awc_draw *d);
/* Draw one credit (amount < 0; others are ignored).  *unmatched (may be
 * NULL) = the part no grant covered, as a positive amount. */
int awc_draw_credit(awc_draw *d, const awc_draw_row *c, awc_amount *unmatched);

/* Queue one credit (amount < 0; others are ignored) to be drawn by
 * awc_draw_run(), in any order: the queue keeps ~40 bytes per credit (its
 * strings interned) and sorts it by issue date, then seq. */
int awc_draw_queue(awc_draw *d, const awc_draw_row *c);
/* Draw every queued credit in issue-date order, then seq; empties the queue. */
int awc_draw_run(awc_draw *d);

/* Call fn for every grant the credit seq draws from, with the amount it
 * takes (positive), as it is drawn (before awc_draw_run). */
void awc_draw_observe(awc_draw *d, uint64_t seq,
                      void (*fn)(void *arg, const awc_dgrant *g, awc_amount take), void *arg);

/* The grants, in grant_id order once ready. */
size_t awc_draw_count(const awc_draw *d);
awc_dgrant *awc_draw_grants(awc_draw *d);

/* Unmatched credit issued in the window, one call per account, key and
 * currency, in that order; fn returning non-zero stops (and is returned). */
int awc_draw_unmatched(const awc_draw *d,
                       int (*fn)(void *arg, const char *account, const char *key,
                                 const char *currency, awc_sum amount),
                       void *arg);

/* Status of g on date as_of ("YYYY-MM-DD") with expiring_days:
 * "EXHAUSTED", "EXPIRED", "EXPIRING" or "ACTIVE" (static text). */
const char *awc_grant_status(const awc_dgrant *g, const char *as_of, int expiring_days);

/* Whole months from as_of to end (0 when end is not after as_of). */
long awc_whole_months(const char *as_of, const char *end);

/* forecast_unused = remaining - recent / 3 * months_left, never below 0,
 * exact (rounded half away from zero at the 10th place). */
awc_sum awc_grant_forecast_unused(const awc_dgrant *g, long months_left);

/* The three whole months before as_of's month: *from = first day of
 * month-3, *to = last day of month-1. */
void awc_recent_months(const char *as_of, char from[11], char to[11]);

#endif
