/*
 * store_mariadb_currency.c -- the minor units a distributor set for
 * currency codes without an ISO 4217 one (sql/migrations/010): one audited
 * row per code, set once.
 */
#include <string.h>

#include <mysqld_error.h>

#include "awc.h"
#include "mdb.h"

typedef struct units_ctx {
    int (*fn)(void *arg, const char *code, int exponent);
    void *arg;
    uint64_t delivered;            /* rows already given to fn (a retried unit skips them) */
} units_ctx;

static int do_units(mdb *st, void *arg)
{
    units_ctx *x = arg;
    char code[8];
    int64_t e = 0;
    uint64_t row = 0;
    mdb_result r;
    int rc;

    if ((rc = mdb_exec(st, Q_CURRENCY_UNITS, NULL)) == 0) {
        mdb_r_init(&r);
        mdb_r_str(&r, code, sizeof(code));
        mdb_r_i64(&r, &e);
        rc = mdb_bind_result(st, Q_CURRENCY_UNITS, &r);
    }
    while (rc == 0 && (rc = mdb_fetch(st, Q_CURRENCY_UNITS, &r)) == 1) {
        rc = 0;
        if (row++ < x->delivered)
            continue;
        x->delivered++;
        if ((rc = x->fn(x->arg, code, (int)e)) != 0)
            break;
    }
    mdb_done(st, Q_CURRENCY_UNITS);
    return rc < 0 ? rc : 0;
}

int mdb_currency_units(awc_store *s, int (*fn)(void *arg, const char *code, int exponent),
                       void *arg)
{
    units_ctx x = { fn, arg, 0 };
    return mdb_tx((mdb *)s, do_units, &x);
}

typedef struct unit_add_ctx {
    const char *code, *reason;
    int64_t exponent;
    const awc_actor *actor;
} unit_add_ctx;

static int do_unit_add(mdb *st, void *arg)
{
    unit_add_ctx *x = arg;
    mdb_params p;
    int rc;

    mdb_p_init(&p);
    mdb_p_str(&p, x->code);
    mdb_p_i64(&p, &x->exponent);
    mdb_p_str(&p, x->reason);
    mdb_p_actor(&p, x->actor);
    rc = mdb_exec(st, Q_CURRENCY_ADD, &p);
    if (rc != 0 && st->last_errno == ER_DUP_ENTRY)
        return awc_error_set(AWC_EBADINPUT, "currency %s has a minor unit already: a minor "
                             "unit is set once", x->code);
    return rc;
}

int mdb_currency_unit_add(awc_store *s, const char *code, int exponent, const char *reason,
                          const awc_actor *actor)
{
    unit_add_ctx x = { code, reason, exponent, actor };
    return mdb_tx((mdb *)s, do_unit_add, &x);
}
