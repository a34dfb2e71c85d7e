/*
 * test_store_stage.c -- assignment through a stage (a chunk's events and
 * split lines bound ahead, store.h assign_stage) on a real MariaDB.
 *
 * A staged chunk writes exactly the rows the batches alone write (strings
 * with tabs, newlines, backslashes and UTF-8 included); a chunk whose
 * strings do not fit its stage, and a stage made of other assignments,
 * are applied without it; a staged chunk replaces earlier lines; a staged
 * chunk refused on a stale version writes nothing and goes in once staged
 * again; a unit retried after a lock wait sends the stage's rows again.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "awc.h"
#include "store.h"
#include "testdb.h"

#define N 300

static testdb db;
static awc_store *st;

static const awc_actor bob_r1 = { sizeof(awc_actor), AWC_ROLE_RESELLER, "bob\tthe\\admin",
                                  "R-1", "distributor:op\\\n" };

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "stage") != 0 || testdb_store(&db, &st, 1) != 0) {
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
    testdb_exec(&db, "SET GLOBAL innodb_lock_wait_timeout = 50"); /* if a test stopped early */
    testdb_drop(&db);
    return 0;
}

/* N assignments of the credits first..first+N-1 (pending, version 1), with
 * awkward strings in every text column. */
typedef struct chunk {
    uint64_t first;
    awc_assignment a[N];
    awc_split_line lines[N][3];
    char note[N][64], detail[N][64];
    char *big;                     /* a detail of 8 KB, for a stage it overflows */
} chunk;

static void fill(chunk *c, uint64_t first)
{
    char sql[512];

    char *big = c->big;

    memset(c, 0, sizeof(*c));
    c->big = big;
    c->first = first;
    snprintf(sql, sizeof(sql), "INSERT INTO credits (seq, period, payer_account_id, "
             "usage_account_id, credit_key, product_code, currency, amount) "
             "SELECT %llu + seq, '2026-10', '111122223333', '444455556666', "
             "CONCAT('load ', %llu + seq), 'AmazonEC2', 'USD', -1 FROM seq_0_to_%d",
             (unsigned long long)first, (unsigned long long)first, N - 1);
    assert_int_equal(testdb_exec(&db, sql), 0);
    for (int i = 0; i < N; i++) {
        awc_assignment *a = &c->a[i];
        awc_split_line *l = c->lines[i];
        size_t nl = 1 + (size_t)(i % 3);

        a->seq = first + (uint64_t)i;
        a->expect_version = 1;
        a->from = AWC_PENDING_ASSIGN;
        a->to = i % 7 == 0 ? AWC_PENDING_ASSIGN : AWC_ASSIGNED;
        a->kind = i % 7 == 0 ? AWC_EV_FLAG : AWC_EV_ASSIGN;
        a->flag = i % 7 == 0;
        a->customer_id = i % 7 == 0 ? NULL : i % 2 ? "C-\xc3\xa9t\xc3\xa9" : "C-2\\N";
        a->asset_id = i % 7 == 0 ? NULL : "AS-1";
        a->reseller_id = i % 7 == 0 ? NULL : "R-1";
        a->rule_id = i % 7 == 0 ? NULL : "R\tMAP";
        snprintf(c->note[i], sizeof(c->note[i]), "note %d\nsecond line\\", i);
        a->note = i % 5 == 0 ? "" : c->note[i];
        snprintf(c->detail[i], sizeof(c->detail[i]), "[{\"line\":\"%d\\t\"}]", i);
        a->detail = i % 7 == 0 ? NULL : c->detail[i];
        if (i % 7 == 0)
            continue;
        for (size_t k = 0; k < nl; k++) {
            l[k].line_no = (int)k + 1;
            l[k].kind = k == nl - 1 && nl > 1 ? AWC_SPLIT_RETAINED
                        : k == 1             ? AWC_SPLIT_PARTY
                                             : AWC_SPLIT_CUSTOMER;
            snprintf(l[k].party_id, sizeof(l[k].party_id), "%s", k == 1 ? "P\t1" : "");
            snprintf(l[k].target_name, sizeof(l[k].target_name), "%s",
                     k == 0 ? "Name\twith\ttabs\nand\\slash" : "");
            l[k].bp = k == nl - 1 && nl > 1 ? -1 : 5000;
            l[k].amount_minor = k == 0 ? INT64_MIN + 1 : -(int64_t)k;
            snprintf(l[k].customer_id, sizeof(l[k].customer_id), "%s",
                     l[k].kind == AWC_SPLIT_RETAINED ? "" : "C-\xc3\xa9t\xc3\xa9");
        }
        a->lines = l;
        a->nlines = nl;
    }
}

/* Everything a chunk wrote, relative to its first seq, as one string. */
#define SPLITS_OF_CHUNK                                                                      \
    "SELECT seq - %llu, line_no, target, IFNULL(party_id, '<null>'), target_name, "        \
    "IFNULL(percent_bp, -1), amount_minor, IFNULL(customer_id, '<null>'), "                \
    "IFNULL(asset_id, '<null>'), IFNULL(reseller_id, '<null>') FROM credit_splits "        \
    "WHERE seq >= %llu AND seq < %llu + 300 ORDER BY seq, line_no"
#define EVENTS_OF_CHUNK                                                                      \
    "SELECT e.seq - %llu, kind, from_state, to_state, from_version, to_version, "           \
    "a.customer_id, a.rule_id, a.unmapped, actor_role, actor_id, "                         \
    "IFNULL(actor_reseller, '<null>'), IFNULL(actor_via, '<null>'), IFNULL(note, '<null>'), " \
    "IFNULL(detail, '<null>') "                                                             \
    "FROM credit_events e JOIN assignments a ON a.id = e.assignment_id "                   \
    "WHERE e.seq >= %llu AND e.seq < %llu + 300 AND kind <> 'create' ORDER BY e.seq, e.id"
#define CREDITS_OF_CHUNK                                                                     \
    "SELECT c.seq - %llu, status, version, customer_id, rule_id, unmapped FROM credit_view c " \
    "WHERE c.seq >= %llu AND c.seq < %llu + 300 ORDER BY c.seq"

static size_t rows_of(const char *sql, char *out, size_t cap)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    size_t at = 0;

    assert_int_equal(mysql_query(db.admin, sql), 0);
    res = mysql_store_result(db.admin);
    assert_non_null(res);
    while ((row = mysql_fetch_row(res))) {
        for (unsigned f = 0; f < mysql_num_fields(res); f++) {
            int w = snprintf(out + at, cap - at, "%s%c", row[f] ? row[f] : "<NULL>",
                             f + 1 < mysql_num_fields(res) ? '|' : '\n');
            assert_true(w > 0 && (size_t)w < cap - at);
            at += (size_t)w;
        }
    }
    mysql_free_result(res);
    return at;
}

static void written(uint64_t first, char *out, size_t cap)
{
    unsigned long long f = first;
    char sql[1024];
    size_t at = 0;

    out[0] = '\0';
    snprintf(sql, sizeof(sql), SPLITS_OF_CHUNK, f, f, f);
    at += rows_of(sql, out + at, cap - at);
    snprintf(sql, sizeof(sql), EVENTS_OF_CHUNK, f, f, f);
    at += rows_of(sql, out + at, cap - at);
    snprintf(sql, sizeof(sql), CREDITS_OF_CHUNK, f, f, f);
    rows_of(sql, out + at, cap - at);
}

#define OUT_CAP (1u << 20)

/* Apply c through a stage (staged != 0) or the batches alone. */
static int apply(chunk *c, int staged)
{
    awc_stage *g = NULL;
    int rc;

    if (staged) {
        g = st->ops->stage_new(st);
        assert_non_null(g);
        st->ops->assign_stage(st, g, c->a, N, &bob_r1);
    }
    rc = st->ops->assign_apply(st, c->a, N, &bob_r1, g);
    if (g)
        st->ops->stage_free(st, g);
    return rc;
}

/* The same chunk through the stage, through the batches, with strings
 * too long for its stage, and with a stage of other assignments: the same
 * rows each time. */
static void test_staged_equals_batches(void **state)
{
    chunk *c = calloc(1, sizeof(*c));
    char *want = malloc(OUT_CAP), *got = malloc(OUT_CAP);
    awc_stage *g;

    (void)state;
    assert_non_null(c);
    assert_non_null(want);
    assert_non_null(got);

    fill(c, 10000);
    assert_int_equal(apply(c, 0), 0);
    written(10000, want, OUT_CAP);
    assert_non_null(strstr(want, "Name\twith\ttabs\nand\\slash"));
    assert_non_null(strstr(want, "C-2\\N"));

    fill(c, 20000);
    assert_int_equal(apply(c, 1), 0);
    written(20000, got, OUT_CAP);
    assert_string_equal(got, want);

    /* 300 details of 8 KB: more than a stage holds, so the batches write them */
    c->big = malloc(8192);
    assert_non_null(c->big);
    memset(c->big, 'x', 8191);
    c->big[8191] = '\0';
    fill(c, 30000);
    for (int i = 0; i < N; i++)
        if (c->a[i].detail)
            c->a[i].detail = c->big;
    assert_int_equal(apply(c, 1), 0);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_events WHERE seq >= 30000 "
                                        "AND seq < 30300 AND LENGTH(detail) = 8191"),
                     N - (N + 6) / 7);
    free(c->big);
    c->big = NULL;

    /* a stage made of other assignments (the same number, other credits)
     * is not used */
    {
        chunk *other = calloc(1, sizeof(*other));
        assert_non_null(other);
        fill(other, 46000);
        fill(c, 47000);
        g = st->ops->stage_new(st);
        assert_non_null(g);
        st->ops->assign_stage(st, g, other->a, N, &bob_r1);
        assert_int_equal(st->ops->assign_apply(st, c->a, N, &bob_r1, g), 0);
        st->ops->stage_free(st, g);
        written(47000, got, OUT_CAP);
        assert_string_equal(got, want);
        free(other);
    }

    /* a stage made of other assignments (fewer of them) is not used */
    fill(c, 40000);
    g = st->ops->stage_new(st);
    assert_non_null(g);
    st->ops->assign_stage(st, g, c->a, N - 1, &bob_r1);
    assert_int_equal(st->ops->assign_apply(st, c->a, N, &bob_r1, g), 0);
    st->ops->stage_free(st, g);
    written(40000, got, OUT_CAP);
    assert_string_equal(got, want);

    free(c);
    free(want);
    free(got);
}

/* A staged chunk that replaces earlier lines (an edit, from ASSIGNED). */
static void test_staged_replaces_lines(void **state)
{
    chunk *c = calloc(1, sizeof(*c));
    char sql[256];

    (void)state;
    assert_non_null(c);
    fill(c, 50000);
    assert_int_equal(apply(c, 1), 0);
    for (int i = 0; i < N; i++) {
        c->a[i].expect_version = 2;
        c->a[i].from = c->a[i].to;
        c->a[i].kind = c->a[i].to == AWC_ASSIGNED ? AWC_EV_EDIT : AWC_EV_FLAG;
    }
    assert_int_equal(apply(c, 1), 0);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credit_splits WHERE seq >= 50000 AND "
             "seq < 50000 + %d", N);
    /* 1, 2 or 3 lines each (i % 3), none for the flagged ones (i % 7 == 0) */
    long long want = 0;
    for (int i = 0; i < N; i++)
        want += i % 7 == 0 ? 0 : 1 + i % 3;
    assert_int_equal(testdb_scalar(&db, sql), want);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM credits WHERE seq >= 50000 AND "
             "seq < 50000 + %d AND version = 3", N);
    assert_int_equal(testdb_scalar(&db, sql), N);
    free(c);
}

/* What goes in is the stage's rows (made ahead), not a[] read again: a
 * note changed after staging keeps its staged text. */
static void test_stage_is_what_is_sent(void **state)
{
    chunk *c = calloc(1, sizeof(*c));
    awc_stage *g;

    (void)state;
    assert_non_null(c);
    fill(c, 70000);
    g = st->ops->stage_new(st);
    assert_non_null(g);
    st->ops->assign_stage(st, g, c->a, N, &bob_r1);
    c->a[1].note = "changed after staging";
    assert_int_equal(st->ops->assign_apply(st, c->a, N, &bob_r1, g), 0);
    st->ops->stage_free(st, g);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_events WHERE seq = 70001 "
                                        "AND note LIKE 'note 1\nsecond line%'"), 1);
    free(c);
}

/* A staged chunk with one credit at another version: refused, nothing
 * written; staged again with the right version, it goes in whole. */
static void test_staged_conflict(void **state)
{
    chunk *c = calloc(1, sizeof(*c));

    (void)state;
    assert_non_null(c);
    fill(c, 60000);
    c->a[N - 1].expect_version = 5;
    assert_int_equal(apply(c, 1), AWC_ECONFLICT);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_splits WHERE seq >= 60000 "
                                        "AND seq < 60300"), 0);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_events WHERE seq >= 60000 "
                                        "AND seq < 60300"), 0);
    c->a[N - 1].expect_version = 1;
    assert_int_equal(apply(c, 1), 0);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_events WHERE seq >= 60000 "
                                        "AND seq < 60300"), N);
    free(c);
}

/* Holds a gap lock over the split lines of seqs [first, first + N) for
 * 1.5 s: an insert there waits, and with a 1 s lock wait it fails. */
typedef struct holder {
    uint64_t first;
    pthread_barrier_t *locked;
} holder;

static void *hold_gap(void *arg)
{
    holder *h = arg;
    MYSQL *c = mysql_init(NULL);
    char sql[160];

    mysql_real_connect(c, NULL, "root", NULL, db.name, 0, db.socket, 0);
    mysql_query(c, "START TRANSACTION");
    snprintf(sql, sizeof(sql), "SELECT seq FROM credit_splits WHERE seq >= %llu AND "
             "seq < %llu FOR UPDATE", (unsigned long long)h->first,
             (unsigned long long)h->first + N);
    mysql_query(c, sql);
    mysql_free_result(mysql_store_result(c));
    pthread_barrier_wait(h->locked);
    usleep(1500 * 1000);
    mysql_query(c, "ROLLBACK");
    mysql_close(c);
    return NULL;
}

/* The split lines wait for a lock until the attempt fails after its
 * events went in; the unit is rolled back and run again with the same
 * stage, which still holds every row: each credit ends with one event and
 * its lines, none lost, none twice. */
static void test_staged_retry(void **state)
{
    chunk *c = calloc(1, sizeof(*c));
    pthread_barrier_t locked;
    holder h = { 80000, &locked };
    awc_store *s2;
    awc_stage *g;
    pthread_t t;
    struct timespec t0, t1;
    long long lines = 0;

    (void)state;
    assert_non_null(c);
    fill(c, 80000);
    for (int i = 0; i < N; i++)
        lines += (long long)c->a[i].nlines;
    assert_int_equal(testdb_exec(&db, "SET GLOBAL innodb_lock_wait_timeout = 1"), 0);
    assert_int_equal(testdb_store(&db, &s2, 0), 0); /* sessions with the short wait */
    g = s2->ops->stage_new(s2);
    assert_non_null(g);
    s2->ops->assign_stage(s2, g, c->a, N, &bob_r1);
    pthread_barrier_init(&locked, NULL, 2);
    pthread_create(&t, NULL, hold_gap, &h);
    pthread_barrier_wait(&locked);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(s2->ops->assign_apply(s2, c->a, N, &bob_r1, g), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(testdb_exec(&db, "SET GLOBAL innodb_lock_wait_timeout = 50"), 0);
    /* it waited out the lock: the rows went in on a later attempt */
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 900);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&locked);
    s2->ops->stage_free(s2, g);
    s2->ops->close(s2);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_events WHERE seq >= 80000 "
                                        "AND seq < 80300"), N);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(DISTINCT seq) FROM credit_events WHERE "
                                        "seq >= 80000 AND seq < 80300"), N);
    assert_int_equal(testdb_scalar(&db, "SELECT COUNT(*) FROM credit_splits WHERE seq >= 80000 "
                                        "AND seq < 80300"), lines);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_staged_equals_batches),
        cmocka_unit_test(test_staged_replaces_lines),
        cmocka_unit_test(test_stage_is_what_is_sent),
        cmocka_unit_test(test_staged_conflict),
        cmocka_unit_test(test_staged_retry),
    };
    return cmocka_run_group_tests_name("store_stage", tests, setup, teardown);
}
