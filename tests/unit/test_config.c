/*
 * test_config.c -- config.c: defaults, every type check and its message,
 * origins, secrets never echoed, and awc_config_keys against both what
 * awc_config_load() reads and plugin.manifest's config_keys lines.
 *
 * The host is faked: config_get/config_origin answer from a small table and
 * record every key asked for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "config.h"

/* ---- the fake host ------------------------------------------------------------ */

#define MAX_ROWS 16
#define MAX_ASKED 128

typedef struct row {
    const char *section, *key, *value;
    int line;
} row;

typedef struct fake {
    row rows[MAX_ROWS];
    size_t n;
    char origin[MAX_ROWS][64];
    char asked[MAX_ASKED][64];
    size_t n_asked;
} fake;

static const row *fake_find(fake *f, const char *section, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->rows[i].section, section) == 0 && strcmp(f->rows[i].key, key) == 0)
            return &f->rows[i];
    return NULL;
}

static const char *fake_get(void *ctx, const char *section, const char *key)
{
    fake *f = ctx;
    const row *r;
    if (f->n_asked < MAX_ASKED)
        snprintf(f->asked[f->n_asked++], sizeof(f->asked[0]), "%s.%s", section, key);
    r = fake_find(f, section, key);
    return r ? r->value : NULL;
}

static const char *fake_origin(void *ctx, const char *section, const char *key)
{
    fake *f = ctx;
    const row *r = fake_find(f, section, key);
    size_t i;
    if (!r)
        return NULL;
    i = (size_t)(r - f->rows);
    snprintf(f->origin[i], sizeof(f->origin[i]), "test.ini:%d", r->line);
    return f->origin[i];
}

static void fake_set(fake *f, const char *section, const char *key, const char *value)
{
    assert_true(f->n < MAX_ROWS);
    f->rows[f->n] = (row){section, key, value, (int)f->n + 2};
    f->n++;
}

static awc_host_api host_for(fake *f)
{
    awc_host_api h;
    memset(&h, 0, sizeof(h));
    h.size = sizeof(h);
    h.abi_major = AWC_ABI_MAJOR;
    h.abi_minor = AWC_ABI_MINOR;
    h.ctx = f;
    h.config_get = fake_get;
    h.config_origin = fake_origin;
    return h;
}

/* Load with one key set; return the code. */
static int load_one(awc_config *out, const char *section, const char *key, const char *value)
{
    static fake f;
    awc_host_api h;
    memset(&f, 0, sizeof(f));
    fake_set(&f, section, key, value);
    h = host_for(&f);
    awc_error_clear();
    return awc_config_load(out, &h);
}

/* ---- defaults -------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    fake f = {0};
    awc_host_api h = host_for(&f);
    awc_config c;

    (void)state;
    setenv("USER", "alice", 1);
    assert_int_equal(awc_config_load(&c, &h), 0);
    assert_null(c.db.socket);
    assert_string_equal(c.db.host, "localhost");
    assert_int_equal(c.db.port, 3306);
    assert_string_equal(c.db.user, "alice");
    assert_string_equal(c.db.database, "awscredit");
    assert_null(c.db.password_env);
    assert_null(c.db.password_file);
    assert_int_equal(c.db.connect_timeout, 10);
    assert_null(c.db.hosts);
    assert_int_equal(c.db.lock_seconds, 60);
    assert_string_equal(c.cur.source, "file");
    assert_null(c.cur.path);
    assert_string_equal(c.cur.line_item_types, "Credit");
    assert_int_equal(c.cur.max_bad_rows, 0);
    assert_string_equal(c.athena.region, "us-east-1");
    assert_string_equal(c.athena.workgroup, "primary");
    assert_int_equal(c.athena.cur_version, 2);
    assert_int_equal(c.athena.query_timeout, 600);
    assert_string_equal(c.aws.region, "us-east-1");
    assert_int_equal(c.aws.connect_timeout, 10);
    assert_int_equal(c.aws.timeout, 60);
    assert_null(c.assign.default_split);
    assert_int_equal(c.assign.lanes, 2);
    assert_string_equal(c.invoicing.adapter, "spool");
    assert_string_equal(c.invoicing.group_by, "period,reseller,currency");
    assert_int_equal(c.invoicing.timeout, 60);
    assert_string_equal(c.ids.prefix, "AWSC");
    assert_int_equal(c.run.invoice, 0);

    unsetenv("USER");
    assert_int_equal(awc_config_load(&c, &h), 0);
    assert_string_equal(c.db.user, "root");
    setenv("USER", "", 1);
    assert_int_equal(awc_config_load(&c, &h), 0);
    assert_string_equal(c.db.user, "root");
}

/* A host without config_get (or too small to have it) gets all defaults. */
static void test_no_config_get(void **state)
{
    awc_host_api h;
    awc_config c;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.size = sizeof(h);
    assert_int_equal(awc_config_load(&c, &h), 0);
    assert_string_equal(c.ids.prefix, "AWSC");
    assert_int_equal(awc_config_load(&c, NULL), 0);
    assert_int_equal(c.db.port, 3306);
}

/* ---- good values ------------------------------------------------------------------- */

static void test_values(void **state)
{
    fake f = {0};
    awc_host_api h = host_for(&f);
    awc_config c;

    (void)state;
    fake_set(&f, "db", "port", "3307");
    fake_set(&f, "db", "socket", "/run/mysqld/mysqld.sock");
    fake_set(&f, "db", "password_env", "AWC_DB_PASSWORD");
    fake_set(&f, "cur", "source", "athena");
    fake_set(&f, "cur", "max_bad_rows", "25");
    fake_set(&f, "athena", "cur_version", "1");
    fake_set(&f, "athena", "output_location", "s3://bucket/results/");
    fake_set(&f, "aws", "region", "eu-west-1");
    fake_set(&f, "aws", "s3_endpoint", "http://127.0.0.1:9000");
    fake_set(&f, "invoicing", "adapter", "xmlrpc");
    fake_set(&f, "ids", "prefix", "Cr3dit");
    fake_set(&f, "run", "invoice", "Yes");
    fake_set(&f, "assign", "default", "customer:80,reseller:20");
    fake_set(&f, "db", "host", "");       /* empty string: the default */
    assert_int_equal(awc_config_load(&c, &h), 0);
    assert_int_equal(c.db.port, 3307);
    assert_string_equal(c.db.socket, "/run/mysqld/mysqld.sock");
    assert_string_equal(c.db.password_env, "AWC_DB_PASSWORD");
    assert_string_equal(c.db.host, "localhost");
    assert_string_equal(c.cur.source, "athena");
    assert_int_equal(c.cur.max_bad_rows, 25);
    assert_int_equal(c.athena.cur_version, 1);
    assert_string_equal(c.athena.region, "eu-west-1");  /* follows aws.region */
    assert_string_equal(c.aws.s3_endpoint, "http://127.0.0.1:9000");
    assert_string_equal(c.invoicing.adapter, "xmlrpc");
    assert_string_equal(c.ids.prefix, "Cr3dit");
    assert_int_equal(c.run.invoice, 1);
    assert_string_equal(c.assign.default_split, "customer:80,reseller:20");
}

/* The connect adapter needs its token variable, product and contract; the
 * URL defaults to the public API. */
static void test_connect(void **state)
{
    fake f = {0};
    awc_host_api h = host_for(&f);
    awc_config c;

    (void)state;
    fake_set(&f, "invoicing", "adapter", "connect");
    assert_int_equal(awc_config_load(&c, &h), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "connect.api_key_env"));
    fake_set(&f, "connect", "api_key_env", "CONNECT_API_KEY");
    assert_int_equal(awc_config_load(&c, &h), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "connect.product_id and connect.contract_id"));
    fake_set(&f, "connect", "product_id", "PRD-123-456-789");
    fake_set(&f, "connect", "contract_id", "CRD-00000-00000-00000");
    assert_int_equal(awc_config_load(&c, &h), 0);
    assert_string_equal(c.invoicing.adapter, "connect");
    assert_string_equal(c.connect.url, "https://api.connect.cloudblue.com/public/v1");
    assert_string_equal(c.connect.api_key_env, "CONNECT_API_KEY");
    assert_string_equal(c.connect.product_id, "PRD-123-456-789");
    assert_null(c.connect.category);
    /* the token itself in the key is refused and not echoed */
    assert_int_equal(load_one(&c, "connect", "api_key_env", "ApiKey SU-1:hunter2pw"),
                     AWC_ECONFIG);
    assert_null(strstr(awc_error_last(), "hunter2"));
}

static void test_booleans(void **state)
{
    static const char *const yes[] = {"true", "TRUE", "yes", "1", "on", "On"};
    static const char *const no[] = {"false", "no", "0", "off", "OFF"};
    awc_config c;

    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        assert_int_equal(load_one(&c, "run", "invoice", yes[i]), 0);
        assert_int_equal(c.run.invoice, 1);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        assert_int_equal(load_one(&c, "run", "invoice", no[i]), 0);
        assert_int_equal(c.run.invoice, 0);
    }
}

static void test_number_limits(void **state)
{
    awc_config c;

    (void)state;
    assert_int_equal(load_one(&c, "db", "port", "1"), 0);
    assert_int_equal(c.db.port, 1);
    assert_int_equal(load_one(&c, "db", "port", "65535"), 0);
    assert_int_equal(c.db.port, 65535);
    assert_int_equal(load_one(&c, "aws", "timeout", "86400"), 0);
    assert_int_equal(c.aws.timeout, 86400);
    assert_int_equal(load_one(&c, "assign", "lanes", "1"), 0);
    assert_int_equal(c.assign.lanes, 1);
    assert_int_equal(load_one(&c, "assign", "lanes", "8"), 0);
    assert_int_equal(c.assign.lanes, 8);
    assert_int_equal(load_one(&c, "cur", "max_bad_rows", "9223372036854775807"), 0);
    assert_int_equal(c.cur.max_bad_rows, 9223372036854775807L);
}

/* ---- bad values: code, message, and out left alone ------------------------------------ */

typedef struct bad_case {
    const char *section, *key, *value, *message;
} bad_case;

static const bad_case bad_cases[] = {
    {"assign", "lanes", "0", "test.ini:2: assign.lanes: expected a whole number from 1 to 8, got '0'"},
    {"assign", "lanes", "9", "test.ini:2: assign.lanes: expected a whole number from 1 to 8, got '9'"},
    {"assign", "lanes", "two", "test.ini:2: assign.lanes: expected a whole number from 1 to 8, got 'two'"},
    {"cur", "max_bad_rows", "-3", "test.ini:2: cur.max_bad_rows: expected a whole number >= 0, got '-3'"},
    {"cur", "max_bad_rows", "9223372036854775808", "test.ini:2: cur.max_bad_rows: expected a whole number >= 0, got '9223372036854775808'"},
    {"cur", "max_bad_rows", "", "test.ini:2: cur.max_bad_rows: expected a whole number >= 0, got ''"},
    {"cur", "max_bad_rows", " 3", "test.ini:2: cur.max_bad_rows: expected a whole number >= 0, got ' 3'"},
    {"db", "port", "0", "test.ini:2: db.port: expected a port number from 1 to 65535, got '0'"},
    {"db", "port", "65536", "test.ini:2: db.port: expected a port number from 1 to 65535, got '65536'"},
    {"db", "port", "3306x", "test.ini:2: db.port: expected a port number from 1 to 65535, got '3306x'"},
    {"db", "port", "+3306", "test.ini:2: db.port: expected a port number from 1 to 65535, got '+3306'"},
    {"db", "port", "99999999999999999999999", "test.ini:2: db.port: expected a port number from 1 to 65535, got '99999999999999999999999'"},
    {"db", "connect_timeout", "0", "test.ini:2: db.connect_timeout: expected a whole number of seconds from 1 to 86400, got '0'"},
    {"athena", "query_timeout", "86401", "test.ini:2: athena.query_timeout: expected a whole number of seconds from 1 to 86400, got '86401'"},
    {"cur", "source", "s3", "test.ini:2: cur.source: expected file or athena, got 's3'"},
    {"cur", "source", "File", "test.ini:2: cur.source: expected file or athena, got 'File'"},
    {"athena", "cur_version", "3", "test.ini:2: athena.cur_version: expected 1 or 2, got '3'"},
    {"athena", "output_location", "/tmp/x", "test.ini:2: athena.output_location: expected an s3://bucket/prefix location, got '/tmp/x'"},
    {"invoicing", "adapter", "email", "test.ini:2: invoicing.adapter: expected spool, xmlrpc or connect, got 'email'"},
    {"connect", "product_id", "PRD-1 OR 1", "test.ini:2: connect.product_id: expected a Connect id (letters, digits, '-', '_'), got 'PRD-1 OR 1'"},
    {"connect", "contract_id", "CRD-1,2", "test.ini:2: connect.contract_id: expected a Connect id (letters, digits, '-', '_'), got 'CRD-1,2'"},
    {"connect", "url", "ftp://x", "test.ini:2: connect.url: expected a URL starting with http:// or https:// (the value is not shown)"},
    {"invoicing", "url", "ftp://x", "test.ini:2: invoicing.url: expected a URL starting with http:// or https:// (the value is not shown)"},
    {"aws", "billing_endpoint", "localhost:8080", "test.ini:2: aws.billing_endpoint: expected a URL starting with http:// or https:// (the value is not shown)"},
    {"run", "invoice", "maybe", "test.ini:2: run.invoice: expected true or false (also yes/no, on/off, 1/0), got 'maybe'"},
    {"ids", "prefix", "", "test.ini:2: ids.prefix: expected 1 to 16 ASCII letters or digits, got ''"},
    {"ids", "prefix", "AWS-C", "test.ini:2: ids.prefix: expected 1 to 16 ASCII letters or digits, got 'AWS-C'"},
    {"ids", "prefix", "ABCDEFGHIJKLMNOPQ", "test.ini:2: ids.prefix: expected 1 to 16 ASCII letters or digits, got 'ABCDEFGHIJKLMNOPQ'"},
};

static void test_bad_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *b = &bad_cases[i];
        awc_config c, before;
        memset(&c, 0x5a, sizeof(c));
        memcpy(&before, &c, sizeof(c));
        print_message("%s.%s = '%s'\n", b->section, b->key, b->value);
        assert_int_equal(load_one(&c, b->section, b->key, b->value), AWC_ECONFIG);
        assert_string_equal(awc_error_last(), b->message);
        assert_memory_equal(&c, &before, sizeof(c));
    }
}

/* Without config_origin the message says "config". */
static void test_origin_fallback(void **state)
{
    fake f = {0};
    awc_host_api h = host_for(&f);
    awc_config c;

    (void)state;
    h.config_origin = NULL;
    fake_set(&f, "db", "port", "x");
    assert_int_equal(awc_config_load(&c, &h), AWC_ECONFIG);
    assert_string_equal(awc_error_last(),
                        "config: db.port: expected a port number from 1 to 65535, got 'x'");

    /* A host whose size ends before config_origin is not asked for it. */
    h.config_origin = fake_origin;
    h.size = offsetof(awc_host_api, config_origin);
    assert_int_equal(awc_config_load(&c, &h), AWC_ECONFIG);
    assert_string_equal(awc_error_last(),
                        "config: db.port: expected a port number from 1 to 65535, got 'x'");
}

/* A password typed where the variable's name belongs is never echoed. */
static void test_password_env_not_echoed(void **state)
{
    awc_config c;

    (void)state;
    assert_int_equal(load_one(&c, "db", "password_env", "hunter2!secret"), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "test.ini:2: db.password_env:"));
    assert_null(strstr(awc_error_last(), "hunter2"));
    assert_int_equal(load_one(&c, "db", "password_env", "1PASS"), AWC_ECONFIG);
    assert_null(strstr(awc_error_last(), "1PASS"));
    assert_int_equal(load_one(&c, "db", "password_env", "DB_PASSWORD_2"), 0);
    assert_string_equal(c.db.password_env, "DB_PASSWORD_2");
}

/* Every URL key refuses a user name or password, and never echoes it,
 * however it is mistyped (a '/' in the password ends the authority). */
static void test_url_userinfo_not_echoed(void **state)
{
    static const char *const keys[][2] = {
        {"aws", "s3_endpoint"}, {"aws", "billing_endpoint"}, {"athena", "endpoint"},
        {"invoicing", "url"}, {"connect", "url"},
    };
    static const char *const values[] = {
        "http://user:hunter2pw@host/", "https://user:hunter2pw@host", "https://:hunter2pw@host",
        "https://user:hunter2/pw@host/", "https://hunter2pw@host:9000/x",
    };
    awc_config c;
    char want[96];

    (void)state;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
            assert_int_equal(load_one(&c, keys[k][0], keys[k][1], values[v]), AWC_ECONFIG);
            snprintf(want, sizeof(want), "test.ini:2: %s.%s: a URL must not carry a user name",
                     keys[k][0], keys[k][1]);
            assert_non_null(strstr(awc_error_last(), want));
            assert_null(strstr(awc_error_last(), "hunter2"));
        }
    assert_int_equal(load_one(&c, "invoicing", "url", "https://u:hunter2pw@h/"), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "invoicing.user_env"));
    assert_int_equal(load_one(&c, "aws", "s3_endpoint", "https://h:9000/"), 0);
    assert_string_equal(c.aws.s3_endpoint, "https://h:9000/");
    /* a value echoed for another reason still loses its userinfo */
    assert_int_equal(load_one(&c, "athena", "output_location", "https://u:hunter2pw@h/x"),
                     AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "athena.output_location"));
    assert_null(strstr(awc_error_last(), "hunter2"));
}

/* No message or log line of the module carries a URL's userinfo. */
static void test_messages_redact_userinfo(void **state)
{
    char buf[AWC_ERRMSG_MAX + 64];

    (void)state;
    awc_error_set(AWC_ENET, "GET http://user:hunter2pw@host:80/a@b: refused");
    assert_string_equal(awc_error_last(), "GET http://***@host:80/a@b: refused");
    awc_error_set(AWC_ENET, "'https://hunter2pw@h' and s3://b/k@x and mailto:a@b");
    assert_string_equal(awc_error_last(), "'https://***@h' and s3://b/k@x and mailto:a@b");
    awc_error_prefix(AWC_ENET, "from http://u:hunter2pw@h");
    assert_string_equal(awc_error_last(),
                        "from http://***@h: 'https://***@h' and s3://b/k@x and mailto:a@b");
    /* cut before its '@': what is left of the authority is hidden */
    memset(buf, 'x', sizeof(buf));
    memcpy(buf + AWC_ERRMSG_MAX - 30, " http://user:hunter2pw", 22);
    buf[sizeof(buf) - 1] = '\0';
    memcpy(buf + AWC_ERRMSG_MAX + 20, "@host/", 6);
    awc_error_set(AWC_ENET, "%s", buf);
    assert_null(strstr(awc_error_last(), "hunter2"));
    assert_non_null(strstr(awc_error_last(), " http://***"));
    /* in place, for log lines */
    snprintf(buf, sizeof(buf), "to https://a:hunter2pw@h/");
    awc_redact_userinfo(buf, 0);
    assert_string_equal(buf, "to https://***@h/");
    awc_error_clear();
}

static void test_password_both(void **state)
{
    fake f = {0};
    awc_host_api h = host_for(&f);
    awc_config c;

    (void)state;
    fake_set(&f, "db", "password_env", "PW");
    fake_set(&f, "db", "password_file", "/etc/awscredit/db.pw");
    assert_int_equal(awc_config_load(&c, &h), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "not both"));
}

/* db.hosts names a cluster's nodes; db.socket names one server: not both. */
static void test_db_hosts(void **state)
{
    fake f = {0};
    awc_host_api h = host_for(&f);
    awc_config c;

    (void)state;
    fake_set(&f, "db", "hosts", "db1:3306, db2:3307");
    fake_set(&f, "db", "lock_seconds", "15");
    assert_int_equal(awc_config_load(&c, &h), 0);
    assert_string_equal(c.db.hosts, "db1:3306, db2:3307");
    assert_int_equal(c.db.lock_seconds, 15);
    fake_set(&f, "db", "socket", "/run/mysqld/mysqld.sock");
    assert_int_equal(awc_config_load(&c, &h), AWC_ECONFIG);
    assert_non_null(strstr(awc_error_last(), "db.hosts or db.socket, not both"));
}

/* ---- the key list ------------------------------------------------------------------------ */

static int in_keys(const char *k)
{
    for (size_t i = 0; awc_config_keys[i]; i++)
        if (strcmp(awc_config_keys[i], k) == 0)
            return 1;
    return 0;
}

/* Every listed key is read, and nothing else is. */
static void test_keys_match_reads(void **state)
{
    fake f = {0};
    awc_host_api h = host_for(&f);
    awc_config c;

    (void)state;
    assert_int_equal(awc_config_load(&c, &h), 0);
    for (size_t i = 0; i < f.n_asked; i++) {
        print_message("read %s\n", f.asked[i]);
        assert_true(in_keys(f.asked[i]));
    }
    for (size_t i = 0; awc_config_keys[i]; i++) {
        int asked = 0;
        for (size_t j = 0; j < f.n_asked; j++)
            asked |= strcmp(f.asked[j], awc_config_keys[i]) == 0;
        if (!asked)
            print_message("never read: %s\n", awc_config_keys[i]);
        assert_true(asked);
    }
}

/* awc_config_keys is exactly plugin.manifest's config_keys. */
static void test_keys_match_manifest(void **state)
{
    const char *root = getenv("AWC_TEST_ROOT");
    char path[1024], line[4096];
    char seen[256][64];
    size_t n = 0;
    FILE *f;

    (void)state;
    snprintf(path, sizeof(path), "%s/plugin.manifest", root && *root ? root : ".");
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char *p = line, *eq;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "config_keys", 11) != 0 || !(eq = strchr(p, '=')))
            continue;
        p = eq + 1;
        for (;;) {
            size_t len;
            p += strspn(p, " \t\r\n");
            len = strcspn(p, " \t\r\n");
            if (!len || *p == '#')
                break;
            assert_true(n < 256 && len < sizeof(seen[0]));
            memcpy(seen[n], p, len);
            seen[n][len] = '\0';
            if (!in_keys(seen[n]))
                print_message("manifest key not in awc_config_keys: %s\n", seen[n]);
            assert_true(in_keys(seen[n]));
            n++;
            p += len;
        }
    }
    fclose(f);
    for (size_t i = 0; awc_config_keys[i]; i++) {
        int found = 0;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(seen[j], awc_config_keys[i]) == 0;
        if (!found)
            print_message("awc_config_keys entry not in the manifest: %s\n", awc_config_keys[i]);
        assert_true(found);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_no_config_get),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_number_limits),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_origin_fallback),
        cmocka_unit_test(test_password_env_not_echoed),
        cmocka_unit_test(test_url_userinfo_not_echoed),
        cmocka_unit_test(test_messages_redact_userinfo),
        cmocka_unit_test(test_password_both),
        cmocka_unit_test(test_db_hosts),
        cmocka_unit_test(test_keys_match_reads),
        cmocka_unit_test(test_keys_match_manifest),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
