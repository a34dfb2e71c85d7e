/*
 * op_run.c -- `run --period P`: pull, assign and (run.invoice = true)
 * invoice, as one journalled run under the period's database lock.
 *
 * A second run of the same period, from any host, is refused while the
 * first holds the lock, with a message naming the holder.  Every step is
 * idempotent (a pull of the same data changes nothing; assign only touches
 * PENDING_ASSIGN credits; invoice finishes half-sent files before anything
 * else), so resuming after a crash is running again: the journal (table
 * runs) shows what each run did and marks an interrupted one.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "mod.h"
#include "out.h"

/* Capture a step's output so the run can print one JSON document. */
typedef struct capture {
    char *buf;
    size_t n, cap;
} capture;

static int capture_write(void *ctx, const char *buf, size_t len)
{
    capture *k = ctx;
    if (k->n + len + 1 > k->cap) {
        size_t cap = (k->n + len + 1) * 2;
        char *nb = awc_realloc(k->buf, cap);
        if (!nb)
            return -1;
        k->buf = nb;
        k->cap = cap;
    }
    memcpy(k->buf + k->n, buf, len);
    k->n += len;
    k->buf[k->n] = '\0';
    return 0;
}

typedef struct step_out {
    awc_call call;
    capture cap;
    char errbuf[AWC_ERRMSG_MAX];
} step_out;

static void step_init(step_out *s, const awc_call *c)
{
    memset(s, 0, sizeof(*s));
    s->call = *c;
    s->call.errbuf = s->errbuf;
    s->call.errbuf_size = sizeof(s->errbuf);
    if (c->format == AWC_FORMAT_JSON) {
        s->call.write = capture_write;
        s->call.write_ctx = &s->cap;
    }
}

static int journal(awc_store *st, uint64_t run_id, const char *step, int rc, const step_out *s)
{
    char detail[AWC_ERRMSG_MAX + 64];
    if (rc == 0)
        snprintf(detail, sizeof(detail), "%s", s->cap.buf ? s->cap.buf : "done");
    else
        snprintf(detail, sizeof(detail), "%s", s->errbuf);
    return st->ops->run_step(st, run_id, step, rc == 0 ? "done" : "failed", detail);
}

int awc_op_run(awc_module *m, const awc_call *c, const char *period)
{
    const char *names[3] = { "pull", "assign", "invoice" };
    step_out *steps = NULL;
    json_t *doc = NULL;
    char host[256] = "";
    uint64_t run_id = 0;
    awc_pull_args pa;
    awc_store *st;
    int nsteps = m->cfg.run.invoice ? 3 : 2, rc, done = 0;

    awc_op_begin();
    if (!period)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "run: --period YYYY-MM is required"));
    if ((rc = awc_period_check(period)) != 0)
        return awc_op_end(c, rc);
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "run: only a distributor runs the month"));
    gethostname(host, sizeof(host) - 1);
    if ((rc = awc_mod_store(m, &st)) != 0 ||
        (rc = st->ops->run_lock(st, period, c->actor, host, &run_id)) != 0)
        return awc_op_end(c, rc);
    steps = awc_calloc(3, sizeof(*steps));
    if (!steps) {
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
        goto out;
    }
    memset(&pa, 0, sizeof(pa));
    pa.size = sizeof(pa);
    pa.period = period;
    for (int i = 0; i < nsteps; i++) {
        step_init(&steps[i], c);
        if (c->format != AWC_FORMAT_JSON)
            awc_out_printf(c, "== %s\n", names[i]);
        rc = i == 0 ? awc_op_pull(m, &steps[i].call, &pa)
           : i == 1 ? awc_op_assign(m, &steps[i].call, period)
           : awc_op_invoice(m, &steps[i].call, period);
        journal(st, run_id, names[i], rc, &steps[i]);
        done = i + 1;
        if (rc != 0) {
            awc_error_set(rc, "run %s: %s failed: %s", period, names[i], steps[i].errbuf);
            break;
        }
    }
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        doc = json_object();
        int bad = awc_json_set(doc, "period", json_string(period)) |
                  awc_json_set(doc, "run_id", json_integer((json_int_t)run_id));
        for (int i = 0; i < done; i++)
            bad |= awc_json_set(doc, names[i], json_loads(steps[i].cap.buf ? steps[i].cap.buf
                                                                            : "{}", 0, NULL));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    }
out:
    st->ops->run_unlock(st, period, run_id, rc == 0 ? "done" : "failed");
    for (int i = 0; steps && i < 3; i++)
        awc_free(steps[i].cap.buf);
    awc_free(steps);
    return awc_op_end(c, rc);
}
