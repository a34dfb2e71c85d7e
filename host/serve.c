/* serve.c -- `awscredit serve`: the daemon, one request's life, sign-in and
 * the static files of the page (serve.h has the design). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "host.h"
#include "serve.h"

#define CONN_TIMEOUT_S 30          /* default web.client_timeout: a connection idle */
#define CONN_TIMEOUT_MAX 3600      /* this long is closed */
#define CONN_LIMIT 512
#define HEADER_MEMORY (32 * 1024)  /* request line and headers, per connection */
#define THREADS_DEFAULT 4
#define THREADS_MAX 64

struct serve {
    const awc_module_desc *d;
    const awc_host_api *api;
    const host_ini *ini;
    host_term *term;
    pthread_key_t key;
    char root[PATH_MAX];           /* the web root, resolved */
    int secure;                    /* cookies are Secure */
    const char *trusted_proxy;     /* web.trusted_proxy: its X-Forwarded-For names the client */
    pthread_mutex_t log_mu;
};

typedef struct tls_module {
    const awc_module_desc *d;
    awc_module *m;
} tls_module;

/* ---- buffers ------------------------------------------------------------------ */

int sbuf_put(void *ctx, const char *buf, size_t len)
{
    sbuf *b = ctx;

    if (b->max && len > b->max - b->n) {
        b->over = 1;
        return -1;
    }
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < b->n + len + 1)
            cap *= 2;
        if (!(p = realloc(b->p, cap)))
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, buf, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

void sbuf_free(sbuf *b)
{
    if (b->p)
        sodium_memzero(b->p, b->cap);  /* a body may hold a password */
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- module instances, one per thread ----------------------------------------------- */

static void tls_close(void *p)
{
    tls_module *t = p;

    if (t->m)
        t->d->close(t->m);
    free(t);
}

awc_module *serve_module(serve *s, char *err, size_t n)
{
    tls_module *t = pthread_getspecific(s->key);
    int rc;

    if (t)
        return t->m;
    if (!(t = calloc(1, sizeof(*t)))) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    t->d = s->d;
    err[0] = '\0';
    if ((rc = s->d->open(&t->m, s->api, err, n)) != 0) {
        if (!err[0])
            snprintf(err, n, "%s", s->d->strerror(rc));
        free(t);
        return NULL;
    }
    pthread_setspecific(s->key, t);
    return t->m;
}

const awc_module_desc *serve_desc(const serve *s)
{
    return s->d;
}

const awc_host_api *serve_api_of(serve *s)
{
    return s->api;
}

int serve_secure(const serve *s)
{
    return s->secure;
}

static void serve_log(serve *s, int level, const char *fmt, ...) HOST_PRINTF(3, 4);
static void serve_log(serve *s, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->log_mu);
    host_term_log(s->term, level, line);
    pthread_mutex_unlock(&s->log_mu);
}

/* ---- responses ------------------------------------------------------------------ */

void serve_headers(struct MHD_Response *r, int api)
{
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", api ? "no-store" : "no-cache");
}

sresp serve_text(unsigned status, const char *type, const char *body, size_t n)
{
    sresp out = {status, MHD_create_response_from_buffer(n, (void *)body,
                                                         MHD_RESPMEM_MUST_COPY)};
    if (out.r) {
        MHD_add_response_header(out.r, "Content-Type", type);
        serve_headers(out.r, 1);
    }
    return out;
}

sresp serve_json(unsigned status, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    sresp out;

    json_decref(doc);
    if (!text)
        return serve_text(500, "application/problem+json",
                          "{\"type\":\"urn:awscredit:internal\",\"title\":\"Internal error\","
                          "\"status\":500,\"detail\":\"out of memory\"}", 96);
    out = serve_text(status, "application/json", text, strlen(text));
    free(text);
    return out;
}

sresp serve_problem(unsigned status, const char *slug, const char *title, const char *detail)
{
    char type[96];
    json_t *doc = json_object(), *dv;
    char *text;
    sresp out;

    snprintf(type, sizeof(type), "urn:awscredit:%s", slug);
    json_object_set_new(doc, "type", json_string(type));
    json_object_set_new(doc, "title", json_string(title));
    json_object_set_new(doc, "status", json_integer(status));
    /* the module's messages are UTF-8 text; anything else is not shown */
    dv = json_string(detail && *detail ? detail : title);
    json_object_set_new(doc, "detail", dv ? dv : json_string(title));
    text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(doc);
    out = serve_text(status, "application/problem+json", text ? text : "{}",
                     text ? strlen(text) : 2);
    free(text);
    return out;
}

sresp serve_error(sreq *q, int code, const char *msg)
{
    switch (code) {
    case AWC_EAUTH: return serve_problem(401, "unauthorized", "Not signed in", msg);
    case AWC_EPERM: return serve_problem(403, "forbidden", "Forbidden", msg);
    case AWC_ENOTFOUND: return serve_problem(404, "not-found", "Not found", msg);
    case AWC_ECONFLICT: return serve_problem(412, "stale-version", "Changed meanwhile", msg);
    case AWC_EREADONLY:
    case AWC_EINVALID_TRANSITION:
        return serve_problem(409, "not-editable", "Not editable in its state", msg);
    case AWC_EBADINPUT:
    case AWC_EUSAGE:
    case AWC_EOVERFLOW: return serve_problem(422, "invalid", "Invalid request", msg);
    case AWC_ELOCKED: {
        sresp r = serve_problem(503, "busy", "Busy", msg);
        if (r.r)
            MHD_add_response_header(r.r, "Retry-After", "5");
        return r;
    }
    case AWC_ENOTSUP: return serve_problem(501, "not-supported", "Not supported", msg);
    default:
        /* database, network and internal failures: the detail goes to the
         * log, never to the client (it may name tables or hosts) */
        serve_log(q->srv, AWC_LOG_ERROR, "%s %s: %s", q->method, q->url, msg);
        return serve_problem(code == AWC_EDB || code == AWC_ENET || code == AWC_ETIMEOUT ? 503
                                                                                        : 500,
                             "internal", "The server could not answer",
                             "the server could not answer this request; its log says why");
    }
}

int serve_call_setup(sreq *q, awc_call *c, sbuf *out, char *err, size_t n, int json)
{
    memset(c, 0, sizeof(*c));
    c->size = sizeof(*c);
    c->actor = &q->actor;
    c->format = json ? AWC_FORMAT_JSON : AWC_FORMAT_TEXT;
    c->write = sbuf_put;
    c->write_ctx = out;
    c->errbuf = err;
    c->errbuf_size = n;
    err[0] = '\0';
    return 0;
}

/* ---- sign-in ------------------------------------------------------------------------ */

/* The client's address, for the sign-in throttle: the peer's, or, when
 * the peer is web.trusted_proxy, the last address of X-Forwarded-For (the
 * one that proxy added; whatever a client sent before it is not trusted). */
static void client_of(sreq *q, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const char *xff, *last;
    unsigned char bin[sizeof(struct in6_addr)];
    char addr[64];
    size_t len;

    snprintf(out, n, "unknown");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
    if (!q->srv->trusted_proxy || strcmp(out, q->srv->trusted_proxy) != 0 ||
        !(xff = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "X-Forwarded-For")))
        return;
    last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    len = strcspn(last, " ");
    if (len == 0 || len >= sizeof(addr))
        return;
    memcpy(addr, last, len);
    addr[len] = '\0';
    if (inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1)
        snprintf(out, n, "%s", addr);
}

static int auth_call(sreq *q, awc_auth_args *a, char *err, size_t n)
{
    awc_module *m = serve_module(q->srv, err, n);
    awc_call c;
    sbuf out = {0};
    int rc;

    if (!m)
        return AWC_EDB;
    a->size = sizeof(*a);
    memset(&q->who, 0, sizeof(q->who));
    q->who.size = sizeof(q->who);
    serve_call_setup(q, &c, &out, err, n, 1);
    rc = q->srv->d->auth(m, &c, a, &q->who);
    sbuf_free(&out);
    return rc;
}

static void actor_from_who(sreq *q)
{
    memset(&q->actor, 0, sizeof(q->actor));
    q->actor.size = sizeof(q->actor);
    q->actor.role = q->who.role;
    q->actor.id = q->who.user;
    q->actor.reseller_id = q->who.role == AWC_ROLE_RESELLER ? q->who.reseller_id : NULL;
    q->signed_in = 1;
}

/* Who sent q: a bearer token or the session cookie.  0, or an awc_err with
 * its message in err. */
static int serve_auth(sreq *q, char *err, size_t n)
{
    const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, "awc_session");
    awc_auth_args a = {0};
    int rc;

    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0) {
            snprintf(err, n, "Authorization: expected 'Bearer TOKEN'");
            return AWC_EAUTH;
        }
        a.action = "bearer";
        a.secret = h + 7;
    } else if (cookie) {
        a.action = "session";
        a.secret = cookie;
        snprintf(q->session, sizeof(q->session), "%s", strlen(cookie) < 48 ? cookie : "");
        q->by_cookie = 1;
    } else {
        snprintf(err, n, "sign in first (POST /api/v1/session), or send an API token as "
                 "'Authorization: Bearer TOKEN'");
        return AWC_EAUTH;
    }
    if ((rc = auth_call(q, &a, err, n)) == 0)
        actor_from_who(q);
    return rc;
}

static int csrf_ok(sreq *q)
{
    const char *t = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "X-CSRF-Token");
    size_t n = strlen(q->who.csrf);

    if (!q->by_cookie)
        return 1;                  /* a bearer token cannot be sent by a browser for us */
    return t && n && strlen(t) == n && sodium_memcmp(t, q->who.csrf, n) == 0;
}

static sresp with_cookie(sresp r, serve *s, const char *value, int clear)
{
    char c[160];

    if (!r.r)
        return r;
    snprintf(c, sizeof(c), "awc_session=%s; HttpOnly; SameSite=Strict; Path=/%s%s",
             value, clear ? "; Max-Age=0" : "", s->secure ? "; Secure" : "");
    MHD_add_response_header(r.r, "Set-Cookie", c);
    return r;
}

static json_t *who_json(const sreq *q, int with_csrf)
{
    char role[AWC_AUTH_NAME_MAX + 16];
    json_t *o = json_object();

    snprintf(role, sizeof(role), "%s%s",
             q->who.role == AWC_ROLE_DISTRIBUTOR ? "distributor"
             : q->who.role == AWC_ROLE_RESELLER ? "reseller:" : "viewer",
             q->who.role == AWC_ROLE_RESELLER ? q->who.reseller_id : "");
    json_object_set_new(o, "user", json_string(q->who.user));
    json_object_set_new(o, "role", json_string(role));
    if (with_csrf)
        json_object_set_new(o, "csrf_token", json_string(q->who.csrf));
    return o;
}

static sresp session_route(sreq *q)
{
    char err[HOST_ERR_MAX], client[64];
    awc_auth_args a = {0};
    json_t *body, *u, *p;
    sresp r;
    int rc;

    if (strcmp(q->method, "GET") == 0 || strcmp(q->method, "DELETE") == 0) {
        if ((rc = serve_auth(q, err, sizeof(err))) != 0)
            return serve_error(q, rc, err);
        if (strcmp(q->method, "GET") == 0)
            return serve_json(200, who_json(q, q->by_cookie));
        if (!q->by_cookie)
            return serve_problem(422, "invalid", "Invalid request",
                                 "sign-out ends a cookie session; an API token is revoked "
                                 "with 'awscredit user revoke-token'");
        if (!csrf_ok(q))
            return serve_problem(403, "csrf", "Forbidden", "missing or wrong X-CSRF-Token");
        a.action = "signout";
        a.secret = q->session;
        if ((rc = auth_call(q, &a, err, sizeof(err))) != 0)
            return serve_error(q, rc, err);
        return with_cookie(serve_text(204, "text/plain", "", 0), q->srv, "", 1);
    }
    if (strcmp(q->method, "POST") != 0) {
        r = serve_problem(405, "method", "Method not allowed", "use GET, POST or DELETE");
        if (r.r)
            MHD_add_response_header(r.r, "Allow", "GET, POST, DELETE");
        return r;
    }
    body = json_loadb(q->body.p ? q->body.p : "", q->body.n, 0, NULL);
    u = json_object_get(body, "user");
    p = json_object_get(body, "password");
    if (!json_is_string(u) || !json_is_string(p)) {
        json_decref(body);
        return serve_problem(422, "invalid", "Invalid request",
                             "expected {\"user\": \"NAME\", \"password\": \"PASSWORD\"}");
    }
    client_of(q, client, sizeof(client));
    a.action = "signin";
    a.name = json_string_value(u);
    a.password = json_string_value(p);
    a.client = client;
    rc = auth_call(q, &a, err, sizeof(err));
    /* the password lives in the body and in jansson's copy: wipe both */
    sodium_memzero((char *)json_string_value(p), json_string_length(p));
    json_decref(body);
    if (rc == AWC_ETHROTTLED) {
        char wait[16];
        r = serve_problem(429, "throttled", "Too many failed sign-ins", err);
        snprintf(wait, sizeof(wait), "%d", q->who.retry_after);
        if (r.r)
            MHD_add_response_header(r.r, "Retry-After", wait);
        return r;
    }
    if (rc != 0)
        return serve_error(q, rc, err);
    /* a new session id at every sign-in: one sent with the request ends */
    {
        const char *old = MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, "awc_session");
        if (old && strlen(old) == 43) {
            awc_auth_result keep = q->who;
            awc_auth_args out = {0};
            out.action = "signout";
            out.secret = old;
            auth_call(q, &out, err, sizeof(err));
            q->who = keep;
        }
    }
    r = serve_json(200, who_json(q, 1));
    r = with_cookie(r, q->srv, q->who.session, 0);
    sodium_memzero(q->who.session, sizeof(q->who.session));
    return r;
}

/* ---- static files ------------------------------------------------------------------ */

static const char *type_of(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');

    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* A path of the page: letters, digits, '-', '_', '.', '/' only; no empty,
 * '.' or '..' segment, no segment starting with '.'. */
static int static_path_ok(const char *p)
{
    size_t n = strlen(p);

    if (n < 2 || n > 200 || p[0] != '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/'))
            return 0;
        if (c == '/' && (i + 1 == n || p[i + 1] == '/' || p[i + 1] == '.'))
            return 0;
    }
    return 1;
}

static sresp static_file(sreq *q)
{
    const char *path = strcmp(q->url, "/") == 0 ? "/index.html" : q->url;
    char full[PATH_MAX], real[PATH_MAX];
    struct stat sb;
    sresp r = {0, NULL};
    int fd;

    if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0) {
        r = serve_problem(405, "method", "Method not allowed", "the page is read with GET");
        if (r.r)
            MHD_add_response_header(r.r, "Allow", "GET, HEAD");
        return r;
    }
    /* the URL is already percent-decoded: "%2e%2e" arrived as ".." */
    if (!static_path_ok(path) ||
        snprintf(full, sizeof(full), "%s%s", q->srv->root, path) >= (int)sizeof(full))
        return serve_problem(404, "not-found", "Not found", "no such file");
    /* no symbolic link anywhere: the resolved path must be the path itself */
    if (!realpath(full, real) || strcmp(real, full) != 0)
        return serve_problem(404, "not-found", "Not found", "no such file");
    if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return serve_problem(404, "not-found", "Not found", "no such file");
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return serve_problem(404, "not-found", "Not found", "no such file");
    }
    r.status = 200;
    r.r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!r.r) {
        close(fd);
        return r;
    }
    MHD_add_response_header(r.r, "Content-Type", type_of(path));
    serve_headers(r.r, 0);
    return r;
}

/* ---- one request ---------------------------------------------------------------------- */

static sresp dispatch(sreq *q)
{
    char err[HOST_ERR_MAX];
    sresp r;
    int rc;

    if (q->too_big)
        return serve_problem(413, "too-large", "Request body too large",
                             "a request body is at most 1 MiB");
    if (strncmp(q->url, "/api/", 5) != 0)
        return static_file(q);
    if (strcmp(q->url, "/api/v1/session") == 0)
        return session_route(q);
    if ((rc = serve_auth(q, err, sizeof(err))) != 0) {
        r = serve_error(q, rc, err);
        if (r.r && rc == AWC_EAUTH)
            MHD_add_response_header(r.r, "WWW-Authenticate", "Bearer realm=\"awscredit\"");
        return r;
    }
    if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0 && !csrf_ok(q))
        return serve_problem(403, "csrf", "Forbidden",
                             "a change made with a session cookie needs the X-CSRF-Token "
                             "header of that session");
    r = serve_route(q, q->url);
    if (r.status == 0)
        return serve_problem(404, "no-route", "Not found", "no such API route");
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    serve *s = cls;
    sreq *q = *con_cls;
    struct timespec t0, t1;
    enum MHD_Result ret;
    sresp r;

    (void)version;
    if (!q) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (!(q = calloc(1, sizeof(*q))))
            return MHD_NO;
        q->srv = s;
        q->conn = conn;
        q->method = method;
        q->url = url;
        q->body.max = SERVE_BODY_MAX;
        *con_cls = q;
        if (cl && strtoull(cl, NULL, 10) > SERVE_BODY_MAX) {
            /* answered before the body is read; the connection then closes */
            q->too_big = 1;
            r = dispatch(q);
            ret = MHD_queue_response(conn, r.status, r.r);
            MHD_destroy_response(r.r);
            return ret;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!q->too_big && sbuf_put(&q->body, upload_data, *upload_data_size) != 0)
            q->too_big = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = dispatch(q);
    if (!r.r)
        return MHD_NO;
    ret = MHD_queue_response(conn, r.status, r.r);
    MHD_destroy_response(r.r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    serve_log(s, AWC_LOG_INFO, "%s %.200s %u %.1f ms %s", method, url, r.status,
              (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
              q->signed_in ? q->who.user : "-");
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode code)
{
    sreq *q = *con_cls;

    (void)cls;
    (void)conn;
    (void)code;
    if (q) {
        sbuf_free(&q->body);
        sodium_memzero(q->session, sizeof(q->session));
        sodium_memzero(&q->who, sizeof(q->who));
        free(q);
        *con_cls = NULL;
    }
}

/* ---- the daemon -------------------------------------------------------------------------- */

static int parse_listen(const char *v, struct sockaddr_storage *sa, char *err, size_t n)
{
    char host[128];
    const char *colon = strrchr(v, ':');
    char *end;
    unsigned long port;
    size_t hl;

    memset(sa, 0, sizeof(*sa));
    if (!colon || (hl = (size_t)(colon - v)) == 0 || hl >= sizeof(host))
        goto bad;
    port = strtoul(colon + 1, &end, 10);
    if (*end || port == 0 || port > 65535)
        goto bad;
    memcpy(host, v, hl);
    host[hl] = '\0';
    if (host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
        host[hl - 1] = '\0';
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1)
            return 0;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &s4->sin_addr) == 1)
            return 0;
    }
bad:
    snprintf(err, n, "web.listen '%.64s': expected ADDRESS:PORT, e.g. 127.0.0.1:8080 or "
             "[::1]:8080", v);
    return AWC_ECONFIG;
}

static char *read_file(const char *path, char *err, size_t n, const char *what)
{
    FILE *f = fopen(path, "rb");
    sbuf b = {0};
    char chunk[4096];
    size_t got;

    if (!f) {
        snprintf(err, n, "%s '%.200s': %s", what, path, strerror(errno));
        return NULL;
    }
    b.max = 1024 * 1024;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (sbuf_put(&b, chunk, got) != 0) {
            snprintf(err, n, "%s '%.200s': larger than 1 MiB", what, path);
            fclose(f);
            sbuf_free(&b);
            return NULL;
        }
    fclose(f);
    if (!b.p)
        snprintf(err, n, "%s '%.200s': empty", what, path);
    return b.p;
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static const char *web_root_default(void)
{
    struct stat sb;

    if (stat("web/index.html", &sb) == 0)
        return "web";
#ifdef AWC_WEBDIR
    return AWC_WEBDIR;
#else
    return "web";
#endif
}

int host_serve(const awc_module_desc *d, const awc_host_api *api, const host_ini *ini,
               const char *listen, host_term *term, char *err, size_t errsz)
{
    static serve s;
    const char *v, *cert_path, *key_path, *pub;
    char *cert = NULL, *key = NULL;
    struct sockaddr_storage sa;
    struct MHD_Daemon *daemon;
    struct sigaction act;
    unsigned long threads = THREADS_DEFAULT, timeout = CONN_TIMEOUT_S;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_USE_ERROR_LOG;
    int rc;

    memset(&s, 0, sizeof(s));
    s.d = d;
    s.api = api;
    s.ini = ini;
    s.term = term;
    pthread_mutex_init(&s.log_mu, NULL);
    if (sodium_init() < 0) {
        snprintf(err, errsz, "libsodium did not start");
        return AWC_ERROR;
    }
    if (!listen)
        listen = host_ini_get(ini, "web", "listen");
    if ((rc = parse_listen(listen ? listen : "127.0.0.1:8080", &sa, err, errsz)) != 0)
        return rc;
    if ((v = host_ini_get(ini, "web", "threads")) != NULL) {
        char *end;
        threads = strtoul(v, &end, 10);
        if (*end || threads < 1 || threads > THREADS_MAX) {
            snprintf(err, errsz, "web.threads '%.20s': expected a whole number from 1 to %d",
                     v, THREADS_MAX);
            return AWC_ECONFIG;
        }
    }
    if ((v = host_ini_get(ini, "web", "client_timeout")) != NULL) {
        char *end;
        timeout = strtoul(v, &end, 10);
        if (*end || timeout < 1 || timeout > CONN_TIMEOUT_MAX) {
            snprintf(err, errsz, "web.client_timeout '%.20s': expected seconds from 1 to %d",
                     v, CONN_TIMEOUT_MAX);
            return AWC_ECONFIG;
        }
    }
    v = host_ini_get(ini, "web", "root");
    if (!realpath(v ? v : web_root_default(), s.root)) {
        snprintf(err, errsz, "web.root '%.200s': %s (the page's files are in web/)",
                 v ? v : web_root_default(), strerror(errno));
        return AWC_ECONFIG;
    }
    cert_path = host_ini_get(ini, "web", "tls_cert");
    key_path = host_ini_get(ini, "web", "tls_key");
    if (!cert_path != !key_path) {
        snprintf(err, errsz, "web.tls_cert and web.tls_key: set both for HTTPS, or neither");
        return AWC_ECONFIG;
    }
    if (cert_path) {
        if (!(cert = read_file(cert_path, err, errsz, "web.tls_cert")) ||
            !(key = read_file(key_path, err, errsz, "web.tls_key"))) {
            free(cert);
            return AWC_ECONFIG;
        }
        flags |= MHD_USE_TLS;
    }
    s.trusted_proxy = host_ini_get(ini, "web", "trusted_proxy");
    if (s.trusted_proxy) {
        unsigned char bin[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, s.trusted_proxy, bin) != 1 &&
            inet_pton(AF_INET6, s.trusted_proxy, bin) != 1) {
            snprintf(err, errsz, "web.trusted_proxy '%.64s': expected the proxy's IP address, "
                     "e.g. 127.0.0.1", s.trusted_proxy);
            return AWC_ECONFIG;
        }
    }
    pub = host_ini_get(ini, "web", "public_url");
    s.secure = cert != NULL || (pub && strncmp(pub, "https://", 8) == 0);
    if (pthread_key_create(&s.key, tls_close) != 0 || serve_jobs_init(&s) != 0) {
        snprintf(err, errsz, "out of memory");
        free(cert);
        free(key);
        return AWC_ENOMEM;
    }
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, &s,
        cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
        MHD_OPTION_HTTPS_MEM_KEY, key,
        MHD_OPTION_END);
    if (!daemon) {
        snprintf(err, errsz, "cannot listen on %s (in use, or not an address of this "
                 "machine)%s", listen ? listen : "127.0.0.1:8080",
                 cert ? ", or the TLS certificate and key do not load" : "");
        serve_jobs_free();
        free(cert);
        free(key);
        return AWC_ECONFIG;
    }
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_signal;
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    signal(SIGPIPE, SIG_IGN);
    {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
        serve_log(&s, AWC_LOG_WARN, "serving %s on %s (port %u), %lu threads, page from %s",
                  cert ? "https" : "http", listen ? listen : "127.0.0.1:8080",
                  di ? (unsigned)di->port : 0u, threads, s.root);
    }
    while (!stop_signal)
        pause();
    serve_log(&s, AWC_LOG_WARN, "stopping (signal %d)", (int)stop_signal);
    MHD_stop_daemon(daemon);
    serve_jobs_free();
    {
        tls_module *t = pthread_getspecific(s.key);
        if (t) {
            tls_close(t);
            pthread_setspecific(s.key, NULL);
        }
    }
    free(cert);
    free(key);
    return 0;
}
