/*
 * fuzz_manifest.c -- the plugin manifest (host_manifest_read and
 * host_manifest_check, host/loader.h).
 *
 * The input is a manifest file's content, read through fmemopen() as the
 * host reads the file.  Checks (abort() when one fails):
 *   - the result is 0, AWC_ECONFIG or AWC_ENOMEM, with a message naming
 *     the file on error, and the manifest can always be freed;
 *   - accepted: name, version, library and entry set and not empty, the
 *     library a plain file name (no '/', not "." or ".."), at least one
 *     hook, every list item non-empty without blanks and lists within
 *     1024 items;
 *   - host_manifest_check: 0 or AWC_EABI with a message; 0 only with this
 *     host's ABI major and a minor not newer, the entry symbol the host
 *     calls, hooks exactly "open" and "close", and config keys
 *     "section.key".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscredit.h"
#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_manifest: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define PATH "mod/plugin.manifest"

static void check_list(const host_list *l)
{
    CHECK(l->n <= 1024 && l->n <= l->cap);
    for (size_t i = 0; i < l->n; i++) {
        CHECK(l->v[i] && l->v[i][0]);
        CHECK(strpbrk(l->v[i], " \t") == NULL);
    }
}

static int has(const host_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    host_manifest mf;
    FILE *f;
    int rc;

    if (size == 0)
        return 0;                  /* fmemopen wants a buffer of at least one byte */
    f = fmemopen((void *)data, size, "r");
    CHECK(f != NULL);
    err[0] = '\0';
    rc = host_manifest_read(&mf, f, PATH, err, sizeof(err));
    fclose(f);
    CHECK(rc == 0 || rc == AWC_ECONFIG || rc == AWC_ENOMEM);
    if (rc == AWC_ECONFIG)
        CHECK(strncmp(err, PATH, strlen(PATH)) == 0);
    if (rc == 0) {
        CHECK(mf.name && mf.name[0] && mf.version && mf.version[0]);
        CHECK(mf.entry && mf.entry[0] && mf.library && mf.library[0]);
        CHECK(!strchr(mf.library, '/') && strcmp(mf.library, ".") && strcmp(mf.library, ".."));
        CHECK(mf.has_abi && mf.abi_major <= 65535 && mf.abi_minor <= 65535);
        CHECK(mf.hooks.n >= 1);
        check_list(&mf.hooks);
        check_list(&mf.operations);
        check_list(&mf.config_keys);

        err[0] = '\0';
        rc = host_manifest_check(&mf, err, sizeof(err));
        CHECK(rc == 0 || rc == AWC_EABI);
        if (rc != 0) {
            CHECK(err[0] != '\0');
        } else {
            CHECK(mf.abi_major == AWC_ABI_MAJOR && mf.abi_minor <= AWC_ABI_MINOR);
            CHECK(strcmp(mf.entry, AWC_ENTRY_SYMBOL) == 0);
            CHECK(mf.hooks.n == 2 && has(&mf.hooks, "open") && has(&mf.hooks, "close"));
            for (size_t i = 0; i < mf.config_keys.n; i++) {
                const char *k = mf.config_keys.v[i], *dot = strchr(k, '.');
                CHECK(dot && dot != k && dot[1] && !strchr(dot + 1, '.'));
            }
        }
    }
    host_manifest_free(&mf);
    return 0;
}
