/*
 * serve.h -- `awscredit serve`: the web console and HTTP API (SPEC 15,
 * docs/WEB.md, docs/openapi.json).
 *
 * The server is a host like the command line: every request is answered
 * by calling the module's operations through the ABI, as the signed-in
 * user.  It holds no business logic: who may do what, the money rule,
 * scopes and versions are the module's; the server maps HTTP to calls and
 * awc_err codes to statuses.
 *
 * Threads.  libmicrohttpd runs a pool of web.threads threads, each
 * answering many connections without blocking on a slow client.  Each
 * thread opens a module instance of its own (its own database connection)
 * the first time it needs one.  A CSV download runs the export on a thread
 * of its own writing into a pipe the response reads from, so memory stays
 * flat; a long operation (assign, invoice, reconcile, close) is a job on a
 * thread of its own, polled at /api/v1/jobs/{id}.
 *
 * Parts: serve.c (daemon, requests, sign-in, static files), serve_api.c
 * (the routes), serve_jobs.c (jobs).
 */
#ifndef HOST_SERVE_H
#define HOST_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "awscredit.h"
#include "inifile.h"
#include "output.h"

#define SERVE_BODY_MAX (1024 * 1024)   /* request bodies above: 413 */

typedef struct serve serve;

/* A byte buffer that grows, up to a cap. */
typedef struct sbuf {
    char *p;
    size_t n, cap, max;
    int over;                  /* something was cut at max */
} sbuf;

int sbuf_put(void *ctx, const char *buf, size_t len);   /* awc_call.write */
void sbuf_free(sbuf *b);

/* One request in progress. */
typedef struct sreq {
    serve *srv;
    struct MHD_Connection *conn;
    const char *method, *url;
    sbuf body;
    int too_big;
    /* who: filled by serve_auth() */
    int signed_in, by_cookie;
    awc_actor actor;
    awc_auth_result who;
    char session[48];
} sreq;

/* What a route handler returns: a status and a response, or an error. */
typedef struct sresp {
    unsigned status;
    struct MHD_Response *r;
} sresp;

/* A module instance for the calling thread (opened on first use), or NULL
 * with the reason in err. */
awc_module *serve_module(serve *s, char *err, size_t n);
const awc_module_desc *serve_desc(const serve *s);
const awc_host_api *serve_api_of(serve *s);
int serve_secure(const serve *s);

/* Responses.  Every one carries the security headers; API ones no-store. */
sresp serve_json(unsigned status, json_t *doc);          /* steals doc */
sresp serve_text(unsigned status, const char *type, const char *body, size_t n);
sresp serve_problem(unsigned status, const char *slug, const char *title, const char *detail);
/* The status and problem for a module error code and its message. */
sresp serve_error(sreq *q, int code, const char *msg);
void serve_headers(struct MHD_Response *r, int api);

/* One module call as q's actor: output into out (JSON or text).  0, or the
 * awc_err with its message in err. */
int serve_call_setup(sreq *q, awc_call *c, sbuf *out, char *err, size_t n, int json);

/* Routes (serve_api.c): the answer to an /api/ request by a signed-in
 * user; NULL-status 0 when no route matches. */
sresp serve_route(sreq *q, const char *path);

/* The routes the API answers, for the OpenAPI check: "METHOD PATH" with
 * {parameters}, NULL-terminated. */
extern const char *const serve_routes[];

/* Jobs (serve_jobs.c). */
int serve_jobs_init(serve *s);
void serve_jobs_free(void);
/* Start op ("assign", "invoice", "reconcile", "close") for period as q's
 * actor: 202 with the job, or an error. */
sresp serve_job_start(sreq *q, const char *op, const char *period);
sresp serve_job_get(sreq *q, const char *id);

/* Run the server until SIGINT/SIGTERM.  Returns an awc_err. */
int host_serve(const awc_module_desc *d, const awc_host_api *api, const host_ini *ini,
               const char *listen, host_term *term, char *err, size_t errsz);

#endif /* HOST_SERVE_H */
