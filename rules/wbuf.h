/*
 * wbuf.h -- a small output buffer for the rules exporters: text collects in
 * 8 KiB and goes to the caller's awc_rules_write_fn in pieces.  A failed
 * write is remembered (failed) and later output dropped, so an exporter
 * checks once at the end.
 */
#ifndef AWC_WBUF_H
#define AWC_WBUF_H

#include <stddef.h>

#include "rule.h"

typedef struct awc_wbuf {
    awc_rules_write_fn fn;
    void *ctx;
    int failed;
    size_t len;
    char buf[8192];
} awc_wbuf;

void awc_wbuf_flush(awc_wbuf *w);
void awc_wbuf_put(awc_wbuf *w, const char *s, size_t n);
void awc_wbuf_str(awc_wbuf *w, const char *s);

#endif
