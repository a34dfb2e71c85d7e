/*
 * fuzz_credit_id.c -- credit IDs (module/credit_id.h).
 *
 * Input: "PREFIX\nID" (prefix up to the first newline), or just "ID" with
 * the default prefix AWSC.  Checks, each an abort() when it fails:
 *   - when awc_credit_id_parse accepts ID, the sequence number is in
 *     1..AWC_CREDIT_SEQ_MAX, awc_credit_id_format gives the canonical form
 *     (the ID itself, with the configured prefix's spelling) and that text
 *     parses back to the same number;
 *   - the other way round: a sequence number taken from the first input
 *     bytes formats and parses back to itself, and a single changed digit
 *     or two swapped adjacent digits are refused (Damm).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awc.h"
#include "credit_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_credit_id: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define MAX_INPUT 256

static void check_parse(const char *id, const char *prefix)
{
    char buf[AWC_CREDIT_ID_BUFSZ];
    uint64_t seq = 0, seq2 = 0;
    size_t plen = strlen(prefix), len = strlen(id);
    int n;

    if (awc_credit_id_parse(&seq, id, prefix) != 0)
        return;
    CHECK(seq >= 1 && seq <= AWC_CREDIT_SEQ_MAX);
    n = awc_credit_id_format(buf, sizeof(buf), prefix, seq);
    CHECK(n > 0 && (size_t)n == strlen(buf));
    /* canonical: same length, prefix equal but for case, the rest byte for byte */
    CHECK((size_t)n == len);
    CHECK(strncasecmp(buf, id, plen) == 0);
    CHECK(strncmp(buf, prefix, plen) == 0);
    CHECK(memcmp(buf + plen, id + plen, len - plen) == 0);
    CHECK(awc_credit_id_parse(&seq2, buf, prefix) == 0);
    CHECK(seq2 == seq);
}

static void check_format(const uint8_t *data, size_t size, const char *prefix)
{
    char buf[AWC_CREDIT_ID_BUFSZ], bad[AWC_CREDIT_ID_BUFSZ];
    uint64_t v = 0, seq, got = 0;
    size_t i, plen = strlen(prefix), len;
    int n;

    for (i = 0; i < size && i < 8; i++)
        v = v << 8 | data[i];
    seq = v % AWC_CREDIT_SEQ_MAX + 1;
    n = awc_credit_id_format(buf, sizeof(buf), prefix, seq);
    if (awc_credit_prefix_check(prefix) != 0) {
        CHECK(n < 0);
        return;
    }
    CHECK(n > 0 && (size_t)n == strlen(buf));
    CHECK(awc_credit_id_parse(&got, buf, prefix) == 0);
    CHECK(got == seq);
    len = (size_t)n;
    /* one digit changed (position and new digit from the input) */
    if (size > 9) {
        size_t pos = plen + 1 + data[8] % (len - plen - 1);
        if (buf[pos] != '-') {
            memcpy(bad, buf, len + 1);
            bad[pos] = (char)('0' + (buf[pos] - '0' + 1 + data[9] % 9) % 10);
            CHECK(awc_credit_id_parse(&got, bad, prefix) != 0);
        }
    }
    /* two adjacent different digits swapped */
    for (i = plen + 1; i + 1 < len; i++) {
        if (buf[i] == '-' || buf[i + 1] == '-' || buf[i] == buf[i + 1])
            continue;
        memcpy(bad, buf, len + 1);
        bad[i] = buf[i + 1];
        bad[i + 1] = buf[i];
        CHECK(awc_credit_id_parse(&got, bad, prefix) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char prefix[MAX_INPUT + 1], id[MAX_INPUT + 1];
    const uint8_t *nl = memchr(data, '\n', size);
    size_t plen, idlen;

    if (size > MAX_INPUT)
        return 0;
    if (nl) {
        plen = (size_t)(nl - data);
        memcpy(prefix, data, plen);
        prefix[plen] = '\0';
        idlen = size - plen - 1;
        memcpy(id, nl + 1, idlen);
    } else {
        memcpy(prefix, "AWSC", 5);
        idlen = size;
        memcpy(id, data, idlen);
    }
    id[idlen] = '\0';
    check_parse(id, prefix);
    check_format(data, size, prefix);
    awc_error_clear();
    return 0;
}
