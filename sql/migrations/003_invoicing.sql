-- 003_invoicing: usage files as an outbox.  A file is written here, with
-- its deterministic external id and its records, before anything is sent;
-- the platform's ids are filled in once it has the file.  001's two usage
-- tables were never written by any release, so they are replaced.

DROP TABLE IF EXISTS usage_records;

DROP TABLE IF EXISTS usage_files;

CREATE TABLE IF NOT EXISTS usage_files (
    local_id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    external_id   VARCHAR(128) CHARACTER SET ascii NOT NULL,
    usage_file_id VARCHAR(64) CHARACTER SET ascii NULL,
    period        CHAR(7) CHARACTER SET ascii NOT NULL,
    reseller_id   VARCHAR(128) NOT NULL,
    currency      CHAR(3) CHARACTER SET ascii NOT NULL,
    adapter       VARCHAR(16) CHARACTER SET ascii NOT NULL,
    status        ENUM('prepared','sending','sent','accepted','closed','rejected') NOT NULL,
    note          VARCHAR(2000) NULL,
    record_count  INT UNSIGNED NOT NULL DEFAULT 0,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY usage_files_external (external_id),
    UNIQUE KEY usage_files_platform (usage_file_id),
    KEY usage_files_period (period, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS usage_records (
    local_id     BIGINT UNSIGNED NOT NULL,
    position     INT UNSIGNED NOT NULL,
    seq          BIGINT UNSIGNED NOT NULL,
    line_no      SMALLINT UNSIGNED NOT NULL,
    amount_minor BIGINT NOT NULL,
    record_id    VARCHAR(64) CHARACTER SET ascii NULL,
    PRIMARY KEY (local_id, position),
    UNIQUE KEY usage_records_split (seq, line_no, local_id),
    CONSTRAINT usage_records_file_fk FOREIGN KEY (local_id) REFERENCES usage_files (local_id),
    CONSTRAINT usage_records_credit_fk FOREIGN KEY (seq) REFERENCES credits (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A credit in an outbox file that is not yet confirmed may not be edited.
ALTER TABLE credits
    ADD COLUMN IF NOT EXISTS outbox_id BIGINT UNSIGNED NULL AFTER usage_file_id;

-- The named lock of a run is the guard; this row says who holds it.
ALTER TABLE runs
    ADD COLUMN IF NOT EXISTS host VARCHAR(255) NOT NULL DEFAULT '' AFTER actor_id;
