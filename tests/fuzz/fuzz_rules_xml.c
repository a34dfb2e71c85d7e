/*
 * fuzz_rules_xml.c -- rules XML import and export (rules/rules_xml.h).
 *
 * The whole input is a rules document.  awc_rules_xml_parse must not
 * crash, leak or hang on anything; when it accepts the input, checks
 * (abort() when one fails):
 *   - every rule passes awc_rule_check() and ids are unique;
 *   - awc_rules_xml_write succeeds, its output parses again to as many
 *     rules, each awc_rule_equal to the first, and writing those again
 *     gives the same bytes (the export is canonical);
 *   - the same through the CSV format (rules_csv.h: either format converts
 *     to the other without loss);
 *   - a writer whose sink fails makes the export return AWC_EIO.
 * On refusal: *out NULL, *n 0 and a message.
 */
#define PRIMARY fmt_xml
#define SECONDARY fmt_csv
#define TARGET "fuzz_rules_xml"

#include "fuzz_rules_roundtrip.h"
