/* serve_jobs.c -- long operations (assign, invoice, reconcile, close) as
 * jobs (SPEC 15): each runs on a thread of its own with a module instance
 * of its own, reports progress through the host API, and is polled at
 * GET /api/v1/jobs/{id}.  Jobs live in this process's memory: the last
 * JOBS_MAX are kept; a restart forgets them (the work they did is in the
 * database, and the operations are safe to run again). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "host.h"
#include "serve.h"

#define JOBS_MAX 64
#define JOB_OUT_MAX (256 * 1024)

enum { JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED };

typedef struct job {
    char id[33];
    char op[16], period[16];
    awc_actor actor;
    char actor_id[AWC_AUTH_NAME_MAX];
    int state, rc;
    char task[64];
    uint64_t done, total;
    sbuf out;
    char err[HOST_ERR_MAX];
    time_t started, finished;
    awc_host_api api;              /* ctx = this job: progress lands here */
    serve *srv;
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static job *jobs[JOBS_MAX];
static int running;
static const awc_host_api *base;

/* ---- the host API a job's module sees: the server's, with progress ---------------- */

static const char *job_config_get(void *ctx, const char *section, const char *key)
{
    (void)ctx;
    return base->config_get(base->ctx, section, key);
}

static const char *job_config_origin(void *ctx, const char *section, const char *key)
{
    (void)ctx;
    return base->config_origin ? base->config_origin(base->ctx, section, key) : NULL;
}

static void job_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (base->log)
        base->log(base->ctx, level, msg);
}

static void job_progress(void *ctx, const char *task, uint64_t done, uint64_t total)
{
    job *j = ctx;

    pthread_mutex_lock(&mu);
    snprintf(j->task, sizeof(j->task), "%s", task ? task : "");
    j->done = done;
    j->total = total;
    pthread_mutex_unlock(&mu);
}

int serve_jobs_init(serve *s)
{
    (void)s;
    base = serve_api_of(s);
    return 0;
}

void serve_jobs_free(void)
{
    /* wait (bounded) for running jobs: each unit they commit is whole, and
     * a job cut short is finished by running its operation again */
    for (int i = 0; i < 300; i++) {
        int n;
        pthread_mutex_lock(&mu);
        n = running;
        pthread_mutex_unlock(&mu);
        if (!n)
            break;
        usleep(100 * 1000);
    }
    pthread_mutex_lock(&mu);
    for (int i = 0; i < JOBS_MAX; i++) {
        if (jobs[i] && jobs[i]->state != JOB_RUNNING) {
            sbuf_free(&jobs[i]->out);
            free(jobs[i]);
            jobs[i] = NULL;
        }
    }
    pthread_mutex_unlock(&mu);
}

static void *job_run(void *arg)
{
    job *j = arg;
    const awc_module_desc *d = serve_desc(j->srv);
    awc_module *m = NULL;
    char err[HOST_ERR_MAX];
    sbuf out = {0};
    awc_call c;
    int rc;

    out.max = JOB_OUT_MAX;
    memset(&c, 0, sizeof(c));
    c.size = sizeof(c);
    c.actor = &j->actor;
    c.format = AWC_FORMAT_TEXT;
    c.write = sbuf_put;
    c.write_ctx = &out;
    c.errbuf = err;
    c.errbuf_size = sizeof(err);
    err[0] = '\0';
    rc = d->open(&m, &j->api, err, sizeof(err));
    if (rc == 0) {
        if (!strcmp(j->op, "assign"))
            rc = d->assign(m, &c, j->period);
        else if (!strcmp(j->op, "invoice"))
            rc = d->invoice(m, &c, j->period);
        else if (!strcmp(j->op, "reconcile"))
            rc = d->reconcile(m, &c);
        else
            rc = d->close_period(m, &c, j->period);
        d->close(m);
    }
    if (rc && !err[0])
        snprintf(err, sizeof(err), "%s", d->strerror(rc));
    pthread_mutex_lock(&mu);
    j->out = out;
    j->rc = rc;
    snprintf(j->err, sizeof(j->err), "%s", rc ? err : "");
    j->state = rc ? JOB_FAILED : JOB_SUCCEEDED;
    j->finished = time(NULL);
    running--;
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void iso(char out[24], time_t t)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The job as JSON; the caller holds mu. */
static json_t *job_json(const job *j)
{
    static const char *const states[] = {"running", "succeeded", "failed"};
    char at[24];
    json_t *o = json_object(), *p = json_object();

    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "operation", json_string(j->op));
    json_object_set_new(o, "period", json_string(j->period));
    json_object_set_new(o, "state", json_string(states[j->state]));
    json_object_set_new(o, "user", json_string(j->actor_id));
    json_object_set_new(p, "task", json_string(j->task));
    json_object_set_new(p, "done", json_integer((json_int_t)j->done));
    json_object_set_new(p, "total", json_integer((json_int_t)j->total));
    json_object_set_new(o, "progress", p);
    iso(at, j->started);
    json_object_set_new(o, "started_at", json_string(at));
    if (j->state != JOB_RUNNING) {
        iso(at, j->finished);
        json_object_set_new(o, "finished_at", json_string(at));
        json_object_set_new(o, "output", j->out.p ? json_stringn(j->out.p, j->out.n)
                                                  : json_string(""));
    } else {
        json_object_set_new(o, "finished_at", json_null());
        json_object_set_new(o, "output", json_null());
    }
    json_object_set_new(o, "error", j->state == JOB_FAILED ? json_string(j->err) : json_null());
    return o;
}

static int period_ok(const char *p)
{
    return strlen(p) == 7 && p[4] == '-' && strspn(p, "0123456789-") == 7 &&
           ((p[5] == '0' && p[6] >= '1' && p[6] <= '9') ||
            (p[5] == '1' && p[6] >= '0' && p[6] <= '2'));
}

sresp serve_job_start(sreq *q, const char *op, const char *period)
{
    unsigned char raw[16];
    char loc[64];
    pthread_t t;
    json_t *doc;
    job *j;
    int slot = -1;
    sresp r;

    if (q->actor.role != AWC_ROLE_DISTRIBUTOR)
        return serve_problem(403, "forbidden", "Forbidden",
                             "only a distributor starts assign, invoice, reconcile or close");
    if (!period_ok(period))
        return serve_problem(422, "invalid", "Invalid request",
                             "expected a period YYYY-MM in the path");
    if (!(j = calloc(1, sizeof(*j))))
        return serve_error(q, AWC_ENOMEM, "out of memory");
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(j->id, sizeof(j->id), raw, sizeof(raw));
    snprintf(j->op, sizeof(j->op), "%s", op);
    snprintf(j->period, sizeof(j->period), "%s", period);
    snprintf(j->actor_id, sizeof(j->actor_id), "%s", q->actor.id);
    j->actor = q->actor;
    j->actor.id = j->actor_id;
    j->actor.reseller_id = NULL;
    j->started = time(NULL);
    j->srv = q->srv;
    j->api = *base;
    j->api.ctx = j;
    j->api.config_get = job_config_get;
    j->api.config_origin = job_config_origin;
    j->api.log = job_log;
    j->api.progress = job_progress;

    pthread_mutex_lock(&mu);
    for (int i = 0; i < JOBS_MAX; i++) {
        job *o = jobs[i];
        if (o && o->state == JOB_RUNNING && !strcmp(o->op, op) &&
            (!strcmp(op, "reconcile") || !strcmp(o->period, period))) {
            pthread_mutex_unlock(&mu);
            free(j);
            snprintf(loc, sizeof(loc), "job %s is running it already", o->id);
            return serve_problem(409, "job-running", "Already running", loc);
        }
        if (!o)
            slot = slot < 0 ? i : slot;
    }
    if (slot < 0) {                /* forget the oldest finished job */
        for (int i = 0; i < JOBS_MAX; i++)
            if (jobs[i]->state != JOB_RUNNING &&
                (slot < 0 || jobs[i]->finished < jobs[slot]->finished))
                slot = i;
        if (slot >= 0) {
            sbuf_free(&jobs[slot]->out);
            free(jobs[slot]);
            jobs[slot] = NULL;
        }
    }
    if (slot < 0 || pthread_create(&t, NULL, job_run, j) != 0) {
        pthread_mutex_unlock(&mu);
        free(j);
        r = serve_problem(503, "busy", "Busy", "too many jobs are running; try again later");
        if (r.r)
            MHD_add_response_header(r.r, "Retry-After", "10");
        return r;
    }
    pthread_detach(t);
    jobs[slot] = j;
    running++;
    doc = job_json(j);
    pthread_mutex_unlock(&mu);
    r = serve_json(202, doc);
    snprintf(loc, sizeof(loc), "/api/v1/jobs/%s", j->id);
    if (r.r)
        MHD_add_response_header(r.r, "Location", loc);
    return r;
}

sresp serve_job_get(sreq *q, const char *id)
{
    json_t *doc = NULL;

    if (q->actor.role != AWC_ROLE_DISTRIBUTOR)
        return serve_problem(404, "not-found", "Not found", "no such job");
    pthread_mutex_lock(&mu);
    for (int i = 0; i < JOBS_MAX && !doc; i++)
        if (jobs[i] && !strcmp(jobs[i]->id, id))
            doc = job_json(jobs[i]);
    pthread_mutex_unlock(&mu);
    if (!doc)
        return serve_problem(404, "not-found", "Not found", "no such job");
    return serve_json(200, doc);
}
