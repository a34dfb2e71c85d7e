/*
 * store_mariadb_migrate.c -- apply the embedded migrations once each.
 *
 * schema_migrations records every applied number with a CRC-32 of its
 * text; a migration whose text changed after it was applied is refused
 * rather than silently skipped.  A named lock keeps two hosts from
 * migrating at once.  DDL commits on its own in MariaDB, so each migration
 * is written to be re-runnable (IF NOT EXISTS) and is recorded only after
 * its last statement succeeded: a crash in between re-runs it whole.
 *
 * A released migration is never edited, with one exception: 001 and 008
 * created their sequences with a fixed step and a cache, which a Galera
 * cluster refuses (error 1235).  Their texts were amended (INCREMENT BY 0)
 * so that a new database can be made on Galera; a database that applied
 * the first texts is accepted by their checksums below, and 015_galera
 * alters its sequences to the amended form.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "awc.h"
#include "mdb.h"
#include "migrations.h"

#define MIGRATE_LOCK_WAIT 60
#define MAX_APPLIED 1024

static const char create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL PRIMARY KEY,"
    " name VARCHAR(200) NOT NULL,"
    " checksum INT UNSIGNED NOT NULL,"
    " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/* Checksums of earlier texts of amended migrations, still accepted. */
static const struct { int version; uint32_t checksum; } amended[] = {
    { 1, 2754619751u },   /* 001_initial: credit_seq INCREMENT BY 1 CACHE 100 */
    { 8, 749348155u },    /* 008_events_by_credit: credit_event_seq CACHE 1000 */
};

static int was_amended(int64_t version, int64_t sum)
{
    for (size_t i = 0; i < sizeof(amended) / sizeof(amended[0]); i++)
        if (amended[i].version == version && amended[i].checksum == sum)
            return 1;
    return 0;
}

typedef struct applied {
    int64_t version[MAX_APPLIED];
    int64_t checksum[MAX_APPLIED];
    int n;
} applied;

static uint32_t checksum_of(const char *sql)
{
    return (uint32_t)crc32(0L, (const Bytef *)sql, (uInt)strlen(sql));
}

/* A statement is everything up to a line ending in ';'.  Lines starting
 * with "--" are comments; a chunk of only blanks and comments is skipped. */
static int run_statements(mdb *st, const awc_migration *m)
{
    const char *p = m->sql, *start = m->sql;
    int has_code = 0;

    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        const char *q = p, *last = end;

        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        while (last > q && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'))
            last--;
        int comment = (end - q >= 2 && q[0] == '-' && q[1] == '-');
        if (!comment && last > q)
            has_code = 1;
        if (!comment && last > q && last[-1] == ';') {
            size_t len = (size_t)(last - 1 - start);
            char *one = awc_strndup(start, len);
            int rc;
            if (!one)
                return awc_error_set(AWC_ENOMEM, "migrate: out of memory");
            rc = mdb_query(st, one);
            awc_free(one);
            if (rc)
                return awc_error_prefix(rc, "migration %03d_%s", m->version, m->name);
            start = eol ? eol + 1 : end;
            has_code = 0;
        }
        p = eol ? eol + 1 : end;
    }
    if (has_code)
        return awc_error_set(AWC_ERROR, "migration %03d_%s: last statement has no ';'",
                             m->version, m->name);
    return 0;
}

static int read_applied(mdb *st, applied *a)
{
    mdb_result r;
    int64_t v = 0, c = 0;
    int rc;

    a->n = 0;
    if ((rc = mdb_exec(st, Q_MIG_LIST, NULL)) != 0)
        return rc;
    mdb_r_init(&r);
    mdb_r_i64(&r, &v);
    mdb_r_i64(&r, &c);
    if ((rc = mdb_bind_result(st, Q_MIG_LIST, &r)) != 0)
        return rc;
    while ((rc = mdb_fetch(st, Q_MIG_LIST, &r)) == 1) {
        if (a->n == MAX_APPLIED) {
            mdb_done(st, Q_MIG_LIST);
            return awc_error_set(AWC_EDB, "migrate: too many applied migrations");
        }
        a->version[a->n] = v;
        a->checksum[a->n] = c;
        a->n++;
    }
    mdb_done(st, Q_MIG_LIST);
    return rc;
}

static int migrate_locked(mdb *st, int *count)
{
    applied *a = awc_malloc(sizeof(*a));
    int rc = 0;

    if (!a)
        return awc_error_set(AWC_ENOMEM, "migrate: out of memory");
    if ((rc = read_applied(st, a)) != 0)
        goto out;
    for (const awc_migration *m = awc_migrations; m->sql; m++) {
        int64_t sum = checksum_of(m->sql), version = m->version;
        int found = -1;
        mdb_params p;

        for (int i = 0; i < a->n; i++)
            if (a->version[i] == m->version)
                found = i;
        if (found >= 0) {
            if (a->checksum[found] != sum && !was_amended(version, a->checksum[found])) {
                rc = awc_error_set(AWC_EDB,
                    "migration %03d_%s was changed after it was applied; "
                    "add a new migration instead", m->version, m->name);
                goto out;
            }
            continue;
        }
        if ((rc = run_statements(st, m)) != 0)
            goto out;
        mdb_p_init(&p);
        mdb_p_i64(&p, &version);
        mdb_p_str(&p, m->name);
        mdb_p_i64(&p, &sum);
        if ((rc = mdb_exec(st, Q_MIG_INSERT, &p)) != 0)
            goto out;
        (*count)++;
    }
out:
    awc_free(a);
    return rc;
}

/* The migration lock is a row of `locks` like every other (GET_LOCK is
 * one server's alone): on a Galera cluster two hosts on two nodes must
 * not both migrate.  It is waited for, up to MIGRATE_LOCK_WAIT seconds. */
int mdb_migrate(awc_store *s, int *count)
{
    mdb *st = (mdb *)s;
    int rc;

    *count = 0;
    if ((rc = mdb_ensure(st)) != 0)
        return rc;
    if ((rc = mdb_query(st, create_table)) != 0 || (rc = mdb_query(st, mdb_locks_table)) != 0)
        return rc;
    for (int waited = 0;; waited++) {
        if ((rc = mdb_lock(s, "awscredit.migrate")) != AWC_ELOCKED)
            break;
        if (waited >= MIGRATE_LOCK_WAIT * 5)
            return awc_error_prefix(rc, "migrate: another process is migrating this database");
        awc_error_clear();
        nanosleep(&(struct timespec){ 0, 200000000L }, NULL);
    }
    if (rc != 0)
        return rc;
    rc = migrate_locked(st, count);
    mdb_unlock(s, "awscredit.migrate");
    if (*count)
        st->no_markers = 0; /* commit_markers may exist now (migration 009) */
    return rc;
}

int mdb_schema_version(awc_store *s, int *out)
{
    mdb *st = (mdb *)s;
    applied *a;
    int rc;

    *out = 0;
    if ((rc = mdb_ensure(st)) != 0)
        return rc;
    a = awc_malloc(sizeof(*a));
    if (!a)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    rc = read_applied(st, a);
    if (rc != 0 && st->last_errno == 1146) { /* ER_NO_SUCH_TABLE: never migrated */
        awc_error_clear();
        rc = 0;
    }
    for (int i = 0; rc == 0 && i < a->n; i++)
        if (a->version[i] > *out)
            *out = (int)a->version[i];
    awc_free(a);
    return rc;
}
