package server

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/feepos/feepos/receipts"
)

// A receipt signed with another organisation's (trusted) certificate:
// receipts.CheckSignedReceipt names both tax codes.
func TestSignatureReasonOtherOrganisation(t *testing.T) {
	problem := `signed with the certificate of "Ủy ban nhân dân Quận 1", tax code (MST) 0301234567, but the receipt's organisation CA-Q1 has tax code 0301234999-002: each organisation signs its receipts with its own certificate`
	assert.Equal(t, "chứng thư số đã ký không phải của đơn vị thu (mã số thuế trên chứng thư khác mã số thuế của đơn vị thu)",
		signatureReason(&receipts.SignatureError{Doc: "receipt 26TAB-00000001", Problem: problem}))
}
