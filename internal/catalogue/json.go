package catalogue

// FeeJSON is a fee as the API (GET /api/v1/fees) and `feepos fees list
// --json` show it. UnitAmount is null for a fee whose amount the agency
// computes per dossier.
type FeeJSON struct {
	FeeCode       string `json:"fee_code"`
	Name          string `json:"name"`
	Kind          Kind   `json:"kind"`
	OrgCode       string `json:"org_code"`
	AgencyCode    string `json:"agency_code"`
	UnitAmount    *int64 `json:"unit_amount"`
	Unit          string `json:"unit"`
	LegalBasis    string `json:"legal_basis"`
	ProcedureCode string `json:"procedure_code"`
}

// JSON is f as FeeJSON.
func (f Fee) JSON() FeeJSON {
	return FeeJSON{FeeCode: f.Code, Name: f.Name, Kind: f.Kind, OrgCode: f.OrgCode, AgencyCode: f.AgencyCode,
		UnitAmount: f.UnitAmount, Unit: f.Unit, LegalBasis: f.LegalBasis, ProcedureCode: f.ProcedureCode}
}

// KindVI is the kind as a receipt or a cashier reads it.
func (k Kind) VI() string {
	switch k {
	case KindPhi:
		return "Phí"
	case KindLePhi:
		return "Lệ phí"
	}
	return string(k)
}
