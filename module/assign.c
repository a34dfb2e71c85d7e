/* assign.c -- split specs and split lines (SPEC 4 and 7). */
#include <stdio.h>
#include <string.h>

#include "assign.h"
#include "awc.h"
#include "split.h"

static int kind_of(const char *s, size_t n, awc_split_kind *out)
{
    if (n == 8 && strncmp(s, "customer", 8) == 0)
        *out = AWC_SPLIT_CUSTOMER;
    else if (n == 8 && strncmp(s, "reseller", 8) == 0)
        *out = AWC_SPLIT_RESELLER;
    else if (n == 5 && strncmp(s, "party", 5) == 0)
        *out = AWC_SPLIT_PARTY;
    else
        return -1;
    return 0;
}

/* Parse "target:value[,target:value...]"; value parsed by the caller's
 * function; party targets are "party:ID:value". */
static int parse_spec(awc_split_spec *out, const char *s, int amounts, int e)
{
    const char *p = s;

    memset(out, 0, sizeof(*out));
    out->amounts = amounts;
    if (!s || !*s)
        return awc_error_set(AWC_EBADINPUT, "split: empty (expected e.g. customer:80,reseller:20)");
    while (*p) {
        const char *end = strchr(p, ','), *colon, *val;
        size_t len;
        awc_split_kind kind;
        int rc;

        if (!end)
            end = p + strlen(p);
        len = (size_t)(end - p);
        colon = memchr(p, ':', len);
        if (!colon || kind_of(p, (size_t)(colon - p), &kind) != 0)
            return awc_error_set(AWC_EBADINPUT, "split '%.*s': expected customer:N, reseller:N "
                                 "or party:ID:N", (int)(len > 60 ? 60 : len), p);
        if (out->n == AWC_SPEC_MAX)
            return awc_error_set(AWC_EBADINPUT, "split: at most %d targets", AWC_SPEC_MAX);
        val = colon + 1;
        if (kind == AWC_SPLIT_PARTY) {
            const char *c2 = memchr(val, ':', (size_t)(end - val));
            size_t idn = c2 ? (size_t)(c2 - val) : 0;
            if (!c2 || idn == 0 || idn > AWC_RULE_ID_MAX)
                return awc_error_set(AWC_EBADINPUT, "split: a party is written party:ID:N");
            for (size_t k = 0; k < idn; k++)
                if (!(val[k] >= 'A' && val[k] <= 'Z') && !(val[k] >= 'a' && val[k] <= 'z') &&
                    !(val[k] >= '0' && val[k] <= '9') && val[k] != '-' && val[k] != '_' &&
                    val[k] != '.')
                    return awc_error_set(AWC_EBADINPUT, "split: a party id has only letters, "
                                                        "digits, '-', '_' and '.'");
            memcpy(out->t[out->n].party_id, val, idn);
            out->t[out->n].party_id[idn] = '\0';
            val = c2 + 1;
        }
        for (size_t i = 0; i < out->n; i++)
            if (out->t[i].kind == kind &&
                (kind != AWC_SPLIT_PARTY || strcmp(out->t[i].party_id, out->t[out->n].party_id) == 0))
                return awc_error_set(AWC_EBADINPUT, "split: target '%.*s' given twice",
                                     (int)(colon - p), p);
        out->t[out->n].kind = kind;
        if (amounts)
            rc = awc_money_parse_minor(&out->t[out->n].minor, val, (size_t)(end - val), e);
        else
            rc = awc_percent_parse(&out->t[out->n].bp, val, (size_t)(end - val));
        if (rc != 0)
            return awc_error_prefix(AWC_EBADINPUT, "split '%.*s'", (int)(len > 60 ? 60 : len), p);
        out->n++;
        p = *end ? end + 1 : end;
    }
    if (!amounts) {
        int32_t sum = 0;
        for (size_t i = 0; i < out->n; i++)
            sum += out->t[i].bp;
        if (sum > AWC_BP_FULL)
            return awc_error_set(AWC_EBADINPUT, "split: percentages add up to more than 100");
    }
    return 0;
}

int awc_splitspec_parse_percent(awc_split_spec *out, const char *s)
{
    return parse_spec(out, s, 0, 0);
}

int awc_splitspec_parse_amounts(awc_split_spec *out, const char *s, int e)
{
    return parse_spec(out, s, 1, e);
}

/* s into dst[cap] (cap > 0), cut to fit; NULL copies as "".  Assignment
 * copies ids for every line of every credit: snprintf's "%s" costs several
 * times as much. */
static void copy_str(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strnlen(s, cap - 1) : 0;
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

void awc_splitspec_from_rule(awc_split_spec *out, const awc_rule *r)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < r->n_split && i < AWC_SPEC_MAX; i++) {
        out->t[i].kind = r->split[i].kind == AWC_TARGET_CUSTOMER ? AWC_SPLIT_CUSTOMER
                       : r->split[i].kind == AWC_TARGET_RESELLER ? AWC_SPLIT_RESELLER
                       : AWC_SPLIT_PARTY;
        copy_str(out->t[i].party_id, sizeof(out->t[i].party_id), r->split[i].party_id);
        out->t[i].bp = r->split[i].bp;
        out->n++;
    }
}

static const char *kind_name(awc_split_kind k)
{
    switch (k) {
    case AWC_SPLIT_CUSTOMER: return "customer";
    case AWC_SPLIT_RESELLER: return "reseller";
    case AWC_SPLIT_PARTY: return "party";
    case AWC_SPLIT_RETAINED: return "retained";
    }
    return "retained";
}

int awc_splitspec_format(char *buf, size_t n, const awc_split_spec *spec)
{
    size_t at = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < spec->n; i++) {
        char pct[16];
        int w;
        awc_percent_format(pct, sizeof(pct), spec->t[i].bp);
        if (spec->t[i].kind == AWC_SPLIT_PARTY)
            w = snprintf(buf + at, n - at, "%sparty:%s:%s", i ? "," : "", spec->t[i].party_id, pct);
        else
            w = snprintf(buf + at, n - at, "%s%s:%s", i ? "," : "", kind_name(spec->t[i].kind),
                         pct);
        if (w < 0 || (size_t)w >= n - at)
            return awc_error_set(AWC_EOVERFLOW, "split text too long");
        at += (size_t)w;
    }
    return 0;
}

int awc_invoiceable(int64_t *out, int *exponent, awc_amount amount, const char *currency)
{
    int e = awc_currency_exponent(currency);
    if (e < 0)
        return awc_error_set(AWC_EBADINPUT, "currency %.3s has no minor unit (ISO 4217 gives "
                             "none): a distributor sets one with `currency set %.3s --exponent "
                             "N --reason TEXT`, or excludes the credit", currency, currency);
    *exponent = e;
    return awc_money_to_minor(out, amount, e);
}

/* Copy at most 256 characters of s (UTF-8), never cutting one in half. */
static void copy_name(char *dst, size_t cap, const char *s)
{
    size_t i = 0, chars = 0;
    while (s[i] && i + 4 < cap) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == 256)
                break;
            chars++;
        }
        i++;
    }
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--; /* stopped inside a character: drop it whole */
    memcpy(dst, s, i);
    dst[i] = '\0';
}

static void owner_fields(awc_split_line *l, const awc_owner *o)
{
    copy_str(l->customer_id, sizeof(l->customer_id), o ? o->customer_id : NULL);
    copy_str(l->asset_id, sizeof(l->asset_id), o ? o->asset_id : NULL);
    copy_str(l->reseller_id, sizeof(l->reseller_id), o ? o->reseller_id : NULL);
}

int awc_assign_lines(awc_split_line *lines, size_t cap, size_t *n, int64_t total,
                     const awc_split_spec *spec, const awc_owner *owner)
{
    int64_t shares[AWC_SPEC_MAX], retained = 0;
    int32_t bp[AWC_SPEC_MAX];
    int rc;

    if (cap < spec->n + 1)
        return awc_error_set(AWC_EOVERFLOW, "split: too many lines");
    if (spec->amounts) {
        for (size_t i = 0; i < spec->n; i++)
            shares[i] = spec->t[i].minor;
        rc = awc_split_fixed(&retained, total, shares, spec->n);
    } else {
        for (size_t i = 0; i < spec->n; i++)
            bp[i] = spec->t[i].bp;
        rc = awc_split_percent(shares, &retained, total, bp, spec->n);
    }
    if (rc != 0)
        return rc;
    for (size_t i = 0; i <= spec->n; i++) {
        awc_split_line *l = &lines[i];
        /* every field set, no memset: a line is 1.6 KB, mostly unused */
        l->line_no = (int)i + 1;
        l->record_id[0] = '\0';
        if (i == spec->n) {
            l->kind = AWC_SPLIT_RETAINED;
            l->bp = -1;
            l->amount_minor = retained;
            l->party_id[0] = '\0';
            copy_str(l->target_name, sizeof(l->target_name), "distributor");
            owner_fields(l, NULL);
            continue;
        }
        owner_fields(l, owner);
        l->kind = spec->t[i].kind;
        l->bp = spec->amounts ? -1 : spec->t[i].bp;
        l->amount_minor = shares[i];
        copy_str(l->party_id, sizeof(l->party_id), spec->t[i].party_id);
        if (l->kind == AWC_SPLIT_CUSTOMER && owner && owner->customer_name)
            copy_name(l->target_name, sizeof(l->target_name), owner->customer_name);
        else if (l->kind == AWC_SPLIT_RESELLER && owner && owner->reseller_name)
            copy_name(l->target_name, sizeof(l->target_name), owner->reseller_name);
        else
            copy_str(l->target_name, sizeof(l->target_name), l->party_id);
    }
    *n = spec->n + 1;
    return 0;
}

/* The budget of before: what it gives the customer and the reseller (in
 * minor units, and in basis points when each of those lines has one, else
 * -1), and its retained amount. */
static void budget_of(const awc_split_line *before, size_t nb, int64_t *minor, int32_t *bp,
                      int64_t *retained)
{
    *minor = *retained = 0;
    *bp = 0;
    for (size_t i = 0; i < nb; i++) {
        const awc_split_line *l = &before[i];
        if (l->kind == AWC_SPLIT_RETAINED) {
            *retained += l->amount_minor;
        } else if (l->kind == AWC_SPLIT_CUSTOMER || l->kind == AWC_SPLIT_RESELLER) {
            *minor += l->amount_minor;
            *bp = (*bp < 0 || l->bp < 0) ? -1 : *bp + l->bp;
        }
    }
}

static const awc_split_line *party_in(const awc_split_line *before, size_t nb, const char *id)
{
    for (size_t i = 0; i < nb; i++)
        if (before[i].kind == AWC_SPLIT_PARTY && strcmp(before[i].party_id, id) == 0)
            return &before[i];
    return NULL;
}

int awc_reseller_lines(awc_split_line *lines, size_t cap, size_t *n, int64_t total, int e,
                       const awc_split_spec *spec, const awc_split_line *before, size_t nb,
                       const awc_owner *owner)
{
    int64_t budget, retained, given = 0, weights[AWC_SPEC_MAX], shares[AWC_SPEC_MAX];
    int32_t budget_bp, given_bp = 0;
    size_t idx[AWC_SPEC_MAX], ncr = 0;
    awc_split_spec amt;
    char a[AWC_MONEY_BUFSZ], b[AWC_MONEY_BUFSZ];
    int rc;

    budget_of(before, nb, &budget, &budget_bp, &retained);
    for (size_t i = 0; i < spec->n; i++) {
        const awc_split_line *p;
        if (spec->t[i].kind != AWC_SPLIT_PARTY) {
            idx[ncr++] = i;
            given += spec->t[i].minor;
            given_bp += spec->t[i].bp;
            continue;
        }
        p = party_in(before, nb, spec->t[i].party_id);
        if (!p || (spec->amounts ? spec->t[i].minor != p->amount_minor
                                 : spec->t[i].bp != p->bp))
            return awc_error_set(AWC_EPERM, "split: %s party %s: only a distributor adds, "
                                 "removes or changes a named party's share",
                                 p ? "changes" : "adds", spec->t[i].party_id);
    }
    if (ncr == 0)
        return awc_error_set(AWC_EPERM, "split: give the customer's and the reseller's shares; "
                             "a reseller admin redistributes only between them");
    if (spec->amounts && given != budget) {
        awc_money_format_minor(a, sizeof(a), budget, e);
        awc_money_format_minor(b, sizeof(b), given, e);
        return awc_error_set(AWC_EPERM, "split: the customer and the reseller share %s (what "
                             "the assignment gives them); these amounts add up to %s: the "
                             "retained and named parties' shares stay as they are", a, b);
    }
    if (!spec->amounts && budget_bp < 0)
        return awc_error_set(AWC_EPERM, "split: the credit is split by amounts: give "
                             "--amounts that add up to what the customer and the reseller "
                             "have now");
    if (!spec->amounts && given_bp != budget_bp) {
        awc_percent_format(a, sizeof(a), budget_bp);
        awc_percent_format(b, sizeof(b), given_bp);
        return awc_error_set(AWC_EPERM, "split: the customer and the reseller share %s %% "
                             "(what the assignment gives them); these percentages add up to "
                             "%s %%: the retained and named parties' shares stay as they are",
                             a, b);
    }
    /* the budget split between the customer and the reseller */
    if (spec->amounts) {
        for (size_t k = 0; k < ncr; k++)
            shares[k] = spec->t[idx[k]].minor;
    } else {
        for (size_t k = 0; k < ncr; k++)
            weights[k] = spec->t[idx[k]].bp;
        if ((rc = awc_split_weighted(shares, budget, weights, ncr)) != 0)
            return rc;
    }
    /* as fixed amounts: theirs, then every named party's as it is */
    memset(&amt, 0, sizeof(amt));
    amt.amounts = 1;
    for (size_t k = 0; k < ncr; k++) {
        amt.t[amt.n].kind = spec->t[idx[k]].kind;
        amt.t[amt.n++].minor = shares[k];
    }
    for (size_t i = 0; i < nb; i++) {
        if (before[i].kind != AWC_SPLIT_PARTY)
            continue;
        if (amt.n == AWC_SPEC_MAX)
            return awc_error_set(AWC_EBADINPUT, "split: more than %d targets", AWC_SPEC_MAX);
        amt.t[amt.n].kind = AWC_SPLIT_PARTY;
        snprintf(amt.t[amt.n].party_id, sizeof(amt.t[amt.n].party_id), "%s",
                 before[i].party_id);
        amt.t[amt.n++].minor = before[i].amount_minor;
    }
    if ((rc = awc_assign_lines(lines, cap, n, total, &amt, owner)) != 0)
        return rc;
    /* the percentages as given and as they were */
    for (size_t k = 0; k < ncr; k++)
        lines[k].bp = spec->amounts ? -1 : spec->t[idx[k]].bp;
    for (size_t k = ncr; k + 1 < *n; k++)
        lines[k].bp = party_in(before, nb, lines[k].party_id)->bp;
    /* retained follows, since the total and the other lines are as they
     * were; checked all the same */
    if (lines[*n - 1].amount_minor != retained)
        return awc_error_set(AWC_EPERM, "split: the retained share would change; a "
                             "distributor edits this credit");
    return 0;
}

/* The JSON of split lines, appended by hand (it is written for every
 * assigned credit). */
typedef struct jbuf {
    char *p;
    size_t cap, at;
    int full;
} jbuf;

static void j_put(jbuf *b, const char *s, size_t n)
{
    if (b->full || n >= b->cap - b->at) {
        b->full = 1;
        return;
    }
    memcpy(b->p + b->at, s, n);
    b->at += n;
}

static void j_str(jbuf *b, const char *s)
{
    j_put(b, s, strlen(s));
}

static void j_int(jbuf *b, int64_t v)
{
    char t[24];
    size_t at = sizeof(t);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        t[--at] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        t[--at] = '-';
    j_put(b, t + at, sizeof(t) - at);
}

void awc_lines_json(char *buf, size_t n, const awc_split_line *lines, size_t count)
{
    jbuf b = { buf, n, 0, n < 3 };

    j_put(&b, "[", 1);
    for (size_t i = 0; i < count; i++) {
        const awc_split_line *l = &lines[i];
        j_str(&b, i ? ",{\"target\":\"" : "{\"target\":\"");
        j_str(&b, kind_name(l->kind));
        if (l->party_id[0]) { /* letters, digits, '-', '_', '.': nothing to escape */
            j_str(&b, "\",\"party_id\":\"");
            j_str(&b, l->party_id);
        }
        j_str(&b, "\",\"percent_bp\":");
        j_int(&b, l->bp);
        j_str(&b, ",\"amount_minor\":");
        j_int(&b, l->amount_minor);
        j_put(&b, "}", 1);
    }
    j_put(&b, "]", 1);
    if (b.full) {
        if (n >= 3)
            memcpy(buf, "[]", 3);
        else if (n)
            buf[0] = '\0';
        return;
    }
    buf[b.at] = '\0';
}

const char *awc_line_target(const awc_split_line *l)
{
    switch (l->kind) {
    case AWC_SPLIT_CUSTOMER: return "customer";
    case AWC_SPLIT_RESELLER: return "reseller";
    case AWC_SPLIT_PARTY: return "party";
    case AWC_SPLIT_RETAINED: return "retained";
    }
    return "retained";
}

const char *awc_line_who(const awc_split_line *l)
{
    switch (l->kind) {
    case AWC_SPLIT_CUSTOMER: return l->customer_id;
    case AWC_SPLIT_RESELLER: return l->reseller_id;
    case AWC_SPLIT_PARTY: return l->party_id;
    case AWC_SPLIT_RETAINED: return "distributor";
    }
    return "";
}
