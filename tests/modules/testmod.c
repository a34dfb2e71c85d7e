/*
 * testmod.c -- small modules for tests/integration/test_host.sh: one good
 * module that proves the harness, and deliberately wrong ones that the host
 * must refuse.  tests/modules/modules.mk builds this file once per case with
 * -DTESTMOD_CASE_<case> into $(SAN)/modules/<case>/awscredit.so, next to
 * <case>.manifest copied as plugin.manifest.
 *
 * Library variants (what is wrong is marked where it happens):
 *   good           works: version, show, list, export_csv, pull, edit,
 *                  unassign, expiring, rules_import, rules_export; each
 *                  prints its arguments so the host's parsing can be checked
 *   major(-lib)    ABI major 2
 *   minor(-lib)    ABI minor newer than the host's
 *   small          descriptor smaller than ABI 1.0's
 *   ops-null       lists "invoice" but leaves its entry NULL
 *   missing-hook   open is NULL
 *   null-desc      the entry returns NULL
 *   no-entry       the entry function has another name
 * The cases that differ only in their manifest (manifest-version,
 * manifest-ops, manifest-keys, entry-name, bad-manifest, no-library) use the
 * good library.
 *
 * The good module's show ID understands a few test IDs:
 *   notfound        fails with AWC_ENOTFOUND
 *   fail:N          fails with code -N (checks the exit status table)
 *   warn            logs a warning, then succeeds
 *   progress        reports progress 0..1000 of 1000, then succeeds
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscredit.h"

#define TESTMOD_EXPORT __attribute__((visibility("default")))

struct awc_module {
    const awc_host_api *host;
    char *scratch;             /* allocated by open, freed by close */
};

static int out(const awc_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int out(const awc_call *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return AWC_ERROR;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    return c->write(c->write_ctx, buf, (size_t)n) ? AWC_EIO : 0;
}

static int fail(const awc_call *c, int code, const char *msg)
{
    snprintf(c->errbuf, c->errbuf_size, "%s", msg);
    return code;
}

static const char *s(const char *v)
{
    return v ? v : "-";
}

static const char *role(const awc_actor *a)
{
    switch (a->role) {
    case AWC_ROLE_DISTRIBUTOR: return "distributor";
    case AWC_ROLE_RESELLER: return "reseller";
    case AWC_ROLE_VIEWER: return "viewer";
    }
    return "?";
}

/* ---- lifecycle ---------------------------------------------------------------- */

/* (unused in the missing-hook case) */
__attribute__((unused))
static int tm_open(awc_module **outp, const awc_host_api *host, char *errbuf, size_t n)
{
    awc_module *m;
    const char *port;

    if (!host || host->size < offsetof(awc_host_api, secret_get) || !host->config_get) {
        snprintf(errbuf, n, "host API is too small");
        return AWC_EABI;
    }
    port = host->config_get(host->ctx, "db", "port");
    if (port && strspn(port, "0123456789") != strlen(port)) {
        const char *o = host->config_origin ? host->config_origin(host->ctx, "db", "port") : NULL;
        snprintf(errbuf, n, "%s: db.port: expected a whole number, got '%s'", o ? o : "config",
                 port);
        return AWC_ECONFIG;
    }
    m = calloc(1, sizeof(*m));
    if (!m || !(m->scratch = strdup("testmod"))) {
        free(m);
        snprintf(errbuf, n, "out of memory");
        return AWC_ENOMEM;
    }
    m->host = host;
    *outp = m;
    return 0;
}

static void tm_close(awc_module *m)
{
    if (m)
        free(m->scratch);
    free(m);
}

static const char *tm_strerror(int code)
{
    return code == AWC_ENOTFOUND ? "not found" : "test module error";
}

/* ---- operations ---------------------------------------------------------------- */

static int tm_version(awc_module *m, const awc_call *c)
{
    const char *host = m->host->config_get(m->host->ctx, "db", "host");
    if (c->format == AWC_FORMAT_JSON)
        return out(c, "{\"name\":\"testmod\",\"db_host\":\"%s\"}\n", host ? host : "");
    return out(c, "testmod libraries: none (db.host %s)\n", s(host));
}

static int tm_show(awc_module *m, const awc_call *c, const char *id)
{
    const awc_actor *a = c->actor;

    if (strcmp(id, "notfound") == 0)
        return fail(c, AWC_ENOTFOUND, "no credit notfound");
    if (strncmp(id, "fail:", 5) == 0)
        return fail(c, -(int)strtol(id + 5, NULL, 10), "failing as asked");
    if (strcmp(id, "warn") == 0 && m->host->log)
        m->host->log(m->host->ctx, AWC_LOG_WARN, "a warning\nwith a newline");
    if (strcmp(id, "progress") == 0 && m->host->progress)
        for (uint64_t i = 0; i <= 1000; i++)
            m->host->progress(m->host->ctx, "testing", i, 1000);
    return out(c, "show %s as %s:%s:%s format=%d\n", id, role(a), s(a->reseller_id), s(a->id),
               (int)c->format);
}

static int tm_list(awc_module *m, const awc_call *c, const awc_filter *f)
{
    (void)m;
    return out(c,
               "filter status=%s period=%s..%s customer=%s reseller=%s asset=%s account=%s "
               "credit_id=%s description=%s type=%s min=%s max=%s rule=%s unmapped=%d sort=%s "
               "limit=%lld offset=%lld\n",
               s(f->status), s(f->period_from), s(f->period_to), s(f->customer), s(f->reseller),
               s(f->asset), s(f->account), s(f->credit_id), s(f->description), s(f->type),
               s(f->min_amount), s(f->max_amount), s(f->rule), f->unmapped, s(f->sort),
               (long long)f->limit, (long long)f->offset);
}

static int tm_export(awc_module *m, const awc_call *c, const awc_filter *f)
{
    int rc = out(c, "credit_id,status\n");
    if (!rc)
        rc = out(c, "AWSC-000000-0000-0017,%s\n", s(f->status));
    if (!rc && f->status && strcmp(f->status, "FAIL") == 0)
        return fail(c, AWC_EDB, "export failed half way");
    (void)m;
    return rc;
}

static int tm_pull(awc_module *m, const awc_call *c, const awc_pull_args *a)
{
    (void)m;
    return out(c, "pull period=%s path=%s\n", s(a->period), s(a->path));
}

static int tm_edit(awc_module *m, const awc_call *c, const awc_edit_args *a)
{
    (void)m;
    return out(c, "edit %s split=%s amounts=%s account=%s note=%s expect=%lld\n",
               s(a->credit_id), s(a->split), s(a->amounts), s(a->account), s(a->note),
               (long long)a->expect_version);
}

static int tm_unassign(awc_module *m, const awc_call *c, const awc_edit_args *a)
{
    (void)m;
    return out(c, "unassign %s note=%s expect=%lld\n", s(a->credit_id), s(a->note),
               (long long)a->expect_version);
}

static int tm_expiring(awc_module *m, const awc_call *c, int days)
{
    (void)m;
    return out(c, "expiring within=%d\n", days);
}

static int tm_rules_import(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    (void)m;
    return out(c, "rules import path=%s format=%s\n", s(a->path), s(a->format));
}

static int tm_rules_export(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    (void)m;
    return out(c, "rules export path=%s format=%s\n", s(a->path), s(a->format));
}

/* ---- the descriptor --------------------------------------------------------------- */

static const char *const config_keys[] = {"db.host", "db.port", "cur.max_bad_rows", NULL};

static const char *const operations[] = {
    "version", "show", "list", "export_csv", "pull", "edit", "unassign", "expiring",
    "rules_import", "rules_export",
#if defined(TESTMOD_CASE_ops_null)
    "invoice",                 /* WRONG: listed, but the entry is NULL */
#endif
    NULL
};

static const awc_module_desc desc = {
#if defined(TESTMOD_CASE_small)
    .size = AWC_MODULE_DESC_SIZE_1_0 - sizeof(void *),   /* WRONG: too small */
#else
    .size = sizeof(awc_module_desc),
#endif
#if defined(TESTMOD_CASE_major) || defined(TESTMOD_CASE_major_lib)
    .abi_major = AWC_ABI_MAJOR + 1,                    /* WRONG: another major */
#else
    .abi_major = AWC_ABI_MAJOR,
#endif
#if defined(TESTMOD_CASE_minor) || defined(TESTMOD_CASE_minor_lib)
    .abi_minor = AWC_ABI_MINOR + 1,                    /* WRONG: newer than the host */
#else
    .abi_minor = AWC_ABI_MINOR,
#endif
    .name = "testmod",
    .module_version = "1.0.0",
    .config_keys = config_keys,
    .operations = operations,
#if defined(TESTMOD_CASE_missing_hook)
    .open = NULL,                                      /* WRONG: no open hook */
#else
    .open = tm_open,
#endif
    .close = tm_close,
    .strerror = tm_strerror,
    .version = tm_version,
    .show = tm_show,
    .list = tm_list,
    .export_csv = tm_export,
    .pull = tm_pull,
    .edit = tm_edit,
    .unassign = tm_unassign,
    .expiring = tm_expiring,
    .rules_import = tm_rules_import,
    .rules_export = tm_rules_export,
};

#if defined(TESTMOD_CASE_no_entry)
/* WRONG: the host looks for awscredit_module. */
TESTMOD_EXPORT const awc_module_desc *awscredit_module_v2(void);
TESTMOD_EXPORT const awc_module_desc *awscredit_module_v2(void)
{
    return &desc;
}
#else
TESTMOD_EXPORT const awc_module_desc *awscredit_module(void)
{
#if defined(TESTMOD_CASE_null_desc)
    (void)desc;
    return NULL;                                       /* WRONG: no descriptor */
#else
    return &desc;
#endif
}
#endif
