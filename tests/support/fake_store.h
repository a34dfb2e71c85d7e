/*
 * fake_store.h -- an in-memory store behind store.h for unit tests.
 * Credits live in a fixed array; events are counted per credit.
 */
#ifndef AWC_FAKE_STORE_H
#define AWC_FAKE_STORE_H

#include "store.h"

#define FAKE_MAX 64

typedef struct fake_store {
    awc_store base;
    awc_credit credits[FAKE_MAX];
    int events[FAKE_MAX];
    int n;
    int fail_next;                 /* when non-zero, the next write fails with it */
} fake_store;

void fake_store_init(fake_store *f);
/* Add a credit in state s at version 1; returns its seq. */
uint64_t fake_store_add(fake_store *f, awc_state s, const char *reseller_id);

#endif
