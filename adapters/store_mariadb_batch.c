/*
 * store_mariadb_batch.c -- column-wise array binding: one execution sends
 * many rows (Connector/C STMT_ATTR_ARRAY_SIZE), with a row-at-a-time
 * fallback when the server lacks bulk support.
 */
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

int mdb_batch_init(mdb_batch *b, unsigned cap, unsigned ncols, const enum mdb_col *types)
{
    memset(b, 0, sizeof(*b));
    if (ncols > MDB_MAXB || cap == 0)
        return awc_error_set(AWC_ERROR, "batch: bad shape");
    b->cap = cap;
    b->ncols = ncols;
    for (unsigned c = 0; c < ncols; c++) {
        b->type[c] = types[c];
        b->ind[c] = awc_calloc(cap, 1);
        if (types[c] == MDB_COL_STR) {
            b->str[c] = awc_calloc(cap, sizeof(char *));
            b->len[c] = awc_calloc(cap, sizeof(unsigned long));
            if (!b->str[c] || !b->len[c])
                goto oom;
        } else {
            b->num[c] = awc_calloc(cap, sizeof(int64_t));
            if (!b->num[c])
                goto oom;
        }
        if (!b->ind[c])
            goto oom;
    }
    return 0;
oom:
    mdb_batch_free(b);
    return awc_error_set(AWC_ENOMEM, "batch: out of memory");
}

void mdb_batch_free(mdb_batch *b)
{
    for (unsigned c = 0; c < MDB_MAXB; c++) {
        awc_free(b->str[c]);
        awc_free(b->len[c]);
        awc_free(b->ind[c]);
        awc_free(b->num[c]);
    }
    memset(b, 0, sizeof(*b));
}

void mdb_batch_str(mdb_batch *b, unsigned col, const char *s)
{
    b->str[col][b->n] = s ? s : "";
    b->len[col][b->n] = s ? (unsigned long)strlen(s) : 0;
    b->ind[col][b->n] = s ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
}

void mdb_batch_num(mdb_batch *b, unsigned col, int64_t v)
{
    b->num[col][b->n] = v;
    b->ind[col][b->n] = STMT_INDICATOR_NONE;
}

void mdb_batch_set_num(mdb_batch *b, unsigned row, unsigned col, int64_t v)
{
    b->num[col][row] = v;
    b->ind[col][row] = STMT_INDICATOR_NONE;
}

void mdb_batch_null(mdb_batch *b, unsigned col)
{
    b->ind[col][b->n] = STMT_INDICATOR_NULL;
}

void mdb_batch_next_row(mdb_batch *b)
{
    if (b->n >= b->cap)
        abort(); /* programming error: batch overfilled */
    b->n++;
}

/* Bind column c for rows from `row` on (the whole array in bulk mode). */
static void bind_col(MYSQL_BIND *bd, mdb_batch *b, unsigned c, unsigned row, int bulk)
{
    memset(bd, 0, sizeof(*bd));
    if (b->type[c] == MDB_COL_STR) {
        bd->buffer_type = MYSQL_TYPE_STRING;
        bd->buffer = bulk ? (void *)b->str[c] : (void *)b->str[c][row];
        bd->length = &b->len[c][row];
        bd->buffer_length = bulk ? 0 : b->len[c][row];
    } else {
        bd->buffer_type = MYSQL_TYPE_LONGLONG;
        bd->buffer = &b->num[c][row];
        bd->is_unsigned = b->type[c] == MDB_COL_U64;
    }
    if (bulk) {
        bd->u.indicator = b->ind[c];
    } else if (b->ind[c][row] == STMT_INDICATOR_NULL) {
        bd->buffer_type = MYSQL_TYPE_NULL;
    }
}

int mdb_batch_exec(mdb *st, enum mdb_sql q, mdb_batch *b)
{
    MYSQL_STMT *s = mdb_stmt(st, q);
    MYSQL_BIND bd[MDB_MAXB];
    unsigned size;
    int rc = 0;

    if (!s)
        return AWC_EDB;
    if (b->ncols != mysql_stmt_param_count(s))
        abort(); /* programming error: parameter count differs from the SQL */
    if (b->n == 0)
        return 0;
    st->wrote |= mdb_writes(q);
    if (st->bulk && !st->force_row_at_a_time) {
        size = b->n;
        for (unsigned c = 0; c < b->ncols; c++)
            bind_col(&bd[c], b, c, 0, 1);
        if (mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &size) ||
            mysql_stmt_bind_param(s, bd) || mysql_stmt_execute(s))
            rc = mdb_stmt_fail(st, s, "batch execute");
        else
            b->affected += (uint64_t)mysql_stmt_affected_rows(s);
        size = 0;
        mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &size);
    } else {
        for (unsigned row = 0; rc == 0 && row < b->n; row++) {
            for (unsigned c = 0; c < b->ncols; c++)
                bind_col(&bd[c], b, c, row, 0);
            if (mysql_stmt_bind_param(s, bd) || mysql_stmt_execute(s))
                rc = mdb_stmt_fail(st, s, "execute");
            else
                b->affected += (uint64_t)mysql_stmt_affected_rows(s);
        }
    }
    b->n = 0;
    return rc;
}
