/*
 * state.h -- the credit state machine (SPEC section 6) as a table.
 *
 *   PENDING_ASSIGN --assign-->    ASSIGNED
 *   ASSIGNED       --edit-->      ASSIGNED
 *   ASSIGNED       --unassign-->  PENDING_ASSIGN
 *   ASSIGNED       --collect-->   PROCESSING
 *   PROCESSING     --invoiced-->  PROCESSED
 *   PROCESSING     --reject-->    ASSIGNED
 *   PENDING_ASSIGN, ASSIGNED --exclude--> PENDING_ASSIGN (excluded: assignment skips it)
 *   PENDING_ASSIGN --include-->   PENDING_ASSIGN (no longer excluded)
 *   PENDING_ASSIGN, ASSIGNED --note--> the same state
 *
 * Anything else is refused.  PROCESSING and PROCESSED are read-only: an
 * edit there is AWC_EREADONLY; any other refused pair AWC_EINVALID_TRANSITION.
 * The table knows nothing of the store: awc_credit_transition() (credit.h)
 * applies a step in one transaction with its event and a version check.
 */
#ifndef AWC_STATE_H
#define AWC_STATE_H

typedef enum awc_state {
    AWC_STATE_NONE = 0,            /* before the credit exists */
    AWC_PENDING_ASSIGN = 1,
    AWC_ASSIGNED = 2,
    AWC_PROCESSING = 3,
    AWC_PROCESSED = 4
} awc_state;
#define AWC_STATE_COUNT 5

typedef enum awc_event_kind {
    AWC_EV_CREATE = 1,             /* first pull: NONE -> PENDING_ASSIGN */
    AWC_EV_ASSIGN = 2,
    AWC_EV_EDIT = 3,
    AWC_EV_UNASSIGN = 4,
    AWC_EV_COLLECT = 5,
    AWC_EV_CLOSE = 6,              /* invoice closed at the platform */
    AWC_EV_REJECT = 7,             /* usage file rejected */
    AWC_EV_RESTATE = 8,            /* re-pull changed the amount; state kept */
    AWC_EV_FLAG = 9,               /* annotation (unmapped, held); state kept */
    AWC_EV_NOTE = 10,              /* an admin's note alone; nothing else changes */
    AWC_EV_EXCLUDE = 11,           /* a distributor takes it out of the cycle */
    AWC_EV_INCLUDE = 12            /* ... and puts it back, pending */
} awc_event_kind;
#define AWC_EV_COUNT 13

/* "PENDING_ASSIGN", ...; "NONE" for AWC_STATE_NONE. */
const char *awc_state_name(awc_state s);
/* Parse a state name (case-insensitive); 0 or AWC_EBADINPUT. */
int awc_state_parse(awc_state *out, const char *s);
const char *awc_event_name(awc_event_kind k);
int awc_event_parse(awc_event_kind *out, const char *s);

/* The state reached from `from` by `ev`.  0 and *out set, or
 * AWC_EREADONLY / AWC_EINVALID_TRANSITION with a message naming both. */
int awc_state_next(awc_state *out, awc_state from, awc_event_kind ev);

/* 1 when a credit in s may be edited (assigned, unassigned, re-split). */
int awc_state_editable(awc_state s);

#endif /* AWC_STATE_H */
