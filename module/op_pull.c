/* op_pull.c -- `pull --period P`: CUR files -> credits, atomically. */
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "aws.h"
#include "cur.h"
#include "cur_athena.h"
#include "s3.h"
#include "date.h"
#include "grants.h"
#include "mod.h"
#include "out.h"
#include "pull.h"

#define BAD_ROWS_SHOWN 20

typedef struct pull_ctx {
    awc_module *m;
    awc_agg *agg;
    unsigned long bad_seen;
} pull_ctx;

static int on_bad(void *arg, const char *message)
{
    pull_ctx *x = arg;
    if (x->bad_seen++ < BAD_ROWS_SHOWN)
        awc_mod_log(x->m, AWC_LOG_WARN, "skipped bad row: %s", message);
    return 0;
}

static void cur_options(pull_ctx *x, awc_cur_options *opt, const char *period)
{
    memset(opt, 0, sizeof(*opt));
    opt->line_item_types = x->m->cfg.cur.line_item_types;
    opt->period = period;
    opt->max_bad_rows = x->m->cfg.cur.max_bad_rows;
    opt->on_bad = on_bad;
    opt->bad_ctx = x;
}

static int load_creds(awc_module *m, awc_aws_creds *creds)
{
    return awc_aws_creds_load(creds, m->host.secret_get, m->host.ctx);
}

/* cur.path = s3://bucket/prefix/: every CUR object under it, streamed. */
static int read_s3(pull_ctx *x, const char *url, const char *period, awc_cur_stats *stats)
{
    awc_module *m = x->m;
    awc_aws_creds creds;
    awc_aws_conf aws;
    awc_s3_conf conf;
    awc_cur_options opt;
    awc_s3 *s3 = NULL;
    int rc;

    if ((rc = load_creds(m, &creds)) != 0)
        return rc;
    awc_aws_conf_from_config(&aws, &m->cfg, &creds);
    awc_s3_conf_from_config(&conf, &m->cfg);
    cur_options(x, &opt, period);
    if ((rc = awc_s3_open(&s3, &aws, &conf)) == 0)
        rc = awc_s3_read_cur(s3, url, &opt, awc_agg_add, x->agg, stats);
    awc_s3_close(s3);
    awc_aws_creds_free(&creds);
    return rc;
}

typedef struct athena_ctx {
    pull_ctx *x;
    const char *period;
    uint64_t rows;
} athena_ctx;

static int on_athena_row(void *arg, const awc_athena_row *r)
{
    athena_ctx *a = arg;
    awc_agg_summary s = {
        a->period, r->payer_account_id, r->usage_account_id, r->product_code, r->currency,
        r->description, r->billing_entity, r->legal_entity, r->invoice_id, r->first_usage,
        r->last_usage, r->line_count, r->amount, "athena", (unsigned long long)r->row,
    };
    a->rows++;
    return awc_agg_add_summary(a->x->agg, &s);
}

/* cur.source = athena: the query aggregates in Athena; rows fold by key. */
static int read_athena(pull_ctx *x, const char *period, awc_cur_stats *stats)
{
    awc_module *m = x->m;
    awc_aws_creds creds;
    awc_aws_conf aws;
    awc_athena_conf conf;
    awc_aws_client *client = NULL;
    athena_ctx a = { x, period, 0 };
    int rc;

    if ((rc = load_creds(m, &creds)) != 0)
        return rc;
    awc_aws_conf_from_config(&aws, &m->cfg, &creds);
    awc_athena_conf_from_config(&conf, &m->cfg);
    /* The ClientRequestToken makes a retried pull reuse its query; the day
     * in it makes tomorrow's re-pull (AWS restated the bill) run afresh.
     * A query that ended FAILED or CANCELLED is not reused: one new try. */
    char salt[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(salt, sizeof(salt), "%Y-%m-%d", &tm);
    conf.token_salt = salt;
    if ((rc = awc_aws_client_new(&client, &aws)) == 0) {
        rc = awc_athena_pull(client, &conf, period, on_athena_row, &a, NULL);
        if (rc == AWC_ENET && a.rows == 0 &&
            (strstr(awc_error_last(), " FAILED") || strstr(awc_error_last(), "CANCELLED"))) {
            awc_mod_log(m, AWC_LOG_WARN, "%s; starting the query again", awc_error_last());
            strftime(salt, sizeof(salt), "%Y-%m-%dT%H:%M:%S", &tm);
            rc = awc_athena_pull(client, &conf, period, on_athena_row, &a, NULL);
        }
    }
    awc_aws_client_free(client);
    awc_aws_creds_free(&creds);
    stats->wanted += a.rows;
    return rc;
}

static int read_files(pull_ctx *x, const char *pattern, const char *period,
                      awc_cur_stats *stats)
{
    awc_module *m = x->m;
    awc_cur_options opt;
    awc_cur_paths paths;
    int rc;

    if (awc_s3_is_url(pattern))
        return read_s3(x, pattern, period, stats);
    if ((rc = awc_cur_glob(&paths, pattern)) != 0)
        return rc == AWC_ENOTFOUND
                   ? awc_error_set(AWC_ENOTFOUND, "pull: no CUR file matches '%s'", pattern)
                   : rc;
    cur_options(x, &opt, period);
    for (size_t i = 0; i < paths.n && rc == 0; i++) {
        if (m->host.progress)
            m->host.progress(m->host.ctx, "pull: reading", i, paths.n);
        rc = awc_cur_read_path(paths.v[i], &opt, awc_agg_add, x->agg, stats);
    }
    if (rc == 0 && m->host.progress)
        m->host.progress(m->host.ctx, "pull: reading", paths.n, paths.n);
    awc_cur_paths_free(&paths);
    return rc;
}

/* Per-currency totals of the input, for the summary. */
typedef struct total {
    char currency[4];
    awc_sum sum;                   /* exact for any number of credits */
} total;

static size_t totals(awc_agg *agg, total *t, size_t max)
{
    size_t n = 0, count = awc_agg_count(agg);
    const awc_credit_draft *d = awc_agg_items(agg);

    for (size_t i = 0; i < count; i++) {
        size_t j;
        for (j = 0; j < n && strcmp(t[j].currency, d[i].currency) != 0; j++)
            ;
        if (j == n) {
            if (n == max)
                continue;
            memcpy(t[n].currency, d[i].currency, 4);
            t[n++].sum = 0;
        }
        t[j].sum += d[i].amount;
    }
    return n;
}

static int report(const awc_call *c, const char *period, const awc_cur_stats *s,
                  const awc_pull_result *r, awc_agg *agg)
{
    total t[200];                  /* more currencies than ISO 4217 has */
    size_t nt = totals(agg, t, sizeof(t) / sizeof(t[0]));
    char amount[AWC_SUM_BUFSZ];
    int rc;

    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object(), *tot = json_array();
        int bad = !tot;
        for (size_t i = 0; !bad && i < nt; i++) {
            json_t *one = json_object();
            awc_sum_format(amount, sizeof(amount), t[i].sum);
            bad |= !one || awc_json_set(one, "currency", json_string(t[i].currency)) |
                              awc_json_set(one, "amount", json_string(amount)) ||
                   json_array_append_new(tot, one) != 0;
        }
        bad |= awc_json_set(doc, "period", json_string(period)) |
               awc_json_set(doc, "files", json_integer((json_int_t)s->files)) |
               awc_json_set(doc, "rows", json_integer((json_int_t)s->rows)) |
               awc_json_set(doc, "credit_rows", json_integer((json_int_t)s->wanted)) |
               awc_json_set(doc, "other_period_rows", json_integer((json_int_t)s->other_period)) |
               awc_json_set(doc, "bad_rows", json_integer((json_int_t)s->bad)) |
               awc_json_set(doc, "credits", json_integer((json_int_t)r->credits)) |
               awc_json_set(doc, "new", json_integer((json_int_t)r->inserted)) |
               awc_json_set(doc, "restated", json_integer((json_int_t)r->restated)) |
               awc_json_set(doc, "adjustments", json_integer((json_int_t)r->adjustments)) |
               awc_json_set(doc, "unchanged", json_integer((json_int_t)r->unchanged)) |
               awc_json_set(doc, "missing", json_integer((json_int_t)r->missing)) |
               awc_json_set(doc, "totals", tot);
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return rc;
    }
    rc = awc_out_printf(c,
                        "pull %s: %llu file%s, %llu rows, %llu credit rows (%llu bad, %llu of "
                        "other periods)\n"
                        "  %zu credits: %zu new, %zu restated, %zu adjustments, %zu unchanged",
                        period, (unsigned long long)s->files, s->files == 1 ? "" : "s",
                        (unsigned long long)s->rows, (unsigned long long)s->wanted,
                        (unsigned long long)s->bad, (unsigned long long)s->other_period,
                        r->credits, r->inserted, r->restated, r->adjustments, r->unchanged);
    if (rc == 0 && r->missing)
        rc = awc_out_printf(c, ", %zu stored but not in this input (left as they are)",
                            r->missing);
    if (rc == 0)
        rc = awc_out_printf(c, "\n");
    for (size_t i = 0; rc == 0 && i < nt; i++) {
        awc_sum_format(amount, sizeof(amount), t[i].sum);
        rc = awc_out_printf(c, "  total %s %s\n", t[i].currency, amount);
    }
    return rc;
}

/* The credits and (when the Billing API is configured) the grants of the
 * pull, in one unit of work. */
typedef struct store_ctx {
    awc_agg *agg;
    awc_grants *grants;
    const char *period;
    const awc_actor *actor;
    awc_pull_result res;
} store_ctx;

static int store_all(awc_store *st, void *arg)
{
    store_ctx *s = arg;
    int rc = awc_pull_apply(st, s->agg, s->period, s->actor, &s->res);
    if (rc == 0 && awc_grants_count(s->grants))
        rc = st->ops->grants_upsert(st, awc_grants_items(s->grants),
                                    awc_grants_count(s->grants));
    return rc;
}

int awc_op_pull(awc_module *m, const awc_call *c, const awc_pull_args *a)
{
    pull_ctx x = { m, NULL, 0 };
    store_ctx sc;
    int committed = 0;
    awc_cur_stats stats;
    awc_pull_result res;
    awc_store *st;
    const char *path;
    int rc;

    awc_op_begin();
    memset(&stats, 0, sizeof(stats));
    memset(&sc, 0, sizeof(sc));
    if (!a || !a->period)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "pull: --period YYYY-MM is required"));
    if ((rc = awc_period_check(a->period)) != 0)
        return awc_op_end(c, rc);
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "pull: only a distributor may pull"));
    if ((rc = awc_mod_period_when(c, a->period, "pull", 1)) != 0)
        return awc_op_end(c, rc);
    path = (a->path && *a->path) ? a->path : m->cfg.cur.path;
    int athena = strcmp(m->cfg.cur.source, "athena") == 0 && !(a->path && *a->path);
    if (!athena && (!path || !*path))
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "pull: no CUR input: give --path GLOB "
                                                       "or set cur.path"));
    /* cur.path may name the month: s3://bucket/cur/{period}/ */
    char expanded[4096];
    if (!athena && strstr(path, "{period}")) {
        const char *at = strstr(path, "{period}");
        if (snprintf(expanded, sizeof(expanded), "%.*s%s%s", (int)(at - path), path, a->period,
                     at + 8) >= (int)sizeof(expanded))
            return awc_op_end(c, awc_error_set(AWC_EUSAGE, "pull: path too long"));
        path = expanded;
    }
    if ((rc = awc_agg_new(&x.agg)) != 0)
        return awc_op_end(c, rc);
    rc = athena ? read_athena(&x, a->period, &stats) : read_files(&x, path, a->period, &stats);
    if (rc == 0)
        rc = awc_agg_finish(x.agg);
    if (rc == 0 && m->cfg.aws.billing_endpoint)
        rc = awc_grants_fetch(&sc.grants, m, x.agg, a->period);
    if (rc == 0)
        rc = awc_mod_store(m, &st);
    if (rc == 0) {
        sc.agg = x.agg;
        sc.period = a->period;
        sc.actor = c->actor;
        rc = st->ops->tx(st, store_all, &sc);
        res = sc.res;
        committed = rc == 0;
    }
    if (rc != 0)
        awc_error_prefix(rc, "pull %s: nothing was written", a->period);
    if (rc == 0)
        rc = report(c, a->period, &stats, &res, x.agg);
    if (rc == 0 && sc.grants && c->format != AWC_FORMAT_JSON)
        rc = awc_out_printf(c, "  %zu credit%s from the AWS Billing API (issued, remaining, "
                            "expiry) stored\n",
                            awc_grants_count(sc.grants),
                            awc_grants_count(sc.grants) == 1 ? "" : "s");
    if (rc != 0 && committed)
        awc_error_prefix(rc, "pull %s: the credits were stored, but the report failed",
                         a->period);
    awc_agg_free(x.agg);
    awc_grants_free(sc.grants);
    return awc_op_end(c, rc);
}
