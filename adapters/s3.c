/*
 * s3.c -- ListObjectsV2 and streamed GetObject for the CUR reader (s3.h).
 *
 * The GetObject stream: awc_cur_source.read() -> obj_read() drives a curl
 * multi handle (curl_multi_perform / curl_multi_poll, at most a second per
 * wait; libcurl enforces the timeouts) until the write callback has put
 * bytes into the object's buffer or the transfer is over.  The write
 * callback pauses the transfer (CURL_WRITEFUNC_PAUSE: libcurl keeps the
 * chunk and delivers it again) when the chunk does not fit; obj_read()
 * unpauses once it has taken bytes out.  An error status's body goes to a
 * separate small buffer and becomes the message of the error read()
 * returns at the end of the transfer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "awc.h"
#include "s3.h"

#define MAX_PAGES 100000u
#define DEFAULT_MAX_KEYS 100000u

struct awc_s3 {
    const awc_aws_conf *aws;
    awc_aws_client *client;
    char *endpoint;                /* NULL = AWS */
    char *region;
    unsigned object_timeout;
    size_t max_keys;
    unsigned page_size;
};

/* --- URLs and names ------------------------------------------------------------ */

void awc_s3_conf_from_config(awc_s3_conf *out, const awc_config *cfg)
{
    memset(out, 0, sizeof(*out));
    out->endpoint = cfg->aws.s3_endpoint;
    out->region = cfg->aws.region;
}

int awc_s3_is_url(const char *path)
{
    return path && strncmp(path, "s3://", 5) == 0;
}

static int bucket_ok(const char *b, size_t n)
{
    size_t i;

    if (n < 3 || n > 63)
        return 0;
    for (i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
    }
    return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' && b[n - 1] != '-';
}

void awc_s3_url_free(awc_s3_url *u)
{
    if (!u)
        return;
    awc_free(u->bucket);
    awc_free(u->prefix);
    u->bucket = u->prefix = NULL;
}

int awc_s3_parse_url(awc_s3_url *out, const char *url)
{
    const char *b, *slash;
    size_t bn;

    memset(out, 0, sizeof(*out));
    if (!awc_s3_is_url(url))
        return awc_error_set(AWC_EBADINPUT, "%.200s: not an s3://bucket/prefix URL",
                             url ? url : "(null)");
    b = url + 5;
    slash = strchr(b, '/');
    bn = slash ? (size_t)(slash - b) : strlen(b);
    if (!bucket_ok(b, bn))
        return awc_error_set(AWC_EBADINPUT, "%.200s: bad bucket name (3-63 characters of "
                                            "a-z 0-9 . -)", url);
    if (slash && strpbrk(slash + 1, "*?["))
        return awc_error_set(AWC_EBADINPUT, "%.200s: an s3:// path is a key prefix, not a "
                                            "glob", url);
    out->bucket = awc_strndup(b, bn);
    out->prefix = awc_strdup(slash ? slash + 1 : "");
    if (!out->bucket || !out->prefix) {
        awc_s3_url_free(out);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    return 0;
}

/* --- client ------------------------------------------------------------------------ */

int awc_s3_open(awc_s3 **out, const awc_aws_conf *aws, const awc_s3_conf *conf)
{
    awc_s3 *s;
    int rc;

    if (!(s = awc_calloc(1, sizeof(*s))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    s->aws = aws;
    s->object_timeout = conf && conf->object_timeout ? conf->object_timeout : 3600;
    s->max_keys = conf && conf->max_keys ? conf->max_keys : DEFAULT_MAX_KEYS;
    s->page_size = conf ? conf->page_size : 0;
    s->region = awc_strdup(conf && conf->region && *conf->region ? conf->region : "us-east-1");
    if (conf && conf->endpoint && *conf->endpoint)
        s->endpoint = awc_strdup(conf->endpoint);
    if (!s->region || (conf && conf->endpoint && *conf->endpoint && !s->endpoint)) {
        awc_s3_close(s);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    if (strpbrk(s->region, "/: ") || (s->endpoint && strncmp(s->endpoint, "http://", 7) != 0 &&
                                      strncmp(s->endpoint, "https://", 8) != 0)) {
        awc_s3_close(s);
        return awc_error_set(AWC_ECONFIG, "aws.s3_endpoint / aws.region: not usable for S3");
    }
    if ((rc = awc_aws_client_new(&s->client, aws))) {
        awc_s3_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void awc_s3_close(awc_s3 *s)
{
    if (!s)
        return;
    awc_aws_client_free(s->client);
    awc_free(s->endpoint);
    awc_free(s->region);
    awc_free(s);
}

/* Endpoint and path of bucket/key (key NULL: the bucket itself, for a
 * listing).  Both from awc_malloc. */
static int address(awc_s3 *s, const char *bucket, const char *key, char **endpoint, char **path)
{
    char *ekey = NULL;
    size_t n;
    int rc, vhost = !s->endpoint && !strchr(bucket, '.');

    *endpoint = *path = NULL;
    if (key && (rc = awc_aws_encode(&ekey, key, strlen(key), 1)))
        return rc;
    n = strlen(bucket) + (ekey ? strlen(ekey) : 0) + 3;
    if (s->endpoint) {
        *endpoint = awc_strdup(s->endpoint);
    } else {
        size_t en = strlen(bucket) + strlen(s->region) + 40;
        if ((*endpoint = awc_malloc(en)) != NULL) {
            if (vhost)
                snprintf(*endpoint, en, "https://%s.s3.%s.amazonaws.com", bucket, s->region);
            else
                snprintf(*endpoint, en, "https://s3.%s.amazonaws.com", s->region);
        }
    }
    if ((*path = awc_malloc(n)) != NULL) {
        if (vhost)
            snprintf(*path, n, "/%s", ekey ? ekey : "");
        else
            snprintf(*path, n, "/%s%s%s", bucket, ekey ? "/" : "", ekey ? ekey : "");
    }
    awc_free(ekey);
    if (!*endpoint || !*path) {
        awc_free(*endpoint);
        awc_free(*path);
        *endpoint = *path = NULL;
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    return 0;
}

/* --- listing ------------------------------------------------------------------------- */

void awc_s3_keys_free(awc_s3_keys *k)
{
    size_t i;

    if (!k)
        return;
    for (i = 0; i < k->n; i++)
        awc_free(k->v[i]);
    awc_free(k->v);
    k->v = NULL;
    k->n = 0;
}

static int is_cur_key(const char *k)
{
    size_t n = strlen(k);
    return (n > 4 && strcmp(k + n - 4, ".csv") == 0) ||
           (n > 7 && strcmp(k + n - 7, ".csv.gz") == 0);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Undo encoding-type=url in place ('+' is a space in that encoding). */
static void url_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else {
            *o++ = *s == '+' ? ' ' : *s;
        }
    }
    *o = '\0';
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int node_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int add_key(awc_s3_keys *out, size_t *cap, size_t max_keys, const char *what, char *key)
{
    char **v;

    if (!is_cur_key(key)) {
        awc_free(key);
        return 0;
    }
    if (out->n >= max_keys) {
        awc_free(key);
        return awc_error_set(AWC_EIO, "%s: more than %zu CUR objects", what, max_keys);
    }
    if (!(v = awc_grow(out->v, cap, out->n, sizeof(*v), 64))) {
        awc_free(key);
        return AWC_ENOMEM;
    }
    out->v = v;
    out->v[out->n++] = key;
    return 0;
}

int awc_s3_parse_listing(awc_s3_keys *out, size_t *cap, awc_s3_page *pg, size_t max_keys,
                         const char *what, const char *body, size_t len)
{
    xmlDocPtr doc;
    xmlNodePtr root, n;
    int rc = 0, urlenc = 0;

    pg->truncated = 0;
    pg->next = NULL;
    if (len > (size_t)INT32_MAX)
        return awc_error_set(AWC_EBADINPUT, "%s: listing too large", what);
    if (awc_xml_has_dtd(body, len))
        return awc_error_set(AWC_EBADINPUT, "%s: the answer carries a DTD (refused unread)",
                             what);
    doc = xmlReadMemory(body, (int)len, "ListObjectsV2.xml", "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return awc_error_set(AWC_EBADINPUT, "%s: the answer is not XML", what);
    root = xmlDocGetRootElement(doc);
    if (doc->intSubset || doc->extSubset || !root || !node_is(root, "ListBucketResult")) {
        xmlFreeDoc(doc);
        return awc_error_set(AWC_EBADINPUT, "%s: the answer is not a ListBucketResult", what);
    }
    for (n = root->children; n; n = n->next)
        if (node_is(n, "EncodingType")) {
            xmlChar *t = xmlNodeGetContent(n);
            urlenc = t && strcmp((const char *)t, "url") == 0;
            xmlFree(t);
        }
    for (n = root->children; n && rc == 0; n = n->next) {
        if (node_is(n, "IsTruncated")) {
            xmlChar *t = xmlNodeGetContent(n);
            pg->truncated = t && strcmp((const char *)t, "true") == 0;
            xmlFree(t);
        } else if (node_is(n, "NextContinuationToken")) {
            xmlChar *t = xmlNodeGetContent(n);
            awc_free(pg->next);
            pg->next = t ? awc_strdup((const char *)t) : NULL;
            xmlFree(t);
            if (t && !pg->next)
                rc = awc_error_set(AWC_ENOMEM, "out of memory");
        } else if (node_is(n, "Contents")) {
            xmlNodePtr k;
            for (k = n->children; k; k = k->next)
                if (node_is(k, "Key"))
                    break;
            if (k) {
                xmlChar *t = xmlNodeGetContent(k);
                char *key = t ? awc_strdup((const char *)t) : NULL;
                xmlFree(t);
                if (!key) {
                    rc = awc_error_set(AWC_ENOMEM, "out of memory");
                    break;
                }
                if (urlenc)
                    url_decode(key);
                rc = add_key(out, cap, max_keys, what, key);
            }
        }
    }
    xmlFreeDoc(doc);
    if (rc == 0 && pg->truncated && (!pg->next || !*pg->next))
        rc = awc_error_set(AWC_EBADINPUT, "%s: truncated listing without a continuation token",
                           what);
    if (rc) {
        awc_free(pg->next);
        pg->next = NULL;
    }
    return rc;
}

int awc_s3_list(awc_s3_keys *out, awc_s3 *s, const char *bucket, const char *prefix)
{
    char what[600], *endpoint = NULL, *path = NULL, *token = NULL, *query = NULL;
    char maxkeys[24];
    size_t cap = 0;
    unsigned pages = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    awc_aws_global_init();
    snprintf(what, sizeof(what), "s3 ListObjectsV2 s3://%s/%.500s", bucket, prefix ? prefix : "");
    if (!bucket_ok(bucket, strlen(bucket)))
        return awc_error_set(AWC_EBADINPUT, "%s: bad bucket name", what);
    if ((rc = address(s, bucket, NULL, &endpoint, &path)))
        return rc;
    snprintf(maxkeys, sizeof(maxkeys), "%u", s->page_size);
    for (;;) {
        awc_aws_param p[5];
        size_t np = 0;
        awc_aws_request req;
        awc_aws_response resp;
        awc_s3_page pg;

        if (++pages > MAX_PAGES) {
            rc = awc_error_set(AWC_EIO, "%s: more than %u pages", what, MAX_PAGES);
            break;
        }
        if (token)
            p[np++] = (awc_aws_param){"continuation-token", token};
        p[np++] = (awc_aws_param){"encoding-type", "url"};
        p[np++] = (awc_aws_param){"list-type", "2"};
        if (s->page_size)
            p[np++] = (awc_aws_param){"max-keys", maxkeys};
        p[np++] = (awc_aws_param){"prefix", prefix ? prefix : ""};
        awc_free(query);
        if ((rc = awc_aws_query(&query, p, np)))
            break;
        memset(&req, 0, sizeof(req));
        req.what = what;
        req.method = "GET";
        req.endpoint = endpoint;
        req.path = path;
        req.query = query;
        req.region = s->region;
        req.service = "s3";
        req.s3 = 1;
        rc = awc_aws_send(s->client, &req, &resp);
        if (rc == 0)
            rc = awc_s3_parse_listing(out, &cap, &pg, s->max_keys, what, resp.body, resp.len);
        awc_aws_response_free(&resp);
        if (rc)
            break;
        if (!pg.truncated) {
            awc_free(pg.next);
            break;
        }
        if (token && strcmp(token, pg.next) == 0) {
            awc_free(pg.next);
            rc = awc_error_set(AWC_EBADINPUT, "%s: the listing repeats its continuation token",
                               what);
            break;
        }
        awc_free(token);
        token = pg.next;
    }
    awc_free(token);
    awc_free(query);
    awc_free(endpoint);
    awc_free(path);
    if (rc == 0 && out->n == 0)
        rc = awc_error_set(AWC_ENOTFOUND, "s3://%s/%.400s: no .csv or .csv.gz objects", bucket,
                           prefix ? prefix : "");
    if (rc) {
        awc_s3_keys_free(out);
        return rc;
    }
    qsort(out->v, out->n, sizeof(*out->v), key_cmp);
    return 0;
}

/* --- one object as a pull-style source ------------------------------------------- */

struct awc_s3_object {
    CURLM *multi;
    CURL *h;
    awc_aws_xfer x;
    awc_aws_request req;
    char *what, *endpoint, *path;
    char *buf;                     /* data waiting for read(): buf[off, len) */
    size_t cap, off, len;
    char *err;                     /* body of an error answer, bounded */
    size_t errlen;
    int state;                     /* 0 unknown, 1 2xx body, 2 error body */
    int started, paused, done, finished;
    CURLcode result;
    int rc;                        /* sticky result once finished or failed */
    char msg[AWC_ERRMSG_MAX];      /* its message, set again on every return */
};

static size_t obj_write(char *p, size_t size, size_t nmemb, void *ud)
{
    awc_s3_object *o = ud;
    size_t n = size * nmemb;

    if (o->state == 0) {
        long st = 0;
        curl_easy_getinfo(o->h, CURLINFO_RESPONSE_CODE, &st);
        o->state = (st >= 200 && st <= 299) ? 1 : 2;
    }
    if (o->state == 2) {
        size_t room = AWC_AWS_MAX_ERROR_BODY - o->errlen, take = n < room ? n : room;
        if (take) {
            char *e = awc_realloc(o->err, o->errlen + take + 1);
            if (!e)
                return 0;
            o->err = e;
            memcpy(o->err + o->errlen, p, take);
            o->errlen += take;
            o->err[o->errlen] = '\0';
        }
        return n;
    }
    if (o->off && o->cap - o->len < n) { /* move what is left to the front */
        memmove(o->buf, o->buf + o->off, o->len - o->off);
        o->len -= o->off;
        o->off = 0;
    }
    if (o->cap - o->len < n) {
        if (o->len > 0) { /* full: wait until read() has taken bytes out */
            o->paused = 1;
            return CURL_WRITEFUNC_PAUSE;
        }
        /* An empty buffer smaller than one chunk (libcurl's chunks are
         * 16 KiB, the buffer 1 MiB): grow it, within reason. */
        if (n > 16 * AWC_S3_BUFFER)
            return 0;
        {
            char *b = awc_realloc(o->buf, n);
            if (!b)
                return 0;
            o->buf = b;
            o->cap = n;
        }
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return n;
}

static ssize_t obj_fail(awc_s3_object *o, int rc)
{
    o->rc = rc;
    snprintf(o->msg, sizeof(o->msg), "%s", awc_error_last());
    return rc;
}

static ssize_t obj_read(void *ctx, void *dst, size_t n)
{
    awc_s3_object *o = ctx;

    if (o->rc) {
        awc_error_set(o->rc, "%s", o->msg);
        return o->rc;
    }
    if (!o->started) {
        CURLMcode mc = curl_multi_add_handle(o->multi, o->h);
        if (mc != CURLM_OK)
            return obj_fail(o, awc_error_set(AWC_ENET, "%s: %s", o->what,
                                             curl_multi_strerror(mc)));
        o->started = 1;
    }
    for (;;) {
        int running = 0, left = 0;
        CURLMsg *m;
        CURLMcode mc;

        if (o->len > o->off) {
            size_t k = o->len - o->off < n ? o->len - o->off : n;
            memcpy(dst, o->buf + o->off, k);
            o->off += k;
            if (o->off == o->len)
                o->off = o->len = 0;
            if (o->paused) {
                o->paused = 0;
                curl_easy_pause(o->h, CURLPAUSE_CONT);
            }
            return (ssize_t)k;
        }
        if (o->done) {
            int rc;
            if (o->finished)
                return 0;
            rc = awc_aws_xfer_result(&o->x, o->h, o->result, o->err, o->errlen, NULL, NULL, 0);
            if (rc)
                return obj_fail(o, rc);
            o->finished = 1;
            return 0;
        }
        if (o->paused) {
            o->paused = 0;
            curl_easy_pause(o->h, CURLPAUSE_CONT); /* may deliver data right away */
            continue;
        }
        mc = curl_multi_perform(o->multi, &running);
        if (mc != CURLM_OK)
            return obj_fail(o, awc_error_set(AWC_ENET, "%s: %s", o->what,
                                             curl_multi_strerror(mc)));
        while ((m = curl_multi_info_read(o->multi, &left)) != NULL)
            if (m->msg == CURLMSG_DONE && m->easy_handle == o->h) {
                o->done = 1;
                o->result = m->data.result;
            }
        if (o->len > o->off || o->done)
            continue;
        if (!running) { /* should not happen without a DONE message */
            o->done = 1;
            o->result = CURLE_RECV_ERROR;
            continue;
        }
        mc = curl_multi_poll(o->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK)
            return obj_fail(o, awc_error_set(AWC_ENET, "%s: %s", o->what,
                                             curl_multi_strerror(mc)));
    }
}

void awc_s3_object_close(awc_s3_object *o)
{
    if (!o)
        return;
    if (o->multi && o->h && o->started)
        curl_multi_remove_handle(o->multi, o->h);
    if (o->h)
        curl_easy_cleanup(o->h);
    if (o->multi)
        curl_multi_cleanup(o->multi);
    awc_aws_xfer_cleanup(&o->x);
    awc_free(o->what);
    awc_free(o->endpoint);
    awc_free(o->path);
    awc_free(o->buf);
    awc_free(o->err);
    awc_free(o);
}

int awc_s3_object_source(awc_cur_source *src, awc_s3_object **obj, awc_s3 *s,
                         const char *bucket, const char *key)
{
    awc_s3_object *o;
    size_t wn;
    int rc;

    *obj = NULL;
    src->ctx = NULL;
    src->read = NULL;
    awc_aws_global_init();
    if (!bucket_ok(bucket, strlen(bucket)) || !key || !*key)
        return awc_error_set(AWC_EBADINPUT, "s3 GetObject: bad bucket or empty key");
    if (!(o = awc_calloc(1, sizeof(*o))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    wn = strlen(bucket) + strlen(key) + 32;
    if (!(o->what = awc_malloc(wn)) || !(o->buf = awc_malloc(AWC_S3_BUFFER))) {
        awc_s3_object_close(o);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    o->cap = AWC_S3_BUFFER;
    snprintf(o->what, wn, "s3 GetObject s3://%s/%s", bucket, key);
    if ((rc = address(s, bucket, key, &o->endpoint, &o->path))) {
        awc_s3_object_close(o);
        return rc;
    }
    if (!(o->multi = curl_multi_init()) || !(o->h = curl_easy_init())) {
        awc_s3_object_close(o);
        return awc_error_set(AWC_ENOMEM, "s3: cannot make a libcurl handle");
    }
    o->req.what = o->what;
    o->req.method = "GET";
    o->req.endpoint = o->endpoint;
    o->req.path = o->path;
    o->req.region = s->region;
    o->req.service = "s3";
    o->req.s3 = 1;
    o->req.timeout = s->object_timeout;
    o->req.stall = s->aws->timeout ? s->aws->timeout : 60;
    if ((rc = awc_aws_xfer_setup(&o->x, o->h, s->aws, &o->req))) {
        awc_s3_object_close(o);
        return rc;
    }
    curl_easy_setopt(o->h, CURLOPT_WRITEFUNCTION, obj_write);
    curl_easy_setopt(o->h, CURLOPT_WRITEDATA, o);
    src->ctx = o;
    src->read = obj_read;
    *obj = o;
    return 0;
}

/* --- the whole source -------------------------------------------------------------- */

int awc_s3_read_cur(awc_s3 *s, const char *url, const awc_cur_options *opt,
                    awc_cur_row_fn on_row, void *ctx, awc_cur_stats *stats)
{
    awc_s3_url u;
    awc_s3_keys keys;
    size_t i;
    int rc;

    if ((rc = awc_s3_parse_url(&u, url)))
        return rc;
    if ((rc = awc_s3_list(&keys, s, u.bucket, u.prefix))) {
        awc_s3_url_free(&u);
        return rc;
    }
    for (i = 0; i < keys.n && rc == 0; i++) {
        awc_cur_source src;
        awc_s3_object *o;
        awc_cur_reader *r;
        size_t nn = strlen(u.bucket) + strlen(keys.v[i]) + 7;
        char *name = awc_malloc(nn);

        if (!name) {
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
            break;
        }
        snprintf(name, nn, "s3://%s/%s", u.bucket, keys.v[i]);
        if ((rc = awc_s3_object_source(&src, &o, s, u.bucket, keys.v[i])) == 0) {
            if ((rc = awc_cur_open_source(&r, name, &src, opt)) == 0) {
                rc = awc_cur_read(r, on_row, ctx, stats);
                awc_cur_close(r);
            }
            awc_s3_object_close(o);
        }
        awc_free(name);
    }
    awc_s3_keys_free(&keys);
    awc_s3_url_free(&u);
    return rc;
}
