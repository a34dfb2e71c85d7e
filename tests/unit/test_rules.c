/*
 * test_rules.c -- rule.c and match.c: matching, the precedence order, the
 * index and explain.
 *
 * Tables: one row per precedence step with two rules that differ only at
 * that step (and in id), tried in both insertion orders; applicable
 * periods at their edges; only/except lists; types and accounts; every
 * description match kind; explain's text.  Properties (fixed-seed
 * splitmix64, seed printed, AWC_TEST_SEED replays another run): the
 * index's choice equals a brute-force scan on random rule sets and
 * credits; precedence is a strict total order.  Allocation failures at
 * every step of awc_ruleset_new leak nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "rule.h"

#include "prng.h"

/* --- building rules from a short spec ------------------------------------------------ */

/*
 * Spec: ';'-separated "key=value":
 *   d=KIND:TEXT       description match (exact, contains, prefix, regex)
 *   p=FROM..TO        period range, either side may be empty
 *   c=MODE:LIST       customers (only / except / all), LIST blank-separated
 *   r=MODE:LIST       resellers
 *   s=MODE:LIST       services
 *   t=LIST            credit types
 *   a=LIST            accounts
 *   at=N              created, seconds since the epoch
 *   split=c80,r15,P-1:5
 */
/* Cut the next sep-separated token off *p (NULL at the end). */
static char *next_tok(char **p, char sep)
{
    char *tok = *p, *end;
    if (!tok || !*tok)
        return NULL;
    end = strchr(tok, sep);
    if (end) {
        *end = '\0';
        *p = end + 1;
    } else {
        *p = NULL;
    }
    return tok;
}

static void set_ctx(awc_ctx *c, const char *v)
{
    const char *colon = strchr(v, ':');
    assert_non_null(colon);
    assert_int_equal(awc_ctx_mode_parse(&c->mode, v, (size_t)(colon - v)), 0);
    assert_int_equal(awc_rule_list_parse(&c->items, &c->n, colon + 1, strlen(colon + 1)), 0);
}

static void set_split(awc_rule *r, const char *v)
{
    char buf[256];
    char *rest = buf, *tok;
    snprintf(buf, sizeof(buf), "%s", v);
    while ((tok = next_tok(&rest, ','))) {
        awc_split_target *t = &r->split[r->n_split++];
        char *colon = strchr(tok, ':');
        memset(t, 0, sizeof(*t));
        if (tok[0] == 'c' && !colon) {
            t->kind = AWC_TARGET_CUSTOMER;
            t->bp = (int32_t)strtol(tok + 1, NULL, 10) * 100;
        } else if (tok[0] == 'r' && !colon) {
            t->kind = AWC_TARGET_RESELLER;
            t->bp = (int32_t)strtol(tok + 1, NULL, 10) * 100;
        } else {
            assert_non_null(colon);
            t->kind = AWC_TARGET_PARTY;
            snprintf(t->party_id, sizeof(t->party_id), "%.*s", (int)(colon - tok), tok);
            t->bp = (int32_t)strtol(colon + 1, NULL, 10) * 100;
        }
    }
}

static awc_rule mk(const char *id, const char *spec)
{
    awc_rule r;
    char buf[1024];
    char *rest = buf, *kv;

    memset(&r, 0, sizeof(r));
    snprintf(r.id, sizeof(r.id), "%s", id);
    r.name = awc_strdup("");
    r.match_text = NULL;
    r.created = 1000;
    snprintf(buf, sizeof(buf), "%s", spec);
    while ((kv = next_tok(&rest, ';'))) {
        char *eq = strchr(kv, '=');
        const char *v;
        assert_non_null(eq);
        *eq = '\0';
        v = eq + 1;
        if (strcmp(kv, "d") == 0) {
            const char *colon = strchr(v, ':');
            assert_non_null(colon);
            assert_int_equal(awc_match_kind_parse(&r.match, v, (size_t)(colon - v)), 0);
            r.match_text = awc_strdup(colon + 1);
        } else if (strcmp(kv, "p") == 0) {
            const char *dots = strstr(v, "..");
            assert_non_null(dots);
            snprintf(r.period_from, sizeof(r.period_from), "%.*s", (int)(dots - v), v);
            snprintf(r.period_to, sizeof(r.period_to), "%s", dots + 2);
        } else if (strcmp(kv, "c") == 0) {
            set_ctx(&r.customers, v);
        } else if (strcmp(kv, "r") == 0) {
            set_ctx(&r.resellers, v);
        } else if (strcmp(kv, "s") == 0) {
            set_ctx(&r.services, v);
        } else if (strcmp(kv, "t") == 0) {
            assert_int_equal(awc_rule_list_parse(&r.types, &r.n_types, v, strlen(v)), 0);
        } else if (strcmp(kv, "a") == 0) {
            assert_int_equal(awc_rule_list_parse(&r.accounts, &r.n_accounts, v, strlen(v)), 0);
        } else if (strcmp(kv, "at") == 0) {
            r.created = strtoll(v, NULL, 10);
        } else if (strcmp(kv, "split") == 0) {
            set_split(&r, v);
        } else {
            fail_msg("unknown spec key %s", kv);
        }
    }
    if (!r.match_text)
        r.match_text = awc_strdup("");
    return r;
}

/* A credit that matches every rule built with an empty spec. */
static awc_rule_input credit(void)
{
    awc_rule_input in = {
        .description = "AWS MAP Credit MPE12345, credit id: 10063543426",
        .period = "2026-06",
        .customer_id = "C-1",
        .reseller_id = "RS-1",
        .service = "AmazonEC2",
        .credit_type = "MAP",
        .account = "111122223333",
    };
    return in;
}

static awc_ruleset *build(awc_rule *rules, size_t n)
{
    awc_ruleset *rs = NULL;
    int rc = awc_ruleset_new(&rs, rules, n);
    if (rc)
        fail_msg("awc_ruleset_new: %s", awc_error_last());
    return rs;
}

static void free_rules(awc_rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        awc_rule_clear(&rules[i]);
}

static const char *chosen_id(const awc_ruleset *rs, const awc_rule_input *in)
{
    const awc_rule *r = awc_ruleset_choose(rs, in);
    const awc_rule *s = awc_ruleset_choose_scan(rs, in);
    assert_true(r == s);
    return r ? r->id : "(none)";
}

/* Explain collected into a table by rule id. */
typedef struct verdicts {
    size_t n;
    char id[16][AWC_RULE_ID_MAX + 1];
    int matched[16], lost[16], winner[16];
    char why[16][256];
} verdicts;

static int collect(void *arg, const awc_rule_verdict *v)
{
    verdicts *vs = arg;
    assert_true(vs->n < 16);
    snprintf(vs->id[vs->n], sizeof(vs->id[0]), "%s", v->rule->id);
    vs->matched[vs->n] = v->matched;
    vs->lost[vs->n] = v->lost_at_step;
    vs->winner[vs->n] = v->winner;
    snprintf(vs->why[vs->n], sizeof(vs->why[0]), "%s", v->why_not);
    vs->n++;
    return 0;
}

static size_t verdict_of(const verdicts *vs, const char *id)
{
    for (size_t i = 0; i < vs->n; i++)
        if (strcmp(vs->id[i], id) == 0)
            return i;
    fail_msg("no verdict for %s", id);
    return 0;
}

/* --- precedence, one step at a time ------------------------------------------------------ */

typedef struct step_case {
    int step;
    const char *win_id, *win;
    const char *lose_id, *lose;
} step_case;

/* Winners get the larger id where the step is not the id, so the id
 * cannot be what decides. */
static const step_case steps[] = {
    { 1, "Z-1", "d=contains:MPE", "A-1", "" },
    { 1, "Z-1", "d=exact:aws map credit mpe12345, credit id: 10063543426", "A-1", "" },
    { 1, "Z-1", "d=prefix:AWS MAP", "A-1", "" },
    { 1, "Z-1", "d=regex:credit id: [0-9]+$", "A-1", "" },
    { 1, "Z-1", "d=contains:MPE;at=1", "A-1", "c=only:C-1;r=only:RS-1;s=only:AmazonEC2;at=9" },
    { 2, "Z-2", "c=only:C-1", "A-2", "c=except:C-9" },
    { 2, "Z-2", "c=except:C-9", "A-2", "c=all:" },
    { 2, "Z-2", "c=only:C-1 C-2", "A-2", "c=all:" },
    { 2, "Z-2", "c=only:C-1;at=1", "A-2", "c=except:C-9;r=only:RS-1;s=only:AmazonEC2;at=9" },
    { 3, "Z-3", "r=only:RS-1", "A-3", "r=except:RS-9" },
    { 3, "Z-3", "r=except:RS-9", "A-3", "r=all:" },
    { 3, "Z-3", "r=only:RS-1", "A-3", "r=all:" },
    { 3, "Z-3", "c=only:C-1;r=only:RS-1;at=1", "A-3", "c=only:C-1;r=except:RS-9;s=only:AmazonEC2;at=9" },
    { 4, "Z-4", "s=only:AmazonEC2", "A-4", "s=except:AmazonS3" },
    { 4, "Z-4", "s=except:AmazonS3", "A-4", "s=all:" },
    { 4, "Z-4", "s=only:AmazonEC2 AmazonS3", "A-4", "s=all:" },
    { 5, "Z-5", "at=2000", "A-5", "at=1999" },
    { 5, "Z-5", "d=contains:MPE;c=only:C-1;at=1767607200", "A-5", "d=contains:MPE;c=only:C-1;at=1767607199" },
    { 6, "A-6", "", "B-6", "" },
    { 6, "R-10", "d=contains:map", "R-9", "d=contains:map" },     /* byte order: '1' < '9' */
};

static void test_precedence_steps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const step_case *c = &steps[i];
        for (int order = 0; order < 2; order++) {
            awc_rule rules[2];
            awc_ruleset *rs;
            awc_rule_input in = credit();
            verdicts vs = { 0 };
            size_t w, l;
            int step = -1;

            rules[order] = mk(c->win_id, c->win);
            rules[1 - order] = mk(c->lose_id, c->lose);
            assert_true(awc_rule_precedence(&rules[order], &rules[1 - order], &step) < 0);
            assert_int_equal(step, c->step);
            assert_true(awc_rule_precedence(&rules[1 - order], &rules[order], &step) > 0);
            assert_int_equal(step, c->step);

            rs = build(rules, 2);
            if (strcmp(chosen_id(rs, &in), c->win_id) != 0)
                fail_msg("case %zu order %d: %s won, expected %s", i, order,
                         chosen_id(rs, &in), c->win_id);
            assert_int_equal(awc_ruleset_explain(rs, &in, collect, &vs), 0);
            assert_int_equal(vs.n, 2);
            w = verdict_of(&vs, c->win_id);
            l = verdict_of(&vs, c->lose_id);
            assert_true(vs.matched[w] && vs.winner[w] && vs.lost[w] == 0);
            assert_true(vs.matched[l] && !vs.winner[l]);
            assert_int_equal(vs.lost[l], c->step);
            awc_ruleset_free(rs);
            free_rules(rules, 2);
        }
    }
}

static void test_step_names(void **state)
{
    (void)state;
    assert_string_equal(awc_rule_step_name(1), "description");
    assert_string_equal(awc_rule_step_name(2), "customer context");
    assert_string_equal(awc_rule_step_name(3), "reseller context");
    assert_string_equal(awc_rule_step_name(4), "service context");
    assert_string_equal(awc_rule_step_name(5), "created");
    assert_string_equal(awc_rule_step_name(6), "rule id");
    assert_string_equal(awc_rule_step_name(0), "");
    assert_string_equal(awc_rule_step_name(7), "");
}

/* The precedence chain of SPEC 7 across many rules, inserted in every
 * rotation: removing the winner each time walks the order. */
static void test_precedence_chain(void **state)
{
    static const struct { const char *id, *spec; } chain[] = {
        { "R-H", "d=contains:MPE;c=only:C-1;r=only:RS-1;s=only:AmazonEC2;at=5" },
        { "R-G", "d=contains:MPE;c=only:C-1;r=only:RS-1;s=only:AmazonEC2;at=4" },
        { "R-F", "d=contains:MPE;c=only:C-1;r=only:RS-1;s=except:AmazonS3;at=9" },
        { "R-E", "d=contains:MPE;c=only:C-1;r=except:RS-9;s=only:AmazonEC2;at=9" },
        { "R-D", "d=contains:MPE;c=except:C-9;r=only:RS-1;s=only:AmazonEC2;at=9" },
        { "R-C", "d=contains:MPE;at=9" },
        { "R-B", "c=only:C-1;r=only:RS-1;s=only:AmazonEC2;at=9" },
        { "R-A", "at=9" },
        { "R-Z", "at=9" },
    };
    const size_t n = sizeof(chain) / sizeof(chain[0]);
    (void)state;

    for (size_t rot = 0; rot < n; rot++) {
        for (size_t keep = 0; keep < n; keep++) {
            awc_rule rules[16];
            awc_ruleset *rs;
            awc_rule_input in = credit();
            size_t k = 0;
            /* rules keep..n-1 of the chain, rotated by rot */
            for (size_t j = 0; j < n; j++) {
                size_t idx = (j + rot) % n;
                if (idx >= keep)
                    rules[k++] = mk(chain[idx].id, chain[idx].spec);
            }
            rs = build(rules, k);
            assert_string_equal(chosen_id(rs, &in), chain[keep].id);
            awc_ruleset_free(rs);
            free_rules(rules, k);
        }
    }
}

/* --- applicable periods, lists, types, accounts, descriptions ---------------------------- */

typedef struct match_case {
    const char *spec;
    const char *field;            /* credit field to change: d p c r s t a, or "" */
    const char *value;
    int match;
    const char *why;              /* explain's reason when !match */
} match_case;

static awc_rule_input with(const char *field, const char *value)
{
    awc_rule_input in = credit();
    switch (field[0]) {
    case 'd': in.description = value; break;
    case 'p': in.period = value; break;
    case 'c': in.customer_id = value; break;
    case 'r': in.reseller_id = value; break;
    case 's': in.service = value; break;
    case 't': in.credit_type = value; break;
    case 'a': in.account = value; break;
    default: break;
    }
    return in;
}

static void run_match_cases(const match_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const match_case *c = &cases[i];
        awc_rule r = mk("R-1", c->spec);
        awc_ruleset *rs = build(&r, 1);
        awc_rule_input in = with(c->field, c->value);
        verdicts vs = { 0 };
        const awc_rule *got = awc_ruleset_choose(rs, &in);

        if ((got != NULL) != c->match)
            fail_msg("case %zu (%s; %s=%s): expected %s", i, c->spec, c->field,
                     c->value ? c->value : "NULL", c->match ? "a match" : "no match");
        assert_true(awc_ruleset_choose_scan(rs, &in) == got);
        assert_int_equal(awc_ruleset_explain(rs, &in, collect, &vs), 0);
        assert_int_equal(vs.n, 1);
        assert_int_equal(vs.matched[0], c->match);
        assert_int_equal(vs.winner[0], c->match);
        if (c->match)
            assert_string_equal(vs.why[0], "");
        else if (strcmp(vs.why[0], c->why) != 0)
            fail_msg("case %zu: reason '%s', expected '%s'", i, vs.why[0], c->why);
        awc_ruleset_free(rs);
        awc_rule_clear(&r);
    }
}

static void test_periods(void **state)
{
    static const match_case cases[] = {
        { "p=2026-03..2026-06", "p", "2026-02", 0, "period 2026-02 before 2026-03" },
        { "p=2026-03..2026-06", "p", "2026-03", 1, NULL },
        { "p=2026-03..2026-06", "p", "2026-05", 1, NULL },
        { "p=2026-03..2026-06", "p", "2026-06", 1, NULL },
        { "p=2026-03..2026-06", "p", "2026-07", 0, "period 2026-07 after 2026-06" },
        { "p=2026-03..2026-06", "p", "2025-12", 0, "period 2025-12 before 2026-03" },
        { "p=2026-03..2026-06", "p", "2027-04", 0, "period 2027-04 after 2026-06" },
        { "p=2026-06..2026-06", "p", "2026-06", 1, NULL },
        { "p=2026-06..2026-06", "p", "2026-05", 0, "period 2026-05 before 2026-06" },
        { "p=2026-06..2026-06", "p", "2026-07", 0, "period 2026-07 after 2026-06" },
        { "p=2025-12..2026-01", "p", "2025-12", 1, NULL },     /* across a year end */
        { "p=2025-12..2026-01", "p", "2026-01", 1, NULL },
        { "p=2025-12..2026-01", "p", "2025-11", 0, "period 2025-11 before 2025-12" },
        { "p=..2026-06", "p", "1970-01", 1, NULL },             /* open start */
        { "p=..2026-06", "p", "2026-07", 0, "period 2026-07 after 2026-06" },
        { "p=2026-03..", "p", "9999-12", 1, NULL },             /* open end */
        { "p=2026-03..", "p", "2026-02", 0, "period 2026-02 before 2026-03" },
        { "p=2026-03..2026-06", "p", "2026-6", 0, "period '2026-6' is not YYYY-MM" },
        { "p=2026-03..2026-06", "p", "", 0, "period '' is not YYYY-MM" },
        { "p=2026-03..2026-06", "p", NULL, 0, "period '' is not YYYY-MM" },
        { "p=2026-03..2026-06", "p", "2026-13", 0, "period '2026-13' is not YYYY-MM" },
        { "", "p", "2026-6", 1, NULL },                         /* no range: any period */
        { "", "p", NULL, 1, NULL },
    };
    (void)state;
    run_match_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_context_lists(void **state)
{
    static const match_case cases[] = {
        /* except */
        { "c=except:C-9 C-8", "c", "C-9", 0, "customer C-9 in except list" },
        { "c=except:C-9 C-8", "c", "C-8", 0, "customer C-8 in except list" },
        { "c=except:C-9 C-8", "c", "C-1", 1, NULL },
        { "c=except:C-9 C-8", "c", "", 1, NULL },
        { "c=except:C-9 C-8", "c", NULL, 1, NULL },
        { "c=except:C-9", "c", "c-9", 1, NULL },                /* ids are case-sensitive */
        { "c=except:C-9", "c", "C-99", 1, NULL },               /* whole ids only */
        { "r=except:RS-9", "r", "RS-9", 0, "reseller RS-9 in except list" },
        { "r=except:RS-9", "r", "RS-1", 1, NULL },
        { "s=except:AmazonEC2 AmazonS3", "s", "AmazonEC2", 0, "service AmazonEC2 in except list" },
        { "s=except:AmazonEC2 AmazonS3", "s", "AmazonRDS", 1, NULL },
        /* only */
        { "c=only:C-1 C-2", "c", "C-2", 1, NULL },
        { "c=only:C-1 C-2", "c", "C-3", 0, "customer C-3 not in only list" },
        { "c=only:C-1 C-2", "c", "", 0, "customer (none) not in only list" },
        { "c=only:C-1", "c", "C-1 ", 0, "customer C-1  not in only list" },
        { "r=only:RS-1", "r", "RS-2", 0, "reseller RS-2 not in only list" },
        { "s=only:AmazonS3", "s", "AmazonEC2", 0, "service AmazonEC2 not in only list" },
        /* all */
        { "c=all:;r=all:;s=all:", "c", "", 1, NULL },
        /* the first failing one is named, in the documented order */
        { "c=only:C-2;r=only:RS-2", "", "", 0, "customer C-1 not in only list" },
        { "r=except:RS-1;s=only:AmazonS3", "", "", 0, "reseller RS-1 in except list" },
        /* a long list goes through the binary search */
        { "c=except:C-10 C-11 C-12 C-13 C-14 C-15 C-16 C-17 C-18 C-19 C-1", "c", "C-1", 0,
          "customer C-1 in except list" },
        { "c=except:C-10 C-11 C-12 C-13 C-14 C-15 C-16 C-17 C-18 C-19 C-1", "c", "C-2", 1, NULL },
        { "c=only:C-10 C-11 C-12 C-13 C-14 C-15 C-16 C-17 C-18 C-19 C-1", "c", "C-19", 1, NULL },
    };
    (void)state;
    run_match_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_types_accounts(void **state)
{
    static const match_case cases[] = {
        { "t=MAP EDP", "t", "EDP", 1, NULL },
        { "t=MAP EDP", "t", "SLA", 0, "type SLA not in types list" },
        { "t=MAP EDP", "t", "map", 0, "type map not in types list" },
        { "t=MAP EDP", "t", "", 0, "type (none) not in types list" },
        { "", "t", "ANYTHING", 1, NULL },
        { "a=111122223333 444455556666", "a", "444455556666", 1, NULL },
        { "a=111122223333 444455556666", "a", "999999999999", 0,
          "account 999999999999 not in accounts list" },
        { "a=111122223333", "a", NULL, 0, "account (none) not in accounts list" },
        { "", "a", "000000000000", 1, NULL },
        { "t=SLA;a=999999999999", "", "", 0, "type MAP not in types list" },
    };
    (void)state;
    run_match_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_descriptions(void **state)
{
    static const match_case cases[] = {
        { "d=exact:AWS MAP credit", "d", "aws map CREDIT", 1, NULL },
        { "d=exact:AWS MAP credit", "d", "AWS MAP credit ", 0,
          "description does not equal 'AWS MAP credit'" },
        { "d=exact:AWS MAP credit", "d", "AWS MAP cred", 0,
          "description does not equal 'AWS MAP credit'" },
        { "d=prefix:EDP", "d", "edp discount", 1, NULL },
        { "d=prefix:EDP", "d", "EDP", 1, NULL },
        { "d=prefix:EDP", "d", "ED", 0, "description does not start with 'EDP'" },
        { "d=prefix:EDP", "d", "The EDP", 0, "description does not start with 'EDP'" },
        { "d=prefix:AWS Migration Acceleration", "d", "aws migration acceleration program", 1, NULL },
        { "d=prefix:AWS Migration Acceleration", "d", "AWS Migration Accelerator", 0,
          "description does not start with 'AWS Migration Acceleration'" },
        { "d=contains:mpe", "d", "MAP_MPE123", 1, NULL },
        { "d=contains:mpe", "d", "MAP-MP-E", 0, "description does not contain 'mpe'" },
        { "d=contains:credit id:", "d", "x, Credit ID: 1", 1, NULL },
        { "d=contains:x", "d", "", 0, "description does not contain 'x'" },
        { "d=contains:x", "d", NULL, 0, "description does not contain 'x'" },
        { "d=contains:Crédit", "d", "CRéDIT", 1, NULL },            /* ASCII folding only */
        { "d=contains:Crédit", "d", "CRÉDIT", 0, "description does not contain 'Crédit'" },
        { "d=regex:^aws .*credit$", "d", "AWS MAP Credit", 1, NULL },
        { "d=regex:^aws .*credit$", "d", "AWS MAP Credits", 0,
          "description does not match regex '^aws .*credit$'" },
        { "d=regex:(EDP|MAP)[ _]", "d", "a map_credit", 1, NULL },
        { "d=regex:(EDP|MAP)[ _]", "d", "a mapcredit", 0,
          "description does not match regex '(EDP|MAP)[ _]'" },
        { "d=regex:credit id: [0-9]{11}", "d", "x credit id: 10063543426", 1, NULL },
        { "d=regex:credit id: [0-9]{11}", "d", "x credit id: 1006354342", 0,
          "description does not match regex 'credit id: [0-9]{11}'" },
        { "d=regex:ab+c", "d", "xABBBCx", 1, NULL },
        { "d=regex:ab*c", "d", "ac", 1, NULL },
        { "d=regex:a\\.b", "d", "A.B", 1, NULL },
        { "d=regex:a\\.b", "d", "AxB", 0, "description does not match regex 'a\\.b'" },
        { "d=regex:colou?r", "d", "COLOR", 1, NULL },
        { "d=regex:k8s", "d", "K8S cluster", 1, NULL },
        { "d=regex:[[:digit:]]+ days", "d", "30 DAYS", 1, NULL },
        { "d=regex:x(yz)*w", "d", "xw", 1, NULL },
        { "d=regex:x(yz)?w", "d", "XYZW", 1, NULL },
        { "d=regex:\\<map\\>", "d", "a map b", 1, NULL },
        { "d=regex:\\<map\\>", "d", "amapb", 0, "description does not match regex '\\<map\\>'" },
    };
    (void)state;
    run_match_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Descriptions longer than the index folds in one go take the slower path
 * (folding on the fly); both must give the same answers. */
static void test_long_descriptions(void **state)
{
    static const char *const specs[] = {
        "d=contains:MPE12345", "d=contains:zz", "d=prefix:Aws Map", "d=prefix:AWS MAP CREDIT X",
        "d=regex:mpe[0-9]{5}$", "d=regex:^aws", "d=exact:AWS",
    };
    char *desc = malloc(1200);
    awc_rule rules[7];
    awc_ruleset *rs;
    (void)state;

    assert_non_null(desc);
    for (size_t i = 0; i < 7; i++) {
        char id[16];
        snprintf(id, sizeof(id), "R-%zu", i);
        rules[i] = mk(id, specs[i]);
        rules[i].created = 1000 - (int64_t)i;         /* earlier spec wins ties */
    }
    rs = build(rules, 7);
    for (size_t len = 500; len <= 1100; len += 100) {
        awc_rule_input in = credit();
        /* "AWS MAP credit x x x ... MPE12345" of about len bytes */
        size_t n = (size_t)snprintf(desc, 1200, "AWS MAP credit ");
        while (n + 10 < len)
            n += (size_t)snprintf(desc + n, 1200 - n, "x ");
        snprintf(desc + n, 1200 - n, "mpe12345");
        in.description = desc;
        assert_string_equal(chosen_id(rs, &in), "R-0");
        snprintf(desc + n, 1200 - n, "mpe54321");     /* R-2 (newer than R-4) */
        assert_string_equal(chosen_id(rs, &in), "R-2");
        desc[0] = 'X';                                /* no prefix, no ^aws: R-4 */
        assert_string_equal(chosen_id(rs, &in), "R-4");
        snprintf(desc + n, 1200 - n, "mpe5x321");     /* nothing */
        assert_string_equal(chosen_id(rs, &in), "(none)");
        snprintf(desc + n, 1200 - n, "ZZ");
        assert_string_equal(chosen_id(rs, &in), "R-1");
    }
    awc_ruleset_free(rs);
    free_rules(rules, 7);
    free(desc);
}

/* In a UTF-8 locale REG_ICASE lets "s" match U+017F (long s): the index
 * must not skip such a regex because its literal is not in the text. */
static void test_regex_utf8_locale(void **state)
{
    awc_rule rules[2];
    awc_ruleset *rs;
    awc_rule_input in = credit();
    (void)state;

    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        print_message("C.UTF-8 not available: skipped\n");
        skip();
    }
    rules[0] = mk("R-RE", "d=regex:sla");             /* one trigram: "sla" */
    rules[1] = mk("R-CONTAINS", "d=contains:sla");
    rs = build(rules, 2);
    in.description = "\xc5\xbf" "la credit for EC2";   /* U+017F "la credit" */
    assert_string_equal(chosen_id(rs, &in), "R-RE");   /* contains folds ASCII only */
    in.description = "SLA credit";
    assert_string_equal(chosen_id(rs, &in), "R-CONTAINS");   /* same created: smaller id */
    awc_ruleset_free(rs);
    free_rules(rules, 2);
    setlocale(LC_CTYPE, "C");
}

/* --- explain --------------------------------------------------------------------------- */

static int stop_after_two(void *arg, const awc_rule_verdict *v)
{
    int *seen = arg;
    (void)v;
    return ++*seen == 2 ? 42 : 0;
}

static void test_explain(void **state)
{
    awc_rule rules[6];
    awc_ruleset *rs;
    awc_rule_input in = credit();
    verdicts vs = { 0 };
    int seen = 0;
    (void)state;

    rules[0] = mk("R-GENERAL", "split=c100");
    rules[1] = mk("R-MAP", "d=contains:MPE;c=only:C-1 C-2;split=c80,r15");
    rules[2] = mk("R-MAP-OLD", "d=contains:mpe;c=only:C-1;at=1;split=c80");
    rules[3] = mk("R-EDP", "d=prefix:EDP;split=c50");
    rules[4] = mk("R-OTHER", "c=only:C-9;split=c50");
    rules[5] = mk("R-LATER", "p=2026-10..2026-12;split=c50");
    rs = build(rules, 6);

    assert_int_equal(awc_ruleset_explain(rs, &in, collect, &vs), 0);
    assert_int_equal(vs.n, 6);
    /* id order */
    assert_string_equal(vs.id[0], "R-EDP");
    assert_string_equal(vs.id[1], "R-GENERAL");
    assert_string_equal(vs.id[2], "R-LATER");
    assert_string_equal(vs.id[3], "R-MAP");
    assert_string_equal(vs.id[4], "R-MAP-OLD");
    assert_string_equal(vs.id[5], "R-OTHER");

    assert_false(vs.matched[0]);
    assert_string_equal(vs.why[0], "description does not start with 'EDP'");
    assert_true(vs.matched[1] && !vs.winner[1]);
    assert_int_equal(vs.lost[1], 1);                     /* blank description */
    assert_false(vs.matched[2]);
    assert_string_equal(vs.why[2], "period 2026-06 before 2026-10");
    assert_true(vs.matched[3] && vs.winner[3]);
    assert_int_equal(vs.lost[3], 0);
    assert_true(vs.matched[4] && !vs.winner[4]);
    assert_int_equal(vs.lost[4], 5);                     /* older */
    assert_false(vs.matched[5]);
    assert_string_equal(vs.why[5], "customer C-1 not in only list");
    for (size_t i = 0; i < vs.n; i++)
        if (!vs.matched[i])
            assert_int_equal(vs.lost[i], 0);

    /* a non-zero return stops the walk and is returned */
    assert_int_equal(awc_ruleset_explain(rs, &in, stop_after_two, &seen), 42);
    assert_int_equal(seen, 2);

    /* nothing matches: no winner */
    in.customer_id = "C-9";
    in.period = "2026-11";
    in.description = "EDP discount";
    memset(&vs, 0, sizeof(vs));
    assert_int_equal(awc_ruleset_explain(rs, &in, collect, &vs), 0);
    assert_string_equal(chosen_id(rs, &in), "R-EDP");
    in.description = "promo";
    in.customer_id = "C-7";
    in.period = "2026-06";
    awc_ruleset_free(rs);
    awc_rule_clear(&rules[0]);
    rules[0] = mk("R-GENERAL", "c=except:C-7;split=c100");
    rs = build(rules, 6);
    memset(&vs, 0, sizeof(vs));
    assert_int_equal(awc_ruleset_explain(rs, &in, collect, &vs), 0);
    for (size_t i = 0; i < vs.n; i++)
        assert_false(vs.matched[i] || vs.winner[i]);
    assert_null(awc_ruleset_choose(rs, &in));
    assert_null(awc_ruleset_choose_scan(rs, &in));
    awc_ruleset_free(rs);
    free_rules(rules, 6);
}

/* The worked example of docs/RULES.md section 3, verdict for verdict. */
static void test_docs_example(void **state)
{
    awc_rule rules[5];
    awc_ruleset *rs;
    awc_rule_input in = credit();
    verdicts vs = { 0 };
    static const struct { const char *id; int matched, winner, lost; const char *why; } want[] = {
        { "R-ACME", 1, 0, 1, "" },
        { "R-EDP", 0, 0, 0, "description does not start with 'EDP'" },
        { "R-MAP", 1, 0, 2, "" },
        { "R-MAP-ACME", 1, 0, 5, "" },
        { "R-MAP-ACME-2", 1, 1, 0, "" },
    };
    (void)state;

    rules[0] = mk("R-ACME", "c=only:C-1001;r=only:RS-7;s=only:AmazonEC2;at=1775001600");
    rules[1] = mk("R-MAP", "d=contains:MPE;c=except:C-9;at=1775001600");
    rules[2] = mk("R-MAP-ACME", "d=contains:mpe;c=only:C-1001 C-1002;at=1767607200");
    rules[3] = mk("R-MAP-ACME-2", "d=contains:MPE;c=only:C-1001;at=1772323200");
    rules[4] = mk("R-EDP", "d=prefix:EDP;at=1777593600");
    in.description = "AWS MAP Credit MPE12345";
    in.customer_id = "C-1001";
    in.reseller_id = "RS-7";
    rs = build(rules, 5);
    assert_string_equal(chosen_id(rs, &in), "R-MAP-ACME-2");
    assert_int_equal(awc_ruleset_explain(rs, &in, collect, &vs), 0);
    assert_int_equal(vs.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(vs.id[i], want[i].id);
        assert_int_equal(vs.matched[i], want[i].matched);
        assert_int_equal(vs.winner[i], want[i].winner);
        assert_int_equal(vs.lost[i], want[i].lost);
        assert_string_equal(vs.why[i], want[i].why);
    }
    awc_ruleset_free(rs);
    free_rules(rules, 5);
}

/* --- building rule sets ------------------------------------------------------------------- */

static void test_ruleset_copies_and_sorts(void **state)
{
    awc_rule rules[3];
    awc_ruleset *rs;
    const awc_rule *r;
    awc_rule_input in = credit();
    (void)state;

    rules[0] = mk("R-2", "c=only:C-3 C-1 C-2 C-1;t=MAP EDP MAP");
    rules[1] = mk("R-1", "");
    rules[2] = mk("R-10", "");
    /* lists given unsorted and with duplicates (not through list_parse) */
    awc_free(rules[1].customers.items);
    rules[1].customers.mode = AWC_CTX_EXCEPT;
    rules[1].customers.items = awc_calloc(3, sizeof(char *));
    rules[1].customers.items[0] = awc_strdup("C-9");
    rules[1].customers.items[1] = awc_strdup("C-8");
    rules[1].customers.items[2] = awc_strdup("C-9");
    rules[1].customers.n = 3;
    rs = build(rules, 3);
    free_rules(rules, 3);                 /* the set holds copies */

    assert_int_equal(awc_ruleset_count(rs), 3);
    assert_string_equal(awc_ruleset_rule(rs, 0)->id, "R-1");
    assert_string_equal(awc_ruleset_rule(rs, 1)->id, "R-10");
    assert_string_equal(awc_ruleset_rule(rs, 2)->id, "R-2");
    r = awc_ruleset_rule(rs, 2);
    assert_int_equal(r->customers.n, 3);
    assert_string_equal(r->customers.items[0], "C-1");
    assert_string_equal(r->customers.items[2], "C-3");
    assert_int_equal(r->n_types, 2);
    assert_string_equal(r->types[0], "EDP");
    r = awc_ruleset_rule(rs, 0);
    assert_int_equal(r->customers.n, 2);
    assert_string_equal(r->customers.items[0], "C-8");
    assert_string_equal(r->customers.items[1], "C-9");
    assert_string_equal(chosen_id(rs, &in), "R-2");
    awc_ruleset_free(rs);

    /* empty set */
    assert_int_equal(awc_ruleset_new(&rs, NULL, 0), 0);
    assert_int_equal(awc_ruleset_count(rs), 0);
    assert_null(awc_ruleset_choose(rs, &in));
    assert_null(awc_ruleset_choose_scan(rs, &in));
    awc_ruleset_free(rs);
    awc_ruleset_free(NULL);
}

typedef struct bad_case {
    const char *id, *spec;
    void (*tweak)(awc_rule *r);
    const char *msg;
} bad_case;

static void over_100(awc_rule *r)
{
    r->split[0].bp = 6000;
    r->split[1].bp = 4001;
}

static void bad_order(awc_rule *r)
{
    awc_split_target t = r->split[0];
    r->split[0] = r->split[1];
    r->split[1] = t;
}

static void text_for_any(awc_rule *r)
{
    awc_free(r->match_text);
    r->match_text = awc_strdup("MPE");
}

static void padded(awc_rule *r)
{
    awc_free(r->match_text);
    r->match_text = awc_strdup(" MPE");
}

static void control(awc_rule *r)
{
    awc_free(r->name);
    r->name = awc_strdup("a\tb");
}

static void bad_utf8(awc_rule *r)
{
    awc_free(r->name);
    r->name = awc_strdup("caf\xc3");
}

static void neg_created(awc_rule *r)
{
    r->created = -1;
}

static void ghost_party(awc_rule *r)
{
    r->split[0].party_id[0] = 'X';
}

static const bad_case bad_cases[] = {
    { "R-1", "d=regex:credit (id", NULL, "rule 'R-1': regex 'credit (id' does not compile" },
    { "R-1", "split=c60,r40", over_100, "rule 'R-1': split: percentages add up to 100.01 %" },
    { "R-1", "split=c60,r40", bad_order, "rule 'R-1': split: the customer target comes first" },
    { "R-1", "split=P-1:10,P-1:5", NULL, "rule 'R-1': split: party 'P-1' appears twice" },
    { "R-1", "split=P 1:10", NULL, "rule 'R-1': split: party id 'P 1' is not" },
    { "R-1", "split=c50", ghost_party, "rule 'R-1': split: only a party target has a party id" },
    { "R-1", "p=2026-07..2026-06", NULL, "rule 'R-1': period from 2026-07 is after to 2026-06" },
    { "R-1", "p=2026-13..", NULL, "rule 'R-1': period from is not YYYY-MM" },
    { "R-1", "c=only:", NULL, "rule 'R-1': customers: mode only needs at least one id" },
    { "R-1", "r=except:", NULL, "rule 'R-1': resellers: mode except needs at least one id" },
    { "R-1", "s=all:AmazonEC2", NULL, "rule 'R-1': services: mode all takes no list" },
    { "R-1", "a=11112222333", NULL, "rule 'R-1': account '11112222333' is not 12 digits" },
    { "R-1", "t=M@P", NULL, "rule 'R-1': type 'M@P' is not" },
    { "R-1", "d=contains:", NULL, "rule 'R-1': match contains needs a description" },
    { "R-1", "", text_for_any, "rule 'R-1': a description needs a match kind" },
    { "R-1", "d=contains:MPE", padded, "rule 'R-1': description has leading or trailing blanks" },
    { "R-1", "", control, "rule 'R-1': name contains a control character" },
    { "R-1", "", bad_utf8, "rule 'R-1': name is not valid UTF-8" },
    { "R-1", "", neg_created, "rule 'R-1': created is outside 1970..9999" },
    { "R 1", "", NULL, "rule 'R 1': id 'R 1' is not 1..64" },
    { "", "", NULL, "rule 2: id '' is not 1..64" },
};

static void test_ruleset_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *c = &bad_cases[i];
        awc_rule rules[2];
        awc_ruleset *rs = (awc_ruleset *)&rules;    /* must stay unchanged */
        rules[0] = mk("R-0", "");
        rules[1] = mk(c->id, c->spec);
        if (c->tweak)
            c->tweak(&rules[1]);
        assert_int_equal(awc_ruleset_new(&rs, rules, 2), AWC_EBADINPUT);
        assert_ptr_equal(rs, (awc_ruleset *)&rules);
        if (!strstr(awc_error_last(), c->msg))
            fail_msg("case %zu: message '%s', expected '%s'", i, awc_error_last(), c->msg);
        free_rules(rules, 2);
    }
    {
        awc_rule rules[3] = { mk("R-1", ""), mk("R-2", ""), mk("R-1", "d=contains:x") };
        awc_ruleset *rs = NULL;
        assert_int_equal(awc_ruleset_new(&rs, rules, 3), AWC_EBADINPUT);
        assert_null(rs);
        assert_string_equal(awc_error_last(), "rule 'R-1': duplicate rule id");
        free_rules(rules, 3);
    }
}

static void test_ruleset_oom(void **state)
{
    awc_rule rules[5];
    int done = 0;
    (void)state;

    rules[0] = mk("R-1", "a=111122223333;c=only:C-1");
    rules[1] = mk("R-2", "d=exact:AWS MAP Credit;r=except:RS-9");
    rules[2] = mk("R-3", "d=prefix:EDP;s=only:AmazonEC2;t=EDP");
    rules[3] = mk("R-4", "d=regex:credit id: [0-9]+");
    rules[4] = mk("R-5", "d=contains:MPE;split=c80,r10,P-1:5");
    for (long k = 0; !done && k < 10000; k++) {
        awc_ruleset *rs = NULL;
        int rc;
        awc_alloc_fail_after(k);
        rc = awc_ruleset_new(&rs, rules, 5);
        awc_alloc_fail_after(-1);
        if (rc == 0) {
            awc_rule_input in = credit();
            assert_string_equal(chosen_id(rs, &in), "R-4");
            awc_ruleset_free(rs);
            done = 1;
        } else {
            assert_int_equal(rc, AWC_ENOMEM);
            assert_null(rs);
        }
    }
    assert_true(done);
    free_rules(rules, 5);
}

/* --- model helpers ------------------------------------------------------------------------- */

static void test_created(void **state)
{
    static const struct { const char *text; int64_t t; } good[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2026-01-05T10:00:00Z", INT64_C(1767607200) },
        { "2024-02-29T23:59:59Z", INT64_C(1709251199) },
        { "9999-12-31T23:59:59Z", AWC_RULE_CREATED_MAX },
    };
    static const char *const bad[] = {
        "2026-01-05 10:00:00Z", "2026-01-05T10:00:00", "2026-01-05T10:00:00+00:00",
        "2026-02-29T10:00:00Z", "2026-01-05T24:00:00Z", "2026-01-05T10:60:00Z",
        "2026-01-05T10:00:60Z", "1969-12-31T23:59:59Z", "2026-1-05T10:00:00Z", "",
        "2026-01-05T10:00:00.5Z",
    };
    char buf[AWC_RULE_CREATED_LEN + 1];
    int64_t t;
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(awc_rule_created_parse(&t, good[i].text, strlen(good[i].text)), 0);
        assert_int_equal(t, good[i].t);
        assert_int_equal(awc_rule_created_format(buf, sizeof(buf), t), 0);
        assert_string_equal(buf, good[i].text);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (awc_rule_created_parse(&t, bad[i], strlen(bad[i])) != AWC_EBADINPUT)
            fail_msg("'%s' was accepted", bad[i]);
    }
    assert_int_equal(awc_rule_created_format(buf, sizeof(buf), -1), AWC_EBADINPUT);
    assert_int_equal(awc_rule_created_format(buf, sizeof(buf), AWC_RULE_CREATED_MAX + 1),
                     AWC_EBADINPUT);
    assert_int_equal(awc_rule_created_format(buf, 10, 0), AWC_EBADINPUT);
}

static void test_names_and_lists(void **state)
{
    awc_match_kind k;
    awc_ctx_mode m;
    char **items;
    size_t n;
    (void)state;

    for (int i = AWC_MATCH_ANY; i <= AWC_MATCH_REGEX; i++) {
        const char *s = awc_match_kind_name((awc_match_kind)i);
        assert_int_equal(awc_match_kind_parse(&k, s, strlen(s)), 0);
        assert_int_equal(k, i);
    }
    for (int i = AWC_CTX_ALL; i <= AWC_CTX_ONLY; i++) {
        const char *s = awc_ctx_mode_name((awc_ctx_mode)i);
        assert_int_equal(awc_ctx_mode_parse(&m, s, strlen(s)), 0);
        assert_int_equal(m, i);
    }
    assert_int_equal(awc_match_kind_parse(&k, "Exact", 5), -1);
    assert_int_equal(awc_ctx_mode_parse(&m, "onl", 3), -1);
    assert_string_equal(awc_match_kind_name((awc_match_kind)9), "");

    assert_int_equal(awc_rule_list_parse(&items, &n, " b\ta\r\nc  b ", 11), 0);
    assert_int_equal(n, 3);
    assert_string_equal(items[0], "a");
    assert_string_equal(items[1], "b");
    assert_string_equal(items[2], "c");
    awc_rule_list_free(items, n);
    assert_int_equal(awc_rule_list_parse(&items, &n, "   ", 3), 0);
    assert_int_equal(n, 0);
    assert_null(items);

    assert_true(awc_rule_period_valid("2026-01", 7));
    assert_false(awc_rule_period_valid("2026-00", 7));
    assert_false(awc_rule_period_valid("2026-1", 6));
    assert_false(awc_rule_period_valid("2026/01", 7));
}

static void test_copy_and_equal(void **state)
{
    awc_rule a = mk("R-1", "d=contains:MPE;p=2026-01..;c=only:C-1 C-2;t=MAP;a=111122223333;"
                           "split=c80,r10,P-1:5");
    awc_rule b;
    (void)state;

    assert_int_equal(awc_rule_copy(&b, &a), 0);
    assert_true(awc_rule_equal(&a, &b));
    b.split[2].bp = 400;
    assert_false(awc_rule_equal(&a, &b));
    b.split[2].bp = 500;
    b.created++;
    assert_false(awc_rule_equal(&a, &b));
    b.created--;
    awc_free(b.customers.items[1]);
    b.customers.items[1] = awc_strdup("C-3");
    assert_false(awc_rule_equal(&a, &b));
    awc_rule_clear(&b);
    assert_null(b.name);
    /* copy under allocation failure: nothing leaks, out zeroed */
    for (long k = 0; k < 20; k++) {
        int rc;
        awc_alloc_fail_after(k);
        rc = awc_rule_copy(&b, &a);
        awc_alloc_fail_after(-1);
        if (rc == 0) {
            assert_true(awc_rule_equal(&a, &b));
            awc_rule_clear(&b);
            break;
        }
        assert_int_equal(rc, AWC_ENOMEM);
        assert_null(b.name);
    }
    awc_rule_clear(&a);
}

/* --- properties ------------------------------------------------------------------------------ */

static const char *const customers[] = { "C-1", "C-2", "C-3", "C-4", "C-5", "C-6" };
static const char *const resellers[] = { "RS-1", "RS-2", "RS-3" };
static const char *const services[] = { "AmazonEC2", "AmazonS3", "AmazonRDS", "AWSLambda" };
static const char *const types[] = { "MAP", "EDP", "SLA", "POC" };
static const char *const accounts[] = { "111122223333", "444455556666", "777788889999",
                                        "000011112222", "123456789012" };
static const char *const descriptions[] = {
    "AWS MAP credit MPE12345",
    "aws map credit mpe12345, credit id: 10063543426",
    "EDP Discount",
    "EDP discount 2026",
    "SLA credit for AmazonEC2",
    "Graviton POC credit",
    "Promotional credit, credit id: 123",
    "K8S migration credit",
    "colour credits",
    "color credit",
    "x.y credit",
    "xzy credit, ac",
    "SSLA credit",
    "Cr\xc3\xa9" "dit MAP MPE12345, credit id: 123",      /* non-ASCII: no literal filter */
    "caf\xc3\xa9 K8S colour credit",
    "",
};
static const char *const needles[] = {
    "MPE", "mpe12345", "EDP", "EDP Discount", "credit", "Credit id:", "AWS MAP credit MPE12345",
    "SLA credit for AmazonEC2", "Graviton", "x.y", "k8s", "discount 2026", "e",
    "EDP discount 2026", "aws map credit mpe12345, credit id: 10063543426",
};
static const char *const regexes[] = {
    "credit id: [0-9]+$", "^edp", "(edp|map)", "ab+c", "colou?r", "x\\.y", "k8s", "^$",
    "credit$", "^aws .*mpe[0-9]{5}", "[[:digit:]]{3}", "gr(a)vit(on)*", "m.e", "\\<sla\\>",
    "promo|graviton", "d+iscount", "^[^x]", "a*", "(cred)+it", "s{1,2}la",
};

static void random_list(char ***items, size_t *n, const char *const *from, size_t nfrom)
{
    char buf[512] = "";
    size_t k = 1 + rng_below(3), len = 0;
    for (size_t i = 0; i < k; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s ", from[rng_below(nfrom)]);
    assert_int_equal(awc_rule_list_parse(items, n, buf, strlen(buf)), 0);
}

static void random_ctx(awc_ctx *c, const char *const *from, size_t nfrom)
{
    switch (rng_below(4)) {
    case 0: c->mode = AWC_CTX_ONLY; random_list(&c->items, &c->n, from, nfrom); break;
    case 1: c->mode = AWC_CTX_EXCEPT; random_list(&c->items, &c->n, from, nfrom); break;
    default: c->mode = AWC_CTX_ALL; break;
    }
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void random_period(char *out)
{
    snprintf(out, 8, "2026-%02zu", 1 + rng_below(12));
}

static void random_rule(awc_rule *r, size_t i)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "R-%zu", (i * 7919) % 100003);
    r->name = awc_strdup("random");
    r->created = (int64_t)rng_below(4) * 1000;
    switch (rng_below(6)) {
    case 0: r->match = AWC_MATCH_EXACT; r->match_text = awc_strdup(descriptions[rng_below(N_OF(descriptions) - 1)]); break;
    case 1: r->match = AWC_MATCH_PREFIX; r->match_text = awc_strdup(needles[rng_below(N_OF(needles))]); break;
    case 2: r->match = AWC_MATCH_CONTAINS; r->match_text = awc_strdup(needles[rng_below(N_OF(needles))]); break;
    case 3: r->match = AWC_MATCH_REGEX; r->match_text = awc_strdup(regexes[rng_below(N_OF(regexes))]); break;
    default: r->match = AWC_MATCH_ANY; r->match_text = awc_strdup(""); break;
    }
    if (rng_below(4) == 0) {
        char a[8], b[8];
        random_period(a);
        random_period(b);
        if (strcmp(a, b) > 0) {
            char t[8];
            memcpy(t, a, 8), memcpy(a, b, 8), memcpy(b, t, 8);
        }
        if (rng_below(3))
            memcpy(r->period_from, a, 8);
        if (rng_below(3))
            memcpy(r->period_to, b, 8);
    }
    random_ctx(&r->customers, customers, N_OF(customers));
    random_ctx(&r->resellers, resellers, N_OF(resellers));
    random_ctx(&r->services, services, N_OF(services));
    if (rng_below(4) == 0)
        random_list(&r->types, &r->n_types, types, N_OF(types));
    if (rng_below(3) == 0)
        random_list(&r->accounts, &r->n_accounts, accounts, N_OF(accounts));
    r->n_split = 1;
    r->split[0].kind = AWC_TARGET_CUSTOMER;
    r->split[0].bp = 10000;
}

static const char *pick(const char *const *from, size_t n, const char *other)
{
    return rng_below(8) == 0 ? other : from[rng_below(n)];
}

static void test_property_index_equals_scan(void **state)
{
    static char period[8], longdesc[1024];
    size_t checks = 0, matched = 0;
    (void)state;
    rng_seed("index equals scan");

    for (int round = 0; round < 150; round++) {
        size_t n = 1 + rng_below(round < 100 ? 40 : 400);
        awc_rule *rules = awc_calloc(n, sizeof(*rules));
        awc_ruleset *rs;
        assert_non_null(rules);
        for (size_t i = 0; i < n; i++)
            random_rule(&rules[i], i);
        rs = build(rules, n);
        for (int c = 0; c < 400; c++) {
            awc_rule_input in;
            const awc_rule *a, *b;
            random_period(period);
            in.description = descriptions[rng_below(N_OF(descriptions))];
            if (rng_below(10) == 0) {
                /* longer than the index folds in one go: the slow path */
                size_t k = 0;
                if (rng_below(2))
                    k = (size_t)snprintf(longdesc, sizeof(longdesc), "%s ", in.description);
                while (k < 700)
                    longdesc[k++] = (char)('a' + rng_below(26));
                snprintf(longdesc + k, sizeof(longdesc) - k, " %s", in.description);
                in.description = longdesc;
            }
            in.period = rng_below(20) == 0 ? "2026-1" : period;
            in.customer_id = pick(customers, N_OF(customers), "");
            in.reseller_id = pick(resellers, N_OF(resellers), "RS-X");
            in.service = pick(services, N_OF(services), "AmazonX");
            in.credit_type = pick(types, N_OF(types), "PROMOTIONAL");
            in.account = pick(accounts, N_OF(accounts), "999999999999");
            a = awc_ruleset_choose(rs, &in);
            b = awc_ruleset_choose_scan(rs, &in);
            if (a != b)
                fail_msg("round %d credit %d: index chose %s, scan %s (desc '%s')", round, c,
                         a ? a->id : "none", b ? b->id : "none", in.description);
            checks++;
            matched += a != NULL;
        }
        awc_ruleset_free(rs);
        awc_rules_free(rules, n);
    }
    print_message("index equals scan: %zu credits, %zu matched a rule\n", checks, matched);
    assert_true(matched > checks / 4 && matched < checks);
}

static void test_property_precedence_order(void **state)
{
    (void)state;
    rng_seed("precedence order");
    for (int round = 0; round < 3000; round++) {
        awc_rule r[3];
        int s1, s2, c_ab, c_bc, c_ac;
        for (size_t i = 0; i < 3; i++)
            random_rule(&r[i], rng_below(50) * 3 + i);      /* distinct ids */
        assert_int_equal(awc_rule_precedence(&r[0], &r[0], &s1), 0);
        assert_int_equal(s1, 0);
        c_ab = awc_rule_precedence(&r[0], &r[1], &s1);
        assert_int_equal(awc_rule_precedence(&r[1], &r[0], &s2), -c_ab);
        assert_int_equal(s1, s2);
        assert_true(c_ab == -1 || c_ab == 1);
        assert_true(s1 >= 1 && s1 <= 6);
        c_bc = awc_rule_precedence(&r[1], &r[2], NULL);
        c_ac = awc_rule_precedence(&r[0], &r[2], NULL);
        if (c_ab < 0 && c_bc < 0)
            assert_true(c_ac < 0);
        if (c_ab > 0 && c_bc > 0)
            assert_true(c_ac > 0);
        for (size_t i = 0; i < 3; i++)
            awc_rule_clear(&r[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence_steps),
        cmocka_unit_test(test_step_names),
        cmocka_unit_test(test_precedence_chain),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_context_lists),
        cmocka_unit_test(test_types_accounts),
        cmocka_unit_test(test_descriptions),
        cmocka_unit_test(test_long_descriptions),
        cmocka_unit_test(test_regex_utf8_locale),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_docs_example),
        cmocka_unit_test(test_ruleset_copies_and_sorts),
        cmocka_unit_test(test_ruleset_refuses),
        cmocka_unit_test(test_ruleset_oom),
        cmocka_unit_test(test_created),
        cmocka_unit_test(test_names_and_lists),
        cmocka_unit_test(test_copy_and_equal),
        cmocka_unit_test(test_property_index_equals_scan),
        cmocka_unit_test(test_property_precedence_order),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
