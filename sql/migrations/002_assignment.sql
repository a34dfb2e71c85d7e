-- 002_assignment: what assignment needs beyond 001.
-- owner_account_id: the AWS account whose owner gets the credit; it is the
-- usage account unless an admin reassigned the credit to another account.

ALTER TABLE credits
    ADD COLUMN IF NOT EXISTS owner_account_id CHAR(12) CHARACTER SET ascii NULL AFTER usage_account_id;

-- Who a split line goes to is resolved at assignment and kept on the line.
ALTER TABLE credit_splits
    ADD COLUMN IF NOT EXISTS target_name VARCHAR(256) NOT NULL DEFAULT '' AFTER party_id;

CREATE INDEX IF NOT EXISTS credits_rule ON credits (rule_id);

CREATE INDEX IF NOT EXISTS accounts_valid ON accounts (valid_from, valid_to);
