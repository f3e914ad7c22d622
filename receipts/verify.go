package receipts

// ChainHead is where one series' chain ends.
type ChainHead struct {
	Template string `json:"template"`
	Letters  string `json:"letters"`
	Series   string `json:"series"` // symbol of the last receipt, e.g. "26TAA"
	Number   int64  `json:"number"` // number of the last receipt
	Receipts int64  `json:"receipts"`
	Head     string `json:"head"` // hash of the last receipt
	// ID is the last receipt's row id: where an incremental check
	// (sqlite.DB.VerifyReceiptsAfter) resumes the id order. Internal.
	ID int64 `json:"-"`
}

// VerifyReport is the outcome of walking every series.
type VerifyReport struct {
	OK       bool        `json:"ok"`
	Receipts int64       `json:"receipts"` // receipts checked
	Chains   []ChainHead `json:"chains"`
	// Bad names the first receipt that fails, "26TAA-00000007" (empty when
	// OK, or when the problem is not one receipt's).
	Bad     string `json:"bad,omitempty"`
	Problem string `json:"problem,omitempty"` // what failed, for a person
}
