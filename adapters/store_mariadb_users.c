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
