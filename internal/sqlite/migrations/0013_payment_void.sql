-- A card payment recorded, whose charge the terminal then reversed because
-- feepos stopped (or lost the line) before it acknowledged it, is undone by
-- recovery: the payment becomes 'voided' (docs/PAYMENTS.md "Recovery").
-- SQLite cannot change a CHECK in place, so the payments table is rebuilt
-- with its indexes and triggers as in 0012; its rows are copied unchanged.
-- The payment_receipts rows keep pointing at payments(id): the foreign
-- keys are checked at the commit, once the rows are back.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE payments_before_0013 AS SELECT * FROM payments;
DROP TABLE payments;
CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL REFERENCES payment_requests (id),
    method          TEXT NOT NULL CHECK (method IN ('card', 'cash')),
    status          TEXT NOT NULL CHECK (status IN ('processing', 'paid', 'declined', 'failed', 'needs_review', 'reversed', 'refunded', 'voided')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    terminal        TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL DEFAULT '',
    attempt_id      TEXT NOT NULL DEFAULT '',
    cashier_id      TEXT NOT NULL DEFAULT '',
    cashier_name    TEXT NOT NULL DEFAULT '',
    tendered        INTEGER NOT NULL DEFAULT 0,
    terminal_result TEXT,
    created_at      TEXT NOT NULL,
    paid_at         TEXT,
    ledger_entry_id INTEGER,
    reversal_entry_id INTEGER,
    review          TEXT,
    message         TEXT NOT NULL DEFAULT '',
    shift_id        INTEGER REFERENCES cash_shifts (id)
);
INSERT INTO payments (id, request_id, method, status, amount, terminal, reference, attempt_id, cashier_id, cashier_name,
    tendered, terminal_result, created_at, paid_at, ledger_entry_id, reversal_entry_id, review, message, shift_id)
SELECT id, request_id, method, status, amount, terminal, reference, attempt_id, cashier_id, cashier_name,
    tendered, terminal_result, created_at, paid_at, ledger_entry_id, reversal_entry_id, review, message, shift_id
FROM payments_before_0013;
DROP TABLE payments_before_0013;
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

-- Receipts issued for money that was not collected (the payment was
-- voided: the terminal reversed the charge after feepos recorded it). A
-- receipt is never edited or deleted, and the law leaves open how such a
-- receipt is cancelled or reported (docs/RECEIPTS.md, "Open question: a
-- payment undone in full"), so it stays issued and is listed here for an
-- accountant, who resolves it (with the tax authority's answer) by an
-- audited action. The row's facts never change; only its resolution is
-- written, once.
CREATE TABLE receipts_to_notify (
    template    TEXT NOT NULL,
    series      TEXT NOT NULL,
    number      INTEGER NOT NULL,
    payment_id  TEXT NOT NULL REFERENCES payments (id),
    org_code    TEXT NOT NULL,
    total       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT NOT NULL DEFAULT '',
    resolution  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (template, series, number)
);
CREATE INDEX receipts_to_notify_open ON receipts_to_notify (created_at) WHERE resolved_at IS NULL;
CREATE TRIGGER receipts_to_notify_fixed BEFORE UPDATE OF template, series, number, payment_id, org_code, total, reason, created_at, created_by ON receipts_to_notify
BEGIN SELECT RAISE(ABORT, 'a receipt to notify is never changed: resolve it'); END;
CREATE TRIGGER receipts_to_notify_resolved_once BEFORE UPDATE OF resolved_at, resolved_by, resolution ON receipts_to_notify
WHEN OLD.resolved_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a receipt to notify is resolved once'); END;
CREATE TRIGGER receipts_to_notify_no_delete BEFORE DELETE ON receipts_to_notify
BEGIN SELECT RAISE(ABORT, 'a receipt to notify is never deleted'); END;
