-- 008_events_by_credit: the audit trail clustered by credit.
-- Events are read by credit only (show, history), in the order they were
-- written.  Keyed on (seq, id), that read is one range of the primary key,
-- and an insert writes one index instead of two: an AUTO_INCREMENT id
-- needs an index that starts with it, so (seq, id) had to be a second one.
-- Assignment writes an event per credit, and the second index was about a
-- sixth of that statement's time (docs/PERFORMANCE.md).
--
-- Ids now come from a sequence that starts after the largest id so far,
-- so that an older credit's new events still sort after its old ones; the
-- ALTER keeps every existing id.  Every INSERT names NEXTVAL(credit_event_seq)
-- itself rather than through a column DEFAULT, which MariaDB would store
-- with this database's name (a dump restored under another name would
-- still use the old database's sequence).  Re-runnable: SETVAL never moves
-- a sequence back.

-- INCREMENT BY 0 as credit_seq (001): amended for Galera, see 014_galera.
CREATE SEQUENCE IF NOT EXISTS credit_event_seq START WITH 1 MINVALUE 1 INCREMENT BY 0 CACHE 1000;

SET @awc_event_next = (SELECT COALESCE(MAX(id), 0) + 1 FROM credit_events);

EXECUTE IMMEDIATE CONCAT('DO SETVAL(credit_event_seq, ', @awc_event_next, ', 0)');

ALTER TABLE credit_events
    MODIFY id BIGINT UNSIGNED NOT NULL,
    DROP PRIMARY KEY,
    DROP INDEX IF EXISTS credit_events_seq,
    ADD PRIMARY KEY (seq, id);
