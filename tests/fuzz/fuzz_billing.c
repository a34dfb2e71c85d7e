/*
 * fuzz_billing.c -- AWS Billing GetCredits answers (awc_billing_read_page,
 * adapters/aws_billing.h).
 *
 * Input: one option byte (bits 0-3: the callback fails with AWC_EDB at
 * that credit, 0 = never), then a JSON answer (parsed with json_loadb as
 * adapters/aws_http.c does; input that is not JSON ends the run).  Checks
 * (abort() when one fails):
 *   - the result is 0 or a negative awc_err with a message; a failing
 *     callback's code comes back unchanged and stops the read;
 *   - each credit handed over: a non-empty id; type, description, account
 *     and status never NULL; a currency of three upper-case letters; both
 *     amounts equal to awc_money_parse() of the answer's currencyAmount
 *     texts, in the same currency; a start date "YYYY-MM-DD" or "" (when
 *     the epoch is out of gmtime's range) and an expiry date only with an
 *     end epoch; nproducts strings, none NULL, at most the list's length;
 *   - *n counts the credits delivered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "awc.h"
#include "aws_billing.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_billing: check failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

typedef struct seen {
    json_t *credits;
    uint64_t count;
    unsigned fail_at;
    int failed;
} seen;

static int date_or_empty(const char *d)
{
    size_t n = strnlen(d, 11);

    if (n == 0)
        return 1;
    if (n != 10 || d[4] != '-' || d[7] != '-')
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return 0;
    return 1;
}

static void same_amount(json_t *o, awc_amount got, const char *cur)
{
    const char *text = json_string_value(json_object_get(o, "currencyAmount"));
    const char *code = json_string_value(json_object_get(o, "currencyCode"));
    awc_amount want = 0;

    CHECK(text && code && strcmp(code, cur) == 0);
    CHECK(awc_money_parse(&want, text, strlen(text)) == 0);
    CHECK(want == got);
}

static int on_credit(void *ctx, const awc_billing_credit *c)
{
    seen *s = ctx;
    json_t *raw = json_array_get(s->credits, (size_t)s->count);

    CHECK(!s->failed);
    CHECK(json_is_object(raw));
    s->count++;
    CHECK(c->credit_id && c->credit_id[0]);
    CHECK(strcmp(c->credit_id, json_string_value(json_object_get(raw, "creditId"))) == 0);
    CHECK(c->credit_type && c->description && c->account_id && c->status);
    CHECK(strlen(c->currency) == 3);
    for (int i = 0; i < 3; i++)
        CHECK(c->currency[i] >= 'A' && c->currency[i] <= 'Z');
    same_amount(json_object_get(raw, "initialAmount"), c->initial_amount, c->currency);
    same_amount(json_object_get(raw, "remainingAmount"), c->remaining_amount, c->currency);
    CHECK(date_or_empty(c->start_date));
    CHECK(date_or_empty(c->expiry_date));
    if (c->end_epoch == 0)
        CHECK(c->expiry_date[0] == '\0' || json_object_get(raw, "endDate") != NULL);
    CHECK(c->nproducts == 0 || c->products != NULL);
    CHECK(c->nproducts <= json_array_size(json_object_get(raw, "applicableProductNames")));
    for (size_t i = 0; i < c->nproducts; i++)
        CHECK(c->products[i] != NULL);
    if (s->fail_at && s->count == s->fail_at) {
        s->failed = 1;
        return awc_error_set(AWC_EDB, "callback fails at credit %llu",
                             (unsigned long long)s->count);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seen s = { NULL, 0, 0, 0 };
    json_error_t jerr;
    json_t *resp;
    uint64_t n = 0;
    char *copy;
    int rc;

    if (size < 1)
        return 0;
    s.fail_at = data[0] & 15;
    copy = malloc(size - 1 ? size - 1 : 1);
    CHECK(copy != NULL);
    memcpy(copy, data + 1, size - 1);
    resp = json_loadb(copy, size - 1, 0, &jerr);
    free(copy);
    if (!resp)
        return 0;
    s.credits = json_object_get(resp, "credits");
    rc = awc_billing_read_page(resp, on_credit, &s, &n);
    CHECK(rc <= 0);
    if (rc < 0)
        CHECK(awc_error_last()[0] != '\0');
    if (s.failed)
        CHECK(rc == AWC_EDB && strstr(awc_error_last(), "callback fails") != NULL);
    CHECK(n == s.count - (uint64_t)s.failed);
    if (rc == 0)
        CHECK(n == json_array_size(s.credits));
    json_decref(resp);
    awc_error_clear();
    return 0;
}
