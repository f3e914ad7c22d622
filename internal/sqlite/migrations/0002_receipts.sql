-- Electronic fee receipts (docs/RECEIPTS.md): series, gap-free numbering,
-- append-only hash-chained receipts. Decree 254/2026/NĐ-CP Art. 23–29,
-- Circular 91/2026/TT-BTC.

-- One series per collecting organisation. The receipts copy the
-- organisation's name, tax code and address when issued.
CREATE TABLE receipt_series (
    org_code   TEXT PRIMARY KEY,
    letters    TEXT NOT NULL UNIQUE CHECK (length(letters) = 2),
    org_name   TEXT NOT NULL,
    tax_code   TEXT NOT NULL,
    address    TEXT NOT NULL,
    created_at TEXT NOT NULL -- UTC RFC 3339
);

-- The last number given per series and year, and the hash of the receipt
-- that took it. The number is taken by stepping this row inside the
-- transaction that stores the receipt (BEGIN IMMEDIATE: one writer at a
-- time), so two receipts never share a number, and a deleted last receipt
-- is neither reused nor unnoticed (verify compares the row to the receipts).
CREATE TABLE receipt_counters (
    template    TEXT NOT NULL,
    letters     TEXT NOT NULL REFERENCES receipt_series (letters),
    year        INTEGER NOT NULL, -- Asia/Ho_Chi_Minh calendar year of issue
    last_number INTEGER NOT NULL CHECK (last_number BETWEEN 1 AND 99999999),
    last_hash   TEXT NOT NULL,
    PRIMARY KEY (template, letters, year)
) WITHOUT ROWID;

CREATE TABLE receipts (
    id                 INTEGER PRIMARY KEY, -- issue order over all series
    template           TEXT NOT NULL,       -- EBL01
    series             TEXT NOT NULL,       -- e.g. 26TAA
    letters            TEXT NOT NULL,       -- AA
    year               INTEGER NOT NULL,    -- 2026
    number             INTEGER NOT NULL CHECK (number BETWEEN 1 AND 99999999),
    issued_at          TEXT NOT NULL,       -- UTC RFC 3339
    org_code           TEXT NOT NULL REFERENCES receipt_series (org_code),
    org_name           TEXT NOT NULL,
    org_tax_code       TEXT NOT NULL,
    org_address        TEXT NOT NULL,
    payer_name         TEXT NOT NULL,
    payer_address      TEXT NOT NULL DEFAULT '',
    payer_id_number    TEXT NOT NULL DEFAULT '',
    total              INTEGER NOT NULL CHECK (total > 0),
    currency           TEXT NOT NULL CHECK (currency = 'VND'),
    total_in_words     TEXT NOT NULL,
    method             TEXT NOT NULL CHECK (method IN ('cash', 'card', 'transfer')),
    dossier_code       TEXT NOT NULL,
    card_terminal_id   TEXT NOT NULL DEFAULT '',
    card_trace_no      TEXT NOT NULL DEFAULT '',
    card_approval_code TEXT NOT NULL DEFAULT '',
    card_pan_masked    TEXT NOT NULL DEFAULT '',
    -- The receipt this one replaces (NULL when none); its status becomes
    -- "replaced" by this row's existence, its own row is never updated.
    replaces_template  TEXT,
    replaces_series    TEXT,
    replaces_number    INTEGER,
    content_hash       TEXT NOT NULL,
    prev_hash          TEXT NOT NULL,
    hash               TEXT NOT NULL, -- chained per series: see docs/RECEIPTS.md
    UNIQUE (template, series, number),
    CHECK (series = printf('%02dT', year % 100) || letters),
    CHECK ((replaces_number IS NULL) = (replaces_series IS NULL)
       AND (replaces_number IS NULL) = (replaces_template IS NULL)),
    FOREIGN KEY (replaces_template, replaces_series, replaces_number) REFERENCES receipts (template, series, number)
);
-- The order of a series' chain: across years, then by number.
CREATE INDEX receipts_chain ON receipts (template, letters, year, number);
-- A receipt is replaced at most once (partial: most receipts replace none).
CREATE UNIQUE INDEX receipts_replaces ON receipts (replaces_template, replaces_series, replaces_number)
    WHERE replaces_number IS NOT NULL;

CREATE TABLE receipt_lines (
    receipt_id INTEGER NOT NULL REFERENCES receipts (id),
    line_no    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('phi', 'le_phi')),
    fee_code   TEXT NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (receipt_id, line_no)
) WITHOUT ROWID;

-- Numbering: a year's counter starts at 1 and only steps up by one.
CREATE TRIGGER receipt_counters_start_at_one BEFORE INSERT ON receipt_counters
WHEN NEW.last_number != 1
BEGIN SELECT RAISE(ABORT, 'a receipt series starts each year at number 1'); END;
CREATE TRIGGER receipt_counters_step_by_one BEFORE UPDATE ON receipt_counters
WHEN NEW.last_number != OLD.last_number + 1 OR NEW.template IS NOT OLD.template
  OR NEW.letters IS NOT OLD.letters OR NEW.year IS NOT OLD.year
BEGIN SELECT RAISE(ABORT, 'receipt numbers step up by one: no gap, never reused'); END;
CREATE TRIGGER receipt_counters_no_delete BEFORE DELETE ON receipt_counters
BEGIN SELECT RAISE(ABORT, 'receipt numbers are never reused'); END;

-- A receipt takes the number its series' counter has just given, with the
-- hash written there.
CREATE TRIGGER receipts_take_the_counter BEFORE INSERT ON receipts
WHEN NOT EXISTS (SELECT 1 FROM receipt_counters c WHERE c.template = NEW.template AND c.letters = NEW.letters
                 AND c.year = NEW.year AND c.last_number = NEW.number AND c.last_hash = NEW.hash)
BEGIN SELECT RAISE(ABORT, 'a receipt takes the number its series counter has just given'); END;

-- Immutability: a receipt is corrected by a replacement, never edited
-- (Circular 91/2026/TT-BTC Art. 20).
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: issue a replacement instead'); END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: issue a replacement instead'); END;
CREATE TRIGGER receipt_lines_only_while_issuing BEFORE INSERT ON receipt_lines
WHEN NEW.receipt_id IS NOT (SELECT MAX(id) FROM receipts)
BEGIN SELECT RAISE(ABORT, 'receipt lines are written with their receipt, never added later'); END;
CREATE TRIGGER receipt_lines_no_update BEFORE UPDATE ON receipt_lines
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: issue a replacement instead'); END;
CREATE TRIGGER receipt_lines_no_delete BEFORE DELETE ON receipt_lines
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: issue a replacement instead'); END;

-- A series keeps its organisation and letters for ever (its details may be
-- corrected; the receipts keep the copy they were issued with).
CREATE TRIGGER receipt_series_keys_fixed BEFORE UPDATE OF org_code, letters ON receipt_series
WHEN NEW.org_code IS NOT OLD.org_code OR NEW.letters IS NOT OLD.letters
BEGIN SELECT RAISE(ABORT, 'a receipt series keeps its organisation and letters: create a new series'); END;
CREATE TRIGGER receipt_series_no_delete BEFORE DELETE ON receipt_series
BEGIN SELECT RAISE(ABORT, 'a receipt series is never deleted'); END;
