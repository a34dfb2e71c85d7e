/*
 * split.h -- exact split of an invoiceable amount among targets (SPEC 4, 7).
 *
 * Amounts are in minor units of one currency.  Percentages are basis points
 * of a percent with two decimals: 10000 = 100.00 %, 3333 = 33.33 %.
 * The largest-remainder method works on the absolute amount: every target
 * gets floor(|total| * bp / 10000) and the units left over go one each to
 * the largest remainders, ties to the earlier target; the retained part is
 * an implicit last target holding 10000 - sum(bp).  So always
 *     sum(shares) + retained == total,  |share| <= |total|,
 * and every share has the sign of the total (or is zero).
 */
#ifndef AWC_SPLIT_H
#define AWC_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#define AWC_BP_FULL 10000

/* Parse "80", "12.5", "33.33" into basis points; more than two decimals,
 * a negative value or more than 100 is AWC_EBADINPUT. */
int awc_percent_parse(int32_t *out, const char *s, size_t len);
/* Print basis points as "33.33" / "80" (trailing zeros dropped). */
int awc_percent_format(char *buf, size_t n, int32_t bp);

/* Split total (minor units) by bp[0..n-1] into shares[0..n-1] and
 * *retained.  AWC_EBADINPUT when a bp is outside 0..10000 or their sum
 * exceeds 10000; nothing is written then. */
int awc_split_percent(int64_t *shares, int64_t *retained, int64_t total,
                      const int32_t *bp, size_t n);

/* Check fixed amounts against total: each must have the total's sign (or
 * be zero) and their absolute sum must not exceed |total|.  Writes the
 * retained rest.  AWC_EBADINPUT with a message naming the index otherwise. */
int awc_split_fixed(int64_t *retained, int64_t total, const int64_t *amounts, size_t n);

/* Split total in proportion to weights[0..n) (their absolute values), by
 * the largest-remainder method, ties to the earlier line; when every weight
 * is zero the last line takes the total.  sum(shares) == total exactly;
 * every share has the total's sign or is zero.  Used to keep the
 * proportions of a split when a credit's amount is restated.
 * AWC_EBADINPUT when n is 0 or more than AWC_SPLIT_WEIGHTS_MAX. */
#define AWC_SPLIT_WEIGHTS_MAX 64
int awc_split_weighted(int64_t *shares, int64_t total, const int64_t *weights, size_t n);

#endif /* AWC_SPLIT_H */
