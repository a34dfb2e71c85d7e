/*
 * query.h -- the filters of `list` and `export` (SPEC section 10): from
 * the host's awc_filter (strings, as typed) to the store's awc_query
 * (parsed, checked, scoped).
 *
 * Every value is checked before the store is asked anything, and a bad one
 * is refused with a message that names the option ("--min-amount: amount
 * 'abc': not a decimal number").  The actor's scope is applied here: a
 * reseller's query is always limited to its own credits (SPEC section 13),
 * whatever the filters say.
 *
 * Strings in the awc_query point into the awc_filter (or are NULL): the
 * filter must outlive the query.  Nothing is allocated.
 */
#ifndef AWC_QUERY_H
#define AWC_QUERY_H

#include "awscredit.h"
#include "store.h"

/* Fill out from f for actor a; prefix is ids.prefix (for --credit-id).
 * 0, or AWC_EUSAGE (SPEC 10: a value of the wrong shape -- empty, an
 * unknown state, credit type or sort column, a malformed period, amount,
 * account or credit ID, a negative limit, a range that ends before it
 * starts), naming the option and the values it takes; *out
 * is then unspecified.  A filter whose size field is smaller than a field
 * leaves that field unset (older hosts). */
int awc_query_from_filter(awc_query *out, const awc_filter *f, const awc_actor *a,
                          const char *prefix);

/* --min-amount and --max-amount compare amounts of one currency: when the
 * credits the other filters select are in several and q names none,
 * AWC_EUSAGE saying which; else 0 (or the store's error). */
int awc_query_amounts_check(awc_store *st, const awc_query *q);

/* The name of a sort key as --sort takes it ("id", "amount", ...). */
const char *awc_sort_name(awc_sort_key k);

/* Shared by list and export: a row's split sum (assigned_minor or
 * retained_minor) as a 10-place amount ("-8.0000000000") in buf, or "" when
 * the credit has no split lines.  Returns the length, or AWC_EBADINPUT for
 * a currency without a known minor unit, AWC_EOVERFLOW. */
int awc_row_split_amount(char *buf, size_t n, const awc_credit_row *r, int64_t minor);

/* "2026-01-31 12:34:56.123456" (the store's UTC DATETIME) as
 * "2026-01-31T12:34:56Z" into out; "" stays "". */
void awc_row_time_iso(char out[21], const char *stored);

#endif /* AWC_QUERY_H */
