package payments

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// A replacement keeps every payer field of the original it does not
// change (the tax code among them) and takes the ones it does.
func TestApplyPayerKeepsWhatItDoesNotChange(t *testing.T) {
	p := receipts.Payer{Name: "Lê Thị Hoa", Address: "12 Lê Lợi", IDNumber: "001190000123", TaxCode: "0109876543", IDPrinted: true}
	name := " Lê Thị Hòa "
	require.NoError(t, applyPayer(&p, PayerChange{Name: &name}))
	assert.Equal(t, receipts.Payer{Name: "Lê Thị Hòa", Address: "12 Lê Lợi", IDNumber: "001190000123", TaxCode: "0109876543", IDPrinted: true}, p)

	tax := "0301234567-001"
	require.NoError(t, applyPayer(&p, PayerChange{TaxCode: &tax}))
	assert.Equal(t, "0301234567-001", p.TaxCode)

	empty := "  "
	assert.Error(t, applyPayer(&p, PayerChange{Name: &empty}), "a payer has a name")
}
