/* op_balance.c -- `balance` and `expiring --within DAYS`: credits as the
 * AWS Billing API describes them (issued, remaining, expiry), next to what
 * the CUR pulls found of each. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "mod.h"
#include "out.h"

typedef struct bal_ctx {
    const awc_call *c;
    json_t *list;
    size_t n;
    int rc;
} bal_ctx;

static int on_grant(void *arg, const awc_grant *g)
{
    bal_ctx *x = arg;
    char init[AWC_MONEY_BUFSZ], rem[AWC_MONEY_BUFSZ], used[AWC_SUM_BUFSZ];
    char pulled[AWC_SUM_BUFSZ];
    awc_sum u = (awc_sum)g->initial_amount - g->remaining_amount;

    awc_money_format(init, sizeof(init), g->initial_amount);
    awc_money_format(rem, sizeof(rem), g->remaining_amount);
    awc_sum_format(used, sizeof(used), u);
    awc_sum_format(pulled, sizeof(pulled), g->pulled);
    x->n++;
    if (x->list) {
        json_t *o = json_object();
        int bad = awc_json_set(o, "credit_id", json_string(g->credit_id)) |
                  awc_json_set(o, "payer_account_id", json_string(g->payer_account_id)) |
                  awc_json_set(o, "account_id", awc_json_str_or_null(g->account_id)) |
                  awc_json_set(o, "credit_type", json_string(g->credit_type)) |
                  awc_json_set(o, "description", json_string(g->description)) |
                  awc_json_set(o, "currency", json_string(g->currency)) |
                  awc_json_set(o, "initial_amount", json_string(init)) |
                  awc_json_set(o, "remaining_amount", json_string(rem)) |
                  awc_json_set(o, "used_amount", json_string(used)) |
                  awc_json_set(o, "start_date", awc_json_str_or_null(g->start_date)) |
                  awc_json_set(o, "expiry_date", awc_json_str_or_null(g->expiry_date)) |
                  awc_json_set(o, "products", json_string(g->products)) |
                  awc_json_set(o, "status", awc_json_str_or_null(g->status)) |
                  awc_json_set(o, "pulled_credits", json_integer(g->credits)) |
                  awc_json_set(o, "pulled_amount", json_string(pulled));
        if (bad || json_array_append_new(x->list, o) != 0)
            return x->rc = awc_error_set(AWC_ENOMEM, "out of memory");
        return 0;
    }
    return x->rc = awc_out_printf(x->c, "%-14s %-10s %-3s %22s %22s %-10s %5lld  %.*s\n",
                                  g->credit_id, g->credit_type, g->currency, init, rem,
                                  g->expiry_date[0] ? g->expiry_date : "-",
                                  (long long)g->credits, awc_out_cut(g->description, 40),
                                  g->description);
}

static int grants(awc_module *m, const awc_call *c, const char *by, const char *title)
{
    bal_ctx x = { c, NULL, 0, 0 };
    awc_store *st;
    int rc;

    if (c->actor->role == AWC_ROLE_RESELLER)
        return awc_error_set(AWC_EPERM, "%s: the AWS balances belong to the distributor", title);
    if ((rc = awc_mod_store(m, &st)) != 0)
        return rc;
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        x.list = json_array();
        rc = st->ops->grants_each(st, by, on_grant, &x);
        if (rc == 0)
            rc = x.rc;
        int bad = awc_json_set(doc, "expiring_by", by ? json_string(by) : json_null()) |
                  awc_json_set(doc, "credits", x.list);
        if (rc == 0)
            rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return rc;
    }
    rc = awc_out_printf(c, "%-14s %-10s %-3s %22s %22s %-10s %5s  %s\n", "credit id", "type",
                        "cur", "issued", "remaining", "expires", "lines", "description");
    if (rc == 0)
        rc = st->ops->grants_each(st, by, on_grant, &x);
    if (rc == 0)
        rc = x.rc;
    if (rc == 0)
        rc = awc_out_printf(c, "%zu credit%s%s%s\n", x.n, x.n == 1 ? "" : "s",
                            by ? " with something left, expiring by " : "", by ? by : "");
    return rc;
}

int awc_op_balance(awc_module *m, const awc_call *c)
{
    awc_op_begin();
    return awc_op_end(c, grants(m, c, NULL, "balance"));
}

int awc_op_expiring(awc_module *m, const awc_call *c, int within_days)
{
    char today[11], by[11];
    time_t now = time(NULL);
    struct tm tm;

    awc_op_begin();
    if (within_days < 0 || within_days > 36600)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "expiring: --within is 0..36600 days"));
    gmtime_r(&now, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    if (awc_date_add(by, today, within_days) != 0)
        return awc_op_end(c, AWC_EUSAGE);
    return awc_op_end(c, grants(m, c, by, "expiring"));
}
