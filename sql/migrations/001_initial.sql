-- 001_initial: the first schema (docs/DATA-MODEL.md explains every table).
-- Statements are separated by a line ending in ';'.  Each is safe to run
-- again (IF NOT EXISTS), because DDL commits on its own in MariaDB and a
-- crash between two statements must leave a re-run able to finish.

-- INCREMENT BY 0: steps of auto_increment_increment from auto_increment_offset,
-- 1 and 1 on a single server; on a Galera cluster each node its own residue,
-- so nodes never hand out the same number (Galera refuses a cached sequence
-- with a fixed step).  Amended for Galera; databases made by the first text
-- are brought to this one by 014_galera.
CREATE SEQUENCE IF NOT EXISTS credit_seq
    START WITH 1 MINVALUE 1 MAXVALUE 9999999999999 INCREMENT BY 0 CACHE 100 NOCYCLE;

CREATE TABLE IF NOT EXISTS credits (
    seq              BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    period           CHAR(7) CHARACTER SET ascii NOT NULL,
    payer_account_id CHAR(12) CHARACTER SET ascii NOT NULL,
    usage_account_id CHAR(12) CHARACTER SET ascii NOT NULL,
    credit_key       VARCHAR(255) NOT NULL,
    product_code     VARCHAR(128) NOT NULL,
    currency         CHAR(3) CHARACTER SET ascii NOT NULL,
    revision         INT UNSIGNED NOT NULL DEFAULT 0,
    adjusts          BIGINT UNSIGNED NULL,
    description      VARCHAR(1024) NOT NULL DEFAULT '',
    credit_type      VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT 'PROMOTIONAL',
    billing_entity   VARCHAR(128) NOT NULL DEFAULT '',
    legal_entity     VARCHAR(256) NOT NULL DEFAULT '',
    invoice_id       VARCHAR(128) NOT NULL DEFAULT '',
    first_usage      DATE NULL,
    last_usage       DATE NULL,
    issue_date       DATE NULL,
    line_count       BIGINT NOT NULL DEFAULT 0,
    amount           DECIMAL(30,10) NOT NULL,
    status           ENUM('PENDING_ASSIGN','ASSIGNED','PROCESSING','PROCESSED') NOT NULL DEFAULT 'PENDING_ASSIGN',
    version          BIGINT UNSIGNED NOT NULL DEFAULT 1,
    unmapped         TINYINT(1) NOT NULL DEFAULT 0,
    customer_id      VARCHAR(128) NULL,
    asset_id         VARCHAR(128) NULL,
    reseller_id      VARCHAR(128) NULL,
    rule_id          VARCHAR(64) NULL,
    usage_file_id    VARCHAR(64) CHARACTER SET ascii NULL,
    processing_date  DATE NULL,
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY credits_natural (period, payer_account_id, usage_account_id, credit_key,
                                product_code, currency, revision),
    KEY credits_status (status, period),
    KEY credits_period (period, status),
    KEY credits_customer (customer_id),
    KEY credits_reseller (reseller_id),
    KEY credits_usage_account (usage_account_id),
    KEY credits_adjusts (adjusts),
    CONSTRAINT credits_adjusts_fk FOREIGN KEY (adjusts) REFERENCES credits (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per split line of an assigned credit.  Amounts are minor units of
-- the credit's currency; the retained line is stored explicitly so that the
-- lines of a credit always add up to its invoiceable amount.
CREATE TABLE IF NOT EXISTS credit_splits (
    seq          BIGINT UNSIGNED NOT NULL,
    line_no      SMALLINT UNSIGNED NOT NULL,
    target       ENUM('customer','reseller','party','retained') NOT NULL,
    party_id     VARCHAR(128) NULL,
    percent_bp   INT UNSIGNED NULL,
    amount_minor BIGINT NOT NULL,
    customer_id  VARCHAR(128) NULL,
    asset_id     VARCHAR(128) NULL,
    reseller_id  VARCHAR(128) NULL,
    record_id    VARCHAR(64) CHARACTER SET ascii NULL,
    PRIMARY KEY (seq, line_no),
    UNIQUE KEY credit_splits_record (record_id),
    CONSTRAINT credit_splits_credit_fk FOREIGN KEY (seq) REFERENCES credits (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The audit trail: appended, never updated or deleted (triggers below).
CREATE TABLE IF NOT EXISTS credit_events (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seq            BIGINT UNSIGNED NOT NULL,
    at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    kind           VARCHAR(16) CHARACTER SET ascii NOT NULL,
    from_state     VARCHAR(16) CHARACTER SET ascii NOT NULL,
    to_state       VARCHAR(16) CHARACTER SET ascii NOT NULL,
    from_version   BIGINT UNSIGNED NOT NULL,
    to_version     BIGINT UNSIGNED NOT NULL,
    actor_role     VARCHAR(16) CHARACTER SET ascii NOT NULL,
    actor_id       VARCHAR(128) NOT NULL,
    actor_reseller VARCHAR(128) NULL,
    note           VARCHAR(2000) NULL,
    detail         TEXT NULL,
    KEY credit_events_seq (seq, id),
    CONSTRAINT credit_events_credit_fk FOREIGN KEY (seq) REFERENCES credits (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER IF NOT EXISTS credit_events_no_update BEFORE UPDATE ON credit_events
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'credit_events is append-only';

CREATE TRIGGER IF NOT EXISTS credit_events_no_delete BEFORE DELETE ON credit_events
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'credit_events is append-only';

-- Credit rules (SPEC 7).  The rule's full definition is kept as imported
-- (canonical XML) next to the columns the index and precedence need.
CREATE TABLE IF NOT EXISTS rules (
    id           VARCHAR(64) NOT NULL PRIMARY KEY,
    name         VARCHAR(256) NOT NULL,
    created      DATETIME(6) NOT NULL,
    match_kind   ENUM('any','exact','contains','prefix','regex') NOT NULL DEFAULT 'any',
    match_text   VARCHAR(1024) NOT NULL DEFAULT '',
    definition   MEDIUMTEXT NOT NULL,
    imported_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    imported_by  VARCHAR(128) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The accounts map: who owns an AWS account over a date range.  valid_to
-- NULL = open ended; ranges are inclusive.
CREATE TABLE IF NOT EXISTS accounts (
    account_id    CHAR(12) CHARACTER SET ascii NOT NULL,
    valid_from    DATE NOT NULL,
    valid_to      DATE NULL,
    customer_id   VARCHAR(128) NOT NULL,
    asset_id      VARCHAR(128) NOT NULL,
    reseller_id   VARCHAR(128) NOT NULL,
    customer_name VARCHAR(256) NOT NULL DEFAULT '',
    reseller_name VARCHAR(256) NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, valid_from),
    KEY accounts_customer (customer_id),
    KEY accounts_reseller (reseller_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Usage files handed to invoicing; external_id is fixed before sending so
-- that a crashed send can be found at the platform instead of repeated.
CREATE TABLE IF NOT EXISTS usage_files (
    id           VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    external_id  VARCHAR(128) CHARACTER SET ascii NOT NULL,
    period       CHAR(7) CHARACTER SET ascii NOT NULL,
    reseller_id  VARCHAR(128) NOT NULL,
    currency     CHAR(3) CHARACTER SET ascii NOT NULL,
    adapter      VARCHAR(16) CHARACTER SET ascii NOT NULL,
    status       VARCHAR(16) CHARACTER SET ascii NOT NULL,
    note         VARCHAR(2000) NULL,
    record_count INT UNSIGNED NOT NULL DEFAULT 0,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY usage_files_external (external_id),
    KEY usage_files_period (period, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS usage_records (
    record_id     VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    usage_file_id VARCHAR(64) CHARACTER SET ascii NOT NULL,
    seq           BIGINT UNSIGNED NOT NULL,
    line_no       SMALLINT UNSIGNED NOT NULL,
    amount_minor  BIGINT NOT NULL,
    UNIQUE KEY usage_records_split (seq, line_no, usage_file_id),
    KEY usage_records_file (usage_file_id),
    CONSTRAINT usage_records_file_fk FOREIGN KEY (usage_file_id) REFERENCES usage_files (id),
    CONSTRAINT usage_records_credit_fk FOREIGN KEY (seq) REFERENCES credits (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The journal of monthly runs (pull, assign, invoice), for resuming.
CREATE TABLE IF NOT EXISTS runs (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    period      CHAR(7) CHARACTER SET ascii NOT NULL,
    step        VARCHAR(16) CHARACTER SET ascii NOT NULL,
    status      VARCHAR(16) CHARACTER SET ascii NOT NULL,
    actor_id    VARCHAR(128) NOT NULL,
    started_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    finished_at DATETIME(6) NULL,
    detail      TEXT NULL,
    KEY runs_period (period, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Closed periods: no assignment or invoicing once a row is here.
CREATE TABLE IF NOT EXISTS periods (
    period    CHAR(7) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    closed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    closed_by VARCHAR(128) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
