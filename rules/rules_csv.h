/*
 * rules_csv.h -- credit rules as CSV (RFC 4180, UTF-8), one rule per
 * record, the same model as the XML format (rules_xml.h) so either
 * converts to the other without loss.
 *
 * Header (exactly, first record): AWC_RULES_CSV_HEADER.  Cells:
 *   id, name, created     as in XML; created "2026-01-05T10:00:00Z"
 *   match, description    any|exact|contains|prefix|regex ("" = any) and
 *                         its text (blank = any credit)
 *   period_from/_to       YYYY-MM or "" (open)
 *   *_mode, customers...  all|only|except ("" = all), then a blank-
 *                         separated id list ("" for all)
 *   types, accounts       blank-separated lists, "" = every one
 *   customer_percent,     percentages with up to 2 decimals, "" = no
 *   reseller_percent      such target
 *   parties               "P-1=10 P-2=2.5": named parties, in order
 * The name and description cells are protected against spreadsheet
 * formulas: a text starting with = + - @ (or a ' followed by one of
 * = + - @ ') is written with a leading ', which the reader removes again.
 *
 * Errors are one line "NAME:LINE: COLUMN: what" (the line where the cell
 * starts); nothing is returned on any error.
 */
#ifndef AWC_RULES_CSV_H
#define AWC_RULES_CSV_H

#include <stddef.h>

#include "rule.h"

#define AWC_RULES_CSV_HEADER                                                               \
    "id,name,created,match,description,period_from,period_to,customers_mode,customers,"   \
    "resellers_mode,resellers,services_mode,services,types,accounts,customer_percent,"    \
    "reseller_percent,parties"
#define AWC_RULES_CSV_COLUMNS 18
#define AWC_RULES_CSV_MAX_BYTES ((size_t)16 << 20)   /* 16 MiB */

/* Parse buf[0..len) (a UTF-8 BOM is skipped; CRLF or LF; blank lines are
 * skipped).  name is for messages (NULL = "<input>").  On success *out is
 * an array of *n rules in file order (free with awc_rules_free(); NULL
 * when *n is 0), lists sorted and de-duplicated, every rule passing
 * awc_rule_check() and ids unique.  AWC_EBADINPUT ("NAME:LINE: COLUMN:
 * ..."), AWC_ENOMEM; *out NULL and *n 0 then. */
int awc_rules_csv_parse(const char *buf, size_t len, const char *name, awc_rule **out,
                        size_t *n);

/* Write the header and rules[0..n) in the given order through write(ctx,
 * ...), CRLF line ends, a cell quoted only when it holds a comma, quote,
 * CR or LF.  Modes and match kinds are always spelled out ("all", "any").
 * The output re-imports to equal rules.  Every rule is checked first
 * (AWC_EBADINPUT naming the rule, nothing written); AWC_EIO when write
 * fails. */
int awc_rules_csv_write(const awc_rule *rules, size_t n, awc_rules_write_fn write, void *ctx);

#endif /* AWC_RULES_CSV_H */
