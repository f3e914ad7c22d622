package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/internal/catalogue"
)

// The fee catalogue (migration 0010, docs/CATALOGUE.md).

type feeRow struct {
	Code          string        `db:"code"`
	Name          string        `db:"name"`
	Kind          string        `db:"kind"`
	ProcedureCode string        `db:"procedure_code"`
	OrgCode       string        `db:"org_code"`
	AgencyCode    string        `db:"agency_code"`
	UnitAmount    sql.NullInt64 `db:"unit_amount"`
	Unit          string        `db:"unit"`
	LegalBasis    string        `db:"legal_basis"`
	Active        bool          `db:"active"`
}

func (r feeRow) fee() catalogue.Fee {
	f := catalogue.Fee{Code: r.Code, Name: r.Name, Kind: catalogue.Kind(r.Kind), ProcedureCode: r.ProcedureCode,
		OrgCode: r.OrgCode, AgencyCode: r.AgencyCode, Unit: r.Unit, LegalBasis: r.LegalBasis, Active: r.Active}
	if r.UnitAmount.Valid {
		v := r.UnitAmount.Int64
		f.UnitAmount = &v
	}
	return f
}

const feeColumns = `code, name, kind, procedure_code, org_code, agency_code, unit_amount, unit, legal_basis, active`

// FeeByCode is the catalogue's fee code; a code it does not hold, or
// holds inactive, is a *catalogue.UnknownFeeError.
func (tx *Tx) FeeByCode(ctx context.Context, code string) (catalogue.Fee, error) {
	return feeByCode(ctx, tx, code)
}

// FeeByCode is Tx.FeeByCode outside a transaction.
func (db *DB) FeeByCode(ctx context.Context, code string) (catalogue.Fee, error) {
	return feeByCode(ctx, db.db, code)
}

func feeByCode(ctx context.Context, q querier, code string) (catalogue.Fee, error) {
	var r feeRow
	err := q.GetContext(ctx, &r, `SELECT `+feeColumns+` FROM fees WHERE code = ? AND active = 1`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return catalogue.Fee{}, &catalogue.UnknownFeeError{Code: code}
	}
	if err != nil {
		return catalogue.Fee{}, fmt.Errorf("read fee %s: %w", code, err)
	}
	return r.fee(), nil
}

// Fees lists the active fees, by code.
func (db *DB) Fees(ctx context.Context) ([]catalogue.Fee, error) {
	var rows []feeRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+feeColumns+` FROM fees WHERE active = 1 ORDER BY code`); err != nil {
		return nil, fmt.Errorf("read fee catalogue: %w", err)
	}
	out := make([]catalogue.Fee, len(rows))
	for i, r := range rows {
		out[i] = r.fee()
	}
	return out, nil
}

// PutFee inserts or replaces a fee of the catalogue.
func (tx *Tx) PutFee(ctx context.Context, f catalogue.Fee) error {
	var unit any
	if f.UnitAmount != nil {
		unit = *f.UnitAmount
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO fees (`+feeColumns+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, procedure_code = excluded.procedure_code,
		org_code = excluded.org_code, agency_code = excluded.agency_code, unit_amount = excluded.unit_amount,
		unit = excluded.unit, legal_basis = excluded.legal_basis, active = excluded.active, updated_at = excluded.updated_at`,
		f.Code, f.Name, string(f.Kind), f.ProcedureCode, f.OrgCode, f.AgencyCode, unit, f.Unit, f.LegalBasis, f.Active,
		tx.Now.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("write fee %s: %w", f.Code, err)
	}
	return nil
}
