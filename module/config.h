/*
 * config.h -- the module's configuration (SPEC section 11).
 *
 * The host owns the INI file: it parses it (inih), refuses unknown sections
 * and keys against awc_config_keys, and answers config_get().  This unit
 * turns those strings into typed values with defaults and checks each one;
 * a bad value is AWC_ECONFIG with a message naming where it came from
 * ("awscredit.ini:12: cur.max_bad_rows: expected a whole number >= 0").
 *
 * String fields point at the host's strings or at static defaults: they
 * live as long as the host API does, and nothing here is freed.
 * Secrets are not configuration: db.password_env names the variable that
 * holds the password, and the password itself is read at connect time.
 */
#ifndef AWC_CONFIG_H
#define AWC_CONFIG_H

#include "awscredit.h"

typedef struct awc_config {
    struct {
        const char *socket;        /* Unix socket; wins over host/port */
        const char *host;          /* default "localhost" */
        unsigned port;             /* default 3306 */
        const char *user;          /* default: $USER */
        const char *database;      /* default "awscredit" */
        const char *password_env;  /* name of the variable with the password */
        const char *password_file; /* file readable by the owner only */
        unsigned connect_timeout;  /* seconds, default 10 */
        const char *hosts;         /* "host[:port], ...": nodes tried in turn; wins over host */
        unsigned lock_seconds;     /* a cluster-wide lock's lease, default 60 */
    } db;
    struct {
        const char *source;        /* "file" | "athena"; default "file" */
        const char *path;          /* glob, or s3://bucket/prefix */
        const char *line_item_types; /* comma-separated; default "Credit" */
        long max_bad_rows;         /* default 0 */
    } cur;
    struct {
        const char *region, *endpoint, *workgroup, *database, *table, *output_location;
        int cur_version;           /* 1 or 2; default 2 */
        unsigned query_timeout;    /* seconds; default 600 */
    } athena;
    struct {
        const char *region;        /* default "us-east-1" */
        const char *s3_endpoint, *billing_endpoint;
        unsigned connect_timeout;  /* seconds; default 10 */
        unsigned timeout;          /* seconds per request; default 60 */
        const char *ca_file;       /* extra CA bundle (tests) */
    } aws;
    struct {
        const char *default_split; /* e.g. "customer:100"; NULL = none */
        unsigned lanes;            /* connections writing at once, 1 to 8; default 2 */
    } assign;
    struct {
        const char *adapter;       /* "spool" | "xmlrpc" | "connect"; default "spool" */
        const char *spool_dir, *url, *item_mpn;
        const char *group_by;      /* default "period,reseller,currency" */
        int by_customer;           /* group_by names customer: a file per customer */
        unsigned timeout;          /* seconds; default 60 */
        const char *user_env;      /* names of the variables with the platform's */
        const char *password_env;  /* HTTP credentials (xmlrpc), or NULL */
    } invoicing;
    struct {
        const char *url;           /* default the public API (docs/INVOICING-CONNECT.md) */
        const char *api_key_env;   /* name of the variable holding "SU-...:..." */
        const char *product_id, *contract_id;   /* PRD-..., CRD-... */
        const char *category;      /* category_id of every record, or NULL */
    } connect;
    struct {
        const char *prefix;        /* default "AWSC" */
    } ids;
    struct {
        int invoice;               /* default 0 */
    } run;
    struct {                       /* the web console (SPEC 15): the module keeps */
        unsigned idle_s, max_s;    /* the sessions; the serving host uses the rest */
        const char *listen, *tls_cert, *tls_key, *public_url, *root, *trusted_proxy;
        unsigned threads, client_timeout;
    } web;
    struct {
        const char *policy;        /* "fifo" (default) or "aws" (SPEC 16) */
        int expiring_days;         /* default 60 */
    } grants;
} awc_config;

/* Every "section.key" the module understands, NULL-terminated. */
extern const char *const awc_config_keys[];

/* Fill out from host->config_get, applying defaults and checking values.
 * 0, or AWC_ECONFIG with a message naming origin, key and expectation. */
int awc_config_load(awc_config *out, const awc_host_api *host);

#endif /* AWC_CONFIG_H */
