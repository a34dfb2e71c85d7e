/*
 * test_aws.c -- the AWS adapters (aws_http.c, s3.c, cur_athena.c,
 * aws_billing.c) against tests/fakes/aws_fake.py, which recomputes every
 * request's SigV4 signature with its own implementation (proved on AWS's
 * published examples by tests/integration/test_sigv4.sh) and refuses a wrong
 * one the way AWS does.
 *
 * What is shown: a wrong secret is refused (SignatureDoesNotMatch for S3,
 * InvalidSignatureException for Athena) and the message never holds a
 * credential; right credentials are accepted; session credentials must send
 * and sign their token; S3 listings over more than 3 pages; GetObject of
 * .csv and .csv.gz streamed into the CUR reader gives exactly the rows the
 * reader gives for the same files on disk, also for objects larger than the
 * stream buffer; Athena results over more than 3 pages equal the CUR files'
 * credits aggregated here; throttling then success; FAILED (reason named);
 * CANCELLED; a slow query hitting a 2 s athena.query_timeout (and stopped);
 * NULL cells; a retried run reusing the ClientRequestToken and getting the
 * same query back; GetCredits over pages; request timeouts.
 *
 * The fake is found through AWC_TEST_ROOT (else the current directory) and
 * runs on 127.0.0.1 with a bounded lifetime; the test sets
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN in one
 * test) in its own environment only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include "awc.h"
#include "aws.h"
#include "aws_billing.h"
#include "cur.h"
#include "cur_athena.h"
#include "s3.h"
#include "sha256.h"

#define AK "AKIDFAKEEXAMPLE"
#define SK "fake/Secret+Key/EXAMPLE"
#define WRONG_SK "wrong/Secret+Key/EXAMPLE"
#define TOKEN "FwoGZXIvYXdzEXAMPLE//session+token=="
#define REGION "eu-west-1"
#define BIG_ROWS 24000

static char root[1024];
static char tmpdir[256];
static char endpoint[64];
static pid_t fake_pid = -1;

static awc_aws_creds creds;
static awc_aws_conf aws;

/* --- the fake ------------------------------------------------------------------ */

static void path_of(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", root, rel);
}

static int start_fake(void)
{
    char script[1200], athena[1200], billing[1200];
    int fds[2];
    pid_t pid;
    char line[128];
    size_t used = 0;
    time_t until = time(NULL) + 20;

    path_of(script, sizeof(script), "tests/fakes/aws_fake.py");
    path_of(athena, sizeof(athena), "tests/fixtures/aws/athena-results.json");
    path_of(billing, sizeof(billing), "tests/fixtures/aws/billing-credits.json");
    if (pipe(fds) != 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", script, "--port", "0", "--max-seconds", "280", "--region",
               REGION, "--billing-region", "us-east-1", "--access-key", AK, "--secret-key", SK,
               "--athena-fixture", athena, "--billing-fixture", billing, "--s3-root", tmpdir,
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    fake_pid = pid;
    while (time(NULL) < until && used + 1 < sizeof(line)) {
        struct pollfd p = {fds[0], POLLIN, 0};
        ssize_t k;
        if (poll(&p, 1, 1000) <= 0)
            continue;
        k = read(fds[0], line + used, sizeof(line) - 1 - used);
        if (k <= 0)
            break;
        used += (size_t)k;
        line[used] = '\0';
        if (strchr(line, '\n')) {
            unsigned port = 0;
            close(fds[0]);
            if (sscanf(line, "PORT %u", &port) != 1 || port == 0)
                return -1;
            snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", port);
            return 0;
        }
    }
    close(fds[0]);
    return -1;
}

static void stop_fake(void)
{
    int i, status;

    if (fake_pid <= 0)
        return;
    kill(fake_pid, SIGTERM);
    for (i = 0; i < 50; i++) {
        if (waitpid(fake_pid, &status, WNOHANG) == fake_pid) {
            fake_pid = -1;
            return;
        }
        usleep(100000);
    }
    kill(fake_pid, SIGKILL);
    waitpid(fake_pid, &status, 0);
    fake_pid = -1;
}

typedef struct membuf {
    char *p;
    size_t n;
} membuf;

static size_t mem_write(char *p, size_t size, size_t nmemb, void *ud)
{
    membuf *m = ud;
    size_t n = size * nmemb;
    char *q = realloc(m->p, m->n + n + 1);
    if (!q)
        return 0;
    m->p = q;
    memcpy(m->p + m->n, p, n);
    m->n += n;
    m->p[m->n] = '\0';
    return n;
}

/* POST a command to /_control (or GET the state with cmd NULL). */
static json_t *control(const char *cmd)
{
    char url[128];
    CURL *h = curl_easy_init();
    membuf m = {NULL, 0};
    json_error_t err;
    json_t *j;
    long st = 0;

    assert_non_null(h);
    snprintf(url, sizeof(url), "%s/_control", endpoint);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mem_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &m);
    if (cmd)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, cmd);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    curl_easy_cleanup(h);
    assert_int_equal(st, 200);
    j = json_loads(m.p, 0, &err);
    free(m.p);
    assert_non_null(j);
    return j;
}

static void control_do(const char *cmd)
{
    json_decref(control(cmd));
}

static json_int_t state_calls(const char *name)
{
    json_t *s = control(NULL);
    json_int_t n = json_integer_value(json_object_get(json_object_get(s, "calls"), name));
    json_decref(s);
    return n;
}

/* --- fixtures: a temporary S3 root with the repository's bucket and a big one --- */

/* Row i of the big objects: every 7th is usage (skipped), the rest credits
 * over 40 descriptions and 50 accounts, amounts with 10 decimals. */
static void big_row(char *out, size_t n, unsigned i)
{
    snprintf(out, n,
             "b%u,2026-10-01T00:00:00Z/2026-11-01T00:00:00Z,2026123456,\"Amazon Web Services, "
             "Inc.\",AWS,Anniversary,111122223333,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,"
             "%012u,%s,2026-10-%02uT00:00:00Z,2026-11-01T00:00:00Z,AmazonEC2,,,,0,USD,,"
             "-%u.%010u,\"Bulk credit %u, credit id: %u\",\"Amazon Web Services, Inc.\","
             "Amazon Elastic Compute Cloud,padding-padding-padding-padding-padding-padding\n",
             i, 100000000u + i % 50, i % 7 == 0 ? "Usage" : "Credit", 1 + i % 28, i % 1000,
             (i * 7919u) % 1000000000u, i % 40, 1000000000u + i % 40);
}

static const char big_header[] =
    "identity/LineItemId,identity/TimeInterval,bill/InvoiceId,bill/InvoicingEntity,"
    "bill/BillingEntity,bill/BillType,bill/PayerAccountId,bill/BillingPeriodStartDate,"
    "bill/BillingPeriodEndDate,lineItem/UsageAccountId,lineItem/LineItemType,"
    "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,lineItem/UsageType,"
    "lineItem/Operation,lineItem/ResourceId,lineItem/UsageAmount,lineItem/CurrencyCode,"
    "lineItem/UnblendedRate,lineItem/UnblendedCost,lineItem/LineItemDescription,"
    "lineItem/LegalEntity,product/ProductName,resourceTags/user:team\n";

static int make_s3_root(void)
{
    char p[1400], target[1200], row[700];
    FILE *f;
    gzFile g;
    unsigned i;

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/awc-test-aws-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(p, sizeof(p), "%s/cur-bucket", tmpdir);
    path_of(target, sizeof(target), "tests/fixtures/aws/s3/cur-bucket");
    if (symlink(target, p) != 0)
        return -1;
    snprintf(p, sizeof(p), "%s/big-bucket", tmpdir);
    if (mkdir(p, 0700) != 0)
        return -1;
    snprintf(p, sizeof(p), "%s/big-bucket/big", tmpdir);
    if (mkdir(p, 0700) != 0)
        return -1;
    snprintf(p, sizeof(p), "%s/big-bucket/big/part-1.csv", tmpdir);
    if (!(f = fopen(p, "w")))
        return -1;
    fputs(big_header, f);
    for (i = 0; i < BIG_ROWS; i++) {
        big_row(row, sizeof(row), i);
        fputs(row, f);
    }
    if (fclose(f) != 0)
        return -1;
    snprintf(p, sizeof(p), "%s/big-bucket/big/part-2.csv.gz", tmpdir);
    if (!(g = gzopen(p, "wb6")))
        return -1;
    gzputs(g, big_header);
    for (i = BIG_ROWS; i < 2 * BIG_ROWS; i++) {
        big_row(row, sizeof(row), i);
        gzputs(g, row);
    }
    return gzclose(g) == Z_OK ? 0 : -1;
}

static void remove_s3_root(void)
{
    static const char *const rel[] = {"big-bucket/big/part-1.csv", "big-bucket/big/part-2.csv.gz",
                                      "big-bucket/big", "big-bucket", "cur-bucket", ""};
    char p[1400];
    size_t i;

    if (!tmpdir[0])
        return;
    for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel[i]);
        if (remove(p) != 0 && errno != ENOENT)
            fprintf(stderr, "# cannot remove %s: %s\n", p, strerror(errno));
    }
}

static int group_setup(void **state)
{
    const char *r = getenv("AWC_TEST_ROOT");
    (void)state;
    if (r && *r)
        snprintf(root, sizeof(root), "%s", r);
    else if (!getcwd(root, sizeof(root)))
        return -1;
    if (make_s3_root() != 0) {
        fprintf(stderr, "# cannot make the S3 root under /tmp\n");
        return -1;
    }
    if (start_fake() != 0) {
        fprintf(stderr, "# cannot start tests/fakes/aws_fake.py (python3?)\n");
        return -1;
    }
    setenv("AWS_ACCESS_KEY_ID", AK, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SK, 1);
    unsetenv("AWS_SESSION_TOKEN");
    if (awc_aws_creds_load(&creds, NULL, NULL) != 0)
        return -1;
    memset(&aws, 0, sizeof(aws));
    aws.creds = &creds;
    aws.connect_timeout = 5;
    aws.timeout = 20;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    stop_fake();
    remove_s3_root();
    awc_aws_creds_free(&creds);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    control_do("{\"reset\": true}");
    awc_error_clear();
    return 0;
}

/* --- configurations ------------------------------------------------------------- */

static awc_s3 *s3_open_with(const awc_aws_conf *conf)
{
    awc_s3_conf sc;
    awc_s3 *s = NULL;

    memset(&sc, 0, sizeof(sc));
    sc.endpoint = endpoint;
    sc.region = REGION;
    assert_int_equal(awc_s3_open(&s, conf, &sc), 0);
    return s;
}

static void athena_conf(awc_athena_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->endpoint = endpoint;
    c->region = REGION;
    c->workgroup = "primary";
    c->database = "cur_db";
    c->table = "cur_table";
    c->output_location = "s3://athena-results/awscredit/";
    c->cur_version = 2;
    c->line_item_types = "Credit";
    c->query_timeout = 30;
    c->poll_initial_ms = 50;
    c->poll_max_ms = 200;
}

static awc_aws_client *client_with(const awc_aws_conf *conf)
{
    awc_aws_client *c = NULL;
    assert_int_equal(awc_aws_client_new(&c, conf), 0);
    return c;
}

/* --- collected rows -------------------------------------------------------------------- */

typedef struct credit_row {
    char key[600];                 /* payer|account|product|currency|description */
    char be[64], le[64], inv[32], first[11], last[11];
    int64_t count;
    awc_amount amount;
} credit_row;

typedef struct rowset {
    char **lines;                  /* the first 1000 rows as text, for exact comparison */
    size_t kept, cap;
    size_t n;                      /* rows seen */
    credit_row *agg;               /* aggregated like the Athena query */
    size_t nagg, capagg;
    awc_sha256_ctx hash;
    awc_amount sum;
} rowset;

static void rowset_init(rowset *s)
{
    memset(s, 0, sizeof(*s));
    awc_sha256_init(&s->hash);
}

static void rowset_free(rowset *s)
{
    size_t i;
    for (i = 0; i < s->kept; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->agg);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static credit_row *agg_slot(rowset *s, const char *key)
{
    size_t i;
    for (i = 0; i < s->nagg; i++)
        if (strcmp(s->agg[i].key, key) == 0)
            return &s->agg[i];
    if (s->nagg == s->capagg) {
        s->capagg = s->capagg ? 2 * s->capagg : 16;
        s->agg = realloc(s->agg, s->capagg * sizeof(*s->agg));
        assert_non_null(s->agg);
    }
    memset(&s->agg[s->nagg], 0, sizeof(s->agg[0]));
    snprintf(s->agg[s->nagg].key, sizeof(s->agg[0].key), "%s", key);
    return &s->agg[s->nagg++];
}

static void maxcpy(char *dst, size_t n, const awc_cur_view *v)
{
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "%.*s", (int)v->n, v->p);
    if (strcmp(tmp, dst) > 0)
        snprintf(dst, n, "%s", tmp);
}

static int collect_cur(void *ctx, const awc_cur_row *r)
{
    rowset *s = ctx;
    char line[2048], key[600];
    const awc_cur_view *f = r->f;
    credit_row *a;
    int n;

    n = snprintf(line, sizeof(line), "%s|%" PRIu64 "|%s|%s|%s|%" PRId64 "|%.*s|%.*s|%.*s|%.*s|"
                                     "%.*s|%.*s|%.*s",
                 base_name(r->file), r->line, r->period, r->usage_date, r->currency, r->amount,
                 (int)f[AWC_CUR_PAYER].n, f[AWC_CUR_PAYER].p, (int)f[AWC_CUR_ACCOUNT].n,
                 f[AWC_CUR_ACCOUNT].p, (int)f[AWC_CUR_PRODUCT].n, f[AWC_CUR_PRODUCT].p,
                 (int)f[AWC_CUR_DESCRIPTION].n, f[AWC_CUR_DESCRIPTION].p,
                 (int)f[AWC_CUR_BILLING_ENTITY].n, f[AWC_CUR_BILLING_ENTITY].p,
                 (int)f[AWC_CUR_LEGAL_ENTITY].n, f[AWC_CUR_LEGAL_ENTITY].p,
                 (int)f[AWC_CUR_INVOICE_ID].n, f[AWC_CUR_INVOICE_ID].p);
    assert_true(n > 0 && (size_t)n < sizeof(line));
    awc_sha256_update(&s->hash, line, (size_t)n);
    assert_int_equal(awc_money_add(&s->sum, s->sum, r->amount), 0);
    if (s->kept < 1000) { /* the rest is compared through the hash */
        if (s->kept == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 32;
            s->lines = realloc(s->lines, s->cap * sizeof(*s->lines));
            assert_non_null(s->lines);
        }
        s->lines[s->kept] = strdup(line);
        assert_non_null(s->lines[s->kept]);
        s->kept++;
    }
    s->n++;
    snprintf(key, sizeof(key), "%.*s|%.*s|%.*s|%s|%.*s", (int)f[AWC_CUR_PAYER].n,
             f[AWC_CUR_PAYER].p, (int)f[AWC_CUR_ACCOUNT].n, f[AWC_CUR_ACCOUNT].p,
             (int)f[AWC_CUR_PRODUCT].n, f[AWC_CUR_PRODUCT].p, r->currency,
             (int)f[AWC_CUR_DESCRIPTION].n, f[AWC_CUR_DESCRIPTION].p);
    a = agg_slot(s, key);
    assert_int_equal(awc_money_add(&a->amount, a->amount, r->amount), 0);
    if (!a->count || strcmp(r->usage_date, a->first) < 0)
        snprintf(a->first, sizeof(a->first), "%s", r->usage_date);
    if (!a->count || strcmp(r->usage_date, a->last) > 0)
        snprintf(a->last, sizeof(a->last), "%s", r->usage_date);
    maxcpy(a->be, sizeof(a->be), &f[AWC_CUR_BILLING_ENTITY]);
    maxcpy(a->le, sizeof(a->le), &f[AWC_CUR_LEGAL_ENTITY]);
    maxcpy(a->inv, sizeof(a->inv), &f[AWC_CUR_INVOICE_ID]);
    a->count++;
    return 0;
}

static void assert_same_rows(rowset *a, rowset *b)
{
    uint8_t da[32], db[32];
    size_t i;

    assert_int_equal(a->n, b->n);
    assert_int_equal(a->kept, b->kept);
    assert_true(a->sum == b->sum);
    for (i = 0; i < a->kept; i++)
        assert_string_equal(a->lines[i], b->lines[i]);
    awc_sha256_final(&a->hash, da);
    awc_sha256_final(&b->hash, db);
    assert_memory_equal(da, db, 32);
}

static void read_local(rowset *out, const char *pattern, const awc_cur_options *opt)
{
    awc_cur_paths paths;
    char pat[1400];
    size_t i;

    snprintf(pat, sizeof(pat), "%s/%s", root, pattern);
    assert_int_equal(awc_cur_glob(&paths, pat), 0);
    for (i = 0; i < paths.n; i++)
        assert_int_equal(awc_cur_read_path(paths.v[i], opt, collect_cur, out, NULL), 0);
    awc_cur_paths_free(&paths);
}

static void cur_options(awc_cur_options *o)
{
    memset(o, 0, sizeof(*o));
    o->line_item_types = "Credit";
    o->period = "2026-10";
}

typedef struct athena_rows {
    credit_row v[64];
    size_t n;
    unsigned null_masks[64];
    int stop_after;                /* > 0: return AWC_EDB at that row */
} athena_rows;

static int collect_athena(void *ctx, const awc_athena_row *r)
{
    athena_rows *a = ctx;
    credit_row *c;

    if (a->stop_after && (int)r->row == a->stop_after)
        return awc_error_set(AWC_EDB, "stop requested by the test");
    assert_true(a->n < 64);
    c = &a->v[a->n];
    a->null_masks[a->n++] = r->null_mask;
    snprintf(c->key, sizeof(c->key), "%s|%s|%s|%s|%s", r->payer_account_id, r->usage_account_id,
             r->product_code, r->currency, r->description);
    snprintf(c->be, sizeof(c->be), "%s", r->billing_entity);
    snprintf(c->le, sizeof(c->le), "%s", r->legal_entity);
    snprintf(c->inv, sizeof(c->inv), "%s", r->invoice_id);
    snprintf(c->first, sizeof(c->first), "%s", r->first_usage);
    snprintf(c->last, sizeof(c->last), "%s", r->last_usage);
    c->count = r->line_count;
    c->amount = r->amount;
    return 0;
}

/* --- tests: basics --------------------------------------------------------------------- */

static void test_credentials_from_environment(void **state)
{
    awc_aws_creds c;
    (void)state;
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(awc_aws_creds_load(&c, NULL, NULL), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "AWS_SECRET_ACCESS_KEY"));
    assert_null(c.access_key_id);
    setenv("AWS_SECRET_ACCESS_KEY", SK, 1);
    assert_int_equal(awc_aws_creds_load(&c, NULL, NULL), 0);
    assert_string_equal(c.access_key_id, AK);
    assert_string_equal(c.secret_access_key, SK);
    assert_null(c.session_token);
    awc_aws_creds_free(&c);
    assert_null(c.secret_access_key);
}

static void test_query_encoding(void **state)
{
    const awc_aws_param p[] = {{"prefix", "cur/2026-10/a b+c=d"}, {"list-type", "2"},
                               {"continuation-token", "1/aB=="}, {"encoding-type", "url"},
                               {"empty", NULL}};
    char *q = NULL, *e = NULL;
    (void)state;
    assert_int_equal(awc_aws_query(&q, p, 5), 0);
    assert_string_equal(q, "continuation-token=1%2FaB%3D%3D&empty=&encoding-type=url&"
                           "list-type=2&prefix=cur%2F2026-10%2Fa%20b%2Bc%3Dd");
    awc_free(q);
    assert_int_equal(awc_aws_encode(&e, "a/b c~d_e.f-g*\xc3\xa9", 16, 1), 0);
    assert_string_equal(e, "a/b%20c~d_e.f-g%2A%C3%A9");
    awc_free(e);
}

static void test_error_bodies(void **state)
{
    static const char json[] = "{\"__type\":\"com.amazonaws.athena#InvalidRequestException\","
                               "\"Message\":\"Query has not yet finished.\","
                               "\"AthenaErrorCode\":\"INVALID_INPUT\"}";
    static const char xml[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
                              "<Message>The specified key does not exist.</Message></Error>";
    static const char dtd[] = "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ENTITY x \"boom\">]>"
                              "<Error><Code>&x;</Code></Error>";
    char code[96], msg[300];
    (void)state;
    awc_aws_error_parse(code, sizeof(code), msg, sizeof(msg), json, strlen(json), NULL);
    assert_string_equal(code, "InvalidRequestException");
    assert_string_equal(msg, "Query has not yet finished. (INVALID_INPUT)");
    awc_aws_error_parse(code, sizeof(code), msg, sizeof(msg), "{}", 2,
                        "ThrottlingException:http://internal.amazon.com/coral/x/");
    assert_string_equal(code, "ThrottlingException");
    awc_aws_error_parse(code, sizeof(code), msg, sizeof(msg), xml, strlen(xml), NULL);
    assert_string_equal(code, "NoSuchKey");
    assert_string_equal(msg, "The specified key does not exist.");
    awc_aws_error_parse(code, sizeof(code), msg, sizeof(msg), dtd, strlen(dtd), NULL);
    assert_string_equal(code, ""); /* a body with a DTD is not read */
    assert_true(awc_aws_retryable(400, "ThrottlingException"));
    assert_true(awc_aws_retryable(400, "TooManyRequestsException"));
    assert_true(awc_aws_retryable(503, "SlowDown"));
    assert_false(awc_aws_retryable(400, "InvalidRequestException"));
    assert_false(awc_aws_retryable(403, "SignatureDoesNotMatch"));
}

static void test_endpoint_policy(void **state)
{
    awc_aws_client *c = client_with(&aws);
    awc_aws_request req;
    awc_aws_response res;
    (void)state;
    memset(&req, 0, sizeof(req));
    req.what = "test";
    req.method = "GET";
    req.endpoint = "http://example.com";
    req.region = REGION;
    req.service = "s3";
    assert_int_equal(awc_aws_send(c, &req, &res), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "only https"));
    awc_aws_response_free(&res);
    /* userinfo is refused and never shown, however it is mistyped */
    {
        static const char *const bad[] = {
            "https://user:hunter2pw@example.com", "https://user:hunter2/pw@example.com",
            "https://:hunter2pw@example.com", "https://hunter2pw@example.com",
            "https://user:hunter2 pw@example.com",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            req.endpoint = bad[i];
            assert_int_equal(awc_aws_send(c, &req, &res), AWC_ECONFIG);
            assert_null(strstr(awc_error_last(), "hunter2"));
            assert_non_null(strstr(awc_error_last(), "test: endpoint"));
            awc_aws_response_free(&res);
        }
    }
    req.endpoint = "https://exa mple.com";
    assert_int_equal(awc_aws_send(c, &req, &res), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "not a URL"));
    awc_aws_response_free(&res);
    awc_aws_client_free(c);
}

typedef struct counter {
    size_t bytes;
    int fail_after;                /* > 0: return AWC_EIO once this many bytes came */
} counter;

static int count_data(void *ctx, const char *p, size_t n)
{
    counter *c = ctx;
    (void)p;
    c->bytes += n;
    if (c->fail_after && c->bytes >= (size_t)c->fail_after)
        return awc_error_set(AWC_EIO, "consumer refused the data");
    return 0;
}

/* A 2xx body is bounded when buffered, or streamed to a callback whose
 * error stops the transfer; an error body is still parsed then. */
static void test_send_bounds_and_streaming(void **state)
{
    awc_aws_client *c = client_with(&aws);
    awc_aws_request req;
    awc_aws_response res;
    counter cnt = {0, 0};
    char path[1400];
    struct stat sb;
    (void)state;

    path_of(path, sizeof(path), "tests/fixtures/aws/s3/cur-bucket/legacy/2026-10/acme-00001.csv");
    assert_int_equal(stat(path, &sb), 0);
    memset(&req, 0, sizeof(req));
    req.what = "s3 GetObject test";
    req.method = "GET";
    req.endpoint = endpoint;
    req.path = "/cur-bucket/legacy/2026-10/acme-00001.csv";
    req.region = REGION;
    req.service = "s3";
    req.s3 = 1;
    req.max_body = 100;
    assert_int_equal(awc_aws_send(c, &req, &res), AWC_EIO);
    assert_non_null(strstr(awc_error_last(), "larger than 100 bytes"));
    awc_aws_response_free(&res);

    req.max_body = 0;
    assert_int_equal(awc_aws_send(c, &req, &res), 0);
    assert_int_equal(res.status, 200);
    assert_int_equal(res.len, (size_t)sb.st_size);
    awc_aws_response_free(&res);

    req.on_data = count_data;
    req.data_ctx = &cnt;
    assert_int_equal(awc_aws_send(c, &req, &res), 0);
    assert_int_equal(cnt.bytes, (size_t)sb.st_size);
    assert_null(res.body);
    awc_aws_response_free(&res);

    cnt.bytes = 0;
    cnt.fail_after = 1;
    assert_int_equal(awc_aws_send(c, &req, &res), AWC_EIO);
    assert_string_equal(awc_error_last(), "consumer refused the data");
    awc_aws_response_free(&res);

    req.path = "/cur-bucket/legacy/missing.csv";
    assert_int_equal(awc_aws_send(c, &req, &res), AWC_ENET);
    assert_int_equal(res.status, 404);
    assert_string_equal(res.error_code, "NoSuchKey");
    awc_aws_response_free(&res);
    awc_aws_client_free(c);
}

/* --- tests: signatures ------------------------------------------------------------- */

static void assert_no_secret(const char *msg)
{
    assert_null(strstr(msg, SK));
    assert_null(strstr(msg, WRONG_SK));
    assert_null(strstr(msg, TOKEN));
    assert_null(strstr(msg, "Secret+Key"));
}

static void test_wrong_signature_refused(void **state)
{
    awc_aws_creds bad = {AK, WRONG_SK, NULL};
    awc_aws_conf conf = aws;
    awc_s3_keys keys;
    awc_athena_conf ac;
    awc_aws_client *c;
    athena_rows rows;
    awc_s3 *s;
    json_t *st;
    (void)state;

    conf.creds = &bad;
    s = s3_open_with(&conf);
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", "legacy/"), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "HTTP 403 SignatureDoesNotMatch"));
    assert_non_null(strstr(awc_error_last(), "s3 ListObjectsV2 s3://cur-bucket/legacy/"));
    assert_no_secret(awc_error_last());
    assert_null(strstr(awc_error_last(), AK)); /* the key id is masked too */
    awc_s3_close(s);

    c = client_with(&conf);
    athena_conf(&ac);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "athena StartQueryExecution: HTTP 403 "
                                             "InvalidSignatureException"));
    assert_no_secret(awc_error_last());
    awc_aws_client_free(c);

    st = control(NULL);
    assert_int_equal(json_array_size(json_object_get(st, "refused")), 2);
    assert_int_equal(json_array_size(json_object_get(st, "queries")), 0);
    json_decref(st);

    /* the same calls with the right secret are accepted */
    s = s3_open_with(&aws);
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", "legacy/"), 0);
    assert_int_equal(keys.n, 4);
    awc_s3_keys_free(&keys);
    awc_s3_close(s);
    c = client_with(&aws);
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), 0);
    assert_int_equal(rows.n, 6);
    awc_aws_client_free(c);
    st = control(NULL);
    assert_int_equal(json_array_size(json_object_get(st, "refused")), 2);
    json_decref(st);
}

static void test_session_token_signed(void **state)
{
    awc_aws_creds session, wrong = {AK, SK, "another-token-value"};
    awc_aws_conf conf = aws;
    awc_s3_keys keys;
    awc_athena_conf ac;
    awc_aws_client *c;
    athena_rows rows;
    awc_s3 *s;
    (void)state;

    control_do("{\"session_token\": \"" TOKEN "\"}");
    /* long-term credentials are refused by a service expecting a session */
    s = s3_open_with(&aws);
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", ""), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "InvalidAccessKeyId"));
    awc_s3_close(s);

    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    assert_int_equal(awc_aws_creds_load(&session, NULL, NULL), 0);
    unsetenv("AWS_SESSION_TOKEN");
    assert_string_equal(session.session_token, TOKEN);
    conf.creds = &session;

    s = s3_open_with(&conf);
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", ""), 0);
    assert_int_equal(keys.n, 8);
    awc_s3_keys_free(&keys);
    awc_s3_close(s);

    c = client_with(&conf);
    athena_conf(&ac);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), 0);
    assert_int_equal(rows.n, 6);
    awc_aws_client_free(c);

    conf.creds = &wrong;
    c = client_with(&conf);
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "UnrecognizedClientException"));
    assert_no_secret(awc_error_last());
    assert_null(strstr(awc_error_last(), "another-token-value"));
    awc_aws_client_free(c);
    awc_aws_creds_free(&session);
}

/* --- tests: S3 ----------------------------------------------------------------------- */

static void test_s3_url(void **state)
{
    awc_s3_url u;
    (void)state;
    assert_int_equal(awc_s3_parse_url(&u, "s3://cur-bucket/legacy/2026-10/"), 0);
    assert_string_equal(u.bucket, "cur-bucket");
    assert_string_equal(u.prefix, "legacy/2026-10/");
    awc_s3_url_free(&u);
    assert_int_equal(awc_s3_parse_url(&u, "s3://cur-bucket"), 0);
    assert_string_equal(u.prefix, "");
    awc_s3_url_free(&u);
    assert_int_equal(awc_s3_parse_url(&u, "s3://Bad_Bucket/x"), AWC_EBADINPUT);
    assert_int_equal(awc_s3_parse_url(&u, "/local/path"), AWC_EBADINPUT);
    assert_int_equal(awc_s3_parse_url(&u, "s3://cur-bucket/legacy/*.csv"), AWC_EBADINPUT);
    assert_true(awc_s3_is_url("s3://x"));
    assert_false(awc_s3_is_url("file.csv"));
}

static void test_s3_list_many_pages(void **state)
{
    static const char *const want[] = {
        "cur2/acme-export/data/BILLING_PERIOD=2026-10/acme-export-00001.csv",
        "cur2/acme-export/data/BILLING_PERIOD=2026-10/acme-export-00002.csv.gz",
        "cur2/acme-export/data/BILLING_PERIOD=2026-10/acme-export-00003.csv",
        "cur2/acme-export/data/BILLING_PERIOD=2026-10/acme-export-00004.csv.gz",
        "legacy/2026-10/acme-00001.csv", "legacy/2026-10/acme-00002.csv.gz",
        "legacy/2026-10/acme-00003.csv", "legacy/2026-10/acme-00004.csv.gz",
    };
    awc_s3_keys keys;
    awc_s3 *s = s3_open_with(&aws);
    size_t i;
    (void)state;

    control_do("{\"s3_page_size\": 2}");
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", ""), 0);
    assert_int_equal(keys.n, 8); /* 10 objects: the two manifests are not CUR files */
    for (i = 0; i < keys.n; i++)
        assert_string_equal(keys.v[i], want[i]);
    awc_s3_keys_free(&keys);
    assert_int_equal(state_calls("s3.ListObjectsV2"), 5); /* 10 objects, 2 a page */

    /* an answer that declares a DTD (XXE, entity expansion) is refused unread */
    control_do("{\"s3_listing_dtd\": true}");
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", ""), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "DTD"));
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", ""), 0); /* the next one is plain */
    assert_int_equal(keys.n, 8);
    awc_s3_keys_free(&keys);

    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", "nothing-here/"), AWC_ENOTFOUND);
    assert_int_equal(awc_s3_list(&keys, s, "no-such-bucket", ""), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "HTTP 404 NoSuchBucket"));
    awc_s3_close(s);
}

static void compare_s3_with_disk(const char *url, const char *local_pattern, unsigned page)
{
    awc_cur_options opt;
    awc_cur_stats st;
    rowset a, b;
    awc_s3 *s = s3_open_with(&aws);
    char cmd[64];

    snprintf(cmd, sizeof(cmd), "{\"s3_page_size\": %u}", page);
    control_do(cmd);
    cur_options(&opt);
    rowset_init(&a);
    rowset_init(&b);
    memset(&st, 0, sizeof(st));
    assert_int_equal(awc_s3_read_cur(s, url, &opt, collect_cur, &a, &st), 0);
    read_local(&b, local_pattern, &opt);
    assert_true(a.n > 0);
    assert_int_equal(st.wanted, a.n);
    assert_same_rows(&a, &b);
    rowset_free(&a);
    rowset_free(&b);
    awc_s3_close(s);
}

static void test_s3_stream_equals_disk(void **state)
{
    (void)state;
    compare_s3_with_disk("s3://cur-bucket/legacy/", "tests/fixtures/aws/s3/cur-bucket/legacy/"
                                                    "2026-10/acme-0000*", 1);
    compare_s3_with_disk("s3://cur-bucket/cur2/acme-export/data/",
                         "tests/fixtures/aws/s3/cur-bucket/cur2/acme-export/data/"
                         "BILLING_PERIOD=2026-10/acme-export-0000*", 1000);
    assert_true(state_calls("s3.GetObject") == 8);
}

static void test_s3_stream_bigger_than_buffer(void **state)
{
    awc_cur_options opt;
    awc_cur_stats st;
    rowset a, b;
    struct stat sb;
    char p[1400], pattern[1400];
    awc_s3 *s = s3_open_with(&aws);
    (void)state;

    snprintf(p, sizeof(p), "%s/big-bucket/big/part-1.csv", tmpdir);
    assert_int_equal(stat(p, &sb), 0);
    assert_true((size_t)sb.st_size > 4 * AWC_S3_BUFFER); /* the transfer must pause */
    memset(&opt, 0, sizeof(opt));
    opt.line_item_types = "Credit";
    rowset_init(&a);
    rowset_init(&b);
    memset(&st, 0, sizeof(st));
    assert_int_equal(awc_s3_read_cur(s, "s3://big-bucket/big/", &opt, collect_cur, &a, &st), 0);
    assert_int_equal(st.files, 2);
    assert_int_equal(st.rows, 2 * BIG_ROWS);
    /* the same files read from disk ("big-bucket/..." relative to tmpdir) */
    snprintf(pattern, sizeof(pattern), "%s/big-bucket/big/part-*", tmpdir);
    {
        awc_cur_paths paths;
        size_t i;
        assert_int_equal(awc_cur_glob(&paths, pattern), 0);
        for (i = 0; i < paths.n; i++)
            assert_int_equal(awc_cur_read_path(paths.v[i], &opt, collect_cur, &b, NULL), 0);
        awc_cur_paths_free(&paths);
    }
    assert_int_equal(a.n, 2 * BIG_ROWS - (2 * BIG_ROWS + 6) / 7);
    assert_same_rows(&a, &b);
    rowset_free(&a);
    rowset_free(&b);
    awc_s3_close(s);
}

static void test_s3_missing_object(void **state)
{
    awc_cur_source src;
    awc_s3_object *o = NULL;
    awc_cur_reader *r = NULL;
    awc_s3 *s = s3_open_with(&aws);
    (void)state;

    assert_int_equal(awc_s3_object_source(&src, &o, s, "cur-bucket", "legacy/no-such.csv"), 0);
    assert_int_equal(awc_cur_open_source(&r, "s3://cur-bucket/legacy/no-such.csv", &src, NULL),
                     AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "s3 GetObject s3://cur-bucket/legacy/no-such.csv: "
                                             "HTTP 404 NoSuchKey: The specified key does not "
                                             "exist."));
    awc_s3_object_close(o);
    awc_s3_close(s);
}

/* --- tests: Athena --------------------------------------------------------------------- */

static int cmp_credit(const void *a, const void *b)
{
    return strcmp(((const credit_row *)a)->key, ((const credit_row *)b)->key);
}

/* The Athena fixture holds what the query computes over the CUR objects:
 * aggregate those objects here and compare. */
static void test_athena_pages_and_same_credits(void **state)
{
    awc_athena_conf ac;
    awc_athena_stats st;
    awc_cur_options opt;
    athena_rows rows;
    rowset cur;
    awc_aws_client *c = client_with(&aws);
    awc_s3 *s = s3_open_with(&aws);
    json_t *snap, *q;
    const char *text;
    size_t i;
    (void)state;

    control_do("{\"page_size\": 2}");
    athena_conf(&ac);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &st), 0);
    assert_int_equal(rows.n, 6);
    assert_int_equal(st.rows, 6);
    assert_int_equal(st.pages, 4); /* header + 6 rows, 2 a page */
    assert_true(st.polls >= 2);
    assert_int_equal(st.data_scanned_bytes, 987654);
    assert_int_equal(strlen(st.client_request_token), 64);

    snap = control(NULL);
    q = json_array_get(json_object_get(snap, "queries"), 0);
    assert_non_null(q);
    assert_string_equal(json_string_value(json_object_get(q, "id")), st.query_execution_id);
    assert_string_equal(json_string_value(json_object_get(q, "token")), st.client_request_token);
    assert_string_equal(json_string_value(json_object_get(q, "workgroup")), "primary");
    assert_string_equal(json_string_value(json_object_get(q, "database")), "cur_db");
    text = json_string_value(json_object_get(q, "query"));
    assert_non_null(strstr(text, "FROM \"cur_db\".\"cur_table\""));
    assert_non_null(strstr(text, "WHERE billing_period = '2026-10'"));
    assert_non_null(strstr(text, "line_item_line_item_type IN ('Credit')"));
    assert_null(strstr(text, "--"));
    assert_null(strstr(text, "{{"));
    json_decref(snap);

    /* the same credits as the CUR objects, aggregated by the query's key */
    cur_options(&opt);
    rowset_init(&cur);
    assert_int_equal(awc_s3_read_cur(s, "s3://cur-bucket/legacy/", &opt, collect_cur, &cur,
                                     NULL), 0);
    assert_int_equal(cur.nagg, rows.n);
    qsort(cur.agg, cur.nagg, sizeof(cur.agg[0]), cmp_credit);
    for (i = 0; i < rows.n; i++) {
        credit_row *x = &cur.agg[i], *y = &rows.v[i];
        assert_string_equal(y->key, x->key);
        assert_true(y->amount == x->amount);
        assert_int_equal(y->count, x->count);
        assert_string_equal(y->first, x->first);
        assert_string_equal(y->last, x->last);
        assert_string_equal(y->be, x->be);
        assert_string_equal(y->le, x->le);
        assert_string_equal(y->inv, x->inv);
    }
    /* exponent form: -1.25E-4 read exactly */
    for (i = 0; i < rows.n; i++)
        if (strstr(rows.v[i].key, "Activate"))
            assert_true(rows.v[i].amount == -1250000);
    rowset_free(&cur);
    awc_s3_close(s);
    awc_aws_client_free(c);
}

static void test_athena_cur1_template(void **state)
{
    awc_athena_conf ac;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    json_t *snap;
    const char *text;
    (void)state;

    athena_conf(&ac);
    ac.cur_version = 1;
    ac.line_item_types = "Credit, Refund";
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-07", collect_athena, &rows, NULL), 0);
    snap = control(NULL);
    text = json_string_value(json_object_get(json_array_get(json_object_get(snap, "queries"),
                                                            0), "query"));
    assert_non_null(strstr(text, "WHERE year = '2026'"));
    assert_non_null(strstr(text, "AND month IN ('07', '7')"));
    assert_non_null(strstr(text, "TIMESTAMP '2026-07-01 00:00:00'"));
    assert_non_null(strstr(text, "IN ('Credit', 'Refund')"));
    json_decref(snap);
    awc_aws_client_free(c);
}

static void test_athena_throttling_then_success(void **state)
{
    awc_athena_conf ac;
    awc_athena_stats st;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    json_t *snap;
    (void)state;

    athena_conf(&ac);
    control_do("{\"throttle\": 3}");
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &st), 0);
    assert_int_equal(rows.n, 6);
    assert_int_equal(st.retries, 3);
    snap = control(NULL);
    assert_int_equal(json_integer_value(json_object_get(snap, "throttled")), 3);
    assert_int_equal(json_array_size(json_object_get(snap, "queries")), 1);
    json_decref(snap);

    /* TooManyRequestsException (concurrent query limit) is retried the same way */
    control_do("{\"reset\": true}");
    control_do("{\"throttle\": 2, \"throttle_type\": \"TooManyRequestsException\"}");
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &st), 0);
    assert_int_equal(st.retries, 2);

    /* bounded: with 2 retries allowed, 10 throttles end the pull */
    control_do("{\"reset\": true}");
    control_do("{\"throttle\": 10}");
    ac.max_retries = 2;
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &st), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "HTTP 400 ThrottlingException: Rate exceeded "
                                             "(gave up after 3 attempts)"));
    awc_aws_client_free(c);
}

static void test_athena_failed_query(void **state)
{
    awc_athena_conf ac;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    (void)state;

    athena_conf(&ac);
    control_do("{\"next_query\": {\"state\": \"FAILED\", \"reason\": \"TABLE_NOT_FOUND: line "
               "1:8: Table 'awsdatacatalog.cur_db.cur_table' does not exist\"}}");
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "FAILED: TABLE_NOT_FOUND: line 1:8: Table "
                                             "'awsdatacatalog.cur_db.cur_table' does not exist"));
    assert_int_equal(rows.n, 0);
    assert_int_equal(state_calls("athena.GetQueryResults"), 0);
    awc_aws_client_free(c);
}

static void test_athena_cancelled_query(void **state)
{
    awc_athena_conf ac;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    (void)state;

    athena_conf(&ac);
    control_do("{\"next_query\": {\"state\": \"CANCELLED\", \"reason\": \"Query cancelled by "
               "the workgroup administrator\"}}");
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), AWC_ENET);
    assert_non_null(strstr(awc_error_last(), "was CANCELLED: Query cancelled by the workgroup "
                                             "administrator"));
    assert_int_equal(rows.n, 0);
    awc_aws_client_free(c);
}

static void test_athena_slow_query_times_out(void **state)
{
    awc_athena_conf ac;
    awc_athena_stats st;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    char want[200];
    json_t *snap;
    uint64_t t0, ms;
    (void)state;

    athena_conf(&ac);
    ac.query_timeout = 2;
    ac.poll_initial_ms = 0; /* the defaults: 250 ms doubling */
    ac.poll_max_ms = 0;
    control_do("{\"next_query\": {\"state\": \"RUNNING\"}}");
    memset(&rows, 0, sizeof(rows));
    t0 = awc_aws_now_ms();
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &st),
                     AWC_ETIMEOUT);
    ms = awc_aws_now_ms() - t0;
    snprintf(want, sizeof(want), "athena: query %s still RUNNING after 2 s "
                                 "(athena.query_timeout)", st.query_execution_id);
    assert_string_equal(awc_error_last(), want);
    assert_true(ms >= 2000 && ms < 6000);
    snap = control(NULL);
    assert_string_equal(json_string_value(json_array_get(json_object_get(snap, "stops"), 0)),
                        st.query_execution_id);
    json_decref(snap);
    awc_aws_client_free(c);
}

static void test_athena_null_cells(void **state)
{
    awc_athena_conf ac;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    size_t i, nulls = 0;
    (void)state;

    athena_conf(&ac);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), 0);
    for (i = 0; i < rows.n; i++) {
        if (rows.null_masks[i]) {
            nulls++;
            assert_int_equal(rows.null_masks[i], 1u << AWC_ATHENA_INVOICE_ID);
            assert_string_equal(rows.v[i].inv, "");
            assert_non_null(strstr(rows.v[i].key, "Marketplace"));
        }
    }
    assert_int_equal(nulls, 1);

    /* optional cells NULL: delivered as "" with their bits */
    control_do("{\"athena_rows\": [[\"111122223333\", \"210987654321\", null, \"USD\", null, "
               "null, null, null, \"2026-10-01\", \"2026-10-02\", \"2\", \"-3.5\"]]}");
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL), 0);
    assert_int_equal(rows.n, 1);
    assert_int_equal(rows.null_masks[0],
                     1u << AWC_ATHENA_PRODUCT | 1u << AWC_ATHENA_DESCRIPTION |
                         1u << AWC_ATHENA_BILLING_ENTITY | 1u << AWC_ATHENA_LEGAL_ENTITY |
                         1u << AWC_ATHENA_INVOICE_ID);
    assert_string_equal(rows.v[0].key, "111122223333|210987654321||USD|");
    assert_true(rows.v[0].amount == -35000000000);

    /* a NULL amount is an error naming the row and the column */
    control_do("{\"reset\": true}");
    control_do("{\"athena_rows\": [[\"111122223333\", \"210987654321\", \"AmazonEC2\", \"USD\", "
               "\"x\", \"AWS\", \"y\", \"1\", \"2026-10-01\", \"2026-10-02\", \"2\", null]]}");
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL),
                     AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "result row 1: amount: NULL"));
    awc_aws_client_free(c);
}

static void test_athena_retried_run_same_token(void **state)
{
    awc_athena_conf ac;
    awc_athena_stats s1, s2, s3;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    json_t *snap;
    (void)state;

    athena_conf(&ac);
    memset(&rows, 0, sizeof(rows));
    rows.stop_after = 2; /* the first run dies part-way through the results */
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &s1), AWC_EDB);
    assert_string_equal(awc_error_last(), "stop requested by the test");
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &s2), 0);
    assert_int_equal(rows.n, 6);
    assert_string_equal(s1.client_request_token, s2.client_request_token);
    assert_string_equal(s1.query_execution_id, s2.query_execution_id);
    snap = control(NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(snap, "calls"),
                                                        "athena.StartQueryExecution")), 2);
    assert_int_equal(json_array_size(json_object_get(snap, "queries")), 1);
    json_decref(snap);

    /* another period, or a deliberate re-pull with a salt: a new query */
    ac.token_salt = "re-pull 2026-11-15";
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, &s3), 0);
    assert_string_not_equal(s3.client_request_token, s1.client_request_token);
    assert_string_not_equal(s3.query_execution_id, s1.query_execution_id);
    awc_aws_client_free(c);
}

static void test_athena_refuses_injection(void **state)
{
    awc_athena_conf ac;
    athena_rows rows;
    awc_aws_client *c = client_with(&aws);
    (void)state;

    athena_conf(&ac);
    ac.table = "cur_table\" WHERE 1=1; --";
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10", collect_athena, &rows, NULL),
                     AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "athena.table"));
    athena_conf(&ac);
    assert_int_equal(awc_athena_pull(c, &ac, "2026-10' OR '1'='1", collect_athena, &rows, NULL),
                     AWC_EUSAGE);
    assert_int_equal(state_calls("athena.StartQueryExecution"), 0);
    awc_aws_client_free(c);
}

/* --- tests: Billing, timeouts ------------------------------------------------------------ */

typedef struct credits {
    char id[8][32], type[8][16], expiry[8][11], start[8][11], cur[8][4];
    awc_amount initial[8], remaining[8];
    size_t nproducts[8];
    char first_product[8][64];
    size_t n;
} credits;

static int collect_credit(void *ctx, const awc_billing_credit *c)
{
    credits *s = ctx;
    assert_true(s->n < 8);
    snprintf(s->id[s->n], sizeof(s->id[0]), "%s", c->credit_id);
    snprintf(s->type[s->n], sizeof(s->type[0]), "%s", c->credit_type);
    snprintf(s->expiry[s->n], sizeof(s->expiry[0]), "%s", c->expiry_date);
    snprintf(s->start[s->n], sizeof(s->start[0]), "%s", c->start_date);
    snprintf(s->cur[s->n], sizeof(s->cur[0]), "%s", c->currency);
    s->initial[s->n] = c->initial_amount;
    s->remaining[s->n] = c->remaining_amount;
    s->nproducts[s->n] = c->nproducts;
    snprintf(s->first_product[s->n], sizeof(s->first_product[0]), "%s",
             c->nproducts ? c->products[0] : "");
    s->n++;
    return 0;
}

static void test_billing_get_credits_pages(void **state)
{
    awc_billing_conf bc;
    awc_billing_stats st;
    credits cr;
    awc_aws_client *c = client_with(&aws);
    (void)state;

    memset(&bc, 0, sizeof(bc));
    bc.endpoint = endpoint;
    bc.account_id = "111122223333";
    bc.start_epoch = (int64_t)time(NULL) - 300 * 86400;
    control_do("{\"billing_page_size\": 1}");
    memset(&cr, 0, sizeof(cr));
    assert_int_equal(awc_billing_get_credits(c, &bc, collect_credit, &cr, &st), 0);
    assert_int_equal(cr.n, 4);
    assert_int_equal(st.pages, 4);
    assert_int_equal(st.credits, 4);
    assert_int_equal(state_calls("billing.GetCredits"), 4);
    assert_string_equal(cr.id[0], "10063543426");
    assert_string_equal(cr.type[0], "Promotion");
    assert_true(cr.initial[0] == 500 * AWC_MONEY_ONE);
    assert_true(cr.remaining[0] == INT64_C(3792499999999));
    assert_string_equal(cr.cur[0], "USD");
    assert_string_equal(cr.start[0], "2026-09-30");
    assert_string_equal(cr.expiry[0], "2027-09-30");
    assert_int_equal(cr.nproducts[0], 2);
    assert_string_equal(cr.first_product[0], "Amazon Elastic Compute Cloud");
    /* a real-valued endDate (1.8225216E9) read without floating point */
    assert_string_equal(cr.expiry[1], "2027-10-03");
    assert_true(cr.remaining[1] == INT64_C(9999998750000));
    /* no endDate: no expiry */
    assert_string_equal(cr.expiry[2], "");
    assert_string_equal(cr.cur[2], "EUR");
    assert_string_equal(cr.type[3], "TrueUp");

    bc.payer_account = 1;
    memset(&cr, 0, sizeof(cr));
    assert_int_equal(awc_billing_get_credits(c, &bc, collect_credit, &cr, &st), 0);
    assert_int_equal(cr.n, 5);

    bc.account_id = "1111";
    assert_int_equal(awc_billing_get_credits(c, &bc, collect_credit, &cr, &st), AWC_ECONFIG);
    awc_aws_client_free(c);
}

static void test_request_timeout(void **state)
{
    awc_aws_conf conf = aws;
    awc_s3_keys keys;
    awc_s3 *s;
    uint64_t t0, ms;
    (void)state;

    conf.timeout = 1;
    s = s3_open_with(&conf);
    control_do("{\"delay_next\": 3}");
    t0 = awc_aws_now_ms();
    assert_int_equal(awc_s3_list(&keys, s, "cur-bucket", ""), AWC_ETIMEOUT);
    ms = awc_aws_now_ms() - t0;
    assert_non_null(strstr(awc_error_last(), "within 1 s (aws.timeout)"));
    assert_true(ms < 2900);
    awc_s3_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_credentials_from_environment, reset),
        cmocka_unit_test(test_query_encoding),
        cmocka_unit_test(test_error_bodies),
        cmocka_unit_test(test_endpoint_policy),
        cmocka_unit_test_setup(test_send_bounds_and_streaming, reset),
        cmocka_unit_test_setup(test_wrong_signature_refused, reset),
        cmocka_unit_test_setup(test_session_token_signed, reset),
        cmocka_unit_test(test_s3_url),
        cmocka_unit_test_setup(test_s3_list_many_pages, reset),
        cmocka_unit_test_setup(test_s3_stream_equals_disk, reset),
        cmocka_unit_test_setup(test_s3_stream_bigger_than_buffer, reset),
        cmocka_unit_test_setup(test_s3_missing_object, reset),
        cmocka_unit_test_setup(test_athena_pages_and_same_credits, reset),
        cmocka_unit_test_setup(test_athena_cur1_template, reset),
        cmocka_unit_test_setup(test_athena_throttling_then_success, reset),
        cmocka_unit_test_setup(test_athena_failed_query, reset),
        cmocka_unit_test_setup(test_athena_cancelled_query, reset),
        cmocka_unit_test_setup(test_athena_slow_query_times_out, reset),
        cmocka_unit_test_setup(test_athena_null_cells, reset),
        cmocka_unit_test_setup(test_athena_retried_run_same_token, reset),
        cmocka_unit_test_setup(test_athena_refuses_injection, reset),
        cmocka_unit_test_setup(test_billing_get_credits_pages, reset),
        cmocka_unit_test_setup(test_request_timeout, reset),
    };
    return cmocka_run_group_tests_name("aws", tests, group_setup, group_teardown);
}
