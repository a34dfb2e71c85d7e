/* op_balance.c -- `balance` and `expiring` (SPEC 16): every grant, entered
 * or from the Billing API, consumed by the credits in the policy's order
 * (grants_draw.h); used and remaining exact per currency; a status on the
 * as-of date; the hierarchy's roll-ups computed by the store (a recursive
 * CTE); what no grant covers as unmatched.
 *
 * The window: credits issued from the first day of period_from (or ever)
 * count as `used`; every credit issued up to the end of period_to (or the
 * as-of date, whichever is first) is drawn, so remaining = amount - all
 * drawn until then.  A reseller sees the grants and unmatched credits of
 * the accounts its customers own on the as-of date (SPEC 13).  In JSON each
 * grant also has `months`, its use per issue month of the window, for the
 * web console's burn-down (kept only then: grants_draw.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "grants_draw.h"
#include "mod.h"
#include "out.h"

typedef struct bal {
    awc_module *m;
    const awc_call *c;
    awc_store *st;
    awc_draw *draw;
    const char *reseller;          /* scope; NULL = everything */
    char **accounts;               /* the reseller's accounts, sorted */
    size_t naccounts, acap;
    char **nodes;                  /* the --node subtree, sorted */
    size_t nnodes, ncap;
    int have_nodes;
    char as_of[11], to[11];
    awc_policy policy;
    int expiring_days;
    int months;                    /* each grant's use per issue month (JSON) */
    json_t *list;                  /* JSON: the array being filled */
    size_t shown;
    int rc;
} bal;

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int in_set(char **set, size_t n, const char *s)
{
    return n && bsearch(&s, set, n, sizeof(*set), by_str) != NULL;
}

static int add_str(char ***set, size_t *n, size_t *cap, const char *s)
{
    char **a = awc_grow(*set, cap, *n, sizeof(**set), 64);
    if (!a)
        return AWC_ENOMEM;
    *set = a;
    if (!(a[*n] = awc_strdup(s)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    (*n)++;
    return 0;
}

static void free_set(char **set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        awc_free(set[i]);
    awc_free(set);
}

static int on_account(void *arg, const awc_account_row *r)
{
    bal *b = arg;
    if (strcmp(r->reseller_id, b->reseller) != 0)
        return 0;
    return add_str(&b->accounts, &b->naccounts, &b->acap, r->account_id);
}

static int in_scope(const bal *b, const char *account)
{
    return !b->reseller || in_set(b->accounts, b->naccounts, account);
}

static int on_grant(void *arg, const awc_grant_rec *g)
{
    bal *b = arg;
    return in_scope(b, g->account_id) ? awc_draw_add(b->draw, g) : 0;
}

static int on_credit(void *arg, const awc_draw_row *r)
{
    bal *b = arg;
    return in_scope(b, r->account_id) ? awc_draw_queue(b->draw, r) : 0;
}

static int on_node(void *arg, const awc_node_row *r)
{
    bal *b = arg;
    return add_str(&b->nodes, &b->nnodes, &b->ncap, r->node_id);
}

static int shown_grant(const bal *b, const awc_dgrant *g)
{
    return !b->have_nodes || (g->node_id[0] && in_set(b->nodes, b->nnodes, g->node_id));
}

/* The whole computation: scope, grants, credits drawn. */
static int compute(bal *b, const awc_balance_args *a, const char *from_period)
{
    awc_draw_window w;
    char last[11];
    int rc;

    memset(&w, 0, sizeof(w));
    w.months = b->months;
    if (from_period)
        snprintf(w.from, sizeof(w.from), "%.7s-01", from_period);
    awc_recent_months(b->as_of, w.recent_from, w.recent_to);
    snprintf(b->to, sizeof(b->to), "%s", b->as_of);
    if (a && a->period_to) {
        char first[11];
        const char *p = a->period_to;  /* "YYYY-MM", checked by setup() */
        int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        int mo = (p[5] - '0') * 10 + (p[6] - '0') + 1;
        if (mo > 12) {
            mo = 1;
            y++;
        }
        snprintf(first, sizeof(first), "%04u-%02u-01", (unsigned)y % 10000u, (unsigned)mo % 100u);
        if (y <= 9999 && awc_date_add(last, first, -1) == 0 && strcmp(last, b->to) < 0)
            snprintf(b->to, sizeof(b->to), "%s", last);
    }
    if ((rc = awc_mod_store(b->m, &b->st)) != 0)
        return rc;
    if (b->reseller) {
        if ((rc = b->st->ops->accounts_at(b->st, b->as_of, on_account, b)) != 0)
            return rc;
        if (b->naccounts > 1)
            qsort(b->accounts, b->naccounts, sizeof(*b->accounts), by_str);
    }
    if ((rc = awc_draw_new(&b->draw, b->policy, &w)) != 0)
        return rc;
    if ((rc = b->st->ops->grants_all(b->st, on_grant, b)) != 0 ||
        (rc = awc_draw_ready(b->draw)) != 0 ||
        (rc = b->st->ops->draw_credits(b->st, b->to, NULL, on_credit, b)) != 0 ||
        (rc = awc_draw_run(b->draw)) != 0)
        return rc;
    if (a && a->node) {
        b->have_nodes = 1;
        if ((rc = b->st->ops->nodes_each(b->st, a->node, on_node, b)) != 0)
            return rc;
        if (b->nnodes > 1)
            qsort(b->nodes, b->nnodes, sizeof(*b->nodes), by_str);
    }
    return 0;
}

/* Streamed JSON: "key": value pairs and array items, written as they come. */
static int jkey(const awc_call *c, const char *lead, const char *key)
{
    json_t *k = json_string(key);
    int rc = !k ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_write(c, lead, strlen(lead));
    if (rc == 0)
        rc = awc_out_json_item(c, k);
    json_decref(k);
    return rc == 0 ? awc_out_write(c, ": ", 2) : rc;
}

/* Write v (consumed) as the next item of an array that has n items so far:
 * one write of the item made in a buffer when it fits (a grant with its
 * months is a few hundred bytes), else token by token. */
static int jitem(const awc_call *c, size_t n, json_t *v)
{
    char buf[8192];
    size_t len = 0;
    int rc = !v ? awc_error_set(AWC_ENOMEM, "out of memory")
                : awc_out_write(c, n ? ",\n    " : "\n    ", n ? 6 : 5);

    if (rc == 0)
        len = json_dumpb(v, buf, sizeof(buf), JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (rc == 0)
        rc = len > 0 && len <= sizeof(buf) ? awc_out_write(c, buf, len) : awc_out_json_item(c, v);
    json_decref(v);
    return rc;
}

/* Write v (consumed) as a value. */
static int jval(const awc_call *c, json_t *v)
{
    int rc = !v ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json_item(c, v);
    json_decref(v);
    return rc;
}

static int jclose(const awc_call *c, size_t n)
{
    return n ? awc_out_write(c, "\n  ]", 4) : awc_out_write(c, "]", 1);
}

static json_t *money_json(awc_sum v)
{
    char buf[AWC_SUM_BUFSZ];
    awc_sum_format(buf, sizeof(buf), v);
    return json_string(buf);
}

/* g's use per issue month: [{"month": "YYYY-MM", "used": "…"}], only
 * months with use. */
static json_t *months_json(const awc_dgrant *g)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < g->nmonths; i++) {
        json_t *o = json_object();
        int bad = !o || awc_json_set(o, "month", json_string(g->months[i].month)) |
                  awc_json_set(o, "used", money_json(g->months[i].used));
        if (bad)
            json_decref(o);
        if (bad || json_array_append_new(a, o) != 0) { /* append_new frees o */
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* One grant as JSON (balance and expiring share the fields; balance adds
 * the months). */
static json_t *grant_json(const bal *b, const awc_dgrant *g)
{
    json_t *o = json_object();
    awc_sum remaining = (awc_sum)g->amount - g->drawn;
    int bad = !o ||
              awc_json_set(o, "grant_id", json_string(g->grant_id)) |
              awc_json_set(o, "account_id", json_string(g->account_id)) |
              awc_json_set(o, "credit_key", json_string(g->credit_key)) |
              awc_json_set(o, "currency", json_string(g->currency)) |
              awc_json_set(o, "amount", money_json(g->amount)) |
              awc_json_set(o, "used", money_json(g->used)) |
              awc_json_set(o, "remaining", money_json(remaining)) |
              awc_json_set(o, "issue_date", awc_json_str_or_null(g->issue_date)) |
              awc_json_set(o, "end_date", awc_json_str_or_null(g->end_date)) |
              awc_json_set(o, "status",
                           json_string(awc_grant_status(g, b->as_of, b->expiring_days))) |
              awc_json_set(o, "node", awc_json_str_or_null(g->node_id)) |
              awc_json_set(o, "reference", json_string(g->reference)) |
              awc_json_set(o, "products", json_string(g->products)) |
              awc_json_set(o, "source", json_string(g->billing ? "billing" : "entered"));
    if (!bad && b->months)
        bad = awc_json_set(o, "months", months_json(g));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int grant_text(const bal *b, const awc_dgrant *g, const char *extra)
{
    char amount[AWC_SUM_BUFSZ], used[AWC_SUM_BUFSZ], rem[AWC_SUM_BUFSZ];
    awc_sum_format(amount, sizeof(amount), g->amount);
    awc_sum_format(used, sizeof(used), g->used);
    awc_sum_format(rem, sizeof(rem), (awc_sum)g->amount - g->drawn);
    return awc_out_printf(b->c, "%-20.*s %-12s %-3s %20s %20s %20s %-10s %-9s%s %-12.*s %.*s\n",
                          awc_out_cut(g->grant_id, 20), g->grant_id, g->account_id, g->currency,
                          amount, used, rem, g->end_date[0] ? g->end_date : "-",
                          awc_grant_status(g, b->as_of, b->expiring_days), extra,
                          awc_out_cut(g->node_id[0] ? g->node_id : "-", 12),
                          g->node_id[0] ? g->node_id : "-", awc_out_cut(g->reference, 40),
                          g->reference);
}

typedef struct node_out {
    bal *b;
    int json;
    size_t n;
} node_out;

static int on_node_fig(void *arg, const awc_node_fig *f)
{
    node_out *x = arg;
    char amount[AWC_SUM_BUFSZ], used[AWC_SUM_BUFSZ], rem[AWC_SUM_BUFSZ];

    awc_sum_format(amount, sizeof(amount), f->amount);
    awc_sum_format(used, sizeof(used), f->used);
    awc_sum_format(rem, sizeof(rem), f->remaining);
    if (x->json) {
        json_t *o = json_object();
        int bad = !o || awc_json_set(o, "node_id", json_string(f->node.node_id)) |
                  awc_json_set(o, "parent_id", awc_json_str_or_null(f->node.parent_id)) |
                  awc_json_set(o, "name", json_string(f->node.name)) |
                  awc_json_set(o, "level", json_string(f->node.level)) |
                  awc_json_set(o, "currency", json_string(f->currency)) |
                  awc_json_set(o, "amount", json_string(amount)) |
                  awc_json_set(o, "used", json_string(used)) |
                  awc_json_set(o, "remaining", json_string(rem));
        if (bad) {
            json_decref(o);
            return awc_error_set(AWC_ENOMEM, "out of memory");
        }
        return jitem(x->b->c, x->n++, o);
    }
    x->n++;
    return awc_out_printf(x->b->c, "%-20.*s %-14.*s %-3s %20s %20s %20s  %.*s\n",
                          awc_out_cut(f->node.node_id, 20), f->node.node_id,
                          awc_out_cut(f->node.level, 14), f->node.level, f->currency, amount,
                          used, rem, awc_out_cut(f->node.name, 40), f->node.name);
}

typedef struct miss_out {
    bal *b;
    int json;
    size_t n;
} miss_out;

static int on_miss(void *arg, const char *account, const char *key, const char *currency,
                   awc_sum amount)
{
    miss_out *x = arg;
    if (x->json) {
        json_t *o = json_object();
        int bad = !o || awc_json_set(o, "account_id", json_string(account)) |
                  awc_json_set(o, "credit_key", json_string(key)) |
                  awc_json_set(o, "currency", json_string(currency)) |
                  awc_json_set(o, "amount", money_json(amount));
        if (bad) {
            json_decref(o);
            return awc_error_set(AWC_ENOMEM, "out of memory");
        }
        return jitem(x->b->c, x->n++, o);
    }
    x->n++;
    char am[AWC_SUM_BUFSZ];
    awc_sum_format(am, sizeof(am), amount);
    return awc_out_printf(x->b->c, "%-12s %-3s %20s  %.*s\n", account, currency, am,
                          awc_out_cut(key, 60), key);
}

static int by_fig(const void *a, const void *b)
{
    const awc_grant_fig *x = a, *y = b;
    int c = strcmp(x->node_id, y->node_id);
    return c ? c : strcmp(x->currency, y->currency);
}

/* The roll-up rows of the grants that have a node. */
static int rollup(bal *b, const awc_balance_args *a, node_out *no)
{
    size_t n = awc_draw_count(b->draw), k = 0;
    awc_dgrant *g = awc_draw_grants(b->draw);
    awc_grant_fig *f = awc_calloc(n ? n : 1, sizeof(*f));
    int rc;

    if (!f)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!g[i].node_id[0])
            continue;
        f[k].node_id = g[i].node_id;
        snprintf(f[k].currency, sizeof(f[k].currency), "%s", g[i].currency);
        f[k].amount = g[i].amount;
        f[k].used = g[i].used;
        f[k].remaining = (awc_sum)g[i].amount - g[i].drawn;
        k++;
    }
    /* one row per node and currency: the database sums no more than it must */
    if (k > 1)
        qsort(f, k, sizeof(*f), by_fig);
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w && strcmp(f[w - 1].node_id, f[i].node_id) == 0 &&
            strcmp(f[w - 1].currency, f[i].currency) == 0) {
            f[w - 1].used += f[i].used;
            f[w - 1].remaining += f[i].remaining;
            f[w - 1].amount_sum += f[i].amount;
            continue;
        }
        f[w] = f[i];
        f[w].amount_sum = f[i].amount;
        w++;
    }
    rc = b->st->ops->rollup(b->st, f, w, a ? a->node : NULL, a ? a->level : NULL, on_node_fig,
                            no);
    awc_free(f);
    return rc;
}

static int setup(bal *b, awc_module *m, const awc_call *c, const awc_balance_args *a,
                 const char *what)
{
    int rc;

    memset(b, 0, sizeof(*b));
    b->m = m;
    b->c = c;
    b->expiring_days = m->cfg.grants.expiring_days;
    if (c->actor->role == AWC_ROLE_RESELLER)
        b->reseller = c->actor->reseller_id ? c->actor->reseller_id : "";
    if ((rc = awc_policy_parse(&b->policy, a && a->policy ? a->policy : m->cfg.grants.policy)))
        return awc_error_prefix(rc, "%s", what);
    if (a && a->as_of) {
        if (!awc_date_valid(a->as_of, strlen(a->as_of)))
            return awc_error_set(AWC_EUSAGE, "%s: --as-of '%.32s': expected YYYY-MM-DD", what,
                                 a->as_of);
        snprintf(b->as_of, sizeof(b->as_of), "%s", a->as_of);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(b->as_of, sizeof(b->as_of), "%Y-%m-%d", &tm);
    }
    if (a && ((a->period_from && awc_period_check(a->period_from) != 0) ||
              (a->period_to && awc_period_check(a->period_to) != 0)))
        return awc_error_set(AWC_EUSAGE, "%s: a period is YYYY-MM", what);
    if (a && a->period_from && a->period_to && strcmp(a->period_from, a->period_to) > 0)
        return awc_error_set(AWC_EUSAGE, "%s: the period range ends before it starts", what);
    return 0;
}

static void teardown(bal *b)
{
    awc_draw_free(b->draw);
    free_set(b->accounts, b->naccounts);
    free_set(b->nodes, b->nnodes);
}

static int balance(awc_module *m, const awc_call *c, const awc_balance_args *a)
{
    bal b;
    node_out no;
    miss_out mo;
    awc_dgrant *g;
    size_t n;
    int rc, json = c->format == AWC_FORMAT_JSON;

    if ((rc = setup(&b, m, c, a, "balance")) == 0) {
        b.months = json;
        rc = compute(&b, a, a ? a->period_from : NULL);
    }
    if (rc != 0) {
        teardown(&b);
        return rc;
    }
    n = awc_draw_count(b.draw);
    g = awc_draw_grants(b.draw);
    memset(&no, 0, sizeof(no));
    memset(&mo, 0, sizeof(mo));
    no.b = mo.b = &b;
    if (json) {
        const char *pf = a ? a->period_from : NULL, *pt = a ? a->period_to : NULL;
        size_t k = 0;
        no.json = mo.json = 1;
        if ((rc = jkey(c, "{\n  ", "as_of")) == 0 && (rc = jval(c, json_string(b.as_of))) == 0 &&
            (rc = jkey(c, ",\n  ", "policy")) == 0 &&
            (rc = jval(c, json_string(awc_policy_name(b.policy)))) == 0 &&
            (rc = jkey(c, ",\n  ", "period_from")) == 0 &&
            (rc = jval(c, awc_json_str_or_null(pf))) == 0 &&
            (rc = jkey(c, ",\n  ", "period_to")) == 0 &&
            (rc = jval(c, awc_json_str_or_null(pt))) == 0 &&
            (rc = jkey(c, ",\n  ", "grants")) == 0)
            rc = awc_out_write(c, "[", 1);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (shown_grant(&b, &g[i]))
                rc = jitem(c, k++, grant_json(&b, &g[i]));
        if (rc == 0 && (rc = jclose(c, k)) == 0 && (rc = jkey(c, ",\n  ", "nodes")) == 0 &&
            (rc = awc_out_write(c, "[", 1)) == 0 && (rc = rollup(&b, a, &no)) == 0 &&
            (rc = jclose(c, no.n)) == 0 && (rc = jkey(c, ",\n  ", "unmatched")) == 0 &&
            (rc = awc_out_write(c, "[", 1)) == 0) {
            if (!b.have_nodes)
                rc = awc_draw_unmatched(b.draw, on_miss, &mo);
            if (rc == 0 && (rc = jclose(c, mo.n)) == 0)
                rc = awc_out_write(c, "\n}\n", 3);
        }
        teardown(&b);
        return rc;
    }
    rc = awc_out_printf(c, "balance as of %s, policy %s%s%s%s%s\n", b.as_of,
                        awc_policy_name(b.policy), a && a->period_from ? ", issued from " : "",
                        a && a->period_from ? a->period_from : "",
                        a && a->period_to ? " to " : "", a && a->period_to ? a->period_to : "");
    if (rc == 0)
        rc = awc_out_printf(c, "%-20s %-12s %-3s %20s %20s %20s %-10s %-9s %-12s %s\n",
                            "grant", "account", "cur", "amount", "used", "remaining", "ends",
                            "status", "node", "reference");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (shown_grant(&b, &g[i])) {
            b.shown++;
            rc = grant_text(&b, &g[i], "");
        }
    if (rc == 0)
        rc = awc_out_printf(c, "%zu grant%s\n", b.shown, b.shown == 1 ? "" : "s");
    if (rc == 0)
        rc = awc_out_printf(c, "\nnodes (own grants and all descendants')\n%-20s %-14s %-3s "
                            "%20s %20s %20s  %s\n", "node", "level", "cur", "amount", "used",
                            "remaining", "name");
    if (rc == 0)
        rc = rollup(&b, a, &no);
    if (rc == 0 && !b.have_nodes) {
        rc = awc_out_printf(c, "\nunmatched (no grant covers these credits)\n%-12s %-3s %20s"
                            "  %s\n", "account", "cur", "amount", "credit key");
        if (rc == 0)
            rc = awc_draw_unmatched(b.draw, on_miss, &mo);
        if (rc == 0 && mo.n == 0)
            rc = awc_out_printf(c, "none\n");
    }
    teardown(&b);
    return rc;
}

static int expiring(awc_module *m, const awc_call *c, const awc_balance_args *a)
{
    bal b;
    awc_dgrant *g;
    char by[11];
    size_t n;
    int rc, within, json = c->format == AWC_FORMAT_JSON;

    if ((rc = setup(&b, m, c, a, "expiring")) != 0) {
        teardown(&b);
        return rc;
    }
    within = a && a->within_days >= 0 ? a->within_days : b.expiring_days;
    if (within > 36600 || awc_date_add(by, b.as_of, within) != 0) {
        teardown(&b);
        return awc_error_set(AWC_EUSAGE, "expiring: --within is 0..36600 days");
    }
    if ((rc = compute(&b, a, NULL)) != 0) {
        teardown(&b);
        return rc;
    }
    n = awc_draw_count(b.draw);
    g = awc_draw_grants(b.draw);
    if (json) {
        if ((rc = jkey(c, "{\n  ", "as_of")) == 0 && (rc = jval(c, json_string(b.as_of))) == 0 &&
            (rc = jkey(c, ",\n  ", "within_days")) == 0 &&
            (rc = jval(c, json_integer(within))) == 0 &&
            (rc = jkey(c, ",\n  ", "policy")) == 0 &&
            (rc = jval(c, json_string(awc_policy_name(b.policy)))) == 0 &&
            (rc = jkey(c, ",\n  ", "grants")) == 0)
            rc = awc_out_write(c, "[", 1);
    } else {
        rc = awc_out_printf(c, "%-20s %-12s %-3s %20s %20s %20s %-10s %-9s %20s %-12s %s\n",
                            "grant", "account", "cur", "amount", "used", "remaining", "ends",
                            "status", "forecast unused", "node", "reference");
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char fc[AWC_SUM_BUFSZ], extra[AWC_SUM_BUFSZ + 2];
        awc_sum f;
        if ((awc_sum)g[i].amount - g[i].drawn <= 0 || !g[i].end_date[0] ||
            strcmp(g[i].end_date, b.as_of) < 0 || strcmp(g[i].end_date, by) > 0 ||
            !shown_grant(&b, &g[i]))
            continue;
        f = awc_grant_forecast_unused(&g[i], awc_whole_months(b.as_of, g[i].end_date));
        awc_sum_format(fc, sizeof(fc), f);
        if (json) {
            json_t *o = grant_json(&b, &g[i]);
            if (o && awc_json_set(o, "forecast_unused", json_string(fc)) != 0) {
                json_decref(o);
                o = NULL;
            }
            rc = jitem(c, b.shown, o);
        } else {
            snprintf(extra, sizeof(extra), " %20s", fc);
            rc = grant_text(&b, &g[i], extra);
        }
        b.shown++;
    }
    if (a && a->listed)
        *a->listed = b.shown;
    if (rc == 0 && json) {
        if ((rc = jclose(c, b.shown)) == 0)
            rc = awc_out_write(c, "\n}\n", 3);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "%zu grant%s with something left, ending by %s\n", b.shown,
                            b.shown == 1 ? "" : "s", by);
    }
    teardown(&b);
    return rc;
}

/* ---- one credit's grants (show) ----------------------------------------- */

#define TAKES_MAX 32

typedef struct takes {
    const awc_dgrant *g[TAKES_MAX];
    awc_amount amount[TAKES_MAX];
    size_t n;
    awc_amount total;
} takes;

static void on_take(void *arg, const awc_dgrant *g, awc_amount take)
{
    takes *t = arg;
    t->total += take;
    if (t->n < TAKES_MAX) {
        t->g[t->n] = g;
        t->amount[t->n++] = take;
    }
}

int awc_grants_drawn(awc_module *m, awc_store *st, const awc_credit *cr,
                     int (*fn)(void *, const char *, awc_amount, const char *), void *arg,
                     awc_amount *unmatched)
{
    awc_draw_window w;
    takes t;
    bal b;
    int rc;

    memset(&b, 0, sizeof(b));
    memset(&w, 0, sizeof(w));
    memset(&t, 0, sizeof(t));
    *unmatched = 0;
    b.m = m;
    b.st = st;
    b.expiring_days = m->cfg.grants.expiring_days;
    if ((rc = awc_policy_parse(&b.policy, m->cfg.grants.policy)) != 0)
        return rc;
    {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(b.as_of, sizeof(b.as_of), "%Y-%m-%d", &tm);
    }
    /* only the credit's account: its grants are drawn by its credits alone */
    b.reseller = "";
    if ((rc = add_str(&b.accounts, &b.naccounts, &b.acap, cr->usage_account_id)) != 0 ||
        (rc = awc_draw_new(&b.draw, b.policy, &w)) != 0 ||
        (rc = st->ops->grants_all(st, on_grant, &b)) != 0 ||
        (rc = awc_draw_ready(b.draw)) != 0) {
        teardown(&b);
        return rc;
    }
    awc_draw_observe(b.draw, cr->seq, on_take, &t);
    if ((rc = st->ops->draw_credits(st, b.as_of, cr->usage_account_id, on_credit, &b)) == 0)
        rc = awc_draw_run(b.draw);
    for (size_t i = 0; rc == 0 && i < t.n; i++)
        rc = fn(arg, t.g[i]->grant_id, t.amount[i],
                awc_grant_status(t.g[i], b.as_of, b.expiring_days));
    if (rc == 0 && cr->amount < 0 && awc_draw_count(b.draw) > 0)
        *unmatched = -cr->amount - t.total;
    teardown(&b);
    return rc;
}

int awc_op_balance_of(awc_module *m, const awc_call *c, const awc_balance_args *a)
{
    awc_op_begin();
    return awc_op_end(c, balance(m, c, a));
}

int awc_op_expiring_of(awc_module *m, const awc_call *c, const awc_balance_args *a)
{
    awc_op_begin();
    return awc_op_end(c, expiring(m, c, a));
}

int awc_op_balance(awc_module *m, const awc_call *c)
{
    awc_op_begin();
    return awc_op_end(c, balance(m, c, NULL));
}

int awc_op_expiring(awc_module *m, const awc_call *c, int within_days)
{
    awc_balance_args a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.within_days = within_days;
    awc_op_begin();
    return awc_op_end(c, expiring(m, c, &a));
}
