/*
 * date.h -- calendar dates and billing periods as text, in integer
 * arithmetic (proleptic Gregorian, UTC; no time zones, no locale).
 */
#ifndef AWC_DATE_H
#define AWC_DATE_H

#include <stddef.h>

/* "YYYY-MM" with a month 01..12 and a year 1970..9999: 0 or AWC_EBADINPUT. */
int awc_period_check(const char *s);
/* 1 when s[0..n) is a real calendar date "YYYY-MM-DD". */
int awc_date_valid(const char *s, size_t n);
/* out = date + days ("YYYY-MM-DD", 11 bytes); 0 or AWC_EBADINPUT. */
int awc_date_add(char out[11], const char *date, long days);
/* Days since 1970-01-01 of a valid date (negative before). */
long awc_date_days(const char *date);

#endif
