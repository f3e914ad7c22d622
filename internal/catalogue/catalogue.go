// Package catalogue is the fee catalogue: the administrative procedures
// of the center and the fees (phí) and charges (lệ phí) a dossier of each
// pays, with who collects them and on what legal basis. It is stored by
// internal/sqlite and imported and exported as CSV and XLSX
// (docs/CATALOGUE.md).
package catalogue

import "fmt"

// Kind is phí (a fee for a service) or lệ phí (a charge for a state
// function); receipts and reports keep them apart.
type Kind string

// The kinds, as the API spells them.
const (
	KindPhi   Kind = "phi"
	KindLePhi Kind = "le_phi"
)

// Fee is one fee line a dossier can pay.
type Fee struct {
	Code          string // unique, e.g. "HKD-DK"
	Name          string // Vietnamese, as printed on the receipt
	Kind          Kind
	ProcedureCode string // the procedure it belongs to ("" for a fee of several)
	OrgCode       string // the collecting organisation (its receipt series)
	AgencyCode    string // the agency the fee is for (may be another than the collector)
	UnitAmount    *int64 // whole đồng per unit; nil: the agency computes it per dossier
	Unit          string // e.g. "hồ sơ", "bản", "trang"
	LegalBasis    string // e.g. "Thông tư 85/2019/TT-BTC"
	Active        bool
	// PayerIDRequired: the procedure needs the payer's ID number (số định
	// danh/CCCD) on the receipt, printed in full; a receipt with none of
	// these fees prints it masked (docs/RECEIPTS.md, "Receipt content").
	PayerIDRequired bool
}

// Procedure is an administrative procedure of the center.
type Procedure struct {
	Code   string
	Name   string
	Level  string // LevelDistrict or LevelVertical (police, tax, land registry…)
	Agency string // the agency that handles its dossiers
}

// The levels of a procedure: the district's own, or a vertical agency's
// (police, tax, land registry…) whose counter sits in the center.
const (
	LevelDistrict = "district"
	LevelVertical = "vertical"
)

// Catalogue is a whole fee catalogue as a file holds it: the procedures
// its fees name, and the fees.
type Catalogue struct {
	Procedures []Procedure
	Fees       []Fee
}

// Procedure is the procedure of code, if c has it.
func (c Catalogue) Procedure(code string) (Procedure, bool) {
	for _, p := range c.Procedures {
		if p.Code == code {
			return p, true
		}
	}
	return Procedure{}, false
}

// UnknownFeeError names a fee code the catalogue does not hold.
type UnknownFeeError struct{ Code string }

func (e *UnknownFeeError) Error() string {
	return fmt.Sprintf("fee code %q is not in the fee catalogue: check the code, or import it (feepos fees import)", e.Code)
}

// ErrorCode marks it as invalid input.
func (e *UnknownFeeError) ErrorCode() string { return "invalid" }
