/*
 * fuzz_splitspec.c -- split specs and split lines (module/assign.h).
 *
 * Input: one flags byte, 8 bytes for the total (little-endian), then the
 * spec text ("customer:80,party:P-1:5", up to the first NUL).  Flags:
 * bits 0-2 the currency exponent (mod 5) for amounts; bits 3-4 how the
 * total is made: 0 the 8 bytes, 1 a 16-bit value, 2 a 32-bit value,
 * 3 one of 0, INT64_MIN, INT64_MAX, -1, 1.
 *
 * The text is read as a percent spec and as an amounts spec.  Checks
 * (abort() when one fails):
 *   - a parsed spec has 1..AWC_SPEC_MAX targets, no target twice, each
 *     0..100 % and together at most 100 % (percent specs);
 *   - awc_assign_lines on a percent spec never fails, gives spec.n + 1
 *     lines (the retained one last) that add up to the total exactly, each
 *     with the total's sign or zero, each within one unit of its exact
 *     share (largest remainder);
 *   - awc_splitspec_format of a percent spec parses back to the same spec;
 *   - on an amounts spec, awc_assign_lines succeeds exactly when every
 *     amount has the total's sign (or is zero) and they add up to at most
 *     the total, and then the lines are the amounts plus the rest, adding
 *     up to the total exactly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "awc.h"
#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_splitspec: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define HEAD 9
#define MAX_SPEC 1024

static const awc_owner owner = {"C-1001", "A-1", "RS-7", "Customer One", "Reseller Seven"};

static int64_t make_total(const uint8_t *data, unsigned how)
{
    static const int64_t edges[] = {0, INT64_MIN, INT64_MAX, -1, 1};
    uint64_t u = 0;

    for (int i = 7; i >= 0; i--)
        u = u << 8 | data[1 + i];
    switch (how) {
    case 1: return (int16_t)(u & 0xFFFF);
    case 2: return (int32_t)(u & 0xFFFFFFFFu);
    case 3: return edges[u % 5];
    default: return (int64_t)u;
    }
}

static uint64_t mag(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static int same_sign_or_zero(int64_t v, int64_t total)
{
    return v == 0 || (total < 0 && v < 0) || (total > 0 && v > 0);
}

static void check_spec_shape(const awc_split_spec *s)
{
    CHECK(s->n >= 1 && s->n <= AWC_SPEC_MAX);
    for (size_t i = 0; i < s->n; i++) {
        CHECK(s->t[i].kind == AWC_SPLIT_CUSTOMER || s->t[i].kind == AWC_SPLIT_RESELLER ||
              s->t[i].kind == AWC_SPLIT_PARTY);
        CHECK(s->t[i].kind == AWC_SPLIT_PARTY ? s->t[i].party_id[0] != '\0'
                                              : s->t[i].party_id[0] == '\0');
        for (size_t j = 0; j < i; j++)
            CHECK(s->t[i].kind != s->t[j].kind ||
                  (s->t[i].kind == AWC_SPLIT_PARTY &&
                   strcmp(s->t[i].party_id, s->t[j].party_id) != 0));
    }
}

static void check_percent(const char *text, int64_t total)
{
    awc_split_spec s, s2;
    awc_split_line lines[AWC_SPEC_MAX + 1];
    char buf[2048];
    size_t n = 0;
    int32_t sum_bp = 0;
    __int128 sum = 0;

    if (awc_splitspec_parse_percent(&s, text) != 0)
        return;
    check_spec_shape(&s);
    CHECK(s.amounts == 0);
    for (size_t i = 0; i < s.n; i++) {
        CHECK(s.t[i].bp >= 0 && s.t[i].bp <= AWC_BP_FULL);
        sum_bp += s.t[i].bp;
    }
    CHECK(sum_bp <= AWC_BP_FULL);

    CHECK(awc_assign_lines(lines, AWC_SPEC_MAX + 1, &n, total, &s, &owner) == 0);
    CHECK(n == s.n + 1);
    for (size_t i = 0; i < n; i++) {
        int32_t bp = i < s.n ? s.t[i].bp : AWC_BP_FULL - sum_bp;
        uint64_t exact = (uint64_t)((unsigned __int128)mag(total) * (uint32_t)bp / AWC_BP_FULL);
        uint64_t got = mag(lines[i].amount_minor);
        CHECK(lines[i].line_no == (int)i + 1);
        CHECK(same_sign_or_zero(lines[i].amount_minor, total));
        CHECK(got == exact || got == exact + 1);
        if (i < s.n) {
            CHECK(lines[i].kind == s.t[i].kind);
            CHECK(lines[i].bp == s.t[i].bp);
        } else {
            CHECK(lines[i].kind == AWC_SPLIT_RETAINED);
        }
        sum += lines[i].amount_minor;
    }
    CHECK(sum == total);

    CHECK(awc_splitspec_format(buf, sizeof(buf), &s) == 0);
    if (awc_splitspec_parse_percent(&s2, buf) != 0) {
        fprintf(stderr, "fuzz_splitspec: '%s' does not parse: %s\n", buf, awc_error_last());
        abort();
    }
    CHECK(s2.n == s.n);
    for (size_t i = 0; i < s.n; i++) {
        CHECK(s2.t[i].kind == s.t[i].kind);
        CHECK(s2.t[i].bp == s.t[i].bp);
        CHECK(strcmp(s2.t[i].party_id, s.t[i].party_id) == 0);
    }
}

static void check_amounts(const char *text, int e, int64_t total)
{
    awc_split_spec s;
    awc_split_line lines[AWC_SPEC_MAX + 1];
    size_t n = 0;
    unsigned __int128 abs_sum = 0;
    __int128 sum = 0;
    int ok = 1, rc;

    if (awc_splitspec_parse_amounts(&s, text, e) != 0)
        return;
    check_spec_shape(&s);
    CHECK(s.amounts == 1);
    for (size_t i = 0; i < s.n; i++) {
        if (!same_sign_or_zero(s.t[i].minor, total))
            ok = 0;
        abs_sum += mag(s.t[i].minor);
    }
    if (abs_sum > mag(total))
        ok = 0;

    rc = awc_assign_lines(lines, AWC_SPEC_MAX + 1, &n, total, &s, &owner);
    if (!ok) {
        CHECK(rc == AWC_EBADINPUT);
        return;
    }
    CHECK(rc == 0);
    CHECK(n == s.n + 1);
    for (size_t i = 0; i < n; i++) {
        CHECK(same_sign_or_zero(lines[i].amount_minor, total));
        if (i < s.n) {
            CHECK(lines[i].kind == s.t[i].kind);
            CHECK(lines[i].amount_minor == s.t[i].minor);
        } else {
            CHECK(lines[i].kind == AWC_SPLIT_RETAINED);
        }
        sum += lines[i].amount_minor;
    }
    CHECK(sum == total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[MAX_SPEC + 1];
    size_t len;
    int64_t total;
    int e;

    if (size < HEAD || size - HEAD > MAX_SPEC)
        return 0;
    e = (data[0] & 7) % 5;
    total = make_total(data, (data[0] >> 3) & 3);
    len = size - HEAD;
    memcpy(text, data + HEAD, len);
    text[len] = '\0';
    check_percent(text, total);
    check_amounts(text, e, total);
    awc_error_clear();
    return 0;
}
