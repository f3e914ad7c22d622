package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
)

// Issue 13, item 8: the CLI gives a receipt's address with its lookup code
// (for a receipt printed before the codes, whose QR code lacks it).
func TestReceiptsURL(t *testing.T) {
	dbPath, _, refs := signedReceiptsDB(t, 0)
	db, err := sqlite.Open(context.Background(), dbPath)
	require.NoError(t, err)
	r, err := db.Receipt(context.Background(), refs[1].Template, refs[1].Series, refs[1].Number)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NotEmpty(t, r.LookupCode)

	res := feepos(t, "", "--db", dbPath, "receipts", "url", r.Series, "2", "--verify-base", "https://bienlai.example.gov.vn")
	require.Equal(t, 0, res.code, res.stderr)
	want := "https://bienlai.example.gov.vn/verify/EBL01/" + r.Series + "/00000002?c=" + r.LookupCode
	assert.Equal(t, "Biên lai "+r.Ref.String()+": mã tra cứu "+r.LookupCode+"\n"+want+"\n", res.stdout)

	res = feepos(t, "", "--db", dbPath, "--json", "receipts", "url", r.Series, "2", "--verify-base", "https://bienlai.example.gov.vn")
	require.Equal(t, 0, res.code, res.stderr)
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got))
	assert.Equal(t, map[string]string{"receipt": r.Ref.String(), "lookup_code": r.LookupCode, "verify_url": want}, got)

	res = feepos(t, "", "--db", dbPath, "receipts", "url", r.Series, "99", "--verify-base", "https://bienlai.example.gov.vn")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "does not exist")
}
