/* loader.c -- manifest parsing, dlopen and the checks that refuse a module
 * that does not fit this host.  Messages are listed in docs/ABI.md. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "loader.h"

#ifndef AWC_LIBDIR
#define AWC_LIBDIR "/usr/local/lib/awscredit"
#endif

#define LINE_MAX_LEN 4096      /* longest manifest line */
#define LIST_MAX 1024          /* most items in one manifest list */
#define DESC_LIST_MAX 1024     /* most entries read from a descriptor list */

static const char *const op_names[HOST_OP_COUNT] = {
    [HOST_OP_VERSION] = "version",
    [HOST_OP_MIGRATE] = "migrate",
    [HOST_OP_SHOW] = "show",
    [HOST_OP_PULL] = "pull",
    [HOST_OP_ASSIGN] = "assign",
    [HOST_OP_LIST] = "list",
    [HOST_OP_EXPORT_CSV] = "export_csv",
    [HOST_OP_EXPLAIN] = "explain",
    [HOST_OP_EDIT] = "edit",
    [HOST_OP_UNASSIGN] = "unassign",
    [HOST_OP_INVOICE] = "invoice",
    [HOST_OP_RECONCILE] = "reconcile",
    [HOST_OP_CLOSE_PERIOD] = "close_period",
    [HOST_OP_RUN] = "run",
    [HOST_OP_RULES_IMPORT] = "rules_import",
    [HOST_OP_RULES_EXPORT] = "rules_export",
    [HOST_OP_RULES_VALIDATE] = "rules_validate",
    [HOST_OP_ACCOUNTS_IMPORT] = "accounts_import",
    [HOST_OP_BALANCE] = "balance",
    [HOST_OP_EXPIRING] = "expiring",
    [HOST_OP_EXCLUDE] = "exclude",
    [HOST_OP_INCLUDE] = "include",
    [HOST_OP_CURRENCY_SET] = "currency_set",
    [HOST_OP_USER] = "user",
    [HOST_OP_AUTH] = "auth",
    [HOST_OP_PERIODS] = "periods",
    [HOST_OP_GRANTS_IMPORT] = "grants_import",
    [HOST_OP_GRANT_SET] = "grant_set",
    [HOST_OP_HIERARCHY_IMPORT] = "hierarchy_import",
    [HOST_OP_BALANCE_OF] = "balance_of",
    [HOST_OP_EXPIRING_OF] = "expiring_of",
    [HOST_OP_REOPEN_PERIOD] = "reopen_period",
};

const char *host_op_name(host_op op)
{
    return (unsigned)op < HOST_OP_COUNT ? op_names[op] : "?";
}

static int op_by_name(const char *name)
{
    for (int i = 0; i < HOST_OP_COUNT; i++)
        if (strcmp(op_names[i], name) == 0)
            return i;
    return -1;
}

/* A field is there only when the descriptor's size says so. */
#define HAS(d, f) (offsetof(awc_module_desc, f) + sizeof((d)->f) <= (d)->size && (d)->f != NULL)

int host_op_present(const awc_module_desc *d, host_op op)
{
    switch (op) {
    case HOST_OP_VERSION: return HAS(d, version);
    case HOST_OP_MIGRATE: return HAS(d, migrate);
    case HOST_OP_SHOW: return HAS(d, show);
    case HOST_OP_PULL: return HAS(d, pull);
    case HOST_OP_ASSIGN: return HAS(d, assign);
    case HOST_OP_LIST: return HAS(d, list);
    case HOST_OP_EXPORT_CSV: return HAS(d, export_csv);
    case HOST_OP_EXPLAIN: return HAS(d, explain);
    case HOST_OP_EDIT: return HAS(d, edit);
    case HOST_OP_UNASSIGN: return HAS(d, unassign);
    case HOST_OP_INVOICE: return HAS(d, invoice);
    case HOST_OP_RECONCILE: return HAS(d, reconcile);
    case HOST_OP_CLOSE_PERIOD: return HAS(d, close_period);
    case HOST_OP_RUN: return HAS(d, run);
    case HOST_OP_RULES_IMPORT: return HAS(d, rules_import);
    case HOST_OP_RULES_EXPORT: return HAS(d, rules_export);
    case HOST_OP_RULES_VALIDATE: return HAS(d, rules_validate);
    case HOST_OP_ACCOUNTS_IMPORT: return HAS(d, accounts_import);
    case HOST_OP_BALANCE: return HAS(d, balance);
    case HOST_OP_EXPIRING: return HAS(d, expiring);
    case HOST_OP_EXCLUDE: return HAS(d, exclude);
    case HOST_OP_INCLUDE: return HAS(d, include);
    case HOST_OP_CURRENCY_SET: return HAS(d, currency_set);
    case HOST_OP_USER: return HAS(d, user);
    case HOST_OP_AUTH: return HAS(d, auth);
    case HOST_OP_PERIODS: return HAS(d, periods);
    case HOST_OP_GRANTS_IMPORT: return HAS(d, grants_import);
    case HOST_OP_GRANT_SET: return HAS(d, grant_set);
    case HOST_OP_HIERARCHY_IMPORT: return HAS(d, hierarchy_import);
    case HOST_OP_BALANCE_OF: return HAS(d, balance_of);
    case HOST_OP_EXPIRING_OF: return HAS(d, expiring_of);
    case HOST_OP_REOPEN_PERIOD: return HAS(d, reopen_period);
    case HOST_OP_COUNT: break;
    }
    return 0;
}

HOST_PRINTF(4, 5)
static int fail(char *err, size_t n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- module directory ------------------------------------------------------ */

static int exe_dir_has_manifest(char *buf, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (len <= 0)
        return 0;
    exe[len] = '\0';
    slash = strrchr(exe, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    if (snprintf(buf, n, "%s/%s", exe, HOST_MANIFEST_NAME) >= (int)n)
        return 0;
    if (access(buf, F_OK) != 0)
        return 0;
    snprintf(buf, n, "%s", exe[0] ? exe : "/");
    return 1;
}

int host_module_dir(char *buf, size_t n, const char *opt, char *err, size_t errsz)
{
    const char *env = getenv("AWSCREDIT_MODULE_DIR");
    const char *dir;

    if (opt && *opt)
        dir = opt;
    else if (env && *env)
        dir = env;
    else if (exe_dir_has_manifest(buf, n))
        return 0;
    else
        dir = AWC_LIBDIR;
    if ((size_t)snprintf(buf, n, "%s", dir) >= n)
        return fail(err, errsz, AWC_ECONFIG, "module directory name is too long");
    return 0;
}

/* ---- manifest ---------------------------------------------------------------- */

static void list_free(host_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int list_has(const host_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

static int list_push(host_list *l, const char *s, size_t len)
{
    char *copy;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return AWC_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    copy = strndup(s, len);
    if (!copy)
        return AWC_ENOMEM;
    l->v[l->n++] = copy;
    return 0;
}

void host_manifest_free(host_manifest *mf)
{
    free(mf->path);
    free(mf->name);
    free(mf->version);
    free(mf->library);
    free(mf->entry);
    list_free(&mf->hooks);
    list_free(&mf->operations);
    list_free(&mf->config_keys);
    memset(mf, 0, sizeof(*mf));
}

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* "MAJOR.MINOR", each 0..65535, digits only. */
static int parse_abi(const char *s, unsigned *major, unsigned *minor)
{
    unsigned long v[2];
    for (int i = 0; i < 2; i++) {
        char *end;
        if (!isdigit((unsigned char)*s))
            return -1;
        errno = 0;
        v[i] = strtoul(s, &end, 10);
        if (errno || v[i] > 65535)
            return -1;
        s = end;
        if (i == 0 && *s++ != '.')
            return -1;
    }
    if (*s)
        return -1;
    *major = (unsigned)v[0];
    *minor = (unsigned)v[1];
    return 0;
}

typedef struct mf_line {
    int name, version, abi, library, entry;   /* line each scalar was set on */
} mf_line;

static int set_scalar(char **dst, int *seen, const char *key, const char *val,
                      const char *path, int line, char *err, size_t n)
{
    if (*seen)
        return fail(err, n, AWC_ECONFIG, "%s:%d: '%s' is given twice (first on line %d)",
                    path, line, key, *seen);
    if (!*val)
        return fail(err, n, AWC_ECONFIG, "%s:%d: '%s' has no value", path, line, key);
    *dst = strdup(val);
    if (!*dst)
        return fail(err, n, AWC_ENOMEM, "out of memory");
    *seen = line;
    return 0;
}

static int append_words(host_list *l, const char *val, const char *key,
                        const char *path, int line, char *err, size_t n)
{
    const char *p = val;
    while (*p) {
        size_t len;
        while (*p == ' ' || *p == '\t')
            p++;
        len = strcspn(p, " \t");
        if (!len)
            break;
        if (l->n >= LIST_MAX)
            return fail(err, n, AWC_ECONFIG, "%s:%d: '%s' has more than %d entries",
                        path, line, key, LIST_MAX);
        if (list_push(l, p, len))
            return fail(err, n, AWC_ENOMEM, "out of memory");
        p += len;
    }
    return 0;
}

static int manifest_line(host_manifest *mf, mf_line *seen, char *s, int line,
                         char *err, size_t n)
{
    const char *path = mf->path;
    char *eq, *key, *val, *hash;

    /* A '#' at the start of a line, or after a blank, starts a comment. */
    for (hash = s; (hash = strchr(hash, '#')) != NULL; hash++)
        if (hash == s || hash[-1] == ' ' || hash[-1] == '\t') {
            *hash = '\0';
            break;
        }
    s = trim(s);
    if (!*s)
        return 0;
    eq = strchr(s, '=');
    if (!eq)
        return fail(err, n, AWC_ECONFIG, "%s:%d: malformed line (expected 'key = value')",
                    path, line);
    *eq = '\0';
    key = trim(s);
    val = trim(eq + 1);
    if (!*key)
        return fail(err, n, AWC_ECONFIG, "%s:%d: malformed line (expected 'key = value')",
                    path, line);

    if (strcmp(key, "name") == 0)
        return set_scalar(&mf->name, &seen->name, key, val, path, line, err, n);
    if (strcmp(key, "version") == 0)
        return set_scalar(&mf->version, &seen->version, key, val, path, line, err, n);
    if (strcmp(key, "entry") == 0)
        return set_scalar(&mf->entry, &seen->entry, key, val, path, line, err, n);
    if (strcmp(key, "library") == 0) {
        if (strchr(val, '/') || strcmp(val, ".") == 0 || strcmp(val, "..") == 0)
            return fail(err, n, AWC_ECONFIG,
                        "%s:%d: library must be a file name in the module's directory, got '%s'",
                        path, line, val);
        return set_scalar(&mf->library, &seen->library, key, val, path, line, err, n);
    }
    if (strcmp(key, "abi") == 0) {
        if (seen->abi)
            return fail(err, n, AWC_ECONFIG, "%s:%d: 'abi' is given twice (first on line %d)",
                        path, line, seen->abi);
        if (parse_abi(val, &mf->abi_major, &mf->abi_minor))
            return fail(err, n, AWC_ECONFIG, "%s:%d: abi: expected MAJOR.MINOR, got '%s'",
                        path, line, val);
        seen->abi = line;
        mf->has_abi = 1;
        return 0;
    }
    if (strcmp(key, "hooks") == 0)
        return append_words(&mf->hooks, val, key, path, line, err, n);
    if (strcmp(key, "operations") == 0)
        return append_words(&mf->operations, val, key, path, line, err, n);
    if (strcmp(key, "config_keys") == 0)
        return append_words(&mf->config_keys, val, key, path, line, err, n);
    return fail(err, n, AWC_ECONFIG, "%s:%d: unknown key '%s'", path, line, key);
}

/* One line into buf (without its newline), at most LINE_MAX_LEN bytes.
 * 1 = a line, 0 = end of file, -1 = too long, -2 = contains a NUL byte. */
static int read_line(FILE *f, char *buf)
{
    size_t len = 0;
    int c, bad = 0;

    while ((c = getc(f)) != EOF && c != '\n') {
        if (c == '\0')
            bad = -2;
        else if (len < LINE_MAX_LEN)
            buf[len++] = (char)c;
        else if (!bad)
            bad = -1;
    }
    buf[len] = '\0';
    if (c == EOF && len == 0 && !bad)
        return 0;
    return bad ? bad : 1;
}

int host_manifest_parse(host_manifest *out, const char *path, char *err, size_t n)
{
    FILE *f;
    int rc;

    memset(out, 0, sizeof(*out));
    f = fopen(path, "r");
    if (!f)
        return fail(err, n, AWC_ECONFIG, "cannot read module manifest %s: %s", path,
                    strerror(errno));
    rc = host_manifest_read(out, f, path, err, n);
    fclose(f);
    return rc;
}

int host_manifest_read(host_manifest *out, FILE *f, const char *path, char *err, size_t n)
{
    mf_line seen = {0};
    char *buf;
    int line = 0, rc = 0, got;

    memset(out, 0, sizeof(*out));
    out->path = strdup(path);
    buf = malloc(LINE_MAX_LEN + 1);
    if (!out->path || !buf) {
        free(buf);
        return fail(err, n, AWC_ENOMEM, "out of memory");
    }
    while ((got = read_line(f, buf)) != 0) {
        line++;
        if (got == -1)
            rc = fail(err, n, AWC_ECONFIG, "%s:%d: line longer than %d characters", path, line,
                      LINE_MAX_LEN);
        else if (got == -2)
            rc = fail(err, n, AWC_ECONFIG, "%s:%d: malformed line (contains a NUL byte)", path,
                      line);
        else
            rc = manifest_line(out, &seen, buf, line, err, n);
        if (rc)
            break;
    }
    if (!rc && ferror(f))
        rc = fail(err, n, AWC_ECONFIG, "cannot read module manifest %s: %s", path,
                  strerror(errno));
    free(buf);
    if (rc)
        return rc;

    if (!seen.name)
        return fail(err, n, AWC_ECONFIG, "%s: missing 'name'", path);
    if (!seen.version)
        return fail(err, n, AWC_ECONFIG, "%s: missing 'version'", path);
    if (!seen.abi)
        return fail(err, n, AWC_ECONFIG, "%s: missing 'abi'", path);
    if (!seen.library)
        return fail(err, n, AWC_ECONFIG, "%s: missing 'library'", path);
    if (!seen.entry)
        return fail(err, n, AWC_ECONFIG, "%s: missing 'entry'", path);
    if (out->hooks.n == 0)
        return fail(err, n, AWC_ECONFIG, "%s: missing 'hooks'", path);
    return 0;
}

/* ---- checks -------------------------------------------------------------------- */

static int check_abi(const char *what, unsigned major, unsigned minor, char *err, size_t n)
{
    if (major != AWC_ABI_MAJOR)
        return fail(err, n, AWC_EABI,
                    "%s: module ABI %u.%u is incompatible with host ABI %d.%d (major differs)",
                    what, major, minor, AWC_ABI_MAJOR, AWC_ABI_MINOR);
    if (minor > AWC_ABI_MINOR)
        return fail(err, n, AWC_EABI,
                    "%s: module ABI %u.%u is newer than host ABI %d.%d; upgrade the host",
                    what, major, minor, AWC_ABI_MAJOR, AWC_ABI_MINOR);
    return 0;
}

/* "section.key": one dot, both sides non-empty. */
static int key_shape_ok(const char *k)
{
    const char *dot = strchr(k, '.');
    return dot && dot != k && dot[1] && !strchr(dot + 1, '.');
}

/* What can be known before loading anything. */
int host_manifest_check(const host_manifest *mf, char *err, size_t n)
{
    int rc = check_abi(mf->path, mf->abi_major, mf->abi_minor, err, n);
    if (rc)
        return rc;
    if (strcmp(mf->entry, AWC_ENTRY_SYMBOL) != 0)
        return fail(err, n, AWC_EABI, "%s: entry is '%s', but this host calls only '%s'",
                    mf->path, mf->entry, AWC_ENTRY_SYMBOL);
    if (mf->hooks.n != 2 || !list_has(&mf->hooks, "open") || !list_has(&mf->hooks, "close")) {
        char got[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < mf->hooks.n && used < sizeof(got); i++)
            used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", i ? " " : "",
                                     mf->hooks.v[i]);
        return fail(err, n, AWC_EABI, "%s: hooks must be 'open close', got '%s'", mf->path, got);
    }
    for (size_t i = 0; i < mf->operations.n; i++)
        if (op_by_name(mf->operations.v[i]) < 0)
            return fail(err, n, AWC_EABI, "%s: unknown operation '%s'", mf->path,
                        mf->operations.v[i]);
    for (size_t i = 0; i < mf->config_keys.n; i++)
        if (!key_shape_ok(mf->config_keys.v[i]))
            return fail(err, n, AWC_EABI, "%s: config key '%s' is not 'section.key'", mf->path,
                        mf->config_keys.v[i]);
    return 0;
}

static int desc_list_has(const char *const *list, const char *s)
{
    if (!list)
        return 0;
    for (size_t i = 0; i < DESC_LIST_MAX && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* The descriptor on its own: size, ABI, hooks, self-consistency. */
static int check_desc(const awc_module_desc *d, const char *lib, char *err, size_t n)
{
    size_t need = AWC_MODULE_DESC_SIZE_1_0;

    if (!d)
        return fail(err, n, AWC_EABI, "%s: %s() returned no module descriptor", lib,
                    AWC_ENTRY_SYMBOL);
    /* size, abi_major and abi_minor never move, whatever the ABI. */
    if (d->size < offsetof(awc_module_desc, name))
        return fail(err, n, AWC_EABI, "%s: module descriptor is %zu bytes, expected at least %zu",
                    lib, d->size, need);
    if (check_abi(lib, d->abi_major, d->abi_minor, err, n))
        return AWC_EABI;
    if (d->size < need)
        return fail(err, n, AWC_EABI, "%s: module descriptor is %zu bytes, expected at least %zu",
                    lib, d->size, need);
    if (!d->name || !d->module_version)
        return fail(err, n, AWC_EABI, "%s: module descriptor has no %s", lib,
                    d->name ? "version" : "name");
    if (!d->open)
        return fail(err, n, AWC_EABI, "%s: library has no 'open' hook", lib);
    if (!d->close)
        return fail(err, n, AWC_EABI, "%s: library has no 'close' hook", lib);
    if (!d->strerror)
        return fail(err, n, AWC_EABI, "%s: library has no strerror function", lib);

    for (size_t i = 0; d->operations && i < DESC_LIST_MAX && d->operations[i]; i++)
        if (op_by_name(d->operations[i]) < 0)
            return fail(err, n, AWC_EABI, "%s: library lists unknown operation '%s'", lib,
                        d->operations[i]);
    for (int op = 0; op < HOST_OP_COUNT; op++) {
        int listed = desc_list_has(d->operations, op_names[op]);
        int present = host_op_present(d, (host_op)op);
        if (listed && !present)
            return fail(err, n, AWC_EABI, "%s: library lists operation '%s' but its entry is NULL",
                        lib, op_names[op]);
        if (!listed && present)
            return fail(err, n, AWC_EABI,
                        "%s: library provides operation '%s' but does not list it", lib,
                        op_names[op]);
    }
    for (size_t i = 0; d->config_keys && i < DESC_LIST_MAX && d->config_keys[i]; i++)
        if (!key_shape_ok(d->config_keys[i]))
            return fail(err, n, AWC_EABI, "%s: library config key '%s' is not 'section.key'",
                        lib, d->config_keys[i]);
    return 0;
}

/* The manifest must say what the library says. */
static int check_agree(const host_manifest *mf, const awc_module_desc *d, char *err, size_t n)
{
    const char *p = mf->path;

    if (strcmp(mf->name, d->name) != 0)
        return fail(err, n, AWC_EABI, "%s: manifest says name '%s', library says '%s'", p,
                    mf->name, d->name);
    if (strcmp(mf->version, d->module_version) != 0)
        return fail(err, n, AWC_EABI, "%s: manifest says version %s, library says %s", p,
                    mf->version, d->module_version);
    if (mf->abi_major != d->abi_major || mf->abi_minor != d->abi_minor)
        return fail(err, n, AWC_EABI, "%s: manifest says ABI %u.%u, library says ABI %u.%u", p,
                    mf->abi_major, mf->abi_minor, (unsigned)d->abi_major,
                    (unsigned)d->abi_minor);
    for (int op = 0; op < HOST_OP_COUNT; op++) {
        int in_mf = list_has(&mf->operations, op_names[op]);
        int in_lib = host_op_present(d, (host_op)op);
        if (in_mf && !in_lib)
            return fail(err, n, AWC_EABI,
                        "%s: manifest lists operation '%s' that the library does not provide", p,
                        op_names[op]);
        if (!in_mf && in_lib)
            return fail(err, n, AWC_EABI,
                        "%s: library provides operation '%s' that the manifest does not list", p,
                        op_names[op]);
    }
    for (size_t i = 0; i < mf->config_keys.n; i++)
        if (!desc_list_has(d->config_keys, mf->config_keys.v[i]))
            return fail(err, n, AWC_EABI,
                        "%s: manifest lists config key '%s' that the library does not know", p,
                        mf->config_keys.v[i]);
    for (size_t i = 0; d->config_keys && i < DESC_LIST_MAX && d->config_keys[i]; i++)
        if (!list_has(&mf->config_keys, d->config_keys[i]))
            return fail(err, n, AWC_EABI,
                        "%s: library knows config key '%s' that the manifest does not list", p,
                        d->config_keys[i]);
    return 0;
}

int host_module_load(host_module *out, const char *dir, char *err, size_t n)
{
    char path[PATH_MAX];
    awc_entry_fn entry;
    void *sym;
    const char *dlerr;
    int rc;

    _Static_assert(sizeof(sym) == sizeof(entry), "function and data pointers differ in size");
    memset(out, 0, sizeof(*out));
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, HOST_MANIFEST_NAME) >= sizeof(path))
        return fail(err, n, AWC_ECONFIG, "module directory name is too long");
    rc = host_manifest_parse(&out->mf, path, err, n);
    if (rc)
        return rc;
    rc = host_manifest_check(&out->mf, err, n);
    if (rc)
        return rc;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, out->mf.library) >= sizeof(path))
        return fail(err, n, AWC_ECONFIG, "module library path is too long");
    out->lib_path = strdup(path);
    if (!out->lib_path)
        return fail(err, n, AWC_ENOMEM, "out of memory");

    /* RTLD_NODELETE: dlclose() does not unmap the library.  What a library
     * keeps in its static variables until exit (e.g. MariaDB Connector/C's
     * mysql_library_init() state) then stays reachable instead of turning
     * into a "leak" when the code that points at it is unmapped, and a real
     * leak report still names the module's functions. */
    dlerror();
    out->dl = dlopen(out->lib_path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!out->dl) {
        dlerr = dlerror();
        return fail(err, n, AWC_EABI, "cannot load module: %s", dlerr ? dlerr : out->lib_path);
    }
    dlerror();
    sym = dlsym(out->dl, out->mf.entry);
    dlerr = dlerror();
    if (!sym || dlerr)
        return fail(err, n, AWC_EABI, "%s: no entry symbol '%s' in the library", out->lib_path,
                    out->mf.entry);
    memcpy(&entry, &sym, sizeof(entry));
    out->desc = entry();

    rc = check_desc(out->desc, out->lib_path, err, n);
    if (!rc)
        rc = check_agree(&out->mf, out->desc, err, n);
    if (rc)
        out->desc = NULL;
    return rc;
}

void host_module_unload(host_module *m)
{
    if (m->dl)
        dlclose(m->dl);
    free(m->lib_path);
    host_manifest_free(&m->mf);
    memset(m, 0, sizeof(*m));
}
