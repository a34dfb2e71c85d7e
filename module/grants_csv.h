/*
 * grants_csv.h -- the two CSV files of SPEC 16, read and checked before
 * anything is written: `grants import` (one grant per row) and `hierarchy
 * import` (one node per row, any depth, a forest).
 *
 * The header names the columns (any order; others are ignored).  The first
 * bad row stops nothing: every row is checked, bad ones are counted, and
 * the first is kept as "file:line: field: why".  The caller writes only
 * when there is none.  Strings of the rows are owned by the set.
 */
#ifndef AWC_GRANTS_CSV_H
#define AWC_GRANTS_CSV_H

#include "awc.h"
#include "store.h"

typedef struct awc_csv_set {
    const char *name;              /* the file, in messages (not owned) */
    awc_grant_rec *grants;         /* grants import: the good rows */
    awc_node_row *nodes;           /* hierarchy import: the good rows */
    unsigned long *lines;          /* the line each row starts on */
    size_t n, cap;
    unsigned long bad;
    char first_bad[AWC_ERRMSG_MAX];
    char **strings;                /* owned copies */
    size_t nstrings, scap;
} awc_csv_set;

void awc_csv_set_init(awc_csv_set *s, const char *name);
void awc_csv_set_free(awc_csv_set *s);

/* Read the grants file text[0..len).  0 (check s->bad), or AWC_EBADINPUT
 * for an empty file, a missing column or a broken record, AWC_ENOMEM. */
int awc_grants_csv_read(awc_csv_set *s, const char *text, size_t len);

/* Every row's node must be one of nodes[0..n) (sorted by strcmp); a row
 * naming another is a bad row. */
void awc_grants_csv_check_nodes(awc_csv_set *s, char *const *nodes, size_t n);

/* Read the hierarchy file and check it whole: unique node ids, known
 * parents, no cycle (the bad row is the one whose parent closes it). */
int awc_hierarchy_csv_read(awc_csv_set *s, const char *text, size_t len);

/* 1 when s is a well-formed grant or node id: 1..max characters, no
 * control characters, not starting with = + - @. */
int awc_grants_id_ok(const char *s, size_t max);

#endif
