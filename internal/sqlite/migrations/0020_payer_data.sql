-- Payer data (docs/RECEIPTS.md "Receipt content", docs/CATALOGUE.md):
-- the payer's own tax code on a receipt, and whether the receipt prints
-- the payer's ID number (số định danh/CCCD) in full, which only a
-- procedure that needs it does (the fee's payer_id_required); otherwise
-- the ID number is printed masked. Both are content of the receipt
-- (canonical form v2): added with defaults that keep every receipt
-- issued before as it was (no tax code, not printed in full, form v1).
ALTER TABLE receipts ADD COLUMN payer_tax_code TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN payer_id_printed INTEGER NOT NULL DEFAULT 0 CHECK (payer_id_printed IN (0, 1));

-- A fee whose procedure needs the payer's ID number on the receipt.
ALTER TABLE fees ADD COLUMN payer_id_required INTEGER NOT NULL DEFAULT 0 CHECK (payer_id_required IN (0, 1));
