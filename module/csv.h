/*
 * csv.h -- a small RFC 4180 reader over text in memory, for the module's
 * own CSV inputs (accounts map).  The CUR reader (adapters/cur_file.c) is a
 * separate, streaming one because it is the hot path.
 *
 * Quoted fields, doubled quotes, embedded newlines, CRLF or LF, a UTF-8 BOM
 * and a missing final newline are handled; every field must be valid UTF-8.
 * Fields are copied into the reader's buffer and valid until the next call.
 */
#ifndef AWC_CSV_H
#define AWC_CSV_H

#include <stddef.h>

#define AWC_CSV_MAX_FIELDS 64

typedef struct awc_csv {
    const char *p, *end;
    const char *name;              /* for messages */
    unsigned long line;            /* line where the current record starts */
    unsigned long next_line;
    char *buf;                     /* the current record's fields */
    size_t cap;
    char *field[AWC_CSV_MAX_FIELDS];
    size_t nfields;
} awc_csv;

void awc_csv_init(awc_csv *c, const char *name, const char *text, size_t len);
void awc_csv_free(awc_csv *c);
/* Next record: 1 = got one, 0 = end, < 0 = error ("name:line: ...").
 * Blank lines are skipped. */
int awc_csv_next(awc_csv *c);

/* Read a whole file (at most max bytes) into *out (awc_malloc'd, NUL
 * terminated).  AWC_EIO / AWC_EBADINPUT naming the file. */
int awc_file_read(char **out, size_t *len, const char *path, size_t max);

#endif
