-- Issue 13, items 8–10 (docs/RECEIPTS.md).
--
-- Format 2 of a receipt: its chain hash no longer covers the internal row
-- id (every input of its hashes is in its XML, so anyone can recompute the
-- chain from an export), its content names the delegate that issued it on
-- the organisation's behalf, and its XML carries its lookup code. Receipts
-- issued before keep format 1 and verify with format 1's recipe.
ALTER TABLE receipts ADD COLUMN format_version INTEGER NOT NULL DEFAULT 1 CHECK (format_version IN (1, 2));

-- The delegate (Decree 254/2026/NĐ-CP Art. 25.4: "tổ chức được ủy nhiệm
-- thu"), per series and copied onto each receipt like the organisation's
-- details; empty when the organisation issues its own receipts.
ALTER TABLE receipt_series ADD COLUMN delegate_name TEXT NOT NULL DEFAULT '';
ALTER TABLE receipt_series ADD COLUMN delegate_tax_code TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN delegate_name TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN delegate_tax_code TEXT NOT NULL DEFAULT '';

-- The lookup code (receipts/lookup.go): the public /verify page shows a
-- receipt's details only with it. A receipt of format 2 gets it when it is
-- issued (in its signed XML). A receipt issued before gets one here: it is
-- not part of its signed content or of its hashes, so assigning it changes
-- nothing they cover; its printed QR code has no code (the page answers
-- only "exists"), and `feepos receipts url` prints its address with the
-- code for a reprint. 10 characters of Crockford's base-32 alphabet from
-- SQLite's random(), a ChaCha20 generator seeded from the system's
-- randomness (random() & 31 keeps 5 uniform bits).
ALTER TABLE receipts ADD COLUMN lookup_code TEXT NOT NULL DEFAULT '';

DROP TRIGGER receipts_no_update;
UPDATE receipts SET lookup_code =
       substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1)
    || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (random() & 31) + 1, 1);
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: issue a replacement instead'); END;

-- From now on a receipt is issued in format 2, with its code.
CREATE TRIGGER receipts_format_2 BEFORE INSERT ON receipts
WHEN NEW.format_version != 2 OR length(NEW.lookup_code) != 10
BEGIN SELECT RAISE(ABORT, 'a receipt is issued in format 2, with a lookup code of 10 characters'); END;
