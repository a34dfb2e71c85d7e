/*
 * aws_billing.h -- the AWS Billing API's GetCredits (optional source, SPEC
 * section 9): each credit's issued and remaining amounts, validity dates and
 * applicable products, for the balance and expiry reports.
 *
 * Protocol (AWS Billing and Cost Management API Reference, "GetCredits",
 * "CreditData", "Amount"; service billing 2023-09-07): AWS JSON 1.0, POST /
 * with X-Amz-Target: AWSBilling.GetCredits, signed for service "billing";
 * request {accountId, startDate, endDate?, payerAccountFlag?} with dates as
 * epoch seconds (startDate at most one year back); answer {credits:
 * [CreditData]} where amounts are {currencyAmount: decimal string,
 * currencyCode} and startDate/endDate are epoch seconds.  The reference
 * shows no paging for GetCredits; should an answer carry a nextToken, it is
 * sent back until the last page (the test fake pages to prove that loop).
 *
 * Endpoint: aws.billing_endpoint, default https://billing.us-east-1.api.aws
 * ("The Billing API provides the following endpoint", AWS CLI / boto3 /
 * Java SDK references for the billing service), signed for us-east-1 (the
 * region in that host name; the General Reference endpoint tables do not
 * list the Billing API).  docs/AWS.md says what was and was not verified.
 *
 * Ownership: everything an awc_billing_credit points at is valid only during
 * the callback.  The conf's strings are borrowed.
 *
 * Errors: 0 or a negative awc_err with one line: AWC_ECONFIG (account id not
 * 12 digits, no start date), AWC_ENET/AWC_ETIMEOUT (aws.h: "billing
 * GetCredits: HTTP 403 AccessDeniedException: ..."), AWC_EBADINPUT (a credit
 * without its required fields, an amount that is not a decimal), AWC_ENOMEM;
 * a negative code from the callback is returned unchanged.
 */
#ifndef AWC_AWS_BILLING_H
#define AWC_AWS_BILLING_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "config.h"
#include "money.h"

#define AWC_BILLING_DEFAULT_ENDPOINT "https://billing.us-east-1.api.aws"

typedef struct awc_billing_conf {
    const char *endpoint;          /* NULL = AWC_BILLING_DEFAULT_ENDPOINT */
    const char *region;            /* signing region; NULL = "us-east-1" */
    const char *account_id;        /* 12 digits */
    int payer_account;             /* 1: payerAccountFlag (the whole billing family) */
    int64_t start_epoch;           /* required, > 0 */
    int64_t end_epoch;             /* 0 = not sent (AWS: today) */
    unsigned max_retries;          /* throttling/5xx; 0 = 8 */
} awc_billing_conf;

/* One credit.  Amounts are exact; both are in currency. */
typedef struct awc_billing_credit {
    const char *credit_id;         /* digits */
    const char *credit_type;       /* "Promotion", "Refund", "TrueUp", ... */
    const char *description;
    const char *account_id;        /* owner, "" when absent */
    awc_amount initial_amount;
    awc_amount remaining_amount;
    char currency[4];
    int64_t start_epoch;
    int64_t end_epoch;             /* 0 when the credit has no end date */
    char start_date[11];           /* YYYY-MM-DD (UTC) */
    char expiry_date[11];          /* YYYY-MM-DD (UTC), "" without an end date */
    const char *const *products;   /* applicableProductNames */
    size_t nproducts;
    const char *status;            /* creditStatus, "" when absent */
} awc_billing_credit;

typedef int (*awc_billing_credit_fn)(void *ctx, const awc_billing_credit *credit);

typedef struct awc_billing_stats {
    uint64_t pages;
    uint64_t credits;
    uint64_t retries;
} awc_billing_stats;

/* aws.billing_endpoint of a loaded configuration (the rest stays zero). */
void awc_billing_conf_from_config(awc_billing_conf *out, const awc_config *cfg);

/* Call GetCredits (all pages) and on_credit for each credit.  stats may be
 * NULL. */
int awc_billing_get_credits(awc_aws_client *client, const awc_billing_conf *conf,
                            awc_billing_credit_fn on_credit, void *ctx,
                            awc_billing_stats *stats);

/* Epoch seconds to "YYYY-MM-DD" (UTC) into out[11]. */
void awc_billing_date(char out[11], int64_t epoch);

/* One GetCredits answer (resp, parsed JSON): each credit of its "credits"
 * list checked and handed to fn; *n counts the credits delivered.  No list
 * is no credit.  AWC_EBADINPUT ("credits" not a list, a credit without its
 * required fields, an amount that is not a decimal, two currencies), or
 * the callback's code.  awc_billing_get_credits() reads each page with it. */
struct json_t;
int awc_billing_read_page(struct json_t *resp, awc_billing_credit_fn fn, void *ctx,
                          uint64_t *n);

#endif /* AWC_AWS_BILLING_H */
