/*
 * cur_athena.c -- credits of a period through Athena (cur_athena.h).
 *
 * Flow: render the template (validated values only) -> token ->
 * StartQueryExecution -> GetQueryExecution every 250 ms, 500 ms, 1 s, ...
 * 5 s until a final state or athena.query_timeout -> GetQueryResults pages
 * of 1000 rows (the first row of the first page is the header and is
 * checked, not delivered).  Every call goes through call(), which retries
 * throttling and 5xx answers with jittered back-off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "awc.h"
#include "cur_athena.h"
#include "sha256.h"

/* --- the templates (the same text as sql/athena/cur1.sql and cur2.sql) ----------- */

const char awc_athena_cur1_sql[] =
    "-- cur1.sql -- the credits of one billing period from a legacy CUR table\n"
    "-- (CUR 1 with the Athena integration: snake-case columns, partitions year\n"
    "-- and month as strings; month is '7' or '07' depending on the setup, so\n"
    "-- both are matched).  Used by adapters/cur_athena.c (athena.cur_version = 1),\n"
    "-- which keeps a copy of this text that a unit test compares with this file.\n"
    "--\n"
    "-- Placeholders are filled only with validated values, because Athena takes\n"
    "-- SQL text: {{database}} and {{table}} match [A-Za-z0-9_]+, {{period}} is\n"
    "-- YYYY-MM ({{year}}, {{month}}, {{month_unpadded}} derive from it), and\n"
    "-- {{line_item_types}} is a list of quoted [A-Za-z]+ words ('Credit').\n"
    "-- Comment lines are dropped before the query is sent.\n"
    "--\n"
    "-- The result's columns and their order are the contract with cur_athena.c:\n"
    "-- one row per (payer, usage account, product, currency, description); each\n"
    "-- cost is cast to DECIMAL(38,10) before the sum (CUR's DOUBLE column,\n"
    "-- rounded to the 10 places CUR prints), and the sum is returned as text.\n"
    "SELECT\n"
    "  bill_payer_account_id AS payer_account_id,\n"
    "  line_item_usage_account_id AS usage_account_id,\n"
    "  line_item_product_code AS product_code,\n"
    "  line_item_currency_code AS currency,\n"
    "  line_item_line_item_description AS description,\n"
    "  max(bill_billing_entity) AS billing_entity,\n"
    "  max(line_item_legal_entity) AS legal_entity,\n"
    "  max(bill_invoice_id) AS invoice_id,\n"
    "  date_format(min(line_item_usage_start_date), '%Y-%m-%d') AS first_usage,\n"
    "  date_format(max(line_item_usage_start_date), '%Y-%m-%d') AS last_usage,\n"
    "  count(*) AS line_count,\n"
    "  CAST(sum(CAST(line_item_unblended_cost AS DECIMAL(38, 10))) AS VARCHAR) AS amount\n"
    "FROM \"{{database}}\".\"{{table}}\"\n"
    "WHERE year = '{{year}}'\n"
    "  AND month IN ('{{month}}', '{{month_unpadded}}')\n"
    "  AND bill_billing_period_start_date = TIMESTAMP '{{period}}-01 00:00:00'\n"
    "  AND line_item_line_item_type IN ({{line_item_types}})\n"
    "GROUP BY 1, 2, 3, 4, 5\n"
    "ORDER BY 1, 2, 3, 4, 5\n";

const char awc_athena_cur2_sql[] =
    "-- cur2.sql -- the credits of one billing period from a CUR 2.0 (Data\n"
    "-- Exports) table: snake-case columns, partition billing_period = 'YYYY-MM'.\n"
    "-- Used by adapters/cur_athena.c (athena.cur_version = 2), which keeps a\n"
    "-- copy of this text that a unit test compares with this file.\n"
    "--\n"
    "-- Placeholders are filled only with validated values, because Athena takes\n"
    "-- SQL text: {{database}} and {{table}} match [A-Za-z0-9_]+, {{period}} is\n"
    "-- YYYY-MM, and {{line_item_types}} is a list of quoted [A-Za-z]+ words\n"
    "-- ('Credit').  Comment lines are dropped before the query is sent.\n"
    "--\n"
    "-- CUR 2.0 moves product attributes, tags, discounts and cost categories\n"
    "-- into map columns (product, resource_tags, discount, cost_category); every\n"
    "-- column read here is a top-level one, so no map is touched or scanned.\n"
    "-- The result's columns and their order are the contract with\n"
    "-- cur_athena.c: one row per (payer, usage account, product, currency,\n"
    "-- description); each cost is cast to DECIMAL(38,10) before the sum, and the\n"
    "-- sum is returned as text.\n"
    "SELECT\n"
    "  bill_payer_account_id AS payer_account_id,\n"
    "  line_item_usage_account_id AS usage_account_id,\n"
    "  line_item_product_code AS product_code,\n"
    "  line_item_currency_code AS currency,\n"
    "  line_item_line_item_description AS description,\n"
    "  max(bill_billing_entity) AS billing_entity,\n"
    "  max(line_item_legal_entity) AS legal_entity,\n"
    "  max(bill_invoice_id) AS invoice_id,\n"
    "  date_format(min(line_item_usage_start_date), '%Y-%m-%d') AS first_usage,\n"
    "  date_format(max(line_item_usage_start_date), '%Y-%m-%d') AS last_usage,\n"
    "  count(*) AS line_count,\n"
    "  CAST(sum(CAST(line_item_unblended_cost AS DECIMAL(38, 10))) AS VARCHAR) AS amount\n"
    "FROM \"{{database}}\".\"{{table}}\"\n"
    "WHERE billing_period = '{{period}}'\n"
    "  AND line_item_line_item_type IN ({{line_item_types}})\n"
    "GROUP BY 1, 2, 3, 4, 5\n"
    "ORDER BY 1, 2, 3, 4, 5\n";

/* --- validation and rendering ---------------------------------------------------------- */

#define MAX_TYPES 16
#define MAX_TYPE_LEN 64
#define MAX_IDENT_LEN 128

static const char *const col_names[AWC_ATHENA_NCOLS] = {
    "payer_account_id", "usage_account_id", "product_code", "currency", "description",
    "billing_entity", "legal_entity", "invoice_id", "first_usage", "last_usage", "line_count",
    "amount",
};

static int ident_ok(const char *s)
{
    size_t n = 0;

    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return n >= 1 && n <= MAX_IDENT_LEN;
}

static int digits(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int period_ok(const char *p)
{
    return p && strlen(p) == 7 && digits(p, 4) && p[4] == '-' && digits(p + 5, 2) &&
           ((p[5] == '0' && p[6] >= '1') || (p[5] == '1' && p[6] <= '2')) && p[0] != '0';
}

/* "Credit, Refund" -> "'Credit', 'Refund'" into out (size n). */
static int render_types(char *out, size_t n, const char *types)
{
    const char *p = types && *types ? types : "Credit";
    size_t used = 0, count = 0;

    out[0] = '\0';
    for (;;) {
        const char *b, *e;
        size_t len, i;
        while (*p == ' ' || *p == '\t')
            p++;
        b = p;
        while (*p && *p != ',')
            p++;
        e = p;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        len = (size_t)(e - b);
        if (len == 0 || len > MAX_TYPE_LEN)
            return awc_error_set(AWC_ECONFIG, "cur.line_item_types: expected comma-separated "
                                              "words of letters, got \"%.100s\"", types);
        for (i = 0; i < len; i++)
            if (!((b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' && b[i] <= 'z')))
                return awc_error_set(AWC_ECONFIG, "cur.line_item_types: \"%.*s\" is not a "
                                                  "line item type (letters only)",
                                     (int)(len > 64 ? 64 : len), b);
        if (++count > MAX_TYPES)
            return awc_error_set(AWC_ECONFIG, "cur.line_item_types: more than %d types",
                                 MAX_TYPES);
        if (used + len + 5 >= n)
            return awc_error_set(AWC_ECONFIG, "cur.line_item_types: too long");
        used += (size_t)snprintf(out + used, n - used, "%s'%.*s'", count > 1 ? ", " : "",
                                 (int)len, b);
        if (*p != ',')
            return 0;
        p++; /* a comma: another type must follow */
    }
}

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static int buf_add(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 2048;
        char *q;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(q = awc_realloc(b->p, cap)))
            return awc_error_set(AWC_ENOMEM, "out of memory");
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int awc_athena_render(char **out, const awc_athena_conf *conf, const char *period)
{
    char types[MAX_TYPES * (MAX_TYPE_LEN + 4) + 8], year[5], month[3], month_unpadded[3];
    const char *tpl, *p;
    buf b = {NULL, 0, 0};
    int rc;

    *out = NULL;
    if (conf->cur_version != 1 && conf->cur_version != 2)
        return awc_error_set(AWC_ECONFIG, "athena.cur_version: expected 1 or 2, got %d",
                             conf->cur_version);
    if (!ident_ok(conf->database))
        return awc_error_set(AWC_ECONFIG, "athena.database: %s \"%.100s\" (letters, digits "
                                          "and _ only)",
                             conf->database ? "not a plain name:" : "not set",
                             conf->database ? conf->database : "");
    if (!ident_ok(conf->table))
        return awc_error_set(AWC_ECONFIG, "athena.table: %s \"%.100s\" (letters, digits "
                                          "and _ only)",
                             conf->table ? "not a plain name:" : "not set",
                             conf->table ? conf->table : "");
    if (!period_ok(period))
        return awc_error_set(AWC_EUSAGE, "period: expected YYYY-MM, got \"%.20s\"",
                             period ? period : "");
    if ((rc = render_types(types, sizeof(types), conf->line_item_types)))
        return rc;
    memcpy(year, period, 4);
    year[4] = '\0';
    memcpy(month, period + 5, 2);
    month[2] = '\0';
    snprintf(month_unpadded, sizeof(month_unpadded), "%s", month[0] == '0' ? month + 1 : month);

    tpl = conf->cur_version == 1 ? awc_athena_cur1_sql : awc_athena_cur2_sql;
    for (p = tpl; *p && rc == 0;) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol + 1 : p + strlen(p), *q = p;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (end - q >= 2 && q[0] == '-' && q[1] == '-') { /* a comment line */
            p = end;
            continue;
        }
        while (p < end && rc == 0) {
            const char *open = p, *close, *val = NULL;
            while (open + 1 < end && !(open[0] == '{' && open[1] == '{'))
                open++;
            if (open + 1 >= end) {
                rc = buf_add(&b, p, (size_t)(end - p));
                break;
            }
            if ((rc = buf_add(&b, p, (size_t)(open - p))))
                break;
            close = strstr(open, "}}");
            if (!close || close > end) {
                rc = awc_error_set(AWC_ERROR, "athena template: unclosed placeholder");
                break;
            }
#define IS(name) ((size_t)(close - open - 2) == strlen(name) && \
                  strncmp(open + 2, name, strlen(name)) == 0)
            if (IS("database"))
                val = conf->database;
            else if (IS("table"))
                val = conf->table;
            else if (IS("period"))
                val = period;
            else if (IS("year"))
                val = year;
            else if (IS("month"))
                val = month;
            else if (IS("month_unpadded"))
                val = month_unpadded;
            else if (IS("line_item_types"))
                val = types;
#undef IS
            if (!val) {
                rc = awc_error_set(AWC_ERROR, "athena template: unknown placeholder %.*s",
                                   (int)(close - open + 2), open);
                break;
            }
            rc = buf_add(&b, val, strlen(val));
            p = close + 2;
        }
        p = end;
    }
    if (rc) {
        awc_free(b.p);
        return rc;
    }
    *out = b.p;
    return 0;
}

void awc_athena_token(char out[65], const awc_athena_conf *conf, const char *query,
                      const char *period)
{
    const char *parts[5];
    awc_sha256_ctx c;
    uint8_t d[AWC_SHA256_LEN];
    size_t i;

    parts[0] = query;
    parts[1] = period;
    parts[2] = conf->workgroup ? conf->workgroup : "";
    parts[3] = conf->output_location ? conf->output_location : "";
    parts[4] = conf->token_salt ? conf->token_salt : "";
    awc_sha256_init(&c);
    for (i = 0; i < 5; i++) {
        awc_sha256_update(&c, parts[i], strlen(parts[i]));
        awc_sha256_update(&c, "\n", 1);
    }
    awc_sha256_final(&c, d);
    awc_sha256_tohex(out, d);
}

void awc_athena_conf_from_config(awc_athena_conf *out, const awc_config *cfg)
{
    memset(out, 0, sizeof(*out));
    out->endpoint = cfg->athena.endpoint;
    out->region = cfg->athena.region;
    out->workgroup = cfg->athena.workgroup;
    out->database = cfg->athena.database;
    out->table = cfg->athena.table;
    out->output_location = cfg->athena.output_location;
    out->cur_version = cfg->athena.cur_version;
    out->line_item_types = cfg->cur.line_item_types;
    out->query_timeout = cfg->athena.query_timeout;
}

/* --- calls -------------------------------------------------------------------------------- */

typedef struct run {
    awc_aws_client *client;
    const awc_athena_conf *conf;
    char endpoint[256];
    const char *region;
    awc_athena_stats *st;
} run;

/* One Athena operation (with retries); *resp is the parsed answer. */
static int call(run *r, const char *op, json_t *body, json_t **resp)
{
    char target[80], what[80];
    awc_aws_json_req jr;

    snprintf(target, sizeof(target), "AmazonAthena.%s", op);
    snprintf(what, sizeof(what), "athena %s", op);
    memset(&jr, 0, sizeof(jr));
    jr.what = what;
    jr.endpoint = r->endpoint;
    jr.region = r->region;
    jr.service = "athena";
    jr.target = target;
    jr.version = "1.1";
    jr.max_retries = r->conf->max_retries;
    jr.retries = r->st ? &r->st->retries : NULL;
    return awc_aws_json_call(r->client, &jr, body, resp);
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int start(run *r, const char *query, const char *token, char *qid, size_t qidsz)
{
    const awc_athena_conf *c = r->conf;
    json_t *body = json_object(), *ctx = json_object(), *resp = NULL;
    const char *id;
    int rc = 0;

    if (!body || !ctx) {
        json_decref(body);
        json_decref(ctx);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    json_object_set_new(body, "QueryString", json_string(query));
    json_object_set_new(body, "ClientRequestToken", json_string(token));
    json_object_set_new(ctx, "Database", json_string(c->database));
    if (c->catalog)
        json_object_set_new(ctx, "Catalog", json_string(c->catalog));
    json_object_set_new(body, "QueryExecutionContext", ctx);
    if (c->output_location)
        json_object_set_new(body, "ResultConfiguration",
                            json_pack("{s:s}", "OutputLocation", c->output_location));
    if (c->workgroup)
        json_object_set_new(body, "WorkGroup", json_string(c->workgroup));
    rc = call(r, "StartQueryExecution", body, &resp);
    json_decref(body);
    if (rc)
        return rc;
    id = jstr(resp, "QueryExecutionId");
    if (!id || !*id || strlen(id) >= qidsz || strspn(id, "abcdefghijklmnopqrstuvwxyz"
                                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789-_") != strlen(id))
        rc = awc_error_set(AWC_EBADINPUT, "athena StartQueryExecution: no usable "
                                          "QueryExecutionId in the answer");
    else
        snprintf(qid, qidsz, "%s", id);
    json_decref(resp);
    return rc;
}

static void stop(run *r, const char *qid)
{
    json_t *body = json_pack("{s:s}", "QueryExecutionId", qid), *resp = NULL;
    if (body && call(r, "StopQueryExecution", body, &resp) == 0)
        json_decref(resp);
    json_decref(body);
}

/* Poll until SUCCEEDED (0), a failure, or the deadline. */
static int wait_for(run *r, const char *qid, uint64_t started_ms)
{
    const awc_athena_conf *c = r->conf;
    unsigned timeout_s = c->query_timeout ? c->query_timeout : 600;
    unsigned delay = c->poll_initial_ms ? c->poll_initial_ms : 250;
    unsigned cap = c->poll_max_ms ? c->poll_max_ms : 5000;
    uint64_t deadline = started_ms + (uint64_t)timeout_s * 1000u;

    for (;;) {
        json_t *body = json_pack("{s:s}", "QueryExecutionId", qid), *resp = NULL, *qe, *status;
        const char *state, *reason;
        char st[32], why[300];
        uint64_t now;
        int rc;

        if (!body)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        rc = call(r, "GetQueryExecution", body, &resp);
        json_decref(body);
        if (rc)
            return rc;
        if (r->st)
            r->st->polls++;
        qe = json_object_get(resp, "QueryExecution");
        status = json_object_get(qe, "Status");
        state = jstr(status, "State");
        if (!state) {
            json_decref(resp);
            return awc_error_set(AWC_EBADINPUT, "athena GetQueryExecution: no Status.State for "
                                                "query %s", qid);
        }
        snprintf(st, sizeof(st), "%s", state);
        reason = jstr(status, "StateChangeReason");
        if (!reason)
            reason = jstr(json_object_get(status, "AthenaError"), "ErrorMessage");
        snprintf(why, sizeof(why), "%s", reason ? reason : "");
        if (r->st) {
            json_t *scanned = json_object_get(json_object_get(qe, "Statistics"),
                                              "DataScannedInBytes");
            if (json_is_integer(scanned))
                r->st->data_scanned_bytes = (int64_t)json_integer_value(scanned);
        }
        json_decref(resp);

        if (strcmp(st, "SUCCEEDED") == 0)
            return 0;
        if (strcmp(st, "FAILED") == 0)
            return awc_error_set(AWC_ENET, "athena: query %s FAILED: %s", qid,
                                 why[0] ? why : "no reason given");
        if (strcmp(st, "CANCELLED") == 0)
            return awc_error_set(AWC_ENET, "athena: query %s was CANCELLED%s%s", qid,
                                 why[0] ? ": " : "", why);
        if (strcmp(st, "QUEUED") != 0 && strcmp(st, "RUNNING") != 0)
            return awc_error_set(AWC_EBADINPUT, "athena: query %s in unknown state %s", qid, st);
        now = awc_aws_now_ms();
        if (now >= deadline) {
            stop(r, qid);
            return awc_error_set(AWC_ETIMEOUT, "athena: query %s still %s after %u s "
                                               "(athena.query_timeout)", qid, st, timeout_s);
        }
        awc_aws_sleep_ms((unsigned)(deadline - now < delay ? deadline - now : delay));
        delay = delay * 2 > cap ? cap : delay * 2;
    }
}

/* --- result rows ------------------------------------------------------------------------- */

static int date_ok(const char *s)
{
    return strlen(s) == 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
           digits(s + 8, 2);
}

/* The cells of one row into v (NULL for a missing VarCharValue). */
static int cells(json_t *row, const char *v[AWC_ATHENA_NCOLS])
{
    json_t *data = json_object_get(row, "Data");
    size_t i;

    if (!json_is_array(data) || json_array_size(data) != AWC_ATHENA_NCOLS)
        return -1;
    for (i = 0; i < AWC_ATHENA_NCOLS; i++)
        v[i] = jstr(json_array_get(data, i), "VarCharValue");
    return 0;
}

static int check_header(const char *qid, json_t *row)
{
    const char *v[AWC_ATHENA_NCOLS];
    size_t i;

    if (cells(row, v) != 0)
        return awc_error_set(AWC_EBADINPUT, "athena: query %s: the result has %zu columns, "
                                            "expected %d", qid,
                             json_array_size(json_object_get(row, "Data")), AWC_ATHENA_NCOLS);
    for (i = 0; i < AWC_ATHENA_NCOLS; i++)
        if (!v[i] || strcasecmp(v[i], col_names[i]) != 0)
            return awc_error_set(AWC_EBADINPUT, "athena: query %s: result column %zu is \"%.60s\", "
                                                "expected \"%s\"", qid, i + 1,
                                 v[i] ? v[i] : "NULL", col_names[i]);
    return 0;
}

static int bad_cell(const char *qid, uint64_t n, int col, const char *why, const char *val)
{
    return awc_error_set(AWC_EBADINPUT, "athena: query %s: result row %llu: %s: %s%s%.60s%s",
                         qid, (unsigned long long)n, col_names[col], why, val ? " \"" : "",
                         val ? val : "", val ? "\"" : "");
}

static int deliver(const char *qid, json_t *row, uint64_t n, awc_athena_row_fn on_row, void *ctx)
{
    const char *v[AWC_ATHENA_NCOLS];
    awc_athena_row out = {0};
    const char **f[] = {&out.payer_account_id, &out.usage_account_id, &out.product_code,
                        &out.currency, &out.description, &out.billing_entity,
                        &out.legal_entity, &out.invoice_id, &out.first_usage, &out.last_usage};
    static const int required[] = {AWC_ATHENA_PAYER, AWC_ATHENA_ACCOUNT, AWC_ATHENA_CURRENCY,
                                   AWC_ATHENA_FIRST_USAGE, AWC_ATHENA_LAST_USAGE,
                                   AWC_ATHENA_LINE_COUNT, AWC_ATHENA_AMOUNT};
    const char *cur;
    char *end;
    long long lc;
    size_t i;
    int rc;

    if (cells(row, v) != 0)
        return awc_error_set(AWC_EBADINPUT, "athena: query %s: result row %llu does not have "
                                            "%d cells", qid, (unsigned long long)n,
                             AWC_ATHENA_NCOLS);
    for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!v[required[i]])
            return bad_cell(qid, n, required[i], "NULL", NULL);
    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        *f[i] = v[i] ? v[i] : "";
        if (!v[i])
            out.null_mask |= 1u << i;
    }
    cur = out.currency;
    if (strlen(cur) != 3 || cur[0] < 'A' || cur[0] > 'Z' || cur[1] < 'A' || cur[1] > 'Z' ||
        cur[2] < 'A' || cur[2] > 'Z')
        return bad_cell(qid, n, AWC_ATHENA_CURRENCY, "not an ISO 4217 code", cur);
    if (!date_ok(out.first_usage))
        return bad_cell(qid, n, AWC_ATHENA_FIRST_USAGE, "not YYYY-MM-DD", out.first_usage);
    if (!date_ok(out.last_usage))
        return bad_cell(qid, n, AWC_ATHENA_LAST_USAGE, "not YYYY-MM-DD", out.last_usage);
    errno = 0;
    lc = strtoll(v[AWC_ATHENA_LINE_COUNT], &end, 10);
    if (errno || end == v[AWC_ATHENA_LINE_COUNT] || *end || lc < 1)
        return bad_cell(qid, n, AWC_ATHENA_LINE_COUNT, "not a count >= 1",
                        v[AWC_ATHENA_LINE_COUNT]);
    out.line_count = lc;
    out.amount_text = v[AWC_ATHENA_AMOUNT];
    if ((rc = awc_money_parse(&out.amount, out.amount_text, strlen(out.amount_text)))) {
        char msg[AWC_ERRMSG_MAX];
        snprintf(msg, sizeof(msg), "%s", awc_error_last());
        return awc_error_set(rc, "athena: query %s: result row %llu: amount \"%.60s\": %s", qid,
                             (unsigned long long)n, out.amount_text, msg);
    }
    out.row = n;
    return on_row(ctx, &out);
}

int awc_athena_read_page(json_t *resp, const char *qid, int *first, uint64_t *n,
                         awc_athena_row_fn on_row, void *ctx)
{
    json_t *rows = json_object_get(json_object_get(resp, "ResultSet"), "Rows");
    size_t i;
    int rc = 0;

    if (!json_is_array(rows))
        return awc_error_set(AWC_EBADINPUT, "athena GetQueryResults: no ResultSet.Rows for "
                                            "query %s", qid);
    for (i = 0; i < json_array_size(rows) && rc == 0; i++) {
        if (*first) { /* the header row of a SELECT */
            *first = 0;
            rc = check_header(qid, json_array_get(rows, i));
            continue;
        }
        rc = deliver(qid, json_array_get(rows, i), *n + 1, on_row, ctx);
        if (rc == 0)
            ++*n;
    }
    return rc;
}

static int results(run *r, const char *qid, awc_athena_row_fn on_row, void *ctx)
{
    char *token = NULL;
    uint64_t n = 0;
    int first = 1, rc = 0;

    for (;;) {
        json_t *body = json_pack("{s:s,s:i}", "QueryExecutionId", qid, "MaxResults", 1000);
        json_t *resp = NULL, *next;

        if (!body) {
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
            break;
        }
        if (token)
            json_object_set_new(body, "NextToken", json_string(token));
        rc = call(r, "GetQueryResults", body, &resp);
        json_decref(body);
        if (rc)
            break;
        if (r->st)
            r->st->pages++;
        rc = awc_athena_read_page(resp, qid, &first, &n, on_row, ctx);
        if (r->st)
            r->st->rows = n;
        if (rc) {
            json_decref(resp);
            break;
        }
        next = json_object_get(resp, "NextToken");
        awc_free(token);
        token = NULL;
        if (rc == 0 && json_is_string(next) && *json_string_value(next)) {
            if (!(token = awc_strdup(json_string_value(next))))
                rc = awc_error_set(AWC_ENOMEM, "out of memory");
        }
        json_decref(resp);
        if (rc || !token)
            break;
    }
    awc_free(token);
    if (rc == 0 && first)
        rc = awc_error_set(AWC_EBADINPUT, "athena: query %s: the result has no header row", qid);
    return rc;
}

int awc_athena_pull(awc_aws_client *client, const awc_athena_conf *conf, const char *period,
                    awc_athena_row_fn on_row, void *ctx, awc_athena_stats *stats)
{
    char token[65], qid[128], *query = NULL;
    const char *region = conf->region && *conf->region ? conf->region : "us-east-1";
    run r;
    uint64_t started;
    int rc;

    if (stats) {
        memset(stats, 0, sizeof(*stats));
        stats->data_scanned_bytes = -1;
    }
    memset(&r, 0, sizeof(r));
    r.client = client;
    r.conf = conf;
    r.region = region;
    r.st = stats;
    if (strpbrk(region, "/: ") || strlen(region) > 64)
        return awc_error_set(AWC_ECONFIG, "athena.region: not a region: \"%.64s\"", region);
    if (conf->endpoint && *conf->endpoint) {
        if (strlen(conf->endpoint) >= sizeof(r.endpoint))
            return awc_error_set(AWC_ECONFIG, "athena.endpoint: too long");
        snprintf(r.endpoint, sizeof(r.endpoint), "%s", conf->endpoint);
    } else {
        snprintf(r.endpoint, sizeof(r.endpoint), "https://athena.%s.amazonaws.com", region);
    }
    if ((rc = awc_athena_render(&query, conf, period)))
        return rc;
    awc_athena_token(token, conf, query, period);
    if (stats)
        memcpy(stats->client_request_token, token, sizeof(token));
    started = awc_aws_now_ms();
    rc = start(&r, query, token, qid, sizeof(qid));
    awc_free(query);
    if (rc)
        return rc;
    if (stats)
        snprintf(stats->query_execution_id, sizeof(stats->query_execution_id), "%s", qid);
    if ((rc = wait_for(&r, qid, started)))
        return rc;
    return results(&r, qid, on_row, ctx);
}
