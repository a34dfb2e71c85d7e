/*
 * store_mariadb_asg.c -- assignment values (006_assignments.sql): the id of
 * a value, adding the value when it is new, and the value of an id, both
 * through a per-connection cache.
 *
 * Rows of assignments never change and are never deleted, so what the
 * cache learns stays true, with one exception: a row this connection added
 * in a transaction that was then rolled back is gone.  mdb_tx() therefore
 * calls mdb_asg_forget() whenever a unit of work does not commit.
 *
 * Reads are first plain reads of the transaction's snapshot, which take no
 * locks: a long assignment must not keep other sessions from adding values.
 * A value committed after the snapshot was taken is invisible to them,
 * though, and the rows that point at it may be read under lock (the
 * current version): when the plain read misses, a locking read (LOCK IN
 * SHARE MODE, which sees the latest committed rows) decides.  Nothing takes
 * exclusive locks on existing rows, so those shared locks never wait.
 */
#include <mysqld_error.h>
#include <string.h>

#include "awc.h"
#include "mdb.h"

typedef struct asg_entry {
    uint64_t id;
    uint64_t hash;
    size_t len;
    char *key; /* owner \0 customer \0 asset \0 reseller \0 rule \0 flag */
} asg_entry;

struct mdb_asg_cache {
    asg_entry *e;
    size_t n, cap;
    uint32_t *by_key, *by_id; /* open addressing: entry index + 1, 0 = empty */
    size_t slots;             /* a power of two, at least twice n */
    uint64_t max_id;          /* the largest id known */
    uint64_t loaded_max;      /* the largest id when the table was read */
    int loaded;               /* mdb_asg_preload() read the whole table */
};

#define FIELDS 5

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static uint64_t id_hash(uint64_t id)
{
    return id * 0x9E3779B97F4A7C15ULL;
}

static const char *field(const char *s)
{
    return s ? s : "";
}

/* The key of v into buf; its length, or 0 when it does not fit. */
static size_t encode(const mdb_asg *v, char *buf, size_t cap)
{
    const char *f[FIELDS] = { field(v->owner_account_id), field(v->customer_id),
                              field(v->asset_id), field(v->reseller_id), field(v->rule_id) };
    size_t at = 0;

    for (int i = 0; i < FIELDS; i++) {
        size_t n = strlen(f[i]) + 1;
        if (at + n + 1 > cap)
            return 0;
        memcpy(buf + at, f[i], n);
        at += n;
    }
    buf[at++] = (char)('0' + v->flag);
    return at;
}

static void decode(const asg_entry *e, mdb_asg *v)
{
    const char *p = e->key;
    const char **f[FIELDS] = { &v->owner_account_id, &v->customer_id, &v->asset_id,
                               &v->reseller_id, &v->rule_id };

    for (int i = 0; i < FIELDS; i++) {
        *f[i] = p;
        p += strlen(p) + 1;
    }
    v->flag = *p - '0';
}

/* Entry i into the first free slot of each table (slots is a power of two). */
static void place(uint32_t *by_key, uint32_t *by_id, size_t slots, const asg_entry *e,
                  size_t i)
{
    size_t a = e->hash & (slots - 1), b = id_hash(e->id) & (slots - 1);

    while (by_key[a])
        a = (a + 1) & (slots - 1);
    while (by_id[b])
        b = (b + 1) & (slots - 1);
    by_key[a] = by_id[b] = (uint32_t)(i + 1);
}

static int rehash(struct mdb_asg_cache *c, size_t slots)
{
    uint32_t *k = awc_calloc(slots, sizeof(*k)), *d = awc_calloc(slots, sizeof(*d));

    if (!k || !d) {
        awc_free(k);
        awc_free(d);
        return awc_error_set(AWC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->n; i++)
        place(k, d, slots, &c->e[i], i);
    awc_free(c->by_key);
    awc_free(c->by_id);
    c->by_key = k;
    c->by_id = d;
    c->slots = slots;
    return 0;
}

static struct mdb_asg_cache *cache(mdb *st)
{
    if (!st->asg)
        st->asg = awc_calloc(1, sizeof(*st->asg));
    return st->asg;
}

static const asg_entry *find_key(const struct mdb_asg_cache *c, const char *key, size_t len,
                                 uint64_t h)
{
    if (!c->slots)
        return NULL;
    for (size_t i = h & (c->slots - 1); c->by_key[i]; i = (i + 1) & (c->slots - 1)) {
        const asg_entry *e = &c->e[c->by_key[i] - 1];
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
    return NULL;
}

static const asg_entry *find_id(const struct mdb_asg_cache *c, uint64_t id)
{
    if (!c->slots)
        return NULL;
    for (size_t i = id_hash(id) & (c->slots - 1); c->by_id[i]; i = (i + 1) & (c->slots - 1))
        if (c->e[c->by_id[i] - 1].id == id)
            return &c->e[c->by_id[i] - 1];
    return NULL;
}

/* Learn that id is the value whose key is key[0..len); *out (may be NULL)
 * is its entry.  0 or an error. */
static int remember(struct mdb_asg_cache *c, uint64_t id, const char *key, size_t len,
                    const asg_entry **out)
{
    asg_entry *e;
    int rc;

    if (c->n == UINT32_MAX - 1)
        return awc_error_set(AWC_EOVERFLOW, "too many assignment values");
    if (!(e = awc_grow(c->e, &c->cap, c->n, sizeof(*e), 256)))
        return AWC_ENOMEM;
    c->e = e;
    if ((c->n + 1) * 2 > c->slots && (rc = rehash(c, c->slots ? c->slots * 2 : 512)) != 0)
        return rc;
    e = &c->e[c->n];
    if (!(e->key = awc_malloc(len)))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    memcpy(e->key, key, len);
    e->len = len;
    e->id = id;
    e->hash = fnv(key, len);
    c->max_id = id > c->max_id ? id : c->max_id;
    place(c->by_key, c->by_id, c->slots, e, c->n++);
    if (out)
        *out = e;
    return 0;
}

/* Result buffers for one row of assignments read by id or in full. */
typedef struct asg_row {
    char f[FIELDS][AWC_CODE_MAX * 4 + 1];
    int64_t unmapped;
} asg_row;

static void bind_row(mdb_result *r, asg_row *row)
{
    for (int i = 0; i < FIELDS; i++)
        mdb_r_str(r, row->f[i], sizeof(row->f[i]));
    mdb_r_i64(r, &row->unmapped);
}

/* Learn a row read from the table under its id. */
static int remember_row(struct mdb_asg_cache *c, uint64_t id, const asg_row *row,
                        const asg_entry **out)
{
    mdb_asg v = { row->f[0], row->f[1], row->f[2], row->f[3], row->f[4], (int)row->unmapped };
    char key[sizeof(row->f) + 2];
    size_t len = encode(&v, key, sizeof(key));

    if (!len)
        return awc_error_set(AWC_EDB, "database: assignment %llu does not fit",
                             (unsigned long long)id);
    return remember(c, id, key, len, out);
}

static void bind_value(mdb_params *p, const mdb_asg *v, const int64_t *unmapped)
{
    mdb_p_init(p);
    mdb_p_str(p, field(v->owner_account_id));
    mdb_p_str(p, field(v->customer_id));
    mdb_p_str(p, field(v->asset_id));
    mdb_p_str(p, field(v->reseller_id));
    mdb_p_str(p, field(v->rule_id));
    mdb_p_i64(p, unmapped);
}

/* The id of v in the table by statement q: 1 = found, 0 = not there,
 * < 0 = error. */
static int lookup(mdb *st, enum mdb_sql q, const mdb_asg *v, uint64_t *id)
{
    int64_t unmapped = v->flag;
    mdb_params p;
    mdb_result r;

    bind_value(&p, v, &unmapped);
    mdb_r_init(&r);
    mdb_r_u64(&r, id);
    return mdb_one_row(st, q, &p, &r);
}

int mdb_asg_id(mdb *st, const mdb_asg *v, uint64_t *id)
{
    struct mdb_asg_cache *c = cache(st);
    char key[(AWC_CODE_MAX * 4 + 1) * FIELDS + 2];
    size_t len = encode(v, key, sizeof(key));
    int64_t unmapped = v->flag;
    const asg_entry *e;
    mdb_params p;
    int rc;

    if (!c)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if (!len)
        return awc_error_set(AWC_EBADINPUT, "assignment: an id is too long");
    if ((e = find_key(c, key, len, fnv(key, len))) != NULL) {
        *id = e->id;
        return 0;
    }
    /* after a preload a miss is a new value (or one added since: the
     * insert then finds it as a duplicate) */
    rc = c->loaded ? 0 : lookup(st, Q_ASG_FIND, v, id);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        bind_value(&p, v, &unmapped);
        if (mdb_exec(st, Q_ASG_ADD, &p) == 0)
            *id = mysql_stmt_insert_id(st->stmt[Q_ASG_ADD]);
        else if (st->last_errno != ER_DUP_ENTRY)
            return AWC_EDB;
        /* another session added it after this transaction's snapshot */
        else if ((rc = lookup(st, Q_ASG_FIND_LOCKED, v, id)) <= 0)
            return rc < 0 ? rc : awc_error_set(AWC_EDB, "assignment value vanished");
    }
    return remember(c, *id, key, len, NULL);
}

/* Learn every row statement q (parameters p, may be NULL) reads: id and
 * value, in that order.  0 or an error. */
static int learn_rows(mdb *st, struct mdb_asg_cache *c, enum mdb_sql q, mdb_params *p)
{
    uint64_t id = 0;
    mdb_result r;
    asg_row row;
    int rc;

    if ((rc = mdb_exec(st, q, p)) != 0)
        return rc;
    mdb_r_init(&r);
    mdb_r_u64(&r, &id);
    bind_row(&r, &row);
    if ((rc = mdb_bind_result(st, q, &r)) != 0)
        return rc;
    while ((rc = mdb_fetch(st, q, &r)) == 1)
        if (!find_id(c, id) && (rc = remember_row(c, id, &row, NULL)) != 0)
            break;
    mdb_done(st, q);
    return rc;
}

int mdb_asg_preload(mdb *st)
{
    struct mdb_asg_cache *c = cache(st);
    int rc;

    if (!c)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if (c->loaded)
        return 0;
    if ((rc = learn_rows(st, c, Q_ASG_ALL, NULL)) == 0) {
        c->loaded = 1;
        c->loaded_max = c->max_id;
    }
    return rc;
}

static int same_value(const mdb_asg *a, const mdb_asg *b)
{
    return a->flag == b->flag &&
           strcmp(field(a->owner_account_id), field(b->owner_account_id)) == 0 &&
           strcmp(field(a->customer_id), field(b->customer_id)) == 0 &&
           strcmp(field(a->asset_id), field(b->asset_id)) == 0 &&
           strcmp(field(a->reseller_id), field(b->reseller_id)) == 0 &&
           strcmp(field(a->rule_id), field(b->rule_id)) == 0;
}

/* Insert the values of b in one statement and learn the rows it added.
 * When one of them is there already (another session added it after the
 * snapshot), the statement is undone, *dup set, and what other sessions
 * committed since the table was read is learnt instead (a locking read,
 * which sees it; from the read's largest id, since another session's row
 * may have an id below those this one added since). */
static int insert_new(mdb *st, struct mdb_asg_cache *c, mdb_batch *b, int *dup)
{
    uint64_t since = c->max_id;
    mdb_params p;
    int rc;

    *dup = 0;
    if ((rc = mdb_query(st, "SAVEPOINT awc_asg_add")) != 0)
        return rc;
    if (mdb_batch_exec(st, Q_ASG_ADD, b) != 0) {
        if (st->last_errno != ER_DUP_ENTRY)
            return AWC_EDB;
        awc_error_clear(); /* handled: by the caller */
        *dup = 1;
        if ((rc = mdb_query(st, "ROLLBACK TO SAVEPOINT awc_asg_add")) != 0)
            return rc;
        since = c->loaded_max;
        mdb_p_init(&p);
        mdb_p_u64(&p, &since);
        return learn_rows(st, c, Q_ASG_SINCE_LOCKED, &p);
    }
    /* rows after the largest id known: this transaction's own, since the
     * snapshot (REPEATABLE READ, the server's default) shows no later rows
     * of other sessions; under READ COMMITTED also rows others committed,
     * which are values all the same */
    mdb_p_init(&p);
    mdb_p_u64(&p, &since);
    return learn_rows(st, c, Q_ASG_SINCE, &p);
}

/* Into b, the values of v[0..n) the cache lacks, each once (set: a table
 * of slots entries, zeroed); ids[i] = the id of those it has. */
static void batch_missing(struct mdb_asg_cache *c, const mdb_asg *v, size_t n, uint64_t *ids,
                          uint32_t *set, size_t slots, mdb_batch *b)
{
    char key[(AWC_CODE_MAX * 4 + 1) * FIELDS + 2];

    for (size_t i = 0; i < n; i++) {
        size_t len = encode(&v[i], key, sizeof(key)), k;
        const asg_entry *e;
        uint64_t h;

        if (!len) /* too long: mdb_asg_id() says so */
            continue;
        h = fnv(key, len);
        if ((e = find_key(c, key, len, h)) != NULL) {
            ids[i] = e->id;
            continue;
        }
        for (k = h & (slots - 1); set[k]; k = (k + 1) & (slots - 1))
            if (same_value(&v[set[k] - 1], &v[i]))
                break;
        if (set[k]) /* new, and met before in v */
            continue;
        set[k] = (uint32_t)(i + 1);
        mdb_batch_str(b, 0, field(v[i].owner_account_id));
        mdb_batch_str(b, 1, field(v[i].customer_id));
        mdb_batch_str(b, 2, field(v[i].asset_id));
        mdb_batch_str(b, 3, field(v[i].reseller_id));
        mdb_batch_str(b, 4, field(v[i].rule_id));
        mdb_batch_num(b, 5, v[i].flag);
        mdb_batch_next_row(b);
    }
}

int mdb_asg_ids(mdb *st, const mdb_asg *v, size_t n, uint64_t *ids)
{
    static const enum mdb_col cols[] = {
        MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_STR, MDB_COL_I64,
    };
    struct mdb_asg_cache *c = cache(st);
    size_t slots = 16;
    uint32_t *set;
    mdb_batch b;
    int rc = 0;

    if (!c)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    memset(ids, 0, n * sizeof(*ids));
    if (!c->loaded || n == 0)
        goto each; /* without a preload a miss may be an old value */
    while (slots < 2 * n)
        slots *= 2;
    if (!(set = awc_calloc(slots, sizeof(*set))))
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((rc = mdb_batch_init(&b, (unsigned)n, 6, cols)) != 0) {
        awc_free(set);
        return rc;
    }
    /* twice at most: when another session added some of them meanwhile,
     * the second round inserts the rest */
    for (int round = 0; round < 2 && rc == 0; round++) {
        int dup = 0;
        memset(set, 0, slots * sizeof(*set));
        batch_missing(c, v, n, ids, set, slots, &b);
        if (b.n)
            rc = insert_new(st, c, &b, &dup);
        b.n = 0;
        if (!dup)
            break;
    }
    mdb_batch_free(&b);
    awc_free(set);
each:
    /* the rest: learnt just now, or left to be added one by one */
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!ids[i])
            rc = mdb_asg_id(st, &v[i], &ids[i]);
    return rc;
}

/* The row with id by statement q: 1 = found, 0 = not there, < 0 = error. */
static int fetch(mdb *st, enum mdb_sql q, uint64_t id, asg_row *row)
{
    mdb_params p;
    mdb_result r;

    mdb_p_init(&p);
    mdb_p_u64(&p, &id);
    mdb_r_init(&r);
    bind_row(&r, row);
    return mdb_one_row(st, q, &p, &r);
}

int mdb_asg_get(mdb *st, uint64_t id, mdb_asg *out)
{
    struct mdb_asg_cache *c = cache(st);
    const asg_entry *e;
    asg_row row;
    int rc;

    if (!c)
        return awc_error_set(AWC_ENOMEM, "out of memory");
    if ((e = find_id(c, id)) == NULL) {
        /* a value committed after this transaction's snapshot */
        if ((rc = fetch(st, Q_ASG_GET, id, &row)) == 0)
            rc = fetch(st, Q_ASG_GET_LOCKED, id, &row);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return awc_error_set(AWC_EDB, "database: no assignment %llu",
                                 (unsigned long long)id);
        if ((rc = remember_row(c, id, &row, &e)) != 0)
            return rc;
    }
    decode(e, out);
    return 0;
}

void mdb_asg_forget(mdb *st)
{
    struct mdb_asg_cache *c = st->asg;

    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        awc_free(c->e[i].key);
    awc_free(c->e);
    awc_free(c->by_key);
    awc_free(c->by_id);
    memset(c, 0, sizeof(*c));
}

void mdb_asg_free(mdb *st)
{
    mdb_asg_forget(st);
    awc_free(st->asg);
    st->asg = NULL;
}
