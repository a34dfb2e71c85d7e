/*
 * cli.h -- the command line of the reference host (SPEC sections 10, 13).
 *
 *   awscredit [--config FILE] [--json] [--as ACTOR] [--module-dir DIR] [-v]
 *             COMMAND [ARGS]
 *
 * One table lists every command with the operation it calls, the options it
 * takes and its help (what it does, its options, an example); parsing and
 * help are both driven by it, so they cannot disagree.  Options are parsed
 * with getopt_long, per command, straight into the ABI's argument structs.
 * Global options are accepted before and after the command word.
 *
 * host_request points into argv and into its own buffers; it owns nothing
 * on the heap.
 */
#ifndef HOST_CLI_H
#define HOST_CLI_H

#include <stdint.h>

#include "awscredit.h"
#include "loader.h"

#define HOST_ACTOR_MAX 128     /* longest id or reseller id in --as */

typedef struct host_cmd host_cmd;

typedef struct host_request {
    const host_cmd *cmd;
    /* global options */
    const char *config_path;   /* --config, else $AWSCREDIT_CONFIG, else NULL */
    const char *module_dir;    /* --module-dir, or NULL */
    int json;
    int verbose;
    awc_actor actor;
    char actor_id[HOST_ACTOR_MAX + 1];
    char actor_reseller[HOST_ACTOR_MAX + 1];
    char actor_via[HOST_ACTOR_MAX + 16];  /* with --as: "distributor:$USER", who acted */
    /* command arguments */
    const char *credit_id;     /* show, explain */
    const char *period;        /* assign, invoice, close, run */
    const char *output;        /* export -o FILE, or NULL */
    int within_days;           /* expiring */
    char period_from[32], period_to[32];
    awc_filter filter;         /* list, export */
    awc_pull_args pull;
    awc_edit_args edit;        /* edit, unassign */
    awc_file_args file;        /* rules *, accounts import */
    awc_currency_args currency;/* currency set */
    awc_user_args user;        /* user * */
    awc_balance_args balance;  /* balance, expiring */
    awc_grant_args grant;      /* grant set */
    int fail_if_any;           /* expiring --fail-if-any */
    uint64_t listed;           /* expiring: how many grants it listed */
    int password_stdin;        /* user add, passwd: read user.password from stdin */
    int have_exponent;
    const char *listen;        /* serve --listen */
    char **ids;                /* edit: the credit IDs given (argv) */
    int nids;
    const char *ids_from;      /* edit --ids-from FILE */
    int allow_open;            /* --allow-open: AWC_CALL_ALLOW_OPEN */
} host_request;

enum host_cli_result { HOST_CLI_RUN, HOST_CLI_EXIT };

/* Parse the whole command line.  HOST_CLI_RUN: out is ready.  HOST_CLI_EXIT:
 * help was printed (*status 0) or a usage error was reported on standard
 * error with a hint to --help (*status EX_USAGE). */
int host_cli_parse(host_request *out, int argc, char **argv, int *status);

/* The operation the request calls, and its name as typed ("rules import"). */
host_op host_cli_op(const host_request *r);
const char *host_cli_name(const host_request *r, char *buf, size_t n);

/* 1 when the module can answer the request: it provides its operation, or
 * (balance, expiring without ABI 1.2 options) the ABI 1.0 one. */
int host_cli_present(const host_request *r, const awc_module_desc *d);

/* Call the request's operation; the caller checked host_cli_present(). */
int host_cli_call(const host_request *r, const awc_module_desc *d, awc_module *m,
                  const awc_call *c);

#endif /* HOST_CLI_H */
