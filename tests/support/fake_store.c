/* fake_store.c -- in-memory store for unit tests. */
#include <stdio.h>
#include <string.h>

#include "awc.h"
#include "fake_store.h"

static awc_credit *find(fake_store *f, uint64_t seq)
{
    return (seq >= 1 && seq <= (uint64_t)f->n) ? &f->credits[seq - 1] : NULL;
}

static void f_close(awc_store *s)
{
    (void)s;
}

static int f_migrate(awc_store *s, int *applied)
{
    (void)s;
    *applied = 0;
    return 0;
}

static int f_version(awc_store *s, int *out)
{
    (void)s;
    *out = 1;
    return 0;
}

static int f_insert(awc_store *s, awc_credit *c, const awc_actor *a)
{
    fake_store *f = (fake_store *)s;
    (void)a;
    if (f->n == FAKE_MAX)
        return awc_error_set(AWC_EDB, "fake store full");
    c->seq = (uint64_t)++f->n;
    c->version = 1;
    c->state = AWC_PENDING_ASSIGN;
    f->credits[c->seq - 1] = *c;
    f->events[c->seq - 1] = 1;
    return 0;
}

static int f_get(awc_store *s, awc_credit *out, uint64_t seq)
{
    awc_credit *c = find((fake_store *)s, seq);
    if (!c)
        return awc_error_set(AWC_ENOTFOUND, "credit not found");
    *out = *c;
    return 0;
}

static int f_transition(awc_store *s, const awc_transition *t, int64_t *nv)
{
    fake_store *f = (fake_store *)s;
    awc_credit *c = find(f, t->seq);

    if (f->fail_next) {
        int rc = f->fail_next;
        f->fail_next = 0;
        return awc_error_set(rc, "injected failure");
    }
    if (!c)
        return awc_error_set(AWC_ENOTFOUND, "credit not found");
    if (c->version != t->expect_version || c->state != t->from)
        return awc_error_set(AWC_ECONFLICT, "changed by someone else");
    c->state = t->to;
    c->version++;
    f->events[t->seq - 1]++;
    if (nv)
        *nv = c->version;
    return 0;
}

static int f_events(awc_store *s, uint64_t seq, int (*fn)(void *, const awc_event *), void *arg)
{
    (void)s, (void)seq, (void)fn, (void)arg;
    return 0;
}

static const awc_store_ops fake_ops = {
    .close = f_close,
    .migrate = f_migrate,
    .schema_version = f_version,
    .credit_insert = f_insert,
    .credit_get = f_get,
    .credit_transition = f_transition,
    .events_each = f_events,
};

void fake_store_init(fake_store *f)
{
    memset(f, 0, sizeof(*f));
    f->base.ops = &fake_ops;
}

uint64_t fake_store_add(fake_store *f, awc_state s, const char *reseller_id)
{
    awc_credit c;
    memset(&c, 0, sizeof(c));
    snprintf(c.period, sizeof(c.period), "2026-10");
    snprintf(c.currency, sizeof(c.currency), "USD");
    if (reseller_id)
        snprintf(c.reseller_id, sizeof(c.reseller_id), "%s", reseller_id);
    f_insert(&f->base, &c, NULL);
    f->credits[c.seq - 1].state = s;
    return c.seq;
}
