/*
 * fuzz_ini.c -- the configuration file (host_ini_read, host/inifile.h) and
 * the module's checks of its values (awc_config_load, module/config.h).
 *
 * The input is a configuration file's content, read through fmemopen() as
 * the host reads the file, with the module's keys (awc_config_keys) as the
 * known ones.  Checks (abort() when one fails):
 *   - the result is 0, AWC_ECONFIG or AWC_ENOMEM; an AWC_ECONFIG message
 *     names the file ("fuzz.ini:LINE: ..." or "cannot read ...");
 *   - accepted: every entry is a known "section.key", no key twice, lines
 *     from 1 on, origin "fuzz.ini:LINE", no value holds a newline, and
 *     host_ini_get / host_ini_origin find each entry again;
 *   - then awc_config_load over a host API reading that table: 0 or
 *     AWC_ECONFIG with a one-line message naming a key's origin or
 *     "config"; on success the defaults leave no required string NULL
 *     (ids.prefix, cur.source, invoicing.adapter).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscredit.h"
#include "awc.h"
#include "config.h"
#include "inifile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "fuzz_ini: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                    \
        }                                                                               \
    } while (0)

#define PATH "fuzz.ini"

static const char *api_get(void *ctx, const char *section, const char *key)
{
    return host_ini_get(ctx, section, key);
}

static const char *api_origin(void *ctx, const char *section, const char *key)
{
    return host_ini_origin(ctx, section, key);
}

static int known(const char *section, const char *key)
{
    size_t n = strlen(section);
    for (size_t i = 0; awc_config_keys[i]; i++)
        if (strncmp(awc_config_keys[i], section, n) == 0 && awc_config_keys[i][n] == '.' &&
            strcmp(awc_config_keys[i] + n + 1, key) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], origin[64];
    awc_host_api api;
    awc_config cfg;
    host_ini ini;
    FILE *f;
    int rc;

    if (size == 0)
        return 0;                  /* fmemopen wants a buffer of at least one byte */
    f = fmemopen((void *)data, size, "r");
    CHECK(f != NULL);
    err[0] = '\0';
    rc = host_ini_read(&ini, f, PATH, awc_config_keys, err, sizeof(err));
    fclose(f);
    CHECK(rc == 0 || rc == AWC_ECONFIG || rc == AWC_ENOMEM);
    if (rc == AWC_ECONFIG)
        CHECK(strncmp(err, PATH ":", strlen(PATH) + 1) == 0 || strncmp(err, "cannot read", 11) == 0);
    if (rc != 0) {
        host_ini_free(&ini);
        return 0;
    }

    for (size_t i = 0; i < ini.n; i++) {
        const host_ini_entry *e = &ini.v[i];
        CHECK(known(e->section, e->key));
        CHECK(e->line >= 1);
        snprintf(origin, sizeof(origin), PATH ":%d", e->line);
        CHECK(strcmp(e->origin, origin) == 0);
        CHECK(strchr(e->value, '\n') == NULL);
        CHECK(host_ini_get(&ini, e->section, e->key) == e->value);
        CHECK(host_ini_origin(&ini, e->section, e->key) == e->origin);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(ini.v[j].section, e->section) || strcmp(ini.v[j].key, e->key));
    }

    memset(&api, 0, sizeof(api));
    api.size = sizeof(api);
    api.abi_major = AWC_ABI_MAJOR;
    api.abi_minor = AWC_ABI_MINOR;
    api.ctx = &ini;
    api.config_get = api_get;
    api.config_origin = api_origin;
    rc = awc_config_load(&cfg, &api);
    CHECK(rc == 0 || rc == AWC_ECONFIG);
    if (rc != 0) {
        const char *msg = awc_error_last();
        CHECK(strncmp(msg, PATH ":", strlen(PATH) + 1) == 0 || strncmp(msg, "config", 6) == 0);
        CHECK(strchr(msg, '\n') == NULL);
    } else {
        CHECK(cfg.ids.prefix != NULL && cfg.cur.source != NULL && cfg.invoicing.adapter != NULL);
    }
    awc_error_clear();
    host_ini_free(&ini);
    return 0;
}
