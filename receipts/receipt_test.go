package receipts_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// cardReceipt is a valid card payment of two fees.
func cardReceipt() receipts.NewReceipt {
	return receipts.NewReceipt{
		OrgCode: "UBND-Q1",
		Payer:   receipts.Payer{Name: "Nguyễn Văn An", IDNumber: "079090001234"},
		Lines: []receipts.Line{
			{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: 8_000},
			{Name: "Phí sao y bản chính", Kind: receipts.Phi, FeeCode: "P-SY", Amount: 42_000},
		},
		Total:        50_000,
		TotalInWords: "Năm mươi nghìn đồng",
		Method:       receipts.Card,
		DossierCode:  "HS-2026-000123",
		Card: &receipts.CardPayment{TerminalID: "T1", TraceNo: "000412", ApprovalCode: "A1B2C3",
			PANMasked: "411111******1111"},
	}
}

func TestNewReceiptValidate(t *testing.T) {
	require.NoError(t, cardReceipt().Normalize().Validate())
	cash := cardReceipt()
	cash.Method, cash.Card = receipts.Cash, nil
	require.NoError(t, cash.Normalize().Validate())

	tests := []struct {
		name    string
		change  func(r *receipts.NewReceipt)
		problem string
	}{
		{"no organisation", func(r *receipts.NewReceipt) { r.OrgCode = " " }, "organisation code is empty"},
		{"no payer", func(r *receipts.NewReceipt) { r.Payer.Name = "" }, "payer name is empty"},
		{"payer name with newline", func(r *receipts.NewReceipt) { r.Payer.Name = "Nguyễn\nAn" }, "control character"},
		{"payer id too long", func(r *receipts.NewReceipt) { r.Payer.IDNumber = strings.Repeat("1", 33) }, "payer ID number is longer"},
		{"no lines", func(r *receipts.NewReceipt) { r.Lines, r.Total = nil, 0 }, "at least one fee"},
		{"zero amount", func(r *receipts.NewReceipt) { r.Lines[0].Amount, r.Total = 0, 42_000 }, "line 1 has amount 0"},
		{"negative amount", func(r *receipts.NewReceipt) { r.Lines[1].Amount, r.Total = -1, 7_999 }, "line 2 has amount -1"},
		{"amount too large", func(r *receipts.NewReceipt) {
			r.Lines[0].Amount, r.Total = receipts.MaxAmount+1, receipts.MaxAmount+1+42_000
		}, "above the limit"},
		{"total too large", func(r *receipts.NewReceipt) {
			r.Lines[0].Amount, r.Lines[1].Amount, r.Total = receipts.MaxAmount, 1, receipts.MaxAmount+1
		}, "total"},
		{"total not the sum", func(r *receipts.NewReceipt) { r.Total = 50_001 }, "not the sum of the lines, 50000"},
		{"bad kind", func(r *receipts.NewReceipt) { r.Lines[0].Kind = "tax" }, "use phi (fee) or le_phi"},
		{"no fee code", func(r *receipts.NewReceipt) { r.Lines[0].FeeCode = "" }, "line 1 fee code is empty"},
		{"no line name", func(r *receipts.NewReceipt) { r.Lines[1].Name = "" }, "line 2 name is empty"},
		{"no words", func(r *receipts.NewReceipt) { r.TotalInWords = "" }, "total in words is empty"},
		{"no dossier", func(r *receipts.NewReceipt) { r.DossierCode = "" }, "dossier code is empty"},
		{"bad method", func(r *receipts.NewReceipt) { r.Method = "cheque" }, "use cash (Tiền mặt), card (Thẻ (POS)) or transfer"},
		{"card without details", func(r *receipts.NewReceipt) { r.Card = nil }, "give card"},
		{"cash with card details", func(r *receipts.NewReceipt) { r.Method = receipts.Cash }, "has no card details"},
		{"card without terminal", func(r *receipts.NewReceipt) { r.Card.TerminalID = "" }, "card terminal id is empty"},
		{"card without trace", func(r *receipts.NewReceipt) { r.Card.TraceNo = "" }, "card trace number is empty"},
		{"card without approval", func(r *receipts.NewReceipt) { r.Card.ApprovalCode = "" }, "card approval code is empty"},
		{"clear PAN", func(r *receipts.NewReceipt) { r.Card.PANMasked = "4111111111111111" }, "no digit is masked"},
		{"replaces bad series", func(r *receipts.NewReceipt) {
			r.Replaces = &receipts.Ref{Template: receipts.Template, Series: "26TAF", Number: 1}
		}, "replaces: series"},
		{"replaces number 0", func(r *receipts.NewReceipt) { r.Replaces = &receipts.Ref{Series: "26TAA"} }, "replaces: receipt number 0"},
		{"too many lines", func(r *receipts.NewReceipt) {
			r.Lines = nil
			for i := 0; i <= receipts.MaxLines; i++ {
				r.Lines = append(r.Lines, receipts.Line{Name: "Phí", Kind: receipts.Phi, FeeCode: "P", Amount: 1})
			}
			r.Total = int64(len(r.Lines))
		}, "at most 100 fees"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cardReceipt()
			c := *r.Card
			r.Card = &c
			r.Lines = append([]receipts.Line(nil), r.Lines...)
			tc.change(&r)
			err := r.Normalize().Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.problem)
			var re *receipts.Error
			require.ErrorAs(t, err, &re)
			assert.Equal(t, receipts.EInvalid, re.Code)
		})
	}
}

func TestCheckPANMasked(t *testing.T) {
	for _, tc := range []struct {
		pan string
		ok  bool
	}{
		{"411111******1111", true},
		{"************1111", true},
		{"411111**********", true},
		{"4111**********11", true},
		{"550000******0004", true},
		{"4111111111111111", false}, // clear
		{"4111111*****1111", false}, // 7 leading digits
		{"411111*****11111", false}, // 5 trailing digits
		{"4111**1111**1111", false}, // digits in the middle of the mask
		{"411111XXXXXX1111", false}, // another mask character
		{"411111 ****** 1111", false},
		{"411111*1111", false}, // too short for a card number
		{"", false},
	} {
		err := receipts.CheckPANMasked(tc.pan)
		assert.Equal(t, tc.ok, err == nil, "PAN %q: %v", tc.pan, err)
	}
}

func TestNormalizeNFC(t *testing.T) {
	r := cardReceipt()
	decomposed := "Nguye\u0302\u0303n Va\u0306n An" // "Nguyễn Văn An" typed with combining marks
	r.Payer.Name = "  " + decomposed + " "
	n := r.Normalize()
	assert.Equal(t, "Nguyễn Văn An", n.Payer.Name)
	assert.Equal(t, cardReceipt().Normalize().Payer.Name, n.Payer.Name)
	ref := receipts.Ref{Series: " 26taa ", Number: 3}
	r.Replaces = &ref
	assert.Equal(t, receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 3}, *r.Normalize().Replaces)
}

func TestPaymentMethodLabel(t *testing.T) {
	assert.Equal(t, "Tiền mặt", receipts.Cash.Label())
	assert.Equal(t, "Thẻ (POS)", receipts.Card.Label())
	assert.Equal(t, "Chuyển khoản", receipts.Transfer.Label())
}

func TestIssueDateAndClockInVietnam(t *testing.T) {
	r := receipts.Receipt{IssuedAt: "2026-12-31T17:30:05Z"}
	assert.Equal(t, "01/01/2027", r.IssueDate())
	assert.Equal(t, "00:30:05", r.IssueClock())
}
