/*
 * store_mariadb_credit.c -- credits and their events in MariaDB.
 *
 * A state step is one transaction: lock the credit row, check its state and
 * version, update it, append the event.  Two writers at the same version
 * serialise on the row lock; the second finds the version moved and gets
 * AWC_ECONFLICT, so a stale edit is refused rather than overwriting.
 */
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

const char *mdb_role_name(int role)
{
    switch (role) {
    case AWC_ROLE_DISTRIBUTOR: return "distributor";
    case AWC_ROLE_RESELLER: return "reseller";
    case AWC_ROLE_VIEWER: return "viewer";
    }
    return "unknown";
}

/* An event's actor_role, actor_id and actor_reseller (the reseller only
 * for a reseller admin). */
static const char *actor_id(const awc_actor *a)
{
    return a->id ? a->id : "";
}

static const char *actor_reseller(const awc_actor *a)
{
    return a->role == AWC_ROLE_RESELLER ? a->reseller_id : NULL;
}

/* Who acted for the actor, when its host says so (ABI 1.1), else NULL. */
static const char *actor_via(const awc_actor *a)
{
    if (a->size < offsetof(awc_actor, via) + sizeof(a->via) || !a->via || !a->via[0])
        return NULL;
    return a->via;
}

void mdb_p_actor(mdb_params *p, const awc_actor *a)
{
    mdb_p_str(p, mdb_role_name(a->role));
    mdb_p_str(p, actor_id(a));
    mdb_p_str(p, actor_reseller(a));
    mdb_p_str(p, actor_via(a));
}

void mdb_batch_actor(mdb_batch *b, unsigned col, const awc_actor *a)
{
    mdb_batch_str(b, col, mdb_role_name(a->role));
    mdb_batch_str(b, col + 1, actor_id(a));
    mdb_batch_str(b, col + 2, actor_reseller(a));
    mdb_batch_str(b, col + 3, actor_via(a));
}

int mdb_role_parse(const char *s)
{
    if (strcmp(s, "distributor") == 0)
        return AWC_ROLE_DISTRIBUTOR;
    if (strcmp(s, "reseller") == 0)
        return AWC_ROLE_RESELLER;
    if (strcmp(s, "viewer") == 0)
        return AWC_ROLE_VIEWER;
    return 0;
}

static int state_from_db(awc_state *out, const char *s)
{
    if (strcmp(s, "NONE") == 0) {
        *out = AWC_STATE_NONE;
        return 0;
    }
    if (awc_state_parse(out, s) != 0)
        return awc_error_set(AWC_EDB, "database: unknown state '%.20s' stored", s);
    return 0;
}

int mdb_event_insert(mdb *st, uint64_t seq, awc_event_kind kind, awc_state from, awc_state to,
                     int64_t from_version, int64_t to_version, const awc_actor *actor,
                     const char *note, const char *detail)
{
    mdb_params p;

    mdb_p_init(&p);
    mdb_p_u64(&p, &seq);
    mdb_p_str(&p, awc_event_name(kind));
    mdb_p_str(&p, awc_state_name(from));
    mdb_p_str(&p, awc_state_name(to));
    mdb_p_i64(&p, &from_version);
    mdb_p_i64(&p, &to_version);
    mdb_p_actor(&p, actor);
    mdb_p_str(&p, note);
    mdb_p_str(&p, detail);
    return mdb_exec(st, Q_EVENT_INSERT, &p);
}

/* ---- insert ------------------------------------------------------------------ */

typedef struct insert_ctx {
    awc_credit *c;
    const awc_actor *actor;
    uint64_t seq;
} insert_ctx;

static int next_seq(mdb *st, uint64_t *out)
{
    mdb_result r;
    int rc;

    *out = 0;
    mdb_r_init(&r);
    mdb_r_u64(&r, out);
    rc = mdb_one_row(st, Q_SEQ_NEXT, NULL, &r);
    if (rc < 0)
        return rc;
    if (rc == 0 || *out == 0)
        return awc_error_set(AWC_EDB, "database: credit_seq returned nothing");
    return 0;
}

static int do_insert(mdb *st, void *arg)
{
    insert_ctx *x = arg;
    awc_credit *c = x->c;
    char amount[AWC_MONEY_BUFSZ];
    int64_t revision = c->revision;
    mdb_asg v = { c->owner_account_id, c->customer_id, c->asset_id, c->reseller_id,
                  c->rule_id, c->flag };
    uint64_t asg = 0;
    mdb_params p;
    int rc;

    if (awc_money_format(amount, sizeof(amount), c->amount) < 0)
        return AWC_EOVERFLOW;
    if ((rc = mdb_asg_id(st, &v, &asg)) != 0 || (rc = next_seq(st, &x->seq)) != 0)
        return rc;
    mdb_p_init(&p);
    mdb_p_u64(&p, &x->seq);
    mdb_p_str(&p, c->period);
    mdb_p_str(&p, c->payer_account_id);
    mdb_p_str(&p, c->usage_account_id);
    mdb_p_str(&p, c->credit_key);
    mdb_p_str(&p, c->product_code);
    mdb_p_str(&p, c->currency);
    mdb_p_i64(&p, &revision);
    mdb_p_u64_or_null(&p, &c->adjusts);
    mdb_p_str(&p, c->description);
    mdb_p_str(&p, c->credit_type[0] ? c->credit_type : "PROMOTIONAL");
    mdb_p_str(&p, c->billing_entity);
    mdb_p_str(&p, c->legal_entity);
    mdb_p_str(&p, c->invoice_id);
    mdb_p_str_or_null(&p, c->first_usage);
    mdb_p_str_or_null(&p, c->last_usage);
    mdb_p_str_or_null(&p, c->issue_date);
    mdb_p_i64(&p, &c->line_count);
    mdb_p_str(&p, amount);
    mdb_p_u64(&p, &asg);
    if ((rc = mdb_exec(st, Q_CREDIT_INSERT, &p)) != 0)
        return rc;
    return mdb_event_insert(st, x->seq, AWC_EV_CREATE, AWC_STATE_NONE, AWC_PENDING_ASSIGN, 0, 1,
                            x->actor, NULL, NULL);
}

int mdb_credit_insert(awc_store *s, awc_credit *c, const awc_actor *actor)
{
    insert_ctx x = { c, actor, 0 };
    int rc = mdb_tx((mdb *)s, do_insert, &x);

    if (rc == 0) {
        c->seq = x.seq;
        c->version = 1;
        c->state = AWC_PENDING_ASSIGN;
    }
    return rc;
}

/* ---- get ------------------------------------------------------------------------ */

typedef struct get_ctx {
    awc_credit *c;
    uint64_t seq;
} get_ctx;

static int do_get(mdb *st, void *arg)
{
    get_ctx *x = arg;
    awc_credit *c = x->c;
    char amount[64], status[20];
    int64_t revision = 0, unmapped = 0, version = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    memset(c, 0, sizeof(*c));
    mdb_p_init(&p);
    mdb_p_u64(&p, &x->seq);
    mdb_r_init(&r);
    mdb_r_u64(&r, &c->seq);
    mdb_r_str(&r, c->period, sizeof(c->period));
    mdb_r_str(&r, c->payer_account_id, sizeof(c->payer_account_id));
    mdb_r_str(&r, c->usage_account_id, sizeof(c->usage_account_id));
    mdb_r_str(&r, c->credit_key, sizeof(c->credit_key));
    mdb_r_str(&r, c->product_code, sizeof(c->product_code));
    mdb_r_str(&r, c->currency, sizeof(c->currency));
    mdb_r_i64(&r, &revision);
    mdb_r_u64(&r, &c->adjusts);
    mdb_r_str(&r, c->description, sizeof(c->description));
    mdb_r_str(&r, c->credit_type, sizeof(c->credit_type));
    mdb_r_str(&r, c->billing_entity, sizeof(c->billing_entity));
    mdb_r_str(&r, c->legal_entity, sizeof(c->legal_entity));
    mdb_r_str(&r, c->invoice_id, sizeof(c->invoice_id));
    mdb_r_str(&r, c->first_usage, sizeof(c->first_usage));
    mdb_r_str(&r, c->last_usage, sizeof(c->last_usage));
    mdb_r_str(&r, c->issue_date, sizeof(c->issue_date));
    mdb_r_i64(&r, &c->line_count);
    mdb_r_str(&r, amount, sizeof(amount));
    mdb_r_str(&r, status, sizeof(status));
    mdb_r_i64(&r, &version);
    mdb_r_i64(&r, &unmapped);
    mdb_r_str(&r, c->customer_id, sizeof(c->customer_id));
    mdb_r_str(&r, c->asset_id, sizeof(c->asset_id));
    mdb_r_str(&r, c->reseller_id, sizeof(c->reseller_id));
    mdb_r_str(&r, c->rule_id, sizeof(c->rule_id));
    mdb_r_str(&r, c->usage_file_id, sizeof(c->usage_file_id));
    mdb_r_str(&r, c->processing_date, sizeof(c->processing_date));
    mdb_r_str(&r, c->created_at, sizeof(c->created_at));
    mdb_r_str(&r, c->updated_at, sizeof(c->updated_at));
    mdb_r_str(&r, c->owner_account_id, sizeof(c->owner_account_id));
    mdb_r_u64(&r, &c->outbox_id);
    rc = mdb_one_row(st, Q_CREDIT_GET, &p, &r);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return awc_error_set(AWC_ENOTFOUND, "credit not found");
    c->revision = (int)revision;
    c->flag = (int)unmapped;
    c->version = version;
    if ((rc = awc_money_parse(&c->amount, amount, strlen(amount))) != 0)
        return awc_error_prefix(AWC_EDB, "database: stored amount");
    return state_from_db(&c->state, status);
}

int mdb_credit_get(awc_store *s, awc_credit *out, uint64_t seq)
{
    get_ctx x = { out, seq };
    return mdb_tx((mdb *)s, do_get, &x);
}

/* ---- transition ------------------------------------------------------------------ */

typedef struct step_ctx {
    const awc_transition *t;
    int64_t new_version;
} step_ctx;

static int do_transition(mdb *st, void *arg)
{
    step_ctx *x = arg;
    const awc_transition *t = x->t;
    char status[20];
    int64_t version = 0;
    awc_state now;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_u64(&p, &t->seq);
    mdb_r_init(&r);
    mdb_r_str(&r, status, sizeof(status));
    mdb_r_i64(&r, &version);
    rc = mdb_one_row(st, Q_CREDIT_LOCK, &p, &r);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return awc_error_set(AWC_ENOTFOUND, "credit not found");
    if ((rc = state_from_db(&now, status)) != 0)
        return rc;
    if (version != t->expect_version)
        return awc_error_set(AWC_ECONFLICT,
                             "changed by someone else: version is now %lld, you had %lld; "
                             "reload and try again",
                             (long long)version, (long long)t->expect_version);
    if (now != t->from)
        return awc_error_set(AWC_ECONFLICT, "changed by someone else: state is now %s, "
                             "expected %s", awc_state_name(now), awc_state_name(t->from));

    mdb_p_init(&p);
    mdb_p_str(&p, awc_state_name(t->to));
    mdb_p_u64(&p, &t->seq);
    mdb_p_i64(&p, &version);
    if ((rc = mdb_exec(st, Q_CREDIT_SET_STATE, &p)) != 0)
        return rc;
    if (mdb_affected(st, Q_CREDIT_SET_STATE) != 1)
        return awc_error_set(AWC_ECONFLICT, "changed by someone else during the update");
    x->new_version = version + 1;
    return mdb_event_insert(st, t->seq, t->kind, t->from, t->to, version, version + 1, t->actor,
                            t->note, t->detail);
}

int mdb_credit_transition(awc_store *s, const awc_transition *t, int64_t *new_version)
{
    step_ctx x = { t, 0 };
    int rc = mdb_tx((mdb *)s, do_transition, &x);

    if (rc == 0 && new_version)
        *new_version = x.new_version;
    return rc;
}

/* ---- events ------------------------------------------------------------------------- */

typedef struct events_ctx {
    uint64_t seq;
    int (*fn)(void *, const awc_event *);
    void *arg;
    uint64_t delivered;            /* rows handed out already: not again on a retry */
    int stopped;
    awc_event *ev;
} events_ctx;

static int do_events(mdb *st, void *arg)
{
    events_ctx *x = arg;
    awc_event *ev = x->ev;
    char kind[20], from[20], to[20], role[20];
    uint64_t row = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_u64(&p, &x->seq);
    if ((rc = mdb_exec(st, Q_EVENTS_OF, &p)) != 0)
        return rc;
    mdb_r_init(&r);
    mdb_r_u64(&r, &ev->id);
    mdb_r_u64(&r, &ev->seq);
    mdb_r_str(&r, ev->at, sizeof(ev->at));
    mdb_r_str(&r, kind, sizeof(kind));
    mdb_r_str(&r, from, sizeof(from));
    mdb_r_str(&r, to, sizeof(to));
    mdb_r_i64(&r, &ev->from_version);
    mdb_r_i64(&r, &ev->to_version);
    mdb_r_str(&r, role, sizeof(role));
    mdb_r_str(&r, ev->actor_id, sizeof(ev->actor_id));
    mdb_r_str(&r, ev->actor_reseller, sizeof(ev->actor_reseller));
    mdb_r_str(&r, ev->actor_via, sizeof(ev->actor_via));
    mdb_r_str(&r, ev->note, sizeof(ev->note));
    mdb_r_str(&r, ev->detail, sizeof(ev->detail));
    if ((rc = mdb_bind_result(st, Q_EVENTS_OF, &r)) != 0)
        return rc;
    while (!x->stopped && (rc = mdb_fetch(st, Q_EVENTS_OF, &r)) == 1) {
        if (row++ < x->delivered)
            continue;
        if (awc_event_parse(&ev->kind, kind) != 0 || state_from_db(&ev->from, from) != 0 ||
            state_from_db(&ev->to, to) != 0) {
            rc = awc_error_prefix(AWC_EDB, "database: event %llu",
                                  (unsigned long long)ev->id);
            break;
        }
        ev->actor_role = mdb_role_parse(role);
        x->delivered++;
        if (x->fn(x->arg, ev) != 0)
            x->stopped = 1;
    }
    mdb_done(st, Q_EVENTS_OF);
    return rc < 0 ? rc : 0;
}

int mdb_events_each(awc_store *s, uint64_t seq, int (*fn)(void *, const awc_event *), void *arg)
{
    events_ctx x = { seq, fn, arg, 0, 0, NULL };
    int rc;

    x.ev = awc_calloc(1, sizeof(*x.ev));
    if (!x.ev)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    rc = mdb_tx((mdb *)s, do_events, &x);
    awc_free(x.ev);
    return rc;
}
