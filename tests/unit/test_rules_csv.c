/*
 * test_rules_csv.c -- rules_csv.c: import (RFC 4180, errors naming line
 * and column), export, and round trips with CSV and with XML (the same
 * rule set in both formats).
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

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "rule.h"
#include "rules_csv.h"
#include "rules_xml.h"

/* --- helpers ------------------------------------------------------------------- */

static char *read_fixture(const char *name, size_t *len)
{
    const char *root = getenv("AWC_TEST_ROOT");
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/fixtures/rules/%s", root && *root ? root : ".", name);
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

static int parse_csv(const char *name, awc_rule **out, size_t *n)
{
    size_t len;
    char *buf = read_fixture(name, &len);
    int rc = awc_rules_csv_parse(buf, len, name, out, n);
    free(buf);
    return rc;
}

static int parse_xml(const char *name, awc_rule **out, size_t *n)
{
    size_t len;
    char *buf = read_fixture(name, &len);
    int rc = awc_rules_xml_parse(buf, len, name, out, n);
    free(buf);
    return rc;
}

typedef struct sink {
    char *buf;
    size_t len, cap;
    int calls, fail;
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
            fail_msg("rule %zu (%s) differs", i, a[i].id);
}

/* --- good input ------------------------------------------------------------------ */

/* good.csv holds the rules of good.xml, written loosely: a BOM, LF line
 * ends, a blank line, empty modes and match, unsorted lists, quoted cells,
 * a cell across two lines, blanks around a description. */
static void test_good_equals_xml(void **state)
{
    awc_rule *c, *x;
    size_t nc, nx;
    (void)state;

    if (parse_csv("good.csv", &c, &nc))
        fail_msg("%s", awc_error_last());
    assert_int_equal(parse_xml("good.xml", &x, &nx), 0);
    assert_rules_equal(c, nc, x, nx);
    assert_string_equal(c[2].name, "EDP & <discount> \"programme\"");
    assert_string_equal(c[2].match_text, "EDP Discount");
    assert_string_equal(c[2].resellers.items[0], "RS-7");
    awc_rules_free(c, nc);
    awc_rules_free(x, nx);
}

static void test_quoting_and_formulas(void **state)
{
    awc_rule *r, *b;
    size_t n, nb;
    sink s1 = { 0 }, s2 = { 0 };
    (void)state;

    if (parse_csv("quoting.csv", &r, &n))
        fail_msg("%s", awc_error_last());
    assert_int_equal(n, 4);
    assert_string_equal(r[0].name, "Comma, \"quotes\" and more");
    assert_string_equal(r[0].match_text, "MPE, phase 2");
    assert_string_equal(r[1].name, "=SUM(A1:A9)");        /* guard removed */
    assert_string_equal(r[1].match_text, "-[0-9]+$");
    assert_string_equal(r[2].name, "'quoted' is kept");   /* ' before a letter stays */
    assert_string_equal(r[2].match_text, "'+1");          /* one ' removed */
    assert_string_equal(r[3].name, "@home");              /* written without a guard */

    assert_int_equal(awc_rules_csv_write(r, n, sink_write, &s1), 0);
    assert_non_null(strstr(s1.buf, "\r\nQ-4,'@home,"));
    assert_non_null(strstr(s1.buf, "\r\nQ-2,'=SUM(A1:A9),2026-01-05T10:00:00Z,regex,'-[0-9]+$,"));
    assert_non_null(strstr(s1.buf, "\r\nQ-3,'quoted' is kept,2026-01-05T10:00:00Z,prefix,''+1,"));
    assert_non_null(strstr(s1.buf, "\r\nQ-1,\"Comma, \"\"quotes\"\" and more\","));
    assert_int_equal(awc_rules_csv_parse(s1.buf, s1.len, "written.csv", &b, &nb), 0);
    assert_rules_equal(r, n, b, nb);
    assert_int_equal(awc_rules_csv_write(b, nb, sink_write, &s2), 0);
    assert_string_equal(s1.buf, s2.buf);
    awc_rules_free(r, n);
    awc_rules_free(b, nb);
    free(s1.buf);
    free(s2.buf);
}

static void test_canonical_output(void **state)
{
    awc_rule *r;
    size_t n;
    sink s = { 0 };
    (void)state;

    assert_int_equal(parse_xml("good.xml", &r, &n), 0);
    assert_int_equal(awc_rules_csv_write(r, n, sink_write, &s), 0);
    assert_string_equal(s.buf,
        AWC_RULES_CSV_HEADER "\r\n"
        "R-MAP-ACME,MAP credits for two customers,2026-01-05T10:00:00Z,contains,MPE,2026-01,"
        "2026-12,only,C-1001 C-1002,all,,except,AmazonEC2,EDP MAP,111122223333 444455556666,"
        "80,15,\r\n"
        "R-DEFAULT,,2025-12-31T23:59:59Z,any,,,,all,,all,,all,,,,100,,\r\n"
        "R-EDP,\"EDP & <discount> \"\"programme\"\"\",2026-02-01T00:00:00Z,prefix,EDP Discount,"
        "2026-02,,all,,only,RS-7 RS-9,all,,,,,33.33,P-DISTY=12.5 P-FUND=0.01\r\n"
        "R-REGEX,credits with an id,2026-03-01T12:30:45Z,regex,credit id: [0-9]+$,,2026-06,"
        "except,C-9,all,,all,,,,50,50,\r\n"
        "R-SLA,SLA for one service,2026-03-02T08:00:00Z,exact,AWS SLA Credit,,,all,,all,,only,"
        "AmazonRDS AmazonS3,SLA,,,,\r\n");
    awc_rules_free(r, n);
    free(s.buf);
}

static void test_empty_and_header_only(void **state)
{
    awc_rule sentinel, *r = &sentinel;
    size_t n = 9;
    sink s = { 0 };
    (void)state;

    assert_int_equal(parse_csv("header-only.csv", &r, &n), 0);
    assert_int_equal(n, 0);
    assert_null(r);
    assert_int_equal(awc_rules_csv_write(NULL, 0, sink_write, &s), 0);
    assert_string_equal(s.buf, AWC_RULES_CSV_HEADER "\r\n");
    free(s.buf);
    /* no final line end, CRLF and LF mixed */
    {
        static const char text[] = AWC_RULES_CSV_HEADER "\r\n"
            "R-1,,2026-01-05T10:00:00Z,,,,,,,,,,,,,100,,\n"
            "R-2,,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,";
        assert_int_equal(awc_rules_csv_parse(text, sizeof(text) - 1, "mixed.csv", &r, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(r[1].n_split, 0);
        awc_rules_free(r, n);
    }
}

/* --- bad input: "file:line: column: reason" ----------------------------------------- */

typedef struct bad_case {
    const char *file, *message;
} bad_case;

static const bad_case bad_cases[] = {
    { "empty.csv", "empty.csv:1: header: missing (the file is empty)" },
    { "bad-header.csv", "bad-header.csv:1: header: column 3 is 'date', expected 'created'" },
    { "bad-header-short.csv", "bad-header-short.csv:1: header: 17 columns, expected 18: " AWC_RULES_CSV_HEADER },
    { "bad-columns.csv", "bad-columns.csv:3: record: 17 columns, expected 18" },
    { "bad-unclosed.csv", "bad-unclosed.csv:3: name: quoted cell is not closed" },
    { "bad-bare-quote.csv", "bad-bare-quote.csv:2: name: quote inside an unquoted cell (quote the whole cell and write each quote twice)" },
    { "bad-after-quote.csv", "bad-after-quote.csv:2: name: text after a closing quote" },
    { "bad-created.csv", "bad-created.csv:4: created: '2026-01-05 10:00' is not a UTC time like 2026-01-05T10:00:00Z (1970..9999)" },
    { "bad-match.csv", "bad-match.csv:2: match: must be any, exact, contains, prefix or regex" },
    { "bad-period.csv", "bad-period.csv:2: period_from: expected YYYY-MM or empty" },
    { "bad-period-order.csv", "bad-period-order.csv:2: period_to: period from 2026-07 is after to 2026-06" },
    { "bad-mode.csv", "bad-mode.csv:2: customers_mode: must be all, only or except" },
    { "bad-mode-list.csv", "bad-mode-list.csv:2: customers: mode only needs at least one id" },
    { "bad-account.csv", "bad-account.csv:2: accounts: account '11112222333' is not 12 digits" },
    { "bad-type.csv", "bad-type.csv:2: types: type 'M@P' is not 1..32 of A-Z a-z 0-9 _ -" },
    { "bad-percent.csv", "bad-percent.csv:2: customer_percent: percentage '33.333': more than two decimals" },
    { "bad-sum.csv", "bad-sum.csv:2: reseller_percent: split: percentages add up to 110 %, more than 100 %" },
    { "bad-parties.csv", "bad-parties.csv:2: parties: 'P-1:10' is not ID=PERCENT, e.g. P-1=12.5" },
    { "bad-regex.csv", "bad-regex.csv:2: description: regex 'credit (id' does not compile: Unmatched ( or \\(" },
    { "bad-duplicate.csv", "bad-duplicate.csv:4: id: duplicate rule id 'R-1' (first on line 2)" },
    { "bad-id.csv", "bad-id.csv:2: id: id 'R 1' is not 1..64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)" },
    { "bad-multiline.csv", "bad-multiline.csv:3: accounts: account '1234' is not 12 digits" },
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        awc_rule sentinel, *r = &sentinel;
        size_t n = 9;
        assert_int_equal(parse_csv(bad_cases[i].file, &r, &n), AWC_EBADINPUT);
        assert_null(r);
        assert_int_equal(n, 0);
        if (strcmp(awc_error_last(), bad_cases[i].message) != 0)
            fail_msg("%s: '%s', expected '%s'", bad_cases[i].file, awc_error_last(),
                     bad_cases[i].message);
    }
}

typedef struct text_case {
    const char *row;              /* one record after the header (line 2) */
    const char *message;
} text_case;

static const text_case text_cases[] = {
    { "R-1,x,2026-01-05T10:00:00Z,,,,,,,,,,,,,100,,\r", "t.csv:2: parties: carriage return without a line feed" },
    { "R-1,x,2026-01-05T10:00:00Z,,,,,,,,,,,,,100,,,", "t.csv:2: record: 19 columns, expected 18" },
    { "R-1,x,2026-01-05T10:00:00Z,any,MPE,,,,,,,,,,,100,,", "t.csv:2: match: a description needs a match kind (exact, contains, prefix or regex)" },
    { "R-1,x,2026-01-05T10:00:00Z,,,,,all,C-1,,,,,,,100,,", "t.csv:2: customers: mode all takes no list" },
    { "R-1,x,2026-01-05T10:00:00Z,,,,,,,,,,,,,100.5,,", "t.csv:2: customer_percent: percentage '100.5': more than 100" },
    { "R-1,x,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,P-1=10 P-1=5", "t.csv:2: parties: split: party 'P-1' appears twice" },
    { "R-1,x,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,=10", "t.csv:2: parties: '=10' is not ID=PERCENT, e.g. P-1=12.5" },
    { "R-1,x,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,P-1=", "t.csv:2: parties: percentage '': empty" },
    { "R-1,x,2026-01-05T10:00:00Z,,,2026-01,2026-1,,,,,,,,,,,", "t.csv:2: period_to: expected YYYY-MM or empty" },
    { "R-1,\"a\nb\",2026-01-05T10:00:00Z,,,,,,,,,,,,,,,", "t.csv:2: name: name contains a control character" },
    { "R-1,x,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,P-1=1 P-2=1 P-3=1 P-4=1 P-5=1 P-6=1 P-7=1 P-8=1 P-9=1", "t.csv:2: parties: more than 8 split targets" },
    { "R-1,caf\xc3,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,", "t.csv:2: name: name is not valid UTF-8" },
    { ",x,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,", "t.csv:2: id: must be 1..64 characters" },
};

static void test_bad_texts(void **state)
{
    char buf[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
        awc_rule *r;
        size_t n;
        int len = snprintf(buf, sizeof(buf), "%s\r\n%s\r\n", AWC_RULES_CSV_HEADER,
                           text_cases[i].row);
        assert_int_equal(awc_rules_csv_parse(buf, (size_t)len, "t.csv", &r, &n), AWC_EBADINPUT);
        if (strcmp(awc_error_last(), text_cases[i].message) != 0)
            fail_msg("case %zu: '%s', expected '%s'", i, awc_error_last(), text_cases[i].message);
    }
    /* NUL bytes are refused, naming the cell */
    {
        static const char text[] = AWC_RULES_CSV_HEADER "\nR-1,a\0b,2026-01-05T10:00:00Z,,,,,,,,,,,,,,,\n";
        awc_rule *r;
        size_t n;
        assert_int_equal(awc_rules_csv_parse(text, sizeof(text) - 1, "nul.csv", &r, &n),
                         AWC_EBADINPUT);
        assert_string_equal(awc_error_last(), "nul.csv:2: name: contains a NUL byte");
    }
    /* too large, refused unread */
    {
        awc_rule *r;
        size_t n;
        assert_int_equal(awc_rules_csv_parse("", AWC_RULES_CSV_MAX_BYTES + 1, "big.csv", &r, &n),
                         AWC_EBADINPUT);
        assert_string_equal(awc_error_last(), "big.csv: 16777217 bytes, more than the 16777216 "
                                              "a rules file may have");
    }
}

/* --- round trips ------------------------------------------------------------------- */

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
    "MPE", "a, b", "\"quoted\"", "=1+2", "+x", "-y", "@z", "'=w", "''+v", "'plain", "caf\xc3\xa9",
    "x]]>y & <z>", "credit id: [0-9]+$", "MAP;EDP", "'",
};
#define N_TEXTS (sizeof(texts) / sizeof(texts[0]))

static void random_list(char ***items, size_t *n, const char *prefix)
{
    char buf[256];
    size_t len = 0;
    for (size_t k = 1 + below(4); k > 0; k--)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%zu ", prefix, below(30));
    assert_int_equal(awc_rule_list_parse(items, n, buf, len), 0);
}

static void random_rule(awc_rule *r, size_t i)
{
    int32_t left = 10000;
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "R-%zu", i);
    r->name = awc_strdup(below(4) ? texts[below(N_TEXTS)] : "");
    r->created = (int64_t)(rng_next() % (uint64_t)(AWC_RULE_CREATED_MAX + 1));
    r->match = (awc_match_kind)below(5);
    if (r->match == AWC_MATCH_REGEX)
        r->match_text = awc_strdup(below(2) ? "^-?[0-9]+,x" : "credit id: [0-9]+$");
    else
        r->match_text = awc_strdup(r->match == AWC_MATCH_ANY ? "" : texts[below(N_TEXTS)]);
    if (below(2))
        snprintf(r->period_from, 8, "19%02zu-%02zu", 70 + below(30), 1 + below(12));
    if (below(2))
        snprintf(r->period_to, 8, "2%03zu-%02zu", below(1000), 1 + below(12));
    r->customers.mode = (awc_ctx_mode)below(3);
    if (r->customers.mode != AWC_CTX_ALL)
        random_list(&r->customers.items, &r->customers.n, "C-");
    r->resellers.mode = (awc_ctx_mode)below(3);
    if (r->resellers.mode != AWC_CTX_ALL)
        random_list(&r->resellers.items, &r->resellers.n, "RS-");
    r->services.mode = (awc_ctx_mode)below(3);
    if (r->services.mode != AWC_CTX_ALL)
        random_list(&r->services.items, &r->services.n, "Svc");
    if (below(2))
        random_list(&r->types, &r->n_types, "T_");
    if (below(2)) {
        char buf[128];
        size_t len = 0;
        for (size_t j = 1 + below(3); j > 0; j--)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%06zu%06zu ", below(1000000),
                                    below(1000000));
        assert_int_equal(awc_rule_list_parse(&r->accounts, &r->n_accounts, buf, len), 0);
    }
    if (below(2)) {
        r->split[r->n_split].kind = AWC_TARGET_CUSTOMER;
        left -= r->split[r->n_split++].bp = (int32_t)below((size_t)left + 1);
    }
    if (below(2)) {
        r->split[r->n_split].kind = AWC_TARGET_RESELLER;
        left -= r->split[r->n_split++].bp = (int32_t)below((size_t)left + 1);
    }
    for (size_t p = below(4); p > 0; p--) {
        awc_split_target *t = &r->split[r->n_split];
        t->kind = AWC_TARGET_PARTY;
        snprintf(t->party_id, sizeof(t->party_id), "P.%zu", r->n_split);
        left -= r->split[r->n_split++].bp = (int32_t)below((size_t)left + 1);
    }
}

/* CSV -> rules -> CSV and CSV -> XML -> CSV give the same rules and bytes. */
static void test_round_trip_random(void **state)
{
    const char *env = getenv("AWC_TEST_SEED");
    (void)state;
    rng = env && *env ? strtoull(env, NULL, 0) : UINT64_C(20260105);
    print_message("csv round trip: seed %" PRIu64 "\n", rng);
    for (int round = 0; round < 200; round++) {
        size_t n = below(10), nb, nx;
        awc_rule *a = calloc(n ? n : 1, sizeof(*a)), *b, *x;
        sink c1 = { 0 }, c2 = { 0 }, x1 = { 0 }, c3 = { 0 };
        assert_non_null(a);
        for (size_t i = 0; i < n; i++) {
            const char *field = NULL;
            random_rule(&a[i], i);
            if (awc_rule_check(&a[i], &field))
                fail_msg("generated a bad rule: %s (%s)", awc_error_last(), field);
        }
        assert_int_equal(awc_rules_csv_write(a, n, sink_write, &c1), 0);
        if (awc_rules_csv_parse(c1.buf, c1.len, "r.csv", &b, &nb))
            fail_msg("round %d: %s\n%s", round, awc_error_last(), c1.buf);
        assert_rules_equal(a, n, b, nb);
        assert_int_equal(awc_rules_csv_write(b, nb, sink_write, &c2), 0);
        assert_string_equal(c1.buf, c2.buf);
        /* through XML */
        assert_int_equal(awc_rules_xml_write(b, nb, sink_write, &x1), 0);
        if (awc_rules_xml_parse(x1.buf, x1.len, "r.xml", &x, &nx))
            fail_msg("round %d: %s\n%s", round, awc_error_last(), x1.buf);
        assert_rules_equal(a, n, x, nx);
        assert_int_equal(awc_rules_csv_write(x, nx, sink_write, &c3), 0);
        assert_string_equal(c1.buf, c3.buf);
        for (size_t i = 0; i < n; i++)
            awc_rule_clear(&a[i]);
        free(a);
        awc_rules_free(b, nb);
        awc_rules_free(x, nx);
        free(c1.buf);
        free(c2.buf);
        free(x1.buf);
        free(c3.buf);
    }
}

static void test_write_errors(void **state)
{
    awc_rule *r;
    size_t n;
    sink s = { 0 };
    (void)state;

    assert_int_equal(parse_xml("good.xml", &r, &n), 0);
    s.fail = 1;
    assert_int_equal(awc_rules_csv_write(r, n, sink_write, &s), AWC_EIO);
    memset(&s, 0, sizeof(s));
    snprintf(r[1].period_from, sizeof(r[1].period_from), "2026-13");
    assert_int_equal(awc_rules_csv_write(r, n, sink_write, &s), AWC_EBADINPUT);
    assert_int_equal(s.calls, 0);
    assert_string_equal(awc_error_last(), "rule 'R-DEFAULT': period from is not YYYY-MM");
    awc_rules_free(r, n);
}

static void test_parse_oom(void **state)
{
    size_t len;
    char *buf = read_fixture("good.csv", &len);
    int done = 0;
    (void)state;
    for (long k = 0; !done && k < 5000; k++) {
        awc_rule *r = NULL;
        size_t n = 0;
        int rc;
        awc_alloc_fail_after(k);
        rc = awc_rules_csv_parse(buf, len, "good.csv", &r, &n);
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

/* Found by fuzzing: a record of empty cells only (",") read a cell before
 * any cell had bytes.  It is refused as a bad header, cleanly. */
static void test_empty_cells_only(void **state)
{
    awc_rule *rules = NULL;
    size_t n = 7;
    (void)state;
    assert_int_equal(awc_rules_csv_parse(",", 1, "x.csv", &rules, &n), AWC_EBADINPUT);
    assert_null(rules);
    assert_int_equal(n, 0);
}

/* Found by fuzzing: stacked repetitions made the C library's regex
 * compiler take gigabytes.  They are refused before it runs. */
static void test_regex_limits(void **state)
{
    static const struct { const char *re; const char *why; } cases[] = {
        { "a+++++++++++++++++++++++++", "repetition" }, { "a*{2}", "repetition" },
        { "a{1,200}", "repetition" }, { "a?b?c?d?e?f?g?h?i?j?k?l?m?n?o?p?q?", "repetition" },
        /* the hardening issue: backreferences match by backtracking (43 s for
         * 290 credits, minutes for one explain) */
        { "(.*)(.*)(.*)(.*)\\4\\3\\2\\1(#|~)", "backreference" },
        { "(a)\\1", "backreference" }, { "x\\9", "backreference" },
        /* nested bounds through a group: 10,000 positions, seconds a credit */
        { "((a{1,100}){1,100})b", "positions" }, { "((a{1,17}){1,16})b", "positions" },
        { "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))", "nested" },
        { "(MPE|EDP)", NULL }, { "credit id: [0-9]+", NULL }, { "a{2,5}b*", NULL },
        { "[+*]+x", NULL }, { "\\++", NULL }, { "((a{1,16}){1,15})b", NULL },
        { "[\\1]x", NULL }, { "\\\\1", NULL },
        /* a class's ']' does not end the bracket: the ')' inside it is a
         * character, and the group's 10,000 positions are counted */
        { "(a{1,100}[[:alpha:])]){1,100}z", "positions" },
        { "((a{1,100}[[:alpha:]))]){1,100}[[:alpha:]))]){1,50}z", "positions" },
        { "[[:digit:][:space:]]+x", NULL }, { "[[.-.]a]b", NULL }, { "[[=e=]]", NULL },
        /* a ')' without its '(' would close the anchoring group early */
        { "a)b", "without its" }, { "\\)", NULL }, { "[)]", NULL },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        awc_rule *rules = NULL;
        size_t n = 0;
        snprintf(text, sizeof(text), AWC_RULES_CSV_HEADER "\n"
                 "R1,n,2026-01-01T00:00:00Z,regex,\"%s\",,,all,,all,,all,,,,100,,\n", cases[i].re);
        int rc = awc_rules_csv_parse(text, strlen(text), "r.csv", &rules, &n);
        if (!cases[i].why) {
            if (rc != 0)
                fail_msg("%s: %s", cases[i].re, awc_error_last());
            assert_int_equal(n, 1);
        } else {
            assert_int_equal(rc, AWC_EBADINPUT);
            if (!strstr(awc_error_last(), cases[i].why))
                fail_msg("%s: %s", cases[i].re, awc_error_last());
            assert_non_null(strstr(awc_error_last(), "r.csv:2"));
        }
        awc_rules_free(rules, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_equals_xml),
        cmocka_unit_test(test_quoting_and_formulas),
        cmocka_unit_test(test_canonical_output),
        cmocka_unit_test(test_empty_and_header_only),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_bad_texts),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_parse_oom),
        cmocka_unit_test(test_empty_cells_only),
        cmocka_unit_test(test_regex_limits),
    };
    return cmocka_run_group_tests_name("rules_csv", tests, NULL, NULL);
}
