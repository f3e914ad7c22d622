-- Delivery state of every document handed to the licensed provider
-- (docs/RECEIPTS.md "Delivery state and the tax office's answers"):
-- receipt XMLs, daily summaries 01/TH-BLĐT (first filing and amendments),
-- error notices 04/SS-CTĐT, closures. The row is written before the
-- hand-over (queued) and changed in the transaction that records its
-- outcome, with an audit line; the tax office's answers change it again.
CREATE TABLE tax_deliveries (
    id            INTEGER PRIMARY KEY,
    document      TEXT NOT NULL UNIQUE,        -- the file name: the identity the provider and the answers use
    kind          TEXT NOT NULL CHECK (kind IN ('receipt', 'summary', 'notice', 'closure')),
    org_code      TEXT NOT NULL DEFAULT '',
    business_date TEXT NOT NULL DEFAULT '',    -- YYYY-MM-DD the document is of
    amendment     INTEGER NOT NULL DEFAULT 0 CHECK (amendment >= 0), -- summary: 0 first filing, n the n-th amendment
    through_receipt_id INTEGER,                -- summary: the newest receipt (receipts.id) it covers
    receipt_id    INTEGER REFERENCES receipts (id), -- receipt: its signed XML is the payload
    payload       BLOB,                        -- other kinds: the exact bytes handed over, for a retry
    sha256        TEXT NOT NULL,
    transport     TEXT NOT NULL DEFAULT '',    -- file, http
    state         TEXT NOT NULL CHECK (state IN ('queued', 'handed_over', 'accepted', 'rejected')),
    reason        TEXT NOT NULL DEFAULT '',    -- why rejected
    answer_form   TEXT NOT NULL DEFAULT '',    -- 01/TB-TNĐT, 01/TB-SSĐT, 01/TB-KTDL, provider
    answer_number TEXT NOT NULL DEFAULT '',
    answer_date   TEXT NOT NULL DEFAULT '',
    tax_office_code TEXT NOT NULL DEFAULT '',
    queued_at     TEXT NOT NULL,               -- UTC RFC 3339
    handed_over_at TEXT,
    answered_at   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    first_failure_at TEXT,                     -- the first failed hand-over still unresolved: the outage's start
    last_error    TEXT NOT NULL DEFAULT '',
    CHECK ((kind = 'receipt') = (receipt_id IS NOT NULL)),
    CHECK (kind = 'receipt' OR payload IS NOT NULL)
);
-- What is not accepted yet: receipts status, the metrics, the retries.
CREATE INDEX tax_deliveries_open ON tax_deliveries (state, queued_at) WHERE state <> 'accepted';
-- One row per filing of a day's summary: the amendments are numbered 1, 2, …
CREATE UNIQUE INDEX tax_deliveries_filings ON tax_deliveries (org_code, business_date, amendment) WHERE kind = 'summary';
