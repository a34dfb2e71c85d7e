/*
 * store_mariadb_users.c -- the users of the web console and API, and their
 * API tokens (sql/migrations/011_users.sql).  The store keeps hashes only:
 * an argon2id text for a password, a SHA-256 for a token's secret; it
 * never sees a password or a secret.
 */
#include <string.h>

#include <mysqld_error.h>

#include "awc.h"
#include "mdb.h"

typedef struct user_ctx {
    const char *name, *reseller_id, *hash;
    int role;
    int64_t disable;               /* -1: keep */
    int (*fn)(void *, const awc_user *);
    void *arg;
    uint64_t delivered;
} user_ctx;

static int do_user_add(mdb *st, void *arg)
{
    user_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->name);
    mdb_p_str(&p, mdb_role_name(x->role));
    mdb_p_str(&p, x->reseller_id);
    mdb_p_str(&p, x->hash);
    rc = mdb_exec(st, Q_USER_ADD, &p);
    if (rc != 0 && st->last_errno == ER_DUP_ENTRY)
        return awc_error_set(AWC_EBADINPUT, "user %s exists already", x->name);
    return rc;
}

int mdb_user_add(awc_store *s, const char *name, int role, const char *reseller_id,
                 const char *hash)
{
    user_ctx x = { name, reseller_id, hash, role, -1, NULL, NULL, 0 };
    return mdb_tx((mdb *)s, do_user_add, &x);
}

static int do_user_set(mdb *st, void *arg)
{
    user_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->hash);
    mdb_p_str(&p, x->hash);
    mdb_p_i64(&p, &x->disable);
    mdb_p_i64(&p, &x->disable);
    mdb_p_str(&p, x->name);
    if ((rc = mdb_exec(st, Q_USER_SET, &p)) != 0)
        return rc;
    /* CLIENT_FOUND_ROWS is not set: a row that matched but did not change
     * counts 0, so look the name up before calling it unknown */
    if (mdb_affected(st, Q_USER_SET) == 0) {
        mdb_result r;
        int64_t one = 0;
        mdb_p_init(&p);
        mdb_p_str(&p, x->name);
        mdb_r_init(&r);
        mdb_r_i64(&r, &one);
        rc = mdb_one_row(st, Q_USER_GET, &p, &r);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return awc_error_set(AWC_ENOTFOUND, "no user %s", x->name);
    }
    if (x->disable == 1 || x->hash) {
        /* a disabled user or a new password ends every session; a
         * disabled user's tokens stop working too (checked at use) */
        mdb_p_init(&p);
        mdb_p_str(&p, x->name);
        rc = mdb_exec(st, Q_SESSIONS_END, &p);
    }
    return rc < 0 ? rc : 0;
}

int mdb_user_set(awc_store *s, const char *name, const char *hash, int disable)
{
    user_ctx x = { name, NULL, hash, 0, disable, NULL, NULL, 0 };
    return mdb_tx((mdb *)s, do_user_set, &x);
}

static int do_users(mdb *st, void *arg)
{
    user_ctx *x = arg;
    awc_user u;
    char role[16];
    int64_t disabled = 0;
    uint64_t row = 0;
    mdb_result r;
    int rc;

    memset(&u, 0, sizeof(u));
    if ((rc = mdb_exec(st, Q_USERS, NULL)) == 0) {
        mdb_r_init(&r);
        mdb_r_str(&r, u.name, sizeof(u.name));
        mdb_r_str(&r, role, sizeof(role));
        mdb_r_str(&r, u.reseller_id, sizeof(u.reseller_id));
        mdb_r_i64(&r, &disabled);
        mdb_r_str(&r, u.created_at, sizeof(u.created_at));
        mdb_r_str(&r, u.last_login_at, sizeof(u.last_login_at));
        mdb_r_i64(&r, &u.tokens);
        rc = mdb_bind_result(st, Q_USERS, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_USERS, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue;
        x->delivered++;
        u.role = mdb_role_parse(role);
        u.disabled = disabled != 0;
        if ((rc = x->fn(x->arg, &u)) != 0)
            break;
    }
    mdb_done(st, Q_USERS);
    return rc < 0 ? rc : 0;
}

int mdb_users_each(awc_store *s, int (*fn)(void *, const awc_user *), void *arg)
{
    user_ctx x = { NULL, NULL, NULL, 0, -1, fn, arg, 0 };
    return mdb_tx((mdb *)s, do_users, &x);
}

typedef struct token_ctx {
    const char *id, *user, *label;
    const uint8_t *hash;
} token_ctx;

static int do_token_add(mdb *st, void *arg)
{
    token_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->id);
    mdb_p_str(&p, x->label ? x->label : "");
    mdb_p_bytes(&p, x->hash, 32);
    mdb_p_str(&p, x->user);
    if ((rc = mdb_exec(st, Q_TOKEN_ADD, &p)) != 0)
        return rc;
    if (mdb_affected(st, Q_TOKEN_ADD) == 0)
        return awc_error_set(AWC_ENOTFOUND, "no user %s who may sign in (unknown or disabled)",
                             x->user);
    return 0;
}

int mdb_token_add(awc_store *s, const char *id, const char *user, const char *label,
                  const uint8_t hash[32])
{
    token_ctx x = { id, user, label, hash };
    return mdb_tx((mdb *)s, do_token_add, &x);
}

static int do_token_revoke(mdb *st, void *arg)
{
    token_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->id);
    if ((rc = mdb_exec(st, Q_TOKEN_REVOKE, &p)) != 0)
        return rc;
    if (mdb_affected(st, Q_TOKEN_REVOKE) == 0)
        return awc_error_set(AWC_ENOTFOUND, "no live token %s", x->id);
    return 0;
}

int mdb_token_revoke(awc_store *s, const char *id)
{
    token_ctx x = { id, NULL, NULL, NULL };
    return mdb_tx((mdb *)s, do_token_revoke, &x);
}

/* ---- sign-in, sessions and tokens (SPEC 15) ------------------------------------------ */

/* A session's last_seen_at is written at most once a minute: a request
 * then costs one read, not a read and a write. */
#define SEEN_EVERY_S 60

typedef struct auth_ctx {
    const char *name, *client, *csrf, *id;
    const uint8_t *hash;
    int64_t window_s, idle_s, max_s, ok;
    awc_user *u;
    char *out, *csrf_out;          /* password hash, csrf token (44 bytes) */
    size_t outsz;
    uint8_t *hash_out;             /* token secret hash (32 bytes) */
    int64_t counts[4];             /* by name, by client, wait by name, wait by client */
} auth_ctx;

static int user_row(mdb_result *r, awc_user *u, char *role, int64_t *disabled)
{
    mdb_r_str(r, u->name, sizeof(u->name));
    mdb_r_str(r, role, 16);
    mdb_r_str(r, u->reseller_id, sizeof(u->reseller_id));
    if (disabled)
        mdb_r_i64(r, disabled);
    return 0;
}

static int do_auth_user(mdb *st, void *arg)
{
    auth_ctx *x = arg;
    char role[16];
    int64_t disabled = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->name);
    mdb_r_init(&r);
    user_row(&r, x->u, role, &disabled);
    mdb_r_str(&r, x->out, x->outsz);
    if ((rc = mdb_one_row(st, Q_AUTH_USER, &p, &r)) < 0)
        return rc;
    if (rc == 0)
        return AWC_ENOTFOUND;      /* no message: the caller answers alike */
    x->u->role = mdb_role_parse(role);
    x->u->disabled = disabled != 0;
    return 0;
}

int mdb_auth_user(awc_store *s, const char *name, awc_user *u, char *hash, size_t n)
{
    auth_ctx x;

    memset(&x, 0, sizeof(x));
    memset(u, 0, sizeof(*u));
    x.name = name;
    x.u = u;
    x.out = hash;
    x.outsz = n;
    return mdb_tx((mdb *)s, do_auth_user, &x);
}

static int do_auth_failures(mdb *st, void *arg)
{
    auth_ctx *x = arg;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->name);
    mdb_p_str(&p, x->client);
    mdb_p_i64(&p, &x->window_s);
    mdb_p_str(&p, x->name);
    mdb_p_i64(&p, &x->window_s);
    mdb_p_str(&p, x->client);
    mdb_p_str(&p, x->name);
    mdb_p_str(&p, x->client);
    mdb_p_i64(&p, &x->window_s);
    mdb_r_init(&r);
    for (int i = 0; i < 4; i++)
        mdb_r_i64(&r, &x->counts[i]);
    rc = mdb_one_row(st, Q_AUTH_FAILS, &p, &r);
    return rc < 0 ? rc : 0;
}

int mdb_auth_failures(awc_store *s, const char *name, const char *client, int window_s,
                      int64_t out[4])
{
    auth_ctx x;
    int rc;

    memset(&x, 0, sizeof(x));
    x.name = name;
    x.client = client;
    x.window_s = window_s;
    rc = mdb_tx((mdb *)s, do_auth_failures, &x);
    memcpy(out, x.counts, sizeof(x.counts));
    return rc;
}

static int do_auth_record(mdb *st, void *arg)
{
    auth_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    if (!x->ok) {
        mdb_p_i64(&p, &x->window_s);
        if ((rc = mdb_exec(st, Q_AUTH_FAIL_EXPIRE, &p)) != 0)
            return rc;
        mdb_p_init(&p);
        mdb_p_str(&p, x->name);
        mdb_p_str(&p, x->client);
        return mdb_exec(st, Q_AUTH_FAIL_ADD, &p);
    }
    mdb_p_str(&p, x->name);
    if ((rc = mdb_exec(st, Q_AUTH_FAIL_CLEAR, &p)) != 0 ||
        (rc = mdb_exec(st, Q_AUTH_LOGIN, &p)) != 0)
        return rc;
    /* every sign-in sweeps the sessions that have expired */
    mdb_p_init(&p);
    mdb_p_i64(&p, &x->idle_s);
    mdb_p_i64(&p, &x->max_s);
    if ((rc = mdb_exec(st, Q_SESSIONS_EXPIRE, &p)) != 0)
        return rc;
    mdb_p_init(&p);
    mdb_p_bytes(&p, x->hash, 32);
    mdb_p_str(&p, x->name);
    mdb_p_str(&p, x->csrf);
    return mdb_exec(st, Q_SESSION_ADD, &p);
}

int mdb_auth_failed(awc_store *s, const char *name, const char *client, int window_s)
{
    auth_ctx x;

    memset(&x, 0, sizeof(x));
    x.name = name;
    x.client = client;
    x.window_s = window_s;
    return mdb_tx((mdb *)s, do_auth_record, &x);
}

int mdb_session_add(awc_store *s, const char *name, const uint8_t hash[32], const char *csrf,
                    int idle_s, int max_s)
{
    auth_ctx x;

    memset(&x, 0, sizeof(x));
    x.ok = 1;
    x.name = name;
    x.hash = hash;
    x.csrf = csrf;
    x.idle_s = idle_s;
    x.max_s = max_s;
    return mdb_tx((mdb *)s, do_auth_record, &x);
}

static int do_session_get(mdb *st, void *arg)
{
    auth_ctx *x = arg;
    char role[16];
    int64_t idle = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_bytes(&p, x->hash, 32);
    mdb_p_i64(&p, &x->idle_s);
    mdb_p_i64(&p, &x->max_s);
    mdb_r_init(&r);
    user_row(&r, x->u, role, NULL);
    mdb_r_str(&r, x->csrf_out, 44);
    mdb_r_i64(&r, &idle);
    if ((rc = mdb_one_row(st, Q_SESSION_GET, &p, &r)) < 0)
        return rc;
    if (rc == 0)
        return AWC_ENOTFOUND;
    x->u->role = mdb_role_parse(role);
    if (idle >= SEEN_EVERY_S) {
        mdb_p_init(&p);
        mdb_p_bytes(&p, x->hash, 32);
        return mdb_exec(st, Q_SESSION_SEEN, &p);
    }
    return 0;
}

int mdb_session_get(awc_store *s, const uint8_t hash[32], int idle_s, int max_s, awc_user *u,
                    char csrf[44])
{
    auth_ctx x;

    memset(&x, 0, sizeof(x));
    memset(u, 0, sizeof(*u));
    x.hash = hash;
    x.idle_s = idle_s;
    x.max_s = max_s;
    x.u = u;
    x.csrf_out = csrf;
    return mdb_tx((mdb *)s, do_session_get, &x);
}

static int do_session_end(mdb *st, void *arg)
{
    mdb_params p;

    mdb_p_init(&p);
    mdb_p_bytes(&p, ((auth_ctx *)arg)->hash, 32);
    return mdb_exec(st, Q_SESSION_DEL, &p);
}

int mdb_session_end(awc_store *s, const uint8_t hash[32])
{
    auth_ctx x;

    memset(&x, 0, sizeof(x));
    x.hash = hash;
    return mdb_tx((mdb *)s, do_session_end, &x);
}

static int do_token_get(mdb *st, void *arg)
{
    auth_ctx *x = arg;
    char role[16], secret[33];
    int64_t unused = 0;
    mdb_params p;
    mdb_result r;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->id);
    mdb_r_init(&r);
    user_row(&r, x->u, role, NULL);
    mdb_r_str(&r, secret, sizeof(secret));
    mdb_r_i64(&r, &unused);
    if ((rc = mdb_one_row(st, Q_TOKEN_GET, &p, &r)) < 0)
        return rc;
    if (rc == 0 || r.len[3] != 32)
        return AWC_ENOTFOUND;
    memcpy(x->hash_out, secret, 32);
    x->u->role = mdb_role_parse(role);
    if (unused >= SEEN_EVERY_S) {
        mdb_p_init(&p);
        mdb_p_str(&p, x->id);
        return mdb_exec(st, Q_TOKEN_SEEN, &p);
    }
    return 0;
}

int mdb_token_get(awc_store *s, const char *id, uint8_t hash[32], awc_user *u)
{
    auth_ctx x;

    memset(&x, 0, sizeof(x));
    memset(u, 0, sizeof(*u));
    x.id = id;
    x.hash_out = hash;
    x.u = u;
    return mdb_tx((mdb *)s, do_token_get, &x);
}
