/*
 * test_store.c -- the state machine and the store on a real MariaDB.
 *
 * Every allowed transition succeeds and leaves one event; every other pair
 * is refused and changes nothing; PROCESSING/PROCESSED refuse edits; two
 * connections at the same version: exactly one wins; lost connections and
 * lock waits are retried; a unit whose COMMIT lost its answer ends done
 * exactly once; events cannot be updated or deleted.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "awc.h"
#include "credit.h"
#include "credit_id.h"
#include "store.h"
#include "testdb.h"

static testdb db;
static awc_store *st;

static const awc_actor alice = { sizeof(awc_actor), AWC_ROLE_DISTRIBUTOR, "alice", NULL, NULL };
static const awc_actor bob_r1 = { sizeof(awc_actor), AWC_ROLE_RESELLER, "bob", "R-1", NULL };
static const awc_actor vic = { sizeof(awc_actor), AWC_ROLE_VIEWER, "vic", NULL, NULL };

static unsigned long counter;

static uint64_t new_credit(void)
{
    awc_credit *c = calloc(1, sizeof(*c));
    uint64_t seq;

    assert_non_null(c);
    snprintf(c->period, sizeof(c->period), "2026-10");
    snprintf(c->payer_account_id, sizeof(c->payer_account_id), "111122223333");
    snprintf(c->usage_account_id, sizeof(c->usage_account_id), "444455556666");
    snprintf(c->credit_key, sizeof(c->credit_key), "test credit %lu", ++counter);
    snprintf(c->product_code, sizeof(c->product_code), "AmazonEC2");
    snprintf(c->currency, sizeof(c->currency), "USD");
    snprintf(c->description, sizeof(c->description), "Test credit, credit id: %lu", counter);
    snprintf(c->first_usage, sizeof(c->first_usage), "2026-10-01");
    c->amount = -1234567890123; /* -123.4567890123 */
    c->line_count = 3;
    assert_int_equal(st->ops->credit_insert(st, c, &alice), 0);
    assert_true(c->seq > 0);
    assert_int_equal(c->version, 1);
    seq = c->seq;
    free(c);
    return seq;
}

static long long events_of(uint64_t seq)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credit_events WHERE seq = %llu",
             (unsigned long long)seq);
    return testdb_scalar(&db, sql);
}

static void get(uint64_t seq, awc_credit *c)
{
    assert_int_equal(st->ops->credit_get(st, c, seq), 0);
}

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "store") != 0 || testdb_store(&db, &st, 1) != 0) {
        fprintf(stderr, "setup: %s\n", awc_error_last());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (st)
        st->ops->close(st);
    testdb_drop(&db);
    return 0;
}

static void test_migrate_once(void **state)
{
    int applied = -1, version = 0;
    (void)state;
    assert_int_equal(st->ops->migrate(st, &applied), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(st->ops->schema_version(st, &version), 0);
    assert_true(version >= 1);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM schema_migrations"), version);
}

static void test_changed_migration_refused(void **state)
{
    int applied = 0;
    (void)state;
    assert_int_equal(testdb_exec(&db, "UPDATE schema_migrations SET checksum = checksum + 1 "
                                      "WHERE version = 1"), 0);
    assert_int_equal(st->ops->migrate(st, &applied), AWC_EDB);
    assert_non_null(strstr(awc_error_last(), "changed after it was applied"));
    assert_int_equal(testdb_exec(&db, "UPDATE schema_migrations SET checksum = checksum - 1 "
                                      "WHERE version = 1"), 0);
    assert_int_equal(st->ops->migrate(st, &applied), 0);
    /* 001's first text (before its sequence was amended for Galera) is
     * accepted: a database made by it is not refused */
    assert_int_equal(testdb_exec(&db, "CREATE TEMPORARY TABLE was AS SELECT checksum FROM "
                                      "schema_migrations WHERE version = 1"), 0);
    assert_int_equal(testdb_exec(&db, "UPDATE schema_migrations SET checksum = 2754619751 "
                                      "WHERE version = 1"), 0);
    assert_int_equal(st->ops->migrate(st, &applied), 0);
    assert_int_equal(testdb_exec(&db, "UPDATE schema_migrations SET checksum = "
                                      "(SELECT checksum FROM was) WHERE version = 1"), 0);
}

static void test_insert_get(void **state)
{
    awc_credit c;
    uint64_t a, b;
    (void)state;
    a = new_credit();
    b = new_credit();
    assert_true(b > a);
    get(a, &c);
    assert_int_equal(c.state, AWC_PENDING_ASSIGN);
    assert_int_equal(c.version, 1);
    assert_true(c.amount == -1234567890123);
    assert_string_equal(c.currency, "USD");
    assert_string_equal(c.first_usage, "2026-10-01");
    assert_int_equal(events_of(a), 1);
    assert_int_equal(st->ops->credit_get(st, &c, 999999999), AWC_ENOTFOUND);
}

static void step_ok(uint64_t seq, awc_event_kind ev, awc_state want)
{
    awc_credit c;
    int64_t v = 0;
    long long before = events_of(seq);

    get(seq, &c);
    assert_int_equal(awc_credit_step(st, &alice, seq, ev, c.version, "test", NULL, &v), 0);
    assert_int_equal(v, c.version + 1);
    get(seq, &c);
    assert_int_equal(c.state, want);
    assert_int_equal(events_of(seq), before + 1);
}

static void test_allowed_transitions(void **state)
{
    uint64_t a = new_credit(), b = new_credit();
    (void)state;
    step_ok(a, AWC_EV_ASSIGN, AWC_ASSIGNED);
    step_ok(a, AWC_EV_EDIT, AWC_ASSIGNED);
    step_ok(a, AWC_EV_UNASSIGN, AWC_PENDING_ASSIGN);
    step_ok(a, AWC_EV_ASSIGN, AWC_ASSIGNED);
    step_ok(a, AWC_EV_COLLECT, AWC_PROCESSING);
    step_ok(a, AWC_EV_REJECT, AWC_ASSIGNED);
    step_ok(a, AWC_EV_COLLECT, AWC_PROCESSING);
    step_ok(a, AWC_EV_CLOSE, AWC_PROCESSED);
    step_ok(b, AWC_EV_FLAG, AWC_PENDING_ASSIGN);
    step_ok(b, AWC_EV_RESTATE, AWC_PENDING_ASSIGN);
    step_ok(b, AWC_EV_ASSIGN, AWC_ASSIGNED);
    step_ok(b, AWC_EV_RESTATE, AWC_ASSIGNED);
}

/* Bring a fresh credit to state s along allowed steps. */
static uint64_t credit_in(awc_state s)
{
    uint64_t seq = new_credit();
    if (s >= AWC_ASSIGNED)
        step_ok(seq, AWC_EV_ASSIGN, AWC_ASSIGNED);
    if (s >= AWC_PROCESSING)
        step_ok(seq, AWC_EV_COLLECT, AWC_PROCESSING);
    if (s >= AWC_PROCESSED)
        step_ok(seq, AWC_EV_CLOSE, AWC_PROCESSED);
    return seq;
}

static void test_refused_pairs_change_nothing(void **state)
{
    int refused = 0;
    (void)state;
    for (int s = AWC_PENDING_ASSIGN; s <= AWC_PROCESSED; s++) {
        uint64_t seq = credit_in((awc_state)s);
        for (int ev = AWC_EV_CREATE; ev < AWC_EV_COUNT; ev++) {
            awc_state to;
            awc_credit before, after;
            long long n;
            int rc;

            if (awc_state_next(&to, (awc_state)s, (awc_event_kind)ev) == 0)
                continue;
            get(seq, &before);
            n = events_of(seq);
            rc = awc_credit_step(st, &alice, seq, (awc_event_kind)ev, 0, NULL, NULL, NULL);
            assert_true(rc == AWC_EINVALID_TRANSITION || rc == AWC_EREADONLY);
            get(seq, &after);
            assert_int_equal(after.state, before.state);
            assert_int_equal(after.version, before.version);
            assert_int_equal(events_of(seq), n);
            refused++;
        }
    }
    assert_true(refused >= 20);
}

static void test_processing_is_read_only(void **state)
{
    (void)state;
    for (int s = AWC_PROCESSING; s <= AWC_PROCESSED; s++) {
        uint64_t seq = credit_in((awc_state)s);
        assert_int_equal(awc_credit_step(st, &alice, seq, AWC_EV_EDIT, 0, NULL, NULL, NULL),
                         AWC_EREADONLY);
        assert_non_null(strstr(awc_error_last(), "read-only"));
        assert_int_equal(awc_credit_step(st, &alice, seq, AWC_EV_UNASSIGN, 0, NULL, NULL, NULL),
                         AWC_EREADONLY);
    }
}

static void test_stale_version_refused(void **state)
{
    uint64_t seq = credit_in(AWC_ASSIGNED);
    awc_credit c;
    (void)state;
    get(seq, &c);
    assert_int_equal(awc_credit_step(st, &alice, seq, AWC_EV_EDIT, c.version, NULL, NULL, NULL), 0);
    assert_int_equal(awc_credit_step(st, &alice, seq, AWC_EV_EDIT, c.version, NULL, NULL, NULL),
                     AWC_ECONFLICT);
    assert_non_null(strstr(awc_error_last(), "version"));
}

/* Two connections edit one credit at the same version, released together. */
typedef struct racer {
    awc_store *store;
    uint64_t seq;
    int64_t version;
    pthread_barrier_t *go;
    int rc;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    awc_transition t = { r->seq, AWC_EV_EDIT, AWC_ASSIGNED, AWC_ASSIGNED, r->version, &alice,
                         "race", NULL };
    pthread_barrier_wait(r->go);
    r->rc = r->store->ops->credit_transition(r->store, &t, NULL);
    return NULL;
}

static void test_concurrent_edit_one_wins(void **state)
{
    awc_store *s2;
    pthread_barrier_t go;
    (void)state;
    assert_int_equal(testdb_store(&db, &s2, 0), 0);
    for (int round = 0; round < 25; round++) {
        uint64_t seq = credit_in(AWC_ASSIGNED);
        awc_credit c;
        pthread_t t1, t2;
        racer r1, r2;

        get(seq, &c);
        pthread_barrier_init(&go, NULL, 2);
        r1 = (racer){ st, seq, c.version, &go, -99 };
        r2 = (racer){ s2, seq, c.version, &go, -99 };
        pthread_create(&t1, NULL, race, &r1);
        pthread_create(&t2, NULL, race, &r2);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        pthread_barrier_destroy(&go);
        assert_true((r1.rc == 0 && r2.rc == AWC_ECONFLICT) ||
                    (r2.rc == 0 && r1.rc == AWC_ECONFLICT));
        get(seq, &c);
        assert_int_equal(c.version, 3);
        assert_int_equal(events_of(seq), 3);
    }
    s2->ops->close(s2);
}

static void test_events_append_only(void **state)
{
    uint64_t seq = new_credit();
    char sql[128];
    (void)state;
    snprintf(sql, sizeof(sql), "UPDATE credit_events SET note = 'x' WHERE seq = %llu",
             (unsigned long long)seq);
    assert_int_equal(testdb_exec(&db, sql), 1644);
    snprintf(sql, sizeof(sql), "DELETE FROM credit_events WHERE seq = %llu",
             (unsigned long long)seq);
    assert_int_equal(testdb_exec(&db, sql), 1644);
    assert_int_equal(events_of(seq), 1);
}

static void test_reconnect_after_kill(void **state)
{
    uint64_t seq = new_credit();
    unsigned long id = awc_store_mariadb_thread_id(st);
    char sql[64];
    awc_credit c;
    (void)state;
    assert_true(id > 0);
    snprintf(sql, sizeof(sql), "KILL CONNECTION %lu", id);
    assert_int_equal(testdb_exec(&db, sql), 0);
    get(seq, &c);
    assert_int_equal(c.seq, seq);
    assert_true(awc_store_mariadb_thread_id(st) != 0 && awc_store_mariadb_thread_id(st) != id);
    step_ok(seq, AWC_EV_ASSIGN, AWC_ASSIGNED);
}

/* Hold the credit's row lock from another connection longer than the lock
 * wait timeout: the first attempt fails with 1205, a retry succeeds. */
typedef struct holder {
    testdb *db;
    uint64_t seq;
    pthread_barrier_t *locked;
} holder;

static void *hold_lock(void *arg)
{
    holder *h = arg;
    MYSQL *c = mysql_init(NULL);
    char sql[128];

    mysql_real_connect(c, NULL, "root", NULL, h->db->name, 0, h->db->socket, 0);
    mysql_query(c, "START TRANSACTION");
    snprintf(sql, sizeof(sql), "SELECT version FROM credits WHERE seq = %llu FOR UPDATE",
             (unsigned long long)h->seq);
    mysql_query(c, sql);
    mysql_free_result(mysql_store_result(c));
    pthread_barrier_wait(h->locked);
    usleep(1500 * 1000);
    mysql_query(c, "ROLLBACK");
    mysql_close(c);
    return NULL;
}

static void test_lock_wait_retried(void **state)
{
    uint64_t seq = credit_in(AWC_ASSIGNED);
    pthread_barrier_t locked;
    pthread_t t;
    awc_store *s2;
    awc_credit c;
    holder h = { &db, seq, &locked };
    (void)state;
    assert_int_equal(testdb_exec(&db, "SET GLOBAL innodb_lock_wait_timeout = 1"), 0);
    assert_int_equal(testdb_store(&db, &s2, 0), 0); /* a session with the short timeout */
    pthread_barrier_init(&locked, NULL, 2);
    pthread_create(&t, NULL, hold_lock, &h);
    pthread_barrier_wait(&locked);
    get(seq, &c);
    assert_int_equal(awc_credit_step(s2, &alice, seq, AWC_EV_EDIT, c.version, NULL, NULL, NULL),
                     0);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&locked);
    testdb_exec(&db, "SET GLOBAL innodb_lock_wait_timeout = 50");
    s2->ops->close(s2);
    get(seq, &c);
    assert_int_equal(c.version, 3);
}

/* A COMMIT whose answer is lost, after the server committed (1) or before
 * (2): the unit ends done exactly once either way.  Found by its marker,
 * it is not run again (which would refuse the edit as made on a stale
 * version); not found, it is run again. */
static void lost_commit(int when)
{
    uint64_t seq = credit_in(AWC_ASSIGNED);
    long long events, markers;
    awc_credit c;

    get(seq, &c);
    events = events_of(seq);
    awc_store_mariadb_lose_commit(st, when);
    assert_int_equal(awc_credit_step(st, &alice, seq, AWC_EV_EDIT, c.version, NULL, NULL, NULL),
                     0);
    assert_int_equal(events_of(seq), events + 1);
    markers = testdb_scalar(&db, "SELECT COUNT(*) FROM commit_markers");
    get(seq, &c); /* reads leave no marker */
    assert_int_equal(c.version, 3);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM commit_markers"), markers);
}

static void test_lost_commit_after(void **state)
{
    (void)state;
    lost_commit(1);
}

static void test_lost_commit_before(void **state)
{
    (void)state;
    lost_commit(2);
}

/* Markers older than a day go, at the first commit of a session that
 * wrote (and every 64th after). */
static void test_old_markers_pruned(void **state)
{
    uint64_t seq = credit_in(AWC_ASSIGNED);
    awc_store *s2;
    awc_credit c;

    (void)state;
    assert_int_equal(testdb_exec(&db, "INSERT INTO commit_markers (token, at) VALUES "
                                      "(UNHEX(MD5('old')), CURRENT_TIMESTAMP(6) - INTERVAL 2 DAY), "
                                      "(UNHEX(MD5('new')), CURRENT_TIMESTAMP(6) - INTERVAL 1 HOUR)"),
                     0);
    assert_int_equal(testdb_store(&db, &s2, 0), 0);
    get(seq, &c);
    assert_int_equal(awc_credit_step(s2, &alice, seq, AWC_EV_EDIT, c.version, NULL, NULL, NULL),
                     0);
    s2->ops->close(s2);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM commit_markers WHERE "
                                        "token = UNHEX(MD5('old'))"), 0);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM commit_markers WHERE "
                                        "token = UNHEX(MD5('new'))"), 1);
}

static void test_scope(void **state)
{
    uint64_t seq = credit_in(AWC_ASSIGNED);
    char sql[320];
    awc_credit c;
    (void)state;
    assert_int_equal(awc_credit_load(st, &bob_r1, seq, &c), AWC_ENOTFOUND);
    assert_int_equal(awc_credit_step(st, &bob_r1, seq, AWC_EV_EDIT, 0, NULL, NULL, NULL),
                     AWC_ENOTFOUND);
    assert_int_equal(testdb_exec(&db, "INSERT IGNORE INTO assignments (reseller_id) "
                                      "VALUES ('R-1')"), 0);
    snprintf(sql, sizeof(sql), "UPDATE credits SET assignment_id = (SELECT id FROM assignments "
             "WHERE reseller_id = 'R-1' AND customer_id = '' AND asset_id = '' AND "
             "owner_account_id = '' AND rule_id = '' AND unmapped = 0) WHERE seq = %llu",
             (unsigned long long)seq);
    assert_int_equal(testdb_exec(&db, sql), 0);
    assert_int_equal(awc_credit_load(st, &bob_r1, seq, &c), 0);
    assert_int_equal(awc_credit_step(st, &bob_r1, seq, AWC_EV_EDIT, 0, NULL, NULL, NULL), 0);
    assert_int_equal(awc_credit_step(st, &bob_r1, seq, AWC_EV_COLLECT, 0, NULL, NULL, NULL),
                     AWC_EPERM);
    assert_int_equal(awc_credit_load(st, &vic, seq, &c), 0);
    assert_int_equal(awc_credit_step(st, &vic, seq, AWC_EV_EDIT, 0, NULL, NULL, NULL), AWC_EPERM);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credit_events WHERE seq = %llu AND "
             "actor_role = 'reseller' AND actor_id = 'bob' AND actor_reseller = 'R-1'",
             (unsigned long long)seq);
    assert_int_equal(testdb_scalar(&db, sql), 1);
}

/* A named lock is a row of `locks` (store_mariadb_lock.c): after a
 * reconnect the holder renews it and the row names the new connection;
 * when another process took it over meanwhile (its lease ran out, or the
 * holder's connection was gone), the holder stops -- every later unit too
 * -- until it lets go of the lock. */
static void test_lock_across_reconnects(void **state)
{
    uint64_t seq = new_credit();
    unsigned long id;
    char sql[256];
    awc_credit c;
    (void)state;
    assert_int_equal(st->ops->lock(st, "test.lock"), 0);
    id = awc_store_mariadb_thread_id(st);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM locks WHERE name = 'test.lock' AND "
             "connection_id = %lu AND expires_at > NOW(6)", id);
    assert_int_equal(testdb_scalar(&db, sql), 1);
    snprintf(sql, sizeof(sql), "KILL CONNECTION %lu", id);
    assert_int_equal(testdb_exec(&db, sql), 0);
    get(seq, &c); /* reconnects and renews the lock */
    assert_int_not_equal(awc_store_mariadb_thread_id(st), id);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM locks WHERE name = 'test.lock' AND "
             "connection_id = %lu", awc_store_mariadb_thread_id(st));
    assert_int_equal(testdb_scalar(&db, sql), 1);
    /* another process takes it over while this one's connection is gone */
    snprintf(sql, sizeof(sql), "KILL CONNECTION %lu", awc_store_mariadb_thread_id(st));
    assert_int_equal(testdb_exec(&db, sql), 0);
    assert_int_equal(testdb_exec(&db, "UPDATE locks SET owner = 'other:1:00000000', "
                                      "connection_id = CONNECTION_ID() WHERE name = 'test.lock'"),
                     0);
    assert_int_equal(st->ops->credit_get(st, &c, seq), AWC_ELOCKED);
    assert_non_null(strstr(awc_error_last(), "took it over"));
    assert_int_equal(st->ops->credit_get(st, &c, seq), AWC_ELOCKED);
    assert_int_equal(st->ops->lock(st, "test.lock"), AWC_ELOCKED);
    assert_int_equal(testdb_exec(&db, "DELETE FROM locks WHERE name = 'test.lock'"), 0);
    assert_int_equal(st->ops->credit_get(st, &c, seq), AWC_ELOCKED); /* still: not let go */
    st->ops->unlock(st, "test.lock");
    get(seq, &c);
    /* taken again, then released: the row goes */
    assert_int_equal(st->ops->lock(st, "test.lock"), 0);
    st->ops->unlock(st, "test.lock");
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM locks WHERE name = 'test.lock'"), 0);
}

/* A lock whose lease ran out is taken over; one whose holder's connection
 * is gone from this server is taken at once; a live holder's is refused
 * with AWC_ELOCKED and a message naming it. */
static void test_lock_lease(void **state)
{
    (void)state;
    assert_int_equal(testdb_exec(&db, "INSERT INTO locks VALUES ('test.lease', 'elsewhere:7:ab', "
                                      "'another-node:3306:', 'root', 5, NOW(6), NOW(6), "
                                      "NOW(6) + INTERVAL 60 SECOND)"), 0);
    assert_int_equal(st->ops->lock(st, "test.lease"), AWC_ELOCKED);
    assert_non_null(strstr(awc_error_last(), "held by elsewhere:7:ab (database connection 5 on "
                                            "another-node:3306:"));
    assert_int_equal(testdb_exec(&db, "UPDATE locks SET expires_at = NOW(6) - INTERVAL 1 SECOND "
                                      "WHERE name = 'test.lease'"), 0);
    assert_int_equal(st->ops->lock(st, "test.lease"), 0);
    st->ops->unlock(st, "test.lease");
    /* a holder on this server whose connection is gone (no such id) */
    assert_int_equal(testdb_exec(&db, "INSERT INTO locks SELECT 'test.lease', 'dead:8:cd', "
                                      "CONCAT(@@hostname, ':', @@port, ':', @@socket), "
                                      "SUBSTRING_INDEX(USER(), '@', 1), 4000000000, NOW(6), "
                                      "NOW(6), NOW(6) + INTERVAL 60 SECOND"), 0);
    assert_int_equal(st->ops->lock(st, "test.lease"), 0);
    st->ops->unlock(st, "test.lease");
}

/* A connection opened by another() (an assign lane) renews the leases of
 * its parent's locks in its units, and the row keeps naming the parent's
 * connection. */
static void test_lock_renewed_by_lane(void **state)
{
    uint64_t seq = new_credit();
    awc_store *lane = NULL;
    char sql[256];
    awc_credit c;
    (void)state;
    assert_int_equal(st->ops->lock(st, "test.beat"), 0);
    assert_int_equal(st->ops->another(st, &lane), 0);
    assert_int_equal(testdb_exec(&db, "UPDATE locks SET heartbeat_at = NOW(6) - INTERVAL 100 "
                                      "SECOND, expires_at = NOW(6) + INTERVAL 1 SECOND "
                                      "WHERE name = 'test.beat'"), 0);
    assert_int_equal(lane->ops->credit_get(lane, &c, seq), 0);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM locks WHERE name = 'test.beat' AND "
             "heartbeat_at > NOW(6) - INTERVAL 10 SECOND AND expires_at > NOW(6) + INTERVAL 30 "
             "SECOND AND connection_id = %lu", awc_store_mariadb_thread_id(st));
    assert_int_equal(testdb_scalar(&db, sql), 1);
    lane->ops->close(lane);
    st->ops->unlock(st, "test.beat");
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM locks WHERE name = 'test.beat'"), 0);
}

/* One assignment of a pending credit to a new value (customer cust). */
static int assign_to(uint64_t seq, int64_t version, const char *cust)
{
    awc_split_line line;
    awc_assignment a;

    memset(&line, 0, sizeof(line));
    line.line_no = 1;
    line.kind = AWC_SPLIT_CUSTOMER;
    line.bp = 10000;
    line.amount_minor = -12346;
    snprintf(line.customer_id, sizeof(line.customer_id), "%s", cust);
    memset(&a, 0, sizeof(a));
    a.seq = seq;
    a.expect_version = version;
    a.from = AWC_PENDING_ASSIGN;
    a.to = AWC_ASSIGNED;
    a.kind = AWC_EV_ASSIGN;
    a.customer_id = cust;
    a.asset_id = "AS-9";
    a.reseller_id = "R-9";
    a.rule_id = "R-NEW";
    a.lines = &line;
    a.nlines = 1;
    a.note = "rule R-NEW";
    return st->ops->assign_apply(st, &a, 1, &alice, NULL);
}

/* A value added in a unit of work that rolled back is gone: the store must
 * not hand out its id afterwards (its cache forgets on rollback). */
static void test_assignment_value_after_rollback(void **state)
{
    uint64_t seq = new_credit();
    char sql[256];
    awc_credit c;
    (void)state;
    assert_int_equal(assign_to(seq, 7, "C-ROLLED-BACK"), AWC_ECONFLICT);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM assignments "
                                        "WHERE customer_id = 'C-ROLLED-BACK'"), 0);
    assert_int_equal(assign_to(seq, 1, "C-ROLLED-BACK"), 0);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credits c JOIN assignments a ON "
             "a.id = c.assignment_id WHERE c.seq = %llu AND a.customer_id = 'C-ROLLED-BACK'",
             (unsigned long long)seq);
    assert_int_equal(testdb_scalar(&db, sql), 1);
    get(seq, &c);
    assert_string_equal(c.customer_id, "C-ROLLED-BACK");
    assert_string_equal(c.rule_id, "R-NEW");
    assert_int_equal(c.state, AWC_ASSIGNED);
    /* the event records the assignment it set */
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credit_events e JOIN credits c ON "
             "c.seq = e.seq AND c.assignment_id = e.assignment_id WHERE e.seq = %llu "
             "AND e.kind = 'assign'", (unsigned long long)seq);
    assert_int_equal(testdb_scalar(&db, sql), 1);
}

typedef struct snap {
    uint64_t seq0, seq;
    char owner[16];
    int unmapped, pending;
} snap;

static int on_snap_pending(void *arg, const awc_pending *p)
{
    snap *x = arg;
    x->pending++;
    x->seq = p->seq;
    snprintf(x->owner, sizeof(x->owner), "%s", p->owner_account_id);
    x->unmapped = p->flag;
    return 0;
}

/* Inside one unit of work whose snapshot predates values another session
 * adds: a credit read under lock that points at such a value, and a value
 * this unit wants that another session added meanwhile, are both found. */
static int in_old_snapshot(awc_store *s, void *arg)
{
    const awc_pending_range nov = { "2026-11", 0, 0, 0, 1 };
    snap *x = arg;
    awc_credit c;
    char sql[512];

    if (s->ops->credit_get(s, &c, x->seq0) != 0) /* the snapshot starts here */
        return -1;
    if (testdb_exec(&db, "INSERT INTO assignments (owner_account_id, unmapped) "
                         "VALUES ('999988887777', 1)") != 0)
        return -1;
    snprintf(sql, sizeof(sql), "INSERT INTO credits (seq, period, payer_account_id, "
             "usage_account_id, credit_key, product_code, currency, amount, assignment_id) "
             "SELECT %llu + 1000, '2026-11', '111122223333', '444455556666', 'snap', "
             "'AmazonEC2', 'USD', -1, id FROM assignments WHERE owner_account_id = "
             "'999988887777' AND unmapped = 1", (unsigned long long)x->seq0);
    if (testdb_exec(&db, sql) != 0 ||
        s->ops->credits_pending(s, &nov, on_snap_pending, x) != 0)
        return -1;
    if (testdb_exec(&db, "INSERT INTO assignments (customer_id, asset_id, reseller_id, rule_id) "
                         "VALUES ('C-SNAP', 'AS-9', 'R-9', 'R-NEW')") != 0)
        return -1;
    return assign_to(x->seq, 1, "C-SNAP");
}

static void test_assignment_values_newer_than_snapshot(void **state)
{
    snap x = { new_credit(), 0, "", 0, 0 };
    char sql[256];
    (void)state;
    assert_int_equal(st->ops->tx(st, in_old_snapshot, &x), 0);
    assert_int_equal(x.pending, 1);
    assert_string_equal(x.owner, "999988887777");
    assert_int_equal(x.unmapped, 1);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM assignments "
                                        "WHERE customer_id = 'C-SNAP'"), 1);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credit_view WHERE seq = %llu AND "
             "customer_id = 'C-SNAP' AND status = 'ASSIGNED'", (unsigned long long)x.seq);
    assert_int_equal(testdb_scalar(&db, sql), 1);
}

#define MANY 900 /* a third new values: the cache grows past its first table */

typedef struct many {
    uint64_t first;
    awc_assignment a[MANY];
    char name[MANY][24];
    awc_split_line line;
} many;

/* A bulk assignment reads every value first; a value another session added
 * after that (and after the snapshot) is still found, not duplicated. */
static int bulk_after_other_session(awc_store *s, void *arg)
{
    many *x = arg;
    awc_credit c;

    if (s->ops->credit_get(s, &c, x->first) != 0 ||
        testdb_exec(&db, "INSERT INTO assignments (customer_id, asset_id, reseller_id, rule_id) "
                         "VALUES ('C-LATE', 'AS-9', 'R-9', 'R-NEW')") != 0)
        return -1;
    return s->ops->assign_apply(s, x->a, MANY, &alice, NULL);
}

static void test_bulk_assignment_values(void **state)
{
    many *x = calloc(1, sizeof(*x));
    char sql[512];
    (void)state;
    assert_non_null(x);
    x->first = new_credit() + 2000;
    snprintf(sql, sizeof(sql), "INSERT INTO credits (seq, period, payer_account_id, "
             "usage_account_id, credit_key, product_code, currency, amount) "
             "SELECT %llu + seq, '2026-12', '111122223333', '444455556666', CONCAT('many ', seq), "
             "'AmazonEC2', 'USD', -1 FROM seq_0_to_%d", (unsigned long long)x->first, MANY - 1);
    assert_int_equal(testdb_exec(&db, sql), 0);
    x->line.line_no = 1;
    x->line.kind = AWC_SPLIT_CUSTOMER;
    x->line.bp = 10000;
    x->line.amount_minor = -100;
    for (int i = 0; i < MANY; i++) {
        awc_assignment *a = &x->a[i];
        a->seq = x->first + (uint64_t)i;
        a->expect_version = 1;
        a->from = AWC_PENDING_ASSIGN;
        a->to = AWC_ASSIGNED;
        a->kind = AWC_EV_ASSIGN;
        /* a third each: a value that exists, one added meanwhile, new ones */
        snprintf(x->name[i], sizeof(x->name[i]), "C-NEW-%d", i);
        a->customer_id = i % 3 == 0 ? "C-ROLLED-BACK" : i % 3 == 1 ? "C-LATE" : x->name[i];
        a->asset_id = "AS-9";
        a->reseller_id = "R-9";
        a->rule_id = "R-NEW";
        a->lines = &x->line;
        a->nlines = 1;
    }
    assert_int_equal(st->ops->tx(st, bulk_after_other_session, x), 0);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM assignments WHERE customer_id IN "
                                        "('C-ROLLED-BACK', 'C-LATE') OR customer_id LIKE "
                                        "'C-NEW-%'"), 2 + MANY / 3);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credit_view WHERE seq >= %llu AND "
             "status = 'ASSIGNED' AND customer_id = ELT(1 + (seq - %llu) %% 3, 'C-ROLLED-BACK', "
             "'C-LATE', CONCAT('C-NEW-', seq - %llu))", (unsigned long long)x->first,
             (unsigned long long)x->first, (unsigned long long)x->first);
    assert_int_equal(testdb_scalar(&db, sql), MANY);
    /* the same values again, now all known: read from the cache */
    snprintf(sql, sizeof(sql), "DELETE FROM credit_splits WHERE seq >= %llu",
             (unsigned long long)x->first);
    assert_int_equal(testdb_exec(&db, sql), 0);
    snprintf(sql, sizeof(sql), "UPDATE credits SET status = 'PENDING_ASSIGN', version = 1 "
             "WHERE seq >= %llu", (unsigned long long)x->first);
    assert_int_equal(testdb_exec(&db, sql), 0);
    assert_int_equal(st->ops->assign_apply(st, x->a, MANY, &alice, NULL), 0);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM assignments WHERE customer_id LIKE "
                                        "'C-NEW-%'"), MANY / 3);
    free(x);
}

/* Assignment values are shared by many credits and never change. */
static void test_assignments_append_only(void **state)
{
    (void)state;
    assert_int_not_equal(testdb_exec(&db, "UPDATE assignments SET customer_id = 'X' "
                                          "WHERE id = 1"), 0);
    assert_int_not_equal(testdb_exec(&db, "DELETE FROM assignments WHERE id = 1"), 0);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM assignments WHERE id = 1 AND "
                                        "customer_id = '' AND rule_id = '' AND unmapped = 0"), 1);
}

/* ---- reading pending credits by range, and other connections ---------------------- */

typedef struct seqs {
    uint64_t got[8];
    size_t n;
} seqs;

static int on_seq(void *arg, const awc_pending *p)
{
    seqs *x = arg;
    if (x->n < 8)
        x->got[x->n++] = p->seq;
    return 0;
}

typedef struct locked_read {
    uint64_t s[5];
    seqs x;
    int other_waited;
} locked_read;

/* Inside a unit: a locked read of s[3] and s[4] keeps another session off
 * them (NOWAIT fails) but not off s[0]. */
static int read_locked(awc_store *s, void *arg)
{
    locked_read *l = arg;
    awc_pending_range q = { "2026-06", l->s[2], l->s[4], 0, 1 };
    char sql[160];

    l->x.n = 0;
    if (s->ops->credits_pending(s, &q, on_seq, &l->x) != 0)
        return -1;
    snprintf(sql, sizeof(sql), "SELECT seq FROM credits WHERE seq = %llu FOR UPDATE NOWAIT",
             (unsigned long long)l->s[4]);
    l->other_waited = testdb_exec(&db, sql) != 0;
    snprintf(sql, sizeof(sql), "SELECT seq FROM credits WHERE seq = %llu FOR UPDATE NOWAIT",
             (unsigned long long)l->s[0]);
    return testdb_exec(&db, sql) != 0 ? -1 : 0;
}

static void test_pending_ranges(void **state)
{
    locked_read l;
    uint64_t first = 1, last = 1;
    awc_store *other = NULL;
    char sql[200];
    seqs x;

    (void)state;
    memset(&l, 0, sizeof(l));
    for (int i = 0; i < 5; i++)
        l.s[i] = new_credit();
    snprintf(sql, sizeof(sql), "UPDATE credits SET period = '2026-06' WHERE seq BETWEEN %llu "
             "AND %llu", (unsigned long long)l.s[0], (unsigned long long)l.s[4]);
    assert_int_equal(testdb_exec(&db, sql), 0);
    snprintf(sql, sizeof(sql), "UPDATE credits SET status = 'ASSIGNED' WHERE seq = %llu",
             (unsigned long long)l.s[2]);
    assert_int_equal(testdb_exec(&db, sql), 0);

    /* the period's ends, any state; none for a period without credits */
    assert_int_equal(st->ops->credits_span(st, "2026-06", &first, &last), 0);
    assert_int_equal(first, l.s[0]);
    assert_int_equal(last, l.s[4]);
    assert_int_equal(st->ops->credits_span(st, "1999-01", &first, &last), 0);
    assert_int_equal(first, 0);
    assert_int_equal(last, 0);

    /* a limit, then a range that skips the credit no longer pending */
    awc_pending_range q1 = { "2026-06", l.s[0] - 1, 0, 2, 0 };
    x.n = 0;
    assert_int_equal(st->ops->credits_pending(st, &q1, on_seq, &x), 0);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.got[0], l.s[0]);
    assert_int_equal(x.got[1], l.s[1]);
    awc_pending_range q2 = { "2026-06", l.s[1], l.s[3], 0, 0 };
    x.n = 0;
    assert_int_equal(st->ops->credits_pending(st, &q2, on_seq, &x), 0);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.got[0], l.s[3]);

    /* another connection to the same database reads the same */
    assert_int_equal(st->ops->another(st, &other), 0);
    assert_true(awc_store_mariadb_thread_id(other) != awc_store_mariadb_thread_id(st));
    x.n = 0;
    assert_int_equal(other->ops->credits_pending(other, &q2, on_seq, &x), 0);
    assert_int_equal(x.n, 1);
    other->ops->close(other);

    /* locked: the rows read stay locked until the unit ends, no others */
    assert_int_equal(st->ops->tx(st, read_locked, &l), 0);
    assert_int_equal(l.x.n, 2);
    assert_int_equal(l.x.got[0], l.s[3]);
    assert_int_equal(l.x.got[1], l.s[4]);
    assert_true(l.other_waited);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_once),
        cmocka_unit_test(test_changed_migration_refused),
        cmocka_unit_test(test_insert_get),
        cmocka_unit_test(test_allowed_transitions),
        cmocka_unit_test(test_refused_pairs_change_nothing),
        cmocka_unit_test(test_processing_is_read_only),
        cmocka_unit_test(test_stale_version_refused),
        cmocka_unit_test(test_concurrent_edit_one_wins),
        cmocka_unit_test(test_events_append_only),
        cmocka_unit_test(test_reconnect_after_kill),
        cmocka_unit_test(test_lock_wait_retried),
        cmocka_unit_test(test_lost_commit_after),
        cmocka_unit_test(test_lost_commit_before),
        cmocka_unit_test(test_old_markers_pruned),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_lock_across_reconnects),
        cmocka_unit_test(test_lock_lease),
        cmocka_unit_test(test_lock_renewed_by_lane),
        cmocka_unit_test(test_assignment_value_after_rollback),
        cmocka_unit_test(test_assignments_append_only),
        cmocka_unit_test(test_assignment_values_newer_than_snapshot),
        cmocka_unit_test(test_bulk_assignment_values),
        cmocka_unit_test(test_pending_ranges),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
