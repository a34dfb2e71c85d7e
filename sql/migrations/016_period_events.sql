-- 016_period_events: closing and reopening a period are events (SPEC 17):
-- who, when, and for a reopen why.  Append-only, like credit_events.

CREATE TABLE IF NOT EXISTS period_events (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    period         CHAR(7) CHARACTER SET ascii NOT NULL,
    kind           ENUM('close','reopen') NOT NULL,
    at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    reason         VARCHAR(2000) NULL,
    actor_role     VARCHAR(16) CHARACTER SET ascii NOT NULL,
    actor_id       VARCHAR(128) NOT NULL,
    actor_reseller VARCHAR(128) NULL,
    actor_via      VARCHAR(128) NULL,
    KEY period_events_period (period, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER IF NOT EXISTS period_events_no_update BEFORE UPDATE ON period_events
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'period_events is append-only';

CREATE TRIGGER IF NOT EXISTS period_events_no_delete BEFORE DELETE ON period_events
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'period_events is append-only';
