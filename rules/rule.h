/*
 * rule.h -- credit rules (SPEC section 7): the model, matching with the
 * documented precedence, and an index so that choosing the rule for a
 * credit does not scan every rule.
 *
 * Pure computation: nothing here knows the database, files or the network.
 * Rule sets are built by rules_xml.c / rules_csv.c from text in memory and
 * stored by the module.
 *
 * Precedence among the rules that match a credit (first difference wins):
 *   1. a rule with a non-blank description match beats a blank one;
 *   2. customer context: only > except > all;
 *   3. reseller context, the same;
 *   4. service context, the same;
 *   5. the newest `created`;
 *   6. the smallest rule id (byte order).
 */
#ifndef AWC_RULE_H
#define AWC_RULE_H

#include <stddef.h>
#include <stdint.h>

#define AWC_RULE_ID_MAX 64
#define AWC_RULE_TARGETS 8

typedef enum awc_match_kind {
    AWC_MATCH_ANY = 0,             /* blank description: matches every credit */
    AWC_MATCH_EXACT,
    AWC_MATCH_CONTAINS,
    AWC_MATCH_PREFIX,
    AWC_MATCH_REGEX                /* POSIX extended, case-insensitive */
} awc_match_kind;

typedef enum awc_ctx_mode {
    AWC_CTX_ALL = 0,
    AWC_CTX_EXCEPT = 1,
    AWC_CTX_ONLY = 2               /* numeric order = precedence order */
} awc_ctx_mode;

typedef struct awc_ctx {
    awc_ctx_mode mode;
    char **items;                  /* sorted, for bsearch */
    size_t n;
} awc_ctx;

typedef enum awc_target_kind {
    AWC_TARGET_CUSTOMER = 1,
    AWC_TARGET_RESELLER = 2,
    AWC_TARGET_PARTY = 3           /* a named party, party_id set */
} awc_target_kind;

typedef struct awc_split_target {
    awc_target_kind kind;
    char party_id[AWC_RULE_ID_MAX + 1];
    int32_t bp;                    /* basis points: 10000 = 100.00 % */
} awc_split_target;

typedef struct awc_rule {
    char id[AWC_RULE_ID_MAX + 1];
    char *name;
    int64_t created;               /* seconds since 1970-01-01 UTC */
    awc_match_kind match;
    char *match_text;              /* as written; "" for ANY */
    char period_from[8], period_to[8]; /* "YYYY-MM" or "" = open */
    awc_ctx customers, resellers, services;
    char **types;                  /* credit types; n_types 0 = every type */
    size_t n_types;
    char **accounts;               /* 12-digit accounts; n_accounts 0 = every account */
    size_t n_accounts;
    awc_split_target split[AWC_RULE_TARGETS];
    size_t n_split;                /* sum of bp <= 10000; the rest is retained */
} awc_rule;

/* What a rule is matched against. */
typedef struct awc_rule_input {
    const char *description;
    const char *period;            /* YYYY-MM */
    const char *customer_id;       /* owner on the period's first day; may be "" */
    const char *reseller_id;
    const char *service;           /* product code */
    const char *credit_type;
    const char *account;           /* usage account */
} awc_rule_input;

typedef struct awc_ruleset awc_ruleset;

/* Build a rule set from rules (copied; regexes compiled).  AWC_EBADINPUT
 * naming the rule on a bad regex, a duplicate id or a split over 100 %. */
int awc_ruleset_new(awc_ruleset **out, const awc_rule *rules, size_t n);
void awc_ruleset_free(awc_ruleset *rs);
size_t awc_ruleset_count(const awc_ruleset *rs);
const awc_rule *awc_ruleset_rule(const awc_ruleset *rs, size_t i);

/* The most appropriate rule for in, or NULL when none matches. */
const awc_rule *awc_ruleset_choose(const awc_ruleset *rs, const awc_rule_input *in);

/* Explain: every rule, whether it matched (and if not, the first reason),
 * and for matching ones the precedence step at which it lost to the
 * winner (0 for the winner).  fn is called once per rule in id order. */
typedef struct awc_rule_verdict {
    const awc_rule *rule;
    int matched;
    const char *why_not;           /* static text when !matched */
    int lost_at_step;              /* 1..6, or 0 for the winner / unmatched */
    int winner;
} awc_rule_verdict;
int awc_ruleset_explain(const awc_ruleset *rs, const awc_rule_input *in,
                        int (*fn)(void *arg, const awc_rule_verdict *v), void *arg);

/* Free the heap parts of a rule (not the struct itself). */
void awc_rule_clear(awc_rule *r);

#endif /* AWC_RULE_H */
