-- Signed receipts and signed daily closures (docs/RECEIPTS.md, "Receipt
-- XML", "Signature", "Daily closure"). Decree 254/2026/NĐ-CP Art. 23–29:
-- an e-receipt carries the collecting organisation's digital signature.

-- The signed XML of a receipt, written in the transaction that issues it
-- (Tx.IssueSignedReceipt). A receipt without a row here is unsigned, and
-- verify names it.
CREATE TABLE receipt_signatures (
    receipt_id       INTEGER PRIMARY KEY REFERENCES receipts (id),
    cert_fingerprint TEXT NOT NULL, -- hex SHA-256 of the signing certificate (DER)
    xml              TEXT NOT NULL  -- the signed document, UTF-8
);

-- One signed closure per business date, written once.
CREATE TABLE receipt_closures (
    business_date    TEXT PRIMARY KEY, -- YYYY-MM-DD, Asia/Ho_Chi_Minh
    closed_at        TEXT NOT NULL,    -- UTC RFC 3339
    receipts         INTEGER NOT NULL,
    total            INTEGER NOT NULL,
    cert_fingerprint TEXT NOT NULL,
    xml              TEXT NOT NULL
) WITHOUT ROWID;

-- Append-only: a signature belongs to the receipt being issued, and neither
-- table is ever edited or emptied.
CREATE TRIGGER receipt_signatures_only_while_issuing BEFORE INSERT ON receipt_signatures
WHEN NEW.receipt_id IS NOT (SELECT MAX(id) FROM receipts)
BEGIN SELECT RAISE(ABORT, 'a receipt is signed in the transaction that issues it, never later'); END;
CREATE TRIGGER receipt_signatures_no_update BEFORE UPDATE ON receipt_signatures
BEGIN SELECT RAISE(ABORT, 'receipt signatures are immutable'); END;
CREATE TRIGGER receipt_signatures_no_delete BEFORE DELETE ON receipt_signatures
BEGIN SELECT RAISE(ABORT, 'receipt signatures are immutable'); END;
CREATE TRIGGER receipt_closures_no_update BEFORE UPDATE ON receipt_closures
BEGIN SELECT RAISE(ABORT, 'a daily closure is immutable'); END;
CREATE TRIGGER receipt_closures_no_delete BEFORE DELETE ON receipt_closures
BEGIN SELECT RAISE(ABORT, 'a daily closure is immutable'); END;
