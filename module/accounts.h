/*
 * accounts.h -- the accounts map as a CSV file states it (SPEC 7): rows
 * read and checked field by field, then together (one owner per account
 * per day).  No store: op_accounts.c reads the file, calls these and hands
 * the rows to the store.
 *
 * Every check costs O(n log n) in the number of rows at most: the rows are
 * sorted once by (account, valid_from) and every check that relates rows
 * walks that order.  `compares` counts the key comparisons so that a test
 * can hold the checks to that bound without timing them.
 */
#ifndef AWC_ACCOUNTS_H
#define AWC_ACCOUNTS_H

#include <stdint.h>

#include "awc.h"
#include "store.h"

/* How many bad rows are handed to the log callback; the rest are counted. */
#define AWC_ACCOUNTS_BAD_SHOWN 20

typedef struct awc_accounts {
    const char *name;              /* the file, in messages (not owned) */
    awc_account_row *rows;         /* the good rows, in file order */
    unsigned long *lines;          /* the line each row starts on */
    size_t n, cap;
    size_t accounts;               /* distinct account ids (awc_accounts_check) */
    unsigned long bad;             /* bad rows found so far */
    char first_bad[AWC_ERRMSG_MAX]; /* "file:line: column: why" of the first */
    uint64_t compares;             /* key comparisons made by awc_accounts_check */
    /* called with each of the first AWC_ACCOUNTS_BAD_SHOWN bad rows'
     * messages; may be NULL */
    void (*log)(void *arg, const char *msg);
    void *log_arg;
} awc_accounts;

/* 1 when s may be a customer, asset or reseller id: ids travel to the
 * billing platform, which matches them exactly, so 1 to AWC_CODE_MAX bytes,
 * no control characters, and nothing a spreadsheet would take for a
 * formula (no leading = + - @). */
int awc_accounts_id_ok(const char *s);
/* 1 when s is an AWS account id: exactly 12 digits. */
int awc_accounts_account_ok(const char *s);

/* An empty map; name (kept, not copied) names the file in messages. */
void awc_accounts_init(awc_accounts *am, const char *name);
/* Frees the rows and their strings; am is empty afterwards. */
void awc_accounts_free(awc_accounts *am);

/* Read the CSV text[0..len): the header names the columns (any order,
 * others ignored).  A bad row is counted in am->bad (first_bad, log) and
 * left out; reading goes on.  Returns 0, or < 0 for what stops reading:
 * AWC_EBADINPUT for an empty file, a missing column or a broken record
 * ("name:line: ..."), AWC_ENOMEM. */
int awc_accounts_read(awc_accounts *am, const char *text, size_t len);

/* One owner per day: a row whose range meets an earlier-starting row's of
 * the same account is a bad row ("already has an owner on").  Sets
 * am->accounts.  Returns 0 or AWC_ENOMEM; the rows stay in file order. */
int awc_accounts_check(awc_accounts *am);

#endif
