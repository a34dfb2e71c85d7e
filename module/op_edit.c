/* op_edit.c -- `edit ID` and `unassign ID`: manual changes by an admin,
 * refused in read-only states, on a stale version, or when amounts do not
 * fit the credit (SPEC 6, 7). */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "assign.h"
#include "credit.h"
#include "credit_id.h"
#include "mod.h"
#include "out.h"
#include "ruleload.h"

typedef struct lines_buf {
    awc_split_line l[AWC_SPEC_MAX + 1];
    size_t n;
} lines_buf;

static int collect(void *arg, const awc_split_line *l)
{
    lines_buf *b = arg;
    if (b->n < AWC_SPEC_MAX + 1)
        b->l[b->n++] = *l;
    return 0;
}

/* The current lines as a spec: their percentages, or their amounts when the
 * credit was split by amount; -1 when there are none, or they mix. */
static int spec_from_lines(awc_split_spec *spec, const lines_buf *b)
{
    int percent = 0, amounts = 0;

    memset(spec, 0, sizeof(*spec));
    for (size_t i = 0; i < b->n; i++) {
        if (b->l[i].kind == AWC_SPLIT_RETAINED)
            continue;
        if (spec->n == AWC_SPEC_MAX)
            return -1;
        /* lines by percentage keep their percentages; lines by amount (an
         * edit --amounts) keep their amounts */
        if (b->l[i].bp < 0)
            amounts = 1;
        else
            percent = 1;
        spec->t[spec->n].kind = b->l[i].kind;
        snprintf(spec->t[spec->n].party_id, sizeof(spec->t[spec->n].party_id), "%s",
                 b->l[i].party_id);
        spec->t[spec->n].bp = b->l[i].bp;
        spec->t[spec->n].minor = b->l[i].amount_minor;
        spec->n++;
    }
    spec->amounts = amounts;
    return spec->n && !(percent && amounts) ? 0 : -1;
}

typedef struct edit_state {
    awc_credit cr;
    lines_buf before, after;
    lines_buf rule;                /* a pending credit's lines by rule or default */
    char id[AWC_CREDIT_ID_BUFSZ];
    char owner_buf[1024];
    awc_account_row owner_row;
    char detail[4096];
    char jb[1800], ja[1800];
} edit_state;

static int load(awc_module *m, const awc_call *c, const char *credit_id, const char *what,
                edit_state *s, awc_store **st)
{
    uint64_t seq;
    int rc;

    if (!credit_id || !*credit_id)
        return awc_error_set(AWC_EUSAGE, "%s: a credit ID is required", what);
    if ((rc = awc_credit_id_parse(&seq, credit_id, m->cfg.ids.prefix)) != 0)
        return rc;
    awc_credit_id_format(s->id, sizeof(s->id), m->cfg.ids.prefix, seq);
    if (c->actor->role == AWC_ROLE_VIEWER)
        return awc_error_set(AWC_EPERM, "%s: a viewer may not change credits", what);
    if ((rc = awc_mod_store(m, st)) != 0)
        return rc;
    rc = awc_credit_load(*st, c->actor, seq, &s->cr);
    if (rc == AWC_ENOTFOUND)
        return awc_error_set(AWC_ENOTFOUND, "credit %s not found", s->id);
    if (rc != 0)
        return rc;
    if (!awc_state_editable(s->cr.state))
        return awc_error_set(AWC_EREADONLY, "%s: credit %s is %s and read-only", what, s->id,
                             awc_state_name(s->cr.state));
    if (s->cr.outbox_id)
        return awc_error_set(AWC_EREADONLY, "%s: credit %s is being handed to invoicing and "
                             "read-only until that finishes", what, s->id);
    if ((rc = awc_mod_period_open(m, *st, s->cr.period, what)) != 0)
        return rc;
    return (*st)->ops->splits_of(*st, seq, collect, &s->before);
}

static int check_version(const edit_state *s, int64_t expect)
{
    if (expect && expect != s->cr.version)
        return awc_error_set(AWC_ECONFLICT, "credit %s changed since you saw it: version is now "
                             "%lld, you had %lld; reload and try again", s->id,
                             (long long)s->cr.version, (long long)expect);
    return 0;
}

static int print_lines(const awc_call *c, const edit_state *s, const char *verb, int e)
{
    char amt[AWC_MONEY_BUFSZ];
    int rc;

    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object(), *lines = json_array();
        int bad = 0;
        for (size_t i = 0; i < s->after.n; i++) {
            const awc_split_line *l = &s->after.l[i];
            json_t *o = json_object();
            awc_money_format_minor(amt, sizeof(amt), l->amount_minor, e);
            bad |= awc_json_set(o, "line", json_integer(l->line_no)) |
                   awc_json_set(o, "target", json_string(l->kind == AWC_SPLIT_CUSTOMER ? "customer"
                                : l->kind == AWC_SPLIT_RESELLER ? "reseller"
                                : l->kind == AWC_SPLIT_PARTY ? "party" : "retained")) |
                   awc_json_set(o, "party_id", awc_json_str_or_null(l->party_id)) |
                   awc_json_set(o, "amount", json_string(amt));
            bad |= json_array_append_new(lines, o);
        }
        bad |= awc_json_set(doc, "credit_id", json_string(s->id)) |
               awc_json_set(doc, "result", json_string(verb)) |
               awc_json_set(doc, "version", json_integer(s->cr.version + 1)) |
               awc_json_set(doc, "currency", json_string(s->cr.currency)) |
               awc_json_set(doc, "splits", lines);
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return rc;
    }
    rc = awc_out_printf(c, "%s %s (version %lld)\n", s->id, verb, (long long)s->cr.version + 1);
    for (size_t i = 0; rc == 0 && i < s->after.n; i++) {
        const awc_split_line *l = &s->after.l[i];
        awc_money_format_minor(amt, sizeof(amt), l->amount_minor, e);
        rc = awc_out_printf(c, "  %-9s %-20s %s %s\n",
                            l->kind == AWC_SPLIT_CUSTOMER ? "customer"
                            : l->kind == AWC_SPLIT_RESELLER ? "reseller"
                            : l->kind == AWC_SPLIT_PARTY ? "party" : "retained",
                            l->kind == AWC_SPLIT_CUSTOMER ? l->customer_id
                            : l->kind == AWC_SPLIT_RESELLER ? l->reseller_id
                            : l->kind == AWC_SPLIT_PARTY ? l->party_id : "distributor",
                            amt, s->cr.currency);
    }
    return rc;
}

/* The event detail of a change that removes the credit's split lines. */
static const char *splits_gone(edit_state *s)
{
    awc_lines_json(s->jb, sizeof(s->jb), s->before.l, s->before.n);
    snprintf(s->detail, sizeof(s->detail), "{\"splits_before\":%s,\"splits_after\":[]}", s->jb);
    return s->detail;
}

/* The credit's change by event ev as one assignment, with everything the
 * credit has kept (owner, rule, flag, the account it was moved to); the
 * caller then sets what ev changes.  0, or the refused transition. */
static int change_of(awc_assignment *as, const edit_state *s, const awc_edit_args *a,
                     awc_event_kind ev)
{
    int rc;

    memset(as, 0, sizeof(*as));
    as->seq = s->cr.seq;
    as->expect_version = a->expect_version ? a->expect_version : s->cr.version;
    as->from = s->cr.state;
    if ((rc = awc_state_next(&as->to, s->cr.state, ev)) != 0)
        return awc_error_prefix(rc, "%s %s", awc_event_name(ev), s->id);
    as->kind = ev;
    as->flag = s->cr.flag;
    as->customer_id = s->cr.customer_id;
    as->asset_id = s->cr.asset_id;
    as->reseller_id = s->cr.reseller_id;
    as->rule_id = s->cr.rule_id;
    as->owner_account_id = s->cr.owner_account_id;
    as->note = a->note;
    return 0;
}

/* Apply one change with its event; a credit changed meanwhile is a
 * conflict that names it. */
static int apply_change(awc_store *st, const awc_call *c, const edit_state *s,
                        const awc_assignment *as)
{
    int rc = st->ops->assign_apply(st, as, 1, c->actor, NULL);

    if (rc == AWC_ECONFLICT)
        return awc_error_set(AWC_ECONFLICT, "credit %s changed since you saw it; reload and try "
                             "again", s->id);
    return rc;
}

/* The outcome of a change that moves no money: one line of text, or JSON
 * with the credit's new state and version (and extra, consumed, when
 * given). */
static int print_change(const awc_call *c, const edit_state *s, const awc_assignment *as,
                        const char *key, json_t *extra, const char *text)
{
    long long version = (long long)as->expect_version + 1;
    int rc;

    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "credit_id", json_string(s->id)) |
                  awc_json_set(doc, "status", json_string(awc_state_name(as->to))) |
                  awc_json_set(doc, "version", json_integer(version)) |
                  awc_json_set(doc, key, extra);
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
        return rc;
    }
    json_decref(extra);
    return awc_out_printf(c, "%s %s (version %lld)\n", s->id, text, version);
}

/* A note alone: an event in the history, and nothing else changes (not
 * the state, the split, the owner, nor the rule that assigned it). */
static int do_note(awc_module *m, const awc_call *c, const awc_edit_args *a, edit_state *s)
{
    awc_assignment as;
    awc_store *st;
    int rc;

    if (strlen(a->note) > AWC_NOTE_MAX)
        return awc_error_set(AWC_EBADINPUT, "edit: --note is longer than %d characters",
                             AWC_NOTE_MAX);
    if ((rc = load(m, c, a->credit_id, "edit", s, &st)) != 0)
        return rc;
    if ((rc = check_version(s, a->expect_version)) != 0 ||
        (rc = change_of(&as, s, a, AWC_EV_NOTE)) != 0)
        return rc;
    as.lines = s->before.l;        /* the same lines again */
    as.nlines = s->before.n;
    if ((rc = apply_change(st, c, s, &as)) != 0)
        return rc;
    return print_change(c, s, &as, "note", json_string(a->note),
                        "note added; nothing else changed");
}

/* The account a credit belongs to now. */
static const char *account_of(const edit_state *s)
{
    return s->cr.owner_account_id[0] ? s->cr.owner_account_id : s->cr.usage_account_id;
}

/* The lines the most appropriate rule or the default would give the credit
 * as the owner of account (NULL: its own) on the period's first day: what
 * a reseller admin may redistribute of a pending credit (SPEC 7).
 * AWC_EPERM when nothing would assign it. */
static int rule_lines(awc_module *m, awc_store *st, edit_state *s, const char *account,
                      int64_t total, lines_buf *out)
{
    char first_day[11], buf[1024];
    awc_account_row row;
    awc_ruleset *rs = NULL;
    const awc_rule *rule;
    awc_split_spec spec;
    awc_owner owner;
    int rc;

    if (!account)
        account = account_of(s);
    snprintf(first_day, sizeof(first_day), "%.7s-01", s->cr.period);
    rc = st->ops->account_owner(st, account, first_day, &row, buf, sizeof(buf));
    if (rc == AWC_ENOTFOUND)
        return awc_error_set(AWC_EPERM, "edit: credit %s has no owner to take a split from; a "
                             "distributor assigns it", s->id);
    if (rc != 0 || (rc = awc_ruleset_load(&rs, st)) != 0)
        return rc;
    awc_rule_input in = { s->cr.description, s->cr.period, row.customer_id, row.reseller_id,
                          s->cr.product_code, s->cr.credit_type, account };
    rule = rs ? awc_ruleset_choose(rs, &in) : NULL;
    if (rule)
        awc_splitspec_from_rule(&spec, rule);
    else if (m->cfg.assign.default_split)
        rc = awc_splitspec_parse_percent(&spec, m->cfg.assign.default_split);
    else
        rc = awc_error_set(AWC_EPERM, "edit: no rule and no default split give credit %s a "
                           "split to redistribute; a distributor assigns it", s->id);
    owner = (awc_owner){ row.customer_id, row.asset_id, row.reseller_id, row.customer_name,
                         row.reseller_name };
    if (rc == 0)
        rc = awc_assign_lines(out->l, AWC_SPEC_MAX + 1, &out->n, total, &spec, &owner);
    awc_ruleset_free(rs);
    return rc;
}

/* 1 when a and b give the distributor (retained) and every named party
 * the same amounts: what a reseller admin may never change. */
static int same_protected(const lines_buf *a, const lines_buf *b)
{
    const lines_buf *x[2] = { a, b };
    int64_t retained[2] = { 0, 0 };
    size_t parties[2] = { 0, 0 };

    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < x[k]->n; i++) {
            const awc_split_line *l = &x[k]->l[i];
            if (l->kind == AWC_SPLIT_RETAINED)
                retained[k] += l->amount_minor;
            if (l->kind != AWC_SPLIT_PARTY)
                continue;
            parties[k]++;
            if (k == 0) {
                size_t j;
                for (j = 0; j < b->n; j++)
                    if (b->l[j].kind == AWC_SPLIT_PARTY &&
                        strcmp(b->l[j].party_id, l->party_id) == 0 &&
                        b->l[j].amount_minor == l->amount_minor)
                        break;
                if (j == b->n)
                    return 0;
            }
        }
    return retained[0] == retained[1] && parties[0] == parties[1];
}

/* What a reseller admin may redistribute of a pending credit: its rule's
 * lines for its owner, which must give the retained share and the named
 * parties what the rule gives the owner of the account it moves to (the
 * rule of either owner would otherwise decide what the distributor gets). */
static int pending_budget(awc_module *m, awc_store *st, edit_state *s, const char *to,
                          int64_t total)
{
    int rc = rule_lines(m, st, s, NULL, total, &s->rule);

    if (rc != 0 || !to || strcmp(to, account_of(s)) == 0)
        return rc;
    if ((rc = rule_lines(m, st, s, to, total, &s->after)) != 0)
        return rc;
    rc = same_protected(&s->rule, &s->after);
    s->after.n = 0;                /* only borrowed for the comparison */
    if (!rc)
        return awc_error_set(AWC_EPERM, "edit: the rules give the distributor or a named "
                             "party another share for account %s than for %s; a "
                             "distributor moves credit %s", to, account_of(s), s->id);
    return 0;
}

static int do_edit(awc_module *m, const awc_call *c, const awc_edit_args *a, edit_state *s)
{
    const lines_buf *now;
    awc_split_spec spec;
    awc_owner owner;
    awc_assignment as;
    awc_store *st;
    char first_day[11];
    const char *account;
    int64_t total;
    int e, rc;

    if (!a->split && !a->amounts && !a->account && !a->note)
        return awc_error_set(AWC_EUSAGE, "edit: give --split, --amounts, --account or --note");
    if (!a->split && !a->amounts && !a->account)
        return do_note(m, c, a, s);
    if (a->split && a->amounts)
        return awc_error_set(AWC_EUSAGE, "edit: --split and --amounts exclude each other");
    if (a->account && !awc_accounts_account_ok(a->account))
        return awc_error_set(AWC_EBADINPUT, "edit: --account '%.20s': expected 12 digits",
                             a->account);
    if (a->note && strlen(a->note) > AWC_NOTE_MAX)
        return awc_error_set(AWC_EBADINPUT, "edit: --note is longer than %d characters",
                             AWC_NOTE_MAX);
    if ((rc = load(m, c, a->credit_id, "edit", s, &st)) != 0)
        return rc;
    if ((rc = check_version(s, a->expect_version)) != 0)
        return rc;
    if (s->cr.flag == AWC_FLAG_EXCLUDED)
        return awc_error_set(AWC_EINVALID_TRANSITION, "edit: credit %s is excluded; a "
                             "distributor includes it again first", s->id);
    if ((rc = awc_invoiceable(&total, &e, s->cr.amount, s->cr.currency)) != 0)
        return rc;
    /* the owner: of the new account, else of the credit's (owner) account */
    snprintf(first_day, sizeof(first_day), "%.7s-01", s->cr.period);
    account = a->account ? a->account
            : s->cr.owner_account_id[0] ? s->cr.owner_account_id : s->cr.usage_account_id;
    rc = st->ops->account_owner(st, account, first_day, &s->owner_row, s->owner_buf,
                                sizeof(s->owner_buf));
    if (rc == AWC_ENOTFOUND)
        return awc_error_set(AWC_EBADINPUT, "edit: account %s has no owner on %s; import it "
                             "into the accounts map first", account, first_day);
    if (rc != 0)
        return rc;
    if (c->actor->role == AWC_ROLE_RESELLER &&
        strcmp(s->owner_row.reseller_id, c->actor->reseller_id) != 0)
        return awc_error_set(AWC_EPERM, "edit: account %s belongs to another reseller", account);
    owner = (awc_owner){ s->owner_row.customer_id, s->owner_row.asset_id,
                         s->owner_row.reseller_id, s->owner_row.customer_name,
                         s->owner_row.reseller_name };
    /* a reseller admin redistributes what there is now: the lines, or for
     * a pending credit what its rule would give (SPEC 7) */
    now = &s->before;
    if (c->actor->role == AWC_ROLE_RESELLER && s->cr.state == AWC_PENDING_ASSIGN) {
        if ((rc = pending_budget(m, st, s, a->account, total)) != 0)
            return rc;
        now = &s->rule;
    }
    /* the spec: as given, else the current percentages, else the default */
    if (a->split)
        rc = awc_splitspec_parse_percent(&spec, a->split);
    else if (a->amounts)
        rc = awc_splitspec_parse_amounts(&spec, a->amounts, e);
    else if (spec_from_lines(&spec, now) == 0)
        rc = 0;
    else if (m->cfg.assign.default_split)
        rc = awc_splitspec_parse_percent(&spec, m->cfg.assign.default_split);
    else
        rc = awc_error_set(AWC_EUSAGE, "edit: credit %s has no split to keep; give --split or "
                           "--amounts", s->id);
    if (rc != 0)
        return rc;
    if (spec.amounts) {
        char a_txt[AWC_SUM_BUFSZ], t_txt[AWC_MONEY_BUFSZ];
        awc_sum sum = 0;
        awc_money_format_minor(t_txt, sizeof(t_txt), total, e);
        for (size_t i = 0; i < spec.n; i++) {
            if (spec.t[i].minor != 0 && (total == 0 || (spec.t[i].minor < 0) != (total < 0))) {
                awc_money_format_minor(a_txt, sizeof(a_txt), spec.t[i].minor, e);
                return awc_error_set(AWC_EBADINPUT, "edit %s: amount %s %s has the wrong sign: "
                                     "the credit is %s %s", s->id, a_txt, s->cr.currency,
                                     t_txt, s->cr.currency);
            }
            sum += spec.t[i].minor;
        }
        if ((sum < 0 ? -sum : sum) > (total < 0 ? -total : total)) {
            awc_sum_format_minor(a_txt, sizeof(a_txt), sum, e);
            return awc_error_set(AWC_EBADINPUT, "edit %s: the amounts add up to %s %s, more "
                                 "than the credit's %s %s", s->id, a_txt, s->cr.currency,
                                 t_txt, s->cr.currency);
        }
    }
    if (c->actor->role == AWC_ROLE_RESELLER) {
        /* the money rule: only what the customer and reseller get moves */
        rc = awc_reseller_lines(s->after.l, AWC_SPEC_MAX + 1, &s->after.n, total, e, &spec,
                                now->l, now->n, &owner);
    } else {
        rc = awc_assign_lines(s->after.l, AWC_SPEC_MAX + 1, &s->after.n, total, &spec, &owner);
    }
    if (rc != 0)
        return awc_error_prefix(rc, "edit %s", s->id);
    awc_lines_json(s->jb, sizeof(s->jb), s->before.l, s->before.n);
    awc_lines_json(s->ja, sizeof(s->ja), s->after.l, s->after.n);
    snprintf(s->detail, sizeof(s->detail), "{\"splits_before\":%s,\"splits_after\":%s%s%s%s}",
             s->jb, s->ja, a->account ? ",\"account\":\"" : "", a->account ? a->account : "",
             a->account ? "\"" : "");
    memset(&as, 0, sizeof(as));
    as.seq = s->cr.seq;
    as.expect_version = a->expect_version ? a->expect_version : s->cr.version;
    as.from = s->cr.state;
    as.to = AWC_ASSIGNED;
    as.kind = s->cr.state == AWC_PENDING_ASSIGN ? AWC_EV_ASSIGN : AWC_EV_EDIT;
    as.customer_id = owner.customer_id;
    as.asset_id = owner.asset_id;
    as.reseller_id = owner.reseller_id;
    as.rule_id = "manual";
    as.owner_account_id = a->account ? a->account : s->cr.owner_account_id;
    as.lines = s->after.l;
    as.nlines = s->after.n;
    as.note = a->note;
    as.detail = s->detail;
    if ((rc = apply_change(st, c, s, &as)) != 0)
        return rc;
    return print_lines(c, s, s->cr.state == AWC_PENDING_ASSIGN ? "assigned" : "edited", e);
}

int awc_op_edit(awc_module *m, const awc_call *c, const awc_edit_args *a)
{
    edit_state *s = awc_calloc(1, sizeof(*s));
    int rc;

    awc_op_begin();
    if (!s)
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    rc = a ? do_edit(m, c, a, s) : awc_error_set(AWC_EUSAGE, "edit: arguments missing");
    awc_free(s);
    return awc_op_end(c, rc);
}

/* A reseller admin may unassign a credit only when its rule would give the
 * distributor and the named parties what they have now: else unassigning
 * and assigning again would undo a distributor's decision (SPEC 7). */
static int may_unassign(awc_module *m, awc_store *st, edit_state *s)
{
    int64_t total;
    int e, rc;

    if ((rc = awc_invoiceable(&total, &e, s->cr.amount, s->cr.currency)) != 0 ||
        (rc = rule_lines(m, st, s, NULL, total, &s->rule)) != 0)
        return rc == AWC_EPERM ? awc_error_set(AWC_EPERM, "unassign: no rule or default would "
                                               "assign credit %s again; only a distributor "
                                               "unassigns it", s->id) : rc;
    if (!same_protected(&s->before, &s->rule))
        return awc_error_set(AWC_EPERM, "unassign: credit %s gives the distributor or a named "
                             "party another share than its rule; only a distributor unassigns "
                             "it", s->id);
    return 0;
}

static int do_unassign(awc_module *m, const awc_call *c, const awc_edit_args *a, edit_state *s)
{
    awc_assignment as;
    awc_store *st;
    int rc;

    if ((rc = load(m, c, a->credit_id, "unassign", s, &st)) != 0)
        return rc;
    if ((rc = check_version(s, a->expect_version)) != 0 ||
        (rc = change_of(&as, s, a, AWC_EV_UNASSIGN)) != 0)
        return rc;
    if (c->actor->role == AWC_ROLE_RESELLER && (rc = may_unassign(m, st, s)) != 0)
        return rc;
    as.rule_id = NULL;             /* pending again: no rule, no flag, no lines */
    as.flag = AWC_FLAG_NONE;
    as.detail = splits_gone(s);
    if ((rc = apply_change(st, c, s, &as)) != 0)
        return rc;
    s->after.n = 0;
    return print_lines(c, s, "unassigned: back to PENDING_ASSIGN", 2);
}

int awc_op_unassign(awc_module *m, const awc_call *c, const awc_edit_args *a)
{
    edit_state *s = awc_calloc(1, sizeof(*s));
    int rc;

    awc_op_begin();
    if (!s)
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    rc = a ? do_unassign(m, c, a, s) : awc_error_set(AWC_EUSAGE, "unassign: arguments missing");
    awc_free(s);
    return awc_op_end(c, rc);
}

/* ---- exclude / include ----------------------------------------------------------- */

/* exclude (ev AWC_EV_EXCLUDE) or include (AWC_EV_INCLUDE) one credit. */
static int do_exclusion(awc_module *m, const awc_call *c, const awc_edit_args *a,
                        edit_state *s, awc_event_kind ev)
{
    const char *what = ev == AWC_EV_EXCLUDE ? "exclude" : "include";
    awc_assignment as;
    awc_store *st;
    int rc;

    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_error_set(AWC_EPERM, "%s: only a distributor %ss credits", what, what);
    if (!a->note || !*a->note)
        return awc_error_set(AWC_EUSAGE, "%s: --reason TEXT is required", what);
    if (strlen(a->note) > AWC_NOTE_MAX)
        return awc_error_set(AWC_EBADINPUT, "%s: --reason is longer than %d characters", what,
                             AWC_NOTE_MAX);
    if ((rc = load(m, c, a->credit_id, what, s, &st)) != 0)
        return rc;
    if ((rc = check_version(s, a->expect_version)) != 0)
        return rc;
    if (ev == AWC_EV_EXCLUDE && s->cr.flag == AWC_FLAG_EXCLUDED)
        return awc_error_set(AWC_EINVALID_TRANSITION, "exclude: credit %s is excluded already",
                             s->id);
    if (ev == AWC_EV_INCLUDE && s->cr.flag != AWC_FLAG_EXCLUDED)
        return awc_error_set(AWC_EINVALID_TRANSITION, "include: credit %s is not excluded",
                             s->id);
    if ((rc = change_of(&as, s, a, ev)) != 0)
        return rc;
    /* excluded: no split and no rule, the owner kept for scopes; included:
     * pending and unflagged, so that the next assign takes it afresh */
    as.flag = ev == AWC_EV_EXCLUDE ? AWC_FLAG_EXCLUDED : AWC_FLAG_NONE;
    as.rule_id = NULL;
    if (s->before.n)
        as.detail = splits_gone(s);
    if ((rc = apply_change(st, c, s, &as)) != 0)
        return rc;
    return print_change(c, s, &as, "excluded", json_boolean(ev == AWC_EV_EXCLUDE),
                        ev == AWC_EV_EXCLUDE
                            ? "excluded: PENDING_ASSIGN, left alone by assign and invoice"
                            : "included again: PENDING_ASSIGN, the next assign takes it");
}

static int exclusion_op(awc_module *m, const awc_call *c, const awc_edit_args *a,
                        awc_event_kind ev)
{
    edit_state *s = awc_calloc(1, sizeof(*s));
    int rc;

    awc_op_begin();
    if (!s)
        return awc_op_end(c, awc_error_set(AWC_ENOMEM, "out of memory"));
    rc = a ? do_exclusion(m, c, a, s, ev) : awc_error_set(AWC_EUSAGE, "arguments missing");
    awc_free(s);
    return awc_op_end(c, rc);
}

int awc_op_exclude(awc_module *m, const awc_call *c, const awc_edit_args *a)
{
    return exclusion_op(m, c, a, AWC_EV_EXCLUDE);
}

int awc_op_include(awc_module *m, const awc_call *c, const awc_edit_args *a)
{
    return exclusion_op(m, c, a, AWC_EV_INCLUDE);
}
