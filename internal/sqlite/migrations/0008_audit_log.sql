-- The audit log (docs/API.md "Access"): who did what, to what, when and
-- why. Append-only: a correction is a new line.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,               -- UTC RFC 3339
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('token', 'user', 'cli', 'system')),
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL DEFAULT '',
    actor_role TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL CHECK (action <> ''),
    object     TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    detail     TEXT                          -- JSON, never a card number or a secret
);
CREATE INDEX audit_log_by_object ON audit_log (object, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is never changed: add a new line'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is never deleted from'); END;
