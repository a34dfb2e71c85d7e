/*
 * money.h -- exact decimal money (SPEC section 4).
 *
 * An awc_amount is a count of 10^-10 currency units in an int64_t, within
 * +/-922337203.6854775807 (AWC_AMOUNT_MAX): the range is symmetric, so that
 * every amount can be negated and a difference of two amounts of one sign
 * always fits.  INT64_MIN is never an amount.  Text is parsed and printed exactly; input
 * with more than 10 decimal places or in exponent form ("-1.25E-4") is
 * converted exactly and rounded half away from zero at the 10th place.
 * Intermediates use __int128; a result that does not fit is AWC_EOVERFLOW,
 * never a wrap.  No floating point anywhere.
 *
 * Minor units: the invoiceable amount of a credit is its amount rounded half
 * away from zero to the currency's ISO 4217 exponent (USD 2, JPY 0, BHD 3).
 */
#ifndef AWC_MONEY_H
#define AWC_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t awc_amount;

/* An exact sum of amounts, or of minor units: 2^63 additions of the largest
 * amount cannot overflow it, so sums are added with plain `+` and never
 * wrap.  Every total the program prints or stores is one. */
typedef __int128 awc_sum;

#define AWC_MONEY_SCALE 10
#define AWC_MONEY_ONE INT64_C(10000000000)
#define AWC_AMOUNT_MAX INT64_MAX
#define AWC_AMOUNT_MIN (-INT64_MAX)
/* Enough for "-922337203.6854775807" and a NUL, with room to spare. */
#define AWC_MONEY_BUFSZ 32

/* Parse len bytes of s ("-12.5", "1.25E-4", "+3").  On error returns
 * AWC_EBADINPUT or AWC_EOVERFLOW with a message and leaves *out unchanged. */
int awc_money_parse(awc_amount *out, const char *s, size_t len);

/* Print a as "-1234.5600000000" (always 10 places, no separators) into buf.
 * Returns the length, or AWC_EOVERFLOW when n is too small. */
int awc_money_format(char *buf, size_t n, awc_amount a);

/* Checked arithmetic: AWC_EOVERFLOW when the result is outside
 * AWC_AMOUNT_MIN..AWC_AMOUNT_MAX, *out unchanged. */
int awc_money_add(awc_amount *out, awc_amount a, awc_amount b);

/* Bytes enough for any awc_sum printed by awc_sum_format(), with the NUL. */
#define AWC_SUM_BUFSZ 48

/* Print a sum of 10^-10 units as "-1234.5600000000" (10 places).  Returns
 * the length, or AWC_EOVERFLOW when n is too small. */
int awc_sum_format(char *buf, size_t n, awc_sum v);
/* Print a sum of minor units with e decimals (like awc_money_format_minor). */
int awc_sum_format_minor(char *buf, size_t n, awc_sum minor, int e);
/* Parse a decimal sum (as SQL's SUM() prints it, up to 10 places, at most
 * 10^20 units) into *out; AWC_EBADINPUT or AWC_EOVERFLOW, *out unchanged. */
int awc_sum_parse(awc_sum *out, const char *s, size_t len);
/* The sum as an amount; AWC_EOVERFLOW (naming what) when it does not fit. */
int awc_sum_to_amount(awc_amount *out, awc_sum v, const char *what);

/* ISO 4217 minor-unit exponent of a three-letter code (case-sensitive,
 * upper case), else the one awc_currency_define() gave it, or -1 when the
 * code has none. */
int awc_currency_exponent(const char *code);
/* 1 when ISO 4217 gives code an exponent, else 0. */
int awc_currency_iso(const char *code);
/* Give a code that ISO 4217 leaves without a minor unit (XAU, XTS, ...)
 * exponent e (0..4) in this process, so that awc_currency_exponent()
 * answers it; a distributor's decision, loaded from the store.  0, or
 * AWC_EBADINPUT for a malformed code, an ISO code, or e out of range. */
int awc_currency_define(const char *code, int e);

/* Round a to minor units of exponent e (0..4), half away from zero. */
int awc_money_to_minor(int64_t *out, awc_amount a, int e);
/* Minor units back to an awc_amount; AWC_EOVERFLOW if it does not fit. */
int awc_money_from_minor(awc_amount *out, int64_t minor, int e);

/* Print minor units with e decimals ("-12.34", JPY "-1234").  Returns the
 * length or AWC_EOVERFLOW when n is too small. */
int awc_money_format_minor(char *buf, size_t n, int64_t minor, int e);
/* Parse text with at most e decimals into minor units; more decimals than
 * the currency has is AWC_EBADINPUT (no silent rounding of typed amounts). */
int awc_money_parse_minor(int64_t *out, const char *s, size_t len, int e);

#endif /* AWC_MONEY_H */
