/*
 * test_alloc.c -- alloc.c: awc_grow(), the one way arrays grow: room left
 * means no allocation, a full array doubles (from `first`), and a failed
 * allocation leaves the array and its capacity as they were.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "awc.h"

static void test_grow_doubles(void **state)
{
    int *a = NULL, *p;
    size_t cap = 0;

    (void)state;
    p = awc_grow(a, &cap, 0, sizeof(*a), 4);
    assert_non_null(p);
    assert_int_equal(cap, 4);
    a = p;
    for (int i = 0; i < 4; i++)
        a[i] = i;
    assert_ptr_equal(awc_grow(a, &cap, 3, sizeof(*a), 4), a); /* room: the same array */
    assert_int_equal(cap, 4);
    p = awc_grow(a, &cap, 4, sizeof(*a), 4);
    assert_non_null(p);
    assert_int_equal(cap, 8);
    a = p;
    for (int i = 0; i < 4; i++)
        assert_int_equal(a[i], i); /* kept across the move */
    awc_free(a);
}

static void test_grow_failure_keeps_array(void **state)
{
    char *a = NULL, *p;
    size_t cap = 0;

    (void)state;
    a = awc_grow(a, &cap, 0, 1, 2);
    assert_non_null(a);
    memcpy(a, "ok", 2);
    awc_error_clear();
    awc_alloc_fail_after(0);
    p = awc_grow(a, &cap, 2, 1, 2);
    awc_alloc_fail_after(-1);
    assert_null(p);
    assert_int_equal(cap, 2);
    assert_memory_equal(a, "ok", 2);
    assert_string_equal(awc_error_last(), "out of memory");
    awc_free(a);
}

static void test_grow_overflow(void **state)
{
    size_t cap = SIZE_MAX / 16 + 1;
    int x = 0;

    (void)state;
    assert_null(awc_grow(&x, &cap, cap, 16, 4)); /* twice cap elements do not fit */
    assert_int_equal(cap, SIZE_MAX / 16 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_doubles),
        cmocka_unit_test(test_grow_failure_keeps_array),
        cmocka_unit_test(test_grow_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
