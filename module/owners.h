/*
 * owners.h -- the accounts map valid on one day, in memory: account id to
 * owner, looked up once per credit during assignment.  Built from the
 * store in one pass; memory grows with the number of accounts.
 */
#ifndef AWC_OWNERS_H
#define AWC_OWNERS_H

#include "assign.h"
#include "store.h"

typedef struct awc_owners awc_owners;

/* The owners of every account on date (YYYY-MM-DD). */
int awc_owners_load(awc_owners **out, awc_store *st, const char *date);
void awc_owners_free(awc_owners *o);
/* 1 and *out filled when account has an owner, else 0. */
int awc_owners_find(const awc_owners *o, const char *account, awc_owner *out);
size_t awc_owners_count(const awc_owners *o);

#endif
