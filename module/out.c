/* out.c -- operation output through the host's write callback. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "out.h"

int awc_out_write(const awc_call *c, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (!c->write || c->write(c->write_ctx, s, n) != 0)
        return awc_error_set(AWC_EIO, "output: write failed");
    return 0;
}

int awc_out_printf(const awc_call *c, const char *fmt, ...)
{
    char small[1024], *buf = small;
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return awc_error_set(AWC_ERROR, "output: format error");
    if ((size_t)n >= sizeof(small)) {
        buf = awc_malloc((size_t)n + 1);
        if (!buf)
            return awc_error_set(AWC_ENOMEM, "output: out of memory");
        va_start(ap, fmt);
        vsnprintf(buf, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    rc = awc_out_write(c, buf, (size_t)n);
    if (buf != small)
        awc_free(buf);
    return rc;
}

static int dump_cb(const char *buf, size_t size, void *data)
{
    return awc_out_write(data, buf, size) == 0 ? 0 : -1;
}

int awc_out_json(const awc_call *c, const json_t *doc)
{
    if (json_dump_callback(doc, dump_cb, (void *)c, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
        return awc_error_set(AWC_EIO, "output: writing JSON failed");
    return awc_out_write(c, "\n", 1);
}

int awc_json_set(json_t *obj, const char *key, json_t *value)
{
    if (!obj || !value) {
        json_decref(value);
        return -1;
    }
    return json_object_set_new(obj, key, value);
}

json_t *awc_json_str_or_null(const char *s)
{
    return (s && *s) ? json_string(s) : json_null();
}
