/*
 * store_mariadb.c -- the store on MariaDB through Connector/C: connection,
 * prepared statements, bindings and the retrying unit of work.
 *
 * No SQL text is ever built from input: every statement below is a
 * constant, prepared once per connection, with '?' parameters.  There is no
 * MYSQL_OPT_RECONNECT: a lost connection is reconnected by mdb_tx(), which
 * then re-prepares and repeats the whole unit of work.
 */
#include <errno.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "awc.h"
#include "mdb.h"

#define CREDIT_COLS \
    "c.seq, c.period, c.payer_account_id, c.usage_account_id, c.credit_key, c.product_code, " \
    "c.currency, c.revision, c.adjusts, c.description, c.credit_type, c.billing_entity, " \
    "c.legal_entity, c.invoice_id, c.first_usage, c.last_usage, c.issue_date, c.line_count, " \
    "c.amount, c.status, c.version, a.unmapped, a.customer_id, a.asset_id, a.reseller_id, " \
    "a.rule_id, c.usage_file_id, c.processing_date, c.created_at, c.updated_at, " \
    "a.owner_account_id, COALESCE(c.outbox_id, 0)"

static const char *const sql_text[Q_COUNT] = {
    [Q_MIG_LIST] = "SELECT version, checksum FROM schema_migrations ORDER BY version",
    [Q_MIG_INSERT] = "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
    [Q_SEQ_NEXT] = "SELECT NEXTVAL(credit_seq)",
    [Q_CREDIT_INSERT] =
        "INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, "
        "product_code, currency, revision, adjusts, description, credit_type, billing_entity, "
        "legal_entity, invoice_id, first_usage, last_usage, issue_date, line_count, amount, "
        "status, assignment_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING_ASSIGN', ?)",
    [Q_CREDIT_GET] = "SELECT " CREDIT_COLS " FROM credits c "
                     "JOIN assignments a ON a.id = c.assignment_id WHERE c.seq = ?",
    [Q_CREDIT_LOCK] = "SELECT status, version FROM credits WHERE seq = ? FOR UPDATE",
    [Q_CREDIT_SET_STATE] =
        "UPDATE credits SET status = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6) "
        "WHERE seq = ? AND version = ?",
    [Q_EVENT_INSERT] =
        "INSERT INTO credit_events (id, seq, kind, from_state, to_state, from_version, to_version, "
        "actor_role, actor_id, actor_reseller, actor_via, note, detail) "
        "VALUES (NEXTVAL(credit_event_seq), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_EVENTS_OF] =
        "SELECT id, seq, at, kind, from_state, to_state, from_version, to_version, actor_role, "
        "actor_id, actor_reseller, COALESCE(actor_via, ''), note, detail FROM credit_events "
        "WHERE seq = ? ORDER BY to_version, id", /* ids of two Galera nodes interleave */
    /* one round trip hands out a block of IDs (the SEQUENCE engine's
     * seq_1_to_N table); unused ones are gaps, never reused */
    [Q_SEQ_BLOCK] = "SELECT NEXTVAL(credit_seq) FROM seq_1_to_1000",
    [Q_MARK_ADD] = "INSERT INTO commit_markers (token) VALUES (?)",
    /* a locking read: while the lost session's transaction is still
     * committing (or being rolled back) it holds the marker row, and this
     * waits for its outcome instead of reading the snapshot before it */
    [Q_MARK_FIND] = "SELECT COUNT(*) FROM commit_markers WHERE token = ? LOCK IN SHARE MODE",
    /* outside any unit, and never waiting long on another session's pruning */
    [Q_MARK_PRUNE] =
        "SET STATEMENT innodb_lock_wait_timeout = 1 FOR DELETE FROM commit_markers "
        "WHERE at < CURRENT_TIMESTAMP(6) - INTERVAL 1 DAY ORDER BY at LIMIT 1000",
    [Q_PERIOD_HEADS] =
        "SELECT seq, payer_account_id, usage_account_id, credit_key, product_code, currency, "
        "revision, adjusts, amount, status, version, outbox_id IS NOT NULL FROM credits "
        "WHERE period = ? ORDER BY seq FOR UPDATE",
    [Q_BATCH_CREDIT_INSERT] =
        "INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, "
        "product_code, currency, revision, adjusts, description, credit_type, billing_entity, "
        "legal_entity, invoice_id, first_usage, last_usage, issue_date, line_count, amount, "
        "status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING_ASSIGN')",
    [Q_BATCH_EVENT_CREATE] =
        "INSERT INTO credit_events (id, seq, kind, from_state, to_state, from_version, to_version, "
        "actor_role, actor_id, actor_reseller, actor_via, note, detail) "
        "VALUES (NEXTVAL(credit_event_seq), ?, 'create', 'NONE', 'PENDING_ASSIGN', 0, 1, "
        "?, ?, ?, ?, ?, ?)",
    [Q_CREDIT_RESTATE] =
        "UPDATE credits SET amount = ?, description = ?, credit_type = ?, billing_entity = ?, "
        "legal_entity = ?, invoice_id = ?, first_usage = ?, last_usage = ?, issue_date = ?, "
        "line_count = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6) "
        "WHERE seq = ? AND version = ? AND outbox_id IS NULL",
    [Q_ACCOUNTS_DELETE] = "DELETE FROM accounts",
    [Q_ACCOUNTS_INSERT] =
        "INSERT INTO accounts (account_id, valid_from, valid_to, customer_id, asset_id, "
        "reseller_id, customer_name, reseller_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_ACCOUNTS_ALL] =
        "SELECT account_id, valid_from, valid_to, customer_id, asset_id, reseller_id, "
        "customer_name, reseller_name FROM accounts ORDER BY account_id, valid_from FOR UPDATE",
    [Q_ACCOUNTS_DELETE_KEY] = "DELETE FROM accounts WHERE account_id = ? AND valid_from = ?",
    [Q_ACCOUNTS_UPDATE] =
        "UPDATE accounts SET valid_to = ?, customer_id = ?, asset_id = ?, reseller_id = ?, "
        "customer_name = ?, reseller_name = ? WHERE account_id = ? AND valid_from = ?",
    [Q_ACCOUNTS_AT] =
        "SELECT account_id, valid_from, valid_to, customer_id, asset_id, reseller_id, "
        "customer_name, reseller_name FROM accounts "
        "WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?) "
        "ORDER BY account_id, valid_from",
    [Q_ACCOUNT_OWNER] =
        "SELECT account_id, valid_from, valid_to, customer_id, asset_id, reseller_id, "
        "customer_name, reseller_name FROM accounts "
        "WHERE account_id = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?) "
        "ORDER BY valid_from DESC LIMIT 1",
    [Q_RULES_DELETE] = "DELETE FROM rules",
    [Q_RULES_INSERT] =
        "INSERT INTO rules (id, name, created, match_kind, match_text, definition, imported_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    [Q_RULES_ALL] =
        "SELECT id, name, created, match_kind, match_text, definition FROM rules ORDER BY id",
    /* By the primary key, between seqs: read through the period's index,
     * a chunk after seq N scans the period's entries from its first (13 ms
     * for a chunk in the middle of 100,000 credits, 0.9 ms this way).  The
     * plain read is assignment's (which checks each credit's version when
     * it writes); the locked one reads a chunk again. */
    [Q_PENDING] =
        "SELECT seq, version, assignment_id, usage_account_id, currency, "
        "credit_type, product_code, description, amount FROM credits FORCE INDEX (PRIMARY) "
        "WHERE period = ? AND status = 'PENDING_ASSIGN' AND seq > ? AND seq <= ? "
        "ORDER BY seq LIMIT ?",
    [Q_PENDING_LOCKED] =
        "SELECT seq, version, assignment_id, usage_account_id, currency, "
        "credit_type, product_code, description, amount FROM credits FORCE INDEX (PRIMARY) "
        "WHERE period = ? AND status = 'PENDING_ASSIGN' AND seq > ? AND seq <= ? "
        "ORDER BY seq LIMIT ? FOR UPDATE",
    /* both ends of the period's index */
    [Q_CREDITS_SPAN] =
        "SELECT IFNULL(MIN(seq), 0), IFNULL(MAX(seq), 0) FROM credits WHERE period = ?",
    [Q_SPLITS_INSERT] =
        "INSERT INTO credit_splits (seq, line_no, target, party_id, target_name, percent_bp, "
        "amount_minor, customer_id, asset_id, reseller_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_SPLITS_OF] =
        "SELECT line_no, target, party_id, target_name, percent_bp, amount_minor, customer_id, "
        "asset_id, reseller_id, record_id FROM credit_splits WHERE seq = ? ORDER BY line_no",
    [Q_PERIOD_GET] = "SELECT closed_by, closed_at FROM periods WHERE period = ?",
    [Q_PERIOD_CLOSE] = "INSERT IGNORE INTO periods (period, closed_by) VALUES (?, ?)",
    /* periods with credits, and closed ones with none, newest first */
    [Q_PERIODS] =
        "SELECT t.period, SUM(t.pending), SUM(t.assigned), SUM(t.processing), "
        "SUM(t.processed), COALESCE(MAX(p.closed_by), ''), "
        "COALESCE(DATE_FORMAT(MAX(p.closed_at), '%Y-%m-%dT%H:%i:%sZ'), '') FROM ("
        "SELECT period, SUM(status = 'PENDING_ASSIGN') AS pending, "
        "SUM(status = 'ASSIGNED') AS assigned, SUM(status = 'PROCESSING') AS processing, "
        "SUM(status = 'PROCESSED') AS processed FROM credits GROUP BY period "
        "UNION ALL SELECT period, 0, 0, 0, 0 FROM periods) t "
        "LEFT JOIN periods p ON p.period = t.period GROUP BY t.period ORDER BY t.period DESC",
    [Q_CURRENCY_UNITS] =
        "SELECT code, exponent FROM currency_units ORDER BY code",
    [Q_USER_ADD] =
        "INSERT INTO users (name, role, reseller_id, password_hash) VALUES (?, ?, ?, ?)",
    /* a new hash when given; disabled set to 0 or 1 when given (-1 keeps) */
    [Q_USER_SET] =
        "UPDATE users SET password_hash = IF(? IS NULL, password_hash, ?), "
        "disabled = IF(? < 0, disabled, ?), changed_at = CURRENT_TIMESTAMP(6) WHERE name = ?",
    [Q_USER_GET] = "SELECT 1 FROM users WHERE name = ?",
    [Q_USERS] =
        "SELECT u.name, u.role, COALESCE(u.reseller_id, ''), u.disabled, "
        "DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
        "COALESCE(DATE_FORMAT(u.last_login_at, '%Y-%m-%dT%H:%i:%sZ'), ''), "
        "(SELECT COUNT(*) FROM api_tokens t WHERE t.user_name = u.name AND t.revoked_at IS NULL) "
        "FROM users u ORDER BY u.name",
    [Q_SESSIONS_END] = "DELETE FROM sessions WHERE user_name = ?",
    /* only for a user who may sign in */
    [Q_TOKEN_ADD] =
        "INSERT INTO api_tokens (id, user_name, label, secret_hash) "
        "SELECT ?, name, ?, ? FROM users WHERE name = ? AND disabled = 0",
    [Q_TOKEN_REVOKE] =
        "UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP(6) "
        "WHERE id = ? AND revoked_at IS NULL",
    /* sign-in (SPEC 15): the user with its hash; failures in the window
     * by name and by client, with the seconds until the oldest leaves it */
    [Q_AUTH_USER] =
        "SELECT name, role, COALESCE(reseller_id, ''), disabled, password_hash FROM users "
        "WHERE name = ?",
    [Q_AUTH_FAILS] =
        "SELECT COALESCE(SUM(user_name = ?), 0), COALESCE(SUM(client = ?), 0), "
        "COALESCE(? - TIMESTAMPDIFF(SECOND, MIN(IF(user_name = ?, at, NULL)), "
        "CURRENT_TIMESTAMP(6)), 0), "
        "COALESCE(? - TIMESTAMPDIFF(SECOND, MIN(IF(client = ?, at, NULL)), "
        "CURRENT_TIMESTAMP(6)), 0) FROM signin_failures "
        "WHERE (user_name = ? OR client = ?) "
        "AND at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
    [Q_AUTH_FAIL_ADD] = "INSERT INTO signin_failures (user_name, client) VALUES (?, ?)",
    [Q_AUTH_FAIL_EXPIRE] =
        "DELETE FROM signin_failures WHERE at < CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
    [Q_AUTH_FAIL_CLEAR] = "DELETE FROM signin_failures WHERE user_name = ?",
    [Q_AUTH_LOGIN] = "UPDATE users SET last_login_at = CURRENT_TIMESTAMP(6) WHERE name = ?",
    [Q_SESSION_ADD] =
        "INSERT INTO sessions (id_hash, user_name, csrf_token) VALUES (?, ?, ?)",
    /* a live session of a user who may sign in: idle and age in seconds */
    [Q_SESSION_GET] =
        "SELECT u.name, u.role, COALESCE(u.reseller_id, ''), s.csrf_token, "
        "TIMESTAMPDIFF(SECOND, s.last_seen_at, CURRENT_TIMESTAMP(6)) "
        "FROM sessions s JOIN users u ON u.name = s.user_name "
        "WHERE s.id_hash = ? AND u.disabled = 0 "
        "AND s.last_seen_at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND "
        "AND s.created_at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
    [Q_SESSION_SEEN] =
        "UPDATE sessions SET last_seen_at = CURRENT_TIMESTAMP(6) WHERE id_hash = ?",
    [Q_SESSION_DEL] = "DELETE FROM sessions WHERE id_hash = ?",
    [Q_SESSIONS_EXPIRE] =
        "DELETE FROM sessions WHERE last_seen_at < CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND "
        "OR created_at < CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
    /* a live token of a user who may sign in */
    [Q_TOKEN_GET] =
        "SELECT u.name, u.role, COALESCE(u.reseller_id, ''), t.secret_hash, "
        "COALESCE(TIMESTAMPDIFF(SECOND, t.last_used_at, CURRENT_TIMESTAMP(6)), 1000000) "
        "FROM api_tokens t JOIN users u ON u.name = t.user_name "
        "WHERE t.id = ? AND t.revoked_at IS NULL AND u.disabled = 0",
    [Q_TOKEN_SEEN] =
        "UPDATE api_tokens SET last_used_at = CURRENT_TIMESTAMP(6) WHERE id = ?",
    [Q_PERIOD_EVENT] =
        "INSERT INTO period_events (period, kind, reason, actor_role, actor_id, actor_reseller, "
        "actor_via) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [Q_PERIOD_REOPEN] = "DELETE FROM periods WHERE period = ?",
    [Q_CURRENCY_ADD] =
        "INSERT INTO currency_units (code, exponent, reason, actor_role, actor_id, "
        "actor_reseller, actor_via) VALUES (?, ?, ?, ?, ?, ?, ?)",
    /* the credits are locked first, alone: a locking read of the join
     * would lock shared assignment rows exclusively */
    [Q_INV_LOCK] =
        "SELECT seq FROM credits "
        "WHERE period = ? AND status = 'ASSIGNED' AND outbox_id IS NULL FOR UPDATE",
    [Q_INV_LINES] =
        "SELECT c.seq, COALESCE(s.line_no, 0), COALESCE(s.target, 'retained'), "
        "COALESCE(s.amount_minor, 0), a.reseller_id, c.currency, "
        "COALESCE(s.customer_id, NULLIF(a.customer_id, '') COLLATE utf8mb4_bin, ''), "
        "COALESCE(s.asset_id, NULLIF(a.asset_id, '') COLLATE utf8mb4_bin, '') "
        "FROM credits c STRAIGHT_JOIN assignments a ON a.id = c.assignment_id "
        "LEFT JOIN credit_splits s ON s.seq = c.seq AND s.target <> 'retained' "
        "AND s.amount_minor <> 0 "
        "WHERE c.period = ? AND c.status = 'ASSIGNED' AND c.outbox_id IS NULL "
        "ORDER BY a.reseller_id, c.currency, a.customer_id, c.seq, s.line_no "
        "LOCK IN SHARE MODE",
    [Q_OB_FILE_COUNT] =
        "SELECT COUNT(*) FROM usage_files WHERE period = ? AND reseller_id = ? AND currency = ?",
    [Q_OB_FILE_INSERT] =
        "INSERT INTO usage_files (external_id, period, reseller_id, currency, adapter, status, "
        "record_count) VALUES (?, ?, ?, ?, ?, 'prepared', ?)",
    [Q_OB_REC_INSERT] =
        "INSERT INTO usage_records (local_id, position, seq, line_no, amount_minor) "
        "VALUES (?, ?, ?, ?, ?)",
    [Q_OB_MARK] =
        "UPDATE credits SET outbox_id = ? WHERE seq = ? AND status = 'ASSIGNED' "
        "AND outbox_id IS NULL",
    [Q_OB_FILES] =
        "SELECT local_id, external_id, COALESCE(usage_file_id, ''), period, reseller_id, "
        "currency, adapter, status, record_count FROM usage_files "
        "WHERE (? IS NULL OR period = ?) ORDER BY local_id",
    [Q_OB_RECORDS] =
        "SELECT r.position, r.seq, r.line_no, r.amount_minor, COALESCE(s.customer_id, ''), "
        "COALESCE(s.asset_id, ''), c.description, COALESCE(r.record_id, ''), "
        "COALESCE(s.target, 'customer') "
        "FROM usage_records r JOIN credits c ON c.seq = r.seq "
        "LEFT JOIN credit_splits s ON s.seq = r.seq AND s.line_no = r.line_no "
        "WHERE r.local_id = ? ORDER BY r.position",
    [Q_OB_SET_STATUS] =
        "UPDATE usage_files SET status = ?, note = COALESCE(?, note), "
        "updated_at = CURRENT_TIMESTAMP(6) WHERE local_id = ?",
    [Q_OB_CONFIRM_FILE] =
        "UPDATE usage_files SET usage_file_id = ?, status = 'sent', "
        "updated_at = CURRENT_TIMESTAMP(6) WHERE local_id = ?",
    [Q_OB_REC_SET_ID] =
        "UPDATE usage_records SET record_id = ? WHERE local_id = ? AND position = ?",
    [Q_OB_SPLIT_SET_ID] =
        "UPDATE credit_splits s JOIN usage_records r ON r.seq = s.seq AND r.line_no = s.line_no "
        "SET s.record_id = r.record_id WHERE r.local_id = ?",
    [Q_OB_COLLECT_EVENTS] =
        "INSERT INTO credit_events (id, seq, kind, from_state, to_state, from_version, to_version, "
        "actor_role, actor_id, actor_reseller, actor_via, note) "
        "SELECT NEXTVAL(credit_event_seq), seq, 'collect', 'ASSIGNED', 'PROCESSING', "
        "version, version + 1, "
        "?, ?, ?, ?, ? "
        "FROM credits WHERE outbox_id = ? AND status = 'ASSIGNED' ORDER BY seq",
    [Q_OB_COLLECT] =
        "UPDATE credits SET status = 'PROCESSING', version = version + 1, usage_file_id = ?, "
        "processing_date = UTC_DATE(), outbox_id = NULL, updated_at = CURRENT_TIMESTAMP(6) "
        "WHERE outbox_id = ? AND status = 'ASSIGNED'",
    [Q_OB_CLOSE_EVENTS] =
        "INSERT INTO credit_events (id, seq, kind, from_state, to_state, from_version, to_version, "
        "actor_role, actor_id, actor_reseller, actor_via, note) "
        "SELECT NEXTVAL(credit_event_seq), seq, 'invoiced', 'PROCESSING', 'PROCESSED', "
        "version, version + 1, "
        "?, ?, ?, ?, ? "
        "FROM credits WHERE usage_file_id = "
        "(SELECT usage_file_id FROM usage_files WHERE local_id = ?) AND status = 'PROCESSING' "
        "ORDER BY seq",
    [Q_OB_CLOSE] =
        "UPDATE credits SET status = 'PROCESSED', version = version + 1, "
        "updated_at = CURRENT_TIMESTAMP(6) WHERE usage_file_id = "
        "(SELECT usage_file_id FROM usage_files WHERE local_id = ?) AND status = 'PROCESSING'",
    [Q_OB_REJECT_EVENTS] =
        "INSERT INTO credit_events (id, seq, kind, from_state, to_state, from_version, to_version, "
        "actor_role, actor_id, actor_reseller, actor_via, note) "
        "SELECT NEXTVAL(credit_event_seq), seq, 'reject', 'PROCESSING', 'ASSIGNED', "
        "version, version + 1, "
        "?, ?, ?, ?, ? "
        "FROM credits WHERE usage_file_id = "
        "(SELECT usage_file_id FROM usage_files WHERE local_id = ?) AND status = 'PROCESSING' "
        "ORDER BY seq",
    [Q_OB_REJECT_SPLITS] =
        "UPDATE credit_splits s JOIN usage_records r ON r.seq = s.seq AND r.line_no = s.line_no "
        "SET s.record_id = NULL WHERE r.local_id = ?",
    [Q_OB_REJECT] =
        "UPDATE credits SET status = 'ASSIGNED', version = version + 1, usage_file_id = NULL, "
        "processing_date = NULL, updated_at = CURRENT_TIMESTAMP(6) WHERE usage_file_id = "
        "(SELECT usage_file_id FROM usage_files WHERE local_id = ?) AND status = 'PROCESSING'",
    [Q_RUN_HOLDER] =
        "SELECT actor_id, host, started_at FROM runs WHERE period = ? AND step = 'run' "
        "AND status = 'running' ORDER BY id DESC LIMIT 1",
    [Q_RUN_STALE] =
        "UPDATE runs SET status = 'interrupted', finished_at = CURRENT_TIMESTAMP(6) "
        "WHERE period = ? AND step = 'run' AND status = 'running'",
    [Q_RUN_INSERT] =
        "INSERT INTO runs (period, step, status, actor_id, host) VALUES (?, 'run', 'running', ?, ?)",
    [Q_RUN_STEP] =
        "INSERT INTO runs (period, step, status, actor_id, host, finished_at, detail) "
        "SELECT period, ?, ?, actor_id, host, CURRENT_TIMESTAMP(6), ? FROM runs WHERE id = ?",
    [Q_RUN_FINISH] =
        "UPDATE runs SET status = ?, finished_at = CURRENT_TIMESTAMP(6) WHERE id = ?",
    /* Cluster-wide locks are rows of `locks` (store_mariadb_lock.c):
     * GET_LOCK is one server's alone and Galera does not replicate it.
     * NODE is the server this connection is on; a holder whose connection
     * is gone from it (same user: a user always sees its own sessions) died,
     * and its lock is taken at once; otherwise the lease runs out. */
#define LOCK_NODE "CONCAT(@@hostname, ':', @@port, ':', @@socket)"
#define LOCK_USER "SUBSTRING_INDEX(USER(), '@', 1)"
    [Q_LOCK_TRY] =
        "INSERT IGNORE INTO locks (name, owner, node, db_user, connection_id, acquired_at, "
        "heartbeat_at, expires_at) VALUES (?, ?, " LOCK_NODE ", " LOCK_USER ", CONNECTION_ID(), "
        "NOW(6), NOW(6), NOW(6) + INTERVAL ? SECOND)",
    [Q_LOCK_STEAL] =
        "UPDATE locks SET owner = ?, node = " LOCK_NODE ", db_user = " LOCK_USER ", "
        "connection_id = CONNECTION_ID(), acquired_at = NOW(6), heartbeat_at = NOW(6), "
        "expires_at = NOW(6) + INTERVAL ? SECOND WHERE name = ? AND (owner = ? "
        "OR expires_at < NOW(6) OR (node = " LOCK_NODE " AND db_user = " LOCK_USER " "
        "AND connection_id NOT IN (SELECT ID FROM information_schema.PROCESSLIST)))",
    [Q_LOCK_REFRESH] =
        "UPDATE locks SET heartbeat_at = NOW(6), expires_at = NOW(6) + INTERVAL ? SECOND, "
        "node = " LOCK_NODE ", connection_id = CONNECTION_ID() WHERE name = ? AND owner = ?",
    /* a lane's connection renews its parent's lease, which keeps naming the
     * parent's connection */
    [Q_LOCK_BEAT] =
        "UPDATE locks SET heartbeat_at = NOW(6), expires_at = NOW(6) + INTERVAL ? SECOND "
        "WHERE name = ? AND owner = ?",
    [Q_RUN_UNLOCK] = "DELETE FROM locks WHERE name = ? AND owner = ?",
    [Q_LOCK_HOLDER] =
        "SELECT owner, node, connection_id, DATE_FORMAT(acquired_at, '%Y-%m-%d %H:%i:%s'), "
        "TIMESTAMPDIFF(SECOND, heartbeat_at, NOW(6)), "
        "GREATEST(0, TIMESTAMPDIFF(SECOND, NOW(6), expires_at)), node = " LOCK_NODE " "
        "FROM locks WHERE name = ?",
#undef LOCK_NODE
#undef LOCK_USER
    /* assignment, set-based: a batch goes into an in-memory table, one UPDATE
     * moves its credits, then its events and lines are inserted (array
     * binding) and the lines it replaces dropped */
    [Q_SPLITS_OF_DELETE] = "DELETE FROM credit_splits WHERE seq = ?",
    /* one chunk of an assignment: what each credit goes to, in memory */
    [Q_ATMP_CREATE] =
        "CREATE TEMPORARY TABLE IF NOT EXISTS assign_batch ("
        " seq BIGINT UNSIGNED NOT NULL, expect_version BIGINT UNSIGNED NOT NULL,"
        " from_state ENUM('PENDING_ASSIGN','ASSIGNED','PROCESSING','PROCESSED') NOT NULL,"
        " to_state ENUM('PENDING_ASSIGN','ASSIGNED','PROCESSING','PROCESSED') NOT NULL,"
        " assignment_id BIGINT UNSIGNED NOT NULL, PRIMARY KEY (seq)) ENGINE=MEMORY",
    [Q_ATMP_CLEAR] = "DELETE FROM assign_batch",
    [Q_ATMP_INSERT] =
        "INSERT INTO assign_batch (seq, expect_version, from_state, to_state, assignment_id) "
        "VALUES (?, ?, ?, ?, ?)",
    /* The SET reads no column of credits (the new version comes from the
     * batch, equal by the join): a multi-table UPDATE that reads a column
     * it writes first collects every row's position in a temporary table,
     * then reads each row again (0.95 s instead of 0.69 s per 100,000).
     * The range over the batch's ids also locks the row after it: two
     * connections writing at once keep to ranges far apart (op_assign.c),
     * since driving the join from the batch by key, which locks no row
     * beyond, took 1.15 s instead of 0.76 s per 100,000. */
    [Q_ATMP_UPDATE] =
        "UPDATE credits c JOIN assign_batch t ON c.seq = t.seq "
        "AND c.version = t.expect_version AND c.status = t.from_state AND c.outbox_id IS NULL "
        "SET c.status = t.to_state, c.version = t.expect_version + 1, "
        "c.assignment_id = t.assignment_id, c.updated_at = CURRENT_TIMESTAMP(6) "
        "WHERE c.seq BETWEEN ? AND ?",
    [Q_ATMP_SPLITS_DELETE] =
        "DELETE s FROM credit_splits s JOIN assign_batch t ON s.seq = t.seq "
        "WHERE t.from_state <> 'PENDING_ASSIGN'",
    [Q_ASSIGN_EVENT] =
        "INSERT INTO credit_events (id, seq, kind, from_state, to_state, from_version, to_version, "
        "assignment_id, actor_role, actor_id, actor_reseller, actor_via, note, detail) "
        "VALUES (NEXTVAL(credit_event_seq), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_ASG_FIND] =
        "SELECT id FROM assignments WHERE owner_account_id = ? AND customer_id = ? "
        "AND asset_id = ? AND reseller_id = ? AND rule_id = ? AND unmapped = ?",
    [Q_ASG_FIND_LOCKED] =
        "SELECT id FROM assignments WHERE owner_account_id = ? AND customer_id = ? "
        "AND asset_id = ? AND reseller_id = ? AND rule_id = ? AND unmapped = ? "
        "LOCK IN SHARE MODE",
    [Q_ASG_ADD] =
        "INSERT INTO assignments (owner_account_id, customer_id, asset_id, reseller_id, "
        "rule_id, unmapped) VALUES (?, ?, ?, ?, ?, ?)",
    [Q_ASG_ALL] =
        "SELECT id, owner_account_id, customer_id, asset_id, reseller_id, rule_id, unmapped "
        "FROM assignments",
    [Q_ASG_SINCE] =
        "SELECT id, owner_account_id, customer_id, asset_id, reseller_id, rule_id, unmapped "
        "FROM assignments WHERE id > ? ORDER BY id",
    [Q_ASG_SINCE_LOCKED] =
        "SELECT id, owner_account_id, customer_id, asset_id, reseller_id, rule_id, unmapped "
        "FROM assignments WHERE id > ? ORDER BY id LOCK IN SHARE MODE",
    [Q_ASG_GET] =
        "SELECT owner_account_id, customer_id, asset_id, reseller_id, rule_id, unmapped "
        "FROM assignments WHERE id = ?",
    [Q_ASG_GET_LOCKED] =
        "SELECT owner_account_id, customer_id, asset_id, reseller_id, rule_id, unmapped "
        "FROM assignments WHERE id = ? LOCK IN SHARE MODE",
    [Q_GRANT_UPSERT] =
        "INSERT INTO credit_grants (credit_id, payer_account_id, account_id, credit_type, "
        "description, initial_amount, remaining_amount, currency, start_date, expiry_date, "
        "products, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE payer_account_id = VALUE(payer_account_id), "
        "account_id = VALUE(account_id), credit_type = VALUE(credit_type), "
        "description = VALUE(description), initial_amount = VALUE(initial_amount), "
        "remaining_amount = VALUE(remaining_amount), currency = VALUE(currency), "
        "start_date = VALUE(start_date), expiry_date = VALUE(expiry_date), "
        "products = VALUE(products), status = VALUE(status), fetched_at = CURRENT_TIMESTAMP(6)",
    [Q_GRANTS] =
        "SELECT g.credit_id, g.payer_account_id, g.account_id, g.credit_type, g.description, "
        "g.initial_amount, g.remaining_amount, g.currency, COALESCE(g.start_date, ''), "
        "COALESCE(g.expiry_date, ''), g.products, g.status, "
        "(SELECT COUNT(*) FROM credits c WHERE c.credit_key = g.credit_id), "
        "(SELECT COALESCE(SUM(c.amount), 0) FROM credits c WHERE c.credit_key = g.credit_id) "
        "FROM credit_grants g WHERE (? IS NULL OR (g.expiry_date <= ? AND g.remaining_amount <> 0)) "
        "ORDER BY g.expiry_date IS NULL, g.expiry_date, g.credit_id",
    /* SPEC 16: grants as entered, their events, the hierarchy */
    [Q_GRANT_PUT] =
        "INSERT INTO grants (grant_id, account_id, credit_key, currency, amount, issue_date, "
        "end_date, reference, node_id, products) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE account_id = VALUE(account_id), credit_key = VALUE(credit_key), "
        "currency = VALUE(currency), amount = VALUE(amount), issue_date = VALUE(issue_date), "
        "end_date = VALUE(end_date), reference = VALUE(reference), node_id = VALUE(node_id), "
        "products = VALUE(products), version = version + 1, updated_at = CURRENT_TIMESTAMP(6)",
    [Q_GRANT_COUNT] = "SELECT COUNT(*) FROM grants",
    [Q_GRANT_EVENT] =
        "INSERT INTO grant_events (grant_id, kind, actor_role, actor_id, actor_reseller, "
        "actor_via, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
    /* a grant the Billing API gave becomes an entered one when it is set
     * (every product: see Q_GRANTS_ALL) */
    [Q_GRANT_ADOPT] =
        "INSERT INTO grants (grant_id, account_id, credit_key, currency, amount, issue_date, "
        "end_date, reference, products) SELECT b.credit_id, IF(b.account_id = '', "
        "b.payer_account_id, b.account_id), b.credit_id, b.currency, b.initial_amount, "
        "b.start_date, b.expiry_date, LEFT(b.description, 512), '' FROM credit_grants b "
        "WHERE b.credit_id = ? AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.grant_id = ?)",
    [Q_GRANT_SET] =
        "UPDATE grants SET amount = IF(? IS NULL, amount, ?), "
        "end_date = IF(? IS NULL, end_date, NULLIF(?, '')), reference = COALESCE(?, reference), "
        "node_id = IF(? IS NULL, node_id, NULLIF(?, '')), version = version + 1, "
        "updated_at = CURRENT_TIMESTAMP(6) WHERE grant_id = ?",
    /* entered grants, the Billing API's filling their blanks, then the
     * Billing API's grants nobody entered; first_use only where needed.
     * The Billing API names products ("Amazon Elastic Compute Cloud"), not
     * the CUR's product codes, so its grants apply to every product. */
    [Q_GRANTS_ALL] =
        "SELECT m.grant_id, m.account_id, m.credit_key, m.currency, m.amount, "
        "COALESCE(m.issue_date, ''), COALESCE(m.end_date, ''), m.reference, "
        "COALESCE(m.node_id, ''), m.products, m.billing, "
        "COALESCE(IF(m.issue_date IS NULL, (SELECT MIN(COALESCE(c.issue_date, "
        "CAST(CONCAT(c.period, '-01') AS DATE))) FROM credits c "
        "WHERE c.usage_account_id = m.account_id AND c.currency = m.currency "
        "AND c.amount < 0 AND (m.credit_key = '' OR c.credit_key = m.credit_key)), NULL), '') "
        "FROM (SELECT g.grant_id, g.account_id, g.credit_key, g.currency, g.amount, "
        "COALESCE(g.issue_date, b.start_date) AS issue_date, "
        "COALESCE(g.end_date, b.expiry_date) AS end_date, g.reference, g.node_id, g.products, "
        "0 AS billing FROM grants g LEFT JOIN credit_grants b ON b.credit_id = g.grant_id "
        "UNION ALL SELECT b.credit_id, IF(b.account_id = '', b.payer_account_id, "
        "b.account_id), b.credit_id, b.currency, b.initial_amount, b.start_date, "
        "b.expiry_date, LEFT(b.description, 512), NULL, '', "
        "1 FROM credit_grants b WHERE NOT EXISTS (SELECT 1 FROM grants g "
        "WHERE g.grant_id = b.credit_id)) m ORDER BY m.grant_id",
    /* in no order: a sort of every credit's columns costs the server
     * several times the scan; the module sorts compact rows (grants_draw.c) */
    [Q_DRAW_CREDITS] =
        "SELECT seq, usage_account_id, credit_key, product_code, currency, "
        "COALESCE(issue_date, CAST(CONCAT(period, '-01') AS DATE)) AS d, amount "
        "FROM credits WHERE amount < 0 "
        "AND COALESCE(issue_date, CAST(CONCAT(period, '-01') AS DATE)) <= ?",
    [Q_DRAW_CREDITS_OF] =
        "SELECT seq, usage_account_id, credit_key, product_code, currency, "
        "COALESCE(issue_date, CAST(CONCAT(period, '-01') AS DATE)) AS d, amount "
        "FROM credits WHERE usage_account_id = ? AND amount < 0 "
        "AND COALESCE(issue_date, CAST(CONCAT(period, '-01') AS DATE)) <= ?",
    [Q_NODES_DELETE] = "DELETE FROM hierarchy_nodes",
    [Q_NODES_INSERT] =
        "INSERT INTO hierarchy_nodes (node_id, parent_id, name, level) VALUES (?, ?, ?, ?)",
    [Q_NODES_ALL] =
        "SELECT node_id, COALESCE(parent_id, ''), name, level FROM hierarchy_nodes "
        "ORDER BY node_id",
    [Q_NODES_UNDER] =
        "WITH RECURSIVE down (node_id) AS (SELECT node_id FROM hierarchy_nodes "
        "WHERE node_id = ? UNION ALL SELECT h.node_id FROM hierarchy_nodes h "
        "JOIN down d ON h.parent_id = d.node_id) "
        "SELECT n.node_id, COALESCE(n.parent_id, ''), n.name, n.level "
        "FROM down JOIN hierarchy_nodes n ON n.node_id = down.node_id ORDER BY n.node_id",
    [Q_FIG_CREATE] =
        "CREATE TEMPORARY TABLE IF NOT EXISTS grant_figs ("
        " node_id VARCHAR(128) NOT NULL, currency CHAR(3) CHARACTER SET ascii NOT NULL,"
        " amount DECIMAL(38,10) NOT NULL, used DECIMAL(38,10) NOT NULL,"
        " remaining DECIMAL(38,10) NOT NULL) DEFAULT CHARSET=utf8mb4 "
        "COLLATE=utf8mb4_bin",
    [Q_FIG_CLEAR] = "DELETE FROM grant_figs",
    [Q_FIG_INSERT] =
        "INSERT INTO grant_figs (node_id, currency, amount, used, remaining) "
        "VALUES (?, ?, ?, ?, ?)",
    /* the roll-up: each node's own figures walk up to every ancestor (a
     * node = its own grants + all its descendants'), then are summed */
    [Q_ROLLUP] =
        "WITH RECURSIVE up (node_id, currency, amount, used, remaining) AS ("
        "SELECT node_id, currency, SUM(amount), SUM(used), SUM(remaining) FROM grant_figs "
        "GROUP BY node_id, currency "
        "UNION ALL SELECT h.parent_id, up.currency, up.amount, up.used, up.remaining "
        "FROM up JOIN hierarchy_nodes h ON h.node_id = up.node_id "
        "WHERE h.parent_id IS NOT NULL), "
        "down (node_id) AS (SELECT node_id FROM hierarchy_nodes WHERE node_id = ? "
        "UNION ALL SELECT h.node_id FROM hierarchy_nodes h JOIN down d "
        "ON h.parent_id = d.node_id) "
        "SELECT n.node_id, COALESCE(n.parent_id, ''), n.name, n.level, up.currency, "
        "SUM(up.amount), SUM(up.used), SUM(up.remaining) "
        "FROM up JOIN hierarchy_nodes n ON n.node_id = up.node_id "
        "WHERE (? IS NULL OR n.node_id IN (SELECT node_id FROM down)) "
        "AND (? IS NULL OR n.level = ?) "
        "GROUP BY n.node_id, up.currency ORDER BY n.node_id, up.currency",
};

/* ---- bindings ----------------------------------------------------------- */

void mdb_p_init(mdb_params *p)
{
    memset(p, 0, sizeof(*p));
}

static MYSQL_BIND *p_next(mdb_params *p)
{
    MYSQL_BIND *b;

    if (p->n >= MDB_MAXB)
        abort(); /* programming error: too many parameters */
    b = &p->b[p->n++];
    memset(b, 0, sizeof(*b));
    return b;
}

void mdb_p_bytes(mdb_params *p, const void *v, size_t n)
{
    unsigned i = p->n;
    MYSQL_BIND *b = p_next(p);

    p->len[i] = (unsigned long)n;
    b->buffer_type = MYSQL_TYPE_BLOB;
    b->buffer = (void *)v;
    b->buffer_length = p->len[i];
    b->length = &p->len[i];
}

void mdb_p_str(mdb_params *p, const char *s)
{
    unsigned i = p->n;
    MYSQL_BIND *b = p_next(p);

    if (!s) {
        b->buffer_type = MYSQL_TYPE_NULL;
        return;
    }
    p->len[i] = (unsigned long)strlen(s);
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)s;
    b->buffer_length = p->len[i];
    b->length = &p->len[i];
}

void mdb_p_str_or_null(mdb_params *p, const char *s)
{
    mdb_p_str(p, s && *s ? s : NULL);
}

void mdb_p_i64(mdb_params *p, const int64_t *v)
{
    MYSQL_BIND *b = p_next(p);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
}

void mdb_p_u64(mdb_params *p, const uint64_t *v)
{
    MYSQL_BIND *b = p_next(p);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
    b->is_unsigned = 1;
}

void mdb_p_u64_or_null(mdb_params *p, const uint64_t *v)
{
    if (*v)
        mdb_p_u64(p, v);
    else
        mdb_p_str(p, NULL);
}

void mdb_r_init(mdb_result *r)
{
    memset(r, 0, sizeof(*r));
}

static MYSQL_BIND *r_next(mdb_result *r)
{
    unsigned i = r->n;
    MYSQL_BIND *b;

    if (r->n >= MDB_MAXB)
        abort(); /* programming error: too many columns */
    b = &r->b[r->n++];
    memset(b, 0, sizeof(*b));
    b->length = &r->len[i];
    b->is_null = &r->nul[i];
    b->error = &r->err[i];
    return b;
}

void mdb_r_str(mdb_result *r, char *buf, size_t cap)
{
    unsigned i = r->n;
    MYSQL_BIND *b = r_next(r);

    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = buf;
    b->buffer_length = (unsigned long)(cap - 1);
    r->sbuf[i] = buf;
    r->scap[i] = cap;
}

void mdb_r_i64(mdb_result *r, int64_t *v)
{
    MYSQL_BIND *b = r_next(r);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
}

void mdb_r_u64(mdb_result *r, uint64_t *v)
{
    MYSQL_BIND *b = r_next(r);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
    b->is_unsigned = 1;
}

/* ---- errors ------------------------------------------------------------- */

/* On Galera, 1180 (ER_ERROR_DURING_COMMIT: "not connected to Primary
 * Component") means the node left the cluster's majority mid-unit: like
 * 1047, another node may take the unit (and a COMMIT's outcome is looked
 * up by its marker, never guessed). */
static void galera_errno(mdb *st)
{
    if (st->galera && st->last_errno == ER_ERROR_DURING_COMMIT)
        st->last_errno = ER_UNKNOWN_COM_ERROR;
}

int mdb_fail(mdb *st, const char *what)
{
    st->last_errno = st->conn ? mysql_errno(st->conn) : CR_SERVER_GONE_ERROR;
    galera_errno(st);
    return awc_error_set(AWC_EDB, "database: %s: %s (error %u)", what,
                         st->conn ? mysql_error(st->conn) : "not connected", st->last_errno);
}

int mdb_stmt_fail(mdb *st, MYSQL_STMT *s, const char *what)
{
    st->last_errno = mysql_stmt_errno(s);
    galera_errno(st);
    return awc_error_set(AWC_EDB, "database: %s: %s (error %u)", what,
                         mysql_stmt_error(s), st->last_errno);
}

/* ---- statements ----------------------------------------------------------- */

static void drop_statements(mdb *st)
{
    for (int i = 0; i < Q_COUNT; i++) {
        if (st->stmt[i]) {
            mysql_stmt_close(st->stmt[i]);
            st->stmt[i] = NULL;
        }
    }
}

MYSQL_STMT *mdb_stmt(mdb *st, enum mdb_sql q)
{
    MYSQL_STMT *s;
    const char *text = sql_text[q];

    if (st->stmt[q])
        return st->stmt[q];
    if (!st->conn) {
        mdb_fail(st, "prepare");
        return NULL;
    }
    s = mysql_stmt_init(st->conn);
    if (!s) {
        mdb_fail(st, "statement init");
        return NULL;
    }
    if (mysql_stmt_prepare(s, text, (unsigned long)strlen(text))) {
        mdb_stmt_fail(st, s, "prepare");
        mysql_stmt_close(s);
        return NULL;
    }
    st->stmt[q] = s;
    return s;
}

/* Does q change rows?  (Every write goes through a prepared statement.) */
int mdb_writes(enum mdb_sql q)
{
    const char *t = sql_text[q];
    return strncmp(t, "INSERT", 6) == 0 || strncmp(t, "UPDATE", 6) == 0 ||
           strncmp(t, "DELETE", 6) == 0 || strncmp(t, "REPLACE", 7) == 0;
}

int mdb_exec(mdb *st, enum mdb_sql q, mdb_params *p)
{
    MYSQL_STMT *s = mdb_stmt(st, q);

    if (!s)
        return AWC_EDB;
    st->wrote |= mdb_writes(q);
    if (p && p->n != mysql_stmt_param_count(s))
        abort(); /* programming error: parameter count differs from the SQL */
    if (p && p->n && mysql_stmt_bind_param(s, p->b))
        return mdb_stmt_fail(st, s, "bind");
    if (mysql_stmt_execute(s))
        return mdb_stmt_fail(st, s, "execute");
    return 0;
}

int mdb_bind_result(mdb *st, enum mdb_sql q, mdb_result *r)
{
    MYSQL_STMT *s = st->stmt[q];

    if (r->n != mysql_stmt_field_count(s))
        abort(); /* programming error: column count differs from the SQL */
    if (mysql_stmt_bind_result(s, r->b))
        return mdb_stmt_fail(st, s, "bind result");
    return 0;
}

int mdb_fetch(mdb *st, enum mdb_sql q, mdb_result *r)
{
    MYSQL_STMT *s = st->stmt[q];
    int rc = mysql_stmt_fetch(s);

    if (rc == MYSQL_NO_DATA)
        return 0;
    if (rc == 1)
        return mdb_stmt_fail(st, s, "fetch");
    for (unsigned i = 0; i < r->n; i++) {
        if (r->sbuf[i]) {
            if (r->nul[i]) {
                r->sbuf[i][0] = '\0';
            } else if (r->len[i] >= r->scap[i]) {
                mdb_done(st, q);
                return awc_error_set(AWC_EDB, "database: column %u longer than %zu bytes",
                                     i + 1, r->scap[i] - 1);
            } else {
                r->sbuf[i][r->len[i]] = '\0';
            }
        } else if (r->nul[i] && r->b[i].buffer) {
            memset(r->b[i].buffer, 0, sizeof(int64_t));
        }
    }
    return 1;
}

int mdb_one_row(mdb *st, enum mdb_sql q, mdb_params *p, mdb_result *r)
{
    int rc;

    if ((rc = mdb_exec(st, q, p)) != 0)
        return rc;
    if ((rc = mdb_bind_result(st, q, r)) == 0)
        rc = mdb_fetch(st, q, r);
    mdb_done(st, q);
    return rc;
}

void mdb_done(mdb *st, enum mdb_sql q)
{
    if (st->stmt[q])
        mysql_stmt_free_result(st->stmt[q]);
}

uint64_t mdb_affected(mdb *st, enum mdb_sql q)
{
    return (uint64_t)mysql_stmt_affected_rows(st->stmt[q]);
}

int mdb_query(mdb *st, const char *sql)
{
    if (!st->conn)
        return mdb_fail(st, "query");
    if (mysql_real_query(st->conn, sql, (unsigned long)strlen(sql)))
        return mdb_fail(st, "query");
    /* drain any result so the connection stays usable */
    MYSQL_RES *res = mysql_store_result(st->conn);
    if (res)
        mysql_free_result(res);
    return 0;
}

/* ---- connection ------------------------------------------------------------ */

static void disconnect(mdb *st)
{
    drop_statements(st);
    if (st->conn) {
        mysql_close(st->conn);
        st->conn = NULL;
    }
}

/* Ask the server a one-value question; "" when it has no answer (a
 * variable this server lacks).  0 or AWC_EDB. */
static int ask(mdb *st, const char *sql, char *out, size_t n)
{
    MYSQL_RES *res;
    MYSQL_ROW row;

    out[0] = '\0';
    if (mysql_real_query(st->conn, sql, (unsigned long)strlen(sql))) {
        if (mysql_errno(st->conn) == ER_UNKNOWN_SYSTEM_VARIABLE)
            return 0;
        return mdb_fail(st, "connect");
    }
    if (!(res = mysql_store_result(st->conn)))
        return mdb_fail(st, "connect");
    if ((row = mysql_fetch_row(res)) != NULL && row[0])
        snprintf(out, n, "%s", row[0]);
    mysql_free_result(res);
    return 0;
}

/* Connect to one server.  A Galera node must be ready (in the primary
 * component): one that is not would refuse every statement (1047).  On
 * Galera the session's reads are causal (wsrep_sync_wait = 1: a SELECT
 * or START TRANSACTION first waits until this node has applied what the
 * cluster committed before it), so a host that moved to another node, or
 * a second host, sees every committed unit. */
static int connect_one(mdb *st, const char *host, unsigned port, const char *socket)
{
    const awc_db_params *p = &st->params;
    unsigned timeout = p->connect_timeout ? p->connect_timeout : 10;
    my_bool off = 0;
    char on[8], ready[8];
    int rc;

    st->conn = mysql_init(NULL);
    if (!st->conn)
        return awc_error_set(AWC_ENOMEM, "database: out of memory");
    mysql_optionsv(st->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(st->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(st->conn, MYSQL_OPT_RECONNECT, &off);
    mysql_optionsv(st->conn, MYSQL_INIT_COMMAND,
                   "SET time_zone = '+00:00', "
                   "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                   "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', "
                   /* an export streams to a reader that may pause (a pager) */
                   "net_write_timeout = 600");
    if (!mysql_real_connect(st->conn, socket ? NULL : host, p->user, st->password,
                            p->database, socket ? 0 : port, socket, 0)) {
        rc = mdb_fail(st, "connect");
        goto fail;
    }
    if ((rc = ask(st, "SELECT @@wsrep_on", on, sizeof(on))) != 0)
        goto fail;
    st->galera = strcmp(on, "1") == 0;
    if (st->galera) {
        if ((rc = ask(st, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                          "WHERE VARIABLE_NAME = 'WSREP_READY'", ready, sizeof(ready))) != 0)
            goto fail;
        if (strcmp(ready, "ON") != 0) {
            st->last_errno = ER_UNKNOWN_COM_ERROR;
            rc = awc_error_set(AWC_EDB, "database: connect: the Galera node is not ready "
                               "(wsrep_ready is %s: it is not in the cluster's primary "
                               "component); it refuses work rather than diverge (error %u)",
                               ready[0] ? ready : "unknown", st->last_errno);
            goto fail;
        }
        if ((rc = mdb_query(st, "SET SESSION wsrep_sync_wait = 1")) != 0)
            goto fail;
    }
    {
        unsigned long caps = 0, ext = 0;
        mariadb_get_infov(st->conn, MARIADB_CONNECTION_SERVER_CAPABILITIES, &caps);
        mariadb_get_infov(st->conn, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext);
        st->bulk = !(caps & CLIENT_MYSQL) &&
                   (ext & (unsigned long)(MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)) != 0;
    }
    return 0;
fail:
    mysql_close(st->conn);
    st->conn = NULL;
    return rc;
}

/* Connect to the current node of db.hosts, else the next that answers
 * and is ready, round the list once; without db.hosts, to db.socket or
 * db.host.  The error is the last node's, prefixed with how many failed. */
static int connect_db(mdb *st)
{
    const awc_db_params *p = &st->params;
    int rc = AWC_EDB;

    if (!st->nhosts)
        return connect_one(st, p->host, p->port, p->socket);
    for (size_t i = 0; i < st->nhosts; i++) {
        size_t k = (st->host_ix + i) % st->nhosts;
        if ((rc = connect_one(st, st->hosts[k].name, st->hosts[k].port, NULL)) == 0) {
            st->host_ix = k;
            return 0;
        }
        if (rc != AWC_EDB)
            return rc;
    }
    st->host_ix = (st->host_ix + 1) % st->nhosts;
    if (st->nhosts > 1)
        awc_error_prefix(rc, "database: none of the %zu nodes of db.hosts answered and was "
                         "ready; the last", st->nhosts);
    /* every node refused: a caller may try again later */
    if (st->last_errno == ER_UNKNOWN_COM_ERROR)
        st->last_errno = CR_CONNECTION_ERROR;
    return rc;
}

/* The node we were on is lost: the next connection starts at the next. */
static void next_node(mdb *st)
{
    disconnect(st);
    if (st->nhosts)
        st->host_ix = (st->host_ix + 1) % st->nhosts;
}

/* A new session: renew our locks' leases so their rows name it (never
 * work on without them), or drop the session. */
static int relock_or_drop(mdb *st)
{
    int rc = mdb_locks_keep(st, 1);
    if (rc != 0)
        disconnect(st);
    return rc;
}

int mdb_ensure(mdb *st)
{
    int rc;
    if (st->conn)
        return 0;
    if ((rc = connect_db(st)) != 0)
        return rc;
    return relock_or_drop(st);
}

/* 1213 is a deadlock on one server and, on Galera, a certification
 * failure (another node's commit touched the same rows first), often at
 * COMMIT: either way the whole unit runs again. */
static int retryable(unsigned e)
{
    return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT || e == CR_SERVER_GONE_ERROR ||
           e == CR_SERVER_LOST || e == ER_UNKNOWN_COM_ERROR;
}

static void backoff(mdb *st, int attempt)
{
    long base_ms = 10L << (attempt < 7 ? attempt : 7); /* 10, 20, 40 ... 1280 */
    long ms = base_ms / 2 + (long)(rand_r(&st->rng) % (unsigned)(base_ms / 2 + 1));
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* The connection is gone, or its Galera node left the primary component
 * (ER_UNKNOWN_COM_ERROR, 1047: the node refuses work rather than diverge):
 * another node may take the unit. */
static int lost(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == ER_UNKNOWN_COM_ERROR;
}

/* The token of a unit that wrote, in commit_markers until its COMMIT: 1
 * when added, 0 when the table is missing (a schema before migration 009:
 * commit without it), or AWC_EDB. */
static int mark(mdb *st, unsigned char token[16])
{
    mdb_params p;
    int rc;

    if (st->no_markers)
        return 0;
    if (getentropy(token, 16) != 0)
        return awc_error_set(AWC_EDB, "database: no random bytes for the commit marker");
    mdb_p_init(&p);
    mdb_p_bytes(&p, token, 16);
    if ((rc = mdb_exec(st, Q_MARK_ADD, &p)) == 0)
        return 1;
    if (st->last_errno == ER_NO_SUCH_TABLE) {
        st->no_markers = 1;
        awc_error_clear();
        return 0;
    }
    return rc;
}

/* Was the unit with this token committed?  Asked on new connections after
 * the old one was lost during COMMIT, with the same back-off and number of
 * attempts as mdb_tx (a lost COMMIT is often a server restarting), and
 * before the named locks are taken again (the question needs none).
 * 1, 0, or AWC_EDB when it could not be answered. */
static int committed(mdb *st, const unsigned char token[16])
{
    int rc = AWC_EDB;

    for (int attempt = 0; attempt < MDB_ATTEMPTS; attempt++) {
        int64_t n = 0;
        mdb_params p;
        mdb_result r;

        if (attempt)
            backoff(st, attempt);
        disconnect(st);
        if ((rc = connect_db(st)) != 0)
            continue;
        mdb_p_init(&p);
        mdb_p_bytes(&p, token, 16);
        mdb_r_init(&r);
        mdb_r_i64(&r, &n);
        /* autocommit: the locking read is a transaction of its own */
        if ((rc = mdb_one_row(st, Q_MARK_FIND, &p, &r)) < 0)
            continue; /* lost again, or the old transaction still holds the marker */
        return n > 0;
    }
    return rc;
}

/* COMMIT the unit fn ran.  When the connection is lost on the way the
 * server may or may not have committed: a unit that wrote carries a
 * marker, and its outcome is looked up rather than guessed. */
static int commit(mdb *st)
{
    unsigned char token[16];
    int marked = st->wrote ? mark(st, token) : 0;
    int outcome, rc;

    if (marked < 0)
        return marked;
    if (st->wrote && st->lose_commit) { /* tests */
        if (st->lose_commit == 1) /* the COMMIT happens, its answer is lost */
            mysql_commit(st->conn);
        st->lose_commit = 0;
        disconnect(st);
    }
    if (st->conn && !mysql_commit(st->conn)) {
        /* now and then, the markers older than a day go; nothing hangs on it */
        if (marked && (++st->commits & 63) == 1 && mdb_exec(st, Q_MARK_PRUNE, NULL) != 0)
            awc_error_clear();
        return 0;
    }
    rc = mdb_fail(st, "commit");
    if (!marked || !lost(st->last_errno))
        return rc;
    if ((outcome = committed(st, token)) < 0) { /* not run again blindly: the message says */
        st->last_errno = 0;
        return awc_error_set(AWC_EDB, "database: the connection was lost during COMMIT and "
                                      "whether the change was saved could not be checked: "
                                      "look at the credits concerned (show, list) before "
                                      "running the command again");
    }
    /* either way the new session takes the named locks again */
    if ((rc = relock_or_drop(st)) != 0)
        return rc;
    if (outcome == 1) { /* done */
        awc_error_clear();
        return 0;
    }
    st->last_errno = 0; /* rolled back: the caller runs the unit again, on this connection */
    st->rerun = 1;
    return awc_error_set(AWC_EDB, "database: the connection was lost before COMMIT");
}

int mdb_tx(mdb *st, int (*fn)(mdb *st, void *arg), void *arg)
{
    int rc = AWC_EDB;

    if (st->in_tx) /* a nested unit joins the outer one, which retries */
        return fn(st, arg);

    for (int attempt = 0; attempt < MDB_ATTEMPTS; attempt++) {
        if (attempt)
            backoff(st, attempt);
        st->last_errno = 0;
        st->rerun = 0;
        if (!st->conn) {
            if ((rc = connect_db(st)) != 0) {
                if (retryable(st->last_errno) || st->last_errno == CR_CONNECTION_ERROR ||
                    st->last_errno == CR_CONN_HOST_ERROR)
                    continue;
                return rc;
            }
            if ((rc = relock_or_drop(st)) != 0)
                return rc; /* a later call connects again, never without the lock */
        } else if ((rc = mdb_locks_keep(st, 0)) != 0) { /* the leases, now and then */
            if (rc == AWC_EDB && lost(st->last_errno)) {
                next_node(st);
                continue;
            }
            return rc;
        }
        if ((rc = mdb_query(st, "START TRANSACTION")) == 0) {
            st->in_tx = 1;
            st->wrote = 0;
            rc = fn(st, arg);
            st->in_tx = 0;
            if (rc == 0)
                rc = commit(st);
        }
        if (rc == 0)
            return 0;
        mdb_asg_forget(st); /* it may name rows the rollback removed */
        if (st->conn && !lost(st->last_errno))
            mysql_rollback(st->conn);
        if (rc != AWC_EDB || !(retryable(st->last_errno) || st->rerun))
            return rc;
        if (lost(st->last_errno))
            next_node(st);
    }
    return awc_error_prefix(rc, "gave up after %d attempts", MDB_ATTEMPTS);
}

unsigned long awc_store_mariadb_thread_id(awc_store *s)
{
    mdb *st = (mdb *)s;
    return st->conn ? mysql_thread_id(st->conn) : 0;
}

void awc_store_mariadb_force_rows(awc_store *s, int on)
{
    ((mdb *)s)->force_row_at_a_time = on;
}

void awc_store_mariadb_lose_commit(awc_store *s, int when)
{
    ((mdb *)s)->lose_commit = when;
}

/* ---- open / close ------------------------------------------------------------ */

static void mdb_close(awc_store *s)
{
    mdb *st = (mdb *)s;

    if (!st)
        return;
    disconnect(st);
    mdb_asg_free(st);
    mdb_chunk_bufs_free(st);
    if (st->password) {
        explicit_bzero(st->password, strlen(st->password));
        awc_free(st->password);
    }
    awc_free((char *)st->params.socket);
    awc_free((char *)st->params.host);
    awc_free((char *)st->params.user);
    awc_free((char *)st->params.database);
    awc_free(st->hosts_text);
    awc_free(st);
}

static int mdb_another(awc_store *s, awc_store **out)
{
    mdb *st = (mdb *)s;
    awc_db_params p = st->params;
    int rc;

    p.password = st->password;
    p.hosts = st->hosts_text;
    if ((rc = awc_store_mariadb_open(out, &p)) == 0)
        ((mdb *)*out)->parent = st; /* its units renew our leases */
    return rc;
}

static const awc_store_ops mdb_ops = {
    .close = mdb_close,
    .migrate = mdb_migrate,
    .schema_version = mdb_schema_version,
    .credit_insert = mdb_credit_insert,
    .credit_get = mdb_credit_get,
    .credit_transition = mdb_credit_transition,
    .events_each = mdb_events_each,
    .tx = mdb_tx_op,
    .credits_of_period = mdb_credits_of_period,
    .credits_insert = mdb_credits_insert,
    .credit_restate = mdb_credit_restate,
    .accounts_replace = mdb_accounts_replace,
    .accounts_at = mdb_accounts_at,
    .account_owner = mdb_account_owner,
    .rules_replace = mdb_rules_replace,
    .rules_each = mdb_rules_each,
    .credits_span = mdb_credits_span,
    .credits_pending = mdb_credits_pending,
    .assign_apply = mdb_assign_apply,
    .stage_new = mdb_stage_new,
    .stage_free = mdb_stage_free,
    .assign_stage = mdb_assign_stage,
    .splits_of = mdb_splits_of,
    .period_get = mdb_period_get,
    .periods_each = mdb_periods_each,
    .period_reopen = mdb_period_reopen,
    .credits_query = mdb_credits_query,
    .credits_totals = mdb_credits_totals,
    .period_close = mdb_period_close,
    .invoice_lines = mdb_invoice_lines,
    .outbox_create = mdb_outbox_create,
    .outbox_files = mdb_outbox_files,
    .outbox_records = mdb_outbox_records,
    .outbox_set_status = mdb_outbox_set_status,
    .outbox_confirm = mdb_outbox_confirm,
    .outbox_settle = mdb_outbox_settle,
    .run_lock = mdb_run_lock,
    .run_step = mdb_run_step,
    .run_unlock = mdb_run_unlock,
    .grants_upsert = mdb_grants_upsert,
    .grants_each = mdb_grants_each,
    .lock = mdb_lock,
    .unlock = mdb_unlock,
    .another = mdb_another,
    .currency_units = mdb_currency_units,
    .currency_unit_add = mdb_currency_unit_add,
    .user_add = mdb_user_add,
    .user_set = mdb_user_set,
    .users_each = mdb_users_each,
    .token_add = mdb_token_add,
    .token_revoke = mdb_token_revoke,
    .auth_user = mdb_auth_user,
    .auth_failures = mdb_auth_failures,
    .auth_failed = mdb_auth_failed,
    .session_add = mdb_session_add,
    .session_get = mdb_session_get,
    .session_end = mdb_session_end,
    .token_get = mdb_token_get,
    .grants_put = mdb_grants_put,
    .grant_set = mdb_grant_set,
    .grants_all = mdb_grants_all,
    .draw_credits = mdb_draw_credits,
    .nodes_replace = mdb_nodes_replace,
    .nodes_each = mdb_nodes_each,
    .rollup = mdb_rollup,
};

static char *dup_or_null(const char *s, int *oom)
{
    char *d;
    if (!s)
        return NULL;
    d = awc_strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

/* db.hosts: "host[:port]" items separated by commas or blanks, at most
 * MDB_MAXHOSTS; a port defaults to db.port.  An IPv6 address goes in
 * brackets ("[::1]:3306"). */
static int parse_hosts(mdb *st, const char *text)
{
    const char *q = text;

    if (!(st->hosts_text = awc_strdup(text)))
        return awc_error_set(AWC_ENOMEM, "database: out of memory");
    while (*q) {
        const char *start, *end, *colon = NULL;
        size_t len;
        unsigned long port = st->params.port ? st->params.port : 3306;

        while (*q == ',' || *q == ' ' || *q == '\t')
            q++;
        if (!*q)
            break;
        start = q;
        while (*q && *q != ',' && *q != ' ' && *q != '\t')
            q++;
        end = q;
        /* never echo an item that may hold a password (user:password@host) */
        if (memchr(start, '@', (size_t)(end - start)))
            return awc_error_set(AWC_ECONFIG, "db.hosts: node %zu holds an '@': give host[:port] "
                                 "only; the user and password go in db.user and db.password_env "
                                 "or db.password_file", st->nhosts + 1);
        if (*start == '[') {
            const char *close = memchr(start, ']', (size_t)(end - start));
            if (!close)
                return awc_error_set(AWC_ECONFIG, "db.hosts: '%.*s': a '[' without its ']'",
                                     (int)(end - start > 80 ? 80 : end - start), start);
            if (close + 1 < end)
                colon = close + 1;
            start++;
            len = (size_t)(close - start);
        } else {
            colon = memchr(start, ':', (size_t)(end - start));
            len = (size_t)((colon ? colon : end) - start);
        }
        if (colon) {
            char digits[8] = "", *e = NULL;
            size_t dl = (size_t)(end - colon - 1);
            if (*colon != ':' || dl == 0 || dl >= sizeof(digits))
                return awc_error_set(AWC_ECONFIG, "db.hosts: '%.*s': host[:port] expected",
                                     (int)(end - start > 80 ? 80 : end - start), start);
            memcpy(digits, colon + 1, dl);
            errno = 0;
            port = strtoul(digits, &e, 10);
            if (errno || *e || port < 1 || port > 65535)
                return awc_error_set(AWC_ECONFIG, "db.hosts: '%.*s': the port must be a number "
                                     "from 1 to 65535", (int)(end - start > 80 ? 80 :
                                                              end - start), start);
        }
        if (len == 0 || len >= sizeof(st->hosts[0].name))
            return awc_error_set(AWC_ECONFIG, "db.hosts: '%.*s': a host name of 1 to %zu "
                                 "characters expected", (int)(end - start > 80 ? 80 :
                                                              end - start), start,
                                 sizeof(st->hosts[0].name) - 1);
        if (st->nhosts == MDB_MAXHOSTS)
            return awc_error_set(AWC_ECONFIG, "db.hosts: at most %d nodes", MDB_MAXHOSTS);
        memcpy(st->hosts[st->nhosts].name, start, len);
        st->hosts[st->nhosts].name[len] = '\0';
        st->hosts[st->nhosts].port = (unsigned)port;
        st->nhosts++;
    }
    if (!st->nhosts)
        return awc_error_set(AWC_ECONFIG, "db.hosts: no node named");
    return 0;
}

int awc_store_mariadb_open(awc_store **out, const awc_db_params *p)
{
    mdb *st = awc_calloc(1, sizeof(*st));
    int oom = 0, rc;

    if (!st)
        return awc_error_set(AWC_ENOMEM, "database: out of memory");
    st->base.ops = &mdb_ops;
    st->params = *p;
    st->params.socket = dup_or_null(p->socket, &oom);
    st->params.host = dup_or_null(p->host, &oom);
    st->params.user = dup_or_null(p->user, &oom);
    st->params.database = dup_or_null(p->database, &oom);
    st->password = dup_or_null(p->password, &oom);
    st->params.password = NULL;
    st->params.hosts = NULL;
    if (p->hosts && (rc = parse_hosts(st, p->hosts)) != 0) {
        mdb_close(&st->base);
        return rc;
    }
    /* connections of one process opened in the same second (assign's
     * lanes) must not back off in step */
    st->rng = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)((uintptr_t)st >> 4);
    if (oom) {
        mdb_close(&st->base);
        return awc_error_set(AWC_ENOMEM, "database: out of memory");
    }
    if ((rc = connect_db(st)) != 0) {
        mdb_close(&st->base);
        return rc;
    }
    *out = &st->base;
    return 0;
}
