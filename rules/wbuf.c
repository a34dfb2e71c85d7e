/* wbuf.c -- the rules exporters' output buffer. */
#include <string.h>

#include "wbuf.h"

void awc_wbuf_flush(awc_wbuf *w)
{
    if (!w->failed && w->len > 0 && w->fn(w->ctx, w->buf, w->len) != 0)
        w->failed = 1;
    w->len = 0;
}

void awc_wbuf_put(awc_wbuf *w, const char *s, size_t n)
{
    while (n > 0) {
        size_t room = sizeof(w->buf) - w->len, k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->len += k, s += k, n -= k;
        if (w->len == sizeof(w->buf))
            awc_wbuf_flush(w);
    }
}

void awc_wbuf_str(awc_wbuf *w, const char *s)
{
    awc_wbuf_put(w, s, strlen(s));
}
