-- Replacement receipts issued by an operator (docs/RECEIPTS.md,
-- "Replacement and status"; `feepos receipts replace`,
-- POST /api/v1/receipts/{template}/{series}/{number}/replace).

-- The date of issue of the receipt a replacement replaces (YYYY-MM-DD,
-- Asia/Ho_Chi_Minh), as the replacement names it ("Thay thế cho biên lai
-- mẫu số …, ký hiệu …, số … ngày dd/mm/yyyy") and as its signed XML carries
-- it. Written with the row, never changed (the receipts' triggers refuse
-- UPDATE). NULL for a receipt that replaces none, and for the replacements
-- issued before this column: their signed XML does not carry the date.
ALTER TABLE receipts ADD COLUMN replaces_issue_date TEXT
    CHECK (replaces_issue_date IS NULL OR replaces_issue_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]');

-- A refund owed to a payer because a replacement receipt's total is lower
-- than the original's: the difference, recorded with the replacement in
-- one transaction, with its ledger entry (fees collected debited, the
-- refund payable account credited). It is paid out later, outside this
-- table's first version (docs/PAYMENTS.md, "Replacement receipts"); the
-- facts never change, only the payout is written, once.
CREATE TABLE receipt_refunds (
    id                   INTEGER PRIMARY KEY,
    template             TEXT NOT NULL, -- the replacement receipt
    series               TEXT NOT NULL,
    number               INTEGER NOT NULL,
    original_template    TEXT NOT NULL, -- the receipt it replaces
    original_series      TEXT NOT NULL,
    original_number      INTEGER NOT NULL,
    payment_id           TEXT REFERENCES payments (id), -- NULL: a receipt no payment of feepos issued
    org_code             TEXT NOT NULL,
    dossier_code         TEXT NOT NULL,
    payer_name           TEXT NOT NULL,
    amount               INTEGER NOT NULL CHECK (amount > 0),
    currency             TEXT NOT NULL CHECK (currency = 'VND'),
    ledger_entry_id      INTEGER NOT NULL REFERENCES ledger_entries (id),
    reason               TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    paid_at              TEXT,
    paid_by              TEXT NOT NULL DEFAULT '',
    payout_entry_id      INTEGER REFERENCES ledger_entries (id),
    UNIQUE (template, series, number),
    FOREIGN KEY (template, series, number) REFERENCES receipts (template, series, number),
    FOREIGN KEY (original_template, original_series, original_number) REFERENCES receipts (template, series, number)
);
CREATE INDEX receipt_refunds_pending ON receipt_refunds (created_at) WHERE paid_at IS NULL;
CREATE TRIGGER receipt_refunds_fixed BEFORE UPDATE OF id, template, series, number, original_template, original_series,
    original_number, payment_id, org_code, dossier_code, payer_name, amount, currency, ledger_entry_id, reason, created_at, created_by
    ON receipt_refunds
BEGIN SELECT RAISE(ABORT, 'a refund owed is never changed: record its payout'); END;
CREATE TRIGGER receipt_refunds_paid_once BEFORE UPDATE OF paid_at, paid_by, payout_entry_id ON receipt_refunds
WHEN OLD.paid_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a refund is paid out once'); END;
CREATE TRIGGER receipt_refunds_no_delete BEFORE DELETE ON receipt_refunds
BEGIN SELECT RAISE(ABORT, 'a refund owed is never deleted'); END;
