/*
 * invoicing_connect.c -- usage files through CloudBlue Connect's usage-file
 * REST API (SPEC section 8; docs/INVOICING-CONNECT.md; the API facts are in
 * DOMAIN.md, "CloudBlue Connect usage-file API").
 *
 * One awc_invoicing holds one libcurl easy handle (connections are reused)
 * and is used by one thread at a time.  JSON goes through jansson, the
 * workbook through libxlsxwriter (a temporary file, uploaded with
 * curl_mime and removed), answers are bounded (RESPONSE_MAX).
 *
 * Exactly once.  A usage file of the module is one Connect usage file whose
 * external_id is the module's deterministic external id.  send() never
 * trusts its memory of an earlier step: it looks the file up by external id
 * (RQL eq(external_id,...), every Content-Range page) and continues from the
 * status Connect reports:
 *
 *   none        create it (POST /usage/files)            -> draft
 *   draft       upload the workbook                      -> uploading
 *   uploading,  wait (poll GET /usage/files/{id})        -> ready | invalid
 *   processing
 *   ready       submit                                   -> pending: done
 *   invalid     uploaded by this call: done, refused (error_detail);
 *               found so: upload again (the catalogue may have changed)
 *   pending, accepted, closed, rejected: done (the module settles a
 *               rejected one at once)
 *
 * A step that fails on the way (a 5xx, a dropped connection, a timeout)
 * is never repeated blindly: the loop looks the file up again and goes on
 * from what Connect says, a bounded number of rounds.  So a create whose
 * answer was lost is found, not made twice.  The record ids are ours:
 * "UR-" and the Connect file id's digits and the record's position, written
 * into the workbook's record_id column, so a file found after a crash gives
 * the same ids without being read back.
 *
 * The API token comes from the variable connect.api_key_env names; it lives
 * in one header string and is wiped at close.  It never reaches a message,
 * the database or the workbook.  A 401 stops this adapter at once: every
 * later call fails without a request.
 *
 * No floating point: an amount is written as the exact decimal text of its
 * minor units (awc_money_format_minor), in a text cell.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <xlsxwriter.h>

#include "awc.h"
#include "http_body.h"
#include "invoicing.h"
#include "money.h"

#define RESPONSE_MAX (16u * 1024 * 1024)   /* bytes of one answer */
#define DEF_TIMEOUT 60L
#define DEF_CONNECT_TIMEOUT 10L
#define EXTERNAL_ID_MAX 128
#define FIELD_MAX 4096
#define TOKEN_MAX 4096
#define PAGE 100                           /* files asked for per page */
#define MAX_PAGES 1000
#define RETRIES 4                          /* extra tries of an idempotent GET */
#define ROUNDS 8                           /* look-up rounds of one send() */
#define BACKOFF_MS 200                     /* first pause; doubles up to BACKOFF_MAX_MS */
#define BACKOFF_MAX_MS 3000
#define SHOW_MAX 300                       /* bytes of the platform's text in a message */
#define NAME_MAX_BYTES 100                 /* Connect: name <= 100 */
#define DESC_MAX_BYTES 200                 /* Connect: description <= 200 */

static const char xlsx_type[] =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/* The template's columns of the records sheet, in the template's order. */
static const char *const record_cols[] = {
    "record_id", "record_note", "item_search_criteria", "item_search_value",
    "asset_search_criteria", "asset_search_value", "start_time_utc", "end_time_utc",
    "category_id", "quantity", "amount", "tier",
};
static const char *const category_cols[] = {
    "category_id", "category_name", "category_description",
};

struct cn {
    awc_invoicing base;
    CURL *curl;
    struct curl_slist *json_headers, *plain_headers;   /* both carry the token */
    char *api;                     /* the API base URL without a trailing '/' */
    char *where;                   /* the same, for messages */
    char *key_env;                 /* the variable's name, for messages */
    char *product, *contract, *category;
    long timeout, connect_timeout;
    int refused;                   /* a 401 was answered: no more requests */
    char errbuf[CURL_ERROR_SIZE];
};

/* One answer. */
struct answer {
    long http;
    awc_http_body b;
    int has_range;
    size_t total;                  /* Content-Range: items A-B/TOTAL */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* --- small helpers ------------------------------------------------------------------ */

/* Test builds only: stop dead at a named point, as a crash would (the
 * module's op_invoice.c has the same for its own points). */
static void fault_point(const char *name)
{
#ifdef AWC_TEST_BUILD
    const char *f = getenv("AWC_FAULT");
    if (f && strcmp(f, name) == 0)
        _exit(75);
#else
    (void)name;
#endif
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static unsigned backoff(unsigned round)
{
    unsigned ms = BACKOFF_MS;

    while (round-- > 0 && ms < BACKOFF_MAX_MS)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* A Connect object id: letters, digits, '-', '_'; it goes into a URL path. */
static int object_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n >= AWC_UF_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* Copy at most max bytes of s into dst (dstsz >= max + 1) without cutting
 * a UTF-8 character. */
static void copy_cut(char *dst, size_t dstsz, const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    if (max > dstsz - 1)
        max = dstsz - 1;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

/* "UR-" + the file id without its "UF-" + "-NNNN-NNNN" (position, 1-based). */
static int record_id(char out[AWC_UF_ID_MAX], const char *fid, size_t pos)
{
    const char *digits = strncmp(fid, "UF-", 3) == 0 ? fid + 3 : fid;
    int n = snprintf(out, AWC_UF_ID_MAX, "UR-%s-%04zu-%04zu", digits, pos / 10000,
                     pos % 10000);

    if (n < 0 || n >= AWC_UF_ID_MAX || pos > 99999999u)
        return awc_error_set(AWC_EOVERFLOW, "connect: no record id for record %zu of %s",
                             pos, fid);
    return 0;
}

/* --- checks of a file before anything is sent ------------------------------------------------ */

static int valid_period(const char *p)
{
    if (!p || strlen(p) != 7 || p[4] != '-')
        return 0;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (p[i] < '0' || p[i] > '9'))
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

static int check_text(const awc_usage_file *f, size_t i, const char *name, const char *v)
{
    if (!v || !*v || strlen(v) > FIELD_MAX || has_control(v))
        return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: %s is empty, longer "
                             "than %d bytes or has control characters", f->external_id, i + 1,
                             name, FIELD_MAX);
    return 0;
}

static int check_file(const awc_usage_file *f)
{
    int e, rc;

    if (!f->external_id || !*f->external_id || strlen(f->external_id) > EXTERNAL_ID_MAX ||
        has_control(f->external_id))
        return awc_error_set(AWC_EUSAGE, "connect: external id is empty, longer than %d "
                             "bytes or has control characters", EXTERNAL_ID_MAX);
    if (!valid_period(f->period))
        return awc_error_set(AWC_EBADINPUT, "usage file %s: period is not YYYY-MM",
                             f->external_id);
    if (!f->currency || strlen(f->currency) != 3 || has_control(f->currency))
        return awc_error_set(AWC_EBADINPUT, "usage file %s: currency is not a 3-letter code",
                             f->external_id);
    if (f->n == 0 || !f->records || f->n > 99999999u)
        return awc_error_set(AWC_EBADINPUT, "usage file %s: %zu records", f->external_id, f->n);
    e = awc_currency_exponent(f->currency);
    for (size_t i = 0; i < f->n; i++) {
        const awc_usage_record *r = &f->records[i];

        if ((rc = check_text(f, i, "item_mpn", r->item_mpn)) ||
            (rc = check_text(f, i, "asset_id", r->asset_id)))
            return rc;
        if (r->note && strlen(r->note) > FIELD_MAX)
            return awc_error_set(AWC_EBADINPUT, "usage file %s record %zu: note longer than "
                                 "%d bytes", f->external_id, i + 1, FIELD_MAX);
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

/* --- the workbook ------------------------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DD HH:MM:SS" (the template's UTC form). */
static void sheet_time(char out[20], const char *t)
{
    memcpy(out, t, 19);
    out[10] = ' ';
    out[19] = '\0';
}

/* A note as cell text: control characters (which XML cannot carry) as blanks. */
static char *cell_text(const char *s)
{
    char *t = awc_strdup(s ? s : "");

    for (char *p = t; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return t;
}

static int xlsx_fail(const char *ext, lxw_error e)
{
    return awc_error_set(e == LXW_ERROR_MEMORY_MALLOC_FAILED ? AWC_ENOMEM : AWC_EIO,
                         "connect: usage file %s: cannot write the workbook: %s", ext,
                         lxw_strerror(e));
}

/* Write f as file fid into the workbook at path; record ids into ids. */
static int write_workbook(struct cn *x, const awc_usage_file *f, const char *fid,
                          const char *path, char (*ids)[AWC_UF_ID_MAX])
{
    lxw_workbook_options opt = { 0 };
    lxw_workbook *wb;
    lxw_worksheet *rs, *cs;
    lxw_error e = LXW_NO_ERROR;
    const char *tmp = getenv("TMPDIR");
    char start[20], end[20], amount[AWC_MONEY_BUFSZ];
    int rc = 0;

    /* rows go out as they are written: memory does not grow with the file */
    opt.constant_memory = LXW_TRUE;
    opt.tmpdir = (char *)(tmp && *tmp ? tmp : "/tmp");
    if (!(wb = workbook_new_opt(path, &opt)))
        return awc_error_set(AWC_EIO, "connect: usage file %s: cannot start a workbook",
                             f->external_id);
    rs = workbook_add_worksheet(wb, "records");
    cs = workbook_add_worksheet(wb, "categories");
    if (!rs || !cs) {
        workbook_close(wb);
        return awc_error_set(AWC_ENOMEM, "connect: out of memory writing a workbook");
    }
    for (lxw_col_t c = 0; c < sizeof(record_cols) / sizeof(record_cols[0]); c++)
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, 0, c, record_cols[c], NULL);
    for (lxw_col_t c = 0; c < sizeof(category_cols) / sizeof(category_cols[0]); c++)
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(cs, 0, c, category_cols[c], NULL);
    if (e == LXW_NO_ERROR && x->category) {
        e = worksheet_write_string(cs, 1, 0, x->category, NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(cs, 1, 1, "AWS credits", NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(cs, 1, 2, "AWS credits passed on by awscredit", NULL);
    }
    for (size_t i = 0; i < f->n && e == LXW_NO_ERROR && rc == 0; i++) {
        const awc_usage_record *r = &f->records[i];
        lxw_row_t row = (lxw_row_t)(i + 1);
        char *note;

        if ((rc = record_id(ids[i], fid, i + 1)) != 0)
            break;
        if ((rc = awc_money_format_minor(amount, sizeof(amount), r->amount_minor,
                                         r->exponent)) < 0) {
            rc = awc_error_prefix(rc, "usage file %s record %zu", f->external_id, i + 1);
            break;
        }
        rc = 0;
        if (!(note = cell_text(r->note))) {
            rc = awc_error_set(AWC_ENOMEM, "connect: out of memory writing a workbook");
            break;
        }
        sheet_time(start, r->start_utc);
        sheet_time(end, r->end_utc);
        e = worksheet_write_string(rs, row, 0, ids[i], NULL);
        if (e == LXW_NO_ERROR && *note)
            e = worksheet_write_string(rs, row, 1, note, NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, row, 2, "item.mpn", NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, row, 3, r->item_mpn, NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, row, 4, "asset.id", NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, row, 5, r->asset_id, NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, row, 6, start, NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, row, 7, end, NULL);
        if (e == LXW_NO_ERROR && x->category)
            e = worksheet_write_string(rs, row, 8, x->category, NULL);
        if (e == LXW_NO_ERROR)
            e = worksheet_write_number(rs, row, 9, 1, NULL);   /* quantity: a whole 1 */
        if (e == LXW_NO_ERROR)
            e = worksheet_write_string(rs, row, 10, amount, NULL);
        awc_free(note);
    }
    if (rc != 0 || e != LXW_NO_ERROR) {
        workbook_close(wb);
        return rc != 0 ? rc : xlsx_fail(f->external_id, e);
    }
    if ((e = workbook_close(wb)) != LXW_NO_ERROR)
        return xlsx_fail(f->external_id, e);
    return 0;
}

/* --- one request ------------------------------------------------------------------------- */

/* "Content-Range: items A-B/TOTAL" (case-insensitive name). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct answer *a = arg;
    size_t n = size * nmemb;
    char line[128], *p, *end;
    unsigned long long total;

    if (n < 15 || n >= sizeof(line) || strncasecmp(data, "Content-Range:", 14) != 0)
        return n;
    memcpy(line, data, n);
    line[n] = '\0';
    if (!(p = strchr(line, '/')))
        return n;
    errno = 0;
    total = strtoull(p + 1, &end, 10);
    if (errno == 0 && end != p + 1 && (*end == '\r' || *end == '\n' || *end == '\0')) {
        a->has_range = 1;
        a->total = (size_t)total;
    }
    return n;
}

static void answer_free(struct answer *a)
{
    awc_free(a->b.p);
    memset(a, 0, sizeof(*a));
}

static int transient(int rc)
{
    return rc == AWC_ENET || rc == AWC_ETIMEOUT;
}

/* The platform's {"error_code","errors"} as one line: code and messages. */
static void error_text(char *out, size_t n, const struct answer *a)
{
    json_t *doc = a->b.p ? json_loadb(a->b.p, a->b.len, 0, NULL) : NULL;
    json_t *code = json_object_get(doc, "error_code"), *errs = json_object_get(doc, "errors");
    size_t used = 0, i;
    json_t *v;

    out[0] = '\0';
    if (json_is_string(code))
        used = (size_t)snprintf(out, n, "%s", json_string_value(code));
    json_array_foreach(errs, i, v) {
        if (!json_is_string(v) || used + 3 >= n)
            continue;
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? (i ? "; " : ": ") : "",
                                 json_string_value(v));
    }
    if (!out[0])
        snprintf(out, n, "(no error_code)");
    json_decref(doc);
}

/* Send one request: method GET (json NULL, mime NULL) or POST with a JSON
 * body or a multipart form.  An answer of 200 or 201 is success; anything
 * else is an error whose message names the call, the status and the
 * platform's error_code and errors.  GETs are retried on 5xx and on a
 * dropped connection; POSTs never are here (send() looks the file up
 * instead).  a is the caller's, freed with answer_free(). */
static int request(struct cn *x, const char *what, const char *path, const char *json,
                   curl_mime *mime, struct answer *a)
{
    char url[2048], why[SHOW_MAX + 1];
    int is_get = !json && !mime, rc = 0;

    memset(a, 0, sizeof(*a));
    if (x->refused)
        return awc_error_set(AWC_ECONFIG, "connect %s: not sent: the API refused the token "
                             "before (HTTP 401); check the variable %s", what, x->key_env);
    if (snprintf(url, sizeof(url), "%s%s", x->api, path) >= (int)sizeof(url))
        return awc_error_set(AWC_ERROR, "connect %s: URL too long", what);
    for (unsigned attempt = 0;; attempt++) {
        CURLcode cc;

        answer_free(a);
        a->b.max = RESPONSE_MAX;
        x->errbuf[0] = '\0';
        curl_easy_setopt(x->curl, CURLOPT_URL, url);
        curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, &a->b);
        curl_easy_setopt(x->curl, CURLOPT_HEADERDATA, a);
        if (is_get) {
            curl_easy_setopt(x->curl, CURLOPT_HTTPGET, 1L);
            curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->plain_headers);
        } else if (json) {
            /* A POST goes on a new connection: on a reused one that dies
             * before any answer, libcurl would send it again by itself,
             * and a create sent twice is two files.  send() looks the file
             * up instead. */
            curl_easy_setopt(x->curl, CURLOPT_FRESH_CONNECT, 1L);
            curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, json);
            curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
            curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->json_headers);
        } else {
            curl_easy_setopt(x->curl, CURLOPT_FRESH_CONNECT, 1L);
            curl_easy_setopt(x->curl, CURLOPT_MIMEPOST, mime);
            curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->plain_headers);
        }
        cc = curl_easy_perform(x->curl);
        curl_easy_setopt(x->curl, CURLOPT_MIMEPOST, (curl_mime *)NULL);
        curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, (const char *)NULL);
        curl_easy_setopt(x->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(x->curl, CURLOPT_FRESH_CONNECT, 0L);
        if (cc != CURLE_OK) {
            const char *t = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
            if (a->b.oom)
                return awc_error_set(AWC_ENOMEM, "connect %s: out of memory reading the "
                                     "answer", what);
            if (a->b.toobig)
                return awc_error_set(AWC_ENET, "connect %s: answer larger than %u bytes", what,
                                     RESPONSE_MAX);
            rc = awc_error_set(cc == CURLE_OPERATION_TIMEDOUT ? AWC_ETIMEOUT : AWC_ENET,
                               "connect %s to %s: %s", what, x->where, t);
        } else {
            curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &a->http);
            if (a->http == 200 || a->http == 201)
                return 0;
            error_text(why, sizeof(why), a);
            if (a->http == 401) {
                x->refused = 1;
                return awc_error_set(AWC_ECONFIG, "connect %s: the API refused the token "
                                     "(HTTP 401, %s): check the token in the variable %s and "
                                     "its permissions; nothing more is sent", what, why,
                                     x->key_env);
            }
            if (a->http == 403)
                return awc_error_set(AWC_ECONFIG, "connect %s: HTTP 403, %s: the token may not "
                                     "do this (docs/INVOICING-CONNECT.md, set-up)", what, why);
            if (a->http == 404)
                return awc_error_set(AWC_ENOTFOUND, "connect %s: HTTP 404, %s", what, why);
            if (a->http >= 400 && a->http < 500)
                return awc_error_set(AWC_EBADINPUT, "connect %s: HTTP %ld, %s", what, a->http,
                                     why);
            rc = awc_error_set(AWC_ENET, "connect %s: HTTP %ld, %s", what, a->http, why);
        }
        if (!is_get || attempt >= RETRIES)
            return rc;
        pause_ms(backoff(attempt));
    }
}

/* The answer as a JSON object or array (type), owned by the caller. */
static int parse(const char *what, const struct answer *a, int type, json_t **out)
{
    json_error_t err;
    json_t *doc = a->b.p ? json_loadb(a->b.p, a->b.len, JSON_REJECT_DUPLICATES, &err) : NULL;

    *out = NULL;
    if (!doc || (int)json_typeof(doc) != type) {
        json_decref(doc);
        return awc_error_set(AWC_ENET, "connect %s: the answer is not a JSON %s", what,
                             type == JSON_ARRAY ? "array" : "object");
    }
    *out = doc;
    return 0;
}

/* --- usage files ------------------------------------------------------------------------- */

/* A file object's id and status, checked. */
static int file_fields(const char *what, json_t *file, const char **id, const char **status)
{
    json_t *i = json_object_get(file, "id"), *s = json_object_get(file, "status");

    if (!json_is_string(i) || !object_id_ok(json_string_value(i)) || !json_is_string(s))
        return awc_error_set(AWC_ENET, "connect %s: a usage file without a usable id or status",
                             what);
    *id = json_string_value(i);
    *status = json_string_value(s);
    return 0;
}

/* One page of a look-up: the live files of list (deleted ones, and those of
 * another product than product when it is not NULL, are skipped) must
 * carry ext; the live one goes to *out (a new reference), and *live counts
 * them across pages.  Two live files with one external id are a conflict to
 * resolve by hand. */
static int read_page(const char *what, json_t *list, const char *ext, const char *product,
                     json_t **out, size_t *live)
{
    json_t *f;
    size_t i;

    json_array_foreach(list, i, f) {
        const char *id, *status;
        json_t *e = json_object_get(f, "external_id");
        json_t *p = json_object_get(json_object_get(f, "product"), "id");
        int rc;

        if ((rc = file_fields(what, f, &id, &status)) != 0)
            return rc;
        if (strcmp(status, "deleted") == 0)
            continue;
        if (product && json_is_string(p) && strcmp(json_string_value(p), product) != 0)
            continue;                  /* another product's file */
        if (!json_is_string(e) || strcmp(json_string_value(e), ext) != 0)
            return awc_error_set(AWC_ENET, "connect %s: usage file %s does not carry the "
                                 "external id asked for", what, id);
        if (++*live > 1)
            return awc_error_set(AWC_ECONFLICT, "connect: usage files %s and %s both carry "
                                 "external id %s: delete the wrong one on Connect, then "
                                 "invoice again",
                                 *out ? json_string_value(json_object_get(*out, "id")) : "?",
                                 id, ext);
        json_incref(f);
        *out = f;
    }
    return 0;
}

/* The live (not deleted) usage file of product x->product with external id
 * ext, following every Content-Range page: *out (a new reference) or NULL.
 * The query filters on external_id alone (the field the sources name as
 * filterable); the product is checked here. */
static int lookup(struct cn *x, const char *ext, json_t **out)
{
    static const char what[] = "look-up by external_id";
    char path[1024];
    char *enc = curl_easy_escape(x->curl, ext, 0);
    size_t offset = 0, live = 0;
    unsigned page;
    int rc = 0;

    *out = NULL;
    if (!enc)
        return awc_error_set(AWC_ENOMEM, "connect: out of memory");
    for (page = 0; page < MAX_PAGES; page++) {
        struct answer a;
        json_t *list;
        size_t got;

        snprintf(path, sizeof(path), "/usage/files?eq(external_id,%s)&limit=%d&offset=%zu",
                 enc, PAGE, offset);
        if ((rc = request(x, what, path, NULL, NULL, &a)) != 0 ||
            (rc = parse(what, &a, JSON_ARRAY, &list)) != 0) {
            answer_free(&a);
            break;
        }
        rc = read_page(what, list, ext, x->product, out, &live);
        got = json_array_size(list);
        offset += got;
        json_decref(list);
        if (rc == 0 && !a.has_range)
            rc = awc_error_set(AWC_ENET, "connect %s: the answer has no Content-Range", what);
        if (rc == 0 && offset < a.total && got == 0)
            rc = awc_error_set(AWC_ENET, "connect %s: an empty page before item %zu of %zu",
                               what, offset, a.total);
        if (rc != 0 || offset >= a.total) {
            answer_free(&a);
            break;
        }
        answer_free(&a);
    }
    curl_free(enc);
    if (rc == 0 && page == MAX_PAGES)
        rc = awc_error_set(AWC_ENET, "connect %s: more than %d pages for one external id",
                           what, MAX_PAGES);
    if (rc != 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

static int get_file(struct cn *x, const char *fid, json_t **out)
{
    char path[128];
    struct answer a;
    int rc;

    snprintf(path, sizeof(path), "/usage/files/%s", fid);
    if ((rc = request(x, "get usage file", path, NULL, NULL, &a)) == 0)
        rc = parse("get usage file", &a, JSON_OBJECT, out);
    answer_free(&a);
    return rc;
}

/* The number of records Connect holds for file fid (Content-Range total). */
static int count_records(struct cn *x, const char *fid, size_t *out)
{
    char path[160];
    struct answer a;
    int rc;

    snprintf(path, sizeof(path), "/usage/records?usagefile.id=%s&limit=1", fid);
    if ((rc = request(x, "count records", path, NULL, NULL, &a)) == 0 && !a.has_range)
        rc = awc_error_set(AWC_ENET, "connect count records: the answer has no Content-Range");
    if (rc == 0)
        *out = a.total;
    answer_free(&a);
    return rc;
}

static int days_in(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

/* POST /usage/files: *out the new file (a new reference). */
static int create(struct cn *x, const awc_usage_file *f, json_t **out)
{
    static const char what[] = "create usage file";
    char name[NAME_MAX_BYTES + 1], desc[DESC_MAX_BYTES + 1], text[512], from[11], to[11];
    json_t *body;
    char *js;
    struct answer a;
    const char *p = f->period;     /* checked: YYYY-MM */
    int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    int m = (p[5] - '0') * 10 + (p[6] - '0'), rc;

    snprintf(text, sizeof(text), "AWS credits %s %s %s", f->period,
             f->reseller_id ? f->reseller_id : "", f->currency);
    copy_cut(name, sizeof(name), text, NAME_MAX_BYTES);
    snprintf(text, sizeof(text), "AWS credits passed on by awscredit, usage file %s",
             f->external_id);
    copy_cut(desc, sizeof(desc), text, DESC_MAX_BYTES);
    snprintf(from, sizeof(from), "%.7s-01", f->period);
    snprintf(to, sizeof(to), "%.7s-%02d", f->period, days_in(y, m));
    body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s}, s:{s:s}, s:s}",
                     "name", name, "description", desc, "note", "awscredit " AWC_VERSION,
                     "period", "from", from, "to", to, "currency", f->currency,
                     "product", "id", x->product, "contract", "id", x->contract,
                     "external_id", f->external_id);
    js = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!js)
        return awc_error_set(AWC_ENOMEM, "connect: out of memory");
    rc = request(x, what, "/usage/files", js, NULL, &a);
    free(js);
    if (rc == 0)
        rc = parse(what, &a, JSON_OBJECT, out);
    answer_free(&a);
    return rc;
}

/* Write the workbook of f for file fid and upload it. */
static int upload(struct cn *x, const awc_usage_file *f, const char *fid,
                  char (*ids)[AWC_UF_ID_MAX])
{
    const char *tmp = getenv("TMPDIR");
    char path[4096], where[128], fname[AWC_UF_ID_MAX + 8];
    curl_mime *mime = NULL;
    curl_mimepart *part;
    struct answer a;
    int fd, rc;

    if (snprintf(path, sizeof(path), "%s/awscredit-connect-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(path))
        return awc_error_set(AWC_ECONFIG, "connect: TMPDIR is too long");
    if ((fd = mkstemp(path)) < 0)
        return awc_error_set(AWC_EIO, "connect: cannot create a temporary workbook: %s",
                             strerror(errno));
    close(fd);
    if ((rc = write_workbook(x, f, fid, path, ids)) != 0)
        goto done;
    snprintf(fname, sizeof(fname), "%s.xlsx", fid);
    if (!(mime = curl_mime_init(x->curl)) || !(part = curl_mime_addpart(mime)) ||
        curl_mime_name(part, "usage_file") != CURLE_OK ||
        curl_mime_filedata(part, path) != CURLE_OK ||
        curl_mime_filename(part, fname) != CURLE_OK ||
        curl_mime_type(part, xlsx_type) != CURLE_OK) {
        rc = awc_error_set(AWC_ENOMEM, "connect: out of memory building the upload");
        goto done;
    }
    snprintf(where, sizeof(where), "/usage/files/%s/upload", fid);
    rc = request(x, "upload workbook", where, NULL, mime, &a);
    answer_free(&a);
done:
    curl_mime_free(mime);
    unlink(path);
    return rc;
}

static int submit(struct cn *x, const char *fid)
{
    char where[128];
    struct answer a;
    int rc;

    snprintf(where, sizeof(where), "/usage/files/%s/submit", fid);
    rc = request(x, "submit usage file", where, "{}", NULL, &a);
    answer_free(&a);
    return rc;
}

/* Connect's status word to awc_uf_status, with the note that explains it;
 * -1 for a word we do not know. */
static int map_status(const char *s, json_t *file, char note[AWC_UF_NOTE_MAX])
{
    json_t *n = NULL;
    int st;

    if (strcmp(s, "draft") == 0 || strcmp(s, "uploading") == 0 || strcmp(s, "uploaded") == 0 ||
        strcmp(s, "processing") == 0 || strcmp(s, "ready") == 0 || strcmp(s, "pending") == 0)
        st = AWC_UF_PENDING;
    else if (strcmp(s, "accepted") == 0)
        st = AWC_UF_ACCEPTED, n = json_object_get(file, "acceptance_note");
    else if (strcmp(s, "closed") == 0)
        st = AWC_UF_CLOSED, n = json_object_get(file, "acceptance_note");
    else if (strcmp(s, "rejected") == 0)
        st = AWC_UF_REJECTED, n = json_object_get(file, "rejection_note");
    else if (strcmp(s, "invalid") == 0)
        st = AWC_UF_REJECTED, n = json_object_get(file, "error_detail");
    else if (strcmp(s, "deleted") == 0) {
        snprintf(note, AWC_UF_NOTE_MAX, "the usage file was deleted on Connect");
        return AWC_UF_REJECTED;
    } else
        return -1;
    copy_cut(note, AWC_UF_NOTE_MAX, json_is_string(n) ? json_string_value(n) : "",
             AWC_UF_NOTE_MAX - 1);
    if (st == AWC_UF_REJECTED && !note[0])
        snprintf(note, AWC_UF_NOTE_MAX, "%s on Connect without a note", s);
    return st;
}

static int fill_state(const char *what, json_t *file, awc_uf_state *out)
{
    const char *id, *status;
    char shown[40];
    int st, rc;

    memset(out, 0, sizeof(*out));
    if ((rc = file_fields(what, file, &id, &status)) != 0)
        return rc;
    if ((st = map_status(status, file, out->note)) < 0) {
        copy_cut(shown, sizeof(shown), status, sizeof(shown) - 1);
        for (char *p = shown; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        memset(out, 0, sizeof(*out));
        return awc_error_set(AWC_ENET, "connect %s: usage file %s has an unknown status '%s'",
                             what, id, shown);
    }
    snprintf(out->usage_file_id, sizeof(out->usage_file_id), "%s", id);
    out->status = (awc_uf_status)st;
    return 0;
}

static int is_status(json_t *file, const char *s)
{
    json_t *v = json_object_get(file, "status");
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static int in_processing(json_t *file)
{
    return is_status(file, "uploading") || is_status(file, "uploaded") ||
           is_status(file, "processing");
}

/* Wait while Connect processes an upload: poll the file with back-off for
 * up to x->timeout seconds.  *file is replaced by the latest state. */
static int wait_processed(struct cn *x, json_t **file)
{
    char fid[AWC_UF_ID_MAX];
    struct timespec t0, now;
    int rc;

    snprintf(fid, sizeof(fid), "%s", json_string_value(json_object_get(*file, "id")));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; in_processing(*file); i++) {
        json_t *next = NULL;

        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= x->timeout)
            return awc_error_set(AWC_ETIMEOUT, "connect: usage file %s is still being "
                                 "processed after %ld s; run the invoice again later", fid,
                                 x->timeout);
        pause_ms(i == 0 ? 50 : backoff(i - 1));
        if ((rc = get_file(x, fid, &next)) != 0)
            return rc;
        json_decref(*file);
        *file = next;
    }
    return 0;
}

/* --- the adapter's operations ------------------------------------------------------------- */

/* Continue f's Connect file from its status until it is submitted (or
 * refused), looking it up again after any step that failed on the way. */
static int cn_send(awc_invoicing *inv, const awc_usage_file *f, awc_uf_state *out,
                   char (*record_ids)[AWC_UF_ID_MAX])
{
    struct cn *x = (struct cn *)inv;
    json_t *file = NULL;
    int rc = 0, uploaded = 0, strikes = 0, have_ids = 0;
    unsigned round = 0;

    memset(out, 0, sizeof(*out));
    if ((rc = check_file(f)) != 0)
        return rc;
    for (;;) {
        const char *fid = NULL, *status = NULL;

        if (rc != 0) {
            /* a step failed: unless it cannot help, look again and go on */
            if (rc == AWC_ECONFIG || rc == AWC_ENOMEM || rc == AWC_EIO || rc == AWC_ECONFLICT ||
                rc == AWC_EOVERFLOW || (!transient(rc) && ++strikes > 1) || ++round >= ROUNDS)
                break;
            pause_ms(backoff(round - 1));
            json_decref(file);
            file = NULL;
            rc = 0;
        }
        if (!file) {
            if ((rc = lookup(x, f->external_id, &file)) != 0)
                continue;
            if (!file) {
                if ((rc = create(x, f, &file)) != 0) {
                    if (rc == AWC_EBADINPUT)
                        break;         /* the platform refused the file's fields */
                    continue;
                }
                fault_point("connect-after-create");
            }
        }
        if ((rc = file_fields("send", file, &fid, &status)) != 0)
            break;
        if (strcmp(status, "draft") == 0 || (strcmp(status, "invalid") == 0 && !uploaded)) {
            if ((rc = upload(x, f, fid, record_ids)) != 0)
                continue;
            uploaded = have_ids = 1;
            fault_point("connect-after-upload");
            json_decref(file);
            file = NULL;               /* look again: uploading, processing, ... */
            continue;
        }
        if (in_processing(file)) {
            /* waited the whole timeout: a later run goes on from here */
            if ((rc = wait_processed(x, &file)) == AWC_ETIMEOUT)
                break;
            continue;
        }
        if (strcmp(status, "ready") == 0) {
            if ((rc = submit(x, fid)) != 0)
                continue;
            fault_point("connect-after-submit");
            json_decref(file);
            file = NULL;
            continue;
        }
        /* pending, accepted, closed, rejected, or invalid after our upload */
        if ((rc = fill_state("send", file, out)) != 0)
            break;
        for (size_t i = 0; !have_ids && rc == 0 && i < f->n; i++)
            rc = record_id(record_ids[i], out->usage_file_id, i + 1);
        out->records = f->n;
        break;
    }
    json_decref(file);
    if (rc != 0) {
        memset(out, 0, sizeof(*out));
        if (!strstr(awc_error_last(), f->external_id))
            awc_error_prefix(rc, "usage file %s", f->external_id);
    }
    return rc;
}

/* Only a submitted file counts as "the platform has it"; a file still on
 * its way (draft to ready, or invalid) is AWC_UF_UNKNOWN so that the
 * module calls send(), which continues it. */
static int cn_find(awc_invoicing *inv, const char *external_id, awc_uf_state *out)
{
    struct cn *x = (struct cn *)inv;
    json_t *file = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!external_id || !*external_id || strlen(external_id) > EXTERNAL_ID_MAX ||
        has_control(external_id))
        return awc_error_set(AWC_EUSAGE, "connect: bad external id");
    if ((rc = lookup(x, external_id, &file)) != 0 || !file)
        return rc;
    if (is_status(file, "pending") || is_status(file, "accepted") ||
        is_status(file, "closed") || is_status(file, "rejected")) {
        rc = fill_state("find", file, out);
        if (rc == 0)
            rc = count_records(x, out->usage_file_id, &out->records);
        if (rc != 0)
            memset(out, 0, sizeof(*out));
    }
    json_decref(file);
    return rc;
}

static int cn_status(awc_invoicing *inv, const char *usage_file_id, awc_uf_state *out)
{
    struct cn *x = (struct cn *)inv;
    char id[AWC_UF_ID_MAX];
    json_t *file = NULL;
    int rc;

    /* the id may live in *out (status(inv, st.usage_file_id, &st)) */
    if (!object_id_ok(usage_file_id)) {
        memset(out, 0, sizeof(*out));
        return awc_error_set(AWC_EUSAGE, "connect: bad usage file id");
    }
    snprintf(id, sizeof(id), "%s", usage_file_id);
    memset(out, 0, sizeof(*out));
    rc = get_file(x, id, &file);
    if (rc == AWC_ENOTFOUND) {
        awc_error_clear();
        return 0;                      /* AWC_UF_UNKNOWN */
    }
    if (rc == 0)
        rc = fill_state("status", file, out);
    json_decref(file);
    return rc;
}

/* Our record ids are the file id's and the positions: no request. */
static int cn_records(awc_invoicing *inv, const char *usage_file_id,
                      char (*record_ids)[AWC_UF_ID_MAX], size_t cap, size_t *n)
{
    int rc = 0;

    (void)inv;
    *n = 0;
    if (!object_id_ok(usage_file_id))
        return awc_error_set(AWC_EUSAGE, "connect: bad usage file id");
    for (size_t i = 0; i < cap && rc == 0; i++)
        rc = record_id(record_ids[i], usage_file_id, i + 1);
    if (rc == 0)
        *n = cap;
    return rc;
}

static void wipe_list(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        if (p->data)
            explicit_bzero(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static void cn_close(awc_invoicing *inv)
{
    struct cn *x = (struct cn *)inv;

    if (!x)
        return;
    if (x->curl)
        curl_easy_cleanup(x->curl);
    wipe_list(x->json_headers);
    wipe_list(x->plain_headers);
    awc_free(x->api);
    awc_free(x->where);
    awc_free(x->key_env);
    awc_free(x->product);
    awc_free(x->contract);
    awc_free(x->category);
    awc_free(x);
}

static const awc_invoicing_ops cn_ops = {
    cn_close, cn_find, cn_send, cn_status, cn_records,
};

/* --- open --------------------------------------------------------------------------------- */

/* http(s) without credentials; plain http only to this machine (the token
 * goes with every request). */
static int check_url(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL;
    int rc = 0;

    if (!u)
        return awc_error_set(AWC_ENOMEM, "connect: out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = awc_error_set(AWC_ECONFIG, "connect.url: not a URL");
    else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        rc = awc_error_set(AWC_ECONFIG, "connect.url: scheme must be https");
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        rc = awc_error_set(AWC_ECONFIG, "connect.url must not carry credentials");
    else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK)
        rc = awc_error_set(AWC_ECONFIG, "connect.url: the API base takes no query");
    else if (strcmp(scheme, "https") != 0 && strcmp(host, "localhost") != 0 &&
             strncmp(host, "127.", 4) != 0 && strcmp(host, "[::1]") != 0)
        rc = awc_error_set(AWC_ECONFIG, "connect.url: the token goes over https only (plain "
                           "http is allowed to this machine alone)");
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_url_cleanup(u);
    return rc;
}

/* "Authorization: ApiKey <token>" from the variable named env. */
static int auth_header(const char *env, char **out)
{
    const char *v = secure_getenv(env);
    size_t n, len;
    int has_prefix;

    *out = NULL;
    if (!v || !*v)
        return awc_error_set(AWC_ECONFIG, "connect: the variable %s (connect.api_key_env) is "
                             "not set", env);
    n = strlen(v);
    if (n > TOKEN_MAX || has_control(v))
        return awc_error_set(AWC_ECONFIG, "connect: the variable %s holds no usable token "
                             "(too long or control characters); the value is not shown", env);
    has_prefix = strncmp(v, "ApiKey ", 7) == 0;
    len = n + 32;
    if (!(*out = awc_malloc(len)))
        return awc_error_set(AWC_ENOMEM, "connect: out of memory");
    snprintf(*out, len, "Authorization: %s%s", has_prefix ? "" : "ApiKey ", v);
    return 0;
}

#define SET(opt, val) \
    do { if (curl_easy_setopt(x->curl, opt, val) != CURLE_OK) goto setopt_failed; } while (0)

int awc_invoicing_connect_open(awc_invoicing **out, const awc_invoicing_params *p)
{
    struct cn *x;
    char *auth = NULL;
    size_t n;
    int rc;

    *out = NULL;
    if (!p || !p->connect_url || !*p->connect_url)
        return awc_error_set(AWC_ECONFIG, "connect.url is not set");
    if (!p->api_key_env || !*p->api_key_env)
        return awc_error_set(AWC_ECONFIG, "connect.api_key_env is not set");
    if (!object_id_ok(p->product_id) || !object_id_ok(p->contract_id) ||
        (p->category && !object_id_ok(p->category)))
        return awc_error_set(AWC_ECONFIG, "connect.product_id and connect.contract_id must be "
                             "set to Connect ids (and connect.category, when set)");
    if ((rc = check_url(p->connect_url)) != 0)
        return rc;
    pthread_once(&once, global_init);
    if (global_rc != CURLE_OK)
        return awc_error_set(AWC_ENET, "connect: libcurl initialisation failed: %s",
                             curl_easy_strerror(global_rc));
    if (!(x = awc_calloc(1, sizeof(*x))))
        return awc_error_set(AWC_ENOMEM, "connect: out of memory");
    x->base.ops = &cn_ops;
    x->timeout = p->timeout ? (long)p->timeout : DEF_TIMEOUT;
    x->connect_timeout = p->connect_timeout ? (long)p->connect_timeout : DEF_CONNECT_TIMEOUT;
    n = strlen(p->connect_url);
    while (n > 0 && p->connect_url[n - 1] == '/')
        n--;
    if (!(x->api = awc_strndup(p->connect_url, n)) ||
        !(x->where = awc_strndup(p->connect_url, n)) ||
        !(x->key_env = awc_strdup(p->api_key_env)) || !(x->product = awc_strdup(p->product_id)) ||
        !(x->contract = awc_strdup(p->contract_id)) ||
        (p->category && !(x->category = awc_strdup(p->category)))) {
        rc = awc_error_set(AWC_ENOMEM, "connect: out of memory");
        goto fail;
    }
    if (p->ca_file && *p->ca_file && access(p->ca_file, R_OK) != 0) {
        rc = awc_error_set(AWC_ECONFIG, "connect: ca_file %s: %s", p->ca_file, strerror(errno));
        goto fail;
    }
    if ((rc = auth_header(p->api_key_env, &auth)) != 0)
        goto fail;
    if (!(x->curl = curl_easy_init()) ||
        !(x->json_headers = curl_slist_append(NULL, auth)) ||
        !curl_slist_append(x->json_headers, "Accept: application/json") ||
        !curl_slist_append(x->json_headers, "Content-Type: application/json") ||
        !curl_slist_append(x->json_headers, "Expect:") ||
        !(x->plain_headers = curl_slist_append(NULL, auth)) ||
        !curl_slist_append(x->plain_headers, "Accept: application/json") ||
        !curl_slist_append(x->plain_headers, "Expect:")) {
        rc = awc_error_set(AWC_ENOMEM, "connect: out of memory");
        goto fail;
    }
    explicit_bzero(auth, strlen(auth));
    awc_free(auth);
    auth = NULL;
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
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
    SET(CURLOPT_HEADERFUNCTION, on_header);
    *out = &x->base;
    return 0;

setopt_failed:
    rc = awc_error_set(AWC_ECONFIG, "connect: libcurl refused an option (ca_file %s?)",
                       p->ca_file ? p->ca_file : "unset");
fail:
    if (auth) {
        explicit_bzero(auth, strlen(auth));
        awc_free(auth);
    }
    cn_close(&x->base);
    return rc;
}

/* --- one answer, without a connection (tests) -------------------------------------------- */

int awc_connect_read_answer(const char *kind, const char *body, size_t len,
                            const char *header, const char *ext, awc_uf_state *state,
                            size_t *total)
{
    struct answer a;
    json_t *doc = NULL, *file = NULL;
    size_t live = 0;
    int rc;

    memset(state, 0, sizeof(*state));
    memset(&a, 0, sizeof(a));
    *total = 0;
    a.b.p = (char *)body;
    a.b.len = len;
    if (header) {
        on_header((char *)header, 1, strlen(header), &a);
        *total = a.has_range ? a.total : 0;
    }
    if (strcmp(kind, "error") == 0) {
        error_text(state->note, sizeof(state->note), &a);
        return 0;
    }
    if (strcmp(kind, "file") == 0) {
        if ((rc = parse("test", &a, JSON_OBJECT, &doc)) == 0)
            rc = fill_state("test", doc, state);
    } else {
        if ((rc = parse("test", &a, JSON_ARRAY, &doc)) == 0 &&
            (rc = read_page("test", doc, ext ? ext : "", NULL, &file, &live)) == 0 && file)
            rc = fill_state("test", file, state);
    }
    json_decref(file);
    json_decref(doc);
    if (rc != 0)
        memset(state, 0, sizeof(*state));
    return rc;
}
