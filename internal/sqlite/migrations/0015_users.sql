-- People who sign in to the web pages (docs/WEB.md): cashiers, accountants
-- and administrators. A password is kept only as its argon2id hash in the
-- PHC format, salt and parameters included. An account is never deleted
-- (the audit log names it): it is disabled.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (username <> ''),
    name                TEXT NOT NULL CHECK (name <> ''),
    role                TEXT NOT NULL CHECK (role IN ('cashier', 'accountant', 'admin')),
    password_hash       TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    must_change         INTEGER NOT NULL DEFAULT 1 CHECK (must_change IN (0, 1)), -- a one-time password
    failed_logins       INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),     -- wrong passwords in a row
    locked_until        TEXT,                                                      -- UTC RFC 3339; NULL: not locked
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at          TEXT NOT NULL,                                             -- UTC RFC 3339
    password_changed_at TEXT                                                       -- NULL: the first password
);
CREATE TRIGGER users_no_delete BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'a user is never deleted (the audit log names it): disable the account'); END;

-- A signed-in browser. Only the SHA-256 of the session cookie's token is
-- kept, so a copy of the database opens no session. csrf_token is sent
-- back by every form of the session and must be readable (the pages
-- print it).
CREATE TABLE web_sessions (
    token_sha256 TEXT PRIMARY KEY,      -- hex SHA-256 of the cookie's token
    user_id      INTEGER NOT NULL REFERENCES users (id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,         -- UTC RFC 3339
    last_seen_at TEXT NOT NULL,         -- UTC RFC 3339; idle expiry counts from it
    expires_at   TEXT NOT NULL          -- UTC RFC 3339; absolute expiry
) WITHOUT ROWID;
CREATE INDEX web_sessions_user ON web_sessions (user_id);
