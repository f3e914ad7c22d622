-- The fee catalogue (docs/CATALOGUE.md): procedures and the fees their
-- dossiers pay. A payment request copies what it needs of a fee (name,
-- kind, organisation, agency, unit amount) into its own lines, so a
-- later change of the catalogue never changes a request or a receipt.
CREATE TABLE procedures (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL DEFAULT 'district' CHECK (level IN ('district', 'vertical')),
    agency TEXT NOT NULL DEFAULT ''
);
CREATE TABLE fees (
    code           TEXT PRIMARY KEY CHECK (code <> ''),
    name           TEXT NOT NULL CHECK (name <> ''),
    kind           TEXT NOT NULL CHECK (kind IN ('phi', 'le_phi')),
    procedure_code TEXT NOT NULL DEFAULT '',
    org_code       TEXT NOT NULL CHECK (org_code <> ''),
    agency_code    TEXT NOT NULL DEFAULT '',
    unit_amount    INTEGER CHECK (unit_amount IS NULL OR unit_amount > 0), -- whole đồng; NULL: computed per dossier
    unit           TEXT NOT NULL DEFAULT '',
    legal_basis    TEXT NOT NULL DEFAULT '',
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    updated_at     TEXT NOT NULL
);
CREATE INDEX fees_by_procedure ON fees (procedure_code, code);
