-- 005_leaner_indexes: every index on credits is paid for by assignment,
-- which rewrites status and owner columns of every credit of a period.
-- credits_period (period, status) already serves what credits_status
-- (status, period) did, since every listing and every step filters by
-- period; the rule filter is rare enough to scan the period's credits.

DROP INDEX IF EXISTS credits_status ON credits;

DROP INDEX IF EXISTS credits_rule ON credits;
