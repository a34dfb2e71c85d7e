/* op_explain.c -- `explain ID`: every candidate rule, whether it matched,
 * and at which precedence step it won or lost; the default and unmapped
 * cases explained too (SPEC 7).  A reseller admin sees the rules that can
 * apply to its own customers: a rule that does not match and whose
 * reseller context leaves its reseller out is counted, not shown (rules
 * are the distributor's, and such a rule is about someone else).  A rule
 * that matches is always shown: it is about this credit (whose owner may
 * have moved to another reseller since it was assigned). */
#include <stdio.h>
#include <string.h>

#include "assign.h"
#include "credit.h"
#include "credit_id.h"
#include "mod.h"
#include "out.h"
#include "ruleload.h"

typedef struct explain_ctx {
    const awc_call *c;
    json_t *rules;
    int rc;
    size_t matched;
    const char *reseller;          /* a reseller admin's reseller: other rules hidden */
    int counting;                  /* only count the rules shown and hidden */
    size_t shown, hidden;
} explain_ctx;

static int on_verdict(void *arg, const awc_rule_verdict *v)
{
    explain_ctx *x = arg;
    const char *outcome;
    char why[160];

    if (x->reseller && !v->matched && !awc_ctx_admits(&v->rule->resellers, x->reseller)) {
        x->hidden += x->counting;
        return 0;
    }
    if (x->counting) {
        x->shown++;
        return 0;
    }

    if (!v->matched)
        outcome = "no match";
    else if (v->winner)
        outcome = "WINS";
    else
        outcome = "matched";
    if (v->matched)
        x->matched++;
    if (!v->matched)
        snprintf(why, sizeof(why), "%s", v->why_not ? v->why_not : "");
    else if (v->winner)
        snprintf(why, sizeof(why), "the most appropriate rule");
    else
        snprintf(why, sizeof(why), "lost at step %d (%s)", v->lost_at_step,
                 awc_rule_step_name(v->lost_at_step));
    if (x->rules) {
        json_t *o = json_object();
        int bad = awc_json_set(o, "rule_id", json_string(v->rule->id)) |
                  awc_json_set(o, "name", json_string(v->rule->name ? v->rule->name : "")) |
                  awc_json_set(o, "matched", json_boolean(v->matched)) |
                  awc_json_set(o, "winner", json_boolean(v->winner)) |
                  awc_json_set(o, "lost_at_step", v->matched && !v->winner
                                                      ? json_integer(v->lost_at_step)
                                                      : json_null()) |
                  awc_json_set(o, "reason", json_string(why));
        if (bad || json_array_append_new(x->rules, o) != 0)
            return x->rc = awc_error_set(AWC_ENOMEM, "out of memory");
        return 0;
    }
    x->rc = awc_out_printf(x->c, "  %-8s %-24s %s\n", outcome, v->rule->id, why);
    return x->rc;
}

typedef struct ex_state {
    awc_credit cr;
    char id[AWC_CREDIT_ID_BUFSZ];
    char owner_buf[1024];
    awc_account_row owner;
    awc_split_line lines[AWC_SPEC_MAX + 2];
    size_t nlines;
    int e;                         /* the currency's minor unit */
} ex_state;

/* The split the winning rule, or else the default, gives this credit: its
 * lines in percent and in amounts (SPEC 17).  0 with nlines 0 when nothing
 * applies; a split that cannot be worked out (an unknown currency, say) is
 * left out, not an error: explain says why a rule applies, assign decides. */
static int split_of(awc_module *m, ex_state *s, const awc_rule *win)
{
    awc_split_spec spec;
    awc_owner owner;
    int64_t total;

    s->nlines = 0;
    if (win)
        awc_splitspec_from_rule(&spec, win);
    else if (!m->cfg.assign.default_split ||
             awc_splitspec_parse_percent(&spec, m->cfg.assign.default_split) != 0)
        return 0;
    if (awc_invoiceable(&total, &s->e, s->cr.amount, s->cr.currency) != 0)
        return 0;
    memset(&owner, 0, sizeof(owner));
    owner.customer_id = s->owner.customer_id;
    owner.asset_id = s->owner.asset_id;
    owner.reseller_id = s->owner.reseller_id;
    if (awc_assign_lines(s->lines, sizeof(s->lines) / sizeof(s->lines[0]), &s->nlines, total,
                         &spec, &owner) != 0)
        s->nlines = 0;
    return 0;
}

static json_t *split_json(const ex_state *s)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < s->nlines; i++) {
        const awc_split_line *l = &s->lines[i];
        char amt[AWC_MONEY_BUFSZ];
        json_t *o = json_object();
        awc_money_format_minor(amt, sizeof(amt), l->amount_minor, s->e);
        if (awc_json_set(o, "target", json_string(awc_line_target(l))) |
            awc_json_set(o, "party", json_string(awc_line_who(l))) |
            awc_json_set(o, "percent_bp", l->bp >= 0 ? json_integer(l->bp) : json_null()) |
            awc_json_set(o, "amount", json_string(amt)) || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int split_text(const awc_call *c, const ex_state *s)
{
    int rc = awc_out_printf(c, "Split it gives:");

    for (size_t i = 0; rc == 0 && i < s->nlines; i++) {
        const awc_split_line *l = &s->lines[i];
        char amt[AWC_MONEY_BUFSZ], pct[16] = "";
        awc_money_format_minor(amt, sizeof(amt), l->amount_minor, s->e);
        if (l->bp >= 0)
            snprintf(pct, sizeof(pct), " %d.%02d %%", l->bp / 100, l->bp % 100);
        rc = awc_out_printf(c, "%s %s %s%s %s %s", i ? "," : "", awc_line_target(l),
                            awc_line_who(l), pct, amt, s->cr.currency);
    }
    return rc ? rc : awc_out_printf(c, "\n");
}

static int explain(awc_module *m, const awc_call *c, const char *credit_id, ex_state *s)
{
    awc_ruleset *rs = NULL;
    const awc_rule *win = NULL;
    explain_ctx x = { c, NULL, 0, 0, NULL, 0, 0, 0 };
    char first_day[11], outcome[256];
    const char *account;
    awc_store *st;
    uint64_t seq;
    int have_owner, rc;

    if (!credit_id || !*credit_id)
        return awc_error_set(AWC_EUSAGE, "explain: a credit ID is required");
    if ((rc = awc_credit_id_parse(&seq, credit_id, m->cfg.ids.prefix)) != 0)
        return rc;
    awc_credit_id_format(s->id, sizeof(s->id), m->cfg.ids.prefix, seq);
    if ((rc = awc_mod_store(m, &st)) != 0)
        return rc;
    rc = awc_credit_load(st, c->actor, seq, &s->cr);
    if (rc == AWC_ENOTFOUND)
        return awc_error_set(AWC_ENOTFOUND, "credit %s not found", s->id);
    if (rc != 0)
        return rc;
    snprintf(first_day, sizeof(first_day), "%.7s-01", s->cr.period);
    account = s->cr.owner_account_id[0] ? s->cr.owner_account_id : s->cr.usage_account_id;
    rc = st->ops->account_owner(st, account, first_day, &s->owner, s->owner_buf,
                                sizeof(s->owner_buf));
    if (rc != 0 && rc != AWC_ENOTFOUND)
        return rc;
    have_owner = rc == 0;
    if ((rc = awc_ruleset_load(&rs, st)) != 0)
        return rc;
    awc_rule_input in = { s->cr.description, s->cr.period,
                          have_owner ? s->owner.customer_id : "",
                          have_owner ? s->owner.reseller_id : "", s->cr.product_code,
                          s->cr.credit_type, account };
    if (rs)
        win = awc_ruleset_choose(rs, &in);
    if (c->actor->role == AWC_ROLE_RESELLER)
        x.reseller = c->actor->reseller_id ? c->actor->reseller_id : "";
    if (rs) { /* how many are shown, and how many are not */
        x.counting = 1;
        rc = awc_ruleset_explain(rs, &in, on_verdict, &x);
        x.counting = 0;
        if (rc != 0)
            goto out;
    }
    if (have_owner && (rc = split_of(m, s, win)) != 0)
        goto out;
    if (!have_owner)
        snprintf(outcome, sizeof(outcome), "unmapped: account %s has no owner on %s, so the "
                 "credit stays PENDING_ASSIGN until the accounts map covers it", account,
                 first_day);
    else if (win)
        snprintf(outcome, sizeof(outcome), "rule %s applies", win->id);
    else if (m->cfg.assign.default_split)
        snprintf(outcome, sizeof(outcome), "no rule matches: the default configuration "
                 "(assign.default = %s) applies", m->cfg.assign.default_split);
    else
        snprintf(outcome, sizeof(outcome), "no rule matches and no default is configured: "
                 "the credit stays PENDING_ASSIGN");
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        x.rules = json_array();
        if (rs)
            rc = awc_ruleset_explain(rs, &in, on_verdict, &x);
        if (rc == 0)
            rc = x.rc;
        int bad = awc_json_set(doc, "credit_id", json_string(s->id)) |
                  awc_json_set(doc, "status", json_string(awc_state_name(s->cr.state))) |
                  awc_json_set(doc, "account", json_string(account)) |
                  awc_json_set(doc, "customer_id", have_owner ? json_string(s->owner.customer_id)
                                                              : json_null()) |
                  awc_json_set(doc, "reseller_id", have_owner ? json_string(s->owner.reseller_id)
                                                              : json_null()) |
                  awc_json_set(doc, "rule_id", win ? json_string(win->id) : json_null()) |
                  awc_json_set(doc, "default", (!win && have_owner && m->cfg.assign.default_split)
                                               ? json_string(m->cfg.assign.default_split)
                                               : json_null()) |
                  awc_json_set(doc, "unmapped", json_boolean(!have_owner)) |
                  awc_json_set(doc, "outcome", json_string(outcome)) |
                  awc_json_set(doc, "split", s->nlines ? split_json(s) : json_array()) |
                  awc_json_set(doc, "candidates", x.rules) |
                  awc_json_set(doc, "rules_not_shown", json_integer((json_int_t)x.hidden));
        if (rc == 0)
            rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else {
        /* on one line whatever it holds */
        char desc[sizeof(s->cr.description) * 2];
        awc_out_field(desc, sizeof(desc), s->cr.description);
        rc = awc_out_printf(c, "%s  %s  %s %s  account %s  customer %s  reseller %s\n"
                            "  description: %s\n  type %s, service %s\n",
                            s->id, awc_state_name(s->cr.state), s->cr.period, s->cr.currency,
                            account, have_owner ? s->owner.customer_id : "-",
                            have_owner ? s->owner.reseller_id : "-", desc,
                            s->cr.credit_type, s->cr.product_code);
        if (rc == 0)
            rc = awc_out_printf(c, "Candidates (%zu rule%s, precedence: description, customer, "
                                "reseller, service, newest created, smallest id)\n",
                                x.shown, x.shown == 1 ? "" : "s");
        if (rc == 0 && rs)
            rc = awc_ruleset_explain(rs, &in, on_verdict, &x);
        if (rc == 0)
            rc = x.rc;
        if (rc == 0 && x.hidden)
            rc = awc_out_printf(c, "  (%zu rule%s for other resellers not shown)\n", x.hidden,
                                x.hidden == 1 ? "" : "s");
        if (rc == 0)
            rc = awc_out_printf(c, "Outcome: %s\n", outcome);
        if (rc == 0 && s->nlines)
            rc = split_text(c, s);
        if (rc == 0 && s->cr.state != AWC_PENDING_ASSIGN && s->cr.rule_id[0])
            rc = awc_out_printf(c, "Recorded assignment: %s\n", s->cr.rule_id);
    }
out:
    awc_ruleset_free(rs);
    return rc;
}

int awc_op_explain(awc_module *m, const awc_call *c, const char *credit_id)
{
    ex_state *s = awc_calloc(1, sizeof(*s));
    int rc;

    awc_op_begin();
    if (!s)
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    rc = explain(m, c, credit_id, s);
    awc_free(s);
    return awc_op_end(c, rc);
}
