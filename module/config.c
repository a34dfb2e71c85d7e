/* config.c -- configuration values: defaults, types and checks (SPEC 11).
 *
 * Each key is read once with the host's config_get().  An empty value
 * ("key =") means "not set" for a free-form string, so its default applies;
 * for a number, an enumeration, a yes/no or the ID prefix it is an error
 * like any other bad value.  A message quotes the bad value (cut at 64
 * bytes) except for db.password_env, whose value might be a password typed
 * in the wrong place. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awc.h"
#include "config.h"

const char *const awc_config_keys[] = {
    "db.socket", "db.host", "db.port", "db.user", "db.database", "db.password_env",
    "db.password_file", "db.connect_timeout", "db.hosts", "db.lock_seconds",
    "cur.source", "cur.path", "cur.line_item_types", "cur.max_bad_rows",
    "athena.region", "athena.endpoint", "athena.workgroup", "athena.database", "athena.table",
    "athena.output_location", "athena.cur_version", "athena.query_timeout",
    "aws.region", "aws.s3_endpoint", "aws.billing_endpoint", "aws.connect_timeout",
    "aws.timeout", "aws.ca_file",
    "assign.default", "assign.lanes",
    "invoicing.adapter", "invoicing.spool_dir", "invoicing.url", "invoicing.item_mpn",
    "invoicing.group_by", "invoicing.timeout", "invoicing.user_env", "invoicing.password_env",
    "connect.url", "connect.api_key_env", "connect.product_id", "connect.contract_id",
    "connect.category",
    "ids.prefix",
    "run.invoice",
    "web.listen", "web.tls_cert", "web.tls_key", "web.session_idle_minutes",
    "web.session_max_hours", "web.public_url", "web.root", "web.threads", "web.client_timeout", "web.trusted_proxy",
    "grants.policy", "grants.expiring_days",
    NULL
};

#define TIMEOUT_MAX 86400u     /* one day, for every timeout in seconds */

/* A host API entry is usable only when the host's size covers it. */
#define HOST_HAS(h, f) \
    ((h)->size >= offsetof(awc_host_api, f) + sizeof((h)->f) && (h)->f != NULL)

typedef struct reader {
    const awc_host_api *host;
} reader;

static const char *get(const reader *r, const char *section, const char *key)
{
    if (!r->host || !HOST_HAS(r->host, config_get))
        return NULL;
    return r->host->config_get(r->host->ctx, section, key);
}

static const char *origin(const reader *r, const char *section, const char *key)
{
    const char *o = NULL;
    if (r->host && HOST_HAS(r->host, config_origin))
        o = r->host->config_origin(r->host->ctx, section, key);
    return o ? o : "config";
}

static int bad(const reader *r, const char *section, const char *key, const char *expected,
               const char *value)
{
    return awc_error_set(AWC_ECONFIG, "%s: %s.%s: expected %s, got '%.64s'",
                         origin(r, section, key), section, key, expected, value);
}

/* A free-form string: the value, or def when unset or empty. */
static const char *str(const reader *r, const char *section, const char *key, const char *def)
{
    const char *v = get(r, section, key);
    return (v && *v) ? v : def;
}

/* Digits only, so "-3", "+3", " 3" and "3s" are all refused. */
static int whole(const reader *r, const char *section, const char *key, unsigned long min,
                 unsigned long max, unsigned long def, unsigned long *out, const char *expected)
{
    const char *v = get(r, section, key);
    unsigned long n;
    char *end;

    if (!v) {
        *out = def;
        return 0;
    }
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9')
            return bad(r, section, key, expected, v);
    if (!*v)
        return bad(r, section, key, expected, v);
    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno || *end || n < min || n > max)
        return bad(r, section, key, expected, v);
    *out = n;
    return 0;
}

static int seconds(const reader *r, const char *section, const char *key, unsigned def,
                   unsigned *out)
{
    unsigned long n;
    int rc = whole(r, section, key, 1, TIMEOUT_MAX, def, &n,
                   "a whole number of seconds from 1 to 86400");
    if (rc == 0)
        *out = (unsigned)n;
    return rc;
}

/* One of choices (exact), or def when unset. */
static int choice(const reader *r, const char *section, const char *key,
                  const char *const *choices, const char *expected, const char *def,
                  const char **out)
{
    const char *v = get(r, section, key);
    if (!v) {
        *out = def;
        return 0;
    }
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(v, choices[i]) == 0) {
            *out = choices[i];
            return 0;
        }
    return bad(r, section, key, expected, v);
}

static int yes_no(const reader *r, const char *section, const char *key, int def, int *out)
{
    static const char *const yes[] = {"true", "yes", "1", "on", NULL};
    static const char *const no[] = {"false", "no", "0", "off", NULL};
    const char *v = get(r, section, key);

    if (!v) {
        *out = def;
        return 0;
    }
    for (size_t i = 0; yes[i]; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return bad(r, section, key, "true or false (also yes/no, on/off, 1/0)", v);
}

/* An endpoint or URL: http:// or https://, or unset.  Never echoed: a
 * mistyped URL may carry a password.  No '@' anywhere, so no user name or
 * password (user:password@host), however mistyped ("user:pa/ss@host"); a
 * path or query that needs one writes it %40.  Credentials come from
 * variables: for invoicing.url those invoicing.user_env and
 * invoicing.password_env name, for AWS the AWS_* variables. */
static int url(const reader *r, const char *section, const char *key, const char **out)
{
    const char *v = str(r, section, key, NULL);
    if (v && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return awc_error_set(AWC_ECONFIG, "%s: %s.%s: expected a URL starting with http:// or "
                             "https:// (the value is not shown)", origin(r, section, key),
                             section, key);
    if (v && strchr(v, '@'))
        return awc_error_set(AWC_ECONFIG, "%s: %s.%s: a URL must not carry a user name or "
                             "password (user:password@host; write a '@' of a path as %%40); "
                             "%s; the value is not shown", origin(r, section, key), section, key,
                             strcmp(section, "invoicing") == 0
                                 ? "name the variables that hold them in invoicing.user_env "
                                   "and invoicing.password_env"
                             : strcmp(section, "connect") == 0
                                 ? "the API token comes from the variable connect.api_key_env "
                                   "names"
                                 : "AWS credentials come from AWS_ACCESS_KEY_ID and "
                                   "AWS_SECRET_ACCESS_KEY");
    *out = v;
    return 0;
}

/* The name of a variable, never its value: a bad one is not echoed, in
 * case it is the secret itself. */
static int env_name(const reader *r, const char *section, const char *key, const char **out)
{
    const char *env = get(r, section, key);
    if (env) {
        int ok = *env && !(env[0] >= '0' && env[0] <= '9');
        for (const char *p = env; ok && *p; p++)
            ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                 (*p >= '0' && *p <= '9') || *p == '_';
        if (!ok)
            return awc_error_set(AWC_ECONFIG,
                                 "%s: %s.%s: expected the name of an environment variable "
                                 "(letters, digits, '_'), not the secret itself; the value is "
                                 "not shown", origin(r, section, key), section, key);
    }
    *out = env;
    return 0;
}

/* invoicing.group_by: which usage file a record goes to.  A file always
 * belongs to one period, reseller and currency; "customer" splits further. */
static int group_by(const reader *r, awc_config *c)
{
    const char *v = str(r, "invoicing", "group_by", "period,reseller,currency");
    int seen[4] = { 0, 0, 0, 0 };
    static const char *const words[4] = { "period", "reseller", "currency", "customer" };
    const char *p = v;

    while (*p) {
        size_t n = strcspn(p, ",");
        int k;
        while (n && p[n - 1] == ' ')
            n--;
        for (k = 0; k < 4; k++)
            if (strlen(words[k]) == n && strncmp(p, words[k], n) == 0)
                break;
        if (k == 4)
            return awc_error_set(AWC_ECONFIG, "%s: invoicing.group_by: '%.*s' is not one of "
                                 "period, reseller, currency, customer",
                                 origin(r, "invoicing", "group_by"), (int)(n > 30 ? 30 : n), p);
        seen[k] = 1;
        p += strcspn(p, ",");
        while (*p == ',' || *p == ' ')
            p++;
    }
    if (!seen[0] || !seen[1] || !seen[2])
        return awc_error_set(AWC_ECONFIG, "%s: invoicing.group_by: a usage file always belongs "
                             "to one period, reseller and currency; got '%.60s'",
                             origin(r, "invoicing", "group_by"), v);
    c->invoicing.group_by = v;
    c->invoicing.by_customer = seen[3];
    return 0;
}

static int load_db(awc_config *c, const reader *r)
{
    const char *user = getenv("USER");
    unsigned long port;
    const char *env;
    int rc;

    c->db.socket = str(r, "db", "socket", NULL);
    c->db.host = str(r, "db", "host", "localhost");
    if ((rc = whole(r, "db", "port", 1, 65535, 3306, &port, "a port number from 1 to 65535")))
        return rc;
    c->db.port = (unsigned)port;
    c->db.user = str(r, "db", "user", (user && *user) ? user : "root");
    c->db.database = str(r, "db", "database", "awscredit");
    c->db.password_file = str(r, "db", "password_file", NULL);

    if ((rc = env_name(r, "db", "password_env", &env)))
        return rc;
    c->db.password_env = env;
    if (c->db.password_env && c->db.password_file)
        return awc_error_set(AWC_ECONFIG,
                             "%s: db.password_file: give db.password_env or db.password_file, "
                             "not both", origin(r, "db", "password_file"));
    if ((rc = seconds(r, "db", "connect_timeout", 10, &c->db.connect_timeout)))
        return rc;
    /* a cluster's nodes, "host[:port], ..." (the store checks each item) */
    c->db.hosts = str(r, "db", "hosts", NULL);
    if (c->db.hosts && c->db.socket)
        return awc_error_set(AWC_ECONFIG, "%s: db.hosts: give db.hosts or db.socket, not both",
                             origin(r, "db", "hosts"));
    return seconds(r, "db", "lock_seconds", 60, &c->db.lock_seconds);
}

static int load_cur(awc_config *c, const reader *r)
{
    static const char *const sources[] = {"file", "athena", NULL};
    unsigned long n;
    int rc;

    if ((rc = choice(r, "cur", "source", sources, "file or athena", "file", &c->cur.source)))
        return rc;
    c->cur.path = str(r, "cur", "path", NULL);
    c->cur.line_item_types = str(r, "cur", "line_item_types", "Credit");
    if ((rc = whole(r, "cur", "max_bad_rows", 0, LONG_MAX, 0, &n, "a whole number >= 0")))
        return rc;
    c->cur.max_bad_rows = (long)n;
    return 0;
}

static int load_athena_aws(awc_config *c, const reader *r)
{
    static const char *const versions[] = {"1", "2", NULL};
    const char *v;
    int rc;

    c->aws.region = str(r, "aws", "region", "us-east-1");
    if ((rc = url(r, "aws", "s3_endpoint", &c->aws.s3_endpoint)) ||
        (rc = url(r, "aws", "billing_endpoint", &c->aws.billing_endpoint)) ||
        (rc = seconds(r, "aws", "connect_timeout", 10, &c->aws.connect_timeout)) ||
        (rc = seconds(r, "aws", "timeout", 60, &c->aws.timeout)))
        return rc;
    c->aws.ca_file = str(r, "aws", "ca_file", NULL);

    c->athena.region = str(r, "athena", "region", c->aws.region);
    if ((rc = url(r, "athena", "endpoint", &c->athena.endpoint)))
        return rc;
    c->athena.workgroup = str(r, "athena", "workgroup", "primary");
    c->athena.database = str(r, "athena", "database", NULL);
    c->athena.table = str(r, "athena", "table", NULL);
    c->athena.output_location = str(r, "athena", "output_location", NULL);
    if (c->athena.output_location && strncmp(c->athena.output_location, "s3://", 5) != 0)
        return bad(r, "athena", "output_location", "an s3://bucket/prefix location",
                   c->athena.output_location);
    if ((rc = choice(r, "athena", "cur_version", versions, "1 or 2", "2", &v)))
        return rc;
    c->athena.cur_version = v[0] - '0';
    return seconds(r, "athena", "query_timeout", 600, &c->athena.query_timeout);
}

static int load_invoicing(awc_config *c, const reader *r)
{
    static const char *const adapters[] = {"spool", "xmlrpc", "connect", NULL};
    int rc;

    if ((rc = choice(r, "invoicing", "adapter", adapters, "spool, xmlrpc or connect", "spool",
                     &c->invoicing.adapter)))
        return rc;
    c->invoicing.spool_dir = str(r, "invoicing", "spool_dir", NULL);
    if ((rc = url(r, "invoicing", "url", &c->invoicing.url)))
        return rc;
    c->invoicing.item_mpn = str(r, "invoicing", "item_mpn", NULL);
    if ((rc = group_by(r, c)) || (rc = env_name(r, "invoicing", "user_env",
                                                 &c->invoicing.user_env)) ||
        (rc = env_name(r, "invoicing", "password_env", &c->invoicing.password_env)))
        return rc;
    return seconds(r, "invoicing", "timeout", 60, &c->invoicing.timeout);
}

/* A Connect object id (PRD-..., CRD-..., a category id): letters, digits,
 * '-' and '_', 1 to 64 of them; it goes into a query and a workbook. */
static int connect_id(const reader *r, const char *key, const char **out)
{
    const char *v = str(r, "connect", key, NULL);
    size_t n = v ? strlen(v) : 0;

    for (size_t i = 0; v && i < n; i++)
        if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') ||
              (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_'))
            return bad(r, "connect", key, "a Connect id (letters, digits, '-', '_')", v);
    if (n > 64)
        return bad(r, "connect", key, "a Connect id of at most 64 characters", v);
    *out = v;
    return 0;
}

/* [connect]: checked here; what the connect adapter needs is required
 * only when invoicing.adapter = connect (so a spool set-up may keep the
 * section while it moves). */
static int load_connect(awc_config *c, const reader *r)
{
    int rc;

    if ((rc = url(r, "connect", "url", &c->connect.url)) ||
        (rc = env_name(r, "connect", "api_key_env", &c->connect.api_key_env)) ||
        (rc = connect_id(r, "product_id", &c->connect.product_id)) ||
        (rc = connect_id(r, "contract_id", &c->connect.contract_id)) ||
        (rc = connect_id(r, "category", &c->connect.category)))
        return rc;
    if (!c->connect.url)
        c->connect.url = "https://api.connect.cloudblue.com/public/v1";
    if (strcmp(c->invoicing.adapter, "connect") != 0)
        return 0;
    if (!c->connect.api_key_env)
        return awc_error_set(AWC_ECONFIG, "%s: connect.api_key_env: the connect adapter needs "
                             "the name of the variable that holds the API token",
                             origin(r, "connect", "api_key_env"));
    if (!c->connect.product_id || !c->connect.contract_id)
        return awc_error_set(AWC_ECONFIG, "%s: connect.product_id and connect.contract_id are "
                             "required by the connect adapter",
                             origin(r, "connect", c->connect.product_id ? "contract_id"
                                                                          : "product_id"));
    return 0;
}

static int load_rest(awc_config *c, const reader *r)
{
    const char *p = get(r, "ids", "prefix");
    unsigned long lanes;
    size_t n;
    int rc;

    c->assign.default_split = str(r, "assign", "default", NULL);
    if ((rc = whole(r, "assign", "lanes", 1, 8, 2, &lanes, "a whole number from 1 to 8")))
        return rc;
    c->assign.lanes = (unsigned)lanes;
    if (p) {
        n = strlen(p);
        if (n < 1 || n > 16)
            return bad(r, "ids", "prefix", "1 to 16 ASCII letters or digits", p);
        for (size_t i = 0; i < n; i++)
            if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
                  (p[i] >= '0' && p[i] <= '9')))
                return bad(r, "ids", "prefix", "1 to 16 ASCII letters or digits", p);
    }
    c->ids.prefix = p ? p : "AWSC";
    if ((rc = whole(r, "web", "session_idle_minutes", 1, 24 * 60, 30, &lanes,
                    "a whole number of minutes from 1 to 1440")))
        return rc;
    c->web.idle_s = (unsigned)lanes * 60;
    if ((rc = whole(r, "web", "session_max_hours", 1, 24 * 30, 12, &lanes,
                    "a whole number of hours from 1 to 720")))
        return rc;
    c->web.max_s = (unsigned)lanes * 3600;
    /* the rest of [web] is the serving host's (host/serve.c reads and
     * checks it); read here too, so that a bad number is refused at open
     * like every other key, and every key is read by someone */
    c->web.listen = str(r, "web", "listen", "127.0.0.1:8080");
    c->web.tls_cert = str(r, "web", "tls_cert", NULL);
    c->web.tls_key = str(r, "web", "tls_key", NULL);
    if ((rc = url(r, "web", "public_url", &c->web.public_url)))
        return rc;
    c->web.root = str(r, "web", "root", NULL);
    c->web.trusted_proxy = str(r, "web", "trusted_proxy", NULL);
    if ((rc = whole(r, "web", "threads", 1, 64, 4, &lanes, "a whole number from 1 to 64")))
        return rc;
    c->web.threads = (unsigned)lanes;
    if ((rc = whole(r, "web", "client_timeout", 1, 3600, 30, &lanes,
                    "a whole number of seconds from 1 to 3600")))
        return rc;
    c->web.client_timeout = (unsigned)lanes;
    c->grants.policy = str(r, "grants", "policy", "fifo");
    if (strcmp(c->grants.policy, "fifo") != 0 && strcmp(c->grants.policy, "aws") != 0)
        return bad(r, "grants", "policy", "fifo or aws", c->grants.policy);
    if ((rc = whole(r, "grants", "expiring_days", 0, 36600, 60, &lanes,
                    "a whole number of days from 0 to 36600")))
        return rc;
    c->grants.expiring_days = (int)lanes;
    return yes_no(r, "run", "invoice", 0, &c->run.invoice);
}

int awc_config_load(awc_config *out, const awc_host_api *host)
{
    reader r = {host};
    awc_config c;
    int rc;

    memset(&c, 0, sizeof(c));
    if ((rc = load_db(&c, &r)) || (rc = load_cur(&c, &r)) || (rc = load_athena_aws(&c, &r)) ||
        (rc = load_invoicing(&c, &r)) || (rc = load_connect(&c, &r)) ||
        (rc = load_rest(&c, &r)))
        return rc;
    *out = c;
    return 0;
}
