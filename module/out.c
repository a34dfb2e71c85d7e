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

/* Bytes of the UTF-8 sequence starting at s[0..len), or 0 when it is not
 * one (bad lead byte, missing or bad continuation, overlong, surrogate or
 * past U+10FFFF). */
static size_t u8seq(const unsigned char *s, size_t len)
{
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
             : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;

    if (n == 0 || n > len)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

/* s[0..len) escaped into dst[0..cap) (NUL-terminated); keep says which of
 * '\n' and '\t' pass as they are.  Returns the length written. */
static size_t escape(char *dst, size_t cap, const char *s, size_t len, int keep_ws)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t at = 0;

    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len;) {
        size_t n = u8seq(u + i, len - i);
        char esc[8];
        const char *piece = s + i;
        size_t plen = n;

        if (n == 0) {
            snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
            piece = esc, plen = 4, n = 1;
        } else if (n == 1 && (u[i] < 0x20 || u[i] == 0x7f) &&
                   !(keep_ws && (u[i] == '\n' || u[i] == '\t'))) {
            if (u[i] == '\n' || u[i] == '\t')
                snprintf(esc, sizeof(esc), "\\%c", u[i] == '\n' ? 'n' : 't');
            else
                snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
            piece = esc, plen = strlen(esc);
        } else if (n == 2 && u[i] == 0xC2 && u[i + 1] <= 0x9F) {
            snprintf(esc, sizeof(esc), "\\u%04x", u[i + 1]);
            piece = esc, plen = 6;
        }
        if (at + plen >= cap)
            break;
        memcpy(dst + at, piece, plen);
        at += plen;
        i += n;
    }
    dst[at] = '\0';
    return at;
}

int awc_out_cut(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    if (n <= max)
        return (int)n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;                       /* s[n] continues a character: cut before it */
    return (int)n;
}

char *awc_out_field(char *dst, size_t n, const char *s)
{
    escape(dst, n, s ? s : "", s ? strlen(s) : 0, 0);
    return dst;
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
    {
        /* an escape is at most 6 bytes for 1 or 2 of the text */
        size_t cap = (size_t)n * 6 + 1;
        char esmall[2048], *e = cap <= sizeof(esmall) ? esmall : awc_malloc(cap);
        if (!e) {
            if (buf != small)
                awc_free(buf);
            return awc_error_set(AWC_ENOMEM, "output: out of memory");
        }
        rc = awc_out_write(c, e, escape(e, cap, buf, (size_t)n, 1));
        if (e != esmall)
            awc_free(e);
    }
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

int awc_out_json_item(const awc_call *c, const json_t *v)
{
    if (json_dump_callback(v, dump_cb, (void *)c, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) != 0)
        return awc_error_set(AWC_EIO, "output: writing JSON failed");
    return 0;
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
