/*
 * test_invoicing_xmlrpc.c -- the XML-RPC invoicing adapter against the fake
 * billing platform tests/fakes/platform.py (docs/INVOICING-XMLRPC.md), on
 * 127.0.0.1 only: a file sent and its status read; a re-send of the same
 * external id finds the file instead of duplicating it; faults in one line;
 * a timeout; lost answers after createFile, addRecords and submit, each
 * followed by a second send() that completes without a duplicate record;
 * rejected files; 1,200 records in three batches; HTTP basic credentials
 * from the environment.
 *
 * The fake is started once for the group (python3, --port 0, its "PORT n"
 * line read within a bounded wait) and stopped at the end.  The tests talk
 * to its control methods (test.*) with their own small XML-RPC client and
 * check its state (test.dump) with XPath.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "awc.h"
#include "invoicing.h"

#define NMAX 1200
#define START_WAIT_MS 20000
#define STOP_WAIT_MS 5000

static pid_t fake_pid = -1;
static char url[128];
static CURL *ctl_curl;

static awc_usage_record recs[NMAX];
static char notes[NMAX][32];
static char ids[NMAX][AWC_UF_ID_MAX];
static char ids2[NMAX][AWC_UF_ID_MAX];
static awc_invoicing *inv;

/* --- time ------------------------------------------------------------------------------ */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* --- the fake platform: start and stop --------------------------------------------------- */

static int start_fake(void **state)
{
    const char *root = getenv("AWC_TEST_ROOT");
    char script[1024], line[64];
    size_t got = 0;
    long deadline = now_ms() + START_WAIT_MS, port;
    int fds[2];
    char *end;

    (void)state;
    snprintf(script, sizeof(script), "%s/tests/fakes/platform.py", root && *root ? root : ".");
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "cannot find %s (set AWC_TEST_ROOT)\n", script);
        return -1;
    }
    if (pipe(fds) != 0)
        return -1;
    fake_pid = fork();
    if (fake_pid < 0)
        return -1;
    if (fake_pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", script, "--port", "0", "--max-seconds", "300",
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* "PORT <n>\n", within START_WAIT_MS */
    while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
        struct pollfd p = { fds[0], POLLIN, 0 };
        long left = deadline - now_ms();
        ssize_t r;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        if ((r = read(fds[0], line + got, sizeof(line) - 1 - got)) <= 0)
            break;
        got += (size_t)r;
        line[got] = '\0';
    }
    close(fds[0]);
    line[got] = '\0';
    if (strncmp(line, "PORT ", 5) != 0 ||
        (port = strtol(line + 5, &end, 10)) <= 0 || port > 65535 || *end != '\n') {
        fprintf(stderr, "the fake platform did not announce its port (got '%s')\n", line);
        kill(fake_pid, SIGKILL);
        waitpid(fake_pid, NULL, 0);
        fake_pid = -1;
        return -1;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%ld/RPC2", port);
    ctl_curl = curl_easy_init();
    return ctl_curl ? 0 : -1;
}

static int stop_fake(void **state)
{
    long deadline = now_ms() + STOP_WAIT_MS;
    int st;

    (void)state;
    if (ctl_curl)
        curl_easy_cleanup(ctl_curl);
    if (fake_pid <= 0)
        return 0;
    kill(fake_pid, SIGTERM);
    while (waitpid(fake_pid, &st, WNOHANG) == 0) {
        if (now_ms() > deadline) {
            kill(fake_pid, SIGKILL);
            waitpid(fake_pid, &st, 0);
            break;
        }
        sleep_ms(20);
    }
    fake_pid = -1;
    return 0;
}

/* --- a small XML-RPC client for the control methods ----------------------------------- */

struct sink {
    char buf[4 * 1024 * 1024];
    size_t len;
};
static struct sink sink;

static size_t to_sink(char *d, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;

    if (n > sizeof(s->buf) - 1 - s->len)
        return 0;
    memcpy(s->buf + s->len, d, n);
    s->len += n;
    return n;
}

/* Parameters, test-controlled text only (no XML escaping needed). */
#define S(x) "<param><value><string>" x "</string></value></param>"
#define I(x) "<param><value><int>" x "</int></value></param>"

/* Call method with params (printf-style); the answer, parsed. */
static xmlDocPtr rpc(const char *method, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static xmlDocPtr rpc(const char *method, const char *fmt, ...)
{
    char params[8192], body[9000];
    long http = 0;
    va_list ap;
    xmlDocPtr d;

    va_start(ap, fmt);
    vsnprintf(params, sizeof(params), fmt, ap);
    va_end(ap);
    snprintf(body, sizeof(body), "<?xml version=\"1.0\"?><methodCall><methodName>%s</methodName>"
             "<params>%s</params></methodCall>", method, params);
    sink.len = 0;
    curl_easy_reset(ctl_curl);
    curl_easy_setopt(ctl_curl, CURLOPT_URL, url);
    curl_easy_setopt(ctl_curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(ctl_curl, CURLOPT_WRITEFUNCTION, to_sink);
    curl_easy_setopt(ctl_curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(ctl_curl, CURLOPT_TIMEOUT, 20L);
    assert_int_equal(curl_easy_perform(ctl_curl), CURLE_OK);
    curl_easy_getinfo(ctl_curl, CURLINFO_RESPONSE_CODE, &http);
    assert_int_equal(http, 200);
    d = xmlReadMemory(sink.buf, (int)sink.len, "ctl.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    return d;
}

static int nodes(xmlDocPtr d, const char *xpath)
{
    xmlXPathContextPtr c = xmlXPathNewContext(d);
    xmlXPathObjectPtr o;
    int n;

    assert_non_null(c);
    o = xmlXPathEvalExpression(BAD_CAST xpath, c);
    assert_non_null(o);
    assert_int_equal(o->type, XPATH_NODESET);
    n = o->nodesetval ? o->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(c);
    return n;
}

/* The text of each node xpath selects into out[] (at most max); how many. */
static int texts(xmlDocPtr d, const char *xpath, char (*out)[AWC_UF_ID_MAX], int max)
{
    xmlXPathContextPtr c = xmlXPathNewContext(d);
    xmlXPathObjectPtr o;
    int n;

    assert_non_null(c);
    o = xmlXPathEvalExpression(BAD_CAST xpath, c);
    assert_non_null(o);
    n = o->nodesetval ? o->nodesetval->nodeNr : 0;
    for (int i = 0; i < n && i < max; i++) {
        xmlChar *t = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
        snprintf(out[i], AWC_UF_ID_MAX, "%s", t ? (const char *)t : "");
        xmlFree(t);
    }
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(c);
    return n;
}

static void ctl(const char *method, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctl(const char *method, const char *fmt, ...)
{
    char params[8192];
    va_list ap;
    xmlDocPtr d;

    va_start(ap, fmt);
    vsnprintf(params, sizeof(params), fmt, ap);
    va_end(ap);
    d = rpc(method, "%s", params);
    if (nodes(d, "/methodResponse/fault") != 0)
        fail_msg("%s: fault: %.*s", method, (int)sink.len, sink.buf);
    xmlFreeDoc(d);
}

static xmlDocPtr dump(void)
{
    xmlDocPtr d = rpc("test.dump", "%s", "");
    assert_int_equal(nodes(d, "/methodResponse/fault"), 0);
    return d;
}

/* XPath of the file struct with external id ext, in a dump. */
static const char *file_xp(const char *ext, const char *then)
{
    static char xp[1024];
    snprintf(xp, sizeof(xp), "/methodResponse/params/param/value/struct/member[name='files']"
             "/value/array/data/value/struct[member[name='external_id'][value/string='%s']]%s",
             ext, then);
    return xp;
}

#define RECORDS "/member[name='records']/value/array/data/value/struct"

/* How many times the platform was called with method. */
static int calls(xmlDocPtr d, const char *method)
{
    char xp[512], v[1][AWC_UF_ID_MAX];

    snprintf(xp, sizeof(xp), "/methodResponse/params/param/value/struct/member[name='calls']"
             "/value/struct/member[name='%s']/value/int", method);
    if (texts(d, xp, v, 1) == 0)
        return 0;
    return (int)strtol(v[0], NULL, 10);
}

/* The file in the dump holds exactly records 0..n-1 of ours, in order,
 * with the ids in want (when not NULL). */
static void assert_platform_holds(const char *ext, size_t n, char (*want)[AWC_UF_ID_MAX])
{
    static char got[NMAX + 1][AWC_UF_ID_MAX];
    xmlDocPtr d = dump();

    assert_int_equal(nodes(d, file_xp(ext, "")), 1);
    assert_int_equal(texts(d, file_xp(ext, RECORDS "/member[name='note']/value/string"), got,
                           NMAX + 1), (int)n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got[i], notes[i]);
    if (want) {
        assert_int_equal(texts(d, file_xp(ext, RECORDS "/member[name='record_id']/value/string"),
                               got, NMAX + 1), (int)n);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(got[i], want[i]);
    }
    xmlFreeDoc(d);
}

/* --- our side ----------------------------------------------------------------------------- */

static awc_invoicing *open_xr(unsigned timeout, const char *user_env, const char *password_env)
{
    awc_invoicing_params p;
    awc_invoicing *x = NULL;

    memset(&p, 0, sizeof(p));
    p.url = url;
    p.timeout = timeout;
    p.connect_timeout = 2;
    p.user_env = user_env;
    p.password_env = password_env;
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), 0);
    assert_non_null(x);
    return x;
}

static int setup(void **state)
{
    (void)state;
    ctl("test.reset", "%s", "");
    for (size_t i = 0; i < NMAX; i++) {
        awc_usage_record *r = &recs[i];
        memset(r, 0, sizeof(*r));
        snprintf(notes[i], sizeof(notes[i]), "AWSC-%06zu rec %zu", i, i);
        r->note = notes[i];
        r->item_mpn = "AWS-CREDIT";
        r->amount_minor = -(int64_t)(i * 7 + 1);
        r->exponent = 2;
        r->start_utc = "2026-10-01T00:00:00Z";
        r->end_utc = "2026-11-01T00:00:00Z";
        r->asset_id = "AS-1000-2000-3000";
        r->customer_id = "TA-0001-0002";
        r->reseller_id = "R-1";
        r->currency = "USD";
        r->seq = i + 1;
    }
    memset(ids, 0, sizeof(ids));
    memset(ids2, 0, sizeof(ids2));
    inv = open_xr(5, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (inv)
        inv->ops->close(inv);
    inv = NULL;
    unsetenv("AWC_T_USER");
    unsetenv("AWC_T_PASS");
    return 0;
}

static awc_usage_file file_of(const char *ext, size_t n)
{
    awc_usage_file f = { ext, "2026-10", "R-1", "USD", recs, n };
    return f;
}

/* --- tests ------------------------------------------------------------------------------- */

static void send_and_status(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:1", 3);
    awc_uf_state st;
    char fid[AWC_UF_ID_MAX];
    xmlDocPtr d;
    size_t n = 0;

    (void)state;
    recs[1].note = "a <note> & \"quotes\", ]]> too";
    snprintf(notes[1], sizeof(notes[1]), "%s", recs[1].note);
    recs[2].amount_minor = -123456;
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), 0);
    assert_memory_equal(st.usage_file_id, "UF-2026-10-", 11);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(st.records, 3);
    assert_memory_equal(ids[0], "UR-2026-10-", 11);
    assert_string_not_equal(ids[0], ids[1]);
    snprintf(fid, sizeof(fid), "%s", st.usage_file_id);
    assert_platform_holds(f.external_id, 3, ids);

    /* amounts went as decimal strings with the currency's places */
    d = dump();
    assert_int_equal(nodes(d, file_xp(f.external_id,
                                      RECORDS "/member[name='amount']/value[string='-1234.56']")), 1);
    assert_int_equal(nodes(d, file_xp(f.external_id,
                                      RECORDS "/member[name='amount']/value[string='-0.01']")), 1);
    assert_int_equal(nodes(d, file_xp(f.external_id,
                                      "/member[name='status']/value[string='ready']")), 1);
    xmlFreeDoc(d);

    assert_int_equal(inv->ops->status(inv, fid, &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_string_equal(st.usage_file_id, fid);
    ctl("test.setStatus", S("%s") S("accepted") S(""), fid);
    assert_int_equal(inv->ops->status(inv, fid, &st), 0);
    assert_int_equal(st.status, AWC_UF_ACCEPTED);
    ctl("test.setStatus", S("%s") S("closed") S("billed on INV-42"), fid);
    assert_int_equal(inv->ops->status(inv, fid, &st), 0);
    assert_int_equal(st.status, AWC_UF_CLOSED);
    assert_string_equal(st.note, "billed on INV-42");
    assert_int_equal(st.records, 3);

    assert_int_equal(inv->ops->find(inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_CLOSED);
    assert_string_equal(st.usage_file_id, fid);
    assert_int_equal(inv->ops->records(inv, fid, ids2, NMAX, &n), 0);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(ids2[i], ids[i]);

    /* unknown files are UNKNOWN, not errors */
    assert_int_equal(inv->ops->find(inv, "awscredit:never", &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(inv->ops->status(inv, "UF-2026-10-9999-9999", &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(inv->ops->records(inv, "UF-2026-10-9999-9999", ids2, NMAX, &n),
                     AWC_ENOTFOUND);
}

static void duplicate_external_id(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:dup", 4);
    awc_uf_state a, b;
    xmlDocPtr d;

    (void)state;
    assert_int_equal(inv->ops->send(inv, &f, &a, ids), 0);
    assert_int_equal(inv->ops->send(inv, &f, &b, ids2), 0);
    assert_string_equal(a.usage_file_id, b.usage_file_id);
    assert_int_equal(b.records, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(ids[i], ids2[i]);
    assert_platform_holds(f.external_id, 4, ids);
    d = dump();
    assert_int_equal(calls(d, "usage.createFile"), 2);
    assert_int_equal(calls(d, "usage.findByExternalId"), 1);
    assert_int_equal(calls(d, "usage.addRecords"), 1);
    assert_int_equal(calls(d, "usage.submit"), 1);
    xmlFreeDoc(d);

    /* the same external id with other records: refused, nothing added */
    recs[2].amount_minor = -999;
    assert_int_equal(inv->ops->send(inv, &f, &b, ids2), AWC_ECONFLICT);
    assert_non_null(strstr(awc_error_last(), "record 3"));
    assert_non_null(strstr(awc_error_last(), "amount"));
    assert_int_equal(b.status, AWC_UF_UNKNOWN);
    recs[2].amount_minor = -(2 * 7 + 1);
    f.n = 5;                           /* more records than were submitted */
    assert_int_equal(inv->ops->send(inv, &f, &b, ids2), AWC_ECONFLICT);
    assert_non_null(strstr(awc_error_last(), "4 records"));
    assert_platform_holds(f.external_id, 4, ids);
}

static void fault_in_one_line(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:fault", 2);
    awc_uf_state st;
    const char *msg;

    (void)state;
    ctl("test.failNext", S("usage.createFile") I("400") S("reseller R-1\nis suspended\r\nsee ticket 7"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_EBADINPUT);
    msg = awc_error_last();
    assert_non_null(strstr(msg, "usage.createFile"));
    assert_non_null(strstr(msg, "fault 400"));
    assert_non_null(strstr(msg, "reseller R-1 is suspended"));
    assert_non_null(strstr(msg, "see ticket 7"));
    assert_null(strchr(msg, '\n'));
    assert_null(strchr(msg, '\r'));

    ctl("test.failNext", S("usage.addRecords") I("503") S("busy"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "usage.addRecords: fault 503: busy"));
    ctl("test.failNext", S("usage.getStatus") I("401") S("token expired"));
    assert_int_equal(inv->ops->status(inv, "UF-2026-10-0000-0001", &st), AWC_EPERM);
    ctl("test.failNext", S("usage.submit") I("422") S("period closed"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_EINVALID_TRANSITION);

    /* and then it goes through: still one file with two records */
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), 0);
    assert_int_equal(st.records, 2);
    assert_platform_holds(f.external_id, 2, ids);
}

static void timeout(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:slow", 2);
    awc_uf_state st;
    long t0;
    xmlDocPtr d;
    int done = 0;

    (void)state;
    inv->ops->close(inv);
    inv = open_xr(1, NULL, NULL);

    ctl("test.delayNext", S("usage.getStatus") I("3"));
    t0 = now_ms();
    assert_int_equal(inv->ops->status(inv, "UF-2026-10-0000-0001", &st), AWC_ETIMEOUT);
    assert_true(now_ms() - t0 < 2800);
    assert_non_null(strstr(awc_error_last(), "usage.getStatus"));
    assert_non_null(strstr(awc_error_last(), "no answer within the timeout of 1 s"));
    assert_non_null(strstr(awc_error_last(), url));

    /* a createFile that answers too late still happened: the next send()
     * completes the same file */
    ctl("test.delayNext", S("usage.createFile") I("2"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ETIMEOUT);
    for (long end = now_ms() + 5000; !done && now_ms() < end; sleep_ms(100)) {
        d = dump();
        done = nodes(d, file_xp(f.external_id, "")) == 1;
        xmlFreeDoc(d);
    }
    assert_true(done);
    assert_int_equal(inv->ops->find(inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);   /* a draft: not yet the platform's */
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), 0);
    assert_platform_holds(f.external_id, 2, ids);
}

static void lost_answer_to_create(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:lost-create", 3);
    awc_uf_state st;
    xmlDocPtr d;

    (void)state;
    ctl("test.dropAfterNext", S("usage.createFile"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "usage.createFile"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), 0);
    assert_int_equal(st.records, 3);
    assert_platform_holds(f.external_id, 3, ids);
    d = dump();
    assert_int_equal(calls(d, "usage.createFile"), 2);
    assert_int_equal(calls(d, "usage.addRecords"), 1);
    xmlFreeDoc(d);
}

static void lost_answer_to_add_records(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:lost-add", 1100);
    awc_uf_state st;
    xmlDocPtr d;
    size_t n = 0;

    (void)state;
    ctl("test.dropAfterNext", S("usage.addRecords"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "usage.addRecords"));
    assert_platform_holds(f.external_id, 500, NULL);   /* the first batch got in */

    /* after the "crash": find() says it is not the platform's yet */
    assert_int_equal(inv->ops->find(inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    assert_int_equal(st.records, 500);
    assert_memory_equal(st.usage_file_id, "UF-2026-10-", 11);

    memset(ids, 0, sizeof(ids));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), 0);
    assert_int_equal(st.records, 1100);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_platform_holds(f.external_id, 1100, ids);
    d = dump();
    assert_int_equal(calls(d, "usage.addRecords"), 3);  /* 500 lost + 500 + 100 */
    assert_int_equal(calls(d, "usage.listRecords"), 1);
    assert_int_equal(calls(d, "usage.submit"), 1);
    xmlFreeDoc(d);

    assert_int_equal(inv->ops->records(inv, st.usage_file_id, ids2, NMAX, &n), 0);
    assert_int_equal(n, 1100);
    assert_string_equal(ids2[0], ids[0]);
    assert_string_equal(ids2[1099], ids[1099]);
    assert_int_equal(inv->ops->records(inv, st.usage_file_id, ids2, 1000, &n), AWC_EOVERFLOW);
}

static void lost_answer_to_submit(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:lost-submit", 7);
    awc_uf_state st;
    char fid[AWC_UF_ID_MAX];
    xmlDocPtr d;
    size_t n = 0;

    (void)state;
    ctl("test.dropAfterNext", S("usage.submit"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "usage.submit"));

    /* the platform has it, submitted: find() reports it, records() names them */
    assert_int_equal(inv->ops->find(inv, f.external_id, &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
    assert_int_equal(st.records, 7);
    snprintf(fid, sizeof(fid), "%s", st.usage_file_id);
    assert_int_equal(inv->ops->records(inv, fid, ids2, NMAX, &n), 0);
    assert_int_equal(n, 7);
    for (int i = 0; i < 7; i++)
        assert_string_equal(ids2[i], ids[i]);

    /* and a second send() is a no-op that answers the same */
    memset(ids2, 0, sizeof(ids2));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids2), 0);
    assert_string_equal(st.usage_file_id, fid);
    for (int i = 0; i < 7; i++)
        assert_string_equal(ids2[i], ids[i]);
    assert_platform_holds(f.external_id, 7, ids);
    d = dump();
    assert_int_equal(calls(d, "usage.submit"), 1);
    assert_int_equal(calls(d, "usage.addRecords"), 1);
    xmlFreeDoc(d);
}

static void rejected_with_note(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:rej", 2);
    awc_uf_state st;
    char fid[AWC_UF_ID_MAX];

    (void)state;
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), 0);
    snprintf(fid, sizeof(fid), "%s", st.usage_file_id);
    ctl("test.setStatus", S("%s") S("rejected") S("asset AS-1000-2000-3000 is terminated"), fid);
    assert_int_equal(inv->ops->status(inv, fid, &st), 0);
    assert_int_equal(st.status, AWC_UF_REJECTED);
    assert_string_equal(st.note, "asset AS-1000-2000-3000 is terminated");
    ctl("test.setStatus", S("%s") S("invalid") S("bad MPN"), fid);
    assert_int_equal(inv->ops->status(inv, fid, &st), 0);
    assert_int_equal(st.status, AWC_UF_REJECTED);
    assert_string_equal(st.note, "bad MPN");
    ctl("test.setStatus", S("%s") S("processing") S(""), fid);
    assert_int_equal(inv->ops->status(inv, fid, &st), 0);
    assert_int_equal(st.status, AWC_UF_PENDING);
}

static void many_records(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:many", NMAX);
    awc_uf_state st;
    xmlDocPtr d;

    (void)state;
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), 0);
    assert_int_equal(st.records, NMAX);
    assert_platform_holds(f.external_id, NMAX, ids);
    for (int i = 1; i < NMAX; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    d = dump();
    assert_int_equal(calls(d, "usage.addRecords"), 3);  /* 500 + 500 + 200 */
    xmlFreeDoc(d);
}

static void bad_input_sends_nothing(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:bad", 3);
    awc_uf_state st;
    xmlDocPtr d;

    (void)state;
    recs[2].customer_id = "";
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "record 3"));
    recs[2].customer_id = "TA-1";
    recs[1].note = "bell \a";
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_EBADINPUT);
    recs[1].note = "bad utf-8 \xc3\x28";
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_EBADINPUT);
    d = dump();
    assert_int_equal(calls(d, "usage.createFile"), 0);
    xmlFreeDoc(d);
}

static void credentials(void **state)
{
    static const char pw[] = "pw-Zq8-never-shown";
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:auth", 1);
    awc_invoicing_params p;
    awc_invoicing *x = NULL;
    awc_uf_state st;

    (void)state;
    ctl("test.requireAuth", S("billing") S("%s"), pw);
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "HTTP 401"));

    memset(&p, 0, sizeof(p));
    p.url = url;
    p.user_env = "AWC_T_USER";
    p.password_env = "AWC_T_PASS";
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "AWC_T_USER"));

    setenv("AWC_T_USER", "billing", 1);
    setenv("AWC_T_PASS", "wrong-password", 1);
    x = open_xr(5, "AWC_T_USER", "AWC_T_PASS");
    assert_int_equal(x->ops->send(x, &f, &st, ids), AWC_ENET);
    assert_null(strstr(awc_error_last(), "wrong-password"));
    x->ops->close(x);

    setenv("AWC_T_PASS", pw, 1);
    x = open_xr(5, "AWC_T_USER", "AWC_T_PASS");
    assert_int_equal(x->ops->send(x, &f, &st, ids), 0);
    ctl("test.failNext", S("usage.getStatus") I("500") S("boom"));
    assert_int_equal(x->ops->status(x, st.usage_file_id, &st), AWC_ENET);
    assert_null(strstr(awc_error_last(), pw));
    x->ops->close(x);
    ctl("test.requireAuth", S("") S(""));
}

/* The next call of method is answered with body (HTTP status http). */
static void raw_next(const char *method, int http, const char *body)
{
    static char esc[7000];
    size_t o = 0;

    for (const char *c = body; *c && o + 6 < sizeof(esc); c++) {
        const char *e = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : NULL;
        if (e) {
            memcpy(esc + o, e, strlen(e));
            o += strlen(e);
        } else {
            esc[o++] = *c;
        }
    }
    esc[o] = '\0';
    ctl("test.rawNext", S("%s") I("%d") S("%s"), method, http, esc);
}

#define ANSWER(v) "<?xml version=\"1.0\"?><methodResponse><params><param><value>" v \
    "</value></param></params></methodResponse>"
#define MEMBER(n, v) "<member><name>" n "</name><value>" v "</value></member>"

static void hostile_answers(void **state)
{
    static char big[4000];
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:raw", 2);
    awc_uf_state st;
    const char *id = "UF-2026-10-0000-0001";
    size_t o;

    (void)state;
    /* a DTD (external entity or entity expansion) is refused unread */
    raw_next("usage.getStatus", 200,
             "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
             ANSWER("<string>&x;</string>"));
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "DTD"));
    assert_null(strstr(awc_error_last(), "root:"));
    raw_next("usage.getStatus", 200,
             "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaaaaaaaa\">"
             "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;\">]>"
             ANSWER("<string>&c;</string>"));
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "DTD"));

    raw_next("usage.getStatus", 200, "this is not XML <");
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "not well-formed"));
    raw_next("usage.getStatus", 500, "<html>Internal Server Error</html>");
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "HTTP 500"));
    raw_next("usage.getStatus", 200, ANSWER("<struct>"
             MEMBER("usage_file_id", "<string>UF-2026-10-0000-0001</string>")
             MEMBER("status", "<string>weird</string>")
             MEMBER("record_count", "<int>3</int>") "</struct>"));
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "unknown status 'weird'"));
    raw_next("usage.getStatus", 200, ANSWER("<struct>"
             MEMBER("usage_file_id", "<string>UF-2026-10-0000-0001</string>")
             MEMBER("status", "<string>ready</string>")
             MEMBER("record_count", "<string>3</string>") "</struct>"));
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "record_count"));
    assert_int_equal(st.status, AWC_UF_UNKNOWN);

    /* untyped strings and <i4> are XML-RPC too */
    raw_next("usage.getStatus", 200, ANSWER("<struct>\n "
             MEMBER("usage_file_id", "UF-2026-10-0000-0042")
             MEMBER("status", "accepted")
             MEMBER("note", "<string>ok &amp; fine</string>")
             MEMBER("record_count", "<i4> 2 </i4>") "</struct>"));
    assert_int_equal(inv->ops->status(inv, id, &st), 0);
    assert_string_equal(st.usage_file_id, "UF-2026-10-0000-0042");
    assert_int_equal(st.status, AWC_UF_ACCEPTED);
    assert_string_equal(st.note, "ok & fine");
    assert_int_equal(st.records, 2);

    /* faults: no code, and a long text cut on one line */
    raw_next("usage.getStatus", 200, "<?xml version=\"1.0\"?><methodResponse><fault><value><struct>"
             MEMBER("faultString", "<string>no code</string>") "</struct></value></fault>"
             "</methodResponse>");
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "faultCode"));
    o = (size_t)snprintf(big, sizeof(big), "<?xml version=\"1.0\"?><methodResponse><fault><value>"
                         "<struct><member><name>faultCode</name><value><int>500</int></value>"
                         "</member><member><name>faultString</name><value><string>");
    for (int i = 0; i < 2000; i++)
        big[o++] = i % 50 == 49 ? '\n' : 'x';
    snprintf(big + o, sizeof(big) - o, "</string></value></member></struct></value></fault>"
             "</methodResponse>");
    raw_next("usage.getStatus", 200, big);
    assert_int_equal(inv->ops->status(inv, id, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "fault 500: xxx"));
    assert_non_null(strstr(awc_error_last(), "..."));
    assert_null(strchr(awc_error_last(), '\n'));

    /* addRecords must answer one id per record */
    raw_next("usage.addRecords", 200,
             ANSWER("<array><data><value><string>UR-1</string></value></data></array>"));
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "one record id per record"));
    assert_int_equal(st.status, AWC_UF_UNKNOWN);
    /* a usage file id that does not fit */
    raw_next("usage.createFile", 200, ANSWER("<struct>" MEMBER("usage_file_id",
             "<string>UF-0123456789012345678901234567890123456789012345678901234567890123456789"
             "</string>") "</struct>"));
    f.external_id = "awscredit:2026-10:R-1:USD:raw2";
    assert_int_equal(inv->ops->send(inv, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "usage_file_id"));
}

static void open_and_connection_errors(void **state)
{
    awc_usage_file f = file_of("awscredit:2026-10:R-1:USD:conn", 1);
    awc_invoicing_params p;
    awc_invoicing *x = NULL;
    awc_uf_state st;
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    char closed[128];
    int s;

    (void)state;
    memset(&p, 0, sizeof(p));
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), AWC_ECONFIG);
    p.url = "http://user:secret@127.0.0.1:1/RPC2";
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), AWC_ECONFIG);
    assert_null(strstr(awc_error_last(), "secret"));
    p.url = "ftp://127.0.0.1/RPC2";
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), AWC_ECONFIG);
    p.url = url;
    p.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), AWC_ECONFIG);
    p.ca_file = NULL;
    p.user_env = "AWC_T_USER";
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), AWC_ECONFIG);
    assert_null(x);

    /* a port nobody listens on: refused at once */
    s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    close(s);
    snprintf(closed, sizeof(closed), "http://127.0.0.1:%d/RPC2?token=abc", ntohs(a.sin_port));
    p.url = closed;
    p.user_env = NULL;
    p.timeout = 2;
    assert_int_equal(awc_invoicing_xmlrpc_open(&x, &p), 0);
    assert_int_equal(x->ops->send(x, &f, &st, ids), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "usage.createFile"));
    assert_null(strstr(awc_error_last(), "token=abc"));
    x->ops->close(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(send_and_status, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_external_id, setup, teardown),
        cmocka_unit_test_setup_teardown(fault_in_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_answer_to_create, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_answer_to_add_records, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_answer_to_submit, setup, teardown),
        cmocka_unit_test_setup_teardown(rejected_with_note, setup, teardown),
        cmocka_unit_test_setup_teardown(many_records, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_input_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(open_and_connection_errors, setup, teardown),
    };
    return cmocka_run_group_tests_name("invoicing_xmlrpc", tests, start_fake, stop_fake);
}
