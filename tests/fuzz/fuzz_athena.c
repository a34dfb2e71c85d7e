/*
 * fuzz_athena.c -- Athena GetQueryResults answers (awc_athena_read_page,
 * adapters/cur_athena.h).
 *
 * Input: one option byte (bits 0-3: the callback fails with AWC_EDB at
 * that row, 0 = never), then up to eight JSON answers separated by NUL
 * bytes, read as the pages of one result (parsed with json_loadb as
 * adapters/aws_http.c does; a page that is not JSON is skipped).  Checks
 * (abort() when one fails):
 *   - the result is 0 or a negative awc_err with a message; a failing
 *     callback's code comes back unchanged and stops the read;
 *   - no row reaches the callback before a header naming the columns;
 *   - each row handed over: numbered 1, 2, ... with no gap across pages;
 *     payer, account, currency, first/last usage, line count and amount
 *     present (not in null_mask); a NULL cell is "" with its bit set;
 *     currency three upper-case letters; dates YYYY-MM-DD; line count
 *     >= 1; the amount equal to awc_money_parse() of its text;
 *   - *n counts the rows delivered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "awc.h"
#include "cur_athena.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_athena: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#define MAX_PAGES 8

typedef struct seen {
    uint64_t rows;                 /* rows the callback got */
    unsigned fail_at;              /* 0 = never */
    int failed;
} seen;

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int date_shape(const char *s)
{
    return strlen(s) == 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
           digits(s + 8, 2);
}

static int on_row(void *ctx, const awc_athena_row *r)
{
    static const unsigned required = 1u << AWC_ATHENA_PAYER | 1u << AWC_ATHENA_ACCOUNT |
                                     1u << AWC_ATHENA_CURRENCY | 1u << AWC_ATHENA_FIRST_USAGE |
                                     1u << AWC_ATHENA_LAST_USAGE | 1u << AWC_ATHENA_LINE_COUNT |
                                     1u << AWC_ATHENA_AMOUNT;
    const char *const cols[] = { r->payer_account_id, r->usage_account_id, r->product_code,
                                 r->currency, r->description, r->billing_entity,
                                 r->legal_entity, r->invoice_id, r->first_usage,
                                 r->last_usage };
    seen *s = ctx;
    awc_amount a = 0;

    CHECK(!s->failed);
    CHECK(r->row == ++s->rows);
    CHECK((r->null_mask & required) == 0);
    CHECK((r->null_mask >> AWC_ATHENA_NCOLS) == 0);
    for (unsigned i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        CHECK(cols[i] != NULL);
        if (r->null_mask & (1u << i))
            CHECK(cols[i][0] == '\0');
    }
    CHECK(strlen(r->currency) == 3);
    for (int i = 0; i < 3; i++)
        CHECK(r->currency[i] >= 'A' && r->currency[i] <= 'Z');
    CHECK(date_shape(r->first_usage) && date_shape(r->last_usage));
    CHECK(r->line_count >= 1);
    CHECK(r->amount_text != NULL);
    CHECK(awc_money_parse(&a, r->amount_text, strlen(r->amount_text)) == 0);
    CHECK(a == r->amount);
    if (s->fail_at && s->rows == s->fail_at) {
        s->failed = 1;
        return awc_error_set(AWC_EDB, "callback fails at row %llu",
                             (unsigned long long)s->rows);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seen s = { 0, 0, 0 };
    uint64_t n = 0;
    const uint8_t *p, *end;
    int first = 1, rc = 0;
    unsigned pages = 0;

    if (size < 1)
        return 0;
    s.fail_at = data[0] & 15;
    p = data + 1;
    end = data + size;
    while (p <= end && pages < MAX_PAGES && rc == 0) {
        const uint8_t *z = memchr(p, '\0', (size_t)(end - p));
        size_t len = z ? (size_t)(z - p) : (size_t)(end - p);
        char *copy = malloc(len ? len : 1);
        json_error_t jerr;
        json_t *resp;
        uint64_t before = n;
        int was_first = first;

        CHECK(copy != NULL);
        memcpy(copy, p, len);
        resp = json_loadb(copy, len, 0, &jerr);
        free(copy);
        pages++;
        p += len + 1;
        if (!resp)
            continue;
        rc = awc_athena_read_page(resp, "q-fuzz", &first, &n, on_row, &s);
        json_decref(resp);
        CHECK(rc <= 0);
        CHECK(n >= before);
        if (n > before)
            CHECK(!first);
        if (!was_first)
            CHECK(!first);
        if (rc < 0)
            CHECK(awc_error_last()[0] != '\0');
        if (s.failed) {
            CHECK(rc == AWC_EDB);
            CHECK(strstr(awc_error_last(), "callback fails") != NULL);
        }
    }
    /* the rows delivered: all the callback saw, less the one it refused */
    CHECK(n == s.rows - (uint64_t)s.failed);
    if (first)
        CHECK(s.rows == 0);
    awc_error_clear();
    return 0;
}
