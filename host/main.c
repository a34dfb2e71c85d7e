/* main.c -- the `awscredit` command: parse the command line, load and check
 * the module, read the configuration, open the module, run one operation,
 * and exit with a sysexits status (docs/ABI.md).
 *
 * The order is chosen so that the cheapest refusal comes first: usage errors
 * before anything is loaded, module checks before the configuration is read
 * (the configuration's keys come from the module), and a missing operation
 * before the module is opened. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "awscredit.h"
#include "cli.h"
#include "host.h"
#include "inifile.h"
#include "loader.h"
#include "output.h"
#include "serve.h"

typedef struct host {
    host_request req;
    host_module mod;
    host_ini ini;
    host_term term;
    host_out out;
    awc_host_api api;
    awc_module *m;
    int epipe;                 /* standard output was closed by its reader */
} host;

/* ---- the host API the module calls back ----------------------------------------------- */

static const char *api_config_get(void *ctx, const char *section, const char *key)
{
    return host_ini_get(&((host *)ctx)->ini, section, key);
}

static const char *api_config_origin(void *ctx, const char *section, const char *key)
{
    return host_ini_origin(&((host *)ctx)->ini, section, key);
}

static void api_log(void *ctx, int level, const char *msg)
{
    host_term_log(&((host *)ctx)->term, level, msg);
}

static void api_progress(void *ctx, const char *task, uint64_t done, uint64_t total)
{
    host_term_progress(&((host *)ctx)->term, task, done, total);
}

static void api_init(host *h)
{
    memset(&h->api, 0, sizeof(h->api));
    h->api.size = sizeof(h->api);
    h->api.abi_major = AWC_ABI_MAJOR;
    h->api.abi_minor = AWC_ABI_MINOR;
    h->api.ctx = h;
    h->api.log = api_log;
    h->api.config_get = api_config_get;
    h->api.config_origin = api_config_origin;
    h->api.progress = api_progress;
    /* malloc/realloc/free: the module's own (libc); secret_get: getenv. */
}

/* ---- reporting ------------------------------------------------------------------------- */

/* "awscredit: <module's message>" and the status for code. */
static int report(host *h, int code, char *errbuf, size_t n)
{
    const awc_module_desc *d = h->mod.desc;
    const char *msg = errbuf;

    errbuf[n - 1] = '\0';      /* whatever the module did to it */
    if (!msg[0])
        msg = d && d->strerror && d->strerror(code) ? d->strerror(code) : "failed";
    host_term_error(&h->term, "%s", msg);
    return host_exit_code(code);
}

/* The host's part of `version` (text only): this program, and the manifest
 * the module came from.  The module's version operation prints the module
 * and its libraries; when it has none, the host names the module. */
static int print_versions(host *h)
{
    const awc_module_desc *d = h->mod.desc;
    char line[1024];
    int n;

    n = snprintf(line, sizeof(line), "host       awscredit %s (ABI %d.%d)\nmanifest   %s\n",
                 HOST_VERSION, AWC_ABI_MAJOR, AWC_ABI_MINOR, h->mod.mf.path);
    if (n >= 0 && (size_t)n < sizeof(line) && !host_op_present(d, HOST_OP_VERSION))
        snprintf(line + n, sizeof(line) - (size_t)n, "module     %s %s (ABI %u.%u)\n", d->name,
                 d->module_version, (unsigned)d->abi_major, (unsigned)d->abi_minor);
    return host_out_write(&h->out, line, strlen(line)) ? AWC_EIO : 0;
}

/* The width of the terminal standard output goes to; 0 when it is not one
 * (a pipe or a file: the module then cuts nothing to fit). */
static unsigned terminal_width(void)
{
    struct winsize ws;
    const char *cols;

    if (!isatty(STDOUT_FILENO))
        return 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    cols = getenv("COLUMNS");
    if (cols) {
        char *end;
        long n;
        errno = 0;
        n = strtol(cols, &end, 10);
        if (errno == 0 && end != cols && *end == '\0' && n > 0 && n <= 10000)
            return (unsigned)n;
    }
    return 80;
}

/* ---- edit of several credits ------------------------------------------------------- */

#define IDS_LINE_MAX 256

/* One edit per credit ID -- those given, then FILE's lines (blank lines and
 * lines starting with '#' skipped) -- each in a unit of its own.  A refusal
 * is reported with its ID and the others go on; the status is that of the
 * first refusal.  A summary goes to standard error. */
static int edit_each(host *h, const awc_module_desc *d, awc_call *call, char *errbuf,
                     size_t errsz, int *status)
{
    awc_edit_args a = h->req.edit;
    char line[IDS_LINE_MAX + 2];
    FILE *f = NULL;
    int done = 0, refused = 0, i = 0, rc, lineno = 0;

    *status = EX_OK;
    if (h->req.ids_from) {
        f = strcmp(h->req.ids_from, "-") == 0 ? stdin : fopen(h->req.ids_from, "r");
        if (!f) {
            host_term_error(&h->term, "edit: --ids-from %s: cannot open it", h->req.ids_from);
            *status = EX_NOINPUT;
            return 0;
        }
    }
    for (;;) {
        const char *id;
        if (i < h->req.nids) {
            id = h->req.ids[i++];
        } else if (f && fgets(line, sizeof(line), f)) {
            size_t n = strlen(line);
            lineno++;
            if (n && line[n - 1] != '\n' && !feof(f)) {
                host_term_error(&h->term, "edit: %s:%d: longer than %d bytes; skipped",
                                h->req.ids_from, lineno, IDS_LINE_MAX);
                for (int ch; (ch = fgetc(f)) != EOF && ch != '\n';)
                    ;
                refused++;
                if (*status == EX_OK)
                    *status = EX_DATAERR;
                continue;
            }
            while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
                line[--n] = '\0';
            id = line;
            while (*id == ' ' || *id == '\t')
                id++;
            if (!*id || *id == '#')
                continue;
        } else {
            break;
        }
        a.credit_id = id;
        errbuf[0] = '\0';
        rc = d->edit(h->m, call, &a);
        if (rc == 0) {
            done++;
            continue;
        }
        refused++;
        errbuf[errsz - 1] = '\0';
        host_term_error(&h->term, "%s: %s", id, errbuf[0] ? errbuf : d->strerror(rc));
        if (*status == EX_OK)
            *status = host_exit_code(rc);
    }
    if (f && f != stdin)
        fclose(f);
    host_term_error(&h->term, "edit: %d credit%s changed, %d refused", done, done == 1 ? "" : "s",
                    refused);
    return 0;
}

/* ---- one run ----------------------------------------------------------------------------- */

#define PASSWORD_READ_MAX 4096

/* The first line of standard input (without its line end) into buf, for
 * --password-stdin.  0, or -1 when there is none or it does not fit. */
static int read_password(char *buf, size_t n)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0, ok;
    size_t len;

    /* no copy in stdio's buffer, and no echo on a terminal */
    setvbuf(stdin, NULL, _IONBF, 0);
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fputs("password: ", stderr);
    }
    ok = fgets(buf, (int)n, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!ok)
        return -1;
    len = strlen(buf);
    if (len == n - 1 && buf[len - 1] != '\n')
        return -1;                 /* longer than the buffer: not cut silently */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    return 0;
}

static int run(host *h)
{
    char err[HOST_ERR_MAX], errbuf[HOST_ERR_MAX], oerr[HOST_ERR_MAX], dir[PATH_MAX], name[64];
    const awc_module_desc *d;
    host_op op = host_cli_op(&h->req);
    int text_version = op == HOST_OP_VERSION && !h->req.json;
    awc_call call;
    int rc, orc;

    err[0] = '\0';
    rc = host_module_dir(dir, sizeof(dir), h->req.module_dir, err, sizeof(err));
    if (!rc)
        rc = host_module_load(&h->mod, dir, err, sizeof(err));
    if (rc) {
        host_term_error(&h->term, "%s", err);
        return host_exit_code(rc);
    }
    d = h->mod.desc;
    if (!host_cli_present(&h->req, d) && !text_version) {
        host_term_error(&h->term, "this module does not provide '%s'",
                        host_cli_name(&h->req, name, sizeof(name)));
        return EX_UNAVAILABLE;
    }
    rc = host_ini_load(&h->ini, h->req.config_path, d->config_keys, err, sizeof(err));
    if (rc) {
        host_term_error(&h->term, "%s", err);
        return host_exit_code(rc);
    }

    api_init(h);
    err[0] = '\0';
    h->m = NULL;
    rc = d->open(&h->m, &h->api, err, sizeof(err));
    if (rc) {
        h->m = NULL;           /* a failed open holds nothing */
        return report(h, rc, err, sizeof(err));
    }

    rc = host_out_open(&h->out, h->req.output, err, sizeof(err));
    if (rc) {
        host_term_error(&h->term, "%s", err);
        return host_exit_code(rc);
    }
    h->out.term = &h->term;
    memset(&call, 0, sizeof(call));
    call.size = sizeof(call);
    call.actor = &h->req.actor;
    call.format = h->req.json ? AWC_FORMAT_JSON : AWC_FORMAT_TEXT;
    call.write = host_out_write;
    call.write_ctx = &h->out;
    call.errbuf = errbuf;
    call.errbuf_size = sizeof(errbuf);
    call.width = terminal_width();
    call.flags = h->req.allow_open ? AWC_CALL_ALLOW_OPEN : 0;
    errbuf[0] = '\0';

    if (op == HOST_OP_AUTH) {
        /* serve: runs until a signal; its own errors are one line */
        host_out_finish(&h->out, 1, oerr, sizeof(oerr));
        err[0] = '\0';
        rc = host_serve(d, &h->api, &h->ini, h->req.listen, &h->term, err, sizeof(err));
        if (rc)
            host_term_error(&h->term, "serve: %s", err);
        return host_exit_code(rc);
    }
    if (op == HOST_OP_EDIT && (h->req.nids > 1 || h->req.ids_from)) {
        int status;
        edit_each(h, d, &call, errbuf, sizeof(errbuf), &status);
        host_term_clear(&h->term);
        if (host_out_finish(&h->out, 1, oerr, sizeof(oerr)) != 0 && !h->out.epipe) {
            host_term_error(&h->term, "%s", oerr);
            return EX_IOERR;
        }
        return status;
    }
    if (text_version)
        rc = print_versions(h);
    if (!rc && h->req.password_stdin) {
        static char password[PASSWORD_READ_MAX];
        if (read_password(password, sizeof(password)) != 0) {
            explicit_bzero(password, sizeof(password));
            host_term_error(&h->term, "--password-stdin: no password on standard input, or "
                            "one longer than %d bytes", PASSWORD_READ_MAX - 2);
            host_out_finish(&h->out, 0, oerr, sizeof(oerr));
            return EX_USAGE;
        }
        h->req.user.password = password;
        rc = host_cli_call(&h->req, d, h->m, &call);
        explicit_bzero(password, sizeof(password));
        h->req.user.password = NULL;
    } else if (!rc && host_cli_present(&h->req, d)) {
        rc = host_cli_call(&h->req, d, h->m, &call);
    }
    host_term_clear(&h->term);

    oerr[0] = '\0';
    if (h->out.epipe) {
        /* the reader went away (list | head): what it wanted it has; the
         * rest is not an error (the module stopped at the failed write) */
        host_out_finish(&h->out, 0, oerr, sizeof(oerr));
        h->epipe = 1;
        return EX_OK;
    }
    orc = host_out_finish(&h->out, rc == 0, oerr, sizeof(oerr));
    if (orc) {
        host_term_error(&h->term, "%s", oerr);
        return host_exit_code(orc);
    }
    if (rc)
        return report(h, rc, errbuf, sizeof(errbuf));
    if (h->req.fail_if_any && h->req.listed > 0)
        return 1;              /* expiring --fail-if-any: the list is not empty */
    return EX_OK;
}

int main(int argc, char **argv)
{
    static host h;
    int status;

    if (host_cli_parse(&h.req, argc, argv, &status) == HOST_CLI_EXIT)
        return status;
    host_term_init(&h.term, h.req.verbose);
    status = run(&h);

    if (h.out.f) {             /* an early return left the output open */
        char ignored[HOST_ERR_MAX];
        host_out_finish(&h.out, 0, ignored, sizeof(ignored));
    }
    if (h.m)
        h.mod.desc->close(h.m);
    host_ini_free(&h.ini);     /* config strings live until close() */
    host_module_unload(&h.mod);
    if (fflush(stdout) != 0 && status == EX_OK && !h.epipe) {
        host_term_error(NULL, "cannot write standard output");
        status = EX_IOERR;
    }
    return status;
}
