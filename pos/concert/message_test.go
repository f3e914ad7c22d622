package concert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
)

func TestLRCAndFrame(t *testing.T) {
	v := loadVectors(t)
	for _, id := range []string{"D1", "D2", "D3", "D4", "D5"} {
		f := v[id]
		assert.Equal(t, f[len(f)-1], LRC(f[1:len(f)-1]), id)
		assert.Equal(t, f, Frame(f[1:len(f)-2]), id)
	}
	assert.Equal(t, byte(STX), v["D2"][len(v["D2"])-1], "D2's LRC is 0x02, the same byte as STX")
}

func TestPaymentRequestEncode(t *testing.T) {
	v := loadVectors(t)
	for _, tc := range []struct {
		id  string
		req PaymentRequest
	}{
		// pyTeliumManager TeliumAsk.new_payment(12.5, 'debit', 'EUR'): long
		// answer at the end of the transaction.
		{"D1", PaymentRequest{POSNumber: 1, Amount: 1250, AnswerFlag: AnswerLong, PaymentMode: ModeCard,
			TransactionType: TypeDebit, Currency: 978, Delay: DelayEndOfTransaction, Authorization: AuthorizationDefault}},
		// pypostelium prepare_data_to_send: IND 0, DELAI A011.
		{"D2", PaymentRequest{POSNumber: 1, Amount: 1242, AnswerFlag: AnswerShort, PaymentMode: ModeCard,
			TransactionType: TypeDebit, Currency: 978, Delay: DelayImmediate, Authorization: AuthorizationDefault}},
		{"D5", NewPaymentRequest(150000, "HS00012345")},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got, err := tc.req.Frame()
			require.NoError(t, err)
			assert.Equal(t, v[tc.id], got)
			back, err := ParsePaymentRequest(got[1 : len(got)-2])
			require.NoError(t, err)
			if tc.req.Currency == 0 {
				tc.req.Currency = pos.CurrencyVND
			}
			assert.Equal(t, tc.req, back)
		})
	}
}

func TestPaymentRequestVND(t *testing.T) {
	text, err := NewPaymentRequest(150000, "").Text()
	require.NoError(t, err)
	assert.Equal(t, "00150000", string(text[2:10]), "VND exponent 0: whole đồng")
	assert.Equal(t, "704", string(text[13:16]))

	_, err = NewPaymentRequest(MaxAmount, "").Text()
	assert.NoError(t, err)
	for _, amount := range []int64{0, -1, MaxAmount + 1, 150_000_000} {
		_, err = NewPaymentRequest(amount, "").Text()
		assert.ErrorIs(t, err, ErrAmount, amount)
	}
	_, err = NewPaymentRequest(100_000_000, "").Text()
	assert.ErrorContains(t, err, "99,999,999 đồng")
}

func TestValidatePriv(t *testing.T) {
	for _, ok := range []string{"", "HS00012345", "A", "a b-c/1~"} {
		assert.NoError(t, ValidatePriv(ok), ok)
	}
	for _, bad := range []string{"HS000123456", "HS\x01", "đồng", "tab\t"} {
		assert.ErrorIs(t, ValidatePriv(bad), ErrPriv, bad)
		_, err := NewPaymentRequest(1000, bad).Text()
		assert.ErrorIs(t, err, ErrPriv, bad)
	}
}

func TestPaymentRequestFieldErrors(t *testing.T) {
	base := NewPaymentRequest(1000, "X")
	for name, mut := range map[string]func(*PaymentRequest){
		"pos 0":     func(r *PaymentRequest) { r.POSNumber = 0 },
		"pos 100":   func(r *PaymentRequest) { r.POSNumber = 100 },
		"currency":  func(r *PaymentRequest) { r.Currency = 1000 },
		"flag":      func(r *PaymentRequest) { r.AnswerFlag = '2' },
		"delay":     func(r *PaymentRequest) { r.Delay = "A012" },
		"auth":      func(r *PaymentRequest) { r.Authorization = "" },
		"mode ctrl": func(r *PaymentRequest) { r.PaymentMode = 0 },
	} {
		r := base
		mut(&r)
		_, err := r.Text()
		assert.ErrorIs(t, err, ErrField, name)
	}
}

func TestPaymentAnswerDecode(t *testing.T) {
	v := loadVectors(t)
	for _, tc := range []struct {
		id      string
		status  byte
		outcome pos.Outcome
	}{
		{"D3", '0', pos.Approved},
		{"D4", '7', pos.Declined},
	} {
		t.Run(tc.id, func(t *testing.T) {
			text, err := SplitFrame(v[tc.id])
			require.NoError(t, err)
			a, err := ParsePaymentAnswer(text)
			require.NoError(t, err)
			assert.Equal(t, PaymentAnswer{POSNumber: "01", Status: tc.status, Amount: 1250, Mode: '1',
				Currency: "978", Priv: "0000000000"}, a)
			o, _ := a.Outcome()
			assert.Equal(t, tc.outcome, o)
			back, err := a.Text()
			require.NoError(t, err)
			assert.Equal(t, text, back)
		})
	}
}

func TestPaymentAnswerLong(t *testing.T) {
	a := PaymentAnswer{POSNumber: "01", Status: '0', Amount: 150000, Mode: '1', Currency: "704",
		Priv: "HS00012345", Long: true, PANMasked: "4111111111111111", ReportRest: "AUT 123456"}
	text, err := a.Text()
	require.NoError(t, err)
	require.Len(t, text, LongAnswerLen)
	got, err := ParsePaymentAnswer(text)
	require.NoError(t, err)
	assert.Equal(t, "411111******1111", got.PANMasked, "a full PAN in the report is masked")
	assert.Equal(t, "AUT 123456", got.ReportRest)
	assert.Equal(t, "HS00012345", got.Priv)
	assert.Equal(t, int64(150000), got.Amount)
	assert.Equal(t, "704", got.Currency)

	// A report that does not start with a card number keeps no long digit run.
	rep := []byte(string(text))
	copy(rep[12:12+repLen], []byte("X 4111111111111111 rest                                 "))
	got, err = ParsePaymentAnswer(rep)
	require.NoError(t, err)
	assert.Empty(t, got.PANMasked)
	assert.NotContains(t, got.ReportRest, "4111111111111111")
}

func TestStatusOutcome(t *testing.T) {
	for stat, want := range map[byte]pos.Outcome{
		'0': pos.Approved, '7': pos.Declined, '9': pos.Unknown, '1': pos.Unknown, 'X': pos.Unknown, 0: pos.Unknown,
	} {
		got, note := StatusOutcome(stat)
		assert.Equal(t, want, got, "%q", stat)
		assert.NotEmpty(t, note)
	}
}

func TestParseAnswerRejects(t *testing.T) {
	for name, text := range map[string]string{
		"short":    "0100000125019780000000000"[:24],
		"amount":   "010000A125019780000000000",
		"currency": "0100000125019X80000000000",
		"ctrl":     "01000001250197800000000\x01" + "0",
	} {
		_, err := ParsePaymentAnswer([]byte(text))
		assert.ErrorIs(t, err, ErrNotEPlus, name)
	}
}

func TestMaskDigitRuns(t *testing.T) {
	for in, want := range map[string]string{
		"4111111111111111":        "411111******1111",
		"x 4111 1111 1111 1111 y": "x 4111 11** **** 1111 y",
		"4111-1111-1111-1111":     "4111-11**-****-1111",
		"AUT 123456 TRACE 000975": "AUT 123456 TRACE 000975",
		"12345678901":             "12345678901",
		"":                        "",
	} {
		assert.Equal(t, want, maskDigitRuns(in), in)
	}
}
