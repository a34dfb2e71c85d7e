/*
 * store_mariadb_query.c -- credits_query: the filtered, sorted, streamed
 * read behind `list` and `export` (SPEC section 10).
 *
 * One constant WHERE clause serves every combination of filters: each
 * filter is "(? IS NULL OR <condition>)" and binds SQL NULL when it is not
 * used.  MariaDB optimises a prepared statement at each execution with the
 * parameter values known, so an unused filter folds away and a used one
 * can take its index (credits_customer, credits_period, ...).  No SQL text
 * is ever built from input: the ORDER BY is picked from a table of constant
 * fragments by awc_sort_key, and LIMIT/OFFSET are parameters.
 *
 * Streaming: the statement is prepared per call (it is not in the shared
 * cache, whose statements may be used by the callback's caller later) and
 * its rows are fetched one at a time without mysql_stmt_store_result(), so
 * the binary protocol hands over one row at a time and memory stays flat
 * however many rows match.  While rows are being fetched the connection is
 * busy: the callback must not call the store.
 *
 * Split sums: one correlated subquery per credit returns
 * "count,assigned,retained,record_ids" in a single string.  Measured on 1 M
 * credits with 1.5 M split lines (mariadb --batch --quick, sorted by id):
 * no splits 6.1 s; this form 10.3 s; LEFT JOIN + GROUP BY 11.1 s; four
 * separate correlated subqueries 20.1 s; a GROUP BY derived table 20.1 s.
 * Sorted by amount: this form 16.6 s, the join 18.8 s.  Record ids come
 * last in the string, so a comma inside one cannot shift the numbers.
 *
 * Retries: the read runs inside mdb_tx(), so a lost connection is
 * reconnected and the query run again; the rows already handed to the
 * callback are skipped on the new run, so none is delivered twice.  In
 * credit-ID order (the default, and every export unless --sort is given)
 * the skip is by key: rows up to the last ID delivered, so credits that
 * changed between the two runs cannot shift the rest.  In any other order
 * it is by count, as mdb_events_each does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

/* The status filter maps the ENUM to the awc_state number with a CASE. */
_Static_assert(AWC_PENDING_ASSIGN == 1 && AWC_ASSIGNED == 2 && AWC_PROCESSING == 3 &&
               AWC_PROCESSED == 4, "the CASE in Q_SELECT numbers the states as awc_state");

/* credits drive the join: no index leads from an assignment to its credits
 * (it would cost every assignment an index write), so the other order can
 * only be slower, and stale statistics must not pick it. */
#define Q_SELECT \
    "SELECT c.seq, c.period, c.payer_account_id, c.usage_account_id, c.credit_key, " \
    "c.product_code, c.currency, c.revision, c.adjusts, c.description, c.credit_type, " \
    "c.billing_entity, c.legal_entity, c.invoice_id, c.first_usage, c.last_usage, " \
    "c.issue_date, c.line_count, c.amount, c.status, c.version, a.unmapped, a.customer_id, " \
    "a.asset_id, a.reseller_id, a.rule_id, c.usage_file_id, c.processing_date, " \
    "c.created_at, c.updated_at, a.owner_account_id, " \
    "(SELECT CONCAT(COUNT(*), ',', " \
    "COALESCE(SUM(IF(s.target <> 'retained', s.amount_minor, 0)), 0), ',', " \
    "COALESCE(SUM(IF(s.target = 'retained', s.amount_minor, 0)), 0), ',', " \
    "COALESCE(GROUP_CONCAT(s.record_id ORDER BY s.line_no SEPARATOR ';'), '')) " \
    "FROM credit_splits s WHERE s.seq = c.seq), " \
    "(SELECT e.note FROM credit_events e WHERE e.seq = c.seq AND e.kind IN ('edit', 'note') " \
    "AND e.note <> '' ORDER BY e.id DESC LIMIT 1) "

/* With awc_query.with_names (list): the names the accounts map gives the
 * customer and the reseller, each by its index (accounts_customer,
 * accounts_reseller); an export leaves them out.  assignments' columns are
 * NO PAD (utf8mb4_nopad_bin), the accounts map's PAD: the collation is
 * given on the assignments side, so the accounts index still serves. */
#define Q_NAMES \
    ", (SELECT MAX(n.customer_name) FROM accounts n " \
    "WHERE n.customer_id = a.customer_id COLLATE utf8mb4_bin), " \
    "(SELECT MAX(n.reseller_name) FROM accounts n " \
    "WHERE n.reseller_id = a.reseller_id COLLATE utf8mb4_bin) "

#define Q_FROM "FROM credits c STRAIGHT_JOIN assignments a ON a.id = c.assignment_id "

/* The description filter: a case-insensitive substring.  The column is
 * utf8mb4_bin, so both sides are lowered (LOWER uses the utf8mb4 case
 * mapping, É matches é).  The value is bound with its LIKE metacharacters
 * % _ and \ escaped by escape_like() below; '\' is LIKE's default escape
 * character in the store's sql_mode (no NO_BACKSLASH_ESCAPES). */
#define Q_WHERE \
    "WHERE (? IS NULL OR (? >> CASE c.status WHEN 'PENDING_ASSIGN' THEN 1 " \
    "WHEN 'ASSIGNED' THEN 2 WHEN 'PROCESSING' THEN 3 WHEN 'PROCESSED' THEN 4 " \
    "ELSE 31 END) & 1 = 1) " \
    "AND (? IS NULL OR c.period >= ?) " \
    "AND (? IS NULL OR c.period <= ?) " \
    "AND (? IS NULL OR a.customer_id = NULLIF(?, '')) " \
    "AND (? IS NULL OR a.reseller_id = NULLIF(?, '')) " \
    "AND (? IS NULL OR a.asset_id = NULLIF(?, '')) " \
    "AND (? IS NULL OR c.usage_account_id = ? OR c.payer_account_id = ?) " \
    "AND (? IS NULL OR c.seq = ?) " \
    "AND (? IS NULL OR LOWER(c.description) LIKE CONCAT('%', LOWER(?), '%')) " \
    "AND (? IS NULL OR c.credit_type = ?) " \
    "AND (? IS NULL OR c.amount >= CAST(? AS DECIMAL(30,10))) " \
    "AND (? IS NULL OR c.amount <= CAST(? AS DECIMAL(30,10))) " \
    "AND (? IS NULL OR a.rule_id = NULLIF(?, '')) " \
    "AND (? IS NULL OR a.unmapped = ?) " \
    "AND (? IS NULL OR a.reseller_id = NULLIF(?, '')) " \
    "AND (? IS NULL OR c.currency = ?) "

#define Q_LIMIT " LIMIT ? OFFSET ?"

/* ORDER BY fragments by awc_sort_key; every order ends with c.seq so that
 * ties come out the same way every time (and limit/offset pages are
 * stable).  status is an ENUM and sorts in lifecycle order. */
static const char *const order_key[] = {
    [AWC_SORT_ID] = NULL,
    [AWC_SORT_PERIOD] = "c.period",
    [AWC_SORT_AMOUNT] = "c.amount",
    [AWC_SORT_STATUS] = "c.status",
    [AWC_SORT_CUSTOMER] = "a.customer_id",
    [AWC_SORT_RESELLER] = "a.reseller_id",
    [AWC_SORT_ACCOUNT] = "c.usage_account_id",
    [AWC_SORT_UPDATED] = "c.updated_at",
    [AWC_SORT_TYPE] = "c.credit_type",
};
#define N_ORDER (sizeof(order_key) / sizeof(order_key[0]))

#define NPARAM 35
#define NCOL 35
#define NTIME 8

/* Everything one call needs, allocated once (no allocation per row). */
typedef struct query_ctx {
    const awc_query *q;
    int (*fn)(void *, const awc_credit_row *);
    void *arg;
    uint64_t delivered;            /* rows handed out: skipped on a retry */
    uint64_t last_seq;             /* the last one's credit ID number */

    char sql[sizeof(Q_SELECT Q_NAMES Q_FROM Q_WHERE Q_LIMIT) + 128];
    char *like;                    /* the escaped description, or NULL */
    char min[AWC_MONEY_BUFSZ], max[AWC_MONEY_BUFSZ];
    int64_t status_mask, limit, offset, one, flag;
    uint64_t seq;

    MYSQL_BIND p[NPARAM];
    unsigned long plen[NPARAM];
    unsigned np;

    MYSQL_BIND r[NCOL];
    unsigned long rlen[NCOL];
    my_bool rnul[NCOL], rerr[NCOL];
    char *rbuf[NCOL];
    size_t rcap[NCOL];
    unsigned nr;
    struct {                       /* DATE / DATETIME columns, read as MYSQL_TIME */
        MYSQL_TIME t;
        char *out;
        size_t cap;
        unsigned col;
        int with_time;
    } tm[NTIME];
    unsigned ntm;

    awc_credit_row row;
    char amount[64], status[20], splits[64 + 1040];
    int64_t revision, version, unmapped;
} query_ctx;

/* ---- parameters ------------------------------------------------------------ */

static MYSQL_BIND *p_next(query_ctx *x)
{
    MYSQL_BIND *b;

    if (x->np >= NPARAM)
        abort(); /* programming error: more parameters than NPARAM */
    b = &x->p[x->np++];
    memset(b, 0, sizeof(*b));
    return b;
}

/* s, or SQL NULL when s is NULL. */
static void p_str(query_ctx *x, const char *s)
{
    unsigned i = x->np;
    MYSQL_BIND *b = p_next(x);

    if (!s) {
        b->buffer_type = MYSQL_TYPE_NULL;
        return;
    }
    x->plen[i] = (unsigned long)strlen(s);
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)s;
    b->buffer_length = x->plen[i];
    b->length = &x->plen[i];
}

/* *v, or SQL NULL when v is NULL. */
static void p_i64(query_ctx *x, const int64_t *v)
{
    MYSQL_BIND *b = p_next(x);

    if (!v) {
        b->buffer_type = MYSQL_TYPE_NULL;
        return;
    }
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
}

/* A filter "(? IS NULL OR col = ?)": the value twice. */
static void p_str2(query_ctx *x, const char *s)
{
    p_str(x, s);
    p_str(x, s);
}

/* s with LIKE's metacharacters escaped: "50%_off\" -> "50\%\_off\\".
 * awc_malloc'd; NULL with the error set when out of memory. */
static char *escape_like(const char *s)
{
    size_t n = strlen(s);
    char *out = awc_malloc(2 * n + 1), *o = out;

    if (!out) {
        awc_error_set(AWC_ENOMEM, "out of memory");
        return NULL;
    }
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static int bind_params(query_ctx *x)
{
    const awc_query *q = x->q;
    const int64_t *mask = q->status_mask ? &x->status_mask : NULL;
    const int64_t *seq = q->seq ? (const int64_t *)&x->seq : NULL;
    const char *from = q->period_from && *q->period_from ? q->period_from : NULL;
    const char *to = q->period_to && *q->period_to ? q->period_to : NULL;
    const char *min = NULL, *max = NULL;

    if (q->has_min) {
        if (awc_money_format(x->min, sizeof(x->min), q->min_amount) < 0)
            return AWC_EOVERFLOW;
        min = x->min;
    }
    if (q->has_max) {
        if (awc_money_format(x->max, sizeof(x->max), q->max_amount) < 0)
            return AWC_EOVERFLOW;
        max = x->max;
    }
    if (q->description && !x->like && !(x->like = escape_like(q->description)))
        return AWC_ENOMEM;
    x->status_mask = (int64_t)q->status_mask;
    x->seq = q->seq;
    x->one = 1;
    x->flag = q->flag;
    x->limit = q->limit > 0 ? q->limit : INT64_MAX;
    x->offset = q->offset > 0 ? q->offset : 0;

    x->np = 0;
    p_i64(x, mask);
    p_i64(x, mask);
    p_str2(x, from);
    p_str2(x, to);
    p_str2(x, q->customer);
    p_str2(x, q->reseller);
    p_str2(x, q->asset);
    p_str(x, q->account);
    p_str2(x, q->account);
    p_i64(x, seq);
    p_i64(x, seq);
    p_str2(x, q->description ? x->like : NULL);
    p_str2(x, q->type);
    p_str2(x, min);
    p_str2(x, max);
    p_str2(x, q->rule);
    p_i64(x, q->flag ? &x->flag : NULL);
    p_i64(x, &x->flag);
    p_str2(x, q->scope_reseller);
    p_str2(x, q->currency);
    p_i64(x, &x->limit);
    p_i64(x, &x->offset);
    return 0;
}

/* ---- result columns ----------------------------------------------------------- */

static MYSQL_BIND *r_next(query_ctx *x)
{
    unsigned i = x->nr;
    MYSQL_BIND *b;

    if (x->nr >= NCOL)
        abort(); /* programming error: more columns than NCOL */
    b = &x->r[x->nr++];
    memset(b, 0, sizeof(*b));
    b->length = &x->rlen[i];
    b->is_null = &x->rnul[i];
    b->error = &x->rerr[i];
    x->rbuf[i] = NULL;
    return b;
}

static void r_str(query_ctx *x, char *buf, size_t cap)
{
    unsigned i = x->nr;
    MYSQL_BIND *b = r_next(x);

    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = buf;
    b->buffer_length = (unsigned long)(cap - 1);
    x->rbuf[i] = buf;
    x->rcap[i] = cap;
}

/* A DATE (with_time 0) or DATETIME(6) column into out as "YYYY-MM-DD" or
 * "YYYY-MM-DD HH:MM:SS.ffffff".  Bound as MYSQL_TIME and formatted here:
 * Connector/C's own conversion to text goes through sprintf, six times a
 * row, which was a fifth of the export's CPU time. */
static void r_time(query_ctx *x, char *out, size_t cap, int with_time)
{
    unsigned i = x->nr, k = x->ntm++;
    MYSQL_BIND *b = r_next(x);

    if (k >= NTIME || cap < (with_time ? 27u : 11u))
        abort(); /* programming error: NTIME too small or a short buffer */
    b->buffer_type = with_time ? MYSQL_TYPE_DATETIME : MYSQL_TYPE_DATE;
    b->buffer = &x->tm[k].t;
    b->buffer_length = sizeof(MYSQL_TIME);
    x->tm[k].out = out;
    x->tm[k].cap = cap;
    x->tm[k].col = i;
    x->tm[k].with_time = with_time;
}

static void digits(char *p, unsigned long v, int n)
{
    while (n--) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

static void format_time(char *out, const MYSQL_TIME *t, int with_time)
{
    digits(out, t->year, 4);
    out[4] = '-';
    digits(out + 5, t->month, 2);
    out[7] = '-';
    digits(out + 8, t->day, 2);
    if (!with_time) {
        out[10] = '\0';
        return;
    }
    out[10] = ' ';
    digits(out + 11, t->hour, 2);
    out[13] = ':';
    digits(out + 14, t->minute, 2);
    out[16] = ':';
    digits(out + 17, t->second, 2);
    out[19] = '.';
    digits(out + 20, t->second_part, 6);
    out[26] = '\0';
}

static void r_i64(query_ctx *x, int64_t *v, int is_unsigned)
{
    MYSQL_BIND *b = r_next(x);

    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
    b->is_unsigned = (my_bool)is_unsigned;
}

static void bind_columns(query_ctx *x)
{
    awc_credit *c = &x->row.c;

    x->nr = 0;
    x->ntm = 0;
    r_i64(x, (int64_t *)&c->seq, 1);
    r_str(x, c->period, sizeof(c->period));
    r_str(x, c->payer_account_id, sizeof(c->payer_account_id));
    r_str(x, c->usage_account_id, sizeof(c->usage_account_id));
    r_str(x, c->credit_key, sizeof(c->credit_key));
    r_str(x, c->product_code, sizeof(c->product_code));
    r_str(x, c->currency, sizeof(c->currency));
    r_i64(x, &x->revision, 0);
    r_i64(x, (int64_t *)&c->adjusts, 1);
    r_str(x, c->description, sizeof(c->description));
    r_str(x, c->credit_type, sizeof(c->credit_type));
    r_str(x, c->billing_entity, sizeof(c->billing_entity));
    r_str(x, c->legal_entity, sizeof(c->legal_entity));
    r_str(x, c->invoice_id, sizeof(c->invoice_id));
    r_time(x, c->first_usage, sizeof(c->first_usage), 0);
    r_time(x, c->last_usage, sizeof(c->last_usage), 0);
    r_time(x, c->issue_date, sizeof(c->issue_date), 0);
    r_i64(x, &c->line_count, 0);
    r_str(x, x->amount, sizeof(x->amount));
    r_str(x, x->status, sizeof(x->status));
    r_i64(x, &x->version, 0);
    r_i64(x, &x->unmapped, 0);
    r_str(x, c->customer_id, sizeof(c->customer_id));
    r_str(x, c->asset_id, sizeof(c->asset_id));
    r_str(x, c->reseller_id, sizeof(c->reseller_id));
    r_str(x, c->rule_id, sizeof(c->rule_id));
    r_str(x, c->usage_file_id, sizeof(c->usage_file_id));
    r_time(x, c->processing_date, sizeof(c->processing_date), 0);
    r_time(x, c->created_at, sizeof(c->created_at), 1);
    r_time(x, c->updated_at, sizeof(c->updated_at), 1);
    r_str(x, c->owner_account_id, sizeof(c->owner_account_id));
    r_str(x, x->splits, sizeof(x->splits));
    r_str(x, x->row.note, sizeof(x->row.note));
    if (x->q->with_names) {
        r_str(x, x->row.customer_name, sizeof(x->row.customer_name));
        r_str(x, x->row.reseller_name, sizeof(x->row.reseller_name));
    }
}

/* Terminate the string columns; a NULL reads as "" or 0.  AWC_EDB when a
 * value did not fit its buffer. */
static int finish_columns(query_ctx *x)
{
    for (unsigned i = 0; i < x->nr; i++) {
        if (x->rbuf[i]) {
            if (x->rnul[i]) {
                x->rbuf[i][0] = '\0';
            } else if (x->rlen[i] >= x->rcap[i]) {
                return awc_error_set(AWC_EDB, "database: column %u of credit %llu is longer "
                                     "than %zu bytes", i + 1,
                                     (unsigned long long)x->row.c.seq, x->rcap[i] - 1);
            } else {
                x->rbuf[i][x->rlen[i]] = '\0';
            }
        } else if (x->rnul[i] && x->r[i].buffer_type == MYSQL_TYPE_LONGLONG) {
            memset(x->r[i].buffer, 0, sizeof(int64_t));
        }
    }
    for (unsigned k = 0; k < x->ntm; k++) {
        if (x->rnul[x->tm[k].col])
            x->tm[k].out[0] = '\0';
        else
            format_time(x->tm[k].out, &x->tm[k].t, x->tm[k].with_time);
    }
    return 0;
}

/* One signed decimal integer ending at ',' : 0 and *s moved past the comma. */
static int split_number(int64_t *out, const char **s)
{
    char *end;

    errno = 0;
    *out = strtoll(*s, &end, 10);
    if (errno || end == *s || *end != ',')
        return -1;
    *s = end + 1;
    return 0;
}

/* "count,assigned,retained,record_ids" into the row. */
static int parse_splits(query_ctx *x)
{
    awc_credit_row *r = &x->row;
    const char *s = x->splits;
    int64_t count = 0;
    size_t n;

    if (split_number(&count, &s) || split_number(&r->assigned_minor, &s) ||
        split_number(&r->retained_minor, &s))
        return awc_error_set(AWC_EDB, "database: split sums of credit %llu unreadable",
                             (unsigned long long)r->c.seq);
    n = strlen(s);
    if (n >= sizeof(r->record_ids))
        return awc_error_set(AWC_EDB, "database: record ids of credit %llu longer than %zu "
                             "bytes", (unsigned long long)r->c.seq, sizeof(r->record_ids) - 1);
    memcpy(r->record_ids, s, n + 1);
    r->has_splits = count > 0;
    return 0;
}

static int convert_row(query_ctx *x)
{
    awc_credit *c = &x->row.c;
    int rc;

    if ((rc = finish_columns(x)) != 0)
        return rc;
    c->revision = (int)x->revision;
    c->version = x->version;
    c->flag = (int)x->unmapped;
    if (awc_money_parse(&c->amount, x->amount, strlen(x->amount)) != 0)
        return awc_error_prefix(AWC_EDB, "database: credit %llu: stored amount",
                                (unsigned long long)c->seq);
    if (awc_state_parse(&c->state, x->status) != 0)
        return awc_error_set(AWC_EDB, "database: credit %llu: unknown state '%.20s'",
                             (unsigned long long)c->seq, x->status);
    return parse_splits(x);
}

/* ---- the unit of work ------------------------------------------------------------ */

static int do_query(mdb *st, void *arg)
{
    query_ctx *x = arg;
    MYSQL_STMT *s;
    uint64_t row = 0;
    int rc, f;

    if ((rc = bind_params(x)) != 0)
        return rc;
    if (!(s = mysql_stmt_init(st->conn)))
        return mdb_fail(st, "statement init");
    if (mysql_stmt_prepare(s, x->sql, (unsigned long)strlen(x->sql))) {
        rc = mdb_stmt_fail(st, s, "prepare");
        goto out;
    }
    if (mysql_stmt_param_count(s) != x->np || mysql_stmt_field_count(s) != x->nr)
        abort(); /* programming error: bindings differ from the SQL */
    if (mysql_stmt_bind_param(s, x->p) || mysql_stmt_bind_result(s, x->r)) {
        rc = mdb_stmt_fail(st, s, "bind");
        goto out;
    }
    if (mysql_stmt_execute(s)) {
        rc = mdb_stmt_fail(st, s, "execute");
        goto out;
    }
    /* no mysql_stmt_store_result(): rows arrive one at a time */
    while ((f = mysql_stmt_fetch(s)) == 0 || f == MYSQL_DATA_TRUNCATED) {
        if (x->delivered && x->q->sort == AWC_SORT_ID) {
            /* a retried attempt: skip by key (the row is not converted yet,
             * but seq is bound as a number) */
            if (x->q->descending ? x->row.c.seq >= x->last_seq : x->row.c.seq <= x->last_seq)
                continue;
            if (x->q->limit > 0 && x->delivered >= (uint64_t)x->q->limit) {
                f = MYSQL_NO_DATA;
                break;
            }
        } else if (row++ < x->delivered) {
            continue; /* handed out before a retried attempt */
        }
        if ((rc = convert_row(x)) != 0)
            goto out;
        x->delivered++;
        x->last_seq = x->row.c.seq;
        if ((rc = x->fn(x->arg, &x->row)) != 0)
            goto out; /* closing the statement discards the rest */
    }
    /* A connection lost while rows stream in is reported on the connection,
     * not on the statement: take the errno from where it is, so that
     * mdb_tx sees 2013 and retries. */
    if (f != MYSQL_NO_DATA)
        rc = mysql_stmt_errno(s) ? mdb_stmt_fail(st, s, "fetch") : mdb_fail(st, "fetch");
out:
    mysql_stmt_close(s);
    return rc;
}

int mdb_credits_query(awc_store *s, const awc_query *q,
                      int (*fn)(void *, const awc_credit_row *), void *arg)
{
    mdb *st = (mdb *)s;
    query_ctx *x;
    int rc;

    if ((unsigned)q->sort >= N_ORDER)
        return awc_error_set(AWC_EUSAGE, "unknown sort key %d", (int)q->sort);
    if (!(x = awc_calloc(1, sizeof(*x))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    x->q = q;
    x->fn = fn;
    x->arg = arg;
    /* Only constant fragments go into the text. */
    if (order_key[q->sort])
        snprintf(x->sql, sizeof(x->sql), "%s%s%s%sORDER BY %s%s, c.seq%s%s", Q_SELECT,
                 q->with_names ? Q_NAMES : "", Q_FROM, Q_WHERE,
                 order_key[q->sort], q->descending ? " DESC" : "",
                 q->descending ? " DESC" : "", Q_LIMIT);
    else
        snprintf(x->sql, sizeof(x->sql), "%s%s%s%sORDER BY c.seq%s%s", Q_SELECT,
                 q->with_names ? Q_NAMES : "", Q_FROM, Q_WHERE,
                 q->descending ? " DESC" : "", Q_LIMIT);
    bind_columns(x);
    if ((rc = mdb_ensure(st)) == 0)
        rc = mdb_tx(st, do_query, x);
    awc_free(x->like);
    awc_free(x);
    return rc;
}

/* ---- totals ---------------------------------------------------------------------- */

#define Q_TOTALS "SELECT c.currency, COUNT(*), CAST(SUM(c.amount) AS CHAR) " Q_FROM

typedef struct totals_ctx {
    query_ctx *x;
    int (*fn)(void *, const char *, int64_t, const char *);
    void *arg;
} totals_ctx;

static int do_totals(mdb *st, void *arg)
{
    totals_ctx *t = arg;
    query_ctx *x = t->x;
    char cur[8], sum[80];
    int64_t count = 0;
    MYSQL_STMT *s;
    int rc, f;

    if ((rc = bind_params(x)) != 0)
        return rc;
    x->nr = 0;
    r_str(x, cur, sizeof(cur));
    r_i64(x, &count, 0);
    r_str(x, sum, sizeof(sum));
    if (!(s = mysql_stmt_init(st->conn)))
        return mdb_fail(st, "statement init");
    if (mysql_stmt_prepare(s, x->sql, (unsigned long)strlen(x->sql))) {
        rc = mdb_stmt_fail(st, s, "prepare");
        goto out;
    }
    if (mysql_stmt_param_count(s) != x->np || mysql_stmt_field_count(s) != x->nr)
        abort(); /* programming error: bindings differ from the SQL */
    if (mysql_stmt_bind_param(s, x->p) || mysql_stmt_bind_result(s, x->r) ||
        mysql_stmt_execute(s) || mysql_stmt_store_result(s)) {
        rc = mdb_stmt_fail(st, s, "totals");
        goto out;
    }
    /* a few rows, one per currency: all are read before any is handed out,
     * so a retried attempt delivers each once */
    while ((f = mysql_stmt_fetch(s)) == 0) {
        if ((rc = finish_columns(x)) != 0 || (rc = t->fn(t->arg, cur, count, sum)) != 0)
            goto out;
    }
    if (f != MYSQL_NO_DATA)
        rc = mdb_stmt_fail(st, s, "fetch");
out:
    mysql_stmt_close(s);
    return rc;
}

int mdb_credits_totals(awc_store *s, const awc_query *q,
                       int (*fn)(void *, const char *, int64_t, const char *), void *arg)
{
    mdb *st = (mdb *)s;
    awc_query all = *q;
    totals_ctx t = { NULL, fn, arg };
    int rc;

    all.limit = all.offset = 0;
    if (!(t.x = awc_calloc(1, sizeof(*t.x))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    t.x->q = &all;
    snprintf(t.x->sql, sizeof(t.x->sql), "%s%sGROUP BY c.currency ORDER BY c.currency%s",
             Q_TOTALS, Q_WHERE, Q_LIMIT);
    if ((rc = mdb_ensure(st)) == 0)
        rc = mdb_tx(st, do_totals, &t);
    awc_free(t.x->like);
    awc_free(t.x);
    return rc;
}
