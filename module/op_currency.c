/* op_currency.c -- `currency set CODE --exponent N --reason TEXT`: a minor
 * unit for a currency code that ISO 4217 leaves without one, so that the
 * credits held in it can be assigned and invoiced.  Distributor only;
 * every decision is a row of its own with its reason and actor. */
#include <string.h>

#include "mod.h"
#include "out.h"

static int define_one(void *arg, const char *code, int exponent)
{
    (void)arg;
    /* a code ISO 4217 gained since it was set keeps the ISO unit */
    if (awc_currency_iso(code))
        return 0;
    return awc_currency_define(code, exponent) == 0
               ? 0 : awc_error_prefix(AWC_EDB, "database: currency_units");
}

int awc_mod_currencies_load(awc_store *st)
{
    return st->ops->currency_units(st, define_one, NULL);
}

int awc_op_currency_set(awc_module *m, const awc_call *c, const awc_currency_args *a)
{
    awc_store *st;
    int rc, had;

    awc_op_begin();
    if (!a || !a->code || !a->reason || !*a->reason)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "currency set: CODE, --exponent and "
                                                       "--reason are required"));
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "currency set: only a distributor sets "
                                                      "a currency's minor unit"));
    if (strlen(a->reason) > AWC_NOTE_MAX)
        return awc_op_end(c, awc_error_set(AWC_EBADINPUT, "currency set: --reason is longer "
                                                          "than %d characters", AWC_NOTE_MAX));
    if ((rc = awc_mod_store(m, &st)) != 0)
        return awc_op_end(c, rc);
    had = awc_currency_exponent(a->code);
    if (had >= 0 && !awc_currency_iso(a->code))
        return awc_op_end(c, awc_error_set(AWC_EBADINPUT, "currency set: %s has %d decimal "
                                           "place%s already: a minor unit is set once, since "
                                           "amounts were rounded to it", a->code, had,
                                           had == 1 ? "" : "s"));
    /* checks the code and the exponent, and refuses an ISO code */
    if ((rc = awc_currency_define(a->code, a->exponent)) != 0)
        return awc_op_end(c, awc_error_prefix(rc, "currency set"));
    if ((rc = st->ops->currency_unit_add(st, a->code, a->exponent, a->reason, c->actor)) != 0)
        return awc_op_end(c, rc);
    if (c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "currency", json_string(a->code)) |
                  awc_json_set(doc, "exponent", json_integer(a->exponent));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else {
        rc = awc_out_printf(c, "currency %s: %d decimal place%s; run assign to assign the "
                            "credits held in it\n", a->code, a->exponent,
                            a->exponent == 1 ? "" : "s");
    }
    return awc_op_end(c, rc);
}
