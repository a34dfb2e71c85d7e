-- 009_commit_markers: how a unit of work ended whose COMMIT lost its
-- connection.  A unit that wrote anything adds a row here, with a random
-- token, just before its COMMIT.  When the connection drops during COMMIT
-- the client cannot tell whether the server committed: it connects again
-- and looks for its token.  Found, the unit is done; not found, it was
-- rolled back and runs again.  (Before, it always ran again, and an edit
-- that had in fact been saved was then refused as made on a stale
-- version.)  Rows older than a day are removed now and then.

CREATE TABLE IF NOT EXISTS commit_markers (
    token BINARY(16) NOT NULL PRIMARY KEY,
    at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY commit_markers_at (at)
) ENGINE=InnoDB;
