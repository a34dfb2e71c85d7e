/* serve_api.c -- the routes of the HTTP API (SPEC 15, docs/openapi.json):
 * each maps a request to one module operation and its outcome to a status. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "loader.h"
#include "serve.h"

const char *const serve_routes[] = {
    "GET /api/v1/session", "POST /api/v1/session", "DELETE /api/v1/session",
    "GET /api/v1/credits", "GET /api/v1/credits.csv",
    "GET /api/v1/credits/{id}", "PATCH /api/v1/credits/{id}",
    "GET /api/v1/credits/{id}/explain", "DELETE /api/v1/credits/{id}/assignment",
    "GET /api/v1/periods",
    "POST /api/v1/periods/{period}/assign", "POST /api/v1/periods/{period}/invoice",
    "POST /api/v1/periods/{period}/reconcile", "POST /api/v1/periods/{period}/close",
    "GET /api/v1/jobs/{id}",
    "GET /api/v1/balance", "GET /api/v1/grants/expiring",
    NULL
};

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 1000
#define OUT_MAX (64 * 1024 * 1024) /* a JSON answer held in memory */
#define PERIOD_ARG 16              /* one period of a period parameter, with its NUL */

static sresp method_not_allowed(const char *allow)
{
    sresp r = serve_problem(405, "method", "Method not allowed", allow);
    if (r.r)
        MHD_add_response_header(r.r, "Allow", allow);
    return r;
}

/* Call one operation (fn, through the thread's module) with JSON output;
 * on success *doc is the parsed answer. */
typedef int (*op_fn)(const awc_module_desc *d, awc_module *m, const awc_call *c,
                     const void *arg);

static int call_json(sreq *q, op_fn fn, const void *arg, json_t **doc, char *err, size_t n)
{
    awc_module *m = serve_module(q->srv, err, n);
    sbuf out = {0};
    awc_call c;
    int rc;

    *doc = NULL;
    if (!m)
        return AWC_EDB;
    out.max = OUT_MAX;
    serve_call_setup(q, &c, &out, err, n, 1);
    rc = fn(serve_desc(q->srv), m, &c, arg);
    if (rc == 0 && !(*doc = json_loadb(out.p ? out.p : "", out.n, 0, NULL))) {
        snprintf(err, n, "the module's answer is not JSON");
        rc = AWC_ERROR;
    }
    sbuf_free(&out);
    return rc;
}

static int op_list(const awc_module_desc *d, awc_module *m, const awc_call *c, const void *a)
{
    return d->list(m, c, a);
}
static int op_show(const awc_module_desc *d, awc_module *m, const awc_call *c, const void *a)
{
    return d->show(m, c, a);
}
static int op_explain(const awc_module_desc *d, awc_module *m, const awc_call *c,
                      const void *a)
{
    return d->explain(m, c, a);
}
static int op_edit(const awc_module_desc *d, awc_module *m, const awc_call *c, const void *a)
{
    return d->edit(m, c, a);
}
static int op_unassign(const awc_module_desc *d, awc_module *m, const awc_call *c,
                       const void *a)
{
    return d->unassign(m, c, a);
}
static int op_periods(const awc_module_desc *d, awc_module *m, const awc_call *c,
                      const void *a)
{
    (void)a;
    return d->periods(m, c);
}

/* "--min-amount" in a module message is "min_amount" here. */
static void option_names(char *msg)
{
    char *p = msg;

    while ((p = strstr(p, "--")) != NULL) {
        char *w = p + 2, *o = p;
        if (!(*w >= 'a' && *w <= 'z')) {
            p += 2;
            continue;
        }
        while ((*w >= 'a' && *w <= 'z') || *w == '-')
            *o++ = *w == '-' ? '_' : *w, w++;
        memmove(o, w, strlen(w) + 1);
        p = o;
    }
}

/* ---- filters ---------------------------------------------------------------------- */

typedef struct filter_req {
    awc_filter f;
    char from[PERIOD_ARG], to[PERIOD_ARG];
    const char *bad;               /* the first unknown key, or a bad value's key */
    char why[160];
    int csv;
} filter_req;

static int flag_value(const char *v, int *out)
{
    if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !*v)
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int number_value(const char *v, int64_t *out)
{
    char *end;
    long long n;

    errno = 0;
    n = v ? strtoll(v, &end, 10) : -1;
    if (!v || !*v || *end || errno || n < 0)
        return -1;
    *out = n;
    return 0;
}

/* "P" or "P..P" into from and to (PERIOD_ARG bytes each); the module
 * checks the periods themselves.  -1 with why set when it does not fit. */
static int period_value(const char *v, char from[PERIOD_ARG], char to[PERIOD_ARG], char *why,
                        size_t n)
{
    const char *dots = v ? strstr(v, "..") : NULL;
    size_t len = dots ? (size_t)(dots - v) : v ? strlen(v) : 0;

    if (!v || len >= PERIOD_ARG || (dots && strlen(dots + 2) >= PERIOD_ARG)) {
        snprintf(why, n, "expected YYYY-MM or YYYY-MM..YYYY-MM");
        return -1;
    }
    memcpy(from, v, len);
    from[len] = '\0';
    snprintf(to, PERIOD_ARG, "%s", dots ? dots + 2 : from);
    return 0;
}

static enum MHD_Result one_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *v)
{
    filter_req *x = cls;
    awc_filter *f = &x->f;

    (void)kind;
    if (x->bad)
        return MHD_YES;
#define S(name, field) else if (!strcmp(key, name)) f->field = v ? v : ""
    if (!strcmp(key, "period")) {
        if (period_value(v, x->from, x->to, x->why, sizeof(x->why)) != 0) {
            x->bad = "period";
            return MHD_YES;
        }
        f->period_from = x->from;
        f->period_to = x->to;
    }
    S("status", status);
    S("customer", customer);
    S("reseller", reseller);
    S("asset", asset);
    S("account", account);
    S("credit_id", credit_id);
    S("description", description);
    S("type", type);
    S("currency", currency);
    S("min_amount", min_amount);
    S("max_amount", max_amount);
    S("rule", rule);
    S("sort", sort);
    else if (!strcmp(key, "unmapped") || !strcmp(key, "held") || !strcmp(key, "excluded")) {
        int *field = !strcmp(key, "unmapped") ? &f->unmapped
                     : !strcmp(key, "held")   ? &f->held
                                              : &f->excluded;
        if (flag_value(v, field) != 0) {
            x->bad = key;
            snprintf(x->why, sizeof(x->why), "expected true or false");
        }
    } else if (!x->csv && !strcmp(key, "totals")) {
        int with = 1;
        if (flag_value(v, &with) != 0) {
            x->bad = key;
            snprintf(x->why, sizeof(x->why), "expected true or false");
        }
        f->skip_totals = !with;
    } else if (!x->csv && (!strcmp(key, "limit") || !strcmp(key, "offset"))) {
        int64_t *field = !strcmp(key, "limit") ? &f->limit : &f->offset;
        if (number_value(v, field) != 0 ||
            (field == &f->limit && (*field < 1 || *field > LIST_LIMIT_MAX))) {
            x->bad = key;
            snprintf(x->why, sizeof(x->why), "expected a whole number%s",
                     field == &f->limit ? " from 1 to 1000" : " >= 0");
        }
    } else {
        x->bad = key;
        snprintf(x->why, sizeof(x->why), "unknown filter");
    }
#undef S
    return MHD_YES;
}

static sresp filters(sreq *q, filter_req *x, int csv)
{
    sresp none = {0, NULL};
    char detail[300];

    memset(x, 0, sizeof(*x));
    x->f.size = sizeof(x->f);
    x->csv = csv;
    x->f.limit = csv ? 0 : LIST_LIMIT_DEFAULT;
    MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, one_arg, x);
    if (!x->bad)
        return none;
    snprintf(detail, sizeof(detail), "%.60s: %s", x->bad, x->why);
    return serve_problem(400, "bad-filter", "Bad filter", detail);
}

/* A filter the module refused is the client's mistake: 400, named. */
static sresp filter_error(sreq *q, int rc, char *err)
{
    if (rc == AWC_EUSAGE || rc == AWC_EBADINPUT || rc == AWC_EOVERFLOW) {
        option_names(err);
        return serve_problem(400, "bad-filter", "Bad filter", err);
    }
    return serve_error(q, rc, err);
}

static sresp credits_list(sreq *q)
{
    char err[HOST_ERR_MAX];
    filter_req x;
    json_t *doc;
    sresp r = filters(q, &x, 0);
    int rc;

    if (r.status)
        return r;
    if ((rc = call_json(q, op_list, &x.f, &doc, err, sizeof(err))) != 0)
        return filter_error(q, rc, err);
    return serve_json(200, doc);
}

/* ---- the CSV download, streamed ----------------------------------------------------------- */

/* The export runs on a thread of its own with a module instance of its
 * own, writing into a pipe; the response reads the other end.  The
 * request waits for the first byte (or a failure before any) so that a bad
 * filter is still a 400. */
typedef struct download {
    serve *srv;
    filter_req x;
    char strs[19][256];            /* copies of the filter's strings */
    awc_actor actor;
    char actor_id[AWC_AUTH_NAME_MAX], actor_reseller[AWC_AUTH_NAME_MAX];
    int fd;                        /* the pipe's writing end */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started, done, rc, refs;
    char err[HOST_ERR_MAX];
} download;

static void download_unref(download *dl)
{
    int last;

    pthread_mutex_lock(&dl->mu);
    last = --dl->refs == 0;
    pthread_mutex_unlock(&dl->mu);
    if (last) {
        pthread_mutex_destroy(&dl->mu);
        pthread_cond_destroy(&dl->cv);
        free(dl);
    }
}

static int download_write(void *ctx, const char *buf, size_t len)
{
    download *dl = ctx;

    if (!dl->started) {
        pthread_mutex_lock(&dl->mu);
        dl->started = 1;
        pthread_cond_signal(&dl->cv);
        pthread_mutex_unlock(&dl->mu);
    }
    while (len) {
        ssize_t n = write(dl->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;             /* the client went away */
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void *download_run(void *arg)
{
    download *dl = arg;
    const awc_module_desc *d = serve_desc(dl->srv);
    awc_module *m = NULL;
    awc_call c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.size = sizeof(c);
    c.actor = &dl->actor;
    c.format = AWC_FORMAT_TEXT;
    c.write = download_write;
    c.write_ctx = dl;
    c.errbuf = dl->err;
    c.errbuf_size = sizeof(dl->err);
    dl->err[0] = '\0';
    rc = d->open(&m, serve_api_of(dl->srv), dl->err, sizeof(dl->err));
    if (rc == 0) {
        rc = d->export_csv(m, &c, &dl->x.f);
        d->close(m);
    }
    close(dl->fd);
    pthread_mutex_lock(&dl->mu);
    dl->done = 1;
    dl->rc = rc;
    pthread_cond_signal(&dl->cv);
    pthread_mutex_unlock(&dl->mu);
    download_unref(dl);
    return NULL;
}

/* Copy f's strings into dl, so the thread does not depend on the request. */
static int copy_filter(download *dl)
{
    const char **fields[] = {
        &dl->x.f.status, &dl->x.f.period_from, &dl->x.f.period_to, &dl->x.f.customer,
        &dl->x.f.reseller, &dl->x.f.asset, &dl->x.f.account, &dl->x.f.credit_id,
        &dl->x.f.description, &dl->x.f.type, &dl->x.f.min_amount, &dl->x.f.max_amount,
        &dl->x.f.rule, &dl->x.f.sort, &dl->x.f.currency,
    };

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!*fields[i])
            continue;
        if (strlen(*fields[i]) >= sizeof(dl->strs[i]))
            return -1;
        snprintf(dl->strs[i], sizeof(dl->strs[i]), "%s", *fields[i]);
        *fields[i] = dl->strs[i];
    }
    return 0;
}

static sresp credits_csv(sreq *q)
{
    download *dl;
    pthread_t t;
    int fds[2];
    char err[HOST_ERR_MAX];
    sresp r = {0, NULL};

    if (!(dl = calloc(1, sizeof(*dl))))
        return serve_error(q, AWC_ENOMEM, "out of memory");
    r = filters(q, &dl->x, 1);
    if (r.status) {
        free(dl);
        return r;
    }
    if (copy_filter(dl) != 0) {
        free(dl);
        return serve_problem(400, "bad-filter", "Bad filter", "a filter value is too long");
    }
    dl->srv = q->srv;
    snprintf(dl->actor_id, sizeof(dl->actor_id), "%s", q->actor.id);
    snprintf(dl->actor_reseller, sizeof(dl->actor_reseller), "%s",
             q->actor.reseller_id ? q->actor.reseller_id : "");
    dl->actor = q->actor;
    dl->actor.id = dl->actor_id;
    dl->actor.reseller_id = q->actor.reseller_id ? dl->actor_reseller : NULL;
    pthread_mutex_init(&dl->mu, NULL);
    pthread_cond_init(&dl->cv, NULL);
    dl->refs = 2;
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(dl);
        return serve_error(q, AWC_EIO, "cannot make a pipe");
    }
    dl->fd = fds[1];
    if (pthread_create(&t, NULL, download_run, dl) != 0) {
        close(fds[0]);
        close(fds[1]);
        free(dl);
        return serve_error(q, AWC_ENOMEM, "cannot start the download");
    }
    pthread_detach(t);
    pthread_mutex_lock(&dl->mu);
    while (!dl->started && !dl->done)
        pthread_cond_wait(&dl->cv, &dl->mu);
    if (!dl->started) {
        int rc = dl->rc;
        snprintf(err, sizeof(err), "%s", dl->err);
        pthread_mutex_unlock(&dl->mu);
        close(fds[0]);
        download_unref(dl);
        return filter_error(q, rc, err);
    }
    pthread_mutex_unlock(&dl->mu);
    download_unref(dl);
    r.status = 200;
    r.r = MHD_create_response_from_pipe(fds[0]);
    if (!r.r) {
        close(fds[0]);
        return r;
    }
    MHD_add_response_header(r.r, "Content-Type", "text/csv; charset=utf-8");
    MHD_add_response_header(r.r, "Content-Disposition", "attachment; filename=\"credits.csv\"");
    serve_headers(r.r, 1);
    return r;
}

/* ---- one credit ------------------------------------------------------------------------- */

static sresp with_etag(sresp r, json_t *doc)
{
    char tag[32];
    json_t *v = json_object_get(doc, "version");

    if (r.r && json_is_integer(v)) {
        snprintf(tag, sizeof(tag), "\"%lld\"", (long long)json_integer_value(v));
        MHD_add_response_header(r.r, "ETag", tag);
    }
    return r;
}

static sresp credit_show(sreq *q, const char *id, unsigned status)
{
    char err[HOST_ERR_MAX];
    json_t *doc;
    sresp r;
    int rc;

    if ((rc = call_json(q, op_show, id, &doc, err, sizeof(err))) != 0)
        return serve_error(q, rc == AWC_EBADINPUT || rc == AWC_EUSAGE ? AWC_ENOTFOUND : rc, err);
    r = serve_json(status, json_incref(doc));
    r = with_etag(r, doc);
    json_decref(doc);
    return r;
}

/* If-Match: "N" (or W/"N", or N).  1 with *v set, 0 when absent, -1 when
 * malformed. */
static int if_match(sreq *q, int64_t *v)
{
    const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "If-Match");
    char *end;
    long long n;

    if (!h)
        return 0;
    if (!strncmp(h, "W/", 2))
        h += 2;
    if (*h == '"')
        h++;
    errno = 0;
    n = strtoll(h, &end, 10);
    if (end == h || errno || n < 1 || (*end && strcmp(end, "\"") != 0))
        return -1;
    *v = n;
    return 1;
}

static sresp precondition(sreq *q, awc_edit_args *a)
{
    sresp none = {0, NULL};
    int m = if_match(q, &a->expect_version);

    if (m == 0)
        return serve_problem(428, "if-match-required", "If-Match required",
                             "send If-Match with the credit's ETag (its version), as read");
    if (m < 0)
        return serve_problem(422, "invalid", "Invalid request",
                             "If-Match: expected the credit's ETag, e.g. \"3\"");
    return none;
}

static sresp credit_change(sreq *q, const char *id, int unassign)
{
    char err[HOST_ERR_MAX];
    awc_edit_args a;
    json_t *body = NULL, *doc, *v;
    const char *key;
    sresp r;
    int rc;

    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.credit_id = id;
    if ((r = precondition(q, &a)).status)
        return r;
    if (q->body.n || !unassign) {
        body = json_loadb(q->body.p ? q->body.p : "", q->body.n, 0, NULL);
        if (!json_is_object(body)) {
            json_decref(body);
            return serve_problem(422, "invalid", "Invalid request",
                                 "expected a JSON object, e.g. {\"split\": "
                                 "\"customer:60,reseller:40\"}");
        }
        json_object_foreach(body, key, v) {
            const char **field = !strcmp(key, "note")                 ? &a.note
                                 : unassign                           ? NULL
                                 : !strcmp(key, "split")              ? &a.split
                                 : !strcmp(key, "amounts")            ? &a.amounts
                                 : !strcmp(key, "account")            ? &a.account
                                                                      : NULL;
            char detail[160];
            if (!field || !json_is_string(v)) {
                snprintf(detail, sizeof(detail), "%.60s: %s", key,
                         field ? "expected a string"
                               : unassign ? "unknown field (expected note)"
                                          : "unknown field (expected split, amounts, account "
                                            "or note)");
                json_decref(body);
                return serve_problem(422, "invalid", "Invalid request", detail);
            }
            *field = json_string_value(v);
        }
    }
    if ((rc = call_json(q, unassign ? op_unassign : op_edit, &a, &doc, err, sizeof(err))) != 0) {
        json_decref(body);
        if (rc == AWC_EBADINPUT || rc == AWC_EUSAGE)
            option_names(err);
        return serve_error(q, rc, err);
    }
    json_decref(doc);
    json_decref(body);
    return credit_show(q, id, 200);
}

static sresp credit_explain(sreq *q, const char *id)
{
    char err[HOST_ERR_MAX];
    json_t *doc;
    int rc;

    if ((rc = call_json(q, op_explain, id, &doc, err, sizeof(err))) != 0)
        return serve_error(q, rc == AWC_EBADINPUT || rc == AWC_EUSAGE ? AWC_ENOTFOUND : rc, err);
    return serve_json(200, doc);
}

/* ---- periods ------------------------------------------------------------------------- */

static sresp periods(sreq *q)
{
    char err[HOST_ERR_MAX];
    json_t *doc;
    int rc;

    if ((rc = call_json(q, op_periods, NULL, &doc, err, sizeof(err))) != 0)
        return serve_error(q, rc, err);
    return serve_json(200, doc);
}

/* ---- balances (SPEC 16) ----------------------------------------------------------------- */

typedef struct balance_req {
    awc_balance_args a;
    char from[PERIOD_ARG], to[PERIOD_ARG];
    int expiring;
    const char *bad;               /* the first unknown key, or a bad value's key */
    char why[160];
} balance_req;

static enum MHD_Result balance_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *v)
{
    balance_req *x = cls;
    awc_balance_args *a = &x->a;

    (void)kind;
    if (x->bad)
        return MHD_YES;
    if (!v)
        v = "";
    if (!strcmp(key, "as_of")) {
        a->as_of = v;
    } else if (!strcmp(key, "node")) {
        a->node = v;
    } else if (!strcmp(key, "policy")) {
        a->policy = v;
    } else if (!x->expiring && !strcmp(key, "level")) {
        a->level = v;
    } else if (!x->expiring && !strcmp(key, "period")) {
        if (period_value(v, x->from, x->to, x->why, sizeof(x->why)) != 0) {
            x->bad = "period";
            return MHD_YES;
        }
        a->period_from = x->from;
        a->period_to = x->to;
    } else if (x->expiring && !strcmp(key, "within")) {
        int64_t days;
        if (number_value(v, &days) != 0 || days > 36600) {
            x->bad = key;
            snprintf(x->why, sizeof(x->why), "expected a whole number of days from 0 to 36600");
        } else {
            a->within_days = (int)days;
        }
    } else {
        x->bad = key;
        snprintf(x->why, sizeof(x->why), "unknown parameter (expected %s)",
                 x->expiring ? "within, as_of, node or policy"
                             : "period, node, level, policy or as_of");
    }
    return MHD_YES;
}

static int op_balance(const awc_module_desc *d, awc_module *m, const awc_call *c,
                      const void *a)
{
    return d->balance_of(m, c, a);
}
static int op_expiring(const awc_module_desc *d, awc_module *m, const awc_call *c,
                       const void *a)
{
    return d->expiring_of(m, c, a);
}

/* GET /balance and GET /grants/expiring: the module's JSON as it is; the
 * module scopes it to the actor (a reseller sees its customers' grants). */
static sresp balances(sreq *q, int expiring)
{
    const awc_module_desc *d = serve_desc(q->srv);
    char err[HOST_ERR_MAX], detail[300];
    balance_req x;
    json_t *doc;
    int rc;

    if (!host_op_present(d, expiring ? HOST_OP_EXPIRING_OF : HOST_OP_BALANCE_OF))
        return serve_problem(501, "not-supported", "Not supported",
                             "the module has no balances (ABI 1.2)");
    memset(&x, 0, sizeof(x));
    x.a.size = sizeof(x.a);
    x.a.within_days = -1;
    x.expiring = expiring;
    MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, balance_arg, &x);
    if (x.bad) {
        snprintf(detail, sizeof(detail), "%.60s: %s", x.bad, x.why);
        return serve_problem(400, "bad-filter", "Bad filter", detail);
    }
    if ((rc = call_json(q, expiring ? op_expiring : op_balance, &x.a, &doc, err,
                        sizeof(err))) != 0)
        return filter_error(q, rc, err);
    return serve_json(200, doc);
}

/* ---- routing --------------------------------------------------------------------------- */

/* The segments of path after "/api/v1/" into seg (at most 4). */
static int segments(const char *path, char seg[4][80])
{
    const char *p = path + 8;
    int n = 0;

    if (strncmp(path, "/api/v1/", 8) != 0)
        return -1;
    while (*p && n < 4) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || len >= 80)
            return -1;
        memcpy(seg[n], p, len);
        seg[n][len] = '\0';
        n++;
        p += len + (end ? 1 : 0);
        if (end && !*p)
            return -1;             /* a trailing slash */
    }
    return *p ? -1 : n;
}

static int is(const sreq *q, const char *m)
{
    return strcmp(q->method, m) == 0;
}

sresp serve_route(sreq *q, const char *path)
{
    sresp none = {0, NULL};
    char seg[4][80];
    int n = segments(path, seg);

    if (n == 1 && !strcmp(seg[0], "credits"))
        return is(q, "GET") ? credits_list(q) : method_not_allowed("GET");
    if (n == 1 && !strcmp(seg[0], "credits.csv"))
        return is(q, "GET") ? credits_csv(q) : method_not_allowed("GET");
    if (n == 2 && !strcmp(seg[0], "credits")) {
        if (is(q, "GET"))
            return credit_show(q, seg[1], 200);
        if (is(q, "PATCH"))
            return credit_change(q, seg[1], 0);
        return method_not_allowed("GET, PATCH");
    }
    if (n == 3 && !strcmp(seg[0], "credits") && !strcmp(seg[2], "explain"))
        return is(q, "GET") ? credit_explain(q, seg[1]) : method_not_allowed("GET");
    if (n == 3 && !strcmp(seg[0], "credits") && !strcmp(seg[2], "assignment"))
        return is(q, "DELETE") ? credit_change(q, seg[1], 1) : method_not_allowed("DELETE");
    if (n == 1 && !strcmp(seg[0], "periods"))
        return is(q, "GET") ? periods(q) : method_not_allowed("GET");
    if (n == 3 && !strcmp(seg[0], "periods") &&
        (!strcmp(seg[2], "assign") || !strcmp(seg[2], "invoice") ||
         !strcmp(seg[2], "reconcile") || !strcmp(seg[2], "close")))
        return is(q, "POST") ? serve_job_start(q, seg[2], seg[1]) : method_not_allowed("POST");
    if (n == 1 && !strcmp(seg[0], "balance"))
        return is(q, "GET") ? balances(q, 0) : method_not_allowed("GET");
    if (n == 2 && !strcmp(seg[0], "grants") && !strcmp(seg[1], "expiring"))
        return is(q, "GET") ? balances(q, 1) : method_not_allowed("GET");
    if (n == 2 && !strcmp(seg[0], "jobs"))
        return is(q, "GET") ? serve_job_get(q, seg[1]) : method_not_allowed("GET");
    return none;
}
