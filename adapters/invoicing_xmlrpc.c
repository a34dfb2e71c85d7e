/*
 * invoicing_xmlrpc.c -- usage files through a billing platform's XML-RPC
 * usage API (SPEC section 8; the method contract is docs/INVOICING-XMLRPC.md).
 *
 * One awc_invoicing holds one libcurl easy handle (connections are reused)
 * and is used by one thread at a time.  Requests are built with libxml2's
 * tree API, so every text is escaped by the serialiser; answers are parsed
 * with XML_PARSE_NONET and without entity substitution, and an answer with
 * a DTD is refused before it is parsed.  Answers are bounded (RESPONSE_MAX).
 *
 * send() is exactly-once per external id (the recovery rule):
 *   usage.createFile; when the platform answers "duplicate external id"
 *   (fault 409) the file is looked up with usage.findByExternalId and its
 *   records with usage.listRecords; they must be the first k of ours, field
 *   by field, or send() stops with AWC_ECONFLICT.  Then the records from k on
 *   are added with usage.addRecords (batches of BATCH), the file is submitted
 *   when it is still a draft, and usage.getStatus gives the answer.  The
 *   platform adds a batch whole or not at all, so a crash or a lost answer at
 *   any point leaves a prefix of our records, and the next send() completes
 *   it without adding any record twice.
 *
 * Credentials come from the environment variables named by user_env and
 * password_env; they go to libcurl and nowhere else (never into a message).
 * No floating point: amounts are decimal strings from minor units.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "awc.h"
#include "http_body.h"
#include "invoicing.h"
#include "money.h"

#define BATCH 500                          /* records per addRecords/listRecords */
#define RESPONSE_MAX (16u * 1024 * 1024)   /* bytes of one answer */
#define DEF_TIMEOUT 60L
#define DEF_CONNECT_TIMEOUT 10L
#define EXTERNAL_ID_MAX 255
#define FIELD_MAX 4096
#define FAULT_MAX 300                      /* bytes of a faultString in a message */
#define SHOW_MAX 40
#define STATUS_MAX 16

struct xr {
    awc_invoicing base;
    CURL *curl;
    struct curl_slist *headers;
    char *where;                   /* the URL without query: for messages */
    char *user, *pass;             /* wiped at close */
    long timeout, connect_timeout;
    char errbuf[CURL_ERROR_SIZE];
};

/* --- process-wide initialisation -------------------------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* Once per process; never undone (we are a plugin: the host may use both). */
static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
}

/* --- text checks -------------------------------------------------------------------- */

/* Valid UTF-8 without characters XML 1.0 cannot carry. */
static int xml_text_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
            return 0;
    return xmlCheckUTF8((const xmlChar *)s);
}

/* A single-line identifier: printable ASCII or UTF-8, no control characters. */
static int id_ok(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return xmlCheckUTF8((const xmlChar *)s);
}

static const char *show(char *buf, size_t n, const char *s)
{
    size_t i = 0;

    for (; s[i] && i + 1 < n && i < SHOW_MAX; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int valid_period(const char *p)
{
    if (!p || strlen(p) != 7 || !is_digits(p, 4) || p[4] != '-' || !is_digits(p + 5, 2))
        return 0;
    return (p[5] == '0' && p[6] >= '1') || (p[5] == '1' && p[6] <= '2');
}

static int valid_time(const char *t)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

    if (!t || strlen(t) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
            return 0;
    return 1;
}

static const char *reseller_of(const awc_usage_file *f, const awc_usage_record *r)
{
    return r->reseller_id && *r->reseller_id ? r->reseller_id : f->reseller_id;
}

static int check_field(const awc_usage_file *f, size_t i, const char *name, const char *v)
{
    if (!v || !id_ok(v, FIELD_MAX))
        return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: %s is empty, too long "
                             "or not valid UTF-8 text", f->external_id, i + 1, name);
    return 0;
}

static int check_file(const awc_usage_file *f)
{
    int rc, e;

    if (!f->external_id || !id_ok(f->external_id, EXTERNAL_ID_MAX))
        return awc_error_set(AWC_EUSAGE, "xmlrpc: external id is empty, longer than %d bytes "
                             "or has control characters", EXTERNAL_ID_MAX);
    if (!valid_period(f->period))
        return awc_error_set(AWC_EBADINPUT, "usage file %s: period is not YYYY-MM",
                             f->external_id);
    if (!f->currency || strlen(f->currency) != 3 || !id_ok(f->currency, 3))
        return awc_error_set(AWC_EBADINPUT, "usage file %s: currency is not a 3-letter code",
                             f->external_id);
    if (f->reseller_id && !xml_text_ok(f->reseller_id))
        return awc_error_set(AWC_EBADINPUT, "usage file %s: reseller_id is not valid UTF-8 text",
                             f->external_id);
    if (f->n == 0 || !f->records || f->n > (size_t)INT32_MAX)
        return awc_error_set(AWC_EBADINPUT, "usage file %s: %zu records", f->external_id, f->n);
    e = awc_currency_exponent(f->currency);
    for (size_t i = 0; i < f->n; i++) {
        const awc_usage_record *r = &f->records[i];

        if ((rc = check_field(f, i, "item_mpn", r->item_mpn)) ||
            (rc = check_field(f, i, "asset_id", r->asset_id)) ||
            (rc = check_field(f, i, "customer_id", r->customer_id)) ||
            (rc = check_field(f, i, "reseller_id", reseller_of(f, r))))
            return rc;
        if (r->note && (strlen(r->note) > FIELD_MAX || !xml_text_ok(r->note)))
            return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: note longer than %d "
                                 "bytes or not valid XML text", f->external_id, i + 1, FIELD_MAX);
        if (!r->currency || strcmp(r->currency, f->currency) != 0)
            return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: currency differs "
                                 "from the file's %s", f->external_id, i + 1, f->currency);
        if (r->exponent < 0 || r->exponent > 4 || (e >= 0 && e != r->exponent))
            return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: exponent %d does not "
                                 "fit currency %s", f->external_id, i + 1, r->exponent,
                                 f->currency);
        if (!valid_time(r->start_utc) || !valid_time(r->end_utc))
            return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: start and end must "
                                 "look like YYYY-MM-DDTHH:MM:SSZ", f->external_id, i + 1);
    }
    return 0;
}

/* --- building a request --------------------------------------------------------------- */

struct req {
    xmlDocPtr doc;
    xmlNodePtr params;
    int oom;
};

static xmlNodePtr add(struct req *r, xmlNodePtr parent, const char *name, const char *text)
{
    xmlNodePtr n;

    if (!parent)
        return NULL;
    /* xmlNewTextChild escapes text; xmlNewChild would not. */
    n = text ? xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text)
             : xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    if (!n)
        r->oom = 1;
    return n;
}

static int req_begin(struct req *r, const char *method)
{
    xmlNodePtr root;

    r->oom = 0;
    r->params = NULL;
    if (!(r->doc = xmlNewDoc(BAD_CAST "1.0")) ||
        !(root = xmlNewDocNode(r->doc, NULL, BAD_CAST "methodCall", NULL))) {
        xmlFreeDoc(r->doc);
        r->doc = NULL;
        return awc_error_set(AWC_ENOMEM, "xmlrpc %s: out of memory", method);
    }
    xmlDocSetRootElement(r->doc, root);
    add(r, root, "methodName", method);
    r->params = add(r, root, "params", NULL);
    return 0;
}

/* A new <param><value/></param>: its <value>. */
static xmlNodePtr param(struct req *r)
{
    return add(r, add(r, r->params, "param", NULL), "value", NULL);
}

static void v_string(struct req *r, xmlNodePtr value, const char *s)
{
    add(r, value, "string", s);
}

static void v_int(struct req *r, xmlNodePtr value, int32_t i)
{
    char buf[16];

    snprintf(buf, sizeof(buf), "%" PRId32, i);
    add(r, value, "int", buf);
}

/* <member><name>name</name><value/></member> in st: its <value>. */
static xmlNodePtr member_value(struct req *r, xmlNodePtr st, const char *name)
{
    xmlNodePtr m = add(r, st, "member", NULL);

    add(r, m, "name", name);
    return add(r, m, "value", NULL);
}

static void s_string(struct req *r, xmlNodePtr st, const char *name, const char *s)
{
    v_string(r, member_value(r, st, name), s);
}

/* --- answers -------------------------------------------------------------------------- */

static int is_el(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr el_next(xmlNodePtr n)
{
    for (n = n ? n->next : NULL; n && n->type != XML_ELEMENT_NODE; n = n->next)
        ;
    return n;
}

static xmlNodePtr el_first(xmlNodePtr n)
{
    if (!n)
        return NULL;
    n = n->children;
    return n && n->type != XML_ELEMENT_NODE ? el_next(n) : n;
}

/* The struct member name of a <value> holding a <struct>, or NULL. */
static xmlNodePtr member(xmlNodePtr value, const char *name)
{
    xmlNodePtr st = el_first(value);

    if (!is_el(st, "struct"))
        return NULL;
    for (xmlNodePtr m = el_first(st); m; m = el_next(m)) {
        xmlNodePtr nm = el_first(m);
        xmlChar *text;
        int same;

        if (!is_el(m, "member") || !is_el(nm, "name"))
            continue;
        text = xmlNodeGetContent(nm);
        same = text && xmlStrEqual(text, BAD_CAST name);
        xmlFree(text);
        if (same) {
            xmlNodePtr v = el_next(nm);
            return is_el(v, "value") ? v : NULL;
        }
    }
    return NULL;
}

/* The text of a string <value> (typed <string> or bare text), to be freed
 * with xmlFree; NULL when the value is not a string. */
static xmlChar *str_of(xmlNodePtr value)
{
    xmlNodePtr t;

    if (!is_el(value, "value"))
        return NULL;
    t = el_first(value);
    if (!t)
        return xmlNodeGetContent(value);
    if (!is_el(t, "string") || el_next(t))
        return NULL;
    return xmlNodeGetContent(t);
}

/* Copy a string value into buf (n bytes).  0, or -1 when not a string or
 * longer than n - 1 bytes. */
static int get_str(xmlNodePtr value, char *buf, size_t n)
{
    xmlChar *s = str_of(value);
    size_t len;

    if (!s)
        return -1;
    len = (size_t)xmlStrlen(s);
    if (len >= n) {
        xmlFree(s);
        return -1;
    }
    memcpy(buf, s, len + 1);
    xmlFree(s);
    return 0;
}

/* An <int>, <i4> or <i8> value.  0, or -1. */
static int get_int(xmlNodePtr value, int64_t *out)
{
    xmlNodePtr t = el_first(value);
    xmlChar *s;
    char *end;
    long long v;
    int rc = -1;

    if (!is_el(t, "int") && !is_el(t, "i4") && !is_el(t, "i8"))
        return -1;
    if (!(s = xmlNodeGetContent(t)))
        return -1;
    errno = 0;
    v = strtoll((const char *)s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (errno == 0 && end != (char *)s && *end == '\0') {
        *out = v;
        rc = 0;
    }
    xmlFree(s);
    return rc;
}

/* The items of an array <value>: its <data>, or NULL when not an array. */
static xmlNodePtr array_data(xmlNodePtr value)
{
    xmlNodePtr a = el_first(value), d;

    if (!is_el(a, "array") || !is_el(d = el_first(a), "data"))
        return NULL;
    return d;
}

/* The number of items of an array's <data>, or SIZE_MAX when it holds an
 * element other than <value>: the readers walk every element of <data>,
 * so the count must be of every element, not of the <value>s only. */
static size_t array_len(xmlNodePtr data)
{
    size_t n = 0;

    for (xmlNodePtr v = el_first(data); v; v = el_next(v)) {
        if (!is_el(v, "value"))
            return SIZE_MAX;
        n++;
    }
    return n;
}

static int bad_answer(const char *method, const char *what)
{
    return awc_error_set(AWC_ENET, "xmlrpc %s: unexpected answer: %s", method, what);
}

/* --- one call ------------------------------------------------------------------------- */

/* A fault's code as an awc error (docs/INVOICING-XMLRPC.md, "Faults"). */
static int fault_err(int64_t code)
{
    switch (code) {
    case 400: return AWC_EBADINPUT;
    case 401: case 403: return AWC_EPERM;
    case 404: return AWC_ENOTFOUND;
    case 409: return AWC_ECONFLICT;
    case 422: return AWC_EINVALID_TRANSITION;
    default: return AWC_ENET;
    }
}

static int fault(const char *method, xmlNodePtr value)
{
    xmlChar *s = str_of(member(value, "faultString"));
    int64_t code = 0;
    int rc;

    if (get_int(member(value, "faultCode"), &code) != 0) {
        xmlFree(s);
        return bad_answer(method, "a fault without an int faultCode");
    }
    /* awc_error_set() turns control characters into spaces: one line. */
    rc = awc_error_set(fault_err(code), "xmlrpc %s: fault %" PRId64 ": %.*s%s", method, code,
                       FAULT_MAX, s ? (const char *)s : "(no faultString)",
                       s && xmlStrlen(s) > FAULT_MAX ? "..." : "");
    xmlFree(s);
    return rc;
}

/* Parse an answer: on success *doc (freed by the caller) and *result, the
 * <value> of the single param. */
static int parse_answer(const char *method, const awc_http_body *b, xmlDocPtr *doc,
                        xmlNodePtr *result)
{
    xmlNodePtr root, top, v;
    xmlDocPtr d;
    int rc;

    *doc = NULL;
    if (memmem(b->p, b->len, "<!DOCTYPE", 9) || memmem(b->p, b->len, "<!ENTITY", 8))
        return bad_answer(method, "it carries a DTD (refused)");
    if (b->len > INT32_MAX)
        return bad_answer(method, "too large");
    d = xmlReadMemory(b->p, (int)b->len, "answer.xml", NULL,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                      XML_PARSE_NOCDATA);
    if (!d)
        return bad_answer(method, "not well-formed XML");
    if (d->intSubset || d->extSubset) {
        xmlFreeDoc(d);
        return bad_answer(method, "it carries a DTD (refused)");
    }
    root = xmlDocGetRootElement(d);
    top = el_first(root);
    if (!is_el(root, "methodResponse") || !top) {
        xmlFreeDoc(d);
        return bad_answer(method, "no methodResponse");
    }
    if (is_el(top, "fault")) {
        rc = is_el(v = el_first(top), "value") ? fault(method, v)
                                               : bad_answer(method, "an empty fault");
        xmlFreeDoc(d);
        return rc;
    }
    v = el_first(el_first(top));
    if (!is_el(top, "params") || !is_el(el_first(top), "param") || !is_el(v, "value")) {
        xmlFreeDoc(d);
        return bad_answer(method, "no params/param/value");
    }
    *doc = d;
    *result = v;
    return 0;
}

/* Did the last transfer get a connection? */
static int connected(struct xr *x)
{
    curl_off_t us = 0;

    return curl_easy_getinfo(x->curl, CURLINFO_CONNECT_TIME_T, &us) == CURLE_OK && us > 0;
}

/* Send r (consumed) as method; on success *doc (freed by the caller with
 * xmlFreeDoc) and *result, the answer's value. */
static int call(struct xr *x, const char *method, struct req *r, xmlDocPtr *doc,
                xmlNodePtr *result)
{
    awc_http_body b = { NULL, 0, 0, RESPONSE_MAX, 0, 0 };
    xmlChar *mem = NULL;
    int size = 0, rc;
    CURLcode cc;
    long http = 0;

    *doc = NULL;
    if (!r->oom)
        xmlDocDumpMemoryEnc(r->doc, &mem, &size, "UTF-8");
    xmlFreeDoc(r->doc);
    r->doc = NULL;
    if (r->oom || !mem) {
        xmlFree(mem);
        return awc_error_set(AWC_ENOMEM, "xmlrpc %s: out of memory building the request",
                             method);
    }
    x->errbuf[0] = '\0';
    curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, (const char *)mem);
    curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE, (long)size);
    curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, &b);
    cc = curl_easy_perform(x->curl);
    curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, (const char *)NULL);
    curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, (void *)NULL);
    xmlFree(mem);

    if (cc != CURLE_OK) {
        const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
        if (b.toobig)
            rc = awc_error_set(AWC_ENET, "xmlrpc %s to %s: answer larger than %u bytes", method,
                               x->where, RESPONSE_MAX);
        else if (b.oom)
            rc = awc_error_set(AWC_ENOMEM, "xmlrpc %s: out of memory reading the answer",
                               method);
        else if (cc == CURLE_OPERATION_TIMEDOUT && !connected(x))
            rc = awc_error_set(AWC_ETIMEOUT, "xmlrpc %s to %s: no connection within the "
                               "connect timeout of %ld s (%s)", method, x->where,
                               x->connect_timeout, why);
        else if (cc == CURLE_OPERATION_TIMEDOUT)
            rc = awc_error_set(AWC_ETIMEOUT, "xmlrpc %s to %s: no answer within the timeout "
                               "of %ld s (%s)", method, x->where, x->timeout, why);
        else
            rc = awc_error_set(AWC_ENET, "xmlrpc %s to %s: %s", method, x->where, why);
        awc_free(b.p);
        return rc;
    }
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &http);
    if (http != 200) {
        awc_free(b.p);
        return awc_error_set(AWC_ENET, "xmlrpc %s to %s: HTTP %ld%s", method, x->where, http,
                             http == 401 || http == 403
                                 ? " (credentials refused: check the variables named by "
                                   "user_env and password_env)" : "");
    }
    if (!b.p) {
        return bad_answer(method, "an empty body");
    }
    rc = parse_answer(method, &b, doc, result);
    awc_free(b.p);
    return rc;
}

/* --- the platform's file state ----------------------------------------------------------- */

static void copy_note(char *dst, const xmlChar *s)
{
    size_t n = s ? (size_t)xmlStrlen(s) : 0;

    if (n > AWC_UF_NOTE_MAX - 1) {
        n = AWC_UF_NOTE_MAX - 1;
        while (n > 0 && (s[n] & 0xc0) == 0x80)
            n--;                       /* do not cut a UTF-8 character */
    }
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Platform status text to awc_uf_status; -1 when unknown. */
static int map_status(const char *s)
{
    static const struct { const char *name; awc_uf_status st; } map[] = {
        { "draft", AWC_UF_PENDING },  { "uploading", AWC_UF_PENDING },
        { "processing", AWC_UF_PENDING }, { "ready", AWC_UF_PENDING },
        { "pending", AWC_UF_PENDING }, { "accepted", AWC_UF_ACCEPTED },
        { "closed", AWC_UF_CLOSED }, { "rejected", AWC_UF_REJECTED },
        { "invalid", AWC_UF_REJECTED },
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(s, map[i].name) == 0)
            return (int)map[i].st;
    return -1;
}

/* Read a file state struct (getStatus, findByExternalId) into out; the
 * platform's own status word into status. */
static int read_state(const char *method, xmlNodePtr v, awc_uf_state *out,
                      char status[STATUS_MAX])
{
    char shown[SHOW_MAX + 1];
    xmlChar *note;
    int64_t count;
    int st;

    memset(out, 0, sizeof(*out));
    if (get_str(member(v, "usage_file_id"), out->usage_file_id, sizeof(out->usage_file_id)) ||
        !id_ok(out->usage_file_id, AWC_UF_ID_MAX - 1))
        return bad_answer(method, "no usage_file_id string");
    if (get_str(member(v, "status"), status, STATUS_MAX))
        return bad_answer(method, "no status string");
    if ((st = map_status(status)) < 0)
        return awc_error_set(AWC_ENET, "xmlrpc %s: usage file %s has an unknown status '%s'",
                             method, out->usage_file_id, show(shown, sizeof(shown), status));
    if (get_int(member(v, "record_count"), &count) || count < 0)
        return bad_answer(method, "no record_count int");
    note = str_of(member(v, "note"));
    copy_note(out->note, note);
    xmlFree(note);
    out->status = (awc_uf_status)st;
    out->records = (size_t)count;
    return 0;
}

/* usage.getStatus(id) or usage.findByExternalId(ext): a missing file is
 * status AWC_UF_UNKNOWN, not an error. */
static int get_state(struct xr *x, const char *method, const char *arg, awc_uf_state *out,
                     char status[STATUS_MAX])
{
    struct req r;
    xmlDocPtr doc;
    xmlNodePtr v;
    int rc;

    memset(out, 0, sizeof(*out));
    status[0] = '\0';
    if ((rc = req_begin(&r, method)) != 0)
        return rc;
    v_string(&r, param(&r), arg);
    rc = call(x, method, &r, &doc, &v);
    if (rc == AWC_ENOTFOUND) {
        awc_error_clear();
        return 0;
    }
    if (rc == 0)
        rc = read_state(method, v, out, status);
    xmlFreeDoc(doc);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* --- send ------------------------------------------------------------------------------- */

/* createFile's answer: the new file's id. */
static int read_file_id(const char *method, xmlNodePtr v, char id[AWC_UF_ID_MAX])
{
    if (get_str(member(v, "usage_file_id"), id, AWC_UF_ID_MAX) || !id_ok(id, AWC_UF_ID_MAX - 1))
        return bad_answer(method, "no usage_file_id string");
    return 0;
}

static int create_file(struct xr *x, const awc_usage_file *f, char id[AWC_UF_ID_MAX])
{
    static const char method[] = "usage.createFile";
    struct req r;
    xmlDocPtr doc;
    xmlNodePtr st, v;
    int rc;

    if ((rc = req_begin(&r, method)) != 0)
        return rc;
    st = add(&r, param(&r), "struct", NULL);
    s_string(&r, st, "external_id", f->external_id);
    s_string(&r, st, "period", f->period);
    s_string(&r, st, "reseller_id", f->reseller_id ? f->reseller_id : "");
    s_string(&r, st, "currency", f->currency);
    if ((rc = call(x, method, &r, &doc, &v)) != 0)
        return rc;
    rc = read_file_id(method, v, id);
    xmlFreeDoc(doc);
    return rc;
}

/* addRecords' answer: an array of n record ids into ids[0..n). */
static int read_record_ids(const char *method, xmlNodePtr v, size_t n,
                           char (*ids)[AWC_UF_ID_MAX])
{
    xmlNodePtr data, item;
    size_t i;

    if (!(data = array_data(v)) || array_len(data) != n)
        return bad_answer(method, "not one record id per record");
    for (i = 0, item = el_first(data); item; item = el_next(item), i++)
        if (get_str(item, ids[i], AWC_UF_ID_MAX) || !id_ok(ids[i], AWC_UF_ID_MAX - 1))
            return bad_answer(method, "a record id that is not a short string");
    return 0;
}

/* usage.addRecords for records [from, from + n): their ids into ids[from..]. */
static int add_records(struct xr *x, const char *fid, const awc_usage_file *f, size_t from,
                       size_t n, char (*ids)[AWC_UF_ID_MAX])
{
    static const char method[] = "usage.addRecords";
    char amount[AWC_MONEY_BUFSZ];
    struct req r;
    xmlDocPtr doc;
    xmlNodePtr data, v;
    size_t i;
    int rc;

    if ((rc = req_begin(&r, method)) != 0)
        return rc;
    v_string(&r, param(&r), fid);
    data = add(&r, add(&r, param(&r), "array", NULL), "data", NULL);
    for (i = from; i < from + n; i++) {
        const awc_usage_record *rec = &f->records[i];
        xmlNodePtr st = add(&r, add(&r, data, "value", NULL), "struct", NULL);

        if ((rc = awc_money_format_minor(amount, sizeof(amount), rec->amount_minor,
                                         rec->exponent)) < 0) {
            xmlFreeDoc(r.doc);
            return awc_error_prefix(rc, "usage file %s record %zu", f->external_id, i + 1);
        }
        s_string(&r, st, "note", rec->note ? rec->note : "");
        s_string(&r, st, "item_mpn", rec->item_mpn);
        s_string(&r, st, "amount", amount);
        v_int(&r, member_value(&r, st, "quantity"), 1);
        s_string(&r, st, "start_time_utc", rec->start_utc);
        s_string(&r, st, "end_time_utc", rec->end_utc);
        s_string(&r, st, "asset_id", rec->asset_id);
        s_string(&r, st, "customer_id", rec->customer_id);
        s_string(&r, st, "reseller_id", reseller_of(f, rec));
    }
    if ((rc = call(x, method, &r, &doc, &v)) != 0)
        return rc;
    rc = read_record_ids(method, v, n, ids + from);
    xmlFreeDoc(doc);
    return rc;
}

/* Does string member name of v equal want?  0 yes, else -1. */
static int same_str(xmlNodePtr v, const char *name, const char *want)
{
    xmlChar *s = str_of(member(v, name));
    int same = s && xmlStrEqual(s, BAD_CAST want);

    xmlFree(s);
    return same ? 0 : -1;
}

/* The first difference between the platform's record (struct v) and ours,
 * as a field name, or NULL when they agree. */
static const char *differs(xmlNodePtr v, const awc_usage_file *f, const awc_usage_record *r)
{
    xmlChar *s;
    int64_t minor, qty;
    int bad;

    if (same_str(v, "note", r->note ? r->note : ""))
        return "note";
    if (same_str(v, "item_mpn", r->item_mpn))
        return "item_mpn";
    s = str_of(member(v, "amount"));
    bad = !s || awc_money_parse_minor(&minor, (const char *)s, (size_t)xmlStrlen(s),
                                      r->exponent) != 0 || minor != r->amount_minor;
    xmlFree(s);
    if (bad)
        return "amount";
    if (get_int(member(v, "quantity"), &qty) || qty != 1)
        return "quantity";
    if (same_str(v, "start_time_utc", r->start_utc))
        return "start_time_utc";
    if (same_str(v, "end_time_utc", r->end_utc))
        return "end_time_utc";
    if (same_str(v, "asset_id", r->asset_id))
        return "asset_id";
    if (same_str(v, "customer_id", r->customer_id))
        return "customer_id";
    if (member(v, "reseller_id") && same_str(v, "reseller_id", reseller_of(f, r)))
        return "reseller_id";
    return NULL;
}

/* listRecords' answer for records [off, off + n) of file fid: their ids
 * into ids[off..off + n); with f, each record must also equal ours. */
static int read_listed(const char *method, xmlNodePtr v, const char *fid,
                       const awc_usage_file *f, size_t off, size_t n,
                       char (*ids)[AWC_UF_ID_MAX])
{
    xmlNodePtr data;
    size_t i = off;

    if (!(data = array_data(v)) || array_len(data) != n)
        return bad_answer(method, "not the records asked for");
    for (xmlNodePtr item = el_first(data); item; item = el_next(item), i++) {
        const char *field = f ? differs(item, f, &f->records[i]) : NULL;
        if (field)
            return awc_error_set(AWC_ECONFLICT, "xmlrpc: usage file %s (external id %s) "
                                 "already holds a record %zu with another %s: it is not "
                                 "this file, nothing sent", fid, f->external_id, i + 1, field);
        if (get_str(member(item, "record_id"), ids[i], AWC_UF_ID_MAX) ||
            !id_ok(ids[i], AWC_UF_ID_MAX - 1))
            return bad_answer(method, "a record without a record_id string");
    }
    return 0;
}

/* The ids of the first have records of file fid into ids[0..have).  With
 * f, each record must also equal ours (the same position in f), else
 * AWC_ECONFLICT. */
static int list_records(struct xr *x, const char *fid, const awc_usage_file *f, size_t have,
                        char (*ids)[AWC_UF_ID_MAX])
{
    static const char method[] = "usage.listRecords";

    for (size_t off = 0; off < have; off += BATCH) {
        size_t n = have - off < BATCH ? have - off : BATCH;
        struct req r;
        xmlDocPtr doc;
        xmlNodePtr v;
        int rc;

        if (off > (size_t)INT32_MAX)
            return bad_answer(method, "too many records");
        if ((rc = req_begin(&r, method)) != 0)
            return rc;
        v_string(&r, param(&r), fid);
        v_int(&r, param(&r), (int32_t)off);
        v_int(&r, param(&r), (int32_t)n);
        if ((rc = call(x, method, &r, &doc, &v)) != 0)
            return rc;
        rc = read_listed(method, v, fid, f, off, n, ids);
        xmlFreeDoc(doc);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int submit(struct xr *x, const char *fid)
{
    static const char method[] = "usage.submit";
    struct req r;
    xmlDocPtr doc;
    xmlNodePtr v;
    int rc;

    if ((rc = req_begin(&r, method)) != 0)
        return rc;
    v_string(&r, param(&r), fid);
    if ((rc = call(x, method, &r, &doc, &v)) != 0)
        return rc;
    xmlFreeDoc(doc);
    return 0;
}

/* After "duplicate external id": what the platform holds must be a prefix
 * of f.  *have records are there; *draft when it can still take more. */
static int recover(struct xr *x, const awc_usage_file *f, char fid[AWC_UF_ID_MAX], size_t *have,
                   int *draft, char (*ids)[AWC_UF_ID_MAX])
{
    static const char method[] = "usage.findByExternalId";
    char status[STATUS_MAX];
    awc_uf_state st;
    int rc;

    if ((rc = get_state(x, method, f->external_id, &st, status)) != 0)
        return rc;
    if (st.status == AWC_UF_UNKNOWN)
        return awc_error_set(AWC_ENET, "xmlrpc: the platform refused external id %s as a "
                             "duplicate but does not find it", f->external_id);
    snprintf(fid, AWC_UF_ID_MAX, "%s", st.usage_file_id);
    *draft = strcmp(status, "draft") == 0;
    *have = st.records;
    if (*have > f->n || (!*draft && *have != f->n))
        return awc_error_set(AWC_ECONFLICT, "xmlrpc: usage file %s (external id %s) is %s with "
                             "%zu records, this file has %zu: nothing sent", fid,
                             f->external_id, status, *have, f->n);
    return list_records(x, fid, f, *have, ids);
}

static int xr_send(awc_invoicing *inv, const awc_usage_file *f, awc_uf_state *out,
                   char (*record_ids)[AWC_UF_ID_MAX])
{
    struct xr *x = (struct xr *)inv;
    char fid[AWC_UF_ID_MAX], status[STATUS_MAX];
    size_t have = 0;
    int rc, draft = 1;

    memset(out, 0, sizeof(*out));
    if ((rc = check_file(f)) != 0)
        return rc;
    rc = create_file(x, f, fid);
    if (rc == AWC_ECONFLICT)
        rc = recover(x, f, fid, &have, &draft, record_ids);
    if (rc != 0)
        return rc;
    for (size_t i = have; i < f->n && rc == 0; i += BATCH)
        rc = add_records(x, fid, f, i, f->n - i < BATCH ? f->n - i : BATCH, record_ids);
    if (rc == 0 && draft)
        rc = submit(x, fid);
    if (rc == 0)
        rc = get_state(x, "usage.getStatus", fid, out, status);
    if (rc == 0 && (out->status == AWC_UF_UNKNOWN || out->records != f->n))
        rc = awc_error_set(AWC_ENET, "xmlrpc: usage file %s holds %zu records after sending "
                           "%zu", fid, out->records, f->n);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* --- find, status, close ------------------------------------------------------------------ */

/* A file still in draft was never submitted: the platform does not have it
 * yet, so find() answers AWC_UF_UNKNOWN (with its id and record count) and
 * the caller sends again, which completes it. */
static int xr_find(awc_invoicing *inv, const char *external_id, awc_uf_state *out)
{
    struct xr *x = (struct xr *)inv;
    char status[STATUS_MAX];
    int rc;

    memset(out, 0, sizeof(*out));
    if (!external_id || !id_ok(external_id, EXTERNAL_ID_MAX))
        return awc_error_set(AWC_EUSAGE, "xmlrpc: external id is empty, longer than %d bytes "
                             "or has control characters", EXTERNAL_ID_MAX);
    if ((rc = get_state(x, "usage.findByExternalId", external_id, out, status)) != 0)
        return rc;
    if (strcmp(status, "draft") == 0)
        out->status = AWC_UF_UNKNOWN;
    return 0;
}

static int xr_status(awc_invoicing *inv, const char *usage_file_id, awc_uf_state *out)
{
    struct xr *x = (struct xr *)inv;
    char status[STATUS_MAX], id[AWC_UF_ID_MAX];

    /* the id may live in *out (status(inv, st.usage_file_id, &st)) */
    if (!usage_file_id || !id_ok(usage_file_id, AWC_UF_ID_MAX - 1)) {
        memset(out, 0, sizeof(*out));
        return awc_error_set(AWC_EUSAGE, "xmlrpc: bad usage file id");
    }
    snprintf(id, sizeof(id), "%s", usage_file_id);
    return get_state(x, "usage.getStatus", id, out, status);
}

static int xr_records(awc_invoicing *inv, const char *usage_file_id,
                      char (*record_ids)[AWC_UF_ID_MAX], size_t cap, size_t *n)
{
    struct xr *x = (struct xr *)inv;
    awc_uf_state st;
    int rc;

    *n = 0;
    if ((rc = xr_status(inv, usage_file_id, &st)) != 0)
        return rc;
    if (st.status == AWC_UF_UNKNOWN)
        return awc_error_set(AWC_ENOTFOUND, "xmlrpc: the platform has no usage file %s",
                             usage_file_id);
    if (st.records > cap)
        return awc_error_set(AWC_EOVERFLOW, "xmlrpc: usage file %s holds %zu records, more "
                             "than the %zu expected", usage_file_id, st.records, cap);
    if ((rc = list_records(x, usage_file_id, NULL, st.records, record_ids)) != 0)
        return rc;
    *n = st.records;
    return 0;
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        awc_free(s);
    }
}

static void xr_close(awc_invoicing *inv)
{
    struct xr *x = (struct xr *)inv;

    if (!x)
        return;
    if (x->curl)
        curl_easy_cleanup(x->curl);
    curl_slist_free_all(x->headers);
    wipe_free(x->user);
    wipe_free(x->pass);
    awc_free(x->where);
    awc_free(x);
}

static const awc_invoicing_ops xr_ops = {
    xr_close, xr_find, xr_send, xr_status, xr_records,
};

/* --- open --------------------------------------------------------------------------------- */

/* The URL must be http(s) and must not carry credentials.  *where gets
 * the URL without query or fragment, for messages. */
/* need_tls: credentials will be sent, so plain http only to this machine */
static int check_url(const char *url, int need_tls, char **where)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *user = NULL, *pass = NULL;
    int rc = 0;

    if (!u)
        return awc_error_set(AWC_ENOMEM, "xmlrpc: out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        rc = awc_error_set(AWC_ECONFIG, "invoicing.url: not a URL");
    else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        rc = awc_error_set(AWC_ECONFIG, "invoicing.url: scheme must be http or https");
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
        rc = awc_error_set(AWC_ECONFIG, "invoicing.url must not carry credentials: name "
                           "variables holding them in user_env and password_env");
    if (rc == 0 && need_tls && strcmp(scheme, "https") != 0) {
        char *host = NULL;
        if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host ||
            (strcmp(host, "localhost") != 0 && strncmp(host, "127.", 4) != 0 &&
             strcmp(host, "[::1]") != 0))
            rc = awc_error_set(AWC_ECONFIG, "invoicing.url: credentials go over https only "
                               "(plain http is allowed to this machine alone)");
        curl_free(host);
    }
    if (rc == 0) {
        size_t n = strcspn(url, "?#");
        if (!(*where = awc_strndup(url, n)))
            rc = awc_error_set(AWC_ENOMEM, "xmlrpc: out of memory");
    }
    curl_free(scheme);
    curl_free(user);
    curl_free(pass);
    curl_url_cleanup(u);
    return rc;
}

/* The value of the variable named name (a credential), copied. */
static int secret(const char *what, const char *name, char **out)
{
    const char *v = secure_getenv(name);

    if (!v || !*v)
        return awc_error_set(AWC_ECONFIG, "invoicing %s: the variable %s is not set", what,
                             name);
    if (!(*out = awc_strdup(v)))
        return awc_error_set(AWC_ENOMEM, "xmlrpc: out of memory");
    return 0;
}

#define SET(opt, val) \
    do { if (curl_easy_setopt(x->curl, opt, val) != CURLE_OK) goto setopt_failed; } while (0)

int awc_invoicing_xmlrpc_open(awc_invoicing **out, const awc_invoicing_params *p)
{
    struct xr *x;
    int rc;

    *out = NULL;
    if (!p || !p->url || !*p->url)
        return awc_error_set(AWC_ECONFIG, "invoicing.url is not set");
    if ((!p->user_env || !*p->user_env) != (!p->password_env || !*p->password_env))
        return awc_error_set(AWC_ECONFIG, "invoicing: user_env and password_env go together");
    pthread_once(&once, global_init);
    if (global_rc != CURLE_OK)
        return awc_error_set(AWC_ENET, "xmlrpc: libcurl initialisation failed: %s",
                             curl_easy_strerror(global_rc));
    if (!(x = awc_calloc(1, sizeof(*x))))
        return awc_error_set(AWC_ENOMEM, "xmlrpc: out of memory");
    x->base.ops = &xr_ops;
    x->timeout = p->timeout ? (long)p->timeout : DEF_TIMEOUT;
    x->connect_timeout = p->connect_timeout ? (long)p->connect_timeout : DEF_CONNECT_TIMEOUT;
    if (p->ca_file && *p->ca_file && access(p->ca_file, R_OK) != 0) {
        rc = awc_error_set(AWC_ECONFIG, "invoicing ca_file %s: %s", p->ca_file,
                           strerror(errno));
        goto fail;
    }
    if ((rc = check_url(p->url, p->user_env && *p->user_env, &x->where)) != 0 ||
        (p->user_env && *p->user_env &&
         ((rc = secret("user_env", p->user_env, &x->user)) != 0 ||
          (rc = secret("password_env", p->password_env, &x->pass)) != 0)))
        goto fail;
    if (!(x->curl = curl_easy_init()) ||
        !(x->headers = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8")) ||
        !curl_slist_append(x->headers, "Accept: text/xml") ||
        !curl_slist_append(x->headers, "Expect:")) {
        rc = awc_error_set(AWC_ENOMEM, "xmlrpc: out of memory");
        goto fail;
    }
    SET(CURLOPT_URL, p->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_HTTPHEADER, x->headers);
    SET(CURLOPT_USERAGENT, "awscredit/" AWC_VERSION);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT, x->connect_timeout);
    SET(CURLOPT_TIMEOUT, x->timeout);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (p->ca_file && *p->ca_file)
        SET(CURLOPT_CAINFO, p->ca_file);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_WRITEFUNCTION, awc_http_body_write);
    if (x->user) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, x->user);
        SET(CURLOPT_PASSWORD, x->pass);
    }
    *out = &x->base;
    return 0;

setopt_failed:
    rc = awc_error_set(AWC_ECONFIG, "xmlrpc: libcurl refused an option (ca_file %s?)",
                       p->ca_file ? p->ca_file : "unset");
fail:
    xr_close(&x->base);
    return rc;
}

/* --- one answer, without a connection (tests) -------------------------------------------- */

int awc_xmlrpc_read_answer(const char *method, const char *body, size_t len,
                           const awc_usage_file *f, size_t n, awc_uf_state *state,
                           char (*ids)[AWC_UF_ID_MAX])
{
    awc_http_body b = { (char *)body, len, len, RESPONSE_MAX, 0, 0 };
    char status[STATUS_MAX];
    xmlDocPtr doc;
    xmlNodePtr v;
    int rc;

    pthread_once(&once, global_init);
    memset(state, 0, sizeof(*state));
    if ((rc = parse_answer(method, &b, &doc, &v)) != 0)
        return rc;
    if (strcmp(method, "usage.getStatus") == 0 || strcmp(method, "usage.findByExternalId") == 0)
        rc = read_state(method, v, state, status);
    else if (strcmp(method, "usage.createFile") == 0)
        rc = read_file_id(method, v, ids[0]);
    else if (strcmp(method, "usage.addRecords") == 0)
        rc = read_record_ids(method, v, n, ids);
    else if (strcmp(method, "usage.listRecords") == 0)
        rc = read_listed(method, v, "UF-test", f, 0, n, ids);
    xmlFreeDoc(doc);
    if (rc != 0)
        memset(state, 0, sizeof(*state));
    return rc;
}
