package payments_test

import (
	"github.com/feepos/feepos/receipts"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
)

// The payer's tax code goes on the receipts; the ID number is printed in
// full only on the receipt of the organisation whose fee needs it (the
// police's residence registration here), masked on the other.
func TestPayerTaxCodeAndIDNumberOnTheReceipts(t *testing.T) {
	r := newRig(t, false)
	require.NoError(t, r.db.WithTx(r.ctx, func(tx *sqlite.Tx) error {
		f, err := tx.FeeByCode(r.ctx, "LP-CT")
		if err != nil {
			return err
		}
		f.PayerIDRequired = true
		return tx.PutFee(r.ctx, f)
	}))
	f, err := r.db.FeeByCode(r.ctx, "LP-CT")
	require.NoError(t, err)
	require.True(t, f.PayerIDRequired, "stored in the catalogue")

	in := payments.NewRequest{DossierCode: "H29.01-payer",
		Payer: payments.Payer{Name: "Công ty TNHH Demo", TaxCode: " 0109876543 ", IDNumber: "001090001234"},
		Items: []payments.NewItem{{FeeCode: "LP-HKD", Amount: 100_000}, {FeeCode: "LP-CT", Amount: 20_000}}}
	req, _, err := r.s.CreateRequest(r.ctx, dossierSystem, "payer", in)
	require.NoError(t, err)
	p, err := r.s.Charge(r.ctx, cashier, req.ID, payments.ChargeInput{Method: payments.MethodCash, Tendered: 120_000})
	require.NoError(t, err)
	require.Len(t, p.Receipts, 2)
	district, err := r.db.Receipt(r.ctx, p.Receipts[0].Template, p.Receipts[0].Series, p.Receipts[0].Number)
	require.NoError(t, err)
	police, err := r.db.Receipt(r.ctx, p.Receipts[1].Template, p.Receipts[1].Series, p.Receipts[1].Number)
	require.NoError(t, err)
	assert.Equal(t, "0109876543", district.Payer.TaxCode)
	assert.Equal(t, "0109876543", police.Payer.TaxCode)
	assert.False(t, district.Payer.IDPrinted, "no district fee needs the ID number")
	assert.True(t, police.Payer.IDPrinted, "the residence registration needs it")
	assert.Equal(t, receipts.CurrentFormat, police.Format())
	r.check()
}

func TestPayerTaxCodeAndIDNumberAreCheckedOnTheRequest(t *testing.T) {
	r := newRig(t, false)
	_, _, err := r.s.CreateRequest(r.ctx, dossierSystem, "bad-mst", payments.NewRequest{DossierCode: "H1",
		Payer: payments.Payer{Name: "An", TaxCode: "12345"}, Items: []payments.NewItem{{FeeCode: "LP-HKD", Amount: 100_000}}})
	assert.Equal(t, "invalid", code(err), "%v", err)
	assert.ErrorContains(t, err, "payer.tax_code")

	require.NoError(t, r.db.WithTx(r.ctx, func(tx *sqlite.Tx) error {
		return tx.PutFee(r.ctx, catalogue.Fee{Code: "LP-CT", Name: "Lệ phí đăng ký cư trú", Kind: catalogue.KindLePhi, OrgCode: "CA",
			AgencyCode: "CA", UnitAmount: i64(20_000), Unit: "lần", Active: true, PayerIDRequired: true})
	}))
	_, _, err = r.s.CreateRequest(r.ctx, dossierSystem, "no-id", payments.NewRequest{DossierCode: "H2",
		Payer: payments.Payer{Name: "An"}, Items: []payments.NewItem{{FeeCode: "LP-CT", Amount: 20_000}}})
	assert.Equal(t, "invalid", code(err), "%v", err)
	assert.ErrorContains(t, err, "payer.id_number is required")
}
