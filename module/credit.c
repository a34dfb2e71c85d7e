/* credit.c -- scope checks and single state steps over the store. */
#include <string.h>

#include "awc.h"
#include "credit.h"

int awc_scope_can_see(const awc_actor *a, const awc_credit *c)
{
    switch (a->role) {
    case AWC_ROLE_DISTRIBUTOR:
    case AWC_ROLE_VIEWER:
        return 1;
    case AWC_ROLE_RESELLER:
        return a->reseller_id && a->reseller_id[0] && strcmp(a->reseller_id, c->reseller_id) == 0;
    }
    return 0;
}

int awc_credit_load(awc_store *st, const awc_actor *a, uint64_t seq, awc_credit *out)
{
    int rc = st->ops->credit_get(st, out, seq);

    if (rc == 0 && !awc_scope_can_see(a, out)) {
        memset(out, 0, sizeof(*out));
        return awc_error_set(AWC_ENOTFOUND, "credit not found");
    }
    return rc;
}

static int role_may(const awc_actor *a, awc_event_kind ev)
{
    if (a->role == AWC_ROLE_DISTRIBUTOR)
        return 1;
    if (a->role == AWC_ROLE_RESELLER)
        return ev == AWC_EV_ASSIGN || ev == AWC_EV_EDIT || ev == AWC_EV_UNASSIGN;
    return 0;
}

int awc_credit_step(awc_store *st, const awc_actor *a, uint64_t seq, awc_event_kind ev,
                    int64_t expect_version, const char *note, const char *detail,
                    int64_t *new_version)
{
    awc_credit *c = awc_malloc(sizeof(*c));
    awc_transition t;
    int rc;

    if (!c)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = awc_credit_load(st, a, seq, c)) != 0)
        goto out;
    if (!role_may(a, ev)) {
        rc = awc_error_set(AWC_EPERM, "%s: not allowed for a %s", awc_event_name(ev),
                           a->role == AWC_ROLE_RESELLER ? "reseller" : "viewer");
        goto out;
    }
    memset(&t, 0, sizeof(t));
    t.seq = seq;
    t.kind = ev;
    t.from = c->state;
    t.expect_version = expect_version ? expect_version : c->version;
    t.actor = a;
    t.note = note;
    t.detail = detail;
    if (expect_version && expect_version != c->version) {
        rc = awc_error_set(AWC_ECONFLICT,
                           "changed by someone else: version is now %lld, you had %lld; "
                           "reload and try again",
                           (long long)c->version, (long long)expect_version);
        goto out;
    }
    if ((rc = awc_state_next(&t.to, c->state, ev)) != 0)
        goto out;
    rc = st->ops->credit_transition(st, &t, new_version);
out:
    awc_free(c);
    return rc;
}
