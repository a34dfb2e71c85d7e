/*
 * mod.h -- the opened module instance and what its operations share.
 *
 * An awc_module holds a copy of the host API, the typed configuration and,
 * once an operation needs it, the store connection (opened lazily so that
 * `version` and friends never touch the database).
 */
#ifndef AWC_MOD_H
#define AWC_MOD_H

#include "awc.h"
#include "config.h"
#include "store.h"

struct awc_module {
    awc_host_api host;             /* the host's API, copied (size-checked) */
    awc_config cfg;
    awc_store *store;              /* NULL until awc_mod_store() */
    int migrating;                 /* migrate: no schema check on connect */
};

/* The store, connecting on first use.  0 or AWC_EDB / AWC_ECONFIG. */
int awc_mod_store(awc_module *m, awc_store **out);

/* AWC_EREADONLY naming who closed period and when, or 0 when it is open.
 * what names the refused operation in the message. */
int awc_mod_period_open(awc_module *m, awc_store *st, const char *period, const char *what);
/* SPEC 17: pull and close want a period that has ended, assign one that
 * has begun (ended = 0), unless the call has AWC_CALL_ALLOW_OPEN.  0, or
 * AWC_EUSAGE saying why, for `what`. */
int awc_mod_period_when(const awc_call *c, const char *period, const char *what, int ended);

/* Log one line through the host (no-op when the host gave no log). */
void awc_mod_log(awc_module *m, int level, const char *fmt, ...) AWC_PRINTF(3, 4);

/* Begin an operation: clear the thread's error.  End it: copy the error
 * text into the call's errbuf when rc != 0, and return rc. */
void awc_op_begin(void);
int awc_op_end(const awc_call *c, int rc);

/* Operations (one file each). */
int awc_op_version(awc_module *m, const awc_call *c);
int awc_op_migrate(awc_module *m, const awc_call *c);
int awc_op_show(awc_module *m, const awc_call *c, const char *credit_id);
int awc_op_pull(awc_module *m, const awc_call *c, const awc_pull_args *a);
int awc_op_accounts_import(awc_module *m, const awc_call *c, const awc_file_args *a);
int awc_op_assign(awc_module *m, const awc_call *c, const char *period);
int awc_op_explain(awc_module *m, const awc_call *c, const char *credit_id);
int awc_op_edit(awc_module *m, const awc_call *c, const awc_edit_args *a);
int awc_op_unassign(awc_module *m, const awc_call *c, const awc_edit_args *a);
int awc_op_exclude(awc_module *m, const awc_call *c, const awc_edit_args *a);
int awc_op_include(awc_module *m, const awc_call *c, const awc_edit_args *a);
int awc_op_currency_set(awc_module *m, const awc_call *c, const awc_currency_args *a);
int awc_op_user(awc_module *m, const awc_call *c, const awc_user_args *a);
int awc_op_auth(awc_module *m, const awc_call *c, const awc_auth_args *a, awc_auth_result *r);
int awc_op_periods(awc_module *m, const awc_call *c);
int awc_op_reopen_period(awc_module *m, const awc_call *c, const char *period,
                         const char *reason);
/* The minor units a distributor set for currency codes, from the store
 * into this process (awc_currency_define). */
int awc_mod_currencies_load(awc_store *st);
int awc_op_invoice(awc_module *m, const awc_call *c, const char *period);
int awc_op_reconcile(awc_module *m, const awc_call *c);
int awc_op_close_period(awc_module *m, const awc_call *c, const char *period);
int awc_op_run(awc_module *m, const awc_call *c, const char *period);
int awc_op_balance(awc_module *m, const awc_call *c);
int awc_op_expiring(awc_module *m, const awc_call *c, int within_days);
int awc_op_balance_of(awc_module *m, const awc_call *c, const awc_balance_args *a);
int awc_op_expiring_of(awc_module *m, const awc_call *c, const awc_balance_args *a);
/* The grants credit cr draws from today, by the configured policy: fn once
 * per grant with what cr takes of it and the grant's status today, in the
 * order drawn; *unmatched = what no grant covers (op_balance.c). */
int awc_grants_drawn(awc_module *m, awc_store *st, const awc_credit *cr,
                     int (*fn)(void *arg, const char *grant_id, awc_amount take,
                               const char *status),
                     void *arg, awc_amount *unmatched);
int awc_op_grants_import(awc_module *m, const awc_call *c, const awc_file_args *a);
int awc_op_grant_set(awc_module *m, const awc_call *c, const awc_grant_args *a);
int awc_op_hierarchy_import(awc_module *m, const awc_call *c, const awc_file_args *a);
/* The invoice step without output (run uses it too). */
int awc_invoice_run(awc_module *m, const awc_call *c, const char *period, size_t *files,
                    size_t *records);
int awc_op_rules_import(awc_module *m, const awc_call *c, const awc_file_args *a);
int awc_op_rules_export(awc_module *m, const awc_call *c, const awc_file_args *a);
int awc_op_rules_validate(awc_module *m, const awc_call *c, const awc_file_args *a);
int awc_op_list(awc_module *m, const awc_call *c, const awc_filter *f);
int awc_op_export_csv(awc_module *m, const awc_call *c, const awc_filter *f);

#endif /* AWC_MOD_H */
