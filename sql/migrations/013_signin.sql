-- 013_signin: failed sign-ins, kept for the throttle of SPEC 15 (after 5
-- failures for one user name or one client address within 15 minutes,
-- further attempts wait).  Rows older than the window are deleted as new
-- ones come; a successful sign-in clears its user name's rows.  Kept in
-- the database, so every host serving the same store throttles alike.

CREATE TABLE IF NOT EXISTS signin_failures (
    id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_name VARCHAR(128) NOT NULL,
    client    VARCHAR(64) CHARACTER SET ascii NOT NULL,
    at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY signin_failures_user (user_name, at),
    KEY signin_failures_client (client, at),
    KEY signin_failures_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
