/*
 * cur.h -- the streaming CUR CSV reader (SPEC sections 5.1, 9, 14) and two
 * pure helpers the aggregator needs: the credit key and the credit type
 * (SPEC 5.2, 5.5).  docs/CUR-INPUT.md describes dialects, columns, CSV
 * handling, messages and limits.
 *
 * The reader pulls bytes from a source (a local file, or any read callback:
 * the S3 adapter streams GetObject bodies through one), inflates gzip in
 * process when the data starts with the gzip magic (1f 8b), finds the header
 * dialect (legacy CUR, CUR 2.0 / Athena snake case, FOCUS) and calls back
 * once per row whose line item type is wanted and whose billing period is
 * the one asked for.  Only those rows are split into fields and validated;
 * every other row costs little more than finding its end.  Memory is
 * bounded: one buffer of block_size + max_record bytes (2 MiB by default),
 * a gzip input block and the header, whatever the size of the input.
 *
 * Ownership:
 *   - The reader owns its buffer, its copy of the name and, for
 *     awc_cur_open_path(), the file descriptor; awc_cur_close() frees them.
 *   - A caller's source (awc_cur_open_source) stays the caller's: the
 *     reader copies the struct, calls read() and never closes it; src->ctx
 *     must outlive the reader.
 *   - Everything an awc_cur_row points at (field views, file name) belongs
 *     to the reader and is valid only during the on_row call: copy what you
 *     keep.  Views are not NUL-terminated.
 *   - Messages passed to on_bad are valid only during that call.
 *   - awc_cur_glob() returns one block from awc_malloc(); free it with
 *     awc_cur_paths_free().
 *
 * Errors: 0 or a negative awc_err with a one-line message (awc_error_last):
 *   AWC_EIO        the file cannot be opened or read ("path: read: ...")
 *   AWC_EBADINPUT  corrupt gzip, no or bad header, or a bad row
 *                  ("file:line: column: reason") when max_bad_rows is 0,
 *                  or more bad rows than max_bad_rows
 *   AWC_EUSAGE     bad options (period not YYYY-MM, too many types, ...)
 *   AWC_ENOMEM     allocation failed
 * A negative code returned by a callback or by a caller's source stops the
 * read and is returned unchanged, with its message.
 */
#ifndef AWC_CUR_H
#define AWC_CUR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "money.h"

typedef enum awc_cur_dialect {
    AWC_CUR_LEGACY = 1,            /* lineItem/LineItemType, bill/PayerAccountId, ... */
    AWC_CUR_CUR2 = 2,              /* line_item_line_item_type, ... (also Athena CUR 1) */
    AWC_CUR_FOCUS = 3              /* ChargeCategory, BillingAccountId, ... */
} awc_cur_dialect;

/* The logical fields a row carries, whatever the dialect calls them. */
typedef enum awc_cur_field {
    AWC_CUR_TYPE = 0,              /* line item type / FOCUS ChargeCategory */
    AWC_CUR_PERIOD_START,          /* billing period start (timestamp) */
    AWC_CUR_PAYER,                 /* payer account id (12 digits) */
    AWC_CUR_ACCOUNT,               /* usage account id (12 digits) */
    AWC_CUR_PRODUCT,               /* product code (FOCUS: x_ServiceCode, else ServiceName) */
    AWC_CUR_CURRENCY,              /* ISO 4217 code */
    AWC_CUR_COST,                  /* unblended cost / FOCUS BilledCost */
    AWC_CUR_DESCRIPTION,           /* line item description / ChargeDescription */
    AWC_CUR_USAGE_START,           /* usage start date / ChargePeriodStart */
    AWC_CUR_BILLING_ENTITY,        /* optional */
    AWC_CUR_LEGAL_ENTITY,          /* optional */
    AWC_CUR_INVOICE_ID,            /* optional (blank until the bill is final) */
    AWC_CUR_NFIELDS
} awc_cur_field;

/* Bytes inside the reader's buffer; not NUL-terminated.  An optional
 * column absent from the header is {"", 0}. */
typedef struct awc_cur_view {
    const char *p;
    size_t n;
} awc_cur_view;

/* One wanted, validated row.  Valid only during the on_row call. */
typedef struct awc_cur_row {
    const char *file;              /* the reader's name (path or s3:// URL) */
    uint64_t line;                 /* physical line where the record starts (header = 1) */
    awc_cur_dialect dialect;
    awc_cur_view f[AWC_CUR_NFIELDS]; /* by awc_cur_field, quotes removed */
    awc_amount amount;             /* f[AWC_CUR_COST] parsed exactly */
    char period[8];                /* billing period, "YYYY-MM" */
    char usage_date[11];           /* usage start, "YYYY-MM-DD" */
    char currency[4];              /* f[AWC_CUR_CURRENCY], checked: 3 upper-case letters */
} awc_cur_row;

/* Counts; awc_cur_read() adds to them, so one struct passed to the reads of
 * several files sums the whole pull (and max_bad_rows applies to it). */
typedef struct awc_cur_stats {
    uint64_t files;                /* reads finished, successfully or not */
    uint64_t rows;                 /* data records (header and blank lines excluded) */
    uint64_t wanted;               /* rows passed to on_row */
    uint64_t other_period;         /* wanted type, skipped for another billing period */
    uint64_t bad;                  /* bad rows reported */
    uint64_t bytes_in;             /* bytes from the source (compressed size for gzip) */
    uint64_t bytes_out;            /* bytes parsed (after decompression) */
} awc_cur_stats;

/* A pull-style byte source.  read() fills up to n bytes of buf and returns
 * the count (> 0), 0 at the end of the stream, or a negative awc_err after
 * setting a message; it may return fewer bytes than asked at any time. */
typedef struct awc_cur_source {
    void *ctx;
    ssize_t (*read)(void *ctx, void *buf, size_t n);
} awc_cur_source;

/* Called for each wanted row; return 0 to go on, or a negative awc_err to
 * stop the read (returned unchanged by awc_cur_read). */
typedef int (*awc_cur_row_fn)(void *ctx, const awc_cur_row *row);

/* Called for each bad row that is skipped (max_bad_rows != 0) with the
 * whole message, "file:line: column: reason".  Return 0 or a negative
 * awc_err to stop the read. */
typedef int (*awc_cur_bad_fn)(void *ctx, const char *message);

/* Options; a zeroed struct (or NULL) means: type "Credit", every period,
 * fail on the first bad row, default sizes. */
typedef struct awc_cur_options {
    const char *line_item_types;   /* comma-separated ("Credit,Refund"); NULL = "Credit" */
    const char *period;            /* "YYYY-MM"; NULL = every billing period */
    long max_bad_rows;             /* 0: first bad row fails; n > 0: skip up to n; < 0: no limit */
    awc_cur_bad_fn on_bad;         /* may be NULL */
    void *bad_ctx;
    size_t block_size;             /* bytes per read; 0 = 1 MiB */
    size_t max_record;             /* longest record in bytes; 0 = 1 MiB */
    size_t max_field;              /* longest field of a wanted row; 0 = 64 KiB */
} awc_cur_options;

typedef struct awc_cur_reader awc_cur_reader;

/* Open path (plain or gzip CSV), read and check its header.  *out is set
 * only on success.  Errors: AWC_EIO, AWC_EBADINPUT (header), AWC_EUSAGE,
 * AWC_ENOMEM; nothing is left open then. */
int awc_cur_open_path(awc_cur_reader **out, const char *path, const awc_cur_options *opt);

/* The same over a caller's source; name is used in messages (copied). */
int awc_cur_open_source(awc_cur_reader **out, const char *name, const awc_cur_source *src,
                        const awc_cur_options *opt);

/* Read every remaining row, calling on_row for each wanted one.  Adds this
 * reader's counts to *stats (may be NULL) whatever the outcome.  One read
 * per reader: a second call reads nothing. */
int awc_cur_read(awc_cur_reader *r, awc_cur_row_fn on_row, void *ctx, awc_cur_stats *stats);

/* The dialect found in the header. */
awc_cur_dialect awc_cur_reader_dialect(const awc_cur_reader *r);

/* The header name of the column used for field f, or NULL when the
 * (optional) column is absent.  Valid until awc_cur_close(). */
const char *awc_cur_reader_column(const awc_cur_reader *r, awc_cur_field f);

/* Free the reader (NULL is fine); closes the file it opened. */
void awc_cur_close(awc_cur_reader *r);

/* open_path + read + close in one call. */
int awc_cur_read_path(const char *path, const awc_cur_options *opt, awc_cur_row_fn on_row,
                      void *ctx, awc_cur_stats *stats);

/* "legacy CUR", "CUR 2.0", "FOCUS". */
const char *awc_cur_dialect_name(awc_cur_dialect d);

/* --- glob ------------------------------------------------------------------ */

typedef struct awc_cur_paths {
    char **v;                      /* n paths, byte-wise sorted; one allocation */
    size_t n;
} awc_cur_paths;

/* Expand pattern with glob(3), keep files (not directories), sort.
 * AWC_ENOTFOUND when nothing matches, AWC_EIO, AWC_ENOMEM; *out is
 * zeroed on error. */
int awc_cur_glob(awc_cur_paths *out, const char *pattern);
void awc_cur_paths_free(awc_cur_paths *p);

/* --- credit key and credit type (pure) --------------------------------------- */

/* The credit key of a description (SPEC 5.2): the digits after
 * "credit id:" (case-insensitive, blanks allowed around the colon) when
 * present, else the description with surrounding blanks trimmed and inner
 * runs of blanks (space, tab, CR, LF, VT, FF) folded to one space.  Writes a
 * NUL-terminated key to out and returns its length; AWC_EOVERFLOW when
 * outsz is too small (out is then ""). */
int awc_cur_credit_key(char *out, size_t outsz, const char *desc, size_t len);

/* One row of the credit type table: text is matched case-insensitively
 * anywhere in the description; with AWC_CP_WORD the match must not touch an
 * ASCII letter on either side ("MPE" matches "_MPE123", not "COMPETE"). */
#define AWC_CP_WORD 1u
typedef struct awc_credit_pattern {
    const char *type;              /* "MAP", "EDP", ... (at most 32 bytes) */
    const char *text;
    unsigned flags;
} awc_credit_pattern;

/* The built-in table, in order (first match wins); see cur_file.c. */
extern const awc_credit_pattern awc_cur_credit_patterns[];
extern const size_t awc_cur_credit_npatterns;
#define AWC_CREDIT_TYPE_DEFAULT "PROMOTIONAL"

/* The type of the first pattern of table[0..n) found in text, else
 * AWC_CREDIT_TYPE_DEFAULT.  Returns a pointer into the table (or static). */
const char *awc_cur_credit_type_in(const awc_credit_pattern *table, size_t n, const char *text,
                                   size_t len);
/* The same with the built-in table. */
const char *awc_cur_credit_type(const char *text, size_t len);

#endif /* AWC_CUR_H */
