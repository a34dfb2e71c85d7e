/*
 * aws_billing.c -- GetCredits of the AWS Billing API (aws_billing.h).
 *
 * Timestamps arrive as JSON numbers of epoch seconds, integral or not
 * (1790726400 or 1.7907264E9).  They are read from the number's text, never
 * through a floating-point value: jansson prints a real back exactly enough
 * for whole seconds, and only the integral part is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aws_billing.h"
#include "awc.h"

#define MAX_PAGES 10000u

void awc_billing_conf_from_config(awc_billing_conf *out, const awc_config *cfg)
{
    memset(out, 0, sizeof(*out));
    out->endpoint = cfg->aws.billing_endpoint;
}

void awc_billing_date(char out[11], int64_t epoch)
{
    struct tm tm;
    time_t t = (time_t)epoch;

    if (!gmtime_r(&t, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
        out[0] = '\0';
}

/* Integral part of a decimal number's text ("1.7907264E9", "-12", "3.9"). */
static int int_from_text(int64_t *out, const char *s)
{
    char mant[40];
    size_t nm = 0, point = 0, i;
    int neg = 0, seen_point = 0, exp = 0, eneg = 0, edigits = 0;
    int64_t v = 0;
    long ip;

    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    for (; (*s >= '0' && *s <= '9') || *s == '.'; s++) {
        if (*s == '.') {
            if (seen_point)
                return -1;
            seen_point = 1;
            continue;
        }
        if (nm == 0 && *s == '0' && !seen_point)
            continue; /* leading zeros */
        if (nm >= sizeof(mant))
            return -1;
        mant[nm++] = *s;
        if (!seen_point)
            point++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            eneg = *s++ == '-';
        for (; *s >= '0' && *s <= '9'; s++, edigits++)
            if (exp < 1000)
                exp = exp * 10 + (*s - '0');
        if (!edigits)
            return -1;
    }
    if (*s)
        return -1;
    ip = (long)point + (eneg ? -exp : exp); /* digits before the point */
    if (ip > 18)
        return -1;
    for (i = 0; ip > 0 && i < (size_t)ip; i++)
        v = v * 10 + (i < nm ? mant[i] - '0' : 0);
    *out = neg ? -v : v;
    return 0;
}

static int epoch_of(int64_t *out, json_t *v)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        void (*jfree)(void *) = NULL;
        int rc;
        if (!text)
            return -1;
        rc = int_from_text(out, text);
        json_get_alloc_funcs(NULL, &jfree);
        jfree(text);
        return rc;
    }
    return -1;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int bad(const char *id, const char *what)
{
    return awc_error_set(AWC_EBADINPUT, "billing GetCredits: credit %.40s: %s",
                         id ? id : "(no creditId)", what);
}

/* {currencyAmount, currencyCode} into *amt and cur (checked to equal cur
 * when cur is already set). */
static int amount_of(awc_amount *amt, char cur[4], json_t *o, const char *id, const char *name)
{
    const char *a = jstr(o, "currencyAmount"), *c = jstr(o, "currencyCode");
    char msg[200];
    int rc;

    if (!a || !c || strlen(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' ||
        c[2] < 'A' || c[2] > 'Z') {
        snprintf(msg, sizeof(msg), "%s: missing or bad currencyAmount/currencyCode", name);
        return bad(id, msg);
    }
    if (cur[0] && strcmp(cur, c) != 0) {
        snprintf(msg, sizeof(msg), "%s is in %s, not %s", name, c, cur);
        return bad(id, msg);
    }
    if ((rc = awc_money_parse(amt, a, strlen(a)))) {
        snprintf(msg, sizeof(msg), "%s: \"%.40s\" is not a decimal amount", name, a);
        return bad(id, msg);
    }
    memcpy(cur, c, 4);
    return 0;
}

static int deliver(json_t *c, awc_billing_credit_fn fn, void *ctx)
{
    awc_billing_credit out;
    const char *id = jstr(c, "creditId");
    const char **products = NULL;
    json_t *plist = json_object_get(c, "applicableProductNames"), *end;
    size_t i, np = 0;
    int rc;

    memset(&out, 0, sizeof(out));
    if (!json_is_object(c))
        return bad(NULL, "not an object");
    if (!id || !*id)
        return bad(NULL, "no creditId");
    out.credit_id = id;
    out.credit_type = jstr(c, "creditType") ? jstr(c, "creditType") : "";
    out.description = jstr(c, "description") ? jstr(c, "description") : "";
    out.account_id = jstr(c, "accountId") ? jstr(c, "accountId") : "";
    out.status = jstr(c, "creditStatus") ? jstr(c, "creditStatus") : "";
    if ((rc = amount_of(&out.initial_amount, out.currency, json_object_get(c, "initialAmount"),
                        id, "initialAmount")) ||
        (rc = amount_of(&out.remaining_amount, out.currency,
                        json_object_get(c, "remainingAmount"), id, "remainingAmount")))
        return rc;
    if (epoch_of(&out.start_epoch, json_object_get(c, "startDate")) != 0)
        return bad(id, "no startDate (epoch seconds)");
    awc_billing_date(out.start_date, out.start_epoch);
    end = json_object_get(c, "endDate");
    if (end && !json_is_null(end)) {
        if (epoch_of(&out.end_epoch, end) != 0)
            return bad(id, "endDate is not epoch seconds");
        awc_billing_date(out.expiry_date, out.end_epoch);
    }
    if (json_is_array(plist) && json_array_size(plist) > 0) {
        if (!(products = awc_calloc(json_array_size(plist), sizeof(*products))))
            return awc_error_set(AWC_ENOMEM, "out of memory");
        for (i = 0; i < json_array_size(plist); i++) {
            const char *p = json_string_value(json_array_get(plist, i));
            if (p)
                products[np++] = p;
        }
    }
    out.products = products;
    out.nproducts = np;
    rc = fn(ctx, &out);
    awc_free(products);
    return rc;
}

int awc_billing_read_page(json_t *resp, awc_billing_credit_fn fn, void *ctx, uint64_t *n)
{
    json_t *credits = json_object_get(resp, "credits");
    size_t i;
    int rc = 0;

    if (credits && !json_is_array(credits))
        return awc_error_set(AWC_EBADINPUT, "billing GetCredits: \"credits\" is not a list");
    for (i = 0; i < json_array_size(credits) && rc == 0; i++)
        if ((rc = deliver(json_array_get(credits, i), fn, ctx)) == 0)
            ++*n;
    return rc;
}

static int account_ok(const char *a)
{
    size_t i;
    if (!a || strlen(a) != 12)
        return 0;
    for (i = 0; i < 12; i++)
        if (a[i] < '0' || a[i] > '9')
            return 0;
    return 1;
}

int awc_billing_get_credits(awc_aws_client *client, const awc_billing_conf *conf,
                            awc_billing_credit_fn on_credit, void *ctx,
                            awc_billing_stats *stats)
{
    awc_aws_json_req jr;
    char *token = NULL;
    uint64_t delivered = 0;
    unsigned pages = 0;
    int rc = 0;

    if (stats)
        memset(stats, 0, sizeof(*stats));
    if (!account_ok(conf->account_id))
        return awc_error_set(AWC_ECONFIG, "billing GetCredits: the account id must be 12 "
                                          "digits");
    if (conf->start_epoch <= 0 || (conf->end_epoch && conf->end_epoch < conf->start_epoch))
        return awc_error_set(AWC_ECONFIG, "billing GetCredits: need a start date (and an end "
                                          "date not before it)");
    memset(&jr, 0, sizeof(jr));
    jr.what = "billing GetCredits";
    jr.endpoint = conf->endpoint && *conf->endpoint ? conf->endpoint
                                                    : AWC_BILLING_DEFAULT_ENDPOINT;
    jr.region = conf->region && *conf->region ? conf->region : "us-east-1";
    jr.service = "billing";
    jr.target = "AWSBilling.GetCredits";
    jr.version = "1.0";
    jr.max_retries = conf->max_retries;
    jr.retries = stats ? &stats->retries : NULL;

    for (;;) {
        json_t *body = json_object(), *resp = NULL, *next;

        if (!body) {
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
            break;
        }
        if (++pages > MAX_PAGES) {
            json_decref(body);
            rc = awc_error_set(AWC_EBADINPUT, "billing GetCredits: more than %u pages",
                               MAX_PAGES);
            break;
        }
        json_object_set_new(body, "accountId", json_string(conf->account_id));
        json_object_set_new(body, "startDate", json_integer((json_int_t)conf->start_epoch));
        if (conf->end_epoch)
            json_object_set_new(body, "endDate", json_integer((json_int_t)conf->end_epoch));
        if (conf->payer_account)
            json_object_set_new(body, "payerAccountFlag", json_true());
        if (token)
            json_object_set_new(body, "nextToken", json_string(token));
        rc = awc_aws_json_call(client, &jr, body, &resp);
        json_decref(body);
        if (rc)
            break;
        if (stats)
            stats->pages++;
        rc = awc_billing_read_page(resp, on_credit, ctx, stats ? &stats->credits : &delivered);
        next = json_object_get(resp, "nextToken");
        if (rc == 0 && json_is_string(next) && *json_string_value(next)) {
            if (token && strcmp(token, json_string_value(next)) == 0) {
                rc = awc_error_set(AWC_EBADINPUT, "billing GetCredits: the answer repeats its "
                                                  "nextToken");
            } else {
                awc_free(token);
                if (!(token = awc_strdup(json_string_value(next))))
                    rc = awc_error_set(AWC_ENOMEM, "out of memory");
            }
            json_decref(resp);
            if (rc)
                break;
            continue;
        }
        json_decref(resp);
        break;
    }
    awc_free(token);
    return rc;
}
