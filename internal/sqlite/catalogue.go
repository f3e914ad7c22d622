package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/feepos/feepos/internal/auth"
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
	PayerIDReq    bool          `db:"payer_id_required"` // migration 0020
}

func (r feeRow) fee() catalogue.Fee {
	f := catalogue.Fee{Code: r.Code, Name: r.Name, Kind: catalogue.Kind(r.Kind), ProcedureCode: r.ProcedureCode,
		OrgCode: r.OrgCode, AgencyCode: r.AgencyCode, Unit: r.Unit, LegalBasis: r.LegalBasis, Active: r.Active,
		PayerIDRequired: r.PayerIDReq}
	if r.UnitAmount.Valid {
		v := r.UnitAmount.Int64
		f.UnitAmount = &v
	}
	return f
}

const feeColumns = `code, name, kind, procedure_code, org_code, agency_code, unit_amount, unit, legal_basis, active, payer_id_required`

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
	_, err := tx.ExecContext(ctx, `INSERT INTO fees (`+feeColumns+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, procedure_code = excluded.procedure_code,
		org_code = excluded.org_code, agency_code = excluded.agency_code, unit_amount = excluded.unit_amount,
		unit = excluded.unit, legal_basis = excluded.legal_basis, active = excluded.active,
		payer_id_required = excluded.payer_id_required, updated_at = excluded.updated_at`,
		f.Code, f.Name, string(f.Kind), f.ProcedureCode, f.OrgCode, f.AgencyCode, unit, f.Unit, f.LegalBasis, f.Active,
		f.PayerIDRequired, tx.Now.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("write fee %s: %w", f.Code, err)
	}
	return nil
}

// PayerIDRequired says whether any of the fees (by code, collected or no
// longer) needs the payer's ID number printed in full on the receipt
// (catalogue.Fee.PayerIDRequired). A code the catalogue does not hold
// needs nothing.
func (tx *Tx) PayerIDRequired(ctx context.Context, feeCodes ...string) (bool, error) {
	if len(feeCodes) == 0 {
		return false, nil
	}
	q, args, err := sqlx.In(`SELECT COUNT(*) FROM fees WHERE payer_id_required = 1 AND code IN (?)`, feeCodes)
	if err != nil {
		return false, fmt.Errorf("read the fees' payer_id_required: %w", err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, q, args...); err != nil {
		return false, fmt.Errorf("read the fees' payer_id_required: %w", err)
	}
	return n > 0, nil
}

// AllFees lists every fee, those no longer collected too, by code.
func (db *DB) AllFees(ctx context.Context) ([]catalogue.Fee, error) { return allFees(ctx, db.db) }

func allFees(ctx context.Context, q querier) ([]catalogue.Fee, error) {
	var rows []feeRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+feeColumns+` FROM fees ORDER BY code`); err != nil {
		return nil, fmt.Errorf("read fee catalogue: %w", err)
	}
	out := make([]catalogue.Fee, len(rows))
	for i, r := range rows {
		out[i] = r.fee()
	}
	return out, nil
}

// Procedures lists the procedures, by code.
func (db *DB) Procedures(ctx context.Context) ([]catalogue.Procedure, error) {
	return procedures(ctx, db.db)
}

func procedures(ctx context.Context, q querier) ([]catalogue.Procedure, error) {
	var out []catalogue.Procedure
	if err := q.SelectContext(ctx, &out, `SELECT code AS "code", name AS "name", level AS "level", agency AS "agency" FROM procedures ORDER BY code`); err != nil {
		return nil, fmt.Errorf("read procedures: %w", err)
	}
	return out, nil
}

// Catalogue is the whole stored catalogue: every procedure, and every fee
// with those no longer collected (Active false), as an export writes it.
func (db *DB) Catalogue(ctx context.Context) (catalogue.Catalogue, error) {
	return storedCatalogue(ctx, db.db)
}

func storedCatalogue(ctx context.Context, q querier) (catalogue.Catalogue, error) {
	fees, err := allFees(ctx, q)
	if err != nil {
		return catalogue.Catalogue{}, err
	}
	procs, err := procedures(ctx, q)
	if err != nil {
		return catalogue.Catalogue{}, err
	}
	return catalogue.Catalogue{Procedures: procs, Fees: fees}, nil
}

// PutProcedure inserts or replaces a procedure.
func (tx *Tx) PutProcedure(ctx context.Context, p catalogue.Procedure) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO procedures (code, name, level, agency) VALUES (?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, agency = excluded.agency`,
		p.Code, p.Name, p.Level, p.Agency)
	if err != nil {
		return fmt.Errorf("write procedure %s: %w", p.Code, err)
	}
	return nil
}

// PlanImport is what ImportCatalogue would change, without writing (a
// dry run).
func (db *DB) PlanImport(ctx context.Context, c catalogue.Catalogue, opt catalogue.ImportOptions) (catalogue.Changes, error) {
	if err := c.Validate(); err != nil {
		return catalogue.Changes{}, withSource(err, opt.Source)
	}
	stored, err := storedCatalogue(ctx, db.db)
	if err != nil {
		return catalogue.Changes{}, err
	}
	return catalogue.Plan(stored, c, opt), nil
}

// ImportCatalogue stores an imported catalogue in one transaction: the
// procedures and fees it lists are inserted or updated, the fees it does
// not list are kept (or, with opt.DeactivateMissing, marked no longer
// collected), and an audit line "catalogue.import" names actor and the
// changes. A catalogue that does not validate writes nothing.
func (db *DB) ImportCatalogue(ctx context.Context, c catalogue.Catalogue, opt catalogue.ImportOptions, actor auth.Actor) (catalogue.Changes, error) {
	if err := c.Validate(); err != nil {
		return catalogue.Changes{}, withSource(err, opt.Source)
	}
	return withTxValue(ctx, db, func(tx *Tx) (catalogue.Changes, error) {
		stored, err := storedCatalogue(ctx, tx)
		if err != nil {
			return catalogue.Changes{}, err
		}
		ch := catalogue.Plan(stored, c, opt)
		changed := map[string]bool{}
		for _, code := range append(append([]string{}, ch.ProceduresAdded...), ch.ProceduresUpdated...) {
			changed["p:"+code] = true
		}
		for _, code := range append(append([]string{}, ch.Added...), ch.Updated...) {
			changed["f:"+code] = true
		}
		for _, p := range c.Procedures {
			if changed["p:"+p.Code] {
				if err := tx.PutProcedure(ctx, p); err != nil {
					return catalogue.Changes{}, err
				}
			}
		}
		for _, f := range c.Fees {
			if changed["f:"+f.Code] {
				if err := tx.PutFee(ctx, f); err != nil {
					return catalogue.Changes{}, err
				}
			}
		}
		for _, code := range ch.Deactivated {
			if _, err := tx.ExecContext(ctx, `UPDATE fees SET active = 0, updated_at = ? WHERE code = ?`,
				tx.Now.UTC().Format(time.RFC3339Nano), code); err != nil {
				return catalogue.Changes{}, fmt.Errorf("deactivate fee %s: %w", code, err)
			}
		}
		detail, err := json.Marshal(map[string]any{
			"source": opt.Source, "deactivate_missing": opt.DeactivateMissing,
			"added": ch.Added, "updated": ch.Updated, "deactivated": ch.Deactivated, "unchanged": len(ch.Unchanged),
			"procedures_added": ch.ProceduresAdded, "procedures_updated": ch.ProceduresUpdated,
		})
		if err != nil {
			return catalogue.Changes{}, err
		}
		err = tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "catalogue.import", Object: "fee_catalogue", Detail: detail})
		return ch, err
	})
}

// withSource names the file in a validation error.
func withSource(err error, source string) error {
	var ie *catalogue.ImportError
	if errors.As(err, &ie) && ie.Source == "" {
		ie.Source = source
	}
	return err
}
