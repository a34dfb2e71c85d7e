/* state.c -- the credit state machine as a table (SPEC section 6). */
#include <strings.h>

#include "awc.h"
#include "state.h"

static const char *const state_names[AWC_STATE_COUNT] = {
    [AWC_STATE_NONE] = "NONE",
    [AWC_PENDING_ASSIGN] = "PENDING_ASSIGN",
    [AWC_ASSIGNED] = "ASSIGNED",
    [AWC_PROCESSING] = "PROCESSING",
    [AWC_PROCESSED] = "PROCESSED",
};

static const char *const event_names[AWC_EV_COUNT] = {
    [AWC_EV_CREATE] = "create",
    [AWC_EV_ASSIGN] = "assign",
    [AWC_EV_EDIT] = "edit",
    [AWC_EV_UNASSIGN] = "unassign",
    [AWC_EV_COLLECT] = "collect",
    [AWC_EV_CLOSE] = "invoiced",
    [AWC_EV_REJECT] = "reject",
    [AWC_EV_RESTATE] = "restate",
    [AWC_EV_FLAG] = "flag",
    [AWC_EV_NOTE] = "note",
    [AWC_EV_EXCLUDE] = "exclude",
    [AWC_EV_INCLUDE] = "include",
};

/* next[from][event]: the state reached, or AWC_STATE_NONE when refused.
 * RESTATE and FLAG keep the state but only where the credit may change. */
static const awc_state next_state[AWC_STATE_COUNT][AWC_EV_COUNT] = {
    [AWC_STATE_NONE] = {
        [AWC_EV_CREATE] = AWC_PENDING_ASSIGN,
    },
    [AWC_PENDING_ASSIGN] = {
        [AWC_EV_ASSIGN] = AWC_ASSIGNED,
        [AWC_EV_RESTATE] = AWC_PENDING_ASSIGN,
        [AWC_EV_FLAG] = AWC_PENDING_ASSIGN,
        [AWC_EV_NOTE] = AWC_PENDING_ASSIGN,
        [AWC_EV_EXCLUDE] = AWC_PENDING_ASSIGN,
        [AWC_EV_INCLUDE] = AWC_PENDING_ASSIGN,
    },
    [AWC_ASSIGNED] = {
        [AWC_EV_EDIT] = AWC_ASSIGNED,
        [AWC_EV_UNASSIGN] = AWC_PENDING_ASSIGN,
        [AWC_EV_COLLECT] = AWC_PROCESSING,
        [AWC_EV_RESTATE] = AWC_ASSIGNED,
        [AWC_EV_FLAG] = AWC_ASSIGNED,
        [AWC_EV_NOTE] = AWC_ASSIGNED,
        [AWC_EV_EXCLUDE] = AWC_PENDING_ASSIGN,
    },
    [AWC_PROCESSING] = {
        [AWC_EV_CLOSE] = AWC_PROCESSED,
        [AWC_EV_REJECT] = AWC_ASSIGNED,
    },
    [AWC_PROCESSED] = { 0 },
};

static int valid_state(int s)
{
    return s >= 0 && s < AWC_STATE_COUNT;
}

static int valid_event(int k)
{
    return k > 0 && k < AWC_EV_COUNT;
}

const char *awc_state_name(awc_state s)
{
    return valid_state((int)s) ? state_names[s] : "INVALID";
}

const char *awc_event_name(awc_event_kind k)
{
    return valid_event((int)k) ? event_names[k] : "invalid";
}

int awc_state_parse(awc_state *out, const char *s)
{
    for (int i = AWC_PENDING_ASSIGN; i < AWC_STATE_COUNT; i++) {
        if (strcasecmp(s, state_names[i]) == 0) {
            *out = (awc_state)i;
            return 0;
        }
    }
    return awc_error_set(AWC_EBADINPUT,
        "unknown state '%.40s' (expected PENDING_ASSIGN, ASSIGNED, PROCESSING or PROCESSED)", s);
}

int awc_event_parse(awc_event_kind *out, const char *s)
{
    for (int i = 1; i < AWC_EV_COUNT; i++) {
        if (strcasecmp(s, event_names[i]) == 0) {
            *out = (awc_event_kind)i;
            return 0;
        }
    }
    return awc_error_set(AWC_EBADINPUT, "unknown event kind '%.40s'", s);
}

int awc_state_editable(awc_state s)
{
    return s == AWC_PENDING_ASSIGN || s == AWC_ASSIGNED;
}

int awc_state_next(awc_state *out, awc_state from, awc_event_kind ev)
{
    awc_state to;

    if (!valid_state((int)from) || !valid_event((int)ev))
        return awc_error_set(AWC_EINVALID_TRANSITION, "invalid state %d or event %d",
                             (int)from, (int)ev);
    to = next_state[from][ev];
    if (to != AWC_STATE_NONE) {
        *out = to;
        return 0;
    }
    if ((from == AWC_PROCESSING || from == AWC_PROCESSED) &&
        (ev == AWC_EV_EDIT || ev == AWC_EV_ASSIGN || ev == AWC_EV_UNASSIGN ||
         ev == AWC_EV_RESTATE || ev == AWC_EV_FLAG || ev == AWC_EV_NOTE ||
         ev == AWC_EV_EXCLUDE || ev == AWC_EV_INCLUDE))
        return awc_error_set(AWC_EREADONLY, "%s: a %s credit is read-only",
                             event_names[ev], state_names[from]);
    return awc_error_set(AWC_EINVALID_TRANSITION, "%s is not allowed from %s",
                         event_names[ev], state_names[from]);
}
