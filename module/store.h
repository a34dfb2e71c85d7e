/*
 * store.h -- the narrow interface between the module and its database.
 *
 * The module sees only these operations; adapters/store_mariadb.c is the
 * real implementation and tests/unit/ may use a fake behind the same table.
 * Every operation is one unit of work: it happens whole or not at all, and
 * the real store retries the whole unit on deadlock, lock-wait timeout and
 * a lost connection (bounded, jittered).  Records are plain structs with
 * fixed-size fields, so nothing returned needs freeing.
 */
#ifndef AWC_STORE_H
#define AWC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "awscredit.h"
#include "money.h"
#include "state.h"

/*
 * What keeps a PENDING_ASSIGN credit out of assignment, kept with its
 * assignment value (the column assignments.unmapped, named for its first
 * use).  Assignment tries UNMAPPED and HELD credits again on every run and
 * clears the flag when they go through; only a distributor sets or clears
 * EXCLUDED (exclude / include), and assignment leaves such a credit alone.
 */
typedef enum awc_flag {
    AWC_FLAG_NONE = 0,
    AWC_FLAG_UNMAPPED = 1,         /* its account has no owner on the period's first day */
    AWC_FLAG_HELD = 2,             /* it cannot be assigned: the reason is its FLAG event */
    AWC_FLAG_EXCLUDED = 3          /* a distributor took it out of the cycle, with a reason */
} awc_flag;

#define AWC_ACCOUNT_LEN 12
#define AWC_KEY_MAX 255            /* credit_key */
#define AWC_DESC_MAX 1024          /* description */
#define AWC_CODE_MAX 128           /* product code, ids, names */
#define AWC_NOTE_MAX 2000

typedef struct awc_credit {
    uint64_t seq;                  /* the credit ID's number; 0 = not stored yet */
    char period[8];                /* YYYY-MM */
    char payer_account_id[AWC_ACCOUNT_LEN + 1];
    char usage_account_id[AWC_ACCOUNT_LEN + 1];
    char credit_key[AWC_KEY_MAX * 4 + 1];     /* UTF-8 bytes */
    char product_code[AWC_CODE_MAX * 4 + 1];
    char currency[4];
    char description[AWC_DESC_MAX * 4 + 1];
    char credit_type[33];
    char billing_entity[AWC_CODE_MAX * 4 + 1];  /* UTF-8 bytes of VARCHAR(128) */
    char legal_entity[AWC_CODE_MAX * 2 * 4 + 1];
    char invoice_id[AWC_CODE_MAX * 4 + 1];
    char first_usage[11], last_usage[11], issue_date[11]; /* YYYY-MM-DD or "" */
    int64_t line_count;
    awc_amount amount;
    awc_state state;
    int64_t version;               /* starts at 1, +1 on every change */
    int flag;                      /* awc_flag */
    uint64_t adjusts;              /* seq of the credit this one adjusts, or 0 */
    int revision;                  /* 0 for the original, 1.. for adjustments */
    char customer_id[AWC_CODE_MAX + 1], asset_id[AWC_CODE_MAX + 1], reseller_id[AWC_CODE_MAX + 1];
    char rule_id[65];
    char usage_file_id[65];
    char processing_date[11];
    char created_at[27], updated_at[27]; /* YYYY-MM-DD HH:MM:SS.ffffff UTC */
    char owner_account_id[AWC_ACCOUNT_LEN + 1]; /* "" = the usage account */
    uint64_t outbox_id;            /* non-zero while in an unconfirmed usage file */
} awc_credit;

typedef struct awc_event {
    uint64_t id;
    uint64_t seq;
    char at[27];
    awc_event_kind kind;
    awc_state from, to;
    int64_t from_version, to_version;
    int actor_role;
    char actor_id[AWC_CODE_MAX + 1];
    char actor_reseller[AWC_CODE_MAX + 1];
    char actor_via[AWC_CODE_MAX + 1];   /* "" when the actor acted itself */
    char note[AWC_NOTE_MAX * 4 + 1];
    char detail[4096];             /* JSON: splits before/after, amounts */
} awc_event;

/* One state step, applied atomically: the credit must still be in `from`
 * at `expect_version`, else AWC_ECONFLICT and nothing changes. */
typedef struct awc_transition {
    uint64_t seq;
    awc_event_kind kind;
    awc_state from, to;
    int64_t expect_version;
    const awc_actor *actor;
    const char *note;              /* may be NULL */
    const char *detail;            /* JSON text or NULL */
} awc_transition;

/* A credit as a pull produces it, before it has an ID.  Strings are the
 * caller's and must stay valid during the call. */
typedef struct awc_credit_draft {
    char period[8];
    char payer_account_id[AWC_ACCOUNT_LEN + 1];
    char usage_account_id[AWC_ACCOUNT_LEN + 1];
    char currency[4];
    const char *credit_key, *product_code, *description;
    const char *billing_entity, *legal_entity, *invoice_id;
    char credit_type[33];
    char first_usage[11], last_usage[11], issue_date[11];
    int64_t line_count;
    awc_amount amount;
    uint64_t adjusts;              /* 0, or the seq this adjustment belongs to */
    int revision;                  /* 0 for originals */
    uint64_t seq;                  /* out: set by credits_insert */
} awc_credit_draft;

/* What a pull needs to know of a stored credit of its period. */
typedef struct awc_credit_head {
    uint64_t seq;
    const char *payer_account_id, *usage_account_id, *credit_key, *product_code, *currency;
    int revision;
    uint64_t adjusts;
    awc_amount amount;
    awc_state state;
    int64_t version;
    int outboxed;                  /* in a usage file not yet confirmed: read-only */
} awc_credit_head;

/* A restated amount for a credit that may still change (SPEC 5.4). */
typedef struct awc_restatement {
    uint64_t seq;
    int64_t expect_version;
    awc_state state;               /* unchanged by a restatement */
    const awc_credit_draft *now;   /* the new aggregate (amount, dates, lines, ...) */
    awc_amount old_amount;
    const awc_actor *actor;
    /* an ASSIGNED credit's split lines, recomputed for the new amount with
     * the same proportions; they replace the old ones (nlines 0 = none) */
    const struct awc_split_line *lines;
    size_t nlines;
} awc_restatement;

/* One row of the accounts map (SPEC 7). Dates "YYYY-MM-DD"; valid_to ""
 * means open-ended.  Strings are the caller's (or, from accounts_at, valid
 * during the callback). */
typedef struct awc_account_row {
    char account_id[AWC_ACCOUNT_LEN + 1];
    char valid_from[11], valid_to[11];
    const char *customer_id, *asset_id, *reseller_id, *customer_name, *reseller_name;
} awc_account_row;

/* A stored rule: the columns precedence needs and the full definition
 * (canonical rules XML of this one rule). */
typedef struct awc_rule_row {
    const char *id, *name;
    const char *created;           /* "YYYY-MM-DD HH:MM:SS" UTC */
    const char *match_kind;        /* any|exact|contains|prefix|regex */
    const char *match_text;
    const char *definition;
} awc_rule_row;

typedef enum awc_split_kind {
    AWC_SPLIT_CUSTOMER = 1,
    AWC_SPLIT_RESELLER = 2,
    AWC_SPLIT_PARTY = 3,
    AWC_SPLIT_RETAINED = 4
} awc_split_kind;

/* One line of an assignment, in minor units of the credit's currency. */
typedef struct awc_split_line {
    int line_no;                   /* 1.. */
    awc_split_kind kind;
    char party_id[AWC_CODE_MAX + 1];
    char target_name[AWC_CODE_MAX * 2 * 4 + 1]; /* at most 256 characters */
    int32_t bp;                    /* basis points, or -1 for a fixed amount */
    int64_t amount_minor;
    char customer_id[AWC_CODE_MAX + 1], asset_id[AWC_CODE_MAX + 1], reseller_id[AWC_CODE_MAX + 1];
    char record_id[65];
} awc_split_line;

/* A PENDING_ASSIGN credit as assignment sees it. */
typedef struct awc_pending {
    uint64_t seq;
    int64_t version;
    int flag;                      /* awc_flag */
    char usage_account_id[AWC_ACCOUNT_LEN + 1];
    char owner_account_id[AWC_ACCOUNT_LEN + 1]; /* "" = the usage account */
    char currency[4];
    char credit_type[33];
    char product_code[AWC_CODE_MAX * 4 + 1];
    char description[AWC_DESC_MAX * 4 + 1];
    awc_amount amount;
} awc_pending;

/* Which PENDING_ASSIGN credits credits_pending reads. */
typedef struct awc_pending_range {
    const char *period;
    uint64_t after;                /* seq > after */
    uint64_t upto;                 /* seq <= upto; 0 = no bound */
    uint64_t limit;                /* at most this many; 0 = all */
    int lock;                      /* 1 = locked (FOR UPDATE), 0 = a plain read */
} awc_pending_range;

/* One credit's new assignment (or its unassignment, or an unmapped flag),
 * applied with its event.  lines replace the credit's split lines. */
typedef struct awc_assignment {
    uint64_t seq;
    int64_t expect_version;
    awc_state from, to;
    awc_event_kind kind;
    int flag;                      /* awc_flag */
    const char *customer_id, *asset_id, *reseller_id; /* NULL or "" = none */
    const char *rule_id;
    const char *owner_account_id;  /* the account it is moved to; NULL = none */
    const awc_split_line *lines;
    size_t nlines;
    const char *note;
    const char *detail;            /* JSON */
} awc_assignment;

/* The filters of list/export (SPEC 10) after parsing: NULL / 0 = none.
 * Amount bounds are exact; statuses a bit mask of (1 << awc_state). */
typedef enum awc_sort_key {
    AWC_SORT_ID = 0, AWC_SORT_PERIOD, AWC_SORT_AMOUNT, AWC_SORT_STATUS, AWC_SORT_CUSTOMER,
    AWC_SORT_RESELLER, AWC_SORT_ACCOUNT, AWC_SORT_UPDATED, AWC_SORT_TYPE
} awc_sort_key;

typedef struct awc_query {
    unsigned status_mask;
    const char *period_from, *period_to;
    const char *customer, *reseller, *asset, *account;
    uint64_t seq;                  /* one credit ID, or 0 */
    const char *description;       /* substring, case-insensitive */
    const char *type;
    int has_min, has_max;
    awc_amount min_amount, max_amount;
    const char *rule;
    int flag;                      /* only credits with this awc_flag; 0 = any */
    const char *scope_reseller;    /* a reseller actor sees only its own */
    const char *currency;          /* ISO 4217 code */
    int with_names;                /* rows carry the customer's and reseller's names */
    awc_sort_key sort;
    int descending;
    int64_t limit, offset;         /* limit 0 = all */
} awc_query;

/* One credit as list/export show it (the CSV columns of SPEC 10). */
typedef struct awc_credit_row {
    awc_credit c;
    int64_t assigned_minor;        /* sum of non-retained split lines */
    int64_t retained_minor;
    int has_splits;
    char record_ids[512];          /* the usage record ids, ';'-separated */
    char note[AWC_NOTE_MAX * 4 + 1];  /* the latest reference note (edit --note), or "" */
    char customer_name[1025], reseller_name[1025];  /* with_names: from the accounts map */
} awc_credit_row;

/* A split line that invoicing will turn into a usage record. */
typedef struct awc_invoice_line {
    uint64_t seq;
    int line_no;
    awc_split_kind kind;
    int64_t amount_minor;
    const char *reseller_id, *currency, *customer_id, *asset_id, *description, *period;
} awc_invoice_line;

/* A usage file in the outbox (SPEC 8). */
typedef enum awc_outbox_status {
    AWC_OB_PREPARED = 1, AWC_OB_SENDING, AWC_OB_SENT, AWC_OB_ACCEPTED, AWC_OB_CLOSED,
    AWC_OB_REJECTED
} awc_outbox_status;

typedef struct awc_outbox_file {
    uint64_t local_id;
    char external_id[129];
    char usage_file_id[65];
    char period[8];
    char reseller_id[AWC_CODE_MAX * 4 + 1];
    char currency[4];
    char adapter[17];
    awc_outbox_status status;
    int64_t record_count;
} awc_outbox_file;

/* One record of an outbox file, with what its note needs. */
typedef struct awc_outbox_record {
    int position;
    uint64_t seq;
    int line_no;
    int64_t amount_minor;
    char customer_id[AWC_CODE_MAX * 4 + 1], asset_id[AWC_CODE_MAX * 4 + 1];
    char description[AWC_DESC_MAX * 4 + 1];
    char record_id[65];
    char target[16];               /* customer, reseller or party:ID */
} awc_outbox_record;

/* A credit as the AWS Billing API describes it (GetCredits). */
typedef struct awc_grant {
    char credit_id[33];
    char payer_account_id[AWC_ACCOUNT_LEN + 1];
    char account_id[AWC_ACCOUNT_LEN + 1];
    char credit_type[33];
    const char *description;
    awc_amount initial_amount, remaining_amount;
    char currency[4];
    char start_date[11], expiry_date[11];  /* "" when absent */
    const char *products;          /* comma-separated */
    const char *status;
    /* filled by grants_each: the pulled credits with this credit id */
    int64_t credits;
    awc_sum pulled;                /* exact: a SUM over any number of credits */
} awc_grant;

/* A grant (SPEC 16): what AWS issued, as entered (`grants import`, `grant
 * set`) or as the Billing API gave it.  Strings behind pointers are the
 * caller's (in) or valid until the callback returns (out). */
#define AWC_GRANT_ID_MAX 64        /* characters */
#define AWC_REFERENCE_MAX 512      /* characters */
#define AWC_PRODUCTS_MAX 1024      /* bytes: space-separated product codes */
typedef struct awc_grant_rec {
    char grant_id[AWC_GRANT_ID_MAX * 4 + 1];
    char account_id[AWC_ACCOUNT_LEN + 1];
    const char *credit_key;        /* "" = any key of the account */
    char currency[4];
    awc_amount amount;             /* issued, > 0 */
    char issue_date[11];           /* "" = that of its first matching credit */
    char end_date[11];             /* "" = none */
    const char *reference;
    const char *node_id;           /* "" = not allocated */
    const char *products;          /* "" = every product */
    int billing;                   /* out: 1 = known from the Billing API only */
    char first_use[11];            /* out: issue date of its first matching credit, or "" */
} awc_grant_rec;

/* What `grant set ID` changes: NULL keeps a field; "" clears end_date,
 * reference or node. */
typedef struct awc_grant_change {
    const char *grant_id;
    const awc_amount *amount;
    const char *end_date, *reference, *node_id;
    const char *detail;            /* JSON for the event */
} awc_grant_change;

/* A node of the hierarchy (parent_id "" = a root). */
typedef struct awc_node_row {
    const char *node_id, *parent_id, *name, *level;
} awc_node_row;

/* A grant's figures after consumption, for the roll-up. */
typedef struct awc_grant_fig {
    const char *node_id;           /* non-empty */
    char currency[4];
    awc_amount amount;             /* one grant's */
    awc_sum used, remaining;
    awc_sum amount_sum;            /* the amounts of several grants of one node */
} awc_grant_fig;

/* A node's figures: its own grants' and all its descendants', per currency. */
typedef struct awc_node_fig {
    awc_node_row node;
    char currency[4];
    awc_sum amount, used, remaining;
} awc_node_fig;

/* A credit as consumption sees it. */
typedef struct awc_draw_row {
    uint64_t seq;
    char account_id[AWC_ACCOUNT_LEN + 1];
    char credit_key[AWC_KEY_MAX * 4 + 1];
    char product_code[AWC_CODE_MAX * 4 + 1];
    char currency[4];
    char issue_date[11];           /* the credit's, else its period's first day */
    awc_amount amount;             /* < 0 */
} awc_draw_row;

typedef struct awc_db_params {
    const char *socket, *host;
    unsigned port;
    const char *user, *password, *database;
    unsigned connect_timeout;
    const char *hosts;             /* db.hosts: "host[:port], ..." (a cluster's nodes), or NULL */
    unsigned lock_seconds;         /* db.lock_seconds: a lock's lease; 0 = 60 */
} awc_db_params;

typedef struct awc_store awc_store;
/* The rows of a chunk of assignments in the store's own form (opaque). */
typedef struct awc_stage awc_stage;

/* A period as the distributor's periods view shows it. */
typedef struct awc_period_row {
    char period[8];
    int64_t counts[4];             /* PENDING_ASSIGN, ASSIGNED, PROCESSING, PROCESSED */
    int closed;
    char closed_by[AWC_CODE_MAX * 4 + 1], closed_at[24];
} awc_period_row;

/* A user of the web console and API, as `user list` shows it (never a
 * hash). */
typedef struct awc_user {
    char name[AWC_CODE_MAX * 4 + 1];
    int role;                      /* awc_role */
    char reseller_id[AWC_CODE_MAX * 4 + 1];  /* "" unless a reseller admin */
    int disabled;
    char created_at[24], last_login_at[24];  /* ISO 8601 UTC; "" = never */
    int64_t tokens;                /* live API tokens */
} awc_user;

typedef struct awc_store_ops {
    void (*close)(awc_store *st);
    /* apply pending migrations; *applied = how many ran now */
    int (*migrate)(awc_store *st, int *applied);
    /* highest applied migration, 0 when none */
    int (*schema_version)(awc_store *st, int *out);
    /* insert a new credit (seq assigned from the sequence) with its CREATE
     * event; c->seq and c->version are set on success */
    int (*credit_insert)(awc_store *st, awc_credit *c, const awc_actor *actor);
    /* AWC_ENOTFOUND when no such credit */
    int (*credit_get)(awc_store *st, awc_credit *out, uint64_t seq);
    int (*credit_transition)(awc_store *st, const awc_transition *t, int64_t *new_version);
    /* events of one credit, oldest first; fn returning non-zero stops */
    int (*events_each)(awc_store *st, uint64_t seq,
                       int (*fn)(void *arg, const awc_event *ev), void *arg);

    /* Run fn as one unit of work: one transaction, retried whole on
     * deadlock, lock wait and lost connection (so fn must be repeatable:
     * reset its outputs first).  Store operations called by fn on the same
     * store join that transaction. */
    int (*tx)(awc_store *st, int (*fn)(awc_store *st, void *arg), void *arg);
    /* Every credit of period, locked for update until the unit of work
     * ends; fn returning non-zero stops (and is returned). */
    int (*credits_of_period)(awc_store *st, const char *period,
                             int (*fn)(void *arg, const awc_credit_head *h), void *arg);
    /* Insert n new credits (IDs from the sequence, in batches) with their
     * CREATE events; sets each draft's seq. */
    int (*credits_insert)(awc_store *st, awc_credit_draft *d, size_t n,
                          const awc_actor *actor);
    /* Apply one restatement with its RESTATE event; AWC_ECONFLICT when the
     * credit moved on meanwhile. */
    int (*credit_restate)(awc_store *st, const awc_restatement *r);

    /* Replace the whole accounts map with rows[0..n) (any order, keys
     * (account_id, valid_from) unique), all or nothing; a stored row equal
     * to a new one is left alone. */
    int (*accounts_replace)(awc_store *st, const awc_account_row *rows, size_t n);
    /* Every account row valid on date ("YYYY-MM-DD"). */
    int (*accounts_at)(awc_store *st, const char *date,
                       int (*fn)(void *arg, const awc_account_row *r), void *arg);
    /* The owner of account on date; AWC_ENOTFOUND when none. */
    int (*account_owner)(awc_store *st, const char *account, const char *date,
                         awc_account_row *out, char *buf, size_t bufsz);
    /* Replace every rule with rows[0..n); rules_each walks them by id. */
    int (*rules_replace)(awc_store *st, const awc_rule_row *rows, size_t n,
                         const awc_actor *actor);
    int (*rules_each)(awc_store *st, int (*fn)(void *arg, const awc_rule_row *r), void *arg);
    /* The smallest and largest seq of period's credits (any state); both
     * 0 when it has none. */
    int (*credits_span)(awc_store *st, const char *period, uint64_t *first, uint64_t *last);
    /* The PENDING_ASSIGN credits q selects, in seq order (locked until the
     * unit ends when q->lock).  Inside a retried unit fn sees the rows again
     * from the first. */
    int (*credits_pending)(awc_store *st, const awc_pending_range *q,
                           int (*fn)(void *arg, const awc_pending *p), void *arg);
    /* Apply n assignments in batches, each with its event.  AWC_ECONFLICT
     * (nothing applied) when any credit is no longer at its version.
     * stage: NULL, or what assign_stage made of the same a[0..n) and actor. */
    int (*assign_apply)(awc_store *st, const awc_assignment *a, size_t n,
                        const awc_actor *actor, awc_stage *stage);
    /* Optional (all three NULL, or none).  assign_stage writes the rows of
     * a[0..n) into stage ahead of assign_apply, so that a caller can do
     * that work on another thread: it reads nothing of st, allocates
     * nothing and calls no host callback, so it may run on any thread
     * while other store calls run.  A chunk that does not fit is marked so
     * and applied without the stage.  stage_new and stage_free belong to
     * the calling thread. */
    awc_stage *(*stage_new)(awc_store *st);
    void (*stage_free)(awc_store *st, awc_stage *stage);
    void (*assign_stage)(awc_store *st, awc_stage *stage, const awc_assignment *a, size_t n,
                         const awc_actor *actor);
    /* The split lines of one credit, in line order. */
    int (*splits_of)(awc_store *st, uint64_t seq,
                     int (*fn)(void *arg, const awc_split_line *l), void *arg);

    /* Is period closed?  *closed = 1 with who and when, else 0. */
    int (*period_get)(awc_store *st, const char *period, int *closed, char *by, size_t bysz,
                      char *at, size_t atsz);
    /* Every period, newest first: credits by state, closed or not. */
    int (*periods_each)(awc_store *st, int (*fn)(void *arg, const awc_period_row *p),
                        void *arg);
    /* Stream the credits matching q, one callback per row in q's order;
     * memory does not grow with the number of rows. */
    int (*credits_query)(awc_store *st, const awc_query *q,
                         int (*fn)(void *arg, const awc_credit_row *r), void *arg);
    /* Of every credit matching q (its limit and offset ignored): per
     * currency, in code order, how many and their exact sum (decimal text). */
    int (*credits_totals)(awc_store *st, const awc_query *q,
                          int (*fn)(void *arg, const char *currency, int64_t count,
                                    const char *sum),
                          void *arg);
    /* Invoicing.  The ASSIGNED credits of period not yet in an outbox file,
     * one callback per non-retained split line (and one with line_no 0 for
     * a credit without such lines), grouped by reseller and currency. */
    int (*invoice_lines)(awc_store *st, const char *period,
                         int (*fn)(void *arg, const awc_invoice_line *l), void *arg);
    /* Write a prepared outbox file: its row, its records (lines[0..n)) and
     * the outbox mark on credits seqs[0..nseqs).  *local_id is set. */
    int (*outbox_create)(awc_store *st, awc_outbox_file *f, const awc_invoice_line *lines,
                         size_t n, const uint64_t *seqs, size_t nseqs);
    /* Outbox files of period (NULL = every period) whose status bit is in
     * mask (1 << awc_outbox_status). */
    int (*outbox_files)(awc_store *st, const char *period, unsigned mask,
                        int (*fn)(void *arg, const awc_outbox_file *f), void *arg);
    int (*outbox_records)(awc_store *st, uint64_t local_id,
                          int (*fn)(void *arg, const awc_outbox_record *r), void *arg);
    int (*outbox_set_status)(awc_store *st, uint64_t local_id, awc_outbox_status status,
                             const char *note);
    /* The platform has the file: record its ids, and move every credit of
     * the file to PROCESSING with a collect event. */
    int (*outbox_confirm)(awc_store *st, uint64_t local_id, const char *usage_file_id,
                          const char *const *record_ids, size_t n, const awc_actor *actor);
    /* The platform closed (credits -> PROCESSED) or rejected (credits ->
     * ASSIGNED, record ids cleared, note in the events) a file. */
    int (*outbox_settle)(awc_store *st, uint64_t local_id, awc_outbox_status status,
                         const char *note, const awc_actor *actor);

    /* Runs: take the period's run lock on this connection (0, or
     * AWC_ELOCKED naming the holder), journal a step, release. */
    int (*run_lock)(awc_store *st, const char *period, const awc_actor *actor,
                    const char *host, uint64_t *run_id);
    int (*run_step)(awc_store *st, uint64_t run_id, const char *step, const char *status,
                    const char *detail);
    int (*run_unlock)(awc_store *st, const char *period, uint64_t run_id, const char *status);

    /* Insert or update grants[0..n) (by credit id). */
    int (*grants_upsert)(awc_store *st, const awc_grant *g, size_t n);
    /* Grants ordered by expiry (none last); expiring_by "YYYY-MM-DD" keeps
     * only those expiring by then with something left (NULL = all). */
    int (*grants_each)(awc_store *st, const char *expiring_by,
                       int (*fn)(void *arg, const awc_grant *g), void *arg);

    /* A named lock (per database) held by this store until unlock, and
     * taken again after any reconnect (a unit of work fails with
     * AWC_ELOCKED when another process took it meanwhile).  AWC_ELOCKED
     * when another process holds it now. */
    int (*lock)(awc_store *st, const char *name);
    void (*unlock)(awc_store *st, const char *name);

    /* Close period (idempotent: closing a closed period changes nothing). */
    int (*period_close)(awc_store *st, const char *period, const awc_actor *actor);
    /* Undo a close, with an event of actor and its reason (SPEC 17).
     * AWC_EINVALID_TRANSITION when the period is not closed. */
    int (*period_reopen)(awc_store *st, const char *period, const char *reason,
                         const awc_actor *actor);

    /* Optional: another store on a connection of its own to the same
     * database, for another thread (a store is used by one thread at a
     * time).  It holds none of st's named locks. */
    int (*another)(awc_store *st, awc_store **out);

    /* The minor units a distributor set for currency codes, one callback
     * per code. */
    int (*currency_units)(awc_store *st, int (*fn)(void *arg, const char *code, int exponent),
                          void *arg);
    /* Record a code's minor unit with its reason and actor (append-only;
     * AWC_EBADINPUT when the code has one already). */
    int (*currency_unit_add)(awc_store *st, const char *code, int exponent, const char *reason,
                             const awc_actor *actor);

    /* Users of the web console and API (SPEC 15).  The store holds hashes
     * only.  user_add: AWC_EBADINPUT when the name exists.  user_set: a
     * new password hash (NULL keeps it) and disabled 0/1 (-1 keeps it);
     * either ends the user's sessions; AWC_ENOTFOUND for no such user. */
    int (*user_add)(awc_store *st, const char *name, int role, const char *reseller_id,
                    const char *hash);
    int (*user_set)(awc_store *st, const char *name, const char *hash, int disable);
    int (*users_each)(awc_store *st, int (*fn)(void *arg, const awc_user *u), void *arg);
    /* An API token: its public id and the SHA-256 of its secret.
     * AWC_ENOTFOUND for no such user, or (revoke) no live token id. */
    int (*token_add)(awc_store *st, const char *id, const char *user, const char *label,
                     const uint8_t hash[32]);
    int (*token_revoke)(awc_store *st, const char *id);
    /* Sign-in (SPEC 15).  auth_user: the user and its password hash
     * (AWC_ENOTFOUND, with no message, for no such user).  auth_failures:
     * failed sign-ins within window_s seconds for name and for client, and
     * the seconds until the oldest of each leaves the window.  auth_failed
     * records one.  session_add: a session for name (the SHA-256 of its
     * id, its CSRF token), clearing name's failures and sweeping expired
     * sessions.  session_get and token_get: the live session's / token's
     * user, who may sign in (AWC_ENOTFOUND otherwise, no message). */
    int (*auth_user)(awc_store *st, const char *name, awc_user *u, char *hash, size_t n);
    int (*auth_failures)(awc_store *st, const char *name, const char *client, int window_s,
                         int64_t out[4]);
    int (*auth_failed)(awc_store *st, const char *name, const char *client, int window_s);
    int (*session_add)(awc_store *st, const char *name, const uint8_t hash[32],
                       const char *csrf, int idle_s, int max_s);
    int (*session_get)(awc_store *st, const uint8_t hash[32], int idle_s, int max_s,
                       awc_user *u, char csrf[44]);
    int (*session_end)(awc_store *st, const uint8_t hash[32]);
    int (*token_get)(awc_store *st, const char *id, uint8_t hash[32], awc_user *u);

    /* Grants, balances and the hierarchy (SPEC 16). */
    /* Insert or update (by grant_id) the entered grants g[0..n), each with
     * an event of its actor (detail[i] JSON, may be NULL); all or nothing.
     * *added counts the new ones. */
    int (*grants_put)(awc_store *st, const awc_grant_rec *g, const char *const *detail,
                      size_t n, const awc_actor *actor, size_t *added);
    /* Change one grant (an entered one, or one the Billing API gave, which
     * becomes entered) with its event.  AWC_ENOTFOUND when there is none. */
    int (*grant_set)(awc_store *st, const awc_grant_change *ch, const awc_actor *actor);
    /* Every grant, entered and from the Billing API merged (one per
     * grant_id), with first_use set; in grant_id order. */
    int (*grants_all)(awc_store *st, int (*fn)(void *arg, const awc_grant_rec *g), void *arg);
    /* The negative credits issued on or before to_date ("YYYY-MM-DD"), in
     * no particular order, of one usage account (NULL = all); memory does
     * not grow with the number of rows. */
    int (*draw_credits)(awc_store *st, const char *to_date, const char *account,
                        int (*fn)(void *arg, const awc_draw_row *r), void *arg);
    /* Replace the whole hierarchy with rows[0..n) (checked by the caller),
     * with one event of actor; all or nothing. */
    int (*nodes_replace)(awc_store *st, const awc_node_row *rows, size_t n,
                         const awc_actor *actor);
    /* The nodes of the subtree under node_id (itself included), or every
     * node when under is NULL.  AWC_ENOTFOUND when under names no node. */
    int (*nodes_each)(awc_store *st, const char *under,
                      int (*fn)(void *arg, const awc_node_row *r), void *arg);
    /* Roll f[0..n) (amount_sum, used, remaining) up the hierarchy in the database: per node and currency,
     * its own grants' figures plus all its descendants'.  Only nodes under
     * `under` (NULL = all) and of level `level` (NULL = any) are returned,
     * by level depth then node_id. */
    int (*rollup)(awc_store *st, const awc_grant_fig *f, size_t n, const char *under,
                  const char *level, int (*fn)(void *arg, const awc_node_fig *r), void *arg);
} awc_store_ops;

struct awc_store {
    const awc_store_ops *ops;
};

/* Connect to MariaDB (adapters/store_mariadb.c).  AWC_EDB with the server's
 * message (never the password) on failure. */
int awc_store_mariadb_open(awc_store **out, const awc_db_params *p);

/* Tests only: the server thread id of the MariaDB store's connection, 0
 * when it is not connected. */
unsigned long awc_store_mariadb_thread_id(awc_store *s);
/* Tests only: 1 = send batches row at a time, as for a server without
 * bulk support. */
void awc_store_mariadb_force_rows(awc_store *s, int on);
/* Tests only: lose the connection at the next COMMIT of a unit that wrote,
 * 1 = after the server committed, 2 = before. */
void awc_store_mariadb_lose_commit(awc_store *s, int when);

#endif /* AWC_STORE_H */
