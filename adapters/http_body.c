/* http_body.c -- an HTTP answer's body gathered in memory, up to a bound. */
#include <string.h>

#include "awc.h"
#include "http_body.h"

size_t awc_http_body_write(char *data, size_t size, size_t nmemb, void *arg)
{
    awc_http_body *b = arg;
    size_t n = size * nmemb;

    if (n > b->max - b->len) {
        b->toobig = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(p = awc_realloc(b->p, cap))) {
            b->oom = 1;
            return 0;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}
