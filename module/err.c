/* err.c -- error codes' text and the thread-local one-line message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "awc.h"

static _Thread_local char errmsg[AWC_ERRMSG_MAX];

const char *awc_strerror(int code)
{
    switch ((awc_err)code) {
    case AWC_OK: return "success";
    case AWC_ERROR: return "internal error";
    case AWC_ENOMEM: return "out of memory";
    case AWC_EBADINPUT: return "bad input";
    case AWC_ENOTFOUND: return "not found";
    case AWC_ECONFLICT: return "conflict: changed by someone else";
    case AWC_EINVALID_TRANSITION: return "transition not allowed";
    case AWC_EREADONLY: return "read-only in this state";
    case AWC_EDB: return "database error";
    case AWC_ECONFIG: return "configuration error";
    case AWC_EOVERFLOW: return "arithmetic overflow";
    case AWC_EIO: return "I/O error";
    case AWC_EPERM: return "permission denied";
    case AWC_ENOTSUP: return "not supported";
    case AWC_ELOCKED: return "locked";
    case AWC_ENET: return "remote service error";
    case AWC_ETIMEOUT: return "timed out";
    case AWC_EABI: return "ABI mismatch";
    case AWC_EUSAGE: return "bad arguments";
    case AWC_EAUTH: return "not signed in";
    case AWC_ETHROTTLED: return "too many failed sign-ins";
    }
    return "unknown error";
}

/* Keep the message on one line: control characters become spaces. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

/* Where the authority of a URL that starts at p (just after "://") ends:
 * at '/', '?', '#', a blank, a quote, a bracket or the end. */
static size_t authority_len(const char *p)
{
    return strcspn(p, "/?#'\"<>()[] \t\r\n");
}

void awc_redact_userinfo(char *s, int cut)
{
    char *p = s;

    while ((p = strstr(p, "://")) != NULL) {
        size_t n, u = 0;
        p += 3;
        n = authority_len(p);
        for (size_t i = 0; i < n; i++)
            if (p[i] == '@')
                u = i + 1;                     /* the last '@' ends the userinfo */
        if (u == 0 && cut && p[n] == '\0' && memchr(p, ':', n))
            u = n;                             /* cut before its '@': hide what is left */
        if (u > 0 && !(u == 4 && strncmp(p, "***@", 4) == 0)) {
            size_t keep = u < n ? 1 : 0;       /* the '@' stays, to show where it was */
            memmove(p + 3 + keep, p + u, strlen(p + u) + 1);
            memcpy(p, "***", 3);
            if (keep)
                p[3] = '@';
            n = authority_len(p);
        }
        p += n;
    }
}

int awc_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
    va_end(ap);
    one_line(errmsg);
    awc_redact_userinfo(errmsg, n >= (int)sizeof(errmsg));
    return code;
}

int awc_error_prefix(int code, const char *fmt, ...)
{
    char old[AWC_ERRMSG_MAX], pre[AWC_ERRMSG_MAX], both[2 * AWC_ERRMSG_MAX + 4];
    va_list ap;

    memcpy(old, errmsg, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    snprintf(both, sizeof(both), "%s: %s", pre, old[0] ? old : awc_strerror(code));
    snprintf(errmsg, sizeof(errmsg), "%.*s", (int)sizeof(errmsg) - 1, both);
    one_line(errmsg);
    awc_redact_userinfo(errmsg, strlen(both) >= sizeof(errmsg));
    return code;
}

int awc_error_busy(int code, const char *again)
{
    char old[AWC_ERRMSG_MAX];

    if (code != AWC_ECONFLICT)
        return code;
    memcpy(old, errmsg, sizeof(old));
    return awc_error_set(AWC_ELOCKED, "%s (another process changed it meanwhile); %s",
                         old[0] ? old : "changed by someone else", again);
}

const char *awc_error_last(void)
{
    return errmsg;
}

void awc_error_clear(void)
{
    errmsg[0] = '\0';
}

void awc_error_copy(int code, char *buf, size_t n)
{
    if (!buf || n == 0)
        return;
    snprintf(buf, n, "%s", errmsg[0] ? errmsg : awc_strerror(code));
}
