/* test_state.c -- the transition table, and single steps over a fake store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "awc.h"
#include "credit.h"
#include "fake_store.h"
#include "state.h"

/* The whole table of SPEC section 6, written out independently of state.c:
 * want[from][event] = the state reached, or 0 when refused. */
static const int want[AWC_STATE_COUNT][AWC_EV_COUNT] = {
    [AWC_STATE_NONE] = { [AWC_EV_CREATE] = AWC_PENDING_ASSIGN },
    [AWC_PENDING_ASSIGN] = { [AWC_EV_ASSIGN] = AWC_ASSIGNED,
                             [AWC_EV_RESTATE] = AWC_PENDING_ASSIGN,
                             [AWC_EV_FLAG] = AWC_PENDING_ASSIGN,
                             [AWC_EV_NOTE] = AWC_PENDING_ASSIGN,
                             [AWC_EV_EXCLUDE] = AWC_PENDING_ASSIGN,
                             [AWC_EV_INCLUDE] = AWC_PENDING_ASSIGN },
    [AWC_ASSIGNED] = { [AWC_EV_EDIT] = AWC_ASSIGNED, [AWC_EV_UNASSIGN] = AWC_PENDING_ASSIGN,
                       [AWC_EV_COLLECT] = AWC_PROCESSING, [AWC_EV_RESTATE] = AWC_ASSIGNED,
                       [AWC_EV_FLAG] = AWC_ASSIGNED, [AWC_EV_NOTE] = AWC_ASSIGNED,
                       [AWC_EV_EXCLUDE] = AWC_PENDING_ASSIGN },
    [AWC_PROCESSING] = { [AWC_EV_CLOSE] = AWC_PROCESSED, [AWC_EV_REJECT] = AWC_ASSIGNED },
};

static void test_every_pair(void **state)
{
    int allowed = 0, refused = 0;
    (void)state;
    for (int s = 0; s < AWC_STATE_COUNT; s++) {
        for (int e = 1; e < AWC_EV_COUNT; e++) {
            awc_state to = AWC_STATE_NONE;
            int rc = awc_state_next(&to, (awc_state)s, (awc_event_kind)e);
            if (want[s][e]) {
                assert_int_equal(rc, 0);
                assert_int_equal(to, want[s][e]);
                allowed++;
            } else {
                assert_true(rc == AWC_EINVALID_TRANSITION || rc == AWC_EREADONLY);
                assert_int_equal(to, AWC_STATE_NONE); /* untouched */
                assert_true(strlen(awc_error_last()) > 0);
                refused++;
            }
        }
    }
    assert_int_equal(allowed, 16);
    assert_int_equal(refused, AWC_STATE_COUNT * (AWC_EV_COUNT - 1) - 16);
}

static void test_read_only_states(void **state)
{
    awc_state to;
    (void)state;
    for (int s = AWC_PROCESSING; s <= AWC_PROCESSED; s++) {
        assert_int_equal(awc_state_next(&to, (awc_state)s, AWC_EV_EDIT), AWC_EREADONLY);
        assert_int_equal(awc_state_next(&to, (awc_state)s, AWC_EV_UNASSIGN), AWC_EREADONLY);
        assert_int_equal(awc_state_next(&to, (awc_state)s, AWC_EV_RESTATE), AWC_EREADONLY);
        assert_false(awc_state_editable((awc_state)s));
    }
    assert_true(awc_state_editable(AWC_PENDING_ASSIGN));
    assert_true(awc_state_editable(AWC_ASSIGNED));
}

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int s = AWC_PENDING_ASSIGN; s < AWC_STATE_COUNT; s++) {
        awc_state back;
        assert_int_equal(awc_state_parse(&back, awc_state_name((awc_state)s)), 0);
        assert_int_equal(back, s);
    }
    for (int e = 1; e < AWC_EV_COUNT; e++) {
        awc_event_kind back;
        assert_int_equal(awc_event_parse(&back, awc_event_name((awc_event_kind)e)), 0);
        assert_int_equal(back, e);
    }
    awc_state s;
    assert_int_equal(awc_state_parse(&s, "assigned"), 0);
    assert_int_equal(s, AWC_ASSIGNED);
    assert_int_equal(awc_state_parse(&s, "DONE"), AWC_EBADINPUT);
}

static const awc_actor dist = { sizeof(awc_actor), AWC_ROLE_DISTRIBUTOR, "d", NULL, NULL };
static const awc_actor r1 = { sizeof(awc_actor), AWC_ROLE_RESELLER, "r", "R-1", NULL };
static const awc_actor view = { sizeof(awc_actor), AWC_ROLE_VIEWER, "v", NULL, NULL };

static void test_step_over_fake_store(void **state)
{
    fake_store f;
    int64_t v = 0;
    (void)state;
    fake_store_init(&f);
    uint64_t a = fake_store_add(&f, AWC_PENDING_ASSIGN, "R-1");
    uint64_t b = fake_store_add(&f, AWC_ASSIGNED, "R-2");

    assert_int_equal(awc_credit_step(&f.base, &dist, a, AWC_EV_ASSIGN, 0, NULL, NULL, &v), 0);
    assert_int_equal(v, 2);
    /* stale version: refused before the store is asked */
    assert_int_equal(awc_credit_step(&f.base, &dist, a, AWC_EV_EDIT, 1, NULL, NULL, NULL),
                     AWC_ECONFLICT);
    assert_int_equal(f.events[a - 1], 2);
    /* reseller: own credit yes, other reseller's credit is "not found" */
    assert_int_equal(awc_credit_step(&f.base, &r1, a, AWC_EV_EDIT, 2, NULL, NULL, NULL), 0);
    assert_int_equal(awc_credit_step(&f.base, &r1, b, AWC_EV_EDIT, 0, NULL, NULL, NULL),
                     AWC_ENOTFOUND);
    assert_int_equal(awc_credit_step(&f.base, &r1, a, AWC_EV_COLLECT, 0, NULL, NULL, NULL),
                     AWC_EPERM);
    /* viewer changes nothing */
    assert_int_equal(awc_credit_step(&f.base, &view, b, AWC_EV_EDIT, 0, NULL, NULL, NULL),
                     AWC_EPERM);
    assert_int_equal(f.credits[b - 1].version, 1);
    /* the store's own failure is propagated, not replaced */
    f.fail_next = AWC_EDB;
    assert_int_equal(awc_credit_step(&f.base, &dist, b, AWC_EV_EDIT, 0, NULL, NULL, NULL),
                     AWC_EDB);
    assert_int_equal(awc_credit_step(&f.base, &dist, 99, AWC_EV_EDIT, 0, NULL, NULL, NULL),
                     AWC_ENOTFOUND);
}

static void test_step_out_of_memory(void **state)
{
    fake_store f;
    (void)state;
    fake_store_init(&f);
    uint64_t a = fake_store_add(&f, AWC_ASSIGNED, NULL);
    awc_alloc_fail_after(0);
    assert_int_equal(awc_credit_step(&f.base, &dist, a, AWC_EV_EDIT, 0, NULL, NULL, NULL),
                     AWC_ENOMEM);
    awc_alloc_fail_after(-1);
    assert_int_equal(f.credits[a - 1].version, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_read_only_states),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_step_over_fake_store),
        cmocka_unit_test(test_step_out_of_memory),
    };
    return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
