-- 012_actor_via: who acted for the actor (SPEC 13): the command line's
-- --as lets an operator act as someone else, and the record keeps both.
-- NULL when the actor acted itself.  Added at the end of the rows (an
-- instant change: credit_events rows are never updated).

ALTER TABLE credit_events ADD COLUMN IF NOT EXISTS actor_via VARCHAR(128) NULL;

ALTER TABLE currency_units ADD COLUMN IF NOT EXISTS actor_via VARCHAR(128) NULL;
