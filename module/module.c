/*
 * module.c -- the module's descriptor, its only exported symbol, and the
 * instance lifecycle (open reads configuration; the database is connected
 * on first use).
 */
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <pthread.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrations.h"
#include "mod.h"

static const char *const operations[] = {
    "version", "migrate", "show", "pull", "edit", "unassign", "accounts_import", "list",
    "export_csv", "invoice", "reconcile", "close_period", "run", "assign", "explain",
    "rules_import", "rules_export", "rules_validate", "balance", "expiring", "exclude",
    "include", "currency_set", "user", "auth", "periods", "grants_import", "grant_set",
    "hierarchy_import", "balance_of", "expiring_of", "reopen_period", NULL,
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
    mysql_library_init(0, NULL, NULL);
}

void awc_op_begin(void)
{
    awc_error_clear();
}

int awc_op_end(const awc_call *c, int rc)
{
    if (rc != 0)
        awc_error_copy(rc, c->errbuf, c->errbuf_size);
    return rc;
}

void awc_mod_log(awc_module *m, int level, const char *fmt, ...)
{
    char line[AWC_ERRMSG_MAX];
    va_list ap;
    int n;

    if (!m->host.log)
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    awc_redact_userinfo(line, n >= (int)sizeof(line));
    m->host.log(m->host.ctx, level, line);
}

static const char *secret(awc_module *m, const char *name)
{
    if (m->host.secret_get)
        return m->host.secret_get(m->host.ctx, name);
    return getenv(name);
}

#define PASSWORD_MAX 1023      /* bytes of a password file, trailing newline aside */

/* Read a password file that only its owner may read; strips trailing
 * newlines.  A longer file or one with a NUL byte is refused, never cut:
 * a cut password would fail to log in for no visible reason.  Messages
 * name the file, never its content.  The caller wipes and frees *out. */
static int read_password_file(char **out, const char *path)
{
    char buf[PASSWORD_MAX + 3];    /* the password, "\r\n"; full means too long */
    struct stat sb;
    size_t n = 0;
    ssize_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0, full;

    if (fd < 0)
        return awc_error_set(AWC_ECONFIG, "db.password_file: cannot open '%s': %s", path,
                             strerror(errno));
    if (fstat(fd, &sb) != 0 || (sb.st_mode & 077) != 0 || sb.st_uid != geteuid()) {
        close(fd);
        return awc_error_set(AWC_ECONFIG,
                             "db.password_file: '%s' must belong to this user and be "
                             "readable by its owner only (chmod 600)", path);
    }
    while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (got < 0)
        rc = awc_error_set(AWC_ECONFIG, "db.password_file: cannot read '%s'", path);
    full = n == sizeof(buf);
    while (rc == 0 && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (rc == 0 && (full || n > PASSWORD_MAX))
        rc = awc_error_set(AWC_ECONFIG, "db.password_file: '%s' holds more than %d bytes; "
                           "the password is not cut, give a shorter one", path, PASSWORD_MAX);
    else if (rc == 0 && memchr(buf, '\0', n))
        rc = awc_error_set(AWC_ECONFIG, "db.password_file: '%s' holds a NUL byte; a password "
                           "is text", path);
    if (rc == 0) {
        buf[n] = '\0';
        if (!(*out = awc_strdup(buf)))
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
    }
    explicit_bzero(buf, sizeof(buf));
    return rc;
}

/* Every operation but migrate needs the schema this module was built for. */
static int check_schema(awc_store *st)
{
    int have = 0, want = 0, rc;

    for (const awc_migration *mg = awc_migrations; mg->sql; mg++)
        want = mg->version;
    if ((rc = st->ops->schema_version(st, &have)) != 0)
        return rc;
    if (have < want)
        return awc_error_set(AWC_ECONFIG, "the database schema is at version %d, this module "
                             "needs %d: run 'awscredit migrate' first", have, want);
    if (have > want)
        return awc_error_set(AWC_ECONFIG, "the database schema is at version %d, newer than "
                             "this module's %d: upgrade the module", have, want);
    return 0;
}

int awc_mod_store(awc_module *m, awc_store **out)
{
    awc_db_params p;
    char *password = NULL;
    int rc;

    if (m->store) {
        *out = m->store;
        return 0;
    }
    memset(&p, 0, sizeof(p));
    p.socket = m->cfg.db.socket;
    p.host = m->cfg.db.host;
    p.port = m->cfg.db.port;
    p.user = m->cfg.db.user;
    p.database = m->cfg.db.database;
    p.connect_timeout = m->cfg.db.connect_timeout;
    p.hosts = m->cfg.db.hosts;
    p.lock_seconds = m->cfg.db.lock_seconds;
    if (m->cfg.db.password_file) {
        if ((rc = read_password_file(&password, m->cfg.db.password_file)) != 0)
            return rc;
        p.password = password;
    } else if (m->cfg.db.password_env) {
        p.password = secret(m, m->cfg.db.password_env);
        if (!p.password)
            return awc_error_set(AWC_ECONFIG,
                                 "db.password_env: the variable %s is not set",
                                 m->cfg.db.password_env);
    }
    rc = awc_store_mariadb_open(&m->store, &p);
    if (password) {
        explicit_bzero(password, strlen(password));
        awc_free(password);
    }
    if (rc == 0 && !m->migrating)
        rc = check_schema(m->store);
    if (rc == 0 && !m->migrating)
        rc = awc_mod_currencies_load(m->store);
    if (rc == 0) {
        *out = m->store;
    } else if (m->store) {
        /* a store that failed its checks is not kept: the next call
         * checks again */
        m->store->ops->close(m->store);
        m->store = NULL;
    }
    return rc;
}

int awc_mod_period_when(const awc_call *c, const char *period, const char *what, int ended)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    int allow = c->size >= offsetof(awc_call, flags) + sizeof(c->flags) &&
                (c->flags & AWC_CALL_ALLOW_OPEN);

    gmtime_r(&t, &tm);
    snprintf(now, sizeof(now), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    if (allow || strcmp(period, now) < 0 || (!ended && strcmp(period, now) == 0))
        return 0;
    if (strcmp(period, now) > 0)
        return awc_error_set(AWC_EUSAGE, "%s: period %s has not begun (it is %s, UTC); "
                             "--allow-open if you mean it", what, period, now);
    return awc_error_set(AWC_EUSAGE, "%s: period %s has not ended: AWS adds credits to a "
                         "month until it closes its bill; --allow-open if you mean it",
                         what, period);
}

int awc_mod_period_open(awc_module *m, awc_store *st, const char *period, const char *what)
{
    char by[AWC_CODE_MAX + 1], at[32];
    int closed = 0, rc;

    (void)m;
    if ((rc = st->ops->period_get(st, period, &closed, by, sizeof(by), at, sizeof(at))) != 0)
        return rc;
    if (closed)
        return awc_error_set(AWC_EREADONLY, "%s: period %s was closed by %s at %.19s UTC; "
                             "nothing more is assigned or invoiced in it", what, period, by, at);
    return 0;
}

static int mod_open(awc_module **out, const awc_host_api *host, char *errbuf, size_t errbuf_size)
{
    awc_module *m;
    int rc;

    awc_error_clear();
    if (!host || host->size < offsetof(awc_host_api, secret_get) ||
        host->abi_major != AWC_ABI_MAJOR || !host->config_get) {
        awc_error_set(AWC_EABI, "host API is incompatible with module ABI %d.%d",
                      AWC_ABI_MAJOR, AWC_ABI_MINOR);
        awc_error_copy(AWC_EABI, errbuf, errbuf_size);
        return AWC_EABI;
    }
    pthread_once(&library_once, library_init);
    m = calloc(1, sizeof(*m)); /* before the host allocator is installed */
    if (!m) {
        awc_error_copy(AWC_ENOMEM, errbuf, errbuf_size);
        return AWC_ENOMEM;
    }
    memcpy(&m->host, host, host->size < sizeof(m->host) ? host->size : sizeof(m->host));
    m->host.size = sizeof(m->host);
    if ((rc = awc_config_load(&m->cfg, &m->host)) != 0) {
        awc_error_copy(rc, errbuf, errbuf_size);
        free(m);
        return rc;
    }
    if (awc_alloc_acquire(m->host.ctx, m->host.malloc, m->host.realloc, m->host.free) != 0) {
        awc_error_set(AWC_ECONFIG, "the module is open already with another allocator: every "
                      "instance open at once must use the same one");
        awc_error_copy(AWC_ECONFIG, errbuf, errbuf_size);
        free(m);
        return AWC_ECONFIG;
    }
    *out = m;
    return 0;
}

static void mod_close(awc_module *m)
{
    if (!m)
        return;
    if (m->store)
        m->store->ops->close(m->store);
    awc_alloc_release();
    free(m);
}

static const awc_module_desc descriptor = {
    .size = sizeof(awc_module_desc),
    .abi_major = AWC_ABI_MAJOR,
    .abi_minor = AWC_ABI_MINOR,
    .name = "awscredit",
    .module_version = AWC_VERSION,
    .config_keys = awc_config_keys,
    .operations = operations,
    .open = mod_open,
    .close = mod_close,
    .strerror = awc_strerror,
    .version = awc_op_version,
    .migrate = awc_op_migrate,
    .show = awc_op_show,
    .pull = awc_op_pull,
    .edit = awc_op_edit,
    .unassign = awc_op_unassign,
    .accounts_import = awc_op_accounts_import,
    .list = awc_op_list,
    .export_csv = awc_op_export_csv,
    .invoice = awc_op_invoice,
    .reconcile = awc_op_reconcile,
    .close_period = awc_op_close_period,
    .run = awc_op_run,
    .assign = awc_op_assign,
    .explain = awc_op_explain,
    .rules_import = awc_op_rules_import,
    .rules_export = awc_op_rules_export,
    .rules_validate = awc_op_rules_validate,
    .balance = awc_op_balance,
    .expiring = awc_op_expiring,
    .exclude = awc_op_exclude,
    .include = awc_op_include,
    .currency_set = awc_op_currency_set,
    .user = awc_op_user,
    .auth = awc_op_auth,
    .periods = awc_op_periods,
    .grants_import = awc_op_grants_import,
    .grant_set = awc_op_grant_set,
    .hierarchy_import = awc_op_hierarchy_import,
    .balance_of = awc_op_balance_of,
    .expiring_of = awc_op_expiring_of,
    .reopen_period = awc_op_reopen_period,
};

__attribute__((visibility("default")))
const awc_module_desc *awscredit_module(void)
{
    return &descriptor;
}
