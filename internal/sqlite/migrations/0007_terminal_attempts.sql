-- Payment attempts on card terminals (docs/TERMINALS.md, "Terminal
-- manager"). An attempt is written down before anything is sent to the
-- terminal; each change of its state is a new row, checked against the
-- legal transitions below; its evidence (the terminal's answers, the wire
-- tap, recovery's findings) is append-only. Nothing an auditor needs is
-- updated in place: only the last known trace number of a terminal is,
-- being operational knowledge, not a record (each attempt keeps the trace
-- it was sent with).
--
-- Times are UTC with a fixed nine-digit fraction
-- (2006-01-02T15:04:05.000000000Z), so that they sort as text.

-- The facts recovery matches the terminal's records against. Never changed.
CREATE TABLE terminal_attempts (
    id           TEXT PRIMARY KEY,
    terminal     TEXT NOT NULL,
    protocol     TEXT NOT NULL CHECK (protocol IN ('zvt', 'concert')),
    kind         TEXT NOT NULL CHECK (kind IN ('pay', 'refund', 'reverse')),
    amount       INTEGER NOT NULL CHECK (amount >= 0), -- whole đồng
    reference    TEXT NOT NULL,
    receipt_no   INTEGER NOT NULL DEFAULT 0 CHECK (receipt_no >= 0), -- reverse: the payment's receipt number
    cashier      TEXT NOT NULL DEFAULT '',
    trace_before INTEGER NOT NULL DEFAULT 0 CHECK (trace_before >= 0), -- 0: not known
    started_at   TEXT NOT NULL
);
CREATE INDEX terminal_attempts_by_terminal ON terminal_attempts (terminal, started_at);
CREATE INDEX terminal_attempts_by_reference ON terminal_attempts (terminal, reference);
CREATE TRIGGER terminal_attempts_no_update BEFORE UPDATE ON terminal_attempts
BEGIN SELECT RAISE(ABORT, 'a payment attempt is never changed: its state changes are new rows'); END;
CREATE TRIGGER terminal_attempts_no_delete BEFORE DELETE ON terminal_attempts
BEGIN SELECT RAISE(ABORT, 'a payment attempt is never deleted'); END;

-- The legal state changes ('' is the start). The same table as
-- terminals.Transitions; fixed once written.
CREATE TABLE terminal_attempt_transitions (
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    PRIMARY KEY (from_state, to_state)
) WITHOUT ROWID;
INSERT INTO terminal_attempt_transitions (from_state, to_state) VALUES
    ('', 'prepared'),
    ('prepared', 'sent'), ('prepared', 'failed'), ('prepared', 'settled_not_charged'),
    ('sent', 'held'), ('sent', 'recorded'), ('sent', 'declined'), ('sent', 'aborted'), ('sent', 'failed'), ('sent', 'in_doubt'),
    ('held', 'recorded'), ('held', 'confirmed'), ('held', 'rejected'), ('held', 'expired'), ('held', 'reversed'), ('held', 'in_doubt'),
    ('recorded', 'confirmed'), ('recorded', 'rejected'), ('recorded', 'expired'), ('recorded', 'reversed'), ('recorded', 'in_doubt'),
    ('in_doubt', 'settled_charged'), ('in_doubt', 'settled_not_charged');
CREATE TRIGGER terminal_attempt_transitions_fixed_insert BEFORE INSERT ON terminal_attempt_transitions
BEGIN SELECT RAISE(ABORT, 'the legal attempt state changes are fixed by the migrations'); END;
CREATE TRIGGER terminal_attempt_transitions_fixed_update BEFORE UPDATE ON terminal_attempt_transitions
BEGIN SELECT RAISE(ABORT, 'the legal attempt state changes are fixed by the migrations'); END;
CREATE TRIGGER terminal_attempt_transitions_fixed_delete BEFORE DELETE ON terminal_attempt_transitions
BEGIN SELECT RAISE(ABORT, 'the legal attempt state changes are fixed by the migrations'); END;

-- Every state an attempt went through, in order (seq 1, 2, …): the
-- current state is the last row. A row is accepted only if it follows
-- the last one by a legal transition.
CREATE TABLE terminal_attempt_states (
    attempt_id TEXT NOT NULL REFERENCES terminal_attempts (id),
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    state      TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    deadline   TEXT, -- held: until when the terminal holds the approval
    PRIMARY KEY (attempt_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER terminal_attempt_states_legal BEFORE INSERT ON terminal_attempt_states
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM terminal_attempt_states WHERE attempt_id = NEW.attempt_id)
  OR NOT EXISTS (SELECT 1 FROM terminal_attempt_transitions
                 WHERE to_state = NEW.state
                   AND from_state = COALESCE((SELECT state FROM terminal_attempt_states
                                              WHERE attempt_id = NEW.attempt_id ORDER BY seq DESC LIMIT 1), ''))
BEGIN SELECT RAISE(ABORT, 'illegal attempt state change'); END;
CREATE TRIGGER terminal_attempt_states_no_update BEFORE UPDATE ON terminal_attempt_states
BEGIN SELECT RAISE(ABORT, 'an attempt state change is never changed: add the next one'); END;
CREATE TRIGGER terminal_attempt_states_no_delete BEFORE DELETE ON terminal_attempt_states
BEGIN SELECT RAISE(ABORT, 'an attempt state change is never deleted'); END;

-- The attempts not settled yet (running, left running by a stopped
-- feepos, or in doubt): an index kept by triggers, so that start-up and
-- recovery do not scan every attempt ever made. Derived data: the states
-- above are the record.
CREATE TABLE terminal_attempts_open (
    attempt_id TEXT PRIMARY KEY REFERENCES terminal_attempts (id)
) WITHOUT ROWID;
CREATE TRIGGER terminal_attempt_states_open AFTER INSERT ON terminal_attempt_states
WHEN NEW.state IN ('prepared', 'sent', 'held', 'recorded', 'in_doubt')
BEGIN INSERT OR IGNORE INTO terminal_attempts_open (attempt_id) VALUES (NEW.attempt_id); END;
CREATE TRIGGER terminal_attempt_states_closed AFTER INSERT ON terminal_attempt_states
WHEN NEW.state NOT IN ('prepared', 'sent', 'held', 'recorded', 'in_doubt')
BEGIN DELETE FROM terminal_attempts_open WHERE attempt_id = NEW.attempt_id; END;

-- What the terminals said, and what recovery found: the driver's result of
-- an attempt, the terminal's last transaction when asked, answers that
-- came when nothing waited for them (orphans; attempt_id NULL when they
-- named no attempt), the wire tap of an attempt (JSON, card numbers
-- masked, track data removed), and notes. A finding (verdict and reason)
-- judges one piece of evidence for one attempt; refers_to names the
-- orphan row it judged. Never changed, never deleted.
CREATE TABLE terminal_evidence (
    id         INTEGER PRIMARY KEY,
    attempt_id TEXT REFERENCES terminal_attempts (id),
    terminal   TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('result', 'last_result', 'orphan', 'wire', 'note')),
    at         TEXT NOT NULL,
    result     TEXT, -- pos.Result as JSON
    refused    INTEGER NOT NULL DEFAULT 0 CHECK (refused IN (0, 1)),
    raw        TEXT NOT NULL DEFAULT '', -- an orphan's message, hex, masked
    wire       TEXT, -- wire tap entries as JSON
    wire_lost  INTEGER NOT NULL DEFAULT 0 CHECK (wire_lost >= 0),
    verdict    TEXT CHECK (verdict IN ('charged', 'not_charged', 'unknown')),
    reason     TEXT NOT NULL DEFAULT '',
    refers_to  INTEGER REFERENCES terminal_evidence (id),
    note       TEXT NOT NULL DEFAULT '',
    CHECK (verdict IS NOT NULL OR reason = '')
);
CREATE INDEX terminal_evidence_by_attempt ON terminal_evidence (attempt_id, id);
CREATE INDEX terminal_evidence_loose ON terminal_evidence (terminal, at) WHERE attempt_id IS NULL;
CREATE TRIGGER terminal_evidence_no_update BEFORE UPDATE ON terminal_evidence
BEGIN SELECT RAISE(ABORT, 'evidence is never changed: add a new record'); END;
CREATE TRIGGER terminal_evidence_no_delete BEFORE DELETE ON terminal_evidence
BEGIN SELECT RAISE(ABORT, 'evidence is never deleted'); END;

-- The last trace number feepos knows of each terminal, and whether it is
-- certain (no transaction can have run since); updated from every result
-- that carries one.
CREATE TABLE terminal_traces (
    terminal TEXT PRIMARY KEY,
    trace    INTEGER NOT NULL CHECK (trace >= 0),
    certain  INTEGER NOT NULL CHECK (certain IN (0, 1)),
    at       TEXT NOT NULL,
    source   TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
