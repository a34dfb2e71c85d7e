/* output.c -- the module's output, messages and progress bars, exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "awscredit.h"
#include "output.h"

#define BAR_WIDTH 30
#define REDRAW_NS 100000000L   /* redraw an unknown-total counter at most every 0.1 s */

/* ---- output -------------------------------------------------------------------- */

int host_out_open(host_out *o, const char *path, char *err, size_t errsz)
{
    size_t n;
    int fd;

    memset(o, 0, sizeof(*o));
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        o->tty = isatty(STDOUT_FILENO);
        return 0;
    }
    n = strlen(path) + 32;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) {
        snprintf(err, errsz, "out of memory");
        return AWC_ENOMEM;
    }
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        snprintf(err, errsz, "cannot write %s: %s", o->tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        return AWC_EIO;
    }
    return 0;
}

/* A C1 control character (U+0080..U+009F) as UTF-8 starts at s[0..n). */
static int c1_at(const unsigned char *s, size_t n)
{
    return n >= 2 && s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F;
}

/* buf for a terminal: what the module wrote as data (a CSV export, JSON,
 * a rules file) may hold ESC, BEL, a lone CR or a C1 CSI that would move
 * the cursor, retitle or clear the terminal, so each is written as an
 * escape (\x1b, \u009b); newlines, tabs and CRLF pass.  A file or a pipe
 * gets the bytes as they are. */
static int write_tty(host_out *o, const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;

    for (size_t i = 0; i < len; i++) {
        int ok;
        if (o->cr) {           /* a CR is shown as it is only before LF */
            o->cr = 0;
            ok = s[i] == '\n' ? fputc('\r', o->f) != EOF : fputs("\\x0d", o->f) != EOF;
            if (!ok)
                return -1;
        }
        if (s[i] == '\r') {
            o->cr = 1;
            continue;
        }
        if (c1_at(s + i, len - i)) {
            ok = fprintf(o->f, "\\u%04x", s[i + 1]) > 0;
            i++;
        } else if ((s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') || s[i] == 0x7f) {
            ok = fprintf(o->f, "\\x%02x", s[i]) > 0;
        } else {
            ok = fputc(s[i], o->f) != EOF;
        }
        if (!ok)
            return -1;
    }
    return 0;
}

int host_out_write(void *ctx, const char *buf, size_t len)
{
    host_out *o = ctx;
    if (o->err)
        return -1;
    if (o->term)
        host_term_clear(o->term);
    if (len && (o->tty ? write_tty(o, buf, len) != 0 : fwrite(buf, 1, len, o->f) != len)) {
        o->err = errno ? errno : EIO;
        o->epipe = !o->path && o->err == EPIPE;
        return -1;
    }
    /* standard output is flushed at each line the module ends, so a long
     * run shows its steps as they finish, even into a pipe or a log */
    if (!o->path && len && buf[len - 1] == '\n' && fflush(o->f) != 0) {
        o->err = errno ? errno : EIO;
        o->epipe = o->err == EPIPE;
        return -1;
    }
    return 0;
}

int host_out_finish(host_out *o, int ok, char *err, size_t errsz)
{
    const char *name = o->path ? o->path : "standard output";
    int rc = 0;

    if (!o->f)
        goto out;
    if (o->cr && !o->err && fputs("\\x0d", o->f) == EOF)
        o->err = errno ? errno : EIO;
    if (fflush(o->f) != 0 && !o->err) {
        o->err = errno ? errno : EIO;
        o->epipe = !o->path && o->err == EPIPE;
    }
    if (o->path) {
        if (ok && !o->err && fsync(fileno(o->f)) != 0)
            o->err = errno;
        if (fclose(o->f) != 0 && !o->err)
            o->err = errno ? errno : EIO;
        if (ok && !o->err && rename(o->tmp, o->path) != 0)
            o->err = errno;
        if (!ok || o->err)
            unlink(o->tmp);
    }
    if (o->err && !o->epipe) {
        snprintf(err, errsz, "cannot write %s: %s", name, strerror(o->err));
        rc = AWC_EIO;
    }
out:
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof(*o));
    return rc;
}

/* ---- terminal ------------------------------------------------------------------ */

void host_term_init(host_term *t, int verbose)
{
    memset(t, 0, sizeof(*t));
    t->verbose = verbose;
    t->tty = isatty(STDERR_FILENO);
    t->last_pct = -1;
}

void host_term_clear(host_term *t)
{
    if (t->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        t->drawn = 0;
    }
}

/* Print text on one line: control characters (C0, DEL and C1) become
 * spaces. */
static void put_line(const char *prefix, const char *msg)
{
    const unsigned char *s = (const unsigned char *)msg;
    size_t n = strlen(msg);

    fputs("awscredit: ", stderr);
    fputs(prefix, stderr);
    for (size_t i = 0; i < n; i++) {
        if (c1_at(s + i, n - i)) {
            fputc(' ', stderr);
            i++;
        } else {
            fputc(s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], stderr);
        }
    }
    fputc('\n', stderr);
}

void host_term_error(host_term *t, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t)
        host_term_clear(t);
    put_line("", msg);
}

void host_term_log(host_term *t, int level, const char *msg)
{
    const char *prefix;
    switch (level) {
    case AWC_LOG_ERROR: prefix = "error: "; break;
    case AWC_LOG_WARN: prefix = "warning: "; break;
    case AWC_LOG_INFO: prefix = ""; break;
    default: prefix = "debug: "; break;
    }
    if (level >= AWC_LOG_INFO && t->verbose < level - AWC_LOG_WARN)
        return;
    host_term_clear(t);
    put_line(prefix, msg ? msg : "");
}

static long elapsed_ns(const struct timespec *a, const struct timespec *b)
{
    return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

void host_term_progress(host_term *t, const char *task, uint64_t done, uint64_t total)
{
    char name[sizeof(t->task)];
    struct timespec now;
    size_t i;
    int pct = -1, same;

    if (!t->tty)
        return;
    for (i = 0; task && task[i] && i < sizeof(name) - 1; i++)
        name[i] = (unsigned char)task[i] < 0x20 || task[i] == 0x7f ? ' ' : task[i];
    name[i] = '\0';
    if (total) {
        if (done > total)
            done = total;
        pct = (int)((unsigned __int128)done * 100 / total);
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    same = t->drawn && strcmp(name, t->task) == 0;
    if (same && total && pct == t->last_pct)
        return;
    if (same && !total && elapsed_ns(&t->last, &now) < REDRAW_NS)
        return;
    memcpy(t->task, name, sizeof(name));
    t->last_pct = pct;
    t->last = now;

    if (total) {
        char bar[BAR_WIDTH + 1];
        int fill = pct * BAR_WIDTH / 100;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
        bar[BAR_WIDTH] = '\0';
        fprintf(stderr, "\r\033[K%s [%s] %3d%% %llu/%llu", name, bar, pct,
                (unsigned long long)done, (unsigned long long)total);
    } else {
        fprintf(stderr, "\r\033[K%s %llu", name, (unsigned long long)done);
    }
    fflush(stderr);
    t->drawn = 1;
}

/* ---- exit status ---------------------------------------------------------------- */

int host_exit_code(int code)
{
    switch ((awc_err)code) {
    case AWC_OK: return EX_OK;
    case AWC_ERROR: return EX_SOFTWARE;
    case AWC_ENOMEM: return EX_OSERR;
    case AWC_EBADINPUT: return EX_DATAERR;
    case AWC_ENOTFOUND: return EX_NOINPUT;
    case AWC_ECONFLICT: return EX_DATAERR;    /* stale: re-read, then decide */
    case AWC_EINVALID_TRANSITION: return EX_DATAERR;
    case AWC_EREADONLY: return EX_DATAERR;
    case AWC_EDB: return EX_UNAVAILABLE;
    case AWC_ECONFIG: return EX_CONFIG;
    case AWC_EOVERFLOW: return EX_DATAERR;
    case AWC_EIO: return EX_IOERR;
    case AWC_EPERM: return EX_NOPERM;
    case AWC_ENOTSUP: return EX_UNAVAILABLE;
    case AWC_ELOCKED: return EX_TEMPFAIL;
    case AWC_ENET: return EX_UNAVAILABLE;
    case AWC_ETIMEOUT: return EX_TEMPFAIL;
    case AWC_EABI: return EX_CONFIG;
    case AWC_EUSAGE: return EX_USAGE;
    case AWC_EAUTH: return EX_NOPERM;
    case AWC_ETHROTTLED: return EX_TEMPFAIL;
    }
    return EX_SOFTWARE;        /* a code this host does not know */
}
