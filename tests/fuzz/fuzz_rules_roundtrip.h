/*
 * fuzz_rules_roundtrip.h -- the body shared by fuzz_rules_csv.c and
 * fuzz_rules_xml.c: each defines PRIMARY (the format its input is in),
 * SECONDARY (the other one) and TARGET (its name), then includes this.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "rule.h"
#include "rules_csv.h"
#include "rules_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fmt {
    const char *name;
    int (*parse)(const char *buf, size_t len, const char *name, awc_rule **out, size_t *n);
    int (*write)(const awc_rule *rules, size_t n, awc_rules_write_fn write, void *ctx);
} fmt;

static const fmt fmt_xml = {"xml", awc_rules_xml_parse, awc_rules_xml_write};
static const fmt fmt_csv = {"csv", awc_rules_csv_parse, awc_rules_csv_write};

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, TARGET ": check failed: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

#define CHECK(cond, detail)                                                                \
    do {                                                                                   \
        if (!(cond))                                                                       \
            fail(#cond, detail);                                                           \
    } while (0)

/* Output collected in memory; fail_at > 0 makes that call (1-based) fail. */
typedef struct sink {
    char *buf;
    size_t len, cap;
    unsigned long calls, fail_at;
} sink;

static int sink_write(void *ctx, const char *buf, size_t len)
{
    sink *s = ctx;

    if (++s->calls == s->fail_at)
        return -1;
    if (s->len + len + 1 > s->cap) {
        size_t cap = (s->len + len + 1) * 2;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            abort();
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return 0;
}

static void check_rules(const awc_rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *field = NULL;
        if (awc_rule_check(&r[i], &field) != 0)
            fail("an imported rule fails awc_rule_check", r[i].id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r[i].id, r[j].id) == 0)
                fail("an imported rule id is not unique", r[i].id);
    }
}

/* Export a[0..na) in f, import it again, compare, export again. */
static void round_trip(const fmt *f, const awc_rule *a, size_t na, unsigned long pick)
{
    sink s1 = {0}, s2 = {0}, sf = {0};
    awc_rule *b = NULL;
    size_t nb = 0;
    int rc;

    rc = f->write(a, na, sink_write, &s1);
    if (rc != 0)
        fail(f->name, awc_error_last());
    rc = f->parse(s1.buf ? s1.buf : "", s1.len, "export", &b, &nb);
    if (rc != 0) {
        fprintf(stderr, "---- %s export that does not import:\n%s\n----\n", f->name,
                s1.buf ? s1.buf : "");
        fail("the export does not import again", awc_error_last());
    }
    CHECK(nb == na, f->name);
    for (size_t i = 0; i < na; i++)
        if (!awc_rule_equal(&a[i], &b[i])) {
            fprintf(stderr, "---- %s export:\n%s\n----\n", f->name, s1.buf ? s1.buf : "");
            fail("a rule differs after the round trip (awc_rule_equal)", a[i].id);
        }
    rc = f->write(b, nb, sink_write, &s2);
    CHECK(rc == 0, awc_error_last());
    if (s1.len != s2.len || (s1.len && memcmp(s1.buf, s2.buf, s1.len) != 0)) {
        fprintf(stderr, "---- first %s export:\n%s\n---- second:\n%s\n----\n", f->name,
                s1.buf ? s1.buf : "", s2.buf ? s2.buf : "");
        fail("the export of re-imported rules is not the same text", f->name);
    }
    /* a sink that fails at one of the calls the export makes */
    if (s1.calls > 0) {
        sf.fail_at = pick % s1.calls + 1;
        rc = f->write(a, na, sink_write, &sf);
        CHECK(rc == AWC_EIO, f->name);
    }
    awc_rules_free(b, nb);
    free(s1.buf);
    free(s2.buf);
    free(sf.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so reading past the end is caught */
    char *text = malloc(size ? size : 1);
    awc_rule *rules = (awc_rule *)&rules;    /* not NULL: the parser must set it */
    size_t n = 12345;
    unsigned long pick = 0;
    int rc;

    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    for (size_t i = 0; i < size && i < 4; i++)
        pick = pick * 131 + data[size - 1 - i];
    rc = PRIMARY.parse(text, size, "fuzz", &rules, &n);
    if (rc != 0) {
        CHECK(rc < 0, "error code");
        CHECK(rules == NULL && n == 0, "output left set after an error");
        CHECK(awc_error_last()[0] != '\0', "no message");
    } else {
        CHECK(n == 0 || rules != NULL, "rules");
        check_rules(rules, n);
        round_trip(&PRIMARY, rules, n, pick);
        round_trip(&SECONDARY, rules, n, pick / 7);
        awc_rules_free(rules, n);
    }
    free(text);
    awc_error_clear();
    return 0;
}
