/*
 * http_body.h -- an HTTP answer's body gathered in memory, up to a bound,
 * for the adapters that talk to a billing platform through libcurl
 * (invoicing_xmlrpc.c, invoicing_connect.c).
 */
#ifndef AWC_HTTP_BODY_H
#define AWC_HTTP_BODY_H

#include <stddef.h>

typedef struct awc_http_body {
    char *p;                       /* NUL-terminated; awc_malloc'd, the caller frees */
    size_t len, cap;
    size_t max;                    /* bytes kept at most */
    int toobig;                    /* more than max came: the transfer was stopped */
    int oom;                       /* out of memory: the transfer was stopped */
} awc_http_body;

/* CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA an awc_http_body: appends,
 * or returns 0 (curl stops) with toobig or oom set. */
size_t awc_http_body_write(char *data, size_t size, size_t nmemb, void *arg);

#endif
