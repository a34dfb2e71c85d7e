/*
 * ruleload.h -- rules between the store and the rules engine: stored rule
 * definitions (canonical XML, one rule each) into a ruleset, and parsed
 * rules into stored rows.
 */
#ifndef AWC_RULELOAD_H
#define AWC_RULELOAD_H

#include "rule.h"
#include "store.h"

/* Every stored rule as a ruleset; *out is NULL when no rule is stored. */
int awc_ruleset_load(awc_ruleset **out, awc_store *st);
/* Every stored rule as an array (free with awc_rules_free). */
int awc_rules_load(awc_rule **out, size_t *n, awc_store *st);
/* Replace the stored rules with rules[0..n). */
int awc_rules_store(awc_store *st, const awc_rule *rules, size_t n, const awc_actor *actor);

#endif
