/* op_show.c -- `show ID`: one credit and its full history. */
#include <string.h>

#include "credit.h"
#include "credit_id.h"
#include "mod.h"
#include "out.h"

typedef struct show_ctx {
    const awc_call *c;
    json_t *events;                /* JSON mode */
    int rc;
} show_ctx;

static const char *or_dash(const char *s)
{
    return (s && *s) ? s : "-";
}

static void actor_text(char *buf, size_t n, const awc_event *ev)
{
    const char *role = ev->actor_role == AWC_ROLE_DISTRIBUTOR ? "distributor"
                     : ev->actor_role == AWC_ROLE_RESELLER ? "reseller"
                     : ev->actor_role == AWC_ROLE_VIEWER ? "viewer" : "unknown";
    if (ev->actor_reseller[0])
        snprintf(buf, n, "%s:%s:%s", role, ev->actor_reseller, ev->actor_id);
    else
        snprintf(buf, n, "%s:%s", role, ev->actor_id);
}

static int event_text(void *arg, const awc_event *ev)
{
    show_ctx *x = arg;
    char who[3 * AWC_CODE_MAX + 32];

    actor_text(who, sizeof(who), ev);
    x->rc = awc_out_printf(x->c, "  %.19s  %-9s %-14s -> %-14s v%lld  %s%s%s\n", ev->at,
                           awc_event_name(ev->kind), awc_state_name(ev->from),
                           awc_state_name(ev->to), (long long)ev->to_version, who,
                           ev->note[0] ? "  " : "", ev->note);
    return x->rc;
}

static int event_json(void *arg, const awc_event *ev)
{
    show_ctx *x = arg;
    json_t *e = json_object(), *actor = json_object();
    int bad;

    bad = awc_json_set(e, "at", json_string(ev->at)) |
          awc_json_set(e, "kind", json_string(awc_event_name(ev->kind))) |
          awc_json_set(e, "from", json_string(awc_state_name(ev->from))) |
          awc_json_set(e, "to", json_string(awc_state_name(ev->to))) |
          awc_json_set(e, "from_version", json_integer(ev->from_version)) |
          awc_json_set(e, "to_version", json_integer(ev->to_version)) |
          awc_json_set(actor, "role", json_string(ev->actor_role == AWC_ROLE_DISTRIBUTOR
                                                      ? "distributor"
                                                  : ev->actor_role == AWC_ROLE_RESELLER
                                                      ? "reseller" : "viewer")) |
          awc_json_set(actor, "id", json_string(ev->actor_id)) |
          awc_json_set(actor, "reseller_id", awc_json_str_or_null(ev->actor_reseller)) |
          awc_json_set(e, "actor", actor) |
          awc_json_set(e, "note", awc_json_str_or_null(ev->note));
    if (!bad && ev->detail[0]) {
        json_t *d = json_loads(ev->detail, 0, NULL);
        bad |= awc_json_set(e, "detail", d ? d : json_string(ev->detail));
    }
    if (bad || json_array_append_new(x->events, e) != 0) {
        x->rc = awc_error_set(AWC_ENOMEM, "out of memory");
        return x->rc;
    }
    return 0;
}

/* The invoiceable amount in minor units as text, or "" for an unknown
 * currency. */
static void invoiceable(char *buf, size_t n, const awc_credit *cr)
{
    int e = awc_currency_exponent(cr->currency);
    int64_t minor;

    buf[0] = '\0';
    if (e >= 0 && awc_money_to_minor(&minor, cr->amount, e) == 0)
        awc_money_format_minor(buf, n, minor, e);
}

static int show_text(const awc_call *c, awc_store *st, const char *id, const char *prefix,
                     const awc_credit *cr)
{
    char amount[AWC_MONEY_BUFSZ], inv[AWC_MONEY_BUFSZ], adj[AWC_CREDIT_ID_BUFSZ] = "";
    show_ctx x = { c, NULL, 0 };
    int rc;

    awc_money_format(amount, sizeof(amount), cr->amount);
    invoiceable(inv, sizeof(inv), cr);
    if (cr->adjusts)
        awc_credit_id_format(adj, sizeof(adj), prefix, cr->adjusts);
    rc = awc_out_printf(c,
        "Credit        %s\n"
        "Status        %s (version %lld)%s\n"
        "Period        %s\n"
        "Amount        %s %s (invoiceable %s)\n"
        "Type          %s\n"
        "Description   %s\n"
        "Credit key    %s\n"
        "Payer         %s\n"
        "Account       %s\n"
        "Product       %s\n"
        "Issued        %s (usage %s .. %s, %lld line%s)\n"
        "Owner         customer %s, asset %s, reseller %s\n"
        "Rule          %s\n"
        "Usage file    %s (processed %s)\n"
        "Created       %.19s UTC, updated %.19s UTC\n",
        id, awc_state_name(cr->state), (long long)cr->version,
        cr->unmapped ? ", unmapped: no owner for the account" : "", cr->period, amount,
        cr->currency, inv[0] ? inv : "-", or_dash(cr->credit_type), or_dash(cr->description),
        or_dash(cr->credit_key), cr->payer_account_id, cr->usage_account_id,
        or_dash(cr->product_code), or_dash(cr->issue_date), or_dash(cr->first_usage),
        or_dash(cr->last_usage), (long long)cr->line_count, cr->line_count == 1 ? "" : "s",
        or_dash(cr->customer_id), or_dash(cr->asset_id), or_dash(cr->reseller_id),
        or_dash(cr->rule_id), or_dash(cr->usage_file_id), or_dash(cr->processing_date),
        cr->created_at, cr->updated_at);
    if (rc == 0 && cr->adjusts)
        rc = awc_out_printf(c, "Adjusts       %s (revision %d)\n", adj, cr->revision);
    if (rc == 0)
        rc = awc_out_printf(c, "History\n");
    if (rc == 0)
        rc = st->ops->events_each(st, cr->seq, event_text, &x);
    return rc ? rc : x.rc;
}

static int show_json(const awc_call *c, awc_store *st, const char *id, const char *prefix,
                     const awc_credit *cr)
{
    char amount[AWC_MONEY_BUFSZ], inv[AWC_MONEY_BUFSZ], adj[AWC_CREDIT_ID_BUFSZ] = "";
    json_t *doc = json_object();
    show_ctx x = { c, json_array(), 0 };
    int bad, rc;

    awc_money_format(amount, sizeof(amount), cr->amount);
    invoiceable(inv, sizeof(inv), cr);
    if (cr->adjusts)
        awc_credit_id_format(adj, sizeof(adj), prefix, cr->adjusts);
    bad = awc_json_set(doc, "credit_id", json_string(id)) |
          awc_json_set(doc, "status", json_string(awc_state_name(cr->state))) |
          awc_json_set(doc, "version", json_integer(cr->version)) |
          awc_json_set(doc, "period", json_string(cr->period)) |
          awc_json_set(doc, "amount", json_string(amount)) |
          awc_json_set(doc, "currency", json_string(cr->currency)) |
          awc_json_set(doc, "invoiceable_amount", awc_json_str_or_null(inv)) |
          awc_json_set(doc, "credit_type", json_string(cr->credit_type)) |
          awc_json_set(doc, "description", json_string(cr->description)) |
          awc_json_set(doc, "credit_key", json_string(cr->credit_key)) |
          awc_json_set(doc, "payer_account_id", json_string(cr->payer_account_id)) |
          awc_json_set(doc, "usage_account_id", json_string(cr->usage_account_id)) |
          awc_json_set(doc, "product_code", json_string(cr->product_code)) |
          awc_json_set(doc, "billing_entity", awc_json_str_or_null(cr->billing_entity)) |
          awc_json_set(doc, "legal_entity", awc_json_str_or_null(cr->legal_entity)) |
          awc_json_set(doc, "invoice_id", awc_json_str_or_null(cr->invoice_id)) |
          awc_json_set(doc, "issue_date", awc_json_str_or_null(cr->issue_date)) |
          awc_json_set(doc, "first_usage", awc_json_str_or_null(cr->first_usage)) |
          awc_json_set(doc, "last_usage", awc_json_str_or_null(cr->last_usage)) |
          awc_json_set(doc, "line_count", json_integer(cr->line_count)) |
          awc_json_set(doc, "unmapped", json_boolean(cr->unmapped)) |
          awc_json_set(doc, "customer_id", awc_json_str_or_null(cr->customer_id)) |
          awc_json_set(doc, "asset_id", awc_json_str_or_null(cr->asset_id)) |
          awc_json_set(doc, "reseller_id", awc_json_str_or_null(cr->reseller_id)) |
          awc_json_set(doc, "rule_id", awc_json_str_or_null(cr->rule_id)) |
          awc_json_set(doc, "usage_file_id", awc_json_str_or_null(cr->usage_file_id)) |
          awc_json_set(doc, "processing_date", awc_json_str_or_null(cr->processing_date)) |
          awc_json_set(doc, "adjusts", awc_json_str_or_null(adj)) |
          awc_json_set(doc, "revision", json_integer(cr->revision)) |
          awc_json_set(doc, "created_at", json_string(cr->created_at)) |
          awc_json_set(doc, "updated_at", json_string(cr->updated_at));
    if (bad || !x.events) {
        json_decref(x.events);
        json_decref(doc);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    rc = st->ops->events_each(st, cr->seq, event_json, &x);
    if (rc == 0)
        rc = x.rc;
    if (rc == 0 && awc_json_set(doc, "events", x.events) != 0)
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
    else if (rc != 0)
        json_decref(x.events);
    if (rc == 0)
        rc = awc_out_json(c, doc);
    json_decref(doc);
    return rc;
}

int awc_op_show(awc_module *m, const awc_call *c, const char *credit_id)
{
    char id[AWC_CREDIT_ID_BUFSZ];
    awc_credit *cr = NULL;
    awc_store *st;
    uint64_t seq;
    int rc;

    awc_op_begin();
    if (!credit_id || !*credit_id)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "show: a credit ID is required"));
    if ((rc = awc_credit_id_parse(&seq, credit_id, m->cfg.ids.prefix)) != 0)
        return awc_op_end(c, rc);
    awc_credit_id_format(id, sizeof(id), m->cfg.ids.prefix, seq);
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    if (!(cr = awc_malloc(sizeof(*cr))))
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    rc = awc_credit_load(st, c->actor, seq, cr);
    if (rc == AWC_ENOTFOUND)
        rc = awc_error_set(AWC_ENOTFOUND, "credit %s not found", id);
    else if (rc == 0 && c->format == AWC_FORMAT_JSON)
        rc = show_json(c, st, id, m->cfg.ids.prefix, cr);
    else if (rc == 0)
        rc = show_text(c, st, id, m->cfg.ids.prefix, cr);
    awc_free(cr);
    return awc_op_end(c, rc);
}
