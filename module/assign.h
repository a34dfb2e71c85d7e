/*
 * assign.h -- turning a credit, its owner and a split into split lines.
 *
 * A split spec is what a rule, the default configuration (assign.default,
 * "customer:80,reseller:20") or an admin's edit asks for: percentages per
 * target or fixed amounts per target.  The lines are computed on the
 * credit's invoiceable amount in minor units (SPEC 4): percentages by the
 * largest-remainder method; fixed amounts checked against the credit (same
 * sign, never more than it).  The retained rest is always its own line, so
 * the lines of a credit add up to its invoiceable amount exactly.
 *
 * Pure: no store, no I/O.
 */
#ifndef AWC_ASSIGN_H
#define AWC_ASSIGN_H

#include "money.h"
#include "rule.h"
#include "store.h"

#define AWC_SPEC_MAX 8

typedef struct awc_split_spec {
    int amounts;                   /* 0: bp are percentages; 1: minor are amounts */
    size_t n;
    struct {
        awc_split_kind kind;       /* customer, reseller or party */
        char party_id[AWC_RULE_ID_MAX + 1];
        int32_t bp;
        int64_t minor;
    } t[AWC_SPEC_MAX];
} awc_split_spec;

/* "customer:60,reseller:30" or "customer:80,party:P-1:5".  Targets may
 * not repeat.  AWC_EBADINPUT naming the part on error. */
int awc_splitspec_parse_percent(awc_split_spec *out, const char *s);
/* "customer:-10.00,reseller:-2.50" in the currency's minor units
 * (exponent e); more decimals than the currency has are refused. */
int awc_splitspec_parse_amounts(awc_split_spec *out, const char *s, int e);
/* A rule's split as a spec. */
void awc_splitspec_from_rule(awc_split_spec *out, const awc_rule *r);
/* "customer:60,reseller:30" back (percent specs only). */
int awc_splitspec_format(char *buf, size_t n, const awc_split_spec *spec);

/* Who owns the credit (from the accounts map); strings are borrowed. */
typedef struct awc_owner {
    const char *customer_id, *asset_id, *reseller_id, *customer_name, *reseller_name;
} awc_owner;

/* The invoiceable amount of amount in currency: rounded half away from
 * zero to its minor units.  AWC_EBADINPUT for an unknown currency. */
int awc_invoiceable(int64_t *out, int *exponent, awc_amount amount, const char *currency);

/* Fill lines[0..*n) for a credit of invoiceable amount total split by spec
 * for owner; cap is the room in lines (>= spec->n + 1).  0, or
 * AWC_EBADINPUT (amounts of the wrong sign or more than the credit). */
int awc_assign_lines(awc_split_line *lines, size_t cap, size_t *n, int64_t total,
                     const awc_split_spec *spec, const awc_owner *owner);

/*
 * The money rule for a reseller admin (SPEC 7): the lines of a reseller's
 * edit spec, for a credit of invoiceable amount total (exponent e) whose
 * current lines are before[0..nb) (for a pending credit: what its rule or
 * the default gives).  What before gives the customer and the reseller is
 * the budget they may share:
 *   - with amounts, the customer's and reseller's must add up to it;
 *   - with percentages, theirs must add up to the percentage before gives
 *     them, and the budget is split between them in proportion, to the
 *     minor unit (largest remainder, ties to the earlier target);
 *   - the retained line and every named party's line keep their amounts
 *     exactly; a party in spec must be one of before's with its share as
 *     it is (only a distributor adds, removes or changes a named party).
 * Lines: the customer and reseller targets in spec order, then the named
 * parties in before's order, then retained.  0, or AWC_EPERM saying why
 * (AWC_EBADINPUT for a spec the credit cannot take); lines are not to be
 * used then.
 */
int awc_reseller_lines(awc_split_line *lines, size_t cap, size_t *n, int64_t total, int e,
                       const awc_split_spec *spec, const awc_split_line *before, size_t nb,
                       const awc_owner *owner);

/* A line's target ("customer", "reseller", "party", "retained") and who
 * it goes to (the customer's, reseller's or party's id; "distributor"). */
const char *awc_line_target(const awc_split_line *l);
const char *awc_line_who(const awc_split_line *l);

/* JSON text of lines ("[{"target":"customer","amount_minor":-1234,...}]")
 * into buf; "[]" when buf is too small for all of it, "" when n < 3. */
void awc_lines_json(char *buf, size_t n, const awc_split_line *lines, size_t count);

#endif
