/*
 * replay.c -- every input kept in tests/fuzz/crashes/ run once against its
 * fuzz target, as a cmocka test of `make test` (built with gcc, ASan and
 * UBSan; no libFuzzer needed).
 *
 * A file is named <target>-<what>; its target is the fuzz_*.c of that name,
 * compiled into this binary with LLVMFuzzerTestOneInput renamed to
 * awc_replay_<target> (tests/fuzz/fuzz.mk).  Each file is one test case:
 * it passes when the target returns without a sanitizer report or a failed
 * check (either aborts the binary, which tests/run counts as a failure and
 * whose log names the file).  A file that names no target fails.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TARGET(t) int awc_replay_##t(const uint8_t *data, size_t size);
#include "replay_targets.h"
#undef TARGET

typedef struct target {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} target;

static const target targets[] = {
#define TARGET(t) { #t, awc_replay_##t },
#include "replay_targets.h"
#undef TARGET
};

#define MAX_FILES 4096

typedef struct one {
    char path[1200];
    const target *t;
} one;

static const target *target_of(const char *file)
{
    const target *best = NULL;

    /* the longest target name followed by '-' */
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        size_t n = strlen(targets[i].name);
        if (strncmp(file, targets[i].name, n) == 0 && file[n] == '-' &&
            (!best || n > strlen(best->name)))
            best = &targets[i];
    }
    return best;
}

static void replay(void **state)
{
    const one *o = *state;
    uint8_t *data = NULL;
    size_t size = 0, cap = 0;
    FILE *f;

    if (!o->t)
        fail_msg("%s: names no fuzz target (<target>-<what>)", o->path);
    f = fopen(o->path, "rb");
    assert_non_null(f);
    for (;;) {
        size_t got;
        if (size == cap) {
            cap = cap ? cap * 2 : 4096;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        got = fread(data + size, 1, cap - size, f);
        size += got;
        if (got == 0)
            break;
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    /* an exact-size copy, so a read past the end is caught */
    {
        uint8_t *exact = malloc(size ? size : 1);
        assert_non_null(exact);
        if (size)
            memcpy(exact, data, size);
        free(data);
        print_message("%s (%zu bytes) against %s\n", o->path, size, o->t->name);
        assert_int_equal(o->t->run(exact, size), 0);
        free(exact);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct CMUnitTest *)a)->name, ((const struct CMUnitTest *)b)->name);
}

int main(void)
{
    const char *root = getenv("AWC_TEST_ROOT");
    static struct CMUnitTest tests[MAX_FILES];
    static one files[MAX_FILES];
    char dir[900];
    struct dirent *de;
    size_t n = 0;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/crashes", root ? root : ".");
    if (!(d = opendir(dir))) {
        fprintf(stderr, "cannot read %s\n", dir);
        return 1;
    }
    while ((de = readdir(d)) != NULL && n < MAX_FILES) {
        if (de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(files[n].path, sizeof(files[n].path), "%s/%.255s", dir,
                             de->d_name) >= sizeof(files[n].path)) {
            fprintf(stderr, "path too long below %s\n", dir);
            closedir(d);
            return 1;
        }
        files[n].t = target_of(de->d_name);
        memset(&tests[n], 0, sizeof(tests[n]));
        tests[n].name = strrchr(files[n].path, '/') + 1;
        tests[n].test_func = replay;
        tests[n].initial_state = &files[n];
        n++;
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "no input in %s\n", dir);
        return 1;
    }
    qsort(tests, n, sizeof(tests[0]), by_name);
    return _cmocka_run_group_tests("fuzz_crashes", tests, n, NULL, NULL);
}
