package receipts

import "time"

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
	// TimeOrder lists each pair of receipts of one series whose times of
	// issue go backwards (a clock set back when the later one was issued).
	// Their chain holds, so they do not make OK false: the times printed on
	// them are wrong, and an auditor should know (docs/RECEIPTS.md).
	TimeOrder []TimeOrderPair `json:"time_order,omitempty"`
}

// TimeOrderPair is a receipt issued at a time earlier than the receipt
// before it in its series.
type TimeOrderPair struct {
	Earlier   Ref    `json:"earlier"`    // the receipt before, in numbering order
	Later     Ref    `json:"later"`      // the receipt after it, timed before it
	EarlierAt string `json:"earlier_at"` // its time of issue, UTC RFC 3339 as stored
	LaterAt   string `json:"later_at"`
}

// String says what is wrong, for a person.
func (p TimeOrderPair) String() string {
	return "receipt " + p.Later.String() + " was issued at " + vnTime(p.LaterAt) + ", before " + p.Earlier.String() +
		" (" + vnTime(p.EarlierAt) + ") which comes before it in the series: the clock was set back"
}

// VI says it in Vietnamese, for the accountant.
func (p TimeOrderPair) VI() string {
	return "biên lai " + p.Later.String() + " lập lúc " + vnTime(p.LaterAt) + ", sớm hơn biên lai " + p.Earlier.String() +
		" (" + vnTime(p.EarlierAt) + ") có số trước nó: đồng hồ máy đã bị chỉnh lùi"
}

// vnTime prints a stored time as dd/mm/yyyy hh:mm:ss in Vietnam (as stored
// when it does not parse).
func vnTime(stored string) string {
	t, err := time.Parse(time.RFC3339Nano, stored)
	if err != nil {
		return stored
	}
	return t.In(Zone).Format("02/01/2006 15:04:05")
}
