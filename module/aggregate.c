/* aggregate.c -- fold credit rows into credits by natural key. */
#include <stdio.h>
#include <string.h>

#include "aggregate.h"
#include "awc.h"
#include "date.h"

#define ARENA_CHUNK (64 * 1024)
#define KEY_CHARS_MAX 255          /* credits.credit_key is VARCHAR(255) */
#define DESC_CHARS_MAX 1024        /* credits.description is VARCHAR(1024) */
#define CODE_CHARS_MAX 128

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

struct awc_agg {
    awc_credit_draft *items;
    uint64_t *hashes;
    size_t n, cap;
    uint32_t *slots;               /* index + 1; 0 = empty */
    size_t nslots;                 /* power of two */
    chunk *arena;
};

int awc_agg_new(awc_agg **out)
{
    awc_agg *a = awc_calloc(1, sizeof(*a));
    if (!a)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    *out = a;
    return 0;
}

void awc_agg_free(awc_agg *a)
{
    if (!a)
        return;
    while (a->arena) {
        chunk *next = a->arena->next;
        awc_free(a->arena);
        a->arena = next;
    }
    awc_free(a->items);
    awc_free(a->hashes);
    awc_free(a->slots);
    awc_free(a);
}

static char *arena_copy(awc_agg *a, const char *s, size_t n)
{
    chunk *c = a->arena;
    char *p;

    if (!c || c->cap - c->used < n + 1) {
        size_t cap = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
        c = awc_malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = a->arena;
        c->used = 0;
        c->cap = cap;
        a->arena = c;
    }
    p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->used += n + 1;
    return p;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h * 1099511628211ULL; /* a separator between fields */
}

static uint64_t key_hash(const char *payer, const char *account, const char *key, size_t keylen,
                         const char *product, size_t prodlen, const char *currency)
{
    uint64_t h = 14695981039346656037ULL;
    h = fnv(h, payer, strlen(payer));
    h = fnv(h, account, strlen(account));
    h = fnv(h, key, keylen);
    h = fnv(h, product, prodlen);
    return fnv(h, currency, strlen(currency));
}

static int same_key(const awc_credit_draft *d, const char *payer, const char *account,
                    const char *key, size_t keylen, const char *product, size_t prodlen,
                    const char *currency)
{
    return strcmp(d->payer_account_id, payer) == 0 &&
           strcmp(d->usage_account_id, account) == 0 && strcmp(d->currency, currency) == 0 &&
           strlen(d->credit_key) == keylen && memcmp(d->credit_key, key, keylen) == 0 &&
           strlen(d->product_code) == prodlen && memcmp(d->product_code, product, prodlen) == 0;
}

static int grow(awc_agg *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        awc_credit_draft *items = awc_realloc(a->items, cap * sizeof(*items));
        if (!items)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        a->items = items;
        uint64_t *hashes = awc_realloc(a->hashes, cap * sizeof(*hashes));
        if (!hashes)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        a->hashes = hashes;
        a->cap = cap;
    }
    if ((a->n + 1) * 2 > a->nslots) {
        size_t nslots = a->nslots ? a->nslots * 2 : 1024;
        uint32_t *slots = awc_calloc(nslots, sizeof(*slots));
        if (!slots)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        for (size_t i = 0; i < a->n; i++) {
            size_t s = (size_t)a->hashes[i] & (nslots - 1);
            while (slots[s])
                s = (s + 1) & (nslots - 1);
            slots[s] = (uint32_t)(i + 1);
        }
        awc_free(a->slots);
        a->slots = slots;
        a->nslots = nslots;
    }
    return 0;
}

/* Index of the draft with this key, or -1; *slot_out = where it would go. */
static long lookup(const awc_agg *a, uint64_t h, const char *payer, const char *account,
                   const char *key, size_t keylen, const char *product, size_t prodlen,
                   const char *currency, size_t *slot_out)
{
    size_t s;
    if (!a->nslots)
        return -1;
    s = (size_t)h & (a->nslots - 1);
    while (a->slots[s]) {
        size_t i = a->slots[s] - 1;
        if (a->hashes[i] == h &&
            same_key(&a->items[i], payer, account, key, keylen, product, prodlen, currency))
            return (long)i;
        s = (s + 1) & (a->nslots - 1);
    }
    if (slot_out)
        *slot_out = s;
    return -1;
}

/* Bytes of the first max_chars UTF-8 characters of s[0..n). */
static size_t utf8_prefix(const char *s, size_t n, size_t max_chars, size_t *chars)
{
    size_t i, c = 0;
    for (i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == max_chars)
                break;
            c++;
        }
    }
    if (chars)
        *chars = c;
    return i;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c;
    utf8_prefix(s, n, (size_t)-1, &c);
    return c;
}

/* The credit key, shortened to fit its column: a key longer than 255
 * characters keeps its first 237 and a 64-bit hash of the whole. */
static int make_key(char *out, size_t outsz, const char *desc, size_t n, const char *file,
                    unsigned long long line)
{
    int len = awc_cur_credit_key(out, outsz, desc, n);
    uint64_t h;
    size_t cut;

    if (len < 0)
        return awc_error_set(AWC_EBADINPUT, "%s:%llu: description too long for a credit key",
                             file, line);
    if (utf8_chars(out, (size_t)len) <= KEY_CHARS_MAX)
        return len;
    h = fnv(14695981039346656037ULL, out, (size_t)len);
    cut = utf8_prefix(out, (size_t)len, KEY_CHARS_MAX - 18, NULL);
    snprintf(out + cut, outsz - cut, " #%016llx", (unsigned long long)h);
    return (int)strlen(out);
}

static void keep_first(awc_agg *a, const char **field, const char *p, size_t n, int *oom)
{
    if ((!*field || !**field) && n) {
        *field = arena_copy(a, p, n);
        if (!*field)
            *oom = 1;
    } else if (!*field) {
        *field = "";
    }
}

static void copy12(char *dst, const char *p, size_t n)
{
    if (n > AWC_ACCOUNT_LEN)
        n = AWC_ACCOUNT_LEN;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* One input to fold: a CUR row, or an already aggregated Athena row. */
typedef struct piece {
    const char *period, *currency;
    const char *payer, *account;
    size_t payer_n, account_n;
    const char *desc, *prod, *billing, *legal, *invoice;
    size_t desc_n, prod_n, billing_n, legal_n, invoice_n;
    const char *first, *last;      /* YYYY-MM-DD */
    awc_amount amount;
    int64_t lines;
    const char *file;
    unsigned long long line;
} piece;

static int fold(awc_agg *a, const piece *in)
{
    char key[AWC_KEY_MAX * 4 + 64], payer[AWC_ACCOUNT_LEN + 1], account[AWC_ACCOUNT_LEN + 1];
    awc_credit_draft *d;
    size_t slot = 0;
    uint64_t h;
    long i;
    int keylen, oom = 0, rc;

    if ((keylen = make_key(key, sizeof(key), in->desc, in->desc_n, in->file, in->line)) < 0)
        return keylen;
    if (utf8_chars(in->prod, in->prod_n) > CODE_CHARS_MAX)
        return awc_error_set(AWC_EBADINPUT, "%s:%llu: product code longer than %d characters",
                             in->file, in->line, CODE_CHARS_MAX);
    if (utf8_chars(in->billing, in->billing_n) > CODE_CHARS_MAX ||
        utf8_chars(in->invoice, in->invoice_n) > CODE_CHARS_MAX ||
        utf8_chars(in->legal, in->legal_n) > 2 * CODE_CHARS_MAX)
        return awc_error_set(AWC_EBADINPUT, "%s:%llu: billing entity or invoice id longer than "
                             "%d characters, or legal entity longer than %d",
                             in->file, in->line, CODE_CHARS_MAX, 2 * CODE_CHARS_MAX);
    copy12(payer, in->payer, in->payer_n);
    copy12(account, in->account, in->account_n);
    h = key_hash(payer, account, key, (size_t)keylen, in->prod, in->prod_n, in->currency);
    i = lookup(a, h, payer, account, key, (size_t)keylen, in->prod, in->prod_n, in->currency,
               &slot);
    if (i < 0) {
        if ((rc = grow(a)) != 0)
            return rc;
        /* the table may have been rebuilt: find the free slot again */
        lookup(a, h, payer, account, key, (size_t)keylen, in->prod, in->prod_n, in->currency,
               &slot);
        d = &a->items[a->n];
        memset(d, 0, sizeof(*d));
        snprintf(d->period, sizeof(d->period), "%s", in->period);
        memcpy(d->payer_account_id, payer, sizeof(payer));
        memcpy(d->usage_account_id, account, sizeof(account));
        snprintf(d->currency, sizeof(d->currency), "%s", in->currency);
        d->credit_key = arena_copy(a, key, (size_t)keylen);
        d->product_code = arena_copy(a, in->prod, in->prod_n);
        d->description = arena_copy(a, in->desc, utf8_prefix(in->desc, in->desc_n,
                                                             DESC_CHARS_MAX, NULL));
        if (!d->credit_key || !d->product_code || !d->description)
            return awc_error_set(AWC_ENOMEM, "out of memory");
        snprintf(d->credit_type, sizeof(d->credit_type), "%s",
                 awc_cur_credit_type(in->desc, in->desc_n));
        snprintf(d->first_usage, sizeof(d->first_usage), "%s", in->first);
        snprintf(d->last_usage, sizeof(d->last_usage), "%s", in->last);
        a->hashes[a->n] = h;
        a->slots[slot] = (uint32_t)(a->n + 1);
        a->n++;
    } else {
        d = &a->items[i];
        if (strcmp(in->first, d->first_usage) < 0)
            snprintf(d->first_usage, sizeof(d->first_usage), "%s", in->first);
        if (strcmp(in->last, d->last_usage) > 0)
            snprintf(d->last_usage, sizeof(d->last_usage), "%s", in->last);
    }
    if (awc_money_add(&d->amount, d->amount, in->amount) != 0)
        return awc_error_set(AWC_EOVERFLOW, "%s:%llu: the credit's sum overflows", in->file,
                             in->line);
    d->line_count += in->lines;
    keep_first(a, &d->billing_entity, in->billing, in->billing_n, &oom);
    keep_first(a, &d->legal_entity, in->legal, in->legal_n, &oom);
    keep_first(a, &d->invoice_id, in->invoice, in->invoice_n, &oom);
    return oom ? awc_error_set(AWC_ENOMEM, "out of memory") : 0;
}

int awc_agg_add(void *agg, const awc_cur_row *row)
{
    const awc_cur_view *f = row->f;
    piece in = {
        row->period, row->currency,
        f[AWC_CUR_PAYER].p, f[AWC_CUR_ACCOUNT].p, f[AWC_CUR_PAYER].n, f[AWC_CUR_ACCOUNT].n,
        f[AWC_CUR_DESCRIPTION].p, f[AWC_CUR_PRODUCT].p, f[AWC_CUR_BILLING_ENTITY].p,
        f[AWC_CUR_LEGAL_ENTITY].p, f[AWC_CUR_INVOICE_ID].p,
        f[AWC_CUR_DESCRIPTION].n, f[AWC_CUR_PRODUCT].n, f[AWC_CUR_BILLING_ENTITY].n,
        f[AWC_CUR_LEGAL_ENTITY].n, f[AWC_CUR_INVOICE_ID].n,
        row->usage_date, row->usage_date, row->amount, 1, row->file,
        (unsigned long long)row->line,
    };
    return fold(agg, &in);
}

int awc_agg_add_summary(awc_agg *a, const awc_agg_summary *s)
{
    piece in = {
        s->period, s->currency, s->payer_account_id, s->usage_account_id,
        strlen(s->payer_account_id), strlen(s->usage_account_id),
        s->description, s->product_code, s->billing_entity, s->legal_entity, s->invoice_id,
        strlen(s->description), strlen(s->product_code), strlen(s->billing_entity),
        strlen(s->legal_entity), strlen(s->invoice_id),
        s->first_usage, s->last_usage, s->amount, s->line_count, s->source, s->row,
    };
    if (s->line_count < 1 || !s->first_usage[0] || !s->last_usage[0])
        return awc_error_set(AWC_EBADINPUT, "%s: row %llu: no lines or usage dates", s->source,
                             s->row);
    return fold(a, &in);
}

int awc_agg_finish(awc_agg *a)
{
    for (size_t i = 0; i < a->n; i++) {
        awc_credit_draft *d = &a->items[i];
        if (d->first_usage[0] && awc_date_add(d->issue_date, d->first_usage, -1) != 0)
            return awc_error_prefix(AWC_EBADINPUT, "credit usage date");
    }
    return 0;
}

size_t awc_agg_count(const awc_agg *a)
{
    return a->n;
}

awc_credit_draft *awc_agg_items(awc_agg *a)
{
    return a->items;
}

awc_credit_draft *awc_agg_find(awc_agg *a, const char *payer, const char *account,
                               const char *credit_key, const char *product, const char *currency)
{
    size_t kl = strlen(credit_key), pl = strlen(product);
    uint64_t h = key_hash(payer, account, credit_key, kl, product, pl, currency);
    long i = lookup(a, h, payer, account, credit_key, kl, product, pl, currency, NULL);
    return i < 0 ? NULL : &a->items[i];
}
