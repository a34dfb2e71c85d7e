/*
 * awscredit.h -- the one header a host needs to load the awscredit module.
 *
 * The module (awscredit.so) exports exactly one function, awscredit_module(),
 * returning a const descriptor that lives as long as the library is loaded.
 * The host checks the descriptor's size and ABI version, then calls open()
 * with its host API, and the operations with an awc_call per request.
 *
 * Ownership: every string the host passes in stays owned by the host and
 * must stay valid for the duration of the call (config strings: until
 * close()).  The module never hands out memory the host must free: output
 * goes through awc_call.write, error text into the host-owned awc_call.errbuf.
 *
 * Compatibility rules (docs/ABI.md):
 *   - a different ABI major is refused by the host;
 *   - a module minor newer than the host's is refused;
 *   - structs only grow at their end, each carries its size, and a reader
 *     touches a field only when the size says the field is there;
 *   - an operation the module does not provide is NULL.
 */
#ifndef AWSCREDIT_H
#define AWSCREDIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AWC_ABI_MAJOR 1
#define AWC_ABI_MINOR 2
#define AWC_ENTRY_SYMBOL "awscredit_module"

/* Error codes: 0 on success, a negative awc_err otherwise.  Retired codes
 * keep their number; new codes are appended. */
typedef enum awc_err {
    AWC_OK = 0,
    AWC_ERROR = -1,                /* unexpected internal failure */
    AWC_ENOMEM = -2,               /* out of memory */
    AWC_EBADINPUT = -3,            /* malformed input: file, line, field named */
    AWC_ENOTFOUND = -4,            /* no such object (or not in the actor's scope) */
    AWC_ECONFLICT = -5,            /* stale version: changed since read; re-read */
    AWC_EINVALID_TRANSITION = -6,  /* state machine refused the transition */
    AWC_EREADONLY = -7,            /* object is read-only in its state */
    AWC_EDB = -8,                  /* database failure */
    AWC_ECONFIG = -9,              /* bad or missing configuration */
    AWC_EOVERFLOW = -10,           /* arithmetic would overflow */
    AWC_EIO = -11,                 /* file or stream I/O failure */
    AWC_EPERM = -12,               /* the actor may not do this */
    AWC_ENOTSUP = -13,             /* not provided by this module or build */
    AWC_ELOCKED = -14,             /* busy: another process holds the lock, or changed
                                    * the data meanwhile; retry later */
    AWC_ENET = -15,                /* remote service failed or refused */
    AWC_ETIMEOUT = -16,            /* remote service did not answer in time */
    AWC_EABI = -17,                /* ABI or manifest mismatch */
    AWC_EUSAGE = -18,              /* bad arguments to an operation */
    AWC_EAUTH = -19,               /* ABI 1.2: not signed in, or a wrong name or password */
    AWC_ETHROTTLED = -20           /* ABI 1.2: too many failed sign-ins; wait */
} awc_err;

typedef enum awc_role {
    AWC_ROLE_DISTRIBUTOR = 1,      /* sees and does everything */
    AWC_ROLE_RESELLER = 2,         /* its own reseller chain only */
    AWC_ROLE_VIEWER = 3            /* reads only */
} awc_role;

/* Who an operation is done for (SPEC section 13).  Recorded in every event. */
typedef struct awc_actor {
    size_t size;                   /* sizeof(awc_actor) */
    awc_role role;
    const char *id;                /* person or process, e.g. "alice" */
    const char *reseller_id;       /* AWC_ROLE_RESELLER only, else NULL */
    /* ABI 1.1: who acted for it, when that is someone else: the operator
     * behind the command line's --as (SPEC 13), recorded with every event
     * beside the actor.  NULL when the actor acted itself. */
    const char *via;
} awc_actor;

enum awc_log_level { AWC_LOG_ERROR = 0, AWC_LOG_WARN = 1, AWC_LOG_INFO = 2, AWC_LOG_DEBUG = 3 };

/* What the host offers the module.  Grows only at its end; entries marked
 * optional may be NULL. */
typedef struct awc_host_api {
    size_t size;                   /* sizeof(awc_host_api) as the host knows it */
    uint16_t abi_major;
    uint16_t abi_minor;
    void *ctx;                     /* passed back to every callback */

    /* optional: one line, no trailing newline, never contains a secret */
    void (*log)(void *ctx, int level, const char *msg);
    /* configuration value of [section] key, or NULL when unset; the string
     * stays valid until close() */
    const char *(*config_get)(void *ctx, const char *section, const char *key);
    /* optional: where a value came from ("file:line"), or NULL */
    const char *(*config_origin)(void *ctx, const char *section, const char *key);
    /* optional allocator; all three or none */
    void *(*malloc)(void *ctx, size_t n);
    void *(*realloc)(void *ctx, void *p, size_t n);
    void (*free)(void *ctx, void *p);
    /* optional: long work reports progress; total 0 = unknown */
    void (*progress)(void *ctx, const char *task, uint64_t done, uint64_t total);
    /* optional: a secret by name (environment variable semantics); NULL = getenv */
    const char *(*secret_get)(void *ctx, const char *name);
} awc_host_api;

typedef enum awc_format {
    AWC_FORMAT_TEXT = 0,           /* human-readable */
    AWC_FORMAT_JSON = 1            /* one JSON document, stable field names */
} awc_format;

/* One request.  The module writes its output through write() and, on
 * failure, one line of error text into errbuf (NUL-terminated, truncated
 * to errbuf_size). */
typedef struct awc_call {
    size_t size;                   /* sizeof(awc_call) */
    const awc_actor *actor;
    awc_format format;
    int (*write)(void *ctx, const char *buf, size_t len); /* 0, or -1 on failure */
    void *write_ctx;
    char *errbuf;
    size_t errbuf_size;
    /* ABI 1.2: the width in columns of the terminal text output goes to,
     * so a table fits it; 0 = not a terminal (nothing is cut to fit) */
    unsigned width;
    /* ABI 1.2: AWC_CALL_* bits */
    unsigned flags;
} awc_call;

/* awc_call.flags.  ALLOW_OPEN: pull or close a period that has not ended,
 * or assign one that has not begun (SPEC 17); refused without it. */
#define AWC_CALL_ALLOW_OPEN 1u

/* Filters shared by list and export (SPEC section 10).  NULL/0 = no filter. */
typedef struct awc_filter {
    size_t size;                   /* sizeof(awc_filter) */
    const char *status;            /* comma-separated states */
    const char *period_from;       /* YYYY-MM, inclusive */
    const char *period_to;         /* YYYY-MM, inclusive */
    const char *customer;
    const char *reseller;
    const char *asset;
    const char *account;           /* usage or payer account */
    const char *credit_id;
    const char *description;       /* substring, case-insensitive */
    const char *type;              /* credit type, e.g. MAP */
    const char *min_amount;        /* decimal text */
    const char *max_amount;        /* decimal text */
    const char *rule;
    int unmapped;                  /* 1 = only unmapped credits */
    const char *sort;              /* column name, '-' prefix for descending */
    int64_t limit;                 /* 0 = no limit */
    int64_t offset;
    /* ABI 1.1 */
    int held;                      /* 1 = only credits held: they cannot be assigned */
    int excluded;                  /* 1 = only credits a distributor excluded */
    /* ABI 1.2 */
    const char *currency;          /* ISO 4217 code, e.g. EUR */
    int skip_totals;               /* list (JSON): 1 = no "total" and "totals" of every
                                    * match (a page turn of a list whose totals the
                                    * caller has) */
} awc_filter;

typedef struct awc_pull_args {
    size_t size;
    const char *period;            /* YYYY-MM */
    const char *path;              /* overrides cur.path; NULL = configured */
} awc_pull_args;

typedef struct awc_edit_args {
    size_t size;
    const char *credit_id;
    const char *split;             /* "customer:60,reseller:30" or NULL */
    const char *amounts;           /* "customer:-10.00,reseller:-2.50" or NULL */
    const char *account;           /* reassign to this AWS account, or NULL */
    const char *note;
    int64_t expect_version;        /* 0 = do not check */
} awc_edit_args;

/* ABI 1.1: `currency set CODE --exponent N --reason TEXT`. */
typedef struct awc_currency_args {
    size_t size;
    const char *code;              /* three capital letters, e.g. XAU */
    int exponent;                  /* decimal places of its minor unit, 0..4 */
    const char *reason;            /* required; kept with the decision */
} awc_currency_args;

/* ABI 1.1: `user ACTION`, the users of the web console and API (SPEC 15).
 * action: "add" (name, role, password), "passwd" (name, password),
 * "disable" (name), "list", "token" (name, label; the token is written
 * once, in the output), "revoke-token" (token_id).  The password is the
 * host's to wipe after the call; the module neither keeps nor logs it. */
typedef struct awc_user_args {
    size_t size;
    const char *action;
    const char *name;
    const char *role;              /* "distributor", "reseller:RID" or "viewer" */
    const char *password;
    const char *label;
    const char *token_id;
} awc_user_args;

/* ABI 1.2: signing in to the web console and API (SPEC 15), for a host
 * that serves them.  action:
 *   "signin"  name, password, client (the peer's address): a new session
 *             in the result (session id and CSRF token, shown once);
 *             AWC_EAUTH for a wrong name or password (the same for both),
 *             AWC_ETHROTTLED with retry_after after too many failures;
 *   "session" secret = a session id: who it is, its CSRF token;
 *   "bearer"  secret = an API token: who it is;
 *   "signout" secret = a session id: the session ends.
 * "session" and "bearer" answer AWC_EAUTH for anything not live.  The
 * host wipes password and secret after the call; the module keeps and
 * logs neither.  The call's actor is not used. */
typedef struct awc_auth_args {
    size_t size;
    const char *action;
    const char *name;
    const char *password;
    const char *secret;
    const char *client;
} awc_auth_args;

#define AWC_AUTH_NAME_MAX 520      /* bytes of a user or reseller id, with its NUL */

typedef struct awc_auth_result {
    size_t size;                   /* sizeof(awc_auth_result), set by the host */
    awc_role role;
    char user[AWC_AUTH_NAME_MAX];
    char reseller_id[AWC_AUTH_NAME_MAX];  /* "" unless AWC_ROLE_RESELLER */
    char session[48];              /* signin: the new session id (base64url) */
    char csrf[48];                 /* signin, session: the CSRF token */
    int retry_after;               /* AWC_ETHROTTLED: seconds to wait */
} awc_auth_result;
/* ABI 1.2: `balance` and `expiring` with their options (SPEC 16). */
typedef struct awc_balance_args {
    size_t size;
    const char *period_from;       /* YYYY-MM: credits issued from then on; NULL = all */
    const char *period_to;         /* YYYY-MM: issued until its end; NULL = until as_of */
    const char *node;              /* only this node's subtree; NULL = every node */
    const char *level;             /* only nodes of this level; NULL = every level */
    const char *policy;            /* "fifo" or "aws"; NULL = grants.policy */
    const char *as_of;             /* YYYY-MM-DD; NULL = today (UTC) */
    int within_days;               /* expiring: DAYS; < 0 = grants.expiring_days */
    uint64_t *listed;              /* optional, host-owned: set to how many grants
                                    * were listed (expiring --fail-if-any) */
} awc_balance_args;

/* ABI 1.2: `grant set ID`.  NULL keeps a field; "" clears end_date,
 * reference or node. */
typedef struct awc_grant_args {
    size_t size;
    const char *grant_id;
    const char *amount;            /* issued, a decimal > 0 */
    const char *end_date;          /* YYYY-MM-DD */
    const char *reference;
    const char *node;
} awc_grant_args;

typedef struct awc_file_args {
    size_t size;
    const char *path;              /* input or output file; NULL/"-" = stdin/stdout */
    const char *format;            /* "xml" or "csv"; NULL = from the file name */
} awc_file_args;

typedef struct awc_module awc_module; /* one opened instance */

typedef struct awc_module_desc {
    size_t size;                   /* sizeof(awc_module_desc) */
    uint16_t abi_major;
    uint16_t abi_minor;
    const char *name;              /* "awscredit" */
    const char *module_version;    /* "MAJOR.MINOR.PATCH" */
    const char *const *config_keys;/* "section.key", NULL-terminated */
    const char *const *operations; /* names of the non-NULL operations, NULL-terminated */

    /* lifecycle: open reads configuration but connects to nothing yet */
    int (*open)(awc_module **out, const awc_host_api *host, char *errbuf, size_t errbuf_size);
    void (*close)(awc_module *m);
    /* static text for an awc_err code; never NULL */
    const char *(*strerror)(int code);

    /* operations; NULL when not provided */
    int (*version)(awc_module *m, const awc_call *c);
    int (*migrate)(awc_module *m, const awc_call *c);
    int (*show)(awc_module *m, const awc_call *c, const char *credit_id);
    int (*pull)(awc_module *m, const awc_call *c, const awc_pull_args *a);
    int (*assign)(awc_module *m, const awc_call *c, const char *period);
    int (*list)(awc_module *m, const awc_call *c, const awc_filter *f);
    int (*export_csv)(awc_module *m, const awc_call *c, const awc_filter *f);
    int (*explain)(awc_module *m, const awc_call *c, const char *credit_id);
    int (*edit)(awc_module *m, const awc_call *c, const awc_edit_args *a);
    int (*unassign)(awc_module *m, const awc_call *c, const awc_edit_args *a);
    int (*invoice)(awc_module *m, const awc_call *c, const char *period);
    int (*reconcile)(awc_module *m, const awc_call *c);
    int (*close_period)(awc_module *m, const awc_call *c, const char *period);
    int (*run)(awc_module *m, const awc_call *c, const char *period);
    int (*rules_import)(awc_module *m, const awc_call *c, const awc_file_args *a);
    int (*rules_export)(awc_module *m, const awc_call *c, const awc_file_args *a);
    int (*rules_validate)(awc_module *m, const awc_call *c, const awc_file_args *a);
    int (*accounts_import)(awc_module *m, const awc_call *c, const awc_file_args *a);
    int (*balance)(awc_module *m, const awc_call *c);
    int (*expiring)(awc_module *m, const awc_call *c, int within_days);
    /* ABI 1.1: credits that cannot be assigned (docs/ADMIN-GUIDE.md, "Held
     * credits").  exclude and include take credit_id, note (the reason,
     * required) and expect_version of awc_edit_args. */
    int (*exclude)(awc_module *m, const awc_call *c, const awc_edit_args *a);
    int (*include)(awc_module *m, const awc_call *c, const awc_edit_args *a);
    int (*currency_set)(awc_module *m, const awc_call *c, const awc_currency_args *a);
    int (*user)(awc_module *m, const awc_call *c, const awc_user_args *a);
    /* ABI 1.2: sign-in for a serving host; the periods with their counts
     * of credits by state and whether each is closed (JSON or text). */
    int (*auth)(awc_module *m, const awc_call *c, const awc_auth_args *a, awc_auth_result *r);
    int (*periods)(awc_module *m, const awc_call *c);
    /* ABI 1.2: grants, balances and the hierarchy (SPEC 16).  balance and
     * expiring above are these with every option at its default. */
    int (*grants_import)(awc_module *m, const awc_call *c, const awc_file_args *a);
    int (*grant_set)(awc_module *m, const awc_call *c, const awc_grant_args *a);
    int (*hierarchy_import)(awc_module *m, const awc_call *c, const awc_file_args *a);
    int (*balance_of)(awc_module *m, const awc_call *c, const awc_balance_args *a);
    int (*expiring_of)(awc_module *m, const awc_call *c, const awc_balance_args *a);
    /* ABI 1.2: undo close (SPEC 17); reason is required and kept. */
    int (*reopen_period)(awc_module *m, const awc_call *c, const char *period,
                         const char *reason);
} awc_module_desc;

/* The size of the descriptor at ABI 1.0: a host requires at least this. */
#define AWC_MODULE_DESC_SIZE_1_0 \
    (offsetof(awc_module_desc, expiring) + sizeof(void *))

typedef const awc_module_desc *(*awc_entry_fn)(void);

/* The module's only exported symbol. */
const awc_module_desc *awscredit_module(void);

#ifdef __cplusplus
}
#endif
#endif /* AWSCREDIT_H */
