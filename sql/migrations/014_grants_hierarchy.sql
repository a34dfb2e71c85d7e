-- 014_grants_hierarchy: grants as a FinOps admin enters them (SPEC 16),
-- their history, and the hierarchy they are allocated to.
--
-- grants: what AWS issued, entered by `grants import` / `grant set`.  A
-- grant whose grant_id is AWS's credit id is the same grant as the
-- credit_grants row the Billing API gave (004): the entered values win, the
-- Billing API's fill what was left blank (module/store.h, grants_all).
-- credit_key '' = any key of the account; products '' = every product;
-- node_id NULL = not allocated.
CREATE TABLE IF NOT EXISTS grants (
    grant_id    VARCHAR(64) NOT NULL PRIMARY KEY,
    account_id  CHAR(12) CHARACTER SET ascii NOT NULL,
    credit_key  VARCHAR(255) NOT NULL DEFAULT '',
    currency    CHAR(3) CHARACTER SET ascii NOT NULL,
    amount      DECIMAL(30,10) NOT NULL,
    issue_date  DATE NULL,
    end_date    DATE NULL,
    reference   VARCHAR(512) NOT NULL DEFAULT '',
    node_id     VARCHAR(128) NULL,
    products    VARCHAR(1024) CHARACTER SET ascii NOT NULL DEFAULT '',
    version     BIGINT UNSIGNED NOT NULL DEFAULT 1,
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY grants_account (account_id, credit_key),
    KEY grants_node (node_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every change of a grant, with its actor (appended, never changed).
CREATE TABLE IF NOT EXISTS grant_events (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    grant_id       VARCHAR(64) NOT NULL,
    at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    kind           VARCHAR(16) CHARACTER SET ascii NOT NULL,
    actor_role     VARCHAR(16) CHARACTER SET ascii NOT NULL,
    actor_id       VARCHAR(128) NOT NULL,
    actor_reseller VARCHAR(128) NULL,
    actor_via      VARCHAR(128) NULL,
    detail         TEXT NULL,
    KEY grant_events_grant (grant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER IF NOT EXISTS grant_events_no_update BEFORE UPDATE ON grant_events
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'grant_events is append-only';

CREATE TRIGGER IF NOT EXISTS grant_events_no_delete BEFORE DELETE ON grant_events
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'grant_events is append-only';

-- The hierarchy (any depth, a forest): `hierarchy import` replaces it whole.
-- parent_id NULL = a root.  Roll-ups walk it with a recursive CTE.
CREATE TABLE IF NOT EXISTS hierarchy_nodes (
    node_id   VARCHAR(128) NOT NULL PRIMARY KEY,
    parent_id VARCHAR(128) NULL,
    name      VARCHAR(256) NOT NULL DEFAULT '',
    level     VARCHAR(64) NOT NULL DEFAULT '',
    KEY hierarchy_parent (parent_id),
    KEY hierarchy_level (level)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Consumption reads the negative credits of accounts in issue-date order.
CREATE INDEX IF NOT EXISTS credits_by_account_key ON credits (usage_account_id, credit_key);
