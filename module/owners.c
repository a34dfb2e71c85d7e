/* owners.c -- account -> owner on one day, as an open-addressing table. */
#include <string.h>

#include "awc.h"
#include "owners.h"

typedef struct entry {
    char account[AWC_ACCOUNT_LEN + 1];
    char *customer_id, *asset_id, *reseller_id, *customer_name, *reseller_name;
} entry;

struct awc_owners {
    entry *e;
    size_t n, cap;                 /* cap: power of two, load <= 1/2 */
};

static uint64_t hash12(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (int i = 0; i < AWC_ACCOUNT_LEN && s[i]; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void free_entry(entry *e)
{
    awc_free(e->customer_id);
    awc_free(e->asset_id);
    awc_free(e->reseller_id);
    awc_free(e->customer_name);
    awc_free(e->reseller_name);
}

void awc_owners_free(awc_owners *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->cap; i++)
        if (o->e[i].account[0])
            free_entry(&o->e[i]);
    awc_free(o->e);
    awc_free(o);
}

static entry *slot(entry *tab, size_t cap, const char *account)
{
    size_t i = (size_t)hash12(account) & (cap - 1);
    while (tab[i].account[0] && strcmp(tab[i].account, account) != 0)
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

static int grow(awc_owners *o)
{
    size_t cap = o->cap ? o->cap * 2 : 1024;
    entry *tab = awc_calloc(cap, sizeof(*tab));
    if (!tab)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->cap; i++)
        if (o->e[i].account[0])
            *slot(tab, cap, o->e[i].account) = o->e[i];
    awc_free(o->e);
    o->e = tab;
    o->cap = cap;
    return 0;
}

static int add(void *arg, const awc_account_row *r)
{
    awc_owners *o = arg;
    entry *e;
    int rc;

    if ((o->n + 1) * 2 > o->cap && (rc = grow(o)) != 0)
        return rc;
    e = slot(o->e, o->cap, r->account_id);
    if (e->account[0])
        return 0; /* import refuses overlaps; keep the first */
    memcpy(e->account, r->account_id, sizeof(e->account));
    e->customer_id = awc_strdup(r->customer_id);
    e->asset_id = awc_strdup(r->asset_id);
    e->reseller_id = awc_strdup(r->reseller_id);
    e->customer_name = awc_strdup(r->customer_name ? r->customer_name : "");
    e->reseller_name = awc_strdup(r->reseller_name ? r->reseller_name : "");
    o->n++;
    if (!e->customer_id || !e->asset_id || !e->reseller_id || !e->customer_name ||
        !e->reseller_name)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    return 0;
}

int awc_owners_load(awc_owners **out, awc_store *st, const char *date)
{
    awc_owners *o = awc_calloc(1, sizeof(*o));
    int rc;

    if (!o)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = grow(o)) != 0 || (rc = st->ops->accounts_at(st, date, add, o)) != 0) {
        awc_owners_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

int awc_owners_find(const awc_owners *o, const char *account, awc_owner *out)
{
    const entry *e;
    if (!o->cap || !account[0])
        return 0;
    e = slot(o->e, o->cap, account);
    if (!e->account[0])
        return 0;
    out->customer_id = e->customer_id;
    out->asset_id = e->asset_id;
    out->reseller_id = e->reseller_id;
    out->customer_name = e->customer_name;
    out->reseller_name = e->reseller_name;
    return 1;
}

size_t awc_owners_count(const awc_owners *o)
{
    return o->n;
}
