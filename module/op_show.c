/* op_show.c -- `show ID`: one credit and its full history. */
#include <string.h>

#include "assign.h"
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
        snprintf(buf, n, "%s:%s:%s%s%s%s", role, ev->actor_reseller, ev->actor_id,
                 ev->actor_via[0] ? " (via " : "", ev->actor_via, ev->actor_via[0] ? ")" : "");
    else
        snprintf(buf, n, "%s:%s%s%s%s", role, ev->actor_id, ev->actor_via[0] ? " (via " : "",
                 ev->actor_via, ev->actor_via[0] ? ")" : "");
}

static int event_text(void *arg, const awc_event *ev)
{
    show_ctx *x = arg;
    char who[5 * AWC_CODE_MAX + 48], note[sizeof(ev->note) * 2];

    actor_text(who, sizeof(who), ev);
    awc_out_field(note, sizeof(note), ev->note);
    x->rc = awc_out_printf(x->c, "  %.19s  %-9s %-14s -> %-14s v%lld  %s%s%s\n", ev->at,
                           awc_event_name(ev->kind), awc_state_name(ev->from),
                           awc_state_name(ev->to), (long long)ev->to_version, who,
                           note[0] ? "  " : "", note);
    return x->rc;
}

/* The store's "2026-01-31 12:34:56.123456" (UTC) as ISO 8601 with its
 * fraction and 'Z', as every time in JSON is: "2026-01-31T12:34:56.123456Z". */
static json_t *iso_time(const char *stored)
{
    char out[40];
    size_t n = strlen(stored);

    if (n < 19 || n > 30 || stored[10] != ' ')
        return json_string(stored);
    memcpy(out, stored, n);
    out[10] = 'T';
    out[n] = 'Z';
    out[n + 1] = '\0';
    return json_string(out);
}

static int event_json(void *arg, const awc_event *ev)
{
    show_ctx *x = arg;
    json_t *e = json_object(), *actor = json_object();
    int bad;

    bad = awc_json_set(e, "at", iso_time(ev->at)) |
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
          awc_json_set(actor, "via", awc_json_str_or_null(ev->actor_via)) |
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

/* The credit's split lines and, when AWS's Billing API described it, its
 * grant (issued, remaining, expiry). */
typedef struct extra {
    awc_split_line lines[16];
    size_t nlines;
    const char *credit_key;
    int have_grant;
    awc_grant grant;
    char grant_desc[256], grant_products[512];
    /* the grants it draws from today (SPEC 16), and what none covers */
    awc_module *m;
    struct {
        char grant_id[AWC_GRANT_ID_MAX * 4 + 1];
        awc_amount take;
        const char *status;
    } drawn[8];
    size_t ndrawn;
    awc_amount unmatched;
} extra;

static int on_drawn(void *arg, const char *grant_id, awc_amount take, const char *status)
{
    extra *e = arg;
    if (e->ndrawn < sizeof(e->drawn) / sizeof(e->drawn[0])) {
        snprintf(e->drawn[e->ndrawn].grant_id, sizeof(e->drawn[0].grant_id), "%s", grant_id);
        e->drawn[e->ndrawn].take = take;
        e->drawn[e->ndrawn++].status = status;
    }
    return 0;
}

static int on_line(void *arg, const awc_split_line *l)
{
    extra *e = arg;
    if (e->nlines < sizeof(e->lines) / sizeof(e->lines[0]))
        e->lines[e->nlines++] = *l;
    return 0;
}

static int on_grant(void *arg, const awc_grant *g)
{
    extra *e = arg;
    if (strcmp(g->credit_id, e->credit_key) != 0)
        return 0;
    e->grant = *g;
    snprintf(e->grant_desc, sizeof(e->grant_desc), "%s", g->description);
    snprintf(e->grant_products, sizeof(e->grant_products), "%s", g->products);
    e->grant.description = e->grant_desc;
    e->grant.products = e->grant_products;
    e->grant.status = "";
    e->have_grant = 1;
    return 1; /* found: stop */
}

static int load_extra(awc_store *st, const awc_credit *cr, extra *e)
{
    int rc, digits = cr->credit_key[0] != '\0';
    awc_module *m = e->m;

    memset(e, 0, sizeof(*e));
    e->m = m;
    e->credit_key = cr->credit_key;
    if ((rc = st->ops->splits_of(st, cr->seq, on_line, e)) != 0)
        return rc;
    if (m && cr->amount < 0 &&
        (rc = awc_grants_drawn(m, st, cr, on_drawn, e, &e->unmatched)) != 0)
        return rc;
    for (const char *p = cr->credit_key; *p; p++)
        digits &= *p >= '0' && *p <= '9';
    return digits ? st->ops->grants_each(st, NULL, on_grant, e) : 0;
}

/* What keeps a pending credit out of assignment, for the status line. */
static const char *flag_text(int flag)
{
    switch (flag) {
    case AWC_FLAG_UNMAPPED: return ", unmapped: no owner for the account";
    case AWC_FLAG_HELD: return ", held: it cannot be assigned (the history says why)";
    case AWC_FLAG_EXCLUDED: return ", excluded by a distributor (the history says why)";
    default: return "";
    }
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
                     const awc_credit *cr, extra *ex)
{
    char amount[AWC_MONEY_BUFSZ], inv[AWC_MONEY_BUFSZ], adj[AWC_CREDIT_ID_BUFSZ] = "";
    /* data shown on one line each, control characters escaped */
    char desc[sizeof(cr->description) * 2], key[sizeof(cr->credit_key) * 2];
    char product[sizeof(cr->product_code) * 2];
    show_ctx x = { c, NULL, 0 };
    int rc;

    awc_out_field(desc, sizeof(desc), cr->description);
    awc_out_field(key, sizeof(key), cr->credit_key);
    awc_out_field(product, sizeof(product), cr->product_code);

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
        "Account       %s%s%s\n"
        "Product       %s\n"
        "Issued        %s (usage %s .. %s, %lld line%s)\n"
        "Owner         customer %s, asset %s, reseller %s\n"
        "Rule          %s\n"
        "Usage file    %s (handed over %s)\n"
        "Created       %.19s UTC, updated %.19s UTC\n",
        id, awc_state_name(cr->state), (long long)cr->version,
        flag_text(cr->flag), cr->period, amount,
        cr->currency, inv[0] ? inv : "-", or_dash(cr->credit_type), or_dash(desc),
        or_dash(key), cr->payer_account_id, cr->usage_account_id,
        cr->owner_account_id[0] ? ", reassigned to the owner of " : "", cr->owner_account_id,
        or_dash(product), or_dash(cr->issue_date), or_dash(cr->first_usage),
        or_dash(cr->last_usage), (long long)cr->line_count, cr->line_count == 1 ? "" : "s",
        or_dash(cr->customer_id), or_dash(cr->asset_id), or_dash(cr->reseller_id),
        or_dash(cr->rule_id), or_dash(cr->usage_file_id), or_dash(cr->processing_date),
        cr->created_at, cr->updated_at);
    if (rc == 0 && cr->adjusts)
        rc = awc_out_printf(c, "Adjusts       %s (revision %d)\n", adj, cr->revision);
    if (rc == 0 && (rc = load_extra(st, cr, ex)) == 0 && ex->nlines) {
        int e = awc_currency_exponent(cr->currency);
        rc = awc_out_printf(c, "Splits\n");
        for (size_t i = 0; rc == 0 && i < ex->nlines; i++) {
            const awc_split_line *l = &ex->lines[i];
            char amt[AWC_MONEY_BUFSZ], pct[16] = "";
            awc_money_format_minor(amt, sizeof(amt), l->amount_minor, e < 0 ? 2 : e);
            if (l->bp >= 0)
                snprintf(pct, sizeof(pct), "%d.%02d %%", l->bp / 100, l->bp % 100);
            rc = awc_out_printf(c, "  %d  %-9s %-20s %9s %16s %s  %s\n", l->line_no,
                                awc_line_target(l), awc_line_who(l), pct, amt, cr->currency,
                                l->record_id[0] ? l->record_id : "");
        }
    }
    if (rc == 0 && ex->have_grant) {
        char init[AWC_MONEY_BUFSZ], rem[AWC_MONEY_BUFSZ];
        awc_money_format(init, sizeof(init), ex->grant.initial_amount);
        awc_money_format(rem, sizeof(rem), ex->grant.remaining_amount);
        rc = awc_out_printf(c, "AWS grant     %s issued %s, remaining %s %s, expires %s\n",
                            ex->grant.credit_type, init, rem, ex->grant.currency,
                            ex->grant.expiry_date[0] ? ex->grant.expiry_date : "never");
    }
    for (size_t i = 0; rc == 0 && i < ex->ndrawn; i++) {
        char take[AWC_MONEY_BUFSZ], gid[sizeof(ex->drawn[0].grant_id) * 2];
        awc_money_format(take, sizeof(take), ex->drawn[i].take);
        awc_out_field(gid, sizeof(gid), ex->drawn[i].grant_id);
        rc = awc_out_printf(c, "%s%s %s %s (%s)\n", i ? "              " : "Drawn from    ",
                            gid, take, cr->currency, ex->drawn[i].status);
    }
    if (rc == 0 && ex->unmatched > 0) {
        char un[AWC_MONEY_BUFSZ];
        awc_money_format(un, sizeof(un), ex->unmatched);
        rc = awc_out_printf(c, "Unmatched     %s %s: no grant covers it\n", un, cr->currency);
    }
    if (rc == 0)
        rc = awc_out_printf(c, "History\n");
    if (rc == 0)
        rc = st->ops->events_each(st, cr->seq, event_text, &x);
    return rc ? rc : x.rc;
}

/* The names the accounts map gives the credit's customer and reseller. */
typedef struct names {
    char customer[1025], reseller[1025];
} names;

static int grab_names(void *arg, const awc_credit_row *r)
{
    names *n = arg;
    snprintf(n->customer, sizeof(n->customer), "%s", r->customer_name);
    snprintf(n->reseller, sizeof(n->reseller), "%s", r->reseller_name);
    return 0;
}

static int names_of(awc_store *st, uint64_t seq, names *n)
{
    awc_query q;

    memset(&q, 0, sizeof(q));
    n->customer[0] = n->reseller[0] = '\0';
    q.seq = seq;
    q.with_names = 1;
    q.limit = 1;
    return st->ops->credits_query(st, &q, grab_names, n);
}

static int show_json(const awc_call *c, awc_store *st, const char *id, const char *prefix,
                     const awc_credit *cr, extra *ex)
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
          awc_json_set(doc, "unmapped", json_boolean(cr->flag == AWC_FLAG_UNMAPPED)) |
          awc_json_set(doc, "held", json_boolean(cr->flag == AWC_FLAG_HELD)) |
          awc_json_set(doc, "excluded", json_boolean(cr->flag == AWC_FLAG_EXCLUDED)) |
          awc_json_set(doc, "customer_id", awc_json_str_or_null(cr->customer_id)) |
          awc_json_set(doc, "asset_id", awc_json_str_or_null(cr->asset_id)) |
          awc_json_set(doc, "reseller_id", awc_json_str_or_null(cr->reseller_id)) |
          awc_json_set(doc, "rule_id", awc_json_str_or_null(cr->rule_id)) |
          awc_json_set(doc, "usage_file_id", awc_json_str_or_null(cr->usage_file_id)) |
          awc_json_set(doc, "processing_date", awc_json_str_or_null(cr->processing_date)) |
          awc_json_set(doc, "adjusts", awc_json_str_or_null(adj)) |
          awc_json_set(doc, "revision", json_integer(cr->revision)) |
          awc_json_set(doc, "created_at", iso_time(cr->created_at)) |
          awc_json_set(doc, "updated_at", iso_time(cr->updated_at));
    if (bad || !x.events) {
        json_decref(x.events);
        json_decref(doc);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    rc = load_extra(st, cr, ex);
    if (rc == 0) {
        names *n = awc_malloc(sizeof(*n));
        if (!n || (rc = names_of(st, cr->seq, n)) != 0 ||
            awc_json_set(doc, "customer_name", awc_json_str_or_null(n->customer)) |
                awc_json_set(doc, "reseller_name", awc_json_str_or_null(n->reseller)))
            rc = rc ? rc : awc_error_set(AWC_ENOMEM, "out of memory");
        awc_free(n);
    }
    if (rc == 0) {
        json_t *lines = json_array(), *grant = json_null();
        int e = awc_currency_exponent(cr->currency), b = 0;
        for (size_t i = 0; i < ex->nlines; i++) {
            const awc_split_line *l = &ex->lines[i];
            char amt[AWC_MONEY_BUFSZ];
            json_t *o = json_object();
            awc_money_format_minor(amt, sizeof(amt), l->amount_minor, e < 0 ? 2 : e);
            b |= awc_json_set(o, "line", json_integer(l->line_no)) |
                 awc_json_set(o, "target", json_string(awc_line_target(l))) |
                 awc_json_set(o, "party", json_string(awc_line_who(l))) |
                 awc_json_set(o, "percent_bp", l->bp >= 0 ? json_integer(l->bp) : json_null()) |
                 awc_json_set(o, "amount", json_string(amt)) |
                 awc_json_set(o, "record_id", awc_json_str_or_null(l->record_id));
            b |= json_array_append_new(lines, o);
        }
        if (ex->have_grant) {
            char init[AWC_MONEY_BUFSZ], rem[AWC_MONEY_BUFSZ];
            awc_money_format(init, sizeof(init), ex->grant.initial_amount);
            awc_money_format(rem, sizeof(rem), ex->grant.remaining_amount);
            grant = json_object();
            b |= awc_json_set(grant, "credit_type", json_string(ex->grant.credit_type)) |
                 awc_json_set(grant, "initial_amount", json_string(init)) |
                 awc_json_set(grant, "remaining_amount", json_string(rem)) |
                 awc_json_set(grant, "currency", json_string(ex->grant.currency)) |
                 awc_json_set(grant, "expiry_date", awc_json_str_or_null(ex->grant.expiry_date));
        }
        json_t *drawn = json_array();
        for (size_t i = 0; i < ex->ndrawn; i++) {
            char take[AWC_MONEY_BUFSZ];
            json_t *o = json_object();
            awc_money_format(take, sizeof(take), ex->drawn[i].take);
            b |= awc_json_set(o, "grant_id", json_string(ex->drawn[i].grant_id)) |
                 awc_json_set(o, "amount", json_string(take)) |
                 awc_json_set(o, "status", json_string(ex->drawn[i].status));
            b |= json_array_append_new(drawn, o);
        }
        char un[AWC_MONEY_BUFSZ];
        awc_money_format(un, sizeof(un), ex->unmatched);
        b |= awc_json_set(doc, "splits", lines) | awc_json_set(doc, "grant", grant) |
             awc_json_set(doc, "drawn_from", drawn) |
             awc_json_set(doc, "unmatched", json_string(un));
        if (b)
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = st->ops->events_each(st, cr->seq, event_json, &x);
    if (rc == 0)
        rc = x.rc;
    if (rc == 0) {
        /* the reference note: the latest one given with edit --note */
        json_t *note = json_null();
        for (size_t i = json_array_size(x.events); i-- > 0;) {
            json_t *e = json_array_get(x.events, i), *n = json_object_get(e, "note");
            const char *k = json_string_value(json_object_get(e, "kind"));
            if (k && (!strcmp(k, "edit") || !strcmp(k, "note")) && json_string_length(n)) {
                note = json_incref(n);
                break;
            }
        }
        if (awc_json_set(doc, "note", note) != 0)
            rc = awc_error_set(AWC_ENOMEM, "out of memory");
    }
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
    extra *ex = NULL;
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
    if (!(cr = awc_malloc(sizeof(*cr))) || !(ex = awc_malloc(sizeof(*ex)))) {
        awc_free(cr);
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    }
    memset(ex, 0, sizeof(*ex));
    ex->m = m;
    rc = awc_credit_load(st, c->actor, seq, cr);
    if (rc == AWC_ENOTFOUND)
        rc = awc_error_set(AWC_ENOTFOUND, "credit %s not found", id);
    else if (rc == 0 && c->format == AWC_FORMAT_JSON)
        rc = show_json(c, st, id, m->cfg.ids.prefix, cr, ex);
    else if (rc == 0)
        rc = show_text(c, st, id, m->cfg.ids.prefix, cr, ex);
    awc_free(cr);
    awc_free(ex);
    return awc_op_end(c, rc);
}
