/*
 * fuzz_connect.c -- the connect invoicing adapter's answers
 * (adapters/invoicing_connect.c through awc_connect_read_answer,
 * invoicing.h): usage file objects, pages of a look-up, error bodies and
 * the Content-Range header.
 *
 * Input: one option byte, then a header line up to the first newline (the
 * Content-Range line, read when it starts with that name), then the body.
 * Bits 0-1 of the option byte pick the kind of answer: a usage file, a
 * look-up page, an error body.  Checks (abort() when one fails):
 *   - the result is 0 or a negative awc_err, and an error has a one-line
 *     message of less than AWC_ERRMSG_MAX bytes and leaves *state zeroed;
 *   - a file: a known status (never AWC_UF_UNKNOWN) and an id of letters,
 *     digits, '-' and '_' (it goes into a URL path);
 *   - a page: no live file (AWC_UF_UNKNOWN, empty id) or one as above;
 *   - every note is NUL-terminated;
 *   - the same input read twice gives the same result (no hidden state).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "invoicing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_connect: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static const char *const kinds[] = { "file", "list", "error", "file" };

static int id_ok(const char *s)
{
    size_t n = strnlen(s, AWC_UF_ID_MAX);

    if (n == 0 || n >= AWC_UF_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
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
    const char *kind, *msg;
    const uint8_t *nl;
    char *header = NULL, *body;
    size_t hlen = 0, blen, total = 0, total2 = 0;
    awc_uf_state *st, *st2;
    int rc, rc2;

    if (size < 1)
        return 0;
    kind = kinds[data[0] & 3];
    data++;
    size--;
    nl = memchr(data, '\n', size);
    if (nl) {
        hlen = (size_t)(nl - data) + 1;
        CHECK((header = malloc(hlen + 1)) != NULL);
        memcpy(header, data, hlen);
        header[hlen] = '\0';
    }
    blen = size - hlen;
    body = malloc(blen ? blen : 1);     /* the body in a buffer of its exact size */
    st = malloc(sizeof(*st));
    st2 = malloc(sizeof(*st2));
    CHECK(body && st && st2);
    memcpy(body, data + hlen, blen);
    memset(st, 0xA5, sizeof(*st));

    rc = awc_connect_read_answer(kind, body, blen, header, "awscredit:2026-10:abc:USD:1", st,
                                 &total);
    CHECK(rc <= 0);
    if (rc < 0) {
        msg = awc_error_last();
        CHECK(msg[0] != '\0');
        CHECK(strlen(msg) < AWC_ERRMSG_MAX);
        CHECK(strchr(msg, '\n') == NULL);
        CHECK(is_zero(st, sizeof(*st)));
    } else if (strcmp(kind, "file") == 0) {
        CHECK(st->status >= AWC_UF_PENDING && st->status <= AWC_UF_REJECTED);
        CHECK(id_ok(st->usage_file_id));
    } else if (strcmp(kind, "list") == 0) {
        CHECK(st->status == AWC_UF_UNKNOWN ? st->usage_file_id[0] == '\0'
                                           : id_ok(st->usage_file_id));
    }
    CHECK(memchr(st->note, '\0', sizeof(st->note)) != NULL);

    rc2 = awc_connect_read_answer(kind, body, blen, header, "awscredit:2026-10:abc:USD:1", st2,
                                  &total2);
    CHECK(rc2 == rc && total2 == total && memcmp(st, st2, sizeof(*st)) == 0);
    free(header);
    free(body);
    free(st);
    free(st2);
    return 0;
}
