-- Chart of accounts. Rows are kept once used; the chart in the config file
-- is synced into this table at start (see chart.go).
CREATE TABLE accounts (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    role TEXT UNIQUE -- NULL when the account has no role
);

-- Journal entries: append-only, hash-chained (docs/LEDGER.md).
CREATE TABLE ledger_entries (
    id              INTEGER PRIMARY KEY,
    entry_date      TEXT NOT NULL,        -- business date, Asia/Ho_Chi_Minh, YYYY-MM-DD
    description     TEXT NOT NULL,
    idempotency_key TEXT,                 -- NULL when none; unique (index below)
    reverses        INTEGER REFERENCES ledger_entries (id), -- reversed at most once (index below)
    created_at      TEXT NOT NULL,        -- UTC RFC 3339
    content_hash    TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL         -- chained: see docs/LEDGER.md (no index: never looked up)
);
CREATE INDEX ledger_entries_by_date ON ledger_entries (entry_date, id);
-- Partial indexes: most entries are no reversal, so the index holds only the
-- reversals and a posting writes one page less.
CREATE UNIQUE INDEX ledger_entries_by_key ON ledger_entries (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX ledger_entries_reverses ON ledger_entries (reverses) WHERE reverses IS NOT NULL;

CREATE TABLE ledger_lines (
    entry_id     INTEGER NOT NULL REFERENCES ledger_entries (id),
    line_no      INTEGER NOT NULL,
    entry_date   TEXT NOT NULL, -- the entry's date, copied so as-of queries need no join
    account_code TEXT NOT NULL REFERENCES accounts (code),
    side         TEXT NOT NULL CHECK (side IN ('D', 'C')),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    agency       TEXT NOT NULL DEFAULT '',
    fee_code     TEXT NOT NULL DEFAULT '',
    terminal     TEXT NOT NULL DEFAULT '',
    counter      TEXT NOT NULL DEFAULT '',
    cashier      TEXT NOT NULL DEFAULT '',
    dossier      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (entry_id, line_no)
) WITHOUT ROWID;
CREATE INDEX ledger_lines_by_account ON ledger_lines (account_code, entry_date);

-- Per account, currency and day sums of the lines, kept in the posting
-- transaction so a trial balance over millions of entries reads a few
-- thousand rows. Derived data: `ledger verify` recomputes it from the lines.
CREATE TABLE ledger_daily_totals (
    account_code TEXT NOT NULL REFERENCES accounts (code),
    currency     TEXT NOT NULL,
    entry_date   TEXT NOT NULL,
    debit        INTEGER NOT NULL DEFAULT 0,
    credit       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_code, currency, entry_date)
) WITHOUT ROWID;

-- Immutability: a posted entry is corrected by a reversal, never edited.
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a reversal instead'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a reversal instead'); END;
CREATE TRIGGER ledger_lines_no_update BEFORE UPDATE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger lines are immutable: post a reversal instead'); END;
CREATE TRIGGER ledger_lines_no_delete BEFORE DELETE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger lines are immutable: post a reversal instead'); END;
-- Daily totals only grow, as lines are added.
CREATE TRIGGER ledger_daily_totals_only_grow BEFORE UPDATE ON ledger_daily_totals
WHEN NEW.debit < OLD.debit OR NEW.credit < OLD.credit OR NEW.account_code IS NOT OLD.account_code
  OR NEW.currency IS NOT OLD.currency OR NEW.entry_date IS NOT OLD.entry_date
BEGIN SELECT RAISE(ABORT, 'ledger daily totals only grow'); END;
CREATE TRIGGER ledger_daily_totals_no_delete BEFORE DELETE ON ledger_daily_totals
BEGIN SELECT RAISE(ABORT, 'ledger daily totals are derived from immutable lines'); END;
