/*
 * aws_http.c -- credentials, signed requests through libcurl, AWS error
 * bodies, SigV4 query encoding (aws.h).
 *
 * libcurl 7.88 notes (why the code looks the way it does):
 *   - CURLOPT_AWS_SIGV4 signs the query string as it is in the URL (the
 *     canonicalisation was fixed in 8.3), so callers pass awc_aws_query()'s
 *     sorted, encoded form and the path already encoded;
 *   - it signs every header in CURLOPT_HTTPHEADER (since 7.86), so the
 *     session token and X-Amz-Target are covered by the signature;
 *   - it hashes CURLOPT_POSTFIELDS as the payload, and takes the payload
 *     hash from an x-amz-content-sha256 header when one is given (which S3
 *     requires; curl adds it itself only from 8.0).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws.h"
#include "awc.h"
#include "sha256.h"

/* --- once per process --------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
}

void awc_aws_global_init(void)
{
    (void)pthread_once(&global_once, global_init);
}

/* --- credentials ------------------------------------------------------------------ */

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        awc_free(s);
    }
}

void awc_aws_creds_free(awc_aws_creds *c)
{
    if (!c)
        return;
    wipe_free(c->access_key_id);
    wipe_free(c->secret_access_key);
    wipe_free(c->session_token);
    memset(c, 0, sizeof(*c));
}

static const char *lookup(awc_aws_getenv_fn get, void *ctx, const char *name)
{
    const char *v = get ? get(ctx, name) : getenv(name);
    return (v && *v) ? v : NULL;
}

int awc_aws_creds_load(awc_aws_creds *out, awc_aws_getenv_fn get, void *ctx)
{
    const char *ak = lookup(get, ctx, "AWS_ACCESS_KEY_ID");
    const char *sk = lookup(get, ctx, "AWS_SECRET_ACCESS_KEY");
    const char *tok = lookup(get, ctx, "AWS_SESSION_TOKEN");

    memset(out, 0, sizeof(*out));
    if (!ak || !sk)
        return awc_error_set(AWC_ECONFIG, "AWS credentials: %s is not set",
                             !ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
    if (strchr(ak, ':') || strpbrk(ak, "\r\n") || strpbrk(sk, "\r\n") ||
        (tok && strpbrk(tok, "\r\n")))
        return awc_error_set(AWC_ECONFIG, "AWS credentials: a value contains a line break "
                                          "or the key id a ':'");
    out->access_key_id = awc_strdup(ak);
    out->secret_access_key = awc_strdup(sk);
    out->session_token = tok ? awc_strdup(tok) : NULL;
    if (!out->access_key_id || !out->secret_access_key || (tok && !out->session_token)) {
        awc_aws_creds_free(out);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    return 0;
}

void awc_aws_conf_from_config(awc_aws_conf *out, const awc_config *cfg,
                              const awc_aws_creds *creds)
{
    memset(out, 0, sizeof(*out));
    out->creds = creds;
    out->connect_timeout = cfg->aws.connect_timeout;
    out->timeout = cfg->aws.timeout;
    out->ca_file = cfg->aws.ca_file;
}

static unsigned conf_connect_timeout(const awc_aws_conf *c)
{
    return c->connect_timeout ? c->connect_timeout : 10;
}

static unsigned conf_timeout(const awc_aws_conf *c)
{
    return c->timeout ? c->timeout : 60;
}

/* Replace every occurrence of secret in s by "***" (in place; secrets
 * shorter than 4 bytes are not worth masking and would mangle text). */
static void mask_one(char *s, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    char *p;

    if (n < 4)
        return;
    while ((p = strstr(s, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}

static void mask_creds(char *s, const awc_aws_conf *conf)
{
    if (!conf || !conf->creds)
        return;
    mask_one(s, conf->creds->secret_access_key);
    mask_one(s, conf->creds->session_token);
    mask_one(s, conf->creds->access_key_id);
}

/* --- time, back-off ----------------------------------------------------------------- */

uint64_t awc_aws_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void awc_aws_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static _Thread_local uint64_t jitter_state;

static uint64_t jitter_next(void)
{
    uint64_t x = jitter_state;
    if (!x) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
            (uint64_t)(uintptr_t)&jitter_state;
        if (!x)
            x = 0x9e3779b97f4a7c15u;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    jitter_state = x;
    return x;
}

unsigned awc_aws_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms)
{
    uint64_t d = base_ms ? base_ms : 1;
    unsigned i;

    for (i = 0; i < attempt && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    return (unsigned)(d / 2 + jitter_next() % (d - d / 2 + 1));
}

int awc_aws_retryable(long status, const char *code)
{
    static const char *const throttles[] = {
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
        "RequestLimitExceeded", "SlowDown", "RequestThrottled", "RequestThrottledException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", NULL,
    };
    size_t i;

    for (i = 0; code && throttles[i]; i++)
        if (strcmp(code, throttles[i]) == 0)
            return 1;
    return status == 429 || (status >= 500 && status <= 599);
}

/* --- encoding ---------------------------------------------------------------------- */

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

int awc_aws_encode(char **out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, len = 0;
    char *p;

    *out = NULL;
    for (i = 0; i < n; i++)
        len += (unreserved((unsigned char)s[i]) || (keep_slash && s[i] == '/')) ? 1 : 3;
    if (!(p = awc_malloc(len + 1)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    *out = p;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return 0;
}

typedef struct enc_pair {
    char *name, *value;
} enc_pair;

static int pair_cmp(const void *a, const void *b)
{
    const enc_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

int awc_aws_query(char **out, const awc_aws_param *params, size_t n)
{
    enc_pair *v;
    size_t i, len = 0;
    int rc = 0;
    char *p;

    *out = NULL;
    if (!(v = awc_calloc(n ? n : 1, sizeof(*v))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (i = 0; i < n && rc == 0; i++) {
        const char *val = params[i].value ? params[i].value : "";
        if ((rc = awc_aws_encode(&v[i].name, params[i].name, strlen(params[i].name), 0)) == 0)
            rc = awc_aws_encode(&v[i].value, val, strlen(val), 0);
        if (rc == 0)
            len += strlen(v[i].name) + strlen(v[i].value) + 2;
    }
    if (rc == 0) {
        qsort(v, n, sizeof(*v), pair_cmp);
        if (!(p = awc_malloc(len + 1))) {
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
        } else {
            *out = p;
            *p = '\0';
            for (i = 0; i < n; i++) {
                size_t a = strlen(v[i].name), b = strlen(v[i].value);
                if (i)
                    *p++ = '&';
                memcpy(p, v[i].name, a);
                p += a;
                *p++ = '=';
                memcpy(p, v[i].value, b);
                p += b;
                *p = '\0';
            }
        }
    }
    for (i = 0; i < n; i++) {
        awc_free(v[i].name);
        awc_free(v[i].value);
    }
    awc_free(v);
    return rc;
}

/* --- AWS error bodies ------------------------------------------------------------- */

static void copy_trim(char *dst, size_t dstsz, const char *src, size_t n)
{
    size_t i, o = 0;

    if (!dstsz)
        return;
    while (n && (*src == ' ' || *src == '\t' || *src == '\r' || *src == '\n'))
        src++, n--;
    while (n && (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '\r' ||
                 src[n - 1] == '\n'))
        n--;
    for (i = 0; i < n && o + 1 < dstsz; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    dst[o] = '\0';
}

/* "com.amazon.coral#InvalidRequestException:http://..." -> "InvalidRequestException" */
static void error_type(char *code, size_t codesz, const char *t)
{
    const char *hash = strrchr(t, '#');
    size_t n;

    if (hash)
        t = hash + 1;
    n = strcspn(t, ":");
    copy_trim(code, codesz, t, n);
}

static const char *json_str(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (!json_is_string(v) && b)
        v = json_object_get(o, b);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_json_error(char *code, size_t codesz, char *msg, size_t msgsz,
                            const char *body, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    const char *t, *m, *extra;

    if (!json_is_object(root)) {
        json_decref(root);
        return 0;
    }
    if ((t = json_str(root, "__type", "code")))
        error_type(code, codesz, t);
    if ((m = json_str(root, "message", "Message")))
        copy_trim(msg, msgsz, m, strlen(m));
    extra = json_str(root, "Reason", "AthenaErrorCode");
    if (extra && msgsz > 0) {
        size_t used = strlen(msg);
        snprintf(msg + used, msgsz - used, "%s(%s)", used ? " " : "", extra);
    }
    json_decref(root);
    return t || m;
}

static xmlNodePtr xml_child(xmlNodePtr n, const char *name)
{
    for (n = n ? n->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return n;
    return NULL;
}

static void xml_text(char *dst, size_t dstsz, xmlNodePtr n)
{
    xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
    if (t) {
        copy_trim(dst, dstsz, (const char *)t, strlen((const char *)t));
        xmlFree(t);
    }
}

int awc_xml_has_dtd(const char *body, size_t len)
{
    return memmem(body, len, "<!DOCTYPE", 9) != NULL || memmem(body, len, "<!ENTITY", 8) != NULL;
}

static int parse_xml_error(char *code, size_t codesz, char *msg, size_t msgsz,
                           const char *body, size_t len)
{
    xmlDocPtr doc;
    xmlNodePtr root, err;
    int found = 0;

    if (len > INT32_MAX || awc_xml_has_dtd(body, len))
        return 0; /* not read */
    awc_aws_global_init();
    doc = xmlReadMemory(body, (int)len, "error.xml", "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return 0;
    root = xmlDocGetRootElement(doc);
    if (!doc->intSubset && !doc->extSubset && root) {
        err = strcmp((const char *)root->name, "Error") == 0 ? root : xml_child(root, "Error");
        if (err) {
            xml_text(code, codesz, xml_child(err, "Code"));
            xml_text(msg, msgsz, xml_child(err, "Message"));
            found = 1;
        }
    }
    xmlFreeDoc(doc);
    return found;
}

void awc_aws_error_parse(char *code, size_t codesz, char *msg, size_t msgsz,
                         const char *body, size_t len, const char *errtype)
{
    size_t i = 0;

    if (codesz)
        code[0] = '\0';
    if (msgsz)
        msg[0] = '\0';
    while (body && i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                               body[i] == '\n'))
        i++;
    if (body && i < len && body[i] == '{')
        parse_json_error(code, codesz, msg, msgsz, body, len);
    else if (body && i < len && body[i] == '<')
        parse_xml_error(code, codesz, msg, msgsz, body, len);
    if (codesz && !code[0] && errtype && *errtype)
        error_type(code, codesz, errtype);
}

/* --- one transfer ------------------------------------------------------------------ */

static size_t header_cb(char *p, size_t size, size_t nmemb, void *ud)
{
    awc_aws_xfer *x = ud;
    size_t n = size * nmemb;
    static const char name[] = "x-amzn-errortype:";

    if (n > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0)
        copy_trim(x->errtype, sizeof(x->errtype), p + sizeof(name) - 1, n - (sizeof(name) - 1));
    return n;
}

static int is_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

/* Check the endpoint; fill x->host ("host[:port]").  A message shows the
 * endpoint only once it parsed and holds no '@': a mistyped one may carry a
 * password, and is then not shown at all. */
static int check_endpoint(awc_aws_xfer *x, const char *what, const char *endpoint, int *http)
{
    CURLU *u;
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *pass = NULL, *query = NULL;
    char *path = NULL;
    int rc = 0;

    if (!endpoint || !*endpoint)
        return awc_error_set(AWC_ECONFIG, "%s: no endpoint", what);
    if (strchr(endpoint, '@'))
        return awc_error_set(AWC_ECONFIG, "%s: endpoint must not carry a user name or password "
                             "(AWS credentials come from the environment); the value is not "
                             "shown", what);
    if (!(u = curl_url()))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = awc_error_set(AWC_ECONFIG, "%s: endpoint is not a URL (the value is not shown)",
                           what);
        goto out;
    }
    (void)curl_url_get(u, CURLUPART_PORT, &port, 0);
    (void)curl_url_get(u, CURLUPART_USER, &user, 0);
    (void)curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
    (void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
    (void)curl_url_get(u, CURLUPART_PATH, &path, 0);
    if (user || pass) {
        rc = awc_error_set(AWC_ECONFIG, "%s: endpoint must not carry a user name or password "
                           "(the value is not shown)", what);
    } else if (query || (path && strcmp(path, "/") != 0)) {
        rc = awc_error_set(AWC_ECONFIG, "%s: endpoint must be scheme://host[:port] only: %.200s",
                           what, endpoint);
    } else if (strcasecmp(scheme, "https") == 0) {
        *http = 0;
    } else if (strcasecmp(scheme, "http") == 0 && is_loopback(host)) {
        *http = 1;
    } else {
        rc = awc_error_set(AWC_ECONFIG, "%s: endpoint %.200s: only https is allowed (plain "
                                        "http only to a loopback address, for tests)",
                           what, endpoint);
    }
    if (rc == 0)
        snprintf(x->host, sizeof(x->host), "%s%s%s", host, port ? ":" : "", port ? port : "");
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_free(pass);
    curl_free(query);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

/* Append "name: value" (value NULL: name is the whole line). */
static int add_header(awc_aws_xfer *x, const char *name, const char *value)
{
    char line[8192];
    struct curl_slist *l;
    int n = value ? snprintf(line, sizeof(line), "%s: %s", name, value)
                  : snprintf(line, sizeof(line), "%s", name);

    if (n < 0 || (size_t)n >= sizeof(line))
        return awc_error_set(AWC_EUSAGE, "%s: header too long", x->req->what);
    l = curl_slist_append(x->headers, line);
    explicit_bzero(line, sizeof(line));
    if (!l)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    x->headers = l;
    return 0;
}

int awc_aws_xfer_setup(awc_aws_xfer *x, CURL *h, const awc_aws_conf *conf,
                       const awc_aws_request *req)
{
    const char *path = req->path ? req->path : "/";
    const awc_aws_creds *cr = conf->creds;
    char sigv4[160], *url;
    size_t ulen;
    int http = 0, rc, post;
    size_t i;
    unsigned timeout = req->timeout ? req->timeout : conf_timeout(conf);

    memset(x, 0, sizeof(*x));
    x->conf = conf;
    x->req = req;
    awc_aws_global_init();
    if (global_rc != CURLE_OK)
        return awc_error_set(AWC_ENET, "%s: libcurl failed to initialise", req->what);
    if (!cr || !cr->access_key_id || !cr->secret_access_key)
        return awc_error_set(AWC_ECONFIG, "%s: no AWS credentials", req->what);
    if ((rc = check_endpoint(x, req->what, req->endpoint, &http)))
        return rc;
    if (path[0] != '/')
        return awc_error_set(AWC_EUSAGE, "%s: path must start with '/'", req->what);
    if (!req->region || !*req->region || strpbrk(req->region, ":/ ") || !req->service ||
        !*req->service || strpbrk(req->service, ":/ "))
        return awc_error_set(AWC_ECONFIG, "%s: bad signing region or service", req->what);
    post = strcmp(req->method, "POST") == 0;
    if (!post && strcmp(req->method, "GET") != 0)
        return awc_error_set(AWC_EUSAGE, "%s: method %s not supported", req->what, req->method);

    /* URL: endpoint without its trailing '/', the encoded path, the query. */
    ulen = strlen(req->endpoint) + strlen(path) + (req->query ? strlen(req->query) + 1 : 0) + 1;
    if (!(url = awc_malloc(ulen)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    {
        size_t e = strlen(req->endpoint);
        while (e && req->endpoint[e - 1] == '/')
            e--;
        snprintf(url, ulen, "%.*s%s%s%s", (int)e, req->endpoint, path,
                 req->query && *req->query ? "?" : "", req->query ? req->query : "");
    }
    for (i = 0; req->headers && req->headers[i]; i++)
        if ((rc = add_header(x, req->headers[i], NULL)))
            goto fail;
    if (req->s3) {
        char hash[AWC_SHA256_HEXLEN + 1];
        if (post)
            awc_sha256_hex(hash, req->body, req->body_len);
        else
            memcpy(hash, AWC_SHA256_EMPTY_HEX, sizeof(hash));
        if ((rc = add_header(x, "x-amz-content-sha256", hash)))
            goto fail;
    }
    if (cr->session_token && (rc = add_header(x, "x-amz-security-token", cr->session_token)))
        goto fail;
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", req->region, req->service);

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, http ? "http" : "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (conf->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, conf->ca_file);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)conf_connect_timeout(conf));
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)timeout);
    if (req->stall) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)req->stall);
    }
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, cr->access_key_id);
    curl_easy_setopt(h, CURLOPT_PASSWORD, cr->secret_access_key);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "awscredit/" AWC_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_error);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    if (post) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    awc_free(url);
    return 0;
fail:
    awc_free(url);
    return rc;
}

void awc_aws_xfer_cleanup(awc_aws_xfer *x)
{
    struct curl_slist *l;

    if (!x)
        return;
    for (l = x->headers; l; l = l->next) /* one of them may be the session token */
        explicit_bzero(l->data, strlen(l->data));
    curl_slist_free_all(x->headers);
    x->headers = NULL;
}

static int curl_failure(awc_aws_xfer *x, CURL *h, CURLcode rc)
{
    const awc_aws_request *req = x->req;
    char msg[2 * AWC_ERRMSG_MAX];
    const char *detail = x->curl_error[0] ? x->curl_error : curl_easy_strerror(rc);
    int code = AWC_ENET;

    if (rc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connect_us = 0, total_us = 0;
        unsigned total = req->timeout ? req->timeout : conf_timeout(x->conf);
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
        curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
        code = AWC_ETIMEOUT;
        if (connect_us == 0)
            snprintf(msg, sizeof(msg), "%s: no connection to %s within %u s (aws.connect_timeout)",
                     req->what, x->host, conf_connect_timeout(x->conf));
        else if (req->stall && total_us / 1000000 + 1 < (curl_off_t)total)
            snprintf(msg, sizeof(msg), "%s: %s sent nothing for %u s (aws.timeout)", req->what,
                     x->host, req->stall);
        else
            snprintf(msg, sizeof(msg), "%s: no complete answer from %s within %u s (aws.timeout)",
                     req->what, x->host, total);
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
               rc == CURLE_SSL_CONNECT_ERROR) {
        snprintf(msg, sizeof(msg), "%s: TLS with %s failed: %s (system CA bundle, or "
                                   "aws.ca_file)", req->what, x->host, detail);
    } else {
        snprintf(msg, sizeof(msg), "%s: %s: %s", req->what, x->host, detail);
    }
    mask_creds(msg, x->conf);
    return awc_error_set(code, "%s", msg);
}

int awc_aws_xfer_result(awc_aws_xfer *x, CURL *h, CURLcode rc, const char *body, size_t len,
                        long *status, char *code, size_t codesz)
{
    char ecode[96], emsg[320], msg[2 * AWC_ERRMSG_MAX];
    long st = 0;

    if (code && codesz)
        code[0] = '\0';
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    if (status)
        *status = st;
    if (rc != CURLE_OK)
        return curl_failure(x, h, rc);
    if (st >= 200 && st <= 299)
        return 0;
    awc_aws_error_parse(ecode, sizeof(ecode), emsg, sizeof(emsg), body, len, x->errtype);
    if (code && codesz)
        snprintf(code, codesz, "%s", ecode);
    if (ecode[0] && emsg[0])
        snprintf(msg, sizeof(msg), "%s: HTTP %ld %s: %s", x->req->what, st, ecode, emsg);
    else if (ecode[0] || emsg[0])
        snprintf(msg, sizeof(msg), "%s: HTTP %ld %s", x->req->what, st, ecode[0] ? ecode : emsg);
    else if (body && len) {
        char snippet[121];
        copy_trim(snippet, sizeof(snippet), body, len);
        snprintf(msg, sizeof(msg), "%s: HTTP %ld: %s", x->req->what, st, snippet);
    } else {
        snprintf(msg, sizeof(msg), "%s: HTTP %ld from %s", x->req->what, st, x->host);
    }
    mask_creds(msg, x->conf);
    return awc_error_set(AWC_ENET, "%s", msg);
}

/* --- blocking send with a bounded body ------------------------------------------------ */

struct awc_aws_client {
    awc_aws_conf conf;
    CURL *h;
};

int awc_aws_client_new(awc_aws_client **out, const awc_aws_conf *conf)
{
    awc_aws_client *c;

    awc_aws_global_init();
    if (global_rc != CURLE_OK)
        return awc_error_set(AWC_ENET, "aws: libcurl failed to initialise");
    if (!(c = awc_calloc(1, sizeof(*c))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    c->conf = *conf;
    if (!(c->h = curl_easy_init())) {
        awc_free(c);
        return awc_error_set(AWC_ENOMEM, "aws: cannot make a libcurl handle");
    }
    *out = c;
    return 0;
}

void awc_aws_client_free(awc_aws_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->h);
    awc_free(c);
}

const awc_aws_conf *awc_aws_client_conf(const awc_aws_client *c)
{
    return &c->conf;
}

void awc_aws_response_free(awc_aws_response *r)
{
    if (!r)
        return;
    awc_free(r->body);
    r->body = NULL;
    r->len = 0;
}

typedef struct sink {
    CURL *h;
    const awc_aws_request *req;
    int state;                     /* 0 unknown, 1 success body, 2 error body */
    char *p;
    size_t len, cap, max;
    int too_big;
    int cb_rc;
} sink;

static int sink_add(sink *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        char *q;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (!(q = awc_realloc(s->p, cap)))
            return -1;
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
    return 0;
}

static size_t sink_write(char *p, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;

    if (s->state == 0) {
        long st = 0;
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &st);
        s->state = (st >= 200 && st <= 299) ? 1 : 2;
        s->max = s->state == 1 ? (s->req->max_body ? s->req->max_body : AWC_AWS_MAX_BODY)
                               : AWC_AWS_MAX_ERROR_BODY;
    }
    if (s->state == 1 && s->req->on_data) {
        int rc = s->req->on_data(s->req->data_ctx, p, n);
        if (rc < 0) {
            s->cb_rc = rc;
            return 0;
        }
        return n;
    }
    if (s->len + n > s->max) {
        if (s->state == 2) { /* keep the start of an error body, drop the rest */
            size_t room = s->max - s->len;
            if (room && sink_add(s, p, room) != 0) {
                s->cb_rc = AWC_ENOMEM;
                return 0;
            }
            return n;
        }
        s->too_big = 1;
        return 0;
    }
    if (sink_add(s, p, n) != 0) {
        s->cb_rc = AWC_ENOMEM;
        return 0;
    }
    return n;
}

int awc_aws_send(awc_aws_client *c, const awc_aws_request *req, awc_aws_response *out)
{
    awc_aws_xfer x;
    sink s;
    CURLcode crc;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    curl_easy_reset(c->h);
    if ((rc = awc_aws_xfer_setup(&x, c->h, &c->conf, req))) {
        awc_aws_xfer_cleanup(&x);
        return rc;
    }
    s.h = c->h;
    s.req = req;
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &s);
    crc = curl_easy_perform(c->h);
    /* Drop the credentials and headers from the handle now. */
    curl_easy_setopt(c->h, CURLOPT_PASSWORD, "");
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
    if (crc == CURLE_WRITE_ERROR && s.cb_rc) {
        rc = s.cb_rc == AWC_ENOMEM ? awc_error_set(AWC_ENOMEM, "out of memory") : s.cb_rc;
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &out->status);
    } else if (crc == CURLE_WRITE_ERROR && s.too_big) {
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &out->status);
        rc = awc_error_set(AWC_EIO, "%s: answer from %s larger than %zu bytes", req->what,
                           x.host, s.max);
    } else {
        rc = awc_aws_xfer_result(&x, c->h, crc, s.p, s.len, &out->status, out->error_code,
                                 sizeof(out->error_code));
    }
    awc_aws_xfer_cleanup(&x);
    out->body = s.p;
    out->len = s.len;
    if (!out->body && rc == 0 && !req->on_data) {
        if (!(out->body = awc_malloc(1)))
            return awc_error_set(AWC_ENOMEM, "out of memory");
        out->body[0] = '\0';
    }
    return rc;
}

/* --- AWS JSON calls ------------------------------------------------------------------ */

int awc_aws_json_call(awc_aws_client *c, const awc_aws_json_req *jr, json_t *body, json_t **out)
{
    char target[160], ctype[64];
    const char *headers[3];
    unsigned max = jr->max_retries ? jr->max_retries : 8, attempt;
    void (*jfree)(void *) = NULL;
    char *text;
    int rc = 0;

    *out = NULL;
    snprintf(target, sizeof(target), "X-Amz-Target: %s", jr->target);
    snprintf(ctype, sizeof(ctype), "Content-Type: application/x-amz-json-%s", jr->version);
    headers[0] = ctype;
    headers[1] = target;
    headers[2] = NULL;
    if (!(text = json_dumps(body, JSON_COMPACT)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    json_get_alloc_funcs(NULL, &jfree);
    for (attempt = 0;; attempt++) {
        awc_aws_request req;
        awc_aws_response res;
        json_error_t jerr;

        memset(&req, 0, sizeof(req));
        req.what = jr->what;
        req.method = "POST";
        req.endpoint = jr->endpoint;
        req.region = jr->region;
        req.service = jr->service;
        req.headers = headers;
        req.body = text;
        req.body_len = strlen(text);
        rc = awc_aws_send(c, &req, &res);
        if (rc == 0) {
            *out = json_loadb(res.body, res.len, 0, &jerr);
            if (!json_is_object(*out)) {
                json_decref(*out);
                *out = NULL;
                rc = awc_error_set(AWC_EBADINPUT, "%s: the answer is not a JSON object",
                                   jr->what);
            }
            awc_aws_response_free(&res);
            break;
        }
        if (attempt >= max || !(awc_aws_retryable(res.status, res.error_code) ||
                                (rc == AWC_ENET && res.status == 0 && attempt < 2))) {
            awc_aws_response_free(&res);
            if (attempt > 0) {
                char msg[AWC_ERRMSG_MAX];
                snprintf(msg, sizeof(msg), "%s", awc_error_last());
                awc_error_set(rc, "%s (gave up after %u attempts)", msg, attempt + 1);
            }
            break;
        }
        awc_aws_response_free(&res);
        if (jr->retries)
            (*jr->retries)++;
        awc_aws_sleep_ms(awc_aws_backoff_ms(attempt, 200, 5000));
    }
    jfree(text);
    return rc;
}
