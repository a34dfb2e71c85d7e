/* op_accounts.c -- `accounts import FILE`: the accounts map, all or nothing. */
#include <string.h>

#include "accounts.h"
#include "csv.h"
#include "mod.h"
#include "out.h"

#define ACCOUNTS_FILE_MAX (256u * 1024 * 1024)

static void log_bad(void *arg, const char *msg)
{
    awc_mod_log(arg, AWC_LOG_ERROR, "%s", msg);
}

int awc_op_accounts_import(awc_module *m, const awc_call *c, const awc_file_args *a)
{
    awc_accounts am;
    awc_store *st;
    char *text = NULL;
    size_t len = 0;
    int rc;

    awc_op_begin();
    if (!a || !a->path || !*a->path)
        return awc_op_end(c, awc_error_set(AWC_EUSAGE, "accounts import: a CSV file is required"));
    if (c->actor->role != AWC_ROLE_DISTRIBUTOR)
        return awc_op_end(c, awc_error_set(AWC_EPERM, "accounts import: only a distributor may "
                                                      "change the accounts map"));
    if ((rc = awc_file_read(&text, &len, a->path, ACCOUNTS_FILE_MAX)) != 0)
        return awc_op_end(c, rc);
    awc_accounts_init(&am, a->path);
    am.log = log_bad;
    am.log_arg = m;
    rc = awc_accounts_read(&am, text, len);
    if (rc == 0)
        rc = awc_accounts_check(&am);
    if (rc == 0 && am.bad)
        rc = awc_error_set(AWC_EBADINPUT, "%lu bad row%s, nothing imported; first: %s", am.bad,
                           am.bad == 1 ? "" : "s", am.first_bad);
    if (rc == 0 && (rc = awc_mod_store(m, &st)) == 0)
        rc = st->ops->accounts_replace(st, am.rows, am.n);
    if (rc == 0 && c->format == AWC_FORMAT_JSON) {
        json_t *doc = json_object();
        int bad = awc_json_set(doc, "rows", json_integer((json_int_t)am.n)) |
                  awc_json_set(doc, "accounts", json_integer((json_int_t)am.accounts));
        rc = bad ? awc_error_set(AWC_ENOMEM, "out of memory") : awc_out_json(c, doc);
        json_decref(doc);
    } else if (rc == 0) {
        rc = awc_out_printf(c, "accounts: imported %zu row%s for %zu account%s; the previous "
                            "map was replaced\n", am.n, am.n == 1 ? "" : "s", am.accounts,
                            am.accounts == 1 ? "" : "s");
    }
    awc_accounts_free(&am);
    awc_free(text);
    return awc_op_end(c, rc);
}
