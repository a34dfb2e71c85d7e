/*
 * rule.c -- the rule model's helpers: names of the enums, deep copy and
 * free, lists, timestamps and periods, the checks every rule passes before
 * it is used or stored, the precedence order and equality.
 *
 * Matching, rule sets and the index are in match.c; import and export in
 * rules_xml.c and rules_csv.c.  Nothing here does I/O.
 */
#include <assert.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "date.h"
#include "rule.h"
#include "split.h"

#define QUOTE_MAX 40                  /* bytes of user text quoted in a message */
#define SECONDS_PER_DAY 86400

/* --- names ---------------------------------------------------------------------- */

static const char *const match_names[] = { "any", "exact", "contains", "prefix", "regex" };
static const char *const mode_names[] = { "all", "except", "only" };

const char *awc_match_kind_name(awc_match_kind k)
{
    return (unsigned)k < sizeof(match_names) / sizeof(match_names[0]) ? match_names[k] : "";
}

static int name_index(const char *const *names, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return (int)i;
    return -1;
}

int awc_match_kind_parse(awc_match_kind *out, const char *s, size_t len)
{
    int i = name_index(match_names, sizeof(match_names) / sizeof(match_names[0]), s, len);
    if (i < 0)
        return -1;
    *out = (awc_match_kind)i;
    return 0;
}

const char *awc_ctx_mode_name(awc_ctx_mode m)
{
    return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "";
}

int awc_ctx_mode_parse(awc_ctx_mode *out, const char *s, size_t len)
{
    int i = name_index(mode_names, sizeof(mode_names) / sizeof(mode_names[0]), s, len);
    if (i < 0)
        return -1;
    *out = (awc_ctx_mode)i;
    return 0;
}

const char *awc_rule_step_name(int step)
{
    switch (step) {
    case 1: return "description";
    case 2: return "customer context";
    case 3: return "reseller context";
    case 4: return "service context";
    case 5: return "created";
    case 6: return "rule id";
    default: return "";
    }
}

/* --- free and copy ---------------------------------------------------------------- */

void awc_rule_list_free(char **items, size_t n)
{
    if (!items)
        return;
    for (size_t i = 0; i < n; i++)
        awc_free(items[i]);
    awc_free(items);
}

void awc_rule_clear(awc_rule *r)
{
    if (!r)
        return;
    awc_free(r->name);
    awc_free(r->match_text);
    awc_rule_list_free(r->customers.items, r->customers.n);
    awc_rule_list_free(r->resellers.items, r->resellers.n);
    awc_rule_list_free(r->services.items, r->services.n);
    awc_rule_list_free(r->types, r->n_types);
    awc_rule_list_free(r->accounts, r->n_accounts);
    memset(r, 0, sizeof(*r));
}

void awc_rules_free(awc_rule *rules, size_t n)
{
    if (!rules)
        return;
    for (size_t i = 0; i < n; i++)
        awc_rule_clear(&rules[i]);
    awc_free(rules);
}

static int copy_list(char ***out, const char *const *items, size_t n)
{
    char **v;

    *out = NULL;
    if (n == 0)
        return 0;
    v = awc_calloc(n, sizeof(*v));
    if (!v)
        return AWC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = awc_strdup(items[i] ? items[i] : "");
        if (!v[i]) {
            awc_rule_list_free(v, i);
            return AWC_ENOMEM;
        }
    }
    *out = v;
    return 0;
}

int awc_rule_copy(awc_rule *out, const awc_rule *src)
{
    awc_rule r = *src;

    r.name = NULL, r.match_text = NULL;
    r.customers.items = r.resellers.items = r.services.items = NULL;
    r.types = r.accounts = NULL;
    r.customers.n = r.resellers.n = r.services.n = r.n_types = r.n_accounts = 0;

    if (!(r.name = awc_strdup(src->name ? src->name : "")))
        goto nomem;
    if (!(r.match_text = awc_strdup(src->match_text ? src->match_text : "")))
        goto nomem;
    if (copy_list(&r.customers.items, (const char *const *)src->customers.items,
                  src->customers.n))
        goto nomem;
    r.customers.n = src->customers.n;
    if (copy_list(&r.resellers.items, (const char *const *)src->resellers.items,
                  src->resellers.n))
        goto nomem;
    r.resellers.n = src->resellers.n;
    if (copy_list(&r.services.items, (const char *const *)src->services.items, src->services.n))
        goto nomem;
    r.services.n = src->services.n;
    if (copy_list(&r.types, (const char *const *)src->types, src->n_types))
        goto nomem;
    r.n_types = src->n_types;
    if (copy_list(&r.accounts, (const char *const *)src->accounts, src->n_accounts))
        goto nomem;
    r.n_accounts = src->n_accounts;
    *out = r;
    return 0;
nomem:
    awc_rule_clear(&r);
    memset(out, 0, sizeof(*out));
    return awc_error_set(AWC_ENOMEM, "out of memory copying rule '%.*s'", AWC_RULE_ID_MAX,
                         src->id);
}

/* --- lists ------------------------------------------------------------------------ */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int awc_rule_list_parse(char ***items, size_t *n, const char *s, size_t len)
{
    size_t count = 0, k = 0, i = 0;
    char **v;

    *items = NULL;
    *n = 0;
    for (size_t j = 0; j < len; j++)
        if (!is_blank(s[j]) && (j == 0 || is_blank(s[j - 1])))
            count++;
    if (count == 0)
        return 0;
    if (count > AWC_RULE_LIST_MAX)
        return awc_error_set(AWC_EBADINPUT, "more than %d items in a list", AWC_RULE_LIST_MAX);
    v = awc_calloc(count, sizeof(*v));
    if (!v)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    while (i < len) {
        size_t start;
        while (i < len && is_blank(s[i]))
            i++;
        if (i == len)
            break;
        start = i;
        while (i < len && !is_blank(s[i]))
            i++;
        v[k] = awc_strndup(s + start, i - start);
        if (!v[k]) {
            awc_rule_list_free(v, k);
            return awc_error_set(AWC_ENOMEM, "out of memory");
        }
        k++;
    }
    assert(k == count);
    qsort(v, k, sizeof(*v), cmp_str);
    /* de-duplicate in place */
    count = 0;
    for (size_t j = 0; j < k; j++) {
        if (count > 0 && strcmp(v[count - 1], v[j]) == 0)
            awc_free(v[j]);
        else
            v[count++] = v[j];
    }
    *items = v;
    *n = count;
    return 0;
}

/* --- timestamps and periods ---------------------------------------------------------- */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int awc_rule_created_parse(int64_t *out, const char *s, size_t len)
{
    int hh, mi, ss;

    if (len != AWC_RULE_CREATED_LEN || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != 'Z' || !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2) ||
        !awc_date_valid(s, 10))
        goto bad;
    hh = num(s + 11, 2), mi = num(s + 14, 2), ss = num(s + 17, 2);
    if (hh > 23 || mi > 59 || ss > 59 || num(s, 4) < 1970)
        goto bad;
    *out = (int64_t)awc_date_days(s) * SECONDS_PER_DAY + hh * 3600 + mi * 60 + ss;
    return 0;
bad:
    return awc_error_set(AWC_EBADINPUT,
                         "'%.*s%s' is not a UTC time like 2026-01-05T10:00:00Z (1970..9999)",
                         len > QUOTE_MAX ? QUOTE_MAX : (int)len, s, len > QUOTE_MAX ? "..." : "");
}

int awc_rule_created_format(char *buf, size_t n, int64_t t)
{
    char day[11];
    int64_t sod;

    if (t < 0 || t > AWC_RULE_CREATED_MAX || n < AWC_RULE_CREATED_LEN + 1)
        return awc_error_set(AWC_EBADINPUT, "created %" PRId64 " out of range", t);
    if (awc_date_add(day, "1970-01-01", (long)(t / SECONDS_PER_DAY)))
        return AWC_EBADINPUT;
    sod = t % SECONDS_PER_DAY;
    snprintf(buf, n, "%sT%02d:%02d:%02dZ", day, (int)(sod / 3600), (int)(sod / 60 % 60),
             (int)(sod % 60));
    return 0;
}

int awc_rule_period_valid(const char *s, size_t len)
{
    int m;
    if (len != 7 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2))
        return 0;
    m = num(s + 5, 2);
    return m >= 1 && m <= 12;
}

/* --- checks ------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp, min;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        len = 2, cp = s[0] & 0x1f, min = 0x80;
    else if ((s[0] & 0xf0) == 0xe0)
        len = 3, cp = s[0] & 0x0f, min = 0x800;
    else if ((s[0] & 0xf8) == 0xf0)
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Why s is not text that XML 1.0 and a one-line message can carry (UTF-8,
 * no control characters, at most max bytes, no space unless space_ok), or
 * NULL when it is fine. */
static const char *text_problem(const char *s, size_t max, int space_ok)
{
    size_t n = strlen(s);
    if (n > max)
        return "too long";
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t l;
        if (c < 0x20 || c == 0x7f)
            return "contains a control character";
        if (c == ' ' && !space_ok)
            return "contains a blank";
        l = utf8_len((const unsigned char *)s + i, n - i);
        if (l == 0)
            return "is not valid UTF-8";
        i += l;
    }
    return NULL;
}

static int id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AWC_RULE_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

static int type_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AWC_RULE_TYPE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static const char *quote(const char *s)
{
    return s ? s : "";
}

#define FAIL(f, ...) (field ? (void)(*field = (f)) : (void)0, \
                      awc_error_set(AWC_EBADINPUT, __VA_ARGS__))

static int check_ctx(const awc_ctx *c, const char *what, const char *mode_col,
                     const char *list_col, const char **field)
{
    if (c->mode != AWC_CTX_ALL && c->mode != AWC_CTX_ONLY && c->mode != AWC_CTX_EXCEPT)
        return FAIL(mode_col, "%s: mode must be all, only or except", what);
    if (c->mode == AWC_CTX_ALL && c->n > 0)
        return FAIL(list_col, "%s: mode all takes no list", what);
    if (c->mode != AWC_CTX_ALL && c->n == 0)
        return FAIL(list_col, "%s: mode %s needs at least one id", what,
                    awc_ctx_mode_name(c->mode));
    for (size_t i = 0; i < c->n; i++) {
        const char *p = c->items[i] ? c->items[i] : "";
        const char *why = *p ? text_problem(p, AWC_RULE_ITEM_MAX, 0) : "is empty";
        if (why)
            return FAIL(list_col, "%s: id '%.*s' %s", what, QUOTE_MAX, p, why);
    }
    return 0;
}

static int check_split(const awc_rule *r, const char **field)
{
    int64_t sum = 0;
    int last = 0;                 /* 1 customer, 2 reseller, 3 party seen */
    const char *col = "parties";

    if (r->n_split > AWC_RULE_TARGETS)
        return FAIL("parties", "split: more than %d targets", AWC_RULE_TARGETS);
    for (size_t i = 0; i < r->n_split; i++) {
        const awc_split_target *t = &r->split[i];
        char pct[16];
        switch (t->kind) {
        case AWC_TARGET_CUSTOMER: col = "customer_percent"; break;
        case AWC_TARGET_RESELLER: col = "reseller_percent"; break;
        case AWC_TARGET_PARTY: col = "parties"; break;
        default: return FAIL("parties", "split: target %zu has an unknown kind", i + 1);
        }
        if ((int)t->kind <= last && t->kind != AWC_TARGET_PARTY)
            return FAIL(col, "split: the customer target comes first, then the reseller, "
                        "then parties, each of the first two at most once");
        last = (int)t->kind;
        if (t->kind == AWC_TARGET_PARTY) {
            if (!id_valid(t->party_id))
                return FAIL(col, "split: party id '%.*s' is not 1..%d of A-Z a-z 0-9 . _ -",
                            QUOTE_MAX, t->party_id, AWC_RULE_ID_MAX);
            for (size_t j = 0; j < i; j++)
                if (r->split[j].kind == AWC_TARGET_PARTY &&
                    strcmp(r->split[j].party_id, t->party_id) == 0)
                    return FAIL(col, "split: party '%s' appears twice", t->party_id);
        } else if (t->party_id[0]) {
            return FAIL(col, "split: only a party target has a party id");
        }
        if (t->bp < 0 || t->bp > AWC_BP_FULL)
            return FAIL(col, "split: a percentage must be 0..100");
        sum += t->bp;
        if (sum > AWC_BP_FULL) {
            awc_percent_format(pct, sizeof(pct), (int32_t)sum);
            return FAIL(col, "split: percentages add up to %s %%, more than 100 %%", pct);
        }
    }
    return 0;
}

/*
 * What regcomp and regexec must not be given, refused at validation so
 * that assign and explain stay bounded for every rule set that validates:
 *   - backreferences (\1 .. \9), a C library extension to POSIX ERE that
 *     matches by backtracking: "(.*)(.*)\2\1" takes minutes on a
 *     300-character description;
 *   - stacked repetitions ("a++", "a*{2}"), more than 16 repetition
 *     operators, bounds over 100: the compiler copies a repeated expression
 *     once per bound, so "a{1,1000}{1,1000}" takes minutes and gigabytes;
 *   - more than 256 positions once every bound is expanded, which nested
 *     bounds reach through a group: "((a{1,100}){1,100})b" is 10,000
 *     positions and seconds per description.
 *   - a ')' without its '(', which the anchoring of awc_rule_regcomp()
 *     would read differently.
 * Within these limits, and anchored, the C library's matcher reads the
 * text once with a set of at most 256 positions: time linear in the
 * description, about 20 ms a kilobyte for the worst expressions found,
 * microseconds for ordinary ones (docs/RULES.md, "Regular expressions").
 */
#define REGEX_MAX_REPEATS 16
#define REGEX_MAX_BOUND 100
#define REGEX_MAX_POSITIONS 256
#define REGEX_MAX_DEPTH 32

/* Positions of one group being read: the sum of its atoms so far, and the
 * size of its last atom (what a repetition multiplies). */
typedef struct re_frame {
    long total, last;
} re_frame;

static const char *regex_problem(const char *re)
{
    int repeats = 0, last_was_repeat = 0, depth = 0;
    re_frame f[REGEX_MAX_DEPTH + 1] = { { 0, 0 } };

    for (const char *p = re; *p; p++) {
        if (*p == '(' || *p == ')') {
            if (*p == '(') {
                if (depth == REGEX_MAX_DEPTH)
                    return "groups nested more than 32 deep";
                f[++depth] = (re_frame){ 0, 0 };
            } else if (depth > 0) {
                long g = f[depth--].total;
                f[depth].total += g;
                f[depth].last = g;
            } else {
                /* the C library reads it as a literal; awc_rule_regcomp's
                 * wrapping group would not */
                return "a ')' without its '(' (write \\) for the character)";
            }
            last_was_repeat = 0;
            continue;
        }
        if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
            long mult = *p == '+' ? 2 : 1; /* a+ compiles as a a* */
            if (last_was_repeat)
                return "a repetition of a repetition (like a++ or a*{2}) is not allowed";
            if (++repeats > REGEX_MAX_REPEATS)
                return "more than 16 repetition operators";
            if (*p == '{') {
                long lo = 0, hi = -1;
                char *end;
                lo = strtol(p + 1, &end, 10);
                if (*end == ',')
                    hi = end[1] == '}' ? -1 : strtol(end + 1, &end, 10);
                else
                    hi = lo;
                if (lo > REGEX_MAX_BOUND || hi > REGEX_MAX_BOUND)
                    return "a repetition bound over 100";
                while (*p && *p != '}')
                    p++;
                if (!*p)
                    return NULL; /* unbalanced: regcomp will say so */
                mult = (hi < 0 ? lo + 1 : hi > lo ? hi : lo);
                if (mult < 1)
                    mult = 1;
            }
            f[depth].total += f[depth].last * (mult - 1);
            f[depth].last *= mult;
            if (f[depth].total > REGEX_MAX_POSITIONS)
                return "more than 256 positions once its repetitions are expanded (nested "
                       "or large repetition counts)";
            last_was_repeat = 1;
            continue;
        }
        /* one atom: a character, an escaped one, '.', a bracket expression */
        f[depth].total++;
        f[depth].last = 1;
        if (f[depth].total > REGEX_MAX_POSITIONS)
            return "more than 256 positions once its repetitions are expanded (nested "
                   "or large repetition counts)";
        last_was_repeat = 0;
        if (*p == '\\') {
            if (p[1] >= '1' && p[1] <= '9')
                return "a backreference (\\1 to \\9) is not allowed: matching one takes "
                       "time that grows exponentially with the description";
            if (p[1])
                p++;
            continue;
        }
        if (*p == '[') {
            /* a bracket expression: its characters are literal, and so
             * are the ']' of a class [:alpha:], an equivalence class [=a=]
             * and a collating symbol [.-.] inside it */
            const char *q = p + 1;
            if (*q == '^')
                q++;
            if (*q == ']')
                q++;
            while (*q && *q != ']') {
                if (q[0] == '[' && (q[1] == ':' || q[1] == '=' || q[1] == '.')) {
                    const char *end = q + 2;
                    while (*end && !(end[0] == q[1] && end[1] == ']'))
                        end++;
                    if (!*end)
                        return NULL; /* unbalanced: regcomp will say so */
                    q = end + 2;
                    continue;
                }
                q++;
            }
            if (!*q)
                return NULL; /* unbalanced: regcomp will say so */
            p = q;
            continue;
        }
    }
    return NULL;
}

/*
 * The C library's regexec, asked to find a match anywhere, starts a search
 * at every position of the text, and a search that is not anchored keeps
 * building new states of its matcher: ".*[a-m].{100}#" took 3.3 s on a
 * 1,024-byte description.  "^.*(P)" matches the same descriptions as P
 * (no submatch is used, backreferences are refused) with one search that
 * reads the text once: 19 ms.  regex_problem() refuses a ')' without its
 * '(' so that the wrapping group cannot change what P means.
 */
int awc_rule_regcomp(regex_t *re, const char *text)
{
    char wrapped[AWC_RULE_TEXT_MAX + 8];
    size_t n = strlen(text);

    if (n > AWC_RULE_TEXT_MAX)
        return REG_ESIZE;
    memcpy(wrapped, "^.*(", 4);
    memcpy(wrapped + 4, text, n);
    memcpy(wrapped + 4 + n, ")", 2);
    return regcomp(re, wrapped, REG_EXTENDED | REG_ICASE | REG_NOSUB);
}

int awc_rule_check(const awc_rule *r, const char **field)
{
    const char *why, *text = quote(r->match_text);
    size_t tlen = strlen(text);
    int rc;

    if (!memchr(r->id, '\0', sizeof(r->id)) || !id_valid(r->id))
        return FAIL("id", "id '%.*s' is not 1..%d of A-Z a-z 0-9 . _ - (starting with a "
                    "letter or digit)", QUOTE_MAX, r->id, AWC_RULE_ID_MAX);
    if ((why = text_problem(quote(r->name), AWC_RULE_NAME_MAX, 1)))
        return FAIL("name", "name %s", why);
    if (r->created < 0 || r->created > AWC_RULE_CREATED_MAX)
        return FAIL("created", "created is outside 1970..9999");

    if ((unsigned)r->match > AWC_MATCH_REGEX)
        return FAIL("match", "match must be any, exact, contains, prefix or regex");
    if (r->match == AWC_MATCH_ANY && tlen > 0)
        return FAIL("match", "a description needs a match kind (exact, contains, prefix or regex)");
    if (r->match != AWC_MATCH_ANY && tlen == 0)
        return FAIL("description", "match %s needs a description", awc_match_kind_name(r->match));
    if ((why = text_problem(text, AWC_RULE_TEXT_MAX, 1)))
        return FAIL("description", "description %s", why);
    if (tlen > 0 && (text[0] == ' ' || text[tlen - 1] == ' '))
        return FAIL("description", "description has leading or trailing blanks");
    if (r->match == AWC_MATCH_REGEX && (why = regex_problem(text))) {
        return FAIL("description", "regex '%.*s%s': %s", QUOTE_MAX, text,
                    tlen > QUOTE_MAX ? "..." : "", why);
    } else if (r->match == AWC_MATCH_REGEX) {
        regex_t re;
        int e = awc_rule_regcomp(&re, text);
        if (e != 0) {
            char msg[128];
            regerror(e, &re, msg, sizeof(msg));
            return FAIL("description", "regex '%.*s%s' does not compile: %s", QUOTE_MAX, text,
                        tlen > QUOTE_MAX ? "..." : "", msg);
        }
        regfree(&re);
    }

    if (!memchr(r->period_from, '\0', sizeof(r->period_from)) ||
        (r->period_from[0] && !awc_rule_period_valid(r->period_from, strlen(r->period_from))))
        return FAIL("period_from", "period from is not YYYY-MM");
    if (!memchr(r->period_to, '\0', sizeof(r->period_to)) ||
        (r->period_to[0] && !awc_rule_period_valid(r->period_to, strlen(r->period_to))))
        return FAIL("period_to", "period to is not YYYY-MM");
    if (r->period_from[0] && r->period_to[0] && strcmp(r->period_from, r->period_to) > 0)
        return FAIL("period_to", "period from %s is after to %s", r->period_from, r->period_to);

    if ((rc = check_ctx(&r->customers, "customers", "customers_mode", "customers", field)) ||
        (rc = check_ctx(&r->resellers, "resellers", "resellers_mode", "resellers", field)) ||
        (rc = check_ctx(&r->services, "services", "services_mode", "services", field)))
        return rc;
    for (size_t i = 0; i < r->n_types; i++)
        if (!r->types[i] || !type_valid(r->types[i]))
            return FAIL("types", "type '%.*s' is not 1..%d of A-Z a-z 0-9 _ -", QUOTE_MAX,
                        quote(r->types[i]), AWC_RULE_TYPE_MAX);
    for (size_t i = 0; i < r->n_accounts; i++) {
        const char *a = quote(r->accounts[i]);
        if (strlen(a) != 12 || !digits(a, 12))
            return FAIL("accounts", "account '%.*s' is not 12 digits", QUOTE_MAX, a);
    }
    return check_split(r, field);
}

#undef FAIL

/* --- precedence and equality ------------------------------------------------------------ */

int awc_rule_precedence(const awc_rule *a, const awc_rule *b, int *step)
{
    int s = 0, c;
    int da = a->match != AWC_MATCH_ANY, db = b->match != AWC_MATCH_ANY;

    if (da != db)
        s = 1, c = da ? -1 : 1;
    else if (a->customers.mode != b->customers.mode)
        s = 2, c = a->customers.mode > b->customers.mode ? -1 : 1;
    else if (a->resellers.mode != b->resellers.mode)
        s = 3, c = a->resellers.mode > b->resellers.mode ? -1 : 1;
    else if (a->services.mode != b->services.mode)
        s = 4, c = a->services.mode > b->services.mode ? -1 : 1;
    else if (a->created != b->created)
        s = 5, c = a->created > b->created ? -1 : 1;
    else if ((c = strcmp(a->id, b->id)) != 0)
        s = 6, c = c < 0 ? -1 : 1;
    else
        c = 0;
    if (step)
        *step = s;
    return c;
}

static int list_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(quote(a[i]), quote(b[i])) != 0)
            return 0;
    return 1;
}

static int ctx_equal(const awc_ctx *a, const awc_ctx *b)
{
    return a->mode == b->mode && list_equal(a->items, a->n, b->items, b->n);
}

int awc_rule_equal(const awc_rule *a, const awc_rule *b)
{
    if (strcmp(a->id, b->id) != 0 || strcmp(quote(a->name), quote(b->name)) != 0 ||
        a->created != b->created || a->match != b->match ||
        strcmp(quote(a->match_text), quote(b->match_text)) != 0 ||
        strcmp(a->period_from, b->period_from) != 0 || strcmp(a->period_to, b->period_to) != 0 ||
        !ctx_equal(&a->customers, &b->customers) || !ctx_equal(&a->resellers, &b->resellers) ||
        !ctx_equal(&a->services, &b->services) ||
        !list_equal(a->types, a->n_types, b->types, b->n_types) ||
        !list_equal(a->accounts, a->n_accounts, b->accounts, b->n_accounts) ||
        a->n_split != b->n_split)
        return 0;
    for (size_t i = 0; i < a->n_split; i++)
        if (a->split[i].kind != b->split[i].kind || a->split[i].bp != b->split[i].bp ||
            strcmp(a->split[i].party_id, b->split[i].party_id) != 0)
            return 0;
    return 1;
}
