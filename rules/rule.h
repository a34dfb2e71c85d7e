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
 *
 * Matching: the description is compared ASCII case-insensitively (bytes
 * outside A-Z/a-z compare as they are; regex uses REG_ICASE); every other
 * field (customer, reseller, service, type, account) is compared byte for
 * byte.  The period range is inclusive; an empty bound is open.  A NULL
 * field of awc_rule_input counts as "".  docs/RULES.md has the details and
 * describes the index.
 *
 * Files: rule.c (model helpers), match.c (rule sets, index, choose,
 * explain), rules_xml.c / rules_csv.c (import and export).
 */
#ifndef AWC_RULE_H
#define AWC_RULE_H

#include <regex.h>
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
    size_t n;                      /* 0 for ALL; at least 1 for ONLY/EXCEPT */
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
    size_t n_split;                /* sum of bp <= 10000; the rest is retained.
                                    * Order: the customer target (if any), the
                                    * reseller target (if any), then parties. */
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
 * naming the rule on a bad regex, a duplicate id or a split over 100 %
 * (every check of awc_rule_check()).  The copies' lists are sorted and
 * de-duplicated.  *out is unchanged on error. */
int awc_ruleset_new(awc_ruleset **out, const awc_rule *rules, size_t n);
void awc_ruleset_free(awc_ruleset *rs);
size_t awc_ruleset_count(const awc_ruleset *rs);
/* The i-th rule in id order (byte order of id), i < count. */
const awc_rule *awc_ruleset_rule(const awc_ruleset *rs, size_t i);

/* The most appropriate rule for in, or NULL when none matches.  Uses the
 * index; allocates nothing and changes nothing, so threads may share rs. */
const awc_rule *awc_ruleset_choose(const awc_ruleset *rs, const awc_rule_input *in);

/* Explain: every rule, whether it matched (and if not, the first reason),
 * and for matching ones the precedence step at which it lost to the
 * winner (0 for the winner).  fn is called once per rule in id order.
 * Conditions are checked in this order and the first that fails is the
 * reason: description, period, customer, reseller, service, type,
 * account.  Returns 0, or the first non-zero value fn returned (which
 * stops the walk). */
typedef struct awc_rule_verdict {
    const awc_rule *rule;
    int matched;
    const char *why_not;           /* when !matched: one line, e.g. "customer C-9
                                    * not in only list"; valid until fn returns
                                    * ("" when matched) */
    int lost_at_step;              /* 1..6, or 0 for the winner / unmatched */
    int winner;
} awc_rule_verdict;
int awc_ruleset_explain(const awc_ruleset *rs, const awc_rule_input *in,
                        int (*fn)(void *arg, const awc_rule_verdict *v), void *arg);

/* Does context c let value v in (ALL; ONLY and v listed; EXCEPT and v not)? */
int awc_ctx_admits(const awc_ctx *c, const char *v);

/* The same answer as awc_ruleset_choose(), found without the index: every
 * rule is checked the way explain checks it and the best is kept by
 * awc_rule_precedence().  For tests and the benchmark's baseline. */
const awc_rule *awc_ruleset_choose_scan(const awc_ruleset *rs, const awc_rule_input *in);

/* Text of a precedence step 1..6 ("description", "customer context", ...,
 * "created", "rule id"); "" for anything else. */
const char *awc_rule_step_name(int step);

/* Where the exporters (rules_xml.h, rules_csv.h) send their text, in
 * pieces: 0, or -1 on failure (the same contract as awc_call.write). */
typedef int (*awc_rules_write_fn)(void *ctx, const char *buf, size_t len);

/* --- model helpers (rule.c) --------------------------------------------------- */

#define AWC_RULE_NAME_MAX 200      /* bytes */
#define AWC_RULE_TEXT_MAX 1000     /* bytes of a description match */
#define AWC_RULE_ITEM_MAX 128      /* bytes of one customer/reseller/service id */
#define AWC_RULE_TYPE_MAX 32       /* bytes of one credit type */
#define AWC_RULE_LIST_MAX 100000   /* items in one list */
#define AWC_RULE_CREATED_LEN 20    /* "2026-01-05T10:00:00Z" */
#define AWC_RULE_CREATED_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* Free the heap parts of a rule (not the struct itself) and zero it. */
void awc_rule_clear(awc_rule *r);
/* Clear rules[0..n) and free the array (an array from awc_malloc, as the
 * importers return it).  NULL is fine. */
void awc_rules_free(awc_rule *rules, size_t n);
/* Deep copy of src into *out (whose old content is not freed).  0 or
 * AWC_ENOMEM, *out zeroed then. */
int awc_rule_copy(awc_rule *out, const awc_rule *src);

/* "any", "exact", "contains", "prefix", "regex"; "" for an unknown value. */
const char *awc_match_kind_name(awc_match_kind k);
/* Parse s[0..len) as one of those names: 0, or -1 (no message). */
int awc_match_kind_parse(awc_match_kind *out, const char *s, size_t len);
/* "all", "except", "only"; "" for an unknown value. */
const char *awc_ctx_mode_name(awc_ctx_mode m);
int awc_ctx_mode_parse(awc_ctx_mode *out, const char *s, size_t len);

/* Parse "YYYY-MM-DDTHH:MM:SSZ" (UTC, a real date, 1970..9999) into
 * seconds since the epoch: 0 or AWC_EBADINPUT (message names the text). */
int awc_rule_created_parse(int64_t *out, const char *s, size_t len);
/* Format 0..AWC_RULE_CREATED_MAX as "YYYY-MM-DDTHH:MM:SSZ" (buf of at
 * least AWC_RULE_CREATED_LEN + 1): 0 or AWC_EBADINPUT out of range. */
int awc_rule_created_format(char *buf, size_t n, int64_t t);
/* 1 when s[0..len) is "YYYY-MM" with month 01..12 (years 0000..9999). */
int awc_rule_period_valid(const char *s, size_t len);

/* Split s[0..len) at ASCII blanks (space, tab, CR, LF) into *items (each
 * awc_strndup'ed), sorted in byte order and de-duplicated; *n set.  The old
 * *items are not freed.  AWC_ENOMEM, or AWC_EBADINPUT for more than
 * AWC_RULE_LIST_MAX items; *items NULL and *n 0 on error. */
int awc_rule_list_parse(char ***items, size_t *n, const char *s, size_t len);
void awc_rule_list_free(char **items, size_t n);

/* Check one rule: id (1..64 of A-Z a-z 0-9 . _ -, starting with a letter or
 * digit), name and text (UTF-8, no control characters, bounded), match
 * kind and text (blank exactly for ANY; a regex that compiles), created,
 * periods (from <= to), contexts (ALL without items, ONLY/EXCEPT with
 * some; ids without blanks), types, accounts (12 digits), split (order,
 * unique parties, each 0..100 %, sum <= 100 %).  0, or AWC_EBADINPUT with
 * a message that does not name the rule; *field (when field is not NULL)
 * is then the CSV column name of the culprit ("id", "period_to",
 * "customers", "parties", ...) so importers can point at it. */
int awc_rule_check(const awc_rule *r, const char **field);

/* Compile a rule's regex text for matching anywhere in a description,
 * anchored so that one search reads the text once (rule.c).  regcomp's
 * result: 0, or a REG_* code (re is then not to be freed). */
int awc_rule_regcomp(regex_t *re, const char *text);

/* Precedence: < 0 when a is more appropriate than b, > 0 when b is, 0 only
 * for the same id.  *step (when not NULL) is the deciding step 1..6, or 0. */
int awc_rule_precedence(const awc_rule *a, const awc_rule *b, int *step);

/* 1 when a and b are the same rule field by field, else 0.  Lists are
 * compared item by item (importers and rule sets keep them sorted and
 * de-duplicated); NULL and "" texts are equal. */
int awc_rule_equal(const awc_rule *a, const awc_rule *b);

#endif /* AWC_RULE_H */
