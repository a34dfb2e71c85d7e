/*
 * aws.h -- what the AWS adapters (cur_athena, s3, aws_billing) share:
 * credentials from the environment and one signed HTTPS request through
 * libcurl, with its timeouts, its bounded answer and AWS's error turned into
 * one line.  docs/AWS.md describes configuration, signing and errors.
 *
 * Signing is libcurl's (CURLOPT_AWS_SIGV4 "aws:amz:REGION:SERVICE"); this
 * unit only hands libcurl what its 7.88 release (Debian 12) needs to sign
 * right: the query string already sorted and percent-encoded
 * (awc_aws_query), x-amz-content-sha256 for S3 (SHA-256 of the body), and
 * x-amz-security-token for session credentials (libcurl signs every header
 * we pass since 7.86).  The tests check every signature against an
 * independent implementation (tests/fakes/sigv4.py).
 *
 * Transport: https only, TLS peer and host verification always on
 * (aws.ca_file adds a CA bundle); plain http only to a loopback endpoint
 * (127.0.0.1, ::1, localhost), for the test fakes.  Every request has a
 * connect timeout and a total timeout; no redirects are followed.
 *
 * Ownership and secrets:
 *   - awc_aws_creds owns its three strings; awc_aws_creds_free() overwrites
 *     them before freeing.  They are passed to libcurl per request
 *     (CURLOPT_USERNAME/CURLOPT_PASSWORD, which copies them) and are never
 *     logged, never put in a URL and never in an error message: messages
 *     built here mask any credential text a server might echo.
 *   - awc_aws_conf only borrows (creds, ca_file): they must outlive every
 *     client made from it.
 *   - awc_aws_response owns its body; free it with awc_aws_response_free().
 *   - Strings from awc_aws_encode()/awc_aws_query() are the caller's
 *     (awc_free).
 *
 * Errors: 0 or a negative awc_err with a one-line message:
 *   AWC_ENET      refused by AWS ("athena GetQueryExecution: HTTP 400
 *                 InvalidRequestException: ..."), or the connection failed
 *   AWC_ETIMEOUT  no connection or no complete answer in time
 *   AWC_ECONFIG   missing credentials, bad endpoint (http to a non-loopback
 *                 host, not a URL)
 *   AWC_EIO       the answer was larger than the request's bound
 *   AWC_ENOMEM    allocation failed
 * libcurl is initialised once per process (pthread_once) and never cleaned
 * up: the host may use libcurl too.
 */
#ifndef AWC_AWS_H
#define AWC_AWS_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "config.h"

/* Response bodies we parse (JSON, XML) are held in memory up to this. */
#define AWC_AWS_MAX_BODY ((size_t)64 << 20)
/* Error bodies are kept up to this; the rest is dropped. */
#define AWC_AWS_MAX_ERROR_BODY ((size_t)64 << 10)

/* curl_global_init() and xmlInitParser(), once per process (pthread_once).
 * Every function here that needs them calls it; adapters that use libcurl
 * or libxml2 directly call it first. */
void awc_aws_global_init(void);

/* --- credentials ------------------------------------------------------------ */

typedef struct awc_aws_creds {
    char *access_key_id;           /* AWS_ACCESS_KEY_ID */
    char *secret_access_key;       /* AWS_SECRET_ACCESS_KEY */
    char *session_token;           /* AWS_SESSION_TOKEN, or NULL */
} awc_aws_creds;

/* Looks up a variable by name (the host's secret_get, or NULL for getenv). */
typedef const char *(*awc_aws_getenv_fn)(void *ctx, const char *name);

/* Copy AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional)
 * AWS_SESSION_TOKEN through get (NULL: getenv).  AWC_ECONFIG naming the
 * missing variable (never a value); *out is zeroed on error. */
int awc_aws_creds_load(awc_aws_creds *out, awc_aws_getenv_fn get, void *ctx);
/* Overwrite and free the strings; c is zeroed.  NULL is fine. */
void awc_aws_creds_free(awc_aws_creds *c);

/* --- client configuration ------------------------------------------------- */

typedef struct awc_aws_conf {
    const awc_aws_creds *creds;    /* borrowed */
    unsigned connect_timeout;      /* seconds; 0 = 10 */
    unsigned timeout;              /* seconds for one whole request; 0 = 60 */
    const char *ca_file;           /* extra CA bundle, or NULL (borrowed) */
} awc_aws_conf;

/* aws.connect_timeout, aws.timeout, aws.ca_file of a loaded configuration. */
void awc_aws_conf_from_config(awc_aws_conf *out, const awc_config *cfg,
                              const awc_aws_creds *creds);

/* --- one request ---------------------------------------------------------------- */

/* Receives a 2xx body as it arrives; returns 0, or a negative awc_err (with
 * a message) to stop the transfer, returned by awc_aws_send. */
typedef int (*awc_aws_data_fn)(void *ctx, const char *p, size_t n);

typedef struct awc_aws_request {
    const char *what;              /* names the call in messages: "athena GetQueryResults" */
    const char *method;            /* "GET" or "POST" */
    const char *endpoint;          /* "https://host[:port]", no path, no query */
    const char *path;              /* percent-encoded, starts with '/'; NULL = "/" */
    const char *query;             /* sorted and encoded (awc_aws_query), or NULL */
    const char *region;            /* signing region */
    const char *service;           /* signing name: "athena", "s3", "billing" */
    const char *const *headers;    /* "Name: value" lines, NULL-terminated, or NULL */
    const void *body;              /* POST body (must live until the call returns) */
    size_t body_len;
    int s3;                        /* 1: send x-amz-content-sha256 (S3 needs it) */
    size_t max_body;               /* bound of a buffered 2xx body; 0 = AWC_AWS_MAX_BODY */
    awc_aws_data_fn on_data;       /* optional: stream a 2xx body here instead */
    void *data_ctx;
    unsigned timeout;              /* total seconds; 0 = the conf's timeout */
    unsigned stall;                /* fail when no byte comes for this long; 0 = off */
} awc_aws_request;

typedef struct awc_aws_response {
    long status;                   /* HTTP status, 0 when no answer */
    char *body;                    /* NUL-terminated (buffered mode), or NULL */
    size_t len;
    char error_code[96];           /* AWS error code of a refused request, else "" */
} awc_aws_response;

/* A reusable connection to AWS (one libcurl easy handle, kept-alive
 * connections).  One thread at a time. */
typedef struct awc_aws_client awc_aws_client;

/* AWC_ENOMEM; *out set only on success.  conf is copied (its pointers are
 * borrowed). */
int awc_aws_client_new(awc_aws_client **out, const awc_aws_conf *conf);
/* NULL is fine. */
void awc_aws_client_free(awc_aws_client *c);
/* The configuration the client was made with. */
const awc_aws_conf *awc_aws_client_conf(const awc_aws_client *c);

/* Send req and wait for the answer.  0 for a 2xx answer (body in out, or
 * given to on_data); otherwise the error codes above, with out->status and
 * out->error_code set when AWS answered.  out is always initialised; free
 * it with awc_aws_response_free() whatever the result. */
int awc_aws_send(awc_aws_client *c, const awc_aws_request *req, awc_aws_response *out);
void awc_aws_response_free(awc_aws_response *r);

/* 1 when an AWS error is worth retrying after a pause: throttling codes
 * (ThrottlingException, TooManyRequestsException, SlowDown, ...), HTTP 429
 * and 5xx.  0 otherwise. */
int awc_aws_retryable(long status, const char *error_code);
/* Jittered exponential back-off for attempt 0, 1, ...: a random delay in
 * [d/2, d] with d = min(base_ms * 2^attempt, cap_ms). */
unsigned awc_aws_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms);
/* Sleep ms milliseconds (restarts on EINTR). */
void awc_aws_sleep_ms(unsigned ms);
/* Milliseconds on a monotonic clock. */
uint64_t awc_aws_now_ms(void);

/* --- AWS JSON protocol (Athena: 1.1, Billing: 1.0) ------------------------------- */

typedef struct awc_aws_json_req {
    const char *what;              /* "athena GetQueryResults" */
    const char *endpoint;
    const char *region;
    const char *service;           /* signing name */
    const char *target;            /* X-Amz-Target: "AmazonAthena.GetQueryResults" */
    const char *version;           /* "1.1" or "1.0": application/x-amz-json-VERSION */
    unsigned max_retries;          /* retries of throttled / 5xx answers; 0 = 8 */
    uint64_t *retries;             /* incremented per retry; may be NULL */
} awc_aws_json_req;

/* POST body (a JSON object) as an AWS JSON call and parse the answer, an
 * object, into *out (json_decref it).  Throttling and 5xx answers are
 * retried up to max_retries times, a failed connection twice, with
 * jittered back-off from 200 ms doubling to 5 s; the message of a call that
 * gives up says how many attempts were made.  Errors as awc_aws_send(),
 * AWC_EBADINPUT for an answer that is not a JSON object. */
int awc_aws_json_call(awc_aws_client *c, const awc_aws_json_req *req, json_t *body,
                      json_t **out);

/* --- encoding ------------------------------------------------------------------- */

/* Percent-encode n bytes per SigV4 / RFC 3986: everything but A-Z a-z 0-9
 * - _ . ~ becomes %XY (upper-case hex); '/' is kept when keep_slash (S3
 * object keys in paths).  *out from awc_malloc; AWC_ENOMEM. */
int awc_aws_encode(char **out, const char *s, size_t n, int keep_slash);

typedef struct awc_aws_param {
    const char *name;
    const char *value;             /* NULL = "" */
} awc_aws_param;

/* "a=1&b=x%2Fy": names and values encoded, pairs sorted by encoded name,
 * then encoded value -- the canonical form SigV4 signs, which is what
 * libcurl 7.88 signs when given it as is.  *out from awc_malloc. */
int awc_aws_query(char **out, const awc_aws_param *params, size_t n);

/* --- errors ----------------------------------------------------------------------- */

/* Find AWS's error code and message in a body: JSON ("__type" with any
 * prefix up to '#' and suffix from ':' removed; "message" or "Message";
 * Athena's "Reason"/"AthenaErrorCode" appended in brackets) or XML
 * (<Error><Code/><Message/></Error>, also inside <ErrorResponse>); the
 * x-amzn-ErrorType header (errtype, may be NULL) when the body names no
 * code.  Both outputs are NUL-terminated, "" when not found. */
void awc_aws_error_parse(char *code, size_t codesz, char *msg, size_t msgsz,
                         const char *body, size_t len, const char *errtype);

/* Does an XML body declare a DTD or an entity?  Such an answer is refused
 * before it is parsed: no AWS API sends one, and an entity is how an XXE or
 * a "billion laughs" would come in.  The bytes are searched as ASCII, so
 * bodies are then parsed as UTF-8 whatever they declare (a UTF-16 or UTF-7
 * body would hide a DOCTYPE from this search: it fails to parse instead),
 * and the parsed document is checked for a DTD once more. */
int awc_xml_has_dtd(const char *body, size_t len);

/* --- for adapters that drive libcurl themselves (s3.c streams GetObject) ------ */

/* State of one transfer prepared by awc_aws_xfer_setup(). */
typedef struct awc_aws_xfer {
    struct curl_slist *headers;    /* what the handle sends */
    char errtype[128];             /* x-amzn-ErrorType received */
    char curl_error[CURL_ERROR_SIZE];
    char host[256];                /* for messages */
    const awc_aws_conf *conf;
    const awc_aws_request *req;
} awc_aws_xfer;

/* Set every option of easy handle h for req except the write callback:
 * URL, method and body, signing, session token and payload hash headers,
 * timeouts, TLS, protocols, header capture.  x and req must outlive the
 * transfer.  AWC_ECONFIG (endpoint), AWC_ENOMEM; cleanup x either way. */
int awc_aws_xfer_setup(awc_aws_xfer *x, CURL *h, const awc_aws_conf *conf,
                       const awc_aws_request *req);
void awc_aws_xfer_cleanup(awc_aws_xfer *x);

/* The error for a finished transfer: rc != CURLE_OK gives AWC_ETIMEOUT or
 * AWC_ENET naming the host; otherwise a non-2xx status gives AWC_ENET with
 * AWS's code and message parsed from body ("what: HTTP 404 NoSuchKey:
 * ...").  Fills code (may be NULL) with the AWS error code.  Returns the
 * awc_err (0 for a 2xx answer without a curl error). */
int awc_aws_xfer_result(awc_aws_xfer *x, CURL *h, CURLcode rc, const char *body, size_t len,
                        long *status, char *code, size_t codesz);

#endif /* AWC_AWS_H */
