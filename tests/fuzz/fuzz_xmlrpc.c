/*
 * fuzz_xmlrpc.c -- the XML-RPC invoicing adapter's answers
 * (adapters/invoicing_xmlrpc.c through awc_xmlrpc_read_answer, invoicing.h).
 *
 * Input: one option byte, then the answer's body.  The option byte picks
 * the method whose answer the body is (bits 0-2: getStatus,
 * findByExternalId, createFile, addRecords, listRecords, listRecords
 * compared with our records, submit) and how many records were asked for
 * (bits 3-5: 0..7).  The id and record arrays are allocated to exactly that
 * size, so a read or write past them is caught.  Checks (abort() when one
 * fails):
 *   - the result is 0 or a negative awc_err, and an error has a one-line
 *     message of less than AWC_ERRMSG_MAX bytes and leaves *state zeroed;
 *   - a state: a known status (never AWC_UF_UNKNOWN), a non-empty id of
 *     printable characters, a NUL-terminated note;
 *   - createFile, addRecords, listRecords: every id asked for is non-empty,
 *     shorter than AWC_UF_ID_MAX and free of control characters;
 *   - listRecords compared with our records (the recovery after a lost
 *     answer) reads only records 1..n of ours: the records array has
 *     exactly n entries;
 *   - the same body read twice gives the same result (no hidden state).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "invoicing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_xmlrpc: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static const char *const methods[] = {
    "usage.getStatus", "usage.findByExternalId", "usage.createFile", "usage.addRecords",
    "usage.listRecords", "usage.listRecords", "usage.submit", "usage.submit",
};

/* Our records, as the seeds' listRecords answers show them. */
static void fill_record(awc_usage_record *r, size_t i)
{
    static const char *const notes[] = { "AWSC-000000-0000-0017 MAP credit", "", "x" };

    memset(r, 0, sizeof(*r));
    r->note = notes[i % 3];
    r->item_mpn = "AWS-CREDIT";
    r->amount_minor = -(int64_t)(1234 + i);
    r->exponent = 2;
    r->start_utc = "2026-10-01T00:00:00Z";
    r->end_utc = "2026-11-01T00:00:00Z";
    r->asset_id = "AS-1000-2000-3000";
    r->customer_id = "TA-0001-0002";
    r->reseller_id = i % 2 ? "R-2" : NULL;
    r->currency = "USD";
}

static int printable_id(const char *s)
{
    size_t n = strnlen(s, AWC_UF_ID_MAX);

    if (n == 0 || n >= AWC_UF_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int is_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *method, *msg;
    size_t n, ids_n;
    awc_usage_record *recs = NULL;
    awc_usage_file file, *f = NULL;
    awc_uf_state *st, *st2;
    char (*ids)[AWC_UF_ID_MAX], (*ids2)[AWC_UF_ID_MAX], *body;
    int kind, rc, rc2;

    if (size < 1)
        return 0;
    kind = data[0] & 7;
    method = methods[kind];
    n = (size_t)(data[0] >> 3) & 7;
    ids_n = n ? n : 1;
    /* the body in a buffer of its exact size */
    body = malloc(size - 1 ? size - 1 : 1);
    ids = malloc(ids_n * sizeof(*ids));
    ids2 = malloc(ids_n * sizeof(*ids2));
    st = malloc(sizeof(*st));
    st2 = malloc(sizeof(*st2));
    CHECK(body && ids && ids2 && st && st2);
    memcpy(body, data + 1, size - 1);
    if (kind == 5 && n) {
        CHECK((recs = malloc(n * sizeof(*recs))) != NULL);
        for (size_t i = 0; i < n; i++)
            fill_record(&recs[i], i);
        memset(&file, 0, sizeof(file));
        file.external_id = "awscredit:2026-10:R-1:USD:1";
        file.period = "2026-10";
        file.reseller_id = "R-1";
        file.currency = "USD";
        file.records = recs;
        file.n = n;
        f = &file;
    }
    memset(ids, 0xA5, ids_n * sizeof(*ids));
    memset(st, 0xA5, sizeof(*st));

    rc = awc_xmlrpc_read_answer(method, body, size - 1, f, n, st, ids);
    CHECK(rc <= 0);
    if (rc < 0) {
        msg = awc_error_last();
        CHECK(msg[0] != '\0');
        CHECK(strlen(msg) < AWC_ERRMSG_MAX);
        CHECK(strchr(msg, '\n') == NULL);
        CHECK(is_zero(st, sizeof(*st)));
    } else if (kind <= 1) {
        CHECK(st->status >= AWC_UF_PENDING && st->status <= AWC_UF_REJECTED);
        CHECK(printable_id(st->usage_file_id));
        CHECK(memchr(st->note, '\0', sizeof(st->note)) != NULL);
    } else if (kind == 2) {
        CHECK(printable_id(ids[0]));
    } else if (kind >= 3 && kind <= 5) {
        for (size_t i = 0; i < n; i++)
            CHECK(printable_id(ids[i]));
    }

    /* the same again: the same outcome */
    rc2 = awc_xmlrpc_read_answer(method, body, size - 1, f, n, st2, ids2);
    CHECK(rc2 == rc);
    if (rc == 0 && kind <= 1)
        CHECK(memcmp(st, st2, sizeof(*st)) == 0);
    if (rc == 0 && kind >= 2 && kind <= 5)
        for (size_t i = 0; i < (kind == 2 ? 1 : n); i++)
            CHECK(strcmp(ids[i], ids2[i]) == 0);

    awc_error_clear();
    free(recs);
    free(body);
    free(ids);
    free(ids2);
    free(st);
    free(st2);
    return 0;
}
