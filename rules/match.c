/*
 * match.c -- rule sets: matching, the precedence order, explain, and the
 * index that lets awc_ruleset_choose() look at a handful of rules per
 * credit instead of all of them.
 *
 * How the index works (docs/RULES.md has the long version):
 *
 *   - Precedence (rule.h) depends on the rules alone, so the rules are
 *     sorted once by it; a rule's position is its rank (0 = the most
 *     appropriate).  Among the rules that match a credit the one with the
 *     smallest rank wins.
 *   - Every id a rule lists (customer, reseller, service, type, account)
 *     is interned into a per-field table of dense numbers.  A credit's
 *     fields are looked up once; a rule's lists are sorted number arrays,
 *     so membership tests compare integers, and a credit whose customer is
 *     in no list at all is "none" at once.
 *   - Each rule lives in exactly one family, the first of: its account
 *     list, its `only` customer list, its `only` reseller list, its exact
 *     description, its `only` service list, its description prefix (keyed
 *     on the first PREFIX_K bytes), its needle (below), its type list;
 *     else the residual list.  A family maps each key to the ranks of its
 *     rules, ascending.  A credit can only match rules in the buckets of
 *     its own keys and the residual list, so only those are visited.
 *   - `contains` rules (and regexes with a literal every match must
 *     contain, see regex_literal) with a needle of three bytes or more are
 *     filed under one trigram of the needle, the one made of the rarest
 *     letters, in 4096 buckets.  A credit visits the buckets of the
 *     trigrams of its own description only, so a needle that cannot occur
 *     is never looked at.  (A regex's literal is only trusted on a pure
 *     ASCII description; on any other, those regexes are all checked.)
 *   - The residual list holds the rest: blank descriptions without any
 *     `only`/account/type list, needles shorter than three bytes, regexes
 *     without a literal; its needles are pre-filtered by a 256-bit
 *     signature of the description's letter pairs.
 *   - Each visited list is walked in rank order and left at the first rule
 *     that matches, or at the first rank not better than the best found
 *     so far.  The answer is the smallest matching rank over all lists,
 *     exactly what a scan of every rule in rank order would find.  The
 *     description families go first: their rules outrank every blank
 *     one, so a match there cuts the other walks short.
 *   - The description is folded to lower case once (up to LOW_MAX bytes;
 *     a longer one is folded on the fly) and every needle is stored
 *     lower-case, so comparisons are plain byte compares.
 *
 * The slow, obvious matcher (ref_match) serves explain and
 * awc_ruleset_choose_scan(); the unit tests check that both agree on
 * random rule sets.
 */
#include <assert.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awc.h"
#include "rule.h"

#define NONE UINT32_MAX
#define PREFIX_K 8                    /* prefix keys are at most this long */
#define TRI_BITS 12
#define TRI_BUCKETS (1u << TRI_BITS)  /* trigram buckets */
#define WHY_MAX 320
#define LOW_MAX 512                   /* descriptions shorter than this are folded once */
#define QUOTE_MAX 60

enum { F_ACCT, F_CUST, F_RES, F_SVC, F_TYPE, N_FIELDS };
enum { FAM_EXACT = N_FIELDS, FAM_PREFIX, FAM_TRIGRAM, N_FAMS, FAM_RESIDUAL = N_FAMS };

/* --- string tables ------------------------------------------------------------------ */

typedef struct strtab {
    const char **keys;            /* not owned: point into the rule copies or rs->text */
    uint32_t *lens;
    uint32_t *slots;              /* 0 = empty, else id + 1 */
    uint32_t mask, n, cap;
    int fold;                     /* keys are lower case; lookups fold A-Z */
} strtab;

static inline unsigned char fold(unsigned char c)
{
    return (unsigned char)((unsigned)c - 'A' < 26u ? c | 0x20 : c);
}

/* FNV-1a of s[0..n), folded when f. */
static uint32_t hash_bytes(const char *s, size_t n, int f)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        h = (h ^ (f ? fold(c) : c)) * 16777619u;
    }
    return h ^ (h >> 15);
}

/* hash_bytes of a NUL-terminated s (not folded), and its length, in one pass. */
static uint32_t hash_cstr(const char *s, size_t *len)
{
    uint32_t h = 2166136261u;
    const char *p = s;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    *len = (size_t)(p - s);
    return h ^ (h >> 15);
}

static int st_init(strtab *t, size_t max_keys, int f)
{
    size_t cap = 16;
    while (cap < 2 * max_keys)
        cap *= 2;
    memset(t, 0, sizeof(*t));
    t->fold = f;
    if (max_keys >= UINT32_MAX / 4)
        return AWC_ENOMEM;
    t->slots = awc_calloc(cap, sizeof(*t->slots));
    t->keys = awc_calloc(max_keys ? max_keys : 1, sizeof(*t->keys));
    t->lens = awc_calloc(max_keys ? max_keys : 1, sizeof(*t->lens));
    if (!t->slots || !t->keys || !t->lens)
        return AWC_ENOMEM;
    t->mask = (uint32_t)cap - 1;
    t->cap = (uint32_t)max_keys;
    return 0;
}

static void st_free(strtab *t)
{
    awc_free(t->slots);
    awc_free(t->keys);
    awc_free(t->lens);
    memset(t, 0, sizeof(*t));
}

/* a[0..n) == b[0..n), eight bytes a step (ids are short: cheaper than a call). */
static int bytes_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* Key id equals s[0..n); s is folded first when fold_s (keys of a folding
 * table are lower case already). */
static int key_eq(const strtab *t, uint32_t id, const char *s, size_t n, int fold_s)
{
    const char *k = t->keys[id];
    if (t->lens[id] != n)
        return 0;
    if (!fold_s)
        return bytes_eq(k, s, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] != fold((unsigned char)s[i]))
            return 0;
    return 1;
}

static uint32_t st_probe(const strtab *t, uint32_t h, const char *s, size_t n, int fold_s)
{
    uint32_t i = h & t->mask, v;
    while ((v = t->slots[i]) != 0) {
        if (key_eq(t, v - 1, s, n, fold_s))
            return v - 1;
        i = (i + 1) & t->mask;
    }
    return NONE;
}

/* The id of s[0..n), or NONE.  s_is_low: s is lower case already, so a
 * folding table need not fold it again. */
static uint32_t st_find(const strtab *t, const char *s, size_t n, int s_is_low)
{
    int f = t->fold && !s_is_low;
    return t->n == 0 ? NONE : st_probe(t, hash_bytes(s, n, f), s, n, f);
}

/* st_find for a NUL-terminated s in a table without folding. */
static uint32_t st_find_cstr(const strtab *t, const char *s)
{
    size_t n;
    uint32_t h;
    if (t->n == 0)
        return NONE;
    assert(!t->fold);
    h = hash_cstr(s, &n);
    return st_probe(t, h, s, n, 0);
}

/* The id of s, added when new.  The table was sized for every key. */
static uint32_t st_intern(strtab *t, const char *s, size_t n)
{
    uint32_t i = hash_bytes(s, n, t->fold) & t->mask, v;
    while ((v = t->slots[i]) != 0) {
        if (key_eq(t, v - 1, s, n, t->fold))
            return v - 1;
        i = (i + 1) & t->mask;
    }
    assert(t->n < t->cap);
    t->keys[t->n] = s;
    t->lens[t->n] = (uint32_t)n;
    t->slots[i] = ++t->n;
    return t->n - 1;
}

/* --- the rule set ------------------------------------------------------------------- */

typedef struct irule {
    const awc_rule *r;
    const regex_t *re;            /* REGEX only */
    const char *needle;           /* lower-cased match text, or a regex's literal; NULL none */
    uint32_t nlen;
    uint8_t match;
    uint8_t has_period;
    uint8_t has_sig;
    uint8_t mode[3];              /* customer, reseller, service */
    uint8_t family;
    uint32_t key;                 /* FAM_EXACT/PREFIX: key id; FAM_TRIGRAM: bucket */
    int32_t from, to;             /* months since year 0, inclusive */
    uint64_t sig[4];              /* letter pairs the needle needs */
    const uint32_t *ids[N_FIELDS];/* sorted interned ids of each list */
    uint32_t nids[N_FIELDS];
} irule;

typedef struct family {
    strtab tab;                   /* fields: every id of that field; exact, prefix:
                                   * the keys; trigram: unused */
    uint32_t nkeys;               /* tab.n, or TRI_BUCKETS */
    uint32_t *off;                /* nkeys + 1 offsets into list */
    uint32_t *list;               /* ranks, ascending within a key */
} family;

struct awc_ruleset {
    awc_rule *rules;              /* copies, in id order */
    size_t n;
    uint32_t *rank_of;            /* id order -> rank */
    irule *ir;                    /* rank order */
    regex_t *re;
    size_t n_re;
    char *text;                   /* lower-cased needles, NUL-separated */
    uint32_t *pool;               /* interned id sets */
    family fam[N_FAMS];
    uint32_t prefix_lens;         /* bit L: some prefix key has length L */
    uint32_t *residual;
    uint32_t n_residual;
    uint32_t *tri_regex;          /* the regexes of FAM_TRIGRAM, in rank order */
    uint32_t n_tri_regex;
    uint64_t tri_used[TRI_BUCKETS / 64];  /* bit h: trigram bucket h is not empty */
    uint64_t exact_lens[(AWC_RULE_TEXT_MAX + 64) / 64]; /* bit L: an exact key of length L */
};

size_t awc_ruleset_count(const awc_ruleset *rs)
{
    return rs ? rs->n : 0;
}

const awc_rule *awc_ruleset_rule(const awc_ruleset *rs, size_t i)
{
    assert(rs && i < rs->n);
    return &rs->rules[i];
}

void awc_ruleset_free(awc_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n_re; i++)
        regfree(&rs->re[i]);
    awc_free(rs->re);
    for (int f = 0; f < N_FAMS; f++) {
        st_free(&rs->fam[f].tab);
        awc_free(rs->fam[f].off);
        awc_free(rs->fam[f].list);
    }
    awc_rules_free(rs->rules, rs->n);
    awc_free(rs->rank_of);
    awc_free(rs->ir);
    awc_free(rs->text);
    awc_free(rs->pool);
    awc_free(rs->residual);
    awc_free(rs->tri_regex);
    awc_free(rs);
}

/* --- building ---------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void norm_list(char **v, size_t *n)
{
    size_t k = 0;
    if (*n == 0)
        return;
    qsort(v, *n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < *n; i++) {
        if (k > 0 && strcmp(v[k - 1], v[i]) == 0)
            awc_free(v[i]);
        else
            v[k++] = v[i];
    }
    *n = k;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const awc_rule *)a)->id, ((const awc_rule *)b)->id);
}

static int cmp_prec(const void *a, const void *b)
{
    return awc_rule_precedence(*(const awc_rule *const *)a, *(const awc_rule *const *)b, NULL);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int32_t month_number(const char *p)
{
    return ((p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0')) * 12 +
           (p[5] - '0') * 10 + (p[6] - '0') - 1;
}

static unsigned pair_bit(unsigned char a, unsigned char b)
{
    return (((uint32_t)a * 0x9E3779B1u) ^ ((uint32_t)b * 0x85EBCA6Bu)) >> 24;
}

/* The letter pairs of s (folded) as a 256-bit set. */
static void signature(uint64_t sig[4], const char *s, size_t n)
{
    sig[0] = sig[1] = sig[2] = sig[3] = 0;
    for (size_t i = 1; i < n; i++) {
        unsigned b = pair_bit(fold((unsigned char)s[i - 1]), fold((unsigned char)s[i]));
        sig[b >> 6] |= UINT64_C(1) << (b & 63);
    }
}

static int is_re_special(char c)
{
    return c && strchr(".[]()*+?{}|^$\\", c) != NULL;
}

/*
 * The longest run of bytes that every match of the POSIX extended regex re
 * must contain, lower-cased, written to out (NUL-terminated, at most cap - 1
 * bytes); its length, 0 when none is known.  Conservative: any doubt ends
 * the run.  An alternation anywhere means no literal.  Only ASCII bytes are
 * taken, and the filter is used only on pure ASCII descriptions: in a UTF-8
 * locale REG_ICASE may equate an ASCII letter with another character (s
 * and U+017F, i and U+0131), and the filter must never refuse what regexec
 * would accept.
 */
static size_t regex_literal(const char *re, char *out, size_t cap)
{
    size_t n = strlen(re), i = 0, best = 0, cur = 0;
    char run[AWC_RULE_TEXT_MAX + 1];
    int depth = 0;

    if (strchr(re, '|') || cap == 0)
        return 0;
#define END_RUN() do { if (cur > best) { best = cur < cap - 1 ? cur : cap - 1; \
                                         memcpy(out, run, best); } cur = 0; } while (0)
    while (i < n) {
        char c = re[i], lit;
        if (c == '\\') {
            if (!is_re_special(re[i + 1])) {
                END_RUN();
                i += re[i + 1] ? 2 : 1;
                continue;
            }
            lit = re[i + 1];
            i += 2;
        } else if (c == '[') {
            size_t j = i + 1;
            END_RUN();
            if (re[j] == '^')
                j++;
            if (re[j] == ']')
                j++;
            while (j < n && re[j] != ']') {
                if (re[j] == '[' && (re[j + 1] == ':' || re[j + 1] == '.' || re[j + 1] == '=')) {
                    const char *e = strstr(re + j + 2, (char[]){ re[j + 1], ']', '\0' });
                    if (!e)
                        return 0;
                    j = (size_t)(e - re) + 2;
                } else {
                    j++;
                }
            }
            if (j >= n)
                return 0;
            i = j + 1;
            continue;
        } else if (c == '(') {
            END_RUN();
            depth++, i++;
            continue;
        } else if (c == ')') {
            END_RUN();
            depth--, i++;
            continue;
        } else if (c == '{') {
            const char *e = strchr(re + i, '}');
            END_RUN();
            if (!e)
                return 0;
            i = (size_t)(e - re) + 1;
            continue;
        } else if (is_re_special(c)) {     /* . ^ $ * + ? and a stray } or ] */
            END_RUN();
            i++;
            continue;
        } else {
            lit = c;
            i++;
        }
        /* lit is one literal atom; what follows decides whether it is required */
        if (re[i] == '*' || re[i] == '?' || re[i] == '{' || depth > 0 ||
            (unsigned char)lit >= 0x80) {
            END_RUN();
            continue;
        }
        if (cur < sizeof(run))
            run[cur++] = (char)fold((unsigned char)lit);
        if (re[i] == '+')
            END_RUN();
    }
    END_RUN();
#undef END_RUN
    out[best] = '\0';
    return best;
}

/* Family of a rule: the first selective thing it requires (x->needle and
 * x->nlen already set). */
static int family_of(const awc_rule *r, const irule *x)
{
    if (r->n_accounts > 0)
        return F_ACCT;
    if (r->customers.mode == AWC_CTX_ONLY)
        return F_CUST;
    if (r->resellers.mode == AWC_CTX_ONLY)
        return F_RES;
    if (r->match == AWC_MATCH_EXACT)
        return FAM_EXACT;
    if (r->services.mode == AWC_CTX_ONLY)
        return F_SVC;
    if (r->match == AWC_MATCH_PREFIX)
        return FAM_PREFIX;
    if ((r->match == AWC_MATCH_CONTAINS || r->match == AWC_MATCH_REGEX) && x->needle &&
        x->nlen >= 3)
        return FAM_TRIGRAM;
    if (r->n_types > 0)
        return F_TYPE;
    return FAM_RESIDUAL;
}

static char **field_items(const awc_rule *r, int f, size_t *n)
{
    switch (f) {
    case F_ACCT: *n = r->n_accounts; return r->accounts;
    case F_CUST: *n = r->customers.n; return r->customers.items;
    case F_RES: *n = r->resellers.n; return r->resellers.items;
    case F_SVC: *n = r->services.n; return r->services.items;
    default: *n = r->n_types; return r->types;
    }
}

/* The keys under which rule x is filed in its family. */
static size_t family_keys(const irule *x, const uint32_t **ids)
{
    if (x->family < N_FIELDS) {
        *ids = x->ids[x->family];
        return x->nids[x->family];
    }
    if (x->family == FAM_RESIDUAL)
        return 0;
    *ids = &x->key;
    return 1;
}

/* Bucket of the trigram a b c (bytes already folded), given as a << 16 | b << 8 | c. */
static inline uint32_t tri_key_hash(uint32_t key)
{
    return key * 0x9E3779B1u >> (32 - TRI_BITS);
}

static inline uint32_t tri_hash(unsigned char a, unsigned char b, unsigned char c)
{
    return tri_key_hash((uint32_t)a << 16 | (uint32_t)b << 8 | c);
}

/* How common a (lower-case) byte is in credit descriptions, roughly. */
static int commonness(unsigned char c)
{
    if (c == ' ')
        return 12;
    if (strchr("etaoinsr", c))
        return 8;
    if (strchr("cdlumhp", c))
        return 6;
    if (c >= 'a' && c <= 'z')
        return 4;
    if (c >= '0' && c <= '9')
        return 3;
    return 2;
}

/* The bucket of the needle's trigram with the rarest letters; among
 * equals, the emptier bucket.  count[] tracks how full buckets are. */
static uint32_t pick_trigram(const char *n, size_t len, const uint32_t *count)
{
    uint32_t best = 0;
    int best_score = 1 << 30;
    for (size_t i = 0; i + 3 <= len; i++) {
        const unsigned char *p = (const unsigned char *)n + i;
        uint32_t h = tri_hash(p[0], p[1], p[2]);
        int score = (commonness(p[0]) + commonness(p[1]) + commonness(p[2])) * 1024 +
                    (int)(count[h] < 1023 ? count[h] : 1023);
        if (score < best_score)
            best_score = score, best = h;
    }
    return best;
}

static int build_families(awc_ruleset *rs)
{
    const uint32_t *ids;
    size_t total[N_FAMS] = { 0 };
    uint32_t *fill[N_FAMS] = { NULL };
    uint32_t nres = 0, ntri = 0;
    int rc = AWC_ENOMEM;

    for (int f = 0; f < N_FAMS; f++)
        rs->fam[f].nkeys = f == FAM_TRIGRAM ? TRI_BUCKETS : rs->fam[f].tab.n;
    for (size_t k = 0; k < rs->n; k++) {
        const irule *x = &rs->ir[k];
        if (x->family == FAM_RESIDUAL)
            rs->n_residual++;
        else
            total[x->family] += family_keys(x, &ids);
        if (x->family == FAM_TRIGRAM && x->match == AWC_MATCH_REGEX)
            rs->n_tri_regex++;
    }
    rs->residual = awc_calloc(rs->n_residual ? rs->n_residual : 1, sizeof(uint32_t));
    rs->tri_regex = awc_calloc(rs->n_tri_regex ? rs->n_tri_regex : 1, sizeof(uint32_t));
    if (!rs->residual || !rs->tri_regex)
        return AWC_ENOMEM;
    for (int f = 0; f < N_FAMS; f++) {
        family *fa = &rs->fam[f];
        fa->off = awc_calloc((size_t)fa->nkeys + 1, sizeof(uint32_t));
        fa->list = awc_calloc(total[f] ? total[f] : 1, sizeof(uint32_t));
        fill[f] = awc_calloc((size_t)fa->nkeys + 1, sizeof(uint32_t));
        if (!fa->off || !fa->list || !fill[f])
            goto out;
    }
    /* counts, then offsets, then fill in rank order so each bucket is sorted */
    for (size_t k = 0; k < rs->n; k++) {
        const irule *x = &rs->ir[k];
        size_t m = family_keys(x, &ids);
        for (size_t j = 0; j < m; j++)
            rs->fam[x->family].off[ids[j] + 1]++;
    }
    for (int f = 0; f < N_FAMS; f++)
        for (uint32_t j = 0; j < rs->fam[f].nkeys; j++)
            rs->fam[f].off[j + 1] += rs->fam[f].off[j];
    for (size_t k = 0; k < rs->n; k++) {
        const irule *x = &rs->ir[k];
        size_t m = family_keys(x, &ids);
        if (x->family == FAM_RESIDUAL)
            rs->residual[nres++] = (uint32_t)k;
        if (x->family == FAM_TRIGRAM && x->match == AWC_MATCH_REGEX)
            rs->tri_regex[ntri++] = (uint32_t)k;
        for (size_t j = 0; j < m; j++) {
            family *fa = &rs->fam[x->family];
            fa->list[fa->off[ids[j]] + fill[x->family][ids[j]]++] = (uint32_t)k;
        }
        if (x->family == FAM_TRIGRAM)
            rs->tri_used[x->key >> 6] |= UINT64_C(1) << (x->key & 63);
        if (x->family == FAM_EXACT && x->nlen <= AWC_RULE_TEXT_MAX)
            rs->exact_lens[x->nlen >> 6] |= UINT64_C(1) << (x->nlen & 63);
    }
    rc = 0;
out:
    for (int f = 0; f < N_FAMS; f++)
        awc_free(fill[f]);
    return rc;
}

static int build_index(awc_ruleset *rs)
{
    size_t max_keys[N_FIELDS] = { 0 }, n_pool = 0, n_text = 0, n_text_keys = 0, at = 0;
    size_t pool_at = 0, n_re = 0;
    const awc_rule **order;
    uint32_t *tri_count;
    int rc = AWC_ENOMEM;

    /* rank order */
    order = awc_calloc(rs->n ? rs->n : 1, sizeof(*order));
    tri_count = awc_calloc(TRI_BUCKETS, sizeof(*tri_count));
    rs->rank_of = awc_calloc(rs->n ? rs->n : 1, sizeof(uint32_t));
    rs->ir = awc_calloc(rs->n ? rs->n : 1, sizeof(irule));
    if (!order || !tri_count || !rs->rank_of || !rs->ir)
        goto out;
    for (size_t i = 0; i < rs->n; i++)
        order[i] = &rs->rules[i];
    qsort(order, rs->n, sizeof(*order), cmp_prec);

    /* sizes */
    for (size_t i = 0; i < rs->n; i++) {
        const awc_rule *r = &rs->rules[i];
        for (int f = 0; f < N_FIELDS; f++) {
            size_t m;
            (void)field_items(r, f, &m);
            max_keys[f] += m;
            n_pool += m;
        }
        n_text += strlen(r->match_text) + 1;
        n_text_keys++;
        if (r->match == AWC_MATCH_REGEX)
            n_re++;
    }
    rs->text = awc_malloc(n_text + 1);
    rs->pool = awc_calloc(n_pool ? n_pool : 1, sizeof(uint32_t));
    rs->re = awc_calloc(n_re ? n_re : 1, sizeof(regex_t));
    if (!rs->text || !rs->pool || !rs->re)
        goto out;
    /* rs->n_re counts the compiled ones, for awc_ruleset_free() */
    for (int f = 0; f < N_FIELDS; f++)
        if (st_init(&rs->fam[f].tab, max_keys[f], 0))
            goto out;
    if (st_init(&rs->fam[FAM_EXACT].tab, n_text_keys, 1) ||
        st_init(&rs->fam[FAM_PREFIX].tab, n_text_keys, 1))
        goto out;

    for (size_t k = 0; k < rs->n; k++) {
        const awc_rule *r = order[k];
        irule *x = &rs->ir[k];
        size_t tlen = strlen(r->match_text);
        char *low = rs->text + at;

        rs->rank_of[r - rs->rules] = (uint32_t)k;
        x->r = r;
        x->match = (uint8_t)r->match;
        x->mode[0] = (uint8_t)r->customers.mode;
        x->mode[1] = (uint8_t)r->resellers.mode;
        x->mode[2] = (uint8_t)r->services.mode;
        x->has_period = r->period_from[0] || r->period_to[0];
        x->from = r->period_from[0] ? month_number(r->period_from) : INT32_MIN;
        x->to = r->period_to[0] ? month_number(r->period_to) : INT32_MAX;

        for (int f = 0; f < N_FIELDS; f++) {
            size_t m;
            char **items = field_items(r, f, &m);
            x->ids[f] = rs->pool + pool_at;
            x->nids[f] = (uint32_t)m;
            for (size_t j = 0; j < m; j++)
                rs->pool[pool_at++] = st_intern(&rs->fam[f].tab, items[j], strlen(items[j]));
            qsort(rs->pool + pool_at - m, m, sizeof(uint32_t), cmp_u32);
        }

        for (size_t j = 0; j < tlen; j++)
            low[j] = (char)fold((unsigned char)r->match_text[j]);
        low[tlen] = '\0';
        at += tlen + 1;
        switch (r->match) {
        case AWC_MATCH_EXACT:
        case AWC_MATCH_PREFIX:
        case AWC_MATCH_CONTAINS:
            x->needle = low;
            x->nlen = (uint32_t)tlen;
            break;
        case AWC_MATCH_REGEX: {
            size_t ll;
            if (awc_rule_regcomp(&rs->re[rs->n_re], r->match_text)) {
                rc = awc_error_set(AWC_EBADINPUT, "rule '%s': regex does not compile", r->id);
                goto out;
            }
            x->re = &rs->re[rs->n_re++];
            ll = regex_literal(r->match_text, low, tlen + 1);
            if (ll > 0)
                x->needle = low, x->nlen = (uint32_t)ll;
            break;
        }
        default:
            break;
        }

        x->family = (uint8_t)family_of(r, x);
        switch (x->family) {
        case FAM_EXACT:
            x->key = st_intern(&rs->fam[FAM_EXACT].tab, x->needle, x->nlen);
            break;
        case FAM_PREFIX: {
            uint32_t len = x->nlen > PREFIX_K ? PREFIX_K : x->nlen;
            x->key = st_intern(&rs->fam[FAM_PREFIX].tab, x->needle, len);
            rs->prefix_lens |= UINT32_C(1) << len;
            break;
        }
        case FAM_TRIGRAM:
            x->key = pick_trigram(x->needle, x->nlen, tri_count);
            tri_count[x->key]++;
            break;
        case FAM_RESIDUAL:
            if (x->needle) {
                signature(x->sig, x->needle, x->nlen);
                x->has_sig = 1;
            }
            break;
        default:
            break;
        }
    }
    rc = build_families(rs);
out:
    awc_free(order);
    awc_free(tri_count);
    if (rc == AWC_ENOMEM)
        awc_error_set(AWC_ENOMEM, "out of memory building the rule index");
    return rc;
}

int awc_ruleset_new(awc_ruleset **out, const awc_rule *rules, size_t n)
{
    awc_ruleset *rs;
    int rc;

    if (n >= UINT32_MAX / 2)
        return awc_error_set(AWC_EBADINPUT, "too many rules (%zu)", n);
    rs = awc_calloc(1, sizeof(*rs));
    if (!rs)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    rs->rules = awc_calloc(n ? n : 1, sizeof(awc_rule));
    if (!rs->rules) {
        awc_free(rs);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *field;
        awc_rule *r = &rs->rules[i];
        if ((rc = awc_rule_copy(r, &rules[i])))
            goto fail;
        rs->n = i + 1;
        norm_list(r->customers.items, &r->customers.n);
        norm_list(r->resellers.items, &r->resellers.n);
        norm_list(r->services.items, &r->services.n);
        norm_list(r->types, &r->n_types);
        norm_list(r->accounts, &r->n_accounts);
        if ((rc = awc_rule_check(r, &field))) {
            if (memchr(r->id, '\0', sizeof(r->id)) && r->id[0])
                awc_error_prefix(rc, "rule '%.*s'", AWC_RULE_ID_MAX, r->id);
            else
                awc_error_prefix(rc, "rule %zu", i + 1);
            goto fail;
        }
    }
    qsort(rs->rules, n, sizeof(awc_rule), cmp_id);
    for (size_t i = 1; i < n; i++)
        if (strcmp(rs->rules[i - 1].id, rs->rules[i].id) == 0) {
            rc = awc_error_set(AWC_EBADINPUT, "rule '%s': duplicate rule id", rs->rules[i].id);
            goto fail;
        }
    if ((rc = build_index(rs)))
        goto fail;
    *out = rs;
    return 0;
fail:
    awc_ruleset_free(rs);
    return rc;
}

/* --- the fast matcher ---------------------------------------------------------------- */

typedef struct query {
    const char *desc;
    size_t dlen;
    const char *low;              /* desc folded (A-Z to a-z) when it fits low_buf,
                                   * else desc itself, to be folded on the fly */
    int folded;
    char low_buf[LOW_MAX];
    int ascii;                    /* the description is pure ASCII */
    int32_t period;               /* -1 when not YYYY-MM */
    uint32_t id[N_FIELDS];
    int have_sig;
    uint64_t sig[4];
} query;

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static void query_init(const awc_ruleset *rs, query *q, const awc_rule_input *in)
{
    const char *p = str_or_empty(in->period), *d = str_or_empty(in->description);
    const char *v[N_FIELDS];
    unsigned char any = 0;
    size_t n = 0;

    for (; d[n]; n++) {
        any |= (unsigned char)d[n];
        if (n < LOW_MAX)
            q->low_buf[n] = (char)fold((unsigned char)d[n]);
    }
    q->desc = d;
    q->dlen = n;
    q->folded = n < LOW_MAX;
    q->low = q->folded ? q->low_buf : d;
    q->ascii = any < 0x80;
    q->period = awc_rule_period_valid(p, strlen(p)) ? month_number(p) : -1;
    v[F_ACCT] = in->account, v[F_CUST] = in->customer_id, v[F_RES] = in->reseller_id;
    v[F_SVC] = in->service, v[F_TYPE] = in->credit_type;
    for (int f = 0; f < N_FIELDS; f++)
        q->id[f] = st_find_cstr(&rs->fam[f].tab, str_or_empty(v[f]));
    q->have_sig = 0;
}

static int has_id(const uint32_t *v, uint32_t n, uint32_t id)
{
    uint32_t lo = 0, hi = n;
    if (id == NONE)
        return 0;
    if (n <= 8) {
        for (uint32_t i = 0; i < n; i++)
            if (v[i] == id)
                return 1;
        return 0;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < id)
            lo = mid + 1;
        else if (v[mid] > id)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

/* s[0..n) equals the lower-case l[0..n) when folded. */
static int fold_eq(const char *s, const char *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold((unsigned char)s[i]) != (unsigned char)l[i])
            return 0;
    return 1;
}

static int fold_find(const char *h, size_t hn, const char *l, size_t n)
{
    unsigned char lo, up;
    if (n == 0)
        return 1;
    if (n > hn)
        return 0;
    lo = (unsigned char)l[0];
    up = (unsigned char)((unsigned)lo - 'a' < 26u ? lo - 32 : lo);
    for (size_t i = 0; i + n <= hn; i++) {
        unsigned char c = (unsigned char)h[i];
        if ((c == lo || c == up) && fold_eq(h + i + 1, l + 1, n - 1))
            return 1;
    }
    return 0;
}

/* The description starts with the lower-case l[0..n). */
static int desc_starts(const query *q, const char *l, size_t n)
{
    if (q->dlen < n)
        return 0;
    return q->folded ? memcmp(q->low, l, n) == 0 : fold_eq(q->desc, l, n);
}

/* The description contains the lower-case l[0..n). */
static int desc_contains(const query *q, const char *l, size_t n)
{
    const char *p, *end;
    if (!q->folded)
        return fold_find(q->desc, q->dlen, l, n);
    if (n == 0)
        return 1;
    if (n > q->dlen)
        return 0;
    /* memchr finds the first byte fast; short needles make memmem's set-up dear */
    for (p = q->low, end = q->low + q->dlen - n + 1; (p = memchr(p, l[0], (size_t)(end - p)));
         p++)
        if (bytes_eq(p + 1, l + 1, n - 1))
            return 1;
    return 0;
}

/* The needle's letter pairs all occur in the description (computed once). */
static int sig_may_match(const irule *x, query *q)
{
    if (!q->have_sig) {
        signature(q->sig, q->low, q->dlen);
        q->have_sig = 1;
    }
    return ((x->sig[0] & ~q->sig[0]) | (x->sig[1] & ~q->sig[1]) | (x->sig[2] & ~q->sig[2]) |
            (x->sig[3] & ~q->sig[3])) == 0;
}

static int fast_match(const irule *x, query *q)
{
    if (x->has_period && (q->period < 0 || q->period < x->from || q->period > x->to))
        return 0;
    for (int c = 0; c < 3; c++) {
        int f = c + F_CUST;
        if (x->mode[c] == AWC_CTX_ONLY && !has_id(x->ids[f], x->nids[f], q->id[f]))
            return 0;
        if (x->mode[c] == AWC_CTX_EXCEPT && has_id(x->ids[f], x->nids[f], q->id[f]))
            return 0;
    }
    if (x->nids[F_TYPE] && !has_id(x->ids[F_TYPE], x->nids[F_TYPE], q->id[F_TYPE]))
        return 0;
    if (x->nids[F_ACCT] && !has_id(x->ids[F_ACCT], x->nids[F_ACCT], q->id[F_ACCT]))
        return 0;
    switch (x->match) {
    case AWC_MATCH_ANY:
        return 1;
    case AWC_MATCH_EXACT:
        return q->dlen == x->nlen && desc_starts(q, x->needle, x->nlen);
    case AWC_MATCH_PREFIX:
        return desc_starts(q, x->needle, x->nlen);
    case AWC_MATCH_CONTAINS:
        return (!x->has_sig || sig_may_match(x, q)) &&
               desc_contains(q, x->needle, x->nlen);
    case AWC_MATCH_REGEX:
        /* the literal is a safe filter on ASCII text only (see regex_literal) */
        if (x->needle && q->ascii &&
            ((x->has_sig && !sig_may_match(x, q)) ||
             !desc_contains(q, x->needle, x->nlen)))
            return 0;
        return regexec(x->re, q->desc, 0, NULL, 0) == 0;
    default:
        return 0;
    }
}

/* Walk one bucket in rank order; lower *best to the first match better than it. */
static void scan(const awc_ruleset *rs, const uint32_t *list, uint32_t n, query *q,
                 uint32_t *best)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = list[i];
        if (k >= *best)
            return;
        if (fast_match(&rs->ir[k], q)) {
            *best = k;
            return;
        }
    }
}

static void scan_key(const awc_ruleset *rs, int f, uint32_t id, query *q, uint32_t *best)
{
    const family *fa = &rs->fam[f];
    if (id != NONE)
        scan(rs, fa->list + fa->off[id], fa->off[id + 1] - fa->off[id], q, best);
}

/* The trigram buckets of every trigram in the description.  The first
 * DONE_MAX non-empty buckets walked are remembered and not walked again;
 * past that a bucket may be walked twice, which costs time, not
 * correctness. */
#define DONE_MAX 16
static void scan_trigrams(const awc_ruleset *rs, query *q, uint32_t *best)
{
    const family *fa = &rs->fam[FAM_TRIGRAM];
    const unsigned char *d = (const unsigned char *)q->low;
    uint32_t done[DONE_MAX];
    size_t n_done = 0;

    uint32_t key;

    if (fa->off[TRI_BUCKETS] == 0 || q->dlen < 3)
        goto non_ascii;
    key = (uint32_t)fold(d[0]) << 8 | fold(d[1]);
    for (size_t i = 2; i < q->dlen; i++) {
        uint32_t h, lo, hi;
        size_t j;
        key = (key << 8 | d[i]) & 0xffffff;
        if (!q->folded)
            key = (key & 0xffff00) | fold(d[i]);
        h = tri_key_hash(key);
        if (!(rs->tri_used[h >> 6] >> (h & 63) & 1))
            continue;
        lo = fa->off[h], hi = fa->off[h + 1];
        if (fa->list[lo] >= *best)
            continue;
        for (j = 0; j < n_done && done[j] != h; j++)
            ;
        if (j < n_done)
            continue;
        if (n_done < DONE_MAX)
            done[n_done++] = h;
        scan(rs, fa->list + lo, hi - lo, q, best);
    }
non_ascii:
    /* a regex's literal says nothing about a non-ASCII description */
    if (!q->ascii)
        scan(rs, rs->tri_regex, rs->n_tri_regex, q, best);
}

const awc_rule *awc_ruleset_choose(const awc_ruleset *rs, const awc_rule_input *in)
{
    query q;
    uint32_t best = NONE;

    if (!rs || rs->n == 0)
        return NULL;
    query_init(rs, &q, in);
    /* Families of description rules first: they outrank every rule with a
     * blank description, so a match there prunes most of what follows. */
    if (q.dlen <= AWC_RULE_TEXT_MAX && (rs->exact_lens[q.dlen >> 6] >> (q.dlen & 63) & 1))
        scan_key(rs, FAM_EXACT, st_find(&rs->fam[FAM_EXACT].tab, q.low, q.dlen, q.folded), &q,
                 &best);
    if (rs->prefix_lens) {
        size_t max = q.dlen < PREFIX_K ? q.dlen : PREFIX_K;
        for (size_t len = 1; len <= max; len++)
            if (rs->prefix_lens >> len & 1)
                scan_key(rs, FAM_PREFIX, st_find(&rs->fam[FAM_PREFIX].tab, q.low, len, q.folded),
                         &q, &best);
    }
    scan_trigrams(rs, &q, &best);
    scan_key(rs, F_ACCT, q.id[F_ACCT], &q, &best);
    scan_key(rs, F_CUST, q.id[F_CUST], &q, &best);
    scan_key(rs, F_RES, q.id[F_RES], &q, &best);
    scan_key(rs, F_SVC, q.id[F_SVC], &q, &best);
    scan_key(rs, F_TYPE, q.id[F_TYPE], &q, &best);
    scan(rs, rs->residual, rs->n_residual, &q, &best);
    return best == NONE ? NULL : rs->ir[best].r;
}

/* --- the reference matcher: explain and the brute-force scan ---------------------------- */

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int ci_equal_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int ci_contains(const char *h, const char *n)
{
    size_t hn = strlen(h), nn = strlen(n);
    for (size_t i = 0; i + nn <= hn; i++)
        if (ci_equal_n(h + i, n, nn))
            return 1;
    return 0;
}

static int in_list(char *const *items, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i], s) == 0)
            return 1;
    return 0;
}

int awc_ctx_admits(const awc_ctx *c, const char *v)
{
    return c->mode == AWC_CTX_ALL || (c->mode == AWC_CTX_ONLY) == in_list(c->items, c->n, v);
}

static const char *shown(const char *s)
{
    return *s ? s : "(none)";
}

/* 1 when r matches in; else 0 and, when why is not NULL, the first reason. */
static int ref_match(const awc_rule *r, const regex_t *re, const awc_rule_input *in, char *why,
                     size_t whyn)
{
    const char *d = str_or_empty(in->description), *p = str_or_empty(in->period);
    const char *t = r->match_text;
    static const char *const what[3] = { "customer", "reseller", "service" };
    const awc_ctx *ctx[3] = { &r->customers, &r->resellers, &r->services };
    const char *val[3] = { str_or_empty(in->customer_id), str_or_empty(in->reseller_id),
                           str_or_empty(in->service) };
    const char *verb = NULL;
    size_t tl = strlen(t), dl = strlen(d);

#define NO(...) do { if (why) snprintf(why, whyn, __VA_ARGS__); return 0; } while (0)
    switch (r->match) {
    case AWC_MATCH_EXACT:
        if (!(dl == tl && ci_equal_n(d, t, tl)))
            verb = "equal";
        break;
    case AWC_MATCH_PREFIX:
        if (!(dl >= tl && ci_equal_n(d, t, tl)))
            verb = "start with";
        break;
    case AWC_MATCH_CONTAINS:
        if (!ci_contains(d, t))
            verb = "contain";
        break;
    case AWC_MATCH_REGEX:
        if (regexec(re, d, 0, NULL, 0) != 0)
            verb = "match regex";
        break;
    default:
        break;
    }
    if (verb)
        NO("description does not %s '%.*s%s'", verb, QUOTE_MAX, t, tl > QUOTE_MAX ? "..." : "");

    if (r->period_from[0] || r->period_to[0]) {
        if (!awc_rule_period_valid(p, strlen(p)))
            NO("period '%.*s' is not YYYY-MM", QUOTE_MAX, p);
        if (r->period_from[0] && strcmp(p, r->period_from) < 0)
            NO("period %s before %s", p, r->period_from);
        if (r->period_to[0] && strcmp(p, r->period_to) > 0)
            NO("period %s after %s", p, r->period_to);
    }
    for (int c = 0; c < 3; c++) {
        int in_it = in_list(ctx[c]->items, ctx[c]->n, val[c]);
        if (ctx[c]->mode == AWC_CTX_ONLY && !in_it)
            NO("%s %.*s not in only list", what[c], QUOTE_MAX, shown(val[c]));
        if (ctx[c]->mode == AWC_CTX_EXCEPT && in_it)
            NO("%s %.*s in except list", what[c], QUOTE_MAX, val[c]);
    }
    if (r->n_types && !in_list(r->types, r->n_types, str_or_empty(in->credit_type)))
        NO("type %.*s not in types list", QUOTE_MAX, shown(str_or_empty(in->credit_type)));
    if (r->n_accounts && !in_list(r->accounts, r->n_accounts, str_or_empty(in->account)))
        NO("account %.*s not in accounts list", QUOTE_MAX, shown(str_or_empty(in->account)));
#undef NO
    if (why && whyn)
        why[0] = '\0';
    return 1;
}

const awc_rule *awc_ruleset_choose_scan(const awc_ruleset *rs, const awc_rule_input *in)
{
    const awc_rule *best = NULL;
    if (!rs)
        return NULL;
    for (size_t i = 0; i < rs->n; i++) {
        const awc_rule *r = &rs->rules[i];
        if (ref_match(r, rs->ir[rs->rank_of[i]].re, in, NULL, 0) &&
            (!best || awc_rule_precedence(r, best, NULL) < 0))
            best = r;
    }
    return best;
}

int awc_ruleset_explain(const awc_ruleset *rs, const awc_rule_input *in,
                        int (*fn)(void *arg, const awc_rule_verdict *v), void *arg)
{
    const awc_rule *winner = awc_ruleset_choose_scan(rs, in);
    char why[WHY_MAX];

    for (size_t i = 0; rs && i < rs->n; i++) {
        awc_rule_verdict v;
        const awc_rule *r = &rs->rules[i];
        int rc;

        memset(&v, 0, sizeof(v));
        v.rule = r;
        v.matched = ref_match(r, rs->ir[rs->rank_of[i]].re, in, why, sizeof(why));
        v.why_not = v.matched ? "" : why;
        v.winner = r == winner;
        if (v.matched && !v.winner)
            (void)awc_rule_precedence(r, winner, &v.lost_at_step);
        if ((rc = fn(arg, &v)) != 0)
            return rc;
    }
    return 0;
}
