/*
 * fuzz_s3_list.c -- S3 ListObjectsV2 answers (awc_s3_parse_listing,
 * adapters/s3.h).
 *
 * Input: one option byte (bits 0-3: max_keys - 1, so 1..16; bit 4: read
 * the page twice into the same key list, as two pages of one listing), then
 * the answer's body.  Checks (abort() when one fails):
 *   - the result is 0 or a negative awc_err with a message;
 *   - every key kept ends in ".csv" or ".csv.gz" and there are at most
 *     max_keys of them; more CUR keys than that is AWC_EIO;
 *   - on success a truncated page has a non-empty continuation token; on
 *     error pg.next is NULL;
 *   - reading the same page again adds the same keys in the same order
 *     (or fails with the same code).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_s3_list: check failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static int cur_key(const char *k)
{
    size_t n = strlen(k);
    return (n > 4 && strcmp(k + n - 4, ".csv") == 0) ||
           (n > 7 && strcmp(k + n - 7, ".csv.gz") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    awc_s3_keys keys = { NULL, 0 };
    awc_s3_page pg;
    size_t cap = 0, max_keys, first;
    char *body;
    int rc, rc2, twice;

    if (size < 1)
        return 0;
    max_keys = (size_t)(data[0] & 15) + 1;
    twice = (data[0] >> 4) & 1;
    body = malloc(size - 1 ? size - 1 : 1);
    CHECK(body != NULL);
    memcpy(body, data + 1, size - 1);

    rc = awc_s3_parse_listing(&keys, &cap, &pg, max_keys, "fuzz", body, size - 1);
    CHECK(rc <= 0);
    CHECK(keys.n <= max_keys);
    for (size_t i = 0; i < keys.n; i++)
        CHECK(cur_key(keys.v[i]));
    if (rc < 0) {
        CHECK(pg.next == NULL);
        CHECK(awc_error_last()[0] != '\0');
    } else if (pg.truncated) {
        CHECK(pg.next != NULL && pg.next[0] != '\0');
    }
    awc_free(pg.next);
    first = keys.n;

    if (twice && rc == 0) {
        rc2 = awc_s3_parse_listing(&keys, &cap, &pg, max_keys, "fuzz", body, size - 1);
        CHECK(rc2 == 0 || rc2 == AWC_EIO);
        CHECK(keys.n <= max_keys);
        if (rc2 == 0) {
            CHECK(keys.n == 2 * first);
            for (size_t i = 0; i < first; i++)
                CHECK(strcmp(keys.v[i], keys.v[first + i]) == 0);
        } else {
            CHECK(2 * first > max_keys);
            CHECK(pg.next == NULL);
        }
        awc_free(pg.next);
    }
    awc_s3_keys_free(&keys);
    awc_error_clear();
    free(body);
    return 0;
}
