/*
 * rules_xml.h -- credit rules as XML (SPEC section 7), namespace
 * urn:awscredit:rules:1, validated against rules/rules.xsd (compiled into
 * the library).
 *
 * Import works on a buffer in memory (rules/ does no file I/O) and is
 * safe on hostile input: no network, no DTD (a document with a DOCTYPE is
 * refused before its internal subset is read, so external entities and
 * entity expansion bombs never run), at most AWC_RULES_XML_MAX_BYTES of
 * input and AWC_RULES_XML_MAX_DEPTH levels of elements.  Every error is one
 * line "NAME:LINE: what", the line being where the culprit is.
 *
 * libxml2 keeps its own allocations (xmlMalloc); the rules returned are
 * from awc_malloc.  The library never calls xmlCleanupParser(): the host
 * owns libxml2's global state.
 */
#ifndef AWC_RULES_XML_H
#define AWC_RULES_XML_H

#include <stddef.h>

#include "rule.h"

#define AWC_RULES_XML_NS "urn:awscredit:rules:1"
#define AWC_RULES_XML_MAX_BYTES ((size_t)16 << 20)   /* 16 MiB */
#define AWC_RULES_XML_MAX_DEPTH 32

/* Parse and validate buf[0..len).  name is used in messages only (e.g.
 * the file name; NULL = "<input>").  On success *out is an array of *n
 * rules in document order (free with awc_rules_free(); *out may be NULL
 * when *n is 0), with their lists sorted and de-duplicated and every rule
 * passing awc_rule_check().  AWC_EBADINPUT with "NAME:LINE: ..." on any
 * fault (syntax, DOCTYPE, depth, size, schema, semantics, duplicate id),
 * AWC_ENOMEM, or AWC_ERROR if the built-in schema fails to load; *out NULL
 * and *n 0 then. */
int awc_rules_xml_parse(const char *buf, size_t len, const char *name, awc_rule **out,
                        size_t *n);

/* Write rules[0..n) as one canonical document, in the given order, through
 * write(ctx, ...): UTF-8, two-space indentation, attributes and elements in
 * schema order, contexts with mode all and empty periods left out, lists
 * as given (sorted when they come from an importer or a rule set).  The
 * output re-imports to equal rules.  Every rule is checked first
 * (AWC_EBADINPUT naming the rule, nothing written); AWC_EIO when write
 * fails. */
int awc_rules_xml_write(const awc_rule *rules, size_t n, awc_rules_write_fn write, void *ctx);

/* The schema text compiled into the library (a copy of rules/rules.xsd). */
const char *awc_rules_xsd(void);

#endif /* AWC_RULES_XML_H */
