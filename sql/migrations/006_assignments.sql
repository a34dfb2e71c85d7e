-- 006_assignments: who a credit is assigned to, as a shared value.
-- A credit's assignment is the owner account an admin moved it to, the
-- customer, asset and reseller who own that account, the rule that chose
-- the split, and the unmapped flag.  Most credits of a month share a few
-- thousand such values, so each value is one row here and a credit points
-- at it with a fixed-width id: assigning a credit then rewrites its row in
-- place (state, version, id) instead of growing it, which is what made
-- assignment slow (docs/PERFORMANCE.md).  Rows are never changed or
-- deleted; '' means none.  The collation compares bytes exactly, trailing
-- blanks included, as the store's cache of values does.  Id 1 is the empty value every new credit has.

CREATE TABLE IF NOT EXISTS assignments (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    owner_account_id CHAR(12) CHARACTER SET ascii NOT NULL DEFAULT '',
    customer_id      VARCHAR(128) NOT NULL DEFAULT '',
    asset_id         VARCHAR(128) NOT NULL DEFAULT '',
    reseller_id      VARCHAR(128) NOT NULL DEFAULT '',
    rule_id          VARCHAR(64) NOT NULL DEFAULT '',
    unmapped         TINYINT(1) NOT NULL DEFAULT 0,
    UNIQUE KEY assignments_value (customer_id, asset_id, reseller_id, owner_account_id,
                                  rule_id, unmapped),
    KEY assignments_reseller (reseller_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

INSERT IGNORE INTO assignments (id) VALUES (1);

CREATE TRIGGER IF NOT EXISTS assignments_no_update BEFORE UPDATE ON assignments
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'assignments rows never change';

CREATE TRIGGER IF NOT EXISTS assignments_no_delete BEFORE DELETE ON assignments
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'assignments rows never change';

ALTER TABLE credits
    ADD COLUMN IF NOT EXISTS assignment_id BIGINT UNSIGNED NOT NULL DEFAULT 1 AFTER version;

-- The assignment an event set (NULL: the event did not change it).
ALTER TABLE credit_events
    ADD COLUMN IF NOT EXISTS assignment_id BIGINT UNSIGNED NULL AFTER to_version;

-- The credits written before this migration: their values, then their ids.
INSERT IGNORE INTO assignments (owner_account_id, customer_id, asset_id, reseller_id,
                                rule_id, unmapped)
SELECT DISTINCT COALESCE(owner_account_id, ''), COALESCE(customer_id, ''),
       COALESCE(asset_id, ''), COALESCE(reseller_id, ''), COALESCE(rule_id, ''), unmapped
FROM credits;

UPDATE credits c JOIN assignments a
    ON a.owner_account_id = COALESCE(c.owner_account_id, '')
   AND a.customer_id = COALESCE(c.customer_id, '') COLLATE utf8mb4_nopad_bin
   AND a.asset_id = COALESCE(c.asset_id, '') COLLATE utf8mb4_nopad_bin
   AND a.reseller_id = COALESCE(c.reseller_id, '') COLLATE utf8mb4_nopad_bin
   AND a.rule_id = COALESCE(c.rule_id, '') COLLATE utf8mb4_nopad_bin
   AND a.unmapped = c.unmapped
SET c.assignment_id = a.id;
