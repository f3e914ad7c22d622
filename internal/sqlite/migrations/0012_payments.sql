-- Payment requests and payments (docs/PAYMENTS.md). A request's status and
-- a payment's status are working state, updated in place; every change of
-- either is also a row of payment_status_history, which is append-only,
-- so an auditor reads every step with its time, actor and reason. Fee
-- lines, receipts links and shifts never change.
CREATE TABLE payment_requests (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,               -- the API client (token id) that created it
    idempotency_key TEXT NOT NULL CHECK (idempotency_key <> ''),
    body_hash       TEXT NOT NULL,               -- SHA-256 of the request as received, normalised
    dossier_code    TEXT NOT NULL CHECK (dossier_code <> ''),
    payer           TEXT NOT NULL,               -- JSON {name, id_number, tax_code, address, phone}
    total           INTEGER NOT NULL CHECK (total > 0),
    currency        TEXT NOT NULL DEFAULT 'VND' CHECK (currency = 'VND'),
    callback_url    TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'paid', 'needs_review', 'cancelled', 'refunded')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (client_id, idempotency_key)
);
CREATE INDEX payment_requests_by_dossier ON payment_requests (dossier_code, id);
CREATE INDEX payment_requests_by_status ON payment_requests (status, id);
CREATE TRIGGER payment_requests_fixed BEFORE UPDATE OF id, client_id, idempotency_key, body_hash, dossier_code, payer, total, currency, callback_url, created_at ON payment_requests
BEGIN SELECT RAISE(ABORT, 'a payment request''s content never changes: create a new request'); END;
CREATE TRIGGER payment_requests_no_delete BEFORE DELETE ON payment_requests
BEGIN SELECT RAISE(ABORT, 'a payment request is never deleted: cancel it'); END;

CREATE TABLE payment_request_items (
    request_id  TEXT NOT NULL REFERENCES payment_requests (id),
    line        INTEGER NOT NULL,
    fee_code    TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('phi', 'le_phi')),
    org_code    TEXT NOT NULL,
    agency_code TEXT NOT NULL DEFAULT '',
    quantity    INTEGER NOT NULL CHECK (quantity >= 1),
    unit_amount INTEGER,                          -- NULL: computed by the agency per dossier
    amount      INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (request_id, line)
);
CREATE TRIGGER payment_request_items_no_update BEFORE UPDATE ON payment_request_items
BEGIN SELECT RAISE(ABORT, 'a payment request''s fee lines never change'); END;
CREATE TRIGGER payment_request_items_no_delete BEFORE DELETE ON payment_request_items
BEGIN SELECT RAISE(ABORT, 'a payment request''s fee lines are never deleted'); END;

CREATE TABLE cash_shifts (
    id              INTEGER PRIMARY KEY,
    cashier_id      TEXT NOT NULL,
    cashier_name    TEXT NOT NULL DEFAULT '',
    opened_at       TEXT NOT NULL,               -- the first cash payment of the shift, or its close if none
    closed_at       TEXT NOT NULL,
    expected        INTEGER NOT NULL,
    counted         INTEGER NOT NULL CHECK (counted >= 0),
    note            TEXT NOT NULL DEFAULT '',
    ledger_entry_id INTEGER                       -- the variance posting; NULL when counted = expected
);
CREATE TRIGGER cash_shifts_no_update BEFORE UPDATE ON cash_shifts
BEGIN SELECT RAISE(ABORT, 'a closed shift never changes'); END;
CREATE TRIGGER cash_shifts_no_delete BEFORE DELETE ON cash_shifts
BEGIN SELECT RAISE(ABORT, 'a closed shift is never deleted'); END;

CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL REFERENCES payment_requests (id),
    method          TEXT NOT NULL CHECK (method IN ('card', 'cash')),
    status          TEXT NOT NULL CHECK (status IN ('processing', 'paid', 'declined', 'failed', 'needs_review', 'reversed', 'refunded')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    terminal        TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL DEFAULT '',     -- sent to the terminal, written before the charge starts: finds the attempt after a crash
    attempt_id      TEXT NOT NULL DEFAULT '',     -- the terminal attempt (terminal_attempts.id), set once known
    cashier_id      TEXT NOT NULL DEFAULT '',
    cashier_name    TEXT NOT NULL DEFAULT '',
    tendered        INTEGER NOT NULL DEFAULT 0,
    terminal_result TEXT,                         -- JSON, masked PAN only
    created_at      TEXT NOT NULL,
    paid_at         TEXT,
    ledger_entry_id INTEGER,
    reversal_entry_id INTEGER,
    review          TEXT,                         -- JSON: why a person must settle it, and how it was settled
    message         TEXT NOT NULL DEFAULT '',
    shift_id        INTEGER REFERENCES cash_shifts (id)
);
-- A request has at most one payment that may have taken money and is not
-- undone: a second charge while one runs, after it is paid, or while one
-- waits for a person, breaks this index, whatever the race.
CREATE UNIQUE INDEX payments_one_live_per_request ON payments (request_id)
    WHERE status IN ('processing', 'paid', 'needs_review');
CREATE INDEX payments_by_request ON payments (request_id, created_at);
CREATE INDEX payments_processing ON payments (status) WHERE status IN ('processing', 'needs_review');
CREATE INDEX payments_open_cash ON payments (cashier_id) WHERE method = 'cash' AND shift_id IS NULL;
CREATE UNIQUE INDEX payments_by_attempt ON payments (attempt_id) WHERE attempt_id <> '';
CREATE UNIQUE INDEX payments_by_reference ON payments (terminal, reference) WHERE reference <> '';
CREATE TRIGGER payments_fixed BEFORE UPDATE OF id, request_id, method, amount, terminal, reference, cashier_id, created_at ON payments
BEGIN SELECT RAISE(ABORT, 'a payment''s facts never change'); END;
CREATE TRIGGER payments_attempt_once BEFORE UPDATE OF attempt_id ON payments
WHEN OLD.attempt_id <> '' AND NEW.attempt_id <> OLD.attempt_id
BEGIN SELECT RAISE(ABORT, 'a payment''s terminal attempt is set once'); END;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'a payment is never deleted'); END;

-- Every status change of a request or a payment.
CREATE TABLE payment_status_history (
    id         INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    payment_id TEXT NOT NULL DEFAULT '',          -- '' for a change of the request alone
    status     TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_status_history_by_request ON payment_status_history (request_id, id);
CREATE TRIGGER payment_status_history_no_update BEFORE UPDATE ON payment_status_history
BEGIN SELECT RAISE(ABORT, 'the status history is never changed'); END;
CREATE TRIGGER payment_status_history_no_delete BEFORE DELETE ON payment_status_history
BEGIN SELECT RAISE(ABORT, 'the status history is never deleted from'); END;

-- The receipts a payment issued (one per collecting organisation).
CREATE TABLE payment_receipts (
    payment_id TEXT NOT NULL REFERENCES payments (id),
    template   TEXT NOT NULL,
    series     TEXT NOT NULL,
    number     INTEGER NOT NULL,
    org_code   TEXT NOT NULL,
    total      INTEGER NOT NULL,
    kind       TEXT NOT NULL DEFAULT 'issued' CHECK (kind IN ('issued', 'replacement')),
    PRIMARY KEY (template, series, number)
);
CREATE INDEX payment_receipts_by_payment ON payment_receipts (payment_id);
CREATE TRIGGER payment_receipts_no_update BEFORE UPDATE ON payment_receipts
BEGIN SELECT RAISE(ABORT, 'a payment''s receipt link never changes'); END;
CREATE TRIGGER payment_receipts_no_delete BEFORE DELETE ON payment_receipts
BEGIN SELECT RAISE(ABORT, 'a payment''s receipt link is never deleted'); END;
