/*
 * testdb.h -- integration tests' access to the throwaway MariaDB.
 *
 * tests/run exports AWC_TEST_SOCKET (scripts/devdb).  Each test program
 * creates its own database with a unique name, migrates it through the
 * real store, and drops it at the end.
 */
#ifndef AWC_TESTDB_H
#define AWC_TESTDB_H

#include <mysql.h>

#include "store.h"

typedef struct testdb {
    char name[64];                 /* database name */
    const char *socket;
    MYSQL *admin;                  /* a plain root connection for checks */
} testdb;

/* Create a fresh database; skips (exit 77 is not used: fails) when
 * AWC_TEST_SOCKET is unset.  Returns 0 or -1 with a message on stderr. */
int testdb_create(testdb *t, const char *tag);
void testdb_drop(testdb *t);
/* Open a store on the test database (migrated when migrate != 0). */
int testdb_store(testdb *t, awc_store **out, int migrate);
/* Run SQL on the admin connection; returns mysql_errno (0 = ok). */
unsigned testdb_exec(testdb *t, const char *sql);
/* First column of the first row as an integer; -1 on error. */
long long testdb_scalar(testdb *t, const char *sql);
/* The same two with params[0..n) bound to the statement's '?' as text
 * (NULL binds SQL NULL), so no value is ever written into SQL text. */
unsigned testdb_execp(testdb *t, const char *sql, const char *const *params, size_t n);
long long testdb_scalarp(testdb *t, const char *sql, const char *const *params, size_t n);

#endif
