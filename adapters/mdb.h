/*
 * mdb.h -- private to the MariaDB store (adapters/store_mariadb*.c).
 *
 * The connection, the prepared-statement cache, parameter and result
 * binding helpers, and the unit-of-work runner.  Nothing outside adapters/
 * includes this; the module sees only store.h.
 *
 * Unit of work: mdb_tx(st, fn, arg) runs fn inside one transaction and
 * commits.  On deadlock (1213) or lock-wait timeout (1205) it rolls back and
 * runs fn again; on a lost connection (2006, 2013) it reconnects,
 * re-prepares and runs fn again; at most MDB_ATTEMPTS times in all, with
 * jittered exponential back-off.  fn must therefore be repeatable: it may
 * only write through the database and into its own output, from scratch.
 */
#ifndef AWC_MDB_H
#define AWC_MDB_H

#include <mysql.h>
#include <stdint.h>

#include "store.h"

#define MDB_ATTEMPTS 6
#define MDB_MAXB 32
#define MDB_MAXHOSTS 16

/* Every statement the store prepares; the text is in store_mariadb.c. */
enum mdb_sql {
    Q_MIG_LIST,
    Q_MIG_INSERT,
    Q_SEQ_NEXT,
    Q_CREDIT_INSERT,
    Q_CREDIT_GET,
    Q_CREDIT_LOCK,
    Q_CREDIT_SET_STATE,
    Q_EVENT_INSERT,
    Q_EVENTS_OF,
    Q_SEQ_BLOCK,
    Q_PERIOD_HEADS,
    Q_BATCH_CREDIT_INSERT,
    Q_BATCH_EVENT_CREATE,
    Q_CREDIT_RESTATE,
    Q_ACCOUNTS_DELETE,
    Q_ACCOUNTS_INSERT,
    Q_ACCOUNTS_ALL,
    Q_ACCOUNTS_DELETE_KEY,
    Q_ACCOUNTS_UPDATE,
    Q_ACCOUNTS_AT,
    Q_ACCOUNT_OWNER,
    Q_RULES_DELETE,
    Q_RULES_INSERT,
    Q_RULES_ALL,
    Q_PENDING,
    Q_PENDING_LOCKED,
    Q_CREDITS_SPAN,
    Q_SPLITS_INSERT,
    Q_SPLITS_OF,
    Q_PERIOD_GET,
    Q_PERIOD_CLOSE,
    Q_PERIODS,
    Q_PERIOD_EVENT,
    Q_PERIOD_REOPEN,
    Q_CURRENCY_UNITS,
    Q_CURRENCY_ADD,
    Q_USER_ADD,
    Q_USER_SET,
    Q_USER_GET,
    Q_USERS,
    Q_SESSIONS_END,
    Q_TOKEN_ADD,
    Q_TOKEN_REVOKE,
    Q_AUTH_USER,
    Q_AUTH_FAILS,
    Q_AUTH_FAIL_ADD,
    Q_AUTH_FAIL_EXPIRE,
    Q_AUTH_FAIL_CLEAR,
    Q_AUTH_LOGIN,
    Q_SESSION_ADD,
    Q_SESSION_GET,
    Q_SESSION_SEEN,
    Q_SESSION_DEL,
    Q_SESSIONS_EXPIRE,
    Q_TOKEN_GET,
    Q_TOKEN_SEEN,
    Q_INV_LINES,
    Q_OB_FILE_COUNT,
    Q_OB_FILE_INSERT,
    Q_OB_REC_INSERT,
    Q_OB_MARK,
    Q_OB_FILES,
    Q_OB_RECORDS,
    Q_OB_SET_STATUS,
    Q_OB_CONFIRM_FILE,
    Q_OB_REC_SET_ID,
    Q_OB_SPLIT_SET_ID,
    Q_OB_COLLECT_EVENTS,
    Q_OB_COLLECT,
    Q_OB_CLOSE_EVENTS,
    Q_OB_CLOSE,
    Q_OB_REJECT_EVENTS,
    Q_OB_REJECT_SPLITS,
    Q_OB_REJECT,
    Q_RUN_HOLDER,
    Q_RUN_STALE,
    Q_RUN_INSERT,
    Q_RUN_STEP,
    Q_RUN_FINISH,
    Q_RUN_UNLOCK,
    Q_LOCK_TRY,
    Q_LOCK_STEAL,
    Q_LOCK_REFRESH,
    Q_LOCK_BEAT,
    Q_LOCK_HOLDER,
    Q_SPLITS_OF_DELETE,
    Q_ATMP_CREATE,
    Q_ATMP_CLEAR,
    Q_ATMP_INSERT,
    Q_ATMP_UPDATE,
    Q_ATMP_SPLITS_DELETE,
    Q_ASSIGN_EVENT,
    Q_ASG_FIND,
    Q_ASG_FIND_LOCKED,
    Q_ASG_ADD,
    Q_ASG_ALL,
    Q_ASG_SINCE,
    Q_ASG_SINCE_LOCKED,
    Q_ASG_GET,
    Q_ASG_GET_LOCKED,
    Q_INV_LOCK,
    Q_GRANT_UPSERT,
    Q_GRANTS,
    Q_MARK_ADD,
    Q_MARK_FIND,
    Q_MARK_PRUNE,
    Q_GRANT_PUT,
    Q_GRANT_COUNT,
    Q_GRANT_EVENT,
    Q_GRANT_ADOPT,
    Q_GRANT_SET,
    Q_GRANTS_ALL,
    Q_DRAW_CREDITS,
    Q_DRAW_CREDITS_OF,
    Q_NODES_DELETE,
    Q_NODES_INSERT,
    Q_NODES_ALL,
    Q_NODES_UNDER,
    Q_FIG_CREATE,
    Q_FIG_CLEAR,
    Q_FIG_INSERT,
    Q_ROLLUP,
    Q_COUNT
};

typedef struct mdb {
    awc_store base;                /* first: an awc_store * is an mdb * */
    MYSQL *conn;
    MYSQL_STMT *stmt[Q_COUNT];
    awc_db_params params;          /* strings owned (copied) */
    char *password;                /* owned; wiped on close */
    unsigned last_errno;           /* server/client error of the last failure */
    int bulk;                      /* the server takes array binding */
    char locks[4][64];             /* named locks held (rows of `locks`, leases renewed) */
    int in_tx;                     /* inside mdb_tx: nested units join it */
    int force_row_at_a_time;       /* tests: use the fallback for batches */
    int wrote;                     /* the unit of work ran a write statement */
    int no_markers;                /* commit_markers is missing (migration 009) */
    int lose_commit;               /* tests: 1 lose the connection after COMMIT, 2 before */
    unsigned commits;              /* commits with a marker, for pruning now and then */
    int rerun;                     /* the unit was rolled back, the connection is fine */
    unsigned rng;                  /* jitter state */
    struct mdb_asg_cache *asg;     /* assignment values seen (store_mariadb_asg.c) */
    struct mdb_chunk_bufs *chunks; /* assignment's batches (store_mariadb_assign.c) */
    struct { char name[256]; unsigned port; } hosts[MDB_MAXHOSTS]; /* db.hosts, parsed */
    size_t nhosts;                 /* 0: db.socket or db.host */
    size_t host_ix;                /* the node in use, or the next to try */
    char *hosts_text;              /* db.hosts as given (owned), for another() */
    int galera;                    /* the server is a Galera node (wsrep_on) */
    char owner[96];                /* this process as a lock owner (host:pid:random) */
    int64_t lock_at;               /* monotonic ms the leases were last renewed */
    unsigned lost;                 /* bit i: locks[i] was taken over by another process */
    const struct mdb *parent;      /* another() opened this one (a lane): renew its leases */
} mdb;

/* Parameter bindings for one execution. */
typedef struct mdb_params {
    MYSQL_BIND b[MDB_MAXB];
    unsigned long len[MDB_MAXB];
    unsigned n;
} mdb_params;

/* Result bindings for one statement; strings are NUL-terminated by
 * mdb_fetch(). */
typedef struct mdb_result {
    MYSQL_BIND b[MDB_MAXB];
    unsigned long len[MDB_MAXB];
    my_bool nul[MDB_MAXB];
    my_bool err[MDB_MAXB];
    char *sbuf[MDB_MAXB];
    size_t scap[MDB_MAXB];
    unsigned n;
} mdb_result;

void mdb_p_init(mdb_params *p);
void mdb_p_bytes(mdb_params *p, const void *v, size_t n);
void mdb_p_str(mdb_params *p, const char *s);       /* NULL binds SQL NULL */
void mdb_p_str_or_null(mdb_params *p, const char *s); /* "" binds NULL too */
void mdb_p_i64(mdb_params *p, const int64_t *v);
void mdb_p_u64(mdb_params *p, const uint64_t *v);
void mdb_p_u64_or_null(mdb_params *p, const uint64_t *v); /* 0 binds NULL */

void mdb_r_init(mdb_result *r);
void mdb_r_str(mdb_result *r, char *buf, size_t cap);
void mdb_r_i64(mdb_result *r, int64_t *v);
void mdb_r_u64(mdb_result *r, uint64_t *v);

/* The prepared statement q, preparing it on first use.  NULL on failure
 * with the error set. */
MYSQL_STMT *mdb_stmt(mdb *st, enum mdb_sql q);
/* Bind p (may be NULL) and execute q.  0 or AWC_EDB. */
int mdb_exec(mdb *st, enum mdb_sql q, mdb_params *p);
/* After mdb_exec of a SELECT: bind r.  0 or AWC_EDB. */
int mdb_bind_result(mdb *st, enum mdb_sql q, mdb_result *r);
/* Next row: 1 = row, 0 = no more rows, < 0 = error.  Strings terminated;
 * a NULL column reads as "" or 0.  A truncated string is an error. */
int mdb_fetch(mdb *st, enum mdb_sql q, mdb_result *r);
/* Execute q with p (may be NULL) and fetch its first row into r, set up
 * beforehand: 1 = a row, 0 = none, < 0 = error.  The rest is discarded. */
int mdb_one_row(mdb *st, enum mdb_sql q, mdb_params *p, mdb_result *r);
/* Discard any rest of q's result set. */
void mdb_done(mdb *st, enum mdb_sql q);
/* Rows changed by the last execution of q. */
uint64_t mdb_affected(mdb *st, enum mdb_sql q);

/* Does q change rows? */
int mdb_writes(enum mdb_sql q);

/* Record a failure of the connection / a statement as AWC_EDB. */
int mdb_fail(mdb *st, const char *what);
int mdb_stmt_fail(mdb *st, MYSQL_STMT *s, const char *what);

/* Connect if the connection was dropped.  0 or AWC_EDB. */
int mdb_ensure(mdb *st);
int mdb_tx(mdb *st, int (*fn)(mdb *st, void *arg), void *arg);
/* Run one constant statement (no parameters, no result). */
int mdb_query(mdb *st, const char *sql);

/* Column-wise array binding for batches (STMT_ATTR_ARRAY_SIZE), with a
 * row-at-a-time fallback for servers without bulk support.  Columns are
 * declared once; values are set per row; strings are the caller's. */
enum mdb_col { MDB_COL_STR, MDB_COL_I64, MDB_COL_U64 };
typedef struct mdb_batch {
    unsigned ncols, cap, n;
    enum mdb_col type[MDB_MAXB];
    const char **str[MDB_MAXB];
    unsigned long *len[MDB_MAXB];
    char *ind[MDB_MAXB];
    int64_t *num[MDB_MAXB];
    uint64_t affected;             /* rows changed by the executions so far */
} mdb_batch;

int mdb_batch_init(mdb_batch *b, unsigned cap, unsigned ncols, const enum mdb_col *types);
void mdb_batch_free(mdb_batch *b);
void mdb_batch_str(mdb_batch *b, unsigned col, const char *s); /* NULL = SQL NULL */
void mdb_batch_num(mdb_batch *b, unsigned col, int64_t v);
void mdb_batch_null(mdb_batch *b, unsigned col);
void mdb_batch_set_num(mdb_batch *b, unsigned row, unsigned col, int64_t v); /* a complete row */
void mdb_batch_next_row(mdb_batch *b); /* the row being set is complete */
/* Execute q over the b->n complete rows, then empty the batch. */
int mdb_batch_exec(mdb *st, enum mdb_sql q, mdb_batch *b);

/* An assignment value (sql/migrations/006_assignments.sql); NULL or ""
 * means none. */
typedef struct mdb_asg {
    const char *owner_account_id, *customer_id, *asset_id, *reseller_id, *rule_id;
    int flag;                      /* awc_flag */
} mdb_asg;

/* The id of value v, adding the value when it is new, in the current unit. */
int mdb_asg_id(mdb *st, const mdb_asg *v, uint64_t *id);
/* ids[i] = the id of v[i] for i < n, adding the new values.  After a
 * preload the values the cache lacks go in with one statement; if another
 * session added one of them meanwhile, or without a preload, each is
 * looked up or added alone as by mdb_asg_id().  0 or an error. */
int mdb_asg_ids(mdb *st, const mdb_asg *v, size_t n, uint64_t *ids);
/* Read every value into the cache (before many look-ups): afterwards a value
 * the cache lacks is taken to be new and added without a look-up first. */
int mdb_asg_preload(mdb *st);
/* The value of id; its strings stay valid until the cache is forgotten. */
int mdb_asg_get(mdb *st, uint64_t id, mdb_asg *out);
/* Forget the cache (after a unit of work that did not commit); free it. */
void mdb_asg_forget(mdb *st);
void mdb_asg_free(mdb *st);
void mdb_chunk_bufs_free(mdb *st);

/* The store's operations (store_mariadb_credit.c, store_mariadb_migrate.c,
 * store_mariadb_pull.c). */
int mdb_tx_op(awc_store *s, int (*fn)(awc_store *st, void *arg), void *arg);
int mdb_credits_of_period(awc_store *s, const char *period,
                          int (*fn)(void *arg, const awc_credit_head *h), void *arg);
int mdb_credits_insert(awc_store *s, awc_credit_draft *d, size_t n, const awc_actor *actor);
int mdb_credit_restate(awc_store *s, const awc_restatement *r);
int mdb_accounts_replace(awc_store *s, const awc_account_row *rows, size_t n);
int mdb_accounts_at(awc_store *s, const char *date,
                    int (*fn)(void *, const awc_account_row *), void *arg);
int mdb_account_owner(awc_store *s, const char *account, const char *date,
                      awc_account_row *out, char *buf, size_t bufsz);
int mdb_rules_replace(awc_store *s, const awc_rule_row *rows, size_t n, const awc_actor *actor);
int mdb_rules_each(awc_store *s, int (*fn)(void *, const awc_rule_row *), void *arg);
int mdb_credits_span(awc_store *s, const char *period, uint64_t *first, uint64_t *last);
int mdb_credits_pending(awc_store *s, const awc_pending_range *q,
                        int (*fn)(void *, const awc_pending *), void *arg);
int mdb_assign_apply(awc_store *s, const awc_assignment *a, size_t n, const awc_actor *actor,
                     awc_stage *stage);
awc_stage *mdb_stage_new(awc_store *s);
void mdb_stage_free(awc_store *s, awc_stage *g);
void mdb_assign_stage(awc_store *s, awc_stage *g, const awc_assignment *a, size_t n,
                      const awc_actor *actor);
int mdb_period_get(awc_store *s, const char *period, int *closed, char *by, size_t bysz,
                   char *at, size_t atsz);
int mdb_period_close(awc_store *s, const char *period, const awc_actor *actor);
int mdb_currency_units(awc_store *s, int (*fn)(void *arg, const char *code, int exponent),
                       void *arg);
int mdb_currency_unit_add(awc_store *s, const char *code, int exponent, const char *reason,
                          const awc_actor *actor);
int mdb_user_add(awc_store *s, const char *name, int role, const char *reseller_id,
                 const char *hash);
int mdb_user_set(awc_store *s, const char *name, const char *hash, int disable);
int mdb_users_each(awc_store *s, int (*fn)(void *, const awc_user *), void *arg);
int mdb_token_add(awc_store *s, const char *id, const char *user, const char *label,
                  const uint8_t hash[32]);
int mdb_token_revoke(awc_store *s, const char *id);
int mdb_credits_totals(awc_store *s, const awc_query *q,
                       int (*fn)(void *, const char *, int64_t, const char *), void *arg);
int mdb_period_reopen(awc_store *s, const char *period, const char *reason,
                      const awc_actor *actor);
int mdb_periods_each(awc_store *s, int (*fn)(void *, const awc_period_row *), void *arg);
int mdb_auth_user(awc_store *s, const char *name, awc_user *u, char *hash, size_t n);
int mdb_auth_failures(awc_store *s, const char *name, const char *client, int window_s,
                      int64_t out[4]);
int mdb_auth_failed(awc_store *s, const char *name, const char *client, int window_s);
int mdb_session_add(awc_store *s, const char *name, const uint8_t hash[32], const char *csrf,
                    int idle_s, int max_s);
int mdb_session_get(awc_store *s, const uint8_t hash[32], int idle_s, int max_s, awc_user *u,
                    char csrf[44]);
int mdb_session_end(awc_store *s, const uint8_t hash[32]);
int mdb_token_get(awc_store *s, const char *id, uint8_t hash[32], awc_user *u);
int mdb_invoice_lines(awc_store *s, const char *period,
                      int (*fn)(void *, const awc_invoice_line *), void *arg);
int mdb_outbox_create(awc_store *s, awc_outbox_file *f, const awc_invoice_line *lines, size_t n,
                      const uint64_t *seqs, size_t nseqs);
int mdb_outbox_files(awc_store *s, const char *period, unsigned mask,
                     int (*fn)(void *, const awc_outbox_file *), void *arg);
int mdb_outbox_records(awc_store *s, uint64_t local_id,
                       int (*fn)(void *, const awc_outbox_record *), void *arg);
int mdb_outbox_set_status(awc_store *s, uint64_t local_id, awc_outbox_status status,
                          const char *note);
int mdb_outbox_confirm(awc_store *s, uint64_t local_id, const char *usage_file_id,
                       const char *const *record_ids, size_t n, const awc_actor *actor);
int mdb_outbox_settle(awc_store *s, uint64_t local_id, awc_outbox_status status,
                      const char *note, const awc_actor *actor);
int mdb_lock(awc_store *s, const char *name);
void mdb_unlock(awc_store *s, const char *name);
/* Renew the leases of the locks held (store_mariadb_lock.c): when force,
 * or once a quarter of the lease passed.  AWC_ELOCKED when another process
 * took one over (it is then no longer held), AWC_EDB. */
int mdb_locks_keep(mdb *st, int force);
/* The lease of a lock, in seconds (db.lock_seconds, default 60). */
unsigned mdb_lock_seconds(const mdb *st);
/* CREATE TABLE IF NOT EXISTS locks (...) */
extern const char mdb_locks_table[];
int mdb_run_lock(awc_store *s, const char *period, const awc_actor *actor, const char *host,
                 uint64_t *run_id);
int mdb_run_step(awc_store *s, uint64_t run_id, const char *step, const char *status,
                 const char *detail);
int mdb_run_unlock(awc_store *s, const char *period, uint64_t run_id, const char *status);
int mdb_grants_upsert(awc_store *s, const awc_grant *g, size_t n);
int mdb_grants_each(awc_store *s, const char *expiring_by,
                    int (*fn)(void *, const awc_grant *), void *arg);
int mdb_grants_put(awc_store *s, const awc_grant_rec *g, const char *const *detail, size_t n,
                   const awc_actor *actor, size_t *added);
int mdb_grant_set(awc_store *s, const awc_grant_change *ch, const awc_actor *actor);
int mdb_grants_all(awc_store *s, int (*fn)(void *, const awc_grant_rec *), void *arg);
int mdb_draw_credits(awc_store *s, const char *to_date, const char *account,
                     int (*fn)(void *, const awc_draw_row *), void *arg);
int mdb_nodes_replace(awc_store *s, const awc_node_row *rows, size_t n, const awc_actor *actor);
int mdb_nodes_each(awc_store *s, const char *under, int (*fn)(void *, const awc_node_row *),
                   void *arg);
int mdb_rollup(awc_store *s, const awc_grant_fig *f, size_t n, const char *under,
               const char *level, int (*fn)(void *, const awc_node_fig *), void *arg);
/* Replace the split lines of credit seq with l[0..n), in the current unit. */
int mdb_splits_write(mdb *st, uint64_t seq, const awc_split_line *l, size_t n);
int mdb_splits_of(awc_store *s, uint64_t seq, int (*fn)(void *, const awc_split_line *),
                  void *arg);
int mdb_migrate(awc_store *s, int *applied);
int mdb_schema_version(awc_store *s, int *out);
int mdb_credit_insert(awc_store *s, awc_credit *c, const awc_actor *actor);
int mdb_credit_get(awc_store *s, awc_credit *out, uint64_t seq);
int mdb_credit_transition(awc_store *s, const awc_transition *t, int64_t *new_version);
int mdb_events_each(awc_store *s, uint64_t seq, int (*fn)(void *, const awc_event *), void *arg);
int mdb_credits_query(awc_store *s, const awc_query *q,
                      int (*fn)(void *, const awc_credit_row *), void *arg);

/* Shared by the credit statements. */
const char *mdb_role_name(int role);
/* "distributor", "reseller", "viewer" -> awc_role, or 0. */
int mdb_role_parse(const char *s);
/* An event's three actor columns (role, id, reseller), as parameters or
 * as batch columns col..col+2. */
void mdb_p_actor(mdb_params *p, const awc_actor *a);
void mdb_batch_actor(mdb_batch *b, unsigned col, const awc_actor *a);
int mdb_event_insert(mdb *st, uint64_t seq, awc_event_kind kind, awc_state from, awc_state to,
                     int64_t from_version, int64_t to_version, const awc_actor *actor,
                     const char *note, const char *detail);

#endif /* AWC_MDB_H */
