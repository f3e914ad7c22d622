-- The day's close (docs/RECONCILE-CLOSE.md). What was imported never
-- changes: files, their settlement lines, bank entries and balances, and
-- terminal totals are append-only. The working state of the close — which
-- payment a match holds, which exception is still open — changes only
-- through set-once columns and resolution rows, so every step stays
-- readable.

-- An imported file (or a terminal's totals, captured or typed from its
-- slip). The id is the SHA-256 of the bytes: the same file again is
-- recognised and nothing is written.
CREATE TABLE reconcile_files (
    id          TEXT PRIMARY KEY CHECK (length(id) = 64),
    name        TEXT NOT NULL,
    format      TEXT NOT NULL,
    profile     TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL CHECK (kind IN ('settlement', 'bank', 'totals')),
    rows        INTEGER NOT NULL CHECK (rows >= 0),
    imported_at TEXT NOT NULL,
    actor       TEXT NOT NULL
);
CREATE TRIGGER reconcile_files_no_update BEFORE UPDATE ON reconcile_files
BEGIN SELECT RAISE(ABORT, 'an imported file never changes: import the corrected file'); END;
CREATE TRIGGER reconcile_files_no_delete BEFORE DELETE ON reconcile_files
BEGIN SELECT RAISE(ABORT, 'an imported file is never deleted'); END;

CREATE TABLE reconcile_settlement_lines (
    source          TEXT NOT NULL REFERENCES reconcile_files (id),
    id              TEXT NOT NULL CHECK (id <> ''),
    line            INTEGER NOT NULL,
    settlement_date TEXT NOT NULL,
    terminal_id     TEXT NOT NULL DEFAULT '',
    merchant_id     TEXT NOT NULL DEFAULT '',
    batch_no        TEXT NOT NULL DEFAULT '',
    trace_no        INTEGER NOT NULL DEFAULT 0,
    rrn             TEXT NOT NULL DEFAULT '',
    approval_code   TEXT NOT NULL DEFAULT '',
    pan_masked      TEXT NOT NULL DEFAULT '',
    card_brand      TEXT NOT NULL DEFAULT '',
    txn_type        TEXT NOT NULL CHECK (txn_type IN ('SALE', 'VOID', 'REFUND')),
    txn_time        TEXT NOT NULL DEFAULT '',
    amount          INTEGER NOT NULL,
    fee             INTEGER NOT NULL,
    net             INTEGER NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'VND' CHECK (currency = 'VND'),
    UNIQUE (source, id)
);
CREATE INDEX reconcile_settlement_lines_by_date ON reconcile_settlement_lines (settlement_date);
CREATE INDEX reconcile_settlement_lines_by_id ON reconcile_settlement_lines (id);
CREATE TRIGGER reconcile_settlement_lines_no_update BEFORE UPDATE ON reconcile_settlement_lines
BEGIN SELECT RAISE(ABORT, 'an imported settlement line never changes'); END;
CREATE TRIGGER reconcile_settlement_lines_no_delete BEFORE DELETE ON reconcile_settlement_lines
BEGIN SELECT RAISE(ABORT, 'an imported settlement line is never deleted'); END;

CREATE TABLE reconcile_bank_entries (
    source       TEXT NOT NULL REFERENCES reconcile_files (id),
    id           TEXT NOT NULL CHECK (id <> ''),
    line         INTEGER NOT NULL,
    account      TEXT NOT NULL DEFAULT '',
    booking_date TEXT NOT NULL,
    value_date   TEXT NOT NULL DEFAULT '',
    amount       INTEGER NOT NULL,
    currency     TEXT NOT NULL DEFAULT 'VND',
    reversal     INTEGER NOT NULL DEFAULT 0 CHECK (reversal IN (0, 1)),
    reference    TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL DEFAULT '',
    UNIQUE (source, account, id)
);
CREATE INDEX reconcile_bank_entries_by_date ON reconcile_bank_entries (booking_date);
CREATE TRIGGER reconcile_bank_entries_no_update BEFORE UPDATE ON reconcile_bank_entries
BEGIN SELECT RAISE(ABORT, 'an imported bank entry never changes'); END;
CREATE TRIGGER reconcile_bank_entries_no_delete BEFORE DELETE ON reconcile_bank_entries
BEGIN SELECT RAISE(ABORT, 'an imported bank entry is never deleted'); END;

-- The transactions of a batch booking (camt TxDtls).
CREATE TABLE reconcile_bank_details (
    source    TEXT NOT NULL,
    account   TEXT NOT NULL DEFAULT '',
    entry_id  TEXT NOT NULL,
    n         INTEGER NOT NULL,
    amount    INTEGER NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    text      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, account, entry_id, n),
    FOREIGN KEY (source, account, entry_id) REFERENCES reconcile_bank_entries (source, account, id)
);
CREATE TRIGGER reconcile_bank_details_no_update BEFORE UPDATE ON reconcile_bank_details
BEGIN SELECT RAISE(ABORT, 'an imported bank entry never changes'); END;
CREATE TRIGGER reconcile_bank_details_no_delete BEFORE DELETE ON reconcile_bank_details
BEGIN SELECT RAISE(ABORT, 'an imported bank entry is never deleted'); END;

CREATE TABLE reconcile_bank_balances (
    source   TEXT NOT NULL REFERENCES reconcile_files (id),
    account  TEXT NOT NULL DEFAULT '',
    kind     TEXT NOT NULL CHECK (kind IN ('opening', 'closing')),
    final    INTEGER NOT NULL CHECK (final IN (0, 1)),
    date     TEXT NOT NULL,
    amount   INTEGER NOT NULL,
    currency TEXT NOT NULL DEFAULT 'VND',
    UNIQUE (source, account, kind, final, date)
);
CREATE INDEX reconcile_bank_balances_by_date ON reconcile_bank_balances (date);
CREATE TRIGGER reconcile_bank_balances_no_update BEFORE UPDATE ON reconcile_bank_balances
BEGIN SELECT RAISE(ABORT, 'an imported bank balance never changes'); END;
CREATE TRIGGER reconcile_bank_balances_no_delete BEFORE DELETE ON reconcile_bank_balances
BEGIN SELECT RAISE(ABORT, 'an imported bank balance is never deleted'); END;

-- A terminal's end-of-day totals per brand ('' = all brands), captured
-- from the terminal or typed from its printed slip. A correction is a new
-- source; the latest imported counts.
CREATE TABLE reconcile_terminal_totals (
    source       TEXT NOT NULL REFERENCES reconcile_files (id),
    terminal_id  TEXT NOT NULL CHECK (terminal_id <> ''),
    date         TEXT NOT NULL,
    brand        TEXT NOT NULL DEFAULT '',
    count        INTEGER NOT NULL CHECK (count >= 0),
    amount       INTEGER NOT NULL,
    receipt_from INTEGER NOT NULL DEFAULT 0,
    receipt_to   INTEGER NOT NULL DEFAULT 0,
    origin       TEXT NOT NULL CHECK (origin IN ('terminal', 'slip')),
    UNIQUE (source, terminal_id, date, brand)
);
CREATE INDEX reconcile_terminal_totals_by_date ON reconcile_terminal_totals (date, terminal_id);
CREATE TRIGGER reconcile_terminal_totals_no_update BEFORE UPDATE ON reconcile_terminal_totals
BEGIN SELECT RAISE(ABORT, 'terminal totals never change: enter the corrected totals'); END;
CREATE TRIGGER reconcile_terminal_totals_no_delete BEFORE DELETE ON reconcile_terminal_totals
BEGIN SELECT RAISE(ABORT, 'terminal totals are never deleted'); END;

-- A committed run of a day: its report as printed.
CREATE TABLE reconcile_runs (
    id         INTEGER PRIMARY KEY,
    date       TEXT NOT NULL,
    run_at     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    report     TEXT NOT NULL  -- JSON, reconcile.Report
);
CREATE INDEX reconcile_runs_by_date ON reconcile_runs (date, id);
CREATE TRIGGER reconcile_runs_no_update BEFORE UPDATE ON reconcile_runs
BEGIN SELECT RAISE(ABORT, 'a reconciliation run never changes: run the day again'); END;
CREATE TRIGGER reconcile_runs_no_delete BEFORE DELETE ON reconcile_runs
BEGIN SELECT RAISE(ABORT, 'a reconciliation run is never deleted'); END;

-- A match: of a run (the engine's) or of a resolution (a person's).
-- released_at is set once, when a later run of the same day replaces it
-- or a person unmatches it.
CREATE TABLE reconcile_matches (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER REFERENCES reconcile_runs (id),
    date           TEXT NOT NULL,
    rule           TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    fee            INTEGER NOT NULL DEFAULT 0,
    net            INTEGER NOT NULL DEFAULT 0,
    lag_days       INTEGER NOT NULL DEFAULT 0,
    offer          INTEGER NOT NULL DEFAULT 0 CHECK (offer IN (0, 1)),
    payment_ids    TEXT NOT NULL DEFAULT '[]', -- JSON; the payments it holds are reconcile_match_payments
    settlement_ids TEXT NOT NULL DEFAULT '[]', -- JSON
    bank_ids       TEXT NOT NULL DEFAULT '[]', -- JSON
    explanation    TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    released_at    TEXT
);
CREATE INDEX reconcile_matches_by_date ON reconcile_matches (date, id);
CREATE TRIGGER reconcile_matches_fixed BEFORE UPDATE ON reconcile_matches
WHEN OLD.released_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.run_id IS NOT OLD.run_id OR NEW.date IS NOT OLD.date
  OR NEW.rule IS NOT OLD.rule OR NEW.amount IS NOT OLD.amount OR NEW.fee IS NOT OLD.fee OR NEW.net IS NOT OLD.net
  OR NEW.offer IS NOT OLD.offer OR NEW.payment_ids IS NOT OLD.payment_ids OR NEW.settlement_ids IS NOT OLD.settlement_ids OR NEW.bank_ids IS NOT OLD.bank_ids
  OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a match never changes: it is only released, once'); END;
CREATE TRIGGER reconcile_matches_no_delete BEFORE DELETE ON reconcile_matches
BEGIN SELECT RAISE(ABORT, 'a match is never deleted: release it'); END;

-- The ledger payments a match holds. A payment belongs to at most one
-- match that is not released: the partial unique index refuses a second,
-- whatever the code above it does.
CREATE TABLE reconcile_match_payments (
    match_id    INTEGER NOT NULL REFERENCES reconcile_matches (id),
    payment_id  TEXT NOT NULL REFERENCES payments (id),
    released_at TEXT,
    PRIMARY KEY (match_id, payment_id)
);
CREATE UNIQUE INDEX reconcile_one_match_per_payment ON reconcile_match_payments (payment_id) WHERE released_at IS NULL;
CREATE TRIGGER reconcile_match_payments_fixed BEFORE UPDATE ON reconcile_match_payments
WHEN OLD.released_at IS NOT NULL OR NEW.match_id IS NOT OLD.match_id OR NEW.payment_id IS NOT OLD.payment_id
BEGIN SELECT RAISE(ABORT, 'a match''s payment never changes: it is only released, once'); END;
CREATE TRIGGER reconcile_match_payments_no_delete BEFORE DELETE ON reconcile_match_payments
BEGIN SELECT RAISE(ABORT, 'a match''s payment is never deleted: release it'); END;

-- An exception, from the day it was first seen until a resolution closes
-- it. key is what identifies the same problem on a later day.
CREATE TABLE reconcile_exceptions (
    id                INTEGER PRIMARY KEY,
    key               TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,
    first_seen        TEXT NOT NULL,
    last_seen         TEXT NOT NULL,
    payment_id        TEXT NOT NULL DEFAULT '',
    settlement_id     TEXT NOT NULL DEFAULT '',
    bank_id           TEXT NOT NULL DEFAULT '',
    terminal_id       TEXT NOT NULL DEFAULT '',
    trace_no          INTEGER NOT NULL DEFAULT 0,
    approval_code     TEXT NOT NULL DEFAULT '',
    rrn               TEXT NOT NULL DEFAULT '',
    ledger_amount     INTEGER,
    settlement_amount INTEGER,
    detail            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reconcile_exceptions_by_first_seen ON reconcile_exceptions (first_seen);
CREATE TRIGGER reconcile_exceptions_fixed BEFORE UPDATE ON reconcile_exceptions
WHEN NEW.id IS NOT OLD.id OR NEW.key IS NOT OLD.key OR NEW.kind IS NOT OLD.kind OR NEW.first_seen IS NOT OLD.first_seen
  OR NEW.payment_id IS NOT OLD.payment_id OR NEW.settlement_id IS NOT OLD.settlement_id OR NEW.bank_id IS NOT OLD.bank_id
  OR NEW.terminal_id IS NOT OLD.terminal_id OR NEW.last_seen < OLD.last_seen
BEGIN SELECT RAISE(ABORT, 'an exception''s identity never changes: only the day it was last seen moves on'); END;
CREATE TRIGGER reconcile_exceptions_no_delete BEFORE DELETE ON reconcile_exceptions
BEGIN SELECT RAISE(ABORT, 'an exception is never deleted: resolve it'); END;

-- A person's (or a run's) resolution of an exception: a manual match, a
-- write-off, or an unmatch (which undoes an earlier resolution, named by
-- undoes). An exception is open while it has no resolution that is not
-- undone.
CREATE TABLE reconcile_resolutions (
    id           INTEGER PRIMARY KEY,
    exception_id INTEGER NOT NULL REFERENCES reconcile_exceptions (id),
    action       TEXT NOT NULL CHECK (action IN ('match', 'write_off', 'unmatch', 'auto')),
    reason       TEXT NOT NULL CHECK (reason <> ''),
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL,
    date         TEXT NOT NULL DEFAULT '',             -- the business date it counts on
    match_id     INTEGER REFERENCES reconcile_matches (id),
    undoes       INTEGER UNIQUE REFERENCES reconcile_resolutions (id)
);
CREATE INDEX reconcile_resolutions_by_exception ON reconcile_resolutions (exception_id, id);
CREATE TRIGGER reconcile_resolutions_no_update BEFORE UPDATE ON reconcile_resolutions
BEGIN SELECT RAISE(ABORT, 'a resolution never changes: unmatch it'); END;
CREATE TRIGGER reconcile_resolutions_no_delete BEFORE DELETE ON reconcile_resolutions
BEGIN SELECT RAISE(ABORT, 'a resolution is never deleted: unmatch it'); END;

-- The settlement postings: the ledger entry of each settled batch. The
-- entry's idempotency key is key, so a re-run posts nothing twice.
CREATE TABLE reconcile_postings (
    key         TEXT PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES reconcile_runs (id),
    date        TEXT NOT NULL,
    entry_id    INTEGER NOT NULL,
    terminal_id TEXT NOT NULL DEFAULT '',
    batch_no    TEXT NOT NULL DEFAULT '',
    gross       INTEGER NOT NULL,
    fee         INTEGER NOT NULL,
    net         INTEGER NOT NULL
);
CREATE TRIGGER reconcile_postings_no_update BEFORE UPDATE ON reconcile_postings
BEGIN SELECT RAISE(ABORT, 'a settlement posting never changes'); END;
CREATE TRIGGER reconcile_postings_no_delete BEFORE DELETE ON reconcile_postings
BEGIN SELECT RAISE(ABORT, 'a settlement posting is never deleted'); END;
