-- 011_users: who may sign in to the web console and API (SPEC 15), their
-- API tokens and their sessions.  Passwords are argon2id hashes
-- (libsodium's crypto_pwhash_str: algorithm, parameters and salt in the
-- text); tokens and session ids are 256 random bits, stored as their
-- SHA-256 only, so a copy of the database signs nobody in.

CREATE TABLE IF NOT EXISTS users (
    name          VARCHAR(128) NOT NULL PRIMARY KEY,
    role          ENUM('distributor','reseller','viewer') NOT NULL,
    reseller_id   VARCHAR(128) NULL,
    password_hash VARCHAR(255) CHARACTER SET ascii NOT NULL,
    disabled      TINYINT(1) NOT NULL DEFAULT 0,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    changed_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_login_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS api_tokens (
    id           CHAR(16) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    user_name    VARCHAR(128) NOT NULL,
    label        VARCHAR(256) NOT NULL DEFAULT '',
    secret_hash  BINARY(32) NOT NULL,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    revoked_at   DATETIME(6) NULL,
    last_used_at DATETIME(6) NULL,
    KEY api_tokens_user (user_name),
    CONSTRAINT api_tokens_user_fk FOREIGN KEY (user_name) REFERENCES users (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS sessions (
    id_hash      BINARY(32) NOT NULL PRIMARY KEY,
    user_name    VARCHAR(128) NOT NULL,
    csrf_token   CHAR(43) CHARACTER SET ascii NOT NULL,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_seen_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY sessions_user (user_name),
    CONSTRAINT sessions_user_fk FOREIGN KEY (user_name) REFERENCES users (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
