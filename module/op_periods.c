/* op_periods.c -- `periods`: every period with its credits counted by state
 * and whether it is closed, newest first (SPEC 15: the distributor's
 * periods view).  Distributor only. */
#include <string.h>

#include "mod.h"
#include "out.h"
#include "date.h"
#include "state.h"

typedef struct periods_ctx {
    const awc_call *c;
    json_t *list;                  /* JSON mode */
} periods_ctx;

static const awc_state counted[4] = {AWC_PENDING_ASSIGN, AWC_ASSIGNED, AWC_PROCESSING,
                                     AWC_PROCESSED};

static int one(void *arg, const awc_period_row *p)
{
    periods_ctx *x = arg;
    json_t *o, *counts;
    int bad;

    if (!x->list)
        return awc_out_printf(x->c, "%-7s %14lld %14lld %14lld %14lld  %s\n", p->period,
                              (long long)p->counts[0], (long long)p->counts[1],
                              (long long)p->counts[2], (long long)p->counts[3],
                              p->closed ? "closed" : "open");
    o = json_object();
    counts = json_object();
    bad = !o || !counts;
    for (int i = 0; !bad && i < 4; i++)
        bad |= awc_json_set(counts, awc_state_name(counted[i]), json_integer(p->counts[i]));
    bad |= awc_json_set(o, "period", json_string(p->period)) |
           awc_json_set(o, "counts", counts) |
           awc_json_set(o, "closed", json_boolean(p->closed)) |
           awc_json_set(o, "closed_by", p->closed ? json_string(p->closed_by) : json_null()) |
           awc_json_set(o, "closed_at", p->closed ? json_string(p->closed_at) : json_null());
    if (bad || json_array_append_new(x->list, o) != 0)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    return 0;
}

int awc_op_periods(awc_module *m, const awc_call *c)
{
    periods_ctx x = {c, NULL};
    awc_store *st;
    int rc;

    awc_op_begin();
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "periods: only a distributor sees the "
                                                      "periods"));
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    if (!st->ops->periods_each)
        return awc_op_end(c, awc_error_set(AWC_ENOTSUP, "periods: the store cannot list them"));
    if (c->format == AWC_FORMAT_JSON) {
        if (!(x.list = json_array()))
            return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    } else if ((rc = awc_out_printf(c, "%-7s %14s %14s %14s %14s  %s\n", "PERIOD",
                                    "PENDING_ASSIGN", "ASSIGNED", "PROCESSING", "PROCESSED",
                                    "STATE")) != 0) {
        return awc_op_end(c, rc);
    }
    rc = st->ops->periods_each(st, one, &x);
    if (rc == 0 && x.list) {
        json_t *doc = json_object();
        if (awc_json_set(doc, "periods", json_incref(x.list)) != 0)
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
        else
            rc = awc_out_json(c, doc);
        json_decref(doc);
    }
    json_decref(x.list);
    return awc_op_end(c, rc);
}

/* `reopen --period P --reason TEXT`: undo a close (SPEC 17), distributor
 * only, with an event that keeps who and why. */
int awc_op_reopen_period(awc_module *m, const awc_call *c, const char *period,
                         const char *reason)
{
    awc_store *st;
    int rc;

    awc_op_begin();
    if (!period)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "reopen: --period YYYY-MM is required"));
    if ((rc = awc_period_check(period)) != 0)
        return awc_op_end(c, awc_error_prefix(AWC_EUSAGE, "reopen: --period"));
    if (!reason || !*reason)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "reopen: --reason TEXT is required"));
    if (strlen(reason) > AWC_NOTE_MAX)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "reopen: --reason is longer than %d "
                                                       "characters", AWC_NOTE_MAX));
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "reopen: only a distributor reopens a "
                                                      "period"));
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    if (!st->ops->period_reopen)
        return awc_op_end(c, awc_error_set(AWC_ENOTSUP, "reopen: the store cannot"));
    if ((rc = st->ops->period_reopen(st, period, reason, c->actor)) != 0)
        return awc_op_end(c, rc);
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "period", json_string(period)) |
                  awc_json_set(doc, "closed", json_false()) |
                  awc_json_set(doc, "reason", json_string(reason));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else {
        rc = awc_out_printf(c, "reopen: period %s is open again; assign, edit and invoice "
                            "take it\n", period);
    }
    return awc_op_end(c, rc);
}
