/*
 * cur_athena.h -- the credits of one billing period, aggregated by Athena
 * (SPEC section 9, cur.source = athena).
 *
 * Runs the query template of the configured CUR version (sql/athena/cur1.sql
 * for a legacy CUR table partitioned by year/month, cur2.sql for a CUR 2.0
 * table partitioned by billing_period) through Athena's HTTP API (AWS JSON
 * 1.1, signed by aws.h): StartQueryExecution with a deterministic
 * ClientRequestToken, GetQueryExecution polled with back-off until the query
 * ends or athena.query_timeout passes (then StopQueryExecution), and
 * GetQueryResults page by page (MaxResults 1000, NextToken), each data row
 * handed to a callback.  Throttling and 5xx answers are retried with
 * bounded, jittered back-off.
 *
 * SQL text and injection: Athena takes the query as text, so every value put
 * into a template is validated first -- database and table names match
 * [A-Za-z0-9_]+, the period is YYYY-MM, line item types are [A-Za-z]+ words
 * -- and anything else is refused before a request is made.
 *
 * Idempotency: the ClientRequestToken is the hex SHA-256 of the query text,
 * the period, the workgroup, the output location and an optional salt, so a
 * retried run of the same pull gets the same QueryExecutionId back from
 * Athena instead of starting a second query.  A deliberate re-pull of a
 * restated month passes a new salt (token_salt) to run the query again.
 *
 * The rows: one per (payer, usage account, product, currency, description),
 * with billing entity, legal entity, invoice id, first and last usage date,
 * line count and the summed amount (exact; Athena's text, exponent form
 * accepted).  The module derives the credit key from the description and
 * folds rows sharing a key (SPEC 5.2).
 *
 * Ownership: everything an awc_athena_row points at belongs to this unit and
 * is valid only during the callback.  The conf's strings are borrowed.
 *
 * Errors: 0 or a negative awc_err with one line:
 *   AWC_ECONFIG    a template value that fails validation, no database/table
 *   AWC_EUSAGE     the period is not YYYY-MM
 *   AWC_ENET       Athena refused a call ("athena StartQueryExecution: HTTP 400
 *                  InvalidRequestException: ..."), the query FAILED (its reason
 *                  named) or was CANCELLED
 *   AWC_ETIMEOUT   "athena: query ID still RUNNING after N s
 *                  (athena.query_timeout)"; or an HTTP timeout (aws.h)
 *   AWC_EBADINPUT  unexpected result columns or a bad cell ("athena: query ID:
 *                  result row 7: amount: ...")
 *   AWC_ENOMEM
 * A negative code from the callback stops the read and is returned unchanged.
 */
#ifndef AWC_CUR_ATHENA_H
#define AWC_CUR_ATHENA_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "config.h"
#include "money.h"

/* The result columns, in the templates' order. */
typedef enum awc_athena_col {
    AWC_ATHENA_PAYER = 0,
    AWC_ATHENA_ACCOUNT,
    AWC_ATHENA_PRODUCT,
    AWC_ATHENA_CURRENCY,
    AWC_ATHENA_DESCRIPTION,
    AWC_ATHENA_BILLING_ENTITY,
    AWC_ATHENA_LEGAL_ENTITY,
    AWC_ATHENA_INVOICE_ID,
    AWC_ATHENA_FIRST_USAGE,
    AWC_ATHENA_LAST_USAGE,
    AWC_ATHENA_LINE_COUNT,
    AWC_ATHENA_AMOUNT,
    AWC_ATHENA_NCOLS
} awc_athena_col;

/* One aggregated result row.  Strings are NUL-terminated; a NULL cell (no
 * VarCharValue) is "" with its bit (1u << awc_athena_col) set in null_mask.
 * payer_account_id, usage_account_id, currency, first/last usage, line
 * count and amount are never NULL (such a row is an error). */
typedef struct awc_athena_row {
    const char *payer_account_id;
    const char *usage_account_id;
    const char *product_code;
    const char *currency;          /* three upper-case letters */
    const char *description;
    const char *billing_entity;
    const char *legal_entity;
    const char *invoice_id;
    const char *first_usage;       /* YYYY-MM-DD */
    const char *last_usage;        /* YYYY-MM-DD */
    int64_t line_count;            /* >= 1 */
    awc_amount amount;             /* exact */
    const char *amount_text;       /* as Athena printed it */
    unsigned null_mask;
    uint64_t row;                  /* 1 = the first data row */
} awc_athena_row;

/* Return 0 to go on, or a negative awc_err to stop. */
typedef int (*awc_athena_row_fn)(void *ctx, const awc_athena_row *row);

typedef struct awc_athena_conf {
    const char *endpoint;          /* NULL = https://athena.REGION.amazonaws.com */
    const char *region;            /* signing region; NULL = "us-east-1" */
    const char *workgroup;         /* NULL = not sent (Athena's "primary") */
    const char *catalog;           /* NULL = not sent (AwsDataCatalog) */
    const char *database;          /* required, [A-Za-z0-9_]+ */
    const char *table;             /* required, [A-Za-z0-9_]+ */
    const char *output_location;   /* s3://...; NULL = the workgroup's setting */
    int cur_version;               /* 1 or 2 */
    const char *line_item_types;   /* "Credit,Refund"; NULL = "Credit" */
    unsigned query_timeout;        /* seconds from the start; 0 = 600 */
    const char *token_salt;        /* NULL/"" = none (see Idempotency) */
    unsigned poll_initial_ms;      /* first poll delay; 0 = 250 */
    unsigned poll_max_ms;          /* cap of the doubling delay; 0 = 5000 */
    unsigned max_retries;          /* per call, for throttling/5xx; 0 = 8 */
} awc_athena_conf;

typedef struct awc_athena_stats {
    char query_execution_id[128];
    char client_request_token[65];
    uint64_t rows;                 /* data rows delivered */
    uint64_t pages;                /* GetQueryResults calls */
    uint64_t polls;                /* GetQueryExecution calls */
    uint64_t retries;              /* calls repeated after throttling/5xx */
    int64_t data_scanned_bytes;    /* from the final GetQueryExecution, or -1 */
} awc_athena_stats;

/* The templates as built into the module; tests assert they equal
 * sql/athena/cur1.sql and cur2.sql byte for byte. */
extern const char awc_athena_cur1_sql[];
extern const char awc_athena_cur2_sql[];

/* athena.* of a loaded configuration, and cur.line_item_types. */
void awc_athena_conf_from_config(awc_athena_conf *out, const awc_config *cfg);

/* The query for period: the template of conf->cur_version with its comment
 * lines dropped and its placeholders filled with validated values.  *out
 * from awc_malloc.  AWC_ECONFIG / AWC_EUSAGE naming the bad value's key. */
int awc_athena_render(char **out, const awc_athena_conf *conf, const char *period);

/* The ClientRequestToken for a rendered query: 64 lower-case hex chars and
 * a NUL into out. */
void awc_athena_token(char out[65], const awc_athena_conf *conf, const char *query,
                      const char *period);

/* Run the query for period and call on_row for each result row.  stats
 * (may be NULL) is filled as far as the run got. */
int awc_athena_pull(awc_aws_client *client, const awc_athena_conf *conf, const char *period,
                    awc_athena_row_fn on_row, void *ctx, awc_athena_stats *stats);

/* One GetQueryResults answer (resp, parsed JSON; qid names the query in
 * messages): while *first, its first row is the header and must name the
 * columns (then *first = 0); every other row is checked and handed to
 * on_row as row *n + 1, and *n counts the rows delivered.  AWC_EBADINPUT
 * (no ResultSet.Rows, other columns, a bad cell), or the callback's code.
 * awc_athena_pull() reads each page with it. */
struct json_t;
int awc_athena_read_page(struct json_t *resp, const char *qid, int *first, uint64_t *n,
                         awc_athena_row_fn on_row, void *ctx);

#endif /* AWC_CUR_ATHENA_H */
