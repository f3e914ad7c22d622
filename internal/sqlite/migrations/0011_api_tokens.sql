-- API tokens (docs/API.md "Access"): one per client and role. Only the
-- SHA-256 of a token is kept: the token itself is printed once, when it is
-- made, and cannot be read back.
--
-- webhook_secret is the HMAC key that signs the webhooks sent to a
-- dossier-system client (docs/API.md "Webhooks"). Unlike the token it is
-- stored as it is: feepos must compute the HMAC with it for every
-- delivery, so it has to be recoverable (a hash could only check a
-- signature, not make one). It is protected as the database is: the data
-- folder feepos creates is mode 0700 (keep it so, and keep backups as
-- private), and the secret is never printed again after creation nor
-- returned by any API.
CREATE TABLE api_tokens (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL CHECK (name <> ''),
    role           TEXT NOT NULL CHECK (role IN ('dossier-system', 'cashier', 'accountant', 'admin')),
    token_sha256   TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the whole token, fp_ prefix included
    webhook_secret TEXT,                   -- dossier-system clients only
    created_at     TEXT NOT NULL,          -- UTC RFC 3339
    revoked_at     TEXT                    -- set once, never cleared
);
CREATE TRIGGER api_tokens_fixed BEFORE UPDATE OF id, name, role, token_sha256, webhook_secret, created_at ON api_tokens
BEGIN SELECT RAISE(ABORT, 'an API token is never changed: revoke it and create a new one'); END;
CREATE TRIGGER api_tokens_revoked_once BEFORE UPDATE OF revoked_at ON api_tokens WHEN OLD.revoked_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a revoked API token stays revoked: create a new one'); END;
CREATE TRIGGER api_tokens_no_delete BEFORE DELETE ON api_tokens
BEGIN SELECT RAISE(ABORT, 'an API token is never deleted: revoke it'); END;
