-- The webhook outbox (docs/API.md "Webhooks"): a message is written in the
-- same transaction as the change it announces, and the webhook worker
-- delivers it (at least once, in order per payment request). The message
-- itself never changes; its delivery state does (operational, with every
-- try kept in webhook_deliveries).
CREATE TABLE webhook_outbox (
    id           INTEGER PRIMARY KEY,
    request_id   TEXT NOT NULL,          -- the payment request: order is kept per request
    client_id    TEXT NOT NULL DEFAULT '', -- the API client (token id) whose secret signs it
    url          TEXT NOT NULL,
    event        TEXT NOT NULL,
    body         BLOB NOT NULL,          -- the exact bytes signed and sent
    created_at   TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    tries        INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,          -- when the worker may try next (fixed-width UTC, compared as text)
    last_error   TEXT NOT NULL DEFAULT '',
    delivered_at TEXT,
    -- The retry window: tries back off from window_start (NULL: created_at)
    -- for 24 h, then the message is dead. An admin's retry opens a new
    -- window (window_start = then, window_tries = 0) and names itself in
    -- retried_by, which the next try's delivery row records.
    window_start TEXT,
    window_tries INTEGER NOT NULL DEFAULT 0,
    retried_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_at) WHERE state = 'pending';
CREATE INDEX webhook_outbox_by_request ON webhook_outbox (request_id, id);
CREATE TRIGGER webhook_outbox_message_fixed BEFORE UPDATE OF request_id, client_id, url, event, body, created_at ON webhook_outbox
BEGIN SELECT RAISE(ABORT, 'a webhook message is never changed: enqueue a new one'); END;
CREATE TRIGGER webhook_outbox_no_delete BEFORE DELETE ON webhook_outbox
BEGIN SELECT RAISE(ABORT, 'a webhook message is never deleted'); END;

-- Every try: the receiver's status and answer (truncated) and the latency.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES webhook_outbox (id),
    at          TEXT NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0, -- HTTP status, 0: no answer
    response    TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    latency_ms  INTEGER NOT NULL DEFAULT 0,
    actor       TEXT NOT NULL DEFAULT ''   -- set when an admin asked for the retry
);
CREATE INDEX webhook_deliveries_by_message ON webhook_deliveries (message_id, id);
