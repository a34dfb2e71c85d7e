/*
 * credit.h -- one credit's life: loading it within the actor's scope and
 * moving it one step through the state table in the store.
 *
 * Scope (SPEC section 13): a distributor sees every credit; a reseller sees
 * the credits whose owner's reseller is its own; a viewer sees all but may
 * change nothing.  A credit outside the actor's scope is AWC_ENOTFOUND,
 * exactly as if it did not exist.
 */
#ifndef AWC_CREDIT_H
#define AWC_CREDIT_H

#include "store.h"

/* 1 when the actor may see the credit. */
int awc_scope_can_see(const awc_actor *a, const awc_credit *c);

/* Load credit seq for actor.  AWC_ENOTFOUND when absent or out of scope. */
int awc_credit_load(awc_store *st, const awc_actor *a, uint64_t seq, awc_credit *out);

/* Move credit seq by event ev: checks scope and role (viewers change
 * nothing; resellers only assign, edit and unassign), the state table and
 * the version (expect_version 0 = the version just read).  On success
 * *new_version (may be NULL) is the credit's new version.  Errors:
 * AWC_ENOTFOUND, AWC_EPERM, AWC_EREADONLY, AWC_EINVALID_TRANSITION,
 * AWC_ECONFLICT, AWC_EDB; nothing changes then. */
int awc_credit_step(awc_store *st, const awc_actor *a, uint64_t seq, awc_event_kind ev,
                    int64_t expect_version, const char *note, const char *detail,
                    int64_t *new_version);

#endif /* AWC_CREDIT_H */
