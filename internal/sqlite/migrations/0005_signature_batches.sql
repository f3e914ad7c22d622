-- Receipts issued at the same moment share one transaction and are signed
-- in parallel (groupcommit.go, receipt_signatures.go), so their signatures
-- are stored together at the end of it, no longer each right after its own
-- receipt. The guard of 0003 (only the newest receipt may be signed)
-- becomes: a signature is stored for a receipt issued in the same
-- transaction as the newest receipt (a transaction writes one issued_at,
-- its fixed time, on all its receipts), and in the order receipts were
-- issued. A signature can still never be added to an older receipt later.
DROP TRIGGER receipt_signatures_only_while_issuing;

CREATE TRIGGER receipt_signatures_only_while_issuing BEFORE INSERT ON receipt_signatures
WHEN (SELECT issued_at FROM receipts WHERE id = NEW.receipt_id)
        IS NOT (SELECT issued_at FROM receipts ORDER BY id DESC LIMIT 1)
    OR NEW.receipt_id <= COALESCE((SELECT MAX(receipt_id) FROM receipt_signatures), 0)
BEGIN SELECT RAISE(ABORT, 'a receipt is signed in the transaction that issues it, never later'); END;
