/*
 * test_rules_xml.c -- rules_xml.c: import with schema validation and
 * errors that name the line, hostile documents (XXE, billion laughs, too
 * deep, too large), canonical export and round trips.
 *
 * Fixtures: tests/fixtures/rules/ (found through AWC_TEST_ROOT, else the
 * current directory).  Random round trips use a fixed-seed splitmix64
 * (seed printed; AWC_TEST_SEED replays another run).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlIO.h>

#include "awc.h"
#include "rule.h"
#include "rules_xml.h"

/* --- helpers ------------------------------------------------------------------- */

static char *read_file(const char *rel, size_t *len)
{
    const char *root = getenv("AWC_TEST_ROOT");
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", root && *root ? root : ".", rel);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int parse_fixture(const char *name, awc_rule **out, size_t *n)
{
    char rel[256];
    size_t len;
    char *buf;
    int rc;
    snprintf(rel, sizeof(rel), "tests/fixtures/rules/%s", name);
    buf = read_file(rel, &len);
    rc = awc_rules_xml_parse(buf, len, name, out, n);
    free(buf);
    return rc;
}

typedef struct sink {
    char *buf;
    size_t len, cap;
    int calls;
    int fail;
} sink;

static int sink_write(void *ctx, const char *buf, size_t len)
{
    sink *s = ctx;
    s->calls++;
    if (s->fail)
        return -1;
    if (s->len + len + 1 > s->cap) {
        s->cap = (s->len + len + 1) * 2;
        s->buf = realloc(s->buf, s->cap);
        assert_non_null(s->buf);
    }
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return 0;
}

static void assert_rules_equal(const awc_rule *a, size_t na, const awc_rule *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        if (!awc_rule_equal(&a[i], &b[i]))
            fail_msg("rule %zu (%s) differs after the round trip", i, a[i].id);
}

/* --- the schema ------------------------------------------------------------------ */

static void test_xsd_matches_file(void **state)
{
    size_t len;
    char *file = read_file("rules/rules.xsd", &len);
    (void)state;
    assert_int_equal(strlen(awc_rules_xsd()), len);
    assert_memory_equal(awc_rules_xsd(), file, len);
    free(file);
}

/* --- good input ------------------------------------------------------------------ */

static void test_good_file(void **state)
{
    awc_rule *r;
    size_t n;
    (void)state;

    if (parse_fixture("good.xml", &r, &n))
        fail_msg("%s", awc_error_last());
    assert_int_equal(n, 5);

    assert_string_equal(r[0].id, "R-MAP-ACME");
    assert_string_equal(r[0].name, "MAP credits for two customers");
    assert_int_equal(r[0].created, INT64_C(1767607200));
    assert_int_equal(r[0].match, AWC_MATCH_CONTAINS);
    assert_string_equal(r[0].match_text, "MPE");
    assert_string_equal(r[0].period_from, "2026-01");
    assert_string_equal(r[0].period_to, "2026-12");
    assert_int_equal(r[0].customers.mode, AWC_CTX_ONLY);
    assert_int_equal(r[0].customers.n, 2);
    assert_string_equal(r[0].customers.items[0], "C-1001");     /* sorted */
    assert_string_equal(r[0].customers.items[1], "C-1002");
    assert_int_equal(r[0].resellers.mode, AWC_CTX_ALL);
    assert_int_equal(r[0].resellers.n, 0);
    assert_int_equal(r[0].services.mode, AWC_CTX_EXCEPT);
    assert_string_equal(r[0].services.items[0], "AmazonEC2");
    assert_int_equal(r[0].n_types, 2);
    assert_string_equal(r[0].types[0], "EDP");
    assert_int_equal(r[0].n_accounts, 2);
    assert_string_equal(r[0].accounts[0], "111122223333");
    assert_int_equal(r[0].n_split, 2);
    assert_int_equal(r[0].split[0].kind, AWC_TARGET_CUSTOMER);
    assert_int_equal(r[0].split[0].bp, 8000);
    assert_int_equal(r[0].split[1].kind, AWC_TARGET_RESELLER);
    assert_int_equal(r[0].split[1].bp, 1500);

    assert_string_equal(r[1].id, "R-DEFAULT");
    assert_string_equal(r[1].name, "");
    assert_int_equal(r[1].created, INT64_C(1767225599));
    assert_int_equal(r[1].match, AWC_MATCH_ANY);
    assert_string_equal(r[1].match_text, "");
    assert_string_equal(r[1].period_from, "");
    assert_int_equal(r[1].customers.mode, AWC_CTX_ALL);      /* omitted = all */

    assert_string_equal(r[2].name, "EDP & <discount> \"programme\"");
    assert_int_equal(r[2].match, AWC_MATCH_PREFIX);
    assert_string_equal(r[2].match_text, "EDP Discount");    /* blanks trimmed */
    assert_string_equal(r[2].period_from, "2026-02");
    assert_string_equal(r[2].period_to, "");
    assert_int_equal(r[2].n_split, 3);
    assert_int_equal(r[2].split[0].kind, AWC_TARGET_RESELLER);
    assert_int_equal(r[2].split[0].bp, 3333);
    assert_int_equal(r[2].split[1].kind, AWC_TARGET_PARTY);
    assert_string_equal(r[2].split[1].party_id, "P-DISTY");
    assert_int_equal(r[2].split[1].bp, 1250);
    assert_string_equal(r[2].split[2].party_id, "P-FUND");
    assert_int_equal(r[2].split[2].bp, 1);

    assert_int_equal(r[3].match, AWC_MATCH_REGEX);
    assert_string_equal(r[3].match_text, "credit id: [0-9]+$");
    assert_string_equal(r[3].period_to, "2026-06");

    assert_int_equal(r[4].match, AWC_MATCH_EXACT);
    assert_int_equal(r[4].n_split, 0);                       /* all retained */
    awc_rules_free(r, n);
}

static void test_spec_example(void **state)
{
    static const char doc[] =
        "<rules xmlns=\"urn:awscredit:rules:1\">\n"
        "  <rule id=\"R-MAP-ACME\" name=\"MAP credits for two customers\" "
        "created=\"2026-01-05T10:00:00Z\">\n"
        "    <description match=\"contains\">MPE</description>\n"
        "    <period from=\"2026-01\" to=\"2026-12\"/>\n"
        "    <customers mode=\"only\">C-1001 C-1002</customers>\n"
        "    <resellers mode=\"all\"/>\n"
        "    <services mode=\"except\">AmazonEC2</services>\n"
        "    <types>MAP EDP</types>\n"
        "    <accounts>111122223333 444455556666</accounts>\n"
        "    <split customer=\"80\" reseller=\"15\"/>   <!-- percentages, up to 2 decimals; "
        "5 % retained -->\n"
        "  </rule>\n"
        "</rules>\n";
    awc_rule *r;
    size_t n;
    (void)state;
    if (awc_rules_xml_parse(doc, sizeof(doc) - 1, "spec.xml", &r, &n))
        fail_msg("%s", awc_error_last());
    assert_int_equal(n, 1);
    assert_int_equal(r[0].split[0].bp + r[0].split[1].bp, 9500);
    awc_rules_free(r, n);
}

static void test_empty(void **state)
{
    awc_rule sentinel, *r = &sentinel;
    size_t n = 99;
    sink s = { 0 };
    (void)state;

    assert_int_equal(parse_fixture("empty.xml", &r, &n), 0);
    assert_int_equal(n, 0);
    assert_null(r);
    assert_int_equal(awc_rules_xml_write(NULL, 0, sink_write, &s), 0);
    assert_string_equal(s.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<rules xmlns=\"urn:awscredit:rules:1\"/>\n");
    assert_int_equal(awc_rules_xml_parse(s.buf, s.len, "again", &r, &n), 0);
    assert_int_equal(n, 0);
    free(s.buf);

    assert_int_equal(awc_rules_xml_parse("", 0, "nothing.xml", &r, &n), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "nothing.xml:1: empty document");
    assert_int_equal(awc_rules_xml_parse("  ", 2, NULL, &r, &n), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "<input>:1: "));
}

/* --- bad input: every message names the file and the line --------------------------- */

typedef struct bad_case {
    const char *file;
    const char *prefix;           /* "file:line: " */
    const char *text;             /* a part of the rest */
} bad_case;

static const bad_case bad_cases[] = {
    { "bad-syntax.xml", "bad-syntax.xml:5: ", "Opening and ending tag mismatch" },
    { "bad-element.xml", "bad-element.xml:7: ", "Element 'colour': This element is not expected" },
    { "bad-order.xml", "bad-order.xml:5: ", "Element 'description': This element is not expected" },
    { "bad-created.xml", "bad-created.xml:7: ", "attribute 'created': '2026-01-05 10:00:00' is not a valid value" },
    { "bad-date.xml", "bad-date.xml:3: ", "'2026-02-30T10:00:00Z' is not a valid value" },
    { "bad-account.xml", "bad-account.xml:4: ", "'11112222333' is not accepted by the pattern" },
    { "bad-percent.xml", "bad-percent.xml:4: ", "The value '33.333' is not accepted" },
    { "bad-namespace.xml", "bad-namespace.xml:2: ", "No matching global declaration" },
    { "bad-entity.xml", "bad-entity.xml:4: ", "Entity 'undefined' not defined" },
    { "bad-split-sum.xml", "bad-split-sum.xml:5: ", "rule 'R-1': split: percentages add up to 100.01 %, more than 100 %" },
    { "bad-period.xml", "bad-period.xml:6: ", "rule 'R-1': period from 2026-07 is after to 2026-06" },
    { "bad-regex.xml", "bad-regex.xml:4: ", "rule 'R-1': regex 'credit (id' does not compile" },
    { "bad-duplicate.xml", "bad-duplicate.xml:9: ", "rule 'R-1': duplicate rule id (first on line 3)" },
    { "bad-mode.xml", "bad-mode.xml:4: ", "rule 'R-1': customers: mode only needs at least one id" },
    { "bad-mode-all.xml", "bad-mode-all.xml:7: ", "rule 'R-2': resellers: mode all takes no list" },
    { "xinclude.xml", "xinclude.xml:3: ", "include': This element is not expected" },
    { "too-deep.xml", "too-deep.xml:35: ", "elements nested deeper than 32 levels" },
    { "xxe.xml", "xxe.xml:2: ", "DOCTYPE not allowed" },
    { "xxe-parameter.xml", "xxe-parameter.xml:2: ", "DOCTYPE not allowed" },
    { "xxe-external-dtd.xml", "xxe-external-dtd.xml:2: ", "DOCTYPE not allowed" },
    { "billion-laughs.xml", "billion-laughs.xml:2: ", "DOCTYPE not allowed" },
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *c = &bad_cases[i];
        awc_rule *r = (awc_rule *)&r;
        size_t n = 99;
        const char *msg;
        assert_int_equal(parse_fixture(c->file, &r, &n), AWC_EBADINPUT);
        assert_null(r);
        assert_int_equal(n, 0);
        msg = awc_error_last();
        if (strncmp(msg, c->prefix, strlen(c->prefix)) != 0 || !strstr(msg, c->text))
            fail_msg("%s: message '%s', expected '%s...%s'", c->file, msg, c->prefix, c->text);
        assert_null(strchr(msg, '\n'));
    }
}

/* Nothing goes to stderr: libxml2's errors come to us only. */
static void test_no_output(void **state)
{
    char path[] = "/tmp/awc-test-stderr-XXXXXX";
    int fd = mkstemp(path), saved;
    awc_rule *r;
    size_t n;
    off_t size;
    (void)state;

    assert_true(fd >= 0);
    fflush(stderr);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    (void)parse_fixture("bad-syntax.xml", &r, &n);
    (void)parse_fixture("bad-element.xml", &r, &n);
    (void)parse_fixture("xxe.xml", &r, &n);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size = lseek(fd, 0, SEEK_END);
    close(fd);
    unlink(path);
    assert_int_equal(size, 0);
}

/* --- hostile input -------------------------------------------------------------- */

/* form with every "@PATH@" replaced by path, into out; the length. */
static size_t subst(char *out, size_t cap, const char *form, const char *path)
{
    size_t k = 0;
    while (*form && k + 1 < cap) {
        if (strncmp(form, "@PATH@", 6) == 0) {
            k += (size_t)snprintf(out + k, cap - k, "%s", path);
            form += 6;
        } else {
            out[k++] = *form++;
        }
    }
    out[k] = '\0';
    return k;
}

/* libxml2's input layer: every URI it is asked to open is counted here
 * (and then left to the default handlers, which never get the chance). */
static int opens;

static int count_open(const char *uri)
{
    (void)uri;
    opens++;
    return 0;
}

static void test_xxe_reads_no_file(void **state)
{
    static const char secret[] = "S3CR3T-7f1d2e-do-not-leak";
    char path[] = "/tmp/awc-test-secret-XXXXXX";
    char doc[2048];
    const char *forms[] = {
        /* general entity in text and in an attribute */
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rules [ <!ENTITY s SYSTEM \"file://@PATH@\"> ]>\n"
        "<rules xmlns=\"urn:awscredit:rules:1\"><rule id=\"R-1\" name=\"&s;\" "
        "created=\"2026-01-05T10:00:00Z\"><description match=\"contains\">&s;</description>"
        "<split customer=\"100\"/></rule></rules>\n",
        /* parameter entity */
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rules [ <!ENTITY % p SYSTEM \"file://@PATH@\"> %p; ]>\n"
        "<rules xmlns=\"urn:awscredit:rules:1\"/>\n",
        /* external subset */
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rules SYSTEM \"@PATH@\">\n"
        "<rules xmlns=\"urn:awscredit:rules:1\"/>\n",
        /* plain path, no scheme */
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rules [ <!ENTITY s SYSTEM \"@PATH@\"> ]>\n"
        "<rules xmlns=\"urn:awscredit:rules:1\"><rule id=\"R-1\" "
        "created=\"2026-01-05T10:00:00Z\"><description match=\"contains\">&s;</description>"
        "<split/></rule></rules>\n",
    };
    static const char xsi[] =
        "<rules xmlns=\"urn:awscredit:rules:1\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"urn:awscredit:rules:1 http://127.0.0.1:9/x.xsd\"/>";
    int fd = mkstemp(path);
    awc_rule *r0;
    size_t n0;
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, secret, sizeof(secret) - 1), (ssize_t)(sizeof(secret) - 1));
    close(fd);
    assert_true(xmlRegisterInputCallbacks(count_open, NULL, NULL, NULL) >= 0);
    opens = 0;
    /* an instance's schemaLocation is not followed either */
    assert_int_equal(awc_rules_xml_parse(xsi, sizeof(xsi) - 1, "xsi", &r0, &n0), 0);
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        awc_rule *r = NULL;
        size_t n = 0;
        size_t len = subst(doc, sizeof(doc), forms[i], path);
        assert_non_null(strstr(doc, path));
        assert_int_equal(awc_rules_xml_parse(doc, len, "xxe", &r, &n), AWC_EBADINPUT);
        assert_null(r);
        assert_null(strstr(awc_error_last(), "S3CR3T"));
        if (strncmp(awc_error_last(), "xxe:2: DOCTYPE not allowed", 26) != 0)
            fail_msg("form %zu: %s", i, awc_error_last());
    }
    assert_int_equal(opens, 0);
    xmlPopInputCallbacks();
    unlink(path);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_billion_laughs_fast(void **state)
{
    awc_rule *r;
    size_t n;
    uint64_t t0 = now_ms();
    (void)state;
    for (int i = 0; i < 100; i++)
        assert_int_equal(parse_fixture("billion-laughs.xml", &r, &n), AWC_EBADINPUT);
    /* refused at the DOCTYPE: a hundred refusals take milliseconds, an
     * expansion would take minutes and gigabytes */
    assert_true(now_ms() - t0 < 2000);
}

static char *nested(int depth, size_t *len)
{
    size_t cap = (size_t)depth * 16 + 200, k;
    char *s = malloc(cap);
    assert_non_null(s);
    k = (size_t)snprintf(s, cap, "<rules xmlns=\"urn:awscredit:rules:1\">");
    for (int i = 1; i < depth; i++)
        k += (size_t)snprintf(s + k, cap - k, "<x>");
    for (int i = 1; i < depth; i++)
        k += (size_t)snprintf(s + k, cap - k, "</x>");
    k += (size_t)snprintf(s + k, cap - k, "</rules>");
    *len = k;
    return s;
}

static void test_depth_limit(void **state)
{
    awc_rule *r;
    size_t n, len;
    char *doc;
    (void)state;

    /* 32 levels pass the parser (then the schema refuses <x>) */
    doc = nested(AWC_RULES_XML_MAX_DEPTH, &len);
    assert_int_equal(awc_rules_xml_parse(doc, len, "d32", &r, &n), AWC_EBADINPUT);
    assert_non_null(strstr(awc_error_last(), "Element 'x': This element is not expected"));
    free(doc);
    /* 33 do not */
    doc = nested(AWC_RULES_XML_MAX_DEPTH + 1, &len);
    assert_int_equal(awc_rules_xml_parse(doc, len, "d33", &r, &n), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "d33:1: elements nested deeper than 32 levels");
    free(doc);
    /* and ten thousand do not either, quickly */
    doc = nested(10000, &len);
    assert_int_equal(awc_rules_xml_parse(doc, len, "d10k", &r, &n), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "d10k:1: elements nested deeper than 32 levels");
    free(doc);
}

/* A document of exactly len bytes: a valid, empty rule set padded with comments. */
static char *padded_doc(size_t len)
{
    static const char head[] = "<rules xmlns=\"urn:awscredit:rules:1\">\n";
    static const char tail[] = "</rules>\n";
    char *s = malloc(len);
    size_t k = 0;
    assert_non_null(s);
    memcpy(s, head, sizeof(head) - 1);
    k = sizeof(head) - 1;
    while (k + (sizeof(tail) - 1) < len) {
        size_t room = len - k - (sizeof(tail) - 1), body;
        if (room < 8) {                              /* fill with blanks */
            memset(s + k, ' ', room);
            k += room;
            break;
        }
        body = room > 4096 ? 4096 - 8 : room - 8;
        memcpy(s + k, "<!--", 4);
        memset(s + k + 4, 'x', body);
        memcpy(s + k + 4 + body, "-->\n", 4);
        k += body + 8;
    }
    memcpy(s + k, tail, sizeof(tail) - 1);
    assert_int_equal(k + sizeof(tail) - 1, len);
    return s;
}

static void test_size_limit(void **state)
{
    awc_rule *r;
    size_t n;
    char *doc;
    uint64_t t0;
    (void)state;

    doc = padded_doc(AWC_RULES_XML_MAX_BYTES);
    if (awc_rules_xml_parse(doc, AWC_RULES_XML_MAX_BYTES, "max.xml", &r, &n))
        fail_msg("%s", awc_error_last());
    assert_int_equal(n, 0);
    free(doc);

    doc = padded_doc(AWC_RULES_XML_MAX_BYTES + 1);
    t0 = now_ms();
    assert_int_equal(awc_rules_xml_parse(doc, AWC_RULES_XML_MAX_BYTES + 1, "big.xml", &r, &n),
                     AWC_EBADINPUT);
    assert_true(now_ms() - t0 < 100);                     /* refused unread */
    assert_string_equal(awc_error_last(),
                        "big.xml: 16777217 bytes, more than the 16777216 a rules file may have");
    assert_null(r);
    free(doc);
}

/* "<rules>", 69998 empty lines, then line 70000: first, line 70001: second. */
static char *far_doc(const char *first, const char *second, size_t *len)
{
    size_t cap = 70000 + 2000, k;
    char *doc = malloc(cap);
    assert_non_null(doc);
    k = (size_t)snprintf(doc, cap, "<rules xmlns=\"urn:awscredit:rules:1\">\n");
    for (int i = 2; i < 70000; i++)
        doc[k++] = '\n';
    k += (size_t)snprintf(doc + k, cap - k, "%s\n%s</rules>\n", first, second);
    *len = k;
    return doc;
}

/* Line numbers past 65535 are right too (XML_PARSE_BIG_LINES). */
static void test_big_line_numbers(void **state)
{
    static const char good[] = "<rule id=\"R-0\" created=\"2026-01-05T10:00:00Z\"><split/></rule>";
    static const char bad_period[] = "<rule id=\"R-1\" created=\"2026-01-05T10:00:00Z\">"
                                     "<period from=\"2026-07\" to=\"2026-06\"/><split/></rule>";
    static const char bad_element[] = "<rule id=\"R-2\" created=\"2026-01-05T10:00:00Z\">"
                                      "<bad/></rule>";
    awc_rule *r;
    size_t n, len;
    char *doc;
    (void)state;

    doc = far_doc(good, bad_element, &len);
    assert_int_equal(awc_rules_xml_parse(doc, len, "far.xml", &r, &n), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "far.xml:70001: Element 'bad': This element is not "
                                          "expected. Expected is one of ( description, period, "
                                          "customers, resellers, services, types, accounts, "
                                          "split ).");
    free(doc);
    doc = far_doc(bad_period, good, &len);
    assert_int_equal(awc_rules_xml_parse(doc, len, "far.xml", &r, &n), AWC_EBADINPUT);
    assert_string_equal(awc_error_last(), "far.xml:70000: rule 'R-1': period from 2026-07 is "
                                          "after to 2026-06");
    free(doc);
}

/* --- export and round trips --------------------------------------------------------- */

static void test_round_trip_good(void **state)
{
    awc_rule *a, *b;
    size_t na, nb;
    sink s1 = { 0 }, s2 = { 0 };
    (void)state;

    assert_int_equal(parse_fixture("good.xml", &a, &na), 0);
    assert_int_equal(awc_rules_xml_write(a, na, sink_write, &s1), 0);
    if (awc_rules_xml_parse(s1.buf, s1.len, "written.xml", &b, &nb))
        fail_msg("%s\n%s", awc_error_last(), s1.buf);
    assert_rules_equal(a, na, b, nb);
    assert_int_equal(awc_rules_xml_write(b, nb, sink_write, &s2), 0);
    assert_int_equal(s1.len, s2.len);
    assert_memory_equal(s1.buf, s2.buf, s1.len);
    /* canonical text */
    assert_non_null(strstr(s1.buf, "  <rule id=\"R-EDP\" name=\"EDP &amp; &lt;discount&gt; "
                                   "&quot;programme&quot;\" created=\"2026-02-01T00:00:00Z\">\n"
                                   "    <description match=\"prefix\">EDP Discount</description>\n"
                                   "    <period from=\"2026-02\"/>\n"
                                   "    <resellers mode=\"only\">RS-7 RS-9</resellers>\n"
                                   "    <split reseller=\"33.33\">\n"
                                   "      <party id=\"P-DISTY\" percent=\"12.5\"/>\n"
                                   "      <party id=\"P-FUND\" percent=\"0.01\"/>\n"
                                   "    </split>\n"
                                   "  </rule>\n"));
    assert_null(strstr(s1.buf, "mode=\"all\""));
    awc_rules_free(a, na);
    awc_rules_free(b, nb);
    free(s1.buf);
    free(s2.buf);
}

static uint64_t rng;

static uint64_t rng_next(void)
{
    uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return (size_t)(rng_next() % n);
}

static const char *const texts[] = {
    "MPE", "a & b", "<tag>", "\"quoted\"", "it's", "caf\xc3\xa9 \xe2\x82\xac", "x]]>y",
    "credit id: [0-9]+$", "a,b", "=SUM(A1)", "-1", "'=x", "tab\xc2\xa0nbsp",
};

static void random_list(char ***items, size_t *n, const char *prefix)
{
    char buf[256];
    size_t len = 0, k = 1 + below(4);
    for (size_t i = 0; i < k; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%zu ", prefix, below(20));
    assert_int_equal(awc_rule_list_parse(items, n, buf, len), 0);
}

static void random_ctx(awc_ctx *c, const char *prefix)
{
    c->mode = (awc_ctx_mode)below(3);
    if (c->mode != AWC_CTX_ALL)
        random_list(&c->items, &c->n, prefix);
}

static void random_rule(awc_rule *r, size_t i)
{
    int32_t left = 10000;
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "R.%zu_x-%zu", i, below(1000));
    r->name = awc_strdup(below(3) ? texts[below(sizeof(texts) / sizeof(texts[0]))] : "");
    r->created = (int64_t)(rng_next() % (uint64_t)(AWC_RULE_CREATED_MAX + 1));
    r->match = (awc_match_kind)below(5);
    if (r->match == AWC_MATCH_REGEX)
        r->match_text = awc_strdup("^(map|edp)[ _]x{2,3}$");
    else if (r->match != AWC_MATCH_ANY)
        r->match_text = awc_strdup(texts[below(sizeof(texts) / sizeof(texts[0]))]);
    else
        r->match_text = awc_strdup("");
    if (below(2))
        snprintf(r->period_from, 8, "20%02zu-%02zu", below(50), 1 + below(6));
    if (below(2))
        snprintf(r->period_to, 8, "20%02zu-%02zu", 50 + below(50), 7 + below(6));
    random_ctx(&r->customers, "C-");
    random_ctx(&r->resellers, "RS-");
    random_ctx(&r->services, "Amazon");
    if (below(2))
        random_list(&r->types, &r->n_types, "T");
    if (below(2)) {
        char buf[128];
        size_t len = 0;
        for (size_t j = 1 + below(3); j > 0; j--)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%012zu ",
                                    below(1000000) * 1000000 + below(1000000));
        assert_int_equal(awc_rule_list_parse(&r->accounts, &r->n_accounts, buf, len), 0);
    }
    if (below(2)) {
        r->split[r->n_split].kind = AWC_TARGET_CUSTOMER;
        r->split[r->n_split].bp = (int32_t)below((size_t)left + 1);
        left -= r->split[r->n_split++].bp;
    }
    if (below(2)) {
        r->split[r->n_split].kind = AWC_TARGET_RESELLER;
        r->split[r->n_split].bp = (int32_t)below((size_t)left + 1);
        left -= r->split[r->n_split++].bp;
    }
    for (size_t p = below(4); p > 0; p--) {
        awc_split_target *t = &r->split[r->n_split];
        t->kind = AWC_TARGET_PARTY;
        snprintf(t->party_id, sizeof(t->party_id), "P-%zu", r->n_split);
        t->bp = (int32_t)below((size_t)left + 1);
        left -= r->split[r->n_split++].bp;
    }
}

static void test_round_trip_random(void **state)
{
    const char *env = getenv("AWC_TEST_SEED");
    (void)state;
    rng = env && *env ? strtoull(env, NULL, 0) : UINT64_C(20260105);
    print_message("xml round trip: seed %" PRIu64 "\n", rng);
    for (int round = 0; round < 200; round++) {
        size_t n = below(12), nb;
        awc_rule *a = calloc(n ? n : 1, sizeof(*a)), *b;
        sink s1 = { 0 }, s2 = { 0 };
        assert_non_null(a);
        for (size_t i = 0; i < n; i++) {
            const char *field = NULL;
            random_rule(&a[i], (size_t)round * 100 + i);
            if (awc_rule_check(&a[i], &field))
                fail_msg("generated a bad rule: %s (%s)", awc_error_last(), field);
        }
        assert_int_equal(awc_rules_xml_write(a, n, sink_write, &s1), 0);
        if (awc_rules_xml_parse(s1.buf, s1.len, "random.xml", &b, &nb))
            fail_msg("round %d: %s\n%s", round, awc_error_last(), s1.buf);
        assert_rules_equal(a, n, b, nb);
        assert_int_equal(awc_rules_xml_write(b, nb, sink_write, &s2), 0);
        assert_string_equal(s1.buf, s2.buf);
        for (size_t i = 0; i < n; i++)
            awc_rule_clear(&a[i]);
        free(a);
        awc_rules_free(b, nb);
        free(s1.buf);
        free(s2.buf);
    }
}

static void test_write_errors(void **state)
{
    awc_rule *a;
    size_t n;
    sink s = { 0 };
    (void)state;

    assert_int_equal(parse_fixture("good.xml", &a, &n), 0);
    /* a failing writer */
    s.fail = 1;
    assert_int_equal(awc_rules_xml_write(a, n, sink_write, &s), AWC_EIO);
    assert_true(s.calls >= 1);
    /* a bad rule: refused before anything is written */
    memset(&s, 0, sizeof(s));
    a[2].split[0].bp = 9000;                         /* 90 + 12.5 + 0.01 > 100 */
    assert_int_equal(awc_rules_xml_write(a, n, sink_write, &s), AWC_EBADINPUT);
    assert_int_equal(s.calls, 0);
    assert_non_null(strstr(awc_error_last(), "rule 'R-EDP': split: percentages add up to 102.5 %"));
    awc_rules_free(a, n);
}

static void test_parse_oom(void **state)
{
    size_t len;
    char *buf = read_file("tests/fixtures/rules/good.xml", &len);
    int done = 0;
    (void)state;
    for (long k = 0; !done && k < 5000; k++) {
        awc_rule *r = NULL;
        size_t n = 0;
        int rc;
        awc_alloc_fail_after(k);
        rc = awc_rules_xml_parse(buf, len, "good.xml", &r, &n);
        awc_alloc_fail_after(-1);
        if (rc == 0) {
            assert_int_equal(n, 5);
            awc_rules_free(r, n);
            done = 1;
        } else {
            assert_int_equal(rc, AWC_ENOMEM);
            assert_null(r);
        }
    }
    assert_true(done);
    free(buf);
}

/* Threads parse at once: the shared compiled schema and the per-parse
 * error capture keep each thread's result and message its own. */
typedef struct job {
    const char *good, *bad;
    size_t good_len, bad_len;
    int failures;
} job;

static void *parse_many(void *arg)
{
    job *j = arg;
    for (int i = 0; i < 40; i++) {
        awc_rule *r;
        size_t n;
        if (awc_rules_xml_parse(j->good, j->good_len, "good.xml", &r, &n) != 0 || n != 5)
            j->failures++;
        else
            awc_rules_free(r, n);
        if (awc_rules_xml_parse(j->bad, j->bad_len, "bad-element.xml", &r, &n) != AWC_EBADINPUT ||
            strncmp(awc_error_last(), "bad-element.xml:7: Element 'colour'", 35) != 0)
            j->failures++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t t[4];
    job jobs[4];
    size_t gl, bl;
    char *good = read_file("tests/fixtures/rules/good.xml", &gl);
    char *bad = read_file("tests/fixtures/rules/bad-element.xml", &bl);
    (void)state;
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){ good, bad, gl, bl, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, parse_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
    }
    free(good);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xsd_matches_file),
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_spec_example),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_no_output),
        cmocka_unit_test(test_xxe_reads_no_file),
        cmocka_unit_test(test_billion_laughs_fast),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_big_line_numbers),
        cmocka_unit_test(test_round_trip_good),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_parse_oom),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests_name("rules_xml", tests, NULL, NULL);
}
