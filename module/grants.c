/* grants.c -- GetCredits for the payers of a pull, kept in memory until the
 * pull stores them with its credits. */
#include <stdio.h>
#include <string.h>

#include "aws.h"
#include "aws_billing.h"
#include "date.h"
#include "grants.h"

struct awc_grants {
    awc_grant *g;
    size_t n, cap;
    char *strings[3 * 1024];       /* owned copies, freed with the set */
    size_t nstrings;
    const char *payer;
};

static const char *keep(awc_grants *gs, const char *s)
{
    char *d;
    if (gs->nstrings == sizeof(gs->strings) / sizeof(gs->strings[0]))
        return NULL;
    d = awc_strdup(s ? s : "");
    if (d)
        gs->strings[gs->nstrings++] = d;
    return d;
}

static int on_credit(void *arg, const awc_billing_credit *c)
{
    awc_grants *gs = arg;
    char products[8192] = "";
    size_t at = 0;
    awc_grant *g;

    if (!(g = awc_grow(gs->g, &gs->cap, gs->n, sizeof(*g), 64)))
        return AWC_ENOMEM;
    gs->g = g;
    g = &gs->g[gs->n];
    for (size_t i = 0; i < c->nproducts; i++) {
        int w = snprintf(products + at, sizeof(products) - at, "%s%s", i ? "," : "",
                         c->products[i]);
        if (w < 0 || (size_t)w >= sizeof(products) - at)
            break;
        at += (size_t)w;
    }
    memset(g, 0, sizeof(*g));
    snprintf(g->credit_id, sizeof(g->credit_id), "%s", c->credit_id);
    snprintf(g->payer_account_id, sizeof(g->payer_account_id), "%s", gs->payer);
    snprintf(g->account_id, sizeof(g->account_id), "%s", c->account_id ? c->account_id : "");
    snprintf(g->credit_type, sizeof(g->credit_type), "%s", c->credit_type ? c->credit_type : "");
    snprintf(g->currency, sizeof(g->currency), "%s", c->currency);
    snprintf(g->start_date, sizeof(g->start_date), "%s", c->start_date);
    snprintf(g->expiry_date, sizeof(g->expiry_date), "%s", c->expiry_date);
    g->initial_amount = c->initial_amount;
    g->remaining_amount = c->remaining_amount;
    g->description = keep(gs, c->description);
    g->products = keep(gs, products);
    g->status = keep(gs, c->status);
    if (!g->description || !g->products || !g->status)
        return awc_error_set(AWC_ENOMEM, "billing: too many credits to keep");
    gs->n++;
    return 0;
}

int awc_grants_fetch(awc_grants **out, awc_module *m, awc_agg *agg, const char *period)
{
    awc_grants *gs = awc_calloc(1, sizeof(*gs));
    const awc_credit_draft *d = awc_agg_items(agg);
    size_t n = awc_agg_count(agg);
    awc_aws_creds creds;
    awc_aws_conf aws;
    awc_aws_client *client = NULL;
    awc_billing_conf conf;
    char first[11];
    int rc;

    if (!gs)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = awc_aws_creds_load(&creds, m->host.secret_get, m->host.ctx)) != 0) {
        awc_free(gs);
        return rc;
    }
    awc_aws_conf_from_config(&aws, &m->cfg, &creds);
    awc_billing_conf_from_config(&conf, &m->cfg);
    snprintf(first, sizeof(first), "%.7s-01", period);
    conf.start_epoch = awc_date_days(first) * 86400;
    conf.payer_account = 1;
    rc = awc_aws_client_new(&client, &aws);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t j;
        for (j = 0; j < i && strcmp(d[j].payer_account_id, d[i].payer_account_id) != 0; j++)
            ;
        if (j < i)
            continue; /* this payer was asked already */
        gs->payer = d[i].payer_account_id;
        conf.account_id = d[i].payer_account_id;
        rc = awc_billing_get_credits(client, &conf, on_credit, gs, NULL);
        if (rc != 0)
            awc_error_prefix(rc, "billing: GetCredits for payer %s", d[i].payer_account_id);
    }
    awc_aws_client_free(client);
    awc_aws_creds_free(&creds);
    if (rc != 0) {
        awc_grants_free(gs);
        return rc;
    }
    *out = gs;
    return 0;
}

void awc_grants_free(awc_grants *gs)
{
    if (!gs)
        return;
    for (size_t i = 0; i < gs->nstrings; i++)
        awc_free(gs->strings[i]);
    awc_free(gs->g);
    awc_free(gs);
}

size_t awc_grants_count(const awc_grants *gs)
{
    return gs ? gs->n : 0;
}

const awc_grant *awc_grants_items(const awc_grants *gs)
{
    return gs ? gs->g : NULL;
}
