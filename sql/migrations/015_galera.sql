-- 015_galera: the same schema on a single server and on a Galera cluster.
-- A Galera node refuses a sequence with a cache and a fixed step (error
-- 1235): 001 and 008 were amended to INCREMENT BY 0, which steps by
-- auto_increment_increment from auto_increment_offset -- 1 and 1 on a
-- single server, so nothing changes there; on Galera each node its own
-- residue, so two nodes never hand out the same number and a number is
-- never reused (a cache lost in a restart leaves a gap).  A database made
-- by the first texts of 001 and 008 gets the same form here; on one made
-- by the amended texts these change nothing.  Re-runnable.

ALTER SEQUENCE credit_seq INCREMENT BY 0;

ALTER SEQUENCE credit_event_seq INCREMENT BY 0;
