-- 010_currency_units: minor units a distributor gives to currency codes
-- that ISO 4217 leaves without one (XAU, XTS, XXX, ...), so that credits
-- in them can be assigned and invoiced (docs/ADMIN-GUIDE.md, "Held
-- credits").  Append-only, like credit_events: each row is one audited
-- decision, and a code has one (amounts are rounded to it from then on),
-- so that two hosts setting the same code at once cannot both succeed.

CREATE TABLE IF NOT EXISTS currency_units (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code           CHAR(3) CHARACTER SET ascii NOT NULL,
    exponent       TINYINT UNSIGNED NOT NULL,
    reason         VARCHAR(2000) NOT NULL,
    at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor_role     VARCHAR(16) CHARACTER SET ascii NOT NULL,
    actor_id       VARCHAR(128) NOT NULL,
    actor_reseller VARCHAR(128) NULL,
    UNIQUE KEY currency_units_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER IF NOT EXISTS currency_units_no_update BEFORE UPDATE ON currency_units
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'currency_units is append-only';

CREATE TRIGGER IF NOT EXISTS currency_units_no_delete BEFORE DELETE ON currency_units
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'currency_units is append-only';
