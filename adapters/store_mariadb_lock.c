/*
 * store_mariadb_lock.c -- cluster-wide named locks kept as rows.
 *
 * GET_LOCK is one server's alone: a Galera cluster does not replicate it
 * (MariaDB lists it among Galera's limitations), so two hosts on two nodes
 * would both "hold" the run lock of a period.  A lock here is a row of
 * `locks` (name, owner, node and connection of the holder, heartbeat,
 * expiry): a lease.
 *
 *   take     INSERT IGNORE of the row; when it exists, one UPDATE takes it
 *            over only if it is ours already, its lease ran out, or its
 *            holder's connection is gone from the server we are on (the
 *            holder died; a user always sees its own sessions, so this is
 *            asked only of a holder of the same user).  Both are single
 *            statements: on Galera two takers on two nodes conflict at
 *            certification (1213) and one of them wins; the loser, retried,
 *            finds the row taken.
 *   keep     the holder renews its lease (heartbeat) before a unit of work
 *            once a quarter of it has passed, and always after a reconnect
 *            (the row then names the new connection and node).  A renewal
 *            that finds the row no longer ours means another process took
 *            the lock over after the lease ran out: we stop (AWC_ELOCKED)
 *            rather than work on without it.  The holder works without
 *            renewing for at most a quarter of the lease, so clocks may
 *            differ by up to half of it and no two holders overlap.
 *   release  DELETE of the row, if still ours.
 *
 * A connection that another() opened for the same process (assign's lanes,
 * which work while the holder's own connection waits) renews the holder's
 * leases too, by owner, leaving the row naming the holder's connection;
 * it reads the holder's lock names, which do not change while it works.
 *
 * The lease is db.lock_seconds (default 60).  The table is created by
 * migrate (before it takes its own lock) and, for a database migrated by
 * an older version, on first use.
 */
#include <errno.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "awc.h"
#include "mdb.h"

#define NSLOTS (sizeof(((mdb *)0)->locks) / sizeof(((mdb *)0)->locks[0]))

const char mdb_locks_table[] =
    "CREATE TABLE IF NOT EXISTS locks ("
    " name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,"
    " owner VARCHAR(128) NOT NULL,"
    " node VARCHAR(512) NOT NULL,"
    " db_user VARCHAR(128) NOT NULL,"
    " connection_id BIGINT UNSIGNED NOT NULL,"
    " acquired_at DATETIME(6) NOT NULL,"
    " heartbeat_at DATETIME(6) NOT NULL,"
    " expires_at DATETIME(6) NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

/* Monotonic milliseconds (no floating point in the store: scripts/check-money). */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned mdb_lock_seconds(const mdb *st)
{
    return st->params.lock_seconds ? st->params.lock_seconds : 60;
}

/* This process's name as a lock owner: host, pid and 32 random bits, so
 * that a restarted process with the same pid is another owner. */
static const char *owner_of(mdb *st)
{
    if (!st->owner[0]) {
        char host[64] = "";
        unsigned char r[4] = {0};
        if (gethostname(host, sizeof(host) - 1) != 0)
            snprintf(host, sizeof(host), "?");
        if (getentropy(r, sizeof(r)) != 0)
            r[0] = (unsigned char)rand_r(&st->rng);
        snprintf(st->owner, sizeof(st->owner), "%.63s:%ld:%02x%02x%02x%02x", host,
                 (long)getpid(), r[0], r[1], r[2], r[3]);
    }
    return st->owner;
}

/* Rows changed by one execution of q with (str, str|u64...) parameters:
 * the callers bind their own.  A missing table is created once. */
static int exec_lock(mdb *st, enum mdb_sql q, mdb_params *p, uint64_t *changed)
{
    int rc;

    *changed = 0;
    for (int attempt = 0; attempt < MDB_ATTEMPTS; attempt++) {
        if ((rc = mdb_exec(st, q, p)) == 0) {
            *changed = mdb_affected(st, q);
            return 0;
        }
        if (st->last_errno == ER_NO_SUCH_TABLE && attempt == 0) {
            awc_error_clear();
            if ((rc = mdb_query(st, mdb_locks_table)) != 0)
                return rc;
            continue;
        }
        /* two nodes wrote the row at once: certification chose the other */
        if (st->last_errno != ER_LOCK_DEADLOCK && st->last_errno != ER_LOCK_WAIT_TIMEOUT)
            return rc;
        awc_error_clear();
    }
    return rc;
}

/* Take name for this process: 1 taken (or ours already), 0 held by
 * another, < 0 an error. */
static int take(mdb *st, const char *name)
{
    int64_t secs = mdb_lock_seconds(st);
    uint64_t changed = 0;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, name);
    mdb_p_str(&p, owner_of(st));
    mdb_p_i64(&p, &secs);
    if ((rc = exec_lock(st, Q_LOCK_TRY, &p, &changed)) != 0)
        return rc;
    if (changed == 1)
        return 1;
    mdb_p_init(&p);
    mdb_p_str(&p, owner_of(st));
    mdb_p_i64(&p, &secs);
    mdb_p_str(&p, name);
    mdb_p_str(&p, owner_of(st));
    if ((rc = exec_lock(st, Q_LOCK_STEAL, &p, &changed)) != 0)
        return rc;
    return changed == 1;
}

/* The message for a lock another process holds. */
static int held(mdb *st, const char *name)
{
    char owner[129] = "", node[513] = "", since[20] = "";
    int64_t conn = 0, beat = 0, left = 0, here = 0;
    mdb_params p;
    mdb_result r;
    int found;

    mdb_p_init(&p);
    mdb_p_str(&p, name);
    mdb_r_init(&r);
    mdb_r_str(&r, owner, sizeof(owner));
    mdb_r_str(&r, node, sizeof(node));
    mdb_r_i64(&r, &conn);
    mdb_r_str(&r, since, sizeof(since));
    mdb_r_i64(&r, &beat);
    mdb_r_i64(&r, &left);
    mdb_r_i64(&r, &here);
    found = mdb_one_row(st, Q_LOCK_HOLDER, &p, &r);
    if (found != 1)
        return awc_error_set(AWC_ELOCKED, "the lock %s is held by another process (it may "
                             "have ended just now); try again", name);
    return awc_error_set(AWC_ELOCKED, "the lock %s is held by %s (database connection %lld on "
                         "%s, since %s UTC, last heartbeat %lld s ago); if that process died, "
                         "its lock frees %swithin %lld s, when its lease (db.lock_seconds) "
                         "runs out; try again then", name, owner, (long long)conn,
                         here ? "this server" : node, since, (long long)beat,
                         here ? "as soon as the server notices its closed connection, at the "
                                "latest " : "", (long long)left);
}

int mdb_lock(awc_store *s, const char *name)
{
    mdb *st = (mdb *)s;
    size_t free_slot = NSLOTS;
    int rc;

    for (size_t i = 0; i < NSLOTS; i++) {
        if (strcmp(st->locks[i], name) == 0) /* held already, unless lost */
            return (st->lost & (1u << i)) ? mdb_locks_keep(st, 1) : 0;
        if (!st->locks[i][0] && free_slot == NSLOTS)
            free_slot = i;
    }
    if (free_slot == NSLOTS || strlen(name) >= sizeof(st->locks[0]))
        return awc_error_set(AWC_ERROR, "lock %.40s: too many locks or name too long", name);
    if ((rc = mdb_ensure(st)) != 0)
        return rc;
    if ((rc = take(st, name)) < 0)
        return rc;
    if (rc == 0)
        return held(st, name);
    snprintf(st->locks[free_slot], sizeof(st->locks[free_slot]), "%s", name);
    st->lock_at = now_ms();
    return 0;
}

void mdb_unlock(awc_store *s, const char *name)
{
    mdb *st = (mdb *)s;
    uint64_t changed;
    mdb_params p;
    int mine = 0;

    for (size_t i = 0; i < NSLOTS; i++)
        if (strcmp(st->locks[i], name) == 0) {
            mine = !(st->lost & (1u << i));
            st->locks[i][0] = '\0';
            st->lost &= ~(1u << i);
        }
    if (!mine || mdb_ensure(st) != 0) {
        awc_error_clear(); /* the lease runs out by itself */
        return;
    }
    mdb_p_init(&p);
    mdb_p_str(&p, name);
    mdb_p_str(&p, owner_of(st));
    if (exec_lock(st, Q_RUN_UNLOCK, &p, &changed) != 0)
        awc_error_clear();
}

/* A lane renews its parent's leases (see above). */
static int keep_parents(mdb *st, int force)
{
    const mdb *pa = st->parent;
    int64_t secs = mdb_lock_seconds(pa);
    int64_t t = now_ms();

    if (!force && t - st->lock_at < secs * 250)
        return 0;
    for (size_t i = 0; i < NSLOTS; i++) {
        uint64_t changed = 0;
        mdb_params p;
        int rc;

        if (!pa->locks[i][0] || (pa->lost & (1u << i)))
            continue;
        mdb_p_init(&p);
        mdb_p_i64(&p, &secs);
        mdb_p_str(&p, pa->locks[i]);
        mdb_p_str(&p, pa->owner);
        if ((rc = exec_lock(st, Q_LOCK_BEAT, &p, &changed)) != 0)
            return rc;
        if (changed != 1)
            return awc_error_set(AWC_ELOCKED, "lost the lock %s: another process took it over "
                                 "(its lease, db.lock_seconds = %lld s, had run out); stopped",
                                 pa->locks[i], (long long)secs);
    }
    st->lock_at = t;
    return 0;
}

int mdb_locks_keep(mdb *st, int force)
{
    int64_t secs = mdb_lock_seconds(st);
    int64_t t = now_ms();
    int any = 0;

    if (st->parent)
        return keep_parents(st, force);
    for (size_t i = 0; i < NSLOTS; i++) {
        if (st->lost & (1u << i)) /* until the caller lets go of it */
            return awc_error_set(AWC_ELOCKED, "lost the lock %s: another process took it over; "
                                 "stopped", st->locks[i]);
        any |= st->locks[i][0] != '\0';
    }
    if (!any || (!force && t - st->lock_at < secs * 250))
        return 0;
    for (size_t i = 0; i < NSLOTS; i++) {
        uint64_t changed = 0;
        mdb_params p;
        int rc;

        if (!st->locks[i][0])
            continue;
        mdb_p_init(&p);
        mdb_p_i64(&p, &secs);
        mdb_p_str(&p, st->locks[i]);
        mdb_p_str(&p, owner_of(st));
        if ((rc = exec_lock(st, Q_LOCK_REFRESH, &p, &changed)) != 0)
            return rc;
        if (changed != 1) { /* every later unit fails too, until unlock */
            st->lost |= 1u << i;
            return awc_error_set(AWC_ELOCKED, "lost the lock %s: another process took it over "
                                 "(its lease, db.lock_seconds = %lld s, had run out, or this "
                                 "process's connection was gone); stopped", st->locks[i],
                                 (long long)secs);
        }
    }
    st->lock_at = t;
    return 0;
}
