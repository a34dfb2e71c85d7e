/*
 * csvout.h -- writing CSV downloads (SPEC section 10): RFC 4180 quoting,
 * CRLF line ends, the formula-injection guard, and a 64 KiB buffer in
 * front of the host's awc_call.write so that a million-row export is a few
 * hundred writes, not tens of millions.
 *
 * A cell is quoted ("...", inner quotes doubled) when it holds a comma, a
 * quote, CR or LF.  Records end with CRLF, as RFC 4180 says.
 *
 * Formula guard: a spreadsheet runs a cell that starts with = + - @ TAB or
 * CR as a formula.  Such a cell is written with a leading apostrophe
 * ("=1+1" -> "'=1+1"), which spreadsheets show as text, unless the whole
 * cell is a plain number ("-12.5000000000", "+3"), which stays as it is so
 * that amounts remain numbers.  The guard comes first, quoting second.
 *
 * The writer owns nothing but its buffer; the first failed write is kept
 * (AWC_EIO) and every later call returns it without writing.
 */
#ifndef AWC_CSVOUT_H
#define AWC_CSVOUT_H

#include <stddef.h>

#include "awscredit.h"

#define AWC_CSVOUT_BUFSZ 65536

/* 1 when s[0..n) is a plain decimal number: [+-]digits[.digits]. */
int awc_csv_is_number(const char *s, size_t n);

/* 1 when s[0..n) gets the formula guard: it starts with = + - @ TAB or CR
 * and is not a plain number. */
int awc_csv_needs_guard(const char *s, size_t n);

/* Write s[0..n) as one cell (guarded, then quoted as needed) into out,
 * which has room for cap bytes, NUL-terminated.  Returns the cell's length
 * without the NUL; when that is >= cap the cell did not fit and out holds
 * "" (cap > 0) -- snprintf's rule for the length.  At most 2 * n + 3 bytes
 * are ever needed. */
size_t awc_csv_cell(char *out, size_t cap, const char *s, size_t n);

typedef struct awc_csvout {
    const awc_call *c;
    size_t n;                      /* bytes waiting in buf */
    unsigned cells;                /* cells in the record being written */
    int rc;                        /* the first failure; sticky */
    char buf[AWC_CSVOUT_BUFSZ];
} awc_csvout;

void awc_csvout_init(awc_csvout *w, const awc_call *c);
/* Append one cell (a comma first unless it starts a record). 0 or AWC_EIO /
 * AWC_ENOMEM. */
int awc_csvout_cell(awc_csvout *w, const char *s, size_t n);
int awc_csvout_cellz(awc_csvout *w, const char *s);     /* NUL-terminated; NULL = "" */
/* End the record with CRLF. */
int awc_csvout_end(awc_csvout *w);
/* Hand the buffered bytes to the host. */
int awc_csvout_flush(awc_csvout *w);

#endif /* AWC_CSVOUT_H */
