-- 004_grants: credits as the AWS Billing API describes them (GetCredits):
-- what AWS issued, what is left, and when it expires.  credit_id is AWS's
-- id, the same digits a CUR description carries ("credit id: N") and so
-- the credit_key of the credits pulled from the CUR.

CREATE TABLE IF NOT EXISTS credit_grants (
    credit_id        VARCHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    payer_account_id CHAR(12) CHARACTER SET ascii NOT NULL,
    account_id       VARCHAR(12) CHARACTER SET ascii NOT NULL DEFAULT '',
    credit_type      VARCHAR(32) NOT NULL DEFAULT '',
    description      VARCHAR(1024) NOT NULL DEFAULT '',
    initial_amount   DECIMAL(30,10) NOT NULL,
    remaining_amount DECIMAL(30,10) NOT NULL,
    currency         CHAR(3) CHARACTER SET ascii NOT NULL,
    start_date       DATE NULL,
    expiry_date      DATE NULL,
    products         TEXT NOT NULL,
    status           VARCHAR(32) NOT NULL DEFAULT '',
    fetched_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY credit_grants_expiry (expiry_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
