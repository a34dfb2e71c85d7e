/*
 * s3.h -- CUR files in Amazon S3 (SPEC section 9: cur.path = s3://bucket/prefix).
 *
 * Lists the objects under an s3:// prefix (ListObjectsV2, all pages, XML
 * parsed with libxml2 without network access or DTDs) and streams each
 * object (GetObject) straight into the CUR reader of cur.h: no temporary
 * file, gzip inflated by the reader.  The stream is pull-style: the reader
 * calls read(), which drives a libcurl multi handle until bytes arrive; the
 * transfer pauses (CURL_WRITEFUNC_PAUSE) whenever the bounded buffer is
 * full, so memory stays at AWC_S3_BUFFER whatever the object's size.
 *
 * Addressing: with aws.s3_endpoint set (tests, S3-compatible stores) every
 * request goes path-style to it (ENDPOINT/bucket/key); otherwise to AWS
 * virtual-host style (https://bucket.s3.REGION.amazonaws.com/key), or
 * path-style on https://s3.REGION.amazonaws.com for bucket names with dots
 * (which do not match AWS's TLS certificate as a host name).  Requests are
 * signed for service "s3" in aws.region with x-amz-content-sha256 (aws.h).
 *
 * Ownership: awc_s3 borrows the awc_aws_conf (and through it the
 * credentials) and copies awc_s3_conf's strings.  Keys and URLs returned
 * are the caller's (awc_s3_keys_free, awc_s3_url_free).  An object (and
 * the awc_cur_source made from it) belongs to the caller until
 * awc_s3_object_close(); the source's ctx is the object.
 *
 * Errors: 0 or a negative awc_err with one line (no credentials in it):
 *   AWC_EBADINPUT  not an s3:// URL, a bad bucket name, an unreadable listing
 *   AWC_ENOTFOUND  no .csv or .csv.gz object under the prefix
 *   AWC_ENET       refused by S3: "s3 GetObject s3://b/k: HTTP 404 NoSuchKey:
 *                  The specified key does not exist."; connection failures
 *   AWC_ETIMEOUT   aws.connect_timeout, aws.timeout (per listing call, and as
 *                  the longest silence during a download), object_timeout
 *   AWC_EIO        more keys than max_keys
 *   AWC_ENOMEM
 * plus whatever the CUR reader returns (cur.h) from awc_s3_read_cur().
 */
#ifndef AWC_S3_H
#define AWC_S3_H

#include <stddef.h>

#include "aws.h"
#include "cur.h"

/* Bytes buffered between libcurl and the reader of one object. */
#define AWC_S3_BUFFER ((size_t)1 << 20)

typedef struct awc_s3_conf {
    const char *endpoint;          /* aws.s3_endpoint, or NULL for AWS itself */
    const char *region;            /* aws.region; NULL = "us-east-1" */
    unsigned object_timeout;       /* seconds for one whole GetObject; 0 = 3600 */
    size_t max_keys;               /* CUR keys kept from one listing; 0 = 100000 */
    unsigned page_size;            /* max-keys per ListObjectsV2 call; 0 = S3's 1000 */
} awc_s3_conf;

typedef struct awc_s3 awc_s3;

/* A bucket and a key prefix ("" = the whole bucket). */
typedef struct awc_s3_url {
    char *bucket;
    char *prefix;
} awc_s3_url;

typedef struct awc_s3_keys {
    char **v;                      /* n keys, byte-wise sorted */
    size_t n;
} awc_s3_keys;

typedef struct awc_s3_object awc_s3_object;

/* What one ListObjectsV2 page says about the next. */
typedef struct awc_s3_page {
    int truncated;                 /* IsTruncated is "true" */
    char *next;                    /* NextContinuationToken (awc_malloc), or NULL */
} awc_s3_page;

/* aws.s3_endpoint and aws.region of a loaded configuration (the rest zero:
 * defaults). */
void awc_s3_conf_from_config(awc_s3_conf *out, const awc_config *cfg);

/* 1 when path starts with "s3://". */
int awc_s3_is_url(const char *path);

/* Split "s3://bucket/prefix" (bucket 3-63 of a-z 0-9 . -; the prefix is
 * taken literally: no globbing).  AWC_EBADINPUT; *out zeroed on error. */
int awc_s3_parse_url(awc_s3_url *out, const char *url);
void awc_s3_url_free(awc_s3_url *u);

/* Set up for requests to S3.  AWC_ECONFIG (endpoint), AWC_ENOMEM; *out set
 * only on success. */
int awc_s3_open(awc_s3 **out, const awc_aws_conf *aws, const awc_s3_conf *conf);
/* NULL is fine. */
void awc_s3_close(awc_s3 *s);

/* Every key under prefix that ends in ".csv" or ".csv.gz", sorted, all
 * pages followed.  AWC_ENOTFOUND when there is none; *out zeroed on error. */
int awc_s3_list(awc_s3_keys *out, awc_s3 *s, const char *bucket, const char *prefix);
void awc_s3_keys_free(awc_s3_keys *k);

/* One ListObjectsV2 answer (body, len bytes; what names it in messages):
 * the keys ending in ".csv" or ".csv.gz" appended to out (*cap its
 * capacity, as for awc_grow; at most max_keys in all, URL encoding undone
 * when the answer says EncodingType url), *pg set.  AWC_EBADINPUT (not a
 * ListBucketResult, a DTD, truncated without a token), AWC_EIO (more than
 * max_keys), AWC_ENOMEM; on error pg->next is NULL and out keeps what it
 * holds for awc_s3_keys_free().  awc_s3_list() reads each page with it. */
int awc_s3_parse_listing(awc_s3_keys *out, size_t *cap, awc_s3_page *pg, size_t max_keys,
                         const char *what, const char *body, size_t len);

/* Start GetObject of bucket/key and make a pull-style source of it for
 * awc_cur_open_source().  Nothing is transferred before the first read().
 * read() returns bytes, 0 at the end, or AWC_ENET/AWC_ETIMEOUT (HTTP error
 * statuses with S3's code and message).  *obj must be closed with
 * awc_s3_object_close() after the reader is done with *src. */
int awc_s3_object_source(awc_cur_source *src, awc_s3_object **obj, awc_s3 *s,
                         const char *bucket, const char *key);
/* Stop the transfer (if still running) and free.  NULL is fine. */
void awc_s3_object_close(awc_s3_object *o);

/* The whole s3 source in one call, for pull: list url's CUR objects and
 * read each one with the CUR reader (opt, on_row, ctx, stats as for
 * awc_cur_read; stats sums all objects).  Rows name their object as
 * "s3://bucket/key". */
int awc_s3_read_cur(awc_s3 *s, const char *url, const awc_cur_options *opt,
                    awc_cur_row_fn on_row, void *ctx, awc_cur_stats *stats);

#endif /* AWC_S3_H */
