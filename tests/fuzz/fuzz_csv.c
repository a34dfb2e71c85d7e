/*
 * fuzz_csv.c -- the module's small RFC 4180 reader (module/csv.h).
 *
 * awc_csv_next over the whole input until the end or an error.  Besides
 * the sanitizers, checks (abort() when one fails): a record has 1 to
 * AWC_CSV_MAX_FIELDS fields, each NUL-terminated inside the reader's buffer
 * and valid UTF-8 (csv.h: "every field must be valid UTF-8"); line numbers
 * never go backwards; an error leaves a message; the reader always makes
 * progress (at most one record per input byte).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz_csv: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], lo = 0x80, hi = 0xBF;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else
            return 0;
        if (i + k >= n)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so reading past the end is caught */
    char *text = malloc(size ? size : 1);
    unsigned long last_line = 0;
    size_t records = 0;
    awc_csv c;
    int rc;

    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    awc_csv_init(&c, "fuzz.csv", text, size);
    while ((rc = awc_csv_next(&c)) == 1) {
        CHECK(++records <= size);
        CHECK(c.nfields >= 1 && c.nfields <= AWC_CSV_MAX_FIELDS);
        CHECK(c.line >= 1 && c.line >= last_line && c.next_line >= c.line);
        last_line = c.line;
        for (size_t i = 0; i < c.nfields; i++) {
            size_t len;
            CHECK(c.field[i] >= c.buf && c.field[i] < c.buf + c.cap);
            len = strnlen(c.field[i], (size_t)(c.buf + c.cap - c.field[i]));
            CHECK(c.field[i] + len < c.buf + c.cap);
            CHECK(utf8_valid((const unsigned char *)c.field[i], len));
        }
    }
    CHECK(rc == 0 || rc < 0);
    if (rc < 0)
        CHECK(awc_error_last()[0] != '\0');
    awc_csv_free(&c);
    free(text);
    awc_error_clear();
    return 0;
}
