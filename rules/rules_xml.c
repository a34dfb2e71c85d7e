/*
 * rules_xml.c -- rules XML import (libxml2, XSD-validated, hardened) and
 * canonical export.
 *
 * Import, in order:
 *   1. size: more than AWC_RULES_XML_MAX_BYTES is refused unread;
 *   2. parse with a private parser context: XML_PARSE_NONET, never
 *      XML_PARSE_NOENT / DTDLOAD / DTDATTR / XINCLUDE / HUGE.  Our SAX
 *      handlers refuse a DOCTYPE the moment it is seen (before its
 *      internal subset is read, so no entity is ever declared, expanded or
 *      fetched) and stop the parser deeper than AWC_RULES_XML_MAX_DEPTH;
 *      errors reach us through the context's structured handler (nothing
 *      global is touched, nothing is printed);
 *   3. validate against the embedded schema (a copy of rules/rules.xsd),
 *      compiled once per process;
 *   4. read the tree into awc_rule, checking what the schema cannot (see
 *      awc_rule_check) and duplicate ids, naming the element's line.
 */
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "rule.h"
#include "wbuf.h"
#include "rules_xml.h"
#include "split.h"

/* --- the schema: keep byte-identical to rules/rules.xsd (test_rules_xml checks) --- */
/* BEGIN XSD (generated from rules/rules.xsd) */
static const char xsd_text[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!--\n"
    "  rules.xsd - awscredit credit rules (SPEC section 7), namespace\n"
    "  urn:awscredit:rules:1.  The source of truth: rules/rules_xml.c embeds\n"
    "  this text byte for byte (a unit test compares them).  docs/RULES.md\n"
    "  describes every element; the checks XSD 1.0 cannot express (split sum,\n"
    "  period order, modes and their lists, regex syntax, unique ids) are made\n"
    "  by the importer.\n"
    "-->\n"
    "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"\n"
    "           xmlns:r=\"urn:awscredit:rules:1\"\n"
    "           targetNamespace=\"urn:awscredit:rules:1\"\n"
    "           elementFormDefault=\"qualified\"\n"
    "           attributeFormDefault=\"unqualified\">\n"
    "\n"
    "  <xs:element name=\"rules\">\n"
    "    <xs:complexType>\n"
    "      <xs:sequence>\n"
    "        <xs:element name=\"rule\" type=\"r:Rule\" minOccurs=\"0\" maxOccurs=\"unbounded\"/>\n"
    "      </xs:sequence>\n"
    "    </xs:complexType>\n"
    "  </xs:element>\n"
    "\n"
    "  <xs:complexType name=\"Rule\">\n"
    "    <xs:sequence>\n"
    "      <xs:element name=\"description\" type=\"r:Description\" minOccurs=\"0\"/>\n"
    "      <xs:element name=\"period\" type=\"r:Period\" minOccurs=\"0\"/>\n"
    "      <xs:element name=\"customers\" type=\"r:Context\" minOccurs=\"0\"/>\n"
    "      <xs:element name=\"resellers\" type=\"r:Context\" minOccurs=\"0\"/>\n"
    "      <xs:element name=\"services\" type=\"r:Context\" minOccurs=\"0\"/>\n"
    "      <xs:element name=\"types\" type=\"r:TypeList\" minOccurs=\"0\"/>\n"
    "      <xs:element name=\"accounts\" type=\"r:AccountList\" minOccurs=\"0\"/>\n"
    "      <xs:element name=\"split\" type=\"r:Split\"/>\n"
    "    </xs:sequence>\n"
    "    <xs:attribute name=\"id\" type=\"r:Id\" use=\"required\"/>\n"
    "    <xs:attribute name=\"name\" type=\"r:Name\"/>\n"
    "    <xs:attribute name=\"created\" type=\"r:Created\" use=\"required\"/>\n"
    "  </xs:complexType>\n"
    "\n"
    "  <xs:simpleType name=\"Id\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:pattern value=\"[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"Name\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:maxLength value=\"200\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <!-- UTC only, whole seconds: 2026-01-05T10:00:00Z -->\n"
    "  <xs:simpleType name=\"Created\">\n"
    "    <xs:restriction base=\"xs:dateTime\">\n"
    "      <xs:pattern value=\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:complexType name=\"Description\">\n"
    "    <xs:simpleContent>\n"
    "      <xs:extension base=\"r:Text\">\n"
    "        <xs:attribute name=\"match\" type=\"r:MatchKind\" use=\"required\"/>\n"
    "      </xs:extension>\n"
    "    </xs:simpleContent>\n"
    "  </xs:complexType>\n"
    "\n"
    "  <xs:simpleType name=\"Text\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:maxLength value=\"1000\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"MatchKind\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:enumeration value=\"exact\"/>\n"
    "      <xs:enumeration value=\"contains\"/>\n"
    "      <xs:enumeration value=\"prefix\"/>\n"
    "      <xs:enumeration value=\"regex\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <!-- inclusive; a missing bound is open -->\n"
    "  <xs:complexType name=\"Period\">\n"
    "    <xs:attribute name=\"from\" type=\"r:Month\"/>\n"
    "    <xs:attribute name=\"to\" type=\"r:Month\"/>\n"
    "  </xs:complexType>\n"
    "\n"
    "  <xs:simpleType name=\"Month\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:pattern value=\"[0-9]{4}-(0[1-9]|1[0-2])\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <!-- all (no list), only LIST, except LIST; the list is blank-separated -->\n"
    "  <xs:complexType name=\"Context\">\n"
    "    <xs:simpleContent>\n"
    "      <xs:extension base=\"r:TokenList\">\n"
    "        <xs:attribute name=\"mode\" type=\"r:Mode\" use=\"required\"/>\n"
    "      </xs:extension>\n"
    "    </xs:simpleContent>\n"
    "  </xs:complexType>\n"
    "\n"
    "  <xs:simpleType name=\"Mode\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:enumeration value=\"all\"/>\n"
    "      <xs:enumeration value=\"only\"/>\n"
    "      <xs:enumeration value=\"except\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"TokenList\">\n"
    "    <xs:list itemType=\"r:Token\"/>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"Token\">\n"
    "    <xs:restriction base=\"xs:token\">\n"
    "      <xs:minLength value=\"1\"/>\n"
    "      <xs:maxLength value=\"128\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"TypeList\">\n"
    "    <xs:list itemType=\"r:TypeName\"/>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"TypeName\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:pattern value=\"[A-Za-z0-9_\\-]{1,32}\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"AccountList\">\n"
    "    <xs:list itemType=\"r:Account\"/>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <xs:simpleType name=\"Account\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:pattern value=\"[0-9]{12}\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "  <!-- percentages with at most two decimals; the rest is retained -->\n"
    "  <xs:complexType name=\"Split\">\n"
    "    <xs:sequence>\n"
    "      <xs:element name=\"party\" type=\"r:Party\" minOccurs=\"0\" maxOccurs=\"6\"/>\n"
    "    </xs:sequence>\n"
    "    <xs:attribute name=\"customer\" type=\"r:Percent\"/>\n"
    "    <xs:attribute name=\"reseller\" type=\"r:Percent\"/>\n"
    "  </xs:complexType>\n"
    "\n"
    "  <xs:complexType name=\"Party\">\n"
    "    <xs:attribute name=\"id\" type=\"r:Id\" use=\"required\"/>\n"
    "    <xs:attribute name=\"percent\" type=\"r:Percent\" use=\"required\"/>\n"
    "  </xs:complexType>\n"
    "\n"
    "  <xs:simpleType name=\"Percent\">\n"
    "    <xs:restriction base=\"xs:string\">\n"
    "      <xs:pattern value=\"[0-9]{1,3}(\\.[0-9]{1,2})?\"/>\n"
    "    </xs:restriction>\n"
    "  </xs:simpleType>\n"
    "\n"
    "</xs:schema>\n";
/* END XSD */

const char *awc_rules_xsd(void)
{
    return xsd_text;
}

/* --- parse state and error capture ------------------------------------------------- */

/* An element whose start tag ends past line 65535, where libxml2's node
 * line saturates (XML_PARSE_BIG_LINES only helps text nodes). */
typedef struct far_line {
    const void *node;
    long line;
} far_line;

typedef struct pstate {
    const char *name;
    int depth;
    int refused;                  /* DOCTYPE or depth: stop everything */
    int nerr;
    int oom;
    char first[AWC_ERRMSG_MAX];
    far_line *far;                /* sorted by node once the tree is built */
    size_t n_far, cap_far;
} pstate;

static int cmp_far(const void *a, const void *b)
{
    const far_line *x = a, *y = b;
    return (uintptr_t)x->node < (uintptr_t)y->node ? -1 : (uintptr_t)x->node > (uintptr_t)y->node;
}

/* The line of element (or attribute) n. */
static long line_of(const pstate *st, xmlNodePtr n)
{
    far_line key, *hit;
    if (!n)
        return 0;
    if (n->type == XML_ATTRIBUTE_NODE && n->parent)
        n = n->parent;
    if (n->type != XML_ELEMENT_NODE || n->line < 65535 || st->n_far == 0)
        return xmlGetLineNo(n);
    key.node = n;
    hit = bsearch(&key, st->far, st->n_far, sizeof(*st->far), cmp_far);
    return hit ? hit->line : xmlGetLineNo(n);
}

/* Keep the first error as "NAME:LINE: message", without libxml2's
 * "{urn:awscredit:rules:1}" in front of every element name. */
static void note(pstate *st, long line, const char *msg, size_t len)
{
    static const char ns[] = "{" AWC_RULES_XML_NS "}";
    char text[320];
    size_t k = 0;

    if (st->nerr++ > 0)
        return;
    for (size_t i = 0; i < len && k < sizeof(text) - 1;) {
        if (len - i >= sizeof(ns) - 1 && memcmp(msg + i, ns, sizeof(ns) - 1) == 0) {
            i += sizeof(ns) - 1;
            continue;
        }
        text[k++] = msg[i++];
    }
    while (k > 0 && (text[k - 1] == '\n' || text[k - 1] == ' '))
        k--;
    text[k] = '\0';
    snprintf(st->first, sizeof(st->first), "%s:%ld: %s", st->name, line, text);
}

static void note_error(pstate *st, xmlErrorPtr e)
{
    long line = e->line;
    const char *msg = e->message ? e->message : "error";
    xmlNodePtr n = e->node;

    if (e->level < XML_ERR_ERROR)
        return;                   /* warnings do not fail an import */
    if (n && (n->type == XML_ELEMENT_NODE || n->type == XML_ATTRIBUTE_NODE))
        line = line_of(st, n);
    note(st, line, msg, strlen(msg));
}

/* Parser errors: ctx is the parser context, our state is its _private. */
static void on_parse_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr c = ctx;
    note_error(c->_private, e);
}

/* Schema errors: ctx is our state. */
static void on_schema_error(void *ctx, xmlErrorPtr e)
{
    note_error(ctx, e);
}

static void refuse(void *ctx, const char *why)
{
    xmlParserCtxtPtr c = ctx;
    pstate *st = c->_private;
    if (!st->refused) {
        st->refused = 1;
        note(st, xmlSAX2GetLineNumber(ctx), why, strlen(why));
    }
    xmlStopParser(c);
    c->wellFormed = 0;
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    (void)name, (void)external_id, (void)system_id;
    refuse(ctx, "DOCTYPE not allowed: rules files take no DTD and no entity declarations");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    (void)name, (void)type, (void)public_id, (void)system_id, (void)content;
    refuse(ctx, "entity declarations are not allowed");
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr c = ctx;
    pstate *st = c->_private;
    if (st->refused)
        return;
    if (++st->depth > AWC_RULES_XML_MAX_DEPTH) {
        char msg[80];
        snprintf(msg, sizeof(msg), "elements nested deeper than %d levels",
                 AWC_RULES_XML_MAX_DEPTH);
        refuse(ctx, msg);
        return;
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    if (c->node && c->node->line >= 65535 && c->input) {
        if (st->n_far == st->cap_far) {
            size_t cap = st->cap_far ? st->cap_far * 2 : 256;
            far_line *f = awc_realloc(st->far, cap * sizeof(*f));
            if (!f) {
                st->oom = 1;
                refuse(ctx, "out of memory");
                return;
            }
            st->far = f, st->cap_far = cap;
        }
        st->far[st->n_far].node = c->node;
        st->far[st->n_far++].line = c->input->line;
    }
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                   const xmlChar *uri)
{
    xmlParserCtxtPtr c = ctx;
    pstate *st = c->_private;
    if (st->refused)
        return;
    st->depth--;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static int fail_first(pstate *st, const char *fallback)
{
    if (st->nerr == 0)
        return awc_error_set(AWC_EBADINPUT, "%s:1: %s", st->name, fallback);
    if (st->nerr > 1)
        return awc_error_set(AWC_EBADINPUT, "%s (and %d more error%s)", st->first, st->nerr - 1,
                             st->nerr > 2 ? "s" : "");
    return awc_error_set(AWC_EBADINPUT, "%s", st->first);
}

/* Parse buf into a tree, or set the error. */
static int parse_doc(xmlDocPtr *out, const char *buf, size_t len, pstate *st)
{
    xmlParserCtxtPtr c;
    xmlDocPtr doc;
    int rc = 0;

    *out = NULL;
    xmlInitParser();
    c = xmlNewParserCtxt();
    if (!c)
        return awc_error_set(AWC_ENOMEM, "%s: out of memory creating the XML parser", st->name);
    c->_private = st;
    c->sax->serror = on_parse_error;
    c->sax->internalSubset = on_doctype;
    c->sax->externalSubset = on_doctype;
    c->sax->entityDecl = on_entity_decl;
    c->sax->startElementNs = on_start;
    c->sax->endElementNs = on_end;

    /* NONET; no NOENT (no entity substitution), DTDLOAD, DTDATTR, XINCLUDE, HUGE */
    doc = xmlCtxtReadMemory(c, buf, (int)len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES);
    if (st->oom) {
        rc = awc_error_set(AWC_ENOMEM, "%s: out of memory", st->name);
    } else if (!doc || st->refused || st->nerr > 0 || !c->wellFormed) {
        rc = fail_first(st, "not well-formed XML");
    } else if (doc->intSubset || doc->extSubset) {
        rc = awc_error_set(AWC_EBADINPUT, "%s:1: DOCTYPE not allowed", st->name);
    }
    if (rc) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(c);
    if (st->n_far)
        qsort(st->far, st->n_far, sizeof(*st->far), cmp_far);
    *out = doc;
    return rc;
}

/*
 * The compiled schema, made on first use and kept for the life of the
 * process (about 100 KiB; compiling it costs far more than validating a
 * small document, and the module parses each stored rule on its own).  A
 * compiled schema is read-only during validation, so threads share it;
 * the mutex only guards its creation.  It is never freed: the library may
 * not know when libxml2 stops being usable in the host.
 */
static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static xmlSchemaPtr schema_cache;

static int get_schema(xmlSchemaPtr *out)
{
    xmlSchemaParserCtxtPtr pc;
    pstate schema_st = { .name = "rules.xsd" };
    int rc = 0;

    pthread_mutex_lock(&schema_lock);
    if (!schema_cache) {
        pc = xmlSchemaNewMemParserCtxt(xsd_text, (int)(sizeof(xsd_text) - 1));
        if (!pc) {
            rc = awc_error_set(AWC_ENOMEM, "out of memory loading the rules schema");
        } else {
            xmlSchemaSetParserStructuredErrors(pc, on_schema_error, &schema_st);
            schema_cache = xmlSchemaParse(pc);
            xmlSchemaFreeParserCtxt(pc);
            if (!schema_cache)
                rc = awc_error_set(AWC_ERROR, "built-in rules schema does not load%s%s",
                                   schema_st.nerr ? ": " : "", schema_st.first);
        }
    }
    *out = schema_cache;
    pthread_mutex_unlock(&schema_lock);
    return rc;
}

static int validate(xmlDocPtr doc, pstate *st)
{
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vc;
    int rc, v;

    if ((rc = get_schema(&schema)) != 0)
        return rc;
    vc = xmlSchemaNewValidCtxt(schema);
    if (!vc)
        return awc_error_set(AWC_ENOMEM, "out of memory validating the rules");
    xmlSchemaSetValidStructuredErrors(vc, on_schema_error, st);
    v = xmlSchemaValidateDoc(vc, doc);
    if (v != 0 || st->nerr > 0)
        rc = v < 0 && st->nerr == 0 ? awc_error_set(AWC_ERROR, "%s: schema validation failed "
                                                    "internally", st->name)
                                    : fail_first(st, "does not match the rules schema");
    xmlSchemaFreeValidCtxt(vc);
    return rc;
}

/* --- the tree to rules ------------------------------------------------------------- */

typedef struct lines {
    long rule, description, period, customers, resellers, services, types, accounts, split;
} lines;

static long field_line(const lines *ln, const char *field)
{
    static const struct { const char *field; size_t off; } map[] = {
        { "match", offsetof(lines, description) },
        { "description", offsetof(lines, description) },
        { "period_from", offsetof(lines, period) },
        { "period_to", offsetof(lines, period) },
        { "customers_mode", offsetof(lines, customers) },
        { "customers", offsetof(lines, customers) },
        { "resellers_mode", offsetof(lines, resellers) },
        { "resellers", offsetof(lines, resellers) },
        { "services_mode", offsetof(lines, services) },
        { "services", offsetof(lines, services) },
        { "types", offsetof(lines, types) },
        { "accounts", offsetof(lines, accounts) },
        { "customer_percent", offsetof(lines, split) },
        { "reseller_percent", offsetof(lines, split) },
        { "parties", offsetof(lines, split) },
    };
    for (size_t i = 0; field && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].field, field) == 0) {
            long l = *(const long *)(const void *)((const char *)ln + map[i].off);
            return l ? l : ln->rule;
        }
    return ln->rule;
}

static int is_el(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Error at line for rule r (its id when known).  msg and what may point
 * at this thread's error message, so the text is built before it is set. */
static int bad_at(const char *name, long line, const awc_rule *r, const char *msg,
                  const char *what)
{
    char text[AWC_ERRMSG_MAX];
    if (r && r->id[0])
        snprintf(text, sizeof(text), "%s:%ld: rule '%s': %s%s", name, line, r->id, msg, what);
    else
        snprintf(text, sizeof(text), "%s:%ld: %s%s", name, line, msg, what);
    return awc_error_set(AWC_EBADINPUT, "%s", text);
}

static int get_attr(char **out, xmlNodePtr n, const char *attr)
{
    xmlChar *v = xmlGetNoNsProp(n, BAD_CAST attr);
    *out = NULL;
    if (!v)
        return 0;
    *out = awc_strdup((const char *)v);
    xmlFree(v);
    return *out ? 0 : awc_error_set(AWC_ENOMEM, "out of memory");
}

static int get_text(char **out, xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    const char *s = v ? (const char *)v : "";
    size_t len = strlen(s);
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    while (len > 0 && is_blank(*s))
        s++, len--;
    *out = awc_strndup(s, len);
    xmlFree(v);
    return *out ? 0 : awc_error_set(AWC_ENOMEM, "out of memory");
}

static int read_ctx(awc_ctx *c, xmlNodePtr n, const pstate *st, const awc_rule *r)
{
    char *mode = NULL, *text = NULL;
    int rc;

    if ((rc = get_attr(&mode, n, "mode")) || (rc = get_text(&text, n)))
        goto out;
    if (!mode || awc_ctx_mode_parse(&c->mode, mode, strlen(mode))) {
        rc = bad_at(st->name, line_of(st, n), r, "mode must be all, only or except", "");
        goto out;
    }
    rc = awc_rule_list_parse(&c->items, &c->n, text, strlen(text));
    if (rc == AWC_EBADINPUT)
        rc = bad_at(st->name, line_of(st, n), r, awc_error_last(), "");
out:
    awc_free(mode);
    awc_free(text);
    return rc;
}

static int read_list(char ***items, size_t *count, xmlNodePtr n, const pstate *st,
                     const awc_rule *r)
{
    char *text = NULL;
    int rc = get_text(&text, n);
    if (rc == 0) {
        rc = awc_rule_list_parse(items, count, text, strlen(text));
        if (rc == AWC_EBADINPUT)
            rc = bad_at(st->name, line_of(st, n), r, awc_error_last(), "");
    }
    awc_free(text);
    return rc;
}

static int read_percent(awc_rule *r, awc_target_kind kind, const char *party, const char *pct,
                        const pstate *st, long line)
{
    awc_split_target *t;
    int32_t bp;

    if (r->n_split >= AWC_RULE_TARGETS)
        return bad_at(st->name, line, r, "split: too many targets", "");
    if (awc_percent_parse(&bp, pct, strlen(pct)))
        return bad_at(st->name, line, r, "split: ", awc_error_last());
    t = &r->split[r->n_split++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->bp = bp;
    if (party) {
        if (strlen(party) > AWC_RULE_ID_MAX)
            return bad_at(st->name, line, r, "split: party id too long", "");
        memcpy(t->party_id, party, strlen(party) + 1);
    }
    return 0;
}

static int read_split(awc_rule *r, xmlNodePtr n, const pstate *st)
{
    static const struct { const char *attr; awc_target_kind kind; } attrs[] = {
        { "customer", AWC_TARGET_CUSTOMER }, { "reseller", AWC_TARGET_RESELLER } };
    int rc = 0;

    for (size_t i = 0; i < 2 && rc == 0; i++) {
        char *v = NULL;
        if ((rc = get_attr(&v, n, attrs[i].attr)) == 0 && v)
            rc = read_percent(r, attrs[i].kind, NULL, v, st, line_of(st, n));
        awc_free(v);
    }
    for (xmlNodePtr p = n->children; p && rc == 0; p = p->next) {
        char *id = NULL, *pct = NULL;
        if (!is_el(p, "party"))
            continue;
        if ((rc = get_attr(&id, p, "id")) == 0 && (rc = get_attr(&pct, p, "percent")) == 0)
            rc = id && pct ? read_percent(r, AWC_TARGET_PARTY, id, pct, st, line_of(st, p))
                           : bad_at(st->name, line_of(st, p), r, "party needs id and percent", "");
        awc_free(id);
        awc_free(pct);
    }
    return rc;
}

static int read_rule(awc_rule *r, lines *ln, xmlNodePtr node, const pstate *st)
{
    char *v = NULL;
    int rc;

    memset(ln, 0, sizeof(*ln));
    ln->rule = line_of(st, node);
    if ((rc = get_attr(&v, node, "id")))
        return rc;
    if (!v || strlen(v) > AWC_RULE_ID_MAX) {
        awc_free(v);
        return bad_at(st->name, ln->rule, NULL, "rule id missing or longer than 64", "");
    }
    memcpy(r->id, v, strlen(v) + 1);
    awc_free(v);
    if ((rc = get_attr(&r->name, node, "name")))
        return rc;
    if (!r->name && !(r->name = awc_strdup("")))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = get_attr(&v, node, "created")))
        return rc;
    if (!v)
        return bad_at(st->name, ln->rule, r, "created: ", "missing");
    rc = awc_rule_created_parse(&r->created, v, strlen(v));
    awc_free(v);
    if (rc)
        return bad_at(st->name, ln->rule, r, "created: ", awc_error_last());

    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(c, "description")) {
            ln->description = line_of(st, c);
            if ((rc = get_attr(&v, c, "match")))
                return rc;
            if (!v || awc_match_kind_parse(&r->match, v, strlen(v)) ||
                r->match == AWC_MATCH_ANY) {
                awc_free(v);
                return bad_at(st->name, ln->description, r,
                              "match must be exact, contains, prefix or regex", "");
            }
            awc_free(v);
            if ((rc = get_text(&r->match_text, c)))
                return rc;
            if (r->match_text[0] == '\0')
                r->match = AWC_MATCH_ANY;     /* a blank description matches any */
        } else if (is_el(c, "period")) {
            char *from = NULL, *to = NULL;
            ln->period = line_of(st, c);
            if ((rc = get_attr(&from, c, "from")) == 0 && (rc = get_attr(&to, c, "to")) == 0) {
                if ((from && !awc_rule_period_valid(from, strlen(from))) ||
                    (to && !awc_rule_period_valid(to, strlen(to))))
                    rc = bad_at(st->name, ln->period, r, "period: expected YYYY-MM", "");
                else {
                    if (from)
                        memcpy(r->period_from, from, 8);
                    if (to)
                        memcpy(r->period_to, to, 8);
                }
            }
            awc_free(from);
            awc_free(to);
            if (rc)
                return rc;
        } else if (is_el(c, "customers")) {
            ln->customers = line_of(st, c);
            if ((rc = read_ctx(&r->customers, c, st, r)))
                return rc;
        } else if (is_el(c, "resellers")) {
            ln->resellers = line_of(st, c);
            if ((rc = read_ctx(&r->resellers, c, st, r)))
                return rc;
        } else if (is_el(c, "services")) {
            ln->services = line_of(st, c);
            if ((rc = read_ctx(&r->services, c, st, r)))
                return rc;
        } else if (is_el(c, "types")) {
            ln->types = line_of(st, c);
            if ((rc = read_list(&r->types, &r->n_types, c, st, r)))
                return rc;
        } else if (is_el(c, "accounts")) {
            ln->accounts = line_of(st, c);
            if ((rc = read_list(&r->accounts, &r->n_accounts, c, st, r)))
                return rc;
        } else if (is_el(c, "split")) {
            ln->split = line_of(st, c);
            if ((rc = read_split(r, c, st)))
                return rc;
        }
    }
    if (!r->match_text && !(r->match_text = awc_strdup("")))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    return 0;
}

typedef struct idline {
    const char *id;
    long line;
} idline;

static int cmp_idline(const void *a, const void *b)
{
    const idline *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int read_rules(xmlDocPtr doc, const pstate *st, awc_rule **out, size_t *n)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    size_t count = 0, k = 0;
    awc_rule *rules = NULL;
    idline *ids = NULL;
    int rc = 0;

    for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
        if (is_el(c, "rule"))
            count++;
    if (count == 0)
        return 0;
    rules = awc_calloc(count, sizeof(*rules));
    ids = awc_calloc(count, sizeof(*ids));
    if (!rules || !ids) {
        rc = awc_error_set(AWC_ENOMEM, "out of memory");
        goto out;
    }
    for (xmlNodePtr c = root->children; c; c = c->next) {
        lines ln;
        const char *field = NULL;
        if (!is_el(c, "rule"))
            continue;
        rc = read_rule(&rules[k], &ln, c, st);
        k++;
        if (rc == 0 && (rc = awc_rule_check(&rules[k - 1], &field)) != 0)
            rc = bad_at(st->name, field_line(&ln, field), &rules[k - 1], awc_error_last(), "");
        if (rc)
            goto out;
        ids[k - 1].id = rules[k - 1].id;
        ids[k - 1].line = ln.rule;
    }
    qsort(ids, count, sizeof(*ids), cmp_idline);
    for (size_t i = 1; i < count; i++)
        if (strcmp(ids[i - 1].id, ids[i].id) == 0) {
            rc = awc_error_set(AWC_EBADINPUT, "%s:%ld: rule '%s': duplicate rule id (first on "
                               "line %ld)", st->name, ids[i].line, ids[i].id, ids[i - 1].line);
            goto out;
        }
out:
    awc_free(ids);
    if (rc) {
        awc_rules_free(rules, k);
        return rc;
    }
    *out = rules;
    *n = count;
    return 0;
}

int awc_rules_xml_parse(const char *buf, size_t len, const char *name, awc_rule **out,
                        size_t *n)
{
    pstate st;
    xmlDocPtr doc = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    memset(&st, 0, sizeof(st));
    st.name = name ? name : "<input>";
    if (len > AWC_RULES_XML_MAX_BYTES)
        return awc_error_set(AWC_EBADINPUT, "%s: %zu bytes, more than the %zu a rules file may "
                             "have", st.name, len, AWC_RULES_XML_MAX_BYTES);
    if (!buf || len == 0)
        return awc_error_set(AWC_EBADINPUT, "%s:1: empty document", st.name);
    if ((rc = parse_doc(&doc, buf, len, &st))) {
        awc_free(st.far);
        return rc;
    }
    if ((rc = validate(doc, &st)) == 0)
        rc = read_rules(doc, &st, out, n);
    xmlFreeDoc(doc);
    awc_free(st.far);
    return rc;
}

/* --- export ------------------------------------------------------------------------- */

/* Escaped for an attribute value (quot) or for text content. */
static void w_esc(awc_wbuf *w, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': awc_wbuf_str(w, "&amp;"); break;
        case '<': awc_wbuf_str(w, "&lt;"); break;
        case '>': awc_wbuf_str(w, "&gt;"); break;
        case '"': awc_wbuf_str(w, "&quot;"); break;
        default: awc_wbuf_put(w, s, 1); break;
        }
    }
}

static void w_attr(awc_wbuf *w, const char *attr, const char *value)
{
    awc_wbuf_str(w, " ");
    awc_wbuf_str(w, attr);
    awc_wbuf_str(w, "=\"");
    w_esc(w, value);
    awc_wbuf_str(w, "\"");
}

static void w_list(awc_wbuf *w, char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            awc_wbuf_str(w, " ");
        w_esc(w, items[i]);
    }
}

static void w_ctx(awc_wbuf *w, const char *el, const awc_ctx *c)
{
    if (c->mode == AWC_CTX_ALL)
        return;
    awc_wbuf_str(w, "    <");
    awc_wbuf_str(w, el);
    w_attr(w, "mode", awc_ctx_mode_name(c->mode));
    awc_wbuf_str(w, ">");
    w_list(w, c->items, c->n);
    awc_wbuf_str(w, "</");
    awc_wbuf_str(w, el);
    awc_wbuf_str(w, ">\n");
}

static void w_rule(awc_wbuf *w, const awc_rule *r)
{
    char created[AWC_RULE_CREATED_LEN + 1], pct[16];
    size_t parties = 0;

    (void)awc_rule_created_format(created, sizeof(created), r->created);
    awc_wbuf_str(w, "  <rule");
    w_attr(w, "id", r->id);
    w_attr(w, "name", r->name ? r->name : "");
    w_attr(w, "created", created);
    awc_wbuf_str(w, ">\n");
    if (r->match != AWC_MATCH_ANY) {
        awc_wbuf_str(w, "    <description");
        w_attr(w, "match", awc_match_kind_name(r->match));
        awc_wbuf_str(w, ">");
        w_esc(w, r->match_text);
        awc_wbuf_str(w, "</description>\n");
    }
    if (r->period_from[0] || r->period_to[0]) {
        awc_wbuf_str(w, "    <period");
        if (r->period_from[0])
            w_attr(w, "from", r->period_from);
        if (r->period_to[0])
            w_attr(w, "to", r->period_to);
        awc_wbuf_str(w, "/>\n");
    }
    w_ctx(w, "customers", &r->customers);
    w_ctx(w, "resellers", &r->resellers);
    w_ctx(w, "services", &r->services);
    if (r->n_types) {
        awc_wbuf_str(w, "    <types>");
        w_list(w, r->types, r->n_types);
        awc_wbuf_str(w, "</types>\n");
    }
    if (r->n_accounts) {
        awc_wbuf_str(w, "    <accounts>");
        w_list(w, r->accounts, r->n_accounts);
        awc_wbuf_str(w, "</accounts>\n");
    }
    awc_wbuf_str(w, "    <split");
    for (size_t i = 0; i < r->n_split; i++) {
        const awc_split_target *t = &r->split[i];
        awc_percent_format(pct, sizeof(pct), t->bp);
        if (t->kind == AWC_TARGET_CUSTOMER)
            w_attr(w, "customer", pct);
        else if (t->kind == AWC_TARGET_RESELLER)
            w_attr(w, "reseller", pct);
        else
            parties++;
    }
    if (parties == 0) {
        awc_wbuf_str(w, "/>\n");
    } else {
        awc_wbuf_str(w, ">\n");
        for (size_t i = 0; i < r->n_split; i++) {
            const awc_split_target *t = &r->split[i];
            if (t->kind != AWC_TARGET_PARTY)
                continue;
            awc_percent_format(pct, sizeof(pct), t->bp);
            awc_wbuf_str(w, "      <party");
            w_attr(w, "id", t->party_id);
            w_attr(w, "percent", pct);
            awc_wbuf_str(w, "/>\n");
        }
        awc_wbuf_str(w, "    </split>\n");
    }
    awc_wbuf_str(w, "  </rule>\n");
}

int awc_rules_xml_write(const awc_rule *rules, size_t n, awc_rules_write_fn write, void *ctx)
{
    awc_wbuf *w;
    int failed;

    for (size_t i = 0; i < n; i++)
        if (awc_rule_check(&rules[i], NULL))
            return awc_error_prefix(AWC_EBADINPUT, "rule '%.*s'", AWC_RULE_ID_MAX, rules[i].id);
    w = awc_malloc(sizeof(*w));
    if (!w)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    w->fn = write, w->ctx = ctx, w->failed = 0, w->len = 0;
    awc_wbuf_str(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rules xmlns=\"" AWC_RULES_XML_NS "\"");
    awc_wbuf_str(w, n ? ">\n" : "/>\n");
    for (size_t i = 0; i < n; i++)
        w_rule(w, &rules[i]);
    if (n)
        awc_wbuf_str(w, "</rules>\n");
    awc_wbuf_flush(w);
    failed = w->failed;
    awc_free(w);
    return failed ? awc_error_set(AWC_EIO, "writing the rules XML failed") : 0;
}
