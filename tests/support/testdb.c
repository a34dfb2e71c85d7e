/* testdb.c -- a fresh database per integration test program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"

int testdb_create(testdb *t, const char *tag)
{
    char sql[160];

    memset(t, 0, sizeof(*t));
    t->socket = getenv("AWC_TEST_SOCKET");
    if (!t->socket || !*t->socket) {
        fprintf(stderr, "AWC_TEST_SOCKET is not set: run through tests/run (scripts/devdb)\n");
        return -1;
    }
    snprintf(t->name, sizeof(t->name), "awc_%s_%ld", tag, (long)getpid());
    t->admin = mysql_init(NULL);
    mysql_optionsv(t->admin, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!mysql_real_connect(t->admin, NULL, "root", NULL, NULL, 0, t->socket, 0)) {
        fprintf(stderr, "testdb: connect: %s\n", mysql_error(t->admin));
        return -1;
    }
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", t->name);
    testdb_exec(t, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s CHARACTER SET utf8mb4", t->name);
    if (testdb_exec(t, sql))
        return -1;
    snprintf(sql, sizeof(sql), "USE %s", t->name);
    return testdb_exec(t, sql) ? -1 : 0;
}

void testdb_drop(testdb *t)
{
    char sql[160];

    if (!t->admin)
        return;
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", t->name);
    testdb_exec(t, sql);
    mysql_close(t->admin);
    t->admin = NULL;
    mysql_library_end();
}

int testdb_store(testdb *t, awc_store **out, int migrate)
{
    awc_db_params p = { .socket = t->socket, .user = "root", .database = t->name,
                        .connect_timeout = 5 };
    int applied = 0;

    if (awc_store_mariadb_open(out, &p) != 0)
        return -1;
    if (migrate && (*out)->ops->migrate(*out, &applied) != 0)
        return -1;
    return 0;
}

unsigned testdb_exec(testdb *t, const char *sql)
{
    MYSQL_RES *res;

    if (mysql_query(t->admin, sql)) {
        return mysql_errno(t->admin);
    }
    res = mysql_store_result(t->admin);
    if (res)
        mysql_free_result(res);
    return 0;
}

long long testdb_scalar(testdb *t, const char *sql)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    long long v = -1;

    if (mysql_query(t->admin, sql))
        return -1;
    res = mysql_store_result(t->admin);
    if (!res)
        return -1;
    row = mysql_fetch_row(res);
    if (row && row[0])
        v = strtoll(row[0], NULL, 10);
    mysql_free_result(res);
    return v;
}

/* Prepare sql, bind params as strings and execute; NULL on failure. */
static MYSQL_STMT *run_bound(testdb *t, const char *sql, const char *const *params, size_t n)
{
    MYSQL_STMT *s = mysql_stmt_init(t->admin);
    MYSQL_BIND b[16];
    unsigned long len[16];

    if (!s || n > 16)
        return NULL;
    memset(b, 0, sizeof(b));
    for (size_t i = 0; i < n; i++) {
        if (!params[i]) {
            b[i].buffer_type = MYSQL_TYPE_NULL;
            continue;
        }
        len[i] = (unsigned long)strlen(params[i]);
        b[i].buffer_type = MYSQL_TYPE_STRING;
        b[i].buffer = (void *)params[i];
        b[i].buffer_length = len[i];
        b[i].length = &len[i];
    }
    if (mysql_stmt_prepare(s, sql, (unsigned long)strlen(sql)) ||
        (n && mysql_stmt_bind_param(s, b)) || mysql_stmt_execute(s)) {
        fprintf(stderr, "testdb: %s: %s\n", sql, mysql_stmt_error(s));
        mysql_stmt_close(s);
        return NULL;
    }
    return s;
}

unsigned testdb_execp(testdb *t, const char *sql, const char *const *params, size_t n)
{
    MYSQL_STMT *s = run_bound(t, sql, params, n);
    if (!s)
        return mysql_errno(t->admin) ? mysql_errno(t->admin) : 1;
    mysql_stmt_close(s);
    return 0;
}

long long testdb_scalarp(testdb *t, const char *sql, const char *const *params, size_t n)
{
    MYSQL_STMT *s = run_bound(t, sql, params, n);
    MYSQL_BIND r;
    char text[64];
    unsigned long len = 0;
    my_bool is_null = 0;
    long long v = -1;

    if (!s)
        return -1;
    /* read as text, like testdb_scalar: a DECIMAL's integer part counts */
    memset(&r, 0, sizeof(r));
    r.buffer_type = MYSQL_TYPE_STRING;
    r.buffer = text;
    r.buffer_length = sizeof(text) - 1;
    r.length = &len;
    r.is_null = &is_null;
    if (mysql_stmt_bind_result(s, &r) == 0 && mysql_stmt_fetch(s) == 0 && !is_null) {
        text[len < sizeof(text) ? len : sizeof(text) - 1] = '\0';
        v = strtoll(text, NULL, 10);
    }
    mysql_stmt_close(s);
    return v;
}
