-- 007_lean_credits: the assignment columns 006 moved out of credits go,
-- with their indexes.  A separate migration so that 006, which reads them,
-- can always be run again until it is recorded.
--
-- credits_period becomes (period) alone: every listing and every step
-- filters by period, and a status in the index would be rewritten by every
-- transition of every credit.

CREATE INDEX IF NOT EXISTS credits_by_period ON credits (period);

DROP INDEX IF EXISTS credits_period ON credits;

ALTER TABLE credits
    DROP INDEX IF EXISTS credits_customer,
    DROP INDEX IF EXISTS credits_reseller,
    DROP COLUMN IF EXISTS unmapped,
    DROP COLUMN IF EXISTS customer_id,
    DROP COLUMN IF EXISTS asset_id,
    DROP COLUMN IF EXISTS reseller_id,
    DROP COLUMN IF EXISTS rule_id,
    DROP COLUMN IF EXISTS owner_account_id;

-- Rebuild the table: columns added or dropped "instantly" leave every row
-- in an older format that the row's first update converts, and that first
-- update is assignment.  An empty table (a new install) costs nothing.
ALTER TABLE credits FORCE;

-- For people reading the database with SQL: credits with their assignment
-- under the column names they had before 006, in the collation of the rest
-- of the schema (so that they mix in expressions).  credits drive the join
-- (no index leads from an assignment to its credits).  Recreated by any
-- migration that changes either table.
CREATE OR REPLACE VIEW credit_view AS
SELECT c.*, a.owner_account_id,
       a.customer_id COLLATE utf8mb4_bin AS customer_id,
       a.asset_id COLLATE utf8mb4_bin AS asset_id,
       a.reseller_id COLLATE utf8mb4_bin AS reseller_id,
       a.rule_id COLLATE utf8mb4_bin AS rule_id, a.unmapped
FROM credits c STRAIGHT_JOIN assignments a ON a.id = c.assignment_id;
