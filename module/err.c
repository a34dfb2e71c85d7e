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

int awc_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
    va_end(ap);
    one_line(errmsg);
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
    return code;
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
